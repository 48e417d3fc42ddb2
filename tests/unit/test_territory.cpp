// The territory module's rules without HTTP: CPTS size and seed funding at every boundary,
// search normalisation and ranking, the package's reading (Paris, Lyon and Marseille by
// arrondissement), codes checked, overlaps between saved territories, who may save one.
#include "auth/module.hpp"
#include "auth/service.hpp"
#include "auth/store.hpp"
#include "common/errors.hpp"
#include "common/metrics.hpp"
#include "common/worker_pool.hpp"
#include "db/pool.hpp"
#include "platform/migrate.hpp"
#include "temp_dir.hpp"
#include "territory/communes.hpp"
#include "territory/module.hpp"
#include "territory/service.hpp"
#include "territory/sizing.hpp"
#include "territory/store.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <set>
#include <filesystem>
#include <fstream>

using namespace relais;
using namespace relais::territory;
using json = nlohmann::json;

namespace {

// A few communes shaped as in the package's data/communes.json.
json sample_package() {
    return json::parse(R"([
      {"code":"59350","nom":"Lille","type":"commune-actuelle","departement":"59","region":"32","codesPostaux":["59000","59160","59260","59777","59800"],"population":236710},
      {"code":"59009","nom":"Villeneuve-d'Ascq","type":"commune-actuelle","departement":"59","region":"32","codesPostaux":["59491","59650"],"population":62727},
      {"code":"42218","nom":"Saint-Étienne","type":"commune-actuelle","departement":"42","region":"84","codesPostaux":["42000","42100"],"population":172718},
      {"code":"76575","nom":"Saint-Étienne-du-Rouvray","type":"commune-actuelle","departement":"76","region":"28","codesPostaux":["76800"],"population":28000},
      {"code":"67482","nom":"Strasbourg","type":"commune-actuelle","departement":"67","region":"44","codesPostaux":["67000"],"population":291313},
      {"code":"01001","nom":"L'Abergement-Clémenciat","type":"commune-actuelle","departement":"01","region":"84","codesPostaux":["01400"],"population":860},
      {"code":"2A004","nom":"Ajaccio","type":"commune-actuelle","departement":"2A","region":"94","codesPostaux":["20000","20090"],"population":76320},
      {"code":"97411","nom":"Saint-Denis","type":"commune-actuelle","departement":"974","region":"04","codesPostaux":["97400"],"population":153810},
      {"code":"93066","nom":"Saint-Denis","type":"commune-actuelle","departement":"93","region":"11","codesPostaux":["93200","93210"],"population":113942},
      {"code":"75056","nom":"Paris","type":"commune-actuelle","departement":"75","region":"11","codesPostaux":["75001","75002"],"population":2103778},
      {"code":"75101","nom":"Paris 1er Arrondissement","type":"arrondissement-municipal","commune":"75056","departement":"75","region":"11","codesPostaux":["75001"],"population":15114},
      {"code":"75102","nom":"Paris 2e Arrondissement","type":"arrondissement-municipal","commune":"75056","departement":"75","region":"11","codesPostaux":["75002"],"population":20000},
      {"code":"59001","nom":"Ancien","type":"commune-deleguee","departement":"59","region":"32","chefLieu":"59350"},
      {"code":"97501","nom":"Miquelon-Langlade","type":"commune-actuelle","departement":"975","region":"975","codesPostaux":["97500"],"population":600}
    ])");
}

std::string codes_of(const std::vector<const commune*>& v) {
    std::string out;
    for (const auto* c : v) out += (out.empty() ? "" : ",") + c->code;
    return out;
}

std::shared_ptr<commune_index> sample_index() {
    auto d = parse_communes(sample_package());
    return std::make_shared<commune_index>(std::move(d.communes), std::move(d.split), "6.0.0", 2026);
}

}  // namespace

