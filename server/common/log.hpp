#pragma once
// Structured logs: one JSON object per line on stderr, {"ts","level","event",...fields}.
#include <nlohmann/json.hpp>

#include <string_view>

namespace relais::log {

enum class level { debug, info, warn, error };

void set_level(level l);
bool parse_level(std::string_view s, level& out);

void write(level l, std::string_view event, nlohmann::json fields = nlohmann::json::object());
inline void debug(std::string_view e, nlohmann::json f = nlohmann::json::object()) { write(level::debug, e, std::move(f)); }
inline void info(std::string_view e, nlohmann::json f = nlohmann::json::object()) { write(level::info, e, std::move(f)); }
inline void warn(std::string_view e, nlohmann::json f = nlohmann::json::object()) { write(level::warn, e, std::move(f)); }
inline void error(std::string_view e, nlohmann::json f = nlohmann::json::object()) { write(level::error, e, std::move(f)); }

}  // namespace relais::log
