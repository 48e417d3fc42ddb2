#include "search/index.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <set>

namespace {
// The highlighted words of a hit, cut from its snippet by their UTF-16 ranges.
std::vector<std::string> marked(const relais::search::hit& h) {
    std::u16string text;
    for (std::size_t i = 0; i < h.snippet.size();) {  // UTF-8 -> UTF-16, enough for tests
        unsigned char c = static_cast<unsigned char>(h.snippet[i]);
        char32_t cp;
        int n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        cp = n == 1 ? c : n == 2 ? c & 0x1F : n == 3 ? c & 0x0F : c & 0x07;
        for (int k = 1; k < n; ++k) cp = cp << 6 | (static_cast<unsigned char>(h.snippet[i + k]) & 0x3F);
        i += static_cast<std::size_t>(n);
        if (cp >= 0x10000) {
            text += static_cast<char16_t>(0xD800 + ((cp - 0x10000) >> 10));
            text += static_cast<char16_t>(0xDC00 + ((cp - 0x10000) & 0x3FF));
        } else {
            text += static_cast<char16_t>(cp);
        }
    }
    std::vector<std::string> out;
    for (auto [b, e] : h.highlights) {
        std::string word;
        for (auto u : text.substr(b, e - b)) {  // back to UTF-8 (BMP only)
            if (u < 0x80) word += static_cast<char>(u);
            else if (u < 0x800) word += {static_cast<char>(0xC0 | u >> 6), static_cast<char>(0x80 | (u & 0x3F))};
            else word += {static_cast<char>(0xE0 | u >> 12), static_cast<char>(0x80 | (u >> 6 & 0x3F)), static_cast<char>(0x80 | (u & 0x3F))};
        }
        out.push_back(word);
    }
    return out;
}
}  // namespace

TEST_CASE("the index opens, is readable, and reports a broken folder", "[search]") {
    unit_temp_dir dir;
    {
        relais::search::index idx(dir.path / "index");
        CHECK(idx.document_count() == 0);
    }
    relais::search::index reopened(dir.path / "index");
    relais::search::index beside(dir.path / "index");  // no lock held: tools run beside the server
    CHECK(reopened.document_count() == 0);
    CHECK(beside.document_count() == 0);
    std::filesystem::remove_all(dir.path / "index");
    std::filesystem::create_directories(dir.path / "index");
    std::ofstream(dir.path / "index" / "iamglass") << "garbage";
    CHECK_THROWS(reopened.document_count());
}

#include "search/text.hpp"

using relais::search::fold;
using relais::search::normalise;

TEST_CASE("French normalisation: case, accents, ligatures, apostrophes, elisions", "[search]") {
    CHECK(fold("Médecin ÉLÈVE Œuvre à Noël") == "medecin eleve oeuvre a noel");
    CHECK(fold("ça, çà") == "ca, ca");
    CHECK(fold("l\xE2\x80\x99""ACI") == "l'aci");          // U+2019
    CHECK(fold("e\xCC\x81tude") == "etude");               // decomposed é
    CHECK(fold("\xff\xfe ok") == "   ok");                  // invalid UTF-8 becomes spaces
    CHECK(normalise("l'ACI d'une CPTS qu'elle jusqu'à aujourd'hui") == "aci une cpts elle a aujourd hui");
    CHECK(normalise("L\xE2\x80\x99\xC3\xA9l\xC3\xA8ve") == "eleve");
}

namespace {
relais::search::document doc(std::string id, std::string title, std::string body, std::map<std::string, std::vector<std::string>> facets,
                             std::int64_t date = 0) {
    relais::search::document d;
    d.id = std::move(id);
    d.title = std::move(title);
    d.body = std::move(body);
    d.facets = std::move(facets);
    d.date = date;
    return d;
}
std::vector<std::string> ids(const relais::search::result& r) {
    std::vector<std::string> out;
    for (const auto& h : r.hits) out.push_back(h.id);
    return out;
}
}  // namespace

