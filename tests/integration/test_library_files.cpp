// Attachments over HTTP beyond text documents: slide decks, spreadsheets and images
// uploaded and indexed, thumbnails, a PDF read page by page, and who may see them.
#include "harness.hpp"
#include "library_helpers.hpp"
#include "../fixtures/documents.hpp"
#include "../fixtures/images.hpp"

#include <catch2/catch.hpp>

#include <thread>

using relais::test::eventually_found;
using relais::test::files_on_disk;
using relais::test::server;
using relais::test::url_encode;
using json = nlohmann::json;

namespace {

// A PNG's width and height, from its IHDR chunk.
std::pair<int, int> png_size(const std::string& b) {
    REQUIRE(b.size() > 24);
    REQUIRE(b.substr(0, 8) == "\x89PNG\r\n\x1a\n");
    auto be32 = [&](std::size_t i) {
        return (static_cast<unsigned char>(b[i]) << 24) | (static_cast<unsigned char>(b[i + 1]) << 16) |
               (static_cast<unsigned char>(b[i + 2]) << 8) | static_cast<unsigned char>(b[i + 3]);
    };
    return {be32(16), be32(20)};
}

}  // namespace

TEST_CASE("library files: slides, grids and images upload, are indexed, previewed, and a PDF reads page by page", "[library]") {
    server s;
    auto admin = s.login_admin();
    auto author = s.make_user(admin, "auteur@x.fr", "membre");
    auto other = s.make_user(admin, "autre@x.fr", "membre");
    auto upload = [&](const std::string& name, const std::string& bytes) {
        return s.request("POST", "/api/library/files?name=" + url_encode(name), bytes,
                         {{"Cookie", author}, {"Content-Type", "application/octet-stream"}});
    };
    auto files_dir = s.data_dir() / "files";
    const auto before = files_on_disk(files_dir);

    // Refused, nothing stored: encrypted, mislabelled, corrupt.
    std::vector<fixtures::slide> slides{{"Diagnostic territorial", {"Démographie médicale du Douaisis"}},
                                        {"Feuille de route", {"Permanence des soins ambulatoires"}}};
    CHECK(upload("secret.xlsx", fixtures::ooxml_encrypted()).error_code() == "fichier_protege");
    CHECK(upload("secret.ods", fixtures::ods({{"F", {"a"}, {}}}, true)).error_code() == "fichier_protege");
    CHECK(upload("tableau.xlsx", fixtures::docx({"x"})).error_code() == "type_fichier_incoherent");
    CHECK(upload("photo.png", fixtures::jpeg(10, 10)).error_code() == "type_fichier_incoherent");
    CHECK(upload("diaporama.pptx", fixtures::pdf("x")).error_code() == "type_fichier_incoherent");
    auto cut = fixtures::pptx(slides);
    cut.resize(cut.size() / 2);
    CHECK(upload("coupe.pptx", cut).error_code() == "fichier_illisible");
    auto broken = fixtures::jpeg(64, 64);
    broken.resize(broken.size() - 200);
    CHECK(upload("coupee.jpg", broken).error_code() == "fichier_illisible");
    CHECK(files_on_disk(files_dir) == before);

    // Accepted.
    auto pptx = upload("Assemblée générale.pptx", fixtures::pptx(slides));
    REQUIRE(pptx.status == 201);
    CHECK(pptx.json()["file"]["kind"] == "slides");
    CHECK(pptx.json()["file"]["outline"] == json::array({"Diagnostic territorial", "Feuille de route"}));
    auto xlsx = upload("indicateurs.xlsx", fixtures::xlsx({{"Indicateurs ACI", {"Concertation pluriprofessionnelle"}, {}}}));
    REQUIRE(xlsx.status == 201);
    auto odp = upload("comite.odp", fixtures::odp(slides));
    REQUIRE(odp.status == 201);
    auto ods = upload("budget.ods", fixtures::ods({{"Budget", {"Ingénierie de projet"}, {}}}));
    REQUIRE(ods.status == 201);
    auto photo = fixtures::jpeg(640, 480, 6);
    auto jpg = upload("tableau blanc.jpg", photo);
    REQUIRE(jpg.status == 201);
    auto png = upload("schema.png", fixtures::png(100, 50));
    REQUIRE(png.status == 201);
    auto webp = upload("affiche.webp", fixtures::webp(60, 40));
    REQUIRE(webp.status == 201);
    auto pdf = upload("rapport.pdf", fixtures::pdf_pages({"Premiere page du rapport", "Seconde page du rapport"}));
    REQUIRE(pdf.status == 201);
    CHECK(pdf.json()["file"]["pages"] == 2);

    json attachments = json::array();
    for (auto* r : {&pptx, &xlsx, &odp, &ods, &jpg, &png, &webp, &pdf})
        attachments.push_back({{"sha256", r->json()["file"]["sha256"]}, {"name", r->json()["file"]["name"]}});
    auto created = s.request("POST", "/api/library/items",
                             json{{"kind", "outil"}, {"title", "Boîte à outils de l'AG"}, {"summary", "Diaporama, tableaux, photos."},
                                  {"body", "Les supports de l'assemblée générale."}, {"attachments", attachments}}.dump(),
                             {{"Cookie", author}});
    REQUIRE(created.status == 201);
    auto id = created.json()["item"]["id"].get<long long>();
    auto item = s.request("GET", "/api/library/items/" + std::to_string(id), {}, {{"Cookie", author}}).json()["item"];
    auto att = item["attachments"];
    REQUIRE(att.size() == 8);
    CHECK(att[0]["kind"] == "slides");
    CHECK(att[0]["outline"] == json::array({"Diagnostic territorial", "Feuille de route"}));
    CHECK_FALSE(att[0].contains("preview"));
    CHECK(att[1]["outline"] == json::array({"Indicateurs ACI"}));
    CHECK(att[4]["kind"] == "image");
    CHECK(att[4]["width"] == 480);  // upright
    CHECK(att[4]["preview_alt"] == "Aperçu de l’image « tableau blanc.jpg »");
    CHECK(att[7]["kind"] == "pdf");
    CHECK(att[7]["pages"] == 2);

    // The photo as stored: no EXIF, no GPS.
    auto stored = s.request("GET", att[4]["url"].get<std::string>(), {}, {{"Cookie", author}});
    REQUIRE(stored.status == 200);
    CHECK(stored.header("content-type") == "image/jpeg");
    CHECK(stored.body.find(fixtures::gps_marker) == std::string::npos);
    CHECK(stored.body.find("Exif") == std::string::npos);
    CHECK(stored.body != photo);  // encoded again

    // Thumbnails: the image's and the PDF's first page, 320 px wide.
    auto thumb = s.request("GET", att[4]["preview"].get<std::string>(), {}, {{"Cookie", author}});
    REQUIRE(thumb.status == 200);
    CHECK(thumb.header("content-type") == "image/png");
    CHECK(png_size(thumb.body) == std::pair{320, 427});  // 480 × 640 upright, 320 wide
    auto first = s.request("GET", att[7]["preview"].get<std::string>(), {}, {{"Cookie", author}});
    REQUIRE(first.status == 200);
    CHECK(png_size(first.body).first == 320);
    // No thumbnail for slides.
    CHECK(s.request("GET", "/api/library/items/" + std::to_string(id) + "/files/" + att[0]["sha256"].get<std::string>() + "/preview.png",
                    {}, {{"Cookie", author}}).status == 404);

    // The reader: a page's text (its text alternative) and the page drawn.
    const auto pages = "/api/library/items/" + std::to_string(id) + "/files/" + att[7]["sha256"].get<std::string>() + "/pages/";
    auto p2 = s.request("GET", pages + "2", {}, {{"Cookie", author}});
    REQUIRE(p2.status == 200);
    CHECK(p2.json()["pages"] == 2);
    CHECK(p2.json()["text"].get<std::string>().find("Seconde page du rapport") != std::string::npos);
    CHECK(p2.json()["text"].get<std::string>().back() != '\f');  // poppler's page end is not text
    CHECK(p2.json()["alt"] == "Page 2 sur 2 de « rapport.pdf »");
    auto image = s.request("GET", p2.json()["image"].get<std::string>(), {}, {{"Cookie", author}});
    REQUIRE(image.status == 200);
    CHECK(png_size(image.body).first == 800);
    auto wide = s.request("GET", pages + "1.png?width=1200", {}, {{"Cookie", author}});
    REQUIRE(wide.status == 200);
    CHECK(png_size(wide.body).first == 1200);
    CHECK(s.request("GET", pages + "1.png?width=1250", {}, {{"Cookie", author}}).status == 200);  // cached as 1200
    // Each answer gives the size of its own drawing, whichever width was drawn last.
    for (int w : {800, 1200, 200, 800}) {
        auto page1 = s.request("GET", pages + "1?width=" + std::to_string(w), {}, {{"Cookie", author}}).json();
        CHECK(page1["width"] == w);
        auto drawn = s.request("GET", page1["image"].get<std::string>(), {}, {{"Cookie", author}});
        CHECK(page1["height"] == png_size(drawn.body).second);
    }
    CHECK(s.request("GET", pages + "3", {}, {{"Cookie", author}}).status == 404);
    CHECK(s.request("GET", pages + "0", {}, {{"Cookie", author}}).error_code() == "page_invalide");
    CHECK(s.request("GET", pages + "01.png", {}, {{"Cookie", author}}).error_code() == "page_invalide");
    CHECK(s.request("GET", pages + "1.png?width=5000", {}, {{"Cookie", author}}).status == 400);
    CHECK(s.request("GET", pages + "2001", {}, {{"Cookie", author}}).error_code() == "page_invalide");
    CHECK(s.request("GET", "/api/library/items/" + std::to_string(id) + "/files/" + att[0]["sha256"].get<std::string>() + "/pages/1",
                    {}, {{"Cookie", author}}).status == 404);  // not a PDF

    // Access: a pending item's files are the author's and the reviewers' only.
    CHECK(s.request("GET", att[4]["preview"].get<std::string>(), {}, {{"Cookie", other}}).status == 404);
    CHECK(s.request("GET", pages + "1", {}, {{"Cookie", other}}).status == 404);
    CHECK(s.request("GET", pages + "1.png", {}).status == 401);
    CHECK(s.request("GET", att[4]["preview"].get<std::string>(), {}, {{"Cookie", admin}}).status == 200);
    REQUIRE(s.request("POST", "/api/library/items/" + std::to_string(id) + "/publish", json{{"version", 1}}.dump(), {{"Cookie", admin}})
                .status == 200);
    CHECK(s.request("GET", att[4]["preview"].get<std::string>(), {}, {{"Cookie", other}}).status == 200);
    CHECK(s.request("GET", pages + "1", {}, {{"Cookie", other}}).status == 200);

    // Indexed: the slides' and sheets' text; an image by its name.
    CHECK(eventually_found(s, other, "Permanence des soins ambulatoires", id));
    CHECK(eventually_found(s, other, "Concertation pluriprofessionnelle", id));
    CHECK(eventually_found(s, other, "Ingénierie", id));
    CHECK(eventually_found(s, other, "affiche", id));

    // A PDF stored before thumbnails existed: its thumbnail is drawn on first request.
    const auto sha = att[7]["sha256"].get<std::string>();
    auto preview_file = files_dir / sha.substr(0, 2) / (sha.substr(2) + ".preview.png");
    REQUIRE(std::filesystem::exists(preview_file));
    std::filesystem::remove(preview_file);
    CHECK(s.request("GET", att[7]["preview"].get<std::string>(), {}, {{"Cookie", other}}).status == 200);
    CHECK(std::filesystem::exists(preview_file));
}
