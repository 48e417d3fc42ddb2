// Relevance on the seed library: each query of tests/relevance/*.json must put its
// expected item first (within = 1) or in the top 3 (within = 3). The library is
// loaded from seed-content/ through the real seed loader, outbox and indexer.
#include "common/metrics.hpp"
#include "db/pool.hpp"
#include "library/blobs.hpp"
#include "auth/service.hpp"
#include "common/worker_pool.hpp"
#include "indexing/indexer.hpp"
#include "indexing/module.hpp"
#include "library/documents.hpp"
#include "library/seed.hpp"
#include "search/index.hpp"
#include "auth/module.hpp"
#include "library/module.hpp"
#include "platform/migrate.hpp"
#include "temp_dir.hpp"

#include "library_schema.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <sstream>

using namespace relais;

namespace {

std::string read(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace

TEST_CASE("relevance: the seed library answers the reference queries", "[relevance]") {
    unit_temp_dir dir;
    metrics::registry m;
    db::pool pool({dir.path / "relais.db", 1, 64, library_schema}, m);
    library::blobs files(dir.path / "files");
    search::index idx(dir.path / "index");
    idx.set_synonyms(search::parse_synonyms(read(std::filesystem::path(RELAIS_SEED_DIR) / "synonymes.txt")));
    pool.write_sync([&](db::connection& c) { library::load_seed_library(c, files, RELAIS_SEED_DIR); });
    indexing::indexer ix(pool, idx);
    worker_pool directory_cpu("cpu", 1);
    auth::service directory(pool, directory_cpu, {});
    library::item_source items(directory);
    ix.add_source(items);
    ix.drain();

    std::map<std::string, std::string> slug_of;  // "item:12" -> slug
    pool.read_sync([&](db::connection& c) {
        auto s = c.prepare("SELECT id, slug FROM library_items");
        while (s.step()) slug_of[library::doc_id(s.get_int(0))] = s.get_text(1);
    });

    std::vector<std::filesystem::path> sets;
    for (const auto& e : std::filesystem::directory_iterator(RELAIS_RELEVANCE_DIR))
        if (e.path().extension() == ".json") sets.push_back(e.path());
    std::sort(sets.begin(), sets.end());
    std::size_t total = 0, passed = 0;
    for (const auto& file : sets) {
        auto queries = nlohmann::json::parse(read(file));
        for (const auto& q : queries) {
            ++total;
            auto text = q.at("q").get<std::string>();
            auto expect = q.at("expect").get<std::string>();
            auto within = q.value("within", 3);
            REQUIRE(std::any_of(slug_of.begin(), slug_of.end(), [&](const auto& kv) { return kv.second == expect; }));
            search::query sq;
            sq.text = text;
            sq.limit = 10;
            auto r = idx.search(sq);
            std::vector<std::string> got;
            for (const auto& h : r.hits) got.push_back(slug_of[h.id]);
            auto pos = std::find(got.begin(), got.end(), expect);
            bool ok = pos != got.end() && pos - got.begin() < within;
            std::string top;
            for (std::size_t i = 0; i < std::min<std::size_t>(got.size(), 3); ++i) top += (i ? ", " : "") + got[i];
            INFO(file.filename().string() << ": \"" << text << "\" expects " << expect << " within " << within << "; top 3: " << top
                                          << (r.fallback.empty() ? "" : " (fallback " + r.fallback + ")"));
            CHECK(ok);
            if (ok) ++passed;
        }
    }
    INFO("queries: " << total);
    CHECK(total >= 30);
    WARN("relevance: " << passed << "/" << total << " queries answered as expected");
}
