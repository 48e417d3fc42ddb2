// Dates of feeds: a strict ISO 8601 reader, then a tolerant reader of words and numbers
// that covers RFC 822 and the way people (and French CMSs) write dates.
#include "watch/dates.hpp"

#include "common/time.hpp"
#include "watch/text.hpp"

#include <array>
#include <cctype>
#include <string>
#include <vector>

namespace relais::watch {

namespace {

constexpr bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
constexpr int days_in_month(int y, int m) {
    constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

struct fields {
    int year = -1, month = -1, day = -1;
    int hour = 0, minute = 0, second = 0;
    bool has_time = false;
    bool has_zone = false;
    int offset = 0;  // seconds east of UTC
};

std::optional<std::int64_t> to_unix(const fields& f) {
    if (f.year < 1990 || f.year > 2100 || f.month < 1 || f.month > 12 || f.day < 1 || f.day > days_in_month(f.year, f.month))
        return std::nullopt;
    if (f.hour < 0 || f.hour > 23 || f.minute < 0 || f.minute > 59 || f.second < 0 || f.second > 60) return std::nullopt;
    int second = f.second == 60 ? 59 : f.second;  // leap second
    std::int64_t local = days_from_civil(f.year, f.month, f.day) * 86400 + f.hour * 3600 + f.minute * 60 + second;
    return f.has_zone ? local - f.offset : paris_local_to_utc(local);
}

struct cursor {
    std::string_view s;
    std::size_t i = 0;
    bool done() const { return i >= s.size(); }
    char peek(std::size_t k = 0) const { return i + k < s.size() ? s[i + k] : '\0'; }
    static bool digit(char c) { return c >= '0' && c <= '9'; }
    /// Reads exactly n digits.
    bool fixed(std::size_t n, int& v) {
        if (i + n > s.size()) return false;
        int x = 0;
        for (std::size_t k = 0; k < n; ++k) {
            if (!digit(s[i + k])) return false;
            x = x * 10 + (s[i + k] - '0');
        }
        v = x;
        i += n;
        return true;
    }
    bool eat(char c) {
        if (peek() != c) return false;
        ++i;
        return true;
    }
};

/// "+01:00", "+0100", "+01", "-05:00"; at the cursor's sign.
bool numeric_offset(cursor& c, int& offset) {
    int sign = c.peek() == '-' ? -1 : 1;
    ++c.i;
    int h = 0, m = 0;
    if (!c.fixed(2, h)) return false;
    c.eat(':');
    if (cursor::digit(c.peek()) && !c.fixed(2, m)) return false;
    if (h > 14 || m > 59) return false;
    offset = sign * (h * 3600 + m * 60);
    return true;
}

/// RFC 3339 and the ISO 8601 forms feeds use; nullopt if `s` is not entirely one of them.
std::optional<std::int64_t> parse_iso(std::string_view s) {
    cursor c{s};
    fields f;
    if (!c.fixed(4, f.year) || !c.eat('-') || !c.fixed(2, f.month) || !c.eat('-') || !c.fixed(2, f.day)) return std::nullopt;
    if (c.done()) return to_unix(f);
    if (c.peek() != 'T' && c.peek() != 't' && c.peek() != ' ') return std::nullopt;
    ++c.i;
    if (!c.fixed(2, f.hour) || !c.eat(':') || !c.fixed(2, f.minute)) return std::nullopt;
    if (c.eat(':')) {
        if (!c.fixed(2, f.second)) return std::nullopt;
        if (c.eat('.') || c.eat(','))
            while (cursor::digit(c.peek())) ++c.i;
    }
    while (c.peek() == ' ') ++c.i;
    if (c.peek() == 'Z' || c.peek() == 'z') {
        ++c.i;
        f.has_zone = true;
    } else if (c.peek() == '+' || c.peek() == '-') {
        if (!numeric_offset(c, f.offset)) return std::nullopt;
        f.has_zone = true;
    }
    if (!c.done()) return std::nullopt;
    return to_unix(f);
}

int month_of(std::string_view w) {
    static constexpr std::array<std::pair<std::string_view, int>, 38> months = {{
        {"jan", 1},  {"january", 1},   {"janv", 1},      {"janvier", 1},   {"feb", 2},  {"february", 2}, {"fev", 2},
        {"fevr", 2}, {"fevrier", 2},   {"mar", 3},       {"march", 3},     {"mars", 3}, {"apr", 4},      {"april", 4},
        {"avr", 4},  {"avril", 4},     {"may", 5},       {"mai", 5},       {"jun", 6},  {"june", 6},     {"juin", 6},
        {"jul", 7},  {"july", 7},      {"juil", 7},      {"juillet", 7},   {"aug", 8},  {"august", 8},   {"aout", 8},
        {"sep", 9},  {"sept", 9},      {"september", 9}, {"septembre", 9}, {"oct", 10}, {"october", 10}, {"octobre", 10},
        {"nov", 11}, {"november", 11}, {"novembre", 11},
    }};
    for (const auto& [name, m] : months)
        if (name == w) return m;
    if (w == "dec" || w == "december" || w == "decembre") return 12;
    return 0;
}

bool is_weekday(std::string_view w) {
    static constexpr std::array<std::string_view, 30> days = {
        "mon",   "monday",   "tue",      "tues",   "tuesday", "wed",      "weds",     "wednesday", "thu",    "thur",
        "thurs", "thursday", "fri",      "friday", "sat",     "saturday", "sun",      "sunday",    "lun",    "lundi",
        "mardi", "mer",      "mercredi", "jeu",    "jeudi",   "ven",      "vendredi", "sam",       "samedi", "dim"};
    for (auto d : days)
        if (d == w) return true;
    return w == "dimanche";
}

bool zone_of(std::string_view w, int& offset) {
    static constexpr std::array<std::pair<std::string_view, int>, 17> zones = {{
        {"gmt", 0},
        {"ut", 0},
        {"utc", 0},
        {"z", 0},
        {"est", -5},
        {"edt", -4},
        {"cst", -6},
        {"cdt", -5},
        {"mst", -7},
        {"mdt", -6},
        {"pst", -8},
        {"pdt", -7},
        {"cet", 1},
        {"cest", 2},
        {"met", 1},
        {"mest", 2},
        {"bst", 1},
    }};
    for (const auto& [name, h] : zones)
        if (name == w) {
            offset = h * 3600;
            return true;
        }
    return false;
}

bool is_filler(std::string_view w) {
    // "1er", "le 3 mars", "à 14h", "on May 3rd at 10:00"...
    static constexpr std::array<std::string_view, 12> words = {"er", "le", "a",  "at", "de", "du",
                                                               "th", "st", "nd", "rd", "on", "um"};
    for (auto x : words)
        if (x == w) return true;
    return false;
}

/// Words and numbers in any order: "Mon, 30 Nov 2026 14:00:00 +0100", "lundi 30 novembre
/// 2026 à 14h00", "Nov 30, 2026", "30/11/2026 14:00".
std::optional<std::int64_t> parse_loose(const std::string& s) {
    fields f;
    struct number {
        int value;
        std::size_t digits;
    };
    std::vector<number> numbers;
    cursor c{s};
    while (!c.done()) {
        char ch = c.peek();
        if (cursor::digit(ch)) {
            std::size_t start = c.i;
            int v = 0;
            while (cursor::digit(c.peek()) && c.i - start < 5) v = v * 10 + (s[c.i++] - '0');
            if (cursor::digit(c.peek())) return std::nullopt;
            std::size_t digits = c.i - start;
            bool colon_time = c.peek() == ':' && cursor::digit(c.peek(1));
            bool french_time = c.peek() == 'h' && !std::isalpha(static_cast<unsigned char>(c.peek(1))) && digits <= 2;
            if ((colon_time || french_time) && !f.has_time && digits <= 2) {
                ++c.i;
                f.hour = v;
                f.has_time = true;
                int m = 0;
                if (c.fixed(2, m))
                    f.minute = m;
                else if (colon_time)
                    return std::nullopt;
                if (colon_time && c.eat(':')) {
                    if (!c.fixed(2, f.second)) return std::nullopt;
                    if (c.peek() == '.' && cursor::digit(c.peek(1))) {
                        ++c.i;
                        while (cursor::digit(c.peek())) ++c.i;
                    }
                }
                continue;
            }
            numbers.push_back({v, digits});
        } else if ((ch == '+' || ch == '-') && f.has_time && cursor::digit(c.peek(1))) {
            if (!numeric_offset(c, f.offset)) return std::nullopt;
            f.has_zone = true;
        } else if (ch >= 'a' && ch <= 'z') {
            std::size_t start = c.i;
            while (c.peek() >= 'a' && c.peek() <= 'z') ++c.i;
            std::string_view w(s.data() + start, c.i - start);
            int zone = 0;
            if (int m = month_of(w)) {
                if (f.month != -1) return std::nullopt;
                f.month = m;
            } else if (is_weekday(w) || is_filler(w)) {
            } else if (zone_of(w, zone)) {
                // "GMT+0100": a numeric offset after a name wins.
                if (!f.has_zone) f.offset = zone;
                f.has_zone = true;
            } else if (w == "pm" || w == "am") {
                if (!f.has_time || f.hour > 12) return std::nullopt;
                if (w == "pm" && f.hour < 12) f.hour += 12;
                if (w == "am" && f.hour == 12) f.hour = 0;
            } else {
                return std::nullopt;
            }
        } else if (ch == '(') {
            auto e = s.find(')', c.i);  // "(CET)", "(heure normale d'Europe centrale)"
            c.i = e == std::string::npos ? s.size() : e + 1;
        } else {
            ++c.i;  // separators: spaces, commas, dots, slashes, dashes
        }
    }
    const auto year_of = [](const number& n) {
        return n.digits <= 2 ? (n.value < 70 ? 2000 + n.value : 1900 + n.value) : n.value;
    };
    if (f.month != -1) {
        // A month name: the 4-digit number is the year, the other one the day; with two
        // short numbers, the day comes first ("30 Nov 26").
        if (numbers.size() != 2) return std::nullopt;
        const number& a = numbers[0];
        const number& b = numbers[1];
        if (a.digits == 4) {
            f.year = a.value;
            f.day = b.value;
        } else if (b.digits == 4 || a.digits <= 2) {
            f.day = a.value;
            f.year = year_of(b);
        } else {
            return std::nullopt;
        }
    } else {
        // Numbers only: y-m-d, or d/m/y as written in France, m/d/y when that is the only
        // possible reading.
        if (numbers.size() != 3) return std::nullopt;
        if (numbers[0].digits == 4) {
            f.year = numbers[0].value;
            f.month = numbers[1].value;
            f.day = numbers[2].value;
        } else {
            f.day = numbers[0].value;
            f.month = numbers[1].value;
            if (f.month > 12 && f.day <= 12) std::swap(f.day, f.month);
            f.year = year_of(numbers[2]);
        }
    }
    return to_unix(f);
}

}  // namespace


std::optional<std::int64_t> parse_date(std::string_view text) {
    if (text.size() > 200) return std::nullopt;
    std::string s = collapse_whitespace(text);
    if (s.empty()) return std::nullopt;
    if (auto t = parse_iso(s)) return t;
    return parse_loose(fold(s));
}

}  // namespace relais::watch
