#pragma once
// The expertise module (cartographie des expertises): server/expertise/service.hpp.
#include "platform/module.hpp"

#include <memory>
#include <vector>

namespace relais::expertise {

std::unique_ptr<platform::module> make_module();
/// Generated from server/expertise/migrations/*.sql.
const std::vector<platform::migration>& migrations();

}  // namespace relais::expertise
