#include "common/errors.hpp"
#include "common/metrics.hpp"
#include "db/pool.hpp"
#include "library/blobs.hpp"
#include "library/extract.hpp"
#include "auth/service.hpp"
#include "common/worker_pool.hpp"
#include "indexing/indexer.hpp"
#include "indexing/module.hpp"
#include "library/documents.hpp"
#include "library/service.hpp"
#include "library/seed.hpp"
#include "library/store.hpp"
#include "search/index.hpp"
#include "auth/module.hpp"
#include "library/module.hpp"
#include "platform/migrate.hpp"
#include "error_code.hpp"
#include "temp_dir.hpp"

#include "library_schema.hpp"
#include "../fixtures/documents.hpp"

#include <catch2/catch.hpp>

#include <fstream>

using namespace relais;


TEST_CASE("attachments: type by content, text extracted from PDF, DOCX, ODT, Markdown", "[library]") {
    auto pdf = library::extract("rapport.pdf", fixtures::pdf("Diagnostic territorial partage"));
    CHECK(pdf.mime == "application/pdf");
    CHECK(pdf.text.find("Diagnostic territorial partage") != std::string::npos);

    auto docx = library::extract("Lettre d'intention.DOCX", fixtures::docx({"Première partie", "Le porteur &amp; le collectif"}));
    CHECK(docx.mime.find("wordprocessingml") != std::string::npos);
    CHECK(docx.text == "Première partie\nLe porteur & le collectif\n");

    auto odt = library::extract("trame.odt", fixtures::odt({"Forces", "Faiblesses"}));
    CHECK(odt.mime == "application/vnd.oasis.opendocument.text");
    CHECK(odt.text == "Forces\nFaiblesses\n");

    auto md = library::extract("notes.md", "\xEF\xBB\xBF# Titre\n\nTexte **gras**");
    CHECK(md.mime == "text/markdown; charset=utf-8");
    CHECK(md.text == "# Titre\n\nTexte **gras**");
    CHECK(library::extract("a.txt", "simple").mime == "text/plain; charset=utf-8");
}

TEST_CASE("attachments: mislabelled, corrupt, encrypted and oversized files are refused", "[library]") {
    CHECK(code_of([] { library::extract("faux.pdf", "ceci n'est pas un PDF"); }) == "type_fichier_incoherent");
    CHECK(code_of([] { library::extract("faux.pdf", fixtures::docx({"x"})); }) == "type_fichier_incoherent");
    CHECK(code_of([] { library::extract("notes.md", fixtures::pdf("x")); }) == "type_fichier_incoherent");
    CHECK(code_of([] { library::extract("notes.txt", std::string("abc\0def", 7)); }) == "type_fichier_incoherent");
    CHECK(code_of([] { library::extract("notes.txt", "caf\xE9"); }) == "type_fichier_incoherent");  // Latin-1, not UTF-8
    // What to do is said: an encoding to change for a text, a file to choose for an empty one.
    auto message_of = [](const std::function<void()>& f) {
        try {
            f();
        } catch (const relais::api_error& e) {
            return std::string(e.message());
        }
        return std::string();
    };
    CHECK(message_of([] { library::extract("notes.txt", "caf\xE9"); }).find("UTF-8") != std::string::npos);
    CHECK(code_of([] { library::extract("vide.txt", ""); }) == "fichier_illisible");
    CHECK(message_of([] { library::extract("vide.txt", ""); }).find("vide") != std::string::npos);
    CHECK(code_of([] { library::extract("casse.pdf", "%PDF-1.4\ngarbage without objects"); }) == "fichier_illisible");
    CHECK(code_of([] { library::extract("casse.docx", std::string("PK\x03\x04", 4) + "garbage"); }) == "fichier_illisible");
    CHECK(code_of([] { library::extract("trame.odt", fixtures::docx({"x"})); }) == "type_fichier_incoherent");
    CHECK(code_of([] { library::extract("secret.odt", fixtures::odt({"x"}, true)); }) == "fichier_protege");
    CHECK(code_of([] { library::extract("bombe.docx", fixtures::docx_bomb(40)); }) == "archive_suspecte");
    CHECK(code_of([] { library::extract("image.gif", "GIF89a"); }) == "type_fichier_refuse");
    CHECK(code_of([] { library::extract("sans-extension", "x"); }) == "type_fichier_refuse");
    CHECK(code_of([] { library::extract("../../etc/passwd.txt", "x"); }) == "champ_invalide");
    CHECK(code_of([] { library::extract("vide.txt", ""); }) == "fichier_illisible");
    // A DTD (entities: amplification) is refused; so is a flood of generated spaces.
    auto dtd = fixtures::zip({{"word/document.xml",
                               "<!DOCTYPE d [<!ENTITY a \"aaaaaaaaaa\">]><w:document><w:body><w:p><w:r><w:t>&a;</w:t></w:r></w:p></w:body></w:document>"}});
    CHECK(code_of([&] { library::extract("dtd.docx", dtd); }) == "archive_suspecte");
    std::string spaces = "<office:document-content><office:body><office:text><text:p>";
    for (int i = 0; i < 20000; ++i) spaces += "<text:s text:c=\"100\"/>";
    spaces += "</text:p></office:text></office:body></office:document-content>";
    auto flood = fixtures::zip({{"mimetype", "application/vnd.oasis.opendocument.text"}, {"content.xml", spaces}}, true);
    library::extract_limits small;
    small.max_text_bytes = 1000;
    auto flooded = library::extract("espaces.odt", flood, small);  // 2,000,000 spaces asked for
    CHECK(flooded.text.size() <= 1000);
    // A broken XML part is corrupt, not a crash.
    auto broken = fixtures::zip({{"word/document.xml", "<w:document><w:body><w:p>"}});
    CHECK(code_of([&] { library::extract("x.docx", broken); }) == "fichier_illisible");
}

