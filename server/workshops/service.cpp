#include "workshops/service.hpp"

#include "workshops/errors.hpp"
#include "common/json_input.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"
#include "common/time.hpp"
#include "common/worker_pool.hpp"
#include "reference/data.hpp"
#include "search/text.hpp"
#include "workshops/detail.hpp"
#include "workshops/report.hpp"

#include <sodium.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace relais::workshops {
namespace detail {

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
    // Years 2000 to 2099: a workshop's date, not a calendar's limits (year 9999 made invite
    // expiries that ISO 8601 readers refuse).
    static const std::regex iso("^20[0-9]{2}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2})?)?$");
    if (!d.empty() && (!std::regex_match(d, iso) || !valid_calendar_date(std::string_view(d).substr(0, 10))))
        throw api_error(errors::invalid_field, "date");
    if (d.size() > 10) {
        int hh = (d[11] - '0') * 10 + (d[12] - '0'), mm = (d[14] - '0') * 10 + (d[15] - '0');
        int ss = d.size() > 16 ? (d[17] - '0') * 10 + (d[18] - '0') : 0;
        if (hh > 23 || mm > 59 || ss > 59) throw api_error(errors::invalid_field, "date");
    }
    return d;
}

std::int64_t workshop_day_end(const std::string& date, int days_after) {
    if (date.size() < 10) return 0;
    int y = 0, m = 0, d = 0;
    if (std::sscanf(date.c_str(), "%4d-%2d-%2d", &y, &m, &d) != 3) return 0;
    // Midnight in Paris, counted in local days: a day around a change of time has 23 or 25 hours.
    return paris_local_to_utc((days_from_civil(y, m, d) + 1 + days_after) * 86400);
}

}  // namespace detail
using namespace detail;

service::service(db::pool& db, auth::service& auth, library::filer& library, metrics::registry& metrics,
                 platform::topics& topics, worker_pool& cpu, room_limits limits, room_lifecycle life)
    : db_(db), auth_(auth), limits_(limits), life_(life), library_(library), cpu_(cpu),
      rooms_loaded_(metrics.get_gauge("relais_workshop_rooms_loaded", "Live workshop rooms in memory.")),
      room_loads_(metrics.get_counter("relais_workshop_room_loads_total", "Rooms loaded from the database (latest snapshot, then the events after it).")),
      room_load_events_(metrics.get_counter("relais_workshop_room_load_events_total", "Events replayed on top of a snapshot (or from the start) to load rooms.")),
      room_unloads_(metrics.get_counter("relais_workshop_room_unloads_total", "Idle rooms unloaded from memory.")),
      snapshots_(metrics.get_counter("relais_workshop_snapshots_total", "Room snapshots written.")),
      room_load_seconds_(metrics.get_histogram("relais_workshop_room_load_seconds", "Time to load a room: read and replay, on a reader thread.")),
      env_{db, fanout_, topics, limits, life.snapshot_every, &snapshots_} {}

// The fan-out finishes what it has (the database has stopped by now: app.cpp).
service::~service() { fanout_.stop(); }

std::chrono::seconds service::unload_interval() const {
    return std::clamp(std::chrono::seconds(life_.unload_after.count() / 4), std::chrono::seconds(1), std::chrono::seconds(60));
}

std::size_t service::unload_idle_rooms() {
    auto now = std::chrono::steady_clock::now();
    std::size_t n = 0;
    {
        std::lock_guard lock(mutex_);
        for (auto it = rooms_.begin(); it != rooms_.end();) {
            auto& slot = it->second;
            // Retired under this lock: whoever looks the room up next loads a fresh one.
            if (slot.room && slot.waiters.empty() && slot.room->retire_if_idle(now, life_.unload_after)) {
                it = rooms_.erase(it);
                ++n;
            } else {
                ++it;
            }
        }
    }
    if (n) {
        rooms_loaded_.add(-static_cast<std::int64_t>(n));
        room_unloads_.inc(n);
        log::info("rooms_unloaded", {{"rooms", n}});
    }
    return n;
}

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
            t.name = json_input::required_line(j, "name", 200);
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

