#pragma once
// Publish/subscribe between modules and live sockets. Modules publish to topics ("user:12"
// for a person's notifications; next "watch:field:3"); sockets subscribe. The seam is
// narrow — subscribe, unsubscribe, publish, publish with a per-viewer render — so that an
// implementation over Redis pub/sub can replace this in-process one when a region outgrows
// one machine (docs/architecture.md, "Live channels").
#include "platform/module.hpp"

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace relais::platform {

class topics {
public:
    using conn_ptr = std::shared_ptr<net::ws_connection>;
    using text_ptr = std::shared_ptr<const std::string>;
    /// A subscriber's text, rendered for who they are. Return the same pointer to every
    /// subscriber who sees the same thing (it is shared by their send queues, never
    /// copied); null: nothing for this one.
    using render_fn = std::function<text_ptr(const peer&)>;

    virtual ~topics() = default;
    virtual void subscribe(const conn_ptr& c, const peer& who, const std::string& topic) = 0;
    virtual void unsubscribe(const net::ws_connection* c, const std::string& topic) = 0;
    /// Forgets every subscription of a socket (it closed).
    virtual void forget(const net::ws_connection* c) = 0;
    /// The same text to every subscriber but `except` (the sender's own socket, say).
    /// `large`: exempt from the socket's send-queue byte cap (a snapshot-sized message).
    virtual void publish(const std::string& topic, text_ptr text, const net::ws_connection* except = nullptr,
                         bool large = false) = 0;
    /// A text per subscriber: the per-viewer render hook.
    virtual void publish(const std::string& topic, const render_fn& render, bool large = false) = 0;
    virtual std::size_t subscribers(const std::string& topic) const = 0;

    void publish(const std::string& topic, std::string text) {
        publish(topic, std::make_shared<const std::string>(std::move(text)));
    }
};

/// In one process: a map from topic to its sockets. Publishing to a topic sends in the
/// order of the calls; a caller that publishes under its own lock (a workshop room) gets
/// its messages out in its own order.
class local_topics final : public topics {
public:
    using topics::publish;
    void subscribe(const conn_ptr& c, const peer& who, const std::string& topic) override;
    void unsubscribe(const net::ws_connection* c, const std::string& topic) override;
    void forget(const net::ws_connection* c) override;
    void publish(const std::string& topic, text_ptr text, const net::ws_connection* except = nullptr,
                 bool large = false) override;
    void publish(const std::string& topic, const render_fn& render, bool large = false) override;
    std::size_t subscribers(const std::string& topic) const override;

private:
    struct member {
        std::weak_ptr<net::ws_connection> conn;
        std::shared_ptr<const peer> who;
    };
    using member_list = std::vector<std::pair<conn_ptr, std::shared_ptr<const peer>>>;
    member_list members(const std::string& topic) const;
    mutable std::mutex mutex_;
    std::map<std::string, std::map<const net::ws_connection*, member>, std::less<>> by_topic_;
    std::map<const net::ws_connection*, std::set<std::string>> by_conn_;
};

}  // namespace relais::platform
