// Accounts, sessions, organisations and the access matrix, over HTTP.
#include "access_matrix.hpp"
#include "harness.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <set>
#include <sstream>
#include <thread>

using relais::test::server;
using json = nlohmann::json;
using headers = std::map<std::string, std::string>;

TEST_CASE("login, me, logout", "[auth]") {
    server s;
    REQUIRE_FALSE(s.admin_password().empty());
    CHECK(s.request("GET", "/api/me").status == 401);

    auto bad = s.request("POST", "/api/session", json{{"email", "admin@relais.local"}, {"password", "pas le bon mot"}}.dump());
    CHECK(bad.status == 401);
    CHECK(bad.error_code() == "identifiants_invalides");
    CHECK(bad.header("set-cookie").empty());
    auto unknown = s.request("POST", "/api/session", json{{"email", "personne@nulle.part"}, {"password", "pas le bon mot"}}.dump());
    CHECK(unknown.status == 401);
    CHECK(unknown.body == bad.body);  // no account enumeration

    auto ok = s.request("POST", "/api/session", json{{"email", " Admin@Relais.LOCAL "}, {"password", s.admin_password()}}.dump());
    REQUIRE(ok.status == 200);
    CHECK(ok.json()["user"]["role"] == "admin");
    CHECK_FALSE(ok.json()["user"].contains("password_hash"));
    auto cookie = ok.header("set-cookie");
    CHECK(cookie.find("relais_session=") == 0);
    CHECK(cookie.find("HttpOnly") != std::string::npos);
    CHECK(cookie.find("SameSite=Strict") != std::string::npos);
    CHECK(cookie.find("Secure") == std::string::npos);  // plain http on loopback
    auto c = cookie.substr(0, cookie.find(';'));

    auto me = s.request("GET", "/api/me", {}, {{"Cookie", c}});
    CHECK(me.status == 200);
    CHECK(me.json()["user"]["email"] == "admin@relais.local");

    CHECK(s.request("GET", "/api/me", {}, {{"Cookie", "relais_session=forged-token"}}).status == 401);
    // A foreign cookie of the same name before ours (set by a sibling site) signs no one out.
    CHECK(s.request("GET", "/api/me", {}, {{"Cookie", "relais_session=forged-token; " + c}}).status == 200);

    auto out = s.request("DELETE", "/api/session", {}, {{"Cookie", c}});
    CHECK(out.status == 204);
    CHECK(out.header("set-cookie").find("Max-Age=0") != std::string::npos);
    CHECK(s.request("GET", "/api/me", {}, {{"Cookie", c}}).status == 401);
}

TEST_CASE("secure cookie behind a trusted TLS proxy", "[auth]") {
    server s({"--set", "server.trusted_proxies=127.0.0.1"});
    auto r = s.request("POST", "/api/session", json{{"email", "admin@relais.local"}, {"password", s.admin_password()}}.dump(),
                       {{"X-Forwarded-Proto", "https"}, {"X-Forwarded-For", "203.0.113.7"}});
    REQUIRE(r.status == 200);
    CHECK(r.header("set-cookie").find("; Secure") != std::string::npos);
    CHECK(r.header("strict-transport-security").find("max-age=") == 0);
    CHECK(s.log().find("\"addr\":\"203.0.113.7\"") != std::string::npos);
    // The cookies that clear the session's and a guest's are Secure too, as they were set.
    auto cookie = r.header("set-cookie").substr(0, r.header("set-cookie").find(';'));
    auto out = s.request("DELETE", "/api/session", {}, {{"Cookie", cookie}, {"X-Forwarded-Proto", "https"}});
    CHECK(out.header("set-cookie").find("; Secure") != std::string::npos);
    auto guest_out = s.request("DELETE", "/api/invites/session", {}, {{"X-Forwarded-Proto", "https"}});
    CHECK(guest_out.status == 204);
    CHECK(guest_out.header("set-cookie").find("; Secure") != std::string::npos);

    server untrusted;
    auto u = untrusted.request("POST", "/api/session", json{{"email", "admin@relais.local"}, {"password", untrusted.admin_password()}}.dump(),
                               {{"X-Forwarded-Proto", "https"}, {"X-Forwarded-For", "203.0.113.7"}});
    CHECK(u.header("set-cookie").find("Secure") == std::string::npos);
    CHECK(untrusted.log().find("203.0.113.7") == std::string::npos);
}

