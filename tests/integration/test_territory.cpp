// The territory helper through the real binary, with the real package's communes
// (scripts/install-territory-data.sh): search by name, INSEE code and postal code; the
// summary; errors with their stable codes (nothing stored); two saved CPTS that overlap;
// who may save a CPTS's territory; CSV; the 503 without data.
#include "access_matrix.hpp"
#include "harness.hpp"

#include <catch2/catch.hpp>

#include <thread>

using namespace relais::test;
using json = nlohmann::json;

namespace {

/// Waits until the communes are loaded (imported on a thread of their own at start).
void wait_ready(server& s, const std::string& cookie) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
        auto r = s.request("GET", "/api/territory/meta", {}, {{"Cookie", cookie}});
        REQUIRE(r.status == 200);
        auto status = r.json()["status"].get<std::string>();
        if (status == "ready") return;
        REQUIRE(status == "loading");
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL("the communes were not loaded in time:\n" << s.log());
}

std::int64_t make_org(server& s, const std::string& admin, const std::string& name, const std::string& type) {
    auto r = s.request("POST", "/api/admin/orgs", json{{"name", name}, {"type", type}, {"region", "32"}, {"departements", {"59"}}}.dump(),
                       {{"Cookie", admin}});
    REQUIRE(r.status == 201);
    return r.json()["org"]["id"].get<std::int64_t>();
}

/// A member account of `org` (0: none), signed in.
std::string make_member(server& s, const std::string& admin, const std::string& email, std::int64_t org) {
    json body{{"email", email}, {"name", "Membre " + email}, {"role", "membre"}, {"password", "motdepasse-solide"}};
    if (org) body["org_id"] = org;
    auto r = s.request("POST", "/api/admin/users", body.dump(), {{"Cookie", admin}});
    REQUIRE(r.status == 201);
    return s.login(email, "motdepasse-solide");
}

std::vector<std::string> codes(const json& list) {
    std::vector<std::string> out;
    for (const auto& c : list) out.push_back(c["code"].get<std::string>());
    return out;
}

}  // namespace

TEST_CASE("territory: search as you type by name, INSEE code and postal code", "[territory]") {
    server s;
    auto admin = s.login_admin();
    auto member = s.make_user(admin, "membre@x.fr", "membre");
    wait_ready(s, member);
    auto meta = s.request("GET", "/api/territory/meta", {}, {{"Cookie", member}}).json();
    CHECK(meta["data_year"] == 2026);
    CHECK(meta["data_version"] == "6.0.0");
    CHECK(meta["communes"].get<int>() > 34000);
    auto search = [&](const std::string& q) {
        auto r = s.request("GET", "/api/territory/communes?q=" + url_encode(q), {}, {{"Cookie", member}});
        REQUIRE(r.status == 200);
        auto body = r.json();
        auto list = body["communes"];
        return list;
    };
    auto lille = search("lille");
    REQUIRE_FALSE(lille.empty());
    CHECK(lille[0]["code"] == "59350");
    CHECK(lille[0]["name"] == "Lille");
    CHECK(lille[0]["departement"] == "59");
    CHECK(lille[0]["region"] == "32");
    CHECK(lille[0]["population"].get<std::int64_t>() > 200000);
    CHECK(lille[0]["postcodes"].size() >= 3);
    // Accents, case, "st": the largest Saint-Étienne first.
    CHECK(search("ST ÉTIENNE")[0]["code"] == "42218");
    CHECK(search("saint-etienne")[0]["code"] == "42218");
    CHECK(search("59350")[0]["name"] == "Lille");          // INSEE code
    CHECK(search("59650")[0]["name"] == "Villeneuve-d'Ascq");  // postal code
    CHECK(search("75015")[0]["name"] == "Paris 15e Arrondissement");
    CHECK(search("75056").size() == 20);  // Paris: its arrondissements
    CHECK(search("l").empty());           // one letter: wait for more
    // Bounded: q's length, the number of results.
    CHECK(s.request("GET", "/api/territory/communes?q=" + std::string(101, 'a'), {}, {{"Cookie", member}}).error_code() ==
          "champ_invalide");
    CHECK(s.request("GET", "/api/territory/communes?q=", {}, {{"Cookie", member}}).status == 400);
    CHECK(s.request("GET", "/api/territory/communes?q=sa&limit=500", {}, {{"Cookie", member}}).status == 400);
    CHECK(s.request("GET", "/api/territory/communes?q=sa&limit=50", {}, {{"Cookie", member}}).json()["communes"].size() == 50);
    CHECK(s.request("GET", "/api/territory/communes?q=sa", {}, {{"Cookie", member}}).json()["communes"].size() == 20);
}

