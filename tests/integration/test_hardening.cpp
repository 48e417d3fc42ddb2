// Hardening against the real binary: hostile files never stall others, uploads are read
// only for live sessions and within a budget, nobody is locked out by someone else,
// limits that hold behind a trusted proxy and against slow clients, file rights.
#include "../fixtures/documents.hpp"
#include "harness.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <future>
#include <thread>

using relais::test::idle_connection;
using relais::test::raw_exchange;
using relais::test::server;
using relais::test::url_encode;
using relais::test::ws_client;
using json = nlohmann::json;
using headers = std::map<std::string, std::string>;
using namespace std::chrono_literals;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

TEST_CASE("hostile attachments: a slow PDF is stopped at its deadline while sign-in, search and /healthz answer", "[hardening][library]") {
    server s({"--set", "limits.extract_wall_seconds=3"});
    auto admin = s.login_admin();
    auto member = s.make_user(admin, "coord@x.fr", "membre");
    auto accomplice = s.make_user(admin, "complice@x.fr", "membre");
    auto upload = [&](const std::string& name, const std::string& bytes, const std::string* cookie = nullptr) {
        return s.request("POST", "/api/library/files?name=" + url_encode(name), bytes,
                         {{"Cookie", cookie ? *cookie : member}, {"Content-Type", "application/octet-stream"}});
    };
    const auto hostile = fixtures::pdf_fanout();
    REQUIRE(hostile.size() < 8000);
    auto started = std::chrono::steady_clock::now();
    // Two at once (two accounts: one has one extraction at a time): before, they held both
    // CPU threads that also serve logins and searches.
    auto first = std::async(std::launch::async, [&] { return upload("piege.pdf", hostile); });
    auto second = std::async(std::launch::async, [&] { return upload("piege2.pdf", hostile, &accomplice); });
    std::this_thread::sleep_for(500ms);
    for (int i = 0; i < 3; ++i) {
        auto t = std::chrono::steady_clock::now();
        CHECK(s.request("GET", "/healthz").status == 200);
        CHECK(s.request("POST", "/api/session", json{{"email", "coord@x.fr"}, {"password", "motdepasse-solide"}}.dump()).status == 200);
        CHECK(s.request("GET", "/api/library/search?q=diagnostic", {}, {{"Cookie", member}}).status == 200);
        CHECK(seconds_since(t) < 2.5);
    }
    auto r1 = first.get(), r2 = second.get();
    CHECK(r1.status == 422);
    CHECK(r1.error_code() == "fichier_trop_complexe");
    CHECK(r1.json()["error"]["message"].get<std::string>().find("trop complexe") != std::string::npos);
    CHECK(r2.error_code() == "fichier_trop_complexe");
    CHECK(seconds_since(started) < 10);
    // A normal file still goes through the same path.
    auto ok = upload("rapport.pdf", fixtures::pdf("Diagnostic territorial partage"));
    CHECK(ok.status == 201);
    // Shutdown never waits on an extraction in flight.
    auto third = std::async(std::launch::async, [&] { return upload("piege3.pdf", hostile); });
    std::this_thread::sleep_for(500ms);
    auto stop_started = std::chrono::steady_clock::now();
    CHECK(s.stop(SIGTERM, 8s) == 0);
    CHECK(seconds_since(stop_started) < 6);
    third.wait();
}

TEST_CASE("hostile attachments: deeply nested office XML is refused without exhausting memory", "[hardening][library]") {
    server s;
    auto admin = s.login_admin();
    auto member = s.make_user(admin, "coord@x.fr", "membre");
    auto r = s.request("POST", "/api/library/files?name=profond.docx", fixtures::docx_deep(5000),
                       {{"Cookie", member}, {"Content-Type", "application/octet-stream"}});
    CHECK(r.status == 422);
    CHECK(r.error_code() == "fichier_trop_complexe");
    // A document of ordinary depth is fine.
    CHECK(s.request("POST", "/api/library/files?name=normal.docx", fixtures::docx_deep(40),
                    {{"Cookie", member}, {"Content-Type", "application/octet-stream"}})
              .status == 201);
}

