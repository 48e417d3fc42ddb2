#pragma once
// What another module may know of a workshop it points to (a need that became a
// workshop), without reading the workshops' tables. Calls run on a database thread, in
// the caller's read or write (like auth::directory).
#include "db/database.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace relais::workshops {

struct workshop_ref {
    std::int64_t id = 0;
    std::string title, state;  // state: a workshop state of the reference data
    std::string date;          // ISO 8601, or ''
};

class catalogue {
public:
    virtual ~catalogue() = default;
    /// The workshop `id`, or nullopt when there is none.
    virtual std::optional<workshop_ref> workshop(db::connection& c, std::int64_t id) const = 0;
    /// Whether the account `user` may see workshop `id` (its members; animateurs and
    /// administrators see every workshop): false for an unknown workshop or account.
    virtual bool visible_to(db::connection& c, std::int64_t id, std::int64_t user) const = 0;
};

}  // namespace relais::workshops
