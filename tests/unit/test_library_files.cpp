// Attachments beyond text documents: slides and grids (PPTX, ODP, XLSX, ODS), images
// (PNG, JPEG, WebP) encoded again without their metadata, thumbnails and PDF pages.
#include "common/errors.hpp"
#include "library/blobs.hpp"
#include "library/extract.hpp"
#include "library/images.hpp"
#include "library/uploads.hpp"
#include "error_code.hpp"
#include "temp_dir.hpp"

#include "../fixtures/documents.hpp"
#include "../fixtures/images.hpp"

#include <catch2/catch.hpp>

#include <functional>

using namespace relais;

namespace {

bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

// The decoded size of a stored image (PNG thumbnails and re-encoded files).
std::pair<int, int> size_of(const std::string& bytes) {
    auto f = library::sniff_image(bytes);
    auto r = library::decode_image(f, bytes);
    return {r.width, r.height};
}

}  // namespace

TEST_CASE("attachments: PPTX and ODP give their text per slide and their slide titles in order", "[library]") {
    std::vector<fixtures::slide> slides{{"Diagnostic territorial", {"Population : 42 000 habitants\nDeux pôles de santé"}},
                                        {"Projet de santé", {"Accès aux soins", "Parcours pluriprofessionnels"}},
                                        {"", {"Merci de votre attention"}}};
    auto pptx = library::extract("Assemblée générale.pptx", fixtures::pptx(slides));
    CHECK(pptx.mime == "application/vnd.openxmlformats-officedocument.presentationml.presentation");
    CHECK(pptx.pages == 3);
    REQUIRE(pptx.outline.size() == 3);
    CHECK(pptx.outline[0] == "Diagnostic territorial");  // presentation order, not the parts' numbers
    CHECK(pptx.outline[1] == "Projet de santé");
    CHECK(pptx.outline[2] == "Merci de votre attention");  // no title: the first text block
    CHECK(contains(pptx.text, "Population : 42 000 habitants\nDeux pôles de santé\n"));
    CHECK(contains(pptx.text, "Accès aux soins\n\nParcours pluriprofessionnels"));  // one paragraph per block
    CHECK(pptx.text.find("Diagnostic") < pptx.text.find("Projet de santé"));
    CHECK(pptx.preview.empty());
    CHECK(pptx.file.empty());

    auto odp = library::extract("comite.odp", fixtures::odp(slides));
    CHECK(odp.mime == "application/vnd.oasis.opendocument.presentation");
    CHECK(odp.pages == 3);
    REQUIRE(odp.outline.size() == 3);
    CHECK(odp.outline[0] == "Diagnostic territorial");
    CHECK(odp.outline[2] == "page3");  // no title frame: the page's name
    CHECK(contains(odp.text, "Parcours pluriprofessionnels"));
}

