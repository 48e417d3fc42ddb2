#pragma once
// How the text of a search is read, before Xapian sees it. Pure functions: no index.
//
// Three ways, decided from the text alone:
// - syntax: the query uses the query language (a "phrase", ET/OU/SAUF/AND/OR/NOT, word*,
//   +word/-word, titre:). Read as written: words outside operators are all required.
// - keywords: a short query (at most 4 significant words, not a question). Every word is
//   required and the last one is also a prefix (search as you type). This is what the
//   library always did.
// - relevance: a question (a '?', a question word first — comment, pourquoi, quand, quel…,
//   est-ce que —, « quoi », « combien », « pourquoi » or « comment » anywhere, or an inverted
//   verb such as « faut-il ») or a long query (more than 4
//   significant words). French stop words and question words are dropped; the remaining
//   words are ORed and ranked by relevance, and a document must match at least
//   min_match_of(n) of them (60 %, rounded up).
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace relais::search {

enum class query_mode { keywords, relevance, syntax };

/// A query's text, read (see above).
struct query_plan {
    query_mode mode = query_mode::keywords;
    bool question = false;  // looks like a question (whatever the mode)
    /// keywords and syntax: the normalised text for Xapian's QueryParser (operators as
    /// AND/OR/NOT, words through normalise()).
    std::string text;
    /// relevance: the significant words, normalised, in order, one per stem. A hyphenated
    /// compound ("tele-expertise") is one word.
    std::vector<std::string> words;
    /// relevance: the words left out (stop words, question words, repeated stems), normalised.
    std::vector<std::string> dropped;
    /// relevance: the last word is also a prefix (the text does not end with ? . or !).
    bool last_partial = false;
    /// Prefixes a match may start with, for highlighting (3 letters or more, normalised):
    /// the last word when it is searched as a prefix, and every word*.
    std::vector<std::string> prefixes;
};

/// Reads a query's text (user syntax). `most_words`: keywords are read as relevance (what
/// a short query falls back to when every word together finds little).
query_plan plan_query(std::string_view text, bool most_words = false);

/// Words that must match out of n significant words: 60 %, rounded up (1→1, 2→2, 3→2,
/// 4→3, 5→3, 6→4, 7→5, 8→5).
std::size_t min_match_of(std::size_t n);

/// Words a relevance query drops, in their folded form: French stop words (articles,
/// pronouns, prepositions, forms of être and avoir…), question words, and the verbs that
/// only shape a question (faire, faut, peut, doit…). Spelling suggestions never propose one.
bool is_stop_word(std::string_view folded);

/// Significant words beyond this many are ranked but do not count towards min_match
/// (the index keeps the rarest ones): "k of n" is built from the k-subsets of n.
inline constexpr std::size_t max_counted_words = 8;

}  // namespace relais::search
