#pragma once
// The reference module: the shared vocabulary (reference/data.hpp), served by GET /api/meta.
#include "platform/module.hpp"

#include <memory>
#include <vector>

namespace relais::reference {

std::unique_ptr<platform::module> make_module();
/// Generated from server/reference/migrations/*.sql (none: the data is in the code).
const std::vector<platform::migration>& migrations();

}  // namespace relais::reference
