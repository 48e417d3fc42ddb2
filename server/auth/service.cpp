#include "auth/service.hpp"

#include "auth/territory.hpp"
#include "auth/errors.hpp"
#include "common/json_input.hpp"
#include "common/log.hpp"
#include "common/utf8.hpp"
#include "common/time.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace relais::auth {

namespace {

bool valid_email(const std::string& e) {
    if (e.size() < 3 || e.size() > 254) return false;
    auto at = e.find('@');
    if (at == std::string::npos || at == 0 || at != e.rfind('@') || at + 1 >= e.size()) return false;
    if (e.find('.', at) == std::string::npos) return false;
    return std::none_of(e.begin(), e.end(), [](unsigned char c) { return c <= 0x20 || c == 0x7f || c == ',' || c == ';' || c == '<' || c == '>'; });
}

// A unique constraint broken: the error, naming the field whose value is taken.
[[noreturn]] void rethrow_constraint(const db::db_error& e, const error_def& def, const char* field) {
    if (e.is_constraint()) throw api_error(def, field);
    throw e;
}

// "a", "a et b", "a, b et c".
std::string join_french(const std::vector<std::string>& parts) {
    std::string out;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (i > 0) out += i + 1 == parts.size() ? " et " : ", ";
        out += parts[i];
    }
    return out;
}

}  // namespace

service::service(db::pool& db, worker_pool& cpu, options opts)
    : db_(db), cpu_(cpu), opts_(opts),
      per_account_(opts.max_failures_per_account, opts.lockout_window, opts.lockout_window),
      per_address_(opts.max_failures_per_address, opts.lockout_window, opts.lockout_window),
      dummy_hash_(hash_password(random_token(16), opts.cost)) {}

std::string service::normalise_email(const std::string& raw) {
    // One address, one account, however its letters are cased (É and é included).
    std::string e = utf8_lower(json_input::trim(raw));
    if (!valid_email(e)) throw api_error(errors::invalid_field, "email");
    return e;
}

std::string service::session_cookie_header(const std::string& token, bool secure) const {
    std::string c = std::string(session_cookie) + "=" + token + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
                    std::to_string(opts_.session_ttl.count());
    if (secure || opts_.always_secure_cookies) c += "; Secure";
    return c;
}

std::string service::clear_cookie_header(bool secure) const {
    std::string c = std::string(session_cookie) + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0";
    if (secure || opts_.always_secure_cookies) c += "; Secure";
    return c;
}

asio::awaitable<std::optional<principal>> service::authenticate(const net::request& req) {
    // Every session cookie sent (a few at most): a stale or foreign one beside ours must
    // not sign the person out.
    std::vector<std::string> hashes;
    for (const auto& token : req.cookies(session_cookie))
        if (!token.empty() && token.size() <= 128) hashes.push_back(token_hash(token));
    if (hashes.empty()) co_return std::nullopt;
    std::optional<user> u;
    std::string hash;
    auto now = unix_now();
    std::int64_t expires = 0;
    co_await db_.read([&](db::connection& c) {
        for (const auto& h : hashes)
            if ((u = store::session_user(c, h, now, &expires))) {
                hash = h;
                return;
            }
    });
    if (!u) co_return std::nullopt;
    principal p{std::move(*u), std::move(hash), expires};
    co_return p;
}

