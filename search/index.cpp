#include "search/index.hpp"

#include "search/query_plan.hpp"
#include "search/text.hpp"

#include <xapian.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <array>
#include <set>
#include <unordered_map>
#include <sstream>
#include <stdexcept>

namespace relais::search {
namespace {

constexpr const char* id_prefix = "Q";
constexpr const char* facet_prefix = "XF";  // XF<facet>:<value>
constexpr Xapian::valueno date_slot = 0;

[[noreturn]] void rethrow(const Xapian::Error& e, const std::filesystem::path& dir) {
    throw std::runtime_error("search index " + dir.string() + ": " + e.get_description());
}

std::string facet_term(const std::string& facet, const std::string& value) {
    // Terms are limited to 245 bytes.
    return std::string(facet_prefix) + facet + ":" + fold(value).substr(0, 200);
}

// Every facet value of a document, in one value slot ("kind=outil\x1fphase=diagnostic\x1f..."):
// counting reads one value per matching document instead of decoding its term list.
constexpr Xapian::valueno facets_slot = 1;

// The facet values of every document, read once per reader revision from the value
// stream of facets_slot (sequential, cheap), so that counting a match is an array lookup.
struct facet_table {
    std::vector<std::string> names;           // value id -> "facet=value"
    std::vector<std::uint32_t> offsets;       // docid -> first value id in `values` (size lastdocid + 2)
    std::vector<std::uint16_t> values;

    explicit facet_table(const Xapian::Database& db) {
        std::unordered_map<std::string, std::uint16_t> ids;
        offsets.assign(static_cast<std::size_t>(db.get_lastdocid()) + 2, 0);
        Xapian::docid filled = 0;  // offsets[0..filled] are set
        for (auto v = db.valuestream_begin(facets_slot); v != db.valuestream_end(facets_slot); ++v) {
            auto did = v.get_docid();
            while (filled < did) offsets[++filled] = static_cast<std::uint32_t>(values.size());
            const std::string all = *v;
            std::string_view rest(all);
            while (!rest.empty()) {
                auto end = rest.find('\x1f');
                std::string pair(rest.substr(0, end));
                auto [it, added] = ids.emplace(pair, static_cast<std::uint16_t>(names.size()));
                if (added) {
                    if (names.size() >= 65535) throw std::runtime_error("too many distinct facet values");
                    names.push_back(pair);
                }
                values.push_back(it->second);
                if (end == std::string_view::npos) break;
                rest.remove_prefix(end + 1);
            }
        }
        while (filled + 1 < offsets.size()) offsets[++filled] = static_cast<std::uint32_t>(values.size());
    }
};

// Counts the values of each facet over a set of documents; a document with several
// values of one facet counts once for each.
class facet_counter {
public:
    explicit facet_counter(const facet_table& t) : table_(t), counts_(t.names.size(), 0) {}
    void add(Xapian::docid docid) {
        auto did = static_cast<std::size_t>(docid);
        if (did + 1 >= table_.offsets.size()) return;
        for (auto i = table_.offsets[did]; i < table_.offsets[did + 1]; ++i) ++counts_[table_.values[i]];
    }
    std::map<std::string, std::map<std::string, std::size_t>> counts() const {
        std::map<std::string, std::map<std::string, std::size_t>> out;
        for (std::size_t id = 0; id < counts_.size(); ++id) {
            if (!counts_[id]) continue;
            const auto& pair = table_.names[id];
            auto eq = pair.find('=');
            out[pair.substr(0, eq)][pair.substr(eq + 1)] = counts_[id];
        }
        return out;
    }

private:
    const facet_table& table_;
    std::vector<std::size_t> counts_;
};

Xapian::Stem stemmer() { return Xapian::Stem("french"); }

// Words a query does not require (outside phrases), in their folded form; the
// leftovers of elisions ("lettre d intention") are among them.
const Xapian::SimpleStopper& french_stopper() {
    static const Xapian::SimpleStopper* stopper = [] {
        auto* s = new Xapian::SimpleStopper;
        for (const char* w : {"a", "au", "aux", "avec", "c", "ce", "ces", "cet", "cette", "d", "dans", "de", "des", "du",
                              "elle", "elles", "en", "est", "et", "il", "ils", "j", "l", "la", "le", "les", "leur", "leurs",
                              "m", "n", "ne", "ou", "par", "pas", "pour", "qu", "que", "qui", "s", "sa", "se", "ses", "son",
                              "sont", "sur", "t", "un", "une", "y"})
            s->add(w);
        return s;
    }();
    return *stopper;
}

// A question's stop words (search::is_stop_word): « comment », « faut-il »… are dropped
// even from a question read as written (quotes, ET).
const Xapian::Stopper& question_stopper() {
    struct stopper : Xapian::Stopper {
        bool operator()(const std::string& word) const override { return is_stop_word(word); }
    };
    static const stopper* s = new stopper;
    return *s;
}

// UTF-16 code units in a UTF-8 string (4-byte sequences are surrogate pairs).
std::uint32_t utf16_length(std::string_view s) {
    std::uint32_t n = 0;
    for (unsigned char c : s) {
        if ((c & 0xC0) != 0x80) ++n;  // a lead byte (or ASCII) starts a code point
        if (c >= 0xF0) ++n;           // beyond the BMP: two units
    }
    return n;
}

// What a snippet highlights: the query's terms (stems), and the prefixes it searched
// (normalised, 3 letters or more: "coordin" marks « coordination »).
struct highlight_terms {
    std::set<std::string> stems;
    std::vector<std::string> prefixes;

