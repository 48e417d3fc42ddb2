// HTTP layer against the real binary: static files, headers, limits, bad input.
#include "harness.hpp"

#include <catch2/catch.hpp>

#include <thread>

using relais::test::raw_exchange;
using relais::test::server;
using nlohmann::json;

namespace {

std::size_t user_count(server& s, const std::string& admin) {
    return s.request("GET", "/api/admin/users", {}, {{"Cookie", admin}}).json()["users"].size();
}

}  // namespace

TEST_CASE("health, static files and security headers", "[http]") {
    server s;
    auto h = s.request("GET", "/healthz");
    CHECK(h.status == 200);
    CHECK(h.json()["database"] == "ok");
    CHECK(h.json()["index"] == "ok");
    CHECK(h.json()["disk"] == "ok");

    auto index = s.request("GET", "/");
    REQUIRE(index.status == 200);
    CHECK(index.header("content-type") == "text/html; charset=utf-8");
    CHECK(index.body.find("<html") != std::string::npos);
    auto csp = index.header("content-security-policy");
    CHECK(csp.find("script-src 'self'") != std::string::npos);
    CHECK(csp.find("frame-ancestors 'none'") != std::string::npos);
    CHECK(csp.find("unsafe-inline") == std::string::npos);
    CHECK(index.header("x-content-type-options") == "nosniff");
    CHECK(index.header("referrer-policy") == "same-origin");

    auto etag = index.header("etag");
    REQUIRE_FALSE(etag.empty());
    auto again = s.request("GET", "/", {}, {{"If-None-Match", etag}});
    CHECK(again.status == 304);
    CHECK(again.body.empty());

    auto js = s.request("GET", "/js/app.js");
    CHECK(js.status == 200);
    CHECK(js.header("content-type") == "text/javascript; charset=utf-8");
    auto css = s.request("GET", "/css/app.css");
    CHECK(css.header("content-type") == "text/css; charset=utf-8");

    // App routes get the shell; API errors stay JSON.
    CHECK(s.request("GET", "/ateliers").status == 200);
    CHECK(s.request("GET", "/admin/utilisateurs").header("content-type") == "text/html; charset=utf-8");
    CHECK(s.request("GET", "/ateliers/12/tableau").status == 200);  // a page with an id
    CHECK(s.request("GET", "/bibliotheque/").status == 200);        // the shell drops the slash
    // No page there: the shell (which says « Page introuvable »), with the status saying it too.
    auto nowhere = s.request("GET", "/pas-une-page");
    CHECK(nowhere.status == 404);
    CHECK(nowhere.body.find("<html") != std::string::npos);
    CHECK(s.request("GET", "/admin/inexistant").status == 404);
    CHECK(s.request("GET", "/ateliers/12/tableau/plus").status == 404);
    CHECK(s.request("GET", "/api").error_code() == "introuvable");  // not the page shell
    auto missing = s.request("GET", "/js/nope.js");
    CHECK(missing.status == 404);
    CHECK(missing.error_code() == "introuvable");
    auto head = s.request("HEAD", "/");
    CHECK(head.status == 200);
}

TEST_CASE("no path traversal", "[http][bad-input]") {
    server s;
    for (const char* target : {"/../../etc/passwd", "/js/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd",
                               "/js/%2e%2e/%2e%2e/etc/passwd", "/..%2fetc%2fpasswd", "/js/..\\..\\etc\\passwd",
                               "/%00", "/%zz"}) {
        INFO(target);
        auto r = s.request("GET", target);
        CHECK((r.status == 400 || r.status == 404));
        CHECK(r.body.find("root:") == std::string::npos);
        CHECK(r.header("content-type").find("application/json") == 0);
    }
    CHECK(s.request("GET", "/healthz").status == 200);
}