TEST_CASE("uploads: one account cannot queue many extractions", "[hardening][library]") {
    server s({"--set", "limits.extract_wall_seconds=3"});
    auto admin = s.login_admin();
    auto member = s.make_user(admin, "coord@x.fr", "membre");
    auto other = s.make_user(admin, "autre@x.fr", "membre");
    auto upload = [&](const std::string& cookie, const std::string& name, const std::string& bytes) {
        return s.request("POST", "/api/library/files?name=" + name, bytes, {{"Cookie", cookie}, {"Content-Type", "application/octet-stream"}});
    };
    const auto hostile = fixtures::pdf_fanout();
    // With extract_parallel = 2, one account has one extraction at a time: the other is
    // everyone else's.
    auto a = std::async(std::launch::async, [&] { return upload(member, "a.pdf", hostile); });
    std::this_thread::sleep_for(500ms);
    auto t = std::chrono::steady_clock::now();
    auto second = upload(member, "b.pdf", hostile);
    CHECK(second.status == 429);
    CHECK(second.error_code() == "trop_de_requetes");
    CHECK(seconds_since(t) < 1.5);
    // Someone else is not refused, nor kept waiting behind the slow file.
    t = std::chrono::steady_clock::now();
    CHECK(upload(other, "d.pdf", fixtures::pdf("Texte ordinaire")).status == 201);
    CHECK(seconds_since(t) < 2);
    a.wait();
}

TEST_CASE("uploads: a body is read only for a live session, and within the budget of uploads in flight", "[hardening][library]") {
    server s({"--set", "limits.uploads_in_flight_max_bytes=1000000", "--set", "limits.upload_max_bytes=900000", "--set",
              "limits.uploads_in_flight_max_bytes_per_address=950000"});
    auto admin = s.login_admin();
    auto member = s.make_user(admin, "coord@x.fr", "membre");
    auto head = [&](const std::string& cookie, std::size_t length) {
        return "POST /api/library/files?name=a.txt HTTP/1.1\r\nHost: x\r\nOrigin: " + s.origin() +
               "\r\nContent-Type: application/octet-stream\r\nCookie: " + cookie + "\r\nContent-Length: " +
               std::to_string(length) + "\r\n\r\n";
    };
    // A made-up cookie: refused at once, before any byte of the body is read.
    auto t = std::chrono::steady_clock::now();
    auto forged = raw_exchange(s.port(), head("relais_session=invente", 800000), 5s);
    CHECK(forged.data.rfind("HTTP/1.1 401", 0) == 0);
    CHECK(forged.data.find("non_authentifie") != std::string::npos);
    CHECK(seconds_since(t) < 3);
    // The route says how to send a file.
    auto as_json = s.request("POST", "/api/library/files?name=a.txt", "{}", {{"Cookie", member}});
    CHECK(as_json.status == 415);
    CHECK(as_json.json()["error"]["message"].get<std::string>().find("octet-stream") != std::string::npos);
    // A real session holding 800 kB in flight: a second upload does not fit the budget.
    idle_connection slow(s.port());
    slow.send(head(member, 800000) + std::string(1000, 'a'));
    std::this_thread::sleep_for(300ms);
    auto second = s.request("POST", "/api/library/files?name=b.txt", std::string(300000, 'b'),
                            {{"Cookie", member}, {"Content-Type", "application/octet-stream"}});
    CHECK(second.status == 503);
    CHECK(second.error_code() == "indisponible");
    // A small one still fits.
    CHECK(s.request("POST", "/api/library/files?name=c.txt", std::string(1000, 'c'),
                    {{"Cookie", member}, {"Content-Type", "application/octet-stream"}})
              .status == 201);
}

TEST_CASE("uploads: files attached to no fiche are bounded per account, and count no more once attached", "[hardening][library]") {
    server s({"--set", "limits.unattached_upload_max_bytes=5000"});
    auto admin = s.login_admin();
    auto member = s.make_user(admin, "coord@x.fr", "membre");
    auto other = s.make_user(admin, "autre@x.fr", "membre");
    auto upload = [&](const std::string& cookie, const std::string& name, char fill) {
        return s.request("POST", "/api/library/files?name=" + name, std::string(3000, fill),
                         {{"Cookie", cookie}, {"Content-Type", "application/octet-stream"}});
    };
    auto first = upload(member, "a.txt", 'a');
    REQUIRE(first.status == 201);
    auto over = upload(member, "b.txt", 'b');
    CHECK(over.status == 429);
    CHECK(over.error_code() == "quota_fichiers");
    CHECK(over.json()["error"]["message"].get<std::string>().find("fiche") != std::string::npos);
    // Someone else has their own allowance.
    CHECK(upload(other, "c.txt", 'c').status == 201);
    // Attached to a fiche, the first file no longer counts.
    auto item = s.request("POST", "/api/library/items",
                          json{{"kind", "temoignage"}, {"title", "Avec pièce jointe"}, {"summary", "Résumé."}, {"body", "Texte."},
                               {"attachments", {{{"sha256", first.json()["file"]["sha256"]}, {"name", "a.txt"}}}}}
                              .dump(),
                          {{"Cookie", member}});
    REQUIRE(item.status == 201);
    CHECK(upload(member, "b.txt", 'b').status == 201);
}