TEST_CASE("login throttling per account and per address", "[auth][limits]") {
    server s({"--set", "auth.max_failures_per_account=3", "--set", "auth.max_failures_per_address=6"});
    auto attempt = [&](const std::string& email, const std::string& pw) {
        return s.request("POST", "/api/session", json{{"email", email}, {"password", pw}}.dump());
    };
    for (int i = 0; i < 3; ++i) CHECK(attempt("admin@relais.local", "mauvais-mot-de-passe").status == 401);
    auto locked = attempt("admin@relais.local", s.admin_password());
    CHECK(locked.status == 429);
    CHECK(locked.error_code() == "trop_de_tentatives");
    CHECK(std::stoi(locked.header("retry-after")) > 0);
    // Other accounts from this address still have their own budget, up to the address limit.
    for (int i = 0; i < 3; ++i) CHECK(attempt("autre@relais.local", "mauvais-mot-de-passe").status == 401);
    CHECK(attempt("troisieme@relais.local", "mauvais-mot-de-passe").status == 429);
}

TEST_CASE("administration of users and organisations", "[auth][admin]") {
    server s;
    auto admin = s.login_admin();
    headers h{{"Cookie", admin}};

    auto orgs = s.request("GET", "/api/orgs", {}, h).json()["orgs"];
    CHECK(orgs.size() >= 10);  // seed content loaded on first start

    auto org = s.request("POST", "/api/admin/orgs",
                         json{{"name", "CPTS du Val de Sambre"}, {"type", "cpts"}, {"region", "32"}, {"departements", {"59"}}}.dump(), h);
    REQUIRE(org.status == 201);
    auto org_id = org.json()["org"]["id"].get<long long>();
    auto same_org = s.request("POST", "/api/admin/orgs", json{{"name", "cpts du val de sambre"}, {"type", "cpts"}, {"region", "32"}}.dump(), h);
    CHECK(same_org.error_code() == "organisation_existe");
    CHECK(same_org.json()["error"]["field"] == "name");
    auto wrong_dep = s.request("POST", "/api/admin/orgs", json{{"name", "X"}, {"type", "cpts"}, {"region", "32"}, {"departements", {"75"}}}.dump(), h);
    CHECK(wrong_dep.status == 400);
    CHECK(wrong_dep.json()["error"]["field"] == "departements");
    CHECK(s.request("POST", "/api/admin/orgs", json{{"name", "Y"}, {"type", "clinique"}}.dump(), h).json()["error"]["field"] == "type");
    CHECK(s.request("POST", "/api/admin/orgs", json{{"name", "Z"}, {"type", "ars"}, {"region", "99"}}.dump(), h).json()["error"]["field"] == "region");

    auto created = s.request("POST", "/api/admin/users",
                             json{{"email", "coord@cpts-sambre.fr"}, {"name", "Claire Coordinatrice"}, {"role", "membre"},
                                  {"org_id", org_id}, {"password", "une phrase de passe"}}.dump(), h);
    REQUIRE(created.status == 201);
    auto uid = created.json()["user"]["id"].get<long long>();
    CHECK(created.json()["user"]["org"]["name"] == "CPTS du Val de Sambre");
    auto same_email = s.request("POST", "/api/admin/users",
                                json{{"email", "COORD@cpts-sambre.fr"}, {"name", "Doublon"}, {"role", "membre"}, {"password", "une phrase de passe"}}.dump(), h);
    CHECK(same_email.error_code() == "email_deja_utilise");
    CHECK(same_email.json()["error"]["field"] == "email");
    CHECK(s.request("POST", "/api/admin/users", json{{"email", "court@x.fr"}, {"name", "Court"}, {"role", "membre"}, {"password", "court"}}.dump(), h)
              .error_code() == "mot_de_passe_faible");
    CHECK(s.request("POST", "/api/admin/users", json{{"email", "pas-un-email"}, {"name", "N"}, {"role", "membre"}, {"password", "une phrase de passe"}}.dump(), h)
              .json()["error"]["field"] == "email");
    CHECK(s.request("POST", "/api/admin/users", json{{"email", "r@x.fr"}, {"name", "N"}, {"role", "roi"}, {"password", "une phrase de passe"}}.dump(), h)
              .json()["error"]["field"] == "role");
    CHECK(s.request("POST", "/api/admin/users", json{{"email", "o@x.fr"}, {"name", "N"}, {"role", "membre"}, {"org_id", 99999}, {"password", "une phrase de passe"}}.dump(), h)
              .json()["error"]["field"] == "org_id");

    // An organisation with members cannot be deleted.
    CHECK(s.request("DELETE", "/api/admin/orgs/" + std::to_string(org_id), {}, h).error_code() == "organisation_utilisee");

    auto member = s.login("coord@cpts-sambre.fr", "une phrase de passe");
    CHECK(s.request("GET", "/api/me", {}, {{"Cookie", member}}).status == 200);

    auto promoted = s.request("PATCH", "/api/admin/users/" + std::to_string(uid), json{{"role", "animateur"}, {"name", "   "}}.dump(), h);
    CHECK(promoted.json()["user"]["role"] == "animateur");
    CHECK_FALSE(promoted.json()["user"]["name"].get<std::string>().empty());  // a blank name is no change
    // A form sent whole with its password left empty changes no password: the session stays.
    for (const auto& blank : {json(""), json(nullptr)})
        CHECK(s.request("PATCH", "/api/admin/users/" + std::to_string(uid), json{{"name", "Claire"}, {"password", blank}}.dump(), h).status == 200);
    CHECK(s.request("GET", "/api/me", {}, {{"Cookie", member}}).status == 200);
    CHECK(s.request("PATCH", "/api/admin/users/" + std::to_string(uid), json{{"password", "court"}}.dump(), h).error_code() ==
          "mot_de_passe_faible");
    CHECK(s.request("PATCH", "/api/admin/users/424242", json{{"role", "animateur"}}.dump(), h).status == 404);
    CHECK(s.request("PATCH", "/api/admin/users/abc", json{{"role", "animateur"}}.dump(), h).status == 404);

    // Deactivation ends the account's sessions at once.
    CHECK(s.request("PATCH", "/api/admin/users/" + std::to_string(uid), json{{"active", false}}.dump(), h).status == 200);
    CHECK(s.request("GET", "/api/me", {}, {{"Cookie", member}}).status == 401);
    // Told so only with the right password; a wrong one is a wrong one.
    CHECK(s.request("POST", "/api/session", json{{"email", "coord@cpts-sambre.fr"}, {"password", "une phrase de passe"}}.dump())
              .error_code() == "compte_desactive");
    CHECK(s.request("POST", "/api/session", json{{"email", "coord@cpts-sambre.fr"}, {"password", "pas la bonne phrase"}}.dump())
              .error_code() == "identifiants_invalides");
    // The members directory lists active accounts only, without their e-mail addresses.
    auto directory = s.request("GET", "/api/users", {}, h).json()["users"];
    REQUIRE_FALSE(directory.empty());
    for (const auto& entry : directory) {
        CHECK_FALSE(entry.contains("email"));
        CHECK(entry["id"].get<long long>() != uid);
    }

    // The last active admin cannot demote or deactivate themself.
    auto me_id = s.request("GET", "/api/me", {}, h).json()["user"]["id"].get<long long>();
    auto demoted = s.request("PATCH", "/api/admin/users/" + std::to_string(me_id), json{{"role", "membre"}}.dump(), h);
    CHECK(demoted.error_code() == "dernier_admin");
    CHECK(demoted.json()["error"]["field"] == "role");
    auto deactivated = s.request("PATCH", "/api/admin/users/" + std::to_string(me_id), json{{"active", false}}.dump(), h);
    CHECK(deactivated.error_code() == "dernier_admin");
    CHECK(deactivated.json()["error"]["field"] == "active");

    // An organisation without members can be edited and deleted.
    auto empty = s.request("POST", "/api/admin/orgs", json{{"name", "Fédération test"}, {"type", "federation"}}.dump(), h).json()["org"]["id"].get<long long>();
    auto edited = s.request("PATCH", "/api/admin/orgs/" + std::to_string(empty), json{{"region", "11"}, {"departements", {"75", "93"}}}.dump(), h);
    CHECK(edited.status == 200);
    CHECK(edited.json()["org"]["departements"] == json({"75", "93"}));
    // A blank string in a change is an absent one: nothing changes.
    auto blank = s.request("PATCH", "/api/admin/orgs/" + std::to_string(empty), json{{"name", "  "}, {"region", " "}}.dump(), h);
    REQUIRE(blank.status == 200);
    CHECK(blank.json()["org"]["name"] == "Fédération test");
    CHECK(blank.json()["org"]["region"] == "11");
    CHECK(s.request("DELETE", "/api/admin/orgs/" + std::to_string(empty), {}, h).status == 204);
    CHECK(s.request("DELETE", "/api/admin/orgs/" + std::to_string(empty), {}, h).status == 404);
}