asio::awaitable<service::login_result> service::login(const std::string& raw_email, const std::string& password,
                                                      const std::string& address, const std::string& user_agent,
                                                      long long& retry_after) {
    std::string email = is_valid_utf8(raw_email) ? utf8_lower(json_input::trim(raw_email)) : std::string();
    // Failures are throttled per account seen from one address, and per address, with
    // growing delays: someone guessing elsewhere never locks the owner out, and
    // successful sign-ins (a whole workshop room behind one address) never count.
    std::string account_key = email + '\x1f' + address;
    // One attempt at a time for an account seen from one address: parallel guesses wait
    // their turn and meet the throttle one by one, and parallel right passwords (one
    // account opened in several browsers behind one address) all get in.
    for (int waited = 0;; ++waited) {
        {
            std::lock_guard lock(attempts_mutex_);
            if (attempts_in_flight_.insert(account_key).second) break;
        }
        if (waited >= 500) throw api_error(errors::unavailable);  // 10 s behind others: give up
        asio::steady_timer pause(co_await asio::this_coro::executor, std::chrono::milliseconds(20));
        co_await pause.async_wait(asio::use_awaitable);
    }
    struct in_flight {
        service& s;
        const std::string& key;
        ~in_flight() {
            std::lock_guard lock(s.attempts_mutex_);
            s.attempts_in_flight_.erase(key);
        }
    } done{*this, account_key};
    retry_after = std::max(per_account_.retry_after(account_key), per_address_.retry_after(address));
    if (retry_after > 0)
        throw api_error(errors::too_many_attempts, {},
                        "Trop de tentatives de connexion. Réessayez dans " + french_wait(retry_after) + ".");

    // Count the attempt before the slow verification, so that parallel guesses on other
    // accounts from this address cannot all pass the check; a success takes it back.
    per_account_.record_failure(account_key);
    per_address_.record_failure(address);
    std::optional<user> u;
    co_await db_.read([&](db::connection& c) { u = store::user_by_email(c, email); });
    bool ok = false;
    const std::string& hash = u ? u->password_hash : dummy_hash_;
    co_await cpu_.run([&] { ok = verify_password(hash, password); });
    if (!u || !ok) {
        log::info("login_failed", {{"addr", address}});
        throw api_error(errors::bad_credentials);
    }
    // Only whoever knows the password learns that the account is deactivated: told so,
    // they ask an administrator instead of trying again until throttled.
    if (!u->active) {
        log::info("login_refused", {{"user", u->id}, {"addr", address}, {"reason", "inactive"}});
        throw api_error(errors::account_inactive);
    }
    per_account_.reset(account_key);
    per_address_.forgive(address);
    login_result r{std::move(*u), random_token()};
    auto now = unix_now();
    auto th = token_hash(r.token);
    auto uid = r.account.id;
    auto expires = now + opts_.session_ttl.count();
    co_await db_.write([&](db::connection& c) {
        store::delete_expired_sessions(c, now);
        store::insert_session(c, th, uid, now, expires, address, user_agent);
    });
    log::info("login", {{"user", uid}, {"addr", address}});
    co_return r;
}

asio::awaitable<void> service::logout(const std::string& token) {
    auto th = token_hash(token);
    co_await db_.write([&](db::connection& c) { store::delete_session(c, th); });
    access_change ended{access_change::kind::session_ended};
    ended.session_hash = th;
    notify(ended);
}

void service::notify(const access_change& change) const {
    for (const auto& f : listeners_) f(change);
}

asio::awaitable<user> service::rename_self(const principal& p, const std::string& name) {
    std::optional<user> out;
    co_await db_.write([&](db::connection& c) {
        auto u = store::user_by_id(c, p.account.id);
        if (!u) throw api_error(errors::not_found);
        u->name = name;
        store::update_user(c, *u, unix_now());
        out = store::user_by_id(c, p.account.id);
    });
    co_return std::move(*out);
}

asio::awaitable<void> service::change_own_password(const principal& p, const std::string& current, const std::string& next,
                                                   const std::string& address, long long& retry_after) {
    if (!acceptable_password(next)) throw api_error(errors::weak_password, "new_password");
    // The same password again changes nothing (and would end the other sessions for nothing).
    if (next == current)
        throw api_error(errors::weak_password, "new_password", "Choisissez un mot de passe différent de l'actuel.");
    // A session left open is no way around the sign-in throttle: the same counters.
    std::string email = utf8_lower(p.account.email);
    const std::string account_key = email + '\x1f' + address;
    retry_after = std::max(per_account_.retry_after(account_key), per_address_.retry_after(address));
    if (retry_after > 0)
        throw api_error(errors::too_many_attempts, "current_password",
                        "Trop de mots de passe actuels erronés. Réessayez dans " + french_wait(retry_after) + ".");
    per_account_.record_failure(account_key);
    per_address_.record_failure(address);
    bool ok = false;
    std::string hash;
    co_await cpu_.run([&] {
        ok = verify_password(p.account.password_hash, current);
        if (ok) hash = hash_password(next, opts_.cost);
    });
    if (!ok) throw api_error(errors::wrong_password, "current_password");
    per_account_.reset(account_key);
    per_address_.forgive(address);
    co_await db_.write([&](db::connection& c) {
        store::set_password(c, p.account.id, hash, unix_now());
        store::delete_user_sessions(c, p.account.id, p.session_hash);
    });
    // Every other session ended: so do its sockets (the current session's stay).
    access_change changed{access_change::kind::account_changed};
    changed.user_id = p.account.id;
    changed.session_hash = p.session_hash;
    notify(changed);
}

