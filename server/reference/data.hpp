#pragma once
// The shared vocabulary of Relais, with its French labels: CPTS phases, ACI missions,
// régions and départements, organisation types, account roles, workshop stages, states
// and roles, library item kinds. Every module validates codes against these lists and the
// web reads the labels from GET /api/meta, so a label is written once, here.
#include <nlohmann/json.hpp>

#include <string_view>
#include <vector>

namespace relais::reference {

struct code_label {
    std::string_view code;
    std::string_view label;
};

struct region {
    std::string_view code;  // INSEE region code (2016 regions)
    std::string_view label;
    std::vector<std::string_view> departements;  // INSEE département codes
};

const std::vector<code_label>& account_roles();
const std::vector<code_label>& org_types();
const std::vector<region>& regions();
const std::vector<code_label>& departements();  // all 101, with their names
const std::vector<code_label>& phases();        // the CPTS's life: émergence … dialogue de gestion
const std::vector<code_label>& missions();      // the ACI's missions
const std::vector<code_label>& item_kinds();    // library items
const std::vector<code_label>& workshop_stages();
const std::vector<code_label>& workshop_states();
const std::vector<code_label>& workshop_roles();

bool contains(const std::vector<code_label>& set, std::string_view code);
/// The label of `code` in `set`, or "" when unknown.
std::string_view label_of(const std::vector<code_label>& set, std::string_view code);
const region* find_region(std::string_view code);
/// The région a département belongs to, or nullptr.
const region* region_of_departement(std::string_view departement);

/// Everything above, as GET /api/meta answers it.
nlohmann::json meta_json();

}  // namespace relais::reference