TEST_CASE("index and search in French: stemming, accents, elisions, phrases, facets", "[search]") {
    unit_temp_dir dir;
    relais::search::index idx(dir.path / "index");
    idx.put(doc("a", "Modèle de lettre d'intention", "La lettre d'intention présente le territoire, les médecins et l'ACI envisagée.",
                {{"kind", {"outil"}}, {"phase", {"lettre_intention"}}}, 100));
    idx.put(doc("b", "Trame de diagnostic territorial", "Le diagnostic territorial et la matrice SWOT : forces, faiblesses, opportunités, menaces.",
                {{"kind", {"outil"}}, {"phase", {"diagnostic", "projet_sante"}}}, 200));
    idx.put(doc("c", "Témoignage de la CPTS du Val de Sambre", "Les médecins généralistes ont organisé les soins non programmés.",
                {{"kind", {"temoignage"}}, {"phase", {"projet_sante"}}}, 300));
    idx.commit();
    CHECK(idx.document_count() == 3);

    auto q = [&](std::string text, std::map<std::string, std::vector<std::string>> filters = {}) {
        relais::search::query query;
        query.text = std::move(text);
        query.filters = std::move(filters);
        return idx.search(query);
    };
    CHECK(ids(q("medecin")).size() == 2);                       // accent-insensitive, plural
    CHECK(ids(q("MÉDECINS généralistes")) == std::vector<std::string>{"c"});
    CHECK(ids(q("ACI")) == std::vector<std::string>{"a"});       // "l'ACI" was indexed as "aci"
    CHECK(ids(q("l'intention")) == std::vector<std::string>{"a"});
    CHECK(ids(q("\"diagnostic territorial\"")) == std::vector<std::string>{"b"});
    CHECK(ids(q("territorial NOT swot")).empty());
    CHECK(ids(q("territoire OR menaces")).size() == 2);
    CHECK(ids(q("diagn")).size() == 1);                          // partial: search as you type
    auto all = q("");
    CHECK(all.total == 3);
    CHECK(all.facets["kind"]["outil"] == 2);
    CHECK(all.facets["phase"]["projet_sante"] == 2);           // multi-valued facet counted per value
    CHECK(all.facets["phase"]["diagnostic"] == 1);
    CHECK(ids(q("", {{"phase", {"projet_sante"}}})).size() == 2);
    CHECK(ids(q("", {{"phase", {"projet_sante"}}, {"kind", {"outil"}}})) == std::vector<std::string>{"b"});
    CHECK(ids(q("", {{"phase", {"inconnue"}}})).empty());
    // Disjunctive facets: a facet chosen is counted without its own choice (the values one
    // could add), the others with it; a facet not named so narrows its own counts.
    relais::search::query chosen;
    chosen.filters = {{"kind", {"outil"}}, {"phase", {"diagnostic"}}};
    chosen.disjunctive = {"kind", "phase"};
    auto wide = idx.search(chosen);
    CHECK(ids(wide) == std::vector<std::string>{"b"});
    CHECK(wide.facets["kind"] == std::map<std::string, std::size_t>{{"outil", 1}});  // among phase=diagnostic
    CHECK(wide.facets["phase"] == std::map<std::string, std::size_t>{{"diagnostic", 1}, {"lettre_intention", 1}, {"projet_sante", 1}});
    chosen.filters = {{"kind", {"temoignage"}}};
    auto other = idx.search(chosen);
    CHECK(other.facets["kind"] == std::map<std::string, std::size_t>{{"outil", 2}, {"temoignage", 1}});
    CHECK(other.facets["phase"] == std::map<std::string, std::size_t>{{"projet_sante", 1}});
    chosen.disjunctive.clear();
    CHECK(idx.search(chosen).facets["kind"] == std::map<std::string, std::size_t>{{"temoignage", 1}});

    auto s = q("medecins");
    REQUIRE_FALSE(s.hits.empty());
    REQUIRE_FALSE(s.hits[0].highlights.empty());
    CHECK(marked(s.hits[0]) == std::vector<std::string>{"médecins"});
    // A highlight marks the word, not the punctuation glued to it: « menaces. » → menaces,
    // « (SWOT) » → SWOT, « forces, » → forces.
    CHECK(marked(q("menaces swot forces").hits.at(0)) == std::vector<std::string>{"SWOT", "forces", "menaces"});

    relais::search::query by_date;
    by_date.by_date = true;
    CHECK(ids(idx.search(by_date)) == std::vector<std::string>{"c", "b", "a"});

    // Replace and remove.
    idx.put(doc("a", "Modèle de lettre", "Plus de mention de l'accord.", {{"kind", {"outil"}}}));
    idx.remove("c");
    idx.commit();
    CHECK(idx.document_count() == 2);
    CHECK(ids(q("ACI")).empty());
    CHECK(ids(q("generaliste")).empty());
}