namespace {
// The CPTS a workshop is for: an organisation of type CPTS (partners may be any).
void check_cpts(db::connection& c, const auth::directory& dir, std::int64_t id) {
    auto o = dir.find_org(c, id);
    if (!o) throw api_error(errors::invalid_field, "cpts_id");
    if (o->type != "cpts") throw api_error(errors::invalid_field, "cpts_id", "Choisissez une CPTS : cette organisation n’en est pas une.");
}
}  // namespace

std::int64_t service::create_workshop(db::connection& c, const auth::directory& dir, const workshop_draft& d,
                                      const auth::principal& by, std::int64_t now_ms) {
    if (!reference::contains(reference::workshop_stages(), d.stage)) throw api_error(errors::invalid_field, "stage");
    auto facilitators = d.co_facilitators;
    std::erase(facilitators, by.account.id);
    if (facilitators.size() > 1) throw api_error(errors::invalid_field, "facilitator_ids");
    auto t = store::template_by_slug(c, d.template_slug);
    if (!t) throw api_error(errors::invalid_field, "template");
    if (d.cpts_id) check_cpts(c, dir, *d.cpts_id);
    auto partners = d.partners.value_or(std::vector<std::int64_t>{});
    for (auto o : partners)
        if (!dir.find_org(c, o)) throw api_error(errors::invalid_field, "partner_ids");
    store::workshop_row w;
    w.title = d.title;
    w.subject = d.subject;
    w.stage = d.stage;
    w.date = d.date;
    w.template_slug = d.template_slug;
    w.cpts_id = d.cpts_id;
    auto now = now_ms / 1000;
    auto id = store::insert_workshop(c, w, by.account.id, now);
    store::set_partners(c, id, partners);
    store::set_person(c, id, by.account.id, "facilitator");
    for (auto f : facilitators) {
        auto u = dir.find_user(c, f);
        if (!u || !u->active || (u->role != "animateur" && u->role != "admin")) throw api_error(errors::invalid_field, "facilitator_ids");
        store::set_person(c, id, f, "facilitator");
    }
    event created{1, "workshop.created", {{"phases", t->phases}, {"state", "draft"}}, "u:" + std::to_string(by.account.id),
                  by.account.name, std::nullopt, now_ms};
    store::insert_event(c, id, created);
    return id;
}

namespace {
// An archived workshop is kept as it ended: its record, members, invitations and report
// no longer change (it can still be read, duplicated, and its report filed).
store::workshop_row not_archived(db::connection& c, const auth::directory& dir, std::int64_t workshop) {
    auto current = store::workshop(c, dir, workshop);
    if (!current) throw api_error(errors::not_found);
    if (current->state == "archived")
        throw api_error(errors::workshop_closed, "state", "L'atelier est archivé : il ne change plus.");
    return std::move(*current);
}
}  // namespace

void service::check_not_archived(db::connection& c, const auth::directory& dir, std::int64_t workshop) {
    not_archived(c, dir, workshop);
}

void service::update_workshop(db::connection& c, const auth::directory& dir, store::workshop_row& w,
                              const std::optional<std::vector<std::int64_t>>& partners, std::int64_t now) {
    auto was = not_archived(c, dir, w.id);
    if (!reference::contains(reference::workshop_stages(), w.stage)) throw api_error(errors::invalid_field, "stage");
    if (w.cpts_id && w.cpts_id != was.cpts_id) check_cpts(c, dir, *w.cpts_id);
    if (partners)
        for (auto o : *partners)
            if (!dir.find_org(c, o)) throw api_error(errors::invalid_field, "partner_ids");
    store::update_workshop(c, w, now);
    if (partners) store::set_partners(c, w.id, *partners);
}

