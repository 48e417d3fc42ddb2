#pragma once
// All of the territory module's SQL (its tables: migrations/0001_territory.sql).
#include "db/database.hpp"
#include "territory/communes.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace relais::territory::store {

struct dataset_row {
    std::string version;
    int data_year = 0;
    std::int64_t communes = 0;
};
std::optional<dataset_row> dataset_info(db::connection& c);
/// Replaces every commune by the dataset's, in the caller's transaction.
void replace_communes(db::connection& c, const dataset& d, std::int64_t now);
/// What replace_communes stored (the communes sorted by code).
dataset load_communes(db::connection& c);

struct saved_territory {
    std::int64_t org_id = 0;
    std::int64_t updated_at = 0;
    std::optional<std::int64_t> updated_by;
    std::vector<std::string> codes;  // sorted
};
std::optional<saved_territory> cpts_territory(db::connection& c, std::int64_t org_id);
/// Replaces a CPTS's communes; an empty list forgets its territory.
void save_cpts_territory(db::connection& c, std::int64_t org_id, const std::vector<std::string>& codes, std::int64_t by,
                         std::int64_t now);
/// Organisations (other than `except_org`) whose saved territory holds one of `codes`,
/// with those of the codes they hold.
std::map<std::int64_t, std::vector<std::string>> holders(db::connection& c, const std::vector<std::string>& codes,
                                                         std::int64_t except_org);
/// Every saved territory: org id -> its codes.
std::map<std::int64_t, std::vector<std::string>> all_territories(db::connection& c);

}  // namespace relais::territory::store
