// The shared documentary watch through the real binary, against feed servers on
// loopback: seeded fields, owners, « tester la source », adding sources (with discovery
// from an HTML page), items deduplicated across feeds, qualification, coverage, and the
// access matrix of /api/watch.
#include "access_matrix.hpp"
#include "harness.hpp"

#include <catch2/catch.hpp>

#include "../fixtures/http_server.hpp"
#include "../fixtures/smtp_sink.hpp"

#include <fstream>
#include <future>
#include <set>
#include <thread>

using relais::test::server;
using json = nlohmann::json;

namespace {

std::string rss(const std::string& base) {
    return R"(<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>Actualités réglementaires</title><link>)" + base + R"(/</link>
<item><title>Décret n° 2026-12 relatif aux CPTS</title><link>)" + base + R"(/decret-12?utm_source=rss</link>
<guid>decret-12</guid><pubDate>Mon, 30 Nov 2026 09:00:00 +0100</pubDate>
<description>Le décret &lt;script&gt;alert(1)&lt;/script&gt; précise les missions.</description></item>
<item><title>Avenant 2 à l'ACI</title><link>)" + base + R"(/avenant-2</link><guid>avenant-2</guid>
<pubDate>Fri, 27 Nov 2026 10:00:00 +0100</pubDate>)" +
           R"X(<content:encoded><![CDATA[<p onclick="x()">Texte <a href="javascript:alert(1)">piégé</a> <b>important</b></p>]]></content:encoded></item>
</channel></rss>)X";
}

std::string atom(const std::string& base) {
    return R"(<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Benchmark</title><id>urn:b</id><updated>2026-11-30T10:00:00Z</updated>
<entry><title>Décret n° 2026-12 relatif aux CPTS</title><id>urn:b:1</id><link href=")" + base + R"(/decret-12"/>
<updated>2026-11-30T10:00:00Z</updated></entry>
<entry><title>Appel à projets FIR 2027</title><id>urn:b:2</id><link href=")" + base + R"(/fir-2027"/>
<updated>2026-11-29T10:00:00Z</updated></entry>
</feed>)";
}

struct feeds {
    std::atomic<int> conditional{0};
    relais::test::test_http_server http{[this](const relais::test::test_request& r) {
        auto base = "http://127.0.0.1:" + std::to_string(http.port());
        if (r.path == "/flux.xml") {
            if (r.header("if-none-match") == "\"v1\"") {
                ++conditional;
                return relais::test::canned{"HTTP/1.1 304 Not Modified\r\nConnection: close\r\n", ""};
            }
            return relais::test::reply(200, rss(base), "Content-Type: application/rss+xml\r\nETag: \"v1\"\r\n");
        }
        if (r.path == "/atom.xml") return relais::test::reply(200, atom(base), "Content-Type: application/atom+xml\r\n");
        if (r.path == "/page.html")
            return relais::test::reply(
                200,
                "<!doctype html><html><head><title>Site</title><link rel=\"alternate\" type=\"application/atom+xml\" "
                "title=\"Benchmark\" href=\"/atom.xml\"></head><body>Bonjour</body></html>",
                "Content-Type: text/html; charset=utf-8\r\n");
        if (r.path == "/pas-un-flux") return relais::test::reply(200, "{\"bonjour\": 1}", "Content-Type: application/json\r\n");
        return relais::test::reply(500, "panne");
    }};
    std::string url(const std::string& path) const { return http.url(path); }
};

/// A quoted-printable body decoded (soft line breaks joined, =XX bytes restored).
std::string unquote(const std::string& qp) {
    std::string out;
    for (std::size_t i = 0; i < qp.size(); ++i) {
        if (qp[i] != '=') {
            out += qp[i];
        } else if (i + 2 < qp.size() && qp[i + 1] == '\r' && qp[i + 2] == '\n') {
            i += 2;
        } else if (i + 2 < qp.size() && std::isxdigit(static_cast<unsigned char>(qp[i + 1])) &&
                   std::isxdigit(static_cast<unsigned char>(qp[i + 2]))) {
            out += static_cast<char>(std::stoi(qp.substr(i + 1, 2), nullptr, 16));
            i += 2;
        } else {
            out += qp[i];
        }
    }
    return out;
}

std::int64_t me(server& s, const std::string& cookie) {
    return s.request("GET", "/api/me", "", {{"Cookie", cookie}}).json()["user"]["id"].get<std::int64_t>();
}

std::int64_t field_id(server& s, const std::string& cookie, const std::string& slug) {
    auto all = s.request("GET", "/api/watch/fields", "", {{"Cookie", cookie}}).json();
    for (const auto& f : all["fields"])
        if (f["slug"] == slug) return f["id"].get<std::int64_t>();
    FAIL("no field " << slug);
    return 0;
}

}  // namespace

