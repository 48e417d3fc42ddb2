// The compte rendu as documents: the Markdown read into blocks, and written as HTML, ODT
// (read back with libzip and libxml2) and PDF (read back with poppler).
#include "workshops/report_doc.hpp"

#include <catch2/catch.hpp>
#include <libxml/parser.h>
#include <poppler/cpp/poppler-document.h>
#include <poppler/cpp/poppler-page.h>
#include <zip.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

using namespace relais::workshops;

namespace {

std::string report_markdown(int actions) {
    std::string md =
        "# Compte rendu — Atelier « SWOT » & co\n\n"
        "- **Sujet** : accès aux soins\n"
        "- **Date** : 1er décembre 2026 à 14 h 00\n\n"
        "## Participants\n\n### Présents (2)\n\n- Élodie Martin (CPTS Val-de-Loire)\n- Zoé <Durand>\n\n"
        "## Déroulé\n\n1. Accueil (10 min)\n2. SWOT (30 min)\n\n"
        "## Production\n\n### Forces\n\n- **Coopérations**\n  - Une MSP active\n  - Des IDE libéraux\n- Hors groupe\n\n"
        "## Plan d'action\n\n| Enjeu | Qui | Quoi | Quand |\n|---|---|---|---|\n";
    for (int i = 1; i <= actions; ++i)
        md += "| Accès aux soins non programmés | Coordinatrice " + std::to_string(i) + " | Action numéro " + std::to_string(i) +
              " avec \\| une barre et un texte assez long pour passer à la ligne dans sa cellule | mars 2027 |\n";
    md += "\nFin du compte rendu.\n";
    return md;
}

struct zip_closer {
    void operator()(zip_t* z) const { zip_discard(z); }
};

std::string entry(zip_t* z, const char* name) {
    zip_stat_t st;
    REQUIRE(zip_stat(z, name, 0, &st) == 0);
    zip_file_t* f = zip_fopen(z, name, 0);
    REQUIRE(f);
    std::string out(st.size, '\0');
    REQUIRE(zip_fread(f, out.data(), st.size) == static_cast<zip_int64_t>(st.size));
    zip_fclose(f);
    return out;
}

bool well_formed(const std::string& xml) {
    xmlDocPtr d = xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "x.xml", nullptr, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!d) return false;
    xmlFreeDoc(d);
    return true;
}

}  // namespace

TEST_CASE("report documents: the Markdown read into blocks", "[workshops][report]") {
    auto blocks = doc::parse(report_markdown(2));
    REQUIRE(blocks[0].k == doc::block::kind::heading);
    CHECK(blocks[0].level == 1);
    CHECK(blocks[1].k == doc::block::kind::bullet);
    REQUIRE(blocks[1].text.size() == 2);
    CHECK(blocks[1].text[0].bold);
    CHECK(blocks[1].text[0].text == "Sujet");
    CHECK_FALSE(blocks[1].text[1].bold);
    std::size_t tables = 0, numbers = 0, nested = 0;
    for (const auto& b : blocks) {
        if (b.k == doc::block::kind::table) {
            ++tables;
            REQUIRE(b.rows.size() == 3);
            CHECK(b.rows[0].size() == 4);
            CHECK(b.rows[1][2][0].text.find("avec | une barre") != std::string::npos);
        }
        if (b.k == doc::block::kind::number) ++numbers;
        if (b.k == doc::block::kind::bullet && b.level == 2) ++nested;
    }
    CHECK(tables == 1);
    CHECK(numbers == 2);
    CHECK(nested == 2);
    // A line that continues a paragraph joins it; lists may be written with * and 3).
    auto more = doc::parse("Une ligne\nqui continue.\n\n* point\n3) trois\n");
    REQUIRE(more.size() == 3);
    CHECK(more[0].text.back().text == "qui continue.");
    CHECK(more[1].k == doc::block::kind::bullet);
    CHECK(more[2].k == doc::block::kind::number);
    CHECK(more[2].number == 3);
    auto html = doc::html("t", "3. trois\n4. quatre\n\n- a\n  - b\n1. un\n");
    CHECK(html.find("<ol start=\"3\">\n<li>trois</li>\n<li>quatre</li>\n</ol>") != std::string::npos);
    CHECK(html.find("<ul>\n<li>a\n<ul>\n<li>b</li>\n</ul>\n</li>\n</ul>\n<ol>\n<li>un</li>\n</ol>") != std::string::npos);
}

