#include "app/config.hpp"

#include <toml++/toml.h>

#include <boost/asio/ip/address.hpp>

#include <cstdlib>
#include <functional>
#include <limits>
#include <unistd.h>

namespace relais::app {
namespace {

struct setting {
    const char* key;  // "section.name"
    std::function<void(config&, const toml::node&)> from_toml;
    std::function<void(config&, const std::string&)> from_text;
};

void check_range(const char* key, long long v, long long lo, long long hi) {
    if (v < lo || v > hi)
        throw config_error(std::string(key) + ": " + std::to_string(v) + " is out of range [" + std::to_string(lo) +
                           ", " + std::to_string(hi) + "]");
}

long long parse_int(const char* key, const std::string& s) {
    try {
        std::size_t pos = 0;
        long long v = std::stoll(s, &pos);
        if (pos != s.size()) throw std::invalid_argument(s);
        return v;
    } catch (const std::exception&) {
        throw config_error(std::string(key) + ": not an integer: " + s);
    }
}

double parse_double(const char* key, const std::string& s) {
    try {
        std::size_t pos = 0;
        double v = std::stod(s, &pos);
        if (pos != s.size()) throw std::invalid_argument(s);
        return v;
    } catch (const std::exception&) {
        throw config_error(std::string(key) + ": not a number: " + s);
    }
}

std::vector<std::string> split_list(const std::string& s) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i <= s.size()) {
        auto j = s.find(',', i);
        if (j == std::string::npos) j = s.size();
        auto part = s.substr(i, j - i);
        while (!part.empty() && part.front() == ' ') part.erase(0, 1);
        while (!part.empty() && part.back() == ' ') part.pop_back();
        if (!part.empty()) out.push_back(part);
        i = j + 1;
    }
    return out;
}

setting int_setting(const char* key, long long config::*field, long long lo, long long hi) {
    return {key,
            [=](config& c, const toml::node& n) {
                auto v = n.value<long long>();
                if (!v || !n.is_integer()) throw config_error(std::string(key) + ": expected an integer");
                check_range(key, *v, lo, hi);
                c.*field = *v;
            },
            [=](config& c, const std::string& s) {
                auto v = parse_int(key, s);
                check_range(key, v, lo, hi);
                c.*field = v;
            }};
}

setting double_setting(const char* key, double config::*field, double lo, double hi) {
    auto check = [=](double v) {
        if (!(v >= lo && v <= hi)) throw config_error(std::string(key) + ": out of range");
    };
    return {key,
            [=](config& c, const toml::node& n) {
                auto v = n.value<double>();
                if (!v) throw config_error(std::string(key) + ": expected a number");
                check(*v);
                c.*field = *v;
            },
            [=](config& c, const std::string& s) {
                auto v = parse_double(key, s);
                check(v);
                c.*field = v;
            }};
}

template <class T>
setting string_setting(const char* key, T config::*field) {
    return {key,
            [=](config& c, const toml::node& n) {
                auto v = n.value<std::string>();
                if (!v || !n.is_string()) throw config_error(std::string(key) + ": expected a string");
                c.*field = T(*v);
            },
            [=](config& c, const std::string& s) { c.*field = T(s); }};
}

setting list_setting(const char* key, std::vector<std::string> config::*field) {
    return {key,
            [=](config& c, const toml::node& n) {
                auto* arr = n.as_array();
                if (!arr) throw config_error(std::string(key) + ": expected an array of strings");
                std::vector<std::string> out;
                for (const auto& e : *arr) {
                    auto v = e.value<std::string>();
                    if (!v) throw config_error(std::string(key) + ": expected an array of strings");
                    out.push_back(*v);
                }
                c.*field = out;
            },
            [=](config& c, const std::string& s) { c.*field = split_list(s); }};
}

