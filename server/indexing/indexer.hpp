#pragma once
// Keeps the Xapian index in step with SQLite for every module's documents. Every change
// writes a row to search_outbox in the same transaction (indexing::enqueue); this thread
// drains the outbox into the index and deletes the rows only after Xapian has committed,
// so an update that reached SQLite reaches the index even across a crash (it is simply
// indexed again).
#include "db/pool.hpp"
#include "indexing/source.hpp"
#include "search/index.hpp"

#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

namespace relais::indexing {

class indexer {
public:
    indexer(db::pool& db, search::index& idx);
    ~indexer();

    /// Start-up only: the modules' sources, one per type.
    void add_source(source& s);

    /// Rebuilds from scratch when the index was built with other synonyms (or layout) or
    /// does not hold as many documents as the sources expect; applies what the outbox
    /// still holds (changes committed before a crash); then starts the thread.
    void start();
    void stop();
    /// Wakes the thread (after a write that queued documents).
    void notify();

    /// Drains the outbox on the calling thread; returns the documents processed.
    std::size_t drain();
    /// Clears the index and indexes every document of every source again.
    void rebuild();

private:
    void run();
    std::size_t drain_locked(bool commit_each_batch);
    /// The last outbox row committed into the index (0: none recorded).
    std::int64_t stamped_seq() const;
    static constexpr const char* seq_key = "relais_outbox_seq";

    db::pool& db_;
    search::index& index_;
    std::map<std::string, source*, std::less<>> sources_;
    std::mutex drain_mutex_;  // one drain at a time (the thread, a rebuild, the CLI)
    std::mutex mutex_;
    std::condition_variable wake_;
    bool pending_ = false;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace relais::indexing
