// The access matrix, assembled from every module's rows (see access_matrix.hpp).
#include "access_matrix.hpp"

#include <catch2/catch.hpp>

#include <set>
#include <sstream>

using namespace relais::test;
using json = nlohmann::json;

std::vector<std::pair<std::string, access_rows>>& relais::test::access_registry() {
    static std::vector<std::pair<std::string, access_rows>> all_rows;
    return all_rows;
}

// The platform's own routes.
RELAIS_ACCESS_ROWS("platform", [](access_fixture&) {
    using relais::test::by_role;
    return std::vector<access_row>{
        {"GET", "/healthz", "anyone", "/healthz", "", all(200)},
        // Allowed by client address (server.metrics_allow: loopback here), not by role.
        {"GET", "/metrics", "metrics_allow", "/metrics", "", all(200)},
        // The reference module: public vocabulary (guests' pages label things too).
        {"GET", "/api/meta", "anyone", "/api/meta", "", all(200)},
        {"GET", "/api/glossary", "anyone", "/api/glossary", "", all(200)},
        {"GET", "/api/admin/jobs", "admin", "/api/admin/jobs", "", by_role(401, 403, 403, 200)},
        {"POST", "/api/admin/jobs/{key}/run", "admin", "/api/admin/jobs/inconnu/run", "", by_role(401, 403, 403, 404)},
        // The mail and notifications modules.
        {"GET", "/api/admin/mail", "admin", "/api/admin/mail", "", by_role(401, 403, 403, 200)},
        {"GET", "/api/notifications", "signed_in", "/api/notifications", "", by_role(401, 200, 200, 200)},
        {"POST", "/api/notifications/read", "signed_in", "/api/notifications/read", "{}", by_role(401, 400, 400, 400)},
    };
});

TEST_CASE("access matrix: every route, by role, with the level the router stores", "[access]") {
    // Hundreds of requests from one address: above the default per-address rate limit.
    server s({"--set", "limits.requests_per_second_per_address=100000", "--set", "limits.request_burst_per_address=100000"});
    auto admin = s.login_admin();
    access_fixture f{s,
                     {{"anonyme", ""},
                      {"membre", s.make_user(admin, "membre@x.fr", "membre")},
                      {"animateur", s.make_user(admin, "animateur@x.fr", "animateur")},
                      {"admin", admin}}};
    std::vector<access_row> rows;
    for (auto& [module, make] : access_registry()) {
        auto part = make(f);
        rows.insert(rows.end(), part.begin(), part.end());
    }
    // Every route the server registers has a row with its access level, and nothing else.
    auto listed = run_relais({"routes", "--data-dir", s.data_dir().string()});
    REQUIRE(listed.status == 0);
    std::set<std::string> registered, covered;
    std::istringstream lines(listed.output);
    for (std::string line; std::getline(lines, line);)
        if (!line.empty() && line.front() != '{') registered.insert(line);
    for (const auto& r : rows) covered.insert(r.method + " " + r.pattern + " " + r.access);
    CHECK(registered == covered);

    for (const auto& r : rows) {
        if (r.method == "DELETE" && r.pattern == "/api/session") continue;  // last, below
        for (const auto& [role, status] : r.expected) {
            INFO(r.method << " " << r.target << " as " << role);
            std::map<std::string, std::string> h;
            if (!f.cookies[role].empty()) h["Cookie"] = f.cookies[role];
            CHECK(s.request(r.method, r.target, r.body, h).status == status);
        }
    }
    // Logout last: it must not end anyone else's session.
    for (const auto& [role, c] : f.cookies) {
        INFO("DELETE /api/session as " << role);
        std::map<std::string, std::string> h;
        if (!c.empty()) h["Cookie"] = c;
        CHECK(s.request("DELETE", "/api/session", {}, h).status == 204);
    }
    CHECK(s.request("GET", "/api/me", {}, {{"Cookie", admin}}).status == 401);
}
