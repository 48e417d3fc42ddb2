#pragma once
// The workshops module, as the application wires it (see platform/module.hpp).
#include "platform/module.hpp"

#include <memory>
#include <vector>

namespace relais::workshops {

std::unique_ptr<platform::module> make_module();
/// Generated from server/workshops/migrations/*.sql.
const std::vector<platform::migration>& migrations();

}  // namespace relais::workshops
