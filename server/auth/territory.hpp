#pragma once
// The reference data accounts are checked against (reference/data.hpp): roles,
// organisation types, French regions and their départements.
#include "reference/data.hpp"

#include <string_view>

namespace relais::auth {

using reference::code_label;
using reference::region;

inline const std::vector<code_label>& roles() { return reference::account_roles(); }
inline const std::vector<code_label>& org_types() { return reference::org_types(); }
inline const std::vector<region>& regions() { return reference::regions(); }
inline bool is_role(std::string_view s) { return reference::contains(roles(), s); }
inline bool is_org_type(std::string_view s) { return reference::contains(org_types(), s); }
inline const region* find_region(std::string_view code) { return reference::find_region(code); }

}  // namespace relais::auth
