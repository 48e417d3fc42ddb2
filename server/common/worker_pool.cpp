#include "common/worker_pool.hpp"

#include "common/log.hpp"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace relais {

worker_pool::worker_pool(std::string name, std::size_t threads,
                         std::function<void(std::size_t)> thread_init,
                         std::function<void()> thread_exit)
    : name_(std::move(name)), thread_init_(std::move(thread_init)), thread_exit_(std::move(thread_exit)) {
    if (threads == 0) threads = 1;
    for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this, i] { loop(i); });
}

worker_pool::~worker_pool() { stop(); }

bool worker_pool::submit(std::function<void()> job) {
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return false;
        jobs_.push_back(std::move(job));
    }
    cv_.notify_one();
    return true;
}

std::size_t worker_pool::queued() const {
    std::lock_guard lock(mutex_);
    return jobs_.size();
}

void worker_pool::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_)
        if (t.joinable()) t.join();
    threads_.clear();
}

void worker_pool::loop(std::size_t index) {
    if (thread_init_) thread_init_(index);
    for (;;) {
        std::function<void()> job;
        {
            std::unique_lock lock(mutex_);
            cv_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
            if (jobs_.empty()) break;  // stopping and drained
            job = std::move(jobs_.front());
            jobs_.pop_front();
        }
        try {
            job();
        } catch (const std::exception& e) {
            log::error("worker_job_failed", {{"pool", name_}, {"what", e.what()}});
        }
    }
    if (thread_exit_) thread_exit_();
}

asio::awaitable<void> suspend_until(const std::function<void(std::function<void(std::exception_ptr)>)>& start) {
    co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(std::exception_ptr)>(
        [&start](auto handler) {
            auto ex = asio::get_associated_executor(handler);
            auto h = std::make_shared<decltype(handler)>(std::move(handler));
            start([h, ex](std::exception_ptr ep) {
                asio::post(ex, [h, ep]() mutable { std::move (*h)(ep); });
            });
        },
        asio::use_awaitable);
}

asio::awaitable<void> worker_pool::run_job(std::function<void()> fn) {
    bool accepted = true;
    std::function<void(std::function<void(std::exception_ptr)>)> start = [&](std::function<void(std::exception_ptr)> done) {
        // `done` is shared: when the pool refuses the job (stopping), it is still ours to call.
        auto finish = std::make_shared<std::function<void(std::exception_ptr)>>(std::move(done));
        accepted = submit([fn = std::move(fn), finish] {
            std::exception_ptr ep;
            try {
                fn();
            } catch (...) {
                ep = std::current_exception();
            }
            (*finish)(ep);
        });
        if (!accepted) (*finish)(std::make_exception_ptr(std::runtime_error("worker pool stopped")));
    };
    co_await suspend_until(start);
}

}  // namespace relais
