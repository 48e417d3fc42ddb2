#pragma once
// The database as the rest of the server sees it: reads on a few reader threads,
// each with its own connection; writes on one writer thread that groups the
// pending writes into one transaction (group commit, one fsync for many). Each
// write runs under its own savepoint, so a failing write changes nothing and
// does not fail its neighbours. A write completes only after its COMMIT returned.
#include "common/worker_pool.hpp"
#include "db/database.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace relais::metrics { class registry; class histogram; class counter; }

namespace relais::db {

namespace asio = boost::asio;

class pool {
public:
    struct options {
        std::filesystem::path file;
        std::size_t readers = 2;
        std::size_t max_batch = 256;
        /// Runs on the writer connection before anything else (the modules' migrations).
        std::function<void(connection&)> prepare;
        /// Group commit under load: when the previous commit ended less than
        /// `busy_window` ago, the writer waits up to this long for more writes before it
        /// commits (one fsync for more of them). A lone write is never delayed.
        std::chrono::microseconds commit_delay{0};
        std::chrono::microseconds busy_window{20000};
    };

    /// Opens the database, runs `prepare` (migrations), starts the threads.
    pool(options opts, metrics::registry& metrics);
    ~pool();
    pool(const pool&) = delete;
    pool& operator=(const pool&) = delete;

    /// Runs fn on a reader connection, in one read transaction: all its statements see
    /// the same snapshot (read_snapshot). Exceptions propagate to the caller.
    template <class F>
    asio::awaitable<void> read(F&& fn) {
        return read_job(std::function<void(connection&)>(std::forward<F>(fn)));
    }
    asio::awaitable<void> read_job(std::function<void(connection&)> fn);

    /// Runs fn in the writer's current group transaction; resumes once committed.
    template <class F>
    asio::awaitable<void> write(F&& fn) {
        return write_job(std::function<void(connection&)>(std::forward<F>(fn)));
    }
    asio::awaitable<void> write_job(std::function<void(connection&)> fn);

    /// Callback variants for code that is not a coroutine (the live rooms): `done`
    /// runs on a database thread, after the commit for writes. Must not block.
    void read_async(std::function<void(connection&)> fn, std::function<void(std::exception_ptr)> done);
    void write_async(std::function<void(connection&)> fn, std::function<void(std::exception_ptr)> done);

    /// Blocking variants for start-up and command-line use (not on network threads).
    void read_sync(const std::function<void(connection&)>& fn);
    void write_sync(std::function<void(connection&)> fn);

    /// Finishes pending writes and joins the threads.
    void stop();

    const std::filesystem::path& file() const noexcept { return opts_.file; }

private:
    struct pending_write {
        std::function<void(connection&)> fn;
        std::function<void(std::exception_ptr)> done;
    };
    void submit_write(pending_write job);
    void writer_loop();

    options opts_;
    std::unique_ptr<connection> writer_conn_;
    std::vector<std::unique_ptr<connection>> reader_conns_;
    std::unique_ptr<worker_pool> readers_;

    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<pending_write> writes_;
    bool stopping_ = false;
    bool lingering_ = false;  // the writer is gathering a group: submitters do not wake it
    std::thread writer_;

    metrics::histogram& commit_latency_;
    metrics::counter& commits_;
    metrics::counter& writes_total_;
    metrics::counter& write_errors_;
    metrics::counter& write_refusals_;
};

}  // namespace relais::db
