#pragma once
#include "db/database.hpp"

#include <filesystem>

namespace relais::auth {

/// Loads seed-content/organisations.json: organisations that do not exist yet (by
/// name) are created, existing ones are left as the administrators changed them.
/// Returns how many were created. Throws std::runtime_error on a malformed file.
int load_seed_organisations(db::connection& c, const std::filesystem::path& seed_dir);

}  // namespace relais::auth
