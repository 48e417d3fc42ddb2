#pragma once
// Login throttling: after too many failures in a window, an account (or an
// address) is refused until the window ends. In memory: a restart forgets it,
// which is acceptable for a guard against online guessing.
#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

namespace relais::auth {

class throttle {
public:
    using clock = std::chrono::steady_clock;
    throttle(unsigned max_failures, std::chrono::seconds window) : max_(max_failures), window_(window) {}

    /// Seconds to wait before trying again; 0 when allowed.
    long long retry_after(const std::string& key, clock::time_point now = clock::now());
    void record_failure(const std::string& key, clock::time_point now = clock::now());
    void reset(const std::string& key);

private:
    struct entry {
        unsigned failures = 0;
        clock::time_point window_start;
    };
    unsigned max_;
    std::chrono::seconds window_;
    std::mutex mutex_;
    std::unordered_map<std::string, entry> entries_;
};

}  // namespace relais::auth
