#pragma once
// What other modules may know of accounts and organisations, without reading the auth
// module's tables: names, organisations, roles, live sessions. The calls run on a
// database thread inside the caller's own read or write (one SQLite file, one
// connection), so that a module composes them with its own queries in one snapshot.
#include "auth/store.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace relais::auth {

struct principal;

class directory {
public:
    virtual ~directory() = default;
    /// The active account of a live session (its current role and organisation).
    virtual std::optional<principal> session(db::connection& c, const std::string& session_hash, std::int64_t now) const = 0;
    virtual std::optional<user> find_user(db::connection& c, std::int64_t id) const = 0;
    virtual std::optional<org> find_org(db::connection& c, std::int64_t id) const = 0;
    /// The known ones among `ids` (unknown ids are left out).
    virtual std::map<std::int64_t, user> users(db::connection& c, const std::vector<std::int64_t>& ids) const = 0;
    virtual std::map<std::int64_t, org> orgs(db::connection& c, const std::vector<std::int64_t>& ids) const = 0;
    /// Active accounts whose role is one of `roles` (e.g. the library's reviewers).
    virtual std::vector<user> users_with_roles(db::connection& c, const std::vector<std::string>& roles) const = 0;
};

}  // namespace relais::auth
