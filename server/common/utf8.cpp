#include "common/utf8.hpp"

#include <xapian.h>

#include <cstdint>
#include <cstring>

namespace relais {

bool is_valid_utf8(std::string_view s) noexcept {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const auto* end = p + s.size();
    while (p < end) {
        // Eight ASCII bytes at a time (the usual case for markup and French text alike).
        while (end - p >= 8) {
            std::uint64_t w;
            std::memcpy(&w, p, 8);
            if (w & 0x8080808080808080ull) break;
            p += 8;
        }
        if (p == end) break;
        const unsigned char c = *p;
        const std::ptrdiff_t left = end - p;
        if (c < 0x80) {
            ++p;
        } else if (c >= 0xC2 && c <= 0xDF) {  // U+0080..U+07FF
            if (left < 2 || (p[1] & 0xC0) != 0x80) return false;
            p += 2;
        } else if (c >= 0xE0 && c <= 0xEF) {  // U+0800..U+FFFF, no overlong form, no surrogate
            if (left < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80) return false;
            if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0)) return false;
            p += 3;
        } else if (c >= 0xF0 && c <= 0xF4) {  // U+10000..U+10FFFF
            if (left < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80) return false;
            if ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] >= 0x90)) return false;
            p += 4;
        } else {
            return false;
        }
    }
    return true;
}

std::size_t utf8_length(std::string_view s) noexcept {
    std::size_t n = 0;
    for (unsigned char c : s)
        if ((c & 0xC0) != 0x80) ++n;
    return n;
}

bool truncate_utf8_bytes(std::string& s, std::size_t max_bytes) {
    if (s.size() <= max_bytes) return false;
    std::size_t cut = max_bytes;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    s.resize(cut);
    return true;
}

bool truncate_utf8_chars(std::string& s, std::size_t max_chars) {
    std::size_t chars = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if ((static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) continue;
        if (chars == max_chars) {
            s.resize(i);
            return true;
        }
        ++chars;
    }
    return false;
}

}  // namespace relais

#include "common/errors.hpp"

namespace relais {

std::string french_typography(std::string_view text) {
    static constexpr std::string_view nbsp = "\xC2\xA0", narrow = "\xE2\x80\xAF", apostrophe = "\xE2\x80\x99";
    std::string out;
    out.reserve(text.size() + 16);
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        const char next = i + 1 < text.size() ? text[i + 1] : '\0';
        if (c == '\'') {
            out += apostrophe;
        } else if (c == ' ' && next == ':') {
            out += nbsp;
        } else if (c == ' ' && (next == ';' || next == '!' || next == '?')) {
            out += narrow;
        } else if (c == ' ' && text.substr(i + 1, 2) == "\xC2\xBB") {  // before »
            out += nbsp;
        } else if (c == '\xC2' && next == '\xAB' && i + 2 < text.size() && text[i + 2] == ' ') {  // « then a space
            out += "\xC2\xAB";
            out += nbsp;
            i += 2;
        } else {
            out += c;
        }
    }
    return out;
}

std::string utf8_lower(std::string_view s) {
    return Xapian::Unicode::tolower(std::string(s));
}

}  // namespace relais