TEST_CASE("search: a spelling suggestion for a typo, escaped snippets", "[search]") {
    unit_temp_dir dir;
    relais::search::index idx(dir.path / "index");
    idx.put(doc("x", "Gouvernance", "La gouvernance de l'association <script>alert(1)</script> repose sur le bureau.", {}));
    idx.commit();
    relais::search::query typo;
    typo.text = "gouvernanse";
    auto r = idx.search(typo);
    CHECK(r.suggestion == "gouvernance");
    relais::search::query ok;
    ok.text = "bureau";
    auto h = idx.search(ok).hits.at(0);
    // Plain text with ranges: nothing for a browser to parse back.
    CHECK(h.snippet.find("<script>alert(1)</script>") != std::string::npos);
    CHECK(marked(h) == std::vector<std::string>{"bureau"});  // the word, not its full stop
    // Nor the elided article before it, with either apostrophe.
    ok.text = "association";
    CHECK(marked(idx.search(ok).hits.at(0)) == std::vector<std::string>{"association"});
    idx.put(doc("y", "Intention", "Rédiger la lettre d\u2019intention, qu'importe l'ordre.", {}));
    idx.commit();
    ok.text = "intention importe";
    CHECK(marked(idx.search(ok).hits.at(0)) == std::vector<std::string>{"intention", "importe"});
}

TEST_CASE("search: a question with a typo still finds, and gets the correction", "[search]") {
    unit_temp_dir dir;
    relais::search::index idx(dir.path / "index");
    idx.put(doc("a", "Financer une CPTS", "Le financement des CPTS : ACI, FIR, amorçage.", {}));
    idx.put(doc("b", "Gouvernance d'une CPTS", "Le bureau, l'assemblée générale et les statuts de la CPTS.", {}));
    idx.put(doc("c", "Coordination", "La coordination des soins dans la CPTS.", {}));
    for (int i = 0; i < 6; ++i)
        idx.put(doc("cpts" + std::to_string(i), "CPTS " + std::to_string(i), "Une CPTS du territoire et sa coordination.", {}));
    idx.commit();
    // « finacer » is in no fiche: the question is answered with its other words (7 fiches
    // have both « coordination » and « CPTS »), and the correction, which finds more (the
    // fiche on financing too), is offered although the answer is not short.
    relais::search::query question;
    question.text = "comment finacer la coordination d'une CPTS ?";
    auto r = idx.search(question);
    CHECK(r.total >= 5);
    CHECK(r.suggestion == "comment financer la coordination d'une CPTS ?");
    // Every word known: no suggestion.
    question.text = "comment financer la coordination d'une CPTS ?";
    CHECK(idx.search(question).suggestion.empty());
    // Keywords keep their rule: many results, no correction asked for.
    relais::search::query keywords;
    keywords.text = "CPTS";
    CHECK(idx.search(keywords).suggestion.empty());
}

TEST_CASE("search: a question being typed (no final ?) finds what the finished question finds", "[search]") {
    unit_temp_dir dir;
    relais::search::index idx(dir.path / "index");
    idx.put(doc("a", "Le financement d'une CPTS", "Le financement : ACI, FIR. La santé du territoire.", {}));
    idx.put(doc("b", "Rédiger la lettre d'intention", "La lettre d'intention de la CPTS, étape par étape.", {}));
    idx.put(doc("c", "Indicateurs de santé", "Les indicateurs de la santé publique et la prévention.", {}));
    idx.commit();
    auto total = [&](const std::string& text) {
        relais::search::query q;
        q.text = text;
        return idx.search(q).total;
    };
    for (const std::string& question : {"quel financement", "comment rédiger la lettre d'intention", "quelle santé",
                                        "quels indicateurs de santé et de prévention"}) {
        INFO(question);
        CHECK(total(question + " ?") > 0);
        CHECK(total(question) >= total(question + " ?"));
    }
}

