#include "territory/store.hpp"

#include "common/text_list.hpp"

#include <nlohmann/json.hpp>

namespace relais::territory::store {
namespace {

std::string join(const std::vector<std::string>& v) { return join_list(v, ' '); }
std::vector<std::string> split(const std::string& s) { return split_list(s, ' '); }

}  // namespace

std::optional<dataset_row> dataset_info(db::connection& c) {
    auto s = c.prepare("SELECT version, data_year, communes FROM territory_dataset WHERE id = 1");
    if (!s.step()) return std::nullopt;
    return dataset_row{s.get_text(0), static_cast<int>(s.get_int(1)), s.get_int(2)};
}

void replace_communes(db::connection& c, const dataset& d, std::int64_t now) {
    c.exec("DELETE FROM territory_communes");
    c.exec("DELETE FROM territory_split_communes");
    // (A statement resets when it goes out of scope: one per row, from the cache.)
    for (const auto& m : d.communes) {
        auto ins = c.prepare(
            "INSERT INTO territory_communes(code, name, postcodes, population, departement, region, parent) "
            "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)");
        ins.bind(1, m.code).bind(2, m.name).bind(3, join(m.postcodes)).bind(4, m.population).bind(5, m.departement)
                .bind(6, m.region).bind(7, m.parent);
        ins.exec();
    }
    for (const auto& sc : d.split) c.prepare("INSERT INTO territory_split_communes(code, name) VALUES(?1, ?2)").bind(1, sc.code).bind(2, sc.name).exec();
    c.prepare(
         "INSERT INTO territory_dataset(id, package, version, data_year, communes, imported_at) "
         "VALUES(1, '@etalab/decoupage-administratif', ?1, ?2, ?3, ?4) ON CONFLICT(id) DO UPDATE SET "
         "package = excluded.package, version = excluded.version, data_year = excluded.data_year, "
         "communes = excluded.communes, imported_at = excluded.imported_at")
        .bind(1, d.version)
        .bind(2, d.data_year)
        .bind(3, static_cast<std::int64_t>(d.communes.size()))
        .bind(4, now)
        .exec();
}

dataset load_communes(db::connection& c) {
    dataset d;
    if (auto info = dataset_info(c)) {
        d.version = info->version;
        d.data_year = info->data_year;
    }
    auto s = c.prepare("SELECT code, name, postcodes, population, departement, region, parent FROM territory_communes ORDER BY code");
    while (s.step())
        d.communes.push_back({s.get_text(0), s.get_text(1), split(s.get_text(2)), s.get_int(3), s.get_text(4), s.get_text(5), s.get_text(6)});
    auto p = c.prepare("SELECT code, name FROM territory_split_communes ORDER BY code");
    while (p.step()) d.split.push_back({p.get_text(0), p.get_text(1), {}});
    for (auto& sc : d.split)
        for (const auto& m : d.communes)
            if (m.parent == sc.code) sc.arrondissements.push_back(m.code);
    return d;
}

std::optional<saved_territory> cpts_territory(db::connection& c, std::int64_t org_id) {
    auto s = c.prepare("SELECT updated_at, updated_by FROM territory_cpts WHERE org_id = ?1");
    s.bind(1, org_id);
    if (!s.step()) return std::nullopt;
    saved_territory t{org_id, s.get_int(0), s.get_opt_int(1), {}};
    auto q = c.prepare("SELECT code FROM territory_cpts_communes WHERE org_id = ?1 ORDER BY code");
    q.bind(1, org_id);
    while (q.step()) t.codes.push_back(q.get_text(0));
    return t;
}

void save_cpts_territory(db::connection& c, std::int64_t org_id, const std::vector<std::string>& codes, std::int64_t by,
                         std::int64_t now) {
    c.prepare("DELETE FROM territory_cpts WHERE org_id = ?1").bind(1, org_id).exec();  // its communes cascade
    if (codes.empty()) return;
    c.prepare("INSERT INTO territory_cpts(org_id, updated_at, updated_by) VALUES(?1, ?2, ?3)")
        .bind(1, org_id)
        .bind(2, now)
        .bind(3, by ? std::optional<std::int64_t>(by) : std::nullopt)
        .exec();
    for (const auto& code : codes)
        c.prepare("INSERT OR IGNORE INTO territory_cpts_communes(org_id, code) VALUES(?1, ?2)").bind(1, org_id).bind(2, code).exec();
}

std::map<std::int64_t, std::vector<std::string>> holders(db::connection& c, const std::vector<std::string>& codes,
                                                         std::int64_t except_org) {
    std::map<std::int64_t, std::vector<std::string>> out;
    if (codes.empty()) return out;
    auto s = c.prepare(
        "SELECT org_id, code FROM territory_cpts_communes WHERE code IN (SELECT value FROM json_each(?1)) AND org_id <> ?2 "
        "ORDER BY org_id, code");
    s.bind(1, nlohmann::json(codes).dump()).bind(2, except_org);
    while (s.step()) out[s.get_int(0)].push_back(s.get_text(1));
    return out;
}

std::map<std::int64_t, std::vector<std::string>> all_territories(db::connection& c) {
    std::map<std::int64_t, std::vector<std::string>> out;
    auto s = c.prepare("SELECT org_id, code FROM territory_cpts_communes ORDER BY org_id, code");
    while (s.step()) out[s.get_int(0)].push_back(s.get_text(1));
    return out;
}

}  // namespace relais::territory::store
