#pragma once
// State shared by the listener and every session of one server, passed explicitly.
#include "net/net.hpp"
#include "net/server.hpp"

#include <atomic>
#include <map>
#include <mutex>
#include <unordered_map>

namespace relais::metrics { class counter; class gauge; class histogram; }

namespace relais::net {

class http_session;
class websocket_session;

struct server::impl : std::enable_shared_from_this<server::impl> {
    impl(std::vector<asio::io_context*> l, server_options o, const router& r, const static_files* f, ws_handler* w,
         metrics::registry& m);

    server_options opts;
    const router& routes;
    const static_files* files;
    ws_handler* ws;
    metrics::registry& metrics;
    std::vector<std::string> origins;

    // One loop per network thread, each run by that thread alone: a socket lives on one
    // loop for its whole life (no strand needed), and what its loop posts to it is queued
    // without a lock or a wake-up. The listener and the shutdown are on the first.
    std::vector<asio::io_context*> loops;
    asio::io_context& ioc;
    std::atomic<std::size_t> next_loop{0};
    asio::io_context& pick_loop() { return *loops[next_loop.fetch_add(1, std::memory_order_relaxed) % loops.size()]; }
    tcp::acceptor acceptor;
    std::atomic<bool> stopping{false};

    // Live sessions, for shutdown. Weak: a session's lifetime is its own.
    std::mutex mutex;
    std::unordered_map<const void*, std::weak_ptr<http_session>> http_sessions;
    std::unordered_map<const void*, std::weak_ptr<websocket_session>> ws_sessions;
    std::unordered_map<std::string, std::size_t> per_address;
    struct bucket {
        double tokens;
        std::chrono::steady_clock::time_point last;
    };
    std::unordered_map<std::string, bucket> buckets;
    std::size_t connections = 0;
    // Connections waiting for their first complete request, oldest first.
    std::uint64_t next_pending = 0;
    struct pending_entry {
        std::weak_ptr<http_session> session;
        std::string address;
        bool per_address;  // counted in pending_per_address (a first request)
    };
    std::map<std::uint64_t, pending_entry> pending;
    std::unordered_map<std::string, std::size_t> pending_per_address;
    // WebSockets per forwarded client address, for connections from a trusted proxy.
    std::unordered_map<std::string, std::size_t> forwarded_ws;
    std::size_t upload_bytes = 0;  // large bodies being buffered
    std::unordered_map<std::string, std::size_t> upload_bytes_per_address;  // and per sender ("sender:" + key)

    metrics::gauge& m_connections;
    metrics::gauge& m_ws_connections;
    metrics::counter& m_refused;
    metrics::counter& m_ws_in;
    metrics::counter& m_ws_out;
    metrics::counter& m_ws_dropped;
    metrics::counter& m_ws_deferred;
    metrics::histogram& m_request_seconds;

    bool origin_allowed(std::string_view origin) const;
    /// `origin_allowed`, or, listening on every address (0.0.0.0, ::) without a public URL,
    /// the origin the request's own Host names (the page and the API on one host: a page
    /// of another site never has it).
    bool origin_ok(std::string_view origin, std::string_view host) const;
    bool host_origin = false;
    /// Token bucket per client address; false when the client must slow down.
    bool take_token(const std::string& address);
    void count_request(const std::string& route, const std::string& method, int status);
    void release_connection(const std::string& address);
    bool is_trusted_proxy(const std::string& address) const;
    /// Registers a connection waiting for a complete request; for a first request, false
    /// when its address has too many. Closes the oldest waiting connection when the total
    /// is reached.
    bool add_pending(std::uint64_t& ticket, const std::string& address, const std::shared_ptr<http_session>& s,
                     bool per_address);
    void remove_pending(std::uint64_t ticket);
    /// Reserves room for a large body, in all, for its client address and for its sender
    /// (admit_body's key; empty: none); false when a budget is spent.
    bool reserve_upload(const std::string& address, const std::string& sender, std::size_t bytes);
    void release_upload(const std::string& address, const std::string& sender, std::size_t bytes);
    bool add_forwarded_ws(const std::string& address);
    void remove_forwarded_ws(const std::string& address);

    asio::awaitable<void> accept_loop();
};

/// Holds one slot of the connection limits; released when the last owner goes.
class connection_slot {
public:
    connection_slot(std::shared_ptr<server::impl> srv, std::string address)
        : srv_(std::move(srv)), address_(std::move(address)) {}
    ~connection_slot() { if (srv_) srv_->release_connection(address_); }
    connection_slot(connection_slot&& o) noexcept : srv_(std::move(o.srv_)), address_(std::move(o.address_)) {}
    connection_slot(const connection_slot&) = delete;
    connection_slot& operator=(const connection_slot&) = delete;
    connection_slot& operator=(connection_slot&&) = delete;
    const std::string& address() const { return address_; }
private:
    std::shared_ptr<server::impl> srv_;
    std::string address_;
};

/// Removes a session from the server's registry when its coroutine ends.
template <class Session>
class registration {
public:
    registration(server::impl& s, std::unordered_map<const void*, std::weak_ptr<Session>>& map, const void* key)
        : s_(s), map_(map), key_(key) {}
    ~registration() {
        std::lock_guard lock(s_.mutex);
        map_.erase(key_);
    }
    registration(const registration&) = delete;
    registration& operator=(const registration&) = delete;
private:
    server::impl& s_;
    std::unordered_map<const void*, std::weak_ptr<Session>>& map_;
    const void* key_;
};

/// Headers every response carries.
void add_security_headers(http::fields& f, bool secure);

/// Logs an exception that escaped a session coroutine.
void report_coroutine_exit(const char* what, std::exception_ptr ep);

}  // namespace relais::net
