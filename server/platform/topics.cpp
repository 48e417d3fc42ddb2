#include "platform/topics.hpp"

namespace relais::platform {

void local_topics::subscribe(const conn_ptr& c, const peer& who, const std::string& topic) {
    auto shared = std::make_shared<const peer>(who);
    std::lock_guard lock(mutex_);
    by_topic_[topic][c.get()] = member{c, std::move(shared)};
    by_conn_[c.get()].insert(topic);
}

void local_topics::unsubscribe(const net::ws_connection* c, const std::string& topic) {
    std::lock_guard lock(mutex_);
    if (auto it = by_topic_.find(topic); it != by_topic_.end()) {
        it->second.erase(c);
        if (it->second.empty()) by_topic_.erase(it);
    }
    if (auto it = by_conn_.find(c); it != by_conn_.end()) {
        it->second.erase(topic);
        if (it->second.empty()) by_conn_.erase(it);
    }
}

void local_topics::forget(const net::ws_connection* c) {
    std::lock_guard lock(mutex_);
    auto it = by_conn_.find(c);
    if (it == by_conn_.end()) return;
    for (const auto& topic : it->second)
        if (auto t = by_topic_.find(topic); t != by_topic_.end()) {
            t->second.erase(c);
            if (t->second.empty()) by_topic_.erase(t);
        }
    by_conn_.erase(it);
}

// Sends happen outside the lock: a socket's send only queues, but keep the map free (and
// a render hook may take its caller's locks).
local_topics::member_list local_topics::members(const std::string& topic) const {
    member_list out;
    std::lock_guard lock(mutex_);
    auto it = by_topic_.find(topic);
    if (it == by_topic_.end()) return out;
    out.reserve(it->second.size());
    for (const auto& [ptr, m] : it->second)
        if (auto c = m.conn.lock()) out.emplace_back(std::move(c), m.who);
    return out;
}

void local_topics::publish(const std::string& topic, text_ptr text, const net::ws_connection* except, bool large) {
    if (!text) return;
    for (const auto& [c, who] : members(topic))
        if (c.get() != except) c->send_shared(text, large);
}

void local_topics::publish(const std::string& topic, const render_fn& render, bool large) {
    for (const auto& [c, who] : members(topic))
        if (auto text = render(*who)) c->send_shared(std::move(text), large);
}

std::size_t local_topics::subscribers(const std::string& topic) const {
    std::lock_guard lock(mutex_);
    auto it = by_topic_.find(topic);
    return it == by_topic_.end() ? 0 : it->second.size();
}

}  // namespace relais::platform
