// URL handling by hand, after RFC 3986 (section 5.2 for resolution) and the WHATWG URL
// standard's leniencies that matter for safety (what a browser would do with the result).
#include "watch/urls.hpp"
#include "watch/text.hpp"

#include <algorithm>
#include <vector>

namespace relais::watch {

namespace {

struct uri {
    std::string scheme;  // lower case
    bool has_authority = false;
    std::string authority;
    std::string path;
    bool has_query = false;
    std::string query;
    bool has_fragment = false;
    std::string fragment;
};

/// The split of RFC 3986 appendix B.
uri split(std::string_view s) {
    uri u;
    std::size_t i = 0;
    auto colon = s.find(':');
    if (colon != std::string_view::npos && colon > 0) {
        bool ok = (s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z');
        for (std::size_t k = 1; ok && k < colon; ++k) {
            char c = s[k];
            ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
        }
        if (ok) {
            u.scheme = ascii_lower(s.substr(0, colon));
            i = colon + 1;
        }
    }
    if (s.substr(i, 2) == "//") {
        u.has_authority = true;
        auto e = s.find_first_of("/?#", i + 2);
        if (e == std::string_view::npos) e = s.size();
        u.authority = std::string(s.substr(i + 2, e - i - 2));
        i = e;
    }
    auto e = s.find_first_of("?#", i);
    if (e == std::string_view::npos) e = s.size();
    u.path = std::string(s.substr(i, e - i));
    i = e;
    if (i < s.size() && s[i] == '?') {
        u.has_query = true;
        e = s.find('#', i);
        if (e == std::string_view::npos) e = s.size();
        u.query = std::string(s.substr(i + 1, e - i - 1));
        i = e;
    }
    if (i < s.size() && s[i] == '#') {
        u.has_fragment = true;
        u.fragment = std::string(s.substr(i + 1));
    }
    return u;
}

std::string remove_dot_segments(std::string_view in) {
    std::string input(in), output;
    while (!input.empty()) {
        if (input.starts_with("../")) {
            input.erase(0, 3);
        } else if (input.starts_with("./")) {
            input.erase(0, 2);
        } else if (input.starts_with("/./")) {
            input.erase(0, 2);
        } else if (input == "/.") {
            input = "/";
        } else if (input.starts_with("/../") || input == "/..") {
            input = input == "/.." ? "/" : input.substr(3);
            auto p = output.rfind('/');
            output.resize(p == std::string::npos ? 0 : p);
        } else if (input == "." || input == "..") {
            input.clear();
        } else {
            auto p = input.find('/', input[0] == '/' ? 1 : 0);
            if (p == std::string::npos) p = input.size();
            output += input.substr(0, p);
            input.erase(0, p);
        }
    }
    return output;
}

std::string recompose(const uri& u) {
    std::string out;
    if (!u.scheme.empty()) out += u.scheme + ":";
    if (u.has_authority) out += "//" + u.authority;
    out += u.path;
    if (u.has_query) out += "?" + u.query;
    if (u.has_fragment) out += "#" + u.fragment;
    return out;
}

/// What browsers strip before parsing: leading/trailing C0 controls and spaces, and every
/// tab, CR and LF ("jav&#x09;ascript:" is "javascript:").
std::string clean(std::string_view s) {
    std::size_t b = 0, e = s.size();
    while (b < e && static_cast<unsigned char>(s[b]) <= 0x20) ++b;
    while (e > b && static_cast<unsigned char>(s[e - 1]) <= 0x20) --e;
    std::string out;
    out.reserve(e - b);
    for (std::size_t i = b; i < e; ++i)
        if (s[i] != '\t' && s[i] != '\n' && s[i] != '\r') out += s[i];
    return out;
}

/// Percent-encodes the bytes that cannot stand in a URL; '%' itself is kept.
std::string escape_unsafe(std::string_view s) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size());
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        if (c <= 0x20 || c >= 0x7F || c == '"' || c == '<' || c == '>' || c == '\\' || c == '^' || c == '`' || c == '{' ||
            c == '|' || c == '}' || c == '\'') {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        } else {
            out += ch;
        }
    }
    return out;
}

