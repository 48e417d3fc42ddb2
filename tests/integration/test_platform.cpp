// The platform's shared machinery through the real binary: notifications (the bell, pushed
// live), e-mail through the outbox to an SMTP server, the scheduler's jobs, /api/meta.
#include "../fixtures/smtp_sink.hpp"
#include "harness.hpp"

#include <map>
#include <catch2/catch.hpp>

#include <csignal>
#include <thread>

using relais::test::server;
using relais::test::smtp_sink;
using relais::test::ws_client;
using json = nlohmann::json;

namespace {

std::vector<std::string> mail_args(unsigned short port) {
    return {"--set", "mail.smtp_host=127.0.0.1", "--set", "mail.smtp_port=" + std::to_string(port),
            "--set", "mail.smtp_tls=none",       "--set", "mail.from_address=relais@reseau-cpts.test",
            "--set", "mail.interval_s=1"};
}

bool sent_to(const std::vector<smtp_sink::mail>& mails, const std::string& address, const std::string& needle) {
    for (const auto& m : mails)
        for (const auto& to : m.to)
            if (to == address && m.data.find(needle) != std::string::npos) return true;
    return false;
}

// The next message of a socket that is not a presence or welcome message.
std::optional<json> next_of_type(ws_client& ws, const std::string& type) {
    for (int i = 0; i < 20; ++i) {
        auto m = ws.read(std::chrono::seconds(5));
        if (!m) return std::nullopt;
        auto j = json::parse(*m, nullptr, false);
        if (j.is_object() && j.value("type", "") == type) return j;
    }
    return std::nullopt;
}

}  // namespace

