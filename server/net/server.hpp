#pragma once
// The HTTP/WebSocket server: a listener, HTTP sessions with keep-alive and limits,
// WebSocket sessions with bounded send queues. It knows routes, static files and
// one WebSocket handler, and nothing of what they do.
#include "net/http_types.hpp"
#include "net/router.hpp"
#include "net/static_files.hpp"
#include "net/websocket.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace relais::metrics { class registry; }
namespace boost::asio { class io_context; }

namespace relais::net {

struct server_options {
    std::string address = "127.0.0.1";
    unsigned short port = 8080;
    std::size_t threads = 2;

    std::size_t header_max_bytes = 16 * 1024;
    std::size_t body_max_bytes = 1024 * 1024;
    std::chrono::seconds header_timeout{15};   // also the keep-alive idle time
    std::chrono::seconds request_timeout{30};  // body read and response write
    std::size_t max_connections = 1024;
    std::size_t max_connections_per_address = 64;  // for a trusted proxy: per forwarded address, WebSockets
    // Connections that have not yet sent a complete request (slowloris): per address, and
    // in all (beyond, the oldest of them is closed to make room).
    std::size_t max_pending_connections = 256;
    std::size_t max_pending_connections_per_address = 16;
    std::size_t uploads_in_flight_max_bytes = 64u << 20;  // large bodies buffered at once (503 beyond)
    std::size_t uploads_in_flight_max_bytes_per_address = 24u << 20;  // of which one client address (and one sender)
    // An upload body slower than this on average past its first request_timeout / 3 (10 s),
    // or silent that long, is dropped: a trickling client does not hold the budget.
    std::size_t upload_min_bytes_per_second = 16u << 10;
    double requests_per_second_per_address = 50;  // token bucket rate
    double request_burst_per_address = 200;       // token bucket size

    std::size_t ws_message_max_bytes = 64 * 1024;
    std::size_t ws_send_queue_max = 256;
    std::size_t ws_send_queue_max_bytes = 4u << 20;
    std::chrono::seconds ws_idle_timeout{30};  // a ping is sent at half of it

    std::vector<std::string> allowed_origins;  // besides the listening address itself
    std::vector<std::string> trusted_proxies;  // addresses whose X-Forwarded-* we believe
    std::string websocket_path = "/ws";
};

class server {
public:
    server(server_options opts, const router& routes, const static_files* files, ws_handler* ws,
           metrics::registry& metrics);
    ~server();
    server(const server&) = delete;
    server& operator=(const server&) = delete;

    /// Binds and listens; throws on failure. Returns the bound port (useful with port 0).
    unsigned short listen();
    /// Runs the network threads until stop; blocks the caller (which is one of them).
    void run();
    /// Runs `f` on a network thread (each call the next one). False once the server is
    /// stopping (f is dropped).
    bool post(std::function<void()> f);
    /// Graceful stop: no new connections, WebSockets closed with 1001, in-flight
    /// responses finished; forced after `grace`. Thread-safe, idempotent.
    void shutdown(std::chrono::milliseconds grace = std::chrono::milliseconds(4000));

    /// The origins accepted for state-changing requests and WebSocket upgrades.
    const std::vector<std::string>& origins() const;

    struct impl;

private:
    // The loops outlive the sessions' shared state: destroying them destroys any
    // coroutine still suspended at the deadline, and with it the last references.
    // One loop per network thread (docs/architecture.md, "Processes and threads").
    std::vector<std::unique_ptr<boost::asio::io_context>> loops_;
    std::shared_ptr<impl> impl_;
};

}  // namespace relais::net