TEST_CASE("blobs are content-addressed and never leave their folder", "[library]") {
    unit_temp_dir dir;
    library::blobs files(dir.path / "files");
    auto d = files.put("bonjour");
    CHECK(d == library::blobs::digest("bonjour"));
    CHECK(files.put("bonjour") == d);
    CHECK(files.get(d) == "bonjour");
    CHECK(std::filesystem::exists(dir.path / "files" / d.substr(0, 2) / d.substr(2)));
    CHECK_FALSE(library::blobs::is_digest("../../etc/passwd"));
    CHECK_THROWS(files.get("../x"));
    files.remove(d);
    CHECK_FALSE(files.has(d));
}

TEST_CASE("seed items: front matter is checked", "[library]") {
    auto ok = library::parse_seed_item(
        "+++\nslug = \"x-1\"\nkind = \"outil\"\ntitle = \"T\"\nsummary = \"S\"\nphases = [\"diagnostic\"]\n"
        "region = \"Hauts-de-France\"\ndate = \"2026-09-15\"\n+++\n# Corps\n");
    CHECK(ok.slug == "x-1");
    CHECK(ok.c.region == std::optional<std::string>("32"));
    CHECK(ok.c.body == "# Corps\n");
    CHECK_THROWS(library::parse_seed_item("no front matter"));
    CHECK_THROWS(library::parse_seed_item("+++\nslug = \"X\"\nkind = \"outil\"\ntitle = \"T\"\nsummary = \"S\"\ndate = \"2026-01-01\"\n+++\nb"));
    CHECK_THROWS(library::parse_seed_item("+++\nslug = \"x\"\nkind = \"outil\"\ntitle = \"T\"\nsummary = \"S\"\nphases = [\"nope\"]\ndate = \"2026-01-01\"\n+++\nb"));
}

