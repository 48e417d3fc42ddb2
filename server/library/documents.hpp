#pragma once
// The library's items as documents of the search index (type "item"), for the indexing
// module, which keeps the index in step with SQLite.
#include "indexing/source.hpp"
#include "library/store.hpp"
#include "search/index.hpp"

#include <optional>

namespace relais::library {

/// Markdown reduced to its words (for the index and snippets).
std::string markdown_to_text(std::string_view markdown);

/// The index entry of an item: its published version, with its attachments' text;
/// nullopt when the item is not public (it must not be in the index).
std::optional<search::document> document_for(db::connection& c, const auth::directory& dir, const item& it);

/// "item:12" <-> 12.
std::string doc_id(std::int64_t item_id);
std::optional<std::int64_t> item_id_of(const std::string& doc_id);

/// The library's documents for the indexing module: published, unarchived items.
class item_source final : public indexing::source {
public:
    /// Organisations' names and types come from the auth module's directory.
    explicit item_source(const auth::directory& dir) : dir_(dir) {}
    std::string_view type() const override { return "item"; }
    std::optional<search::document> document(db::connection& c, std::int64_t key) const override;
    std::vector<std::int64_t> keys(db::connection& c) const override;
    std::int64_t expected(db::connection& c) const override;

private:
    const auth::directory& dir_;
};

}  // namespace relais::library
