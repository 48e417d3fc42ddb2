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

// ---- Europe/Paris, the time zone of every date Relais shows (EU rules since 1996) ----

/// Whether Europe/Paris is on summer time at a UTC instant.
bool paris_summer_time(std::int64_t unix_seconds);
/// UTC offset of Europe/Paris at a UTC instant: 3600 or 7200.
int paris_offset_at(std::int64_t unix_seconds);
/// Unix seconds of a Paris wall-clock time given as seconds since 1970-01-01 00:00 local;
/// an ambiguous hour in October reads as summer time, a time in the March gap as winter time.
std::int64_t paris_local_to_utc(std::int64_t local_seconds);
/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
std::int64_t days_from_civil(int year, int month, int day);

/// « 1er décembre 2026 », the day in Paris.
std::string french_date(std::int64_t unix_seconds);
/// « 1er décembre 2026 à 14 h 30 », in Paris.
std::string french_date_time(std::int64_t unix_seconds);
/// The same for a local Paris time written "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM" (a workshop's
/// date); the text itself when it is neither.
std::string french_local_date(const std::string& text);

}  // namespace relais
