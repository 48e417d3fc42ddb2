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
    auto shipped = load_config(RELAIS_SOURCE_DIR "/config/relais.toml", true, {}, dir.path);
    config defaults;
    CHECK(shipped.listen == defaults.listen);
    CHECK(shipped.body_max_bytes == defaults.body_max_bytes);
    CHECK(shipped.ws_send_queue_max == defaults.ws_send_queue_max);
    CHECK(shipped.session_ttl_hours == defaults.session_ttl_hours);
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
