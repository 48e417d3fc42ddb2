#include "auth/throttle.hpp"

#include <algorithm>

namespace relais::auth {

std::chrono::seconds throttle::delay_after(unsigned failures) const {
    if (failures < free_) return std::chrono::seconds(0);
    unsigned step = std::min(failures - free_, 30u);
    return std::min(max_delay_, std::chrono::seconds(1LL << step));
}

long long throttle::retry_after(const std::string& key, clock::time_point now) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return 0;
    if (now >= it->second.last + memory_) {
        entries_.erase(it);
        return 0;
    }
    auto until = it->second.last + delay_after(it->second.failures);
    if (now >= until) return 0;
    return std::chrono::duration_cast<std::chrono::seconds>(until - now).count() + 1;
}

void throttle::record_failure(const std::string& key, clock::time_point now) {
    std::lock_guard lock(mutex_);
    if (entries_.size() > 100000) {
        // Bounded memory: forget what is over.
        for (auto it = entries_.begin(); it != entries_.end();)
            it = now >= it->second.last + memory_ ? entries_.erase(it) : std::next(it);
    }
    auto& e = entries_[key];
    if (e.failures > 0 && now >= e.last + memory_) e.failures = 0;
    ++e.failures;
    e.last = now;
}

void throttle::forgive(const std::string& key) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return;
    if (it->second.failures <= 1) entries_.erase(it);
    else --it->second.failures;
}

void throttle::reset(const std::string& key) {
    std::lock_guard lock(mutex_);
    entries_.erase(key);
}

std::string french_wait(long long seconds) {
    if (seconds < 60) return std::to_string(std::max(1LL, seconds)) + (seconds > 1 ? " secondes" : " seconde");
    long long minutes = (seconds + 59) / 60;
    return std::to_string(minutes) + (minutes > 1 ? " minutes" : " minute");
}

}  // namespace relais::auth