TEST_CASE("own account: name and password", "[auth]") {
    server s;
    auto admin = s.login_admin();
    auto member = s.make_user(admin, "marie@msa.fr", "membre");
    auto second_session = s.login("marie@msa.fr", "motdepasse-solide");
    headers h{{"Cookie", member}};
    // An administrator chose this password: the person is asked to choose theirs.
    CHECK(s.request("GET", "/api/me", {}, h).json()["user"]["password_to_change"] == true);

    CHECK(s.request("PATCH", "/api/me", json{{"name", "   "}}.dump(), h).json()["error"]["field"] == "name");
    CHECK(s.request("PATCH", "/api/me", json{{"name", std::string(200, 'a')}}.dump(), h).json()["error"]["field"] == "name");
    CHECK(s.request("PATCH", "/api/me", json{{"name", "Marie Curie"}}.dump(), h).json()["user"]["name"] == "Marie Curie");

    CHECK(s.request("POST", "/api/me/password", json{{"current_password", "faux faux faux"}, {"new_password", "nouvelle phrase"}}.dump(), h)
              .error_code() == "mot_de_passe_incorrect");
    CHECK(s.request("POST", "/api/me/password", json{{"current_password", "motdepasse-solide"}, {"new_password", "motdepasse-solide"}}.dump(), h)
              .error_code() == "mot_de_passe_faible");  // the same again
    CHECK(s.request("POST", "/api/me/password", json{{"current_password", "motdepasse-solide"}, {"new_password", "court"}}.dump(), h)
              .error_code() == "mot_de_passe_faible");
    CHECK(s.request("POST", "/api/me/password", json{{"current_password", "motdepasse-solide"}, {"new_password", "nouvelle phrase"}}.dump(), h)
              .status == 204);
    // This session stays, the others end; the new password works.
    CHECK(s.request("GET", "/api/me", {}, h).status == 200);
    CHECK(s.request("GET", "/api/me", {}, h).json()["user"]["password_to_change"] == false);
    CHECK(s.request("GET", "/api/me", {}, {{"Cookie", second_session}}).status == 401);
    CHECK_NOTHROW(s.login("marie@msa.fr", "nouvelle phrase"));
    // Set again by an administrator: to be changed again.
    auto uid = s.request("GET", "/api/me", {}, h).json()["user"]["id"].get<long long>();
    REQUIRE(s.request("PATCH", "/api/admin/users/" + std::to_string(uid), json{{"password", "phrase de l'admin"}}.dump(), {{"Cookie", admin}})
                .status == 200);
    auto again = s.login("marie@msa.fr", "phrase de l'admin");
    CHECK(s.request("GET", "/api/me", {}, {{"Cookie", again}}).json()["user"]["password_to_change"] == true);
}

