#pragma once
// Keeps the Xapian index in step with SQLite. Every change to an item writes a row
// to library_outbox in the same transaction; this thread drains the outbox into the
// index and deletes the rows only after Xapian has committed, so an update that
// reached SQLite reaches the index even across a crash (it is simply indexed again).
#include "db/pool.hpp"
#include "library/store.hpp"
#include "search/index.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

namespace relais::library {

/// Markdown reduced to its words (for the index and snippets).
std::string markdown_to_text(std::string_view markdown);

/// The index entry of an item: its published version, with its attachments' text;
/// nullopt when the item is not public (it must not be in the index).
std::optional<search::document> document_for(db::connection& c, const item& it);

/// "item:12" <-> 12.
std::string doc_id(std::int64_t item_id);
std::optional<std::int64_t> item_id_of(const std::string& doc_id);

class indexer {
public:
    indexer(db::pool& db, search::index& idx);
    ~indexer();

    /// Rebuilds from scratch when the index was built with other synonyms or does not
    /// hold as many documents as there are public items; then starts the thread.
    void start();
    void stop();
    /// Wakes the thread (after a write that queued items).
    void notify();

    /// Drains the outbox on the calling thread; returns the items processed.
    std::size_t drain();
    /// Clears the index and queues every item.
    void rebuild();

private:
    void run();
    std::size_t drain_locked(bool commit_each_batch);

    db::pool& db_;
    search::index& index_;
    std::mutex drain_mutex_;  // one drain at a time (the thread, a rebuild, the CLI)
    std::mutex mutex_;
    std::condition_variable wake_;
    bool pending_ = false;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace relais::library
