#pragma once
// What other modules may know of accounts and organisations, without reading the auth
// module's tables: names, organisations, roles, live sessions. The calls run on a
// database thread inside the caller's own read or write (one SQLite file, one
// connection), so that a module composes them with its own queries in one snapshot.
#include "auth/store.hpp"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace relais::auth {

struct principal;

/// What a module keeps that refers to an organisation, in French ("2 ateliers"), read from
/// its own tables on the caller's connection. `as_cpts`: only where it stands as a CPTS (a
/// workshop's CPTS, a need's CPTS, a CPTS's territory). Empty: nothing.
using org_usage = std::function<std::vector<std::string>(db::connection& c, std::int64_t org_id, bool as_cpts)>;

/// Called in the write that changes an organisation (name, type, région, départements) or
/// deletes it, before that write commits: a module refreshes what it derived from it (its
/// search entries name the organisation and facet its type).
using org_change = std::function<void(db::connection& c, std::int64_t org_id)>;

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
    /// Registers a module's references to organisations (at start, before serving): an
    /// organisation that something still refers to is not deleted, and one that stands
    /// as a CPTS somewhere keeps the type `cpts`.
    virtual void add_org_usage(org_usage usage) = 0;
    /// Registers a module's refresh of what it derived from organisations (at start).
    virtual void on_org_change(org_change f) = 0;
};

}  // namespace relais::auth
