#include "auth/store.hpp"

#include "common/text_list.hpp"

namespace relais::auth {
namespace {

std::string join(const std::vector<std::string>& v) { return join_list(v, ','); }
std::vector<std::string> split(const std::string& s) { return split_list(s, ','); }

constexpr const char* user_columns =
    "u.id, u.email, u.name, u.role, u.org_id, o.name, o.type, u.password_hash, u.active, u.created_at, u.password_to_change "
    "FROM users u LEFT JOIN organisations o ON o.id = u.org_id ";

user read_user(const db::statement& s) {
    user u;
    u.id = s.get_int(0);
    u.email = s.get_text(1);
    u.name = s.get_text(2);
    u.role = s.get_text(3);
    u.org_id = s.get_opt_int(4);
    u.org_name = s.get_opt_text(5);
    u.org_type = s.get_opt_text(6);
    u.password_hash = s.get_text(7);
    u.active = s.get_int(8) != 0;
    u.created_at = s.get_int(9);
    u.password_to_change = s.get_int(10) != 0;
    return u;
}

constexpr const char* org_columns =
    "o.id, o.name, o.type, o.region, o.departements, "
    "(SELECT count(*) FROM users u WHERE u.org_id = o.id) FROM organisations o ";

org read_org(const db::statement& s) {
    org o;
    o.id = s.get_int(0);
    o.name = s.get_text(1);
    o.type = s.get_text(2);
    o.region = s.get_opt_text(3);
    o.departements = split(s.get_text(4));
    o.user_count = s.get_int(5);
    return o;
}

}  // namespace

nlohmann::json to_json(const org& o) {
    return {{"id", o.id}, {"name", o.name}, {"type", o.type},
            {"region", o.region ? nlohmann::json(*o.region) : nlohmann::json(nullptr)},
            {"departements", o.departements}, {"user_count", o.user_count}};
}

nlohmann::json to_json(const user& u) {
    nlohmann::json org = nullptr;
    if (u.org_id) org = {{"id", *u.org_id}, {"name", u.org_name.value_or("")}, {"type", u.org_type.value_or("")}};
    return {{"id", u.id}, {"email", u.email}, {"name", u.name}, {"role", u.role}, {"active", u.active},
            {"org", org}, {"created_at", u.created_at}, {"password_to_change", u.password_to_change}};
}

namespace store {

std::optional<user> user_by_email(db::connection& c, const std::string& email) {
    auto s = c.prepare(std::string("SELECT ") + user_columns + "WHERE u.email = ?1");
    s.bind(1, email);
    if (!s.step()) return std::nullopt;
    return read_user(s);
}

std::optional<user> user_by_id(db::connection& c, std::int64_t id) {
    auto s = c.prepare(std::string("SELECT ") + user_columns + "WHERE u.id = ?1");
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    return read_user(s);
}

std::vector<user> all_users(db::connection& c) {
    auto s = c.prepare(std::string("SELECT ") + user_columns + "ORDER BY u.name COLLATE NOCASE, u.id");
    std::vector<user> out;
    while (s.step()) out.push_back(read_user(s));
    return out;
}

std::int64_t count_users(db::connection& c) {
    auto s = c.prepare("SELECT count(*) FROM users");
    s.step();
    return s.get_int(0);
}

std::int64_t insert_user(db::connection& c, const user& u, std::int64_t now) {
    c.prepare("INSERT INTO users(email, name, role, org_id, password_hash, active, created_at, updated_at, password_to_change) "
              "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8)")
        .bind(1, u.email).bind(2, u.name).bind(3, u.role).bind(4, u.org_id).bind(5, u.password_hash)
        .bind(6, u.active ? 1 : 0).bind(7, now).bind(8, u.password_to_change ? 1 : 0).exec();
    return c.last_insert_id();
}

void update_user(db::connection& c, const user& u, std::int64_t now) {
    c.prepare("UPDATE users SET name = ?2, role = ?3, org_id = ?4, active = ?5, updated_at = ?6, email = ?7 WHERE id = ?1")
        .bind(1, u.id).bind(2, u.name).bind(3, u.role).bind(4, u.org_id).bind(5, u.active ? 1 : 0).bind(6, now)
        .bind(7, u.email).exec();
}

void set_password(db::connection& c, std::int64_t user_id, const std::string& hash, std::int64_t now, bool to_change) {
    c.prepare("UPDATE users SET password_hash = ?2, updated_at = ?3, password_to_change = ?4 WHERE id = ?1")
        .bind(1, user_id).bind(2, hash).bind(3, now).bind(4, to_change ? 1 : 0).exec();
}

std::int64_t count_active_admins_except(db::connection& c, std::int64_t user_id) {
    auto s = c.prepare("SELECT count(*) FROM users WHERE role = 'admin' AND active = 1 AND id <> ?1");
    s.bind(1, user_id);
    s.step();
    return s.get_int(0);
}

std::optional<org> org_by_id(db::connection& c, std::int64_t id) {
    auto s = c.prepare(std::string("SELECT ") + org_columns + "WHERE o.id = ?1");
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    return read_org(s);
}

std::optional<org> org_by_name(db::connection& c, const std::string& name) {
    auto s = c.prepare(std::string("SELECT ") + org_columns + "WHERE o.name = ?1 COLLATE NOCASE");
    s.bind(1, name);
    if (!s.step()) return std::nullopt;
    return read_org(s);
}

std::vector<org> all_orgs(db::connection& c) {
    auto s = c.prepare(std::string("SELECT ") + org_columns + "ORDER BY o.name COLLATE NOCASE");
    std::vector<org> out;
    while (s.step()) out.push_back(read_org(s));
    return out;
}

std::int64_t insert_org(db::connection& c, const org& o, std::int64_t now) {
    c.prepare("INSERT INTO organisations(name, type, region, departements, created_at, updated_at) "
              "VALUES(?1, ?2, ?3, ?4, ?5, ?5)")
        .bind(1, o.name).bind(2, o.type).bind(3, o.region).bind(4, join(o.departements)).bind(5, now).exec();
    return c.last_insert_id();
}

void update_org(db::connection& c, const org& o, std::int64_t now) {
    c.prepare("UPDATE organisations SET name = ?2, type = ?3, region = ?4, departements = ?5, updated_at = ?6 WHERE id = ?1")
        .bind(1, o.id).bind(2, o.name).bind(3, o.type).bind(4, o.region).bind(5, join(o.departements)).bind(6, now).exec();
}

void delete_org(db::connection& c, std::int64_t id) {
    c.prepare("DELETE FROM organisations WHERE id = ?1").bind(1, id).exec();
}

void insert_session(db::connection& c, const std::string& token_hash, std::int64_t user_id, std::int64_t now,
                    std::int64_t expires_at, const std::string& address, const std::string& user_agent) {
    auto s = c.prepare("INSERT INTO sessions(token_hash, user_id, created_at, expires_at, address, user_agent) "
                       "VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
    s.bind(1, token_hash).bind(2, user_id).bind(3, now).bind(4, expires_at).bind(5, address).bind(6, user_agent.substr(0, 256));
    s.exec();
}

std::optional<user> session_user(db::connection& c, const std::string& token_hash, std::int64_t now, std::int64_t* expires_at) {
    auto s = c.prepare(std::string("SELECT ") + user_columns +
                       "JOIN sessions se ON se.user_id = u.id WHERE se.token_hash = ?1 AND se.expires_at > ?2 AND u.active = 1");
    s.bind(1, token_hash).bind(2, now);
    if (!s.step()) return std::nullopt;
    auto u = read_user(s);
    if (expires_at) {
        auto e = c.prepare("SELECT expires_at FROM sessions WHERE token_hash = ?1");
        e.bind(1, token_hash);
        *expires_at = e.step() ? e.get_int(0) : 0;
    }
    return u;
}

void delete_session(db::connection& c, const std::string& token_hash) {
    c.prepare("DELETE FROM sessions WHERE token_hash = ?1").bind(1, token_hash).exec();
}

void delete_user_sessions(db::connection& c, std::int64_t user_id, const std::string& except_hash) {
    c.prepare("DELETE FROM sessions WHERE user_id = ?1 AND token_hash <> ?2").bind(1, user_id).bind(2, except_hash).exec();
}

std::int64_t delete_expired_sessions(db::connection& c, std::int64_t now) {
    c.prepare("DELETE FROM sessions WHERE expires_at <= ?1").bind(1, now).exec();
    return c.changes();
}

}  // namespace store
}  // namespace relais::auth
