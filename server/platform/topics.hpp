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

namespace relais::platform {

class topics {
public:
    using conn_ptr = std::shared_ptr<net::ws_connection>;
    virtual ~topics() = default;
    virtual void subscribe(const conn_ptr& c, const peer& who, const std::string& topic) = 0;
    virtual void unsubscribe(const conn_ptr& c, const std::string& topic) = 0;
    /// Forgets every subscription of a socket (it closed).
    virtual void forget(const net::ws_connection* c) = 0;
    /// The same text to every subscriber.
    virtual void publish(const std::string& topic, const std::string& text) = 0;
    /// A text per subscriber, rendered for who they are (empty: nothing for them).
    virtual void publish(const std::string& topic, const std::function<std::string(const peer&)>& render) = 0;
    virtual std::size_t subscribers(const std::string& topic) const = 0;
};

/// In one process: a map from topic to its sockets.
class local_topics final : public topics {
public:
    void subscribe(const conn_ptr& c, const peer& who, const std::string& topic) override;
    void unsubscribe(const conn_ptr& c, const std::string& topic) override;
    void forget(const net::ws_connection* c) override;
    void publish(const std::string& topic, const std::string& text) override;
    void publish(const std::string& topic, const std::function<std::string(const peer&)>& render) override;
    std::size_t subscribers(const std::string& topic) const override;

private:
    struct member {
        std::weak_ptr<net::ws_connection> conn;
        peer who;
    };
    std::vector<std::pair<conn_ptr, peer>> members(const std::string& topic) const;
    mutable std::mutex mutex_;
    std::map<std::string, std::map<const net::ws_connection*, member>> by_topic_;
    std::map<const net::ws_connection*, std::set<std::string>> by_conn_;
};

}  // namespace relais::platform
