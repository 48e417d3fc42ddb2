#pragma once
// A live room: the in-memory board of one workshop, its connected sockets and its
// pending writes. An accepted operation is applied to the board at once (so the
// next operation is checked against it), written to the event log, and only when
// the commit returned is it broadcast in log order and acknowledged. Thread-safe
// (one mutex per room; operations are short and never wait on I/O).
#include "db/pool.hpp"
#include "net/websocket.hpp"
#include "workshops/model.hpp"

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

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
};

class room : public std::enable_shared_from_this<room> {
public:
    static constexpr std::size_t recent_max = 1000;

    room(std::int64_t id, db::pool& db, std::vector<event> log, room_limits limits = {});

    std::int64_t id() const { return id_; }
    /// False once a write failed: the room must be reloaded from the log.
    bool healthy() const;

    void join(const std::shared_ptr<net::ws_connection>& c, const actor& a, std::optional<std::int64_t> since);
    void leave(const net::ws_connection* c);
    void op(const std::shared_ptr<net::ws_connection>& c, const actor& a, const std::string& op, const json& msg,
            const std::string& client_id);
    void typing(const net::ws_connection* c, const actor& a);

    /// An event from the HTTP side (phases, state changes). `extra` runs in the same
    /// transaction; `done` gets the event's seq once durable (on a database thread).
    using done_fn = std::function<void(std::exception_ptr, std::int64_t)>;
    /// `check` runs under the room's lock against the current board and may throw to refuse.
    void submit_system(const actor& a, const std::string& op, json data, std::function<void(const room_state&)> check,
                       std::function<void(db::connection&)> extra, done_fn done);

    room_state state() const;
    std::size_t connections() const;

private:
    struct member {
        std::weak_ptr<net::ws_connection> conn;
        actor who;
    };
    struct pending {
        event ev;
        std::vector<std::pair<std::weak_ptr<net::ws_connection>, std::string>> acks;  // who waits, with which op id
        done_fn done;
    };

    void submit(event e, std::function<void(db::connection&)> extra, std::weak_ptr<net::ws_connection> origin,
                const std::string& client_id, done_fn done);
    void on_committed(std::int64_t seq, std::exception_ptr ep);
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

    std::int64_t id_;
    db::pool& db_;
    room_limits limits_;
    std::map<std::string, bucket> person_rate_;
    bucket room_rate_;
    mutable std::mutex mutex_;
    room_state state_;
    std::int64_t committed_ = 0;
    std::deque<event> recent_;
    std::map<const net::ws_connection*, member> members_;
    std::map<std::string, std::pair<std::string, std::string>> people_;  // key -> name, role (ever joined)
    std::map<std::string, std::int64_t> applied_ops_;  // actor key + op id -> seq
    std::map<std::int64_t, pending> pending_;
    bool broken_ = false;
};

}  // namespace relais::workshops
