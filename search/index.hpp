#pragma once
// The Xapian index, derived from SQLite and rebuildable from it. No network code.
//
// Writing: one writer at a time (an internal mutex); the WritableDatabase is opened
// on the first write only, so command-line tools can run beside the server. Reading:
// each thread keeps its own Database (Xapian objects are not shared between threads),
// reopened when this object has committed since its last search (the writer is in this
// process), and a search that meets a DatabaseModifiedError reopens and runs again. Text goes through search::normalise
// on both sides (accents, case, apostrophes, elisions) before Xapian's French stemmer.
// Synonyms and acronyms are expanded at indexing time: a document that says "ACI"
// also gets the words of "accord conventionnel interprofessionnel", and the reverse,
// so that both spellings find it, in phrases too. Changing them needs a reindex
// (synonyms_fingerprint() tells). Xapian errors leave this module as std::runtime_error.
// Queries are read by search::plan_query (query_plan.hpp): keywords (every word), a
// question or long query (60 % of its significant words, by relevance), or the syntax.
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace Xapian { class WritableDatabase; }

namespace relais::search {

/// The index is split into this many Xapian databases (documents by hash of their id),
/// written in parallel and searched as one.
inline constexpr std::size_t index_shards = 2;

struct document {
    std::string id;  // unique key, e.g. "item:12"
    std::string title, summary, body;
    std::map<std::string, std::vector<std::string>> facets;  // e.g. "phase" -> {"diagnostic", "projet_sante"}
    std::int64_t date = 0;                                    // unix seconds
    std::string more;   // searchable but never shown (e.g. the text of attachments)
    std::string extra;  // opaque to the index, returned with hits (e.g. JSON for display)
};

struct query {
    std::string text;  // user syntax: words, "phrases", AND/OR/NOT, prefix*; questions (query_plan.hpp)
    std::map<std::string, std::vector<std::string>> filters;  // facet -> accepted values (OR within, AND across)
    // Facets whose counts ignore their own filter (the values one could add to it); never
    // a filter that restricts what the reader may see.
    std::set<std::string> disjunctive;
    std::size_t offset = 0, limit = 10;
    bool by_date = false;
    std::optional<std::int64_t> date_from, date_to;  // unix seconds, inclusive
    bool any_word = false;  // OR between words instead of AND (a question: one word is enough)
    bool relaxed = false;   // set on the automatic second try: no suggestion, no further fallback
};

struct hit {
    std::string id, title, summary;
    double score = 0;
    std::string snippet;  // plain text around the first match (not HTML: escape it to show it)
    /// The matched words of `snippet` as [begin, end) offsets in UTF-16 code units (what
    /// JavaScript's String.slice counts), in order, not overlapping.
    std::vector<std::pair<std::uint32_t, std::uint32_t>> highlights;
    std::string extra;    // the document's `extra`
};

struct result {
    std::size_t total = 0;  // estimated matches
    std::vector<hit> hits;
    std::map<std::string, std::map<std::string, std::size_t>> facets;  // facet -> value -> count
    // A spelling correction of the query, in the user's text, that finds more than twice
    // as many results; only looked for when the query finds fewer than 5. Or "".
    std::string suggestion;
    // When nothing matched every word: "corrected" (these are the results of the
    // suggestion) or "any_word" (documents with some of the words); "most_words" when
    // keywords found few together and these are most of them (every-word matches
    // first); "" otherwise.
    std::string fallback;
};

/// Groups of equivalent forms, e.g. {"ACI", "accord conventionnel interprofessionnel"}.
using synonym_groups = std::vector<std::vector<std::string>>;

/// Reads "ACRONYME = forme développée ; autre forme" lines ('#' starts a comment).
/// Throws std::invalid_argument naming the line of a malformed entry.
synonym_groups parse_synonyms(std::string_view text);

class index {
public:
    /// Opens the index folder, creating an empty index if there is none.
    explicit index(std::filesystem::path dir);
    ~index();

    /// Documents in the committed index, read through a fresh reader. Throws when
    /// the index cannot be read: this is the health check.
    std::uint32_t document_count() const;
    /// Whether a search was answered within the last `window`: the index evidently reads
    /// (a health check under load need not queue behind the searches to know it).
    bool answered_within(std::chrono::milliseconds window) const;

    /// Adds or replaces a document (by id); visible to searches after commit().
    void put(const document& d);
    /// Many documents at once (a rebuild): analysis runs beside the writing.
    void put_many(const std::vector<document>& docs);
    void remove(const std::string& id);
    void commit();
    /// Takes Xapian's writer lock now and keeps it (the server: no other process may write).
    void open_writer();

    /// Throws std::invalid_argument on a query Xapian cannot parse.
    result search(const query& q) const;

    /// Documents that look like `id` ("Dans le même esprit"), within the filters.
    std::vector<hit> similar(const std::string& id, std::size_t limit,
                             const std::map<std::string, std::vector<std::string>>& filters = {}) const;

    /// Applies to documents put from now on.
    void set_synonyms(synonym_groups groups);
    /// A digest of the synonyms in use, and the one the index was built with ("" if none).
    std::string synonyms_fingerprint() const;
    std::string built_fingerprint() const;
    /// Records the current fingerprint in the index (committed with the next commit()).
    void stamp_fingerprint();
    /// Deletes every document (committed with the next commit()).
    void clear();
    /// A value kept in the index itself (its first shard), "" when none; set_metadata's is
    /// committed with the next commit() (with the documents it describes).
    std::string metadata(const std::string& key) const;
    void set_metadata(const std::string& key, const std::string& value);

    const std::filesystem::path& dir() const noexcept { return dir_; }

private:
    struct prepared;
    prepared prepare(const document& d) const;
    void write(std::size_t shard, prepared& p);
    Xapian::WritableDatabase& writer(std::size_t shard);

    std::filesystem::path dir_;
    std::string reader_key_;  // identifies this index's cached readers across threads
    mutable std::atomic<std::int64_t> last_answer_ms_{0};  // steady clock, when a search last succeeded
    std::atomic<std::uint64_t> generation_{0};  // commits so far: readers reopen when it moves
    synonym_groups synonyms_;
    std::vector<std::vector<std::string>> synonym_words_;  // each form as " normalised words "
    mutable std::mutex writer_mutex_;  // the synonyms
    std::array<std::mutex, index_shards> shard_mutex_;
    std::array<std::unique_ptr<Xapian::WritableDatabase>, index_shards> writers_;
};

}  // namespace relais::search
