// Bytes to UTF-8. Feeds lie about their encoding often enough that the declared encoding
// is only a hint, checked against the bytes.
#include "common/utf8.hpp"
#include "watch/detail.hpp"
#include "watch/text.hpp"

#include <iconv.h>

#include <algorithm>
#include <cerrno>

namespace relais::watch::detail {

namespace {


// Windows-1252's 0x80..0x9F; the five undefined bytes map to the C1 controls, as browsers do.
constexpr char16_t cp1252_high[32] = {0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
                                      0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
                                      0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

std::string utf16_to_utf8(std::string_view bytes, bool big_endian) {
    std::string out;
    out.reserve(bytes.size());
    const auto unit = [&](std::size_t i) -> char16_t {
        auto a = static_cast<unsigned char>(bytes[i]), b = static_cast<unsigned char>(bytes[i + 1]);
        return static_cast<char16_t>(big_endian ? (a << 8) | b : (b << 8) | a);
    };
    for (std::size_t i = 0; i + 1 < bytes.size(); i += 2) {
        char32_t u = unit(i);
        if (u >= 0xD800 && u <= 0xDBFF && i + 3 < bytes.size()) {
            char32_t lo = unit(i + 2);
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                append_utf8(out, 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00));
                i += 2;
                continue;
            }
        }
        append_utf8(out, u >= 0xD800 && u <= 0xDFFF ? 0xFFFD : u);
    }
    return out;
}

std::string lower_trim(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (c == ' ' || c == '\t' || c == '"' || c == '\'') continue;
        out += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    return out;
}

/// An encoding label as we compare and show it: lower case, [a-z0-9._:-] only, bounded.
std::string clean_label(std::string_view s) {
    std::string out;
    for (char c : lower_trim(s)) {
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == ':') out += c;
        if (out.size() >= 40) break;
    }
    return out;
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
    if (s.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
        if (c != prefix[i]) return false;
    }
    return true;
}

/// The value of encoding="..." in a leading XML declaration (ASCII-compatible bytes).
std::string xml_declared_encoding(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) ++i;
    if (s.substr(i, 5) != "<?xml") return {};
    auto end = s.find("?>", i);
    if (end == std::string_view::npos || end - i > 500) return {};
    auto decl = s.substr(i, end - i);
    auto p = decl.find("encoding");
    if (p == std::string_view::npos) return {};
    p += 8;
    while (p < decl.size() && (decl[p] == ' ' || decl[p] == '=')) ++p;
    if (p >= decl.size() || (decl[p] != '"' && decl[p] != '\'')) return {};
    char q = decl[p];
    auto close = decl.find(q, p + 1);
    if (close == std::string_view::npos) return {};
    return lower_trim(decl.substr(p + 1, close - p - 1));
}

/// The charset of a <meta charset> or <meta http-equiv content="...; charset=..."> in the
/// first 2 kB (a plain search: the bytes are not parsed as HTML, only the label is wanted).
std::string html_declared_encoding(std::string_view s) {
    std::string head = lower_trim(s.substr(0, 2048));
    auto p = head.find("charset=");
    if (p == std::string::npos) return {};
    p += 8;
    std::string label;
    while (p < head.size() && label.size() < 40) {
        char c = head[p++];
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == ':' || c == '.')
            label += c;
        else
            break;
    }
    return label;
}

bool is_utf8_label(const std::string& l) { return l == "utf-8" || l == "utf8" || l == "unicode-1-1-utf-8"; }
bool is_latin_label(const std::string& l) {
    return l == "iso-8859-1" || l == "iso8859-1" || l == "iso_8859-1" || l == "latin1" || l == "latin-1" || l == "l1" ||
           l == "windows-1252" || l == "cp1252" || l == "x-cp1252" || l == "us-ascii" || l == "ascii";
}