bool service::set_member(db::connection& c, const auth::directory& dir, std::int64_t workshop, std::int64_t user,
                         const std::string& as) {
    if (as != "participant" && as != "facilitator") throw api_error(errors::invalid_field, "role");
    auto current = not_archived(c, dir, workshop);
    auto u = dir.find_user(c, user);
    if (!u || !u->active) throw api_error(errors::invalid_field, "user_id");
    for (const auto& person : current.people)
        if (person.user_id == user && person.role == as) return false;  // already so: nothing changes
    if (as == "facilitator") {
        if (u->role == "membre") throw api_error(errors::invalid_field, "role");
        int others = 0;
        for (const auto& person : current.people)
            if (person.role == "facilitator" && person.user_id != user) ++others;
        if (others >= 2) throw api_error(errors::invalid_field, "role", "Un atelier a deux animateurs au plus.");
    } else {
        // The last facilitator stays one (a workshop always has someone to run it).
        int facilitators = 0;
        bool target = false;
        for (const auto& person : current.people)
            if (person.role == "facilitator") {
                ++facilitators;
                target = target || person.user_id == user;
            }
        if (target && facilitators == 1) throw api_error(errors::bad_transition, "user_id");
    }
    store::set_person(c, workshop, user, as);
    return true;
}

void service::remove_member(db::connection& c, const auth::directory& dir, std::int64_t workshop, std::int64_t user) {
    auto current = not_archived(c, dir, workshop);
    int facilitators = 0;
    bool member = false, target_facilitates = false;
    for (const auto& person : current.people) {
        if (person.role == "facilitator") ++facilitators;
        if (person.user_id == user) member = true;
        if (person.user_id == user && person.role == "facilitator") target_facilitates = true;
    }
    if (!member) throw api_error(errors::not_found, "user_id");
    if (target_facilitates && facilitators == 1) throw api_error(errors::bad_transition, "user_id");
    store::remove_person(c, workshop, user);
}

void service::check_state_change(const room_state& st, const std::string& to) {
    if (!transition_allowed(st.workshop_state, to)) throw api_error(errors::bad_transition, "state");
}

void service::check_phase_plan(const room_state& st, std::size_t phases, std::optional<std::int64_t> base) {
    if (st.workshop_state == "closed" || st.workshop_state == "archived") throw api_error(errors::workshop_closed);
    if (base && *base != st.plan_seq) throw api_error(errors::plan_changed, "plan_seq");
    if (st.current >= phases) throw api_error(errors::wrong_phase, "phases");
}

service::invite_terms service::parse_invite(const json& body) {
    invite_terms t;
    t.role = json_input::required_string(body, "role", 20);
    if (t.role != "participant" && t.role != "observer") throw api_error(errors::invalid_field, "role");
    if (auto it = body.find("hours"); it != body.end() && !it->is_null()) {
        if (!it->is_number_integer() || it->get<std::int64_t>() < 1 || it->get<std::int64_t>() > 720)
            throw api_error(errors::invalid_field, "hours");
        t.hours = it->get<std::int64_t>();
        t.hours_given = true;
    }
    t.label = json_input::optional_line(body, "label", 120).value_or("");
    return t;
}

std::string service::seal_link(const std::string& token) const {
    if (invite_key_.size() != crypto_secretbox_KEYBYTES) return {};
    std::string out(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + token.size(), '\0');
    auto* bytes = reinterpret_cast<unsigned char*>(out.data());
    randombytes_buf(bytes, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(bytes + crypto_secretbox_NONCEBYTES, reinterpret_cast<const unsigned char*>(token.data()), token.size(), bytes,
                          reinterpret_cast<const unsigned char*>(invite_key_.data()));
    std::string hex(out.size() * 2 + 1, '\0');
    sodium_bin2hex(hex.data(), hex.size(), bytes, out.size());
    hex.pop_back();
    return hex;
}

std::string service::open_link(const std::string& sealed) const {
    if (invite_key_.size() != crypto_secretbox_KEYBYTES || sealed.empty() || sealed.size() > 1024) return {};
    std::string raw(sealed.size() / 2, '\0');
    std::size_t n = 0;
    if (sodium_hex2bin(reinterpret_cast<unsigned char*>(raw.data()), raw.size(), sealed.data(), sealed.size(), nullptr, &n, nullptr) != 0 ||
        n < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
        return {};
    const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
    std::string token(n - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES, '\0');
    if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(token.data()), bytes + crypto_secretbox_NONCEBYTES,
                                   n - crypto_secretbox_NONCEBYTES, bytes, reinterpret_cast<const unsigned char*>(invite_key_.data())) != 0)
        return {};
    return token;
}

