// The library over HTTP: search with facets and bad input, contribution and review,
// versions, attachments (upload, extraction, download), the index after a restart.
#include "access_matrix.hpp"
#include "harness.hpp"
#include "library_helpers.hpp"
#include "../fixtures/documents.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <thread>

using relais::test::eventually_found;
using relais::test::files_on_disk;
using relais::test::server;
using relais::test::url_encode;
using json = nlohmann::json;
using headers = std::map<std::string, std::string>;

namespace {

json search(server& s, const std::string& cookie, const std::string& params) {
    auto r = s.request("GET", "/api/library/search?" + params, {}, {{"Cookie", cookie}});
    INFO(r.body);
    REQUIRE(r.status == 200);
    return r.json();
}

}  // namespace

TEST_CASE("library search: seed content, French, facets, snippets, suggestions", "[library]") {
    server s;
    auto admin = s.login_admin();
    auto member = s.make_user(admin, "membre@x.fr", "membre");

    auto meta = s.request("GET", "/api/library/meta", {}, {{"Cookie", member}}).json();
    CHECK(meta["upload_max_bytes"] == 10 * 1024 * 1024);
    CHECK(meta["phases"].size() == 6);
    // Never empty on first start.
    auto all = search(s, member, "");
    CHECK(all["total"].get<int>() >= 30);
    CHECK(all["facets"]["kind"]["guide"].get<int>() >= 6);

    auto r = search(s, member, "q=" + url_encode("modele lettre intention"));
    REQUIRE(r["hits"].size() > 0);
    const auto& first = r["hits"][0];
    CHECK(first["title"].get<std::string>().find("lettre d") != std::string::npos);
    for (const char* field : {"id", "title", "kind", "snippet", "score", "summary"}) CHECK(first.contains(field));
    CHECK_FALSE(r["hits"][0]["highlights"].empty());
    CHECK(r["hits"][0]["highlights"][0].size() == 2);
    CHECK(r.contains("facets"));
    CHECK(r.contains("suggestion"));

    // Accent- and case-insensitive, elisions.
    CHECK(search(s, member, "q=" + url_encode("DIAGNOSTIC territorial"))["total"] == search(s, member, "q=" + url_encode("diagnostic territorial"))["total"]);
    CHECK(search(s, member, "q=" + url_encode("l'ACI"))["total"].get<int>() > 0);
    // Acronym <-> spelled out.
    CHECK(search(s, member, "q=" + url_encode("\"accord conventionnel interprofessionnel\""))["total"].get<int>() > 0);

    // A question being typed needs what the finished question needs, also when its last
    // word is whole and the index knows it by its stem only (« CPTS » is stored « cpt »,
    // « intention » « intent »): the same fiches, in the same order.
    for (const char* typed : {"comment financer une CPTS", "comment rédiger la lettre d'intention", "quel financement",
                              "qui contacter pour le diagnostic territorial"}) {
        INFO(typed);
        auto as_typed = search(s, member, "per_page=50&q=" + url_encode(typed));
        auto finished = search(s, member, "per_page=50&q=" + url_encode(std::string(typed) + " ?"));
        CHECK(as_typed["total"].get<int>() > 0);
        CHECK(as_typed["total"] == finished["total"]);
        std::vector<long long> a, b;
        for (const auto& h : as_typed["hits"]) a.push_back(h["id"].get<long long>());
        for (const auto& h : finished["hits"]) b.push_back(h["id"].get<long long>());
        CHECK(a == b);
    }

    // Facet filter: every hit has the kind, counts follow.
    auto tools = search(s, member, "q=" + url_encode("grille") + "&kind=outil");
    REQUIRE(tools["hits"].size() > 0);
    for (const auto& h : tools["hits"]) CHECK(h["kind"] == "outil");
    auto by_phase = search(s, member, "phase=diagnostic&per_page=50");
    for (const auto& h : by_phase["hits"]) {
        auto phases = h["phases"].get<std::vector<std::string>>();
        CHECK(std::find(phases.begin(), phases.end(), "diagnostic") != phases.end());
    }
    // Date sort and pagination.
    auto p1 = search(s, member, "sort=date&per_page=5&page=1");
    auto p2 = search(s, member, "sort=date&per_page=5&page=2");
    CHECK(p1["hits"].size() == 5);
    CHECK(p1["hits"][0]["id"] != p2["hits"][0]["id"]);
    CHECK(search(s, member, "page=900")["hits"].empty());

    // A typo: a suggestion, and the corrected query's results.
    auto typo = search(s, member, "q=" + url_encode("diagnostik territorial"));
    CHECK(typo["suggestion"].get<std::string>().find("diagnostic") != std::string::npos);
    CHECK(typo["total"].get<int>() > 0);

    // Similar items.
    auto id = first["id"].get<long long>();
    auto similar = s.request("GET", "/api/library/items/" + std::to_string(id) + "/similar", {}, {{"Cookie", member}});
    REQUIRE(similar.status == 200);
    CHECK(similar.json()["items"].size() > 0);
    const auto similar_items = similar.json()["items"];  // a named copy: the temporary would die before the loop
    for (const auto& it : similar_items) CHECK(it["id"].get<long long>() != id);
}

