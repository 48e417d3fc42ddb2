#include "outbound/http_client.hpp"

#include "common/time.hpp"
#include "outbound/curl.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <ctime>

#include <netdb.h>
#include <netinet/in.h>

namespace relais::outbound {
namespace {

using kind = fetch_error::kind;
using clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::size_t max_url_length = 2048;
constexpr int max_redirects_cap = 5;

std::string size_text(std::size_t n) {
    if (n >= (std::size_t{1} << 20) && n % (std::size_t{1} << 20) == 0) return std::to_string(n >> 20) + " Mio";
    if (n >= 1024 && n % 1024 == 0) return std::to_string(n >> 10) + " Kio";
    return std::to_string(n) + " octets";
}

fetch_error invalid_url(std::string detail) {
    return {kind::invalid_url,
            "Adresse invalide : seules les adresses http:// et https:// sans identifiants sont acceptées.",
            std::move(detail)};
}
fetch_error blocked_address(std::string detail) {
    return {kind::blocked_address, "Adresse refusée : elle désigne le réseau interne.", std::move(detail)};
}
fetch_error dns_error(std::string detail) {
    return {kind::dns, "Le nom de domaine est introuvable.", std::move(detail)};
}
fetch_error proxy_error(std::string detail) {
    return {kind::proxy, "Le proxy sortant est injoignable ou a refusé la requête.", std::move(detail)};
}
fetch_error timeout_error(milliseconds limit, std::string detail) {
    return {kind::timeout, "Le serveur n'a pas répondu à temps (" + detail::seconds_text(limit) + ").",
            std::move(detail)};
}

bool header_safe(std::string_view s) {
    return s.find_first_of(std::string_view("\r\n\0", 3)) == s.npos;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
        s.remove_suffix(1);
    return s;
}

/// One part of a parsed URL into out, when there is one.
CURLUcode url_part(CURLU* u, CURLUPart which, unsigned flags, std::string& out) {
    char* s = nullptr;
    auto rc = curl_url_get(u, which, &s, flags);
    if (rc == CURLUE_OK) out = s;
    curl_free(s);
    return rc;
}

/// "[::1]" -> "::1", as getaddrinfo wants an IPv6 literal.
void unbracket(std::string& host) {
    if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
}

/// A URL checked before anything is sent: bounded, http(s), a host, no credentials.
struct target {
    std::string url;   ///< as curl normalised it
    std::string host;  ///< for getaddrinfo: punycode, no IPv6 brackets
};

boost::system::result<target, fetch_error> check_url(const std::string& url) {
    if (url.empty() || url.size() > max_url_length) return invalid_url("empty or longer than 2048");
    // curl tolerates "http:/host" and "http:///host"; an address people can read has "//host".
    if (auto sep = url.find("://"); sep == url.npos || url.compare(sep + 3, 1, "/") == 0)
        return invalid_url("no authority");
    detail::url_handle u(curl_url());
    if (!u) throw std::bad_alloc();
    if (auto rc = curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0); rc != CURLUE_OK)
        return invalid_url(curl_url_strerror(rc));
    auto part = [&](CURLUPart which, unsigned flags, std::string& out) { return url_part(u.get(), which, flags, out); };
    std::string scheme, unused;
    target t;
    part(CURLUPART_SCHEME, 0, scheme);
    if (scheme != "http" && scheme != "https") return invalid_url("scheme " + scheme);
    if (part(CURLUPART_USER, 0, unused) != CURLUE_NO_USER || part(CURLUPART_PASSWORD, 0, unused) != CURLUE_NO_PASSWORD)
        return invalid_url("credentials in the URL");
    if (part(CURLUPART_HOST, CURLU_PUNYCODE, t.host) != CURLUE_OK || t.host.empty()) return invalid_url("no host");
    unbracket(t.host);
    if (part(CURLUPART_URL, 0, t.url) != CURLUE_OK) return invalid_url("unusable URL");
    return t;
}

/// "localhost", "localhost." and names under it, in any case.
bool is_localhost_name(std::string host) {
    for (auto& ch : host) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (!host.empty() && host.back() == '.') host.pop_back();
    return host == "localhost" || (host.size() > 10 && host.compare(host.size() - 10, 10, ".localhost") == 0);
}

/// Calls f(address, length) for each address host resolves to; false when it does not resolve.
template <class F>
bool for_each_address(const std::string& host, F&& f) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* list = nullptr;
    if (getaddrinfo(host.c_str(), nullptr, &hints, &list) != 0) return false;
    std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owner(list, freeaddrinfo);
    for (auto* a = list; a; a = a->ai_next) f(a->ai_addr, a->ai_addrlen);
    return true;
}