TEST_CASE("library: versions, review and the outbox keep the index in step with SQLite", "[library]") {
    unit_temp_dir dir;
    metrics::registry m;
    db::pool pool({dir.path / "relais.db", 2, 64, library_schema}, m);
    search::index idx(dir.path / "index");
    idx.set_synonyms(search::parse_synonyms("ACI = accord conventionnel interprofessionnel\n"));
    indexing::indexer ix(pool, idx);
    worker_pool directory_cpu("cpu", 1);
    auth::service directory(pool, directory_cpu, {});
    library::item_source items(directory);
    ix.add_source(items);
    ix.start();
    pool.write_sync([](db::connection& c) {
        c.exec("INSERT INTO users(id, email, name, role, password_hash, created_at, updated_at) "
               "VALUES(1, 'a@x.fr', 'Animatrice', 'animateur', 'x', 0, 0)");
    });

    library::item it;
    it.kind = "temoignage";
    it.state = "pending";
    library::content v;
    v.title = "Notre lettre d'intention";
    v.summary = "Comment la CPTS a rédigé sa lettre.";
    v.body = "Nous avons signé l'**ACI** après le diagnostic.";
    v.author_name = "Coordinatrice";
    v.date = "2025-03-01";
    pool.write_sync([&](db::connection& c) { library::store::create_item(c, it, v, std::nullopt, 1000); });
    ix.drain();
    search::query q;
    q.text = "accord conventionnel";
    CHECK(idx.search(q).total == 0);  // pending: not public, not indexed

    pool.write_sync([&](db::connection& c) { CHECK(library::store::publish(c, it.id, 1, 1, 1001)); });
    ix.drain();
    auto found = idx.search(q);
    REQUIRE(found.hits.size() == 1);  // the acronym in the text finds the spelled-out form
    CHECK(found.hits[0].id == "item:" + std::to_string(it.id));

    // A pending revision leaves the published version in the index.
    v.body = "Texte révisé sans le sigle.";
    pool.write_sync([&](db::connection& c) {
        auto current = library::store::find_item(c, it.id);
        library::store::add_version(c, *current, v, false, std::nullopt, 1002);
    });
    ix.drain();
    CHECK(idx.search(q).total == 1);
    pool.write_sync([&](db::connection& c) {
        CHECK_FALSE(library::store::publish(c, it.id, 1, 1, 1003));  // not the latest any more: refused
        CHECK(library::store::publish(c, it.id, 2, 1, 1003));
    });
    ix.drain();
    CHECK(idx.search(q).total == 0);
    search::query revised;
    revised.text = "revise";
    CHECK(idx.search(revised).total == 1);
    pool.read_sync([&](db::connection& c) { CHECK(library::store::versions(c, it.id).size() == 2); });
    // A new version may change the item's kind (a reviewer's edit), indexed with it.
    pool.write_sync([&](db::connection& c) {
        auto current = library::store::find_item(c, it.id);
        auto was = current->kind;
        current->kind = was == "guide" ? "outil" : "guide";
        library::store::add_version(c, *current, v, true, std::nullopt, 1004);
        CHECK(library::store::find_item(c, it.id)->kind == current->kind);
        CHECK(current->kind != was);
    });

    // Archived: out of the index. The outbox is empty once drained.
    pool.write_sync([&](db::connection& c) { library::store::set_archived(c, it.id, true, 1, 1004); });
    ix.drain();
    CHECK(idx.search(revised).total == 0);
    pool.read_sync([&](db::connection& c) {
        auto s = c.prepare("SELECT count(*) FROM search_outbox");
        s.step();
        CHECK(s.get_int(0) == 0);
    });
    ix.stop();
}

TEST_CASE("library: a change that reached SQLite reaches the index after a crash", "[library]") {
    unit_temp_dir dir;
    metrics::registry m;
    {
        // The process "dies" after the SQLite commit, before any indexing.
        db::pool pool({dir.path / "relais.db", 1, 64, library_schema}, m);
        library::item it;
        it.kind = "outil";
        it.state = "published";
        library::content v;
        v.title = "Grille de lecture";
        v.summary = "Une grille.";
        v.body = "Critères de pertinence.";
        v.author_name = "A";
        v.date = "2024-01-01";
        pool.write_sync([&](db::connection& c) { library::store::create_item(c, it, v, std::nullopt, 1); });
        pool.stop();
    }
    db::pool pool({dir.path / "relais.db", 1, 64, library_schema}, m);
    search::index idx(dir.path / "index");
    indexing::indexer ix(pool, idx);
    worker_pool directory_cpu("cpu", 1);
    auth::service directory(pool, directory_cpu, {});
    library::item_source items(directory);
    ix.add_source(items);
    ix.start();  // finds the index behind (0 documents for 1 public item) and rebuilds
    search::query q;
    q.text = "pertinence";
    CHECK(idx.search(q).total == 1);
    ix.stop();
}

