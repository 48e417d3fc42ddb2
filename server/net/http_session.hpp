#pragma once
#include "common/errors.hpp"
#include "net/detail/shared_state.hpp"

namespace relais::net {

/// One HTTP/1.1 connection: reads requests with limits and deadlines, answers them
/// in order (keep-alive), hands WebSocket upgrades to a websocket_session.
class http_session : public std::enable_shared_from_this<http_session> {
public:
    http_session(tcp::socket socket, std::shared_ptr<server::impl> srv, connection_slot slot);
    asio::awaitable<void> run();
    /// On shutdown: close now when idle, else after the response in flight.
    void stop();
    /// Closes now, whatever it is reading (a connection that has not completed a request
    /// in time to keep its place).
    void evict();

private:
    asio::awaitable<response> handle(request& req);
    asio::awaitable<void> write(http::response<http::string_body>& res);
    asio::awaitable<void> write_error(const error_def& def, bool secure);
    /// After an answer given before the request's body was read (written, sending side
    /// shut): reads and drops what the client still sends, bounded, then returns.
    asio::awaitable<void> linger();
    /// Reads an upload's body: at most four request timeouts in all, never a third of one
    /// without a byte, and past its first third of one at least upload_min_bytes_per_second
    /// on average. False when the connection must end (an error answered or nothing to say).
    asio::awaitable<bool> read_upload_body(http::request_parser<http::string_body>& parser);
    asio::awaitable<void> upgrade(http::request<http::string_body>& req, request& r);
    bool make_request(http::request<http::string_body>& in, request& out);  // takes the body

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    std::shared_ptr<server::impl> srv_;
    std::optional<connection_slot> slot_;
    std::string peer_;
    bool busy_ = false;
    bool closing_ = false;
};

}  // namespace relais::net
