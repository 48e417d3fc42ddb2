#include "platform/scheduler.hpp"

#include "common/log.hpp"
#include "common/metrics.hpp"
#include "common/time.hpp"

#include <algorithm>
#include <limits>
#include <random>
#include <stdexcept>

namespace relais::platform {

scheduler::scheduler(db::pool& db, metrics::registry& metrics, std::size_t threads)
    : db_(db), metrics_(metrics), threads_(std::max<std::size_t>(1, threads)) {}

scheduler::~scheduler() { stop(); }

std::int64_t scheduler::jitter(std::int64_t max_s) {
    if (max_s <= 0) return 0;
    thread_local std::mt19937_64 rng{std::random_device{}()};
    return std::uniform_int_distribution<std::int64_t>(0, max_s)(rng);
}

void scheduler::every(std::string key, std::chrono::seconds interval, std::function<void()> fn, std::chrono::seconds jitter_max) {
    std::lock_guard lock(mutex_);
    if (started_) throw std::logic_error("scheduler: job registered after start: " + key);
    if (interval.count() <= 0) throw std::logic_error("scheduler: interval must be positive: " + key);
    if (jobs_.count(key)) throw std::logic_error("scheduler: job registered twice: " + key);
    job j;
    j.st.key = key;
    j.st.interval_s = interval.count();
    j.fn = std::move(fn);
    j.jitter_s = jitter_max.count();
    auto label = metrics::labels({{"job", key}});
    j.runs = &metrics_.get_counter("relais_job_runs_total", "Runs of a background job.", label);
    j.failures = &metrics_.get_counter("relais_job_failures_total", "Runs of a background job that failed.", label);
    j.duration = &metrics_.get_histogram("relais_job_duration_seconds", "Duration of a background job's runs.", label);
    jobs_.emplace(std::move(key), std::move(j));
}

bool scheduler::has(const std::string& key) const {
    std::lock_guard lock(mutex_);
    return jobs_.count(key) > 0;
}

void scheduler::start() {
    std::map<std::string, std::int64_t> stored;
    std::map<std::string, job_status> last;
    db_.read_sync([&](db::connection& c) {
        auto s = c.prepare(
            "SELECT key, next_run, last_run, last_status, last_error, last_duration_ms, runs, failures "
            "FROM platform_jobs");
        while (s.step()) {
            job_status st;
            st.key = s.get_text(0);
            st.next_run = s.get_int(1);
            st.last_run = s.is_null(2) ? 0 : s.get_int(2);
            st.last_status = s.get_text(3);
            st.last_error = s.get_text(4);
            st.last_duration_ms = s.get_int(5);
            st.runs = s.get_int(6);
            st.failures = s.get_int(7);
            last[st.key] = st;
        }
    });
    auto now = unix_now();
    {
        std::lock_guard lock(mutex_);
        for (auto& [key, j] : jobs_) {
            if (auto it = last.find(key); it != last.end()) {
                auto interval = j.st.interval_s;
                j.st = it->second;
                j.st.interval_s = interval;
                j.st.running = false;
                // Overdue after a stop: one catch-up run soon, not a burst.
                if (j.st.next_run < now) j.st.next_run = now + jitter(std::min<std::int64_t>(j.jitter_s, 30));
            } else {
                j.st.next_run = now + jitter(std::min<std::int64_t>(j.jitter_s, 30));
            }
        }
        started_ = true;
    }
    loop_thread_ = std::thread([this] { loop(); });
    for (std::size_t i = 0; i < threads_; ++i)
        workers_.emplace_back([this] {
            for (;;) {
                std::string key;
                {
                    std::unique_lock lock(mutex_);
                    wake_.wait(lock, [this] { return stopping_ || !ready_.empty(); });
                    if (stopping_) return;
                    key = std::move(ready_.front());
                    ready_.erase(ready_.begin());
                }
                run(key);
            }
        });
}

// Finds due jobs and hands them to the workers; sleeps until the next one is due.
void scheduler::loop() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        auto now = unix_now();
        std::int64_t next = now + 3600;
        for (auto& [key, j] : jobs_) {
            if (j.st.running) continue;
            if (j.st.next_run <= now) {
                j.st.running = true;
                ready_.push_back(key);
            } else {
                next = std::min(next, j.st.next_run);
            }
        }
        if (!ready_.empty()) wake_.notify_all();
        wake_.wait_until(lock, std::chrono::system_clock::from_time_t(static_cast<std::time_t>(next)));
    }
}

