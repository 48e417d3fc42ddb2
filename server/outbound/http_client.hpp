#pragma once
// A blocking HTTP client for requests made on the server's behalf (feeds, link
// previews, webhooks): libcurl underneath, the SSRF guard on every connection, bounded
// in time and size. Blocking: call it from a worker thread, never a network thread.
#include "outbound/ssrf.hpp"

#include <boost/system/result.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace relais::outbound {

/// Settings of a client, from the server's configuration.
struct http_options {
    std::chrono::milliseconds connect_timeout{10'000};
    std::chrono::milliseconds timeout{30'000};  ///< the whole fetch, redirects included
    std::size_t max_body_bytes = 5 << 20;       ///< after decompression
    std::size_t max_header_bytes = 64 << 10;    ///< per response
    std::size_t max_headers = 100;              ///< per response
    int max_redirects = 5;                      ///< at most 5
    /// "http://", "https://", "socks5://" or "socks5h://" URL; empty: direct connections
    /// (the http_proxy & co. environment variables are always ignored).
    std::string proxy;
    std::string no_proxy;    ///< hosts reached without the proxy, comma-separated (curl's syntax)
    std::string user_agent;  ///< empty: default_user_agent()
    /// A PEM bundle that replaces the system CA bundle (e.g. the public CAs plus an
    /// institution's own); empty: the system bundle. Verification is always on.
    std::string ca_file;
    address_policy policy;
};

enum class http_method { get, head, post };

struct http_request {
    http_method method = http_method::get;
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;  ///< extra request headers
    std::string etag;                                          ///< from a previous response: sent as If-None-Match
    std::string last_modified;                                 ///< from a previous response: sent as If-Modified-Since
    std::string body;                                          ///< POST only
};

struct http_response {
    int status = 0;
    std::string url;  ///< after redirects
    /// In order, names in lower case; repeated headers appear once each.
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;  ///< decoded (gzip, deflate...)
    std::string etag;
    std::string last_modified;
    std::string content_type;
    std::optional<std::int64_t> retry_after_s;  ///< Retry-After, in seconds from now
    bool not_modified = false;                  ///< 304: keep the copy you have

    /// The first header with this (lower-case) name, or nullptr.
    const std::string* header(std::string_view name) const noexcept;
    /// 2xx, or 304.
    bool ok() const noexcept { return (status >= 200 && status < 300) || not_modified; }
};

/// Why a fetch failed: a stable code for programs and a French message for people.
class fetch_error : public std::runtime_error {
public:
    enum class kind {
        invalid_url,
        blocked_address,
        dns,
        connect,
        tls,
        timeout,
        too_large,
        too_many_redirects,
        http_status,
        proxy,
        protocol
    };

    /// message: French, shown to users (what()); detail: technical, for logs.
    fetch_error(kind k, const std::string& message, std::string detail = {}, int status = 0,
                std::optional<std::int64_t> retry_after_s = {});
    /// What fetch_result::error() returns on a success; never a real failure.
    fetch_error() : fetch_error(kind::protocol, "Aucune erreur.") {}

    /// The error for a response that is not ok(): « Le serveur a répondu par une erreur (HTTP 404). »
    static fetch_error from_status(const http_response& response);

    kind which() const noexcept { return kind_; }
    std::string_view code() const noexcept;  ///< "blocked_address", ...
    std::string_view message() const noexcept { return what(); }
    const std::string& detail() const noexcept { return detail_; }
    int status() const noexcept { return status_; }  ///< http_status only
    std::optional<std::int64_t> retry_after_s() const noexcept { return retry_after_s_; }

private:
    kind kind_;
    std::string detail_;
    int status_;
    std::optional<std::int64_t> retry_after_s_;
};

/// Lets fetch_result::value() throw the error itself.
[[noreturn]] void throw_exception_from_error(const fetch_error& e, const boost::source_location& loc);

using fetch_result = boost::system::result<http_response, fetch_error>;

/// One client per thread: it keeps a libcurl handle, whose connections are reused.
class http_client {
public:
    /// Throws std::invalid_argument for a malformed proxy or user agent.
    explicit http_client(http_options options);
    ~http_client();
    http_client(http_client&&) noexcept;
    http_client& operator=(http_client&&) noexcept;

    /// Any HTTP status is a response (see ok() and fetch_error::from_status); an error
    /// is a failure to get one. Throws std::invalid_argument for request headers with
    /// line breaks, std::bad_alloc.
    fetch_result fetch(const http_request& request);

    const http_options& options() const noexcept { return options_; }

private:
    struct handle;
    http_options options_;
    std::unique_ptr<handle> handle_;
};

/// "Relais/0.1.0 (+https://relais.example.org)"; without the parenthesis when public_url is empty.
std::string default_user_agent(std::string_view public_url = {});

/// A Retry-After value, delta-seconds or HTTP-date, as seconds after now_unix (never
/// negative); nullopt when it is neither.
std::optional<std::int64_t> parse_retry_after(std::string_view value, std::int64_t now_unix);

}  // namespace relais::outbound
