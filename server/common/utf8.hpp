#pragma once
#include <string>
#include <string_view>

namespace relais {

/// True when s is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool is_valid_utf8(std::string_view s) noexcept;

/// Number of code points in a valid UTF-8 string.
std::size_t utf8_length(std::string_view s) noexcept;

/// Cuts `s` (valid UTF-8) to at most max_bytes without splitting a character; true if cut.
bool truncate_utf8_bytes(std::string& s, std::size_t max_bytes);

/// Cuts `s` (valid UTF-8) to at most max_chars code points; true if cut.
bool truncate_utf8_chars(std::string& s, std::size_t max_chars);

/// `s` cut to at most max_chars code points.
inline std::string utf8_prefix(std::string s, std::size_t max_chars) {
    truncate_utf8_chars(s, max_chars);
    return s;
}

/// `s` (valid UTF-8) in lower case, every script (Unicode simple case mapping): what two
/// spellings of one e-mail address have in common ("Élodie@X.fr" and "élodie@x.fr").
std::string utf8_lower(std::string_view s);

}  // namespace relais