TEST_CASE("uploads: one account's bodies in flight are budgeted whatever its addresses, a trickle is dropped", "[hardening][library]") {
    // Behind a trusted proxy each request can say another client address.
    server s({"--set", "server.trusted_proxies=127.0.0.1", "--set", "limits.uploads_in_flight_max_bytes=3000000", "--set",
              "limits.upload_max_bytes=900000", "--set", "limits.uploads_in_flight_max_bytes_per_address=950000", "--set",
              "limits.request_timeout_s=3", "--set", "limits.upload_min_bytes_per_second=100000"});
    auto admin = s.login_admin();
    auto member = s.make_user(admin, "coord@x.fr", "membre");
    auto other = s.make_user(admin, "autre@x.fr", "membre");
    auto head = [&](const std::string& cookie, std::size_t length, const std::string& from) {
        return "POST /api/library/files?name=a.txt HTTP/1.1\r\nHost: x\r\nOrigin: " + s.origin() +
               "\r\nContent-Type: application/octet-stream\r\nX-Forwarded-For: " + from + "\r\nCookie: " + cookie +
               "\r\nContent-Length: " + std::to_string(length) + "\r\n\r\n";
    };
    auto upload = [&](const std::string& cookie, const std::string& from, std::size_t size) {
        return s.request("POST", "/api/library/files?name=b.txt", std::string(size, 'b'),
                         {{"Cookie", cookie}, {"Content-Type", "application/octet-stream"}, {"X-Forwarded-For", from}});
    };
    // The member holds 800 kB in flight from one address, trickling.
    auto slow = std::make_unique<idle_connection>(s.port());
    slow->send(head(member, 800000, "203.0.113.1") + std::string(1000, 'a'));
    std::this_thread::sleep_for(300ms);
    // From another address, the same account does not fit its own budget; someone else does.
    auto again = upload(member, "203.0.113.2", 300000);
    CHECK(again.status == 503);
    CHECK(again.error_code() == "indisponible");
    CHECK(upload(other, "203.0.113.3", 300000).status == 201);
    // The trickle is dropped once past a third of the request timeout (1 s here) below the
    // minimum rate: its budget is free again, for the same account.
    auto t = std::chrono::steady_clock::now();
    bool freed = false;
    while (!freed && seconds_since(t) < 8) {
        std::this_thread::sleep_for(250ms);
        slow->send(std::string(10, 'a'));  // a few bytes now and then: still far too slow
        freed = upload(member, "203.0.113.2", 300000).status == 201;
    }
    CHECK(freed);
    CHECK(seconds_since(t) < 5);
}

TEST_CASE("a body refused before it is read is still taken in: the client (or a proxy) reads the 413, not a reset", "[hardening][net]") {
    server s;
    // As nginx sends a request it has buffered: the whole body at once, then it reads.
    for (std::size_t size : {std::size_t{8} << 20, std::size_t{20} << 20}) {
        INFO(size);
        const auto head = "POST /api/session HTTP/1.1\r\nHost: x\r\nOrigin: " + s.origin() +
                          "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(size) + "\r\n\r\n";
        relais::test::raw_result r{{}, false};
        CHECK_NOTHROW(r = raw_exchange(s.port(), head + std::string(size, 'a'), 10s));
        CHECK(r.data.rfind("HTTP/1.1 413", 0) == 0);
        CHECK(r.data.find("trop_volumineux") != std::string::npos);
    }
}

