#pragma once
// Routes by method and path pattern ("/api/admin/users/{id}"). Feature modules
// register into it at start-up; lookups afterwards are read-only and lock-free.
#include "net/http_types.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace relais::net {

/// What a route accepts beyond the server's defaults.
struct route_options {
    std::size_t body_max_bytes = 0;  // 0: the server's limit; otherwise this one
    bool raw_body = false;           // accepts application/octet-stream (uploads) besides JSON
    // A large body is read only when this check, given the request's head (no body
    // yet), names who sends it (e.g. the account of a live session): anonymous clients
    // cannot make the server buffer uploads. nullopt: refused (401). The bytes in flight
    // are budgeted per sender as per client address. The handler still checks access.
    std::function<asio::awaitable<std::optional<std::string>>(const request&)> admit_body;
};

/// A handler with the access level it enforces (what an access guard returns).
struct guarded_handler {
    std::string access;
    handler h;
};

class router {
public:
    /// Registers a handler with the access level it enforces (a label such as "anyone",
    /// "signed_in", "admin": net/ does not interpret it, `relais routes` prints it and the
    /// access-matrix test checks it). Throws std::logic_error on a duplicate method+pattern
    /// or an empty level.
    void add(std::string method, std::string pattern, std::string access, handler h, route_options options = {});
    void add(std::string method, std::string pattern, guarded_handler g, route_options options = {}) {
        add(std::move(method), std::move(pattern), std::move(g.access), std::move(g.h), std::move(options));
    }

    struct match {
        enum class kind { found, not_found, method_not_allowed } result = kind::not_found;
        const handler* h = nullptr;
        const std::string* pattern = nullptr;  // for metrics labels
        const route_options* options = nullptr;
        std::map<std::string, std::string> params;
        std::string allowed;  // "GET, POST" for 405
    };
    match find(std::string_view method, std::string_view path) const;

    struct listing {
        std::string method, pattern, access;
    };
    /// Every registered route, e.g. for `relais routes` and the access-matrix test.
    std::vector<listing> routes() const;

    /// The largest body any route accepts (0 when none raises the server's limit).
    std::size_t max_body_bytes() const;

private:
    struct route {
        std::string method;
        std::string pattern;
        std::string access;
        std::vector<std::string> segments;
        handler h;
        route_options options;
    };
    std::vector<route> routes_;
};

}  // namespace relais::net