TEST_CASE("watch: seeded fields, owners, sources tested and added, items deduplicated, qualified, coverage", "[watch]") {
    feeds f;
    relais::test::smtp_sink sink;
    server s({"--set", "outbound.allow_loopback=true", "--set", "mail.smtp_host=127.0.0.1", "--set",
              "mail.smtp_port=" + std::to_string(sink.port()), "--set", "mail.smtp_tls=none", "--set",
              "mail.from_address=veille@reseau-cpts.test", "--set", "mail.interval_s=1"});
    auto admin = s.login_admin();
    auto owner = s.make_user(admin, "veilleuse@cpam.test", "membre");
    auto bystander = s.make_user(admin, "passant@cpam.test", "membre");
    auto owner_id = me(s, owner);

    // The seeded fields, each saying what to add while it has no source.
    auto fields = s.request("GET", "/api/watch/fields", "", {{"Cookie", bystander}});
    REQUIRE(fields.status == 200);
    std::set<std::string> slugs;
    auto listed = fields.json();  // (a named value: range-for over a temporary's member dangles)
    for (const auto& fl : listed["fields"]) {
        slugs.insert(fl["slug"].get<std::string>());
        CHECK_FALSE(fl["source_hint"].get<std::string>().empty());
    }
    CHECK(slugs == std::set<std::string>{"reglementation", "benchmark", "outils-numeriques", "financements", "prevention",
                                         "parcours", "demographie"});
    auto reg = field_id(s, admin, "reglementation");
    auto bench = field_id(s, admin, "benchmark");
    auto coverage = s.request("GET", "/api/watch/coverage", "", {{"Cookie", bystander}}).json();
    for (const auto& row : coverage["fields"]) {
        std::set<std::string> codes;
        for (const auto& fl : row["flags"]) codes.insert(fl["code"].get<std::string>());
        CHECK(codes.count("sans_responsable") == 1);
        CHECK(codes.count("sans_source") == 1);
    }

    // Owners are set by animateurs and administrators.
    auto owners_body = json{{"owners", {{{"user_id", owner_id}, {"role", "owner"}}}}}.dump();
    CHECK(s.request("PUT", "/api/watch/fields/" + std::to_string(reg) + "/owners", owners_body, {{"Cookie", owner}}).status == 403);
    auto set = s.request("PUT", "/api/watch/fields/" + std::to_string(reg) + "/owners", owners_body, {{"Cookie", admin}});
    REQUIRE(set.status == 200);
    CHECK(set.json()["field"]["owners"][0]["user_id"] == owner_id);
    CHECK(set.json()["field"]["owners"][0]["active"] == true);
    CHECK(s.request("PUT", "/api/watch/fields/" + std::to_string(reg) + "/owners",
                    json{{"owners", {{{"user_id", 99999}}}}}.dump(), {{"Cookie", admin}})
              .error_code() == "champ_invalide");

    // « Tester la source »: what would be imported, sanitised, nothing saved.
    auto tested = s.request("POST", "/api/watch/sources/test", json{{"url", f.url("/flux.xml")}}.dump(), {{"Cookie", bystander}});
    REQUIRE(tested.status == 200);
    auto t = tested.json();
    REQUIRE(t["ok"] == true);
    CHECK(t["feed"]["title"] == "Actualités réglementaires");
    REQUIRE(t["feed"]["items"].size() == 2);
    CHECK(tested.body.find("<script") == std::string::npos);
    CHECK(tested.body.find("javascript:") == std::string::npos);
    CHECK(tested.body.find("onclick") == std::string::npos);
    auto bad = s.request("POST", "/api/watch/sources/test", json{{"url", f.url("/panne")}}.dump(), {{"Cookie", bystander}}).json();
    CHECK(bad["ok"] == false);
    CHECK_FALSE(bad["error"]["message"].get<std::string>().empty());
    auto page = s.request("POST", "/api/watch/sources/test", json{{"url", f.url("/page.html")}}.dump(), {{"Cookie", bystander}}).json();
    CHECK(page["ok"] == false);
    REQUIRE(page["feeds"].size() == 1);
    CHECK(page["feeds"][0]["url"] == f.url("/atom.xml"));
    CHECK(s.request("POST", "/api/watch/sources/test", json{{"url", "ftp://exemple.fr/flux"}}.dump(), {{"Cookie", bystander}})
              .error_code() == "champ_invalide");
    CHECK(s.request("GET", "/api/watch/sources", "", {{"Cookie", admin}}).json()["sources"].empty());

    // Adding: only those who curate the field; a failing URL adds nothing.
    auto add = [&](std::int64_t field, const std::string& cookie, const std::string& url) {
        return s.request("POST", "/api/watch/fields/" + std::to_string(field) + "/sources", json{{"url", url}}.dump(),
                         {{"Cookie", cookie}});
    };
    CHECK(add(reg, bystander, f.url("/flux.xml")).error_code() == "pas_responsable");
    CHECK(add(reg, owner, f.url("/panne")).error_code() == "source_injoignable");
    CHECK(add(reg, owner, f.url("/pas-un-flux")).error_code() == "flux_illisible");
    auto added = add(reg, owner, f.url("/flux.xml"));
    REQUIRE(added.status == 201);
    CHECK(add(reg, owner, f.url("/flux.xml")).error_code() == "source_existante");
    // An HTML page with one feed: that feed is added.
    auto discovered = add(reg, owner, f.url("/page.html"));
    REQUIRE(discovered.status == 201);
    auto sources = s.request("GET", "/api/watch/sources", "", {{"Cookie", admin}}).json()["sources"];
    REQUIRE(sources.size() == 2);
    std::set<std::string> urls;
    for (const auto& src : sources) {
        urls.insert(src["url"].get<std::string>());
        // The list has every key of `Source`, as a field's sources do.
        for (const char* key : {"id", "url", "title", "site_url", "format", "interval_s", "field_ids", "status", "last_success_at",
                                "next_fetch_at", "last_fetch_at", "failures"})
            CHECK(src.contains(key));
    }
    CHECK(urls == std::set<std::string>{f.url("/flux.xml"), f.url("/atom.xml")});
    // The benchmark field follows the Atom feed too: one source, two fields.
    REQUIRE(add(bench, admin, f.url("/atom.xml")).status == 201);
    CHECK(s.request("GET", "/api/watch/sources", "", {{"Cookie", admin}}).json()["sources"].size() == 2);

    // A source renamed and fetched less often by who curates a field that follows it; its
    // title stays what was chosen (fetches do not overwrite it).
    {
        const auto src = "/api/watch/sources/" + std::to_string(added.json()["source_id"].get<std::int64_t>());
        CHECK(s.request("PATCH", src, json{{"title", "Autre nom"}}.dump(), {{"Cookie", bystander}}).error_code() == "pas_responsable");
        for (const auto& bad : {json{{"title", "  "}}, json{{"title", nullptr}}, json{{"title", "deux\nlignes"}},
                                json{{"title", std::string(201, 'a')}}, json{{"interval_minutes", 1}}, json{{"interval_minutes", 10081}},
                                json{{"interval_minutes", "60"}}}) {
            auto r = s.request("PATCH", src, bad.dump(), {{"Cookie", owner}});
            CHECK(r.status == 400);
            CHECK(r.error_code() == "champ_invalide");
        }
        CHECK(s.request("PATCH", "/api/watch/sources/99999", json{{"title", "x"}}.dump(), {{"Cookie", owner}}).status == 404);
        auto renamed = s.request("PATCH", src, json{{"title", "  Journal officiel (CPTS)  "}, {"interval_minutes", 180}}.dump(), {{"Cookie", owner}});
        REQUIRE(renamed.status == 200);
        CHECK(renamed.json()["source"]["title"] == "Journal officiel (CPTS)");
        CHECK(renamed.json()["source"]["interval_s"] == 180 * 60);
        auto listed = s.request("GET", "/api/watch/fields/" + std::to_string(reg), "", {{"Cookie", bystander}}).json()["field"]["sources"];
        bool seen = false;
        for (const auto& x : listed) seen = seen || x["title"] == "Journal officiel (CPTS)";
        CHECK(seen);
    }

    // The inbox: the decree carried by both feeds is one item with two sources.
    for (const char* bad : {"limit=0", "limit=201", "limit=x", "before=0", "before=-1"})
        CHECK(s.request("GET", "/api/watch/fields/" + std::to_string(reg) + "/items?" + bad, "", {{"Cookie", bystander}}).error_code() ==
              "champ_invalide");
    auto inbox = s.request("GET", "/api/watch/fields/" + std::to_string(reg) + "/items?state=new", "", {{"Cookie", bystander}});
    REQUIRE(inbox.status == 200);
    auto items = inbox.json()["items"];
    REQUIRE(items.size() == 3);
    json decree;
    for (const auto& i : items)
        if (i["title"] == "Décret n° 2026-12 relatif aux CPTS") decree = i;
    REQUIRE(decree.is_object());
    CHECK(decree["sources"].size() == 2);
    CHECK(inbox.body.find("<script") == std::string::npos);
    CHECK(s.request("GET", "/api/watch/fields/" + std::to_string(bench) + "/items", "", {{"Cookie", bystander}})
              .json()["items"]
              .size() == 2);

    // The bystander follows the field: told when something is retained.
    CHECK(s.request("PUT", "/api/watch/fields/" + std::to_string(reg) + "/follow", json{{"following", true}}.dump(),
                    {{"Cookie", bystander}})
              .status == 200);
    CHECK(s.request("GET", "/api/watch/fields/" + std::to_string(reg), "", {{"Cookie", bystander}}).json()["field"]["following"] ==
          true);

    // Qualifying: the owner retains it with what to remember; a stale version is refused.
    auto target = "/api/watch/fields/" + std::to_string(reg) + "/items/" + std::to_string(decree["id"].get<std::int64_t>());
    json q = {{"state", "kept"}, {"summary", "Les missions socles sont précisées."}, {"importance", 3}, {"tags", {"ACI"}},
              {"version", decree["version"]}};
    CHECK(s.request("POST", target, q.dump(), {{"Cookie", bystander}}).error_code() == "pas_responsable");
    // A tag with a control or bidi character, a line break or only spaces is refused, and nothing changes.
    for (const char* bad : {"a\x01", "ab\u202Ecd", "deux\nlignes", "   "}) {
        auto wrong = q;
        wrong["tags"] = {bad};
        auto r = s.request("POST", target, wrong.dump(), {{"Cookie", owner}});
        CHECK(r.status == 400);
        CHECK(r.json()["error"]["field"] == "tags");
    }
    auto kept = s.request("POST", target, q.dump(), {{"Cookie", owner}});
    REQUIRE(kept.status == 200);
    CHECK(kept.json()["item"]["state"] == "kept");
    CHECK(s.request("POST", target, q.dump(), {{"Cookie", owner}}).error_code() == "veille_modifiee");
    // Filed in the library as a "veille" fiche (waiting for review: a member filed it), and
    // the follower has a notice.
    auto filed = kept.json()["item"]["library"];
    REQUIRE(filed.is_object());
    CHECK(filed["state"] == "pending");
    auto mine = s.request("GET", "/api/library/mine", "", {{"Cookie", owner}}).json()["items"];
    REQUIRE(mine.size() == 1);
    CHECK(mine[0]["title"] == "Décret n° 2026-12 relatif aux CPTS");
    CHECK(mine[0]["kind"] == "veille");
    auto notices = s.request("GET", "/api/notifications", "", {{"Cookie", bystander}}).json()["notifications"];
    REQUIRE(notices.size() == 1);
    CHECK(notices[0]["kind"] == "watch.kept");
    CHECK(notices[0]["body"] == "Les missions socles sont précisées.");
    CHECK(s.request("GET", "/api/notifications", "", {{"Cookie", owner}}).json()["notifications"].empty());
    // Put back among the items to sort, its fiche is withdrawn (archived); retained again,
    // the same fiche is back with a new version.
    {
        const auto fiche = "/api/library/items/" + std::to_string(filed["id"].get<std::int64_t>());
        auto back = s.request("POST", target, json{{"state", "new"}, {"version", kept.json()["item"]["version"]}}.dump(), {{"Cookie", owner}});
        REQUIRE(back.status == 200);
        CHECK(back.json()["item"]["library"] == json({{"id", filed["id"]}, {"archived", true}}));
        CHECK(s.request("GET", fiche, "", {{"Cookie", owner}}).json()["item"]["archived"] == true);
        auto retain = q;
        retain["version"] = back.json()["item"]["version"];
        auto again = s.request("POST", target, retain.dump(), {{"Cookie", owner}});
        REQUIRE(again.status == 200);
        CHECK(again.json()["item"]["library"]["id"] == filed["id"]);
        CHECK(again.json()["item"]["library"]["version"] == 2);
        auto read = s.request("GET", fiche, "", {{"Cookie", owner}}).json()["item"];
        CHECK(read["archived"] == false);
        CHECK(read["latest_version"] == 2);
        kept = again;
    }
    auto kept_list = s.request("GET", "/api/watch/fields/" + std::to_string(reg) + "/items?state=kept", "", {{"Cookie", bystander}});
    REQUIRE(kept_list.json()["items"].size() == 1);
    CHECK(kept_list.json()["items"][0]["summary"] == "Les missions socles sont précisées.");
    // Read by who qualified it, not by anyone else.
    CHECK(kept_list.json()["items"][0]["read"] == false);
    auto owners_view = s.request("GET", "/api/watch/fields/" + std::to_string(reg) + "/items?state=kept", "", {{"Cookie", owner}});
    CHECK(owners_view.json()["items"][0]["read"] == true);
    CHECK(s.request("GET", "/api/watch/fields/" + std::to_string(reg) + "/items?state=tout", "", {{"Cookie", bystander}})
              .error_code() == "champ_invalide");

    // Coverage: the field has an owner, sources and something retained.
    coverage = s.request("GET", "/api/watch/coverage", "", {{"Cookie", bystander}}).json();
    for (const auto& row : coverage["fields"]) {
        if (row["id"] != reg) continue;
        CHECK(row["flags"].empty());
        CHECK(row["kept_30d"] == 1);
        CHECK(row["waiting"]["count"] == 2);
        CHECK(row["sources"] == 2);
    }

    // A member posts a note and a link by hand (the link's title read from the page).
    auto posted = s.request("POST", "/api/watch/fields/" + std::to_string(bench) + "/items",
                            json{{"kind", "note"}, {"title", "Retour de la CPTS du Ternois"}, {"text", "Leur <b>diagnostic</b> partagé."}}.dump(),
                            {{"Cookie", bystander}});
    REQUIRE(posted.status == 201);
    // A note's lines stay lines, its blank lines make paragraphs, its text stays text.
    REQUIRE(s.request("POST", "/api/watch/fields/" + std::to_string(bench) + "/items",
                      json{{"kind", "note"}, {"title", "Compte rendu en deux lignes"}, {"text", "ligne 1\nligne <2>\n\nparagraphe"}}.dump(),
                      {{"Cookie", bystander}})
                .status == 201);
    bool found_note = false;
    auto bench_items = s.request("GET", "/api/watch/fields/" + std::to_string(bench) + "/items?limit=200", "", {{"Cookie", bystander}}).json();
    for (const auto& i : bench_items["items"])
        if (i["title"] == "Compte rendu en deux lignes") {
            found_note = true;
            CHECK(i["summary_html"] == "<p>ligne 1<br>ligne &lt;2&gt;</p><p>paragraphe</p>");
        }
    CHECK(found_note);
    auto link = s.request("POST", "/api/watch/fields/" + std::to_string(bench) + "/items",
                          json{{"kind", "link"}, {"url", f.url("/page.html")}}.dump(), {{"Cookie", bystander}});
    REQUIRE(link.status == 201);
    CHECK(link.json()["title"] == "Site");
    CHECK(s.request("POST", "/api/watch/fields/" + std::to_string(bench) + "/items", json{{"kind", "note"}}.dump(),
                    {{"Cookie", bystander}})
              .error_code() == "champ_invalide");
    for (const char* unreachable : {"javascript:alert(1)", "exemple.fr:99999/x", "a b.example/x"})
        CHECK(s.request("POST", "/api/watch/fields/" + std::to_string(bench) + "/items", json{{"kind", "link"}, {"url", unreachable}}.dump(),
                        {{"Cookie", bystander}})
                  .error_code() == "champ_invalide");
    // The same link again, under another title: the item it already is, with its title.
    auto link_again = s.request("POST", "/api/watch/fields/" + std::to_string(bench) + "/items",
                                json{{"kind", "link"}, {"url", f.url("/page.html")}, {"title", "Autre titre"}}.dump(),
                                {{"Cookie", bystander}});
    CHECK(link_again.json()["item_id"] == link.json()["item_id"]);
    CHECK(link_again.json()["title"] == "Site");
    auto bench_inbox = s.request("GET", "/api/watch/fields/" + std::to_string(bench) + "/items", "", {{"Cookie", bystander}});
    CHECK(bench_inbox.json()["items"].size() == 5);  // with the note in lines above
    CHECK(bench_inbox.body.find("<b>") == std::string::npos);  // a note's text is escaped
    // Who posted a link or a note says so; a feed item has no poster.
    int by_hand = 0;
    const auto inbox_items = bench_inbox.json()["items"];  // a copy: never range over a temporary's member
    for (const auto& it : inbox_items) {
        INFO(it["kind"] << " " << it["title"]);
        if (it["kind"] == "feed") {
            CHECK(it["posted_by"].is_null());
        } else {
            ++by_hand;
            CHECK(it["posted_by"]["name"] == "Test membre");
        }
    }
    CHECK(by_hand >= 1);

    // Anyone signed in comments; the item counts its comments.
    auto comments_url = "/api/watch/fields/" + std::to_string(reg) + "/items/" + std::to_string(decree["id"].get<std::int64_t>()) + "/comments";
    auto commented = s.request("POST", comments_url, json{{"body", "À relayer à la CPTS du Ternois <b>vite</b>"}}.dump(),
                               {{"Cookie", bystander}});
    REQUIRE(commented.status == 201);
    CHECK(commented.json()["comments"][0]["author"] == "Test membre");
    CHECK(commented.json()["comments"][0]["body"] == "À relayer à la CPTS du Ternois <b>vite</b>");
    CHECK(s.request("POST", comments_url, json{{"body", "   "}}.dump(), {{"Cookie", bystander}}).error_code() == "champ_invalide");
    CHECK(s.request("POST", comments_url, json{{"body", std::string(2001, 'x')}}.dump(), {{"Cookie", bystander}}).error_code() ==
          "champ_invalide");
    CHECK(s.request("GET", comments_url, "", {{"Cookie", owner}}).json()["comments"].size() == 1);

    // Reading: each person's own read state and favourites.
    auto mark = [&](const std::string& cookie, std::int64_t item, json body) {
        return s.request("POST", "/api/watch/items/" + std::to_string(item) + "/mark", body.dump(), {{"Cookie", cookie}});
    };
    auto decree_id = decree["id"].get<std::int64_t>();
    CHECK(mark(bystander, decree_id, {{"read", true}, {"favourite", true}}).status == 200);
    CHECK(mark(bystander, decree_id, {{"read", "oui"}}).error_code() == "champ_invalide");
    CHECK(mark(bystander, decree_id, json::object()).error_code() == "champ_invalide");
    auto as_seen = [&](const std::string& cookie) {
        auto kept_page = s.request("GET", "/api/watch/fields/" + std::to_string(reg) + "/items?state=kept", "", {{"Cookie", cookie}}).json();
        return kept_page["items"][0];
    };
    CHECK(as_seen(bystander)["read"] == true);
    CHECK(as_seen(bystander)["comments"] == 1);
    CHECK(as_seen(bystander)["favourite"] == true);
    CHECK(as_seen(owner)["read"] == true);    // who retained it read it
    CHECK(as_seen(admin)["read"] == false);   // each person's own state
    auto favs = s.request("GET", "/api/watch/favourites", "", {{"Cookie", bystander}}).json()["items"];
    REQUIRE(favs.size() == 1);
    CHECK(favs[0]["fields"][0]["id"] == reg);
    CHECK(mark(bystander, decree_id, {{"read", false}}).status == 200);
    CHECK(as_seen(bystander)["read"] == false);
    CHECK(as_seen(bystander)["favourite"] == true);

    // « Non lus seulement » and « Tout marquer comme lu »: the caller's own reading.
    auto inbox_of = [&](const std::string& query) {
        return s.request("GET", "/api/watch/fields/" + std::to_string(bench) + "/items" + query, "", {{"Cookie", bystander}}).json();
    };
    auto everything = inbox_of("");
    auto all_new = everything["items"].size();
    REQUIRE(all_new >= 2);
    CHECK(everything["counts"]["unread"] == all_new);
    CHECK(mark(bystander, everything["items"][0]["id"].get<std::int64_t>(), {{"read", true}}).status == 200);
    auto unread_page = inbox_of("?unread=true");
    CHECK(unread_page["items"].size() == all_new - 1);
    CHECK(unread_page["counts"]["unread"] == all_new - 1);
    CHECK(unread_page["unread_only"] == true);
    CHECK(s.request("GET", "/api/watch/fields/" + std::to_string(bench) + "/items?unread=peut-etre", "", {{"Cookie", bystander}})
              .error_code() == "champ_invalide");
    auto read_url = "/api/watch/fields/" + std::to_string(bench) + "/read";
    CHECK(s.request("POST", read_url, json{{"state", "lus"}}.dump(), {{"Cookie", bystander}}).error_code() == "champ_invalide");
    CHECK(s.request("POST", read_url, json{{"up_to", "x"}}.dump(), {{"Cookie", bystander}}).error_code() == "champ_invalide");
    auto owner_unread = [&] {
        return s.request("GET", "/api/watch/fields/" + std::to_string(bench) + "/items?unread=true", "", {{"Cookie", owner}})
            .json()["counts"]["unread"];
    };
    auto owner_before = owner_unread();
    // Up to the second item of the page: it and what follows it in the list (older) are read.
    auto second = everything["items"][1]["id"].get<std::int64_t>();
    auto marked = s.request("POST", read_url, json{{"up_to", second}}.dump(), {{"Cookie", bystander}});
    REQUIRE(marked.status == 200);
    CHECK(marked.json()["marked"] == all_new - 1);
    CHECK(inbox_of("?unread=1")["items"].empty());
    CHECK(s.request("POST", read_url, "{}", {{"Cookie", bystander}}).json()["marked"] == 0);
    // Someone else's reading is untouched.
    CHECK(owner_unread() == owner_before);

    // OPML: the field's sources exported, imported into another field (the file as is).
    auto exported = s.request("GET", "/api/watch/fields/" + std::to_string(reg) + "/opml", "", {{"Cookie", bystander}});
    REQUIRE(exported.status == 200);
    CHECK(exported.header("content-type").rfind("text/x-opml", 0) == 0);
    CHECK(exported.body.find(f.url("/flux.xml")) != std::string::npos);
    auto parcours = field_id(s, admin, "parcours");
    auto imported = s.request("POST", "/api/watch/fields/" + std::to_string(parcours) + "/opml", exported.body,
                              {{"Cookie", admin}, {"Content-Type", "application/octet-stream"}});
    REQUIRE(imported.status == 200);
    CHECK(imported.json()["added"] == 2);
    CHECK(imported.json()["already"] == 0);
    auto again = s.request("POST", "/api/watch/fields/" + std::to_string(parcours) + "/opml", json{{"opml", exported.body}}.dump(),
                           {{"Cookie", admin}});
    CHECK(again.json()["already"] == 2);
    CHECK(s.request("POST", "/api/watch/fields/" + std::to_string(parcours) + "/opml", "<rss/>",
                    {{"Cookie", admin}, {"Content-Type", "application/octet-stream"}})
              .error_code() == "opml_illisible");
    CHECK(s.request("POST", "/api/watch/fields/" + std::to_string(parcours) + "/opml", exported.body,
                    {{"Cookie", bystander}, {"Content-Type", "application/octet-stream"}})
              .error_code() == "pas_responsable");
    // Shared: still two sources in all, now each in two fields.
    CHECK(s.request("GET", "/api/watch/sources", "", {{"Cookie", admin}}).json()["sources"].size() == 2);
    // Addresses of the server's own network are invalid in a list, as they are by hand
    // (loopback is allowed in these tests; private, link-local and other spellings are not).
    const std::string internal =
        R"(<opml version="2.0"><body><outline type="rss" xmlUrl="http://169.254.169.254/latest/"/>)"
        R"(<outline type="rss" xmlUrl="http://10.1.2.3/flux.xml"/><outline type="rss" xmlUrl="http://[fd00::1]/flux"/>)"
        R"(<outline type="rss" xmlUrl="http://2130706433/flux"/><outline type="rss" xmlUrl="https://flux.example.invalid/rss.xml"/></body></opml>)";
    auto guarded = s.request("POST", "/api/watch/fields/" + std::to_string(parcours) + "/opml", json{{"opml", internal}}.dump(),
                             {{"Cookie", admin}});
    REQUIRE(guarded.status == 200);
    CHECK(guarded.json()["added"] == 1);
    CHECK(guarded.json()["invalid"] == 4);
    const auto sources_now = s.request("GET", "/api/watch/sources", "", {{"Cookie", admin}}).json();  // kept: iterated below
    for (const auto& src : sources_now["sources"])
        CHECK(src["url"].get<std::string>().find("169.254") == std::string::npos);

    // Digests: subscribers get the week's retained items by e-mail; archived, filed in the library.
    CHECK(s.request("PUT", "/api/watch/subscription", json{{"frequency", "weekly"}}.dump(), {{"Cookie", bystander}}).status == 200);
    CHECK(s.request("PUT", "/api/watch/subscription", json{{"frequency", "monthly"}, {"field_ids", {reg}}}.dump(), {{"Cookie", owner}})
              .status == 200);
    CHECK(s.request("PUT", "/api/watch/subscription", json{{"frequency", "daily"}}.dump(), {{"Cookie", owner}}).error_code() ==
          "champ_invalide");
    CHECK(s.request("GET", "/api/watch/subscription", "", {{"Cookie", owner}}).json()["field_ids"] == json{reg});
    // The same field twice is once; a field that does not exist is refused, for a letter too.
    CHECK(s.request("PUT", "/api/watch/subscription", json{{"frequency", "monthly"}, {"field_ids", {reg, reg}}}.dump(), {{"Cookie", owner}})
              .json()["field_ids"] == json{reg});
    CHECK(s.request("POST", "/api/watch/digests/preview", json{{"field_ids", {999999}}}.dump(), {{"Cookie", admin}}).error_code() ==
          "champ_invalide");
    CHECK(s.request("POST", "/api/watch/digests", json{{"field_ids", {999999}}, {"send", true}}.dump(), {{"Cookie", admin}}).error_code() ==
          "champ_invalide");
    json letter = {{"title", "Lettre de veille de décembre"}, {"intro", "Bonjour à toutes et à tous.\n\nVoici l'essentiel."}};
    auto preview = s.request("POST", "/api/watch/digests/preview", letter.dump(), {{"Cookie", admin}});
    REQUIRE(preview.status == 200);
    CHECK(preview.json()["items"] == 1);
    auto html = preview.json()["html"].get<std::string>();
    CHECK(html.find("Les missions socles sont précisées.") != std::string::npos);
    CHECK(html.find("Décret n° 2026-12 relatif aux CPTS") != std::string::npos);
    CHECK(html.find("<script") == std::string::npos);
    CHECK(html.find("<link") == std::string::npos);  // no external resource
    CHECK(preview.json()["markdown"].get<std::string>().find("## Réglementation") != std::string::npos);
    CHECK(s.request("POST", "/api/watch/digests/preview", letter.dump(), {{"Cookie", owner}}).status == 403);
    CHECK(s.request("POST", "/api/watch/digests/preview", json{{"from", "2026-02-31"}}.dump(), {{"Cookie", admin}}).error_code() ==
          "champ_invalide");
    // A period backwards, in the future or too long: refused with what to change, naming `from`.
    for (const auto& [period, words] : std::vector<std::pair<json, std::string>>{
             {{{"from", "2026-03-10"}, {"to", "2026-03-01"}}, "précéder"},
             {{{"from", "2099-01-01"}}, "futur"},
             {{{"from", "2020-01-01"}, {"to", "2022-01-01"}}, "400 jours"}}) {
        auto r = s.request("POST", "/api/watch/digests/preview", period.dump(), {{"Cookie", admin}});
        CHECK(r.error_code() == "champ_invalide");
        CHECK(r.json()["error"]["field"] == "from");
        CHECK(r.json()["error"]["message"].get<std::string>().find(words) != std::string::npos);
    }
    letter["send"] = true;
    auto sent = s.request("POST", "/api/watch/digests", letter.dump(), {{"Cookie", admin}});
    REQUIRE(sent.status == 201);
    CHECK(sent.json()["digest"]["recipients"] == 2);
    CHECK(sent.json()["digest"]["library"]["state"] == "published");
    auto archive = s.request("GET", "/api/watch/digests", "", {{"Cookie", bystander}}).json()["digests"];
    REQUIRE(archive.size() == 1);
    CHECK(archive[0]["title"] == "Lettre de veille de décembre");
    CHECK(s.request("GET", "/api/watch/digests/" + std::to_string(archive[0]["id"].get<std::int64_t>()), "", {{"Cookie", bystander}})
              .json()["digest"]["html"]
              .get<std::string>()
              .find("Voici l&#39;essentiel.") != std::string::npos);
    // (The sink also holds the reviewers' notice of the fiche the owner filed.)
    std::vector<std::string> letters;
    for (int i = 0; i < 200 && letters.size() < 2; ++i) {
        letters.clear();
        for (const auto& m : sink.received())
            if (auto body = unquote(m.data); body.find("desabonnement?jeton=") != std::string::npos) letters.push_back(body);
        if (letters.size() < 2) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    REQUIRE(letters.size() == 2);
    std::string token;
    for (const auto& body : letters) {
        CHECK(body.find("Lettre de veille de décembre") != std::string::npos);
        CHECK(body.find("Les missions socles sont précisées.") != std::string::npos);
        auto at = body.find("desabonnement?jeton=");
        REQUIRE(at != std::string::npos);
        if (token.empty()) token = body.substr(at + 20, body.find_first_of("\r\n\" <", at + 20) - at - 20);
    }
    // One click from the e-mail, no session: unsubscribed; the same link again: 404.
    auto out = s.request("POST", "/api/watch/unsubscribe", json{{"token", token}}.dump());
    CHECK(out.status == 200);
    CHECK(s.request("POST", "/api/watch/unsubscribe", json{{"token", token}}.dump()).status == 404);

    // « Actualiser maintenant »: the fetch job asks again with the validators it got (304).
    CHECK(f.conditional == 0);
    std::int64_t flux_id = 0;
    auto all_sources = s.request("GET", "/api/watch/sources", "", {{"Cookie", admin}}).json();
    for (const auto& src : all_sources["sources"])
        if (src["url"] == f.url("/flux.xml")) flux_id = src["id"].get<std::int64_t>();
    CHECK(s.request("POST", "/api/watch/sources/" + std::to_string(flux_id) + "/refresh", "", {{"Cookie", owner}}).status == 403);
    CHECK(s.request("POST", "/api/watch/sources/" + std::to_string(flux_id) + "/refresh", "", {{"Cookie", admin}}).status == 202);
    for (int i = 0; i < 100 && f.conditional == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    CHECK(f.conditional == 1);
    s.request("PATCH", "/api/watch/fields/" + std::to_string(reg), json{{"description", "Textes officiels"}}.dump(),
              {{"Cookie", admin}});
    CHECK(s.request("GET", "/api/watch/fields/" + std::to_string(reg), "", {{"Cookie", bystander}}).json()["field"]["description"] ==
          "Textes officiels");
    // Absent leaves it; "" (or null) clears it.
    s.request("PATCH", "/api/watch/fields/" + std::to_string(reg), json{{"name", "Réglementation"}}.dump(), {{"Cookie", admin}});
    CHECK(s.request("GET", "/api/watch/fields/" + std::to_string(reg), "", {{"Cookie", bystander}}).json()["field"]["description"] ==
          "Textes officiels");
    s.request("PATCH", "/api/watch/fields/" + std::to_string(reg), json{{"description", ""}, {"source_hint", nullptr}}.dump(),
              {{"Cookie", admin}});
    auto cleared = s.request("GET", "/api/watch/fields/" + std::to_string(reg), "", {{"Cookie", bystander}}).json()["field"];
    CHECK(cleared["description"] == "");
    CHECK(cleared["source_hint"] == "");
}

RELAIS_ACCESS_ROWS("watch", [](relais::test::access_fixture&) {
    using relais::test::all;
    using relais::test::by_role;
    return std::vector<relais::test::access_row>{
        {"GET", "/api/watch/fields", "signed_in", "/api/watch/fields", "", by_role(401, 200, 200, 200)},
        {"POST", "/api/watch/fields", "admin", "/api/watch/fields", "{}", by_role(401, 403, 403, 400)},
        {"GET", "/api/watch/fields/{id}", "signed_in", "/api/watch/fields/999", "", by_role(401, 404, 404, 404)},
        {"PATCH", "/api/watch/fields/{id}", "animateur", "/api/watch/fields/999", "{}", by_role(401, 403, 404, 404)},
        {"PUT", "/api/watch/fields/{id}/owners", "animateur", "/api/watch/fields/999/owners", "{\"owners\":[]}",
         by_role(401, 403, 404, 404)},
        {"POST", "/api/watch/sources/test", "signed_in", "/api/watch/sources/test", "{}", by_role(401, 400, 400, 400)},
        {"GET", "/api/watch/sources", "signed_in", "/api/watch/sources", "", by_role(401, 200, 200, 200)},
        {"GET", "/api/watch/image", "signed_in", "/api/watch/image?u=https%3A%2F%2Fx.test%2Fa.png&s=0", "",
         by_role(401, 404, 404, 404)},
        {"POST", "/api/watch/fields/{id}/sources", "signed_in", "/api/watch/fields/999/sources", "{}", by_role(401, 400, 400, 400)},
        {"DELETE", "/api/watch/fields/{id}/sources/{source_id}", "signed_in", "/api/watch/fields/999/sources/1", "",
         by_role(401, 403, 404, 404)},
        {"POST", "/api/watch/fields/{id}/items", "signed_in", "/api/watch/fields/999/items", "{}", by_role(401, 400, 400, 400)},
        {"GET", "/api/watch/fields/{id}/items", "signed_in", "/api/watch/fields/999/items", "", by_role(401, 404, 404, 404)},
        {"POST", "/api/watch/fields/{id}/items/{item_id}", "signed_in", "/api/watch/fields/999/items/1", "{}",
         by_role(401, 403, 404, 404)},
        {"POST", "/api/watch/sources/{id}/refresh", "animateur", "/api/watch/sources/999/refresh", "", by_role(401, 403, 404, 404)},
        {"PATCH", "/api/watch/sources/{id}", "signed_in", "/api/watch/sources/999", "{}", by_role(401, 404, 404, 404)},
        {"PUT", "/api/watch/fields/{id}/follow", "signed_in", "/api/watch/fields/999/follow", "{\"following\":true}",
         by_role(401, 404, 404, 404)},
        {"GET", "/api/watch/fields/{id}/rules", "signed_in", "/api/watch/fields/999/rules", "", by_role(401, 404, 404, 404)},
        {"POST", "/api/watch/fields/{id}/rules", "signed_in", "/api/watch/fields/999/rules", "{}", by_role(401, 400, 400, 400)},
        {"DELETE", "/api/watch/fields/{id}/rules/{rule_id}", "signed_in", "/api/watch/fields/999/rules/1", "",
         by_role(401, 403, 404, 404)},
        {"GET", "/api/watch/fields/{id}/items/{item_id}/comments", "signed_in", "/api/watch/fields/999/items/1/comments", "",
         by_role(401, 404, 404, 404)},
        {"POST", "/api/watch/fields/{id}/items/{item_id}/comments", "signed_in", "/api/watch/fields/999/items/1/comments",
         "{\"body\":\"x\"}", by_role(401, 404, 404, 404)},
        {"GET", "/api/watch/fields/{id}/opml", "signed_in", "/api/watch/fields/999/opml", "", by_role(401, 404, 404, 404)},
        {"POST", "/api/watch/fields/{id}/opml", "signed_in", "/api/watch/fields/999/opml", "{}", by_role(401, 404, 404, 404)},
        {"POST", "/api/watch/items/{id}/mark", "signed_in", "/api/watch/items/999/mark", "{\"read\":true}", by_role(401, 404, 404, 404)},
        {"POST", "/api/watch/fields/{id}/read", "signed_in", "/api/watch/fields/999/read", "{}", by_role(401, 404, 404, 404)},
        {"GET", "/api/watch/favourites", "signed_in", "/api/watch/favourites", "", by_role(401, 200, 200, 200)},
        {"POST", "/api/watch/digests/preview", "animateur", "/api/watch/digests/preview", "{}", by_role(401, 403, 200, 200)},
        {"POST", "/api/watch/digests", "animateur", "/api/watch/digests", "{\"from\":\"1999-01-01\"}", by_role(401, 403, 400, 400)},
        {"GET", "/api/watch/digests", "signed_in", "/api/watch/digests", "", by_role(401, 200, 200, 200)},
        {"GET", "/api/watch/digests/{id}", "signed_in", "/api/watch/digests/999", "", by_role(401, 404, 404, 404)},
        {"GET", "/api/watch/subscription", "signed_in", "/api/watch/subscription", "", by_role(401, 200, 200, 200)},
        {"PUT", "/api/watch/subscription", "signed_in", "/api/watch/subscription", "{}", by_role(401, 400, 400, 400)},
        {"POST", "/api/watch/unsubscribe", "anyone", "/api/watch/unsubscribe", "{\"token\":\"inconnu\"}", all(404)},
        {"GET", "/api/watch/coverage", "signed_in", "/api/watch/coverage", "", by_role(401, 200, 200, 200)},
    };
});

TEST_CASE("watch: images relayed by the proxy when the setting says so, signed URLs only, images only", "[watch]") {
    // The smallest PNG (a 1x1 transparent pixel).
    static const std::string png = [] {
        const unsigned char bytes[] = {0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48,
                                       0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00,
                                       0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78,
                                       0x9c, 0x63, 0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00,
                                       0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};
        return std::string(reinterpret_cast<const char*>(bytes), sizeof bytes);
    }();
    std::atomic<int> image_requests{0};
    relais::test::test_http_server http{[&](const relais::test::test_request& r) {
        if (r.path == "/images.xml")
            return relais::test::reply(200, R"(<?xml version="1.0"?><rss version="2.0"><channel><title>Images</title>
<item><title>Une carte</title><guid>carte</guid><link>https://exemple.test/carte</link>
<description>&lt;p&gt;&lt;img src="/carte.png" alt="Carte"&gt; &lt;img src="/faux.png" alt="Faux"&gt; &lt;img src="/icone.svg" alt="Icône"&gt;&lt;/p&gt;</description></item>
</channel></rss>)", "Content-Type: application/rss+xml\r\n");
        if (r.path == "/carte.png") {
            ++image_requests;
            return relais::test::reply(200, png, "Content-Type: image/png\r\n");
        }
        if (r.path == "/faux.png") return relais::test::reply(200, "<html>pas une image</html>", "Content-Type: image/png\r\n");
        if (r.path == "/icone.svg")
            return relais::test::reply(200, "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>",
                                       "Content-Type: image/svg+xml\r\n");
        return relais::test::reply(404, "");
    }};
    server s({"--set", "outbound.allow_loopback=true", "--set", "watch.images=proxy"});
    auto admin = s.login_admin();
    auto reader = s.make_user(admin, "lectrice@cpam.test", "membre");
    auto reg = field_id(s, admin, "reglementation");
    auto added = s.request("POST", "/api/watch/fields/" + std::to_string(reg) + "/sources",
                           json{{"url", http.url("/images.xml")}}.dump(), {{"Cookie", admin}});
    REQUIRE(added.status == 201);
    json item;
    for (int i = 0; i < 100 && item.is_null(); ++i) {
        auto list = s.request("GET", "/api/watch/fields/" + std::to_string(reg) + "/items", "", {{"Cookie", reader}}).json();
        if (!list["items"].empty()) item = list["items"][0];
        else std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    REQUIRE_FALSE(item.is_null());
    std::string html = item["summary_html"].get<std::string>();
    INFO(html);
    // Every image goes through the proxy, with its signature; none points at the feed's host.
    CHECK(html.find("src=\"/api/watch/image?u=") != std::string::npos);
    CHECK(html.find("src=\"http") == std::string::npos);
    std::vector<std::string> srcs;
    for (auto at = html.find("src=\""); at != std::string::npos; at = html.find("src=\"", at + 1)) {
        auto end = html.find('"', at + 5);
        std::string src = html.substr(at + 5, end - at - 5);
        for (auto amp = src.find("&amp;"); amp != std::string::npos; amp = src.find("&amp;")) src.replace(amp, 5, "&");
        srcs.push_back(src);
    }
    REQUIRE(srcs.size() == 3);

    auto image = s.request("GET", srcs[0], "", {{"Cookie", reader}});
    CHECK(image.status == 200);
    CHECK(image.header("content-type") == "image/png");
    CHECK(image.body == png);
    CHECK(image.header("cache-control").find("private") != std::string::npos);
    // Kept in memory: asked again, the source is not.
    CHECK(s.request("GET", srcs[0], "", {{"Cookie", reader}}).status == 200);
    CHECK(image_requests == 1);
    // Not an image by its content (whatever its header says), or an SVG: refused.
    for (int k : {1, 2}) {
        auto refused = s.request("GET", srcs[k], "", {{"Cookie", reader}});
        CHECK(refused.status == 502);
        CHECK(refused.json()["error"]["code"] == "image_indisponible");
    }
    // Not signed, signed for another URL, or for no one signed in: nothing relayed.
    auto u = srcs[0].substr(0, srcs[0].find("&s="));
    auto sig = srcs[0].substr(srcs[0].find("&s=") + 3);
    CHECK(s.request("GET", u, "", {{"Cookie", reader}}).status == 404);
    CHECK(s.request("GET", u + "&s=" + std::string(32, '0'), "", {{"Cookie", reader}}).status == 404);
    CHECK(s.request("GET", "/api/watch/image?u=" + std::string("http%3A%2F%2F127.0.0.1%2Fautre.png") + "&s=" + sig, "",
                    {{"Cookie", reader}})
              .status == 404);
    CHECK(s.request("GET", srcs[0]).status == 401);
    CHECK(image_requests == 1);
}

TEST_CASE("watch: one site that hangs for all its feeds holds a few workers, never the source of another site", "[watch][faults]") {
    std::atomic<bool> hanging{false};
    relais::test::test_http_server dead{[&](const relais::test::test_request&) {
        auto c = relais::test::reply(200, rss("http://127.0.0.1"), "Content-Type: application/rss+xml\r\n");
        if (hanging) c.drip = std::chrono::milliseconds(400);  // past the 2 s time-out
        return c;
    }};
    relais::test::test_http_server alive{[&](const relais::test::test_request&) {
        return relais::test::reply(200, rss("http://127.0.0.1"), "Content-Type: application/rss+xml\r\n");
    }};
    // 4 workers: a site gets 2 of them at once.
    server s({"--set", "outbound.allow_loopback=true", "--set", "outbound.timeout_s=2", "--set", "watch.fetch_parallel=4"});
    auto admin = s.login_admin();
    auto reg = field_id(s, admin, "reglementation");
    std::vector<std::int64_t> dead_ids;
    for (int i = 0; i < 6; ++i) {
        auto added = s.request("POST", "/api/watch/fields/" + std::to_string(reg) + "/sources",
                               json{{"url", dead.url("/flux-" + std::to_string(i) + ".xml")}}.dump(), {{"Cookie", admin}});
        REQUIRE(added.status == 201);
        dead_ids.push_back(added.json()["source_id"].get<std::int64_t>());
    }
    auto good = s.request("POST", "/api/watch/fields/" + std::to_string(reg) + "/sources", json{{"url", alive.url("/flux.xml")}}.dump(),
                          {{"Cookie", admin}});
    REQUIRE(good.status == 201);
    const auto good_id = good.json()["source_id"].get<std::int64_t>();
    const int asked_before = alive.requests();
    hanging = true;
    // Every dead feed first, then the good one: they are all due at once.
    for (auto id : dead_ids)
        REQUIRE(s.request("POST", "/api/watch/sources/" + std::to_string(id) + "/refresh", "", {{"Cookie", admin}}).status == 202);
    REQUIRE(s.request("POST", "/api/watch/sources/" + std::to_string(good_id) + "/refresh", "", {{"Cookie", admin}}).status == 202);
    auto t = std::chrono::steady_clock::now();
    while (alive.requests() == asked_before && std::chrono::steady_clock::now() - t < std::chrono::seconds(10))
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    CHECK(alive.requests() > asked_before);
    // At once, not once a worker held by the dead site gives up (2 s).
    CHECK(std::chrono::steady_clock::now() - t < std::chrono::milliseconds(1200));
}

TEST_CASE("watch: `relais watch parse` prints a feed as JSON, and says why a page is not one", "[watch][cli]") {
    relais::test::temp_dir dir;
    auto feed_file = dir.path() / "flux.xml";
    {
        std::ofstream out(feed_file, std::ios::binary);
        out << rss("https://exemple.fr");
    }
    auto parsed = relais::test::run_relais({"watch", "parse", feed_file.string(), "--data-dir", (dir.path() / "data").string()});
    REQUIRE(parsed.status == 0);
    auto j = json::parse(parsed.output.substr(parsed.output.find('{')));
    CHECK(j["format"] == "rss2");
    REQUIRE(j["items"].size() == 2);
    CHECK(j["items"][0]["link"] == "https://exemple.fr/decret-12?utm_source=rss");
    CHECK(parsed.output.find("<script") == std::string::npos);

    auto page = dir.path() / "page.html";
    {
        std::ofstream out(page, std::ios::binary);
        out << "<!doctype html><html><head><link rel=\"alternate\" type=\"application/rss+xml\" href=\"/flux.xml\">"
               "<title>Site</title></head><body>Bonjour</body></html>";
    }
    auto refused = relais::test::run_relais(
        {"watch", "parse", page.string(), "--base", "https://exemple.fr/", "--data-dir", (dir.path() / "data").string()});
    CHECK(refused.status == 1);
    CHECK(refused.output.find("https://exemple.fr/flux.xml") != std::string::npos);
    CHECK(relais::test::run_relais({"watch", "parse"}).status != 0);
    // An input that never ends is read up to the limit, not whole.
    auto endless = relais::test::run_relais({"watch", "parse", "/dev/zero", "--data-dir", (dir.path() / "data").string()});
    CHECK(endless.status == 2);
    CHECK(endless.output.find("50 MB") != std::string::npos);
}

TEST_CASE("watch: each hostile or broken source fails alone, with a clear status, and delays no other", "[watch][faults]") {
    // Six feeds that work when added, then turn: one drips a byte every 300 ms, one says 429
    // with Retry-After, one answers 6 MB, one redirects to itself, one is truncated XML, one
    // tries an external entity. A seventh stays good.
    std::atomic<bool> hostile{false};
    relais::test::test_http_server http{[&](const relais::test::test_request& r) {
        auto base = "http://127.0.0.1:" + std::to_string(http.port());
        auto feed = rss(base);
        if (!hostile || r.path == "/bon.xml") return relais::test::reply(200, feed, "Content-Type: application/rss+xml\r\n");
        if (r.path == "/goutte.xml") {
            auto c = relais::test::reply(200, feed, "Content-Type: application/rss+xml\r\n");
            c.drip = std::chrono::milliseconds(300);
            return c;
        }
        if (r.path == "/trop.xml") return relais::test::reply(429, "", "Retry-After: 7200\r\n");
        if (r.path == "/enorme.xml") return relais::test::reply(200, std::string(6 << 20, 'x'), "Content-Type: text/xml\r\n");
        if (r.path == "/boucle.xml") return relais::test::reply(302, "", "Location: /boucle.xml\r\n");
        if (r.path == "/tronque.xml") return relais::test::reply(200, feed.substr(0, feed.find("<item>", feed.find("<item>") + 1) + 20),
                                                                 "Content-Type: application/rss+xml\r\n");
        if (r.path == "/entite.xml")
            return relais::test::reply(200,
                                       "<?xml version=\"1.0\"?><!DOCTYPE rss [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
                                       "<rss version=\"2.0\"><channel><title>T</title><item><title>Fuite &x;</title>"
                                       "<link>" + base + "/fuite</link></item></channel></rss>",
                                       "Content-Type: application/rss+xml\r\n");
        return relais::test::reply(404, "");
    }};
    // Seven feeds of one site: workers enough for each to be fetched at once (a site gets
    // a quarter of them; the next test case is about that share).
    server s({"--set", "outbound.allow_loopback=true", "--set", "outbound.timeout_s=2", "--set", "watch.fetch_parallel=32"});
    auto admin = s.login_admin();
    auto reg = field_id(s, admin, "reglementation");
    const std::vector<std::string> paths{"/bon.xml", "/goutte.xml", "/trop.xml", "/enorme.xml", "/boucle.xml", "/tronque.xml", "/entite.xml"};
    for (const auto& p : paths) {
        auto added = s.request("POST", "/api/watch/fields/" + std::to_string(reg) + "/sources", json{{"url", http.url(p)}}.dump(),
                               {{"Cookie", admin}});
        REQUIRE(added.status == 201);
    }
    hostile = true;
    auto listed = s.request("GET", "/api/watch/sources", "", {{"Cookie", admin}}).json();
    std::map<std::string, std::int64_t> ids;
    for (const auto& src : listed["sources"]) ids[src["url"].get<std::string>()] = src["id"].get<std::int64_t>();
    auto started = std::chrono::steady_clock::now();
    for (const auto& p : paths)
        CHECK(s.request("POST", "/api/watch/sources/" + std::to_string(ids[http.url(p)]) + "/refresh", "", {{"Cookie", admin}}).status ==
              202);

    // Until every source was fetched again.
    std::map<std::string, json> by_path;
    for (int i = 0; i < 150; ++i) {
        auto now_listed = s.request("GET", "/api/watch/sources", "", {{"Cookie", admin}}).json();
        by_path.clear();
        int pending = 0;
        for (const auto& src : now_listed["sources"]) {
            auto path = src["url"].get<std::string>().substr(http.url("").size());
            by_path[path] = src;
        }
        for (const auto& p : {"/goutte.xml", "/trop.xml", "/enorme.xml", "/boucle.xml"})
            if (by_path[p]["failures"] == 0) ++pending;
        if (pending == 0) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    auto took = std::chrono::steady_clock::now() - started;
    CHECK(took < std::chrono::seconds(12));
    auto code = [&](const char* p) { return by_path[p].value("error", json::object()).value("code", ""); };
    CHECK(by_path["/bon.xml"]["status"] == "ok");
    CHECK(code("/goutte.xml") == "timeout");
    CHECK(code("/trop.xml") == "http_status");
    CHECK(code("/enorme.xml") == "too_large");
    CHECK(code("/boucle.xml") == "too_many_redirects");
    for (const auto& p : {"/goutte.xml", "/trop.xml", "/enorme.xml", "/boucle.xml"}) {
        INFO(p);
        CHECK_FALSE(by_path[p]["error"]["message"].get<std::string>().empty());
        CHECK(by_path[p]["status"] == "failing");
    }
    // Retry-After (2 h) is longer than the first backoff (the 1 h interval): obeyed.
    CHECK(by_path["/trop.xml"]["next_fetch_at"].get<std::string>() > by_path["/boucle.xml"]["next_fetch_at"].get<std::string>());
    // Truncated and entity-laden feeds still read; no entity was expanded anywhere.
    CHECK(by_path["/tronque.xml"]["status"] == "ok");
    CHECK(by_path["/entite.xml"]["status"] == "ok");
    auto inbox = s.request("GET", "/api/watch/fields/" + std::to_string(reg) + "/items", "", {{"Cookie", admin}});
    CHECK(inbox.body.find("root:") == std::string::npos);
    // The server answered everyone meanwhile.
    CHECK(s.request("GET", "/healthz").status == 200);

    // Testing a source: one at a time per account, so that one person testing slow
    // addresses does not hold the fetches others wait on.
    auto member = s.make_user(admin, "veilleur@x.fr", "membre");
    auto test_source = [&](const std::string& cookie, const std::string& path) {
        return s.request("POST", "/api/watch/sources/test", json{{"url", http.url(path)}}.dump(), {{"Cookie", cookie}});
    };
    auto slow = std::async(std::launch::async, [&] { return test_source(admin, "/goutte.xml"); });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    auto second = test_source(admin, "/bon.xml");
    CHECK(second.status == 429);
    CHECK(second.error_code() == "trop_de_requetes");
    auto t = std::chrono::steady_clock::now();
    auto others = test_source(member, "/bon.xml");
    CHECK(others.status == 200);
    CHECK(others.json()["ok"] == true);
    CHECK(std::chrono::steady_clock::now() - t < std::chrono::seconds(1));
    CHECK(slow.get().json()["ok"] == false);  // the drip timed out
    CHECK(test_source(admin, "/bon.xml").status == 200);  // its turn is back
}