TEST_CASE("territory: summary of a territory, bad input refused with stable codes", "[territory]") {
    server s;
    auto admin = s.login_admin();
    auto member = s.make_user(admin, "membre@x.fr", "membre");
    wait_ready(s, member);
    auto post = [&](const json& body) { return s.request("POST", "/api/territory/summary", body.dump(), {{"Cookie", member}}); };

    // Lille + Villeneuve-d'Ascq: taille 4 (over 175 000).
    auto r = post({{"communes", {"59350", "59009"}}});
    REQUIRE(r.status == 200);
    auto sum = r.json();
    auto pop = sum["population"].get<std::int64_t>();
    CHECK(pop > 175000);
    CHECK(sum["size"] == 4);
    CHECK(sum["seed_funding_eur"] == 44000);
    CHECK(sum["coordinator_funding_eur"] == 24000);
    CHECK(sum["data_year"] == 2026);
    REQUIRE(sum["departements"].size() == 1);
    CHECK(sum["departements"][0]["code"] == "59");
    CHECK(sum["departements"][0]["name"] == "Nord");
    CHECK(sum["regions"][0]["name"] == "Hauts-de-France");
    CHECK(sum["overlaps"].empty());
    // A small one: taille 1; across two régions.
    auto small = post({{"communes", {"01001", "59001"}}}).json();
    CHECK(small["size"] == 1);
    CHECK(small["seed_funding_eur"] == 34000);
    CHECK(small["regions"].size() == 2);
    // Paris by arrondissement: the 20 arrondissements add up to Paris, never counted twice.
    json paris = json::array();
    for (int i = 1; i <= 20; ++i) paris.push_back(std::to_string(75100 + i));
    auto p = post({{"communes", paris}}).json();
    CHECK(p["population"].get<std::int64_t>() > 2000000);
    CHECK(p["population"].get<std::int64_t>() < 2300000);

    auto bad = post({{"communes", {"59350", "99999"}}});
    CHECK(bad.status == 400);
    CHECK(bad.error_code() == "commune_inconnue");
    CHECK(bad.json()["error"]["field"] == "communes");
    CHECK(bad.json()["error"]["message"].get<std::string>().find("99999") != std::string::npos);
    CHECK(post({{"communes", {"75056"}}}).error_code() == "commune_par_arrondissement");
    CHECK(post({{"communes", {"Lille"}}}).error_code() == "commune_inconnue");
    CHECK(post({{"communes", json::array()}}).error_code() == "territoire_vide");
    CHECK(post({{"communes", "59350"}}).error_code() == "champ_invalide");
    CHECK(post(json::object()).error_code() == "champ_invalide");
    json many = json::array();
    for (int i = 0; i < 1001; ++i) many.push_back(std::to_string(10000 + i));
    auto big = post({{"communes", many}});
    CHECK(big.status == 400);
    CHECK(big.error_code() == "trop_de_communes");
    // (Bodies beyond limits.body_max_bytes are refused before they are read: test_http.cpp.)

    auto csv = s.request("GET", "/api/territory/export?communes=59350,59009", {}, {{"Cookie", member}});
    CHECK(csv.status == 200);
    CHECK(csv.header("content-type").find("text/csv") == 0);
    CHECK(csv.body.find("59350;Lille;") != std::string::npos);
    CHECK(csv.body.find("taille;4") != std::string::npos);
    CHECK(s.request("GET", "/api/territory/export?communes=59350,12", {}, {{"Cookie", member}}).error_code() == "commune_inconnue");
}