    bool matches(const std::string& core, const Xapian::Stem& st) const {
        if (stems.count(st(core)) || stems.count(core)) return true;
        return std::any_of(prefixes.begin(), prefixes.end(), [&](const std::string& p) { return core.compare(0, p.size(), p) == 0; });
    }
};

// The length of the punctuation that opens (or closes) a word as written: quotes, guillemets,
// brackets, stops, and the no-break spaces French puts before « ; : ! ? » — a highlight
// marks the word, not what is glued to it.
// « » no-break space ’ “ ” … narrow no-break space; and the ASCII ones.
constexpr std::array<std::string_view, 8> glued_marks{"\xC2\xAB", "\xC2\xBB", "\xC2\xA0", "\xE2\x80\x99", "\xE2\x80\x9C",
                                                      "\xE2\x80\x9D", "\xE2\x80\xA6", "\xE2\x80\xAF"};
constexpr std::string_view glued_ascii = ".,;:!?()[]{}\"'";

std::size_t punctuation_prefix(std::string_view w) {
    const auto& marks = glued_marks;
    std::size_t n = 0;
    while (n < w.size()) {
        auto c = static_cast<unsigned char>(w[n]);
        if (c < 0x80 && glued_ascii.find(static_cast<char>(c)) != std::string_view::npos) {
            ++n;
            continue;
        }
        auto it = std::find_if(marks.begin(), marks.end(), [&](std::string_view m) { return w.substr(n, m.size()) == m; });
        if (it == marks.end()) break;
        n += it->size();
    }
    return n;
}

// The elided article or pronoun before a word (« l'accès », « d’intention », « qu'on »):
// its length with the apostrophe, when a word follows; 0 otherwise.
std::size_t elision_prefix(std::string_view w) {
    static constexpr std::string_view elided[] = {"jusqu", "lorsqu", "puisqu", "quoiqu", "qu", "c", "d", "j", "l", "m", "n", "s", "t"};
    for (auto e : elided) {
        if (w.size() <= e.size()) continue;
        bool same = true;
        for (std::size_t i = 0; i < e.size() && same; ++i)
            same = std::tolower(static_cast<unsigned char>(w[i])) == static_cast<unsigned char>(e[i]);
        if (!same) continue;
        auto rest = w.substr(e.size());
        for (std::string_view apostrophe : {std::string_view("'"), std::string_view("\u2019")})
            if (rest.size() > apostrophe.size() && rest.substr(0, apostrophe.size()) == apostrophe)
                return e.size() + apostrophe.size();
    }
    return 0;
}

std::size_t punctuation_suffix(std::string_view w) {
    const auto& marks = glued_marks;
    std::size_t n = 0;
    while (n < w.size()) {
        auto c = static_cast<unsigned char>(w[w.size() - 1 - n]);
        if (c < 0x80 && glued_ascii.find(static_cast<char>(c)) != std::string_view::npos) {
            ++n;
            continue;
        }
        auto rest = w.substr(0, w.size() - n);
        auto it = std::find_if(marks.begin(), marks.end(), [&](std::string_view m) {
            return rest.size() >= m.size() && rest.substr(rest.size() - m.size()) == m;
        });
        if (it == marks.end()) break;
        n += it->size();
    }
    return n;
}

// A window of the original text around the first match, and the matched words' ranges.
// Matching happens on normalised, stemmed words, so accents do not defeat it; the parts
// of a hyphenated word are matched each (« télé-expertise » for "expertise").
void make_snippet(hit& h, const std::string& text, const highlight_terms& terms, std::size_t words_around = 14) {
    struct word {
        std::size_t begin, end;
        bool match;
    };
    std::vector<word> words;
    std::unordered_map<std::string_view, bool> seen;
    auto st = stemmer();
    std::size_t i = 0;
    // Only the window around the first match is shown: once it is full, the rest of the
    // text is neither stemmed nor split (long bodies cost what their start costs).
    std::size_t first_match = std::string::npos;
    bool more = false;
    while (i < text.size()) {
        if (first_match != std::string::npos) {
            std::size_t window_from = first_match > words_around / 2 ? first_match - words_around / 2 : 0;
            if (words.size() >= window_from + words_around * 2) {
                while (i < text.size() && (text[i] == ' ' || text[i] == '\n' || text[i] == '\t' || text[i] == '\r')) ++i;
                more = i < text.size();
                break;
            }
        }
        while (i < text.size() && (text[i] == ' ' || text[i] == '\n' || text[i] == '\t' || text[i] == '\r')) ++i;
        std::size_t b = i;
        while (i < text.size() && text[i] != ' ' && text[i] != '\n' && text[i] != '\t' && text[i] != '\r') ++i;
        if (i == b) break;
        // Words repeat: each distinct one is normalised and stemmed once.
        auto raw = std::string_view(text).substr(b, i - b);
        auto known = seen.find(raw);
        bool match = false;
        if (known != seen.end()) {
            match = known->second;
        } else {
            auto parts = normalise(raw);
            std::replace(parts.begin(), parts.end(), '-', ' ');
            std::istringstream in(parts);
            for (std::string p; !match && in >> p;) {
                std::string core;
                for (char c : p)
                    if (std::isalnum(static_cast<unsigned char>(c)) || static_cast<unsigned char>(c) >= 0x80) core += c;
                if (!core.empty() && terms.matches(core, st)) match = true;
            }
            seen.emplace(raw, match);
        }
        words.push_back({b, i, match});
        if (match && first_match == std::string::npos) first_match = words.size() - 1;
    }
    if (words.empty()) return;
    std::size_t first = 0;
    while (first < words.size() && !words[first].match) ++first;
    if (first == words.size()) first = 0;
    std::size_t from = first > words_around / 2 ? first - words_around / 2 : 0;
    std::size_t to = std::min(words.size(), from + words_around * 2);
    std::string out = from > 0 ? "… " : "";
    std::uint32_t units = utf16_length(out);
    for (std::size_t k = from; k < to; ++k) {
        if (k > from) {
            out += ' ';
            ++units;
        }
        auto w = std::string_view(text).substr(words[k].begin, words[k].end - words[k].begin);
        auto len = utf16_length(w);
        if (words[k].match) {
            auto lead = punctuation_prefix(w);
            lead += elision_prefix(w.substr(lead));
            auto core = w.substr(lead);
            core = core.substr(0, core.size() - std::min(core.size(), punctuation_suffix(core)));
            if (core.empty()) core = w, lead = 0;
            auto at = units + utf16_length(w.substr(0, lead));
            h.highlights.emplace_back(at, at + utf16_length(core));
        }
        out += w;
        units += len;
    }
    if (to < words.size() || more) out += " …";
    h.snippet = std::move(out);
}

// Normalised words separated by single spaces, with a space at both ends, so that
// " word sequence " can be found with string search.
std::string word_string(std::string_view text) {
    auto n = normalise(text);
    std::string out = " ";
    bool space = true;
    for (char c : n) {
        auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u) || u >= 0x80) {
            out += c;
            space = false;
        } else if (!space) {
            out += ' ';
            space = true;
        }
    }
    if (!space) out += ' ';
    return out;
}

std::uint64_t fnv1a(std::string_view s, std::uint64_t h = 1469598103934665603ULL) {
    for (unsigned char c : s) {
        h ^= c;
        h *= 1099511628211ULL;
    }
    return h;
}

// At most `max` bytes, cut at a character boundary.
std::string utf8_prefix(const std::string& s, std::size_t max) {
    if (s.size() <= max) return s;
    while (max > 0 && (static_cast<unsigned char>(s[max]) & 0xC0) == 0x80) --max;
    return s.substr(0, max);
}

constexpr const char* fingerprint_key = "relais:synonyms";

std::filesystem::path shard_dir(const std::filesystem::path& dir, std::size_t i) {
    return dir / ("shard" + std::to_string(i));
}

// All shards as one database (Xapian merges postings, values, spelling and metadata).
Xapian::Database open_combined(const std::filesystem::path& dir) {
    Xapian::Database db(shard_dir(dir, 0).string());
    for (std::size_t i = 1; i < index_shards; ++i) db.add_database(Xapian::Database(shard_dir(dir, i).string()));
    return db;
}

