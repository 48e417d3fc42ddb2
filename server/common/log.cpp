#include "common/log.hpp"

#include "common/time.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>

namespace relais::log {
namespace {

std::atomic<level> current{level::info};

spdlog::logger& logger() {
    static auto l = [] {
        auto lg = spdlog::stderr_logger_mt("relais");
        lg->set_pattern("%v");
        lg->set_level(spdlog::level::trace);  // filtering is ours (log::set_level)
        lg->flush_on(spdlog::level::info);
        return lg;
    }();
    return *l;
}

const char* name(level l) {
    switch (l) {
        case level::debug: return "debug";
        case level::info: return "info";
        case level::warn: return "warn";
        case level::error: return "error";
    }
    return "info";
}

}  // namespace

void set_level(level l) { current = l; }

bool parse_level(std::string_view s, level& out) {
    if (s == "debug") out = level::debug;
    else if (s == "info") out = level::info;
    else if (s == "warn") out = level::warn;
    else if (s == "error") out = level::error;
    else return false;
    return true;
}

void write(level l, std::string_view event, nlohmann::json fields) {
    if (l < current.load()) return;
    nlohmann::json line = {{"ts", now_iso8601_ms()}, {"level", name(l)}, {"event", event}};
    if (fields.is_object()) line.update(fields);
    auto text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    switch (l) {
        case level::debug: logger().debug(text); break;
        case level::info: logger().info(text); break;
        case level::warn: logger().warn(text); break;
        case level::error: logger().error(text); break;
    }
}

}  // namespace relais::log
