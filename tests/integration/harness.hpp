#pragma once
// Integration harness: starts the real `relais` binary on an ephemeral loopback
// port with a temporary data folder, and talks HTTP and WebSocket to it.
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace relais::test {

struct http_response {
    int status = 0;
    std::map<std::string, std::string> headers;  // lower-case names
    std::string body;
    nlohmann::json json() const;
    std::string header(const std::string& lower) const;
    /// error.code of a JSON error body, or "".
    std::string error_code() const;
};

/// Percent-encodes a query parameter value (RFC 3986 unreserved characters kept).
std::string url_encode(const std::string& s);

/// Runs `relais <args...>` to completion; returns exit status, stdout+stderr.
struct command_result {
    int status;
    std::string output;
};
command_result run_relais(const std::vector<std::string>& args, const std::string& stdin_text = {},
                          const std::map<std::string, std::string>& env = {});

class temp_dir {
public:
    temp_dir();
    ~temp_dir();
    const std::filesystem::path& path() const { return path_; }
private:
    std::filesystem::path path_;
};

class server {
public:
    /// Starts `relais serve` with extra arguments (e.g. --set limits.x=y).
    explicit server(std::vector<std::string> extra_args = {}, std::filesystem::path data_dir = {});
    ~server();
    server(const server&) = delete;

    unsigned short port() const { return port_; }
    std::string origin() const { return "http://127.0.0.1:" + std::to_string(port_); }
    const std::filesystem::path& data_dir() const { return data_dir_; }
    const std::string& admin_password() const { return admin_password_; }
    bool running();
    int pid() const { return pid_; }
    /// Sends a signal and waits up to `timeout`; returns the exit status, or -1 on timeout.
    int stop(int signal, std::chrono::milliseconds timeout = std::chrono::seconds(10));
    std::string log() const;

    /// One HTTP request on a fresh connection. For unsafe methods the server's own
    /// Origin is added unless `headers` has an "Origin" (empty value: send none).
    http_response request(const std::string& method, const std::string& target, const std::string& body = {},
                          std::map<std::string, std::string> headers = {});
    /// Signs in and returns the session cookie ("relais_session=...").
    std::string login(const std::string& email, const std::string& password);
    std::string login_admin() { return login("admin@relais.local", admin_password_); }
    /// Creates an account as admin (cookie) and returns its session cookie.
    std::string make_user(const std::string& admin_cookie, const std::string& email, const std::string& role);

private:
    std::unique_ptr<temp_dir> owned_dir_;
    std::filesystem::path data_dir_;
    std::filesystem::path log_file_;
    int pid_ = -1;
    unsigned short port_ = 0;
    std::string admin_password_;
};

/// Sends raw bytes on a new connection and reads until the server closes or
/// `timeout` passes. `closed` tells which.
struct raw_result {
    std::string data;
    bool closed;
};
raw_result raw_exchange(unsigned short port, const std::string& bytes,
                        std::chrono::milliseconds timeout = std::chrono::seconds(5));

/// A TCP connection that sends nothing (holds a connection slot).
class idle_connection {
public:
    explicit idle_connection(unsigned short port);
    ~idle_connection();
    /// Writes bytes (non-blocking: stops when the socket buffer is full) and never reads.
    void send(const std::string& bytes);
private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

/// A synchronous WebSocket client (Beast).
class ws_client {
public:
    ws_client();
    ~ws_client();
    /// Returns the HTTP status of the handshake (101 when open); body of a refusal in `refusal_body`.
    int connect(unsigned short port, const std::string& cookie, const std::string& origin,
                std::string* refusal_body = nullptr);
    /// An extra header for the upgrade request (before connect).
    void set_header(const std::string& name, const std::string& value);
    void send(const std::string& text);
    /// A WebSocket ping control frame (the answer, a pong, is consumed by `read`).
    void ping();
    /// Next text message, or nullopt if closed / timed out.
    std::optional<std::string> read(std::chrono::milliseconds timeout = std::chrono::seconds(5));
    /// Close code received from the server (after read returned nullopt), 0 if none.
    int close_code() const;
    bool is_open() const;
    /// A raw socket for tests that must not read.
    int native_handle();

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace relais::test
