#include "search/query_plan.hpp"

#include "search/text.hpp"

#include <xapian.h>

#include <algorithm>
#include <set>
#include <sstream>
#include <unordered_set>

namespace relais::search {
namespace {

// Folded forms. Snowball's French stop list (articles, pronouns, prepositions, the forms
// of être and avoir), a few more function words, the question words, and the verbs that
// only shape a question (« comment faut-il faire… », « à quoi sert… »).
const std::unordered_set<std::string_view>& stop_words() {
    static const std::unordered_set<std::string_view> words{
        // Snowball
        "au", "aux", "avec", "ce", "ces", "dans", "de", "des", "du", "elle", "en", "et", "eux", "il", "ils", "je", "la",
        "le", "les", "leur", "lui", "ma", "mais", "me", "meme", "mes", "moi", "mon", "ne", "nos", "notre", "nous", "on",
        "ou", "par", "pas", "pour", "qu", "que", "qui", "sa", "se", "ses", "son", "sur", "ta", "te", "tes", "toi", "ton",
        "tu", "un", "une", "vos", "votre", "vous", "c", "d", "j", "l", "a", "m", "n", "s", "t", "y", "ete", "etee",
        "etees", "etes", "etant", "etante", "etants", "etantes", "suis", "es", "est", "sommes", "sont", "serai", "seras",
        "sera", "serons", "serez", "seront", "serais", "serait", "serions", "seriez", "seraient", "etais", "etait",
        "etions", "etiez", "etaient", "fus", "fut", "fumes", "futes", "furent", "sois", "soit", "soyons", "soyez",
        "soient", "fusse", "fusses", "fussions", "fussiez", "fussent", "ayant", "ayante", "ayantes", "ayants", "eu",
        "eue", "eues", "eus", "ai", "as", "avons", "avez", "ont", "aurai", "auras", "aura", "aurons", "aurez", "auront",
        "aurais", "aurait", "aurions", "auriez", "auraient", "avais", "avait", "avions", "aviez", "avaient", "eut",
        "eumes", "eutes", "eurent", "aie", "aies", "ait", "ayons", "ayez", "aient", "eusse", "eusses", "eussions",
        "eussiez", "eussent",
        // more function words
        "cet", "cette", "leurs", "ca", "cela", "ceci", "celui", "celle", "celles", "ceux", "si", "comme", "tout",
        "tous", "toute", "toutes", "peut-etre", "est-a-dire",
        // question words
        "comment", "pourquoi", "quand", "quel", "quelle", "quels", "quelles", "combien", "quoi", "lequel", "laquelle",
        "lesquels", "lesquelles", "est-ce",
        // verbs that only shape a question
        "faire", "fait", "faut", "peut", "peuvent", "doit", "doivent", "dois", "puis", "peux", "sert", "servent",
        // « en cas de », « dans quel cas », « le cas échéant »: a locution, not the subject
        "cas"};
    return words;
}

// A question starts with one of these (« où » folds to "ou"; « qu'est-ce que » is
// normalised to "est-ce que"), possibly after a preposition (« à quoi », « pour qui »).
const std::unordered_set<std::string_view>& question_starters() {
    static const std::unordered_set<std::string_view> words{
        "comment", "pourquoi", "quand", "quel",    "quelle",   "quels",   "quelles",    "qui", "ou",
        "combien", "que",      "quoi",  "lequel",  "laquelle", "lesquels", "lesquelles", "est-ce"};
    return words;
}
const std::unordered_set<std::string_view>& prepositions() {
    static const std::unordered_set<std::string_view> words{"a", "de", "pour", "par", "en", "avec", "dans", "sur", "chez", "vers", "depuis"};
    return words;
}
// Subject pronouns after an inverted verb: « faut-il », « peut-on », « a-t-elle », « est-ce ».
const std::unordered_set<std::string_view>& inverted_pronouns() {
    static const std::unordered_set<std::string_view> words{"je", "tu", "il", "elle", "on", "ils", "elles", "ce"};
    return words;
}

bool is_operator(std::string_view token) {
    return token == "AND" || token == "OR" || token == "NOT" || token == "ET" || token == "OU" || token == "SAUF";
}

std::vector<std::string> whitespace_tokens(std::string_view text) {
    std::vector<std::string> out;
    std::istringstream in{std::string(text)};
    for (std::string t; in >> t;) out.push_back(t);
    return out;
}

// The query language beyond plain words: "phrases", operators, word*, +word, -word, titre:.
bool uses_syntax(std::string_view raw) {
    for (const auto& t : whitespace_tokens(raw)) {
        if (is_operator(t) || t.find('"') != std::string::npos) return true;
        if (t.size() > 1 && t.back() == '*') return true;
        if (t.size() > 1 && (t[0] == '+' || t[0] == '-')) return true;
        if (fold(t).rfind("titre:", 0) == 0) return true;
    }
    return false;
}

bool word_char(char c);

// « financement* »: the index holds stems (« financ »), so a whole word before the star
// would start no term; its stem does (the part the word and its stem share, should the
// stemmer change a letter). A word that is only a beginning (« finan* ») is its own stem.
std::string stem_wildcard(const std::string& normalised) {
    if (normalised.size() < 2 || normalised.back() != '*') return normalised;
    std::string head = normalised.substr(0, normalised.size() - 1);
    std::size_t start = head.size();
    while (start > 0 && word_char(head[start - 1])) --start;
    std::string w = head.substr(start);
    if (w.size() < 3) return normalised;
    static const Xapian::Stem stem("french");
    std::string st = stem(w);
    std::size_t common = 0;
    while (common < w.size() && common < st.size() && w[common] == st[common]) ++common;
    if (common < 2) return normalised;
    return head.substr(0, start) + w.substr(0, common) + "*";
}

// AND / OR / NOT stay operators; everything else is normalised like indexed text.
std::string normalise_query(std::string_view raw) {
    std::string out;
    for (const auto& word : whitespace_tokens(raw)) {
        if (!out.empty()) out += ' ';
        // French operators too: ET, OU, SAUF.
        if (word == "AND" || word == "ET") out += "AND";
        else if (word == "OR" || word == "OU") out += "OR";
        else if (word == "NOT" || word == "SAUF") out += "NOT";
        else out += stem_wildcard(normalise(word));
    }
    return out;
}

bool word_char(char c) {
    auto u = static_cast<unsigned char>(c);
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || u >= 0x80;
}

// Words of normalised text: runs of letters and digits, hyphens inside kept.
std::vector<std::string> words_of(std::string_view n) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < n.size()) {
        if (!word_char(n[i])) {
            ++i;
            continue;
        }
        std::string w;
        while (i < n.size() && (word_char(n[i]) || (n[i] == '-' && i + 1 < n.size() && word_char(n[i + 1])))) w += n[i++];
        out.push_back(std::move(w));
    }
    return out;
}

