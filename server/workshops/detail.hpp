#pragma once
// Helpers shared by the workshops module's service and routes (not for other modules).
#include "workshops/identity.hpp"
#include "workshops/model.hpp"
#include "workshops/store.hpp"

#include <set>
#include <string>
#include <vector>

namespace relais::workshops::detail {

/// The workshop states a facilitator may move between (draft -> scheduled -> live -> closed -> archived).
bool transition_allowed(const std::string& from, const std::string& to);
actor actor_of(const identity& who, role r);
std::int64_t now_ms();
void send_error(const std::shared_ptr<net::ws_connection>& c, const std::string& id, const api_error& e);
std::int64_t workshop_field(const json& msg);
json workshop_to_json(const store::workshop_row& w, const std::optional<role>& mine);
/// An optional array of positive ids (at most 50) in `field`.
std::vector<std::int64_t> id_list(const json& body, const char* field);
/// An optional ISO date or date-time in "date", checked against the calendar.
std::string date_value(const json& body);
/// Unix seconds of the end (midnight after) of a workshop's day, its date being Paris local
/// time ("YYYY-MM-DD[THH:MM]"); 0 when it has no date.
std::int64_t workshop_day_end(const std::string& date, int days_after = 0);
/// How long a guest's session lasts after joining (while the workshop is not archived).
inline constexpr std::int64_t guest_session_s = 180LL * 86400;

}  // namespace relais::workshops::detail