TEST_CASE("notifications: the review loop tells reviewers and authors, in the app, live and by e-mail", "[platform][notifications]") {
    smtp_sink sink(std::map<std::string, std::string>{{"refus@x.fr", "550 5.1.1 No such user"}});
    server s(mail_args(sink.port()));
    auto admin = s.login_admin();
    auto author = s.make_user(admin, "auteur@x.fr", "membre");
    auto reviewer = s.make_user(admin, "relecteur@x.fr", "animateur");
    s.make_user(admin, "refus@x.fr", "animateur");  // a reviewer whose mailbox refuses mail

    CHECK(s.request("GET", "/api/notifications").status == 401);
    auto empty = s.request("GET", "/api/notifications", {}, {{"Cookie", reviewer}});
    REQUIRE(empty.status == 200);
    CHECK(empty.json()["unread"] == 0);
    CHECK(empty.json()["notifications"].empty());

    // The reviewer's open page hears about the submission as it happens.
    ws_client live;
    REQUIRE(live.connect(s.port(), reviewer, s.origin()) == 101);
    REQUIRE(next_of_type(live, "welcome"));

    json body = {{"kind", "temoignage"},
                 {"title", "La CPTS du Ternois et ses pharmaciens"},
                 {"summary", "Comment le bureau s'est ouvert."},
                 {"body", "Un récit."}};
    auto created = s.request("POST", "/api/library/items", body.dump(), {{"Cookie", author}});
    REQUIRE(created.status == 201);
    auto id = created.json()["item"]["id"].get<long long>();
    auto pushed = next_of_type(live, "notifications");
    REQUIRE(pushed);
    CHECK((*pushed)["unread"] == 1);

    auto listed = s.request("GET", "/api/notifications", {}, {{"Cookie", reviewer}});
    REQUIRE(listed.status == 200);
    CHECK(listed.json()["unread"] == 1);
    auto n = listed.json()["notifications"][0];
    CHECK(n["kind"] == "library.submitted");
    CHECK(n["title"].get<std::string>().find("La CPTS du Ternois") != std::string::npos);
    CHECK(n["link"] == "/bibliotheque/" + std::to_string(id));
    CHECK(n["read"] == false);
    // The author is not told of their own submission; the other reviewer and the admin are.
    CHECK(s.request("GET", "/api/notifications", {}, {{"Cookie", author}}).json()["unread"] == 0);
    CHECK(s.request("GET", "/api/notifications", {}, {{"Cookie", admin}}).json()["unread"] == 1);

    // E-mail copies leave through the outbox: to each reviewer, not to the refusing mailbox.
    auto mails = sink.wait_for(2);
    CHECK(sent_to(mails, "relecteur@x.fr", "Subject:"));
    CHECK(sent_to(mails, "admin@relais.local", "Subject:"));
    CHECK_FALSE(sent_to(mails, "auteur@x.fr", "Subject:"));

    // Marking read: one, then all; bad input changes nothing.
    auto nid = n["id"].get<long long>();
    CHECK(s.request("POST", "/api/notifications/read", "{}", {{"Cookie", reviewer}}).status == 400);
    // Query parameters: empty is absent; `before` is an id (no sign, no leading zero).
    CHECK(s.request("GET", "/api/notifications?unread=&before=", {}, {{"Cookie", reviewer}}).status == 200);
    for (const char* bad : {"unread=2", "before=01", "before=+1", "before=0", "before=x"})
        CHECK(s.request("GET", std::string("/api/notifications?") + bad, {}, {{"Cookie", reviewer}}).error_code() == "champ_invalide");
    CHECK(s.request("POST", "/api/notifications/read", json{{"ids", {"x"}}}.dump(), {{"Cookie", reviewer}}).status == 400);
    CHECK(s.request("POST", "/api/notifications/read", json{{"all", false}}.dump(), {{"Cookie", reviewer}}).status == 400);
    // An empty list marks nothing and answers the count.
    auto none = s.request("POST", "/api/notifications/read", json{{"ids", json::array()}}.dump(), {{"Cookie", reviewer}});
    CHECK(none.status == 200);
    CHECK(none.json()["unread"] == 1);
    // Someone else's notice is not theirs to mark.
    auto other = s.request("POST", "/api/notifications/read", json{{"ids", {nid}}}.dump(), {{"Cookie", author}});
    CHECK(other.status == 200);
    CHECK(s.request("GET", "/api/notifications", {}, {{"Cookie", reviewer}}).json()["unread"] == 1);
    auto read = s.request("POST", "/api/notifications/read", json{{"ids", {nid}}}.dump(), {{"Cookie", reviewer}});
    REQUIRE(read.status == 200);
    CHECK(read.json()["unread"] == 0);
    auto again = next_of_type(live, "notifications");
    REQUIRE(again);
    CHECK((*again)["unread"] == 0);
    CHECK(s.request("POST", "/api/notifications/read", json{{"all", true}}.dump(), {{"Cookie", author}}).json()["unread"] == 0);

    // Publishing tells the author, and settles the other reviewers' « Fiche à relire »:
    // the fiche was reviewed, by someone (their count goes down live too).
    ws_client admin_live;
    REQUIRE(admin_live.connect(s.port(), admin, s.origin()) == 101);
    REQUIRE(next_of_type(admin_live, "welcome"));
    CHECK(s.request("GET", "/api/notifications", {}, {{"Cookie", admin}}).json()["unread"] == 1);
    auto published = s.request("POST", "/api/library/items/" + std::to_string(id) + "/publish", json{{"version", 1}}.dump(),
                               {{"Cookie", reviewer}});
    REQUIRE(published.status == 200);
    auto mine = s.request("GET", "/api/notifications?unread=1", {}, {{"Cookie", author}});
    REQUIRE(mine.json()["notifications"].size() == 1);
    CHECK(mine.json()["notifications"][0]["kind"] == "library.published");
    CHECK(sent_to(sink.wait_for(3), "auteur@x.fr", "Subject:"));
    CHECK(s.request("GET", "/api/notifications", {}, {{"Cookie", admin}}).json()["unread"] == 0);
    auto settled = next_of_type(admin_live, "notifications");
    REQUIRE(settled);
    CHECK((*settled)["unread"] == 0);

    // A request for changes tells the author with the reviewer's note.
    auto v2 = s.request("PUT", "/api/library/items/" + std::to_string(id),
                        json{{"base_version", 1}, {"title", "La CPTS du Ternois"}, {"summary", "Résumé."}, {"body", "Texte revu."}}.dump(),
                        {{"Cookie", author}});
    REQUIRE(v2.status == 200);
    auto rejected = s.request("POST", "/api/library/items/" + std::to_string(id) + "/reject",
                              json{{"version", 2}, {"note", "Merci de préciser le territoire."}}.dump(), {{"Cookie", reviewer}});
    REQUIRE(rejected.status == 200);
    auto back = s.request("GET", "/api/notifications?unread=1", {}, {{"Cookie", author}}).json()["notifications"][0];
    CHECK(back["kind"] == "library.changes_requested");
    CHECK(back["body"].get<std::string>().find("Merci de préciser le territoire.") != std::string::npos);

    // A reviewer who edits the version sent back and publishes it in one step tells the
    // author too; editing the fiche once online tells nobody.
    CHECK(s.request("POST", "/api/notifications/read", json{{"all", true}}.dump(), {{"Cookie", author}}).status == 200);
    auto edit = [&](int base, const std::string& text) {
        return s.request("PUT", "/api/library/items/" + std::to_string(id),
                         json{{"base_version", base}, {"title", "La CPTS du Ternois"}, {"summary", "Résumé."}, {"body", text},
                              {"publish", true}}.dump(),
                         {{"Cookie", reviewer}});
    };
    REQUIRE(edit(2, "Texte revu par le relecteur.").status == 200);
    auto online = s.request("GET", "/api/notifications?unread=1", {}, {{"Cookie", author}}).json()["notifications"];
    REQUIRE(online.size() == 1);
    CHECK(online[0]["kind"] == "library.published");
    CHECK(online[0]["body"].get<std::string>().find("avec ses modifications") != std::string::npos);
    CHECK(s.request("POST", "/api/notifications/read", json{{"all", true}}.dump(), {{"Cookie", author}}).status == 200);
    REQUIRE(edit(3, "Une coquille corrigée.").status == 200);
    CHECK(s.request("GET", "/api/notifications", {}, {{"Cookie", author}}).json()["unread"] == 0);
    // A reviewer's version of the online fiche, saved then published apart: the author is
    // told it was changed, and by whom (not a second « est publiée »).
    auto saved = s.request("PUT", "/api/library/items/" + std::to_string(id),
                           json{{"base_version", 4}, {"title", "La CPTS du Ternois"}, {"summary", "Résumé."},
                                {"body", "Un paragraphe ajouté par le relecteur."}}.dump(),
                           {{"Cookie", reviewer}});
    REQUIRE(saved.status == 200);
    REQUIRE(s.request("POST", "/api/library/items/" + std::to_string(id) + "/publish", json{{"version", 5}}.dump(),
                      {{"Cookie", reviewer}}).status == 200);
    auto changed = s.request("GET", "/api/notifications?unread=1", {}, {{"Cookie", author}}).json()["notifications"];
    REQUIRE(changed.size() == 1);
    CHECK(changed[0]["title"].get<std::string>().find("a été modifiée") != std::string::npos);
    CHECK(changed[0]["body"].get<std::string>().find("version 5") != std::string::npos);
    // Written by one reviewer, published by another: both are named, each for what they did.
    CHECK(s.request("POST", "/api/notifications/read", json{{"all", true}}.dump(), {{"Cookie", author}}).status == 200);
    REQUIRE(s.request("PUT", "/api/library/items/" + std::to_string(id),
                      json{{"base_version", 5}, {"title", "La CPTS du Ternois"}, {"summary", "Résumé."},
                           {"body", "Un second paragraphe du relecteur."}}.dump(),
                      {{"Cookie", reviewer}}).status == 200);
    REQUIRE(s.request("POST", "/api/library/items/" + std::to_string(id) + "/publish", json{{"version", 6}}.dump(),
                      {{"Cookie", admin}}).status == 200);
    auto apart = s.request("GET", "/api/notifications?unread=1", {}, {{"Cookie", author}}).json()["notifications"];
    REQUIRE(apart.size() == 1);
    CHECK(apart[0]["body"] == "Test animateur a écrit une nouvelle version (version 6), publiée par Administrateur. "
                              "L’historique des versions, sur la fiche, montre ce qui a changé.");

    // The outbox as administrators see it: sent mail, and the refused address as failed.
    std::this_thread::sleep_for(std::chrono::seconds(2));
    auto outbox = s.request("GET", "/api/admin/mail", {}, {{"Cookie", admin}});
    REQUIRE(outbox.status == 200);
    CHECK(outbox.json()["configured"] == true);
    CHECK(outbox.json()["links"] == false);  // no server.public_url: the links are bare paths
    CHECK(outbox.json()["counts"]["sent"].get<int>() >= 3);
    CHECK(outbox.json()["counts"]["failed"].get<int>() >= 1);
    bool refused_listed = false;
    auto state = outbox.json();  // named: a temporary's elements do not outlive the statement
    for (const auto& p : state["problems"]) refused_listed |= p["to"] == "refus@x.fr";
    INFO(outbox.body);
    CHECK(refused_listed);
    CHECK(s.request("GET", "/api/admin/mail", {}, {{"Cookie", reviewer}}).status == 403);
}

