#pragma once
// Workshops: creation from templates, people, invites and guests, state changes,
// reports, and the registry of live rooms with the WebSocket side of them.
#include "auth/service.hpp"
#include "db/pool.hpp"
#include "library/filer.hpp"
#include "net/router.hpp"
#include "net/websocket.hpp"
#include "platform/module.hpp"
#include "workshops/identity.hpp"
#include "workshops/room.hpp"

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>

namespace relais::metrics { class registry; class gauge; class counter; class histogram; }

namespace relais::workshops {

/// What a facilitator sends to create a workshop, or to change one (a patch: fields left
/// as they are when absent).
struct workshop_draft {
    std::string title, subject, stage, date, template_slug;
    std::optional<std::int64_t> cpts_id;
    std::optional<std::vector<std::int64_t>> partners;  // organisations; nullopt: unchanged
    std::vector<std::int64_t> co_facilitators;          // creation only
};

/// How rooms live in memory: unloaded after this long with nobody in them and nothing
/// happening (loaded again on the next use), and snapshotted every so many events.
struct room_lifecycle {
    std::chrono::seconds unload_after{600};
    std::int64_t snapshot_every = 500;
};

class service : public auth::guest_provider {
public:
    /// Reports are filed in the library through `library` (library::filer).
    /// Reports are rendered as PDF and ODT on `cpu`.
    service(db::pool& db, auth::service& auth, library::filer& library, metrics::registry& metrics,
            platform::topics& topics, worker_pool& cpu, room_limits limits = {}, room_lifecycle life = {});
    /// The network threads, where rooms fan their commits out while the server runs.
    void set_live(platform::live_executor& live) { env_.live = &live; }
    ~service() override;

    /// Unloads the rooms idle for `unload_after` (a periodic job); returns how many.
    std::size_t unload_idle_rooms();
    /// How often unload_idle_rooms should run.
    std::chrono::seconds unload_interval() const;

    void register_routes(net::router& r);

    /// The guest behind a request's relais_invite cookie, if its invite is live.
    asio::awaitable<std::optional<store::guest_row>> guest_of(const net::request& req);
    /// The same, for the auth module (WebSocket admission).
    asio::awaitable<std::optional<auth::guest_info>> authenticate_guest(const net::request& req) override;
    /// Account first, then guest.
    asio::awaitable<identity> identify(const net::request& req);

    // WebSocket messages (called on network threads; never block).
    /// Calls `done` once the socket is seated (or refused): the socket's next message
    /// must wait for it (an op right after a join is handled in the room).
    void ws_join(const std::shared_ptr<net::ws_connection>& c, const platform::peer& who, const json& msg,
                 std::function<void()> done);
    void ws_op(const std::shared_ptr<net::ws_connection>& c, const platform::peer& who, const json& msg);
    void ws_typing(const std::shared_ptr<net::ws_connection>& c, const platform::peer& who, const json& msg);
    void ws_leave(const std::shared_ptr<net::ws_connection>& c);

    /// The role of `who` in a workshop, or nullopt when they may not enter.
    static std::optional<role> role_for(const identity& who, const store::workshop_row& w);

    // The rules of creating and changing a workshop, in the caller's write (unit tests call
    // them with a connection). They throw api_error naming the offending field.
    /// A workshop is run by its creator and at most one co-facilitator (an animateur or an
    /// administrator: the ROC binôme, for instance); its template must exist, its CPTS and
    /// partners must be organisations. Returns its id; its log starts with workshop.created.
    static std::int64_t create_workshop(db::connection& c, const auth::directory& dir, const workshop_draft& d,
                                        const auth::principal& by, std::int64_t now_ms);
    /// Applies a facilitator's changes to `w` (read in the same write).
    static void update_workshop(db::connection& c, const auth::directory& dir, store::workshop_row& w,
                                const std::optional<std::vector<std::int64_t>>& partners, std::int64_t now);

    /// Seats an account in a workshop as `participant` or `facilitator`: the account must
    /// exist and be active, a member (role `membre`) does not facilitate, and a workshop
    /// has at most two facilitators (its creator and one co-facilitator).
    /// Returns false when the person already had that role (nothing changed). An archived
    /// workshop changes no more (409 atelier_ferme), here as in every method below.
    static bool set_member(db::connection& c, const auth::directory& dir, std::int64_t workshop, std::int64_t user,
                           const std::string& as);
    /// Takes someone out of a workshop (404 for someone not in it); never its last facilitator.
    static void remove_member(db::connection& c, const auth::directory& dir, std::int64_t workshop, std::int64_t user);
    /// 404 for an unknown workshop, 409 atelier_ferme for an archived one.
    static void check_not_archived(db::connection& c, const auth::directory& dir, std::int64_t workshop);
    /// Checked under the room's lock, against the board as applied: a state change must be
    /// an allowed transition; a new phase plan needs an open workshop and must keep the
    /// current phase.
    static void check_state_change(const room_state& st, const std::string& to);
    /// `base`: the `plan_seq` the composer started from, when it says (409 plan_modifie
    /// when the plan changed since).
    static void check_phase_plan(const room_state& st, std::size_t phases, std::optional<std::int64_t> base = std::nullopt);
    /// An invite link's terms from a request body: role `participant` or `observer`,
    /// valid 1 to 720 hours (72 by default), an optional label.
    struct invite_terms {
        std::string role;
        std::int64_t hours = 72;
        bool hours_given = false;  // else the link lasts at least until the day after the workshop
        std::string label;
    };
    static invite_terms parse_invite(const json& body);

