#include "indexing/indexer.hpp"

#include "common/log.hpp"

#include <set>
#include <stdexcept>

namespace relais::indexing {

void enqueue(db::connection& c, std::string_view type, std::int64_t key) {
    c.prepare("INSERT INTO search_outbox(type, doc_key) VALUES(?1, ?2)").bind(1, type).bind(2, key).exec();
}

std::string doc_id(std::string_view type, std::int64_t key) { return std::string(type) + ":" + std::to_string(key); }

std::optional<std::int64_t> key_of(std::string_view type, const std::string& id) {
    if (id.size() <= type.size() + 1 || id.compare(0, type.size(), type) != 0 || id[type.size()] != ':') return std::nullopt;
    try {
        std::size_t pos = 0;
        auto key = std::stoll(id.substr(type.size() + 1), &pos);
        if (pos != id.size() - type.size() - 1) return std::nullopt;
        return key;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

indexer::indexer(db::pool& db, search::index& idx) : db_(db), index_(idx) {}

indexer::~indexer() { stop(); }

void indexer::add_source(source& s) {
    if (!sources_.emplace(std::string(s.type()), &s).second)
        throw std::logic_error("indexing: two sources for type " + std::string(s.type()));
}

void indexer::start() {
    // The server is the only writer of its index: hold the lock from the start, so that
    // `relais reindex` refuses to run beside it and readers can trust this process's commits.
    index_.open_writer();
    std::int64_t expected = 0;
    db_.read_sync([&](db::connection& c) {
        for (const auto& [type, s] : sources_) expected += s->expected(c);
    });
    // The last outbox row the index holds, against the last the database ever numbered: an
    // index ahead of its database was built after it (a database restored from a backup)
    // and holds texts the database no longer has.
    std::int64_t db_seq = 0;
    db_.read_sync([&](db::connection& c) {
        auto s = c.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'search_outbox'");
        if (s.step()) db_seq = s.get_int(0);
    });
    const auto index_seq = stamped_seq();
    auto built = index_.built_fingerprint();
    const char* reason = built != index_.synonyms_fingerprint() ? "synonyms"
                         : index_.document_count() != static_cast<std::uint32_t>(expected) ? "count"
                         : index_seq > db_seq ? "newer_than_database"
                                              : nullptr;
    if (reason) {
        log::info("index_rebuild", {{"reason", reason}, {"documents", index_.document_count()}, {"expected", expected},
                                    {"index_seq", index_seq}, {"database_seq", db_seq}});
        rebuild();
    }
    // What was acknowledged but not indexed yet when the server last stopped (a crash
    // between a commit and the indexer's round): caught up before the server answers, so
    // that no search sees the index behind its database.
    try {
        if (auto caught_up = drain()) log::info("index_caught_up", {{"documents", caught_up}});
    } catch (const std::exception& e) {
        log::error("indexer_failed", {{"error", e.what()}});  // the thread tries again
        pending_ = true;
    }
    thread_ = std::thread([this] { run(); });
}

std::int64_t indexer::stamped_seq() const {
    const auto text = index_.metadata(seq_key);
    try {
        return text.empty() ? 0 : std::stoll(text);
    } catch (const std::exception&) {
        return 0;
    }
}

void indexer::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void indexer::notify() {
    {
        std::lock_guard lock(mutex_);
        pending_ = true;
    }
    wake_.notify_all();
}

void indexer::rebuild() {
    std::lock_guard lock(drain_mutex_);
    index_.clear();
    index_.stamp_fingerprint();
    index_.set_metadata(seq_key, "0");  // what the rows enqueued below will raise
    db_.write_sync([this](db::connection& c) {
        for (const auto& [type, s] : sources_)
            for (auto key : s->keys(c)) enqueue(c, type, key);
    });
    // One commit at the end: searches see the old index until the new one is whole.
    drain_locked(false);
    index_.commit();
}

std::size_t indexer::drain() {
    std::lock_guard lock(drain_mutex_);
    return drain_locked(true);
}

std::size_t indexer::drain_locked(bool commit_each_batch) {
    std::size_t done = 0;
    std::int64_t after = 0;  // without commits, rows stay until the end: read past them
    std::int64_t last = 0;
    for (;;) {
        std::vector<std::pair<std::string, std::int64_t>> rows;
        db_.read_sync([&](db::connection& c) {
            auto s = c.prepare("SELECT seq, type, doc_key FROM search_outbox WHERE seq > ?1 ORDER BY seq LIMIT 500");
            s.bind(1, after);
            while (s.step()) {
                last = s.get_int(0);
                rows.emplace_back(s.get_text(1), s.get_int(2));
            }
        });
        if (rows.empty()) break;
        std::set<std::pair<std::string, std::int64_t>> todo(rows.begin(), rows.end());
        std::vector<search::document> puts;
        std::vector<std::string> removals;
        db_.read_sync([&](db::connection& c) {
            for (const auto& [type, key] : todo) {
                auto src = sources_.find(type);
                if (src == sources_.end()) continue;  // a module absent from this build: its rows wait
                try {
                    auto d = src->second->document(c, key);
                    if (d) {
                        d->id = doc_id(type, key);
                        d->facets["type"] = {type};
                        puts.push_back(std::move(*d));
                    } else {
                        removals.push_back(doc_id(type, key));
                    }
                } catch (const std::exception& e) {
                    // One broken document must not hold back the others: it is skipped (and
                    // indexed again at its next change or rebuild).
                    log::error("indexer_document_failed", {{"type", type}, {"key", key}, {"error", e.what()}});
                }
            }
        });
        for (const auto& id : removals) index_.remove(id);
        index_.put_many(puts);
        after = last;
        done += todo.size();
        if (commit_each_batch) {
            index_.set_metadata(seq_key, std::to_string(last));
            index_.commit();
            db_.write_sync(
                [last](db::connection& c) { c.prepare("DELETE FROM search_outbox WHERE seq <= ?1").bind(1, last).exec(); });
        }
    }
    if (!commit_each_batch && last > 0) {
        index_.set_metadata(seq_key, std::to_string(last));
        index_.commit();
        db_.write_sync(
            [last](db::connection& c) { c.prepare("DELETE FROM search_outbox WHERE seq <= ?1").bind(1, last).exec(); });
    }
    return done;
}

void indexer::run() {
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            wake_.wait_for(lock, std::chrono::seconds(5), [this] { return pending_ || stopping_; });
            if (stopping_) return;
            pending_ = false;
        }
        try {
            drain();
        } catch (const std::exception& e) {
            // The rows stay in the outbox: the next round tries again.
            log::error("indexer_failed", {{"error", e.what()}});
            std::unique_lock lock(mutex_);
            wake_.wait_for(lock, std::chrono::seconds(2), [this] { return stopping_; });
            if (stopping_) return;
        }
    }
}

}  // namespace relais::indexing