std::size_t shard_of(const std::string& key) { return static_cast<std::size_t>(fnv1a(key) % index_shards); }

// Filters: OR between the values of a facet, AND across facets.
Xapian::Query filtered(Xapian::Query q, const std::map<std::string, std::vector<std::string>>& filters) {
    for (const auto& [facet, values] : filters) {
        std::vector<Xapian::Query> alternatives;
        for (const auto& v : values) alternatives.emplace_back(facet_term(facet, v));
        if (!alternatives.empty())
            q = Xapian::Query(Xapian::Query::OP_FILTER, q,
                              Xapian::Query(Xapian::Query::OP_OR, alternatives.begin(), alternatives.end()));
    }
    return q;
}

// A hit from its stored data (the body too, for a snippet, when asked).
hit hit_of(const Xapian::MSetIterator& m, std::string* body, std::string* more = nullptr) {
    auto data = nlohmann::json::parse(m.get_document().get_data(), nullptr, false);
    hit h;
    if (!data.is_object()) return h;
    h.id = data.value("id", "");
    h.title = data.value("title", "");
    h.summary = data.value("summary", "");
    h.score = m.get_weight();
    h.extra = data.value("extra", "");
    if (body) *body = data.value("body", "");
    if (more) *more = data.value("more", "");
    return h;
}

// Each thread keeps one reader per index (with its facet table). It is reopened when
// this process has committed since (the writer lives in the server process), or when
// `force` (after a DatabaseModifiedError): no system call on the common path.
struct thread_reader_state {
    std::unique_ptr<Xapian::Database> db;
    std::unique_ptr<facet_table> facets;  // built on first use after each (re)open
    std::uint64_t generation = 0;
};

thread_reader_state& thread_reader(const std::string& key, const std::filesystem::path& dir, std::uint64_t generation,
                                   bool force) {
    thread_local std::map<std::string, thread_reader_state> readers;
    auto it = readers.find(key);
    if (it == readers.end()) {
        if (readers.size() >= 8) readers.clear();
        thread_reader_state fresh;
        fresh.db = std::make_unique<Xapian::Database>(open_combined(dir));
        fresh.generation = generation;
        it = readers.emplace(key, std::move(fresh)).first;
    } else if (force || it->second.generation != generation) {
        it->second.db->reopen();
        it->second.facets.reset();
        it->second.generation = generation;
    }
    return it->second;
}

const facet_table& facets_of(thread_reader_state& r) {
    if (!r.facets) r.facets = std::make_unique<facet_table>(*r.db);
    return *r.facets;
}

constexpr unsigned parse_flags = Xapian::QueryParser::FLAG_PHRASE | Xapian::QueryParser::FLAG_BOOLEAN |
                                 Xapian::QueryParser::FLAG_LOVEHATE | Xapian::QueryParser::FLAG_WILDCARD |
                                 Xapian::QueryParser::FLAG_PARTIAL;

Xapian::QueryParser parser_for(const Xapian::Database& db, bool any_word, bool question) {
    Xapian::QueryParser qp;
    qp.set_database(db);
    qp.set_stemmer(stemmer());
    qp.set_stemming_strategy(Xapian::QueryParser::STEM_ALL);
    qp.set_default_op(any_word ? Xapian::Query::OP_OR : Xapian::Query::OP_AND);
    qp.add_prefix("titre", "S");
    qp.set_max_expansion(50, Xapian::Query::WILDCARD_LIMIT_MOST_FREQUENT);
    if (question) qp.set_stopper(&question_stopper());
    else qp.set_stopper(&french_stopper());
    return qp;
}

// Documents that match at least k of the queries: the OR of the ANDs of every k-subset
// (at most C(8,5) = 56 of them: plan_query's words are counted up to max_counted_words).
// Xapian 1.4 has no "minimum should match" operator; this is used as a filter, for
// the match set only, while the ranking comes from the plain OR of the words.
Xapian::Query at_least(std::size_t k, const std::vector<Xapian::Query>& qs) {
    const std::size_t n = qs.size();
    if (k == 0) return Xapian::Query::MatchAll;
    if (k > n) return Xapian::Query::MatchNothing;
    if (k == n) return Xapian::Query(Xapian::Query::OP_AND, qs.begin(), qs.end());
    if (k == 1) return Xapian::Query(Xapian::Query::OP_OR, qs.begin(), qs.end());
    std::vector<Xapian::Query> combinations, part(k);
    std::vector<std::size_t> pick(k);
    for (std::size_t i = 0; i < k; ++i) pick[i] = i;
    while (true) {
        for (std::size_t i = 0; i < k; ++i) part[i] = qs[pick[i]];
        combinations.emplace_back(Xapian::Query::OP_AND, part.begin(), part.end());
        // The next k-subset in lexicographic order.
        std::size_t i = k;
        while (i > 0 && pick[i - 1] == n - k + i - 1) --i;
        if (i == 0) break;
        ++pick[i - 1];
        for (std::size_t j = i; j < k; ++j) pick[j] = pick[j - 1] + 1;
    }
    return Xapian::Query(Xapian::Query::OP_OR, combinations.begin(), combinations.end());
}

