#include "common/metrics.hpp"
#include "db/database.hpp"
#include "db/pool.hpp"
#include "temp_dir.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/detached.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <future>
#include <thread>

using namespace relais;

namespace {
std::int64_t count(db::connection& c, const char* sql) {
    auto s = c.prepare(sql);
    s.step();
    return s.get_int(0);
}
}  // namespace

TEST_CASE("connections use WAL, full sync and foreign keys", "[db]") {
    unit_temp_dir dir;
    db::connection c(dir.path / "t.db", db::connection::mode::read_write);
    auto s = c.prepare("PRAGMA journal_mode");
    s.step();
    CHECK(s.get_text(0) == "wal");
    CHECK(count(c, "PRAGMA foreign_keys") == 1);
    CHECK(count(c, "PRAGMA synchronous") == 2);  // FULL
    c.exec("CREATE TABLE parent(id INTEGER PRIMARY KEY); CREATE TABLE child(p INTEGER REFERENCES parent(id))");
    CHECK_THROWS_AS(c.exec("INSERT INTO child VALUES(999)"), db::db_error);
}

TEST_CASE("the pool runs its prepare step before any reader opens", "[db]") {
    unit_temp_dir dir;
    metrics::registry m;
    int prepared = 0;
    db::pool pool({dir.path / "p.db", 1, 16, [&](db::connection& c) {
                       ++prepared;
                       c.exec("CREATE TABLE IF NOT EXISTS ready(x)");
                   }},
                  m);
    CHECK(prepared == 1);
    pool.read_sync([&](db::connection& c) { CHECK(count(c, "SELECT count(*) FROM ready") == 0); });
}

TEST_CASE("transactions and savepoints roll back unless committed", "[db]") {
    unit_temp_dir dir;
    db::connection c(dir.path / "t.db", db::connection::mode::read_write);
    c.exec("CREATE TABLE t(x INTEGER UNIQUE)");
    {
        db::transaction tx(c);
        c.prepare("INSERT INTO t VALUES(?1)").bind(1, 1).exec();
    }
    CHECK(count(c, "SELECT count(*) FROM t") == 0);
    {
        db::transaction tx(c);
        c.prepare("INSERT INTO t VALUES(?1)").bind(1, 1).exec();
        {
            db::savepoint sp(c, "inner");
            c.prepare("INSERT INTO t VALUES(?1)").bind(1, 2).exec();
        }
        tx.commit();
    }
    CHECK(count(c, "SELECT count(*) FROM t") == 1);
    try {
        c.prepare("INSERT INTO t VALUES(?1)").bind(1, 1).exec();
        FAIL("duplicate accepted");
    } catch (const db::db_error& e) {
        CHECK(e.is_constraint());
    }
    // A statement from the cache is reset and reusable after an error.
    c.prepare("INSERT INTO t VALUES(?1)").bind(1, 5).exec();
    CHECK(count(c, "SELECT count(*) FROM t") == 2);
}

TEST_CASE("pool: group commit, isolated failures, reads see committed writes", "[db]") {
    unit_temp_dir dir;
    metrics::registry m;
    db::pool pool({dir.path / "p.db", 2, 64, {}}, m);
    pool.write_sync([](db::connection& c) { c.exec("CREATE TABLE t(x INTEGER PRIMARY KEY)"); });

    boost::asio::io_context ioc;
    std::atomic<int> ok{0}, failed{0};
    constexpr int n = 300;
    // Hold the writer busy while the writes queue up behind it: they must then go out
    // in a few groups (at most 64 each here), not one commit each.
    std::atomic<bool> blocker_done{false};
    pool.write_async([](db::connection&) { std::this_thread::sleep_for(std::chrono::milliseconds(300)); },
                     [&](std::exception_ptr) { blocker_done = true; });
    for (int i = 0; i < n; ++i) {
        boost::asio::co_spawn(ioc, [&, i]() -> boost::asio::awaitable<void> {
            try {
                co_await pool.write([i](db::connection& c) {
                    c.prepare("INSERT INTO t VALUES(?1)").bind(1, i).exec();
                    if (i % 10 == 0) throw std::runtime_error("refused");  // rolled back alone
                });
                ++ok;
            } catch (const std::runtime_error&) {
                ++failed;
            }
        }, boost::asio::detached);
    }
    std::thread t1([&] { ioc.run(); });
    ioc.run();
    t1.join();
    CHECK(ok == n - n / 10);
    CHECK(failed == n / 10);
    std::int64_t rows = 0, tenth = -1;
    pool.read_sync([&](db::connection& c) {
        rows = count(c, "SELECT count(*) FROM t");
        tenth = count(c, "SELECT count(*) FROM t WHERE x % 10 = 0");
    });
    CHECK(rows == n - n / 10);
    CHECK(tenth == 0);
    // Fewer commits than writes: they were grouped. One for the table, one for the
    // blocker (perhaps with a few early writes), then groups of at most 64.
    CHECK(blocker_done);
    auto commits = m.get_counter("relais_db_commits_total", "").value();
    CHECK(commits <= 2 + (n + 63) / 64 + 1);
    CHECK(m.get_counter("relais_db_writes_total", "").value() == n + 2);
    CHECK(m.get_histogram("relais_db_commit_seconds", "").count() == commits);
    // Reader connections are read-only.
    CHECK_THROWS(pool.read_sync([](db::connection& c) { c.exec("INSERT INTO t VALUES(100000)"); }));
}

