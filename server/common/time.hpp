#pragma once
#include <cstdint>
#include <string>

namespace relais {

/// Seconds since the Unix epoch.
std::int64_t unix_now();
/// UTC, "2026-11-23T18:40:00Z".
std::string to_iso8601(std::int64_t unix_seconds);
/// UTC with milliseconds, for logs.
std::string now_iso8601_ms();

}  // namespace relais
