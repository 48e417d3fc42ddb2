#pragma once
// Small text helpers of the watch parser: whitespace, folding (UTF-8 safe cuts are in
// common/utf8.hpp).
#include "common/utf8.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace relais::watch {

/// Replaces ill-formed UTF-8 sequences with U+FFFD.
std::string to_valid_utf8(std::string_view s);

/// Appends a code point (at most U+10FFFF, not a surrogate) as UTF-8.
void append_utf8(std::string& out, char32_t cp);

/// Runs of whitespace (ASCII, no-break space, U+2028/9...) become one space; trimmed; C0
/// controls dropped and ill-formed UTF-8 replaced with U+FFFD (as to_valid_utf8 would).
std::string collapse_whitespace(std::string_view s);

/// `s` with A-Z lower-cased (protocol words: types, schemes, host names); other bytes as they are.
std::string ascii_lower(std::string_view s);

/// collapse_whitespace over pieces appended one after the other (text nodes of a tree).
class whitespace_collapser {
public:
    explicit whitespace_collapser(std::string& out) : out_(out) {}
    void add(std::string_view s);
    /// A separation between pieces (a block boundary): one space if text follows.
    void space() { pending_ = !out_.empty(); }

private:
    std::string& out_;
    bool pending_ = false;
};


/// Lower case without accents ("Élève" -> "eleve", "Œuvre" -> "oeuvre"), for comparisons.
std::string fold(std::string_view s);

/// The words of a title for comparing titles: folded, sorted, unique, French and English
/// stop words left out.
std::vector<std::string> title_words(std::string_view title);

/// How alike two titles are, 0..1: the Dice coefficient of their folded word sets, French
/// and English stop words ignored. 1 for the same words in any order.
double title_similarity(std::string_view a, std::string_view b);

}  // namespace relais::watch
