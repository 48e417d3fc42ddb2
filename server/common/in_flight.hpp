#pragma once
// What each client (a key: its address) has in progress at once, at most `max` each: one
// client asking for many expensive things together (searches) never fills a pool that
// everyone shares; beyond, the route answers 429 at once instead of queueing.
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace relais {

class in_flight_limit {
public:
    explicit in_flight_limit(std::size_t max) : max_(max) {}
    in_flight_limit(const in_flight_limit&) = delete;
    in_flight_limit& operator=(const in_flight_limit&) = delete;

    /// Held while the work runs; its end frees the place.
    class slot {
    public:
        slot(in_flight_limit* owner, std::string key) : owner_(owner), key_(std::move(key)) {}
        slot(slot&& other) noexcept : owner_(other.owner_), key_(std::move(other.key_)) { other.owner_ = nullptr; }
        slot& operator=(slot&&) = delete;
        ~slot() {
            if (!owner_) return;
            std::lock_guard lock(owner_->mutex_);
            if (auto it = owner_->counts_.find(key_); it != owner_->counts_.end() && --it->second == 0) owner_->counts_.erase(it);
        }

    private:
        in_flight_limit* owner_;
        std::string key_;
    };

    /// A place for `key`, or nothing when it already has `max` in progress.
    std::optional<slot> try_enter(const std::string& key) {
        std::lock_guard lock(mutex_);
        auto& n = counts_[key];
        if (n >= max_) return std::nullopt;
        ++n;
        return slot(this, key);
    }

private:
    std::size_t max_;
    std::mutex mutex_;
    std::map<std::string, std::size_t> counts_;
};

}  // namespace relais
