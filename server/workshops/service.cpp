#include "workshops/service.hpp"

#include "common/errors.hpp"
#include "common/json_input.hpp"
#include "common/log.hpp"
#include "common/time.hpp"
#include "common/worker_pool.hpp"
#include "workshops/report.hpp"

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace relais::workshops {
namespace {

const std::set<std::string> stages{"lettre_intention", "projet_sante", "pre_aci", "post_conventionnement"};

bool transition_allowed(const std::string& from, const std::string& to) {
    static const std::set<std::pair<std::string, std::string>> allowed{
        {"draft", "scheduled"}, {"draft", "live"},   {"scheduled", "draft"}, {"scheduled", "live"},
        {"live", "closed"},     {"closed", "live"},  {"closed", "archived"}};
    return allowed.count({from, to}) > 0;
}

actor actor_of(const identity& who, role r) { return actor{who.key(), who.name(), r}; }

std::int64_t now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

void send_error(const std::shared_ptr<net::ws_connection>& c, const std::string& id, const api_error& e) {
    json m = {{"type", "error"}, {"code", e.code()}, {"message", e.message()}};
    if (!id.empty()) m["id"] = id;
    if (!e.field().empty()) m["field"] = e.field();
    c->send(m.dump());
}

std::int64_t workshop_field(const json& msg) {
    auto it = msg.find("workshop");
    if (it == msg.end() || !it->is_number_integer() || it->get<std::int64_t>() <= 0) throw api_error(errors::invalid_field, "workshop");
    return it->get<std::int64_t>();
}

json workshop_to_json(const store::workshop_row& w, const std::optional<role>& mine) {
    json partners = json::array(), facilitators = json::array(), members = json::array();
    for (const auto& [id, name] : w.partners) partners.push_back({{"id", id}, {"name", name}});
    for (const auto& p : w.people) (p.role == "facilitator" ? facilitators : members).push_back({{"id", p.user_id}, {"name", p.name}});
    return {{"id", w.id},
            {"title", w.title},
            {"subject", w.subject},
            {"stage", w.stage},
            {"state", w.state},
            {"date", w.date},
            {"template", w.template_slug},
            {"cpts", w.cpts_id ? json{{"id", *w.cpts_id}, {"name", w.cpts_name.value_or("")}} : json(nullptr)},
            {"partners", partners},
            {"facilitators", facilitators},
            {"members", members},
            {"created_at", w.created_at},
            {"report_generated_at", w.report_generated_at ? json(to_iso8601(*w.report_generated_at)) : json(nullptr)},
            {"my_role", mine ? json(role_name(*mine)) : json(nullptr)}};
}

std::vector<std::int64_t> id_list(const json& body, const char* field) {
    std::vector<std::int64_t> out;
    auto it = body.find(field);
    if (it == body.end() || it->is_null()) return out;
    if (!it->is_array() || it->size() > 50) throw api_error(errors::invalid_field, field);
    for (const auto& v : *it) {
        if (!v.is_number_integer() || v.get<std::int64_t>() <= 0) throw api_error(errors::invalid_field, field);
        out.push_back(v.get<std::int64_t>());
    }
    return out;
}

std::string date_value(const json& body) {
    auto d = json_input::optional_string(body, "date", 25).value_or("");
    static const std::regex iso("^[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2})?)?$");
    if (!d.empty() && (!std::regex_match(d, iso) || !valid_calendar_date(std::string_view(d).substr(0, 10))))
        throw api_error(errors::invalid_field, "date");
    if (d.size() > 10) {
        int hh = (d[11] - '0') * 10 + (d[12] - '0'), mm = (d[14] - '0') * 10 + (d[15] - '0');
        int ss = d.size() > 16 ? (d[17] - '0') * 10 + (d[18] - '0') : 0;
        if (hh > 23 || mm > 59 || ss > 59) throw api_error(errors::invalid_field, "date");
    }
    return d;
}

}  // namespace

service::service(db::pool& db, auth::service& auth, room_limits limits) : db_(db), auth_(auth), limits_(limits) {}

std::optional<role> service::role_for(const identity& who, const store::workshop_row& w) {
    if (who.guest) {
        if (who.guest->workshop_id != w.id) return std::nullopt;
        return who.guest->role == "observer" ? role::observer : role::participant;
    }
    if (!who.account) return std::nullopt;
    const auto& u = who.account->account;
    if (u.role == "admin") return role::facilitator;
    for (const auto& p : w.people)
        if (p.user_id == u.id) return p.role == "facilitator" ? role::facilitator : role::participant;
    if (u.role == "animateur") return role::observer;
    return std::nullopt;
}

int service::load_seed_templates(db::connection& c, const std::filesystem::path& seed_dir) {
    int added = 0;
    auto dir = seed_dir / "templates";
    if (!std::filesystem::exists(dir)) return 0;
    std::vector<std::filesystem::path> files;
    for (const auto& f : std::filesystem::directory_iterator(dir))
        if (f.path().extension() == ".json") files.push_back(f.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
        std::ifstream in(f);
        std::stringstream ss;
        ss << in.rdbuf();
        auto j = json::parse(ss.str(), nullptr, false);
        if (j.is_discarded() || !j.is_object()) throw std::runtime_error(f.string() + ": not a JSON object");
        store::template_row t;
        try {
            t.slug = json_input::required_string(j, "slug", 60);
            t.name = json_input::required_string(j, "name", 200);
            t.description = json_input::optional_string(j, "description", 2000).value_or("");
            t.phases = to_json(parse_phases(j.value("phases", json())));
        } catch (const api_error& e) {
            throw std::runtime_error(f.string() + ": invalid template (" + e.field() + ")");
        }
        t.built_in = true;
        if (store::insert_template(c, t, std::nullopt, unix_now())) ++added;
    }
    return added;
}

bool service::take_join(const std::string& address) {
    auto now = std::chrono::steady_clock::now();
    double burst = limits_.guest_joins_per_hour_per_address;
    std::lock_guard lock(joins_mutex_);
    if (joins_by_address_.size() > 100000) joins_by_address_.clear();  // bounded under address churn
    auto [it, fresh] = joins_by_address_.try_emplace(address, join_bucket{burst, now});
    auto& b = it->second;
    std::chrono::duration<double> dt = now - b.last;
    b.tokens = std::min(burst, b.tokens + dt.count() * burst / 3600.0);
    b.last = now;
    if (b.tokens < 1.0) return false;
    b.tokens -= 1.0;
    return true;
}

// ---- Rooms ------------------------------------------------------------------

void service::with_room(std::int64_t id, std::function<void(room_ptr, std::exception_ptr)> then) {
    room_ptr loaded;
    {
        std::lock_guard lock(mutex_);
        if (auto it = rooms_.find(id); it != rooms_.end()) {
            if (it->second->healthy()) loaded = it->second;
            else rooms_.erase(it);  // reload from the log
        }
    }
    if (loaded) return then(loaded, nullptr);
    auto log_events = std::make_shared<std::vector<event>>();
    auto found = std::make_shared<bool>(false);
    db_.read_async(
        [id, log_events, found](db::connection& c) {
            *found = store::workshop(c, id).has_value();
            if (*found) *log_events = store::events(c, id);
        },
        [this, id, log_events, found, then = std::move(then)](std::exception_ptr ep) {
            if (ep) return then(nullptr, ep);
            if (!*found) return then(nullptr, std::make_exception_ptr(api_error(errors::not_found)));
            room_ptr r;
            try {
                std::lock_guard lock(mutex_);
                auto& slot = rooms_[id];
                if (!slot || !slot->healthy()) slot = std::make_shared<room>(id, db_, std::move(*log_events), limits_);
                r = slot;
            } catch (...) {
                log::error("room_load_failed", {{"workshop", id}});
                {
                    std::lock_guard lock(mutex_);
                    rooms_.erase(id);
                }
                return then(nullptr, std::current_exception());
            }
            then(r, nullptr);
        });
}

asio::awaitable<service::room_ptr> service::room_for(std::int64_t id) {
    room_ptr out;
    std::function<void(std::function<void(std::exception_ptr)>)> start = [&](std::function<void(std::exception_ptr)> done) {
        with_room(id, [&out, done](room_ptr r, std::exception_ptr ep) {
            out = std::move(r);
            done(ep);
        });
    };
    co_await suspend_until(start);
    co_return out;
}

asio::awaitable<std::int64_t> service::submit(const room_ptr& r, const actor& a, const std::string& op, const json& data,
                                              std::function<void(const room_state&)> check,
                                              std::function<void(db::connection&)> extra) {
    std::int64_t seq = 0;
    std::function<void(std::function<void(std::exception_ptr)>)> start = [&](std::function<void(std::exception_ptr)> done) {
        r->submit_system(a, op, data, std::move(check), std::move(extra), [&seq, done](std::exception_ptr ep, std::int64_t s) {
            seq = s;
            done(ep);
        });
    };
    co_await suspend_until(start);
    co_return seq;
}

// ---- WebSocket ---------------------------------------------------------------

void service::ws_join(const std::shared_ptr<net::ws_connection>& c, const identity& who, const json& msg,
                      std::function<void()> done) {
    std::int64_t id;
    std::optional<std::int64_t> since;
    try {
        id = workshop_field(msg);
        if (auto it = msg.find("since"); it != msg.end() && !it->is_null()) {
            if (!it->is_number_integer() || it->get<std::int64_t>() < 0) throw api_error(errors::invalid_field, "since");
            since = it->get<std::int64_t>();
        }
    } catch (const api_error& e) {
        send_error(c, {}, e);
        return done();
    }
    ws_leave(c);
    log::debug("ws_join", {{"workshop", id}, {"who", who.key()}});
    auto w = std::make_shared<std::optional<store::workshop_row>>();
    // The identity was checked when the socket opened: check it again against what it is
    // now (session live, account active, its current role; invite not revoked).
    auto fresh = std::make_shared<std::optional<identity>>();
    std::weak_ptr<net::ws_connection> weak = c;
    db_.read_async(
        [w, id, who, fresh](db::connection& conn) {
            *w = store::workshop(conn, id);
            auto now = unix_now();
            if (who.guest) {
                if (store::guest_active(conn, who.guest->id, now)) *fresh = who;
            } else if (who.account) {
                if (auto u = auth::store::session_user(conn, who.account->session_hash, now)) {
                    identity now_who = who;
                    now_who.account->account = std::move(*u);
                    *fresh = std::move(now_who);
                }
            }
        },
        [this, w, weak, id, since, fresh, done](std::exception_ptr ep) {
            auto conn = weak.lock();
            if (!conn) return done();
            if (!ep && !*fresh) {
                send_error(conn, {}, api_error(errors::not_authenticated));
                conn->close(1008, "Accès expiré : reconnectez-vous");
                return done();
            }
            if (ep || !*w) {
                send_error(conn, {}, api_error(ep ? errors::internal : errors::not_found));
                return done();
            }
            auto r = role_for(**fresh, **w);
            if (!r) {
                send_error(conn, {}, api_error(errors::forbidden));
                return done();
            }
            auto a = actor_of(**fresh, *r);
            with_room(id, [this, weak, a, since, done](room_ptr rm, std::exception_ptr ep2) {
                auto conn2 = weak.lock();
                if (!conn2) return done();
                if (ep2) {
                    send_error(conn2, {}, api_error(errors::internal));
                    return done();
                }
                room_ptr previous;
                {
                    std::lock_guard lock(mutex_);
                    auto it = seats_.find(conn2.get());
                    if (it != seats_.end() && it->second.conn.lock() == conn2) previous = it->second.where.lock();
                    seats_[conn2.get()] = seat{rm, a, conn2};
                }
                // Two joins in flight: the last one wins, the socket is in one room.
                if (previous && previous != rm) previous->leave(conn2.get());
                rm->join(conn2, a, since);
                // Closed meanwhile (on_close already ran ws_leave): undo.
                if (conn2->closed()) ws_leave(conn2);
                done();
            });
        });
}

void service::ws_op(const std::shared_ptr<net::ws_connection>& c, const identity&, const json& msg) {
    std::string client_id;
    seat s;
    try {
        auto id = msg.find("id");
        if (id == msg.end() || !id->is_string() || id->get_ref<const std::string&>().empty() ||
            id->get_ref<const std::string&>().size() > 64)
            throw api_error(errors::invalid_field, "id");
        client_id = id->get<std::string>();
        auto wid = workshop_field(msg);
        auto op = msg.find("op");
        if (op == msg.end() || !op->is_string()) throw api_error(errors::unknown_operation, "op");
        auto found = seat_of(c);
        if (!found) throw api_error(errors::not_in_room);
        s = *found;
        auto r = s.where.lock();
        if (!r || r->id() != wid) throw api_error(errors::not_in_room);
        r->op(c, s.who, op->get<std::string>(), msg, client_id);
    } catch (const api_error& e) {
        send_error(c, client_id, e);
    }
}

void service::disconnect(std::int64_t room_id, const std::set<std::string>& keys, const char* reason) {
    std::vector<std::shared_ptr<net::ws_connection>> to_close;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [ptr, s] : seats_) {
            if (!keys.count(s.who.key)) continue;
            auto r = s.where.lock();
            if (room_id && (!r || r->id() != room_id)) continue;
            if (auto c = s.conn.lock()) to_close.push_back(std::move(c));
        }
    }
    // Lost access takes effect at once, not at the next join (1008: policy violation).
    for (const auto& c : to_close) c->close(1008, reason);
}