// « faut-il » -> "faut" (and true); « a-t-on » -> "a"; other words unchanged (and false).
bool strip_inversion(std::string& word) {
    auto dash = word.rfind('-');
    if (dash == std::string::npos || !inverted_pronouns().count(std::string_view(word).substr(dash + 1))) return false;
    word.resize(dash);
    if (word.size() > 2 && word.compare(word.size() - 2, 2, "-t") == 0) word.resize(word.size() - 2);
    return true;
}

// The normalised last word of the text when Xapian searches it as a prefix too.
std::string last_prefix(std::string_view raw) {
    auto tokens = whitespace_tokens(raw);
    if (tokens.empty()) return "";
    const auto& t = tokens.back();
    if (is_operator(t) || t.find('"') != std::string::npos) return "";
    auto words = words_of(normalise(t));
    return words.empty() ? "" : words.back();
}

void add_prefix(query_plan& p, const std::string& word) {
    if (word.size() >= 3 && word.find('-') == std::string::npos &&
        std::find(p.prefixes.begin(), p.prefixes.end(), word) == p.prefixes.end())
        p.prefixes.push_back(word);
}

}  // namespace

bool is_stop_word(std::string_view folded) { return stop_words().count(folded) > 0; }

std::size_t min_match_of(std::size_t n) { return (6 * n + 9) / 10; }

query_plan plan_query(std::string_view raw, bool most_words) {
    query_plan p;
    auto normalised = normalise(raw);
    auto tokens = words_of(normalised);
    p.question = raw.find('?') != std::string_view::npos;
    if (!tokens.empty()) {
        const auto& first = tokens[0];
        if (question_starters().count(first)) p.question = true;
        if (tokens.size() > 1 && prepositions().count(first) && question_starters().count(tokens[1])) p.question = true;
        // Spoken questions put the question word later: « c'est quoi l'ACI », « l'ACI
        // c'est quoi », « une CPTS ça coûte combien », « financer comment ».
        for (const auto& t : tokens)
            if (t == "quoi" || t == "combien" || t == "pourquoi" || t == "comment") p.question = true;
    }
    Xapian::Stem stem("french");
    std::set<std::string> stems;
    std::vector<std::string> significant, dropped;
    for (auto w : tokens) {
        if (strip_inversion(w)) p.question = true;
        if (w.empty() || is_stop_word(w)) {
            dropped.push_back(w);
            continue;
        }
        auto key = w.find('-') == std::string::npos ? stem(w) : w;
        if (!stems.insert(key).second) {
            dropped.push_back(w);
            continue;
        }
        significant.push_back(w);
    }

    if (uses_syntax(raw)) {
        p.mode = query_mode::syntax;
    } else if ((p.question || most_words || significant.size() > 4) && !significant.empty()) {
        p.mode = query_mode::relevance;
    } else {
        p.mode = query_mode::keywords;
    }

    if (p.mode == query_mode::relevance) {
        p.words = std::move(significant);
        p.dropped = std::move(dropped);
        // Search as you type: the last word is a prefix too, unless the text is finished.
        auto end = raw.find_last_not_of(" \t\r\n");
        bool finished = end == std::string_view::npos || raw[end] == '?' || raw[end] == '.' || raw[end] == '!';
        if (!finished && !p.words.empty() && !tokens.empty() && tokens.back() == p.words.back()) {
            p.last_partial = true;
            add_prefix(p, p.words.back());
        }
        return p;
    }
    p.text = normalise_query(raw);
    for (const auto& t : whitespace_tokens(raw))
        if (t.size() > 1 && t.back() == '*') {
            auto words = words_of(normalise(t));
            if (!words.empty()) add_prefix(p, words.back());
        }
    add_prefix(p, last_prefix(raw));
    return p;
}

}  // namespace relais::search
