#pragma once
// A live room: the in-memory board of one workshop, its connected sockets and its
// pending writes. An accepted operation is applied to the board at once (so the
// next operation is checked against it) and written to the event log. When the commit
// returned, the database writer only hands the event to the room's fan-out (a worker
// of its own, one event at a time per room, in log order), which renders it once per
// kind of viewer, sends the same text to every socket of that kind, then acknowledges
// it; and snapshots the committed board every so many events. Thread-safe (one mutex
// per room; operations are short and never wait on I/O).
#include "common/worker_pool.hpp"
#include "db/pool.hpp"
#include "net/websocket.hpp"
#include "platform/topics.hpp"
#include "workshops/model.hpp"
#include "workshops/store.hpp"

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <vector>

namespace relais::metrics { class counter; }

namespace relais::workshops {

/// Operations per second a room accepts, per person (all their sockets together) and in
/// all (token buckets: rate and burst). Beyond, the sender gets an error.
struct room_limits {
    double person_rate = 10, person_burst = 40;
    double room_rate = 150, room_burst = 400;
    // Guests (each a person to the limits above) one invite link may create, and how many
    // guest arrivals per hour one client address may make (a bucket of that size).
    std::int64_t guests_per_invite = 150;
    double guest_joins_per_hour_per_address = 60;
    double invite_code_attempts_per_hour_per_address = 120;
};

/// What the rooms share: the database, where the fan-out runs, the live topics, their settings.
struct room_env {
    db::pool& db;
    /// The fan-out runs on the network threads (`live`) while the server runs, else on
    /// this worker of the module's own.
    worker_pool& fanout;
    /// A room is the topic "workshop:<id>": its sockets subscribe on join, and every
    /// broadcast (events rendered per viewer, presence, typing) is published there.
    platform::topics& topics;
    room_limits limits;
    /// A snapshot of the committed board every this many events (and on unload).
    std::int64_t snapshot_every = 500;
    metrics::counter* snapshots = nullptr;  // snapshots written, when set
    platform::live_executor* live = nullptr;
};

/// Thrown to (or passed to the `done` of) a caller that reached a room after it was
/// unloaded: get the room again from the registry.
class room_retired : public std::runtime_error {
public:
    room_retired() : std::runtime_error("room unloaded") {}
};

class room : public std::enable_shared_from_this<room> {
public:
    static constexpr std::size_t recent_max = 1000;

    /// The board from what store::load_room read: the snapshot, then the events after it.
    room(std::int64_t id, const room_env& env, store::room_log log);

    std::int64_t id() const { return id_; }
    /// False once a write failed (the room must be reloaded from the log) or once unloaded.
    bool usable() const;

    /// False when the room was unloaded meanwhile (nothing was sent): join a fresh one.
    bool join(const std::shared_ptr<net::ws_connection>& c, const actor& a, std::optional<std::int64_t> since);
    void leave(const net::ws_connection* c);
    void op(const std::shared_ptr<net::ws_connection>& c, const actor& a, const std::string& op, const json& msg,
            const std::string& client_id);
    void typing(const net::ws_connection* c, const actor& a);

    /// An event from the HTTP side (phases, state changes). `extra` runs in the same
    /// transaction; `done` gets the event's seq once durable and broadcast (on the fan-out
    /// worker), or room_retired when the room was unloaded before it was submitted.
    using done_fn = std::function<void(std::exception_ptr, std::int64_t)>;
    /// `check` runs under the room's lock against the current board and may throw to refuse.
    void submit_system(const actor& a, const std::string& op, json data, std::function<void(const room_state&)> check,
                       std::function<void(db::connection&)> extra, done_fn done);

    room_state state() const;
    /// Whether the workshop is being held (state "live") now.
    bool live() const;
    std::size_t connections() const;
    /// Who is in the room now (one entry per socket).
    std::vector<actor> present() const;

    /// Unloads the room when nobody is in it, no write is pending and nothing happened for
    /// `idle`: from then on it refuses joins and system events (room_retired), and its
    /// committed board is snapshotted if it changed since the last snapshot.
    bool retire_if_idle(std::chrono::steady_clock::time_point now, std::chrono::steady_clock::duration idle);
    /// Retires the room whoever is in it (its workshop is being deleted): joins, operations
    /// and system events are refused from now on.
    void retire();

private:
    struct member {
        const net::ws_connection* ptr;
        std::weak_ptr<net::ws_connection> conn;
        actor who;
    };
    using event_ptr = std::shared_ptr<const event>;
    struct pending {
        event_ptr ev;
        std::vector<std::pair<std::weak_ptr<net::ws_connection>, std::string>> acks;  // who waits, with which op id
        done_fn done;
    };
    /// One committed write (or failed one) on its way to the fan-out; or, with no event,
    /// the request for a last snapshot before the room is dropped.
    struct committed {
        event_ptr ev;
        std::exception_ptr ep;
    };

    void submit(event e, std::function<void(db::connection&)> extra, std::weak_ptr<net::ws_connection> origin,
                const std::string& client_id, done_fn done);
    /// On the database writer: hands the result to the fan-out, nothing else.
    void on_committed(committed c);
    /// On the fan-out worker: delivers what was committed, in order, until none is left.
    void drain();
    void deliver(const committed& c);
    void fail(const committed& c);
    void snapshot_if_due(bool force);
    /// The rendering of `e` that `viewer` gets (cached per key: most viewers share one).
    static std::string view_key(const event& e, const actor& viewer);
    std::shared_ptr<const std::string> render(const event& e, const actor& viewer) const;
    void rebuild_view();  // members_view_ from members_ (mutex held)
    /// The whole list to one socket; a change of one person to everyone else.
    void send_presence(const std::shared_ptr<net::ws_connection>& c);
    void broadcast_person(const std::string& key, const net::ws_connection* except);
    static void send(const std::shared_ptr<net::ws_connection>& c, const json& msg);

    struct bucket {
        double tokens;
        std::chrono::steady_clock::time_point last;
    };
    /// Takes one token from `b` (refilled at `rate` up to `burst`); false when empty.
    static bool take(bucket& b, double rate, double burst, std::chrono::steady_clock::time_point now);

    const std::int64_t id_;
    const std::string topic_;  // "workshop:<id>"
    room_env env_;
    std::map<std::string, bucket> person_rate_;
    bucket room_rate_;

    mutable std::mutex mutex_;
    room_state state_;  // as applied: pending operations included
    std::int64_t committed_ = 0;  // the last event broadcast
    std::deque<event_ptr> recent_;
    std::map<const net::ws_connection*, member> members_;
    // The same members, copied on join and leave, for the fan-out to read without the lock.
    std::shared_ptr<const std::vector<member>> members_view_;
    std::map<std::string, std::pair<std::string, std::string>> people_;  // key -> name, role (ever joined)
    std::map<std::string, actor> viewers_;  // key -> who they are in the room (the render hook's look-up)
    std::map<std::string, std::int64_t> applied_ops_;  // actor key + op id -> seq
    std::map<std::int64_t, pending> pending_;
    bool broken_ = false;
    bool retired_ = false;
    std::chrono::steady_clock::time_point last_active_;

    std::mutex fanout_mutex_;
    std::vector<committed> fanout_queue_;
    bool fanout_running_ = false;
    // Owned by the fan-out (one drain at a time): the board as committed, which events
    // are rendered against and snapshots are taken of.
    room_state committed_state_;
    std::int64_t snapshot_seq_ = 0;
    bool fanout_broken_ = false;
};

}  // namespace relais::workshops