TEST_CASE("own account: guessing the current password is throttled as signing in is", "[auth]") {
    server s({"--set", "auth.max_failures_per_account=3"});
    auto admin = s.login_admin();
    auto member = s.make_user(admin, "paul@msa.fr", "membre");
    headers h{{"Cookie", member}};
    auto attempt = [&](const char* current) {
        return s.request("POST", "/api/me/password", json{{"current_password", current}, {"new_password", "une autre phrase"}}.dump(), h);
    };
    for (int i = 0; i < 3; ++i) CHECK(attempt("devine devine").error_code() == "mot_de_passe_incorrect");
    // Free failures spent: the next attempt waits, even with the right password.
    auto slowed = attempt("motdepasse-solide");
    CHECK(slowed.status == 429);
    CHECK(slowed.error_code() == "trop_de_tentatives");
    CHECK(std::stoi(slowed.header("retry-after")) >= 1);
    // The same counters as signing in: the account is slowed there too, from this address.
    CHECK(s.request("POST", "/api/session", json{{"email", "paul@msa.fr"}, {"password", "motdepasse-solide"}}.dump()).status == 429);
    // Nothing changed: the password is still the old one once the wait is over (not waited here).
    CHECK(s.request("GET", "/api/me", {}, h).status == 200);
}

// The auth module's rows of the access matrix (test_access.cpp).
RELAIS_ACCESS_ROWS("auth", [](relais::test::access_fixture&) {
    using relais::test::all;
    using relais::test::by_role;
    const std::string upd = json{{"name", "Nom"}}.dump();
    return std::vector<relais::test::access_row>{
        {"POST", "/api/session", "anyone", "/api/session", "{}", all(400)},
        {"DELETE", "/api/session", "anyone", "/api/session", "", all(204)},
        {"GET", "/api/me", "signed_in", "/api/me", "", by_role(401, 200, 200, 200)},
        {"PATCH", "/api/me", "signed_in", "/api/me", upd, by_role(401, 200, 200, 200)},
        {"POST", "/api/me/password", "signed_in", "/api/me/password", "{}", by_role(401, 400, 400, 400)},
        {"GET", "/api/orgs", "signed_in", "/api/orgs", "", by_role(401, 200, 200, 200)},
        {"GET", "/api/users", "animateur", "/api/users", "", by_role(401, 403, 200, 200)},
        {"GET", "/api/admin/users", "admin", "/api/admin/users", "", by_role(401, 403, 403, 200)},
        {"POST", "/api/admin/users", "admin", "/api/admin/users", "{}", by_role(401, 403, 403, 400)},
        {"PATCH", "/api/admin/users/{id}", "admin", "/api/admin/users/999", upd, by_role(401, 403, 403, 404)},
        {"POST", "/api/admin/orgs", "admin", "/api/admin/orgs", "{}", by_role(401, 403, 403, 400)},
        {"PATCH", "/api/admin/orgs/{id}", "admin", "/api/admin/orgs/999", upd, by_role(401, 403, 403, 404)},
        {"DELETE", "/api/admin/orgs/{id}", "admin", "/api/admin/orgs/999", "", by_role(401, 403, 403, 404)},
    };
});