TEST_CASE("library search: bad input gets clear errors", "[library]") {
    server s;
    auto admin = s.login_admin();
    auto get = [&](const std::string& params) { return s.request("GET", "/api/library/search?" + params, {}, {{"Cookie", admin}}); };
    CHECK(get("q=" + std::string(501, 'a')).error_code() == "recherche_trop_longue");
    CHECK(get("q=" + url_encode("AND")).error_code() == "recherche_invalide");
    CHECK(get("q=" + url_encode("\"lettre d'intention")).status == 200);  // unbalanced quote: a phrase to the end
    CHECK(get("q=%FF%FE").status == 400);                            // invalid UTF-8
    CHECK(get("kind=roman").error_code() == "filtre_invalide");
    CHECK(get("year=2099").error_code() == "filtre_invalide");  // no fiche tells what is to come
    CHECK(get("year=1899").error_code() == "filtre_invalide");
    CHECK(get("year=2026").status == 200);
    CHECK(get("phase=diagnostic,nulle-part").error_code() == "filtre_invalide");
    CHECK(get("page=0").error_code() == "page_invalide");
    CHECK(get("page=abc").error_code() == "page_invalide");
    CHECK(get("page=1001").error_code() == "page_invalide");
    CHECK(get("per_page=500").error_code() == "champ_invalide");
    CHECK(get("from=2024-13-01").error_code() == "champ_invalide");
    CHECK(get("from=2026-02-30").error_code() == "champ_invalide");
    CHECK(get("to=2027-02-29").error_code() == "champ_invalide");
    CHECK(get("from=2028-02-29").status == 200);  // a leap year
    CHECK(get("sort=hasard").error_code() == "champ_invalide");
    auto script = get("q=" + url_encode("<script>alert(1)</script>"));
    CHECK(script.status == 200);
    const auto script_hits = script.json()["hits"];
    for (const auto& h : script_hits) CHECK(h["snippet"].get<std::string>().find("<script") == std::string::npos);
}

