// The /ws endpoint: admission, messages, limits, a client that never reads.
#include "harness.hpp"

#include <catch2/catch.hpp>

#include <sys/socket.h>

#include <thread>

using relais::test::server;
using relais::test::ws_client;
using relais::test::run_relais;
using json = nlohmann::json;

TEST_CASE("websocket admission needs a session and an allowed Origin", "[ws]") {
    server s;
    auto admin = s.login_admin();
    {
        ws_client c;
        std::string body;
        CHECK(c.connect(s.port(), "", s.origin(), &body) == 401);
        CHECK(body.find("non_authentifie") != std::string::npos);
    }
    {
        ws_client c;
        std::string body;
        CHECK(c.connect(s.port(), admin, "https://evil.example", &body) == 403);
        CHECK(body.find("origine_refusee") != std::string::npos);
    }
    {
        ws_client c;
        CHECK(c.connect(s.port(), admin, "", nullptr) == 403);
    }
    {
        ws_client c;
        CHECK(c.connect(s.port(), "relais_session=forged", s.origin(), nullptr) == 401);
    }
    ws_client c;
    REQUIRE(c.connect(s.port(), admin, s.origin(), nullptr) == 101);
    auto welcome = c.read();
    REQUIRE(welcome);
    auto w = json::parse(*welcome);
    CHECK(w["type"] == "welcome");
    CHECK(w["user"]["email"] == "admin@relais.local");
}

TEST_CASE("websocket messages: ping, bad JSON, unknown type, invalid UTF-8", "[ws][bad-input]") {
    server s;
    auto admin = s.login_admin();
    ws_client c;
    REQUIRE(c.connect(s.port(), admin, s.origin(), nullptr) == 101);
    REQUIRE(c.read());  // welcome

    c.send(R"({"type":"ping","id":"abc"})");
    auto pong = json::parse(*c.read());
    CHECK(pong["type"] == "pong");
    CHECK(pong["id"] == "abc");

    c.send("{not json");
    auto e1 = json::parse(*c.read());
    CHECK(e1["type"] == "error");
    CHECK(e1["code"] == "json_invalide");
    CHECK_FALSE(e1["message"].get<std::string>().empty());

    c.send(R"({"type":"launch_missiles"})");
    CHECK(json::parse(*c.read())["code"] == "type_inconnu");
    c.send(R"({"no_type":1})");
    CHECK(json::parse(*c.read())["code"] == "type_inconnu");

    // Still usable after all that.
    c.send(R"({"type":"ping","id":1})");
    CHECK(json::parse(*c.read())["id"] == 1);

    // Invalid UTF-8 in a text frame: the protocol says close (1007).
    c.send("{\"type\":\"ping\",\"id\":\"\xff\"}");
    CHECK_FALSE(c.read());
    CHECK(c.close_code() == 1007);
    CHECK(s.request("GET", "/healthz").status == 200);
}

TEST_CASE("websocket message size limit", "[ws][limits]") {
    server s({"--set", "limits.ws_message_max_bytes=1024"});
    auto admin = s.login_admin();
    ws_client c;
    REQUIRE(c.connect(s.port(), admin, s.origin(), nullptr) == 101);
    REQUIRE(c.read());
    c.send(json{{"type", "ping"}, {"id", std::string(2000, 'x')}}.dump());
    CHECK_FALSE(c.read());
    CHECK(c.close_code() == 1009);
    ws_client other;
    CHECK(other.connect(s.port(), admin, s.origin(), nullptr) == 101);
}

TEST_CASE("a password set with relais user passwd ends the account's open sockets within a sweep", "[ws][auth]") {
    server s({"--set", "limits.ws_access_sweep_s=1"});
    auto admin = s.login_admin();
    s.make_user(admin, "victime@test.fr", "membre");
    auto victim = s.login("victime@test.fr", "motdepasse-solide");
    ws_client c, other;
    REQUIRE(c.connect(s.port(), victim, s.origin(), nullptr) == 101);
    REQUIRE(c.read());  // hello
    REQUIRE(other.connect(s.port(), admin, s.origin(), nullptr) == 101);
    REQUIRE(other.read());
    // Another process changes the password: the HTTP session ends at once...
    auto passwd = run_relais({"user", "passwd", "--data-dir", s.data_dir().string(), "--email", "victime@test.fr"}, "une autre phrase de passe\n");
    REQUIRE(passwd.status == 0);
    CHECK(s.request("GET", "/api/me", {}, {{"Cookie", victim}}).status == 401);
    // ... and its socket, even one that only listens, at the next sweep (1 s here).
    std::optional<std::string> last;
    for (int i = 0; i < 5 && c.is_open(); ++i) last = c.read(std::chrono::seconds(1));
    CHECK_FALSE(c.is_open());
    CHECK(c.close_code() == 1008);
    // Someone else's socket stays.
    other.send(R"({"type":"ping"})");
    auto pong = other.read();
    REQUIRE(pong);
    CHECK(json::parse(*pong)["type"] == "pong");
}