void scheduler::run(const std::string& key) {
    std::function<void()> fn;
    job* j;
    {
        std::lock_guard lock(mutex_);
        j = &jobs_.at(key);
        fn = j->fn;
    }
    auto start = std::chrono::steady_clock::now();
    std::string error;
    try {
        fn();
    } catch (const std::exception& e) {
        error = e.what();
    } catch (...) {
        error = "unknown error";
    }
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    j->runs->inc();
    j->duration->observe(seconds);
    if (!error.empty()) {
        j->failures->inc();
        log::warn("job_failed", {{"job", key}, {"error", error}});
    }
    job_status snapshot;
    {
        std::lock_guard lock(mutex_);
        auto now = unix_now();
        auto& st = j->st;
        st.running = false;
        st.last_run = now;
        st.last_status = error.empty() ? "ok" : "error";
        st.last_error = error.substr(0, 500);
        st.last_duration_ms = static_cast<std::int64_t>(seconds * 1000);
        ++st.runs;
        if (!error.empty()) ++st.failures;
        // A run asked for while this one ran (run_soon, defer) is kept.
        st.next_run = std::min(now + st.interval_s + jitter(j->jitter_s), j->pending);
        j->pending = std::numeric_limits<std::int64_t>::max();
        snapshot = st;
    }
    wake_.notify_all();
    try {
        persist(snapshot, true);
    } catch (const std::exception& e) {
        log::warn("job_state_not_saved", {{"job", key}, {"error", e.what()}});
    }
}

// Writes a job's state; `wait` false: queued for the writer (callers on any thread, a
// network thread included, never wait for the disk).
void scheduler::persist(const job_status& st, bool wait) {
    auto write = [st](db::connection& c) {
        c.prepare(
             "INSERT INTO platform_jobs(key, next_run, last_run, last_status, last_error, last_duration_ms, runs, failures) "
             "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(key) DO UPDATE SET next_run = excluded.next_run, "
             "last_run = excluded.last_run, last_status = excluded.last_status, last_error = excluded.last_error, "
             "last_duration_ms = excluded.last_duration_ms, runs = excluded.runs, failures = excluded.failures")
            .bind(1, st.key)
            .bind(2, st.next_run)
            .bind(3, st.last_run ? std::optional<std::int64_t>(st.last_run) : std::nullopt)
            .bind(4, st.last_status)
            .bind(5, st.last_error)
            .bind(6, st.last_duration_ms)
            .bind(7, st.runs)
            .bind(8, st.failures)
            .exec();
    };
    if (wait) {
        db_.write_sync(write);
        return;
    }
    db_.write_async(write, [key = st.key](std::exception_ptr ep) {
        if (!ep) return;
        try {
            std::rethrow_exception(ep);
        } catch (const std::exception& e) {
            log::warn("job_state_not_saved", {{"job", key}, {"error", e.what()}});
        }
    });
}

void scheduler::run_soon(const std::string& key) { defer(key, 0); }

void scheduler::defer(const std::string& key, std::int64_t at) {
    job_status snapshot;
    bool save = false;
    {
        std::lock_guard lock(mutex_);
        auto it = jobs_.find(key);
        if (it == jobs_.end()) throw std::invalid_argument("scheduler: unknown job " + key);
        auto& st = it->second.st;
        if (st.running) {
            it->second.pending = std::min(it->second.pending, at);
            return;
        }
        if (at >= st.next_run) return;
        st.next_run = at;
        // A deferred run in the future is persisted; "as soon as possible" needs not be.
        save = started_ && at > unix_now();
        snapshot = st;
    }
    wake_.notify_all();
    if (save) persist(snapshot, false);
}

std::vector<job_status> scheduler::status() const {
    std::lock_guard lock(mutex_);
    std::vector<job_status> out;
    for (const auto& [key, j] : jobs_) out.push_back(j.st);
    return out;
}

void scheduler::stop() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        stopping_ = true;
    }
    wake_.notify_all();
    if (loop_thread_.joinable()) loop_thread_.join();
    for (auto& t : workers_)
        if (t.joinable()) t.join();
    workers_.clear();
}

}  // namespace relais::platform