TEST_CASE("login: nobody is locked out by someone else, successes never count, the wait is said", "[hardening][auth]") {
    server s({"--set", "server.trusted_proxies=127.0.0.1", "--set", "auth.max_failures_per_account=3", "--set",
              "auth.max_failures_per_address=6", "--set", "limits.requests_per_second_per_address=100000", "--set",
              "limits.request_burst_per_address=100000"});
    auto attempt = [&](const std::string& from, const std::string& email, const std::string& pw) {
        return s.request("POST", "/api/session", json{{"email", email}, {"password", pw}}.dump(), {{"X-Forwarded-For", from}});
    };
    // Someone elsewhere guesses the admin's password...
    for (int i = 0; i < 3; ++i) CHECK(attempt("203.0.113.9", "admin@relais.local", "mauvais-mot-de-passe").status == 401);
    auto slowed = attempt("203.0.113.9", "admin@relais.local", "mauvais-mot-de-passe");
    CHECK(slowed.status == 429);
    CHECK(slowed.error_code() == "trop_de_tentatives");
    CHECK(std::stoi(slowed.header("retry-after")) >= 1);
    CHECK(std::stoi(slowed.header("retry-after")) <= 3);  // a short, growing delay, not 15 minutes
    CHECK(slowed.json()["error"]["message"].get<std::string>().find("Réessayez dans") != std::string::npos);
    // ...the admin, from their own address, signs in at once.
    CHECK(attempt("198.51.100.7", "admin@relais.local", s.admin_password()).status == 200);
    // A workshop room behind one address: 30 successful sign-ins in a row all pass.
    auto member = s.login_admin();
    (void)member;
    for (int i = 0; i < 30; ++i) CHECK(attempt("192.0.2.50", "admin@relais.local", s.admin_password()).status == 200);
    // The guessing address is slowed for every account once past its own budget.
    std::this_thread::sleep_for(2100ms);
    for (int i = 0; i < 3; ++i) attempt("203.0.113.9", "autre@relais.local", "x-mauvais-mot");  // 6 failures in all
    CHECK(attempt("203.0.113.9", "troisieme@relais.local", "x-mauvais-mot").status == 429);
}

TEST_CASE("behind a trusted proxy, per-address limits count forwarded clients, not the proxy", "[hardening][net]") {
    server s({"--set", "server.trusted_proxies=127.0.0.1", "--set", "limits.max_connections_per_address=4", "--set",
              "limits.ws_sockets_per_person=100"});
    auto admin = s.login_admin();
    // Eight people in a workshop, each from their own address: all admitted through the proxy.
    std::vector<std::unique_ptr<ws_client>> sockets;
    for (int i = 0; i < 8; ++i) {
        auto c = std::make_unique<ws_client>();
        c->set_header("X-Forwarded-For", "198.51.100." + std::to_string(i + 1));
        CHECK(c->connect(s.port(), admin, s.origin()) == 101);
        sockets.push_back(std::move(c));
    }
    CHECK(s.request("GET", "/healthz").status == 200);
    // One forwarded address is still capped.
    std::vector<std::unique_ptr<ws_client>> same;
    int refused = 0;
    for (int i = 0; i < 6; ++i) {
        auto c = std::make_unique<ws_client>();
        c->set_header("X-Forwarded-For", "203.0.113.1");
        if (c->connect(s.port(), admin, s.origin()) == 503) ++refused;
        same.push_back(std::move(c));
    }
    CHECK(refused == 2);
}

TEST_CASE("behind a trusted proxy, a forwarded address that cannot be read is nobody, never the proxy", "[hardening][net]") {
    // The proxy (127.0.0.1) may read /metrics; what it forwards for a client may not.
    server s({"--set", "server.trusted_proxies=127.0.0.1", "--set", "server.metrics_allow=127.0.0.1"});
    CHECK(s.request("GET", "/metrics").status == 200);
    CHECK(s.request("GET", "/metrics", {}, {{"X-Forwarded-For", "203.0.113.9"}}).status == 403);
    for (const char* forwarded : {"n'importe quoi", "203.0.113.9:5678, pas-une-adresse", "unknown"})
        CHECK(s.request("GET", "/metrics", {}, {{"X-Forwarded-For", forwarded}}).status == 403);
    // A port written after the address is read past (some proxies add it).
    CHECK(s.request("GET", "/metrics", {}, {{"X-Forwarded-For", "127.0.0.1:5678"}}).status == 200);
    CHECK(s.request("GET", "/metrics", {}, {{"X-Forwarded-For", "203.0.113.9:5678"}}).status == 403);
}

