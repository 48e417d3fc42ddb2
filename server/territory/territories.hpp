#pragma once
// What other modules (needs, workshops) may know of the territories saved for CPTS,
// without reading the territory module's tables. Calls run on a database thread, in the
// caller's read or write (like auth::directory).
#include "db/database.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace relais::territory {

/// A saved CPTS territory in figures (from the communes' data loaded now).
struct territory_figures {
    std::vector<std::string> communes;  // INSEE codes, sorted
    std::int64_t population = 0;
    int size = 0;  // 1..4
    std::int64_t seed_funding_eur = 0;
    std::vector<std::string> departements, regions;  // INSEE codes
    int data_year = 0;
};

class territories {
public:
    virtual ~territories() = default;
    /// The territory saved for the CPTS organisation `org_id`, or nullopt (none saved, or
    /// the communes' data is not loaded).
    virtual std::optional<territory_figures> territory_of(db::connection& c, std::int64_t org_id) const = 0;
    /// The figures of the communes listed in `body[field]` (INSEE codes, as the territory
    /// routes take them): throws the territory's errors (commune_inconnue,
    /// commune_par_arrondissement, trop_de_communes, territoire_vide, 503
    /// communes_en_chargement while the data is read in). No database needed.
    virtual territory_figures figures_of(const nlohmann::json& body, const char* field) const = 0;
};

}  // namespace relais::territory
