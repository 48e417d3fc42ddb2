#pragma once
#include "net/detail/shared_state.hpp"

#include <array>
#include <deque>
#include <mutex>
#include <vector>

namespace relais::net {

/// One WebSocket: a read loop feeding the handler, a send queue on the strand with
/// one write in flight, capped so that a client that does not read is dropped.
///
/// Beast reads (frames, masks, UTF-8, control frames, limits) and does the handshake and
/// the closing handshake; data frames are written by this class straight to the socket
/// (docs/architecture.md, "Live channels": the write path). Server frames are unmasked
/// and uncompressed, so a frame is a 2–10 byte header before the queued texts: one
/// non-blocking `sendmsg` that usually takes it all, with no asynchronous operation and
/// no completion to run. What the kernel does not take is written asynchronously.
class websocket_session : public ws_connection, public std::enable_shared_from_this<websocket_session> {
public:
    websocket_session(beast::tcp_stream stream, std::shared_ptr<server::impl> srv, connection_slot slot,
                      std::string id, std::any context);
    asio::awaitable<void> run(http::request<http::string_body>& req);

    void send(std::string text) override;
    void send_large(std::string text) override;
    using ws_connection::send_shared;
    void send_shared(std::shared_ptr<const std::string> text, bool large) override;
    void post(std::function<void()> f) override;
    void close(std::uint16_t code, std::string reason) override;
    const std::string& id() const override { return id_; }
    const std::any& context() const override { return context_; }
    bool closed() const override { return closed_.load(); }

private:
    // What other threads hand to the socket (sends, posted functions, a close), in order.
    // One strand post carries everything pushed until it runs: a broadcast burst costs
    // one post per socket, not one per message.
    struct inbound {
        std::shared_ptr<const std::string> text;  // a message, or
        std::function<void()> fn;                 // something to run on the strand
        bool large = false;
    };
    void push(inbound item);
    void take_inbox();
    void enqueue(std::shared_ptr<const std::string> text, bool large = false);
    void start_writing();
    void write_next();
    void write_rest(std::size_t written);  // the kernel took part of the frame: the rest, asynchronously
    void write_through_beast();
    void written(beast::error_code ec);
    void on_control(websocket::frame_type kind);
    /// Tells the hub the socket is gone, once: when the peer's close frame arrives (Beast then
    /// still waits for the peer to end the connection) or when the read loop ends.
    void notify_closed();
    void start_idle_timer();
    void on_idle_tick();
    void finish_writing();  // the close frame if one is due, then idle
    void drop(const char* why);   // a client that does not read: counted and logged
    void close_now();             // closes the socket, no questions asked

    websocket::stream<beast::tcp_stream> ws_;
    // The socket's strand, typed (posting through the type-erased executor costs more);
    // empty if the socket was made on another kind of executor. A copy of a strand is the
    // same strand.
    std::optional<asio::strand<asio::io_context::executor_type>> strand_;
    // Or its loop's executor, typed, when the socket lives on a loop of its own thread
    // (net/server.cpp): what that thread posts here is queued without a lock.
    std::optional<asio::io_context::executor_type> loop_;
    beast::flat_buffer buffer_;
    std::shared_ptr<server::impl> srv_;
    connection_slot slot_;
    std::string id_;
    std::any context_;
    struct queued {
        std::shared_ptr<const std::string> text;  // may be shared with other sockets (a broadcast)
        bool large;          // not counted in queued_bytes_
        bool ping = false;   // a keep-alive ping (no text)
    };
    std::mutex inbox_mutex_;
    std::vector<inbound> inbox_;  // guarded by inbox_mutex_
    bool inbox_posted_ = false;   // guarded by inbox_mutex_: a take_inbox is on its way
    std::vector<inbound> inbox_taken_;  // on the strand
    std::deque<queued> queue_;
    // The frame being written: the texts it refers to stay alive until the write ends.
    std::vector<std::shared_ptr<const std::string>> writing_texts_;
    std::vector<asio::const_buffer> frame_;
    std::array<unsigned char, 10> header_{};
    std::size_t frame_bytes_ = 0;
    // An asynchronous write of ours is under way: a frame is partly on the wire, and a
    // control frame Beast would write now (a pong, a closing reply) would land inside it.
    bool raw_pending_ = false;
    // Beast is answering a control frame (a pong, a closing reply) on its own: the next
    // frame goes through Beast's write, which waits for it.
    bool control_reply_ = false;
    bool writing_ping_ = false;
    // Keep-alive (ours, not Beast's, which would write its pings under the frames above):
    // a ping after half the idle time without anything read, closed after the whole.
    std::optional<asio::steady_timer> idle_timer_;
    bool heard_ = false;
    bool close_told_ = false;
    int silent_ticks_ = 0;

    std::size_t queued_bytes_ = 0;
    std::optional<websocket::close_reason> close_reason_;
    bool writing_ = false;
    bool open_ = false;
    bool dropped_ = false;
    std::atomic<bool> closed_{false};
};

}  // namespace relais::net
