#include "common/markup.hpp"

#include <array>

namespace relais {

std::string escape_html(std::string_view s) {
    std::string out;
    out.reserve(s.size() + s.size() / 8);
    append_escaped_html(out, s);
    return out;
}

void append_escaped_html(std::string& out, std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        // Ordinary characters are copied a run at a time.
        static constexpr auto plain = [] {
            std::array<bool, 256> t{};
            for (int c = 0x20; c < 256; ++c) t[static_cast<std::size_t>(c)] = true;
            t['\n'] = t['\t'] = true;
            t['&'] = t['<'] = t['>'] = t['"'] = t['\''] = false;
            return t;
        }();
        std::size_t j = i;
        while (j < s.size() && plain[static_cast<unsigned char>(s[j])]) ++j;
        out.append(s.data() + i, j - i);
        if (j == s.size()) break;
        switch (s[j]) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&#39;";
                break;
            case '\r':
                out += '\n';
                break;
            default:
                break;  // other C0 controls are dropped
        }
        i = j + 1;
    }
}

std::string csv_field(std::string_view text) {
    std::string v;
    if (!text.empty() && (text[0] == '=' || text[0] == '+' || text[0] == '-' || text[0] == '@')) v = "'";
    v += text;
    if (v.find_first_of(";\"\n\r,") == std::string::npos) return v;
    std::string out = "\"";
    for (char c : v) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

}  // namespace relais