// A question or a long query (plan_query's relevance mode): the OR of the significant
// words ranks; at least 60 % of them must match. Words the library does not have at all
// are left out of that count (a typo must not empty the answer: the spelling suggestion
// offers its correction), and beyond max_counted_words only the rarest count. Titles
// with some of the words rank higher (their OR, weight doubled).
Xapian::Query relevance_query(const Xapian::Database& db, Xapian::QueryParser& qp, const query_plan& plan, bool any_word) {
    struct word {
        Xapian::Query match, title;
        bool known = true;
        Xapian::doccount freq = 0;  // of its rarest term
    };
    std::vector<word> words;
    const auto all_docs = db.get_doccount();
    for (std::size_t i = 0; i < plan.words.size(); ++i) {
        const auto& text = plan.words[i];
        const bool partial = plan.last_partial && i + 1 == plan.words.size();
        const unsigned flags = Xapian::QueryParser::FLAG_PHRASE | (partial ? unsigned{Xapian::QueryParser::FLAG_PARTIAL} : 0U);
        word w{qp.parse_query(text, flags), qp.parse_query(text, Xapian::QueryParser::FLAG_PHRASE, "S"), true, all_docs};
        bool any_term = false, some_found = false;
        for (auto t = w.match.get_unique_terms_begin(); t != w.match.get_unique_terms_end(); ++t) {
            any_term = true;
            auto f = db.get_termfreq(*t);
            if (f == 0) w.known = false;
            else some_found = true;
            w.freq = std::min(w.freq, f);
        }
        // The word being typed counts when a term of the library starts with it, or when
        // the library has the word in any form: the index holds stems only, so a whole
        // word its stem does not start (« financement », stored as « financ »; « CPTS » as
        // « cpt ») is found by its stem. Counted so, a question being typed needs what the
        // finished question needs (« comment financer une CPTS » both words).
        if (partial) {
            w.known = db.allterms_begin(text) != db.allterms_end(text) || some_found ||
                      db.get_termfreq(stemmer()(text)) > 0;
        } else if (!any_term) {
            w.known = false;
        }
        words.push_back(std::move(w));
    }
    std::vector<const word*> counted;
    for (const auto& w : words)
        if (w.known) counted.push_back(&w);
    if (counted.empty()) return Xapian::Query::MatchNothing;
    if (counted.size() > max_counted_words) {
        std::stable_sort(counted.begin(), counted.end(), [](const word* a, const word* b) { return a->freq < b->freq; });
        counted.resize(max_counted_words);
    }
    std::vector<Xapian::Query> all, titles, required;
    for (const auto& w : words) {
        all.push_back(w.match);
        titles.push_back(w.title);
    }
    for (const auto* w : counted) required.push_back(w->match);
    Xapian::Query ranked(Xapian::Query::OP_OR, all.begin(), all.end());
    const std::size_t k = any_word ? 1 : min_match_of(required.size());
    Xapian::Query matched;
    if (k == 1) matched = ranked;
    else if (k == all.size()) matched = Xapian::Query(Xapian::Query::OP_AND, all.begin(), all.end());
    else matched = Xapian::Query(Xapian::Query::OP_FILTER, ranked, at_least(k, required));
    std::vector<Xapian::Query> bonus{
        Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT, Xapian::Query(Xapian::Query::OP_OR, titles.begin(), titles.end()), 2.0)};
    // Coverage: when some words may be missing, a fiche with every counted word weighs
    // them 1.75 times, so that one with all the words is not outranked by one that
    // repeats a few of them (BM25 alone rewards repetition, not coverage). 0.75: the
    // middle of what tests/relevance passes with (0.7 to 0.85 when measured).
    if (k < required.size() && required.size() >= 2)
        bonus.emplace_back(Xapian::Query::OP_SCALE_WEIGHT, Xapian::Query(Xapian::Query::OP_AND, required.begin(), required.end()), 0.75);
    return Xapian::Query(Xapian::Query::OP_AND_MAYBE, matched, Xapian::Query(Xapian::Query::OP_OR, bonus.begin(), bonus.end()));
}

// The words of a query made only of `-mot`s (`-mot -"une phrase"`), joined by OR; empty
// when anything else is in it.
std::string only_excluded(const std::string& normalised) {
    std::string out;
    std::istringstream in(normalised);
    bool in_phrase = false;
    for (std::string t; in >> t;) {
        if (!in_phrase) {
            if (t.size() < 2 || t[0] != '-') return "";
            t.erase(0, 1);
            if (!out.empty()) out += " OR ";
        } else {
            out += ' ';
        }
        out += t;
        for (char ch : t) in_phrase = ch == '"' ? !in_phrase : in_phrase;
    }
    return out;
}

// The whole query: text, facet filters, dates; and what the snippets highlight.
Xapian::Query compose(const Xapian::Database& db, const query& q, const query_plan& plan, highlight_terms* terms) {
    auto qp = parser_for(db, q.any_word, plan.question);
    Xapian::Query text;
    if (plan.mode == query_mode::relevance) {
        text = relevance_query(db, qp, plan, q.any_word);
    } else if (plan.text.empty()) {
        text = Xapian::Query::MatchAll;
    } else if (const auto excluded = only_excluded(plan.text); !excluded.empty()) {
        // Only `-mot`s: every document without those words (Xapian cannot "just hate": it
        // would read the words as wanted).
        text = Xapian::Query(Xapian::Query::OP_AND_NOT, Xapian::Query::MatchAll,
                             qp.parse_query(excluded, Xapian::QueryParser::FLAG_PHRASE | Xapian::QueryParser::FLAG_WILDCARD |
                                                           Xapian::QueryParser::FLAG_BOOLEAN));
    } else {
        // Every word (as written); documents whose title has the words rank higher: the
        // same query on titles only, optional (AND_MAYBE), with its weight doubled.
        Xapian::Query parsed = qp.parse_query(plan.text, parse_flags);
        Xapian::Query in_title = qp.parse_query(plan.text, parse_flags, "S");
        text = Xapian::Query(Xapian::Query::OP_AND_MAYBE, parsed, Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT, in_title, 2.0));
    }
    if (terms) {
        for (auto t = text.get_unique_terms_begin(); t != text.get_unique_terms_end(); ++t) {
            std::string term = *t;
            if (term.empty() || (std::isupper(static_cast<unsigned char>(term[0])) && term[0] != 'Z')) continue;
            terms->stems.insert(term[0] == 'Z' ? term.substr(1) : term);
        }
        terms->prefixes = plan.prefixes;
    }
    Xapian::Query out = filtered(text, q.filters);
    if (q.date_from || q.date_to) {
        auto from = Xapian::sortable_serialise(static_cast<double>(q.date_from.value_or(0)));
        auto to = Xapian::sortable_serialise(static_cast<double>(q.date_to.value_or(std::int64_t{1} << 40)));
        out = Xapian::Query(Xapian::Query::OP_FILTER, out, Xapian::Query(Xapian::Query::OP_VALUE_RANGE, date_slot, from, to));
    }
    return out;
}

// Facet counts are exact up to this many matching documents; beyond, they count the
// first ones in the order of the results. The library is far below it.
constexpr Xapian::doccount facet_depth = 5000;

