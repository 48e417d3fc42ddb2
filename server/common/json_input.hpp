#pragma once
// Reading untrusted JSON: parse without exceptions, check shape, bound every field.
// Every failure is an api_error naming the field, so that handlers stay short.
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace relais::json_input {

/// Parses a request body that must be a JSON object (valid UTF-8, bounded depth).
nlohmann::json parse_object(std::string_view body);

/// A required string of 1..max_chars code points (after trimming spaces).
std::string required_string(const nlohmann::json& obj, const char* field, std::size_t max_chars);

/// An optional string: absent, null or blank gives nullopt; otherwise as required_string.
std::optional<std::string> optional_string(const nlohmann::json& obj, const char* field,
                                           std::size_t max_chars);

/// A one-line text (a name, a title, a label): as required_string, and a line break
/// (newline) is refused too, naming the field.
std::string required_line(const nlohmann::json& obj, const char* field, std::size_t max_chars);

/// As optional_string, refusing a line break.
std::optional<std::string> optional_line(const nlohmann::json& obj, const char* field,
                                         std::size_t max_chars);

/// An optional boolean.
std::optional<bool> optional_bool(const nlohmann::json& obj, const char* field);

/// An optional positive integer id; `null` gives a present-but-empty value.
std::optional<std::optional<std::int64_t>> optional_id(const nlohmann::json& obj, const char* field);

/// Whether the field is present (even null).
bool has(const nlohmann::json& obj, const char* field);

std::string trim(std::string_view s);

/// CRLF and a lone CR as LF: line ends from other systems are line breaks.
std::string unix_line_ends(std::string v);

/// Whether the text holds a control character other than newline and tab (C0, DEL, C1)
/// or a bidirectional override or isolate (U+202A–U+202E, U+2066–U+2069): what every
/// string read through this file refuses, for callers that read text whole.
bool has_control(std::string_view v);

}  // namespace relais::json_input