TEST_CASE("library workflow: submit, review, publish, revise with history", "[library]") {
    server s;
    auto admin = s.login_admin();
    auto author = s.make_user(admin, "coord@x.fr", "membre");
    auto other = s.make_user(admin, "autre@x.fr", "membre");
    auto reviewer = s.make_user(admin, "anim@x.fr", "animateur");

    json body = {{"kind", "temoignage"},
                 {"title", "Notre CPTS du Valenciennois"},
                 {"summary", "Comment nous avons mobilisé les pharmaciens."},
                 {"body", "## Ce qui a marché\n\nLes **pharmaciens** ont rejoint le bureau. <script>alert(1)</script> [lien](javascript:alert(1))"},
                 {"phases", {"emergence", "lettre_intention"}},
                 {"missions", {"acces_soins"}},
                 {"region", "32"},
                 {"date", "2026-03-15"},
                 {"author_name", "Camille, coordinatrice"}};
    auto created = s.request("POST", "/api/library/items", body.dump(), {{"Cookie", author}});
    REQUIRE(created.status == 201);
    auto item = created.json()["item"];
    auto id = item["id"].get<long long>();
    CHECK(item["state"] == "pending");
    const std::string url = "/api/library/items/" + std::to_string(id);

    // Unpublished: the author and reviewers see it, nobody else, not even in search.
    CHECK(s.request("GET", url, {}, {{"Cookie", author}}).status == 200);
    CHECK(s.request("GET", url, {}, {{"Cookie", reviewer}}).status == 200);
    CHECK(s.request("GET", url, {}, {{"Cookie", other}}).status == 404);
    CHECK(s.request("GET", url + "/similar", {}, {{"Cookie", other}}).status == 404);
    const auto hidden = search(s, other, "q=" + url_encode("pharmaciens Valenciennois"))["hits"];
    for (const auto& h : hidden) CHECK(h["id"] != id);
    // Members cannot publish, nor submit guides.
    CHECK(s.request("POST", url + "/publish", "{}", {{"Cookie", author}}).status == 403);
    auto guide = body;
    guide["kind"] = "guide";
    CHECK(s.request("POST", "/api/library/items", guide.dump(), {{"Cookie", author}}).error_code() == "champ_invalide");
    auto bad = body;
    bad["phases"] = {"nulle-part"};
    CHECK(s.request("POST", "/api/library/items", bad.dump(), {{"Cookie", author}}).error_code() == "champ_invalide");
    auto impossible = body;
    impossible["date"] = "2026-04-31";
    CHECK(s.request("POST", "/api/library/items", impossible.dump(), {{"Cookie", author}}).error_code() == "champ_invalide");
    auto to_come = body;  // what a fiche tells has happened: no date to come
    to_come["date"] = "2099-12-31";
    auto future = s.request("POST", "/api/library/items", to_come.dump(), {{"Cookie", author}});
    CHECK(future.error_code() == "champ_invalide");
    CHECK(future.json()["error"]["field"] == "date");

    // The review queue, then publication.
    auto queue = s.request("GET", "/api/library/review", {}, {{"Cookie", reviewer}}).json()["items"];
    REQUIRE(queue.size() == 1);
    CHECK(queue[0]["id"] == id);
    // What a reviewer needs to pick it up: who wrote it, who saved it and when, which version.
    CHECK(queue[0]["author_name"] == "Camille, coordinatrice");
    CHECK(queue[0]["saved_by"]["name"].is_string());
    CHECK(queue[0]["saved_by"]["id"].is_number_integer());
    CHECK(queue[0]["saved_at"].get<std::string>().size() == 20);
    CHECK(queue[0].contains("org_name"));
    CHECK(queue[0]["version"] == 1);
    CHECK(queue[0]["published_version"].is_null());
    CHECK(s.request("POST", url + "/publish", "{}", {{"Cookie", reviewer}}).error_code() == "champ_invalide");  // which version?
    CHECK(s.request("POST", url + "/publish", json{{"version", 2}}.dump(), {{"Cookie", reviewer}}).error_code() == "version_perimee");
    auto published = s.request("POST", url + "/publish", json{{"version", 1}}.dump(), {{"Cookie", reviewer}});
    REQUIRE(published.status == 200);
    CHECK(published.json()["item"]["state"] == "published");
    CHECK(s.request("POST", url + "/publish", json{{"version", 1}}.dump(), {{"Cookie", reviewer}}).error_code() == "moderation_impossible");
    CHECK(s.request("GET", url, {}, {{"Cookie", other}}).status == 200);
    CHECK(eventually_found(s, other, "pharmaciens Valenciennois", id));
    // The Markdown is returned as written: the page renders it inert.
    CHECK(s.request("GET", url, {}, {{"Cookie", other}}).json()["item"]["body"].get<std::string>().find("<script>") != std::string::npos);

    // A revision: pending again, the published text stays what others see.
    auto revised = body;
    revised["body"] = "Les infirmières ont rejoint le bureau aussi.";
    revised["base_version"] = 1;
    revised["note"] = "Ajout des infirmières";
    auto put = s.request("PUT", url, revised.dump(), {{"Cookie", author}});
    REQUIRE(put.status == 200);
    CHECK(put.json()["item"]["state"] == "pending");
    CHECK(put.json()["item"]["version"] == 2);
    CHECK(s.request("PUT", url, revised.dump(), {{"Cookie", author}}).error_code() == "version_perimee");  // base 1 is stale
    auto negative = revised;
    negative["base_version"] = -1;  // no version has it: bad input, not a conflict
    CHECK(s.request("PUT", url, negative.dump(), {{"Cookie", author}}).error_code() == "champ_invalide");
    // The kind is checked as on creation, and a refused edit adds no version.
    for (const char* kind : {"zzz", "guide"}) {
        auto wrong = revised;
        wrong["kind"] = kind;
        wrong["base_version"] = 2;
        CHECK(s.request("PUT", url, wrong.dump(), {{"Cookie", author}}).error_code() == "champ_invalide");
    }
    CHECK(s.request("GET", url, {}, {{"Cookie", author}}).json()["item"]["latest_version"] == 2);
    CHECK(s.request("PUT", url, revised.dump(), {{"Cookie", other}}).status == 403);
    auto seen = s.request("GET", url, {}, {{"Cookie", other}}).json()["item"];
    CHECK(seen["version"] == 1);
    CHECK(seen["state"] == "published");  // a pending revision is nobody else's business
    CHECK(seen["latest_version"] == 1);
    CHECK(seen["history"].empty());
    CHECK(s.request("GET", url + "?version=2", {}, {{"Cookie", other}}).status == 404);
    auto mine = s.request("GET", url, {}, {{"Cookie", author}}).json()["item"];
    CHECK(mine["history"].size() == 2);
    CHECK(mine["history"][0]["note"] == "Ajout des infirmières");
    CHECK(s.request("GET", url + "?version=1", {}, {{"Cookie", author}}).json()["item"]["body"] == body["body"]);
    // A version that is not a number from 1 is a bad parameter; one past the last does not exist.
    for (const char* bad : {"x", "0", "-1", "1.5"}) {
        auto r = s.request("GET", url + "?version=" + bad, {}, {{"Cookie", author}});
        CHECK(r.status == 400);
        CHECK(r.error_code() == "champ_invalide");
        CHECK(r.json()["error"]["field"] == "version");
    }
    CHECK(s.request("GET", url + "?version=99", {}, {{"Cookie", author}}).status == 404);

    // What changed: by default the version online against the latest, for the author and
    // reviewers; nobody else reads versions.
    for (const auto& who : {author, reviewer}) {
        auto d = s.request("GET", url + "/diff", {}, {{"Cookie", who}});
        INFO(d.body);
        REQUIRE(d.status == 200);
        const auto diff = d.json()["diff"];
        CHECK(diff["from"] == 1);
        CHECK(diff["to"] == 2);
        CHECK(diff["body_changed"] == true);
        std::string older, newer;
        for (const auto& seg : diff["body"]) {
            CHECK((seg["op"] == "equal" || seg["op"] == "delete" || seg["op"] == "insert"));
            if (seg["op"] != "insert") older += seg["text"].get<std::string>();
            if (seg["op"] != "delete") newer += seg["text"].get<std::string>();
        }
        CHECK(older == body["body"]);
        CHECK(newer == revised["body"]);
        CHECK(diff["fields"].empty());  // only the body changed
    }
    CHECK(s.request("GET", url + "/diff", {}, {{"Cookie", other}}).status == 404);
    auto back = s.request("GET", url + "/diff?from=2&to=1", {}, {{"Cookie", author}}).json()["diff"];
    CHECK(back["from"] == 2);
    CHECK(back["to"] == 1);
    CHECK(s.request("GET", url + "/diff?to=1", {}, {{"Cookie", author}}).json()["error"]["field"] == "from");  // nothing before 1
    CHECK(s.request("GET", url + "/diff?from=1&to=3", {}, {{"Cookie", author}}).status == 404);
    for (const char* bad : {"from=x", "from=0", "to=-1", "to=1.5"}) {
        auto r = s.request("GET", url + "/diff?" + bad, {}, {{"Cookie", author}});
        CHECK(r.status == 400);
        CHECK(r.error_code() == "champ_invalide");
    }

    // Rejection with a note, visible to the author in "mine".
    CHECK(s.request("POST", url + "/reject", json{{"note", "Précisez."}, {"version", 1}}.dump(), {{"Cookie", reviewer}}).error_code() ==
          "version_perimee");  // the reviewer read version 1; the author has saved version 2
    auto rejected = s.request("POST", url + "/reject", json{{"note", "Précisez le territoire."}, {"version", 2}}.dump(), {{"Cookie", reviewer}});
    REQUIRE(rejected.status == 200);
    auto listed = s.request("GET", "/api/library/mine", {}, {{"Cookie", author}}).json()["items"];
    REQUIRE(listed.size() == 1);
    CHECK(listed[0]["state"] == "rejected");
    CHECK(listed[0]["review_note"] == "Précisez le territoire.");
    CHECK(listed[0]["sent_back"]["version"] == 2);
    CHECK(listed[0]["sent_back"]["note"] == "Précisez le territoire.");
    // The history keeps what was asked of that version, after the next one too (below).
    auto asked = s.request("GET", url, {}, {{"Cookie", author}}).json()["item"]["history"];
    REQUIRE(asked.size() == 2);
    CHECK(asked[0]["sent_back"]["note"] == "Précisez le territoire.");
    CHECK(asked[1]["sent_back"].is_null());
    CHECK(s.request("GET", url, {}, {{"Cookie", other}}).json()["item"]["version"] == 1);  // still the published one

    // A reviewer's edit that says nothing of the author or the date keeps them: the fiche
    // does not become the reviewer's, nor dated today.
    auto before = s.request("GET", url, {}, {{"Cookie", reviewer}}).json()["item"];
    auto touched = body;
    touched.erase("author_name");
    touched.erase("date");
    touched["body"] = "Relu : les infirmières ont rejoint le bureau aussi.";
    touched["base_version"] = before["latest_version"];
    auto edited = s.request("PUT", url, touched.dump(), {{"Cookie", reviewer}});
    REQUIRE(edited.status == 200);
    auto latest = s.request("GET", url + "?version=" + std::to_string(edited.json()["item"]["version"].get<int>()), {}, {{"Cookie", reviewer}})
                      .json()["item"];
    CHECK(latest["author_name"] == "Camille, coordinatrice");
    CHECK(latest["date"] == "2026-03-15");
    // The new version waits for review; the queue says the fiche was sent back before, and what was asked.
    auto back_in_queue = s.request("GET", "/api/library/review", {}, {{"Cookie", reviewer}}).json()["items"];
    REQUIRE(back_in_queue.size() == 1);
    CHECK(back_in_queue[0]["review_note"] == "");
    CHECK(back_in_queue[0]["sent_back"]["version"] == 2);
    CHECK(back_in_queue[0]["sent_back"]["note"] == "Précisez le territoire.");
    CHECK(latest["history"][1]["sent_back"]["note"] == "Précisez le territoire.");

    // Archived: gone for members and from search.
    REQUIRE(s.request("POST", url + "/archive", json{{"archived", true}}.dump(), {{"Cookie", reviewer}}).status == 200);
    CHECK(s.request("GET", url, {}, {{"Cookie", other}}).status == 404);
    CHECK(eventually_found(s, other, "pharmaciens Valenciennois", id, false));
}

