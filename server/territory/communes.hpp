#pragma once
// The communes of France as the territory module knows them: read from the npm package
// @etalab/decoupage-administratif (data/communes.json), kept in SQLite
// (territory_communes) and served from an immutable in-memory index built once per
// load (search as you type, look-ups by INSEE code). No SQL and no HTTP here: unit tests
// call all of it directly.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace relais::territory {

/// A commune one can pick: a current commune, or an arrondissement of Paris, Lyon or
/// Marseille (those three are picked by arrondissement, never as one commune).
struct commune {
    std::string code;  // INSEE code, e.g. "59350", "2A004", "75112"
    std::string name;  // as INSEE writes it, e.g. "Paris 12e Arrondissement"
    std::vector<std::string> postcodes;
    std::int64_t population = 0;  // population municipale
    std::string departement;      // INSEE code, e.g. "59", "2A", "974"
    std::string region;           // INSEE code, e.g. "32"
    std::string parent;           // for an arrondissement: its commune ("75056"); else ""
};

/// A commune split into arrondissements (Paris, Lyon, Marseille): not pickable itself.
struct split_commune {
    std::string code, name;
    std::vector<std::string> arrondissements;  // their codes
};

/// What a package holds, ready to be stored.
struct dataset {
    std::string version;  // the package's version, e.g. "6.0.0"
    int data_year = 0;    // the millésime of its data, e.g. 2026 (0: unknown)
    std::vector<commune> communes;
    std::vector<split_commune> split;
};

/// Reads data/communes.json of the package: the current communes and the arrondissements
/// municipaux of metropolitan France and the five DROM (the overseas collectivities,
/// outside the ACI's départements, are left out), the communes split into arrondissements
/// kept apart. Throws std::runtime_error when the document is not the expected one.
dataset parse_communes(const nlohmann::json& doc);

/// The millésime of a package version, from the table of its README ("| 2026 | 6.0.0 |"),
/// else from its major version (6 -> 2026, as the README's table has it so far); 0 if neither.
int data_year_of(std::string_view readme, std::string_view version);

/// Folding for search: lower case, accents removed, every run of characters other than
/// letters and digits made one space, trimmed ("L'Abergement-Clémenciat" -> "l abergement
/// clemenciat").
std::string fold_name(std::string_view text);

/// A query folded like names, with the common abbreviations of place names spelled out
/// when they are whole words ("st" -> "saint", "ste" -> "sainte"); the last word, still
/// being typed, is kept as typed too (`typed`), so that "st" also finds "Strasbourg".
struct folded_query {
    std::string expanded;  // "saint etienne"
    std::string typed;     // "st etienne" (== expanded when nothing was expanded)
};
folded_query fold_query(std::string_view q);

/// Whether q is searched as a code: digits, or a Corsican code ("2A", "2b0"…).
bool looks_like_code(std::string_view q);

/// The communes, indexed for look-ups and search; immutable once built (shared between
/// threads without locks).
class commune_index {
public:
    commune_index(std::vector<commune> communes, std::vector<split_commune> split, std::string version, int data_year);
    commune_index(const commune_index&) = delete;  // the keys point into its own strings
    commune_index& operator=(const commune_index&) = delete;

    const commune* find(std::string_view code) const;
    const split_commune* find_split(std::string_view code) const;
    /// Search as you type: an exact INSEE code or postal code first, then codes and postal
    /// codes that start with q, or names whose words start with q's words (the whole name
    /// first); larger populations first within a rank. At most `limit`.
    std::vector<const commune*> search(std::string_view q, std::size_t limit) const;

    std::size_t size() const { return communes_.size(); }
    const std::string& version() const { return version_; }
    int data_year() const { return data_year_; }

private:
    struct key {
        std::string_view text;  // a suffix of a folded name starting at a word, or a code
        std::uint32_t commune;
        std::uint32_t word;  // 0: the name's first word (or an INSEE code), 1: a postal code / later word
    };
    void names_from(std::string_view prefix, std::unordered_map<std::uint32_t, std::uint32_t>& ranks) const;

    std::vector<commune> communes_;
    std::vector<std::string> folded_;  // folded names, by commune
    std::vector<key> names_;            // sorted by text
    std::vector<key> codes_;            // INSEE codes and postal codes, sorted by text
    std::unordered_map<std::string_view, std::uint32_t> by_code_;
    std::vector<split_commune> split_;
    std::string version_;
    int data_year_ = 0;
};

}  // namespace relais::territory