TEST_CASE("websocket flood is throttled, then disconnected", "[ws][limits]") {
    server s;
    auto admin = s.login_admin();
    ws_client c;
    REQUIRE(c.connect(s.port(), admin, s.origin(), nullptr) == 101);
    REQUIRE(c.read());
    int pongs = 0, throttled = 0;
    for (int i = 0; i < 400; ++i) c.send(R"({"type":"ping"})");
    while (auto m = c.read(std::chrono::seconds(2))) {
        auto j = json::parse(*m);
        if (j["type"] == "pong") ++pongs;
        else if (j["code"] == "trop_de_requetes") ++throttled;
    }
    CHECK(pongs >= 40);
    CHECK(pongs < 200);
    CHECK(throttled > 0);
    CHECK(c.close_code() == 1008);
}

TEST_CASE("a websocket client that never reads is dropped while others are served", "[ws][limits]") {
    server s({"--set", "limits.ws_send_queue_max=16", "--set", "limits.ws_message_max_bytes=65536"});
    auto admin = s.login_admin();
    ws_client lazy;
    REQUIRE(lazy.connect(s.port(), admin, s.origin(), nullptr) == 101);
    int small = 4096;
    setsockopt(lazy.native_handle(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    // Ask for large answers and never read them: the server's send queue fills.
    std::string big_id(60000, 'z');
    std::string msg = json{{"type", "ping"}, {"id", big_id}}.dump();
    // The server keeps reading (and answering) while its writes to us stall: once
    // the socket buffers are full, its send queue fills and it drops us.
    bool dropped = false;
    for (int i = 0; i < 600 && !dropped; ++i) {
        try {
            lazy.send(msg);
        } catch (const std::exception&) {
            // The server closed the connection under us.
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(45));  // under the message rate limit
        if (i % 10 == 9) dropped = s.log().find("\"reason\":\"send_queue_full\"") != std::string::npos;
    }
    CHECK(dropped);
    ws_client other;
    REQUIRE(other.connect(s.port(), admin, s.origin(), nullptr) == 101);
    CHECK(other.read());
    auto metrics = s.request("GET", "/metrics").body;
    CHECK(metrics.find("relais_ws_dropped_total 1") != std::string::npos);
}

TEST_CASE("websocket keepalive: pings keep a reading client, a silent peer is closed", "[ws][limits]") {
    server s({"--set", "limits.ws_idle_timeout_s=2"});
    auto admin = s.login_admin();
    ws_client alive;
    REQUIRE(alive.connect(s.port(), admin, s.origin(), nullptr) == 101);
    REQUIRE(alive.read());
    // Reading answers the server's pings (Beast does it), so the socket stays open.
    CHECK_FALSE(alive.read(std::chrono::milliseconds(4500)));  // no message for longer than the idle timeout...
    CHECK(alive.is_open());                                      // ...and still open
    ws_client probe;
    REQUIRE(probe.connect(s.port(), admin, s.origin(), nullptr) == 101);

    // A peer that completes the upgrade and then says nothing at all is closed.
    std::string upgrade = "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                          "Origin: " + s.origin() + "\r\nCookie: " + admin + "\r\n\r\n";
    auto started = std::chrono::steady_clock::now();
    auto r = relais::test::raw_exchange(s.port(), upgrade, std::chrono::seconds(8));
    CHECK(r.data.rfind("HTTP/1.1 101", 0) == 0);
    CHECK(r.closed);
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(7));
}

namespace {
// Large messages, fast senders and a send queue that never drops: the kernel's buffers,
// not the server's caps, decide when its writes wait.
std::vector<std::string> roomy_queue_args() {
    return {"--set", "limits.ws_message_max_bytes=200000", "--set", "limits.ws_messages_per_second=1000",
            "--set", "limits.ws_message_burst=1000", "--set", "limits.ws_send_queue_max=1000",
            "--set", "limits.ws_send_queue_max_bytes=268435456"};
}
}  // namespace

// The server writes its data frames itself (net/websocket_session.cpp): a header of 2, 4
// or 10 bytes by length, one non-blocking write, the rest asynchronously when the kernel
// takes only part of it. A client that reads late must still get every frame whole.
TEST_CASE("a websocket client that reads late gets every frame whole, short, medium and long", "[ws]") {
    server s(roomy_queue_args());
    auto admin = s.login_admin();
    ws_client late;
    REQUIRE(late.connect(s.port(), admin, s.origin(), nullptr) == 101);
    REQUIRE(late.read());
    // Lengths on each side of the 7-bit, 16-bit and 64-bit length encodings, about 25 MB
    // of answers in all: far more than the socket buffers hold while nobody reads.
    const std::vector<std::size_t> lengths = {1, 100, 125, 126, 3000, 65535, 65536, 70000, 150000, 199000};
    std::vector<std::string> ids;
    for (int round = 0; round < 40; ++round)
        for (auto n : lengths) {
            std::string id(n, static_cast<char>('a' + ids.size() % 26));
            late.send(json{{"type", "ping"}, {"id", id}}.dump());
            ids.push_back(std::move(id));
        }
    std::size_t got = 0;
    while (got < ids.size()) {
        auto m = late.read(std::chrono::seconds(10));
        REQUIRE(m);
        std::size_t start = 0;
        while (start <= m->size()) {  // coalesced messages are separated by '\n'
            auto end = m->find('\n', start);
            if (end == std::string::npos) end = m->size();
            auto j = json::parse(m->substr(start, end - start));
            REQUIRE(j["type"] == "pong");
            REQUIRE(got < ids.size());
            CHECK(j["id"].get<std::string>() == ids[got]);
            ++got;
            start = end + 1;
        }
    }
    CHECK(got == ids.size());
    CHECK(late.is_open());
    auto metrics = s.request("GET", "/metrics").body;
    auto at = metrics.find("\nrelais_ws_frames_deferred_total ");
    REQUIRE(at != std::string::npos);
    CHECK(std::stoll(metrics.substr(at + 33)) > 0);  // the asynchronous rest did run
}

TEST_CASE("a websocket ping control frame is answered and the messages around it arrive whole", "[ws]") {
    server s;
    auto admin = s.login_admin();
    ws_client c;
    REQUIRE(c.connect(s.port(), admin, s.origin(), nullptr) == 101);
    REQUIRE(c.read());
    for (int i = 0; i < 3; ++i) {
        c.send(json{{"type", "ping"}, {"id", "avant-" + std::to_string(i)}}.dump());
        c.ping();
        c.send(json{{"type", "ping"}, {"id", "apres-" + std::to_string(i)}}.dump());
        for (const char* which : {"avant-", "apres-"}) {
            auto m = c.read();
            REQUIRE(m);
            auto j = json::parse(*m);
            CHECK(j["type"] == "pong");
            CHECK(j["id"] == which + std::to_string(i));
        }
    }
    CHECK(c.is_open());
}

TEST_CASE("a websocket peer that pings while a frame to it is half sent is dropped, not corrupted", "[ws][limits]") {
    server s(roomy_queue_args());
    auto admin = s.login_admin();
    ws_client late;
    REQUIRE(late.connect(s.port(), admin, s.origin(), nullptr) == 101);
    REQUIRE(late.read());
    std::string id(150000, 'p');
    for (int i = 0; i < 100; ++i) late.send(json{{"type", "ping"}, {"id", id}}.dump());
    // Nothing read: the server's writes wait for the socket. A pong now would go inside.
    late.ping();
    bool dropped = false;
    for (int i = 0; i < 100 && !dropped; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        dropped = s.log().find("\"reason\":\"control_during_write\"") != std::string::npos;
    }
    CHECK(dropped);
    // What it had received is whole frames, then the end.
    int pongs = 0;
    try {
        while (auto m = late.read(std::chrono::seconds(2))) {
            CHECK(json::parse(*m)["id"] == id);
            ++pongs;
        }
    } catch (const std::exception&) {
        // The connection ended under the read: the last frame was cut, never mixed.
    }
    CHECK(pongs < 100);
    ws_client other;
    REQUIRE(other.connect(s.port(), admin, s.origin(), nullptr) == 101);
    CHECK(other.read());
}
