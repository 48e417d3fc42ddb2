#include "platform/topics.hpp"

namespace relais::platform {

void local_topics::subscribe(const conn_ptr& c, const peer& who, const std::string& topic) {
    std::lock_guard lock(mutex_);
    by_topic_[topic][c.get()] = member{c, who};
    by_conn_[c.get()].insert(topic);
}

void local_topics::unsubscribe(const conn_ptr& c, const std::string& topic) {
    std::lock_guard lock(mutex_);
    if (auto it = by_topic_.find(topic); it != by_topic_.end()) {
        it->second.erase(c.get());
        if (it->second.empty()) by_topic_.erase(it);
    }
    if (auto it = by_conn_.find(c.get()); it != by_conn_.end()) {
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

// Sends happen outside the lock: a socket's send only queues, but keep the map free.
std::vector<std::pair<topics::conn_ptr, peer>> local_topics::members(const std::string& topic) const {
    std::vector<std::pair<conn_ptr, peer>> out;
    std::lock_guard lock(mutex_);
    auto it = by_topic_.find(topic);
    if (it == by_topic_.end()) return out;
    for (const auto& [ptr, m] : it->second)
        if (auto c = m.conn.lock()) out.emplace_back(std::move(c), m.who);
    return out;
}

void local_topics::publish(const std::string& topic, const std::string& text) {
    // One copy of the text, shared by every subscriber's send queue.
    auto members_now = members(topic);
    if (members_now.empty()) return;
    auto shared = std::make_shared<const std::string>(text);
    for (const auto& [c, who] : members_now) c->send_shared(shared);
}

void local_topics::publish(const std::string& topic, const std::function<std::string(const peer&)>& render) {
    for (const auto& [c, who] : members(topic))
        if (auto text = render(who); !text.empty()) c->send(std::move(text));
}

std::size_t local_topics::subscribers(const std::string& topic) const {
    std::lock_guard lock(mutex_);
    auto it = by_topic_.find(topic);
    return it == by_topic_.end() ? 0 : it->second.size();
}

}  // namespace relais::platform