std::int64_t service::take_from(std::map<std::string, join_bucket>& buckets, const std::string& address, double per_hour) {
    auto now = std::chrono::steady_clock::now();
    if (buckets.size() > 100000) buckets.clear();  // bounded under address churn
    auto [it, fresh] = buckets.try_emplace(address, join_bucket{per_hour, now});
    auto& b = it->second;
    std::chrono::duration<double> dt = now - b.last;
    b.tokens = std::min(per_hour, b.tokens + dt.count() * per_hour / 3600.0);
    b.last = now;
    if (b.tokens < 1.0) return std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil((1.0 - b.tokens) * 3600.0 / per_hour)));
    b.tokens -= 1.0;
    return 0;
}

std::int64_t service::take_code_attempt(const std::string& address) {
    std::lock_guard lock(joins_mutex_);
    return take_from(codes_by_address_, address, limits_.invite_code_attempts_per_hour_per_address);
}

// Without I, L, O, 0 and 1, which are read one for another when projected.
static constexpr std::string_view code_alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";

std::string service::random_code() {
    std::string code;
    for (int i = 0; i < 6; ++i) code += code_alphabet[randombytes_uniform(static_cast<std::uint32_t>(code_alphabet.size()))];
    return code;
}

std::string service::normalise_code(const std::string& raw) {
    if (raw.size() > 32) return {};
    // The spaces and dashes a French keyboard or a copy from a document puts between the
    // two halves: no-break, narrow no-break and thin spaces, en and em dashes.
    std::string typed = raw;
    for (std::string_view sep : {"\xC2\xA0", "\xE2\x80\xAF", "\xE2\x80\x89", "\xE2\x80\x93", "\xE2\x80\x94"})
        for (auto at = typed.find(sep); at != std::string::npos; at = typed.find(sep)) typed.erase(at, sep.size());
    std::string code;
    for (char c : typed) {
        if (c == ' ' || c == '-' || c == '.' || c == '\t') continue;
        char u = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
        if (code_alphabet.find(u) == std::string_view::npos) return {};
        code += u;
    }
    return code.size() == 6 ? code : std::string();
}

std::int64_t service::take_join(const std::string& address) {
    std::lock_guard lock(joins_mutex_);
    return take_from(joins_by_address_, address, limits_.guest_joins_per_hour_per_address);
}

// ---- Rooms ------------------------------------------------------------------

void service::with_room(std::int64_t id, room_callback then) {
    room_ptr loaded;
    bool start = false;
    {
        std::lock_guard lock(mutex_);
        auto& slot = rooms_[id];
        if (slot.room && !slot.room->usable()) {
            slot.room.reset();  // broken: reload from the log
            rooms_loaded_.add(-1);
        }
        if (slot.room) {
            loaded = slot.room;
        } else {
            // One load per room: whoever comes while it runs waits for that one.
            slot.waiters.push_back(std::move(then));
            start = slot.waiters.size() == 1;
        }
    }
    if (loaded) return then(loaded, nullptr);
    if (start) load_room(id);
}

