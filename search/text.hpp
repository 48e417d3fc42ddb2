#pragma once
// French text normalisation shared by indexing and querying, so that both sides
// agree: lower case, accents folded ("médecin" and "medecin" are one term),
// typographic apostrophes made plain, ligatures expanded (œ -> oe), and elisions
// stripped ("l'ACI" -> "aci", "qu'elle" -> "elle"). Xapian does none of this itself.
#include <string>
#include <string_view>

namespace relais::search {

/// Lower case and accent folding of UTF-8 text; other characters are kept.
/// Invalid UTF-8 bytes are replaced by spaces.
std::string fold(std::string_view text);

/// Appends one code point to `out`, in UTF-8.
void append_utf8(std::string& out, char32_t cp);

/// fold(), then elisions removed at the start of words.
std::string normalise(std::string_view text);

}  // namespace relais::search
