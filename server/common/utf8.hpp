#pragma once
#include <string_view>

namespace relais {

/// True when s is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool is_valid_utf8(std::string_view s) noexcept;

/// Number of code points in a valid UTF-8 string.
std::size_t utf8_length(std::string_view s) noexcept;

}  // namespace relais