TEST_CASE("jobs: listed for administrators, run on demand, counted in /metrics, kept across a restart", "[platform][jobs]") {
    smtp_sink sink;
    relais::test::temp_dir dir;
    {
        server s(mail_args(sink.port()), dir.path());
        auto admin = s.login_admin();
        auto member = s.make_user(admin, "membre@x.fr", "membre");
        auto jobs = s.request("GET", "/api/admin/jobs", {}, {{"Cookie", admin}});
        REQUIRE(jobs.status == 200);
        INFO(jobs.body);
        json mail;
        auto listed = jobs.json();
        for (const auto& j : listed["jobs"])
            if (j["key"] == "mail.send") mail = j;
        REQUIRE(mail.is_object());
        CHECK(mail["interval_s"] == 1);
        CHECK(s.request("GET", "/api/admin/jobs", {}, {{"Cookie", member}}).status == 403);
        CHECK(s.request("POST", "/api/admin/jobs/mail.send/run", "", {{"Cookie", member}}).status == 403);
        CHECK(s.request("POST", "/api/admin/jobs/inconnu/run", "", {{"Cookie", admin}}).status == 404);
        auto run = s.request("POST", "/api/admin/jobs/mail.send/run", "", {{"Cookie", admin}});
        CHECK(run.status == 202);
        // It has run (every second here) and says how it went.
        json after;
        for (int i = 0; i < 50 && !(after.is_object() && after["runs"].get<int>() >= 2); ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            auto now = s.request("GET", "/api/admin/jobs", {}, {{"Cookie", admin}}).json();
            for (const auto& j : now["jobs"])
                if (j["key"] == "mail.send") after = j;
        }
        CHECK(after["runs"].get<int>() >= 2);
        CHECK(after["last_status"] == "ok");
        CHECK(after["last_run"].is_string());
        auto metrics = s.request("GET", "/metrics");
        CHECK(metrics.body.find("relais_job_runs_total{job=\"mail.send\"}") != std::string::npos);
        CHECK(s.stop(SIGTERM) == 0);
    }
    // The count of runs survives a restart (it is in the database).
    server again(mail_args(sink.port()), dir.path());
    auto admin = again.login_admin();
    json mail;
    auto listed = again.request("GET", "/api/admin/jobs", {}, {{"Cookie", admin}}).json();
    for (const auto& j : listed["jobs"])
        if (j["key"] == "mail.send") mail = j;
    CHECK(mail["runs"].get<int>() >= 2);
}