TEST_CASE("unknown routes and methods", "[http][bad-input]") {
    server s;
    auto r = s.request("GET", "/api/nothing-here");
    CHECK(r.status == 404);
    CHECK(r.error_code() == "introuvable");
    CHECK(r.json()["error"]["message"].get<std::string>().size() > 5);

    auto m = s.request("PUT", "/api/session", "{}");
    CHECK(m.status == 405);
    CHECK(m.error_code() == "methode_non_autorisee");
    CHECK(m.header("allow").find("POST") != std::string::npos);

    auto odd = s.request("BREW", "/api/session");
    CHECK(odd.status >= 400);
    CHECK(s.request("GET", "/healthz").status == 200);
}

TEST_CASE("malformed HTTP gets 400 and the server goes on", "[http][bad-input]") {
    server s;
    auto r = raw_exchange(s.port(), "THIS IS NOT HTTP\r\n\r\n");
    CHECK(r.data.rfind("HTTP/1.1 400", 0) == 0);
    CHECK(r.data.find("requete_invalide") != std::string::npos);
    CHECK(r.closed);

    auto bad_version = raw_exchange(s.port(), "GET / HTTP/9.9\r\nHost: x\r\n\r\n");
    CHECK(bad_version.data.rfind("HTTP/1.1 400", 0) == 0);

    auto bad_header = raw_exchange(s.port(), "GET / HTTP/1.1\r\nHost x\r\n\r\n");
    CHECK(bad_header.data.rfind("HTTP/1.1 400", 0) == 0);

    // HTTP/1.1 without Host (RFC 9112): 400; HTTP/1.0 needs none.
    CHECK(raw_exchange(s.port(), "GET /healthz HTTP/1.1\r\n\r\n").data.rfind("HTTP/1.1 400", 0) == 0);
    CHECK(raw_exchange(s.port(), "GET /healthz HTTP/1.0\r\n\r\n").data.find(" 200 ") != std::string::npos);

    auto bad_length = raw_exchange(s.port(), "POST /api/session HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n");
    CHECK(bad_length.data.rfind("HTTP/1.1 400", 0) == 0);
    CHECK(s.request("GET", "/healthz").status == 200);
}