/// Host of an authority without user info and port; the port separately.
void host_port(std::string_view authority, std::string& host, std::string& port) {
    auto at = authority.rfind('@');
    if (at != std::string_view::npos) authority.remove_prefix(at + 1);
    std::size_t colon = std::string_view::npos;
    if (authority.starts_with('[')) {
        auto close = authority.find(']');
        if (close != std::string_view::npos && close + 1 < authority.size() && authority[close + 1] == ':') colon = close + 1;
    } else {
        colon = authority.rfind(':');
    }
    if (colon == std::string_view::npos) {
        host = ascii_lower(authority);
        port.clear();
    } else {
        host = ascii_lower(authority.substr(0, colon));
        port = std::string(authority.substr(colon + 1));
    }
}

bool is_tracking_parameter(std::string_view key) {
    std::string k = ascii_lower(key);
    if (k.starts_with("utm_") || k.starts_with("at_") || k.starts_with("pk_") || k.starts_with("mtm_")) return true;
    static constexpr std::string_view names[] = {
        "fbclid", "gclid",  "dclid", "gbraid",  "wbraid",  "msclkid",  "mc_cid",      "mc_eid",     "xtor",    "igshid",
        "yclid",  "_hsenc", "_hsmi", "mkt_tok", "ref_src", "wt.mc_id", "oly_anon_id", "oly_enc_id", "vero_id", "_ga"};
    return std::find(std::begin(names), std::end(names), k) != std::end(names);
}

}  // namespace

std::string resolve_url(const std::string& base, const std::string& ref_in) {
    std::string ref = clean(ref_in);
    uri r = split(ref);
    const bool special = r.scheme.empty() || r.scheme == "http" || r.scheme == "https";
    if (special && ref.find('\\') != std::string::npos) {
        std::replace(ref.begin(), ref.end(), '\\', '/');
        r = split(ref);
    }
    uri t;
    if (!r.scheme.empty()) {
        t = r;
        t.path = remove_dot_segments(r.path);
    } else {
        uri b = split(clean(base));
        if (b.scheme.empty()) return {};
        if (r.has_authority) {
            t.has_authority = true;
            t.authority = r.authority;
            t.path = remove_dot_segments(r.path);
            t.has_query = r.has_query;
            t.query = r.query;
        } else {
            if (r.path.empty()) {
                t.path = b.path;
                t.has_query = r.has_query || b.has_query;
                t.query = r.has_query ? r.query : b.query;
            } else {
                if (r.path.starts_with('/')) {
                    t.path = remove_dot_segments(r.path);
                } else {
                    std::string merged;
                    if (b.has_authority && b.path.empty()) {
                        merged = "/" + r.path;
                    } else {
                        auto slash = b.path.rfind('/');
                        merged = (slash == std::string::npos ? std::string() : b.path.substr(0, slash + 1)) + r.path;
                    }
                    t.path = remove_dot_segments(merged);
                }
                t.has_query = r.has_query;
                t.query = r.query;
            }
            t.has_authority = b.has_authority;
            t.authority = b.authority;
        }
        t.scheme = b.scheme;
        t.has_fragment = r.has_fragment;
        t.fragment = r.fragment;
    }
    if ((t.scheme == "http" || t.scheme == "https") && t.has_authority && t.path.empty()) t.path = "/";
    return escape_unsafe(recompose(t));
}

namespace {

/// True when `ref` is an absolute http(s) URL that resolution would give back unchanged:
/// lower-case scheme, a plain host, a path, printable ASCII that needs no escaping, no dot
/// segment (no "/." at all). Most links in feeds are; they skip the general path.
bool already_canonical(std::string_view ref) {
    std::size_t start = ref.starts_with("https://") ? 8 : ref.starts_with("http://") ? 7 : 0;
    if (start == 0 || ref.size() > 8192) return false;
    std::size_t path = ref.find('/', start);
    if (path == std::string_view::npos || path == start) return false;
    for (std::size_t i = start; i < path; ++i) {
        char c = ref[i];
        if (c == '@' || c == '?' || c == '#' || c == ':' || c == '[') return false;  // user info, port, IPv6: general path
    }
    for (char ch : ref) {
        auto c = static_cast<unsigned char>(ch);
        if (c <= 0x20 || c >= 0x7F || c == '"' || c == '<' || c == '>' || c == '\\' || c == '^' || c == '`' || c == '{' ||
            c == '|' || c == '}' || c == '\'')
            return false;
    }
    return ref.find("/.") == std::string_view::npos;
}

}  // namespace