    /// The public address of Relais (server.public_url), for the links in QR codes.
    void set_public_url(std::string url) { public_url_ = std::move(url); }
    /// Where links are made absolute: server.public_url, else the address the request came
    /// to when it is one of the server's origins, else "" (a path).
    std::string link_base(const net::request& req) const;
    /// A new invite's short code: 6 characters of an alphabet without look-alikes.
    static std::string random_code();
    /// A typed code in its stored form (upper case, spaces and dashes dropped), or "" when
    /// it cannot be a code.
    static std::string normalise_code(const std::string& typed);

    /// The key invite links are sealed with (so that they can be shown again).
    void set_invite_key(std::string key) { invite_key_ = std::move(key); }
    std::string seal_link(const std::string& token) const;
    /// The token of a sealed link, or "" (not sealed, or not by this key).
    std::string open_link(const std::string& sealed) const;

    /// Loads seed-content/templates/*.json (idempotent); returns how many were added.
    static int load_seed_templates(db::connection& c, const std::filesystem::path& seed_dir);

private:
    using room_ptr = std::shared_ptr<room>;
    using room_callback = std::function<void(room_ptr, std::exception_ptr)>;
    /// The loaded room, or loads it (once, however many wait) off the registry's lock.
    void with_room(std::int64_t id, room_callback then);
    void load_room(std::int64_t id);
    /// Seats a socket in the room (again in a fresh one if it was unloaded meanwhile).
    void seat_in(std::int64_t id, std::weak_ptr<net::ws_connection> weak, actor a, std::optional<std::int64_t> since,
                 std::function<void()> done);
    asio::awaitable<room_ptr> room_for(std::int64_t id);
    asio::awaitable<std::int64_t> submit(const room_ptr& r, const actor& a, const std::string& op, const json& data,
                                         std::function<void(const room_state&)> check,
                                         std::function<void(db::connection&)> extra);
    asio::awaitable<json> workshop_json(std::int64_t id, const identity& who, bool with_phases);
    asio::awaitable<store::workshop_row> load_for(std::int64_t id, const identity& who, bool facilitator_only, role& out);
    /// `keep_edits`: leave a report a facilitator edited as it is (closing the workshop).
    asio::awaitable<void> generate_report(std::int64_t id, bool keep_edits = false);
    /// One attempt at a code from `address`: 0, or the seconds until the next is allowed.
    std::int64_t take_code_attempt(const std::string& address);
    /// A route for the workshop's facilitators: `{id}` resolved and checked first.
    using facilitator_handler = std::function<asio::awaitable<net::response>(net::request&, const identity&, std::int64_t,
                                                                             store::workshop_row&)>;
    net::guarded_handler facilitated(facilitator_handler h);

    db::pool& db_;
    auth::service& auth_;
    room_limits limits_;
    room_lifecycle life_;
    library::filer& library_;
    std::string invite_key_;
    std::string public_url_;
    worker_pool& cpu_;
    metrics::gauge& rooms_loaded_;
    metrics::counter& room_loads_;
    metrics::counter& room_load_events_;
    metrics::counter& room_unloads_;
    metrics::counter& snapshots_;
    metrics::histogram& room_load_seconds_;
    // Where committed events are rendered and sent (see room.hpp): off the database writer.
    worker_pool fanout_{"live-fanout", 1};
    room_env env_;
    /// The registry's lock: short sections only (no load, no replay, no I/O under it).
    std::mutex mutex_;
    struct room_slot {
        room_ptr room;                        // null while loading
        std::vector<room_callback> waiters;   // non-empty while loading
    };
    std::map<std::int64_t, room_slot> rooms_;
    struct seat {
        std::weak_ptr<room> where;
        actor who;
        std::weak_ptr<net::ws_connection> conn;  // raw pointers get reused: check it is the same socket
    };
    std::optional<seat> seat_of(const std::shared_ptr<net::ws_connection>& c);
    /// Closes (1008, `reason`) the sockets seated in workshop `room_id` (0: any) whose
    /// identity key is in `keys`.
    void disconnect(std::int64_t room_id, const std::set<std::string>& keys, const char* reason);
    /// Guests whose access ended (their invite revoked, the workshop archived): their
    /// sockets are closed with `reason`.
    void end_guests(std::int64_t workshop, const std::vector<std::int64_t>& guests, const char* reason);
    /// Retires and forgets the room of a workshop being deleted, and closes its sockets.
    void drop_room(std::int64_t id, const char* reason);
    std::map<const net::ws_connection*, seat> seats_;
    struct join_bucket {
        double tokens;
        std::chrono::steady_clock::time_point last;
    };
    /// Takes one from an address's bucket refilled at `per_hour` (under joins_mutex_): 0, or
    /// when it is empty the seconds until one is there again.
    static std::int64_t take_from(std::map<std::string, join_bucket>& buckets, const std::string& address, double per_hour);
    std::mutex joins_mutex_;
    std::map<std::string, join_bucket> joins_by_address_;
    std::map<std::string, join_bucket> codes_by_address_;
    /// One guest arrival from `address`: 0, or when its hourly budget is spent the seconds
    /// until the next one is allowed.
    std::int64_t take_join(const std::string& address);
};

}  // namespace relais::workshops