asio::awaitable<std::vector<user>> service::list_users() {
    std::vector<user> out;
    co_await db_.read([&](db::connection& c) { out = store::all_users(c); });
    co_return out;
}

namespace {

void check_new_user(user& u, const std::string& password) {
    u.email = service::normalise_email(u.email);
    if (!is_role(u.role)) throw api_error(errors::invalid_field, "role");
    if (!acceptable_password(password)) throw api_error(errors::weak_password, "password");
}

// The write shared by the HTTP and command-line paths: u is complete and hashed.
user insert_new_user(db::connection& c, user& u) {
    if (u.org_id && !store::org_by_id(c, *u.org_id)) throw api_error(errors::invalid_field, "org_id");
    try {
        u.id = store::insert_user(c, u, unix_now());
    } catch (const db::db_error& e) {
        rethrow_constraint(e, errors::email_taken, "email");
    }
    return *store::user_by_id(c, u.id);
}

org insert_new_org(db::connection& c, org& o) {
    try {
        o.id = store::insert_org(c, o, unix_now());
    } catch (const db::db_error& e) {
        rethrow_constraint(e, errors::org_exists, "name");
    }
    return *store::org_by_id(c, o.id);
}

}  // namespace

asio::awaitable<user> service::create_user(const user& input, const std::string& password) {
    user u = input;
    u.password_to_change = true;  // an administrator chose it: the person is asked to choose theirs
    check_new_user(u, password);
    co_await cpu_.run([&] { u.password_hash = hash_password(password, opts_.cost); });
    user out;
    co_await db_.write([&](db::connection& c) { out = insert_new_user(c, u); });
    log::info("user_created", {{"user", out.id}, {"role", out.role}});
    co_return out;
}

user service::create_user_sync(user u, const std::string& password) {
    check_new_user(u, password);
    u.password_hash = hash_password(password, opts_.cost);
    user out;
    db_.write_sync([&](db::connection& c) { out = insert_new_user(c, u); });
    return out;
}

void service::set_password_sync(const std::string& email, const std::string& password) {
    if (!acceptable_password(password)) throw api_error(errors::weak_password, "password");
    auto e = normalise_email(email);
    auto hash = hash_password(password, opts_.cost);
    db_.write_sync([&](db::connection& c) {
        auto u = store::user_by_email(c, e);
        if (!u) throw api_error(errors::not_found);
        store::set_password(c, u->id, hash, unix_now());
        store::delete_user_sessions(c, u->id);
    });
}

asio::awaitable<user> service::update_user(std::int64_t id, const user_patch& patch) {
    if (patch.role && !is_role(*patch.role)) throw api_error(errors::invalid_field, "role");
    std::string hash;
    if (patch.password) {
        if (!acceptable_password(*patch.password)) throw api_error(errors::weak_password, "password");
        co_await cpu_.run([&] { hash = hash_password(*patch.password, opts_.cost); });
    }
    std::optional<user> out;
    bool access_changed = false;
    co_await db_.write([&](db::connection& c) {
        auto u = store::user_by_id(c, id);
        if (!u) throw api_error(errors::not_found);
        auto before = *u;
        bool was_admin = u->role == "admin" && u->active;
        if (patch.name) u->name = *patch.name;
        if (patch.email) u->email = *patch.email;
        if (patch.role) u->role = *patch.role;
        if (patch.active) u->active = *patch.active;
        if (patch.org_id) {
            if (*patch.org_id && !store::org_by_id(c, **patch.org_id)) throw api_error(errors::invalid_field, "org_id");
            u->org_id = *patch.org_id;
        }
        bool is_admin = u->role == "admin" && u->active;
        if (was_admin && !is_admin && store::count_active_admins_except(c, id) == 0)
            throw api_error(errors::last_admin, patch.role && *patch.role != "admin" ? "role" : "active");
        auto now = unix_now();
        try {
            store::update_user(c, *u, now);
        } catch (const db::db_error& e) {
            rethrow_constraint(e, errors::email_taken, "email");
        }
        if (!hash.empty()) store::set_password(c, id, hash, now, /*to_change=*/true);
        // A deactivated account or a reset password ends every session of the account.
        if (!u->active || !hash.empty()) store::delete_user_sessions(c, id);
        access_changed = !hash.empty() || u->role != before.role || u->active != before.active || u->org_id != before.org_id;
        out = store::user_by_id(c, id);
    });
    if (access_changed) {
        // Open sockets carry the identity they were opened with: close them, the client
        // reconnects with what the account is now (or cannot).
        access_change changed{access_change::kind::account_changed};
        changed.user_id = id;
        notify(changed);
    }
    co_return std::move(*out);
}

