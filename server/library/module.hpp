#pragma once
// The library module, as the application wires it (see platform/module.hpp).
#include "platform/module.hpp"

#include <memory>
#include <vector>

namespace relais::library {

std::unique_ptr<platform::module> make_module();
/// Generated from server/library/migrations/*.sql.
const std::vector<platform::migration>& migrations();

}  // namespace relais::library