// One query on one reader: the total, the page of hits with snippets, the facet counts.
result run_query(thread_reader_state& reader, const query& q, const query_plan& plan) {
    Xapian::Database& db = *reader.db;
    highlight_terms terms;
    Xapian::Enquire enquire(db);
    enquire.set_query(compose(db, q, plan, &terms));
    if (q.by_date) enquire.set_sort_by_value_then_relevance(date_slot, true);
    // The first `facet_depth` matches (at least the page asked for): their docids,
    // in the combined numbering, feed the facet counts. (A MatchSpy would see each
    // shard's own docids.)
    const auto first = static_cast<Xapian::doccount>(q.offset);
    const auto wanted = static_cast<Xapian::doccount>(q.offset + q.limit);
    auto mset = enquire.get_mset(0, std::max(facet_depth, wanted));
    facet_counter counter(facets_of(reader));
    for (auto m = mset.begin(); m != mset.end(); ++m) counter.add(*m);
    result r;
    r.total = mset.get_matches_estimated();
    for (Xapian::doccount i = first; i < std::min(mset.size(), wanted); ++i) {
        auto m = mset[i];
        std::string body, more;
        hit h = hit_of(m, &body, &more);
        make_snippet(h, h.summary + "\n" + body, terms);
        if (h.highlights.empty() && !more.empty()) {
            // Found in an attachment only: the snippet comes from there, and says so.
            hit in_files = h;
            make_snippet(in_files, more, terms);
            if (!in_files.highlights.empty()) {
                static const std::string lead = "Dans les pièces jointes : ";
                const auto shift = static_cast<std::uint32_t>(utf16_length(lead));
                h.snippet = lead + in_files.snippet;
                h.highlights.clear();
                for (auto [b, e] : in_files.highlights) h.highlights.emplace_back(b + shift, e + shift);
            }
        }
        r.hits.push_back(std::move(h));
    }
    r.facets = counter.counts();
    // A facet's own choice does not narrow its counts (OR within a facet): each of its
    // values is counted over the matches of the other filters, what choosing it would
    // add (« disjunctive » facets). One more query per such facet chosen; only facets
    // the caller names (never a filter that restricts what the reader may see).
    for (const auto& [facet, values] : q.filters) {
        if (values.empty() || !q.disjunctive.count(facet)) continue;
        query without = q;
        without.filters.erase(facet);
        Xapian::Enquire others(db);
        others.set_query(compose(db, without, plan, nullptr));
        auto all = others.get_mset(0, facet_depth);
        facet_counter wider(facets_of(reader));
        for (auto m = all.begin(); m != all.end(); ++m) wider.add(*m);
        auto counts = wider.counts();
        if (auto it = counts.find(facet); it != counts.end()) r.facets[facet] = std::move(it->second);
        else r.facets.erase(facet);
    }
    return r;
}

// How many documents a query matches, counted up to `enough`.
Xapian::doccount count_up_to(const Xapian::Database& db, const query& q, Xapian::doccount enough) {
    Xapian::Enquire enquire(db);
    enquire.set_query(compose(db, q, plan_query(q.text), nullptr));
    return enquire.get_mset(0, 0, enough).get_matches_lower_bound();
}

// A query that finds fewer results than this may get a spelling suggestion.
constexpr std::size_t enough_results = 5;

// Letters of a word, for spelling: ASCII letters and digits, Latin-1 and Latin Extended
// letters, combining accents. Apostrophes, hyphens and the rest separate words.
bool letter(char32_t cp) {
    return (cp < 0x80 && std::isalnum(static_cast<int>(cp))) || (cp >= 0xC0 && cp <= 0x24F && cp != 0xD7 && cp != 0xF7) ||
           (cp >= 0x300 && cp <= 0x36F);
}

