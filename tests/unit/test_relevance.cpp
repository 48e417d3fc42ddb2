// Relevance on the seed library: each query of tests/relevance/*.json must put its
// expected item first (within = 1) or in the top 3 (within = 3). The library is
// loaded from seed-content/ through the real seed loader, outbox and indexer.
//
// An entry is {"q", "expect"?, "within"? (3), "only"?, "suggestion"?, "fallback"?, "why"}:
// "expect" is the slug that must be within the first "within" hits; "only" lists the slugs
// the first "within" hits must all be among; "suggestion" is the exact spelling
// suggestion expected ("" for none); "fallback" the expected fallback ("" for none).
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
            auto within = q.value("within", 3);
            search::query sq;
            sq.text = text;
            sq.limit = 10;
            auto r = idx.search(sq);
            std::vector<std::string> got;
            for (const auto& h : r.hits) got.push_back(slug_of[h.id]);
            std::string top;
            for (std::size_t i = 0; i < std::min<std::size_t>(got.size(), 3); ++i) top += (i ? ", " : "") + got[i];
            INFO(file.filename().string() << ": \"" << text << "\"; top 3: " << top
                                          << (r.fallback.empty() ? "" : " (fallback " + r.fallback + ")")
                                          << (r.suggestion.empty() ? "" : " (suggestion \"" + r.suggestion + "\")"));
            bool ok = true;
            const auto known = [&](const std::string& slug) {
                return std::any_of(slug_of.begin(), slug_of.end(), [&](const auto& kv) { return kv.second == slug; });
            };
            if (q.contains("expect")) {
                auto expect = q.at("expect").get<std::string>();
                REQUIRE(known(expect));
                auto pos = std::find(got.begin(), got.end(), expect);
                bool found = pos != got.end() && pos - got.begin() < within;
                INFO("expects " << expect << " within " << within);
                CHECK(found);
                ok = ok && found;
            }
            if (q.contains("only")) {
                auto only = q.at("only").get<std::vector<std::string>>();
                for (const auto& slug : only) REQUIRE(known(slug));
                bool all_in = got.size() >= static_cast<std::size_t>(within);
                for (std::size_t i = 0; all_in && i < static_cast<std::size_t>(within); ++i)
                    all_in = std::find(only.begin(), only.end(), got[i]) != only.end();
                INFO("expects the first " << within << " among " << only.size() << " items");
                CHECK(all_in);
                ok = ok && all_in;
            }
            if (q.contains("suggestion")) {
                auto expected = q.at("suggestion").get<std::string>();
                CHECK(r.suggestion == expected);
                ok = ok && r.suggestion == expected;
            }
            if (q.contains("fallback")) {
                auto expected = q.at("fallback").get<std::string>();
                CHECK(r.fallback == expected);
                ok = ok && r.fallback == expected;
            }
            REQUIRE((q.contains("expect") || q.contains("only") || q.contains("suggestion")));
            if (ok) ++passed;
        }
    }
    INFO("queries: " << total);
    CHECK(total >= 30);
    WARN("relevance: " << passed << "/" << total << " queries answered as expected");
}