TEST_CASE("search: similar documents share words, never the document itself", "[search]") {
    unit_temp_dir dir;
    relais::search::index idx(dir.path / "index");
    idx.put(doc("a", "Parcours insuffisance cardiaque", "Un parcours pour les patients insuffisants cardiaques avec infirmiers et cardiologues.", {}));
    idx.put(doc("b", "Insuffisance cardiaque : retour", "Les cardiologues et infirmiers du territoire suivent les patients insuffisants cardiaques.", {}));
    idx.put(doc("c", "Vaccination grippe", "Campagne de vaccination en pharmacie.", {}));
    idx.commit();
    auto similar = idx.similar("a", 5);
    REQUIRE(!similar.empty());
    CHECK(similar[0].id == "b");
    for (const auto& h : similar) CHECK(h.id != "a");
    CHECK(idx.similar("inconnu", 5).empty());
}

TEST_CASE("search: huge words and long facet values do not break indexing, clear() forgets spellings", "[search]") {
    unit_temp_dir dir;
    relais::search::index idx(dir.path / "index");
    std::string huge(400, 'x');
    idx.put(doc("a", "Titre " + huge, "Corps " + huge + " diagnostic territorial", {{"kind", {std::string(300, 'k')}}}));
    idx.commit();
    relais::search::query q;
    q.text = "diagnostic";
    CHECK(idx.search(q).total == 1);
    q.text = "diagnostik";
    CHECK(idx.search(q).suggestion == "diagnostic");
    idx.clear();
    idx.commit();
    CHECK(idx.document_count() == 0);
    CHECK(idx.search(q).suggestion.empty());
}

#include "search/query_plan.hpp"

using relais::search::min_match_of;
using relais::search::plan_query;
using relais::search::query_mode;
using strings = std::vector<std::string>;

TEST_CASE("query plan: short keyword queries keep every word, the last as a prefix", "[search][query]") {
    auto p = plan_query("lettre d'int");
    CHECK(p.mode == query_mode::keywords);
    CHECK_FALSE(p.question);
    CHECK(p.text == "lettre int");
    CHECK(p.prefixes == strings{"int"});
    CHECK(p.words.empty());
    // Four significant words are still keywords (stop words do not count).
    auto four = plan_query("indicateurs de moyens et de resultats pour la CPTS");
    CHECK(four.mode == query_mode::keywords);
    CHECK(four.text == "indicateurs de moyens et de resultats pour la cpts");
    CHECK(plan_query("coordin").prefixes == strings{"coordin"});
    CHECK(plan_query("lettre d").prefixes.empty());  // too short to highlight
    CHECK(plan_query("").mode == query_mode::keywords);
}

