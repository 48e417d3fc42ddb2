// The module seam: settings, per-module migrations (and the upgrade of a 0.1 database),
// the list of modules, their errors and their routes' access levels.
#include "app/modules.hpp"
#include "common/metrics.hpp"
#include "db/pool.hpp"
#include "indexing/indexer.hpp"
#include "indexing/module.hpp"
#include "db/database.hpp"
#include "platform/migrate.hpp"
#include "platform/scheduler.hpp"
#include "platform/settings.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

using namespace relais;

namespace {

std::int64_t count(db::connection& c, const std::string& sql) {
    auto s = c.prepare(sql);
    s.step();
    return s.get_int(0);
}

std::int64_t count_in(db::pool& pool, const std::string& sql) {
    std::int64_t n = 0;
    pool.read_sync([&](db::connection& c) { n = count(c, sql); });
    return n;
}

std::vector<platform::module_schema> schema_of(const std::vector<std::unique_ptr<platform::module>>& modules) {
    std::vector<platform::module_schema> out;
    for (const auto& m : modules) out.push_back({m->name(), &m->migrations()});
    return out;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

}  // namespace

TEST_CASE("settings: declared once, typed, bounded, last source wins", "[platform][config]") {
    platform::settings s;
    s.integer("demo.count", 3, 1, 10);
    s.number("demo.rate", 1.5, 0.1, 5);
    s.text("demo.mode", "a", {"a", "b"});
    s.list("demo.hosts", {"x"});
    s.boolean("demo.on", false);
    CHECK_THROWS_AS(s.integer("demo.count", 1, 0, 2), std::logic_error);
    CHECK(s.get_int("demo.count") == 3);
    s.set("demo.count", "7");
    s.set("demo.rate", "2.5");
    s.set("demo.mode", "b");
    s.set("demo.hosts", "h1, h2");
    s.set("demo.on", "true");
    CHECK(s.get_int("demo.count") == 7);
    CHECK(s.get_number("demo.rate") == 2.5);
    CHECK(s.get_text("demo.mode") == "b");
    CHECK(s.get_list("demo.hosts") == std::vector<std::string>{"h1", "h2"});
    CHECK(s.get_bool("demo.on"));
    auto refused = [&](const char* key, const char* value) {
        try {
            s.set(key, value);
        } catch (const platform::config_error& e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    CHECK(refused("demo.count", "11").find("demo.count: 11 is out of range [1, 10]") != std::string::npos);
    CHECK(refused("demo.count", "3x").find("not an integer") != std::string::npos);
    CHECK(refused("demo.mode", "c").find("expected one of") != std::string::npos);
    CHECK(refused("demo.on", "peut-être").find("true or false") != std::string::npos);
    CHECK(refused("demo.nope", "1").find("unknown setting: demo.nope") != std::string::npos);
    CHECK(s.get_int("demo.count") == 7);  // a refused value changes nothing
}

TEST_CASE("modules: unique names, numbered migrations, one catalogue of error codes", "[platform]") {
    auto modules = app::make_modules();
    REQUIRE(modules.size() >= 4);
    std::set<std::string> names;
    std::map<std::string, const error_def*> codes;
    for (const auto& m : modules) {
        INFO(m->name());
        CHECK(names.insert(std::string(m->name())).second);
        int expected = 1;
        for (const auto& mig : m->migrations()) CHECK(mig.version == expected++);
        for (const auto* e : m->errors()) {
            INFO(e->code);
            CHECK(e->message.size() > 10);
            // One code, one condition: two modules may share a code only with its status.
            auto [it, fresh] = codes.emplace(std::string(e->code), e);
            if (!fresh) CHECK(it->second->status == e->status);
        }
    }
    // Settings of two modules never collide (declare throws on a second declaration).
    platform::settings s;
    for (const auto& m : modules) CHECK_NOTHROW(m->declare(s));
}

TEST_CASE("migrations: applied once per module, in module order", "[platform][db]") {
    unit_temp_dir dir;
    auto modules = app::make_modules();
    db::connection c(dir.path / "m.db", db::connection::mode::read_write);
    int total = 0;
    for (const auto& m : modules) total += static_cast<int>(m->migrations().size());
    CHECK(platform::migrate(c, schema_of(modules)) == total);
    CHECK(platform::migrate(c, schema_of(modules)) == 0);
    CHECK(count(c, "SELECT count(*) FROM module_migrations") == total);
    for (const auto& m : modules) {
        INFO(m->name());
        CHECK(count(c, "SELECT count(*) FROM module_migrations WHERE module = '" + std::string(m->name()) + "'") ==
              static_cast<std::int64_t>(m->migrations().size()));
    }
    CHECK(count(c, "PRAGMA foreign_keys") == 1);  // back on after the table rebuild
    CHECK(count(c, "SELECT count(*) FROM pragma_foreign_key_check") == 0);
    // A new module's migrations number from 1 without fighting anyone's.
    static const std::vector<platform::migration> extra{{1, "0001_extra", "CREATE TABLE extra_things(id INTEGER PRIMARY KEY);"}};
    auto with_extra = schema_of(modules);
    with_extra.push_back({"extra", &extra});
    CHECK(platform::migrate(c, with_extra) == 1);
    CHECK(count(c, "SELECT count(*) FROM module_migrations WHERE module = 'extra' AND version = 1") == 1);
}

TEST_CASE("migrations: a database made by a newer Relais is refused, not misread", "[platform][db]") {
    unit_temp_dir dir;
    auto modules = app::make_modules();
    db::connection c(dir.path / "n.db", db::connection::mode::read_write);
    platform::migrate(c, schema_of(modules));
    c.exec("INSERT INTO module_migrations VALUES('auth', 99, '0099_future', 0)");
    try {
        platform::migrate(c, schema_of(modules));
        FAIL("accepted");
    } catch (const std::runtime_error& e) {
        CHECK(std::string(e.what()).find("newer Relais") != std::string::npos);
    }
}

TEST_CASE("migrations: a 0.1 database upgrades in place and keeps every row", "[platform][db]") {
    // tests/fixtures/legacy/relais-0.1.sql: `sqlite3 .dump` of a data folder made by the
    // 0.1 release (one global migration list): seed content, an animateur, a workshop with
    // an invite and a guest, a contributed library item.
    unit_temp_dir dir;
    auto modules = app::make_modules();
    db::connection c(dir.path / "relais.db", db::connection::mode::read_write);
    c.exec(read_file(RELAIS_SOURCE_DIR "/tests/fixtures/legacy/relais-0.1.sql"));
    auto before = [&](const char* table) { return count(c, std::string("SELECT count(*) FROM ") + table); };
    std::map<std::string, std::int64_t> rows;
    for (const char* t : {"users", "organisations", "sessions", "workshops", "workshop_events", "workshop_invites",
                          "workshop_guests", "workshop_templates", "library_items", "library_versions", "library_files"})
        rows[t] = before(t);
    CHECK(rows["users"] == 2);
    CHECK(rows["library_items"] == 36);

    int total = 0;
    for (const auto& m : modules) total += static_cast<int>(m->migrations().size());
    // The four of 0.1 are recognised; the rest (library 0003 and newer modules') apply.
    CHECK(platform::migrate(c, schema_of(modules)) == total - 4);
    for (const auto& [table, n] : rows) {
        INFO(table);
        CHECK(count(c, "SELECT count(*) FROM " + table) == n);
    }
    CHECK(count(c, "SELECT count(*) FROM sqlite_master WHERE name = 'schema_migrations'") == 0);
    CHECK(count(c, "SELECT count(*) FROM module_migrations") == total);
    CHECK(count(c, "SELECT count(*) FROM module_migrations WHERE module = 'library' AND version = 2 AND "
                   "name = '0002_library_uploaders'") == 1);
    CHECK(count(c, "SELECT count(*) FROM library_items WHERE id IN (SELECT item_id FROM library_versions)") == 36);
    CHECK(count(c, "SELECT count(*) FROM pragma_foreign_key_check") == 0);
    CHECK(count(c, "PRAGMA foreign_keys") == 1);
    CHECK(platform::migrate(c, schema_of(modules)) == 0);
}

namespace {
// A module's documents, as a test source: rows of a small table of its own.
class note_source final : public indexing::source {
public:
    std::string_view type() const override { return "note"; }
    std::optional<search::document> document(db::connection& c, std::int64_t key) const override {
        auto s = c.prepare("SELECT text FROM notes WHERE id = ?1 AND visible = 1");
        s.bind(1, key);
        if (!s.step()) return std::nullopt;
        search::document d;
        d.title = "Note " + std::to_string(key);
        d.body = s.get_text(0);
        return d;
    }
    std::vector<std::int64_t> keys(db::connection& c) const override {
        std::vector<std::int64_t> out;
        auto s = c.prepare("SELECT id FROM notes");
        while (s.step()) out.push_back(s.get_int(0));
        return out;
    }
    std::int64_t expected(db::connection& c) const override { return count(c, "SELECT count(*) FROM notes WHERE visible = 1"); }
};
}  // namespace

TEST_CASE("indexing: every module's documents in one index, typed, following the outbox", "[platform][search]") {
    unit_temp_dir dir;
    metrics::registry m;
    db::pool pool({dir.path / "i.db", 1, 16, [](db::connection& c) {
                       platform::migrate(c, {{"indexing", &indexing::migrations()}});
                       c.exec("CREATE TABLE notes(id INTEGER PRIMARY KEY, text TEXT, visible INTEGER)");
                   }},
                  m);
    search::index idx(dir.path / "index");
    indexing::indexer ix(pool, idx);
    note_source notes;
    ix.add_source(notes);
    CHECK_THROWS_AS(ix.add_source(notes), std::logic_error);  // one source per type
    pool.write_sync([](db::connection& c) {
        c.exec("INSERT INTO notes VALUES(1, 'maison de santé pluriprofessionnelle', 1), (2, 'communauté territoriale', 1), "
               "(3, 'brouillon caché', 0)");
    });
    ix.start();  // 0 documents for 2 expected: rebuilt
    CHECK(idx.document_count() == 2);
    search::query q;
    q.text = "maison";
    q.filters["type"] = {"note"};
    auto found = idx.search(q);
    REQUIRE(found.hits.size() == 1);
    CHECK(found.hits[0].id == "note:1");
    CHECK(found.facets["type"]["note"] == 1);
    q.filters["type"] = {"item"};
    CHECK(idx.search(q).hits.empty());
    // A change queued in the writer's transaction reaches the index.
    pool.write_sync([](db::connection& c) {
        c.exec("UPDATE notes SET visible = 0 WHERE id = 1");
        indexing::enqueue(c, "note", 1);
    });
    ix.drain();
    q.filters["type"] = {"note"};
    CHECK(idx.search(q).hits.empty());
    CHECK(count_in(pool, "SELECT count(*) FROM search_outbox") == 0);
    CHECK(indexing::key_of("note", "note:12") == 12);
    CHECK_FALSE(indexing::key_of("note", "item:12"));
    CHECK_FALSE(indexing::key_of("note", "note:12x"));
    ix.stop();
}

TEST_CASE("scheduler: periodic and on-demand runs, one at a time per job, failures recorded, state kept", "[platform][jobs]") {
    unit_temp_dir dir;
    metrics::registry m;
    auto schema = [](db::connection& c) { platform::migrate(c, {{"platform", &platform::migrations()}}); };
    std::atomic<int> slow_runs{0}, concurrent{0}, max_concurrent{0}, failing_runs{0};
    {
        db::pool pool({dir.path / "j.db", 1, 16, schema}, m);
        platform::scheduler jobs(pool, m, 2);
        jobs.every("demo.slow", std::chrono::seconds(3600), [&] {
            int now = ++concurrent;
            int seen = max_concurrent.load();
            while (now > seen && !max_concurrent.compare_exchange_weak(seen, now)) {}
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            --concurrent;
            ++slow_runs;
        });
        jobs.every("demo.failing", std::chrono::seconds(3600), [&] {
            ++failing_runs;
            throw std::runtime_error("source injoignable");
        });
        CHECK_THROWS_AS(jobs.every("demo.slow", std::chrono::seconds(1), [] {}), std::logic_error);
        CHECK_THROWS_AS(jobs.run_soon("inconnu"), std::invalid_argument);
        jobs.start();  // first runs come soon after start (jitter 0)
        auto wait_for = [](auto done) {
            for (int i = 0; i < 100 && !done(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
        };
        wait_for([&] { return slow_runs >= 1 && failing_runs >= 1; });
        // Asked three times while it runs or waits: it runs again, never twice at once.
        jobs.run_soon("demo.slow");
        jobs.run_soon("demo.slow");
        jobs.run_soon("demo.slow");
        wait_for([&] { return slow_runs >= 2; });
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        CHECK(slow_runs >= 2);
        CHECK(slow_runs <= 3);
        CHECK(max_concurrent == 1);
        for (const auto& st : jobs.status()) {
            INFO(st.key);
            if (st.key == "demo.failing") {
                CHECK(st.last_status == "error");
                CHECK(st.last_error == "source injoignable");
                CHECK(st.failures >= 1);
            } else {
                CHECK(st.last_status == "ok");
            }
            CHECK(st.next_run > st.last_run);  // next in an hour
        }
        // A deferred run is kept in the database.
        jobs.defer("demo.failing", 4'000'000'000);  // later than the next run: no change
        jobs.stop();
    }
    CHECK(m.render().find("relais_job_failures_total{job=\"demo.failing\"}") != std::string::npos);
    db::pool pool({dir.path / "j.db", 1, 16, schema}, m);
    CHECK(count_in(pool, "SELECT runs FROM platform_jobs WHERE key = 'demo.slow'") >= 2);
    CHECK(count_in(pool, "SELECT failures FROM platform_jobs WHERE key = 'demo.failing'") >= 1);
    // After a restart, a job not overdue waits for its time (no burst at start).
    platform::scheduler again(pool, m, 1);
    std::atomic<int> runs_after{0};
    again.every("demo.slow", std::chrono::seconds(3600), [&] { ++runs_after; });
    again.start();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    CHECK(runs_after == 0);
    again.stop();
}
