#include "app/config.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>

using namespace relais::app;

TEST_CASE("defaults, file, environment and overrides, in that order", "[config]") {
    unit_temp_dir dir;
    auto file = dir.path / "r.toml";
    std::ofstream(file) << "[server]\nlisten = \"0.0.0.0:9000\"\ntrusted_proxies = [\"10.0.0.1\"]\n"
                           "[limits]\nbody_max_bytes = 4096\nheader_timeout_s = 5\n";
    auto c = load_config(file, true, {}, dir.path);
    CHECK(c.listen_address() == "0.0.0.0");
    CHECK(c.listen_port() == 9000);
    CHECK(c.body_max_bytes == 4096);
    CHECK(c.trusted_proxies == std::vector<std::string>{"10.0.0.1"});
    CHECK(c.threads == 2);
    CHECK(c.web_root == dir.path / "web");

    setenv("RELAIS_LIMITS_HEADER_TIMEOUT_S", "7", 1);
    setenv("RELAIS_DATA_DIR", "/tmp/relais-env-data", 1);
    auto e = load_config(file, true, {{"limits.body_max_bytes", "8192"}}, dir.path);
    unsetenv("RELAIS_LIMITS_HEADER_TIMEOUT_S");
    unsetenv("RELAIS_DATA_DIR");
    CHECK(e.header_timeout_s == 7);
    CHECK(e.body_max_bytes == 8192);
    CHECK(e.data_dir == "/tmp/relais-env-data");

    // The shipped file is valid and matches the built-in defaults.
    // The shipped file is valid, matches the built-in defaults and documents every
    // setting of the platform and of every module.
    auto shipped = load_config(RELAIS_SOURCE_DIR "/config/relais.toml", true, {}, dir.path);
    auto defaults = load_config(dir.path / "absent.toml", false, {}, dir.path);
    CHECK(shipped.values.describe() == defaults.values.describe());
    CHECK(shipped.values.get_int("auth.session_ttl_hours") == 12);
    std::ifstream in(RELAIS_SOURCE_DIR "/config/relais.toml");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (const auto& [key, value] : defaults.values.describe()) {
        auto section = "[" + key.substr(0, key.find('.')) + "]";
        auto name = key.substr(key.find('.') + 1) + " =";
        INFO(key);
        CHECK(text.find(section) != std::string::npos);
        CHECK(text.find(name, text.find(section)) != std::string::npos);
    }
}

