#include "db/pool.hpp"

#include "common/errors.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"

#include <chrono>
#include <future>

namespace relais::db {
namespace {
thread_local connection* reader_connection = nullptr;
}

pool::pool(options opts, metrics::registry& metrics)
    : opts_(std::move(opts)),
      commit_latency_(metrics.get_histogram("relais_db_commit_seconds", "Time to commit one group of writes (fsync included).")),
      commits_(metrics.get_counter("relais_db_commits_total", "Group commits (one fsync each).")),
      writes_total_(metrics.get_counter("relais_db_writes_total", "Writes submitted to the writer.")),
      write_errors_(metrics.get_counter("relais_db_write_errors_total",
                                        "Writes that failed on a fault (not a rule) and were rolled back.")),
      write_refusals_(metrics.get_counter("relais_db_write_refusals_total",
                                          "Writes refused by a rule (an api_error: a conflict, a bad value) and rolled back.")) {
    writer_conn_ = std::make_unique<connection>(opts_.file, connection::mode::read_write);
    if (opts_.prepare) opts_.prepare(*writer_conn_);
    for (std::size_t i = 0; i < std::max<std::size_t>(1, opts_.readers); ++i)
        reader_conns_.push_back(std::make_unique<connection>(opts_.file, connection::mode::read_only));
    readers_ = std::make_unique<worker_pool>("db-read", reader_conns_.size(),
                                             [this](std::size_t i) { reader_connection = reader_conns_[i].get(); });
    writer_ = std::thread([this] { writer_loop(); });
}

pool::~pool() { stop(); }

void pool::stop() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_ && !writer_.joinable()) return;
        stopping_ = true;
    }
    cv_.notify_all();
    if (writer_.joinable()) writer_.join();
    if (readers_) readers_->stop();
}

asio::awaitable<void> pool::read_job(std::function<void(connection&)> fn) {
    std::function<void()> job = [&fn] {
        read_snapshot snapshot(*reader_connection);
        fn(*reader_connection);
    };
    co_await readers_->run_job(std::move(job));
}

asio::awaitable<void> pool::write_job(std::function<void(connection&)> fn) {
    std::function<void(std::function<void(std::exception_ptr)>)> start = [&](std::function<void(std::exception_ptr)> done) {
        submit_write({std::move(fn), std::move(done)});
    };
    co_await suspend_until(start);
}

void pool::read_async(std::function<void(connection&)> fn, std::function<void(std::exception_ptr)> done) {
    auto job = [fn = std::move(fn), done] {
        std::exception_ptr ep;
        try {
            read_snapshot snapshot(*reader_connection);
            fn(*reader_connection);
        } catch (...) {
            ep = std::current_exception();
        }
        done(ep);
    };
    if (!readers_->submit(std::move(job))) done(std::make_exception_ptr(std::runtime_error("database stopped")));
}

void pool::write_async(std::function<void(connection&)> fn, std::function<void(std::exception_ptr)> done) {
    submit_write({std::move(fn), std::move(done)});
}

void pool::read_sync(const std::function<void(connection&)>& fn) {
    std::promise<void> p;
    auto f = p.get_future();
    bool ok = readers_->submit([&] {
        try {
            {
                read_snapshot snapshot(*reader_connection);
                fn(*reader_connection);
            }
            p.set_value();
        } catch (...) {
            p.set_exception(std::current_exception());
        }
    });
    if (!ok) throw std::runtime_error("database stopped");
    f.get();
}

void pool::write_sync(std::function<void(connection&)> fn) {
    std::promise<void> p;
    auto f = p.get_future();
    submit_write({std::move(fn), [&p](std::exception_ptr ep) {
                      if (ep) p.set_exception(ep);
                      else p.set_value();
                  }});
    f.get();
}

void pool::submit_write(pending_write job) {
    bool refused = false, wake = false;
    {
        std::lock_guard lock(mutex_);
        if (stopping_) refused = true;
        else {
            writes_.push_back(std::move(job));
            // While the writer gathers a group it wakes on its own, unless the group is full.
            wake = !lingering_ || writes_.size() >= opts_.max_batch;
        }
    }
    // The callback may take other locks (a room's): never call it under ours.
    if (refused) job.done(std::make_exception_ptr(std::runtime_error("database stopped")));
    else if (wake) cv_.notify_one();
}

void pool::writer_loop() {
    auto& c = *writer_conn_;
    std::vector<pending_write> batch;
    std::vector<std::exception_ptr> results;
    auto last_commit = std::chrono::steady_clock::time_point{};
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            cv_.wait(lock, [&] { return stopping_ || !writes_.empty(); });
            if (writes_.empty()) break;  // stopping and drained
            // Under load (a commit just ended), wait a little for more writes to share the
            // next commit's fsync; a write that arrives on an idle database goes at once.
            auto now = std::chrono::steady_clock::now();
            if (opts_.commit_delay.count() > 0 && !stopping_ && writes_.size() < opts_.max_batch &&
                now - last_commit < opts_.busy_window) {
                lingering_ = true;
                cv_.wait_until(lock, now + opts_.commit_delay,
                               [&] { return stopping_ || writes_.size() >= opts_.max_batch; });
                lingering_ = false;
            }
            while (!writes_.empty() && batch.size() < opts_.max_batch) {
                batch.push_back(std::move(writes_.front()));
                writes_.pop_front();
            }
        }
        results.assign(batch.size(), nullptr);
        auto start = std::chrono::steady_clock::now();
        try {
            transaction tx(c);
            for (std::size_t i = 0; i < batch.size(); ++i) {
                savepoint sp(c, "w");
                try {
                    batch[i].fn(c);
                    sp.release();
                } catch (const api_error&) {
                    // Refused by a rule (a name already taken, a stale version): the
                    // caller's answer, not a fault of the database.
                    results[i] = std::current_exception();
                    write_refusals_.inc();
                } catch (...) {
                    results[i] = std::current_exception();
                    write_errors_.inc();
                }
            }
            tx.commit();
        } catch (...) {
            // The group could not commit: none of it is on disk, all of it fails.
            auto ep = std::current_exception();
            for (auto& r : results) r = ep;
            write_errors_.inc(batch.size());
            try {
                std::rethrow_exception(ep);
            } catch (const std::exception& e) {
                log::error("db_commit_failed", {{"what", e.what()}, {"writes", batch.size()}});
            }
        }
        last_commit = std::chrono::steady_clock::now();
        std::chrono::duration<double> elapsed = last_commit - start;
        commit_latency_.observe(elapsed.count());
        commits_.inc();
        writes_total_.inc(batch.size());
        for (std::size_t i = 0; i < batch.size(); ++i) batch[i].done(results[i]);
        batch.clear();
    }
}

}  // namespace relais::db