bool has_multibyte(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

/// Through iconv; false when the label is unknown to it.
bool iconv_to_utf8(std::string_view bytes, const std::string& label, std::string& out) {
    iconv_t cd = iconv_open("UTF-8", label.c_str());
    if (cd == reinterpret_cast<iconv_t>(-1)) return false;
    out.clear();
    out.reserve(bytes.size() * 2);
    std::string in(bytes);
    char* ip = in.data();
    std::size_t ileft = in.size();
    char buf[4096];
    while (ileft > 0) {
        char* op = buf;
        std::size_t oleft = sizeof buf;
        std::size_t r = iconv(cd, &ip, &ileft, &op, &oleft);
        out.append(buf, static_cast<std::size_t>(op - buf));
        if (r == static_cast<std::size_t>(-1)) {
            if (errno == E2BIG) continue;
            // An invalid or truncated sequence: one replacement character, then go on.
            out += "\xEF\xBF\xBD";
            ++ip;
            --ileft;
        }
    }
    iconv_close(cd);
    return true;
}

}  // namespace

std::string windows1252_to_utf8(std::string_view bytes) {
    std::string out;
    out.reserve(bytes.size() + bytes.size() / 8);
    for (char ch : bytes) {
        auto c = static_cast<unsigned char>(ch);
        if (c < 0x80)
            out += ch;
        else if (c < 0xA0)
            append_utf8(out, cp1252_high[c - 0x80]);
        else
            append_utf8(out, c);
    }
    return out;
}

std::string decode_to_utf8(std::string_view bytes, std::string_view http_charset, bool xml, warnings& w) {
    if (bytes.substr(0, 3) == "\xEF\xBB\xBF") {
        bytes.remove_prefix(3);
        if (is_valid_utf8(bytes)) return std::string(bytes);
        w.add("Le flux commence par une marque UTF-8 mais contient des octets invalides : lu en Windows-1252.");
        return windows1252_to_utf8(bytes);
    }
    if (bytes.substr(0, 2) == "\xFF\xFE") return utf16_to_utf8(bytes.substr(2), false);
    if (bytes.substr(0, 2) == "\xFE\xFF") return utf16_to_utf8(bytes.substr(2), true);
    // UTF-16 without a byte order mark: "<?" or "<r" as 16-bit units.
    if (bytes.size() >= 4 && bytes[0] == '<' && bytes[1] == '\0' && bytes[2] != '\0' && bytes[3] == '\0')
        return utf16_to_utf8(bytes, false);
    if (bytes.size() >= 4 && bytes[0] == '\0' && bytes[1] == '<' && bytes[2] == '\0' && bytes[3] != '\0')
        return utf16_to_utf8(bytes, true);

    std::string label = clean_label(xml ? xml_declared_encoding(bytes) : html_declared_encoding(bytes));
    if (label.empty()) label = clean_label(http_charset);
    const bool valid = is_valid_utf8(bytes);

    if (label.empty() || is_utf8_label(label) || label.starts_with("utf-16") || label == "utf16") {
        // UTF-16 declared but no 16-bit bytes seen: the declaration is wrong (the bytes are
        // what the server sent).
        if (valid) return std::string(bytes);
        w.add("Le flux se déclare en UTF-8 mais n'en est pas : lu en Windows-1252.");
        return windows1252_to_utf8(bytes);
    }
    if (is_latin_label(label)) {
        if (valid && has_multibyte(bytes)) {
            w.add("Le flux se déclare en " + label + " mais est en UTF-8 : lu en UTF-8.");
            return std::string(bytes);
        }
        return windows1252_to_utf8(bytes);
    }
    std::string out;
    if (iconv_to_utf8(bytes, label, out)) return out;
    w.add("Encodage inconnu (" + label + ") : " + (valid ? "lu en UTF-8." : "lu en Windows-1252."));
    return valid ? std::string(bytes) : windows1252_to_utf8(bytes);
}

bool looks_like_html(std::string_view s) {
    std::size_t i = 0;
    for (;;) {
        while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) ++i;
        if (s.substr(i, 4) == "<!--") {
            auto e = s.find("-->", i + 4);
            if (e == std::string_view::npos) return false;
            i = e + 3;
            continue;
        }
        break;
    }
    auto rest = s.substr(i);
    return starts_with_ci(rest, "<!doctype html") || starts_with_ci(rest, "<html");
}

}  // namespace relais::watch::detail