TEST_CASE("library attachments: upload, extraction, download, refusals that store nothing", "[library]") {
    server s({"--set", "limits.upload_max_bytes=200000"});
    auto admin = s.login_admin();
    auto member = s.make_user(admin, "coord@x.fr", "membre");
    auto files_dir = s.data_dir() / "files";
    auto upload = [&](const std::string& name, const std::string& bytes, const std::string& type = "application/octet-stream") {
        return s.request("POST", "/api/library/files?name=" + url_encode(name), bytes, {{"Cookie", member}, {"Content-Type", type}});
    };
    const auto before = files_on_disk(files_dir);

    // Refused, and nothing stored.
    CHECK(upload("faux.pdf", "ceci n'est pas un PDF").error_code() == "type_fichier_incoherent");
    CHECK(upload("casse.pdf", "%PDF-1.4 garbage").error_code() == "fichier_illisible");
    CHECK(upload("bombe.docx", fixtures::docx_bomb(40)).error_code() == "archive_suspecte");
    CHECK(upload("secret.odt", fixtures::odt({"x"}, true)).error_code() == "fichier_protege");
    CHECK(upload("photo.gif", "GIF89a").error_code() == "type_fichier_refuse");
    CHECK(upload("gros.txt", std::string(300000, 'a')).status == 413);
    CHECK(upload("notes.txt", "bonjour", "text/plain").status == 415);  // a form could send text/plain: refused
    // As for every state-changing request, before the access rule: signed out, still 415.
    auto anonymous_form = s.request("POST", "/api/library/files?name=a.txt", "bonjour", {{"Content-Type", "text/plain"}});
    CHECK(anonymous_form.status == 415);
    CHECK(anonymous_form.error_code() == "type_contenu_invalide");
    CHECK(s.request("POST", "/api/library/files?name=a.txt", "bonjour", {{"Content-Type", "application/octet-stream"}}).status == 401);
    CHECK(s.request("POST", "/api/library/files?name=a.txt", "bonjour",
                    {{"Cookie", member}, {"Content-Type", "application/octet-stream"}, {"Origin", "http://evil.example"}})
              .status == 403);
    CHECK(files_on_disk(files_dir) == before);

    // Accepted: a PDF whose text is indexed with the item.
    auto pdf = fixtures::pdf("Protocole de cooperation kinesitherapeutes lombalgie");
    auto up = upload("Protocole lombalgie.pdf", pdf);
    REQUIRE(up.status == 201);
    auto file = up.json()["file"];
    CHECK(file["mime"] == "application/pdf");
    CHECK(file["text_chars"].get<int>() > 20);
    auto docx = upload("fiche.docx", fixtures::docx({"Fiche action : parcours insuffisance cardiaque"}));
    REQUIRE(docx.status == 201);

    json body = {{"kind", "outil"},
                 {"title", "Protocole lombalgie"},
                 {"summary", "Un protocole pluriprofessionnel."},
                 {"body", "Voir la pièce jointe."},
                 {"attachments", {{{"sha256", file["sha256"]}, {"name", "Protocole lombalgie.pdf"}},
                                  {{"sha256", docx.json()["file"]["sha256"]}, {"name", "fiche.docx"}}}}};
    CHECK(s.request("POST", "/api/library/items",
                    json{{"kind", "outil"}, {"title", "T"}, {"summary", "S"}, {"body", "B"},
                         {"attachments", {{{"sha256", std::string(64, 'a')}, {"name", "x.pdf"}}}}}.dump(),
                    {{"Cookie", member}})
              .error_code() == "fichier_inconnu");
    // A file attached under another extension (a text file as "outil.js") is refused.
    auto text = upload("notes.txt", "alert(1)");
    REQUIRE(text.status == 201);
    auto renamed = body;
    renamed["attachments"] = {{{"sha256", text.json()["file"]["sha256"]}, {"name", "outil.js"}}};
    CHECK(s.request("POST", "/api/library/items", renamed.dump(), {{"Cookie", member}}).status == 415);
    renamed["attachments"] = {{{"sha256", file["sha256"]}, {"name", "rapport.txt"}}};  // a PDF as text
    CHECK(s.request("POST", "/api/library/items", renamed.dump(), {{"Cookie", member}}).error_code() == "type_fichier_incoherent");
    // The same file twice, under two names: refused, naming the first.
    auto twice = body;
    twice["attachments"] = {{{"sha256", file["sha256"]}, {"name", "doc.pdf"}}, {{"sha256", file["sha256"]}, {"name", "doc2.pdf"}}};
    auto doubled = s.request("POST", "/api/library/items", twice.dump(), {{"Cookie", member}});
    CHECK(doubled.error_code() == "champ_invalide");
    CHECK(doubled.json()["error"]["field"] == "attachments");
    CHECK(doubled.json()["error"]["message"].get<std::string>().find("doc.pdf") != std::string::npos);
    auto created = s.request("POST", "/api/library/items", body.dump(), {{"Cookie", member}});
    REQUIRE(created.status == 201);
    auto id = created.json()["item"]["id"].get<long long>();
    REQUIRE(s.request("POST", "/api/library/items/" + std::to_string(id) + "/publish", json{{"version", 1}}.dump(), {{"Cookie", admin}}).status == 200);
    CHECK(eventually_found(s, member, "kinesitherapeutes", id));      // text of the PDF
    CHECK(eventually_found(s, member, "insuffisance cardiaque", id));  // text of the DOCX

    auto item = s.request("GET", "/api/library/items/" + std::to_string(id), {}, {{"Cookie", member}}).json()["item"];
    REQUIRE(item["attachments"].size() == 2);
    auto download = s.request("GET", item["attachments"][0]["url"].get<std::string>(), {}, {{"Cookie", member}});
    REQUIRE(download.status == 200);
    CHECK(download.body == pdf);
    CHECK(download.header("content-type") == "application/pdf");
    CHECK(download.header("content-disposition").find("attachment; filename=\"Protocole lombalgie.pdf\"") == 0);
    // Kept by the browser: asked again with its ETag, the answer is 304 without the bytes;
    // the access check still runs (a signed-out request gets 401, not 304).
    const auto etag = download.header("etag");
    CHECK(etag == "\"" + file["sha256"].get<std::string>() + "\"");
    CHECK(download.header("cache-control") == "private, no-cache");
    auto again = s.request("GET", item["attachments"][0]["url"].get<std::string>(), {}, {{"Cookie", member}, {"If-None-Match", etag}});
    CHECK(again.status == 304);
    CHECK(again.body.empty());
    CHECK(again.header("etag") == etag);
    CHECK(s.request("GET", item["attachments"][0]["url"].get<std::string>(), {}, {{"If-None-Match", etag}}).status == 401);
    CHECK(s.request("GET", item["attachments"][0]["url"].get<std::string>(), {}, {{"Cookie", member}, {"If-None-Match", "\"autre\""}})
              .status == 200);
    const std::string file_path = "/api/library/items/" + std::to_string(id) + "/files/" + file["sha256"].get<std::string>();
    const std::string preview = file_path + "/preview.png";
    auto thumb = s.request("GET", preview, {}, {{"Cookie", member}});
    REQUIRE(thumb.status == 200);
    CHECK(s.request("GET", preview, {}, {{"Cookie", member}, {"If-None-Match", thumb.header("etag")}}).status == 304);
    const std::string page = file_path + "/pages/1.png?width=400";
    auto drawn = s.request("GET", page, {}, {{"Cookie", member}});
    REQUIRE(drawn.status == 200);
    CHECK(s.request("GET", page, {}, {{"Cookie", member}, {"If-None-Match", drawn.header("etag")}}).status == 304);
    CHECK(drawn.header("etag") != s.request("GET", file_path + "/pages/1.png?width=600", {},
                                            {{"Cookie", member}}).header("etag"));
    CHECK(s.request("GET", "/api/library/items/" + std::to_string(id) + "/files/" + std::string(64, 'b'), {}, {{"Cookie", member}}).status == 404);
    CHECK(s.request("GET", "/api/library/items/" + std::to_string(id) + "/files/..%2F..%2Frelais.db", {}, {{"Cookie", member}}).status == 404);
}