std::optional<service::seat> service::seat_of(const std::shared_ptr<net::ws_connection>& c) {
    std::lock_guard lock(mutex_);
    auto it = seats_.find(c.get());
    if (it == seats_.end()) return std::nullopt;
    if (it->second.conn.lock() != c) {
        seats_.erase(it);  // left by a socket that had the same address
        return std::nullopt;
    }
    return it->second;
}

void service::ws_typing(const std::shared_ptr<net::ws_connection>& c, const identity&, const json&) {
    auto s = seat_of(c);
    if (!s) return;  // ephemeral: dropped silently
    if (auto r = s->where.lock()) r->typing(c.get(), s->who);
}

void service::ws_leave(const std::shared_ptr<net::ws_connection>& c) {
    seat s;
    {
        std::lock_guard lock(mutex_);
        auto it = seats_.find(c.get());
        if (it == seats_.end()) return;
        s = it->second;
        seats_.erase(it);
    }
    if (auto r = s.where.lock()) r->leave(c.get());
}

// ---- HTTP ---------------------------------------------------------------------

asio::awaitable<std::optional<store::guest_row>> service::authenticate_guest(const net::request& req) {
    auto token = req.cookie(guest_cookie);
    if (!token || token->empty() || token->size() > 128) co_return std::nullopt;
    auto hash = auth::token_hash(*token);
    std::optional<store::guest_row> g;
    auto now = unix_now();
    co_await db_.read([&](db::connection& c) { g = store::guest_by_token(c, hash, now); });
    co_return g;
}

