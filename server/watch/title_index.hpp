#pragma once
// Recent item titles kept in memory, for the cross-feed duplicates that carry another link:
// an inverted index of their words, so that a new title is compared with the titles that
// share a word with it, not with every recent one (which, on the writer, held every other
// write for tens of milliseconds per fetched feed).
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace relais::watch {

class title_index {
public:
    explicit title_index(std::size_t capacity = 20'000) : capacity_(capacity) {}

    /// Adds an item's title (the oldest entries go beyond the capacity).
    void add(std::int64_t id, std::string_view title, std::int64_t published_at);

    /// Removes an item (deleted, or added by a transaction that was rolled back).
    void forget(std::int64_t id);

    /// The most recent item published at or after `since` whose title is at least
    /// `threshold` alike (title_similarity) with `title`, if any.
    std::optional<std::int64_t> find(std::string_view title, double threshold, std::int64_t since) const;

    /// Whether the index was filled from the database yet (by its owner, once).
    bool loaded() const;
    void set_loaded();

    std::size_t size() const;

private:
    struct entry {
        std::int64_t published_at;
        std::vector<std::string> words;
        std::string folded;  // for titles without any significant word
    };
    void erase_locked(std::int64_t id);

    mutable std::mutex mutex_;
    std::size_t capacity_;
    bool loaded_ = false;
    std::unordered_map<std::int64_t, entry> entries_;
    std::unordered_map<std::string, std::vector<std::int64_t>> postings_;
    std::unordered_map<std::string, std::vector<std::int64_t>> wordless_;  // folded title -> ids
    std::deque<std::int64_t> order_;  // insertion order, for the capacity
};

}  // namespace relais::watch
