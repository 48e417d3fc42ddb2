#pragma once
// Requests and responses as the feature modules see them: plain data, no Beast, so
// that handlers compile fast and are testable without a socket.
#include <boost/asio/awaitable.hpp>
#include <nlohmann/json_fwd.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace relais {
class api_error;
}

namespace relais::net {

namespace asio = boost::asio;

struct request {
    std::string method;   // "GET", "POST", ...
    std::string target;   // as received: path and query
    std::string path;     // percent-decoded path
    std::map<std::string, std::string> query;
    std::map<std::string, std::string> headers;  // lower-case names
    std::string body;
    std::string client_address;  // after trusted-proxy resolution
    bool secure = false;         // reached through TLS (at a trusted proxy)
    /// The origin this request reached (scheme + Host) when it is one of the server's own
    /// origins; "" for a Host it does not answer to (links are never built from a Host
    /// someone else chose).
    std::string own_origin;
    std::string request_id;
    std::map<std::string, std::string> params;  // path parameters, e.g. {id}

    /// A header value or "" when absent (name in lower case).
    const std::string& header(const std::string& lower_name) const;
    /// Value of one cookie (the first of that name), or nullopt.
    std::optional<std::string> cookie(std::string_view name) const;
    /// Every value of a cookie, in the order sent, at most `max` (a sibling site may set a
    /// cookie of the same name beside ours: the one that works is not always the first).
    std::vector<std::string> cookies(std::string_view name, std::size_t max = 4) const;
    /// A path parameter parsed as a positive id; throws api_error(not_found) otherwise.
    std::int64_t id_param(const std::string& name) const;
};

struct response {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::string content_type = "application/json; charset=utf-8";

    response& header(std::string name, std::string value) {
        headers.emplace_back(std::move(name), std::move(value));
        return *this;
    }

    static response json(int status, const nlohmann::json& body);
    static response no_content();
    static response text(int status, std::string body, std::string content_type);
    static response error(const api_error& e);
};

using handler = std::function<asio::awaitable<response>(request&)>;

/// Percent-decodes a URL component; false on malformed escapes or invalid UTF-8.
bool url_decode(std::string_view in, std::string& out, bool plus_is_space);

}  // namespace relais::net
