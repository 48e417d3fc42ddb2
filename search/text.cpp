#include "search/text.hpp"

#include <array>
#include <cstdint>

namespace relais::search {
namespace {

// Decodes one code point; returns 0 and advances by one byte on invalid input.
char32_t next(std::string_view s, std::size_t& i) {
    auto b = static_cast<unsigned char>(s[i]);
    int len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + static_cast<std::size_t>(len) > s.size()) {
        ++i;
        return 0;
    }
    char32_t cp = len == 1 ? b : len == 2 ? (b & 0x1F) : len == 3 ? (b & 0x0F) : (b & 0x07);
    for (int k = 1; k < len; ++k) {
        auto c = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
        if ((c & 0xC0) != 0x80) {
            ++i;
            return 0;
        }
        cp = (cp << 6) | (c & 0x3F);
    }
    i += static_cast<std::size_t>(len);
    return cp;
}

// Latin-1 Supplement and Latin Extended-A letters used in French (and neighbours),
// folded to ASCII. Index = code point - 0xC0.
constexpr std::array<const char*, 0x180 - 0xC0> latin{
    // C0-CF
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    // D0-DF
    "d", "n", "o", "o", "o", "o", "o", "x", "o", "u", "u", "u", "u", "y", "th", "ss",
    // E0-EF
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    // F0-FF
    "d", "n", "o", "o", "o", "o", "o", "/", "o", "u", "u", "u", "u", "y", "th", "y",
    // 100-11F
    "a", "a", "a", "a", "a", "a", "c", "c", "c", "c", "c", "c", "c", "c", "d", "d",
    "d", "d", "e", "e", "e", "e", "e", "e", "e", "e", "e", "e", "g", "g", "g", "g",
    // 120-13F
    "g", "g", "g", "g", "h", "h", "h", "h", "i", "i", "i", "i", "i", "i", "i", "i",
    "i", "i", "ij", "ij", "j", "j", "k", "k", "k", "l", "l", "l", "l", "l", "l", "l",
    // 140-15F
    "l", "l", "l", "n", "n", "n", "n", "n", "n", "n", "n", "n", "o", "o", "o", "o",
    "o", "o", "oe", "oe", "r", "r", "r", "r", "r", "r", "s", "s", "s", "s", "s", "s",
    // 160-17F
    "s", "s", "t", "t", "t", "t", "t", "t", "u", "u", "u", "u", "u", "u", "u", "u",
    "u", "u", "u", "u", "w", "w", "y", "y", "y", "z", "z", "z", "z", "z", "z", "s"};

bool is_word_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || static_cast<unsigned char>(c) >= 0x80;
}

}  // namespace

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

std::string fold(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        char32_t cp = next(text, i);
        if (cp == 0) {
            out += ' ';
        } else if (cp < 0x80) {
            out += static_cast<char>(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
        } else if (cp >= 0xC0 && cp < 0x180 && cp != 0xD7) {
            out += latin[cp - 0xC0];
        } else if (cp == 0x2019 || cp == 0x2018 || cp == 0x02BC || cp == 0x2032) {
            out += '\'';  // typographic apostrophes
        } else if (cp == 0x00A0 || cp == 0x202F || cp == 0x2009) {
            out += ' ';   // (narrow) no-break spaces
        } else if ((cp >= 0x0300 && cp <= 0x036F)) {
            // combining accents (decomposed input): dropped
        } else if (cp == 0x2013 || cp == 0x2014) {
            out += '-';
        } else {
            append_utf8(out, cp);
        }
    }
    return out;
}

std::string normalise(std::string_view text) {
    std::string f = fold(text);
    // French elisions: l' d' j' m' n' s' t' c' qu' jusqu' lorsqu' puisqu' quoiqu'.
    static constexpr std::array<std::string_view, 13> elisions{
        "l'", "d'", "j'", "m'", "n'", "s'", "t'", "c'", "qu'", "jusqu'", "lorsqu'", "puisqu'", "quoiqu'"};
    std::string out;
    out.reserve(f.size());
    std::size_t i = 0;
    while (i < f.size()) {
        bool word_start = i == 0 || !is_word_char(f[i - 1]);
        if (word_start) {
            bool stripped = false;
            for (auto e : elisions) {
                if (f.compare(i, e.size(), e) == 0 && i + e.size() < f.size() && is_word_char(f[i + e.size()])) {
                    i += e.size();
                    stripped = true;
                    break;
                }
            }
            if (stripped) continue;
        }
        out += f[i] == '\'' ? ' ' : f[i];
        ++i;
    }
    return out;
}

}  // namespace relais::search
