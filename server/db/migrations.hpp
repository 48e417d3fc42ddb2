#pragma once
// The SQL files of server/db/migrations/, embedded at build time (see CMakeLists.txt).
#include <string_view>
#include <vector>

namespace relais::db {

struct migration {
    int version;
    std::string_view name;
    std::string_view sql;
};

/// In version order.
const std::vector<migration>& all_migrations();

}  // namespace relais::db