asio::awaitable<identity> service::identify(const net::request& req) {
    identity who;
    who.account = co_await auth_.authenticate(req);
    if (!who.account) who.guest = co_await authenticate_guest(req);
    co_return who;
}

asio::awaitable<store::workshop_row> service::load_for(std::int64_t id, const identity& who, bool facilitator_only, role& out) {
    std::optional<store::workshop_row> w;
    co_await db_.read([&](db::connection& c) { w = store::workshop(c, id); });
    if (!w) throw api_error(errors::not_found);
    auto r = role_for(who, *w);
    if (!r) throw api_error(who.guest ? errors::not_found : errors::forbidden);
    if (facilitator_only && *r != role::facilitator) throw api_error(errors::forbidden);
    out = *r;
    co_return std::move(*w);
}

asio::awaitable<json> service::workshop_json(std::int64_t id, const identity& who, bool with_phases) {
    role r;
    auto w = co_await load_for(id, who, false, r);
    std::optional<role> mine = r;
    json j = workshop_to_json(w, mine);
    if (with_phases) {
        auto rm = co_await room_for(id);
        auto st = rm->state();
        j["phases"] = to_json(st.phases);
        j["current_phase"] = st.current;
        j["seq"] = st.seq;
    }
    co_return j;
}

asio::awaitable<void> service::generate_report(std::int64_t id) {
    auto rm = co_await room_for(id);
    auto st = rm->state();
    std::optional<store::workshop_row> w;
    std::vector<std::string> names;
    co_await db_.read([&](db::connection& c) {
        w = store::workshop(c, id);
        // Everyone who acted on the board, and the workshop's people, with their organisation.
        auto s = c.prepare(
            "SELECT name, org, guest FROM ("
            " SELECT DISTINCT e.actor_name AS name, o.name AS org, e.actor_key LIKE 'g:%' AS guest"
            " FROM workshop_events e LEFT JOIN users u ON e.actor_key = 'u:' || u.id"
            " LEFT JOIN organisations o ON o.id = u.org_id"
            " WHERE e.workshop_id = ?1 AND e.actor_key <> 'system'"
            " UNION SELECT u.name, o.name, 0 FROM workshop_people p JOIN users u ON u.id = p.user_id"
            " LEFT JOIN organisations o ON o.id = u.org_id WHERE p.workshop_id = ?1"
            ") ORDER BY name");
        s.bind(1, id);
        while (s.step()) {
            std::string line = s.get_text(0);
            if (!s.is_null(1)) line += " (" + s.get_text(1) + ")";
            else if (s.get_int(2)) line += " (invité)";
            if (std::find(names.begin(), names.end(), line) == names.end()) names.push_back(line);
        }
    });
    if (!w) throw api_error(errors::not_found);
    auto report = make_report(*w, st, names, unix_now());
    co_await db_.write([&](db::connection& c) { store::save_report(c, id, report); });
}