namespace {

// A host a request can go to: a name (letters, digits, '-', '.', '_', percent-encoded or
// non-ASCII bytes for international names) or a bracketed IPv6 address; a port of digits.
bool reachable_authority(const std::string& host, const std::string& port) {
    if (host.empty()) return false;
    if (host.front() == '[') {
        if (host.back() != ']' || host.size() < 4) return false;
        for (std::size_t i = 1; i + 1 < host.size(); ++i) {
            char c = host[i];
            if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.') return false;
        }
    } else {
        for (std::size_t i = 0; i < host.size(); ++i) {
            auto c = static_cast<unsigned char>(host[i]);
            if (c == '%') {
                // Only an encoded non-ASCII byte (an international name), never a space or '<'.
                if (i + 2 >= host.size() || !std::isxdigit(static_cast<unsigned char>(host[i + 1])) ||
                    !std::isxdigit(static_cast<unsigned char>(host[i + 2])) || std::stoi(host.substr(i + 1, 2), nullptr, 16) < 0x80)
                    return false;
                i += 2;
            } else if (!std::isalnum(c) && c != '-' && c != '.' && c != '_' && c < 0x80) {
                return false;
            }
        }
    }
    if (port.size() > 5) return false;
    for (char c : port)
        if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    return port.empty() || std::stoi(port) <= 65535;
}

}  // namespace

std::string safe_url(const std::string& base, const std::string& ref, bool allow_mailto) {
    std::string url;
    if (already_canonical(ref)) url = ref;
    else if (ref.size() > 8192 || clean(ref).empty()) return {};  // not "the base itself"
    else url = resolve_url(base, ref);
    uri u = split(url);
    if (u.scheme == "http" || u.scheme == "https") {
        std::string host, port;
        host_port(u.authority, host, port);
        if (!u.has_authority || !reachable_authority(host, port)) return {};
        return url;
    }
    if (allow_mailto && u.scheme == "mailto" && u.path.size() > 1) return url;
    return {};
}

std::string normalise_url(const std::string& in) {
    std::string s = clean(in);
    uri u = split(s);
    if (u.scheme != "http" && u.scheme != "https") {
        u.has_fragment = false;
        u.fragment.clear();
        return recompose(u);
    }
    std::string host, port;
    host_port(u.authority, host, port);
    while (host.ends_with('.')) host.pop_back();  // "example.org." is "example.org"
    if (port == "80" || port == "443") port.clear();
    u.scheme = "https";
    u.authority = port.empty() ? host : host + ":" + port;
    u.path = remove_dot_segments(u.path);
    while (u.path.size() > 1 && u.path.ends_with('/')) u.path.pop_back();
    if (u.path.empty()) u.path = "/";
    std::vector<std::string> params;
    std::size_t start = 0;
    while (u.has_query && start <= u.query.size()) {
        auto amp = u.query.find('&', start);
        if (amp == std::string::npos) amp = u.query.size();
        std::string p = u.query.substr(start, amp - start);
        if (!p.empty() && !is_tracking_parameter(p.substr(0, p.find('=')))) params.push_back(std::move(p));
        start = amp + 1;
    }
    std::sort(params.begin(), params.end());
    u.has_query = !params.empty();
    u.query.clear();
    for (const auto& p : params) u.query += (u.query.empty() ? "" : "&") + p;
    u.has_fragment = false;
    u.fragment.clear();
    return recompose(u);
}

std::string url_encode_component(std::string_view s) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size() * 3);
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
            c == '~') {
            out += ch;
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

}  // namespace relais::watch