TEST_CASE("query plan: questions drop stop words and question words", "[search][query]") {
    auto p = plan_query("comment rédiger la lettre d'intention ?");
    CHECK(p.mode == query_mode::relevance);
    CHECK(p.question);
    CHECK(p.words == strings{"rediger", "lettre", "intention"});
    CHECK(p.dropped == strings{"comment", "la"});  // the elision « d' » is already gone
    CHECK_FALSE(p.last_partial);  // a finished question: no prefix
    CHECK(p.prefixes.empty());

    // A question word first, without a question mark: the last word is a prefix too.
    auto typing = plan_query("Pourquoi créer une CPTS sur notre territ");
    CHECK(typing.mode == query_mode::relevance);
    CHECK(typing.words == strings{"creer", "cpts", "territ"});
    CHECK(typing.last_partial);
    CHECK(typing.prefixes == strings{"territ"});

    CHECK(plan_query("Où trouver le contrat type").question);                 // « où » folds to "ou"
    CHECK(plan_query("à quoi sert le diagnostic territorial").question);      // preposition + question word
    CHECK(plan_query("à quoi sert le diagnostic territorial").words == strings{"diagnostic", "territorial"});
    CHECK(plan_query("Qu'est-ce qu'une SISA").words == strings{"sisa"});      // « qu'est-ce que »
    CHECK(plan_query("Quels indicateurs pour l'ACI").words == strings{"indicateurs", "aci"});
    CHECK(plan_query("combien de professionnels").question);
    // An inverted verb makes a question anywhere; the verb is dropped when it only shapes it.
    auto inverted = plan_query("la SISA faut-il la créer avant l'ACI");
    CHECK(inverted.question);
    CHECK(inverted.words == strings{"sisa", "creer", "avant", "aci"});
    CHECK(plan_query("financera-t-on la coordination").words == strings{"financera", "coordination"});
    // Compounds stay one word; « rendez-vous » is not an inversion.
    CHECK(plan_query("télé-expertise ?").words == strings{"tele-expertise"});
    CHECK_FALSE(plan_query("rendez-vous ARS").question);
    // The same word twice (by stem) counts once.
    CHECK(plan_query("quelles zones atones et quelle zone ?").words == strings{"zones", "atones"});
}

TEST_CASE("query plan: long queries rank by relevance, at least 60 % of the words must match", "[search][query]") {
    auto p = plan_query("forces faiblesses opportunites menaces diagnostic");
    CHECK(p.mode == query_mode::relevance);
    CHECK_FALSE(p.question);
    CHECK(p.words.size() == 5);
    CHECK(p.last_partial);
    CHECK(plan_query("projets de sante fiches actions PRS").mode == query_mode::relevance);
    CHECK(plan_query("doubles financements collectivites territoriales").mode == query_mode::keywords);

    CHECK(min_match_of(0) == 0);
    CHECK(min_match_of(1) == 1);
    CHECK(min_match_of(2) == 2);
    CHECK(min_match_of(3) == 2);
    CHECK(min_match_of(4) == 3);
    CHECK(min_match_of(5) == 3);
    CHECK(min_match_of(6) == 4);
    CHECK(min_match_of(7) == 5);
    CHECK(min_match_of(8) == 5);
}

TEST_CASE("query plan: quotes and operators keep the strict reading", "[search][query]") {
    // A phrase: read as written, even in a question.
    auto quoted = plan_query("comment rédiger la \"lettre d'intention\" ?");
    CHECK(quoted.mode == query_mode::syntax);
    CHECK(quoted.question);
    CHECK(quoted.text == "comment rediger la \"lettre intention\" ?");
    // ET between words: every word required, even in a long query.
    auto all = plan_query("forces ET faiblesses ET opportunites ET menaces ET diagnostic");
    CHECK(all.mode == query_mode::syntax);
    CHECK(all.text == "forces AND faiblesses AND opportunites AND menaces AND diagnostic");
    CHECK(plan_query("territoire OU menaces").text == "territoire OR menaces");
    CHECK(plan_query("territorial SAUF swot").text == "territorial NOT swot");
    auto wild = plan_query("config* des paquets");
    CHECK(wild.mode == query_mode::syntax);
    CHECK(wild.prefixes == strings{"config", "paquets"});
    CHECK(plan_query("-swot diagnostic").mode == query_mode::syntax);
    CHECK(plan_query("titre:diagnostic").mode == query_mode::syntax);
    // Lower-case « et » is a word, not an operator.
    CHECK(plan_query("forces et faiblesses").mode == query_mode::keywords);
    // A hyphen inside a word is not the NOT prefix.
    CHECK(plan_query("télé-expertise").mode == query_mode::keywords);
}

namespace {
relais::search::result find(const relais::search::index& idx, std::string text, bool any_word = false) {
    relais::search::query q;
    q.text = std::move(text);
    q.any_word = any_word;
    q.limit = 50;
    return idx.search(q);
}
std::set<std::string> id_set(const relais::search::result& r) {
    std::set<std::string> out;
    for (const auto& h : r.hits) out.insert(h.id);
    return out;
}
}  // namespace

