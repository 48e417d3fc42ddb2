#pragma once
// The notifications module: notices per person (notifications/notifier.hpp), the bell's
// unread count pushed live on the topic "user:<id>", and their e-mail copies.
#include "platform/module.hpp"

#include <memory>
#include <vector>

namespace relais::notifications {

std::unique_ptr<platform::module> make_module();
/// Generated from server/notifications/migrations/*.sql.
const std::vector<platform::migration>& migrations();

}  // namespace relais::notifications
