#include "watch/title_index.hpp"

#include "watch/text.hpp"

#include <algorithm>
#include <cmath>

namespace relais::watch {

namespace {

void remove_id(std::unordered_map<std::string, std::vector<std::int64_t>>& map, const std::string& key, std::int64_t id) {
    auto it = map.find(key);
    if (it == map.end()) return;
    auto& v = it->second;
    v.erase(std::remove(v.begin(), v.end(), id), v.end());
    if (v.empty()) map.erase(it);
}

}  // namespace

void title_index::add(std::int64_t id, std::string_view title, std::int64_t published_at) {
    auto words = title_words(title);
    std::lock_guard lock(mutex_);
    if (entries_.contains(id)) erase_locked(id);
    entry e{published_at, std::move(words), std::string()};
    if (e.words.empty()) {
        e.folded = fold(title);
        if (e.folded.empty()) return;  // an empty title matches nothing
        wordless_[e.folded].push_back(id);
    }
    for (const auto& w : e.words) postings_[w].push_back(id);
    entries_.emplace(id, std::move(e));
    order_.push_back(id);
    while (entries_.size() > capacity_ && !order_.empty()) {
        std::int64_t old = order_.front();
        order_.pop_front();
        if (entries_.contains(old)) erase_locked(old);
    }
    // Ids forgotten earlier are still in order_: compact it when they dominate.
    if (order_.size() > 2 * entries_.size() + 64) {
        std::deque<std::int64_t> kept;
        for (auto x : order_)
            if (entries_.contains(x)) kept.push_back(x);
        order_.swap(kept);
    }
}

void title_index::forget(std::int64_t id) {
    std::lock_guard lock(mutex_);
    erase_locked(id);
}

void title_index::erase_locked(std::int64_t id) {
    auto it = entries_.find(id);
    if (it == entries_.end()) return;
    if (!it->second.folded.empty()) remove_id(wordless_, it->second.folded, id);
    for (const auto& w : it->second.words) remove_id(postings_, w, id);
    entries_.erase(it);
}

std::optional<std::int64_t> title_index::find(std::string_view title, double threshold, std::int64_t since) const {
    auto words = title_words(title);
    std::lock_guard lock(mutex_);
    std::optional<std::int64_t> best;
    const auto consider = [&](std::int64_t id) {
        auto e = entries_.find(id);
        if (e == entries_.end() || e->second.published_at < since) return;
        if (!best || id > *best) best = id;
    };
    if (words.empty()) {
        std::string folded = fold(title);
        if (folded.empty()) return std::nullopt;
        if (auto it = wordless_.find(folded); it != wordless_.end())
            for (auto id : it->second) consider(id);
        return best;
    }
    // A title alike enough shares at least `need` of the new title's words (Dice >= t
    // needs common >= t * |A| / (2 - t), as common <= |B|); so it holds one of any
    // |A| - need + 1 of them: candidates come from the rarest words' lists only, and common
    // words ("CPTS", "santé") are never walked.
    const double t = threshold;
    const auto need = static_cast<std::size_t>(std::max(1.0, std::ceil(t * static_cast<double>(words.size()) / (2.0 - t) - 1e-9)));
    if (need > words.size()) return std::nullopt;
    std::vector<const std::vector<std::int64_t>*> lists;
    for (const auto& w : words) {
        auto it = postings_.find(w);
        lists.push_back(it == postings_.end() ? nullptr : &it->second);
    }
    std::sort(lists.begin(), lists.end(), [](auto* a, auto* b) { return (a ? a->size() : 0) < (b ? b->size() : 0); });
    std::unordered_map<std::int64_t, bool> seen;
    for (std::size_t i = 0; i < words.size() - need + 1; ++i) {
        if (!lists[i]) continue;
        for (auto id : *lists[i]) {
            if (!seen.emplace(id, true).second) continue;
            auto e = entries_.find(id);
            if (e == entries_.end()) continue;
            const auto& b = e->second.words;
            std::size_t common = 0;
            for (auto x = words.cbegin(), y = b.cbegin(); x != words.cend() && y != b.cend();) {
                if (*x < *y) {
                    ++x;
                } else if (*y < *x) {
                    ++y;
                } else {
                    ++common;
                    ++x;
                    ++y;
                }
            }
            double dice = 2.0 * static_cast<double>(common) / static_cast<double>(words.size() + b.size());
            if (dice >= t) consider(id);
        }
    }
    return best;
}

bool title_index::loaded() const {
    std::lock_guard lock(mutex_);
    return loaded_;
}

void title_index::set_loaded() {
    std::lock_guard lock(mutex_);
    loaded_ = true;
}

std::size_t title_index::size() const {
    std::lock_guard lock(mutex_);
    return entries_.size();
}

}  // namespace relais::watch
