#include "net/router.hpp"

#include <algorithm>
#include <stdexcept>

namespace relais::net {
namespace {

std::vector<std::string_view> split(std::string_view path) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < path.size()) {
        if (path[i] == '/') { ++i; continue; }
        auto j = path.find('/', i);
        if (j == std::string_view::npos) j = path.size();
        out.push_back(path.substr(i, j - i));
        i = j;
    }
    return out;
}

bool is_param(std::string_view seg) { return seg.size() > 2 && seg.front() == '{' && seg.back() == '}'; }

}  // namespace

void router::add(std::string method, std::string pattern, std::string access, handler h, route_options options) {
    for (const auto& r : routes_)
        if (r.method == method && r.pattern == pattern) throw std::logic_error("duplicate route " + method + " " + pattern);
    if (access.empty()) throw std::logic_error("route without an access level: " + method + " " + pattern);
    route r{std::move(method), std::move(pattern), std::move(access), {}, std::move(h), options};
    for (auto s : split(r.pattern)) r.segments.emplace_back(s);
    routes_.push_back(std::move(r));
}

router::match router::find(std::string_view method, std::string_view path) const {
    match m;
    auto segs = split(path);
    // A trailing slash is a different resource; keep paths canonical.
    if (path.size() > 1 && path.back() == '/') return m;
    for (const auto& r : routes_) {
        if (r.segments.size() != segs.size()) continue;
        std::map<std::string, std::string> params;
        bool ok = true;
        for (std::size_t i = 0; i < segs.size() && ok; ++i) {
            const auto& p = r.segments[i];
            if (is_param(p)) params[p.substr(1, p.size() - 2)] = std::string(segs[i]);
            else ok = p == segs[i];
        }
        if (!ok) continue;
        if (r.method == method || (method == "HEAD" && r.method == "GET")) {
            m.result = match::kind::found;
            m.h = &r.h;
            m.pattern = &r.pattern;
            m.options = &r.options;
            m.params = std::move(params);
            return m;
        }
        if (!m.allowed.empty()) m.allowed += ", ";
        m.allowed += r.method;
        if (r.method == "GET") m.allowed += ", HEAD";  // served by every GET route
        m.result = match::kind::method_not_allowed;
    }
    return m;
}

std::size_t router::max_body_bytes() const {
    std::size_t most = 0;
    for (const auto& r : routes_) most = std::max(most, r.options.body_max_bytes);
    return most;
}

std::vector<router::listing> router::routes() const {
    std::vector<listing> out;
    for (const auto& r : routes_) out.push_back({r.method, r.pattern, r.access});
    return out;
}

}  // namespace relais::net
