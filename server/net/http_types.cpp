#include "net/http_types.hpp"

#include "common/errors.hpp"
#include "common/utf8.hpp"

#include <nlohmann/json.hpp>

#include <charconv>

namespace relais::net {

const std::string& request::header(const std::string& lower_name) const {
    static const std::string empty;
    auto it = headers.find(lower_name);
    return it == headers.end() ? empty : it->second;
}

std::optional<std::string> request::cookie(std::string_view name) const {
    auto all = cookies(name, 1);
    if (all.empty()) return std::nullopt;
    return std::move(all.front());
}

std::vector<std::string> request::cookies(std::string_view name, std::size_t max) const {
    std::vector<std::string> out;
    std::string_view all = header("cookie");
    while (!all.empty() && out.size() < max) {
        auto semi = all.find(';');
        std::string_view part = all.substr(0, semi);
        all = semi == std::string_view::npos ? std::string_view() : all.substr(semi + 1);
        while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
        auto eq = part.find('=');
        if (eq == std::string_view::npos) continue;
        if (part.substr(0, eq) == name) out.emplace_back(part.substr(eq + 1));
    }
    return out;
}

std::int64_t request::id_param(const std::string& name) const {
    auto it = params.find(name);
    if (it == params.end()) throw api_error(errors::not_found);
    std::int64_t v = 0;
    const auto& s = it->second;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    // One spelling per id: no sign, no leading zero ("01" is not 1).
    if (ec != std::errc() || p != s.data() + s.size() || v <= 0 || s[0] == '0') throw api_error(errors::not_found);
    return v;
}

response response::json(int status, const nlohmann::json& body) {
    response r;
    r.status = status;
    r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return r;
}

response response::no_content() {
    response r;
    r.status = 204;
    r.content_type.clear();
    return r;
}

response response::text(int status, std::string body, std::string content_type) {
    response r;
    r.status = status;
    r.body = std::move(body);
    r.content_type = std::move(content_type);
    return r;
}

response response::error(const api_error& e) {
    nlohmann::json err = {{"code", e.code()}, {"message", e.message()}};
    if (!e.field().empty()) err["field"] = e.field();
    return json(e.status(), {{"error", err}});
}

bool url_decode(std::string_view in, std::string& out, bool plus_is_space) {
    out.clear();
    out.reserve(in.size());
    auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    for (std::size_t i = 0; i < in.size(); ++i) {
        char c = in[i];
        if (c == '%') {
            if (i + 2 >= in.size()) return false;
            int hi = hex(in[i + 1]), lo = hex(in[i + 2]);
            if (hi < 0 || lo < 0) return false;
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            out += ' ';
        } else {
            out += c;
        }
    }
    return is_valid_utf8(out) && out.find('\0') == std::string::npos;
}

}  // namespace relais::net