TEST_CASE("e-mail addresses: one account per address whatever its case, changed by an administrator", "[auth][admin]") {
    server s;
    auto admin = s.login_admin();
    headers h{{"Cookie", admin}};
    auto create = [&](const std::string& email) {
        return s.request("POST", "/api/admin/users",
                         json{{"email", email}, {"name", "Élodie"}, {"role", "membre"}, {"password", "une phrase de passe"}}.dump(), h);
    };
    auto first = create("élodie@exemple.fr");
    REQUIRE(first.status == 201);
    auto id = first.json()["user"]["id"].get<long long>();
    // Case is folded beyond ASCII: É and é are one address.
    auto second = create("ÉLODIE@Exemple.FR");
    CHECK(second.error_code() == "email_deja_utilise");
    CHECK(second.json()["error"]["field"] == "email");
    CHECK_NOTHROW(s.login("ÉLODIE@EXEMPLE.FR", "une phrase de passe"));

    // An administrator corrects an address; another account's, in any case, is refused.
    auto other = s.make_user(admin, "zoe@exemple.fr", "membre");
    auto moved = s.request("PATCH", "/api/admin/users/" + std::to_string(id), json{{"email", "Elodie.Martin@Exemple.fr"}}.dump(), h);
    REQUIRE(moved.status == 200);
    CHECK(moved.json()["user"]["email"] == "elodie.martin@exemple.fr");
    CHECK_NOTHROW(s.login("elodie.martin@exemple.fr", "une phrase de passe"));
    CHECK(s.request("POST", "/api/session", json{{"email", "élodie@exemple.fr"}, {"password", "une phrase de passe"}}.dump()).status == 401);
    auto clash = s.request("PATCH", "/api/admin/users/" + std::to_string(id), json{{"email", "ZOE@exemple.fr"}, {"name", "Autre"}}.dump(), h);
    CHECK(clash.error_code() == "email_deja_utilise");
    CHECK(clash.json()["error"]["field"] == "email");
    CHECK(s.request("PATCH", "/api/admin/users/" + std::to_string(id), json{{"email", "pas-une-adresse"}}.dump(), h)
              .json()["error"]["field"] == "email");
    // Refused changes changed nothing (the name either); blanks leave fields as they are.
    auto kept = s.request("PATCH", "/api/admin/users/" + std::to_string(id), json{{"email", ""}, {"role", ""}, {"name", ""}}.dump(), h);
    REQUIRE(kept.status == 200);
    CHECK(kept.json()["user"]["email"] == "elodie.martin@exemple.fr");
    CHECK(kept.json()["user"]["role"] == "membre");
    CHECK(kept.json()["user"]["name"] == "Élodie");
    (void)other;
}