TEST_CASE("library index: rebuilt by `relais reindex`, and follows the database after a restart", "[library]") {
    relais::test::temp_dir dir;
    long long id = 0;
    {
        server s({}, dir.path());
        auto admin = s.login_admin();
        auto created = s.request("POST", "/api/library/items",
                                 json{{"kind", "temoignage"}, {"title", "Retour d'expérience Cambrésis"}, {"summary", "Un récit."},
                                      {"body", "Les orthophonistes du Cambrésis."}, {"publish", true}}.dump(),
                                 {{"Cookie", admin}});
        REQUIRE(created.status == 201);
        id = created.json()["item"]["id"].get<long long>();
        CHECK(eventually_found(s, admin, "orthophonistes", id));
        // The index is locked by the running server: the command says so.
        auto busy = relais::test::run_relais({"reindex", "--data-dir", dir.path().string()});
        CHECK(busy.status == 2);
        CHECK(s.stop(SIGTERM) == 0);
    }
    // The index folder is lost: reindex rebuilds it from SQLite.
    std::filesystem::remove_all(dir.path() / "index");
    auto rebuilt = relais::test::run_relais({"reindex", "--data-dir", dir.path().string()});
    INFO(rebuilt.output);
    CHECK(rebuilt.status == 0);
    CHECK(rebuilt.output.find("index reconstruit") != std::string::npos);
    {
        server s({}, dir.path());
        auto admin = s.login_admin();
        CHECK(eventually_found(s, admin, "orthophonistes", id));
        // Deleting the index while stopped: the server notices at start and rebuilds.
        CHECK(s.stop(SIGTERM) == 0);
    }
    std::filesystem::remove_all(dir.path() / "index");
    server s({}, dir.path());
    auto admin = s.login_admin();
    CHECK(eventually_found(s, admin, "orthophonistes", id));
}