/// The address alone (4 or 16 bytes), without the port; empty for another family.
std::string address_bytes(const sockaddr* a, socklen_t length) {
    if (a->sa_family == AF_INET && length >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
        sockaddr_in in{};
        std::memcpy(&in, a, sizeof in);
        return {reinterpret_cast<const char*>(&in.sin_addr), 4};
    }
    if (a->sa_family == AF_INET6 && length >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
        sockaddr_in6 in6{};
        std::memcpy(&in6, a, sizeof in6);
        return {reinterpret_cast<const char*>(&in6.sin6_addr), 16};
    }
    return {};
}

/// One request of a fetch (a fetch is one per redirect hop): what the callbacks see.
struct transfer {
    const http_options& options;
    const std::vector<std::string>& proxy_addresses;  // trusted: they come from the configuration
    http_response response;
    std::size_t header_bytes = 0;
    bool body_too_large = false;
    bool headers_too_large = false;
    bool blocked = false;
};

// Every connection curl opens, first or after a redirect, goes through here with the
// address it is about to connect to: DNS rebinding cannot slip an internal one past.
curl_socket_t on_open_socket(void* data, curlsocktype, curl_sockaddr* a) {
    auto& t = *static_cast<transfer*>(data);
    const auto& proxies = t.proxy_addresses;
    bool proxy = std::find(proxies.begin(), proxies.end(), address_bytes(&a->addr, a->addrlen)) != proxies.end();
    if (!proxy && !address_allowed(&a->addr, a->addrlen, t.options.policy)) {
        t.blocked = true;
        return CURL_SOCKET_BAD;
    }
    return ::socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* p) {
    auto& t = *static_cast<transfer*>(p);
    std::size_t n = size * count;
    t.header_bytes += n;
    auto& headers = t.response.headers;
    if (t.header_bytes > t.options.max_header_bytes) {
        t.headers_too_large = true;
        return 0;
    }
    std::string_view line(data, n);
    if (line.starts_with("HTTP/")) {  // a new response: interim (1xx) or final
        headers.clear();
        return n;
    }
    if (line.starts_with(' ') || line.starts_with('\t')) {  // obsolete line folding
        if (!headers.empty()) (headers.back().second += ' ') += trim(line);
        return n;
    }
    auto colon = line.find(':');
    if (colon == line.npos || colon == 0) return n;
    if (headers.size() == t.options.max_headers) {
        t.headers_too_large = true;
        return 0;
    }
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    headers.emplace_back(std::move(name), trim(line.substr(colon + 1)));
    return n;
}

// Called with decoded bytes (CURLOPT_ACCEPT_ENCODING): the cap holds against compression bombs.
std::size_t on_body(char* data, std::size_t size, std::size_t count, void* p) {
    auto& t = *static_cast<transfer*>(p);
    std::size_t n = size * count;
    if (n > t.options.max_body_bytes - t.response.body.size()) {
        t.body_too_large = true;
        return 0;
    }
    t.response.body.append(data, n);
    return n;
}

fetch_error failure(CURL* h, CURLcode rc, const transfer& t, const char* error_buffer) {
    const auto& o = t.options;
    std::string detail = error_buffer[0] ? error_buffer : curl_easy_strerror(rc);
    if (t.body_too_large)
        return {kind::too_large, "La réponse dépasse la taille autorisée (" + size_text(o.max_body_bytes) + ").",
                detail};
    if (t.headers_too_large)
        return {kind::too_large,
                "Les en-têtes de la réponse dépassent la taille autorisée (" + size_text(o.max_header_bytes) + ").",
                detail};
    if (t.blocked && rc == CURLE_COULDNT_CONNECT) return blocked_address(detail);
    if (detail::is_tls_error(rc))
        return {kind::tls, "La connexion sécurisée (TLS) a échoué : certificat invalide ou non reconnu.", detail};
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST: return dns_error(detail);
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_PROXY: return proxy_error(detail);
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR: return {kind::connect, "Impossible de joindre le serveur.", detail};
    case CURLE_OPERATION_TIMEDOUT: {
        // Still connecting when it gave up — unless the whole time ran out: a connection
        // reused from an earlier request has no connect time either.
        curl_off_t connected_us = 0, total_us = 0;
        curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &connected_us);
        curl_easy_getinfo(h, CURLINFO_TOTAL_TIME_T, &total_us);
        const auto total = std::chrono::microseconds(total_us);
        bool connecting = connected_us == 0 && o.connect_timeout < o.timeout && total < o.timeout - (o.timeout - o.connect_timeout) / 2;
        return timeout_error(connecting ? o.connect_timeout : o.timeout, detail);
    }
    case CURLE_URL_MALFORMAT: return invalid_url(detail);
    default: return {kind::protocol, "La réponse du serveur est invalide.", detail};
    }
}

