#pragma once
// The territory helper's rules, callable without HTTP: which communes a request names,
// the summary of a territory (population, size, seed funding, départements, régions,
// overlaps with the CPTS already recorded), who may save a CPTS's territory, the CSV.
#include "auth/directory.hpp"
#include "auth/service.hpp"
#include "territory/communes.hpp"
#include "territory/store.hpp"

#include <nlohmann/json.hpp>

namespace relais::territory {

/// Another CPTS whose saved territory shares communes with this one.
struct overlap {
    std::int64_t org_id = 0;
    std::string name;
    std::vector<const commune*> shared;
    std::int64_t shared_population = 0;
};

struct summary {
    std::vector<const commune*> communes;  // in the order asked, without repeats
    std::int64_t population = 0;
    int size = 0;
    std::int64_t seed_funding_eur = 0;
    std::vector<std::pair<std::string, std::int64_t>> departements, regions;  // code, population
    std::vector<overlap> overlaps;
};

/// The INSEE codes of `body[field]`: an array of strings, each an INSEE code's shape, at
/// most `max` (after removing repeats). Throws champ_invalide / trop_de_communes.
std::vector<std::string> parse_codes(const nlohmann::json& body, const char* field, std::size_t max);

/// The communes of `codes` (in that order); commune_inconnue for a code not in the data,
/// commune_par_arrondissement for Paris, Lyon or Marseille as one commune.
std::vector<const commune*> resolve(const commune_index& index, const std::vector<std::string>& codes);

/// Population, size, funding, départements and régions of the communes (no overlaps).
summary summarise(std::vector<const commune*> communes);

/// Fills `s.overlaps`: the CPTS organisations (still of type cpts) other than
/// `except_org` whose saved territory holds one of s's communes.
void find_overlaps(db::connection& c, const auth::directory& dir, const commune_index& index, summary& s, std::int64_t except_org);

nlohmann::json commune_json(const commune& m);
nlohmann::json summary_json(const summary& s, const commune_index& index);
/// The communes one per line, then the totals (French spreadsheet CSV: `;`, UTF-8 with BOM).
std::string summary_csv(const summary& s, const commune_index& index, const std::string& title);

/// The organisation `org_id` if it is a CPTS; cpts_introuvable otherwise.
auth::org require_cpts(db::connection& c, const auth::directory& dir, std::int64_t org_id);
/// Admins and animateurs, and the members of that CPTS, may save its territory.
bool may_edit(const auth::principal& p, std::int64_t org_id);

}  // namespace relais::territory