TEST_CASE("search: a question matches 60 % of its words, ranked, keywords, quotes and ET match all", "[search][query]") {
    unit_temp_dir dir;
    relais::search::index idx(dir.path / "index");
    idx.put(doc("all", "Rédiger la lettre d'intention", "Comment rédiger une lettre d'intention pour la future CPTS.", {}));
    idx.put(doc("two", "Lettre et intention", "Une lettre, une intention.", {}));
    idx.put(doc("lettre", "Lettre d'information", "La lettre d'information du réseau.", {}));
    idx.put(doc("intention", "Intention et projet", "Une intention de projet de santé.", {}));
    idx.put(doc("rediger", "Rédaction du projet de santé", "Rédiger le projet de santé.", {}));
    idx.commit();

    // rédiger, lettre, intention: 2 of 3 must match; « comment » and « la » are dropped.
    auto question = find(idx, "comment rédiger la lettre d'intention ?");
    CHECK(id_set(question) == std::set<std::string>{"all", "two"});
    CHECK(question.hits.at(0).id == "all");  // more of the words ranks higher
    CHECK(question.fallback.empty());
    // The same words as keywords: all of them — and, since that finds fewer than 5, most of
    // them as a question would (every-word matches first), said by `fallback`.
    auto keywords = find(idx, "rediger lettre intention");
    CHECK(id_set(keywords) == std::set<std::string>{"all", "two"});
    CHECK(keywords.hits.at(0).id == "all");
    CHECK(keywords.fallback == "most_words");
    // Two keywords: both, always (2 of 2).
    CHECK(id_set(find(idx, "rediger intention")) == std::set<std::string>{"all"});
    CHECK(find(idx, "rediger intention").fallback.empty());
    // « quoi », « combien » later in the text make a question too.
    CHECK(find(idx, "lettre intention c'est quoi").fallback.empty());
    CHECK(id_set(find(idx, "lettre intention c'est quoi")) == std::set<std::string>{"all", "two"});  // 2 of 2
    // ET forces all words, even in a question.
    CHECK(id_set(find(idx, "pourquoi rédiger ET lettre ET intention ?")) == std::set<std::string>{"all"});
    // A phrase: the words next to each other.
    CHECK(id_set(find(idx, "\"lettre d'intention\"")) == std::set<std::string>{"all"});
    CHECK(id_set(find(idx, "\"lettre intention\" ?")) == std::set<std::string>{"all"});
    // A word the index does not have is not counted: 2 of the 3 others still suffice.
    CHECK(id_set(find(idx, "comment rédiger la lettre d'intention xyzzy ?")) == std::set<std::string>{"all", "two"});
    // Nothing has 2 of the words: those with some of them, marked as such.
    auto loose = find(idx, "pourquoi rédaction information ?");
    CHECK(loose.fallback == "any_word");
    CHECK(id_set(loose) == std::set<std::string>{"lettre", "rediger"});
    // Only stop words: read as keywords (the stopper keeps a query that is all stop words).
    CHECK_NOTHROW(find(idx, "comment ?"));
}

TEST_CASE("search: keywords that find enough fiches together stay all required", "[search][query]") {
    unit_temp_dir dir;
    relais::search::index idx(dir.path / "index");
    for (int i = 0; i < 5; ++i)
        idx.put(doc("all" + std::to_string(i), "Parcours insuffisance cardiaque " + std::to_string(i), "Un parcours pour l'insuffisance cardiaque.", {}));
    idx.put(doc("some", "Parcours de soins", "Un parcours cardiaque.", {}));
    idx.commit();
    auto r = find(idx, "parcours insuffisance cardiaque");
    CHECK(r.total == 5);
    CHECK(r.fallback.empty());
    // Fewer than 5 with every word: most of them, every-word matches first.
    auto wider = find(idx, "exemples parcours insuffisance cardiaque");
    CHECK(wider.fallback == "most_words");
    // « exemples » is in none, so not counted: 2 of the 3 others; the 5 with all 3 first.
    CHECK(wider.total == 6);
    REQUIRE(wider.hits.size() == 6);
    CHECK(wider.hits.back().id == "some");
}

