#include "common/json_input.hpp"

#include "common/errors.hpp"
#include "common/utf8.hpp"

namespace relais::json_input {
namespace {

constexpr int max_depth = 16;

// nlohmann's parser recurses; refuse deep nesting before handing it the text.
bool depth_ok(std::string_view s) {
    int depth = 0;
    bool in_string = false, escaped = false;
    for (char c : s) {
        if (in_string) {
            if (escaped) escaped = false;
            else if (c == '\\') escaped = true;
            else if (c == '"') in_string = false;
            continue;
        }
        if (c == '"') in_string = true;
        else if (c == '{' || c == '[') { if (++depth > max_depth) return false; }
        else if (c == '}' || c == ']') --depth;
    }
    return true;
}

}  // namespace

namespace {

// Spaces a text may start or end with that show nothing: ASCII blanks, and in UTF-8 the
// no-break spaces (U+00A0, U+202F), the typographic ones (U+2000–U+200A, U+205F, U+3000,
// U+1680), line and paragraph separators, the zero-width space and a byte order mark.
// Trimmed like ASCII spaces, so that a title of no-break spaces is blank, hence missing.
constexpr std::string_view unicode_blanks[] = {
    "\xC2\xA0", "\xE1\x9A\x80", "\xE2\x80\x80", "\xE2\x80\x81", "\xE2\x80\x82", "\xE2\x80\x83", "\xE2\x80\x84",
    "\xE2\x80\x85", "\xE2\x80\x86", "\xE2\x80\x87", "\xE2\x80\x88", "\xE2\x80\x89", "\xE2\x80\x8A", "\xE2\x80\x8B",
    "\xE2\x80\xA8", "\xE2\x80\xA9", "\xE2\x80\xAF", "\xE2\x81\x9F", "\xE3\x80\x80", "\xEF\xBB\xBF"};

std::size_t blank_prefix(std::string_view s) {
    if (s.empty()) return 0;
    if (s[0] == ' ' || s[0] == '\t' || s[0] == '\n' || s[0] == '\r') return 1;
    for (auto b : unicode_blanks)
        if (s.substr(0, b.size()) == b) return b.size();
    return 0;
}

std::size_t blank_suffix(std::string_view s) {
    if (s.empty()) return 0;
    const char c = s.back();
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') return 1;
    for (auto b : unicode_blanks)
        if (s.size() >= b.size() && s.substr(s.size() - b.size()) == b) return b.size();
    return 0;
}

}  // namespace

std::string trim(std::string_view s) {
    while (auto n = blank_prefix(s)) s.remove_prefix(n);
    while (auto n = blank_suffix(s)) s.remove_suffix(n);
    return std::string(s);
}

nlohmann::json parse_object(std::string_view body) {
    if (!is_valid_utf8(body)) throw api_error(errors::invalid_utf8);
    if (!depth_ok(body)) throw api_error(errors::invalid_json);
    auto j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) throw api_error(errors::invalid_json);
    return j;
}

bool has(const nlohmann::json& obj, const char* field) { return obj.contains(field); }

std::optional<std::string> optional_string(const nlohmann::json& obj, const char* field,
                                           std::size_t max_chars) {
    auto it = obj.find(field);
    if (it == obj.end() || it->is_null()) return std::nullopt;
    if (!it->is_string()) throw api_error(errors::invalid_field, field);
    std::string v = unix_line_ends(trim(it->get_ref<const std::string&>()));
    std::size_t n = utf8_length(v);
    if (n == 0) return std::nullopt;  // blank reads as absent; required_string refuses it
    if (n > max_chars) throw api_error(errors::invalid_field, field);
    if (has_control(v)) throw api_error(errors::invalid_field, field);
    return v;
}

std::string unix_line_ends(std::string v) {
    // Line ends from other systems (CRLF, a lone CR) are line breaks, not control characters.
    if (v.find('\r') == std::string::npos) return v;
    std::string out;
    out.reserve(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (v[i] != '\r') out += v[i];
        else if (i + 1 >= v.size() || v[i + 1] != '\n') out += '\n';
    }
    return out;
}

bool has_control(std::string_view v) {
    // Control characters but newline and tab: C0, DEL, and C1 (U+0080–U+009F, 0xC2 0x80–0x9F);
    // and the bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069), which
    // make a name or a line display other than it reads (« Admin\u202E » spoofing).
    for (std::size_t i = 0; i < v.size(); ++i) {
        auto c = static_cast<unsigned char>(v[i]);
        if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7F ||
            (c == 0xC2 && i + 1 < v.size() && static_cast<unsigned char>(v[i + 1]) <= 0x9F))
            return true;
        if (c == 0xE2 && i + 2 < v.size()) {
            auto b1 = static_cast<unsigned char>(v[i + 1]), b2 = static_cast<unsigned char>(v[i + 2]);
            if ((b1 == 0x80 && b2 >= 0xAA && b2 <= 0xAE) || (b1 == 0x81 && b2 >= 0xA6 && b2 <= 0xA9)) return true;
        }
    }
    return false;
}

std::string required_string(const nlohmann::json& obj, const char* field, std::size_t max_chars) {
    auto v = optional_string(obj, field, max_chars);
    if (!v) throw api_error(errors::invalid_field, field);
    return *v;
}

std::optional<std::string> optional_line(const nlohmann::json& obj, const char* field,
                                         std::size_t max_chars) {
    auto v = optional_string(obj, field, max_chars);
    // A line break, or Unicode's line and paragraph separators (U+2028, U+2029).
    if (v && (v->find('\n') != std::string::npos || v->find("\xE2\x80\xA8") != std::string::npos ||
              v->find("\xE2\x80\xA9") != std::string::npos))
        throw api_error(errors::invalid_field, field);
    return v;
}

std::string required_line(const nlohmann::json& obj, const char* field, std::size_t max_chars) {
    auto v = optional_line(obj, field, max_chars);
    if (!v) throw api_error(errors::invalid_field, field);
    return *v;
}

std::optional<bool> optional_bool(const nlohmann::json& obj, const char* field) {
    auto it = obj.find(field);
    if (it == obj.end() || it->is_null()) return std::nullopt;
    if (!it->is_boolean()) throw api_error(errors::invalid_field, field);
    return it->get<bool>();
}

std::optional<std::optional<std::int64_t>> optional_id(const nlohmann::json& obj, const char* field) {
    auto it = obj.find(field);
    if (it == obj.end()) return std::nullopt;
    if (it->is_null()) return std::optional<std::int64_t>{};
    if (!it->is_number_integer()) throw api_error(errors::invalid_field, field);
    auto v = it->get<std::int64_t>();
    if (v <= 0) throw api_error(errors::invalid_field, field);
    return std::optional<std::int64_t>{v};
}

}  // namespace relais::json_input