TEST_CASE("bad configuration is refused with the setting named", "[config]") {
    unit_temp_dir dir;
    auto file = dir.path / "r.toml";
    auto message = [&](const std::string& text, std::map<std::string, std::string> over = {}) {
        std::ofstream(file, std::ios::trunc) << text;
        try {
            load_config(file, true, over, dir.path);
        } catch (const config_error& e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    CHECK(message("[limits]\nbody_max_bytes = 1\n").find("limits.body_max_bytes") != std::string::npos);
    CHECK(message("[limits]\nbody_max_bytes = \"x\"\n").find("expected an integer") != std::string::npos);
    CHECK(message("[server]\nnope = 1\n").find("unknown setting server.nope") != std::string::npos);
    CHECK(message("listen = 1\n").find("must be a [section]") != std::string::npos);
    CHECK(message("[server\n").find("line") != std::string::npos);
    CHECK(message("[server]\nlisten = \"localhost\"\n").find("server.listen") != std::string::npos);
    CHECK(message("[server]\nlisten = \"example.org:80\"\n").find("invalid address") != std::string::npos);
    CHECK(message("[server]\nlisten = \"127.0.0.1:70000\"\n").find("out of range") != std::string::npos);
    CHECK(message("[server]\ntrusted_proxies = [\"proxy\"]\n").find("trusted_proxies") != std::string::npos);
    CHECK(message("[server]\npublic_url = \"ftp://x\"\n").find("public_url") != std::string::npos);
    CHECK(message("[auth]\npassword_cost = \"low\"\n").find("password_cost") != std::string::npos);
    CHECK(message("", {{"server.threads", "0"}}).find("server.threads") != std::string::npos);
    CHECK(message("", {{"log.level", "loud"}}).find("log.level") != std::string::npos);
    CHECK_THROWS_AS(load_config(dir.path / "absent.toml", true, {}, dir.path), config_error);
    CHECK_NOTHROW(load_config(dir.path / "absent.toml", false, {}, dir.path));
}

// ---- The WebSocket hub, with a connection that records what it is sent ----------

#include "app/ws_hub.hpp"
#include "common/metrics.hpp"
#include "common/worker_pool.hpp"
#include "db/pool.hpp"
#include "workshops/service.hpp"

#include <mutex>

namespace {

struct recording_connection : relais::net::ws_connection {
    std::mutex m;
    std::vector<std::string> sent;
    int close_code = 0;
    std::any ctx;
    std::string rid = "test";
    std::atomic<bool> is_closed{false};
    void send(std::string text) override {
        std::lock_guard lock(m);
        sent.push_back(std::move(text));
    }
    void send_large(std::string text) override { send(std::move(text)); }
    void post(std::function<void()> f) override { f(); }
    void close(std::uint16_t code, std::string) override { close_code = code; }
    const std::string& id() const override { return rid; }
    const std::any& context() const override { return ctx; }
    bool closed() const override { return is_closed; }
    std::string last() {
        std::lock_guard lock(m);
        return sent.empty() ? std::string() : sent.back();
    }
};

struct hub_fixture {
    unit_temp_dir dir;
    relais::metrics::registry metrics;
    relais::db::pool db{{dir.path / "h.db", 1, 16, {}}, metrics};
    relais::worker_pool cpu{"cpu", 1};
    relais::auth::service auth{db, cpu, {}};
    relais::platform::local_topics bus;
    ws_hub hub{auth, bus, {}};
    ~hub_fixture() {
        cpu.stop();
        db.stop();
    }
    std::shared_ptr<recording_connection> open(std::int64_t user_id, const std::string& session) {
        auto c = std::make_shared<recording_connection>();
        relais::auth::identity who;
        relais::auth::principal p;
        p.account.id = user_id;
        p.account.name = "U" + std::to_string(user_id);
        p.session_hash = session;
        who.account = p;
        c->ctx = who;
        hub.on_open(c);
        return c;
    }
};

}  // namespace

TEST_CASE("ws hub: a handler that throws anything leaves the socket usable and the close path intact", "[app][ws]") {
    hub_fixture f;
    int closes = 0, calls = 0;
    f.hub.on("boom", [&](const auto&, const auto&, const auto&) {
        ++calls;
        throw std::runtime_error("not an api_error");
    });
    f.hub.on("fine", [&](const auto& c, const auto&, const auto&) { c->send("fine"); });
    f.hub.on_disconnect([&](const auto&) { ++closes; });
    auto c = f.open(1, "s1");
    f.hub.on_message(c, R"({"type":"boom"})");
    CHECK(calls == 1);
    CHECK(c->last().find("erreur_interne") != std::string::npos);
    // The next message runs (the socket is not stuck behind the failed one).
    f.hub.on_message(c, R"({"type":"fine"})");
    CHECK(c->last() == "fine");
    f.hub.on_close(c);
    CHECK(closes == 1);
    // The seat in the per-person count is given back: 8 more sockets of the same person open.
    for (int i = 0; i < 8; ++i) CHECK(f.open(1, "s1")->close_code == 0);
    CHECK(f.open(1, "s1")->close_code == 1008);  // the ninth
}

TEST_CASE("ws hub: messages wait for the one before them", "[app][ws]") {
    hub_fixture f;
    std::vector<std::string> order;
    ws_hub::done_fn pending;
    f.hub.on_async("slow", [&](const auto&, const auto&, const auto&, ws_hub::done_fn done) {
        order.push_back("slow");
        pending = std::move(done);
    });
    f.hub.on("next", [&](const auto&, const auto&, const auto&) { order.push_back("next"); });
    auto c = f.open(1, "s1");
    f.hub.on_message(c, R"({"type":"slow"})");
    f.hub.on_message(c, R"({"type":"next"})");
    CHECK(order == std::vector<std::string>{"slow"});
    pending();
    CHECK(order == std::vector<std::string>{"slow", "next"});
}

TEST_CASE("ws hub: sockets are closed when their session, account or guest loses access", "[app][ws]") {
    hub_fixture f;
    auto a1 = f.open(1, "s1"), a2 = f.open(1, "s2"), b = f.open(2, "s3");
    relais::auth::access_change logout{relais::auth::access_change::kind::session_ended};
    logout.session_hash = "s1";
    f.hub.revoke(logout);
    CHECK(a1->close_code == 1008);
    CHECK(a2->close_code == 0);
    relais::auth::access_change password{relais::auth::access_change::kind::account_changed};
    password.user_id = 1;
    password.session_hash = "s2";  // the session that stays
    auto a3 = f.open(1, "s4");
    f.hub.revoke(password);
    CHECK(a2->close_code == 0);
    CHECK(a3->close_code == 1008);
    relais::auth::access_change demoted{relais::auth::access_change::kind::account_changed};
    demoted.user_id = 1;
    f.hub.revoke(demoted);
    CHECK(a2->close_code == 1008);
    CHECK(b->close_code == 0);
}

TEST_CASE("outbound settings: proxy, timeouts and the SSRF policy reach the HTTP options", "[config]") {
    unit_temp_dir dir;
    auto file = dir.path / "r.toml";
    std::ofstream(file) << "[server]\npublic_url = \"https://relais.example.fr\"\n"
                           "[outbound]\nproxy = \"http://proxy.example.fr:3128\"\ntimeout_s = 12\nallow_loopback = true\n";
    auto c = load_config(file, true, {}, dir.path);
    CHECK(c.http.proxy == "http://proxy.example.fr:3128");
    CHECK(c.http.timeout == std::chrono::seconds(12));
    CHECK(c.http.policy.allow_loopback);
    CHECK_FALSE(c.http.policy.allow_private);
    CHECK(c.http.user_agent.find("relais.example.fr") != std::string::npos);
    auto defaults = load_config(dir.path / "absent.toml", false, {}, dir.path);
    CHECK_FALSE(defaults.http.policy.allow_loopback);
    CHECK(defaults.http.proxy.empty());
    CHECK_THROWS_AS(load_config(file, true, {{"outbound.proxy", "ftp://proxy"}}, dir.path), config_error);
    CHECK_THROWS_AS(load_config(file, true, {{"outbound.allow_private", "peut-être"}}, dir.path), config_error);
    CHECK_THROWS_AS(load_config(file, true, {{"outbound.ca_file", "/nulle/part.pem"}}, dir.path), config_error);
}

TEST_CASE("live topics: a signed-in socket hears its person's topic until it closes", "[app][ws][topics]") {
    hub_fixture f;
    auto a = f.open(7, "s1");
    auto b = f.open(7, "s2");
    auto other = f.open(8, "s3");
    CHECK(f.bus.subscribers("user:7") == 2);
    f.bus.publish("user:7", R"({"type":"notifications","unread":2})");
    CHECK(a->last() == R"({"type":"notifications","unread":2})");
    CHECK(b->last() == R"({"type":"notifications","unread":2})");
    CHECK(other->last().find("notifications") == std::string::npos);
    // Rendered per subscriber, from who they are; null sends nothing.
    f.bus.publish("user:7", [](const relais::platform::peer& who) -> relais::platform::topics::text_ptr {
        if (who.key != "u:7") return nullptr;
        return std::make_shared<const std::string>("pour " + who.name);
    });
    CHECK(a->last() == "pour U7");
    // Everyone but the sender's own socket.
    f.bus.publish("user:7", std::make_shared<const std::string>("sauf a"), a.get());
    CHECK(a->last() == "pour U7");
    CHECK(b->last() == "sauf a");
    f.hub.on_close(a);
    CHECK(f.bus.subscribers("user:7") == 1);
    f.bus.publish("user:7", "après");
    CHECK(a->last() == "pour U7");
    CHECK(b->last() == "après");
    f.bus.unsubscribe(b.get(), "user:7");
    CHECK(f.bus.subscribers("user:7") == 0);
}