TEST_CASE("attachments: XLSX and ODS give their strings and sheet names", "[library]") {
    std::vector<fixtures::sheet> sheets{{"Indicateurs ACI", {"Accès aux soins", "Taux de médecin traitant"}, {"Saisie en ligne"}},
                                        {"Budget 2024", {"Coordination"}, {}}};
    auto xlsx = library::extract("indicateurs.xlsx", fixtures::xlsx(sheets));
    CHECK(xlsx.mime == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    CHECK(xlsx.outline == std::vector<std::string>{"Indicateurs ACI", "Budget 2024"});
    CHECK(contains(xlsx.text, "Taux de médecin traitant\n"));
    CHECK(contains(xlsx.text, "Saisie en ligne"));   // an inline string of a sheet
    CHECK(contains(xlsx.text, "Budget 2024"));       // sheet names are indexed too
    CHECK_FALSE(contains(xlsx.text, "PHONETIQUE"));  // phonetic runs are not text
    CHECK_FALSE(contains(xlsx.text, "42"));          // numbers are not indexed

    auto ods = library::extract("indicateurs.ods", fixtures::ods(sheets));
    CHECK(ods.mime == "application/vnd.oasis.opendocument.spreadsheet");
    CHECK(ods.outline == std::vector<std::string>{"Indicateurs ACI", "Budget 2024"});
    CHECK(contains(ods.text, "Taux de médecin traitant"));
}

TEST_CASE("attachments: headings of DOCX and ODT are their outline", "[library]") {
    auto xml = std::string(R"(<w:document xmlns:w="x"><w:body>)") +
               R"(<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>Contexte</w:t></w:r></w:p>)" +
               R"(<w:p><w:r><w:t>Le texte.</w:t></w:r></w:p>)" +
               R"(<w:p><w:pPr><w:pStyle w:val="Titre2"/></w:pPr><w:r><w:t>Objectifs</w:t></w:r></w:p></w:body></w:document>)";
    auto docx = library::extract("plan.docx", fixtures::zip({{"[Content_Types].xml", "<Types/>"}, {"word/document.xml", xml}}));
    CHECK(docx.outline == std::vector<std::string>{"Contexte", "Objectifs"});
    auto odt = library::extract("plan.odt", fixtures::odf("application/vnd.oasis.opendocument.text",
                                                          "<office:text><text:h>Contexte</text:h><text:p>Le texte.</text:p></office:text>"));
    CHECK(odt.outline == std::vector<std::string>{"Contexte"});
}

TEST_CASE("attachments: mislabelled, encrypted and corrupt slides and grids are refused", "[library]") {
    std::vector<fixtures::slide> slides{{"Titre", {"Texte"}}};
    std::vector<fixtures::sheet> sheets{{"Feuille", {"a"}, {}}};
    // Mislabelled: the zip's own entries decide.
    CHECK(code_of([] { library::extract("tableau.xlsx", fixtures::docx({"x"})); }) == "type_fichier_incoherent");
    CHECK(code_of([&] { library::extract("diaporama.pptx", fixtures::xlsx(sheets)); }) == "type_fichier_incoherent");
    CHECK(code_of([] { library::extract("diaporama.pptx", fixtures::pdf("x")); }) == "type_fichier_incoherent");
    CHECK(code_of([&] { library::extract("tableau.ods", fixtures::odp(slides)); }) == "type_fichier_incoherent");
    CHECK(code_of([&] { library::extract("texte.odt", fixtures::ods(sheets)); }) == "type_fichier_incoherent");
    CHECK(code_of([&] { library::extract("lettre.docx", fixtures::pptx(slides)); }) == "type_fichier_incoherent");
    CHECK(code_of([&] { library::extract("image.png", fixtures::pptx(slides)); }) == "type_fichier_incoherent");
    // Encrypted: OOXML as an OLE container, ODF by its manifest.
    CHECK(code_of([] { library::extract("secret.xlsx", fixtures::ooxml_encrypted()); }) == "fichier_protege");
    CHECK(code_of([] { library::extract("secret.pptx", fixtures::ooxml_encrypted()); }) == "fichier_protege");
    CHECK(code_of([] { library::extract("secret.docx", fixtures::ooxml_encrypted()); }) == "fichier_protege");
    CHECK(code_of([&] { library::extract("secret.odp", fixtures::odp(slides, true)); }) == "fichier_protege");
    CHECK(code_of([&] { library::extract("secret.ods", fixtures::ods(sheets, true)); }) == "fichier_protege");
    // Corrupt: a cut zip, broken XML.
    auto cut = fixtures::pptx(slides);
    cut.resize(cut.size() / 2);
    CHECK(code_of([&] { library::extract("coupe.pptx", cut); }) == "fichier_illisible");
    auto broken = fixtures::zip({{"xl/workbook.xml", "<workbook><sheets><sheet name=\"a\""}});
    CHECK(code_of([&] { library::extract("casse.xlsx", broken); }) == "fichier_illisible");
    // The same limits as DOCX: one part inflating too far, or many parts together.
    std::string big(40u << 20, 'a');
    auto bomb = fixtures::zip({{"ppt/presentation.xml", "<p:presentation/>"}, {"ppt/slides/slide1.xml", "<p:sld>" + big + "</p:sld>"}});
    CHECK(code_of([&] { library::extract("bombe.pptx", bomb); }) == "archive_suspecte");
    std::vector<std::pair<std::string, std::string>> many{{"xl/workbook.xml", "<workbook/>"}};
    // Letters that deflate little: each part passes the ratio check, together they are too much.
    std::string letters(7u << 20, 'a');
    std::uint32_t seed = 7;
    for (auto& c : letters) c = static_cast<char>('a' + ((seed = seed * 1103515245u + 12345u) >> 16) % 26);
    std::string part = "<worksheet>" + letters + "</worksheet>";
    for (int i = 1; i <= 5; ++i) many.push_back({"xl/worksheets/sheet" + std::to_string(i) + ".xml", part});
    CHECK(code_of([&] { library::extract("feuilles.xlsx", fixtures::zip(many)); }) == "archive_suspecte");
    // Text bounded as for DOCX.
    library::extract_limits small;
    small.max_text_bytes = 100;
    std::vector<fixtures::sheet> wordy{{"F", std::vector<std::string>(200, "indicateur de suivi"), {}}};
    CHECK(library::extract("long.xlsx", fixtures::xlsx(wordy), small).text.size() <= 100);
}

TEST_CASE("attachments: images are checked by content, encoded again without metadata, with a thumbnail", "[library]") {
    auto png = fixtures::png(800, 600);
    REQUIRE(contains(png, fixtures::gps_marker));
    auto p = library::extract("tableau blanc.png", png);
    CHECK(p.mime == "image/png");
    CHECK(p.text.empty());  // indexed: the name and the item's text (no OCR)
    CHECK(p.width == 800);
    CHECK(p.height == 600);
    CHECK(library::sniff_image(p.file) == library::image_format::png);
    CHECK_FALSE(contains(p.file, fixtures::gps_marker));
    CHECK_FALSE(contains(p.file, "tEXt"));
    CHECK(size_of(p.file) == std::pair{800, 600});
    CHECK(size_of(p.preview) == std::pair{320, 240});

    // A phone photo held sideways: EXIF orientation 6 is applied, then EXIF is gone.
    auto jpeg = fixtures::jpeg(400, 200, 6);
    REQUIRE(contains(jpeg, fixtures::gps_marker));
    auto j = library::extract("photo.JPG", jpeg);
    CHECK(j.mime == "image/jpeg");
    CHECK(j.width == 200);
    CHECK(j.height == 400);
    CHECK_FALSE(contains(j.file, fixtures::gps_marker));
    CHECK_FALSE(contains(j.file, "Exif"));
    CHECK(library::jpeg_exif_orientation(j.file) == 1);
    CHECK(size_of(j.file) == std::pair{200, 400});
    // The red half (left of the stored image) is at the top once upright.
    auto upright = library::decode_image(library::image_format::jpeg, j.file);
    CHECK(upright.pixels[0] > 180);                                                              // top-left: red
    CHECK(upright.pixels[(static_cast<std::size_t>(399) * 200) * 3] < 80);                       // bottom-left: not red
    CHECK(size_of(j.preview) == std::pair{200, 400});  // fits 320 × 640: not scaled up
    CHECK(size_of(library::extract("grande.jpg", fixtures::jpeg(1000, 3000)).preview) == std::pair{213, 640});
    CHECK(library::extract("photo.jpeg", fixtures::jpeg(20, 10, 1, false)).width == 20);

    auto webp = fixtures::webp(300, 100);
    REQUIRE(contains(webp, fixtures::gps_marker));
    auto w = library::extract("affiche.webp", webp);
    CHECK(w.mime == "image/webp");
    CHECK_FALSE(contains(w.file, fixtures::gps_marker));
    CHECK_FALSE(contains(w.file, "EXIF"));
    CHECK(size_of(w.file) == std::pair{300, 100});
    CHECK(size_of(w.preview) == std::pair{300, 100});  // never scaled up
}

TEST_CASE("attachments: mislabelled, corrupt and oversized images are refused", "[library]") {
    CHECK(code_of([] { library::extract("photo.png", fixtures::jpeg(10, 10)); }) == "type_fichier_incoherent");
    CHECK(code_of([] { library::extract("photo.jpg", fixtures::png(10, 10)); }) == "type_fichier_incoherent");
    CHECK(code_of([] { library::extract("photo.webp", fixtures::pdf("x")); }) == "type_fichier_incoherent");
    CHECK(code_of([] { library::extract("photo.txt", fixtures::png(10, 10, false)); }) == "type_fichier_incoherent");
    auto cut = fixtures::jpeg(64, 64);
    cut.resize(cut.size() - 200);
    CHECK(code_of([&] { library::extract("coupee.jpg", cut); }) == "fichier_illisible");
    auto png = fixtures::png(64, 64, false);
    png[png.size() / 2] ^= 0x5A;  // a flipped byte in the compressed data: the CRC fails
    CHECK(code_of([&] { library::extract("abimee.png", png); }) == "fichier_illisible");
    CHECK(code_of([] { library::extract("vide.webp", std::string("RIFF\0\0\0\0WEBPVP8 ", 16)); }) == "fichier_illisible");
    CHECK(code_of([] { library::extract("image.png", "\x89PNG"); }) == "type_fichier_incoherent");  // not even a signature
    CHECK(code_of([] { library::extract("image.png", "\x89PNG\r\n\x1a\ngarbage"); }) == "fichier_illisible");
    // Dimensions bounded before the pixels are decoded: 13,000 px a side, or over 40 MP.
    library::extract_limits lim;
    lim.max_side = 300;
    CHECK(code_of([&] { library::extract("large.png", fixtures::png(400, 10), lim); }) == "fichier_trop_volumineux");
    lim = {};
    lim.max_pixels = 1000;
    CHECK(code_of([&] { library::extract("large.jpg", fixtures::jpeg(40, 40), lim); }) == "fichier_trop_volumineux");
}

TEST_CASE("attachments: a PDF gets a thumbnail of its first page and its pages drawn with their text", "[library]") {
    auto pdf = library::extract("rapport.pdf", fixtures::pdf("Diagnostic territorial partage"));
    CHECK(pdf.pages == 1);
    REQUIRE_FALSE(pdf.preview.empty());
    CHECK(size_of(pdf.preview).first == 320);
    CHECK(size_of(pdf.preview).second == 414);  // US Letter: 612 x 792 points
    auto page = library::render_pdf_page(fixtures::pdf("Page lue en ligne"), 1, 800);
    CHECK(page.pages == 1);
    CHECK(page.width == 800);
    CHECK(contains(page.text, "Page lue en ligne"));
    CHECK(size_of(page.png) == std::pair{800, page.height});
    CHECK(code_of([] { library::render_pdf_page(fixtures::pdf("x"), 2, 800); }) == "introuvable");
    CHECK(code_of([] { library::render_pdf_page("%PDF-1.4 garbage", 1, 800); }) == "fichier_illisible");
}

TEST_CASE("attachments: an image is stored as encoded again, its thumbnail beside it", "[library]") {
    unit_temp_dir dir;
    library::blobs files(dir.path / "files");
    auto upload = fixtures::jpeg(64, 32);
    auto ex = library::extract("photo.jpg", upload);
    auto row = library::keep_upload(files, ex, upload);
    CHECK(row.sha256 == library::blobs::digest(ex.file));
    CHECK(row.size == static_cast<std::int64_t>(ex.file.size()));
    CHECK_FALSE(files.has(library::blobs::digest(upload)));
    CHECK(files.get_derived(row.sha256, library::preview_suffix) == ex.preview);
    CHECK(contains(row.meta, "\"width\":64"));
    CHECK_THROWS(files.put_derived(row.sha256, "../x", "y"));
    files.remove(row.sha256);
    CHECK_FALSE(files.get_derived(row.sha256, library::preview_suffix));
}
