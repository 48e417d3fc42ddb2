#pragma once
// Settings: built-in defaults, then config/relais.toml (or --config), then
// RELAIS_<SECTION>_<KEY> environment variables, then command-line flags. Every
// setting is declared once in config.cpp with its bounds; a bad value stops the
// start with a message naming it.
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace relais::app {

class config_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct config {
    // [server]
    std::string listen = "127.0.0.1:8080";
    long long threads = 2;
    std::string public_url;
    std::vector<std::string> trusted_proxies;
    std::vector<std::string> metrics_allow{"127.0.0.1", "::1"};
    std::filesystem::path web_root;
    std::filesystem::path seed_dir;
    // [storage]
    std::filesystem::path data_dir = "data";
    long long db_readers = 2;
    // [limits]
    long long header_max_bytes = 16 * 1024;
    long long body_max_bytes = 1024 * 1024;
    long long upload_max_bytes = 10 * 1024 * 1024;
    long long header_timeout_s = 15;
    long long request_timeout_s = 30;
    long long max_connections = 1024;
    long long max_connections_per_address = 64;
    double requests_per_second_per_address = 50;
    double request_burst_per_address = 200;
    long long ws_message_max_bytes = 64 * 1024;
    long long ws_send_queue_max = 256;
    long long ws_send_queue_max_bytes = 4 << 20;
    long long ws_idle_timeout_s = 30;
    double ws_messages_per_second = 20;
    double ws_message_burst = 60;
    long long ws_sockets_per_person = 8;
    double ws_ops_per_second_per_person = 10;
    double ws_op_burst_per_person = 40;
    double ws_ops_per_second_per_room = 150;
    double ws_op_burst_per_room = 400;
    long long guests_per_invite = 150;
    double guest_joins_per_hour_per_address = 60;
    long long max_pending_connections = 256;
    long long max_pending_connections_per_address = 16;
    long long uploads_in_flight_max_bytes = 64LL << 20;
    long long uploads_in_flight_max_bytes_per_address = 24LL << 20;
    long long extract_cpu_seconds = 20;
    long long extract_memory_mb = 512;
    long long extract_wall_seconds = 30;
    long long extract_parallel = 2;
    // [auth]
    long long session_ttl_hours = 12;
    long long max_failures_per_account = 5;
    long long max_failures_per_address = 20;
    long long lockout_minutes = 15;
    std::string password_cost = "interactive";
    // [log]
    std::string log_level = "info";

    std::string listen_address() const;
    unsigned short listen_port() const;
};

/// Where the config file, web root and seed content are looked for by default,
/// relative to the executable (build/relais -> repository root).
std::filesystem::path default_root(const char* argv0);

/// Loads the file (missing is fine only when it is the default path), then the
/// environment, then `overrides` ("section.key" -> value, from flags). Validates.
config load_config(const std::filesystem::path& file, bool file_required,
                   const std::map<std::string, std::string>& overrides, const std::filesystem::path& root);

/// Applies one "section.key" = value text setting (used by env and flags).
void set_setting(config& c, const std::string& key, const std::string& value);

}  // namespace relais::app