TEST_CASE("an organisation something refers to is not deleted, and a workshop's CPTS stays a CPTS", "[auth][admin][workshops]") {
    server s;
    auto admin = s.login_admin();
    headers h{{"Cookie", admin}};
    auto org = s.request("POST", "/api/admin/orgs",
                         json{{"name", "CPTS Éphémère"}, {"type", "cpts"}, {"region", "32"}, {"departements", {"62"}}}.dump(), h);
    REQUIRE(org.status == 201);
    auto org_id = org.json()["org"]["id"].get<long long>();
    auto partner = s.request("POST", "/api/admin/orgs", json{{"name", "Partenaire seul"}, {"type", "autre"}}.dump(), h)
                       .json()["org"]["id"].get<long long>();
    auto w = s.request("POST", "/api/workshops",
                       json{{"title", "Atelier"}, {"stage", "projet_sante"}, {"template", "swot"}, {"cpts_id", org_id},
                            {"partner_ids", {partner}}}.dump(), h);
    REQUIRE(w.status == 201);

    auto refused = s.request("DELETE", "/api/admin/orgs/" + std::to_string(org_id), {}, h);
    CHECK(refused.error_code() == "organisation_utilisee");
    CHECK(refused.json()["error"]["message"].get<std::string>().find("1 atelier") != std::string::npos);
    auto as_partner = s.request("DELETE", "/api/admin/orgs/" + std::to_string(partner), {}, h);
    CHECK(as_partner.error_code() == "organisation_utilisee");
    auto retyped = s.request("PATCH", "/api/admin/orgs/" + std::to_string(org_id), json{{"type", "cpam"}}.dump(), h);
    CHECK(retyped.error_code() == "organisation_utilisee");
    CHECK(retyped.json()["error"]["field"] == "type");
    // A partner is no CPTS: its type may change.
    CHECK(s.request("PATCH", "/api/admin/orgs/" + std::to_string(partner), json{{"type", "federation"}}.dump(), h).status == 200);

    // Nothing was lost: the workshop keeps its CPTS and its partner.
    auto wid = w.json()["workshop"]["id"].get<long long>();
    auto kept = s.request("GET", "/api/workshops/" + std::to_string(wid), {}, h).json()["workshop"];
    CHECK(kept["cpts"]["id"] == org_id);
    CHECK(kept["partners"].size() == 1);
    CHECK(s.request("GET", "/api/orgs", {}, h).body.find("CPTS Éphémère") != std::string::npos);
}

TEST_CASE("sign-ins at the same moment to one account with the right password all get in", "[auth][limits]") {
    server s({"--set", "auth.max_failures_per_account=3"});
    std::vector<std::thread> browsers;
    std::atomic<int> in{0}, throttled{0};
    for (int i = 0; i < 10; ++i)
        browsers.emplace_back([&] {
            auto r = s.request("POST", "/api/session", json{{"email", "admin@relais.local"}, {"password", s.admin_password()}}.dump());
            if (r.status == 200) ++in;
            if (r.status == 429) ++throttled;
        });
    for (auto& b : browsers) b.join();
    CHECK(in == 10);
    CHECK(throttled == 0);
    // Guesses at the same moment wait their turn: past the free failures, the throttle.
    std::atomic<int> refused{0}, wrong{0};
    browsers.clear();
    for (int i = 0; i < 6; ++i)
        browsers.emplace_back([&] {
            auto r = s.request("POST", "/api/session", json{{"email", "admin@relais.local"}, {"password", "pas le bon mot"}}.dump());
            if (r.status == 401) ++wrong;
            if (r.status == 429) ++refused;
        });
    for (auto& b : browsers) b.join();
    CHECK(wrong == 3);
    CHECK(refused == 3);
}