net::handler service::facilitated(facilitator_handler h) {
    // Signed in, then the workshop must exist and the caller facilitate it.
    return auth_.guard(auth::access::signed_in,
                       [this, h = std::move(h)](net::request& req, const auth::principal& p) -> asio::awaitable<net::response> {
                           auto id = req.id_param("id");
                           identity who{p, std::nullopt};
                           role rl;
                           auto w = co_await load_for(id, who, true, rl);
                           auto res = co_await h(req, who, id, w);
                           co_return res;
                       });
}

void service::register_routes(net::router& r) {
    using net::request;
    using net::response;
    using auth::access;
    using auth::principal;

    r.add("GET", "/api/templates", auth_.guard(access::signed_in, [this](request&, const principal&) -> asio::awaitable<response> {
        std::vector<store::template_row> ts;
        co_await db_.read([&](db::connection& c) { ts = store::templates(c); });
        json list = json::array();
        for (const auto& t : ts)
            list.push_back({{"slug", t.slug}, {"name", t.name}, {"description", t.description}, {"built_in", t.built_in}, {"phases", t.phases}});
        auto res = response::json(200, {{"templates", list}});
        co_return res;
    }));

    r.add("POST", "/api/templates", auth_.guard(access::animateur, [this](request& req, const principal& p) -> asio::awaitable<response> {
        auto body = json_input::parse_object(req.body);
        store::template_row t;
        t.name = json_input::required_string(body, "name", 200);
        t.description = json_input::optional_string(body, "description", 2000).value_or("");
        if (auto from = json_input::optional_id(body, "from_workshop"); from && *from) {
            identity who{p, std::nullopt};
            role rl;
            co_await load_for(**from, who, true, rl);
            auto rm = co_await room_for(**from);
            t.phases = to_json(rm->state().phases);
        } else {
            t.phases = to_json(parse_phases(body.value("phases", json())));
        }
        t.slug = "modele-" + auth::random_token(6);
        auto uid = p.account.id;
        co_await db_.write([&](db::connection& c) { store::insert_template(c, t, uid, unix_now()); });
        auto res = response::json(201, {{"template", {{"slug", t.slug}, {"name", t.name}, {"description", t.description}, {"built_in", false}, {"phases", t.phases}}}});
        co_return res;
    }));

    r.add("GET", "/api/workshops", auth_.guard(access::signed_in, [this](request& req, const principal& p) -> asio::awaitable<response> {
        auto scope = req.query.count("scope") ? req.query.at("scope") : std::string("all");
        if (scope != "mine" && scope != "upcoming" && scope != "past" && scope != "all") throw api_error(errors::invalid_field, "scope");
        std::optional<std::int64_t> only;
        if (scope == "mine" || p.account.role == "membre") only = p.account.id;
        std::vector<store::workshop_row> ws;
        co_await db_.read([&](db::connection& c) { ws = store::workshops(c, only); });
        identity who{p, std::nullopt};
        json list = json::array();
        auto today = to_iso8601(unix_now()).substr(0, 10);
        for (const auto& w : ws) {
            // Past: closed or archived, or dated before today; upcoming: the rest.
            bool past = w.state == "closed" || w.state == "archived" || (!w.date.empty() && w.date.substr(0, 10) < today);
            if ((scope == "upcoming" && past) || (scope == "past" && !past)) continue;
            list.push_back(workshop_to_json(w, role_for(who, w)));
        }
        auto res = response::json(200, {{"workshops", list}});
        co_return res;
    }));

    r.add("POST", "/api/workshops", auth_.guard(access::animateur, [this](request& req, const principal& p) -> asio::awaitable<response> {
        auto body = json_input::parse_object(req.body);
        store::workshop_row w;
        w.title = json_input::required_string(body, "title", 200);
        w.subject = json_input::optional_string(body, "subject", 2000).value_or("");
        w.stage = json_input::required_string(body, "stage", 40);
        if (!stages.count(w.stage)) throw api_error(errors::invalid_field, "stage");
        w.date = date_value(body);
        w.template_slug = json_input::required_string(body, "template", 60);
        if (auto c = json_input::optional_id(body, "cpts_id"); c) w.cpts_id = *c;
        auto partners = id_list(body, "partner_ids");
        auto facilitators = id_list(body, "facilitator_ids");
        auto uid = p.account.id;
        std::erase(facilitators, uid);
        // A workshop is run by one or two animateurs (the ROC binôme, for instance).
        if (facilitators.size() > 1) throw api_error(errors::invalid_field, "facilitator_ids");
        std::int64_t id = 0;
        co_await db_.write([&](db::connection& c) {
            auto t = store::template_by_slug(c, w.template_slug);
            if (!t) throw api_error(errors::invalid_field, "template");
            if (w.cpts_id && !auth::store::org_by_id(c, *w.cpts_id)) throw api_error(errors::invalid_field, "cpts_id");
            for (auto o : partners)
                if (!auth::store::org_by_id(c, o)) throw api_error(errors::invalid_field, "partner_ids");
            auto now = unix_now();
            id = store::insert_workshop(c, w, uid, now);
            store::set_partners(c, id, partners);
            store::set_person(c, id, uid, "facilitator");
            for (auto f : facilitators) {
                auto u = auth::store::user_by_id(c, f);
                if (!u || (u->role != "animateur" && u->role != "admin")) throw api_error(errors::invalid_field, "facilitator_ids");
                store::set_person(c, id, f, "facilitator");
            }
            event created{1, "workshop.created", {{"phases", t->phases}, {"state", "draft"}}, "u:" + std::to_string(uid), p.account.name, std::nullopt, now_ms()};
            store::insert_event(c, id, created);
        });
        identity who{p, std::nullopt};
        auto j = co_await workshop_json(id, who, true);
        auto res = response::json(201, {{"workshop", j}});
        co_return res;
    }));

    r.add("GET", "/api/workshops/{id}", [this](request& req) -> asio::awaitable<response> {
        auto id = req.id_param("id");
        auto who = co_await identify(req);
        if (!who.account && !who.guest) throw api_error(errors::not_authenticated);
        auto j = co_await workshop_json(id, who, true);
        auto res = response::json(200, {{"workshop", j}});
        co_return res;
    });

    r.add("PATCH", "/api/workshops/{id}", facilitated([this](request& req, const identity& who, std::int64_t id, store::workshop_row& w) -> asio::awaitable<response> {
        auto body = json_input::parse_object(req.body);
        if (body.contains("title")) w.title = json_input::required_string(body, "title", 200);
        if (body.contains("subject")) w.subject = json_input::optional_string(body, "subject", 2000).value_or("");
        if (body.contains("stage")) {
            w.stage = json_input::required_string(body, "stage", 40);
            if (!stages.count(w.stage)) throw api_error(errors::invalid_field, "stage");
        }
        if (body.contains("date")) w.date = date_value(body);
        if (auto c = json_input::optional_id(body, "cpts_id"); c) w.cpts_id = *c;
        std::optional<std::vector<std::int64_t>> partners;
        if (body.contains("partner_ids")) partners = id_list(body, "partner_ids");
        co_await db_.write([&](db::connection& c) {
            if (w.cpts_id && !auth::store::org_by_id(c, *w.cpts_id)) throw api_error(errors::invalid_field, "cpts_id");
            store::update_workshop(c, w, unix_now());
            if (partners) {
                for (auto o : *partners)
                    if (!auth::store::org_by_id(c, o)) throw api_error(errors::invalid_field, "partner_ids");
                store::set_partners(c, id, *partners);
            }
        });
        auto j = co_await workshop_json(id, who, true);
        auto res = response::json(200, {{"workshop", j}});
        co_return res;
    }));

    r.add("POST", "/api/workshops/{id}/state", facilitated([this](request& req, const identity& who, std::int64_t id, store::workshop_row&) -> asio::awaitable<response> {
        auto body = json_input::parse_object(req.body);
        auto to = json_input::required_string(body, "state", 20);
        auto rm = co_await room_for(id);
        json data = {{"state", to}};
        auto a = actor_of(who, role::facilitator);
        std::string op = "workshop.state";
        // Checked under the room's lock: two concurrent changes cannot both pass.
        std::function<void(const room_state&)> check = [to](const room_state& st) {
            if (!transition_allowed(st.workshop_state, to)) throw api_error(errors::bad_transition, "state");
        };
        std::function<void(db::connection&)> extra = [id, to](db::connection& c) { store::set_state(c, id, to, unix_now()); };
        co_await submit(rm, a, op, data, std::move(check), std::move(extra));
        if (to == "closed") co_await generate_report(id);
        auto j = co_await workshop_json(id, who, true);
        auto res = response::json(200, {{"workshop", j}});
        co_return res;
    }));

    r.add("PUT", "/api/workshops/{id}/phases", facilitated([this](request& req, const identity& who, std::int64_t id, store::workshop_row&) -> asio::awaitable<response> {
        auto body = json_input::parse_object(req.body);
        auto phases = parse_phases(body.value("phases", json()));
        auto rm = co_await room_for(id);
        json data = {{"phases", to_json(phases)}};
        auto a = actor_of(who, role::facilitator);
        std::string op = "phases.set";
        auto count = phases.size();
        std::function<void(const room_state&)> check = [count](const room_state& st) {
            if (st.workshop_state == "closed" || st.workshop_state == "archived") throw api_error(errors::workshop_closed);
            if (st.current >= count) throw api_error(errors::wrong_phase, "phases");
        };
        std::function<void(db::connection&)> no_extra;
        co_await submit(rm, a, op, data, std::move(check), std::move(no_extra));
        auto j = co_await workshop_json(id, who, true);
        auto res = response::json(200, {{"workshop", j}});
        co_return res;
    }));

    r.add("POST", "/api/workshops/{id}/members", facilitated([this](request& req, const identity& who, std::int64_t id, store::workshop_row&) -> asio::awaitable<response> {
        auto body = json_input::parse_object(req.body);
        auto user = json_input::optional_id(body, "user_id");
        if (!user || !*user) throw api_error(errors::invalid_field, "user_id");
        auto uid = **user;
        auto as = json_input::optional_string(body, "role", 20).value_or("participant");
        if (as != "participant" && as != "facilitator") throw api_error(errors::invalid_field, "role");
        co_await db_.write([&](db::connection& c) {
            auto u = auth::store::user_by_id(c, uid);
            if (!u || !u->active) throw api_error(errors::invalid_field, "user_id");
            if (as == "facilitator" && u->role == "membre") throw api_error(errors::invalid_field, "role");
            if (as == "facilitator") {
                auto current = store::workshop(c, id);
                int others = 0;
                for (const auto& person : current->people)
                    if (person.role == "facilitator" && person.user_id != uid) ++others;
                if (others >= 2) throw api_error(errors::invalid_field, "role");
            }
            store::set_person(c, id, uid, as);
        });
        // A seated socket of this person keeps the role it joined with: it rejoins.
        disconnect(id, {"u:" + std::to_string(uid)}, "Votre rôle dans l'atelier a changé");
        auto j = co_await workshop_json(id, who, true);
        auto res = response::json(200, {{"workshop", j}});
        co_return res;
    }));

    r.add("DELETE", "/api/workshops/{id}/members/{user_id}", facilitated([this](request& req, const identity& who, std::int64_t id, store::workshop_row&) -> asio::awaitable<response> {
        auto uid = req.id_param("user_id");
        co_await db_.write([&](db::connection& c) {
            auto current = store::workshop(c, id);
            int facilitators = 0;
            bool target_facilitates = false;
            for (const auto& person : current->people) {
                if (person.role == "facilitator") ++facilitators;
                if (person.user_id == uid && person.role == "facilitator") target_facilitates = true;
            }
            if (target_facilitates && facilitators == 1) throw api_error(errors::bad_transition, "user_id");
            store::remove_person(c, id, uid);
        });
        disconnect(id, {"u:" + std::to_string(uid)}, "Vous ne faites plus partie de cet atelier");
        auto j = co_await workshop_json(id, who, true);
        auto res = response::json(200, {{"workshop", j}});
        co_return res;
    }));

    r.add("GET", "/api/workshops/{id}/invites", facilitated([this](request&, const identity&, std::int64_t id, store::workshop_row&) -> asio::awaitable<response> {
        std::vector<store::invite_row> list;
        co_await db_.read([&](db::connection& c) { list = store::invites(c, id); });
        json out = json::array();
        for (const auto& i : list)
            out.push_back({{"id", i.id}, {"role", i.role}, {"label", i.label}, {"expires_at", to_iso8601(i.expires_at)},
                           {"revoked", i.revoked}, {"guests", i.guests}});
        auto res = response::json(200, {{"invites", out}});
        co_return res;
    }));

    r.add("POST", "/api/workshops/{id}/invites", facilitated([this](request& req, const identity& who, std::int64_t id, store::workshop_row&) -> asio::awaitable<response> {
        auto body = json_input::parse_object(req.body);
        auto as = json_input::required_string(body, "role", 20);
        if (as != "participant" && as != "observer") throw api_error(errors::invalid_field, "role");
        std::int64_t hours = 72;
        if (auto it = body.find("hours"); it != body.end() && !it->is_null()) {
            if (!it->is_number_integer() || it->get<std::int64_t>() < 1 || it->get<std::int64_t>() > 720) throw api_error(errors::invalid_field, "hours");
            hours = it->get<std::int64_t>();
        }
        auto label = json_input::optional_string(body, "label", 120).value_or("");
        auto token = auth::random_token();
        auto hash = auth::token_hash(token);
        auto now = unix_now();
        auto expires = now + hours * 3600;
        auto uid = who.account->account.id;
        std::int64_t invite_id = 0;
        co_await db_.write([&](db::connection& c) { invite_id = store::insert_invite(c, id, hash, as, label, expires, uid, now); });
        std::string path = "/invitation/" + token;
        auto origin = req.header("origin");
        json invite = {{"id", invite_id}, {"role", as}, {"label", label}, {"expires_at", to_iso8601(expires)}, {"revoked", false},
                       {"guests", 0}, {"token", token}, {"path", path}, {"url", origin.empty() ? path : origin + path}};
        auto res = response::json(201, {{"invite", invite}});
        res.header("Cache-Control", "no-store");
        co_return res;
    }));

    r.add("DELETE", "/api/workshops/{id}/invites/{invite_id}", facilitated([this](request& req, const identity&, std::int64_t id, store::workshop_row&) -> asio::awaitable<response> {
        auto invite_id = req.id_param("invite_id");
        bool found = false;
        std::vector<std::int64_t> guests;
        co_await db_.write([&](db::connection& c) { found = store::revoke_invite(c, id, invite_id, guests); });
        if (!found) throw api_error(errors::not_found);
        std::set<std::string> keys;
        for (auto g : guests) keys.insert("g:" + std::to_string(g));
        disconnect(id, keys, "Invitation révoquée");
        for (auto g : guests) {
            auth::access_change ended{auth::access_change::kind::guest_ended};
            ended.guest_id = g;
            auth_.notify(ended);
        }
        auto done = response::no_content();
        co_return done;
    }));

    r.add("GET", "/api/invites/{token}", [this](request& req) -> asio::awaitable<response> {
        auto token = req.params.at("token");
        if (token.size() > 128) throw api_error(errors::invalid_invite);
        auto hash = auth::token_hash(token);
        std::optional<store::invite_row> inv;
        std::optional<store::workshop_row> w;
        auto now = unix_now();
        co_await db_.read([&](db::connection& c) {
            inv = store::live_invite(c, hash, now);
            if (inv) w = store::workshop(c, inv->workshop_id);
        });
        if (!inv || !w || w->state == "closed" || w->state == "archived") throw api_error(errors::invalid_invite);
        auto res = response::json(200, {{"workshop", {{"id", w->id}, {"title", w->title}, {"date", w->date}, {"state", w->state}}}, {"role", inv->role}});
        res.header("Cache-Control", "no-store");
        co_return res;
    });

    r.add("POST", "/api/invites/{token}/join", [this](request& req) -> asio::awaitable<response> {
        auto token = req.params.at("token");
        if (token.size() > 128) throw api_error(errors::invalid_invite);
        auto body = json_input::parse_object(req.body);
        auto name = json_input::required_string(body, "name", 80);
        // Each guest is a new person to the per-person limits: arrivals are bounded per
        // link and per address, so that one link cannot mint an army.
        if (!take_join(req.client_address))
            throw api_error(errors::rate_limited, {}, "Trop d'arrivées depuis cette adresse : réessayez dans quelques minutes.");
        auto hash = auth::token_hash(token);
        auto guest_token = auth::random_token();
        auto guest_hash = auth::token_hash(guest_token);
        auto now = unix_now();
        std::optional<store::guest_row> g;
        std::int64_t expires = 0;
        co_await db_.write([&](db::connection& c) {
            auto inv = store::live_invite(c, hash, now);
            if (!inv) throw api_error(errors::invalid_invite);
            auto w = store::workshop(c, inv->workshop_id);
            if (!w || w->state == "closed" || w->state == "archived") throw api_error(errors::invalid_invite);
            expires = inv->expires_at;
            if (store::count_guests(c, inv->id) >= limits_.guests_per_invite) throw api_error(errors::invite_full);
            store::insert_guest(c, inv->id, name, guest_hash, now, expires);
            g = store::guest_by_token(c, guest_hash, now);
        });
        auto res = response::json(200, {{"guest", {{"id", g->id}, {"name", g->name}, {"role", g->role}, {"workshop_id", g->workshop_id}}}});
        std::string cookie = std::string(guest_cookie) + "=" + guest_token + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
                             std::to_string(std::max<std::int64_t>(60, expires - now));
        if (req.secure || auth_.opts().always_secure_cookies) cookie += "; Secure";
        res.header("Set-Cookie", cookie);
        res.header("Cache-Control", "no-store");
        co_return res;
    });

    r.add("DELETE", "/api/invites/session", [this](request& req) -> asio::awaitable<response> {
        if (auto token = req.cookie(guest_cookie); token && !token->empty() && token->size() <= 128) {
            auto hash = auth::token_hash(*token);
            std::optional<store::guest_row> g;
            auto now = unix_now();
            co_await db_.write([&](db::connection& c) {
                g = store::guest_by_token(c, hash, now);
                store::delete_guest(c, hash);
            });
            if (g) {
                // The guest's open sockets end with the sign-out.
                disconnect(0, {"g:" + std::to_string(g->id)}, "Vous avez quitté l'atelier");
                auth::access_change ended{auth::access_change::kind::guest_ended};
                ended.guest_id = g->id;
                auth_.notify(ended);
            }
        }
        auto res = response::no_content();
        res.header("Set-Cookie", std::string(guest_cookie) + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
        co_return res;
    });

    // Reports: readable by anyone who may enter the workshop (guests included).
    auto report_route = [this](std::string kind) {
        return [this, kind](request& req) -> asio::awaitable<response> {
            auto id = req.id_param("id");
            auto who = co_await identify(req);
            if (!who.account && !who.guest) throw api_error(errors::not_authenticated);
            role rl;
            auto w = co_await load_for(id, who, false, rl);
            std::optional<store::report_row> rep;
            co_await db_.read([&](db::connection& c) { rep = store::report(c, id); });
            if (!rep) throw api_error(errors::not_found);
            auto filename = "compte-rendu-atelier-" + std::to_string(id);
            response res;
            if (kind == "json") {
                res = response::json(200, {{"report", {{"generated_at", to_iso8601(rep->generated_at)}, {"seq", rep->seq}, {"markdown", rep->markdown}}}});
            } else if (kind == "md") {
                res = response::text(200, rep->markdown, "text/markdown; charset=utf-8");
                res.header("Content-Disposition", "attachment; filename=\"" + filename + ".md\"");
            } else if (kind == "html") {
                res = response::text(200, report_html("Compte rendu — " + w.title, rep->markdown), "text/html; charset=utf-8");
            } else if (kind == "actions") {
                res = response::text(200, rep->actions_csv, "text/csv; charset=utf-8");
                res.header("Content-Disposition", "attachment; filename=\"actions-atelier-" + std::to_string(id) + ".csv\"");
            } else {
                res = response::text(200, rep->indicators_csv, "text/csv; charset=utf-8");
                res.header("Content-Disposition", "attachment; filename=\"indicateurs-atelier-" + std::to_string(id) + ".csv\"");
            }
            res.header("Cache-Control", "no-store");
            co_return res;
        };
    };
    r.add("GET", "/api/workshops/{id}/report", report_route("json"));
    r.add("GET", "/api/workshops/{id}/report.md", report_route("md"));
    r.add("GET", "/api/workshops/{id}/report.html", report_route("html"));
    r.add("GET", "/api/workshops/{id}/actions.csv", report_route("actions"));
    r.add("GET", "/api/workshops/{id}/indicators.csv", report_route("indicators"));

    r.add("POST", "/api/workshops/{id}/report", facilitated([this](request&, const identity&, std::int64_t id, store::workshop_row&) -> asio::awaitable<response> {
        co_await generate_report(id);
        std::optional<store::report_row> rep;
        co_await db_.read([&](db::connection& c) { rep = store::report(c, id); });
        auto res = response::json(201, {{"report", {{"generated_at", to_iso8601(rep->generated_at)}, {"seq", rep->seq}, {"markdown", rep->markdown}}}});
        co_return res;
    }));

    // The report becomes (or updates) a "compte rendu" of the library: published at once
    // when an animateur files it, else waiting for review like any contribution.
    r.add("POST", "/api/workshops/{id}/report/library", facilitated([this](request&, const identity& who, std::int64_t id, store::workshop_row& w) -> asio::awaitable<response> {
        if (!file_report_ || !who.account) throw api_error(errors::forbidden);
        std::optional<store::report_row> rep;
        co_await db_.read([&](db::connection& c) { rep = store::report(c, id); });
        if (!rep) throw api_error(errors::not_found);
        static const std::map<std::string, std::string> phase_of_stage{
            {"lettre_intention", "lettre_intention"}, {"projet_sante", "projet_sante"},
            {"pre_aci", "contractualisation"}, {"post_conventionnement", "dialogue_gestion"}};
        std::vector<std::string> phases;
        if (auto it = phase_of_stage.find(w.stage); it != phase_of_stage.end()) phases.push_back(it->second);
        std::string title = "Compte rendu — " + w.title;
        if (title.size() > 200) title = w.title;
        std::string summary = w.subject.empty() ? "Compte rendu de l'atelier « " + w.title + " »." : w.subject;
        std::string markdown = rep->markdown;
        auth::principal by = *who.account;
        json filed = co_await file_report_(id, title, summary, markdown, phases, by);
        auto res = response::json(201, filed);
        co_return res;
    }));
}

}  // namespace relais::workshops
