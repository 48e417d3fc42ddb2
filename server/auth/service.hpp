#pragma once
// Accounts, organisations and sessions: the logic, callable without a socket.
// Slow work (Argon2id) runs on the CPU pool; SQL on the database pool.
#include "auth/directory.hpp"
#include "auth/password.hpp"
#include "auth/store.hpp"
#include "auth/throttle.hpp"
#include "common/worker_pool.hpp"
#include "db/pool.hpp"
#include "net/http_types.hpp"
#include "net/router.hpp"

#include <chrono>
#include <mutex>
#include <optional>
#include <unordered_set>
#include <string>

namespace relais::auth {

struct options {
    std::chrono::seconds session_ttl{12 * 3600};
    unsigned max_failures_per_account = 5;
    unsigned max_failures_per_address = 20;
    std::chrono::seconds lockout_window{15 * 60};
    hash_cost cost = hash_cost::interactive;
    bool always_secure_cookies = false;  // e.g. when public_url is https
};

/// The signed-in account behind a request.
struct principal {
    user account;
    std::string session_hash;
    std::int64_t session_expires_at = 0;  // unix seconds
    bool is_admin() const { return account.role == "admin"; }
};

/// Someone let in without an account by a module (a workshop's invite link): the module
/// that issued the link authenticates them (`guest_provider`).
struct guest_info {
    std::int64_t id = 0;
    std::string name, role;
    std::int64_t expires_at = 0;  // unix seconds
    nlohmann::json details = nlohmann::json::object();  // the issuing module's, e.g. {"workshop_id": 3}
};

/// Who is behind a request or a socket: an account, or a guest.
struct identity {
    std::optional<principal> account;
    std::optional<guest_info> guest;
    std::string key() const {
        return account ? "u:" + std::to_string(account->account.id) : guest ? "g:" + std::to_string(guest->id) : std::string();
    }
};

/// Implemented by the module whose links admit guests (one per server today).
class guest_provider {
public:
    virtual ~guest_provider() = default;
    /// The guest behind the request's cookie, if still admitted.
    virtual asio::awaitable<std::optional<guest_info>> authenticate_guest(const net::request& req) = 0;
};

/// Who may call a route. Checked before anything else runs.
enum class access { anyone, signed_in, animateur, admin };

inline constexpr const char* session_cookie = "relais_session";

/// Someone lost (or changed) their access: open sockets must not keep the old one.
struct access_change {
    enum class kind {
        session_ended,    // logout: the sockets of `session_hash`
        account_changed,  // role, activation, password, organisation: the account's sockets,
                          // except those of `session_hash` when set (the session that stays)
        guest_ended,      // a workshop guest signed out or was revoked: `guest_id`'s sockets
    } what;
    std::int64_t user_id = 0;
    std::int64_t guest_id = 0;
    std::string session_hash = {};
};

class service : public directory {
public:
    service(db::pool& db, worker_pool& cpu, options opts);

    // The directory other modules read accounts and organisations through.
    std::optional<principal> session(db::connection& c, const std::string& session_hash, std::int64_t now) const override;
    std::optional<user> find_user(db::connection& c, std::int64_t id) const override;
    std::optional<org> find_org(db::connection& c, std::int64_t id) const override;
    std::map<std::int64_t, user> users(db::connection& c, const std::vector<std::int64_t>& ids) const override;
    std::map<std::int64_t, org> orgs(db::connection& c, const std::vector<std::int64_t>& ids) const override;
    std::vector<user> users_with_roles(db::connection& c, const std::vector<std::string>& roles) const override;
    void add_org_usage(org_usage usage) override;
    void on_org_change(org_change f) override;
    /// What refers to organisation `org_id` in the other modules ("2 ateliers").
    std::vector<std::string> usages(db::connection& c, std::int64_t org_id, bool as_cpts) const;

    /// The principal for a request's session cookie, if the session is live.
    asio::awaitable<std::optional<principal>> authenticate(const net::request& req);
    /// The account first, then a guest (when a guest provider is set).
    asio::awaitable<identity> identify(const net::request& req);
    void set_guest_provider(guest_provider* p) { guests_ = p; }

    struct login_result {
        user account;
        std::string token;
    };
    /// Throws api_error: bad_credentials, too_many_attempts (retry_after set).
    asio::awaitable<login_result> login(const std::string& email, const std::string& password,
                                        const std::string& address, const std::string& user_agent,
                                        long long& retry_after);
    asio::awaitable<void> logout(const std::string& token);
    asio::awaitable<user> rename_self(const principal& p, const std::string& name);
    /// Checking the current password is throttled as signing in is (the same counters,
    /// per account from `address` and per address): `retry_after` says the wait on 429.
    asio::awaitable<void> change_own_password(const principal& p, const std::string& current, const std::string& next,
                                              const std::string& address, long long& retry_after);

    asio::awaitable<std::vector<user>> list_users();
    asio::awaitable<user> create_user(const user& input, const std::string& password);
    struct user_patch {
        std::optional<std::string> name, role, password, email;  // email: normalised
        std::optional<std::optional<std::int64_t>> org_id;
        std::optional<bool> active;
    };
    asio::awaitable<user> update_user(std::int64_t id, const user_patch& patch);

    asio::awaitable<std::vector<org>> list_orgs();
    asio::awaitable<org> create_org(const org& input);
    asio::awaitable<org> update_org(std::int64_t id, const nlohmann::json& patch);
    asio::awaitable<void> delete_org(std::int64_t id);

    /// Synchronous helpers for the command line and first start (not on network threads).
    user create_user_sync(user u, const std::string& password);
    /// Addresses stored before case was folded beyond ASCII ("Élodie@x.fr"), folded now;
    /// two accounts that would then share an address are left as they are (logged).
    void fold_stored_emails();
    void set_password_sync(const std::string& email, const std::string& password);
    org create_org_sync(org o);

    /// Called after each change of access (start-up registration only; any thread).
    void on_access_change(std::function<void(const access_change&)> f) { listeners_.push_back(std::move(f)); }
    void notify(const access_change& change) const;

    /// Registers /api/session, /api/me, /api/orgs, /api/meta, /api/admin/*.
    void register_routes(net::router& r);

    /// Wraps a handler with an access rule: 401 without a live session, 403 without the role.
    using user_handler = std::function<asio::awaitable<net::response>(net::request&, const principal&)>;
    net::guarded_handler guard(access a, user_handler h);
    /// The label of an access level, as `relais routes` prints it.
    static const char* access_name(access a);

    std::string session_cookie_header(const std::string& token, bool secure) const;
    std::string clear_cookie_header(bool secure) const;
    const options& opts() const { return opts_; }

    /// Validates and normalises an organisation from JSON (all fields, or a patch over `base`).
    static org parse_org(const nlohmann::json& body, const org* base);
    static std::string normalise_email(const std::string& raw);

private:
    db::pool& db_;
    worker_pool& cpu_;
    options opts_;
    throttle per_account_;
    throttle per_address_;
    std::mutex attempts_mutex_;
    std::unordered_set<std::string> attempts_in_flight_;  // account keys being checked now
    std::string dummy_hash_;
    std::vector<org_usage> org_usages_;
    std::vector<org_change> org_changes_;
    std::vector<std::function<void(const access_change&)>> listeners_;
    guest_provider* guests_ = nullptr;  // verified against when the account is unknown: same timing
};

}  // namespace relais::auth
