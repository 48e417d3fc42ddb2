#pragma once
// The territory module (« Territoire d'une CPTS »): server/territory/service.hpp; other
// modules read saved territories through territory/territories.hpp.
#include "platform/module.hpp"

#include <memory>
#include <vector>

namespace relais::territory {

std::unique_ptr<platform::module> make_module();
/// Generated from server/territory/migrations/*.sql.
const std::vector<platform::migration>& migrations();

}  // namespace relais::territory