asio::awaitable<std::vector<org>> service::list_orgs() {
    std::vector<org> out;
    co_await db_.read([&](db::connection& c) { out = store::all_orgs(c); });
    co_return out;
}

org service::parse_org(const nlohmann::json& body, const org* base) {
    org o = base ? *base : org{};
    // In a change, a blank string is an absent one (unchanged); null clears what may be cleared.
    if (!base) o.name = json_input::required_line(body, "name", 160);
    else if (auto name = json_input::optional_line(body, "name", 160)) o.name = *name;
    if (!base || json_input::has(body, "type")) {
        o.type = json_input::required_string(body, "type", 32);
        if (!is_org_type(o.type)) throw api_error(errors::invalid_field, "type");
    }
    if (!base) {
        o.region = json_input::optional_string(body, "region", 8);
    } else if (json_input::has(body, "region")) {
        auto region = json_input::optional_string(body, "region", 8);
        if (region || body.at("region").is_null()) o.region = region;
    }
    if (!base || json_input::has(body, "departements")) {
        o.departements.clear();
        auto it = body.find("departements");
        if (it != body.end() && !it->is_null()) {
            if (!it->is_array() || it->size() > 20) throw api_error(errors::invalid_field, "departements");
            for (const auto& d : *it) {
                if (!d.is_string()) throw api_error(errors::invalid_field, "departements");
                auto code = d.get<std::string>();
                if (std::find(o.departements.begin(), o.departements.end(), code) == o.departements.end())
                    o.departements.push_back(code);
            }
        }
    }
    const region* r = nullptr;
    if (o.region) {
        r = find_region(*o.region);
        if (!r) throw api_error(errors::invalid_field, "region");
    }
    for (const auto& d : o.departements) {
        // A département must belong to the organisation's region.
        if (!r || std::find(r->departements.begin(), r->departements.end(), d) == r->departements.end())
            throw api_error(errors::invalid_field, "departements");
    }
    std::sort(o.departements.begin(), o.departements.end());
    return o;
}

asio::awaitable<org> service::create_org(const org& input) {
    org o = input, out;
    co_await db_.write([&](db::connection& c) { out = insert_new_org(c, o); });
    co_return out;
}

org service::create_org_sync(org o) {
    org out;
    db_.write_sync([&](db::connection& c) { out = insert_new_org(c, o); });
    return out;
}

asio::awaitable<org> service::update_org(std::int64_t id, const nlohmann::json& patch) {
    std::optional<org> out;
    co_await db_.write([&](db::connection& c) {
        auto o = store::org_by_id(c, id);
        if (!o) throw api_error(errors::not_found);
        auto next = parse_org(patch, &*o);
        if (o->type == "cpts" && next.type != "cpts") {
            auto uses = usages(c, id, true);
            if (!uses.empty())
                throw api_error(errors::org_in_use, "type",
                                "Cette organisation est la CPTS de " + join_french(uses) +
                                " : elle reste de type CPTS tant qu’ils y sont rattachés.");
        }
        try {
            store::update_org(c, next, unix_now());
        } catch (const db::db_error& e) {
            rethrow_constraint(e, errors::org_exists, "name");
        }
        for (const auto& f : org_changes_) f(c, id);
        out = store::org_by_id(c, id);
    });
    co_return std::move(*out);
}

asio::awaitable<void> service::delete_org(std::int64_t id) {
    co_await db_.write([&](db::connection& c) {
        auto o = store::org_by_id(c, id);
        if (!o) throw api_error(errors::not_found);
        auto uses = usages(c, id, false);
        if (o->user_count > 0)
            uses.insert(uses.begin(), std::to_string(o->user_count) + (o->user_count > 1 ? " comptes" : " compte"));
        if (!uses.empty())
            throw api_error(errors::org_in_use, {},
                            "Cette organisation est encore utilisée (" + join_french(uses) +
                            ") : rattachez d’abord ailleurs ce qui y renvoie, puis supprimez-la.");
        for (const auto& f : org_changes_) f(c, id);  // while what refers to it still says so
        store::delete_org(c, id);
    });
}

