#pragma once
// Login throttling with growing delays, never a lock: each key (an account seen from
// one address, or an address) has a number of free failures; after them, each further
// attempt must wait 1 s, 2 s, 4 s... up to `max_delay` after the last failure. Failures
// are forgotten `memory` after the last one. Successes never count. In memory: a
// restart forgets it, which is acceptable for a guard against online guessing.
#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

namespace relais::auth {

class throttle {
public:
    using clock = std::chrono::steady_clock;
    throttle(unsigned free_failures, std::chrono::seconds max_delay, std::chrono::seconds memory)
        : free_(free_failures), max_delay_(max_delay), memory_(memory) {}

    /// Seconds to wait before trying again; 0 when allowed.
    long long retry_after(const std::string& key, clock::time_point now = clock::now());
    void record_failure(const std::string& key, clock::time_point now = clock::now());
    /// Takes back one failure recorded ahead of a check that then succeeded.
    void forgive(const std::string& key);
    void reset(const std::string& key);

private:
    struct entry {
        unsigned failures = 0;
        clock::time_point last;
    };
    std::chrono::seconds delay_after(unsigned failures) const;
    unsigned free_;
    std::chrono::seconds max_delay_, memory_;
    std::mutex mutex_;
    std::unordered_map<std::string, entry> entries_;
};

/// "8 secondes", "1 minute", "15 minutes": for the French message.
std::string french_wait(long long seconds);

}  // namespace relais::auth
