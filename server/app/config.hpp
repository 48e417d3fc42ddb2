#pragma once
// The platform's settings ([server], [storage], the network's [limits], [log]) as a
// struct; every module's own settings are declared by the module (platform::module::
// declare) and read from `values`. Sources, in order: built-in defaults,
// config/relais.toml (or --config), RELAIS_<SECTION>_<KEY> environment variables,
// command-line flags. A bad value or an unknown key stops the start, naming it.
#include "outbound/http_client.hpp"
#include "platform/settings.hpp"

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace relais::app {

using platform::config_error;

struct config {
    /// Set by `relais serve`: the data folder is this process's alone while it runs (a
    /// lock file), taken before anything is migrated or opened.
    bool exclusive = false;
    // [server]
    std::string listen = "127.0.0.1:8080";
    long long threads = 2;
    long long cpu_threads = 2;
    long long job_threads = 2;
    std::string public_url;
    std::vector<std::string> trusted_proxies;
    std::vector<std::string> metrics_allow{"127.0.0.1", "::1"};
    std::filesystem::path web_root;
    std::filesystem::path seed_dir;
    // [storage]
    std::filesystem::path data_dir = "data";
    long long db_readers = 2;
    long long commit_delay_us = 0;
    // [limits] (the network's)
    long long header_max_bytes = 16 * 1024;
    long long body_max_bytes = 1024 * 1024;
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
    long long ws_access_sweep_s = 15;
    long long max_pending_connections = 256;
    long long max_pending_connections_per_address = 16;
    long long uploads_in_flight_max_bytes = 64LL << 20;
    long long uploads_in_flight_max_bytes_per_address = 24LL << 20;
    long long upload_min_bytes_per_second = 16LL << 10;
    // [log]
    std::string log_level = "info";
    // [outbound]: what jobs fetching from the Internet use (proxy, timeouts, SSRF policy)
    outbound::http_options http;

    /// Every setting, the modules' included, as loaded.
    platform::settings values;

    std::string listen_address() const;
    unsigned short listen_port() const;
};

/// Where the config file, web root and seed content are looked for by default,
/// relative to the executable (build/relais -> repository root).
std::filesystem::path default_root(const char* argv0);

/// Declares the platform's and every module's settings, loads the file (missing is fine
/// only when it is the default path), the environment, then `overrides` ("section.key"
/// -> value, from flags), and validates.
config load_config(const std::filesystem::path& file, bool file_required,
                   const std::map<std::string, std::string>& overrides, const std::filesystem::path& root);

}  // namespace relais::app
