#pragma once
// Background jobs: periodic ones (every N seconds, with jitter) that modules register at
// start-up, and deferred runs (`defer`, `run_soon`). A job's next run and last outcome are
// in platform_jobs, so a restart neither forgets a deferred run nor runs everything at
// once. At most one run of a key at a time; runs happen on the scheduler's own threads,
// never on the network threads or the CPU pool. Visible in /metrics (relais_job_*) and
// GET /api/admin/jobs.
#include "db/pool.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace relais::metrics {
class registry;
class counter;
class histogram;
}  // namespace relais::metrics

namespace relais::platform {

struct job_status {
    std::string key;
    std::int64_t interval_s = 0;
    std::int64_t next_run = 0;  // unix seconds
    std::int64_t last_run = 0;  // 0: never
    std::string last_status;    // "", "ok", "error"
    std::string last_error;
    std::int64_t last_duration_ms = 0;
    std::int64_t runs = 0, failures = 0;
    bool running = false;
};

class scheduler {
public:
    scheduler(db::pool& db, metrics::registry& metrics, std::size_t threads);
    ~scheduler();
    scheduler(const scheduler&) = delete;
    scheduler& operator=(const scheduler&) = delete;

    /// Registers a job that runs every `interval` (plus a random delay up to `jitter`), on
    /// the scheduler's threads. A run that throws is recorded as failed, and the job runs
    /// again at its next interval (jobs retry their own items with their own backoff).
    /// Start-up only, before `start`.
    void every(std::string key, std::chrono::seconds interval, std::function<void()> fn,
               std::chrono::seconds jitter = std::chrono::seconds(0));
    /// Runs the job as soon as a thread is free (e.g. mail was queued). Any thread.
    void run_soon(const std::string& key);
    /// Moves the job's next run to `at` (unix seconds) when that is sooner; persisted
    /// (queued for the database writer: never waits). Any thread.
    void defer(const std::string& key, std::int64_t at);

    /// Reads the persisted next runs, then runs jobs until `stop`.
    void start();
    /// Waits for the running jobs to finish; no new run starts.
    void stop();

    std::vector<job_status> status() const;
    bool has(const std::string& key) const;

private:
    struct job {
        job_status st;
        std::function<void()> fn;
        std::int64_t jitter_s = 0;
        std::int64_t pending = INT64_MAX;  // a run asked for while running
        metrics::counter* runs = nullptr;
        metrics::counter* failures = nullptr;
        metrics::histogram* duration = nullptr;
    };
    void loop();
    void run(const std::string& key);
    void persist(const job_status& st, bool wait);
    std::int64_t jitter(std::int64_t max_s);

    db::pool& db_;
    metrics::registry& metrics_;
    std::size_t threads_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::map<std::string, job> jobs_;
    bool started_ = false, stopping_ = false;
    std::size_t running_ = 0;
    std::thread loop_thread_;
    std::vector<std::thread> workers_;
    std::vector<std::string> ready_;  // due keys waiting for a worker
};

}  // namespace relais::platform