TEST_CASE("library index: changes committed but not indexed before a crash are searchable as soon as the server answers", "[library][durability]") {
    relais::test::temp_dir dir;
    long long id = 0;
    {
        server s({}, dir.path());
        auto admin = s.login_admin();
        auto created = s.request("POST", "/api/library/items",
                                 json{{"kind", "temoignage"}, {"title", "Retour d'expérience Cambrésis"}, {"summary", "Un récit."},
                                      {"body", "Les orthophonistes du Cambrésis."}, {"publish", true}}.dump(),
                                 {{"Cookie", admin}});
        REQUIRE(created.status == 201);
        id = created.json()["item"]["id"].get<long long>();
        CHECK(eventually_found(s, admin, "orthophonistes", id));
        CHECK(s.stop(SIGKILL) != 0);
    }
    // As a crash leaves it: the change is in the database and its outbox, not in the index.
    const auto sql = "UPDATE library_versions SET body = 'Les xylophonistes du Cambrésis.' WHERE item_id = " + std::to_string(id) +
                     "; INSERT INTO search_outbox(type, doc_key) VALUES('item', " + std::to_string(id) + ");";
    REQUIRE(std::system(("sqlite3 '" + (dir.path() / "relais.db").string() + "' \"" + sql + "\"").c_str()) == 0);
    server s({}, dir.path());
    auto admin = s.login_admin();
    // At once, not after the indexer's next round.
    auto found = search(s, admin, "q=" + url_encode("xylophonistes"));
    REQUIRE(found["hits"].size() == 1);
    CHECK(found["hits"][0]["id"] == id);
    const auto before = search(s, admin, "q=" + url_encode("orthophonistes"))["hits"];  // named: iterated below
    for (const auto& h : before) CHECK(h["id"] != id);
}