TEST_CASE("library: the whole seed content loads, is searchable and loads again without change", "[library]") {
    unit_temp_dir dir;
    metrics::registry m;
    db::pool pool({dir.path / "relais.db", 1, 64, library_schema}, m);
    library::blobs files(dir.path / "files");
    library::seed_summary first, second;
    pool.write_sync([&](db::connection& c) { first = library::load_seed_library(c, files, RELAIS_SEED_DIR); });
    pool.write_sync([&](db::connection& c) { second = library::load_seed_library(c, files, RELAIS_SEED_DIR); });
    CHECK(first.added >= 30);
    CHECK(second.added == 0);
    CHECK(second.updated == 0);
    std::int64_t guides = 0;
    pool.read_sync([&](db::connection& c) {
        auto s = c.prepare("SELECT count(*) FROM library_items WHERE kind = 'guide'");
        s.step();
        guides = s.get_int(0);
    });
    CHECK(guides >= 6);
}

TEST_CASE("library review rules: a reviewer decides on the latest version, once", "[library]") {
    unit_temp_dir dir;
    metrics::registry m;
    db::pool pool({dir.path / "relais.db", 1, 64, library_schema}, m);
    library::item it;
    it.kind = "temoignage";
    it.state = "pending";
    library::content v;
    v.title = "Notre diagnostic";
    v.summary = "Résumé.";
    v.body = "Texte.";
    v.author_name = "A";
    v.date = "2025-01-01";
    pool.write_sync([&](db::connection& c) {
        c.exec("INSERT INTO users(id, email, name, role, password_hash, created_at, updated_at) "
               "VALUES(1, 'r@x.fr', 'Relectrice', 'animateur', 'x', 0, 0)");
        library::store::create_item(c, it, v, std::nullopt, 1);
    });
    auto code = [&](auto decide) {
        try {
            pool.write_sync(decide);
        } catch (const api_error& e) {
            return std::string(e.code()) + (e.field().empty() ? "" : "/" + e.field());
        }
        return std::string("ok");
    };
    using library::service;
    CHECK(code([&](db::connection& c) { service::publish_version(c, it.id, 2, 1, 2); }) == "version_perimee/version");
    CHECK(code([&](db::connection& c) { service::publish_version(c, 999, 1, 1, 2); }) == "introuvable");
    CHECK(code([&](db::connection& c) { service::send_back(c, it.id, 1, "À reprendre", 1, 2); }) == "ok");
    CHECK(code([&](db::connection& c) { service::send_back(c, it.id, 1, "Encore", 1, 3); }) == "moderation_impossible");
    CHECK(code([&](db::connection& c) { service::publish_version(c, it.id, 1, 1, 4); }) == "ok");
    CHECK(code([&](db::connection& c) { service::publish_version(c, it.id, 1, 1, 5); }) == "moderation_impossible");
    pool.read_sync([&](db::connection& c) {
        auto now = library::store::find_item(c, it.id);
        CHECK(now->state == "published");
        CHECK(now->published_version == std::optional<std::int64_t>(1));
    });
}

TEST_CASE("seed content: every template written by Relais says so and where the official document is", "[library][seed]") {
    namespace fs = std::filesystem;
    const fs::path root = fs::path(RELAIS_SEED_DIR) / "library";
    int files = 0;
    for (const auto& e : fs::directory_iterator(root / "fichiers")) {
        if (e.path().extension() != ".md") continue;
        std::ifstream in(e.path());
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        INFO(e.path().filename().string());
        CHECK(text.find("Modèle proposé par Relais, à adapter.") != std::string::npos);
        ++files;
    }
    CHECK(files >= 12);
    // The example testimonies are labelled as such.
    for (const auto& e : fs::directory_iterator(root / "temoignages")) {
        std::ifstream in(e.path());
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        INFO(e.path().filename().string());
        CHECK(text.find("**Exemple fictif.**") != std::string::npos);
    }
}