TEST_CASE("territory: two saved CPTS overlap, who may save, nothing stored on error", "[territory]") {
    server s;
    auto admin = s.login_admin();
    auto centre = make_org(s, admin, "CPTS Lille Centre", "cpts");
    auto est = make_org(s, admin, "CPTS Métropole Est", "cpts");
    auto cpam = make_org(s, admin, "CPAM Test", "cpam");
    auto member_centre = make_member(s, admin, "centre@x.fr", centre);
    auto member_none = make_member(s, admin, "seul@x.fr", 0);
    auto animateur = s.make_user(admin, "anim@x.fr", "animateur");
    wait_ready(s, admin);
    auto put = [&](std::int64_t org, const json& communes, const std::string& cookie) {
        return s.request("PUT", "/api/territory/cpts/" + std::to_string(org), json{{"communes", communes}}.dump(), {{"Cookie", cookie}});
    };

    // A member of the CPTS saves its territory; an animateur saves the other.
    auto saved = put(centre, {"59350", "59009"}, member_centre);
    REQUIRE(saved.status == 200);
    CHECK(saved.json()["summary"]["overlaps"].empty());
    auto second = put(est, {"59009", "59599"}, animateur);
    REQUIRE(second.status == 200);
    auto ov = second.json()["summary"]["overlaps"];
    REQUIRE(ov.size() == 1);
    CHECK(ov[0]["org_id"] == centre);
    CHECK(ov[0]["name"] == "CPTS Lille Centre");
    CHECK(codes(ov[0]["communes"]) == std::vector<std::string>{"59009"});
    // A saved territory is the organisation's: it is not deleted with it, nor does it stop
    // being a CPTS (its members aside, the territory alone keeps it).
    auto gone = s.request("DELETE", "/api/admin/orgs/" + std::to_string(est), {}, {{"Cookie", admin}});
    CHECK(gone.error_code() == "organisation_utilisee");
    CHECK(gone.json()["error"]["message"].get<std::string>().find("son territoire (2") != std::string::npos);
    CHECK(s.request("PATCH", "/api/admin/orgs/" + std::to_string(est), json{{"type", "autre"}}.dump(), {{"Cookie", admin}})
              .error_code() == "organisation_utilisee");

    // Anyone signed in sees a saved territory and its overlaps, and the summary of a draft
    // lists the CPTS already there.
    auto got = s.request("GET", "/api/territory/cpts/" + std::to_string(centre), {}, {{"Cookie", member_none}});
    REQUIRE(got.status == 200);
    auto g = got.json();
    CHECK(g["org"]["name"] == "CPTS Lille Centre");
    CHECK(g["may_edit"] == false);
    CHECK(codes(g["communes"]) == std::vector<std::string>{"59009", "59350"});
    CHECK(g["summary"]["overlaps"][0]["org_id"] == est);
    CHECK(g["updated_by"]["name"] == "Membre centre@x.fr");
    // A timestamp as every other: ISO 8601 in UTC.
    REQUIRE(g["updated_at"].is_string());
    CHECK(g["updated_at"].get<std::string>().size() == 20);
    CHECK(g["updated_at"].get<std::string>().back() == 'Z');
    auto draft = s.request("POST", "/api/territory/summary", json{{"communes", {"59009"}}}.dump(), {{"Cookie", member_none}}).json();
    CHECK(draft["overlaps"].size() == 2);
    auto own = s.request("POST", "/api/territory/summary", json{{"communes", {"59009"}}, {"org_id", centre}}.dump(), {{"Cookie", member_none}})
                   .json();
    REQUIRE(own["overlaps"].size() == 1);
    CHECK(own["overlaps"][0]["org_id"] == est);
    // The CSV of the same list says the same: the CPTS does not overlap itself.
    auto export_of = [&](const std::string& tail) {
        return s.request("GET", "/api/territory/export?communes=59009" + tail, {}, {{"Cookie", member_none}});
    };
    CHECK(export_of("").body.find("CPTS Lille Centre") != std::string::npos);
    auto own_csv = export_of("&org_id=" + std::to_string(centre));
    REQUIRE(own_csv.status == 200);
    CHECK(own_csv.body.find("CPTS Lille Centre") == std::string::npos);
    CHECK(own_csv.body.find("CPTS Métropole Est") != std::string::npos);
    for (const char* bad_id : {"abc", "-1", "0", "01"}) CHECK(export_of(std::string("&org_id=") + bad_id).error_code() == "champ_invalide");
    auto list = s.request("GET", "/api/territory/cpts", {}, {{"Cookie", member_centre}}).json()["territories"];
    REQUIRE(list.size() == 2);
    CHECK(list[0]["may_edit"] == true);
    CHECK(list[1]["may_edit"] == false);

    // Not a member of that CPTS: refused, nothing changes.
    auto refused = put(est, {"59350"}, member_centre);
    CHECK(refused.status == 403);
    CHECK(refused.error_code() == "pas_membre_cpts");
    CHECK(put(centre, {"59350"}, member_none).error_code() == "pas_membre_cpts");
    CHECK(put(cpam, {"59350"}, admin).error_code() == "cpts_introuvable");
    CHECK(put(9999, {"59350"}, admin).status == 404);
    // A bad code anywhere in the list: nothing stored.
    auto bad = put(centre, {"59350", "00000"}, member_centre);
    CHECK(bad.error_code() == "commune_inconnue");
    auto after = s.request("GET", "/api/territory/cpts/" + std::to_string(centre), {}, {{"Cookie", admin}}).json();
    CHECK(codes(after["communes"]) == std::vector<std::string>{"59009", "59350"});

    auto csv = s.request("GET", "/api/territory/cpts/" + std::to_string(centre) + "/export", {}, {{"Cookie", member_none}});
    CHECK(csv.status == 200);
    CHECK(csv.body.find("territoire;CPTS Lille Centre") != std::string::npos);
    CHECK(csv.body.find("chevauchement;CPTS Métropole Est;Villeneuve-d'Ascq") != std::string::npos);

    // An empty list forgets the territory: no more overlap.
    CHECK(put(est, json::array(), admin).status == 200);
    auto alone = s.request("GET", "/api/territory/cpts/" + std::to_string(centre), {}, {{"Cookie", admin}}).json();
    CHECK(alone["summary"]["overlaps"].empty());
    CHECK(s.request("GET", "/api/territory/cpts/" + std::to_string(est) + "/export", {}, {{"Cookie", admin}}).status == 404);
}

