#pragma once
// What a WebSocket looks like to the features: a connection to send to, and a
// handler that admits, receives and forgets connections. No Beast here.
#include "net/http_types.hpp"

#include <any>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace relais::net {

/// One open socket. Thread-safe: send and close may be called from any thread.
class ws_connection {
public:
    virtual ~ws_connection() = default;
    /// Queues a text message. When the queue is full (a client that does not read)
    /// the connection is dropped and the message discarded.
    virtual void send(std::string text) = 0;
    /// Queues a message that may exceed the queue's byte cap (a board snapshot): it is
    /// counted apart, so that a large board can always be sent to a client that reads.
    /// The message-count cap still holds.
    virtual void send_large(std::string text) = 0;
    /// Queues a text shared with other sockets (a broadcast rendered once): the queued
    /// frame refers to it, nothing is copied per socket. `large` as for send_large. The
    /// default copies it (for connections that have nothing better to do).
    virtual void send_shared(std::shared_ptr<const std::string> text, bool large) {
        if (large) send_large(*text);
        else send(*text);
    }
    void send_shared(std::shared_ptr<const std::string> text) { send_shared(std::move(text), false); }
    /// Runs `f` on the connection's strand (where its messages are received).
    virtual void post(std::function<void()> f) = 0;
    /// Sends a close frame after what is already queued.
    virtual void close(std::uint16_t code, std::string reason) = 0;
    /// The request id of the upgrade, for logs.
    virtual const std::string& id() const = 0;
    /// What the handler attached at admission (e.g. the signed-in account).
    virtual const std::any& context() const = 0;
    /// True once the socket is closed (set before on_close is called).
    virtual bool closed() const = 0;
};

/// The answer to an upgrade request: a refusal (sent as an HTTP response), or a
/// context to attach to the connection.
struct ws_admission {
    std::optional<response> refusal;
    std::any context;
};

class ws_handler {
public:
    virtual ~ws_handler() = default;
    /// Decides on an upgrade (after the Origin check, which net/ does itself).
    virtual asio::awaitable<ws_admission> admit(const request& req) = 0;
    /// Called on the connection's strand. Must not block.
    virtual void on_open(const std::shared_ptr<ws_connection>& c) = 0;
    virtual void on_message(const std::shared_ptr<ws_connection>& c, std::string_view text) = 0;
    virtual void on_close(const std::shared_ptr<ws_connection>& c) = 0;
};

}  // namespace relais::net
