#pragma once
// The glossary: every acronym of the seed's synonymes.txt (« SIGLE = forme ; forme »), its
// spelled-out forms, and the line of explanation given for it in glossaire.txt
// (« SIGLE : explication »). Served by GET /api/glossary.
#include <nlohmann/json.hpp>

#include <string_view>

namespace relais::reference {

/// {"entries":[{"term","forms":[…],"explanation"}]}, sorted by term; an acronym is a term of
/// 2 to 10 upper-case letters or digits. Terms without an explanation get "".
nlohmann::json glossary_json(std::string_view synonyms, std::string_view explanations);

}  // namespace relais::reference
