#pragma once
// Reference data for accounts: roles, organisation types, French regions and their
// départements (INSEE codes, since the 2016 regional reform).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace relais::auth {

struct code_label {
    std::string_view code;
    std::string_view label;
};

struct region {
    std::string_view code;
    std::string_view name;
    std::vector<std::string_view> departements;
};

const std::vector<code_label>& roles();
const std::vector<code_label>& org_types();
const std::vector<region>& regions();

bool is_role(std::string_view s);
bool is_org_type(std::string_view s);
const region* find_region(std::string_view code);

}  // namespace relais::auth
