#pragma once
// Routes by method and path pattern ("/api/admin/users/{id}"). Feature modules
// register into it at start-up; lookups afterwards are read-only and lock-free.
#include "net/http_types.hpp"

#include <functional>
#include <string>
#include <vector>

namespace relais::net {

/// What a route accepts beyond the server's defaults.
struct route_options {
    std::size_t body_max_bytes = 0;  // 0: the server's limit; otherwise this one
    bool raw_body = false;           // accepts application/octet-stream (uploads) besides JSON
    // A large body is read only when this check, given the request's head (no body
    // yet), says yes (e.g. a live session): anonymous clients cannot make the server
    // buffer uploads. Refused: 401. The handler still checks access as usual.
    std::function<asio::awaitable<bool>(const request&)> admit_body;
};

class router {
public:
    /// Registers a handler; throws std::logic_error on a duplicate method+pattern.
    void add(std::string method, std::string pattern, handler h, route_options options = {});

    struct match {
        enum class kind { found, not_found, method_not_allowed } result = kind::not_found;
        const handler* h = nullptr;
        const std::string* pattern = nullptr;  // for metrics labels
        const route_options* options = nullptr;
        std::map<std::string, std::string> params;
        std::string allowed;  // "GET, POST" for 405
    };
    match find(std::string_view method, std::string_view path) const;

    /// Every registered (method, pattern), e.g. for the access-matrix test and docs.
    std::vector<std::pair<std::string, std::string>> routes() const;

    /// The largest body any route accepts (0 when none raises the server's limit).
    std::size_t max_body_bytes() const;

private:
    struct route {
        std::string method;
        std::string pattern;
        std::vector<std::string> segments;
        handler h;
        route_options options;
    };
    std::vector<route> routes_;
};

}  // namespace relais::net