void service::load_room(std::int64_t id) {
    auto made = std::make_shared<room_ptr>();
    auto found = std::make_shared<bool>(false);
    auto replayed = std::make_shared<std::size_t>(0);
    auto started = std::chrono::steady_clock::now();
    // Read and replayed on a reader thread, outside the registry's lock: a long log
    // delays only those who wait for this room, never the other rooms.
    db_.read_async(
        [this, id, made, found, replayed](db::connection& c) {
            *found = store::workshop(c, auth_, id).has_value();
            if (!*found) return;
            auto loaded = store::load_room(c, id, room::recent_max);
            std::int64_t from = loaded.snapshot ? loaded.snapshot->seq : 0;
            for (const auto& e : loaded.events) *replayed += e.seq > from ? 1 : 0;
            *made = std::make_shared<room>(id, env_, std::move(loaded));
        },
        [this, id, made, found, replayed, started](std::exception_ptr ep) {
            if (!ep && !*found) ep = std::make_exception_ptr(api_error(errors::not_found));
            else if (ep) {
                try {
                    std::rethrow_exception(ep);
                } catch (const std::exception& e) {
                    log::error("room_load_failed", {{"workshop", id}, {"what", e.what()}});
                }
            }
            std::vector<room_callback> waiters;
            {
                std::lock_guard lock(mutex_);
                auto it = rooms_.find(id);  // there: a slot with waiters is never erased
                waiters = std::move(it->second.waiters);
                it->second.waiters.clear();
                if (ep) {
                    rooms_.erase(it);
                } else {
                    it->second.room = *made;
                    rooms_loaded_.add(1);
                }
            }
            if (!ep) {
                std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
                room_loads_.inc();
                room_load_events_.inc(*replayed);
                room_load_seconds_.observe(took.count());
            }
            room_ptr r = ep ? nullptr : *made;
            for (auto& w : waiters) w(r, ep);
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
    room_ptr rm = r;
    for (;;) {
        std::int64_t seq = 0;
        bool retired = false;
        std::function<void(std::function<void(std::exception_ptr)>)> start = [&](std::function<void(std::exception_ptr)> done) {
            rm->submit_system(a, op, data, check, extra, [&seq, &retired, done](std::exception_ptr ep, std::int64_t s) {
                if (ep) {
                    try {
                        std::rethrow_exception(ep);
                    } catch (const room_retired&) {
                        retired = true;
                        return done(nullptr);
                    } catch (...) {
                    }
                }
                seq = s;
                done(ep);
            });
        };
        co_await suspend_until(start);
        if (!retired) co_return seq;
        // Unloaded between room_for and here: submit to the room loaded again.
        auto id = rm->id();
        rm = co_await room_for(id);
    }
}

// ---- WebSocket ---------------------------------------------------------------

void service::ws_join(const std::shared_ptr<net::ws_connection>& c, const platform::peer& who, const json& msg,
                      std::function<void()> done) {
    std::int64_t id;
    std::optional<std::int64_t> since;
    // One room per socket: a join leaves the previous room first, even when refused.
    ws_leave(c);
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
    log::debug("ws_join", {{"workshop", id}, {"who", who.key}});
    auto w = std::make_shared<std::optional<store::workshop_row>>();
    // The identity was checked when the socket opened: check it again against what it is
    // now (session live, account active, its current role; invite not revoked).
    auto fresh = std::make_shared<std::optional<identity>>();
    std::weak_ptr<net::ws_connection> weak = c;
    db_.read_async(
        [w, id, who, fresh, &directory = auth_](db::connection& conn) {
            *w = store::workshop(conn, directory, id);
            auto now = unix_now();
            if (who.guest_id) {
                if (auto g = store::active_guest(conn, who.guest_id, now)) *fresh = identity{std::nullopt, std::move(*g)};
            } else if (who.user_id) {
                if (auto p = directory.session(conn, who.session_hash, now)) *fresh = identity{std::move(*p), std::nullopt};
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
            if (ep) {
                send_error(conn, {}, api_error(errors::internal));
                return done();
            }
            if (!*w) {
                // Only those who see every workshop learn that this one does not exist.
                const auto& acc = (*fresh)->account;
                const bool sees_all = acc && (acc->account.role == "admin" || acc->account.role == "animateur");
                send_error(conn, {}, api_error(sees_all ? errors::not_found : errors::forbidden));
                return done();
            }
            auto r = role_for(**fresh, **w);
            if (!r) {
                send_error(conn, {}, api_error(errors::forbidden));
                return done();
            }
            seat_in(id, weak, actor_of(**fresh, *r), since, done);
        });
}

void service::seat_in(std::int64_t id, std::weak_ptr<net::ws_connection> weak, actor a, std::optional<std::int64_t> since,
                      std::function<void()> done) {
    with_room(id, [this, id, weak, a, since, done](room_ptr rm, std::exception_ptr ep) {
        auto conn = weak.lock();
        if (!conn) return done();
        if (ep) {
            send_error(conn, {}, api_error(errors::internal));
            return done();
        }
        room_ptr previous;
        {
            std::lock_guard lock(mutex_);
            auto it = seats_.find(conn.get());
            if (it != seats_.end() && it->second.conn.lock() == conn) previous = it->second.where.lock();
            seats_[conn.get()] = seat{rm, a, conn};
        }
        // Two joins in flight: the last one wins, the socket is in one room.
        if (previous && previous != rm) previous->leave(conn.get());
        // Unloaded between the registry and here (it was idle): the next look-up loads it.
        if (!rm->join(conn, a, since)) return seat_in(id, weak, a, since, done);
        // Present at the workshop (for the compte rendu): recorded off the network thread.
        if (rm->live())
            db_.write_async(
                [id, a](db::connection& c) { store::record_attendance(c, id, a.key, a.name, std::string(role_name(a.r)), unix_now()); },
                [](std::exception_ptr) {});
        // Closed meanwhile (on_close already ran ws_leave): undo.
        if (conn->closed()) ws_leave(conn);
        done();
    });
}

void service::ws_op(const std::shared_ptr<net::ws_connection>& c, const platform::peer&, const json& msg) {
    std::string client_id;
    seat s;
    try {
        auto id = msg.find("id");
        if (id == msg.end() || !id->is_string() || id->get_ref<const std::string&>().empty() ||
            id->get_ref<const std::string&>().size() > 64 || json_input::has_control(id->get_ref<const std::string&>()) ||
            id->get_ref<const std::string&>().find_first_of("\n\t") != std::string::npos)
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

void service::drop_room(std::int64_t id, const char* reason) {
    std::vector<std::shared_ptr<net::ws_connection>> to_close;
    bool dropped = false;
    room_ptr kept;  // alive until its sockets are found (the seats only point to it)
    {
        std::lock_guard lock(mutex_);
        if (auto it = rooms_.find(id); it != rooms_.end() && it->second.room) {
            kept = it->second.room;
            it->second.room->retire();
            if (it->second.waiters.empty()) {
                rooms_.erase(it);
                dropped = true;
            }
        }
        for (const auto& [ptr, s] : seats_) {
            auto r = s.where.lock();
            if (r && r->id() == id)
                if (auto c = s.conn.lock()) to_close.push_back(std::move(c));
        }
    }
    if (dropped) rooms_loaded_.add(-1);
    for (const auto& c : to_close) c->close(1008, reason);
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

void service::ws_typing(const std::shared_ptr<net::ws_connection>& c, const platform::peer&, const json& msg) {
    // Ephemeral: dropped silently outside the room it names, and from observers (who write nothing).
    auto s = seat_of(c);
    if (!s || s->who.r == role::observer) return;
    auto r = s->where.lock();
    auto w = msg.find("workshop");
    if (!r || w == msg.end() || !w->is_number_integer() || w->get<std::int64_t>() != r->id()) return;
    r->typing(c.get(), s->who);
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

asio::awaitable<std::optional<store::guest_row>> service::guest_of(const net::request& req) {
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
    if (!who.account) who.guest = co_await guest_of(req);
    co_return who;
}

asio::awaitable<std::optional<auth::guest_info>> service::authenticate_guest(const net::request& req) {
    auto g = co_await guest_of(req);
    if (!g) co_return std::nullopt;
    auth::guest_info out{g->id, g->name, g->role, g->expires_at, {{"workshop_id", g->workshop_id}}};
    co_return out;
}

asio::awaitable<store::workshop_row> service::load_for(std::int64_t id, const identity& who, bool facilitator_only, role& out) {
    std::optional<store::workshop_row> w;
    co_await db_.read([&](db::connection& c) { w = store::workshop(c, auth_, id); });
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
        j["plan_seq"] = st.plan_seq;
    }
    co_return j;
}

asio::awaitable<void> service::generate_report(std::int64_t id, bool keep_edits) {
    if (keep_edits) {
        bool edited = false;
        co_await db_.read([&](db::connection& c) {
            auto rep = store::report(c, id);
            edited = rep && rep->edited_at;
        });
        if (edited) co_return;
    }
    auto rm = co_await room_for(id);
    auto st = rm->state();
    std::optional<store::workshop_row> w;
    std::vector<std::string> present, absent;
    co_await db_.read([&](db::connection& c) {
        w = store::workshop(c, auth_, id);
        // Present: whoever was in the room while it was live, or acted on the board (not
        // the preparation and closing done from the workshop's page). Invited:
        // the workshop's members and the guests who joined by link. Each with their
        // organisation (accounts) or « invité » (guests); sorted the French way.
        struct someone {
            std::string key, name, role;
            bool present = false;
        };
        std::map<std::string, someone> people;
        const auto add = [&](const std::string& key, const std::string& name, const std::string& role, bool here) {
            auto& p = people[key];
            if (p.key.empty()) p = {key, name, role, here};
            p.present = p.present || here;
            if (p.role.empty()) p.role = role;
        };
        {
            auto s = c.prepare("SELECT actor_key, name, role FROM workshop_attendance WHERE workshop_id = ?1");
            s.bind(1, id);
            while (s.step()) add(s.get_text(0), s.get_text(1), s.get_text(2), true);
        }
        {
            auto s = c.prepare("SELECT DISTINCT actor_key, actor_name FROM workshop_events WHERE workshop_id = ?1 AND actor_key <> 'system' "
                               "AND op NOT IN ('workshop.created', 'phases.set', 'workshop.state')");
            s.bind(1, id);
            while (s.step()) add(s.get_text(0), s.get_text(1), "", true);
        }
        if (w)
            for (const auto& p : w->people) add("u:" + std::to_string(p.user_id), p.name, p.role, false);
        {
            auto s = c.prepare("SELECT g.id, g.name, i.role FROM workshop_guests g JOIN workshop_invites i ON i.id = g.invite_id "
                               "WHERE i.workshop_id = ?1");
            s.bind(1, id);
            while (s.step()) add("g:" + std::to_string(s.get_int(0)), s.get_text(1), s.get_text(2), false);
        }
        std::vector<std::int64_t> user_ids;
        for (const auto& [key, p] : people)
            if (key.rfind("u:", 0) == 0) user_ids.push_back(std::stoll(key.substr(2)));
        auto accounts = auth_.users(c, user_ids);
        std::vector<std::int64_t> org_ids;
        for (const auto& [uid, u] : accounts)
            if (u.org_id) org_ids.push_back(*u.org_id);
        auto orgs = auth_.orgs(c, org_ids);
        std::vector<const someone*> order;
        for (const auto& [key, p] : people) order.push_back(&p);
        std::sort(order.begin(), order.end(), [](const someone* a, const someone* b) {
            auto fa = search::fold(a->name), fb = search::fold(b->name);
            return fa != fb ? fa < fb : a->name < b->name;
        });
        static const std::map<std::string, std::string> roles{{"facilitator", "animation"}, {"observer", "observateur"}};
        for (const auto* p : order) {
            std::string line = p->name;
            std::vector<std::string> about;
            if (p->key.rfind("u:", 0) == 0) {
                auto u = accounts.find(std::stoll(p->key.substr(2)));
                if (u != accounts.end() && u->second.org_id)
                    if (auto o = orgs.find(*u->second.org_id); o != orgs.end()) about.push_back(o->second.name);
            } else {
                about.push_back("invité");
            }
            if (auto r = roles.find(p->role); r != roles.end()) about.push_back(r->second);
            for (std::size_t i = 0; i < about.size(); ++i) line += (i ? ", " : " (") + about[i] + (i + 1 == about.size() ? ")" : "");
            (p->present ? present : absent).push_back(line);
        }
    });
    if (!w) throw api_error(errors::not_found);
    auto report = make_report(*w, st, present, unix_now(), absent);
    co_await db_.write([&](db::connection& c) { store::save_report(c, id, report); });
}

}  // namespace relais::workshops