TEST_CASE("search: beyond 8 significant words, the rarest count", "[search][query]") {
    unit_temp_dir dir;
    relais::search::index idx(dir.path / "index");
    const std::string common = "accueil bureau courrier dossier entretien formation guichet";
    for (int i = 0; i < 6; ++i) idx.put(doc("common" + std::to_string(i), "Fiche " + std::to_string(i), common, {}));
    idx.put(doc("rare", "Fiche rare", "amorcage cartographie patientele frontaliers attractivite", {}));
    idx.commit();
    // 12 words: the 5 rare ones and 3 common ones count (8), 5 of them must match.
    auto r = find(idx, "amorcage cartographie patientele frontaliers attractivite " + common);
    CHECK(id_set(r) == std::set<std::string>{"rare"});
    CHECK(r.fallback.empty());
}

TEST_CASE("search: prefixes and parts of hyphenated words are highlighted", "[search][query]") {
    unit_temp_dir dir;
    relais::search::index idx(dir.path / "index");
    idx.put(doc("a", "Coordination", "La coordination des soins passe par la télé-expertise et le coordonnateur.", {}));
    idx.commit();
    CHECK(marked(find(idx, "coord").hits.at(0)) == std::vector<std::string>{"coordination", "coordonnateur"});
    CHECK(marked(find(idx, "soins coordi").hits.at(0)) == std::vector<std::string>{"coordination", "soins"});
    CHECK(marked(find(idx, "comment organiser la coordi").hits.at(0)) == std::vector<std::string>{"coordination"});
    CHECK(marked(find(idx, "coordo*").hits.at(0)) == std::vector<std::string>{"coordonnateur"});
    // A whole word before the star finds it and what starts like it (the index holds stems).
    CHECK(find(idx, "coordination*").total == 1);
    CHECK(find(idx, "coordination* soins").total == 1);
    CHECK(find(idx, "titre:coordination*").total == 1);
    CHECK(marked(find(idx, "expertise").hits.at(0)) == std::vector<std::string>{"télé-expertise"});
    // A finished question searches whole words: no prefix.
    CHECK(find(idx, "comment organiser la coordi ?").total == 0);
}

TEST_CASE("search: a match in the attachments alone gets its snippet from them", "[search][query]") {
    unit_temp_dir dir;
    relais::search::index idx(dir.path / "index");
    auto d = doc("a", "Plusieurs fichiers", "Voir les pièces jointes.", {});
    d.more = "Compte rendu de la réunion. Le protocole zorglub est adopté par le bureau de la CPTS.";
    idx.put(d);
    idx.put(doc("b", "Le protocole zorglub", "Un protocole décrit ici.", {}));
    idx.commit();
    auto r = find(idx, "zorglub");
    REQUIRE(r.hits.size() == 2);
    for (const auto& h : r.hits) {
        if (h.id == "a") {
            CHECK(h.snippet.rfind("Dans les pièces jointes : ", 0) == 0);
            CHECK(marked(h) == std::vector<std::string>{"zorglub"});
        } else {
            // Found in its own text: no mention of attachments.
            CHECK(h.snippet.find("pièces jointes") == std::string::npos);
        }
    }
}

TEST_CASE("search: a title phrase and a query of exclusions alone", "[search][query]") {
    unit_temp_dir dir;
    relais::search::index idx(dir.path / "index");
    idx.put(doc("a", "Le diagnostic territorial du Ternois", "Forces et faiblesses du territoire.", {}));
    idx.put(doc("b", "Territorial : un diagnostic partagé", "Le diagnostic territorial, pas à pas.", {}));
    idx.put(doc("c", "Financer la CPTS", "Aide à l'amorçage et ACI.", {}));
    idx.commit();
    // The words next to each other, in the title: not b (they are there, apart), whose body has them.
    CHECK(id_set(find(idx, "titre:\"diagnostic territorial\"")) == std::set<std::string>{"a"});
    CHECK(id_set(find(idx, "\"diagnostic territorial\"")) == std::set<std::string>{"a", "b"});
    // Only `-mot`: every fiche without the word (Xapian alone would look for it).
    CHECK(id_set(find(idx, "-diagnostic")) == std::set<std::string>{"c"});
    CHECK(id_set(find(idx, "-diagnostic -amorçage")).empty());
    CHECK(id_set(find(idx, "-\"diagnostic partagé\"")) == std::set<std::string>{"a", "c"});
    CHECK(id_set(find(idx, "cpts -diagnostic")) == std::set<std::string>{"c"});
}

