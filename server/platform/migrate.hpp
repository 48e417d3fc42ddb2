#pragma once
// Applies the modules' migrations, each module with its own version numbers, recorded
// in module_migrations(module, version). A database made by Relais 0.1 (one global
// list in schema_migrations: 0001_accounts, 0002_workshops, …) is converted first: each
// old row is matched to the module migration with the same name after the number.
#include "db/database.hpp"
#include "platform/module.hpp"

#include <string_view>
#include <vector>

namespace relais::platform {

struct module_schema {
    std::string_view module;
    const std::vector<migration>* migrations;
};

/// The platform's own tables (platform/migrations/: the scheduler's jobs…), applied
/// first under the name "platform".
const std::vector<migration>& migrations();

/// In the given order (the modules' order), each migration in its own transaction.
/// Returns how many ran. Throws when the database holds a migration this build does
/// not know (made by a newer Relais): it is not opened rather than misread.
int migrate(db::connection& c, const std::vector<module_schema>& modules);

}  // namespace relais::platform
