#pragma once
// The Xapian index, derived from SQLite and rebuildable from it. No network code.
//
// Writing: one writer at a time (an internal mutex); the WritableDatabase is opened
// on the first write only, so command-line tools can run beside the server. Reading:
// each search opens its own Database (Xapian objects are not shared between threads)
// and retries once on DatabaseModifiedError. Text goes through search::normalise on
// both sides (accents, case, apostrophes, elisions) before Xapian's French stemmer.
// Xapian errors leave this module as std::runtime_error.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace Xapian { class WritableDatabase; }

namespace relais::search {

struct document {
    std::string id;  // unique key, e.g. "item:12"
    std::string title, summary, body;
    std::map<std::string, std::vector<std::string>> facets;  // e.g. "phase" -> {"diagnostic", "projet_sante"}
    std::int64_t date = 0;                                    // unix seconds
};

struct query {
    std::string text;                                         // user syntax: words, "phrases", AND/OR/NOT, prefix*
    std::map<std::string, std::vector<std::string>> filters;  // facet -> accepted values (OR within, AND across)
    std::size_t offset = 0, limit = 10;
    bool by_date = false;
};

struct hit {
    std::string id, title, summary;
    double score = 0;
    std::string snippet;  // HTML-escaped text with <mark> around matched words
};

struct result {
    std::size_t total = 0;  // estimated matches
    std::vector<hit> hits;
    std::map<std::string, std::map<std::string, std::size_t>> facets;  // facet -> value -> count
    std::string suggestion;  // spelling correction of the query, or ""
};

class index {
public:
    /// Opens the index folder, creating an empty index if there is none.
    explicit index(std::filesystem::path dir);
    ~index();

    /// Documents in the committed index, read through a fresh reader. Throws when
    /// the index cannot be read: this is the health check.
    std::uint32_t document_count() const;

    /// Adds or replaces a document (by id); visible to searches after commit().
    void put(const document& d);
    void remove(const std::string& id);
    void commit();

    /// Throws std::invalid_argument on a query Xapian cannot parse.
    result search(const query& q) const;

    const std::filesystem::path& dir() const noexcept { return dir_; }

private:
    Xapian::WritableDatabase& writer();

    std::filesystem::path dir_;
    std::mutex writer_mutex_;
    std::unique_ptr<Xapian::WritableDatabase> writer_;
};

}  // namespace relais::search
