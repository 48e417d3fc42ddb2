#pragma once
// The watch module (veille documentaire partagée): server/watch/service.hpp.
#include "platform/module.hpp"

#include <memory>
#include <vector>

namespace relais::watch {

std::unique_ptr<platform::module> make_module();
/// Generated from server/watch/migrations/*.sql.
const std::vector<platform::migration>& migrations();

}  // namespace relais::watch