TEST_CASE("slow clients: connections that send a body slowly or idle between requests cannot fill the server", "[hardening][net]") {
    server s({"--set", "limits.max_connections=24", "--set", "limits.max_pending_connections=8", "--set",
              "limits.max_pending_connections_per_address=100"});
    std::vector<std::unique_ptr<idle_connection>> slow;
    for (int i = 0; i < 30; ++i) {
        slow.push_back(std::make_unique<idle_connection>(s.port()));
        // Complete headers, one byte of a 1000-byte body, then nothing.
        slow.back()->send("POST /api/session HTTP/1.1\r\nHost: x\r\nOrigin: " + s.origin() +
                          "\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{");
    }
    std::this_thread::sleep_for(300ms);
    CHECK(s.request("GET", "/healthz").status == 200);
    // Keep-alive connections that made one request and then idle are waiting too.
    std::vector<std::unique_ptr<idle_connection>> idle;
    for (int i = 0; i < 30; ++i) {
        idle.push_back(std::make_unique<idle_connection>(s.port()));
        idle.back()->send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    }
    std::this_thread::sleep_for(300ms);
    CHECK(s.request("GET", "/healthz").status == 200);
}

TEST_CASE("slow clients: connections that never send a request cannot fill the server", "[hardening][net]") {
    server s({"--set", "limits.max_connections=24", "--set", "limits.max_pending_connections=8", "--set",
              "limits.max_pending_connections_per_address=100"});
    std::vector<std::unique_ptr<idle_connection>> idle;
    for (int i = 0; i < 30; ++i) {
        idle.push_back(std::make_unique<idle_connection>(s.port()));
        idle.back()->send("GET / HTTP/1.1\r\nHost: x\r\n");  // never finished
    }
    std::this_thread::sleep_for(300ms);
    // The oldest waiting connections made room: a real client is served.
    CHECK(s.request("GET", "/healthz").status == 200);

    server per_address({"--set", "limits.max_pending_connections_per_address=4"});
    std::vector<std::unique_ptr<idle_connection>> mine;
    for (int i = 0; i < 4; ++i) mine.push_back(std::make_unique<idle_connection>(per_address.port()));
    std::this_thread::sleep_for(200ms);
    auto fifth = raw_exchange(per_address.port(), "", 3s);
    CHECK(fifth.data.rfind("HTTP/1.1 503", 0) == 0);
}

TEST_CASE("file names: bidirectional and invisible controls are refused", "[hardening][library]") {
    server s;
    auto admin = s.login_admin();
    auto member = s.make_user(admin, "coord@x.fr", "membre");
    for (const char* name : {"out\xE2\x80\xAElmth.txt", "a\xE2\x81\xA6" "b.txt", "x\xE2\x80\x8F.md", "y\xC2\x85.txt",
                             "ligne\xE2\x80\xA8" "deux.txt", "cou\xC2\xAD" "pure.txt", "emoji\xEF\xB8\x8F.txt",
                             "tag\xF3\xA0\x81\x81.txt", "vide\xE3\x85\xA4.txt"}) {
        auto r = s.request("POST", "/api/library/files?name=" + url_encode(name), "texte",
                           {{"Cookie", member}, {"Content-Type", "application/octet-stream"}});
        CHECK(r.status == 400);
        CHECK(r.error_code() == "nom_fichier_invalide");
    }
    CHECK(s.request("POST", "/api/library/files?name=" + url_encode("Compte rendu — été.txt"), "texte",
                    {{"Cookie", member}, {"Content-Type", "application/octet-stream"}})
              .status == 201);
    // A blank name is a missing one; an attachment's bad name names the list, whatever the fault.
    auto blank = s.request("POST", "/api/library/files?name=%20%20", "texte", {{"Cookie", member}, {"Content-Type", "application/octet-stream"}});
    CHECK(blank.status == 400);
    CHECK(blank.error_code() == "champ_invalide");
    CHECK(blank.json()["error"]["field"] == "name");
    const std::string digest(64, 'a');
    for (const char* name : {"out\xE2\x80\xAElmth.txt", "a/b.txt", ""}) {
        json item{{"kind", "temoignage"}, {"title", "T"}, {"summary", "S"}, {"body", "B"},
                  {"attachments", {{{"sha256", digest}, {"name", name}}}}};
        auto r = s.request("POST", "/api/library/items", item.dump(), {{"Cookie", member}});
        CHECK(r.status == 400);
        CHECK(r.json()["error"]["field"] == "attachments");
    }
}

