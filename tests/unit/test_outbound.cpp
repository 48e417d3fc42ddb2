// Outbound HTTP and SMTP against real sockets: a small HTTP server and an SMTP sink on
// 127.0.0.1 (ephemeral ports), each on its own thread. Nothing here touches the internet.
#include "outbound/http_client.hpp"
#include "outbound/smtp.hpp"
#include "outbound/ssrf.hpp"

#include <catch2/catch.hpp>

#include "../fixtures/http_server.hpp"

#include <zlib.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <ctime>
#include <functional>
#include <map>
#include <regex>
#include <string>
#include <thread>
#include <vector>

using namespace relais::outbound;
using namespace relais::test;
using namespace std::chrono_literals;

namespace {

// ---------------------------------------------------------------------------------------
// Helpers (the test HTTP server is tests/fixtures/http_server.hpp)

std::string http_date(std::time_t t) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return buf;
}

std::string gzip(std::string_view data) {
    z_stream z{};
    REQUIRE(deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);  // +16: gzip wrapper
    std::string out(deflateBound(&z, data.size()), '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z.avail_in = static_cast<uInt>(data.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
}

// The routes every HTTP test uses.
struct http_fixture {
    const std::string last_modified = "Wed, 21 Oct 2015 07:28:00 GMT";
    const std::string text = [] {
        std::string s;
        for (int i = 0; i < 500; ++i) s += "Bonjour, ceci est une réponse compressée. ";
        return s;
    }();
    const std::string gzipped = gzip(text);
    const std::string bomb = gzip(std::string(16 << 20, '\0'));  // 16 Mio of zeros in about 16 kB
    test_http_server server{[this](const test_request& r) { return route(r); }};

    canned route(const test_request& r) const {
        const std::string& p = r.path;
        const std::string port = std::to_string(server.port());
        if (p == "/ok")
            return reply(200, "Bonjour",
                         "Content-Type: text/plain; charset=utf-8\r\nETag: \"v1\"\r\nLast-Modified: " + last_modified +
                             "\r\nX-Multi: a\r\nX-Multi: b\r\nX-Seen-UA: " + r.header("user-agent") +
                             "\r\nX-Proxy-Target: " + r.target + "\r\n");
        if (p == "/cond") {
            if (r.header("if-none-match") == "\"v1\"" || r.header("if-modified-since") == last_modified)
                return reply(304, {}, "ETag: \"v1\"\r\n");
            return reply(200, "frais", "ETag: \"v1\"\r\nLast-Modified: " + last_modified + "\r\n");
        }
        if (p.starts_with("/hop/")) {
            int n = std::stoi(p.substr(5));
            if (n == 0) return reply(200, "arrivé");
            return reply(302, {}, "Location: /hop/" + std::to_string(n - 1) + "\r\n");
        }
        if (p == "/to/metadata") return reply(302, {}, "Location: http://169.254.169.254/latest/meta-data/\r\n");
        if (p == "/to/private") return reply(301, {}, "Location: http://10.0.0.1/\r\n");
        if (p == "/to/file") return reply(302, {}, "Location: file:///etc/passwd\r\n");
        if (p == "/to/gopher") return reply(302, {}, "Location: gopher://127.0.0.1:" + port + "/\r\n");
        if (p == "/to/credentials") return reply(302, {}, "Location: http://user:secret@127.0.0.1:" + port + "/ok\r\n");
        if (p == "/big") return reply(200, std::string(100'000, 'x'));
        if (p == "/gzip") return reply(200, gzipped, "Content-Encoding: gzip\r\n");
        if (p == "/bomb") return reply(200, bomb, "Content-Encoding: gzip\r\n");
        if (p == "/fat-headers") {
            std::string headers;
            for (int i = 0; i < 90; ++i)
                headers += "X-Filler-" + std::to_string(i) + ": " + std::string(1000, 'y') + "\r\n";
            return reply(200, "ok", headers);
        }
        if (p == "/many-headers") {
            std::string headers;
            for (int i = 0; i < 150; ++i) headers += "X-N" + std::to_string(i) + ": 1\r\n";
            return reply(200, "ok", headers);
        }
        if (p == "/slow") {
            canned c = reply(200, std::string(50, 's'));
            c.drip = 100ms;
            return c;
        }
        if (p == "/busy") return reply(429, "patience", "Retry-After: 120\r\n");
        if (p == "/down")
            return reply(503, "maintenance", "Retry-After: " + http_date(std::time(nullptr) + 300) + "\r\n");
        if (p == "/echo")
            return reply(200, r.method + "|" + r.body + "|" + r.header("content-type") + "|" + r.header("x-custom"));
        if (p == "/see-other") return reply(303, {}, "Location: /echo\r\n");
        if (p == "/temporary") return reply(307, {}, "Location: /echo\r\n");
        return reply(404, "introuvable");
    }
};

http_options loopback_options() {
    http_options o;
    o.policy.allow_loopback = true;
    o.connect_timeout = 2s;
    o.timeout = 5s;
    o.max_body_bytes = 64 << 10;
    return o;
}

http_request get(std::string url) {
    http_request r;
    r.url = std::move(url);
    return r;
}

fetch_error::kind failure_of(const fetch_result& r) {
    REQUIRE(r.has_error());
    return r.error().which();
}

}  // namespace

// ---------------------------------------------------------------------------------------
// SSRF guard

TEST_CASE("ssrf: literal addresses by policy", "[outbound]") {
    struct row {
        const char* address;
        bool by_default, with_loopback, with_private;
    };
    const row rows[] = {
        // public
        {"8.8.8.8", true, true, true},
        {"93.184.215.14", true, true, true},
        {"9.255.255.255", true, true, true},
        {"11.0.0.0", true, true, true},
        {"100.63.255.255", true, true, true},
        {"100.128.0.0", true, true, true},
        {"169.253.255.255", true, true, true},
        {"172.15.255.255", true, true, true},
        {"172.32.0.0", true, true, true},
        {"192.167.255.255", true, true, true},
        {"223.255.255.255", true, true, true},
        {"2001:4860:4860::8888", true, true, true},
        {"2a00:1450:4007:80c::200e", true, true, true},
        {"::ffff:8.8.8.8", true, true, true},
        {"64:ff9b::808:808", true, true, true},
        {"2002:808:808::1", true, true, true},
        // loopback
        {"127.0.0.1", false, true, false},
        {"127.255.255.254", false, true, false},
        {"::1", false, true, false},
        {"::ffff:127.0.0.1", false, true, false},
        {"::127.0.0.1", false, true, false},
        {"64:ff9b::7f00:1", false, true, false},
        {"2002:7f00:1::1", false, true, false},
        // private, link-local, unique-local, CGNAT
        {"10.0.0.1", false, false, true},
        {"10.255.255.255", false, false, true},
        {"172.16.0.1", false, false, true},
        {"172.31.255.255", false, false, true},
        {"192.168.1.1", false, false, true},
        {"169.254.169.254", false, false, true},
        {"100.64.0.1", false, false, true},
        {"100.127.255.255", false, false, true},
        {"198.18.0.1", false, false, true},
        {"fe80::1", false, false, true},
        {"febf::1", false, false, true},
        {"fc00::1", false, false, true},
        {"fd12:3456:789a::1", false, false, true},
        {"fec0::1", false, false, true},
        {"::ffff:10.0.0.1", false, false, true},
        {"::ffff:169.254.169.254", false, false, true},
        {"::ffff:0:a00:1", false, false, true},
        {"2002:c0a8:101::1", false, false, true},
        // never
        {"0.0.0.0", false, false, false},
        {"0.1.2.3", false, false, false},
        {"::", false, false, false},
        {"224.0.0.1", false, false, false},
        {"239.255.255.250", false, false, false},
        {"240.0.0.1", false, false, false},
        {"255.255.255.255", false, false, false},
        {"192.0.0.8", false, false, false},
        {"192.0.2.1", false, false, false},
        {"198.51.100.7", false, false, false},
        {"203.0.113.9", false, false, false},
        {"ff02::1", false, false, false},
        {"2001:db8::1", false, false, false},
        {"2001:0:4136:e378::1", false, false, false},
        {"100::1", false, false, false},
        {"::ffff:255.255.255.255", false, false, false},
        {"::ffff:0.0.0.0", false, false, false},
        {"4000::1", false, false, false},
    };
    const address_policy by_default, loopback{true, false}, internal{false, true}, both{true, true};
    for (const auto& r : rows) {
        INFO(r.address);
        CHECK(address_allowed(r.address, by_default) == r.by_default);
        CHECK(address_allowed(r.address, loopback) == r.with_loopback);
        CHECK(address_allowed(r.address, internal) == r.with_private);
        CHECK(address_allowed(r.address, both) == (r.with_loopback || r.with_private));
    }
    for (const char* not_literal :
         {"", "localhost", "10.0.0.1:80", "[::1]", "fe80::1%eth0", "1.2.3", "0x7f.1", "example.org"}) {
        INFO(not_literal);
        CHECK_FALSE(address_allowed(not_literal, both));
    }
    sockaddr_un unix_socket{};
    unix_socket.sun_family = AF_UNIX;
    CHECK_FALSE(address_allowed(reinterpret_cast<sockaddr*>(&unix_socket), sizeof unix_socket, both));
    sockaddr_in truncated{};
    truncated.sin_family = AF_INET;
    CHECK_FALSE(address_allowed(reinterpret_cast<sockaddr*>(&truncated), 4, both));
}

// ---------------------------------------------------------------------------------------
// HTTP client

TEST_CASE("http: URLs refused before any connection", "[outbound]") {
    http_fixture f;
    http_client client(loopback_options());
    std::string port = std::to_string(f.server.port());
    for (const auto& url : std::vector<std::string>{
             "file:///etc/passwd", "gopher://127.0.0.1:" + port + "/", "ftp://127.0.0.1:" + port + "/",
             "dict://127.0.0.1:" + port + "/", "http://user:secret@127.0.0.1:" + port + "/ok",
             "http://user@127.0.0.1:" + port + "/ok", "http:///ok", "http:/127.0.0.1:" + port + "/ok",
             "127.0.0.1:" + port + "/ok", "http://127.0.0.1:" + port + "/a b", "http://127.0.0.1:" + port + "/\r\nX: y",
             f.server.url("/ok?") + std::string(2048, 'a'), std::string()}) {
        INFO(url);
        auto r = client.fetch(get(url));
        CHECK(failure_of(r) == fetch_error::kind::invalid_url);
        CHECK(r.error().code() == "invalid_url");
    }
    CHECK(f.server.requests() == 0);
    auto r = client.fetch(get("file:///etc/passwd"));
    CHECK(r.error().message() ==
          "Adresse invalide : seules les adresses http:// et https:// sans identifiants sont acceptées.");
    CHECK_THROWS_AS(r.value(), fetch_error);
}

TEST_CASE("http: loopback refused unless allowed", "[outbound]") {
    http_fixture f;
    http_options o = loopback_options();
    o.policy.allow_loopback = false;
    http_client guarded(o);
    std::string port = std::to_string(f.server.port());
    for (const auto& url : std::vector<std::string>{
             f.server.url("/ok"), "http://localhost:" + port + "/ok", "http://[::1]:" + port + "/ok",
             "http://[::ffff:127.0.0.1]:" + port + "/ok", "http://2130706433:" + port + "/ok",
             "http://0x7f.1:" + port + "/ok", "http://0.0.0.0:" + port + "/ok"}) {
        INFO(url);
        auto r = guarded.fetch(get(url));
        CHECK(failure_of(r) == fetch_error::kind::blocked_address);
        CHECK(r.error().message() == "Adresse refusée : elle désigne le réseau interne.");
    }
    CHECK(f.server.requests() == 0);

    http_client allowed(loopback_options());
    auto r = allowed.fetch(get(f.server.url("/ok")));
    REQUIRE(r.has_value());
    CHECK(r->status == 200);
}

TEST_CASE("http: a plain 200 response", "[outbound]") {
    http_fixture f;
    http_client client(loopback_options());
    auto r = client.fetch(get(f.server.url("/ok")));
    REQUIRE(r.has_value());
    CHECK(r->status == 200);
    CHECK(r->ok());
    CHECK_FALSE(r->not_modified);
    CHECK(r->body == "Bonjour");
    CHECK(r->url == f.server.url("/ok"));
    CHECK(r->content_type == "text/plain; charset=utf-8");
    CHECK(r->etag == "\"v1\"");
    CHECK(r->last_modified == f.last_modified);
    CHECK_FALSE(r->retry_after_s);
    REQUIRE(r->header("x-multi"));
    CHECK(*r->header("x-multi") == "a");
    CHECK(std::count_if(r->headers.begin(), r->headers.end(), [](auto& h) { return h.first == "x-multi"; }) == 2);
    CHECK(r->header("X-Multi") == nullptr);  // names are lower case
    CHECK(*r->header("x-seen-ua") == default_user_agent());
    CHECK(default_user_agent().starts_with("Relais/"));
    CHECK(default_user_agent("https://relais.example.org") == default_user_agent() + " (+https://relais.example.org)");

    http_options o = loopback_options();
    o.user_agent = default_user_agent("https://relais.example.org");
    http_client custom(o);
    auto again = custom.fetch(get(f.server.url("/ok")));
    REQUIRE(again.has_value());
    CHECK(*again->header("x-seen-ua") == o.user_agent);

    auto missing = client.fetch(get(f.server.url("/nowhere")));
    REQUIRE(missing.has_value());  // an HTTP status is a response, not a failure
    CHECK(missing->status == 404);
    CHECK_FALSE(missing->ok());
    auto e = fetch_error::from_status(*missing);
    CHECK(e.which() == fetch_error::kind::http_status);
    CHECK(e.status() == 404);
    CHECK(e.message() == "Le serveur a répondu par une erreur (HTTP 404).");
}

TEST_CASE("http: conditional GET", "[outbound]") {
    http_fixture f;
    http_client client(loopback_options());
    auto first = client.fetch(get(f.server.url("/cond")));
    REQUIRE(first.has_value());
    CHECK(first->status == 200);

    http_request again = get(f.server.url("/cond"));
    again.etag = first->etag;
    auto by_etag = client.fetch(again);
    REQUIRE(by_etag.has_value());
    CHECK(by_etag->status == 304);
    CHECK(by_etag->not_modified);
    CHECK(by_etag->ok());
    CHECK(by_etag->body.empty());

    again.etag.clear();
    again.last_modified = first->last_modified;
    auto by_date = client.fetch(again);
    REQUIRE(by_date.has_value());
    CHECK(by_date->not_modified);

    again.last_modified.clear();
    again.etag = "\"v0\"";
    auto changed = client.fetch(again);
    REQUIRE(changed.has_value());
    CHECK(changed->status == 200);
    CHECK(changed->body == "frais");
}

TEST_CASE("http: redirects are followed at most max_redirects times", "[outbound]") {
    http_fixture f;
    http_client client(loopback_options());
    auto three = client.fetch(get(f.server.url("/hop/3")));
    REQUIRE(three.has_value());
    CHECK(three->status == 200);
    CHECK(three->body == "arrivé");
    CHECK(three->url == f.server.url("/hop/0"));
    CHECK(client.fetch(get(f.server.url("/hop/5"))).has_value());

    auto six = client.fetch(get(f.server.url("/hop/6")));
    CHECK(failure_of(six) == fetch_error::kind::too_many_redirects);
    CHECK(six.error().message() == "Trop de redirections (5 au plus).");

    http_options o = loopback_options();
    o.max_redirects = 50;  // bounded to 5
    http_client greedy(o);
    CHECK(failure_of(greedy.fetch(get(f.server.url("/hop/6")))) == fetch_error::kind::too_many_redirects);
    o.max_redirects = 0;
    http_client none(o);
    CHECK(failure_of(none.fetch(get(f.server.url("/hop/1")))) == fetch_error::kind::too_many_redirects);
    CHECK(none.fetch(get(f.server.url("/hop/0"))).has_value());
}

TEST_CASE("http: each redirect is checked like the first request", "[outbound]") {
    http_fixture f;
    http_client client(loopback_options());  // loopback allowed, the private group not
    CHECK(failure_of(client.fetch(get(f.server.url("/to/metadata")))) == fetch_error::kind::blocked_address);
    CHECK(failure_of(client.fetch(get(f.server.url("/to/private")))) == fetch_error::kind::blocked_address);
    CHECK(failure_of(client.fetch(get(f.server.url("/to/file")))) == fetch_error::kind::invalid_url);
    CHECK(failure_of(client.fetch(get(f.server.url("/to/gopher")))) == fetch_error::kind::invalid_url);
    CHECK(failure_of(client.fetch(get(f.server.url("/to/credentials")))) == fetch_error::kind::invalid_url);
    CHECK(f.server.requests() == 5);  // the first hops only
}

TEST_CASE("http: bodies and headers are capped, after decompression", "[outbound]") {
    http_fixture f;
    http_client client(loopback_options());  // 64 Kio
    auto big = client.fetch(get(f.server.url("/big")));
    CHECK(failure_of(big) == fetch_error::kind::too_large);
    CHECK(big.error().message() == "La réponse dépasse la taille autorisée (64 Kio).");

    auto gzipped = client.fetch(get(f.server.url("/gzip")));
    REQUIRE(gzipped.has_value());
    CHECK(f.gzipped.size() < f.text.size());
    CHECK(gzipped->body == f.text);

    REQUIRE(f.bomb.size() < (64u << 10));  // small on the wire, 16 Mio once inflated
    auto bomb = client.fetch(get(f.server.url("/bomb")));
    CHECK(failure_of(bomb) == fetch_error::kind::too_large);

    CHECK(failure_of(client.fetch(get(f.server.url("/fat-headers")))) == fetch_error::kind::too_large);
    CHECK(failure_of(client.fetch(get(f.server.url("/many-headers")))) == fetch_error::kind::too_large);

    http_options o = loopback_options();
    o.max_body_bytes = 5 << 20;
    http_client roomy(o);
    auto fine = roomy.fetch(get(f.server.url("/big")));
    REQUIRE(fine.has_value());
    CHECK(fine->body.size() == 100'000);
    auto still_bomb = roomy.fetch(get(f.server.url("/bomb")));
    CHECK(failure_of(still_bomb) == fetch_error::kind::too_large);
    CHECK(still_bomb.error().message() == "La réponse dépasse la taille autorisée (5 Mio).");
}

TEST_CASE("http: a slow server meets the total timeout", "[outbound]") {
    http_fixture f;
    http_options o = loopback_options();
    o.timeout = 600ms;
    http_client client(o);
    auto start = std::chrono::steady_clock::now();
    auto r = client.fetch(get(f.server.url("/slow")));  // 5 s to send it all
    auto elapsed = std::chrono::steady_clock::now() - start;
    CHECK(failure_of(r) == fetch_error::kind::timeout);
    CHECK(r.error().message() == "Le serveur n'a pas répondu à temps (0,6 s).");
    CHECK(elapsed < 3s);
}

TEST_CASE("http: Retry-After in both forms", "[outbound]") {
    http_fixture f;
    http_client client(loopback_options());
    auto busy = client.fetch(get(f.server.url("/busy")));
    REQUIRE(busy.has_value());
    CHECK(busy->status == 429);
    CHECK(busy->retry_after_s == 120);
    CHECK(fetch_error::from_status(*busy).message() ==
          "Le serveur a répondu par une erreur (HTTP 429) : réessayez dans 120 s.");
    auto down = client.fetch(get(f.server.url("/down")));
    REQUIRE(down.has_value());
    CHECK(down->status == 503);
    REQUIRE(down->retry_after_s);
    CHECK(*down->retry_after_s >= 295);
    CHECK(*down->retry_after_s <= 300);

    const std::int64_t t = 1445412480;  // Wed, 21 Oct 2015 07:28:00 GMT
    CHECK(parse_retry_after("120", t) == 120);
    CHECK(parse_retry_after(" 0 ", t) == 0);
    CHECK(parse_retry_after("99999999999999999999", t) == 999'999'999);
    CHECK(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", t - 10) == 10);
    CHECK(parse_retry_after("Wednesday, 21-Oct-15 07:28:00 GMT", t - 10) == 10);
    CHECK(parse_retry_after("Wed Oct 21 07:28:00 2015", t - 10) == 10);
    CHECK(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", t + 10) == 0);
    CHECK_FALSE(parse_retry_after("", t));
    CHECK_FALSE(parse_retry_after("bientôt", t));
    CHECK_FALSE(parse_retry_after("-5", t));
}

TEST_CASE("http: HEAD, POST and how redirects change the method", "[outbound]") {
    http_fixture f;
    http_client client(loopback_options());
    http_request head = get(f.server.url("/ok"));
    head.method = http_method::head;
    auto h = client.fetch(head);
    REQUIRE(h.has_value());
    CHECK(h->status == 200);
    CHECK(h->body.empty());
    CHECK(h->etag == "\"v1\"");

    http_request post = get(f.server.url("/echo"));
    post.method = http_method::post;
    post.body = R"({"a":1})";
    post.headers = {{"Content-Type", "application/json"}, {"X-Custom", "oui"}};
    auto p = client.fetch(post);
    REQUIRE(p.has_value());
    CHECK(p->body == R"(POST|{"a":1}|application/json|oui)");

    post.url = f.server.url("/see-other");
    auto see_other = client.fetch(post);
    REQUIRE(see_other.has_value());
    CHECK(see_other->body.starts_with("GET||"));
    post.url = f.server.url("/temporary");
    auto temporary = client.fetch(post);
    REQUIRE(temporary.has_value());
    CHECK(temporary->body.starts_with(R"(POST|{"a":1}|)"));

    http_request injected = get(f.server.url("/echo"));
    injected.headers = {{"X-Custom", "a\r\nX-Injected: 1"}};
    CHECK_THROWS_AS(client.fetch(injected), std::invalid_argument);
    injected.headers = {{"X-Bad:Name", "a"}};
    CHECK_THROWS_AS(client.fetch(injected), std::invalid_argument);
    injected.headers.clear();
    injected.etag = "\"v1\"\r\nX-Injected: 1";
    CHECK_THROWS_AS(client.fetch(injected), std::invalid_argument);
}

TEST_CASE("http: connection failures", "[outbound]") {
    http_client client(loopback_options());
    auto refused = client.fetch(get("http://127.0.0.1:" + std::to_string(closed_port()) + "/"));
    CHECK(failure_of(refused) == fetch_error::kind::connect);
    CHECK(refused.error().message() == "Impossible de joindre le serveur.");
    CHECK_FALSE(refused.error().detail().empty());

    http_fixture f;  // speaks plain HTTP and hangs up on a TLS handshake
    auto tls = client.fetch(get("https://127.0.0.1:" + std::to_string(f.server.port()) + "/ok"));
    CHECK(failure_of(tls) == fetch_error::kind::tls);
}

TEST_CASE("http: through a proxy, the target's addresses are checked", "[outbound]") {
    http_fixture f;  // also a forward proxy: it answers absolute-form requests itself
    http_options o = loopback_options();
    o.policy = {};  // no loopback: only the proxy, from the configuration, may be there
    o.proxy = f.server.url("");
    http_client client(o);
    auto r = client.fetch(get("http://93.184.215.14/ok"));
    REQUIRE(r.has_value());
    CHECK(r->status == 200);
    CHECK(*r->header("x-proxy-target") == "http://93.184.215.14/ok");
    CHECK(f.server.requests() == 1);

    std::string port = std::to_string(f.server.port());
    for (const auto& url :
         std::vector<std::string>{"http://10.0.0.1/ok", "http://169.254.169.254/", "http://localhost:" + port + "/ok",
                                  "http://127.0.0.1:" + port + "/ok", "http://[::1]/ok"}) {
        INFO(url);
        CHECK(failure_of(client.fetch(get(url))) == fetch_error::kind::blocked_address);
    }
    CHECK(f.server.requests() == 1);
    // "localhost" is loopback by name (RFC 6761): refused before any lookup, in any case.
    for (const char* name : {"LocalHost", "api.localhost", "localhost."}) {
        INFO(name);
        CHECK(failure_of(client.fetch(get(std::string("http://") + name + ":" + port + "/ok"))) == fetch_error::kind::blocked_address);
    }

    for (const char* proxy : {"ftp://127.0.0.1:3128", "127.0.0.1 3128", "http://"}) {
        INFO(proxy);
        o.proxy = proxy;
        CHECK_THROWS_AS(http_client(o), std::invalid_argument);
    }
    o.proxy = "socks5h://127.0.0.1:1080";
    CHECK_NOTHROW(http_client(o));
}

// ---------------------------------------------------------------------------------------
// SMTP

namespace {

/// An SMTP server that takes one connection and speaks just enough ESMTP, keeping what it
/// was told. The RCPT and end-of-DATA replies are chosen by the test.
class smtp_sink {
public:
    explicit smtp_sink(std::string rcpt_reply = "250 2.1.5 Ok", std::string data_reply = "250 2.0.0 Ok: queued")
        : rcpt_reply_(std::move(rcpt_reply)), data_reply_(std::move(data_reply)) {
        listener_ = listen_loopback(port_);
        thread_ = std::thread([this] { run(); });
    }
    ~smtp_sink() {
        join();
        ::close(listener_);
    }
    void join() {
        if (thread_.joinable()) thread_.join();
    }
    unsigned short port() const { return port_; }

    // Read after join().
    std::vector<std::string> commands;
    std::string data;  // the message, dot-stuffing undone, without the final ".CRLF"

private:
    void run() {
        pollfd p{listener_, POLLIN, 0};
        if (::poll(&p, 1, 5000) <= 0) return;
        int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) return;
        converse(fd);
        ::close(fd);
    }

    void converse(int fd) {
        std::string buf;
        if (!send_all(fd, "220 sink.test ESMTP\r\n")) return;
        for (;;) {
            auto end = read_until(fd, buf, "\r\n");
            if (end == npos) return;
            std::string line = buf.substr(0, end - 2);
            buf.erase(0, end);
            commands.push_back(line);
            std::string verb = line.substr(0, 4);
            for (auto& c : verb) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            std::string answer = "250 2.0.0 Ok";
            if (verb == "EHLO")
                answer = "250-sink.test\r\n250-8BITMIME\r\n250 SIZE 10000000";
            else if (verb == "RCPT")
                answer = rcpt_reply_;
            else if (verb == "QUIT")
                answer = "221 2.0.0 Bye";
            else if (verb == "DATA") {
                if (!send_all(fd, "354 End data with <CR><LF>.<CR><LF>\r\n")) return;
                buf.insert(0, "\r\n");  // so that a first line "." is found like the others
                auto stop = read_until(fd, buf, "\r\n.\r\n");
                if (stop == npos) return;
                data = buf.substr(2, stop - 5);
                buf.erase(0, stop);
                for (auto at = data.find("\r\n.."); at != npos; at = data.find("\r\n..", at + 3)) data.erase(at + 2, 1);
                if (data.starts_with("..")) data.erase(0, 1);
                answer = data_reply_;
            } else if (verb != "MAIL" && verb != "HELO" && verb != "RSET" && verb != "NOOP") {
                answer = "502 5.5.2 Command not implemented";
            }
            if (!send_all(fd, answer + "\r\n") || verb == "QUIT") return;
        }
    }

    std::string rcpt_reply_, data_reply_;
    int listener_ = -1;
    unsigned short port_ = 0;
    std::thread thread_;
};

std::string base64_decode(std::string_view in) {
    static const std::string table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::uint32_t bits = 0;
    int count = 0;
    for (char c : in) {
        auto v = table.find(c);
        if (v == npos) continue;  // '=' padding
        bits = bits << 6 | static_cast<std::uint32_t>(v);
        if ((count += 6) >= 8) {
            count -= 8;
            out += static_cast<char>(bits >> count & 0xff);
        }
    }
    return out;
}

/// A header value with its RFC 2047 "=?UTF-8?B?...?=" words decoded (the folding
/// whitespace between two words dropped, as RFC 2047 says).
std::string decode_words(const std::string& value) {
    static const std::regex word(R"(=\?UTF-8\?B\?([A-Za-z0-9+/=]*)\?=)");
    static const std::regex between(R"(\?=\s+=\?)");
    std::string joined = std::regex_replace(value, between, "?==?");
    std::string out;
    auto last = joined.cbegin();
    for (std::sregex_iterator it(joined.begin(), joined.end(), word), end; it != end; ++it) {
        out.append(last, (*it)[0].first);
        out += base64_decode((*it)[1].str());
        last = (*it)[0].second;
    }
    out.append(last, joined.cend());
    return out;
}

std::string qp_decode(std::string_view in) {
    std::string out;
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] != '=') {
            out += in[i];
        } else if (in.substr(i + 1, 2) == "\r\n") {
            i += 2;  // soft line break
        } else {
            out += static_cast<char>(std::stoi(std::string(in.substr(i + 1, 2)), nullptr, 16));
            i += 2;
        }
    }
    return out;
}

struct parsed_message {
    std::map<std::string, std::string> headers;  // unfolded
    std::string body;
};

parsed_message parse_message(const std::string& message) {
    parsed_message m;
    auto split = message.find("\r\n\r\n");
    REQUIRE(split != npos);
    std::string head = message.substr(0, split);
    m.body = message.substr(split + 4);
    head = std::regex_replace(head, std::regex("\r\n[ \t]"), " ");
    std::size_t pos = 0;
    while (pos < head.size()) {
        auto eol = std::min(head.find("\r\n", pos), head.size());
        std::string line = head.substr(pos, eol - pos);
        auto colon = line.find(':');
        REQUIRE(colon != npos);
        m.headers[line.substr(0, colon)] = line.substr(colon + 2);
        pos = eol + 2;
    }
    return m;
}

/// Every line ends in CRLF and fits: 998 bytes at most, 76 for header lines.
void check_lines(const std::string& message) {
    bool in_head = true;
    std::size_t pos = 0;
    while (pos < message.size()) {
        auto eol = message.find('\n', pos);
        REQUIRE(eol != npos);
        REQUIRE(eol > pos);
        CHECK(message[eol - 1] == '\r');
        std::string_view line(message.data() + pos, eol - 1 - pos);
        INFO(line);
        CHECK(line.size() <= (in_head ? 76u : 998u));
        if (line.empty()) in_head = false;
        pos = eol + 1;
    }
}

smtp_settings sink_settings(unsigned short port) {
    smtp_settings s;
    s.host = "127.0.0.1";
    s.port = port;
    s.tls = smtp_tls::none;
    s.from_address = "relais@relais.example.org";
    s.from_name = "Relais — l'équipe";
    s.helo_domain = "relais.example.org";
    s.connect_timeout = 2s;
    s.timeout = 5s;
    return s;
}

email sample_email() {
    email m;
    m.to = "marie.lefevre@example.org";
    m.to_name = "Marie Lefèvre";
    m.subject = "Compte rendu de l'atelier « Parcours de soins » : relecture demandée avant vendredi, merci !";
    m.text_body =
        "Bonjour Marie,\n\nLe compte rendu est prêt : 3 actions, 12 idées.\n"
        ".une ligne qui commence par un point\n"
        "une ligne avec une espace finale \n"
        "égal = égal\n" +
        std::string(200, 'z') + "\n";
    return m;
}

}  // namespace

TEST_CASE("smtp: valid_email", "[outbound]") {
    for (const auto& good : std::vector<std::string>{"a@b.fr", "prenom.nom+tag@sous.domaine.example.org",
                                                     "x_y-z@a-b.co", "o'neil@example.org", "A@EXAMPLE.ORG", "1@2a.fr",
                                                     std::string(64, 'l') + "@example.org",
                                                     std::string(64, 'l') + "@" + std::string(63, 'd') + "." +
                                                         std::string(63, 'd') + "." + std::string(57, 'd') + ".org"}) {
        INFO(good);
        CHECK(good.size() <= 254);
        CHECK(valid_email(good));
    }
    for (const auto& bad : std::vector<std::string>{"",
                                                    "a",
                                                    "a@b",
                                                    "@b.fr",
                                                    "a@",
                                                    "a@@b.fr",
                                                    "a@b@c.fr",
                                                    "a b@c.fr",
                                                    "a@b .fr",
                                                    "<a@b.fr>",
                                                    "a@b.fr>",
                                                    "a@b.fr\r\n",
                                                    "a\n@b.fr",
                                                    "a\t@b.fr",
                                                    ".a@b.fr",
                                                    "a.@b.fr",
                                                    "a..b@c.fr",
                                                    "a@[127.0.0.1]",
                                                    "a@127.0.0.1",
                                                    "a@-b.fr",
                                                    "a@b-.fr",
                                                    "a@b..fr",
                                                    "a@.b.fr",
                                                    "a@b.fr.",
                                                    "\"quoted\"@b.fr",
                                                    "\xC3\xA9@b.fr",
                                                    "a@\xC3\xA9t\xC3\xA9.fr",
                                                    "a@b.f_r",
                                                    "a(c)@b.fr",
                                                    "a,b@c.fr",
                                                    std::string("a\0b@c.fr", 8),
                                                    std::string(65, 'l') + "@example.org",
                                                    std::string(64, 'l') + "@" + std::string(63, 'd') + "." +
                                                        std::string(63, 'd') + "." + std::string(58, 'd') + ".org",
                                                    "a@" + std::string(64, 'd') + ".fr"}) {
        INFO(bad);
        CHECK_FALSE(valid_email(bad));
    }
}

TEST_CASE("smtp: a message through a real SMTP exchange", "[outbound]") {
    smtp_sink sink;
    smtp_client client(sink_settings(sink.port()));
    email m = sample_email();
    auto sent = client.send(m);
    INFO((sent.has_error() ? std::string(sent.error().detail()) : ""));
    REQUIRE(sent.has_value());
    sink.join();

    REQUIRE(sink.commands.size() >= 5);
    CHECK(sink.commands[0] == "EHLO relais.example.org");
    CHECK(sink.commands[1].starts_with("MAIL FROM:<relais@relais.example.org>"));
    CHECK(sink.commands[2] == "RCPT TO:<marie.lefevre@example.org>");
    CHECK(sink.commands[3] == "DATA");
    CHECK(sink.commands.back() == "QUIT");

    check_lines(sink.data);
    auto msg = parse_message(sink.data);
    CHECK(std::regex_match(
        msg.headers["Date"],
        std::regex(R"((Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) )"
                   R"(\d{4} \d\d:\d\d:\d\d \+0000)")));
    CHECK(std::regex_match(msg.headers["Message-ID"], std::regex(R"(<[0-9A-F]{32}@relais\.example\.org>)")));
    CHECK(msg.headers["Subject"].starts_with("=?UTF-8?B?"));
    CHECK(decode_words(msg.headers["Subject"]) == m.subject);
    CHECK(decode_words(msg.headers["From"]) == "Relais — l'équipe <relais@relais.example.org>");
    CHECK(decode_words(msg.headers["To"]) == "Marie Lefèvre <marie.lefevre@example.org>");
    CHECK(msg.headers["MIME-Version"] == "1.0");
    CHECK(msg.headers["Content-Type"] == "text/plain; charset=utf-8");
    CHECK(msg.headers["Content-Transfer-Encoding"] == "quoted-printable");
    CHECK(msg.headers.count("Reply-To") == 0);
    CHECK(msg.body.find("pr=C3=AAt") != npos);
    CHECK(msg.body.find("espace finale=20\r\n") != npos);
    CHECK(msg.body.find("=C3=A9gal =3D =C3=A9gal") != npos);
    std::string expected = std::regex_replace(m.text_body, std::regex("\n"), "\r\n");
    CHECK(qp_decode(msg.body) == expected);

    smtp_sink second;
    smtp_client plain(sink_settings(second.port()));
    email ascii;
    ascii.to = "paul@example.org";
    ascii.subject = "Bonjour";
    ascii.text_body = "Salut";
    REQUIRE(plain.send(ascii).has_value());
    second.join();
    auto short_one = parse_message(second.data);
    CHECK(short_one.headers["Subject"] == "Bonjour");
    CHECK(short_one.headers["To"] == "paul@example.org");
}

TEST_CASE("smtp: html makes a multipart/alternative message", "[outbound]") {
    smtp_settings s = sink_settings(25);
    s.from_name = "Relais";
    email m = sample_email();
    m.to_name = "Dupont, \"Jean\"";
    m.html_body = "<p>Bonjour Marie,</p>\n<p>Le compte rendu est prêt.</p>\n";
    m.reply_to = "animation@example.org";
    std::string message = build_message(s, m);
    check_lines(message);
    auto msg = parse_message(message);
    CHECK(msg.headers["From"] == "\"Relais\" <relais@relais.example.org>");
    CHECK(msg.headers["To"] == R"("Dupont, \"Jean\"" <marie.lefevre@example.org>)");
    CHECK(msg.headers["Reply-To"] == "animation@example.org");
    std::smatch boundary;
    REQUIRE(std::regex_match(msg.headers["Content-Type"], boundary,
                             std::regex(R"re(multipart/alternative; boundary="([^"]+)")re")));
    std::string b = "--" + boundary[1].str();
    auto text_at = msg.body.find(b + "\r\nContent-Type: text/plain; charset=utf-8\r\n");
    auto html_at = msg.body.find("\r\n" + b + "\r\nContent-Type: text/html; charset=utf-8\r\n");
    auto end_at = msg.body.find("\r\n" + b + "--\r\n");
    REQUIRE(text_at != npos);
    REQUIRE(html_at != npos);
    REQUIRE(end_at != npos);
    CHECK(text_at < html_at);
    CHECK(html_at < end_at);
    auto html_part = msg.body.substr(html_at, end_at - html_at);
    auto html_body = html_part.substr(html_part.find("\r\n\r\n") + 4);
    CHECK(qp_decode(html_body) == "<p>Bonjour Marie,</p>\r\n<p>Le compte rendu est prêt.</p>\r\n");

    email injected = sample_email();
    injected.subject = "Bonjour\r\nBcc: tout-le-monde@example.org";
    auto with_injection = parse_message(build_message(s, injected));
    CHECK(with_injection.headers.count("Bcc") == 0);
    CHECK(with_injection.headers["Subject"] == "Bonjour  Bcc: tout-le-monde@example.org");
}

TEST_CASE("smtp: refusals are permanent or transient by reply code", "[outbound]") {
    struct row {
        const char* rcpt;
        const char* data;
        int code;
        bool permanent;
    };
    for (const row r :
         {row{"550 5.1.1 No such user", "250 Ok", 550, true}, row{"451 4.7.1 Try again later", "250 Ok", 451, false},
          row{"250 Ok", "554 5.7.1 Rejected as spam", 554, true},
          row{"250 Ok", "452 4.3.1 Mailbox full", 452, false}}) {
        INFO(r.rcpt << " / " << r.data);
        smtp_sink sink(r.rcpt, r.data);
        auto sent = smtp_client(sink_settings(sink.port())).send(sample_email());
        REQUIRE(sent.has_error());
        CHECK(sent.error().which() == smtp_error::kind::rejected);
        CHECK(sent.error().code() == "rejected");
        CHECK(sent.error().smtp_code() == r.code);
        CHECK(sent.error().permanent() == r.permanent);
        CHECK(std::string(sent.error().message()).find("(code " + std::to_string(r.code) + ")") != npos);
    }
}

TEST_CASE("smtp: failures before the relay accepts anything", "[outbound]") {
    auto refused = smtp_client(sink_settings(closed_port())).send(sample_email());
    REQUIRE(refused.has_error());
    CHECK(refused.error().which() == smtp_error::kind::connect);
    CHECK_FALSE(refused.error().permanent());
    CHECK(refused.error().smtp_code() == 0);
    CHECK(refused.error().message() == "Le serveur d'envoi des e-mails est injoignable.");
    CHECK_THROWS_AS(refused.value(), smtp_error);

    smtp_sink sink;  // offers no STARTTLS: required TLS must not fall back to plain text
    smtp_settings s = sink_settings(sink.port());
    s.tls = smtp_tls::starttls;
    auto no_tls = smtp_client(s).send(sample_email());
    sink.join();
    REQUIRE(no_tls.has_error());
    CHECK(no_tls.error().which() == smtp_error::kind::tls);
    CHECK(std::none_of(sink.commands.begin(), sink.commands.end(), [](auto& c) { return c.starts_with("MAIL"); }));

    email bad = sample_email();
    bad.to = "marie@example.org\r\nRCPT TO:<autre@example.org>";
    auto invalid = smtp_client(sink_settings(closed_port())).send(bad);
    REQUIRE(invalid.has_error());
    CHECK(invalid.error().which() == smtp_error::kind::invalid_message);
    CHECK(invalid.error().permanent());
    CHECK(invalid.error().message() == "L'adresse e-mail du destinataire est invalide.");
    bad = sample_email();
    bad.subject = "\xC3";
    CHECK(smtp_client(sink_settings(closed_port())).send(bad).error().which() == smtp_error::kind::invalid_message);

    smtp_settings wrong = sink_settings(25);
    wrong.from_address = "relais";
    CHECK_THROWS_AS(smtp_client(wrong), std::invalid_argument);
    wrong = sink_settings(25);
    wrong.host = "relay.example.org/evil";
    CHECK_THROWS_AS(smtp_client(wrong), std::invalid_argument);
}
