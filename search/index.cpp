#include "search/index.hpp"

#include "search/text.hpp"

#include <xapian.h>

#include <nlohmann/json.hpp>

#include <set>
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

// Counts, over every matching document Xapian looks at, the values of each facet;
// a document with several values of one facet counts once for each.
class facet_spy : public Xapian::MatchSpy {
public:
    void operator()(const Xapian::Document& doc, double) override {
        for (auto t = doc.termlist_begin(); t != doc.termlist_end(); ++t) {
            t.skip_to(facet_prefix);
            if (t == doc.termlist_end()) break;
            std::string term = *t;
            if (term.rfind(facet_prefix, 0) != 0) break;
            auto colon = term.find(':');
            if (colon != std::string::npos) ++counts[term.substr(2, colon - 2)][term.substr(colon + 1)];
        }
    }
    std::map<std::string, std::map<std::string, std::size_t>> counts;
};

Xapian::Stem stemmer() { return Xapian::Stem("french"); }

// AND / OR / NOT stay operators; everything else is normalised like indexed text.
std::string normalise_query(const std::string& raw) {
    std::istringstream in(raw);
    std::string word, out;
    while (in >> word) {
        if (!out.empty()) out += ' ';
        if (word == "AND" || word == "OR" || word == "NOT") out += word;
        else out += normalise(word);
    }
    return out;
}

std::string escape_html(std::string_view s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            default: out += c;
        }
    }
    return out;
}

// A window of the original text around the first match, matched words in <mark>.
// Matching happens on normalised, stemmed words, so accents do not defeat it.
std::string make_snippet(const std::string& text, const std::set<std::string>& stems, std::size_t words_around = 14) {
    struct word {
        std::size_t begin, end;
        bool match;
    };
    std::vector<word> words;
    auto st = stemmer();
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && (text[i] == ' ' || text[i] == '\n' || text[i] == '\t' || text[i] == '\r')) ++i;
        std::size_t b = i;
        while (i < text.size() && text[i] != ' ' && text[i] != '\n' && text[i] != '\t' && text[i] != '\r') ++i;
        if (i == b) break;
        bool match = false;
        std::istringstream parts(normalise(std::string_view(text).substr(b, i - b)));
        for (std::string p; parts >> p;) {
            std::string core;
            for (char c : p)
                if (std::isalnum(static_cast<unsigned char>(c)) || static_cast<unsigned char>(c) >= 0x80) core += c;
            if (!core.empty() && (stems.count(st(core)) || stems.count(core))) match = true;
        }
        words.push_back({b, i, match});
    }
    if (words.empty()) return {};
    std::size_t first = 0;
    while (first < words.size() && !words[first].match) ++first;
    if (first == words.size()) first = 0;
    std::size_t from = first > words_around / 2 ? first - words_around / 2 : 0;
    std::size_t to = std::min(words.size(), from + words_around * 2);
    std::string out = from > 0 ? "… " : "";
    for (std::size_t k = from; k < to; ++k) {
        if (k > from) out += ' ';
        auto w = escape_html(std::string_view(text).substr(words[k].begin, words[k].end - words[k].begin));
        out += words[k].match ? "<mark>" + w + "</mark>" : w;
    }
    if (to < words.size()) out += " …";
    return out;
}

}  // namespace

index::index(std::filesystem::path dir) : dir_(std::move(dir)) {
    std::filesystem::create_directories(dir_);
    try {
        if (!std::filesystem::exists(dir_ / "iamglass")) {
            Xapian::WritableDatabase db(dir_.string(), Xapian::DB_CREATE_OR_OPEN);
            db.commit();
        }
    } catch (const Xapian::Error& e) {
        rethrow(e, dir_);
    }
}

index::~index() {
    std::lock_guard lock(writer_mutex_);
    try {
        if (writer_) writer_->close();
    } catch (const Xapian::Error&) {
    }
}

std::uint32_t index::document_count() const {
    try {
        Xapian::Database reader(dir_.string());
        return reader.get_doccount();
    } catch (const Xapian::Error& e) {
        rethrow(e, dir_);
    }
}

Xapian::WritableDatabase& index::writer() {
    if (!writer_) writer_ = std::make_unique<Xapian::WritableDatabase>(dir_.string(), Xapian::DB_CREATE_OR_OPEN);
    return *writer_;
}

