#include "workshops/room.hpp"

#include "workshops/errors.hpp"
#include "common/log.hpp"
#include "workshops/store.hpp"

#include <chrono>
#include <set>

namespace relais::workshops {
namespace {

std::int64_t now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string op_key(const std::string& actor_key, const std::string& client_id) { return actor_key + '\x1f' + client_id; }

json error_message(const std::string& client_id, const api_error& e) {
    json m = {{"type", "error"}, {"code", e.code()}, {"message", e.message()}};
    if (!client_id.empty()) m["id"] = client_id;
    if (!e.field().empty()) m["field"] = e.field();
    return m;
}

}  // namespace

room::room(std::int64_t id, db::pool& db, std::vector<event> log, room_limits limits)
    : id_(id), db_(db), limits_(limits), room_rate_{limits.room_burst, std::chrono::steady_clock::now()} {
    for (auto& e : log) {
        apply(state_, e);
        if (e.client_op_id) applied_ops_[op_key(e.actor_key, *e.client_op_id)] = e.seq;
        recent_.push_back(std::move(e));
        if (recent_.size() > recent_max) recent_.pop_front();
    }
    committed_ = state_.seq;
}

bool room::take(bucket& b, double rate, double burst, std::chrono::steady_clock::time_point now) {
    std::chrono::duration<double> dt = now - b.last;
    b.tokens = std::min(burst, b.tokens + dt.count() * rate);
    b.last = now;
    if (b.tokens < 1.0) return false;
    b.tokens -= 1.0;
    return true;
}

bool room::healthy() const {
    std::lock_guard lock(mutex_);
    return !broken_;
}

room_state room::state() const {
    std::lock_guard lock(mutex_);
    return state_;
}

std::size_t room::connections() const {
    std::lock_guard lock(mutex_);
    return members_.size();
}

void room::send(const std::shared_ptr<net::ws_connection>& c, const json& msg) {
    c->send(msg.dump(-1, ' ', false, json::error_handler_t::replace));
}

void room::join(const std::shared_ptr<net::ws_connection>& c, const actor& a, std::optional<std::int64_t> since) {
    std::lock_guard lock(mutex_);
    if (broken_) {
        send(c, {{"type", "resync"}, {"workshop", id_}});
        return;
    }
    members_[c.get()] = member{c, a};
    people_[a.key] = {a.name, role_name(a.r)};
    bool resumed = false;
    if (since && *since <= committed_ && (*since == committed_ || (!recent_.empty() && recent_.front().seq <= *since + 1))) {
        // Exactly the committed events after `since`; pending ones follow live.
        json events = json::array();
        for (const auto& e : recent_)
            if (e.seq > *since) events.push_back(event_view(state_, e, a));
        // Large on purpose: a resume may carry up to recent_max events.
        c->send_large(json{{"type", "events"}, {"workshop", id_}, {"events", events}, {"role", role_name(a.r)}}
                          .dump(-1, ' ', false, json::error_handler_t::replace));
        resumed = true;
    }
    if (!resumed) {
        // The board as applied, pending operations included: their events, when
        // committed, carry seq <= this snapshot's seq and are ignored by the client.
        // The snapshot is exempt from the send queue's byte cap: however full the board,
        // whoever joins gets it (the board itself is bounded: model.hpp).
        c->send_large(json{{"type", "snapshot"}, {"workshop", id_}, {"seq", state_.seq}, {"state", snapshot(state_, a)},
                           {"you", {{"key", a.key}, {"name", a.name}, {"role", role_name(a.r)}}}}
                          .dump(-1, ' ', false, json::error_handler_t::replace));
    }
    send_presence(c);
    broadcast_person(a.key, c.get());
}

void room::leave(const net::ws_connection* c) {
    std::lock_guard lock(mutex_);
    auto it = members_.find(c);
    if (it == members_.end()) return;
    auto key = it->second.who.key;
    members_.erase(it);
    broadcast_person(key, nullptr);
}

// Presence is O(people) per join, not O(people²): a newcomer gets the whole list,
// the others only learn about the one who came or went.
void room::send_presence(const std::shared_ptr<net::ws_connection>& c) {
    std::set<std::string> online;
    for (const auto& [ptr, m] : members_) online.insert(m.who.key);
    json people = json::array();
    for (const auto& [key, info] : people_)
        people.push_back({{"key", key}, {"name", info.first}, {"role", info.second}, {"online", online.count(key) > 0}});
    send(c, {{"type", "presence"}, {"workshop", id_}, {"people", people}});
}

void room::broadcast_person(const std::string& key, const net::ws_connection* except) {
    bool online = false;
    for (const auto& [ptr, m] : members_) online = online || m.who.key == key;
    const auto& info = people_[key];
    auto text = json{{"type", "presence"}, {"workshop", id_},
                     {"person", {{"key", key}, {"name", info.first}, {"role", info.second}, {"online", online}}}}.dump();
    for (const auto& [ptr, m] : members_)
        if (ptr != except)
            if (auto conn = m.conn.lock()) conn->send(text);
}

void room::typing(const net::ws_connection* c, const actor& a) {
    std::lock_guard lock(mutex_);
    // Ephemeral: over the person's budget it is dropped silently.
    auto now = std::chrono::steady_clock::now();
    auto [pr, fresh] = person_rate_.try_emplace(a.key, bucket{limits_.person_burst, now});
    if (!take(pr->second, limits_.person_rate, limits_.person_burst, now)) return;
    // Anonymous boards say that someone types, not who.
    auto text = (state_.anonymous ? json{{"type", "typing"}, {"workshop", id_}, {"key", ""}, {"name", ""}}
                                  : json{{"type", "typing"}, {"workshop", id_}, {"key", a.key}, {"name", a.name}})
                    .dump();
    for (const auto& [ptr, m] : members_)
        if (ptr != c)
            if (auto conn = m.conn.lock()) conn->send(text);
}

void room::op(const std::shared_ptr<net::ws_connection>& c, const actor& a, const std::string& op, const json& msg,
              const std::string& client_id) {
    std::unique_lock lock(mutex_);
    if (broken_) {
        send(c, error_message(client_id, api_error(errors::room_unavailable)));
        return;
    }
    // A retry of an operation already applied: acknowledge it again, apply nothing.
    if (auto it = applied_ops_.find(op_key(a.key, client_id)); it != applied_ops_.end()) {
        auto seq = it->second;
        if (auto p = pending_.find(seq); p != pending_.end()) p->second.acks.emplace_back(c, client_id);
        else send(c, {{"type", "ack"}, {"id", client_id}, {"seq", seq}});
        return;
    }
    // One person (whatever their number of sockets) has a budget of operations, refused
    // ones included: a flood cannot fill the board. The room's budget counts only the
    // operations it accepts (below), so refused ones cannot starve the others.
    auto now = std::chrono::steady_clock::now();
    auto [pr, fresh] = person_rate_.try_emplace(a.key, bucket{limits_.person_burst, now});
    if (!take(pr->second, limits_.person_rate, limits_.person_burst, now)) {
        send(c, error_message(client_id, api_error(errors::ops_rate_limited)));
        return;
    }
    event e;
    try {
        e = decide(state_, a, op, msg, now_ms());
    } catch (const api_error& err) {
        auto m = error_message(client_id, err);
        if (err.code() == errors::stale_version.code)
            if (auto it = state_.notes.find(msg.value("note", std::int64_t{0})); it != state_.notes.end() && state_.can_see(it->second, a))
                m["note"] = to_json(it->second, state_.author_visible(it->second, a));
        send(c, m);
        return;
    }
    if (!take(room_rate_, limits_.room_rate, limits_.room_burst, now)) {
        send(c, error_message(client_id, api_error(errors::room_rate_limited)));
        return;
    }
    e.client_op_id = client_id;
    submit(std::move(e), {}, c, client_id, {});
}

void room::submit_system(const actor& a, const std::string& op, json data, std::function<void(const room_state&)> check,
                         std::function<void(db::connection&)> extra, done_fn done) {
    std::unique_lock lock(mutex_);
    std::exception_ptr refused;
    if (broken_) refused = std::make_exception_ptr(api_error(errors::room_unavailable));
    else if (check) {
        try {
            check(state_);
        } catch (...) {
            refused = std::current_exception();
        }
    }
    if (refused) {
        lock.unlock();
        done(refused, 0);
        return;
    }
    auto e = make_system_event(state_, a, op, std::move(data), now_ms());
    submit(std::move(e), std::move(extra), {}, {}, std::move(done));
}

// Called with the mutex held.
void room::submit(event e, std::function<void(db::connection&)> extra, std::weak_ptr<net::ws_connection> origin,
                  const std::string& client_id, done_fn done) {
    apply(state_, e);
    auto seq = e.seq;
    if (e.client_op_id) applied_ops_[op_key(e.actor_key, *e.client_op_id)] = seq;
    pending p{e, {}, std::move(done)};
    if (!client_id.empty()) p.acks.emplace_back(std::move(origin), client_id);
    pending_.emplace(seq, std::move(p));
    auto self = shared_from_this();
    auto id = id_;
    // The single writer commits in submission order, so completions arrive in seq order.
    db_.write_async(
        [id, e = std::move(e), extra = std::move(extra)](db::connection& c) {
            store::insert_event(c, id, e);
            if (extra) extra(c);
        },
        [self, seq](std::exception_ptr ep) { self->on_committed(seq, ep); });
}

void room::on_committed(std::int64_t seq, std::exception_ptr ep) {
    done_fn done;
    {
        std::lock_guard lock(mutex_);
        auto it = pending_.find(seq);
        if (it == pending_.end()) return;
        pending p = std::move(it->second);
        pending_.erase(it);
        done = std::move(p.done);
        if (ep || broken_) {
            // The log and the board disagree from here on: everyone resynchronises
            // from the log, and the registry reloads the room.
            if (!broken_) {
                broken_ = true;
                try {
                    std::rethrow_exception(ep);
                } catch (const std::exception& e) {
                    log::error("room_write_failed", {{"workshop", id_}, {"seq", seq}, {"what", e.what()}});
                }
                auto text = json{{"type", "resync"}, {"workshop", id_}}.dump();
                for (const auto& [ptr, m] : members_)
                    if (auto c = m.conn.lock()) c->send(text);
                members_.clear();
            }
            for (auto& [w, cid] : p.acks)
                if (auto c = w.lock()) send(c, error_message(cid, api_error(errors::room_unavailable)));
        } else {
            committed_ = seq;
            recent_.push_back(p.ev);
            if (recent_.size() > recent_max) recent_.pop_front();
            // One rendering per kind of viewer would do; most events look the same to
            // all participants, so cache by the rendered text's inputs.
            std::map<std::string, std::string> cache;
            for (const auto& [ptr, m] : members_) {
                auto c = m.conn.lock();
                if (!c) continue;
                std::string cache_key = m.who.r == role::facilitator ? "f" : (m.who.key == p.ev.actor_key ? "a" : "p");
                if (cache_key == "p" && p.ev.data.contains("voter") && p.ev.data["voter"] == m.who.key) cache_key = "v:" + m.who.key;
                // Visibility depends on the note's author, and revealed notes keep the
                // viewer's own authorship: render those per viewer.
                if (p.ev.op == "note.edit" || p.ev.op == "note.move" || p.ev.op == "note.delete" || p.ev.op == "note.group" ||
                    p.ev.data.contains("revealed"))
                    cache_key += ":" + m.who.key;
                auto [slot, fresh] = cache.try_emplace(cache_key);
                if (fresh) {
                    json msg = event_view(state_, p.ev, m.who);
                    msg["type"] = "event";
                    msg["workshop"] = id_;
                    slot->second = msg.dump(-1, ' ', false, json::error_handler_t::replace);
                }
                // A reveal carries the revealed notes (bounded by the board's caps): like a
                // snapshot, it is exempt from the byte cap, so it never drops the room.
                if (p.ev.op == "phase.goto" || p.ev.op == "prework.reveal") c->send_large(slot->second);
                else c->send(slot->second);
            }
            for (auto& [w, cid] : p.acks)
                if (auto c = w.lock()) send(c, {{"type", "ack"}, {"id", cid}, {"seq", seq}});
        }
    }
    if (done) done(ep, seq);
}

}  // namespace relais::workshops
