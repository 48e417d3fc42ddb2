#include "workshops/room.hpp"

#include "workshops/detail.hpp"
#include "workshops/errors.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"
#include "workshops/store.hpp"

#include <algorithm>
#include <chrono>
#include <set>

namespace relais::workshops {
namespace {

std::string op_key(const std::string& actor_key, const std::string& client_id) { return actor_key + '\x1f' + client_id; }

json error_message(const std::string& client_id, const api_error& e) {
    json m = {{"type", "error"}, {"code", e.code()}, {"message", e.message()}};
    if (!client_id.empty()) m["id"] = client_id;
    if (!e.field().empty()) m["field"] = e.field();
    return m;
}

std::shared_ptr<const std::string> shared_text(const json& msg) {
    return std::make_shared<const std::string>(msg.dump(-1, ' ', false, json::error_handler_t::replace));
}

}  // namespace

room::room(std::int64_t id, const room_env& env, store::room_log log)
    : id_(id), topic_("workshop:" + std::to_string(id)), env_(env), room_rate_{env.limits.room_burst, std::chrono::steady_clock::now()},
      last_active_(std::chrono::steady_clock::now()) {
    if (log.snapshot) {
        snapshot_seq_ = log.snapshot->seq;
        state_ = std::move(*log.snapshot);
    }
    // Events up to the snapshot's seq are there only for resumes: already in the board.
    for (auto& e : log.events) {
        if (e.seq > state_.seq) apply(state_, e);
        recent_.push_back(std::make_shared<const event>(std::move(e)));
        if (recent_.size() > recent_max) recent_.pop_front();
    }
    for (const auto& o : log.client_ops) applied_ops_[op_key(o.actor_key, o.client_op_id)] = o.seq;
    committed_ = state_.seq;
    committed_state_ = state_;
    members_view_ = std::make_shared<const std::vector<member>>();
}

bool room::take(bucket& b, double rate, double burst, std::chrono::steady_clock::time_point now) {
    std::chrono::duration<double> dt = now - b.last;
    b.tokens = std::min(burst, b.tokens + dt.count() * rate);
    b.last = now;
    if (b.tokens < 1.0) return false;
    b.tokens -= 1.0;
    return true;
}

bool room::usable() const {
    std::lock_guard lock(mutex_);
    return !broken_ && !retired_;
}

room_state room::state() const {
    std::lock_guard lock(mutex_);
    return state_;
}

std::size_t room::connections() const {
    std::lock_guard lock(mutex_);
    return members_.size();
}

std::vector<actor> room::present() const {
    std::lock_guard lock(mutex_);
    std::vector<actor> out;
    out.reserve(members_.size());
    for (const auto& [ptr, m] : members_) out.push_back(m.who);
    return out;
}

void room::send(const std::shared_ptr<net::ws_connection>& c, const json& msg) {
    c->send(msg.dump(-1, ' ', false, json::error_handler_t::replace));
}

void room::rebuild_view() {
    auto v = std::make_shared<std::vector<member>>();
    v->reserve(members_.size());
    for (const auto& [ptr, m] : members_) v->push_back(m);
    members_view_ = std::move(v);
}

bool room::join(const std::shared_ptr<net::ws_connection>& c, const actor& a, std::optional<std::int64_t> since) {
    std::lock_guard lock(mutex_);
    if (retired_) return false;
    if (broken_) {
        send(c, {{"type", "resync"}, {"workshop", id_}});
        return true;
    }
    last_active_ = std::chrono::steady_clock::now();
    // Someone already here on another socket with the same name and role: nobody came.
    const bool was_here = std::any_of(members_.begin(), members_.end(), [&](const auto& m) { return m.first != c.get() && m.second.who.key == a.key; });
    const std::pair<std::string, std::string> info{a.name, role_name(a.r)};
    auto known = people_.find(a.key);
    const bool news = !was_here || known == people_.end() || known->second != info;
    members_[c.get()] = member{c.get(), c, a};
    rebuild_view();
    people_[a.key] = info;
    viewers_[a.key] = a;
    // Subscribed under the lock, like every publish to the room: what is published from
    // now on reaches this socket after its snapshot.
    platform::peer who;
    who.key = a.key;
    who.name = a.name;
    env_.topics.subscribe(c, who, topic_);
    bool resumed = false;
    // committed_ and recent_ move with the fan-out's broadcasts, under this lock: what is
    // after committed_ reaches this socket live, since it is a member from now on.
    if (since && *since <= committed_ && (*since == committed_ || (!recent_.empty() && recent_.front()->seq <= *since + 1))) {
        // Exactly the committed events after `since`; pending ones follow live.
        json events = json::array();
        for (const auto& e : recent_)
            if (e->seq > *since) events.push_back(event_view(state_, *e, a));
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
    if (news) broadcast_person(a.key, c.get());
    return true;
}

void room::leave(const net::ws_connection* c) {
    std::lock_guard lock(mutex_);
    auto it = members_.find(c);
    if (it == members_.end()) return;
    auto key = it->second.who.key;
    members_.erase(it);
    rebuild_view();
    env_.topics.unsubscribe(c, topic_);
    last_active_ = std::chrono::steady_clock::now();
    // Still here on another socket: nobody went.
    if (std::none_of(members_.begin(), members_.end(), [&](const auto& m) { return m.second.who.key == key; }))
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
    env_.topics.publish(topic_,
                        shared_text({{"type", "presence"}, {"workshop", id_},
                                     {"person", {{"key", key}, {"name", info.first}, {"role", info.second}, {"online", online}}}}),
                        except);
}

void room::typing(const net::ws_connection* c, const actor& a) {
    std::lock_guard lock(mutex_);
    // Ephemeral: over the person's budget it is dropped silently.
    auto now = std::chrono::steady_clock::now();
    auto [pr, fresh] = person_rate_.try_emplace(a.key, bucket{env_.limits.person_burst, now});
    if (!take(pr->second, env_.limits.person_rate, env_.limits.person_burst, now)) return;
    // Anonymous boards say that someone types, not who.
    auto text = shared_text(state_.anonymous ? json{{"type", "typing"}, {"workshop", id_}, {"key", ""}, {"name", ""}}
                                             : json{{"type", "typing"}, {"workshop", id_}, {"key", a.key}, {"name", a.name}});
    env_.topics.publish(topic_, std::move(text), c);
}

void room::op(const std::shared_ptr<net::ws_connection>& c, const actor& a, const std::string& op, const json& msg,
              const std::string& client_id) {
    std::unique_lock lock(mutex_);
    if (broken_ || retired_) {
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
    auto [pr, fresh] = person_rate_.try_emplace(a.key, bucket{env_.limits.person_burst, now});
    if (!take(pr->second, env_.limits.person_rate, env_.limits.person_burst, now)) {
        send(c, error_message(client_id, api_error(errors::ops_rate_limited)));
        return;
    }
    event e;
    try {
        e = decide(state_, a, op, msg, detail::now_ms());
    } catch (const api_error& err) {
        auto m = error_message(client_id, err);
        if (err.code() == errors::stale_version.code)
            if (auto it = state_.notes.find(msg.value("note", std::int64_t{0})); it != state_.notes.end() && state_.can_see(it->second, a))
                m["note"] = to_json(it->second, state_.author_visible(it->second, a));
        send(c, m);
        return;
    }
    if (!take(room_rate_, env_.limits.room_rate, env_.limits.room_burst, now)) {
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
    if (retired_) refused = std::make_exception_ptr(room_retired());
    else if (broken_) refused = std::make_exception_ptr(api_error(errors::room_unavailable));
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
    auto e = make_system_event(state_, a, op, std::move(data), detail::now_ms());
    submit(std::move(e), std::move(extra), {}, {}, std::move(done));
}

// Called with the mutex held.
void room::submit(event e, std::function<void(db::connection&)> extra, std::weak_ptr<net::ws_connection> origin,
                  const std::string& client_id, done_fn done) {
    apply(state_, e);
    last_active_ = std::chrono::steady_clock::now();
    auto seq = e.seq;
    if (e.client_op_id) applied_ops_[op_key(e.actor_key, *e.client_op_id)] = seq;
    auto ev = std::make_shared<const event>(std::move(e));
    pending p{ev, {}, std::move(done)};
    if (!client_id.empty()) p.acks.emplace_back(std::move(origin), client_id);
    pending_.emplace(seq, std::move(p));
    auto self = shared_from_this();
    auto id = id_;
    // The single writer commits in submission order, so completions arrive in seq order.
    env_.db.write_async(
        [id, ev, extra = std::move(extra)](db::connection& c) {
            store::insert_event(c, id, *ev);
            if (extra) extra(c);
        },
        [self, ev](std::exception_ptr ep) { self->on_committed({ev, ep}); });
}

// On the database writer: no rendering, no socket, no room lock. The writer serves every
// module; what a room does with its commits must not delay theirs.
void room::on_committed(committed c) {
    bool start = false;
    {
        std::lock_guard lock(fanout_mutex_);
        fanout_queue_.push_back(std::move(c));
        start = !fanout_running_;
        fanout_running_ = true;
    }
    if (!start) return;
    // One drain at a time per room: events go out in the order they were committed. It
    // runs on a network thread, which writes to the room's sockets anyway; without a
    // server, on the module's fan-out worker; a stopped worker (shutdown) leaves it to
    // this thread.
    auto run = [self = shared_from_this()] { self->drain(); };
    if (env_.live && env_.live->post(run)) return;
    if (!env_.fanout.submit(std::move(run))) drain();
}

void room::drain() {
    std::vector<committed> batch;
    for (;;) {
        {
            std::lock_guard lock(fanout_mutex_);
            if (fanout_queue_.empty()) {
                fanout_running_ = false;
                return;
            }
            batch.swap(fanout_queue_);
        }
        for (const auto& c : batch) {
            bool delivering = false;
            try {
                if (!c.ev) snapshot_if_due(true);
                else if (c.ep || fanout_broken_) fail(c);
                else {
                    delivering = true;
                    deliver(c);
                }
            } catch (const std::exception& e) {
                log::error("room_fanout_failed", {{"workshop", id_}, {"seq", c.ev ? c.ev->seq : 0}, {"what", e.what()}});
            } catch (...) {
                log::error("room_fanout_failed", {{"workshop", id_}, {"seq", c.ev ? c.ev->seq : 0}});
            }
            // An event stored but not delivered would leave a gap in every client's
            // sequence: the room is reloaded, and its clients join it again (resync).
            if (delivering && committed_ < c.ev->seq) {
                try {
                    fail(c);
                } catch (...) {
                    log::error("room_fanout_failed", {{"workshop", id_}, {"seq", c.ev->seq}, {"what", "resync"}});
                }
            }
        }
        batch.clear();
    }
}

std::string room::view_key(const event& e, const actor& viewer) {
    std::string key = viewer.r == role::facilitator ? "f" : (viewer.key == e.actor_key ? "a" : "p");
    if (key == "p" && e.data.contains("voter") && e.data.at("voter") == viewer.key) key = "v:" + viewer.key;
    // Visibility depends on the note's author, and revealed notes keep the viewer's own
    // authorship: those are rendered per viewer.
    if (e.op == "note.edit" || e.op == "note.move" || e.op == "note.delete" || e.op == "note.group" || e.data.contains("revealed"))
        key += ":" + viewer.key;
    return key;
}

// On the fan-out: committed_state_ is the board as of this event.
std::shared_ptr<const std::string> room::render(const event& e, const actor& viewer) const {
    json msg = event_view(committed_state_, e, viewer);
    msg["type"] = "event";
    msg["workshop"] = id_;
    return shared_text(msg);
}

void room::deliver(const committed& c) {
    const event& e = *c.ev;
    apply(committed_state_, e);
    // Rendered once per kind of viewer, outside the lock, for those in the room now; the
    // text is shared by the send queues of every socket of that kind.
    std::map<std::string, std::shared_ptr<const std::string>> texts;
    std::shared_ptr<const std::vector<member>> seen;
    {
        std::lock_guard lock(mutex_);
        seen = members_view_;
    }
    for (const auto& m : *seen) {
        auto key = view_key(e, m.who);
        if (!texts.count(key)) texts.emplace(key, render(e, m.who));
    }
    // A reveal carries the revealed notes (bounded by the board's caps): like a snapshot,
    // it is exempt from the byte cap, so it never drops the room.
    bool large = e.op == "phase.goto" || e.op == "prework.reveal";
    done_fn done;
    {
        // The broadcast and the move of committed_ happen together under the lock, so a
        // join sees each event either in recent_ or live, never both, never neither.
        std::lock_guard lock(mutex_);
        pending p;
        if (auto it = pending_.find(e.seq); it != pending_.end()) {
            p = std::move(it->second);
            pending_.erase(it);
        }
        committed_ = e.seq;
        recent_.push_back(c.ev);
        if (recent_.size() > recent_max) recent_.pop_front();
        // The room's topic with its per-viewer render hook: a look-up in what was rendered
        // above (rendering here only for who joined meanwhile).
        env_.topics.publish(
            topic_,
            [&](const platform::peer& viewer) -> platform::topics::text_ptr {
                auto v = viewers_.find(viewer.key);
                if (v == viewers_.end()) return nullptr;
                auto key = view_key(e, v->second);
                auto t = texts.find(key);
                if (t == texts.end()) t = texts.emplace(key, render(e, v->second)).first;
                return t->second;
            },
            large);
        // Acknowledged after the event went out (docs/protocol.md); a retry arriving from
        // now on finds no pending write and is acknowledged at once.
        for (auto& [w, cid] : p.acks)
            if (auto conn = w.lock()) send(conn, {{"type", "ack"}, {"id", cid}, {"seq", e.seq}});
        done = std::move(p.done);
    }
    if (done) done(nullptr, e.seq);
    snapshot_if_due(false);
}

void room::fail(const committed& c) {
    done_fn done;
    {
        std::lock_guard lock(mutex_);
        pending p;
        if (auto it = pending_.find(c.ev->seq); it != pending_.end()) {
            p = std::move(it->second);
            pending_.erase(it);
        }
        if (!broken_) {
            // The log and the board disagree from here on: everyone resynchronises
            // from the log, and the registry reloads the room.
            broken_ = true;
            if (c.ep) {
                try {
                    std::rethrow_exception(c.ep);
                } catch (const std::exception& e) {
                    log::error("room_write_failed", {{"workshop", id_}, {"seq", c.ev->seq}, {"what", e.what()}});
                }
            }
            env_.topics.publish(topic_, shared_text({{"type", "resync"}, {"workshop", id_}}));
            for (const auto& [ptr, m] : members_) env_.topics.unsubscribe(ptr, topic_);
            members_.clear();
            rebuild_view();
        }
        for (auto& [w, cid] : p.acks)
            if (auto conn = w.lock()) send(conn, error_message(cid, api_error(errors::room_unavailable)));
        done = std::move(p.done);
    }
    fanout_broken_ = true;
    if (done) done(c.ep, c.ev->seq);
}

// On the fan-out, from the committed board: serialised here, written by the database
// writer like any other write; never on a network thread, never under the room's lock.
void room::snapshot_if_due(bool force) {
    if (fanout_broken_) return;
    auto seq = committed_state_.seq;
    if (seq <= snapshot_seq_ || (!force && seq - snapshot_seq_ < env_.snapshot_every)) return;
    snapshot_seq_ = seq;
    std::string text;
    try {
        text = to_json(committed_state_).dump();
    } catch (const std::exception& e) {
        log::warn("room_snapshot_failed", {{"workshop", id_}, {"seq", seq}, {"what", e.what()}});
        return;
    }
    auto id = id_;
    auto* written = env_.snapshots;
    env_.db.write_async([id, seq, text = std::move(text)](db::connection& c) { store::save_snapshot(c, id, seq, text, detail::now_ms()); },
                        [id, seq, written](std::exception_ptr ep) {
                            if (!ep) {
                                if (written) written->inc();
                                return;
                            }
                            try {
                                std::rethrow_exception(ep);
                            } catch (const std::exception& e) {
                                // Only a shortcut is lost: the log has every event.
                                log::warn("room_snapshot_failed", {{"workshop", id}, {"seq", seq}, {"what", e.what()}});
                            }
                        });
}

bool room::live() const {
    std::lock_guard lock(mutex_);
    return state_.workshop_state == "live";
}

void room::retire() {
    std::lock_guard lock(mutex_);
    retired_ = true;
}

bool room::retire_if_idle(std::chrono::steady_clock::time_point now, std::chrono::steady_clock::duration idle) {
    {
        std::lock_guard lock(mutex_);
        if (retired_) return true;
        if (!members_.empty() || !pending_.empty() || now - last_active_ < idle) return false;
        retired_ = true;
    }
    // A last snapshot, after whatever the fan-out has still to deliver.
    on_committed({nullptr, nullptr});
    return true;
}

}  // namespace relais::workshops