void index::put(const document& d) {
    std::lock_guard lock(writer_mutex_);
    try {
        Xapian::TermGenerator tg;
        tg.set_stemmer(stemmer());
        tg.set_stemming_strategy(Xapian::TermGenerator::STEM_SOME);
        tg.set_database(writer());
        tg.set_flags(Xapian::TermGenerator::FLAG_SPELLING);
        Xapian::Document doc;
        tg.set_document(doc);
        // The title counts more, and is searchable on its own (prefix S).
        tg.index_text(normalise(d.title), 3);
        tg.index_text(normalise(d.title), 1, "S");
        tg.increase_termpos();
        tg.index_text(normalise(d.summary), 2);
        tg.increase_termpos();
        tg.index_text(normalise(d.body));
        for (const auto& [facet, values] : d.facets)
            for (const auto& v : values) doc.add_boolean_term(facet_term(facet, v));
        doc.add_value(date_slot, Xapian::sortable_serialise(static_cast<double>(d.date)));
        doc.set_data(nlohmann::json{{"id", d.id}, {"title", d.title}, {"summary", d.summary}, {"body", d.body.substr(0, 20000)}}.dump());
        std::string key = id_prefix + d.id;
        doc.add_boolean_term(key);
        writer().replace_document(key, doc);
    } catch (const Xapian::Error& e) {
        rethrow(e, dir_);
    }
}

void index::remove(const std::string& id) {
    std::lock_guard lock(writer_mutex_);
    try {
        writer().delete_document(id_prefix + id);
    } catch (const Xapian::Error& e) {
        rethrow(e, dir_);
    }
}

void index::commit() {
    std::lock_guard lock(writer_mutex_);
    try {
        if (writer_) writer_->commit();
    } catch (const Xapian::Error& e) {
        rethrow(e, dir_);
    }
}

result index::search(const query& q) const {
    for (int attempt = 0;; ++attempt) {
        try {
            Xapian::Database db(dir_.string());
            Xapian::QueryParser qp;
            qp.set_database(db);
            qp.set_stemmer(stemmer());
            qp.set_stemming_strategy(Xapian::QueryParser::STEM_SOME);
            qp.set_default_op(Xapian::Query::OP_AND);
            qp.add_prefix("titre", "S");
            qp.set_max_expansion(50, Xapian::Query::WILDCARD_LIMIT_MOST_FREQUENT);
            const unsigned flags = Xapian::QueryParser::FLAG_PHRASE | Xapian::QueryParser::FLAG_BOOLEAN |
                                   Xapian::QueryParser::FLAG_LOVEHATE | Xapian::QueryParser::FLAG_WILDCARD |
                                   Xapian::QueryParser::FLAG_PARTIAL | Xapian::QueryParser::FLAG_SPELLING_CORRECTION;
            auto text = normalise_query(q.text);
            Xapian::Query parsed = text.empty() ? Xapian::Query::MatchAll : qp.parse_query(text, flags);
            // Filters: OR between the values of a facet, AND across facets.
            for (const auto& [facet, values] : q.filters) {
                std::vector<Xapian::Query> alternatives;
                for (const auto& v : values) alternatives.emplace_back(facet_term(facet, v));
                if (!alternatives.empty())
                    parsed = Xapian::Query(Xapian::Query::OP_FILTER, parsed,
                                           Xapian::Query(Xapian::Query::OP_OR, alternatives.begin(), alternatives.end()));
            }
            Xapian::Enquire enquire(db);
            enquire.set_query(parsed);
            if (q.by_date) enquire.set_sort_by_value_then_relevance(date_slot, true);
            facet_spy spy;
            enquire.add_matchspy(&spy);
            auto mset = enquire.get_mset(static_cast<Xapian::doccount>(q.offset), static_cast<Xapian::doccount>(q.limit),
                                         10000);
            std::set<std::string> stems;
            for (auto t = parsed.get_unique_terms_begin(); t != parsed.get_unique_terms_end(); ++t) {
                std::string term = *t;
                if (term.empty() || (std::isupper(static_cast<unsigned char>(term[0])) && term[0] != 'Z')) continue;
                stems.insert(term[0] == 'Z' ? term.substr(1) : term);
            }
            result r;
            r.total = mset.get_matches_estimated();
            for (auto m = mset.begin(); m != mset.end(); ++m) {
                auto data = nlohmann::json::parse(m.get_document().get_data(), nullptr, false);
                hit h;
                h.id = data.value("id", "");
                h.title = data.value("title", "");
                h.summary = data.value("summary", "");
                h.score = m.get_weight();
                auto body = data.value("body", "");
                h.snippet = make_snippet(h.summary + "\n" + body, stems);
                r.hits.push_back(std::move(h));
            }
            r.facets = std::move(spy.counts);
            r.suggestion = qp.get_corrected_query_string();
            if (r.suggestion.empty() && !text.empty() && r.total < 3) {
                // FLAG_PARTIAL turns off correction of the last word: ask again without it.
                qp.parse_query(text, flags & ~static_cast<unsigned>(Xapian::QueryParser::FLAG_PARTIAL));
                r.suggestion = qp.get_corrected_query_string();
            }
            return r;
        } catch (const Xapian::DatabaseModifiedError&) {
            if (attempt > 0) throw std::runtime_error("search index changed twice during a query");
        } catch (const Xapian::QueryParserError& e) {
            throw std::invalid_argument(e.get_msg());
        } catch (const Xapian::Error& e) {
            rethrow(e, dir_);
        }
    }
}

}  // namespace relais::search