TEST_CASE("territory: without the package, the server runs and the routes say why (503)", "[territory]") {
    temp_dir empty;
    server s({"--set", "territory.package_dir=" + (empty.path() / "absent").string()});
    auto admin = s.login_admin();
    std::string status = "loading";
    for (int i = 0; i < 200 && status == "loading"; ++i) {
        status = s.request("GET", "/api/territory/meta", {}, {{"Cookie", admin}}).json()["status"].get<std::string>();
        if (status == "loading") std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    CHECK(status == "missing");
    auto r = s.request("GET", "/api/territory/communes?q=lille", {}, {{"Cookie", admin}});
    CHECK(r.status == 503);
    CHECK(r.error_code() == "communes_indisponibles");
    CHECK(s.log().find("territory_data_missing") != std::string::npos);
    CHECK(s.request("GET", "/healthz").status == 200);
}

RELAIS_ACCESS_ROWS("territory", [](relais::test::access_fixture&) {
    using relais::test::by_role;
    // Answers that do not depend on whether the communes are loaded yet: input is checked,
    // and organisations looked up, before the communes are needed.
    return std::vector<relais::test::access_row>{
        {"GET", "/api/territory/meta", "signed_in", "/api/territory/meta", "", by_role(401, 200, 200, 200)},
        {"GET", "/api/territory/communes", "signed_in", "/api/territory/communes?q=", "", by_role(401, 400, 400, 400)},
        {"POST", "/api/territory/summary", "signed_in", "/api/territory/summary", "{}", by_role(401, 400, 400, 400)},
        {"GET", "/api/territory/export", "signed_in", "/api/territory/export", "", by_role(401, 400, 400, 400)},
        {"GET", "/api/territory/cpts", "signed_in", "/api/territory/cpts", "", by_role(401, 200, 200, 200)},
        {"GET", "/api/territory/cpts/{id}", "signed_in", "/api/territory/cpts/999", "", by_role(401, 404, 404, 404)},
        // Signed in; then an admin, an animateur or a member of that CPTS (checked by the handler).
        {"PUT", "/api/territory/cpts/{id}", "signed_in", "/api/territory/cpts/999", "{\"communes\":[]}", by_role(401, 404, 404, 404)},
        {"GET", "/api/territory/cpts/{id}/export", "signed_in", "/api/territory/cpts/999/export", "", by_role(401, 404, 404, 404)},
    };
});
