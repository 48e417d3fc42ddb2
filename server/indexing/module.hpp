#pragma once
// The indexing module: one French Xapian index for every module's documents
// (indexing/source.hpp), kept in step with SQLite through search_outbox.
#include "platform/module.hpp"

#include <memory>
#include <vector>

namespace relais::indexing {

std::unique_ptr<platform::module> make_module();
/// Generated from server/indexing/migrations/*.sql.
const std::vector<platform::migration>& migrations();

}  // namespace relais::indexing