bool is_redirect(long status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

void set_method(CURL* h, http_method method, const std::string& body) {
    switch (method) {
    case http_method::get: curl_easy_setopt(h, CURLOPT_HTTPGET, 1L); break;
    case http_method::head: curl_easy_setopt(h, CURLOPT_NOBODY, 1L); break;
    case http_method::post:
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.data());
        break;
    }
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Responses and errors

const std::string* http_response::header(std::string_view name) const noexcept {
    for (const auto& [n, v] : headers)
        if (n == name) return &v;
    return nullptr;
}

fetch_error::fetch_error(kind k, const std::string& message, std::string detail, int status,
                         std::optional<std::int64_t> retry_after_s)
    : std::runtime_error(message),
      kind_(k),
      detail_(std::move(detail)),
      status_(status),
      retry_after_s_(retry_after_s) {}

fetch_error fetch_error::from_status(const http_response& r) {
    std::string message = "Le serveur a répondu par une erreur (HTTP " + std::to_string(r.status) + ")";
    if (r.retry_after_s) message += " : réessayez dans " + std::to_string(*r.retry_after_s) + " s";
    return {kind::http_status, message + ".", {}, r.status, r.retry_after_s};
}

std::string_view fetch_error::code() const noexcept {
    static constexpr std::string_view codes[] = {"invalid_url", "blocked_address", "dns",       "connect",
                                                 "tls",         "timeout",         "too_large", "too_many_redirects",
                                                 "http_status", "proxy",           "protocol"};
    return codes[static_cast<int>(kind_)];
}

void throw_exception_from_error(const fetch_error& e, const boost::source_location&) {
    throw e;
}

std::string default_user_agent(std::string_view public_url) {
    std::string ua = "Relais/" RELAIS_VERSION;
    if (!public_url.empty()) ((ua += " (+") += public_url) += ')';
    return ua;
}

std::optional<std::int64_t> parse_retry_after(std::string_view value, std::int64_t now_unix) {
    value = trim(value);
    if (value.empty() || value.size() > 64) return std::nullopt;
    if (std::all_of(value.begin(), value.end(), [](unsigned char c) { return std::isdigit(c); })) {
        if (value.size() > 9) return 999'999'999;  // absurd, but a delay all the same
        std::int64_t s = 0;
        std::from_chars(value.data(), value.data() + value.size(), s);
        return s;
    }
    std::time_t t = curl_getdate(std::string(value).c_str(), nullptr);  // the three HTTP-date forms
    if (t == -1) return std::nullopt;
    return std::max<std::int64_t>(0, t - now_unix);
}

// ---------------------------------------------------------------------------------------
// The client

struct http_client::handle {
    detail::easy_handle easy = detail::new_easy();
    std::string proxy_host;  // empty: no proxy
    char error[CURL_ERROR_SIZE];
};

http_client::http_client(http_options options) : options_(std::move(options)), handle_(std::make_unique<handle>()) {
    options_.max_redirects = std::clamp(options_.max_redirects, 0, max_redirects_cap);
    if (options_.user_agent.empty()) options_.user_agent = default_user_agent();
    if (!header_safe(options_.user_agent)) throw std::invalid_argument("outbound user agent: line break");
    if (options_.proxy.empty()) return;
    detail::url_handle u(curl_url());
    if (!u) throw std::bad_alloc();
    std::string s;  // the scheme
    bool parsed = curl_url_set(u.get(), CURLUPART_URL, options_.proxy.c_str(), CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
                  url_part(u.get(), CURLUPART_SCHEME, 0, s) == CURLUE_OK &&
                  url_part(u.get(), CURLUPART_HOST, CURLU_PUNYCODE, handle_->proxy_host) == CURLUE_OK;
    unbracket(handle_->proxy_host);
    if (!parsed || handle_->proxy_host.empty() || (s != "http" && s != "https" && s != "socks5" && s != "socks5h"))
        throw std::invalid_argument("outbound proxy: expected an http://, https://, socks5:// or socks5h:// URL");
}

http_client::~http_client() = default;
http_client::http_client(http_client&&) noexcept = default;
http_client& http_client::operator=(http_client&&) noexcept = default;

fetch_result http_client::fetch(const http_request& request) {
    detail::slist headers;
    auto add_header = [&](std::string_view name, std::string_view value) {
        if (name.empty() || name.find(':') != name.npos || !header_safe(name) || !header_safe(value))
            throw std::invalid_argument("outbound request header: " + std::string(name));
        detail::append(headers, std::string(name) + ": " + std::string(value));
    };
    for (const auto& [name, value] : request.headers) add_header(name, value);
    if (!request.etag.empty()) add_header("If-None-Match", request.etag);
    if (!request.last_modified.empty()) add_header("If-Modified-Since", request.last_modified);
    detail::append(headers, "Expect:");  // a POST body goes without the 100-continue round trip

    const bool proxied = !handle_->proxy_host.empty();
    std::vector<std::string> proxy_addresses;
    if (proxied && !for_each_address(handle_->proxy_host, [&](const sockaddr* a, socklen_t length) {
            proxy_addresses.push_back(address_bytes(a, length));
        }))
        return proxy_error("cannot resolve the proxy " + handle_->proxy_host);

    CURL* h = handle_->easy.get();
    curl_easy_reset(h);  // keeps the live connections and the DNS cache
    detail::set_common_options(h, options_.ca_file, handle_->error);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);   // followed below, each hop checked like the first
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");  // every encoding curl decodes
    curl_easy_setopt(h, CURLOPT_USERAGENT, options_.user_agent.c_str());
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
    curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    if (proxied) {
        curl_easy_setopt(h, CURLOPT_PROXY, options_.proxy.c_str());
        curl_easy_setopt(h, CURLOPT_NOPROXY, options_.no_proxy.c_str());
        curl_easy_setopt(h, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
        if (!options_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_PROXY_CAINFO, options_.ca_file.c_str());
    }

    const auto deadline = clock::now() + options_.timeout;
    std::string url = request.url;
    http_method method = request.method;
    for (int redirects = 0;; ++redirects) {
        auto checked = check_url(url);
        if (!checked) return checked.error();
        // "localhost" and "*.localhost" are loopback by definition (RFC 6761), whatever
        // the resolver says (or whether it knows the name at all).
        if (!options_.policy.allow_loopback && is_localhost_name(checked->host))
            return blocked_address(checked->host + " is a loopback name");
        if (proxied) {
            // curl connects to the proxy, not to the target: judge the target's addresses
            // here. The proxy may resolve the name again and get another answer.
            bool refused = false;
            if (!for_each_address(checked->host, [&](const sockaddr* a, socklen_t length) {
                    refused = refused || !address_allowed(a, length, options_.policy);
                }))
                return dns_error("cannot resolve " + checked->host);
            if (refused) return blocked_address(checked->host + " resolves to a refused address");
        }
        auto left = std::chrono::duration_cast<milliseconds>(deadline - clock::now());
        if (left.count() <= 0) return timeout_error(options_.timeout, "deadline reached between redirects");

        transfer t{options_, proxy_addresses, {}};
        curl_easy_setopt(h, CURLOPT_URL, checked->url.c_str());
        set_method(h, method, request.body);
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(left.count()));
        curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, &t);
        curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
        if (CURLcode rc = curl_easy_perform(h); rc != CURLE_OK) return failure(h, rc, t, handle_->error);

        long status = 0;
        char* effective = nullptr;
        char* location = nullptr;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &effective);
        curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &location);
        if (is_redirect(status) && location) {
            if (redirects == options_.max_redirects)
                return fetch_error(kind::too_many_redirects,
                                   "Trop de redirections (" + std::to_string(options_.max_redirects) + " au plus).",
                                   std::string("last one to ") + location);
            url = location;
            // As browsers do: 301, 302 and 303 turn a POST into a GET; 307 and 308 keep it.
            if (method == http_method::post && status != 307 && status != 308) method = http_method::get;
            continue;
        }

        http_response& r = t.response;
        r.status = static_cast<int>(status);
        r.url = effective ? effective : checked->url;
        r.not_modified = status == 304;
        auto copy = [&](std::string_view name, std::string& to) {
            if (auto* v = r.header(name)) to = *v;
        };
        copy("etag", r.etag);
        copy("last-modified", r.last_modified);
        copy("content-type", r.content_type);
        if (auto* v = r.header("retry-after")) r.retry_after_s = parse_retry_after(*v, unix_now());
        return std::move(r);
    }
}

}  // namespace relais::outbound