TEST_CASE("pool: each read job sees one snapshot, whatever commits during it", "[db]") {
    unit_temp_dir dir;
    metrics::registry m;
    db::pool pool({dir.path / "s.db", 1, 64, {}}, m);
    pool.write_sync([](db::connection& c) { c.exec("CREATE TABLE t(x INTEGER); INSERT INTO t VALUES(1)"); });
    const auto insert = [&](int v) { pool.write_sync([v](db::connection& c) { c.prepare("INSERT INTO t VALUES(?1)").bind(1, v).exec(); }); };

    // A commit between two statements of one read is not seen by the second (all three
    // entry points: blocking, callback, coroutine).
    std::int64_t before = -1, after = -1;
    pool.read_sync([&](db::connection& c) {
        before = count(c, "SELECT count(*) FROM t");
        insert(2);  // committed by the writer thread while this read is open
        after = count(c, "SELECT sum(x) FROM t");
    });
    CHECK(before == 1);
    CHECK(after == 1);

    std::promise<std::pair<std::int64_t, std::int64_t>> seen;
    pool.read_async(
        [&](db::connection& c) {
            auto a = count(c, "SELECT count(*) FROM t");
            insert(3);
            seen.set_value({a, count(c, "SELECT count(*) FROM t")});
        },
        [](std::exception_ptr) {});
    auto [a, b] = seen.get_future().get();
    CHECK(a == 2);
    CHECK(b == 2);

    boost::asio::io_context ioc;
    std::int64_t first = -1, second = -1;
    boost::asio::co_spawn(ioc, [&]() -> boost::asio::awaitable<void> {
        co_await pool.read([&](db::connection& c) {
            first = count(c, "SELECT count(*) FROM t");
            insert(4);
            second = count(c, "SELECT count(*) FROM t");
        });
    }, boost::asio::detached);
    ioc.run();
    CHECK(first == 3);
    CHECK(second == 3);

    // The next read sees every commit; a read that throws leaves no transaction open.
    CHECK_THROWS(pool.read_sync([](db::connection& c) { c.exec("SELECT nothing FROM nowhere"); }));
    std::int64_t now = -1;
    bool open = true;
    pool.read_sync([&](db::connection& c) {
        now = count(c, "SELECT count(*) FROM t");
        open = c.in_transaction();
    });
    CHECK(now == 4);
    CHECK(open);  // inside the job's own snapshot
    pool.read_sync([&](db::connection& c) { CHECK_THROWS(c.exec("BEGIN")); });  // already in one
}

TEST_CASE("pool: under load the writer gathers writes for commit_delay, a lone write goes at once", "[db]") {
    unit_temp_dir dir;
    metrics::registry m;
    db::pool::options o{dir.path / "p.db", 1, 64, {}};
    o.commit_delay = std::chrono::milliseconds(400);
    o.busy_window = std::chrono::seconds(5);
    db::pool pool(o, m);
    auto& commits = m.get_counter("relais_db_commits_total", "");
    pool.write_sync([](db::connection& c) { c.exec("CREATE TABLE t(x INTEGER PRIMARY KEY)"); });
    // Right after a commit (within the busy window): ten writes submitted one after the
    // other, 5 ms apart (each would otherwise have the writer to itself), share one commit.
    auto before = commits.value();
    std::atomic<int> done{0};
    for (int i = 0; i < 10; ++i, std::this_thread::sleep_for(std::chrono::milliseconds(5)))
        pool.write_async([i](db::connection& c) { c.prepare("INSERT INTO t VALUES(?1)").bind(1, i).exec(); },
                         [&](std::exception_ptr ep) {
                             CHECK(!ep);
                             ++done;
                         });
    while (done < 10) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    CHECK(commits.value() == before + 1);

    // A full group does not wait for the delay.
    db::pool::options full{dir.path / "q.db", 1, 4, {}};
    full.commit_delay = std::chrono::seconds(30);
    full.busy_window = std::chrono::seconds(60);
    metrics::registry m2;
    db::pool pool2(full, m2);
    pool2.write_sync([](db::connection& c) { c.exec("CREATE TABLE t(x INTEGER PRIMARY KEY)"); });
    auto t0 = std::chrono::steady_clock::now();
    std::atomic<int> done2{0};
    for (int i = 0; i < 4; ++i)
        pool2.write_async([i](db::connection& c) { c.prepare("INSERT INTO t VALUES(?1)").bind(1, i).exec(); },
                          [&](std::exception_ptr) { ++done2; });
    while (done2 < 4) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10));

    // Idle (the last commit is older than the busy window): a write is not held back.
    db::pool::options idle{dir.path / "r.db", 1, 64, {}};
    idle.commit_delay = std::chrono::seconds(30);
    idle.busy_window = std::chrono::milliseconds(1);
    metrics::registry m3;
    db::pool pool3(idle, m3);
    pool3.write_sync([](db::connection& c) { c.exec("CREATE TABLE t(x INTEGER PRIMARY KEY)"); });
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    t0 = std::chrono::steady_clock::now();
    pool3.write_sync([](db::connection& c) { c.exec("INSERT INTO t VALUES(1)"); });
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10));
}

TEST_CASE("backup is a consistent, usable copy", "[db]") {
    unit_temp_dir dir;
    metrics::registry m;
    db::pool pool({dir.path / "src.db", 1, 64, {}}, m);
    pool.write_sync([](db::connection& c) {
        c.exec("CREATE TABLE t(x)");
        for (int i = 0; i < 1000; ++i) c.prepare("INSERT INTO t VALUES(?1)").bind(1, i).exec();
    });
    pool.read_sync([&](db::connection& c) { db::backup(c, dir.path / "copy.db"); });
    db::connection copy(dir.path / "copy.db", db::connection::mode::read_only);
    CHECK(count(copy, "SELECT count(*) FROM t") == 1000);
}