const std::vector<setting>& settings() {
    constexpr long long big = std::numeric_limits<int>::max();
    static const std::vector<setting> all{
        string_setting("server.listen", &config::listen),
        int_setting("server.threads", &config::threads, 1, 64),
        string_setting("server.public_url", &config::public_url),
        list_setting("server.trusted_proxies", &config::trusted_proxies),
        list_setting("server.metrics_allow", &config::metrics_allow),
        string_setting("server.web_root", &config::web_root),
        string_setting("server.seed_dir", &config::seed_dir),
        string_setting("storage.data_dir", &config::data_dir),
        int_setting("storage.db_readers", &config::db_readers, 1, 32),
        int_setting("limits.header_max_bytes", &config::header_max_bytes, 1024, 1 << 20),
        int_setting("limits.body_max_bytes", &config::body_max_bytes, 1024, 1LL << 30),
        int_setting("limits.upload_max_bytes", &config::upload_max_bytes, 1024, 1LL << 30),
        int_setting("limits.header_timeout_s", &config::header_timeout_s, 1, 3600),
        int_setting("limits.request_timeout_s", &config::request_timeout_s, 1, 3600),
        int_setting("limits.max_connections", &config::max_connections, 1, 1000000),
        int_setting("limits.max_connections_per_address", &config::max_connections_per_address, 1, 1000000),
        double_setting("limits.requests_per_second_per_address", &config::requests_per_second_per_address, 0.1, 1e6),
        double_setting("limits.request_burst_per_address", &config::request_burst_per_address, 1, 1e6),
        int_setting("limits.ws_message_max_bytes", &config::ws_message_max_bytes, 256, 16 << 20),
        int_setting("limits.ws_send_queue_max", &config::ws_send_queue_max, 1, 1000000),
        int_setting("limits.ws_send_queue_max_bytes", &config::ws_send_queue_max_bytes, 64 * 1024, 1LL << 30),
        int_setting("limits.ws_idle_timeout_s", &config::ws_idle_timeout_s, 2, 3600),
        double_setting("limits.ws_messages_per_second", &config::ws_messages_per_second, 0.1, 1e6),
        double_setting("limits.ws_message_burst", &config::ws_message_burst, 1, 1e6),
        int_setting("limits.ws_sockets_per_person", &config::ws_sockets_per_person, 1, 10000),
        double_setting("limits.ws_ops_per_second_per_person", &config::ws_ops_per_second_per_person, 0.1, 1e6),
        double_setting("limits.ws_op_burst_per_person", &config::ws_op_burst_per_person, 1, 1e6),
        double_setting("limits.ws_ops_per_second_per_room", &config::ws_ops_per_second_per_room, 0.1, 1e6),
        double_setting("limits.ws_op_burst_per_room", &config::ws_op_burst_per_room, 1, 1e6),
        int_setting("limits.guests_per_invite", &config::guests_per_invite, 1, 100000),
        double_setting("limits.guest_joins_per_hour_per_address", &config::guest_joins_per_hour_per_address, 1, 1e6),
        int_setting("limits.max_pending_connections", &config::max_pending_connections, 1, 1000000),
        int_setting("limits.max_pending_connections_per_address", &config::max_pending_connections_per_address, 1, 1000000),
        int_setting("limits.uploads_in_flight_max_bytes", &config::uploads_in_flight_max_bytes, 1024, 1LL << 40),
        int_setting("limits.uploads_in_flight_max_bytes_per_address", &config::uploads_in_flight_max_bytes_per_address, 1024, 1LL << 40),
        int_setting("limits.extract_cpu_seconds", &config::extract_cpu_seconds, 1, 3600),
        int_setting("limits.extract_memory_mb", &config::extract_memory_mb, 64, 1 << 20),
        int_setting("limits.extract_wall_seconds", &config::extract_wall_seconds, 1, 3600),
        int_setting("limits.extract_parallel", &config::extract_parallel, 1, 64),
        int_setting("auth.session_ttl_hours", &config::session_ttl_hours, 1, 24 * 90),
        int_setting("auth.max_failures_per_account", &config::max_failures_per_account, 1, big),
        int_setting("auth.max_failures_per_address", &config::max_failures_per_address, 1, big),
        int_setting("auth.lockout_minutes", &config::lockout_minutes, 1, 24 * 60),
        string_setting("auth.password_cost", &config::password_cost),
        string_setting("log.level", &config::log_level),
    };
    return all;
}

const setting* find(const std::string& key) {
    for (const auto& s : settings())
        if (key == s.key) return &s;
    return nullptr;
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
    if (c.password_cost != "interactive" && c.password_cost != "moderate")
        throw config_error("auth.password_cost: expected \"interactive\" or \"moderate\"");
    if (c.log_level != "debug" && c.log_level != "info" && c.log_level != "warn" && c.log_level != "error")
        throw config_error("log.level: expected debug, info, warn or error");
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
    auto port = parse_int("server.listen", listen.substr(colon + 1));
    check_range("server.listen port", port, 0, 65535);
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

void set_setting(config& c, const std::string& key, const std::string& value) {
    const auto* s = find(key);
    if (!s) throw config_error("unknown setting: " + key);
    s->from_text(c, value);
}

config load_config(const std::filesystem::path& file, bool file_required,
                   const std::map<std::string, std::string>& overrides, const std::filesystem::path& root) {
    config c;
    if (std::filesystem::exists(file)) {
        toml::table tbl;
        try {
            tbl = toml::parse_file(file.string());
        } catch (const toml::parse_error& e) {
            throw config_error(file.string() + ": " + std::string(e.description()) + " (line " +
                               std::to_string(e.source().begin.line) + ")");
        }
        for (const auto& [section, node] : tbl) {
            auto* t = node.as_table();
            if (!t) throw config_error(file.string() + ": top-level key '" + std::string(section.str()) + "' must be a [section]");
            for (const auto& [name, value] : *t) {
                std::string key = std::string(section.str()) + "." + std::string(name.str());
                const auto* s = find(key);
                if (!s) throw config_error(file.string() + ": unknown setting " + key);
                s->from_toml(c, value);
            }
        }
    } else if (file_required) {
        throw config_error("configuration file not found: " + file.string());
    }
    // RELAIS_LIMITS_BODY_MAX_BYTES -> limits.body_max_bytes; RELAIS_DATA_DIR too.
    for (char** e = environ; *e; ++e) {
        std::string entry = *e;
        if (entry.rfind("RELAIS_", 0) != 0) continue;
        auto eq = entry.find('=');
        std::string name = entry.substr(7, eq - 7), value = entry.substr(eq + 1);
        for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        if (name == "data_dir") { set_setting(c, "storage.data_dir", value); continue; }
        if (name == "config") continue;
        auto us = name.find('_');
        if (us == std::string::npos) continue;
        std::string key = name.substr(0, us) + "." + name.substr(us + 1);
        if (!find(key)) throw config_error("environment variable RELAIS_" + name + ": unknown setting " + key);
        set_setting(c, key, value);
    }
    for (const auto& [k, v] : overrides) set_setting(c, k, v);
    validate(c, root);
    return c;
}

}  // namespace relais::app
