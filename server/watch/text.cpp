#include "watch/text.hpp"

#include "common/utf8.hpp"

#include <algorithm>
#include <array>
#include <iterator>
#include <set>

namespace relais::watch {

namespace {

/// Decodes one code point at s[i]; on an ill-formed sequence returns U+FFFD and advances by one.
char32_t next_code_point(std::string_view s, std::size_t& i) {
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char c = b(i);
    if (c < 0x80) {
        ++i;
        return c;
    }
    std::size_t n;
    char32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 1;
        cp = c & 0x1Fu;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 2;
        cp = c & 0x0Fu;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 3;
        cp = c & 0x07u;
    } else {
        ++i;
        return 0xFFFD;
    }
    if (i + n >= s.size()) {
        ++i;
        return 0xFFFD;
    }
    for (std::size_t k = 1; k <= n; ++k) {
        if ((b(i + k) & 0xC0) != 0x80) {
            ++i;
            return 0xFFFD;
        }
        cp = (cp << 6) | (b(i + k) & 0x3Fu);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF)) {
        ++i;
        return 0xFFFD;
    }
    i += n + 1;
    return cp;
}


bool is_space(char32_t cp) {
    return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '\f' || cp == '\v' || cp == 0xA0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000 ||
           cp == 0xFEFF;
}

// U+00C0..U+00FF without their accents; '\0' marks a non-letter, "ae"-style pairs are below.
using namespace std::string_view_literals;
constexpr std::string_view latin1_folded = "aaaaaaaceeeeiiiidnooooo\0ouuuuy\0saaaaaaaceeeeiiiidnooooo\0ouuuuy\0y"sv;
static_assert(latin1_folded.size() == 64);

}  // namespace

std::string ascii_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    return out;
}

void append_utf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

std::string to_valid_utf8(std::string_view s) {
    if (is_valid_utf8(s)) return std::string(s);  // the common case, checked fast
    std::string out;
    out.reserve(s.size());
    std::size_t i = 0;
    while (i < s.size()) append_utf8(out, next_code_point(s, i));
    return out;
}

void whitespace_collapser::add(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        // A run of printable ASCII and two-byte characters other than U+0080..U+00BF (C1
        // controls, no-break space...) is copied as is.
        static constexpr auto kind = [] {  // 1: printable ASCII, 2: lead byte of U+00C0..U+07FF
            std::array<unsigned char, 256> t{};
            for (int c = 0x21; c < 0x7F; ++c) t[static_cast<std::size_t>(c)] = 1;
            for (int c = 0xC3; c <= 0xDF; ++c) t[static_cast<std::size_t>(c)] = 2;
            return t;
        }();
        std::size_t run = i;
        const std::size_t n = s.size();
        for (;;) {
            while (run < n && kind[static_cast<unsigned char>(s[run])] == 1) ++run;
            if (run + 1 < n && kind[static_cast<unsigned char>(s[run])] == 2 &&
                (static_cast<unsigned char>(s[run + 1]) & 0xC0) == 0x80) {
                run += 2;
                continue;
            }
            break;
        }
        if (run > i) {
            if (pending_) out_ += ' ';
            pending_ = false;
            out_.append(s.data() + i, run - i);
            i = run;
            continue;
        }
        std::size_t start = i;
        char32_t cp = next_code_point(s, i);
        // What the rest of Relais refuses in a text is dropped from a feed's: C1 controls,
        // bidirectional overrides and isolates (a title that displays other than it reads),
        // zero-width characters and the byte order mark.
        if ((cp >= 0x80 && cp <= 0x9F && cp != 0x85) || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||
            (cp >= 0x200B && cp <= 0x200F) || cp == 0xFEFF)
            continue;
        if (is_space(cp) || cp < 0x20 || cp == 0x7F || cp == 0x85) {  // U+0085: a line break
            pending_ = !out_.empty();
            continue;
        }
        if (pending_) out_ += ' ';
        pending_ = false;
        if (cp == 0xFFFD && i - start == 1)
            append_utf8(out_, cp);
        else
            out_.append(s.substr(start, i - start));
    }
}

std::string collapse_whitespace(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    whitespace_collapser(out).add(s);
    return out;
}

std::string fold(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    std::size_t i = 0;
    while (i < s.size()) {
        std::size_t start = i;
        char32_t cp = next_code_point(s, i);
        if (cp < 0x80) {
            out += static_cast<char>(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
        } else if (cp == 0xC6 || cp == 0xE6) {
            out += "ae";
        } else if (cp == 0xDE || cp == 0xFE) {
            out += "th";
        } else if (cp == 0xDF) {
            out += "ss";
        } else if (cp == 0x152 || cp == 0x153) {
            out += "oe";
        } else if (cp == 0x178) {
            out += 'y';
        } else if (cp == 0x2019 || cp == 0x2018 || cp == 0x2BC) {
            out += '\'';
        } else if (cp >= 0xC0 && cp <= 0xFF && latin1_folded[cp - 0xC0] != '\0') {
            out += latin1_folded[cp - 0xC0];
        } else {
            out.append(s.substr(start, i - start));
        }
    }
    return out;
}

std::vector<std::string> title_words(std::string_view title) {
    static const std::set<std::string, std::less<>> stop = {
        "a",   "au",  "aux",  "avec", "c",   "ce",  "ces", "d",   "dans", "de",  "des", "du",  "elle", "en",
        "est", "et",  "il",   "j",    "l",   "la",  "le",  "les", "leur", "m",   "n",   "ne",  "on",   "ou",
        "par", "pas", "pour", "qu",   "que", "qui", "s",   "sa",  "se",   "ses", "son", "sur", "t",    "un",
        "une", "y",   "an",   "and",  "for", "in",  "is",  "of",  "on",   "the", "to",  "with"};
    std::vector<std::string> out;
    std::string f = fold(title), w;
    const auto flush = [&] {
        if (!w.empty() && !stop.contains(w)) out.push_back(w);
        w.clear();
    };
    for (char c : f) {
        // Non-ASCII bytes that fold() kept are parts of words (other scripts).
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (static_cast<unsigned char>(c) >= 0x80))
            w += c;
        else
            flush();
    }
    flush();
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

double title_similarity(std::string_view a, std::string_view b) {
    auto wa = title_words(a), wb = title_words(b);
    if (wa.empty() || wb.empty()) return wa.empty() && wb.empty() && fold(a) == fold(b) && !a.empty() ? 1.0 : 0.0;
    std::vector<std::string> common;
    std::set_intersection(wa.begin(), wa.end(), wb.begin(), wb.end(), std::back_inserter(common));
    return 2.0 * static_cast<double>(common.size()) / static_cast<double>(wa.size() + wb.size());
}

}  // namespace relais::watch
