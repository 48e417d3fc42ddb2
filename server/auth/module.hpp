#pragma once
// The auth module, as the application wires it (see platform/module.hpp).
#include "platform/module.hpp"

#include <memory>
#include <vector>

namespace relais::auth {

std::unique_ptr<platform::module> make_module();
/// Generated from server/auth/migrations/*.sql.
const std::vector<platform::migration>& migrations();

}  // namespace relais::auth
