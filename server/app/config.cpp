#include "app/config.hpp"
#include "app/modules.hpp"
#include "outbound/http_client.hpp"

#include <toml++/toml.h>

#include <boost/asio/ip/address.hpp>

#include <cstdlib>
#include <functional>
#include <limits>
#include <unistd.h>

namespace relais::app {
namespace {

constexpr long long big = std::numeric_limits<int>::max();

void declare_platform(platform::settings& s) {
    s.text("server.listen", "127.0.0.1:8080");
    s.integer("server.threads", 2, 1, 64);
    s.integer("server.cpu_threads", 2, 1, 64, "threads for Argon2id, searches and parsing");
    s.integer("server.job_threads", 2, 1, 64, "threads for background jobs (fetching, mail, digests)");
    s.text("server.public_url", "");
    s.list("server.trusted_proxies", {});
    s.list("server.metrics_allow", {"127.0.0.1", "::1"});
    s.text("server.web_root", "");
    s.text("server.seed_dir", "");
    s.text("storage.data_dir", "data");
    s.integer("storage.db_readers", 2, 1, 32);
    s.integer("storage.commit_delay_us", 2000, 0, 100000,
              "under load, how long the writer gathers writes into one commit (0: never waits)");
    s.integer("limits.header_max_bytes", 16 * 1024, 1024, 1 << 20);
    s.integer("limits.body_max_bytes", 1024 * 1024, 1024, 1LL << 30);
    s.integer("limits.header_timeout_s", 15, 1, 3600);
    s.integer("limits.request_timeout_s", 30, 1, 3600);
    s.integer("limits.max_connections", 1024, 1, 1000000);
    s.integer("limits.max_connections_per_address", 256, 1, 1000000);
    s.number("limits.requests_per_second_per_address", 100, 0.1, 1e6);
    s.number("limits.request_burst_per_address", 1000, 1, 1e6);
    s.integer("limits.ws_message_max_bytes", 64 * 1024, 256, 16 << 20);
    s.integer("limits.ws_send_queue_max", 256, 1, 1000000);
    s.integer("limits.ws_send_queue_max_bytes", 4 << 20, 64 * 1024, 1LL << 30);
    s.integer("limits.ws_idle_timeout_s", 30, 2, 3600);
    s.number("limits.ws_messages_per_second", 20, 0.1, 1e6);
    s.number("limits.ws_message_burst", 60, 1, 1e6);
    s.integer("limits.ws_sockets_per_person", 8, 1, 10000);
    s.integer("limits.ws_access_sweep_s", 15, 1, 3600);
    s.integer("limits.max_pending_connections", 256, 1, 1000000);
    s.integer("limits.max_pending_connections_per_address", 64, 1, 1000000);
    s.integer("limits.uploads_in_flight_max_bytes", 64LL << 20, 1024, 1LL << 40);
    s.integer("limits.uploads_in_flight_max_bytes_per_address", 24LL << 20, 1024, 1LL << 40);
    s.integer("limits.upload_min_bytes_per_second", 16LL << 10, 0, 1LL << 30);
    s.text("log.level", "info", {"debug", "info", "warn", "error"});
    s.text("outbound.proxy", "", {}, "http://, https://, socks5:// or socks5h:// proxy for outgoing requests");
    s.text("outbound.no_proxy", "", {}, "hosts reached without the proxy (comma-separated)");
    s.text("outbound.ca_file", "", {}, "PEM bundle replacing the system CAs (certificates are always verified)");
    s.integer("outbound.connect_timeout_s", 10, 1, 120);
    s.integer("outbound.timeout_s", 30, 1, 600);
    s.integer("outbound.max_body_bytes", 5LL << 20, 1024, 1LL << 30, "after decompression");
    s.boolean("outbound.allow_loopback", false, "let outgoing requests reach 127.0.0.0/8 and ::1 (tests)");
    s.boolean("outbound.allow_private", false, "let outgoing requests reach private, link-local and unique-local addresses");
    (void)big;
}

void read_platform(config& c) {
    const auto& v = c.values;
    c.listen = v.get_text("server.listen");
    c.threads = v.get_int("server.threads");
    c.cpu_threads = v.get_int("server.cpu_threads");
    c.job_threads = v.get_int("server.job_threads");
    c.public_url = v.get_text("server.public_url");
    c.trusted_proxies = v.get_list("server.trusted_proxies");
    c.metrics_allow = v.get_list("server.metrics_allow");
    c.web_root = v.get_text("server.web_root");
    c.seed_dir = v.get_text("server.seed_dir");
    c.data_dir = v.get_text("storage.data_dir");
    c.db_readers = v.get_int("storage.db_readers");
    c.commit_delay_us = v.get_int("storage.commit_delay_us");
    c.header_max_bytes = v.get_int("limits.header_max_bytes");
    c.body_max_bytes = v.get_int("limits.body_max_bytes");
    c.header_timeout_s = v.get_int("limits.header_timeout_s");
    c.request_timeout_s = v.get_int("limits.request_timeout_s");
    c.max_connections = v.get_int("limits.max_connections");
    c.max_connections_per_address = v.get_int("limits.max_connections_per_address");
    c.requests_per_second_per_address = v.get_number("limits.requests_per_second_per_address");
    c.request_burst_per_address = v.get_number("limits.request_burst_per_address");
    c.ws_message_max_bytes = v.get_int("limits.ws_message_max_bytes");
    c.ws_send_queue_max = v.get_int("limits.ws_send_queue_max");
    c.ws_send_queue_max_bytes = v.get_int("limits.ws_send_queue_max_bytes");
    c.ws_idle_timeout_s = v.get_int("limits.ws_idle_timeout_s");
    c.ws_messages_per_second = v.get_number("limits.ws_messages_per_second");
    c.ws_message_burst = v.get_number("limits.ws_message_burst");
    c.ws_sockets_per_person = v.get_int("limits.ws_sockets_per_person");
    c.ws_access_sweep_s = v.get_int("limits.ws_access_sweep_s");
    c.max_pending_connections = v.get_int("limits.max_pending_connections");
    c.max_pending_connections_per_address = v.get_int("limits.max_pending_connections_per_address");
    c.uploads_in_flight_max_bytes = v.get_int("limits.uploads_in_flight_max_bytes");
    c.uploads_in_flight_max_bytes_per_address = v.get_int("limits.uploads_in_flight_max_bytes_per_address");
    c.upload_min_bytes_per_second = v.get_int("limits.upload_min_bytes_per_second");
    c.log_level = v.get_text("log.level");
    auto& h = c.http;
    h.proxy = v.get_text("outbound.proxy");
    h.no_proxy = v.get_text("outbound.no_proxy");
    h.ca_file = v.get_text("outbound.ca_file");
    h.connect_timeout = std::chrono::seconds(v.get_int("outbound.connect_timeout_s"));
    h.timeout = std::chrono::seconds(v.get_int("outbound.timeout_s"));
    h.max_body_bytes = static_cast<std::size_t>(v.get_int("outbound.max_body_bytes"));
    h.policy.allow_loopback = v.get_bool("outbound.allow_loopback");
    h.policy.allow_private = v.get_bool("outbound.allow_private");
}

void validate(config& c, const std::filesystem::path& root) {
    (void)c.listen_port();
    boost::system::error_code ec;
    boost::asio::ip::make_address(c.listen_address(), ec);
    if (ec) throw config_error("server.listen: invalid address: " + c.listen);
    for (const auto& a : c.trusted_proxies) {
        boost::asio::ip::make_address(a, ec);
        if (ec) throw config_error("server.trusted_proxies: invalid address: " + a);
    }
    for (const auto& a : c.metrics_allow) {
        boost::asio::ip::make_address(a, ec);
        if (ec) throw config_error("server.metrics_allow: invalid address: " + a);
    }
    if (!c.public_url.empty() && c.public_url.rfind("http://", 0) != 0 && c.public_url.rfind("https://", 0) != 0)
        throw config_error("server.public_url: must start with http:// or https://");
    while (!c.public_url.empty() && c.public_url.back() == '/') c.public_url.pop_back();
    if (!c.public_url.empty()) {
        // What a browser sends as its Origin: scheme and host in lower case, no default
        // port, no path (every POST is checked against it: another spelling would refuse
        // them all, sign-in included).
        const auto scheme_end = c.public_url.find("://") + 3;
        if (c.public_url.find_first_of("/?#@", scheme_end) != std::string::npos)
            throw config_error("server.public_url: the address of the site only, without a path (https://relais.example.fr)");
        for (auto& ch : c.public_url) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        const std::string default_port = c.public_url.rfind("https://", 0) == 0 ? ":443" : ":80";
        if (c.public_url.size() > default_port.size() &&
            c.public_url.compare(c.public_url.size() - default_port.size(), std::string::npos, default_port) == 0)
            c.public_url.resize(c.public_url.size() - default_port.size());
        if (c.public_url.size() <= scheme_end) throw config_error("server.public_url: a host is missing");
    }
    c.http.user_agent = outbound::default_user_agent(c.public_url);
    if (!c.http.ca_file.empty() && !std::filesystem::exists(c.http.ca_file))
        throw config_error("outbound.ca_file: no such file: " + c.http.ca_file);
    try {
        outbound::http_client probe(c.http);  // checks the proxy's syntax
    } catch (const std::invalid_argument& e) {
        throw config_error(std::string("outbound.proxy: ") + e.what());
    }
    if (c.web_root.empty()) c.web_root = root / "web";
    if (c.seed_dir.empty()) c.seed_dir = root / "seed-content";
}

}  // namespace

std::string config::listen_address() const {
    auto colon = listen.rfind(':');
    if (colon == std::string::npos) throw config_error("server.listen: expected address:port, got " + listen);
    auto host = listen.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    return host;
}

unsigned short config::listen_port() const {
    auto colon = listen.rfind(':');
    if (colon == std::string::npos) throw config_error("server.listen: expected address:port, got " + listen);
    auto text = listen.substr(colon + 1);
    long long port = -1;
    try {
        std::size_t pos = 0;
        port = std::stoll(text, &pos);
        if (pos != text.size()) port = -1;
    } catch (const std::exception&) {
        throw config_error("server.listen: not an integer: " + text);
    }
    if (port < 0 || port > 65535)
        throw config_error("server.listen port: " + text + " is out of range [0, 65535]");
    return static_cast<unsigned short>(port);
}

std::filesystem::path default_root(const char* argv0) {
    std::error_code ec;
    auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) exe = std::filesystem::absolute(argv0);
    // build/relais -> the repository; an installed /usr/bin/relais uses /usr/share/relais.
    auto root = exe.parent_path().parent_path();
    if (std::filesystem::exists(root / "web")) return root;
    return "/usr/share/relais";
}

config load_config(const std::filesystem::path& file, bool file_required,
                   const std::map<std::string, std::string>& overrides, const std::filesystem::path& root) {
    config c;
    declare_platform(c.values);
    for (const auto& m : make_modules()) m->declare(c.values);
    c.values.load(file, file_required, overrides);
    read_platform(c);
    validate(c, root);
    return c;
}

}  // namespace relais::app