TEST_CASE("library search: a fiche's organisation follows its renaming and its deletion", "[library]") {
    server s;
    auto admin = s.login_admin();
    auto org = s.request("POST", "/api/admin/orgs", json{{"name", "CPTS du Pévèle (test)"}, {"type", "cpts"}, {"region", "32"}}.dump(),
                         {{"Cookie", admin}}).json()["org"]["id"].get<long long>();
    REQUIRE(s.request("POST", "/api/admin/users",
                      json{{"email", "coord@pevele.test"}, {"name", "Paule"}, {"role", "membre"}, {"org_id", org},
                           {"password", "motdepasse-solide"}}.dump(),
                      {{"Cookie", admin}}).status == 201);
    auto author = s.login("coord@pevele.test", "motdepasse-solide");
    auto made = s.request("POST", "/api/library/items",
                          json{{"kind", "temoignage"}, {"title", "Les pangolins du Pévèle"}, {"summary", "Un témoignage."},
                               {"body", "Une histoire de pangolins."}}.dump(),
                          {{"Cookie", author}});
    REQUIRE(made.status == 201);
    auto id = made.json()["item"]["id"].get<long long>();
    REQUIRE(s.request("POST", "/api/library/items/" + std::to_string(id) + "/publish", R"({"version":1})", {{"Cookie", admin}}).status == 200);
    REQUIRE(eventually_found(s, admin, "pangolins", id));
    auto hit_org = [&](const std::string& params) {
        auto body = search(s, admin, params);
        for (const auto& h : body["hits"])
            if (h["id"].get<long long>() == id) return h.value("organisation", json()).is_null() ? std::string("(none)") : h["organisation"].get<std::string>();
        return std::string("(not found)");
    };
    CHECK(hit_org("q=pangolins") == "CPTS du Pévèle (test)");
    // Renamed and retyped: the hit and the facet follow (the indexer works in the background).
    REQUIRE(s.request("PATCH", "/api/admin/orgs/" + std::to_string(org), json{{"name", "Association du Pévèle (test)"}, {"type", "autre"}}.dump(),
                      {{"Cookie", admin}}).status == 200);
    bool renamed = false;
    for (int i = 0; i < 100 && !renamed; ++i) {
        renamed = hit_org("q=pangolins") == "Association du Pévèle (test)";
        if (!renamed) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    CHECK(renamed);
    CHECK(hit_org("q=pangolins&org_type=autre") == "Association du Pévèle (test)");
    CHECK(hit_org("q=pangolins&org_type=cpts") == "(not found)");
    // Deleted (its member moved out first): the fiche no longer names it.
    auto users = s.request("GET", "/api/admin/users", {}, {{"Cookie", admin}}).json()["users"];
    for (const auto& u : users)
        if (u["email"] == "coord@pevele.test")
            REQUIRE(s.request("PATCH", "/api/admin/users/" + std::to_string(u["id"].get<long long>()), R"({"org_id":null})", {{"Cookie", admin}})
                        .status == 200);
    REQUIRE(s.request("DELETE", "/api/admin/orgs/" + std::to_string(org), {}, {{"Cookie", admin}}).status == 204);
    bool gone = false;
    for (int i = 0; i < 100 && !gone; ++i) {
        gone = hit_org("q=pangolins") == "(none)" || hit_org("q=pangolins") == "";
        if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    CHECK(gone);
    CHECK(hit_org("q=pangolins&org_type=autre") == "(not found)");
}

TEST_CASE("library: a workshop report is filed as a compte rendu, again as a new version", "[library]") {
    server s;
    auto admin = s.login_admin();
    auto member = s.make_user(admin, "membre@x.fr", "membre");
    auto created = s.request("POST", "/api/workshops",
                             json{{"title", "Atelier Ternois"}, {"subject", "Priorités du projet de santé"}, {"stage", "projet_sante"},
                                  {"template", "swot"}}.dump(),
                             {{"Cookie", admin}});
    REQUIRE(created.status == 201);
    const std::string w = "/api/workshops/" + std::to_string(created.json()["workshop"]["id"].get<long long>());
    CHECK(s.request("POST", w + "/report/library", {}, {{"Cookie", admin}}).status == 404);  // no report yet
    REQUIRE(s.request("POST", w + "/report", {}, {{"Cookie", admin}}).status == 201);
    CHECK(s.request("POST", w + "/report/library", {}, {{"Cookie", member}}).status == 403);  // not a facilitator
    auto filed = s.request("POST", w + "/report/library", {}, {{"Cookie", admin}});
    REQUIRE(filed.status == 201);
    auto id = filed.json()["item"]["id"].get<long long>();
    CHECK(filed.json()["item"]["state"] == "published");
    auto item = s.request("GET", "/api/library/items/" + std::to_string(id), {}, {{"Cookie", member}}).json()["item"];
    CHECK(item["kind"] == "compte_rendu");
    CHECK(item["title"] == "Compte rendu — Atelier Ternois");
    CHECK(item["phases"] == json::array({"projet_sante"}));
    CHECK(eventually_found(s, member, "Ternois", id));
    auto again = s.request("POST", w + "/report/library", {}, {{"Cookie", admin}});
    REQUIRE(again.status == 201);
    CHECK(again.json()["item"]["id"] == id);
    CHECK(again.json()["item"]["version"] == 2);
}

TEST_CASE("library attachments: files larger than the JSON body limit upload within the upload limit", "[library]") {
    server s;  // default limits: 1 MiB for JSON bodies, 10 MiB for uploads
    auto admin = s.login_admin();
    std::string big;
    while (big.size() < 3 * 1024 * 1024) big += "Le diagnostic territorial partagé par les professionnels. ";
    auto up = s.request("POST", "/api/library/files?name=gros.txt", big, {{"Cookie", admin}, {"Content-Type", "application/octet-stream"}});
    INFO(up.body);
    CHECK(up.status == 201);
    // JSON routes keep their own limit (1 MiB): refused from the announced length alone.
    auto refused = relais::test::raw_exchange(
        s.port(),
        "POST /api/library/items HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2097152\r\n\r\n",
        std::chrono::milliseconds(3000));
    CHECK(refused.data.find("413") != std::string::npos);
    // An upload is not even read without a session cookie, or from another site.
    auto anonymous = relais::test::raw_exchange(
        s.port(),
        "POST /api/library/files?name=a.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: " + s.origin() +
            "\r\nContent-Type: application/octet-stream\r\nContent-Length: 5000000\r\n\r\n",
        std::chrono::milliseconds(3000));
    CHECK(anonymous.data.find("401") != std::string::npos);
    auto foreign = relais::test::raw_exchange(
        s.port(),
        "POST /api/library/files?name=a.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://evil.example\r\nCookie: relais_session=x\r\n"
        "Content-Type: application/octet-stream\r\nContent-Length: 5000000\r\n\r\n",
        std::chrono::milliseconds(3000));
    CHECK(foreign.data.find("403") != std::string::npos);
}

// The library module's rows of the access matrix (test_access.cpp).
RELAIS_ACCESS_ROWS("library", [](relais::test::access_fixture&) {
    using relais::test::by_role;
    const std::string file = std::string(64, '0');
    return std::vector<relais::test::access_row>{
        {"GET", "/api/library/meta", "signed_in", "/api/library/meta", "", by_role(401, 200, 200, 200)},
        {"GET", "/api/library/search", "signed_in", "/api/library/search", "", by_role(401, 200, 200, 200)},
        {"GET", "/api/library/mine", "signed_in", "/api/library/mine", "", by_role(401, 200, 200, 200)},
        {"GET", "/api/library/review", "animateur", "/api/library/review", "", by_role(401, 403, 200, 200)},
        {"POST", "/api/library/items", "signed_in", "/api/library/items", "{}", by_role(401, 400, 400, 400)},
        {"POST", "/api/library/files", "signed_in", "/api/library/files", "{}", by_role(401, 400, 400, 400)},
        {"GET", "/api/library/items/{id}", "signed_in", "/api/library/items/999", "", by_role(401, 404, 404, 404)},
        {"PUT", "/api/library/items/{id}", "signed_in", "/api/library/items/999", "{}", by_role(401, 404, 404, 404)},
        {"GET", "/api/library/items/{id}/similar", "signed_in", "/api/library/items/999/similar", "", by_role(401, 404, 404, 404)},
        {"GET", "/api/library/items/{id}/diff", "signed_in", "/api/library/items/999/diff", "", by_role(401, 404, 404, 404)},
        {"GET", "/api/library/items/{id}/files/{sha256}", "signed_in", "/api/library/items/999/files/" + file, "",
         by_role(401, 404, 404, 404)},
        {"GET", "/api/library/items/{id}/files/{sha256}/preview.png", "signed_in", "/api/library/items/999/files/" + file + "/preview.png",
         "", by_role(401, 404, 404, 404)},
        {"GET", "/api/library/items/{id}/files/{sha256}/pages/{n}", "signed_in", "/api/library/items/999/files/" + file + "/pages/1.png",
         "", by_role(401, 404, 404, 404)},
        {"POST", "/api/library/items/{id}/publish", "animateur", "/api/library/items/999/publish", "{}", by_role(401, 403, 404, 404)},
        {"POST", "/api/library/items/{id}/reject", "animateur", "/api/library/items/999/reject", "{}", by_role(401, 403, 404, 404)},
        {"POST", "/api/library/items/{id}/archive", "animateur", "/api/library/items/999/archive", "{}", by_role(401, 403, 404, 404)},
        {"POST", "/api/admin/library/reindex", "admin", "/api/admin/library/reindex", "", by_role(401, 403, 403, 200)},
    };
});