TEST_CASE("report documents: an ODT that office suites open", "[workshops][report]") {
    auto bytes = doc::odt("Compte rendu — Atelier & co", report_markdown(3));
    // The mimetype first, stored, as ODF requires (a reader may check it at offset 38).
    REQUIRE(bytes.size() > 100);
    CHECK(bytes.compare(30, 8, "mimetype") == 0);
    CHECK(bytes.compare(38, 39, "application/vnd.oasis.opendocument.text") == 0);
    zip_error_t err;
    zip_error_init(&err);
    zip_source_t* src = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &err);
    REQUIRE(src);
    std::unique_ptr<zip_t, zip_closer> z(zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &err));
    zip_error_fini(&err);
    REQUIRE(z);
    zip_stat_t st;
    REQUIRE(zip_stat_index(z.get(), 0, 0, &st) == 0);
    CHECK(std::string(st.name) == "mimetype");
    CHECK(st.comp_method == ZIP_CM_STORE);
    auto content = entry(z.get(), "content.xml");
    for (const char* name : {"META-INF/manifest.xml", "styles.xml", "meta.xml"}) CHECK(well_formed(entry(z.get(), name)));
    REQUIRE(well_formed(content));
    CHECK(content.find("<text:h text:style-name=\"Heading_20_1\" text:outline-level=\"1\">Compte rendu — Atelier « SWOT » &amp; co</text:h>") !=
          std::string::npos);
    CHECK(content.find("Zoé &lt;Durand&gt;") != std::string::npos);
    CHECK(content.find("<table:table-header-rows><table:table-row>") != std::string::npos);
    CHECK(content.find("Action numéro 3 avec | une barre") != std::string::npos);
    CHECK(content.find("<text:span text:style-name=\"Strong_20_Emphasis\">Coopérations</text:span></text:p><text:list>") != std::string::npos);
    CHECK(entry(z.get(), "meta.xml").find("<dc:title>Compte rendu — Atelier &amp; co</dc:title>") != std::string::npos);
}

TEST_CASE("report documents: a PDF with every line, tables across pages, page numbers", "[workshops][report]") {
    auto md = report_markdown(60);
    auto bytes = doc::pdf("Compte rendu — Atelier", md);
    REQUIRE(bytes.rfind("%PDF-", 0) == 0);
    if (auto* dump = std::getenv("RELAIS_DUMP_PDF")) std::ofstream(dump, std::ios::binary) << bytes;
    std::unique_ptr<poppler::document> d(poppler::document::load_from_raw_data(bytes.data(), static_cast<int>(bytes.size())));
    REQUIRE(d);
    int pages = d->pages();
    REQUIRE(pages >= 3);
    std::string all;
    for (int i = 0; i < pages; ++i) {
        std::unique_ptr<poppler::page> p(d->create_page(i));
        auto bytes_utf8 = p->text().to_utf8();
        std::string text(bytes_utf8.begin(), bytes_utf8.end());
        // Each page says where it is; a page the table continues on repeats its header.
        CHECK(text.find("page " + std::to_string(i + 1) + " sur " + std::to_string(pages)) != std::string::npos);
        if (i > 0 && text.find("Coordinatrice") != std::string::npos) CHECK(text.find("Enjeu") != std::string::npos);
        all += text;
    }
    CHECK(all.find("Élodie Martin") != std::string::npos);
    CHECK(all.find("Zoé <Durand>") != std::string::npos);
    CHECK(all.find("Coordinatrice 1 ") != std::string::npos);
    CHECK(all.find("Coordinatrice 60") != std::string::npos);
    CHECK(all.find("Fin du compte rendu.") != std::string::npos);
    auto title = d->info_key("Title").to_utf8();
    CHECK(std::string(title.begin(), title.end()) == "Compte rendu — Atelier");
}
