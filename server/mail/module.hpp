#pragma once
// The mail module: the outbox (mail/outbox.hpp) and the job that sends it over SMTP.
#include "platform/module.hpp"

#include <memory>
#include <vector>

namespace relais::mail {

std::unique_ptr<platform::module> make_module();
/// Generated from server/mail/migrations/*.sql.
const std::vector<platform::migration>& migrations();

}  // namespace relais::mail