TEST_CASE("attachments by digest: only with a right to the file", "[hardening][library]") {
    server s;
    auto admin = s.login_admin();
    auto alice = s.make_user(admin, "alice@x.fr", "membre");
    auto bob = s.make_user(admin, "bob@x.fr", "membre");
    auto up = s.request("POST", "/api/library/files?name=secret.txt", "Contenu confidentiel d'Alice",
                        {{"Cookie", alice}, {"Content-Type", "application/octet-stream"}});
    REQUIRE(up.status == 201);
    auto sha = up.json()["file"]["sha256"].get<std::string>();
    auto item_with = [&](const std::string& title) {
        return json{{"kind", "outil"}, {"title", title}, {"summary", "Résumé"}, {"body", "Texte"},
                    {"attachments", {{{"sha256", sha}, {"name", "copie.txt"}}}}};
    };
    // Bob never saw it: the digest reads as unknown (no existence oracle).
    auto stolen = s.request("POST", "/api/library/items", item_with("Vol").dump(), {{"Cookie", bob}});
    CHECK(stolen.status == 400);
    CHECK(stolen.error_code() == "fichier_inconnu");
    // Alice attaches her own file; once her item is published, Bob may reuse it.
    auto mine = s.request("POST", "/api/library/items", item_with("Outil d'Alice").dump(), {{"Cookie", alice}});
    REQUIRE(mine.status == 201);
    auto id = mine.json()["item"]["id"].get<long long>();
    CHECK(s.request("POST", "/api/library/items", item_with("Encore").dump(), {{"Cookie", bob}}).error_code() == "fichier_inconnu");
    auto pub = s.request("POST", "/api/library/items/" + std::to_string(id) + "/publish", json{{"version", 1}}.dump(),
                         {{"Cookie", admin}});
    REQUIRE(pub.status == 200);
    CHECK(s.request("POST", "/api/library/items", item_with("Réutilisation").dump(), {{"Cookie", bob}}).status == 201);
}

TEST_CASE("ids in paths have one spelling", "[hardening][http]") {
    server s;
    auto admin = s.login_admin();
    auto w = s.request("POST", "/api/workshops", json{{"title", "Atelier"}, {"stage", "pre_aci"}, {"template", "swot"}}.dump(),
                       {{"Cookie", admin}});
    REQUIRE(w.status == 201);
    auto id = std::to_string(w.json()["workshop"]["id"].get<long long>());
    CHECK(s.request("GET", "/api/workshops/" + id, {}, {{"Cookie", admin}}).status == 200);
    CHECK(s.request("GET", "/api/workshops/0" + id, {}, {{"Cookie", admin}}).status == 404);
    CHECK(s.request("GET", "/api/workshops/+" + id, {}, {{"Cookie", admin}}).status == 404);
}

TEST_CASE("one-line texts: a name or a title with a line break is refused and nothing is made", "[hardening][http]") {
    server s;
    auto admin = s.login_admin();
    auto refused = [&](const std::string& target, const json& body, const char* field) {
        auto r = s.request("POST", target, body.dump(), {{"Cookie", admin}});
        CHECK(r.status == 400);
        CHECK(r.error_code() == "champ_invalide");
        CHECK(r.json()["error"]["field"] == field);
    };
    refused("/api/workshops", json{{"title", "Atelier\nSWOT"}, {"stage", "pre_aci"}, {"template", "swot"}}, "title");
    refused("/api/library/items", json{{"kind", "outil"}, {"title", "Outil\nbis"}, {"summary", "S"}, {"body", "B"}}, "title");
    refused("/api/admin/orgs", json{{"name", "CPTS\ndu Val"}, {"type", "cpts"}}, "name");
    refused("/api/watch/fields", json{{"name", "Veille\nnumérique"}}, "name");
    // Nothing was made: the lists do not hold them.
    auto workshops = s.request("GET", "/api/workshops?scope=all", {}, {{"Cookie", admin}});
    REQUIRE(workshops.status == 200);
    CHECK(workshops.json()["workshops"].empty());
    auto orgs = s.request("GET", "/api/orgs", {}, {{"Cookie", admin}});
    REQUIRE(orgs.status == 200);
    CHECK(orgs.body.find("du Val") == std::string::npos);
    // Descriptions keep their line breaks; a tab in a title stays.
    auto ok = s.request("POST", "/api/library/items",
                        json{{"kind", "outil"}, {"title", "Outil\tbis"}, {"summary", "Deux\nlignes"}, {"body", "B"}}.dump(),
                        {{"Cookie", admin}});
    REQUIRE(ok.status == 201);
    CHECK(ok.json()["item"]["summary"] == "Deux\nlignes");
}
