#include "common/time.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace relais {

std::int64_t unix_now() {
    using namespace std::chrono;
    return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

std::string to_iso8601(std::int64_t t) {
    std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::string now_iso8601_ms() {
    using namespace std::chrono;
    auto now = system_clock::now();
    auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count();
    std::time_t tt = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[40];
    auto n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ms % 1000));
    return buf;
}


std::int64_t days_from_civil(int y, int m, int d) {
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const int yoe = y - era * 400;
    const int doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return static_cast<std::int64_t>(era) * 146097 + doe - 719468;
}

namespace {

bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
int month_days(int y, int m) {
    constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : days[m - 1];
}

/// Midnight UTC of the last Sunday of a month, in days.
std::int64_t last_sunday(int y, int m) {
    std::int64_t last = days_from_civil(y, m, month_days(y, m));
    std::int64_t weekday = ((last % 7) + 11) % 7;  // 0 = Sunday; 1970-01-01 was a Thursday
    return last - weekday;
}

const char* const french_months[] = {"janvier", "février", "mars",      "avril",   "mai",      "juin",
                                     "juillet", "août",    "septembre", "octobre", "novembre", "décembre"};

std::string french_day(int day, int month, int year) {
    return std::to_string(day) + (day == 1 ? "er " : " ") + french_months[month - 1] + " " + std::to_string(year);
}

std::string french_hour(int hour, int minute) {
    std::string m = std::to_string(minute);
    return std::to_string(hour) + " h " + (minute < 10 ? "0" + m : m);
}

}  // namespace

bool paris_summer_time(std::int64_t t) {
    // The year of t, close enough: the switches are far from new year.
    std::int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    int y = 1970 + static_cast<int>(days / 365);
    while (days_from_civil(y, 1, 1) > days) --y;
    while (days_from_civil(y + 1, 1, 1) <= days) ++y;
    std::int64_t start = last_sunday(y, 3) * 86400 + 3600;  // 01:00 UTC
    std::int64_t end = last_sunday(y, 10) * 86400 + 3600;
    return t >= start && t < end;
}

int paris_offset_at(std::int64_t t) { return paris_summer_time(t) ? 7200 : 3600; }

std::int64_t paris_local_to_utc(std::int64_t local) {
    // Summer time if the summer reading is consistent; the earlier reading of an ambiguous
    // hour in October, and a time in the March gap read as winter time.
    std::int64_t summer = local - 7200;
    return paris_summer_time(summer) ? summer : local - 3600;
}

std::string french_date(std::int64_t t) {
    std::time_t local = static_cast<std::time_t>(t + paris_offset_at(t));
    std::tm tm{};
    gmtime_r(&local, &tm);
    return french_day(tm.tm_mday, tm.tm_mon + 1, tm.tm_year + 1900);
}

std::string french_date_time(std::int64_t t) {
    std::time_t local = static_cast<std::time_t>(t + paris_offset_at(t));
    std::tm tm{};
    gmtime_r(&local, &tm);
    return french_day(tm.tm_mday, tm.tm_mon + 1, tm.tm_year + 1900) + " à " + french_hour(tm.tm_hour, tm.tm_min);
}

std::string french_local_date(const std::string& text) {
    int y = 0, mo = 0, d = 0, h = 0, mi = 0;
    char tail = 0;
    int sec = 0;
    // « 2026-12-15T14:00 », or with seconds (what a browser's datetime-local may send).
    const bool with_time = (text.size() == 16 && std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d%c", &y, &mo, &d, &h, &mi, &tail) == 5) ||
                           (text.size() == 19 && std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &sec, &tail) == 6 &&
                            sec >= 0 && sec <= 59);
    const bool day_only = !with_time && text.size() == 10 && std::sscanf(text.c_str(), "%4d-%2d-%2d%c", &y, &mo, &d, &tail) == 3;
    if ((!with_time && !day_only) || mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo) || h > 23 || mi > 59) return text;
    return french_day(d, mo, y) + (with_time ? " à " + french_hour(h, mi) : std::string());
}

}  // namespace relais
