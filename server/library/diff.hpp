#pragma once
// What changed between two versions of a fiche, for whoever reviews it: the body word by
// word (Markdown source, as written), the other fields as before/after. Pure functions,
// no database: the route reads the two versions and calls `compare`.
#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "library/store.hpp"

namespace relais::library {

/// One run of the body: unchanged, taken out of the older version, or added in the newer.
struct diff_segment {
    enum class op { equal, erase, insert };
    op kind = op::equal;
    std::string text;
};

/// The body of `from` turned into that of `to` as runs. Concatenating the `equal` and
/// `erase` runs gives `from`, the `equal` and `insert` runs `to`. Words are compared whole
/// (a word changed is the old word taken out, the new one added); a short unchanged run
/// between two changes (a space, a comma) is folded into them so that a rewritten phrase
/// reads as one phrase out, one in. The work is bounded: past a budget, the rest of what
/// differs is given as taken out then added, not compared finer.
std::vector<diff_segment> diff_text(std::string_view from, std::string_view to);

/// `{"body":[{"op":"equal"|"delete"|"insert","text"}],"body_changed",
///   "fields":[{"field","from","to"} | {"field","added","removed"}]}`: the body's runs and
/// the fields that differ (title, summary, author_name, date, region; phases and missions as
/// codes added and removed; attachments added, removed or renamed, by digest).
nlohmann::json compare(const content& from, const content& to);

}  // namespace relais::library
