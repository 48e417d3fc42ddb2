#pragma once
// A fixed set of threads for blocking work (SQLite reads, password hashing, files),
// so that the network threads never wait. `run` suspends the calling coroutine,
// runs the function on a worker and resumes the coroutine on its own executor.
#include <boost/asio/awaitable.hpp>

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace relais {

namespace asio = boost::asio;

class worker_pool {
public:
    /// thread_init runs first on each worker with its index (e.g. to open a connection);
    /// thread_exit runs last on each worker.
    worker_pool(std::string name, std::size_t threads,
                std::function<void(std::size_t)> thread_init = {},
                std::function<void()> thread_exit = {});
    ~worker_pool();
    worker_pool(const worker_pool&) = delete;
    worker_pool& operator=(const worker_pool&) = delete;

    /// Queues a job. Returns false when the pool is stopping (the job is dropped).
    bool submit(std::function<void()> job);

    /// Runs fn on a worker; rethrows its exception in the caller.
    template <class F>
    asio::awaitable<void> run(F&& fn) {
        // Not a coroutine: the job is built here and moved into run_job's frame, so
        // the caller's co_await expression holds no temporary with a destructor
        // (GCC 12 may destroy such temporaries twice; see docs/architecture.md).
        return run_job(std::function<void()>(std::forward<F>(fn)));
    }
    asio::awaitable<void> run_job(std::function<void()> job);

    /// Jobs waiting for a worker.
    std::size_t queued() const;

    /// Finishes queued jobs, then joins the threads.
    void stop();

private:
    void loop(std::size_t index);

    std::string name_;
    std::function<void(std::size_t)> thread_init_;
    std::function<void()> thread_exit_;
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<std::function<void()>> jobs_;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

/// Resumes an awaitable continuation, posted to the executor it came from. Used by the
/// pools to hand results back to the network threads.
asio::awaitable<void> suspend_until(const std::function<void(std::function<void(std::exception_ptr)>)>& start);

}  // namespace relais
