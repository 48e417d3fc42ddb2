#pragma once
// What a module gives the indexer for its documents of one type: the document for a key
// (as it must be found and shown), and which keys should be in the index. The indexer
// calls these on its own thread, inside one read of the database.
#include "db/database.hpp"
#include "search/index.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace relais::indexing {

class source {
public:
    virtual ~source() = default;
    /// Lower-case, stable: the documents' id prefix ("item" -> "item:12") and the value of
    /// their "type" facet.
    virtual std::string_view type() const = 0;
    /// The entry for `key`, or nullopt when it must not be in the index (unpublished, gone).
    virtual std::optional<search::document> document(db::connection& c, std::int64_t key) const = 0;
    /// Every key that may have an entry (a rebuild looks at each).
    virtual std::vector<std::int64_t> keys(db::connection& c) const = 0;
    /// How many entries the index should hold (compared at start: a mismatch rebuilds).
    virtual std::int64_t expected(db::connection& c) const = 0;
};

/// In the caller's write transaction: `type:key` must be indexed again (or removed).
void enqueue(db::connection& c, std::string_view type, std::int64_t key);

/// "item:12" for (item, 12); and back (nullopt when `id` is not of that type).
std::string doc_id(std::string_view type, std::int64_t key);
std::optional<std::int64_t> key_of(std::string_view type, const std::string& id);

}  // namespace relais::indexing