TEST_CASE("search: a suggestion is written as the library writes it in the case typed", "[search][spelling]") {
    unit_temp_dir dir;
    relais::search::index idx(dir.path / "index");
    for (int i = 0; i < 3; ++i)
        idx.put(doc("p" + std::to_string(i), "Prévention " + std::to_string(i), "Les actions de prévention de la CPTS et leur établissement.", {}));
    idx.commit();
    CHECK(find(idx, "prévantion").suggestion == "prévention");
    CHECK(find(idx, "prevantion").suggestion == "prévention");
    CHECK(find(idx, "Prevantion").suggestion == "Prévention");
    CHECK(find(idx, "PRÉVANTION").suggestion == "PRÉVENTION");
    CHECK(find(idx, "établisement").suggestion == "établissement");
}

TEST_CASE("search: spelling suggestions that make sense", "[search][spelling]") {
    unit_temp_dir dir;
    relais::search::index idx(dir.path / "index");
    for (int i = 0; i < 4; ++i)
        idx.put(doc("d" + std::to_string(i), "Diagnostic territorial " + std::to_string(i),
                    "Le diagnostic territorial de la zone : elle a ses forces. Les zones de gouvernance.", {}));
    idx.put(doc("bureau", "Bureau", "Le bureau de l'association, son bureau, sa gouvernance.", {}));
    idx.put(doc("rezone", "REZONE", "L'outil REZONE de l'Assurance Maladie.", {}));
    idx.commit();

    // « diagnostique » is 3 edits from « diagnostic »: the -ique/-ic ending; the user's text is kept.
    auto r = find(idx, "Diagnostique territorial");
    CHECK(r.suggestion == "Diagnostic territorial");
    CHECK(r.fallback == "corrected");
    CHECK(r.total == 4);
    CHECK(find(idx, "diagnostik").suggestion == "diagnostic");
    // Never a stop word (« elle »), never a word the query already has (« zones zones »).
    CHECK(find(idx, "xelle").suggestion.empty());
    CHECK(find(idx, "zones zonnes").suggestion.empty());
    // A word the index has is never corrected (REZONE is not a typo of « zone »).
    CHECK(find(idx, "rezone").suggestion.empty());
    // Enough results: no suggestion, even with a typo beside.
    CHECK(find(idx, "territorial OU gouvernanse").suggestion.empty());
    // A correction must find more than twice as many. « bureau OU gouvernanse » finds 1,
    // corrected 5. In the question, the unknown « gouvernanse » is not counted: « bureau »
    // alone finds 1, and the corrected question (« bureau » and « gouvernance ») 1 too.
    CHECK(find(idx, "bureau OU gouvernanse").suggestion == "bureau OU gouvernance");
    CHECK(find(idx, "comment va le bureau et la gouvernanse ?").total == 1);
    CHECK(find(idx, "comment va le bureau et la gouvernanse ?").suggestion.empty());
    // Three edits only keep the first letter: « dotation » is not « création », while
    // « coordinnatiin » (same first letter) is corrected.
    {
        unit_temp_dir other;
        relais::search::index words(other.path / "index");
        words.put(doc("c1", "Création de l'association", "La création de la CPTS et sa coordination.", {}));
        words.commit();
        CHECK(find(words, "dotation").suggestion.empty());
        CHECK(find(words, "coordinnatiin").suggestion == "coordination");
    }
    // Nothing found and no correction finds anything: no suggestion.
    auto none = find(idx, "xyzzy inconnu");
    CHECK(none.suggestion.empty());
    CHECK(none.total == 0);
}
