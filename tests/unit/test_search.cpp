#include "search/index.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <fstream>

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

    auto s = q("medecins");
    REQUIRE_FALSE(s.hits.empty());
    REQUIRE_FALSE(s.hits[0].highlights.empty());
    CHECK(marked(s.hits[0]) == std::vector<std::string>{"médecins"});

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
    CHECK(marked(h) == std::vector<std::string>{"bureau."});
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

TEST_CASE("search: huge words and long facet values do not break indexing; clear() forgets spellings", "[search]") {
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
