#pragma once
// Dates as feeds write them, well or badly.
#include <cstdint>
#include <optional>
#include <string_view>

namespace relais::watch {

/// Unix seconds of a date written as RFC 822/1123 ("Mon, 30 Nov 2026 14:00:00 +0100", with or
/// without the weekday, 2- or 4-digit years, named zones GMT/UT/UTC/Z/EST/EDT/CST/CDT/MST/
/// MDT/PST/PDT/CET/CEST/BST), RFC 3339/ISO 8601 (with or without seconds, fraction, zone;
/// date only), or loosely, in English or French ("30 nov. 2026", "lundi 30 novembre 2026
/// 14:00", "1er décembre 2026 à 14h30", "30/11/2026"), extra spaces and commas tolerated.
/// Without a zone the time is Europe/Paris local time (EU summer-time rules); a date alone is
/// midnight there. nullopt for anything else, an impossible date (month 13, 31 April...) or
/// a year outside 1990..2100.
std::optional<std::int64_t> parse_date(std::string_view text);

// Europe/Paris offsets and French dates: common/time.hpp.

}  // namespace relais::watch