void service::fold_stored_emails() {
    db_.write_sync([](db::connection& c) {
        std::vector<std::pair<std::int64_t, std::string>> unfolded;
        {
            auto s = c.prepare("SELECT id, email FROM users");
            while (s.step()) {
                auto email = s.get_text(1);
                if (!is_valid_utf8(email)) continue;
                auto folded = utf8_lower(email);
                if (folded != email) unfolded.emplace_back(s.get_int(0), std::move(folded));
            }
        }
        for (const auto& [id, folded] : unfolded) {
            if (auto other = store::user_by_email(c, folded); other && other->id != id) {
                log::warn("email_not_folded", {{"user", id}, {"other", other->id}});
                continue;
            }
            c.prepare("UPDATE users SET email = ?2 WHERE id = ?1").bind(1, id).bind(2, folded).exec();
            log::info("email_folded", {{"user", id}});
        }
    });
}

void service::add_org_usage(org_usage usage) { org_usages_.push_back(std::move(usage)); }

void service::on_org_change(org_change f) { org_changes_.push_back(std::move(f)); }

std::vector<std::string> service::usages(db::connection& c, std::int64_t org_id, bool as_cpts) const {
    std::vector<std::string> out;
    for (const auto& usage : org_usages_)
        for (auto& u : usage(c, org_id, as_cpts)) out.push_back(std::move(u));
    return out;
}

std::optional<principal> service::session(db::connection& c, const std::string& session_hash, std::int64_t now) const {
    std::int64_t expires = 0;
    auto u = store::session_user(c, session_hash, now, &expires);
    if (!u) return std::nullopt;
    return principal{std::move(*u), session_hash, expires};
}
std::optional<user> service::find_user(db::connection& c, std::int64_t id) const { return store::user_by_id(c, id); }
std::optional<org> service::find_org(db::connection& c, std::int64_t id) const { return store::org_by_id(c, id); }
std::map<std::int64_t, user> service::users(db::connection& c, const std::vector<std::int64_t>& ids) const {
    std::map<std::int64_t, user> out;
    for (auto id : ids)
        if (!out.count(id))
            if (auto u = store::user_by_id(c, id)) out.emplace(id, std::move(*u));
    return out;
}
std::map<std::int64_t, org> service::orgs(db::connection& c, const std::vector<std::int64_t>& ids) const {
    std::map<std::int64_t, org> out;
    for (auto id : ids)
        if (!out.count(id))
            if (auto o = store::org_by_id(c, id)) out.emplace(id, std::move(*o));
    return out;
}

std::vector<user> service::users_with_roles(db::connection& c, const std::vector<std::string>& roles) const {
    std::vector<user> out;
    for (auto& u : store::all_users(c))
        if (u.active && std::find(roles.begin(), roles.end(), u.role) != roles.end()) out.push_back(std::move(u));
    return out;
}

asio::awaitable<identity> service::identify(const net::request& req) {
    identity who;
    who.account = co_await authenticate(req);
    if (!who.account && guests_) who.guest = co_await guests_->authenticate_guest(req);
    co_return who;
}

const char* service::access_name(access a) {
    switch (a) {
        case access::anyone: return "anyone";
        case access::signed_in: return "signed_in";
        case access::animateur: return "animateur";
        case access::admin: return "admin";
    }
    return "?";
}

net::guarded_handler service::guard(access a, user_handler h) {
    return {access_name(a), [this, a, h = std::move(h)](net::request& req) -> asio::awaitable<net::response> {
        auto p = co_await authenticate(req);
        if (!p) {
            if (a == access::anyone) {
                principal nobody;
                auto r = co_await h(req, nobody);
                co_return r;
            }
            throw api_error(errors::not_authenticated);
        }
        const auto& role = p->account.role;
        bool allowed = a == access::anyone || a == access::signed_in ||
                       (a == access::animateur && (role == "animateur" || role == "admin")) ||
                       (a == access::admin && role == "admin");
        if (!allowed) throw api_error(errors::forbidden);
        auto r = co_await h(req, *p);
        co_return r;
    }};
}

}  // namespace relais::auth