TEST_CASE("oversized headers and bodies", "[http][bad-input]") {
    server s({"--set", "limits.header_max_bytes=4096", "--set", "limits.body_max_bytes=8192"});
    auto admin = s.login_admin();
    auto before = user_count(s, admin);

    auto big_header = raw_exchange(s.port(), "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(8000, 'a') + "\r\n\r\n");
    CHECK(big_header.data.rfind("HTTP/1.1 431", 0) == 0);
    CHECK(big_header.data.find("entetes_trop_volumineux") != std::string::npos);

    // Announced too large: refused before the body is read.
    auto announced = raw_exchange(s.port(), "POST /api/admin/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                            "Content-Length: 100000\r\n\r\n{");
    CHECK(announced.data.rfind("HTTP/1.1 413", 0) == 0);
    CHECK(announced.data.find("trop_volumineux") != std::string::npos);
    CHECK(announced.data.find("Cache-Control: no-store") != std::string::npos);  // an error is never kept

    // Chunked, growing past the limit.
    std::string chunk(4000, 'x');
    std::string chunked = "POST /api/admin/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 4; ++i) chunked += "fa0\r\n" + chunk + "\r\n";
    chunked += "0\r\n\r\n";
    auto grown = raw_exchange(s.port(), chunked);
    CHECK(grown.data.rfind("HTTP/1.1 413", 0) == 0);

    auto via_client = s.request("POST", "/api/admin/users", std::string(9000, ' '), {{"Cookie", admin}});
    CHECK(via_client.status == 413);
    CHECK(via_client.header("cache-control") == "no-store");
    CHECK(user_count(s, admin) == before);
}

TEST_CASE("invalid JSON, invalid UTF-8 and wrong content type change nothing", "[http][bad-input]") {
    server s;
    auto admin = s.login_admin();
    auto before = user_count(s, admin);
    auto cookie = std::map<std::string, std::string>{{"Cookie", admin}};

    auto broken = s.request("POST", "/api/admin/users", "{\"email\": ", cookie);
    CHECK(broken.status == 400);
    CHECK(broken.error_code() == "json_invalide");

    auto not_object = s.request("POST", "/api/admin/users", "[1,2,3]", cookie);
    CHECK(not_object.error_code() == "json_invalide");

    std::string deep(100, '[');
    CHECK(s.request("POST", "/api/admin/users", deep, cookie).error_code() == "json_invalide");

    std::string bad_utf8 = "{\"email\":\"a\xff\xfe@x.fr\",\"name\":\"X\",\"role\":\"membre\",\"password\":\"motdepasse-solide\"}";
    auto u = s.request("POST", "/api/admin/users", bad_utf8, cookie);
    CHECK(u.status == 400);
    CHECK(u.error_code() == "utf8_invalide");

    std::string overlong = "{\"name\":\"\xc0\xaf\"}";
    CHECK(s.request("PATCH", "/api/me", overlong, cookie).error_code() == "utf8_invalide");

    auto form = s.request("POST", "/api/admin/users", "email=a@b.fr",
                          {{"Cookie", admin}, {"Content-Type", "application/x-www-form-urlencoded"}});
    CHECK(form.status == 415);
    CHECK(form.error_code() == "type_contenu_invalide");

    // The media type is read whole: a type that merely starts like JSON is not JSON.
    CHECK(s.request("POST", "/api/admin/users", "{}", {{"Cookie", admin}, {"Content-Type", "application/jsonx"}}).error_code() ==
          "type_contenu_invalide");
    CHECK(s.request("POST", "/api/admin/users", "{}", {{"Cookie", admin}, {"Content-Type", "Application/JSON ; charset=UTF-8"}})
              .error_code() == "champ_invalide");
    // API answers are not kept in caches unless a route says so.
    CHECK(s.request("GET", "/api/admin/users", {}, cookie).header("cache-control") == "no-store");
    CHECK(s.request("GET", "/api/nope", {}, cookie).header("cache-control") == "no-store");
    CHECK(s.request("GET", "/api/glossary", {}, cookie).header("cache-control") == "public, max-age=3600");

    auto missing = s.request("POST", "/api/admin/users", "{\"email\":\"x@y.fr\"}", cookie);
    CHECK(missing.status == 400);
    CHECK(missing.error_code() == "champ_invalide");
    CHECK(missing.json()["error"]["field"] == "name");

    CHECK(user_count(s, admin) == before);
    CHECK(s.request("GET", "/api/me", {}, cookie).json()["user"]["name"] == "Administrateur");
}

TEST_CASE("listening on every address without a public URL: the origin the Host names signs in", "[http][csrf]") {
    server s({"--listen", "0.0.0.0:0"});
    const auto port = std::to_string(s.port());
    const auto body = nlohmann::json{{"email", "admin@relais.local"}, {"password", s.admin_password()}}.dump();
    // This machine, and another one reaching it by its address: the page and the API on one host.
    CHECK(s.request("POST", "/api/session", body).status == 200);
    auto lan = s.request("POST", "/api/session", body, {{"Host", "192.168.1.20:" + port}, {"Origin", "http://192.168.1.20:" + port}});
    CHECK(lan.status == 200);
    // Another site's page still may not.
    auto foreign = s.request("POST", "/api/session", body, {{"Host", "192.168.1.20:" + port}, {"Origin", "http://evil.example"}});
    CHECK(foreign.error_code() == "origine_refusee");
    CHECK(s.request("POST", "/api/session", body, {{"Origin", ""}}).error_code() == "origine_refusee");
    CHECK(s.request("POST", "/api/session", body, {{"Origin", "http://0.0.0.0:" + port + ".evil.example"}}).error_code() == "origine_refusee");
    // The banner names an address a browser opens.
    CHECK(s.log().find("ouvrez http://127.0.0.1:" + port + "/connexion") != std::string::npos);
}

TEST_CASE("server.public_url is read as a browser writes its Origin: host in lower case, no default port", "[http][csrf]") {
    server s({"--set", "server.public_url=https://Relais.Example.fr:443/"});
    const auto body = nlohmann::json{{"email", "admin@relais.local"}, {"password", s.admin_password()}}.dump();
    CHECK(s.request("POST", "/api/session", body, {{"Origin", "https://relais.example.fr"}}).status == 200);
    CHECK(s.request("POST", "/api/session", body, {{"Origin", "https://relais.example.fr.evil"}}).error_code() == "origine_refusee");
    // A path cannot be an origin: refused at start, with what to write.
    auto path = relais::test::run_relais({"routes", "--set", "server.public_url=https://relais.example.fr/relais"});
    CHECK(path.status == 2);
    CHECK(path.output.find("without a path") != std::string::npos);
}

TEST_CASE("state-changing requests need an allowed Origin", "[http][csrf]") {
    server s;
    auto admin = s.login_admin();
    auto body = nlohmann::json{{"name", "Changé"}}.dump();
    auto none = s.request("PATCH", "/api/me", body, {{"Cookie", admin}, {"Origin", ""}});
    CHECK(none.status == 403);
    CHECK(none.error_code() == "origine_refusee");
    auto foreign = s.request("PATCH", "/api/me", body, {{"Cookie", admin}, {"Origin", "https://evil.example"}});
    CHECK(foreign.status == 403);
    auto login = s.request("POST", "/api/session", nlohmann::json{{"email", "admin@relais.local"}, {"password", s.admin_password()}}.dump(),
                           {{"Origin", "https://evil.example"}});
    CHECK(login.status == 403);
    CHECK(s.request("GET", "/api/me", {}, {{"Cookie", admin}}).json()["user"]["name"] == "Administrateur");
    auto ok = s.request("PATCH", "/api/me", body, {{"Cookie", admin}});
    CHECK(ok.status == 200);
    CHECK(ok.json()["user"]["name"] == "Changé");
}

TEST_CASE("a slow client is cut off and others are still served", "[http][limits]") {
    server s({"--set", "limits.header_timeout_s=1"});
    auto started = std::chrono::steady_clock::now();
    std::thread slow([&] {
        auto r = raw_exchange(s.port(), "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ", std::chrono::seconds(6));
        CHECK(r.closed);
        CHECK(r.data.empty());
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    CHECK(s.request("GET", "/healthz").status == 200);
    slow.join();
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
    CHECK(s.request("GET", "/healthz").status == 200);
}

TEST_CASE("connection limit per address", "[http][limits]") {
    server s({"--set", "limits.max_connections_per_address=3"});
    {
        // Three idle connections hold the slots; the fourth is refused with 503.
        std::vector<std::unique_ptr<relais::test::idle_connection>> holders;
        for (int i = 0; i < 3; ++i) holders.push_back(std::make_unique<relais::test::idle_connection>(s.port()));
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        auto r = raw_exchange(s.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", std::chrono::seconds(2));
        CHECK(r.data.rfind("HTTP/1.1 503", 0) == 0);
        CHECK(r.data.find("indisponible") != std::string::npos);
    }
    // Slots come back when the connections close.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    CHECK(s.request("GET", "/healthz").status == 200);
}

TEST_CASE("request rate limit per address", "[http][limits]") {
    server s({"--set", "limits.requests_per_second_per_address=1", "--set", "limits.request_burst_per_address=5"});
    int limited = 0;
    for (int i = 0; i < 10; ++i) {
        auto r = s.request("GET", "/api/meta");
        if (r.status == 429) {
            ++limited;
            CHECK(r.error_code() == "trop_de_requetes");
            CHECK(r.header("retry-after") == "1");
        }
    }
    CHECK(limited >= 4);
    // A health probe is never turned away by the rate (the monitor and the clients may share an address).
    for (int i = 0; i < 10; ++i) CHECK(s.request("GET", "/healthz").status == 200);
}

TEST_CASE("Expect: 100-continue is answered, unknown routes and methods are told so before CSRF", "[http]") {
    server s;
    std::string body = R"({"email":"x@y.fr","password":"pas le bon"})";
    auto asked = raw_exchange(s.port(), "POST /api/session HTTP/1.1\r\nHost: x\r\nOrigin: " + s.origin() +
                                            "\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nConnection: close\r\n"
                                            "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
    CHECK(asked.data.rfind("HTTP/1.1 100 Continue\r\n\r\n", 0) == 0);
    CHECK(asked.data.find("HTTP/1.1 401") != std::string::npos);
    // No route there: 404 (no Origin needed to learn that), a method no route has: 405.
    CHECK(s.request("POST", "/api/nulle-part", "{}", {{"Origin", ""}}).status == 404);
    auto odd = s.request("FOO", "/api/me", {}, {{"Origin", ""}});
    CHECK(odd.status == 405);
    CHECK(odd.error_code() == "methode_non_autorisee");
    // A route that exists still wants its Origin.
    CHECK(s.request("POST", "/api/session", body, {{"Origin", ""}}).error_code() == "origine_refusee");
}

TEST_CASE("metrics in Prometheus format, loopback only by default", "[http][metrics]") {
    server s;
    s.request("GET", "/healthz");
    s.request("GET", "/api/nothing");
    auto m = s.request("GET", "/metrics");
    REQUIRE(m.status == 200);
    CHECK(m.header("content-type").find("text/plain; version=0.0.4") == 0);
    CHECK(m.body.find("# TYPE relais_http_requests_total counter") != std::string::npos);
    CHECK(m.body.find("relais_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"}") != std::string::npos);
    CHECK(m.body.find("relais_http_connections") != std::string::npos);
    CHECK(m.body.find("relais_db_commit_seconds_bucket") != std::string::npos);
    CHECK(m.body.find("relais_ws_messages_total") != std::string::npos);
    // The process: memory, descriptors, start, version.
    CHECK(m.body.find("relais_process_resident_memory_bytes ") != std::string::npos);
    CHECK(m.body.find("relais_process_open_fds ") != std::string::npos);
    CHECK(m.body.find("relais_process_start_time_seconds ") != std::string::npos);
    CHECK(m.body.find("relais_build_info{version=\"0.1.0\"} 1") != std::string::npos);

    // A write refused by a rule (an address already taken) is a refusal, not a fault.
    auto admin = s.login_admin();
    s.make_user(admin, "double@x.fr", "membre");
    auto taken = s.request("POST", "/api/admin/users",
                           json{{"email", "DOUBLE@x.fr"}, {"name", "D"}, {"role", "membre"}, {"password", "une phrase de passe"}}.dump(),
                           {{"Cookie", admin}});
    REQUIRE(taken.error_code() == "email_deja_utilise");
    auto after = s.request("GET", "/metrics").body;
    CHECK(after.find("relais_db_write_errors_total 0\n") != std::string::npos);
    CHECK(after.find("relais_db_write_refusals_total 1\n") != std::string::npos);

    server closed({"--set", "server.metrics_allow=10.9.9.9"});
    CHECK(closed.request("GET", "/metrics").status == 403);
}

TEST_CASE("an HTTP client that never reads is closed and costs nothing after", "[http][limits]") {
    server s({"--set", "limits.request_timeout_s=2", "--set", "limits.requests_per_second_per_address=100000",
              "--set", "limits.request_burst_per_address=100000"});
    auto gauge = [&] {
        auto m = s.request("GET", "/metrics").body;
        auto at = m.find("\nrelais_http_connections ");
        return std::stol(m.substr(at + 25));
    };
    auto baseline = gauge();
    std::string pipelined;
    for (int i = 0; i < 3000; ++i) pipelined += "GET /js/app.js HTTP/1.1\r\nHost: x\r\n\r\n";
    {
        relais::test::idle_connection hog(s.port());
        hog.send(pipelined);
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        CHECK(gauge() == baseline + 1);
        CHECK(s.request("GET", "/healthz").status == 200);  // others are served meanwhile
        // Its responses pile up unread; the write deadline closes it.
        bool closed = false;
        for (int i = 0; i < 60 && !closed; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            closed = gauge() == baseline;
        }
        CHECK(closed);
    }
}
