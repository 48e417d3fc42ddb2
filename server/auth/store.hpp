#pragma once
// Every SQL statement of the auth module, over one connection. Plain functions:
// the caller decides the thread and the transaction.
#include "db/database.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace relais::auth {

struct org {
    std::int64_t id = 0;
    std::string name;
    std::string type;
    std::optional<std::string> region;
    std::vector<std::string> departements;
    std::int64_t user_count = 0;
};

struct user {
    std::int64_t id = 0;
    std::string email;
    std::string name;
    std::string role;
    std::optional<std::int64_t> org_id;
    std::optional<std::string> org_name;
    std::optional<std::string> org_type;
    std::string password_hash;
    bool active = true;
    std::int64_t created_at = 0;
    // Chosen by someone else (generated at installation, set by an administrator): the
    // person is asked to choose their own. Cleared when they change it themselves.
    bool password_to_change = false;
};

nlohmann::json to_json(const org& o);
nlohmann::json to_json(const user& u);  // never includes the hash

namespace store {

std::optional<user> user_by_email(db::connection& c, const std::string& email);
std::optional<user> user_by_id(db::connection& c, std::int64_t id);
std::vector<user> all_users(db::connection& c);
std::int64_t count_users(db::connection& c);
/// Throws db_error (constraint) on a duplicate email or an unknown org.
std::int64_t insert_user(db::connection& c, const user& u, std::int64_t now);
void update_user(db::connection& c, const user& u, std::int64_t now);
/// `to_change`: someone else chose it (an administrator); false when the person did.
void set_password(db::connection& c, std::int64_t user_id, const std::string& hash, std::int64_t now, bool to_change = false);
std::int64_t count_active_admins_except(db::connection& c, std::int64_t user_id);

std::optional<org> org_by_id(db::connection& c, std::int64_t id);
std::optional<org> org_by_name(db::connection& c, const std::string& name);
std::vector<org> all_orgs(db::connection& c);
std::int64_t insert_org(db::connection& c, const org& o, std::int64_t now);
void update_org(db::connection& c, const org& o, std::int64_t now);
void delete_org(db::connection& c, std::int64_t id);

void insert_session(db::connection& c, const std::string& token_hash, std::int64_t user_id, std::int64_t now,
                    std::int64_t expires_at, const std::string& address, const std::string& user_agent);
/// The active user of a live session.
std::optional<user> session_user(db::connection& c, const std::string& token_hash, std::int64_t now,
                                 std::int64_t* expires_at = nullptr);
void delete_session(db::connection& c, const std::string& token_hash);
void delete_user_sessions(db::connection& c, std::int64_t user_id, const std::string& except_hash = {});
std::int64_t delete_expired_sessions(db::connection& c, std::int64_t now);

}  // namespace store
}  // namespace relais::auth