TEST_CASE("territory: CPTS size at each boundary (each boundary opens the larger size)", "[territory]") {
    CHECK(cpts_size(0) == 1);
    CHECK(cpts_size(39'999) == 1);
    CHECK(cpts_size(40'000) == 2);
    CHECK(cpts_size(40'001) == 2);
    CHECK(cpts_size(79'999) == 2);
    CHECK(cpts_size(80'000) == 3);
    CHECK(cpts_size(174'999) == 3);
    CHECK(cpts_size(175'000) == 4);
    CHECK(cpts_size(2'000'000) == 4);
}

TEST_CASE("territory: seed funding by size (seed 002), 24 000 € of it for the coordinator", "[territory]") {
    CHECK(seed_funding_eur(1) == 34'000);
    CHECK(seed_funding_eur(2) == 37'000);
    CHECK(seed_funding_eur(3) == 41'000);
    CHECK(seed_funding_eur(4) == 44'000);
    CHECK(seed_funding_eur(0) == 0);
    CHECK(seed_funding_eur(5) == 0);
    CHECK(coordinator_funding_eur == 24'000);
    CHECK(seed_funding_eur(cpts_size(39'999)) == 34'000);
    CHECK(seed_funding_eur(cpts_size(175'000)) == 44'000);
}

TEST_CASE("territory: names folded for search (case, accents, punctuation, saint/st)", "[territory]") {
    CHECK(fold_name("L'Abergement-Clémenciat") == "l abergement clemenciat");
    CHECK(fold_name("  SAINT-ÉTIENNE  ") == "saint etienne");
    CHECK(fold_name("Œuilly") == "oeuilly");
    CHECK(fold_query("St-Étienne").expanded == "saint etienne");
    CHECK(fold_query("ste marie").expanded == "sainte marie");
    // The last word is still being typed: "st" may be the start of "Strasbourg".
    auto typing = fold_query("st");
    CHECK(typing.expanded == "saint");
    CHECK(typing.typed == "st");
    CHECK(fold_query("st ").typed == "saint ");
    CHECK(fold_query("LIL").typed == "lil");  // still being typed, whatever its case
    CHECK(looks_like_code("59"));
    CHECK(looks_like_code("2a0"));
    CHECK_FALSE(looks_like_code("lille"));
    CHECK_FALSE(looks_like_code("5 9"));
}

TEST_CASE("territory: the package's year from its README's table, else from its major version", "[territory]") {
    std::string readme = "| Année | Version du package |\n|-------|----|\n| 2026  | 6.0.0 | `npm install` |\n| 2025  | 5.3.0 | x |\n";
    CHECK(data_year_of(readme, "6.0.0") == 2026);
    CHECK(data_year_of(readme, "5.3.0") == 2025);
    CHECK(data_year_of("", "7.1.0") == 2027);
    CHECK(data_year_of("", "") == 0);
}

TEST_CASE("territory: the package read: arrondissements instead of Paris, overseas collectivities left out", "[territory]") {
    auto d = parse_communes(sample_package());
    std::set<std::string> codes;
    for (const auto& c : d.communes) codes.insert(c.code);
    CHECK(codes.count("75101"));
    CHECK(codes.count("75102"));
    CHECK_FALSE(codes.count("75056"));  // never counted with its arrondissements
    CHECK_FALSE(codes.count("59001"));  // commune déléguée: inside Lille's population
    CHECK_FALSE(codes.count("97501"));  // not one of the ACI's départements
    CHECK(codes.count("97411"));
    REQUIRE(d.split.size() == 1);
    CHECK(d.split[0].code == "75056");
    CHECK(d.split[0].arrondissements == std::vector<std::string>{"75101", "75102"});
    CHECK_THROWS(parse_communes(json::object()));
}

TEST_CASE("territory: search by name, INSEE code and postal code, ranked", "[territory]") {
    auto index = sample_index();
    // Accents and case do not matter; the whole name, then names that start so, larger first.
    CHECK(codes_of(index->search("saint etienne", 10)) == "42218,76575");
    CHECK(codes_of(index->search("SAINT-ÉTIENNE-DU", 10)) == "76575");
    CHECK(codes_of(index->search("st etienne", 10)) == "42218,76575");
    // "st" alone: Saint-… and Strasbourg.
    auto st = codes_of(index->search("st", 10));
    CHECK(st.find("67482") != std::string::npos);
    CHECK(st.find("42218") != std::string::npos);
    // A later word of the name: "etienne" finds both, after names starting with it.
    CHECK(codes_of(index->search("etienne", 10)) == "42218,76575");
    CHECK(codes_of(index->search("abergement", 10)) == "01001");
    CHECK(codes_of(index->search("saint denis", 10)) == "97411,93066");
    // Codes: the exact INSEE or postal code first, then those that start so.
    CHECK(codes_of(index->search("59350", 10)) == "59350");
    CHECK(codes_of(index->search("59650", 10)) == "59009");
    CHECK(codes_of(index->search("593", 10)) == "59350");
    CHECK(codes_of(index->search("2a", 10)) == "2A004");
    CHECK(codes_of(index->search("75056", 10)) == "75102,75101");  // Paris gives its arrondissements
    CHECK(codes_of(index->search("paris", 10)) == "75102,75101");
    CHECK(index->search("59", 1).size() == 1);
    CHECK(index->search("zzz", 10).empty());
}

TEST_CASE("territory: codes checked, Paris refused as one commune, summary and CSV", "[territory]") {
    auto index = sample_index();
    auto codes = parse_codes(json{{"communes", {"59350", " 59009 ", "59350", "2a004"}}}, "communes", 10);
    CHECK(codes == std::vector<std::string>{"59350", "59009", "2A004"});
    auto code_of = [](const std::function<void()>& f) {
        try {
            f();
        } catch (const api_error& e) {
            return std::string(e.code());
        }
        return std::string("none");
    };
    CHECK(code_of([&] { parse_codes(json{{"communes", "59350"}}, "communes", 10); }) == "champ_invalide");
    CHECK(code_of([&] { parse_codes(json{{"communes", {59350}}}, "communes", 10); }) == "champ_invalide");
    CHECK(code_of([&] { parse_codes(json{{"communes", {"lille"}}}, "communes", 10); }) == "commune_inconnue");
    // The message quotes what was sent as it was written (as text), not a mangled copy.
    std::string message;
    try {
        parse_codes(json{{"communes", {"<b>59350</b>"}}}, "communes", 10);
    } catch (const api_error& e) {
        message = e.message();
    }
    CHECK(message.find("<b>59350</b>") != std::string::npos);
    json many = json::array();
    for (int i = 0; i < 11; ++i) many.push_back(std::to_string(59000 + i));
    CHECK(code_of([&] { parse_codes(json{{"communes", many}}, "communes", 10); }) == "trop_de_communes");
    CHECK(code_of([&] { resolve(*index, {"99999"}); }) == "commune_inconnue");
    CHECK(code_of([&] { resolve(*index, {"75056"}); }) == "commune_par_arrondissement");

    auto s = summarise(resolve(*index, codes));
    CHECK(s.population == 236710 + 62727 + 76320);
    CHECK(s.size == 4);
    CHECK(s.seed_funding_eur == 44'000);
    REQUIRE(s.departements.size() == 2);
    CHECK(s.departements[0].first == "2A");
    CHECK(s.departements[1] == std::pair<std::string, std::int64_t>{"59", 299437});
    REQUIRE(s.regions.size() == 2);
    auto j = summary_json(s, *index);
    CHECK(j["data_year"] == 2026);
    CHECK(j["regions"][0]["name"] == "Hauts-de-France");
    auto csv = summary_csv(s, *index, "CPTS Lille");
    CHECK(csv.find("59009;Villeneuve-d'Ascq;59491 59650;62727;59 Nord;32 Hauts-de-France") != std::string::npos);
    CHECK(csv.find("taille;4") != std::string::npos);
    CHECK(csv.find("financement_amorcage_eur;44000") != std::string::npos);
}

TEST_CASE("territory: saved CPTS territories, overlaps, who may save", "[territory]") {
    unit_temp_dir dir;
    metrics::registry m;
    db::pool pool{{dir.path / "t.db", 1, 16,
                   [](db::connection& c) {
                       platform::migrate(c, {{"auth", &auth::migrations()}, {"territory", &territory::migrations()}});
                   }},
                  m};
    worker_pool cpu{"cpu", 1};
    auth::service directory{pool, cpu, {}};
    auto index = sample_index();
    std::int64_t a = 0, b = 0, cpam = 0;
    pool.write_sync([&](db::connection& c) {
        a = auth::store::insert_org(c, auth::org{0, "CPTS Lille Centre", "cpts", "32", {"59"}, 0}, 0);
        b = auth::store::insert_org(c, auth::org{0, "CPTS Métropole Est", "cpts", "32", {"59"}, 0}, 0);
        cpam = auth::store::insert_org(c, auth::org{0, "CPAM de Lille-Douai", "cpam", "32", {"59"}, 0}, 0);
        store::save_cpts_territory(c, a, {"59009", "59350"}, 0, 100);
        store::save_cpts_territory(c, b, {"59009", "2A004"}, 0, 100);
        store::save_cpts_territory(c, cpam, {"59350"}, 0, 100);  // not a CPTS: never an overlap
    });
    pool.read_sync([&](db::connection& c) {
        auto s = summarise(resolve(*index, {"59350", "59009"}));
        find_overlaps(c, directory, *index, s, a);
        REQUIRE(s.overlaps.size() == 1);
        CHECK(s.overlaps[0].org_id == b);
        CHECK(s.overlaps[0].name == "CPTS Métropole Est");
        CHECK(codes_of(s.overlaps[0].shared) == "59009");
        CHECK(s.overlaps[0].shared_population == 62727);
        auto none = summarise(resolve(*index, {"42218"}));
        find_overlaps(c, directory, *index, none, 0);
        CHECK(none.overlaps.empty());
        CHECK(store::cpts_territory(c, a)->codes == std::vector<std::string>{"59009", "59350"});
        CHECK_THROWS_AS(require_cpts(c, directory, cpam), api_error);
        CHECK(require_cpts(c, directory, a).name == "CPTS Lille Centre");
    });
    // An empty list forgets the territory.
    pool.write_sync([&](db::connection& c) { store::save_cpts_territory(c, b, {}, 0, 200); });
    pool.read_sync([&](db::connection& c) { CHECK_FALSE(store::cpts_territory(c, b)); });

    auth::principal member;
    member.account.role = "membre";
    member.account.org_id = a;
    CHECK(may_edit(member, a));
    CHECK_FALSE(may_edit(member, b));
    member.account.org_id.reset();
    CHECK_FALSE(may_edit(member, a));
    member.account.role = "animateur";
    CHECK(may_edit(member, b));
    member.account.role = "admin";
    CHECK(may_edit(member, b));
    cpu.stop();
    pool.stop();
}

TEST_CASE("territory: the installed package (when there) is read and searched", "[territory]") {
    std::filesystem::path pkg = RELAIS_SEED_DIR "/territory/node_modules/@etalab/decoupage-administratif";
    if (!std::filesystem::exists(pkg / "data" / "communes.json")) {
        WARN("package not installed (scripts/install-territory-data.sh): skipped");
        return;
    }
    std::ifstream in(pkg / "data" / "communes.json");
    auto d = parse_communes(json::parse(in));
    CHECK(d.communes.size() > 34000);
    std::set<std::string> split;
    for (const auto& s : d.split) split.insert(s.code);
    CHECK(split == std::set<std::string>{"13055", "69123", "75056"});
    std::size_t arrondissements = 0;
    for (const auto& s : d.split) arrondissements += s.arrondissements.size();
    CHECK(arrondissements == 20 + 9 + 16);
    commune_index index(std::move(d.communes), std::move(d.split), "6.0.0", 2026);
    // (Its speed is measured in bench/territory, not asserted here.)
    CHECK(index.search("sa", 20).size() == 20);
    auto lille = index.search("lille", 5);
    REQUIRE_FALSE(lille.empty());
    CHECK(lille[0]->code == "59350");
    // Case never matters, in a word being typed too (« LIL » is « lil »: Lille, Lillers…).
    auto names = [&](std::string_view q) {
        std::vector<std::string> out;
        for (const auto* c : index.search(q, 30)) out.push_back(c->name);
        return out;
    };
    CHECK(names("LIL") == names("lil"));
    CHECK_FALSE(names("LIL").empty());
    CHECK(names("LILLE") == names("lille"));
    CHECK(names("Dunk") == names("dunk"));
    CHECK(index.search("75015", 5)[0]->name == "Paris 15e Arrondissement");
}