char32_t decode(std::string_view s, std::size_t& i) {
    auto b = static_cast<unsigned char>(s[i]);
    std::size_t len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 1;
    if (i + len > s.size()) len = 1;
    char32_t cp = len == 1 ? b : len == 2 ? (b & 0x1F) : len == 3 ? (b & 0x0F) : (b & 0x07);
    for (std::size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    i += len;
    return len == 1 && b >= 0x80 ? 0 : cp;
}

// The next run of letters (a word) of `text` from `i`: [at, end), `i` moved past it; false
// when there is none left.
bool next_word(std::string_view text, std::size_t& i, std::size_t& at, std::size_t& end) {
    while (i < text.size()) {
        at = i;
        if (!letter(decode(text, i))) continue;
        end = i;
        while (end < text.size()) {
            std::size_t next = end;
            if (!letter(decode(text, next))) break;
            end = next;
        }
        i = end;
        return true;
    }
    return false;
}

// Lower or upper case of the Latin letters French writes (ASCII, Latin-1, œ).
char32_t latin_case(char32_t cp, bool upper) {
    if (upper) {
        if ((cp >= 'a' && cp <= 'z') || (cp >= 0xE0 && cp <= 0xFE && cp != 0xF7)) return cp - 0x20;
        if (cp == 0x153) return 0x152;
        if (cp == 0xFF) return 0x178;
    } else {
        if ((cp >= 'A' && cp <= 'Z') || (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7)) return cp + 0x20;
        if (cp == 0x152) return 0x153;
        if (cp == 0x178) return 0xFF;
    }
    return cp;
}

// `word` with every letter in lower case (all_upper false) or upper case; `first_upper`:
// only its first letter in upper case.
std::string recase(std::string_view word, bool all_upper, bool first_upper) {
    std::string out;
    bool first = true;
    for (std::size_t i = 0; i < word.size();) {
        char32_t cp = decode(word, i);
        append_utf8(out, latin_case(cp, all_upper || (first && first_upper)));
        first = false;
    }
    return out;
}

// The word as the library writes it (« prévention » for the spelling table's « prevention »):
// the first form found, in lower case, in the texts of a few documents that have its stem;
// the folded word itself when none has it written.
std::string written_form(const Xapian::Database& db, const std::string& folded, const std::string& stem) {
    int looked = 0;
    for (auto p = db.postlist_begin(stem); p != db.postlist_end(stem) && looked < 3; ++p, ++looked) {
        auto data = nlohmann::json::parse(db.get_document(*p).get_data(), nullptr, false);
        if (!data.is_object()) continue;
        for (const char* field : {"title", "summary", "body"}) {
            const auto text = data.value(field, std::string());
            std::size_t at = 0, end = 0;
            for (std::size_t i = 0; next_word(text, i, at, end);) {
                const auto w = std::string_view(text).substr(at, end - at);
                if (end - at >= folded.size() && end - at <= 2 * folded.size() && fold(w) == folded) return recase(w, false, false);
            }
        }
    }
    return folded;
}

// A spelling correction of the query, in the user's own text (only corrected words
// change), or "" when none makes sense. Only words the library does not have in any form
// are corrected (a rare word that exists, such as REZONE, is never "fixed" into a
// frequent one), and a correction is refused when it is a stop word (« veille » is not
// « elle »), the same word in another form (same stem), or a word the query already has
// (« zones atones » is not « zones zones »). Candidates, in order: Xapian's spelling table
// (2 edits), the French -ique/-ic endings (« diagnostique » → « diagnostic », 3 edits),
// then 3 edits for words of 8 letters or more, keeping the first letter.
std::string spelling_correction(const Xapian::Database& db, const std::string& raw) {
    struct unit {
        std::size_t begin, end;
        std::string folded, stem;
    };
    std::vector<unit> units;
    auto st = stemmer();
    std::size_t at = 0, end = 0;
    for (std::size_t i = 0; next_word(raw, i, at, end);) {
        auto folded = fold(std::string_view(raw).substr(at, end - at));
        units.push_back({at, end, folded, st(folded)});
    }
    const auto last_char = raw.find_last_not_of(" \t\r\n");
    std::string out;
    std::size_t copied = 0;
    bool changed = false;
    for (std::size_t u = 0; u < units.size(); ++u) {
        const auto& w = units[u];
        const auto& word = w.folded;
        if (word.size() < 3 || is_stop_word(word) ||
            std::any_of(word.begin(), word.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
            continue;
        const auto raw_word = std::string_view(raw).substr(w.begin, w.end - w.begin);
        if (raw_word == "AND" || raw_word == "OR" || raw_word == "NOT" || raw_word == "ET" || raw_word == "OU" || raw_word == "SAUF") continue;
        if (w.end < raw.size() && (raw[w.end] == '*' || raw[w.end] == ':')) continue;  // word*, titre:
        if (db.get_termfreq(w.stem) > 0) continue;  // the library has it
        // The word being typed: a prefix of words the library has.
        if (u + 1 == units.size() && last_char != std::string::npos && w.end == last_char + 1 &&
            db.allterms_begin(word) != db.allterms_end(word))
            continue;
        std::vector<std::string> candidates{db.get_spelling_suggestion(word, 2)};
        for (auto [from, to] : {std::pair<std::string_view, std::string_view>{"iques", "ics"}, {"ique", "ic"}})
            if (word.size() > from.size() + 2 && word.compare(word.size() - from.size(), from.size(), from) == 0)
                candidates.push_back(word.substr(0, word.size() - from.size()) + std::string(to));
        // Three edits change most of a short word: only a word that starts as typed (a
        // typo rarely hits the first letter; « dotation » is not « création »).
        if (word.size() >= 8)
            if (auto far = db.get_spelling_suggestion(word, 3); !far.empty() && far[0] == word[0]) candidates.push_back(far);
        std::string chosen;
        for (const auto& c : candidates) {
            if (c.empty() || c == word || is_stop_word(c)) continue;
            auto c_stem = st(c);
            if (c_stem == w.stem || db.get_termfreq(c_stem) == 0) continue;
            bool already = false;
            for (std::size_t o = 0; o < units.size(); ++o)
                if (o != u && (units[o].stem == c_stem || units[o].folded == c)) already = true;
            if (already) continue;
            chosen = c;
            break;
        }
        if (chosen.empty()) continue;
        // As the library writes it, in the case typed: « PRÉVANTION » → « PRÉVENTION »,
        // « Prévantion » → « Prévention ».
        chosen = written_form(db, chosen, st(chosen));
        {
            bool any_lower = false, any_upper = false, first_upper = false, first = true;
            for (std::size_t k = 0; k < raw_word.size();) {
                char32_t cp = decode(raw_word, k);
                const bool up = latin_case(cp, false) != cp, low = latin_case(cp, true) != cp;
                if (first) first_upper = up;
                first = false;
                any_upper = any_upper || up;
                any_lower = any_lower || low;
            }
            const bool all_upper = any_upper && !any_lower && raw_word.size() > 1;
            chosen = recase(chosen, all_upper, first_upper);
        }
        out.append(raw, copied, w.begin - copied);
        out += chosen;
        copied = w.end;
        changed = true;
    }
    if (!changed) return "";
    out.append(raw, copied, std::string::npos);
    return out;
}

std::atomic<std::uint64_t> index_instances{0};

}  // namespace

synonym_groups parse_synonyms(std::string_view text) {
    synonym_groups groups;
    std::size_t line_no = 0;
    while (!text.empty()) {
        auto nl = text.find('\n');
        auto line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        ++line_no;
        auto first = line.find_first_not_of(" \t\r");
        if (first == std::string_view::npos || line[first] == '#') continue;
        auto eq = line.find('=');
        if (eq == std::string_view::npos) throw std::invalid_argument("synonyms line " + std::to_string(line_no) + ": no '='");
        std::vector<std::string> group;
        auto add = [&](std::string_view part) {
            auto b = part.find_first_not_of(" \t\r");
            auto e = part.find_last_not_of(" \t\r");
            if (b == std::string_view::npos) throw std::invalid_argument("synonyms line " + std::to_string(line_no) + ": empty form");
            auto form = std::string(part.substr(b, e - b + 1));
            if (form.size() > 200) throw std::invalid_argument("synonyms line " + std::to_string(line_no) + ": form too long");
            group.push_back(std::move(form));
        };
        add(line.substr(0, eq));
        auto rest = line.substr(eq + 1);
        while (true) {
            auto semi = rest.find(';');
            add(rest.substr(0, semi));
            if (semi == std::string_view::npos) break;
            rest = rest.substr(semi + 1);
        }
        groups.push_back(std::move(group));
    }
    return groups;
}

index::index(std::filesystem::path dir)
    : dir_(std::move(dir)), reader_key_(dir_.string() + "#" + std::to_string(++index_instances)) {
    std::filesystem::create_directories(dir_);
    try {
        // An index of the former single-database layout is derived data: start afresh
        // (the indexer then finds it empty and rebuilds it).
        if (std::filesystem::exists(dir_ / "iamglass"))
            for (const auto& e : std::filesystem::directory_iterator(dir_)) std::filesystem::remove_all(e.path());
        for (std::size_t i = 0; i < index_shards; ++i) {
            if (!std::filesystem::exists(shard_dir(dir_, i) / "iamglass")) {
                Xapian::WritableDatabase db(shard_dir(dir_, i).string(), Xapian::DB_CREATE_OR_OPEN);
                db.commit();
            }
        }
    } catch (const Xapian::Error& e) {
        rethrow(e, dir_);
    }
}

index::~index() {
    for (std::size_t i = 0; i < index_shards; ++i) {
        std::lock_guard lock(shard_mutex_[i]);
        try {
            if (writers_[i]) writers_[i]->close();
        } catch (const Xapian::Error&) {
        }
    }
}

namespace {
std::int64_t steady_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

bool index::answered_within(std::chrono::milliseconds window) const {
    auto last = last_answer_ms_.load(std::memory_order_relaxed);
    return last != 0 && steady_ms() - last <= window.count();
}

std::uint32_t index::document_count() const {
    try {
        return open_combined(dir_).get_doccount();
    } catch (const Xapian::Error& e) {
        rethrow(e, dir_);
    }
}

Xapian::WritableDatabase& index::writer(std::size_t shard) {
    auto& w = writers_[shard];
    if (!w) w = std::make_unique<Xapian::WritableDatabase>(shard_dir(dir_, shard).string(), Xapian::DB_CREATE_OR_OPEN);
    return *w;
}

// The part of indexing that needs no writer, so that it can run on several threads:
// terms and positions, synonym expansion, the words for the spelling table, the data.
struct index::prepared {
    std::string key;
    Xapian::Document doc;
    std::vector<std::pair<std::string, unsigned>> spelling;  // distinct words, with counts
};

index::prepared index::prepare(const document& d) const {
    prepared p;
    Xapian::TermGenerator tg;
    tg.set_stemmer(stemmer());
    tg.set_stemming_strategy(Xapian::TermGenerator::STEM_ALL);
    tg.set_document(p.doc);
    // The title counts more, and is searchable on its own (prefix S).
    const auto title = normalise(d.title);
    // The prefixed title takes the same positions as the plain one: `titre:"une phrase"`.
    const auto title_start = tg.get_termpos();
    tg.index_text(title, 3);
    const auto title_end = tg.get_termpos();
    tg.set_termpos(title_start);
    tg.index_text(title, 1, "S");
    tg.set_termpos(title_end);
    tg.increase_termpos();
    tg.index_text(normalise(d.summary), 2);
    tg.increase_termpos();
    tg.index_text(normalise(d.body));
    if (!d.more.empty()) {
        tg.increase_termpos();
        tg.index_text(normalise(d.more));
    }
    // One pass over the words: counts for the spelling table, a set for synonyms.
    auto words = word_string(d.title + "\n" + d.summary + "\n" + d.body + "\n" + d.more);
    std::unordered_map<std::string_view, unsigned> counts;
    for (std::size_t i = 1; i < words.size();) {
        auto sp = words.find(' ', i);
        if (sp == std::string::npos) break;
        ++counts[std::string_view(words).substr(i, sp - i)];
        i = sp + 1;
    }
    // The spelling table learns words, not codes: letters only, 3 to 30 bytes. (Each new
    // word costs Xapian a set of trigram fragments; identifiers and numbers would make most
    // of them and never be what someone misspells.)
    for (const auto& [w, n] : counts) {
        if (w.size() < 3 || w.size() > 30) continue;
        if (std::any_of(w.begin(), w.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) continue;
        p.spelling.emplace_back(std::string(w), n);
    }
    for (std::size_t g = 0; g < synonyms_.size(); ++g) {
        const auto& forms = synonym_words_[g];
        bool used = std::any_of(forms.begin(), forms.end(), [&](const std::string& f) {
            // " word " or " several words ": the first word must be in the document at all.
            auto first_end = f.find(' ', 1);
            if (!counts.count(std::string_view(f).substr(1, first_end - 1))) return false;
            return first_end + 1 == f.size() || words.find(f) != std::string::npos;
        });
        if (!used) continue;
        // The document gets the other forms of the group (all of them: simpler, harmless).
        for (const auto& form : synonyms_[g]) {
            tg.increase_termpos();
            tg.index_text(normalise(form));
        }
    }
    std::string facet_values;
    for (const auto& [facet, values] : d.facets)
        for (const auto& v : values) {
            p.doc.add_boolean_term(facet_term(facet, v));
            if (!facet_values.empty()) facet_values += '\x1f';
            facet_values += facet + "=" + fold(v).substr(0, 200);
        }
    p.doc.add_value(facets_slot, facet_values);
    p.doc.add_value(date_slot, Xapian::sortable_serialise(static_cast<double>(d.date)));
    nlohmann::json data{{"id", d.id}, {"title", d.title}, {"summary", d.summary}, {"body", utf8_prefix(d.body, 20000)}, {"extra", d.extra}};
    // The text of the attachments too, for a snippet when only they match.
    if (!d.more.empty()) data["more"] = utf8_prefix(d.more, 20000);
    p.doc.set_data(data.dump());
    p.key = id_prefix + d.id;
    p.doc.add_boolean_term(p.key);
    return p;
}

void index::write(std::size_t shard, prepared& p) {
    auto& w = writer(shard);
    for (const auto& [word, n] : p.spelling) w.add_spelling(word, n);
    w.replace_document(p.key, p.doc);
}

void index::put(const document& d) {
    try {
        auto p = prepare(d);
        auto shard = shard_of(p.key);
        std::lock_guard lock(shard_mutex_[shard]);
        write(shard, p);
    } catch (const Xapian::Error& e) {
        rethrow(e, dir_);
    }
}

void index::put_many(const std::vector<document>& docs) {
    // One thread per shard, each analysing and writing its own documents.
    std::array<std::vector<const document*>, index_shards> parts;
    for (const auto& d : docs) parts[shard_of(id_prefix + d.id)].push_back(&d);
    auto run = [this, &parts](std::size_t shard) {
        std::lock_guard lock(shard_mutex_[shard]);
        for (const auto* d : parts[shard]) {
            auto p = prepare(*d);
            write(shard, p);
        }
    };
    try {
        std::vector<std::future<void>> others;
        for (std::size_t i = 1; i < index_shards; ++i)
            if (!parts[i].empty()) others.push_back(std::async(std::launch::async, run, i));
        std::exception_ptr failure;
        try {
            run(0);
        } catch (...) {
            failure = std::current_exception();
        }
        for (auto& f : others) {
            try {
                f.get();
            } catch (...) {
                if (!failure) failure = std::current_exception();
            }
        }
        if (failure) std::rethrow_exception(failure);
    } catch (const Xapian::Error& e) {
        rethrow(e, dir_);
    }
}

void index::remove(const std::string& id) {
    auto key = id_prefix + id;
    auto shard = shard_of(key);
    std::lock_guard lock(shard_mutex_[shard]);
    try {
        writer(shard).delete_document(key);
    } catch (const Xapian::Error& e) {
        rethrow(e, dir_);
    }
}

void index::open_writer() {
    try {
        for (std::size_t i = 0; i < index_shards; ++i) {
            std::lock_guard lock(shard_mutex_[i]);
            writer(i);
        }
    } catch (const Xapian::Error& e) {
        rethrow(e, dir_);
    }
}

void index::commit() {
    try {
        for (std::size_t i = 0; i < index_shards; ++i) {
            std::lock_guard lock(shard_mutex_[i]);
            if (writers_[i]) writers_[i]->commit();
        }
        ++generation_;
    } catch (const Xapian::Error& e) {
        rethrow(e, dir_);
    }
}

result index::search(const query& q) const {
    for (int attempt = 0;; ++attempt) {
        try {
            auto& reader = thread_reader(reader_key_, dir_, generation_.load(), attempt > 0);
            auto plan = plan_query(q.text);
            auto r = run_query(reader, q, plan);
            last_answer_ms_.store(steady_ms(), std::memory_order_relaxed);
            const bool has_text = q.text.find_first_not_of(" \t\r\n") != std::string::npos;
            if (!has_text || q.relaxed) return r;
            // Keywords that together find few fiches (3 or 4 significant words): most of
            // the words, as a question is read — every-word matches still rank first —, when
            // that finds more. « exemples de parcours insuffisance cardiaque » should not miss
            // the one testimony that says no « exemple ».
            if (plan.mode == query_mode::keywords && r.total < enough_results) {
                auto most = plan_query(q.text, true);
                if (most.mode == query_mode::relevance && most.words.size() >= 3) {
                    auto wider = run_query(reader, q, most);
                    if (wider.total > r.total) {
                        r = std::move(wider);
                        r.fallback = "most_words";
                        plan = std::move(most);
                    }
                }
            }
            // Few results: a spelling correction, if it finds clearly more (more than
            // twice as many; at least one when the query finds nothing). Spelling costs
            // a lookup per word: asked for only here. A question or a long query does not
            // count a word no fiche has, so it finds items despite a typo, however many:
            // there, the correction is offered whenever it finds more.
            const bool relevance = plan.mode == query_mode::relevance;
            if (r.total < enough_results || relevance) {
                auto corrected = spelling_correction(*reader.db, q.text);
                if (!corrected.empty()) {
                    query again = q;
                    again.text = corrected;
                    again.relaxed = true;
                    if (r.total == 0) {
                        // Nothing at all: show what the correction finds.
                        auto found = run_query(reader, again, plan_query(corrected));
                        if (found.total > 0) {
                            found.suggestion = corrected;
                            found.fallback = "corrected";
                            return found;
                        }
                    } else {
                        const auto more = static_cast<Xapian::doccount>(relevance ? r.total + 1 : 2 * r.total + 1);
                        if (count_up_to(*reader.db, again, more) >= more) r.suggestion = corrected;
                    }
                }
            }
            if (r.total == 0) {
                // Nothing has the words (and no correction helps): what has some of them.
                query again = q;
                again.relaxed = true;
                again.any_word = true;
                auto loose = run_query(reader, again, plan);
                if (loose.total > 0) loose.fallback = "any_word";
                return loose;
            }
            return r;
        } catch (const Xapian::DatabaseModifiedError&) {
            // The next attempt reopens the reader (inside the try: its errors are handled).
            if (attempt > 2) throw std::runtime_error("search index kept changing during a query");
        } catch (const Xapian::QueryParserError& e) {
            throw std::invalid_argument(e.get_msg());
        } catch (const Xapian::Error& e) {
            rethrow(e, dir_);
        }
    }
}

std::vector<hit> index::similar(const std::string& id, std::size_t limit,
                                const std::map<std::string, std::vector<std::string>>& filters) const {
    for (int attempt = 0;; ++attempt) {
        try {
            Xapian::Database& db = *thread_reader(reader_key_, dir_, generation_.load(), attempt > 0).db;
            auto key = id_prefix + id;
            auto posting = db.postlist_begin(key);
            if (posting == db.postlist_end(key)) return {};
            Xapian::RSet rset;
            rset.add_document(*posting);
            // The document's most telling words that other documents share (no prefixed
            // terms: ids, facets, titles; a word only this document has finds nothing).
            struct plain_terms : Xapian::ExpandDecider {
                explicit plain_terms(const Xapian::Database& d) : db(d) {}
                const Xapian::Database& db;
                bool operator()(const std::string& term) const override {
                    return term.size() > 3 && !std::isupper(static_cast<unsigned char>(term[0])) && db.get_termfreq(term) >= 2;
                }
            } decider(db);
            Xapian::Enquire enquire(db);
            auto eset = enquire.get_eset(30, rset, &decider);
            std::vector<std::string> terms;
            for (auto t = eset.begin(); t != eset.end(); ++t) terms.push_back(*t);
            if (terms.empty()) return {};
            Xapian::Query q(Xapian::Query::OP_OR, terms.begin(), terms.end());
            q = filtered(Xapian::Query(Xapian::Query::OP_AND_NOT, q, Xapian::Query(key)), filters);
            enquire.set_query(q);
            auto mset = enquire.get_mset(0, static_cast<Xapian::doccount>(limit));
            std::vector<hit> out;
            for (auto m = mset.begin(); m != mset.end(); ++m) {
                out.push_back(hit_of(m, nullptr));
            }
            return out;
        } catch (const Xapian::DatabaseModifiedError&) {
            // The next attempt reopens the reader (inside the try: its errors are handled).
            if (attempt > 2) throw std::runtime_error("search index kept changing during a query");
        } catch (const Xapian::Error& e) {
            rethrow(e, dir_);
        }
    }
}

// Called before the first document is put (the application sets them at start-up):
// prepare() reads them from several threads without a lock.
void index::set_synonyms(synonym_groups groups) {
    std::lock_guard lock(writer_mutex_);
    synonym_words_.clear();
    for (const auto& g : groups) {
        std::vector<std::string> words;
        for (const auto& form : g) words.push_back(word_string(form));
        synonym_words_.push_back(std::move(words));
    }
    synonyms_ = std::move(groups);
}

std::string index::synonyms_fingerprint() const {
    std::lock_guard lock(writer_mutex_);
    std::uint64_t h = fnv1a("v4");  // also the index layout (v3: a "type" facet; v4: title positions): a new version rebuilds old indexes
    for (const auto& g : synonyms_) {
        for (const auto& f : g) h = fnv1a(f + "\x1f", h);
        h = fnv1a("\x1e", h);
    }
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

std::string index::built_fingerprint() const {
    try {
        Xapian::Database db(shard_dir(dir_, 0).string());
        return db.get_metadata(fingerprint_key);
    } catch (const Xapian::Error& e) {
        rethrow(e, dir_);
    }
}

std::string index::metadata(const std::string& key) const {
    try {
        Xapian::Database db(shard_dir(dir_, 0).string());
        return db.get_metadata(key);
    } catch (const Xapian::Error& e) {
        rethrow(e, dir_);
    }
}

void index::set_metadata(const std::string& key, const std::string& value) {
    std::lock_guard lock(shard_mutex_[0]);
    try {
        writer(0).set_metadata(key, value);
    } catch (const Xapian::Error& e) {
        rethrow(e, dir_);
    }
}

void index::stamp_fingerprint() {
    auto fp = synonyms_fingerprint();
    std::lock_guard lock(shard_mutex_[0]);
    try {
        writer(0).set_metadata(fingerprint_key, fp);
    } catch (const Xapian::Error& e) {
        rethrow(e, dir_);
    }
}

void index::clear() {
    try {
        for (std::size_t i = 0; i < index_shards; ++i) {
            std::lock_guard lock(shard_mutex_[i]);
            auto& w = writer(i);
            std::vector<Xapian::docid> ids;
            for (auto p = w.postlist_begin(""); p != w.postlist_end(""); ++p) ids.push_back(*p);
            for (auto id : ids) w.delete_document(id);
            // Xapian never forgets spellings by itself: words of deleted documents would
            // still be suggested. A rebuild starts the table afresh.
            std::vector<std::pair<std::string, Xapian::termcount>> words;
            for (auto t = w.spellings_begin(); t != w.spellings_end(); ++t) words.emplace_back(*t, t.get_termfreq());
            for (const auto& [word, freq] : words) w.remove_spelling(word, freq);
        }
    } catch (const Xapian::Error& e) {
        rethrow(e, dir_);
    }
}

}  // namespace relais::search