TEST_CASE("reference data: one /api/meta with every label, public", "[platform][meta]") {
    server s;
    auto meta = s.request("GET", "/api/meta");
    REQUIRE(meta.status == 200);
    CHECK(meta.header("content-type") == "application/json; charset=utf-8");  // as every JSON answer
    auto j = meta.json();
    for (const char* list : {"roles", "org_types", "regions", "departements", "phases", "missions", "kinds", "workshop_stages",
                             "workshop_states", "workshop_roles"}) {
        INFO(list);
        REQUIRE(j[list].is_array());
        CHECK_FALSE(j[list].empty());
        for (const auto& x : j[list]) {
            CHECK(x["code"].is_string());
            CHECK(x["label"].is_string());
        }
    }
    CHECK(j["departements"].size() == 101);
    bool hdf = false;
    for (const auto& r : j["regions"])
        if (r["code"] == "32") {
            hdf = r["label"] == "Hauts-de-France" && r["departements"].size() == 5 && r["departements"][1]["label"] == "Nord";
        }
    CHECK(hdf);
}

TEST_CASE("glossary: every acronym of the seed, spelled out and explained, public", "[platform][meta]") {
    server s;
    auto got = s.request("GET", "/api/glossary");
    REQUIRE(got.status == 200);
    auto entries = got.json()["entries"];
    REQUIRE(entries.size() >= 40);
    std::map<std::string, json> by_term;
    for (const auto& e : entries) {
        INFO(e.dump());
        // Each acronym has its spelled-out form(s) and a line of explanation (glossaire.txt).
        CHECK_FALSE(e["forms"].empty());
        CHECK(e["explanation"].get<std::string>().size() > 10);
        by_term[e["term"].get<std::string>()] = e;
    }
    CHECK(by_term.at("CPTS")["forms"][0] == "communauté professionnelle territoriale de santé");
    // In French typography, as the pages write: « l’Assurance Maladie », a no-break space before « : ».
    CHECK(by_term.at("ACI")["explanation"].get<std::string>().find("l\u2019Assurance Maladie") != std::string::npos);
    CHECK(by_term.at("ACI")["explanation"].get<std::string>().find('\'') == std::string::npos);
    CHECK(by_term.at("PTA")["forms"][0] == "plateforme territoriale d\u2019appui");
    CHECK(by_term.at("IC")["forms"][0] == "insuffisance cardiaque");
    // Bodies since replaced say so.
    CHECK(by_term.at("URML")["explanation"].get<std::string>().find("URPS") != std::string::npos);
    CHECK(by_term.at("PTA")["explanation"].get<std::string>().find("DAC") != std::string::npos);
    // Words that are not acronyms (rétroplanning, check-list…) are not in it.
    CHECK(by_term.count("rétroplanning") == 0);
}

TEST_CASE("notifications come in pages of 50 with the id to go on from", "[platform][notifications]") {
    server s;
    auto admin = s.login_admin();
    auto author = s.make_user(admin, "auteur.pages@x.fr", "membre");
    for (int i = 0; i < 52; ++i) {
        json body = {{"kind", "temoignage"}, {"title", "Récit " + std::to_string(i)}, {"summary", "Résumé."}, {"body", "Texte."}};
        REQUIRE(s.request("POST", "/api/library/items", body.dump(), {{"Cookie", author}}).status == 201);
    }
    auto first = s.request("GET", "/api/notifications", {}, {{"Cookie", admin}}).json();
    REQUIRE(first["notifications"].size() == 50);
    REQUIRE(first.contains("next_before"));
    CHECK(first["next_before"] == first["notifications"][49]["id"]);
    auto second = s.request("GET", "/api/notifications?before=" + std::to_string(first["next_before"].get<long long>()), {},
                            {{"Cookie", admin}}).json();
    CHECK(second["notifications"].size() == 2);
    CHECK_FALSE(second.contains("next_before"));
    CHECK(second["notifications"][0]["id"].get<long long>() < first["next_before"].get<long long>());
}
