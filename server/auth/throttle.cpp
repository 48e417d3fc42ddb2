#include "auth/throttle.hpp"

namespace relais::auth {

long long throttle::retry_after(const std::string& key, clock::time_point now) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return 0;
    auto end = it->second.window_start + window_;
    if (now >= end) {
        entries_.erase(it);
        return 0;
    }
    if (it->second.failures < max_) return 0;
    return std::chrono::duration_cast<std::chrono::seconds>(end - now).count() + 1;
}

void throttle::record_failure(const std::string& key, clock::time_point now) {
    std::lock_guard lock(mutex_);
    if (entries_.size() > 100000) {
        // Bounded memory: forget windows that are over.
        for (auto it = entries_.begin(); it != entries_.end();)
            it = now >= it->second.window_start + window_ ? entries_.erase(it) : std::next(it);
    }
    auto& e = entries_[key];
    if (e.failures == 0 || now >= e.window_start + window_) {
        e.failures = 0;
        e.window_start = now;
    }
    ++e.failures;
}

void throttle::reset(const std::string& key) {
    std::lock_guard lock(mutex_);
    entries_.erase(key);
}

}  // namespace relais::auth
