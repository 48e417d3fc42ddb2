#include "library/indexer.hpp"

#include "auth/territory.hpp"
#include "common/log.hpp"

#include <regex>
#include <set>

namespace relais::library {

std::string markdown_to_text(std::string_view md) {
    std::string out;
    out.reserve(md.size());
    std::size_t i = 0;
    bool line_start = true;
    while (i < md.size()) {
        char c = md[i];
        if (line_start) {
            // Block markers: headings, quotes, list bullets, check boxes.
            while (i < md.size() && (md[i] == '#' || md[i] == '>' || md[i] == ' ' || md[i] == '\t')) ++i;
            if (i + 1 < md.size() && (md[i] == '-' || md[i] == '*' || md[i] == '+') && md[i + 1] == ' ') i += 2;
            if (md.substr(i, 3) == "[ ]" || md.substr(i, 3) == "[x]") i += 3;
            line_start = false;
            continue;
        }
        if (c == '\n') {
            out += '\n';
            line_start = true;
            ++i;
        } else if (c == '*' || c == '_' || c == '`' || c == '|' || c == '\\') {
            if (c == '|') out += ' ';
            ++i;
        } else if (c == ']' && i + 1 < md.size() && md[i + 1] == '(') {
            // [text](url): keep the text, drop the address.
            auto close = md.find(')', i + 2);
            i = close == std::string_view::npos ? md.size() : close + 1;
        } else if (c == '[') {
            ++i;
        } else {
            out += c;
            ++i;
        }
    }
    return out;
}

std::string doc_id(std::int64_t item_id) { return "item:" + std::to_string(item_id); }

std::optional<std::int64_t> item_id_of(const std::string& id) {
    if (id.rfind("item:", 0) != 0) return std::nullopt;
    try {
        return std::stoll(id.substr(5));
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

std::optional<search::document> document_for(db::connection& c, const item& it) {
    if (!it.is_public()) return std::nullopt;
    auto v = store::version(c, it.id, *it.published_version);
    if (!v) return std::nullopt;
    search::document d;
    d.id = doc_id(it.id);
    d.title = v->title;
    d.summary = v->summary;
    d.body = markdown_to_text(v->body);
    for (const auto& a : v->attachments) {
        if (auto f = store::file(c, a.sha256)) {
            d.more += a.name + "\n" + f->text + "\n";
        }
    }
    d.facets["kind"] = {it.kind};
    d.facets["phase"] = v->phases;
    d.facets["mission"] = v->missions;
    if (it.org_type) d.facets["org_type"] = {*it.org_type};
    if (v->region) d.facets["region"] = {*v->region};
    if (v->date.size() >= 4) d.facets["year"] = {v->date.substr(0, 4)};
    // Unix seconds of the item's date (noon UTC, days from civil).
    int y = 0, m = 0, day = 0;
    if (std::sscanf(v->date.c_str(), "%d-%d-%d", &y, &m, &day) == 3) {
        y -= m <= 2;
        const int era = (y >= 0 ? y : y - 399) / 400;
        const int yoe = y - era * 400;
        const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + day - 1;
        const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        d.date = (static_cast<std::int64_t>(era) * 146097 + doe - 719468) * 86400 + 43200;
    }
    d.extra = json{{"kind", it.kind}, {"date", v->date}, {"phases", v->phases}, {"organisation", it.org_name.value_or("")}}.dump();
    return d;
}

indexer::indexer(db::pool& db, search::index& idx) : db_(db), index_(idx) {}

indexer::~indexer() { stop(); }

void indexer::start() {
    // The server is the only writer of its index: hold the lock from the start, so that
    // `relais reindex` refuses to run beside it and readers can trust this process's commits.
    index_.open_writer();
    std::int64_t public_items = 0;
    db_.read_sync([&](db::connection& c) { public_items = store::count_public(c); });
    auto built = index_.built_fingerprint();
    if (built != index_.synonyms_fingerprint() || index_.document_count() != static_cast<std::uint32_t>(public_items)) {
        log::info("index_rebuild", {{"reason", built != index_.synonyms_fingerprint() ? "synonyms" : "count"},
                                    {"documents", index_.document_count()}, {"public_items", public_items}});
        rebuild();
    }
    thread_ = std::thread([this] { run(); });
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
    db_.write_sync([](db::connection& c) { store::enqueue_all(c); });
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
        std::vector<store::outbox_row> rows;
        db_.read_sync([&](db::connection& c) { rows = store::outbox(c, after, 500); });
        if (rows.empty()) break;
        std::set<std::int64_t> ids;
        for (const auto& r : rows) ids.insert(r.item_id);
        std::vector<search::document> puts;
        std::vector<std::int64_t> removals;
        db_.read_sync([&](db::connection& c) {
            for (auto id : ids) {
                try {
                    auto it = store::find_item(c, id);
                    auto d = it ? document_for(c, *it) : std::nullopt;
                    if (d) puts.push_back(std::move(*d));
                    else removals.push_back(id);
                } catch (const std::exception& e) {
                    // One broken item must not hold back the others: it is skipped (and
                    // indexed again at its next change or rebuild).
                    log::error("indexer_item_failed", {{"item", id}, {"error", e.what()}});
                }
            }
        });
        for (auto id : removals) index_.remove(doc_id(id));
        index_.put_many(puts);
        last = rows.back().seq;
        after = last;
        done += ids.size();
        if (commit_each_batch) {
            index_.commit();
            db_.write_sync([last](db::connection& c) { store::outbox_done(c, last); });
        }
    }
    if (!commit_each_batch && last > 0) {
        index_.commit();
        db_.write_sync([last](db::connection& c) { store::outbox_done(c, last); });
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

}  // namespace relais::library
