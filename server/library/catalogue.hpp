#pragma once
// What another module may know of a library item it points to (a need's linked fiches),
// without reading the library's tables. Calls run on a database thread, in the caller's
// read or write (like auth::directory).
#include "db/database.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace relais::library {

struct item_ref {
    std::int64_t id = 0;
    std::string kind;   // an item kind of the reference data
    std::string title;  // of the published version when there is one, else of the latest
    bool published = false;  // readable by every member (published and not archived)
};

class catalogue {
public:
    virtual ~catalogue() = default;
    /// The item `id`, or nullopt when there is none.
    virtual std::optional<item_ref> item(db::connection& c, std::int64_t id) const = 0;
};

}  // namespace relais::library
