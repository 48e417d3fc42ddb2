// The watch module's rules, on a real database, without HTTP: owners, who may curate,
// what a fetch records (deduplication within and across feeds, backoff, Retry-After),
// the inbox and qualification, and the coverage view's flags.
#include "auth/module.hpp"
#include "auth/service.hpp"
#include "auth/store.hpp"
#include "common/errors.hpp"
#include "common/metrics.hpp"
#include "common/worker_pool.hpp"
#include "db/pool.hpp"
#include "platform/migrate.hpp"
#include "error_code.hpp"
#include "temp_dir.hpp"
#include "watch/feed.hpp"
#include "watch/module.hpp"
#include "watch/service.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <set>

using namespace relais;
using json = nlohmann::json;

namespace {

struct watch_db {
    unit_temp_dir dir;
    metrics::registry m;
    db::pool pool{{dir.path / "w.db", 1, 16,
                   [](db::connection& c) {
                       platform::migrate(c, {{"auth", &auth::migrations()}, {"watch", &watch::migrations()}});
                   }},
                  m};
    worker_pool cpu{"cpu", 1};
    auth::service directory{pool, cpu, {}};
    watch::service svc{directory, watch::options{}};
    std::int64_t org = 0, member = 0, other = 0, animateur = 0, field = 0;

    watch_db() {
        pool.write_sync([&](db::connection& c) {
            org = auth::store::insert_org(c, auth::org{0, "CPAM de l'Artois", "cpam", "32", {"62"}, 0}, 0);
            auto user = [&](const char* email, const char* role, std::optional<std::int64_t> org_id) {
                auth::user u;
                u.email = email;
                u.name = email;
                u.role = role;
                u.password_hash = "x";
                u.org_id = org_id;
                return auth::store::insert_user(c, u, 0);
            };
            member = user("membre@x.fr", "membre", std::nullopt);
            other = user("autre@x.fr", "membre", org);
            animateur = user("anim@x.fr", "animateur", std::nullopt);
            field = svc.create_field(c, {"", "Réglementation", "ACI, avenants", "Flux du Journal officiel"}, 1000);
        });
    }
    ~watch_db() {
        cpu.stop();
        pool.stop();
    }
    auth::principal who(std::int64_t id, const char* role, std::optional<std::int64_t> org_id = std::nullopt) {
        auth::principal p;
        p.account.id = id;
        p.account.role = role;
        p.account.org_id = org_id;
        return p;
    }
    std::int64_t scalar(const std::string& sql) {
        std::int64_t v = 0;
        pool.read_sync([&](db::connection& c) {
            auto s = c.prepare(sql);
            s.step();
            v = s.get_int(0);
        });
        return v;
    }
};

watch::feed_item item(const std::string& key, const std::string& title, const std::string& link, std::int64_t published) {
    watch::feed_item i;
    i.key = key;
    i.key_kind = "guid";
    i.title = title;
    i.link = link;
    i.published = published;
    i.summary_html = "<p>" + title + "</p>";
    i.text = title;
    return i;
}

watch::fetch_attempt ok_attempt() {
    watch::fetch_attempt a;
    a.ok = true;
    a.etag = "\"v1\"";
    return a;
}

}  // namespace

TEST_CASE("watch: fields, owners and who may curate", "[watch]") {
    watch_db w;
    CHECK(watch::service::slugify("Démographie des professionnels !") == "demographie-des-professionnels");
    w.pool.read_sync([&](db::connection& c) {
        auto f = w.svc.field_json(c, w.field, true);
        CHECK(f["slug"] == "reglementation");
        CHECK(f["owners"].empty());
        CHECK(f["sources"].empty());
    });
    // A second field with the same slug is refused.
    CHECK_THROWS_AS(w.pool.write_sync([&](db::connection& c) { w.svc.create_field(c, {"", "Réglementation", "", ""}, 1); }),
                    api_error);

    auto refusal = [&](std::vector<watch::owner> owners) {
        try {
            w.pool.write_sync([&](db::connection& c) { w.svc.set_owners(c, w.field, owners, 2000); });
        } catch (const api_error& e) {
            return e.field();
        }
        return std::string("accepted");
    };
    CHECK(refusal({{999, 0, "owner"}}) == "owners");            // no such account
    CHECK(refusal({{0, 999, "owner"}}) == "owners");            // no such organisation
    CHECK(refusal({{w.member, w.org, "owner"}}) == "owners");   // one or the other
    CHECK(refusal({{w.member, 0, "chef"}}) == "owners");        // owner or backup
    CHECK(refusal({{w.member, 0, "owner"}, {w.member, 0, "backup"}}) == "owners");  // twice
    CHECK(refusal({{w.member, 0, "owner"}, {0, w.org, "backup"}}) == "accepted");

    w.pool.read_sync([&](db::connection& c) {
        CHECK(w.svc.may_curate(c, w.field, w.who(w.member, "membre")));
        CHECK(w.svc.may_curate(c, w.field, w.who(w.other, "membre", w.org)));  // through the organisation
        CHECK(w.svc.may_curate(c, w.field, w.who(w.animateur, "animateur")));
        CHECK_FALSE(w.svc.may_curate(c, w.field, w.who(12345, "membre")));
        auto f = w.svc.field_json(c, w.field, false);
        REQUIRE(f["owners"].size() == 2);
        CHECK(f["owners"][0]["role"] == "owner");
        CHECK(f["owners"][0]["active"] == true);
        CHECK(f["owners"][1]["name"] == "CPAM de l'Artois");
    });
    // Those who stay keep the date they took the field on.
    CHECK(refusal({{w.member, 0, "owner"}}) == "accepted");
    CHECK(w.scalar("SELECT since FROM watch_field_owners") == 2000);
}

TEST_CASE("watch: a fetch stores new items once, across feeds, in every field's inbox", "[watch]") {
    watch_db w;
    std::int64_t other_field = 0, a = 0, b = 0;
    const std::int64_t now = 1'800'000'000;
    w.pool.write_sync([&](db::connection& c) {
        other_field = w.svc.create_field(c, {"parcours", "Parcours", "", ""}, now);
        a = w.svc.add_source(c, w.field, "https://a.example/flux.xml", "A", "https://a.example/", "rss2", 3600, w.member, now);
        b = w.svc.add_source(c, w.field, "https://b.example/atom.xml", "B", "https://b.example/", "atom", 3600, w.member, now);
        // Shared: the same feed in a second field is one source.
        CHECK(w.svc.add_source(c, other_field, "https://a.example/flux.xml", "", "", "", 3600, w.member, now) == a);
    });
    CHECK_THROWS_AS(w.pool.write_sync([&](db::connection& c) {
                        w.svc.add_source(c, w.field, "https://a.example/flux.xml", "", "", "", 3600, w.member, now);
                    }),
                    api_error);
    CHECK(w.scalar("SELECT count(*) FROM watch_sources") == 2);

    watch::feed fa;
    fa.format = "rss2";
    fa.title = "Flux A";
    fa.items = {item("a1", "Décret n° 2026-12 relatif aux CPTS", "https://legi.example/decret?id=12&utm_source=rss", now - 10),
                item("a2", "Avenant 2 à l'ACI", "https://a.example/avenant-2", now - 20)};
    watch::fetch_outcome out;
    w.pool.write_sync([&](db::connection& c) { out = w.svc.record_fetch(c, a, ok_attempt(), &fa, now); });
    CHECK(out.ok);
    CHECK(out.items == 2);
    CHECK(out.new_items == 2);
    CHECK(out.next_fetch_at == now + 3600);
    // Again: nothing new.
    w.pool.write_sync([&](db::connection& c) { out = w.svc.record_fetch(c, a, ok_attempt(), &fa, now + 1); });
    CHECK(out.new_items == 0);
    CHECK(w.scalar("SELECT count(*) FROM watch_items") == 2);

    // B carries the same decree under a link that differs only by tracking and case, and the
    // same amendment under another link with the same title: one item each, two sources.
    watch::feed fb;
    fb.format = "atom";
    fb.items = {item("tag:b,1", "Décret n° 2026-12 relatif aux CPTS", "https://LEGI.example/decret?id=12", now - 5),
                item("tag:b,2", "Avenant 2 à l'ACI", "https://b.example/actu/avenant", now - 6),
                item("tag:b,3", "Appel à projets FIR 2027", "https://b.example/fir", now - 7)};
    w.pool.write_sync([&](db::connection& c) { out = w.svc.record_fetch(c, b, ok_attempt(), &fb, now); });
    CHECK(out.new_items == 3);
    CHECK(w.scalar("SELECT count(*) FROM watch_items") == 3);
    CHECK(w.scalar("SELECT count(*) FROM watch_item_sources") == 5);
    // Each field that follows a source has its items once: the first field has all three, the
    // second (A only) has A's two.
    CHECK(w.scalar("SELECT count(*) FROM watch_field_items WHERE field_id = 1") == 3);
    CHECK(w.scalar("SELECT count(*) FROM watch_field_items WHERE field_id = 2") == 2);

    w.pool.read_sync([&](db::connection& c) {
        auto page = w.svc.inbox_json(c, w.field, "new", 50, 0);
        REQUIRE(page["items"].size() == 3);
        CHECK(page["items"][0]["title"] == "Appel à projets FIR 2027");  // most recent first... by publication
        CHECK(page["counts"]["new"] == 3);
        for (const auto& i : page["items"])
            if (i["title"] == "Avenant 2 à l'ACI") CHECK(i["sources"].size() == 2);
        CHECK_THROWS_AS(w.svc.inbox_json(c, w.field, "lu", 50, 0), api_error);
    });
}

TEST_CASE("watch: failures back off, Retry-After is respected, success resets", "[watch]") {
    watch_db w;
    const std::int64_t now = 1'800'000'000;
    std::int64_t s = 0;
    w.pool.write_sync([&](db::connection& c) {
        s = w.svc.add_source(c, w.field, "https://a.example/flux.xml", "A", "", "rss2", 3600, w.member, now);
    });
    watch::fetch_attempt fail;
    fail.error_code = "http_status";
    fail.error = "Le serveur a répondu par une erreur (HTTP 500).";
    watch::fetch_outcome out;
    std::vector<std::int64_t> waits;
    for (int i = 0; i < 7; ++i) {
        w.pool.write_sync([&](db::connection& c) { out = w.svc.record_fetch(c, s, fail, nullptr, now); });
        waits.push_back(out.next_fetch_at - now);
    }
    CHECK(waits == std::vector<std::int64_t>{3600, 7200, 14400, 28800, 57600, 86400, 86400});
    CHECK(w.scalar("SELECT failing_since FROM watch_sources") == now);
    w.pool.read_sync([&](db::connection& c) {
        auto list = w.svc.sources_json(c);
        REQUIRE(list.size() == 1);
        CHECK(list[0]["status"] == "failing");
        CHECK(list[0]["error"]["message"] == fail.error);
    });
    // 429 with Retry-After longer than the backoff: the server's word.
    fail.error_code = "http_status";
    fail.retry_after_s = 3 * 86400;
    w.pool.write_sync([&](db::connection& c) { out = w.svc.record_fetch(c, s, fail, nullptr, now); });
    CHECK(out.next_fetch_at == now + 3 * 86400);
    // A success (304 here) resets the failures and keeps the validators.
    auto ok = ok_attempt();
    ok.not_modified = true;
    w.pool.write_sync([&](db::connection& c) { out = w.svc.record_fetch(c, s, ok, nullptr, now + 10); });
    CHECK(out.next_fetch_at == now + 10 + 3600);
    CHECK(w.scalar("SELECT failures FROM watch_sources") == 0);
    CHECK(w.scalar("SELECT failing_since IS NULL FROM watch_sources") == 1);
    // Taken by a run: not taken again while its lease lasts.
    w.pool.write_sync([&](db::connection& c) {
        CHECK(w.svc.take_due(c, now + 10 + 3600, 10, 120).size() == 1);
        CHECK(w.svc.take_due(c, now + 10 + 3600, 10, 120).empty());
    });
}

TEST_CASE("watch: qualifying an item, and the coverage view's flags", "[watch]") {
    watch_db w;
    const std::int64_t now = 1'800'000'000;
    std::int64_t s = 0;
    w.pool.write_sync([&](db::connection& c) {
        s = w.svc.add_source(c, w.field, "https://a.example/flux.xml", "A", "", "rss2", 3600, w.member, now);
    });
    watch::feed f;
    f.items = {item("1", "Avenant 2 à l'ACI", "https://a.example/avenant-2", now)};
    w.pool.write_sync([&](db::connection& c) { w.svc.record_fetch(c, s, ok_attempt(), &f, now); });
    auto item_id = w.scalar("SELECT id FROM watch_items");

    auto flags = [&](std::int64_t at) {
        std::set<std::string> out;
        w.pool.read_sync([&](db::connection& c) {
            auto cov = w.svc.coverage_json(c, at);
            for (const auto& row : cov["fields"])
                if (row["id"] == w.field)
                    for (const auto& fl : row["flags"]) out.insert(fl["code"].get<std::string>());
        });
        return out;
    };
    // Nothing retained yet: a field is given its 30 days from its creation.
    const auto created = w.scalar("SELECT created_at FROM watch_fields WHERE id = " + std::to_string(w.field));
    CHECK(flags(created + 86400).count("rien_retenu") == 0);
    CHECK(flags(created + 31 * 86400).count("rien_retenu") == 1);
    CHECK(flags(now) == std::set<std::string>{"sans_responsable", "rien_retenu"});

    json body = {{"state", "kept"}, {"summary", "Ce qu'il faut retenir : la mission 4 change."}, {"importance", 2},
                 {"tags", {"ACI", "ACI", "avenant"}}, {"version", 1}};
    json out;
    w.pool.write_sync([&](db::connection& c) { out = w.svc.qualify(c, w.field, item_id, body, w.member, now + 60); });
    CHECK(out["version"] == 2);
    CHECK(out["tags"] == json{"ACI", "avenant"});
    // The same version again: someone qualified it meanwhile.
    try {
        w.pool.write_sync([&](db::connection& c) { w.svc.qualify(c, w.field, item_id, body, w.member, now + 61); });
        FAIL("accepted a stale version");
    } catch (const api_error& e) {
        CHECK(e.code() == "veille_modifiee");
    }
    for (const auto& bad : {json{{"state", "lu"}, {"version", 2}}, json{{"state", "kept"}, {"importance", 4}, {"version", 2}},
                            json{{"state", "kept"}, {"tags", "ACI"}, {"version", 2}}, json{{"state", "kept"}}})
        CHECK_THROWS_AS(w.pool.write_sync([&](db::connection& c) { w.svc.qualify(c, w.field, item_id, bad, w.member, now); }),
                        api_error);
    w.pool.read_sync([&](db::connection& c) {
        auto kept = w.svc.inbox_json(c, w.field, "kept", 10, 0);
        REQUIRE(kept["items"].size() == 1);
        CHECK(kept["items"][0]["summary"] == "Ce qu'il faut retenir : la mission 4 change.");
        CHECK(kept["items"][0]["importance"] == 2);
    });

    // An owner who is deactivated: flagged, and the field has no active owner.
    w.pool.write_sync([&](db::connection& c) {
        w.svc.set_owners(c, w.field, {{w.member, 0, "owner"}}, now);
        c.prepare("UPDATE users SET active = 0 WHERE id = ?1").bind(1, w.member).exec();
    });
    CHECK(flags(now + 120) == std::set<std::string>{"sans_responsable", "responsable_parti"});
    // Nothing retained for 30 days, a source failing for 3 days.
    watch::fetch_attempt fail;
    fail.error_code = "dns";
    fail.error = "Le nom du serveur est introuvable.";
    w.pool.write_sync([&](db::connection& c) { w.svc.record_fetch(c, s, fail, nullptr, now + 200); });
    auto later = now + 31 * 86400;
    CHECK(flags(later) ==
          std::set<std::string>{"sans_responsable", "responsable_parti", "rien_retenu", "source_en_echec"});
    w.pool.read_sync([&](db::connection& c) {
        auto cov = w.svc.coverage_json(c, later);
        const auto& row = cov["fields"][0];
        CHECK(row["kept_30d"] == 0);
        CHECK(row["kept_90d"] == 1);
        CHECK(row["failing_sources"].size() == 1);
    });
}

TEST_CASE("watch: a field's rules flag or discard items as they arrive", "[watch]") {
    watch_db w;
    const std::int64_t now = 1'800'000'000;
    std::int64_t s = 0;
    w.pool.write_sync([&](db::connection& c) {
        s = w.svc.add_source(c, w.field, "https://a.example/flux.xml", "A", "", "rss2", 3600, w.member, now);
        w.svc.add_rule(c, w.field, "Télé-expertise", "flag", w.member, now);
        w.svc.add_rule(c, w.field, "horoscope", "discard", w.member, now);
    });
    // Refused: an unknown action, an empty keyword or one without a letter, the same keyword
    // twice as rules read it (case, accents, punctuation and spacing apart).
    for (const auto& [kw, action] : std::vector<std::pair<std::string, std::string>>{
             {"ACI", "supprimer"}, {"  ", "flag"}, {"--", "flag"}, {"horoscope", "flag"}, {"TÉLÉ-EXPERTISE", "flag"},
             {"TELE  EXPERTISE", "discard"}, {"Horoscope", "discard"}})
        CHECK_THROWS_AS(w.pool.write_sync([&](db::connection& c) { w.svc.add_rule(c, w.field, kw, action, w.member, now); }),
                        api_error);
    watch::feed f;
    f.items = {item("1", "La TELE-EXPERTISE s'étend aux CPTS", "https://a.example/1", now),
               item("2", "Votre horoscope de la semaine", "https://a.example/2", now),
               item("3", "Avenant 2 à l'ACI", "https://a.example/3", now),
               item("4", "Téléphone : nouvelle ligne", "https://a.example/4", now)};  // « télé » alone is no match
    w.pool.write_sync([&](db::connection& c) { w.svc.record_fetch(c, s, ok_attempt(), &f, now); });
    w.pool.read_sync([&](db::connection& c) {
        auto fresh = w.svc.inbox_json(c, w.field, "new", 10, 0);
        REQUIRE(fresh["items"].size() == 3);
        for (const auto& i : fresh["items"])
            CHECK(i["rule"] == (i["title"] == "La TELE-EXPERTISE s'étend aux CPTS" ? "Télé-expertise" : ""));
        auto gone = w.svc.inbox_json(c, w.field, "discarded", 10, 0);
        REQUIRE(gone["items"].size() == 1);
        CHECK(gone["items"][0]["title"] == "Votre horoscope de la semaine");
        CHECK(gone["items"][0]["rule"] == "horoscope");
        CHECK(w.svc.rules_json(c, w.field).size() == 2);
    });
    // A rule added later, applied to what waits already: a flag to what no rule flagged, a
    // discard to what it matches (flagged or not); what was qualified stays as it is.
    w.pool.write_sync([&](db::connection& c) {
        CHECK(w.svc.apply_rule_to_inbox(c, w.field, "ACI", "flag", now) == 1);
        CHECK(w.svc.apply_rule_to_inbox(c, w.field, "CPTS", "flag", now) == 0);  // flagged by « Télé-expertise » already
        CHECK(w.svc.apply_rule_to_inbox(c, w.field, "ligne", "discard", now) == 1);
        CHECK(w.svc.apply_rule_to_inbox(c, w.field, "horoscope", "discard", now) == 0);  // discarded already
    });
    w.pool.read_sync([&](db::connection& c) {
        auto fresh = w.svc.inbox_json(c, w.field, "new", 10, 0);
        REQUIRE(fresh["items"].size() == 2);
        for (const auto& i : fresh["items"])
            CHECK(i["rule"] == (i["title"] == "Avenant 2 à l'ACI" ? "ACI" : "Télé-expertise"));
        CHECK(w.svc.inbox_json(c, w.field, "discarded", 10, 0)["items"].size() == 2);
    });
}

TEST_CASE("watch: OPML lists are read safely and written back", "[watch][opml]") {
    std::string doc = R"X(<?xml version="1.0" encoding="ISO-8859-1"?>
<!DOCTYPE opml [<!ENTITY x SYSTEM "file:///etc/passwd"><!ENTITY lol "lol">]>
<opml version="1.0"><head><title>Export</title></head><body>
<outline text="Réglementation">
  <outline text="Légifrance &amp; JO" type="rss" xmlUrl="https://www.example.gouv.fr/rss/jo.xml" htmlUrl="https://www.example.gouv.fr/"/>
  <outline text="Encore &x; &lol;" xmlurl="https://b.example/flux"/>
  <outline text="Deux fois" XMLURL="https://www.example.gouv.fr/rss/jo.xml"/>
  <outline text="Piège" xmlUrl="javascript:alert(1)"/>
  <outline text="Fichier" xmlUrl="file:///etc/passwd"/>
</outline></body></opml>)X";
    auto list = watch::parse_opml(doc, 100);
    REQUIRE(list.feeds.size() == 2);
    CHECK(list.feeds[0].url == "https://www.example.gouv.fr/rss/jo.xml");
    CHECK(list.feeds[0].title == "Légifrance & JO");
    CHECK(list.feeds[0].site_url == "https://www.example.gouv.fr/");
    CHECK(list.feeds[1].url == "https://b.example/flux");
    CHECK(list.feeds[1].title.find("root") == std::string::npos);
    CHECK(list.outlines == 6);
    CHECK(list.invalid == 2);
    CHECK_FALSE(list.warnings.empty());

    // 10,000 outlines: read at once, the first ones kept, the rest counted.
    std::string big = "<opml version=\"2.0\"><body>";
    for (int i = 0; i < 10'000; ++i) big += "<outline text=\"F" + std::to_string(i) + "\" xmlUrl=\"https://f.example/" + std::to_string(i) + "\"/>";
    big += "</body></opml>";
    auto many = watch::parse_opml(big, 500);
    CHECK(many.feeds.size() == 500);
    CHECK(many.beyond == 9'500);
    CHECK(many.outlines == 10'000);
    // Deep nesting does not grow the stack.
    std::string deep = "<opml><body>";
    for (int i = 0; i < 100'000; ++i) deep += "<outline text=\"x\">";
    CHECK_NOTHROW(watch::parse_opml(deep, 10));

    CHECK_THROWS_AS(watch::parse_opml("<rss version=\"2.0\"></rss>", 10), watch::parse_error);
    CHECK_THROWS_AS(watch::parse_opml("pas du tout du XML", 10), watch::parse_error);

    // Written back: escaped, and read again the same.
    std::vector<watch::opml_feed> feeds{{"https://a.example/f?x=1&y=2", "A \"guillemets\" <b>", "https://a.example/"}};
    auto text = watch::write_opml("Relais — veille « Test »", feeds);
    CHECK(text.find("<b>") == std::string::npos);
    auto again = watch::parse_opml(text, 10);
    REQUIRE(again.feeds.size() == 1);
    CHECK(again.feeds[0].url == "https://a.example/f?x=1&y=2");
    CHECK(again.feeds[0].title == "A \"guillemets\" <b>");
}

TEST_CASE("watch: scheduled letters follow each subscriber's frequency and fields, in time", "[watch][digests]") {
    watch_db w;
    const std::int64_t t0 = 1'800'000'000, day = 86'400;
    std::int64_t source = 0, second = 0;
    w.pool.write_sync([&](db::connection& c) {
        second = w.svc.create_field(c, {"", "Financements", "FIR, amorçage", ""}, t0);
        source = w.svc.add_source(c, w.field, "https://a.example/flux.xml", "A", "", "rss2", 3600, w.member, t0);
        auto other_source = w.svc.add_source(c, second, "https://b.example/flux.xml", "B", "", "rss2", 3600, w.member, t0);
        // Weekly for every field; monthly for the second field only; weekly for an account
        // about to be deactivated.
        const auto subscribe = [&](std::int64_t user, const std::string& frequency, const std::string& fields, const std::string& token) {
            c.prepare("INSERT INTO watch_subscriptions(user_id, frequency, field_ids, token, created_at) VALUES(?1, ?2, ?3, ?4, ?5)")
                .bind(1, user)
                .bind(2, frequency)
                .bind(3, fields)
                .bind(4, token)
                .bind(5, t0)
                .exec();
        };
        subscribe(w.member, "weekly", "[]", "jeton-membre");
        subscribe(w.other, "monthly", "[" + std::to_string(second) + "]", "jeton-autre");
        subscribe(w.animateur, "weekly", "[]", "jeton-anim");
        c.prepare("UPDATE users SET active = 0 WHERE id = ?1").bind(1, w.animateur).exec();
        (void)other_source;
    });
    // One item retained in each field, on day 2.
    const auto retain = [&](std::int64_t field, std::int64_t src, const std::string& key, const std::string& title, std::int64_t at) {
        watch::feed f;
        f.items = {item(key, title, "https://x.example/" + key, at)};
        w.pool.write_sync([&](db::connection& c) { w.svc.record_fetch(c, src, ok_attempt(), &f, at); });
        auto id = w.scalar("SELECT id FROM watch_items WHERE link = 'https://x.example/" + key + "'");
        w.pool.write_sync([&](db::connection& c) {
            w.svc.qualify(c, field, id, json{{"state", "kept"}, {"summary", "À retenir : " + title}, {"version", 1}}, w.member, at);
        });
    };
    std::int64_t second_source = w.scalar("SELECT id FROM watch_sources WHERE url = 'https://b.example/flux.xml'");
    retain(w.field, source, "avenant", "Avenant 2 à l'ACI", t0 + 2 * day);
    retain(second, second_source, "fir", "Appel à projets FIR 2027", t0 + 2 * day);

    const auto letters = [&](std::int64_t now) {
        std::vector<watch::service::digest_mail> out;
        w.pool.write_sync([&](db::connection& c) {
            out = w.svc.scheduled_letters(c, now, "https://relais.test", [](const std::string& t) { return "https://relais.test/d?j=" + t; });
        });
        return out;
    };
    // Day 6: nobody is due.
    CHECK(letters(t0 + 6 * day).empty());
    // Day 7: the weekly subscriber (active) gets both fields' items, with their own link.
    auto week1 = letters(t0 + 7 * day);
    REQUIRE(week1.size() == 1);
    CHECK(week1[0].user == w.member);
    CHECK(week1[0].letter.items == 2);
    CHECK(week1[0].letter.html.find("jeton-membre") != std::string::npos);
    CHECK(week1[0].letter.text.find("Avenant 2") != std::string::npos);
    CHECK(week1[0].letter.text.find("FIR 2027") != std::string::npos);
    // Asked again the same day or the next: already sent.
    CHECK(letters(t0 + 7 * day + 3600).empty());
    CHECK(letters(t0 + 13 * day).empty());
    // Day 14: a week with nothing retained: no letter, but the week is over.
    CHECK(letters(t0 + 14 * day).empty());
    retain(w.field, source, "decret", "Décret relatif aux CPTS", t0 + 16 * day);
    CHECK(letters(t0 + 20 * day).empty());
    auto week3 = letters(t0 + 21 * day);
    REQUIRE(week3.size() == 1);
    CHECK(week3[0].letter.items == 1);  // only what was retained since the last letter
    // Day 30: the monthly subscriber gets only their field's item of the month.
    auto month = letters(t0 + 30 * day);
    REQUIRE(month.size() == 1);
    CHECK(month[0].user == w.other);
    CHECK(month[0].letter.items == 1);
    CHECK(month[0].letter.text.find("FIR 2027") != std::string::npos);
    CHECK(month[0].letter.text.find("Avenant") == std::string::npos);

    // A composed digest for the first field reaches the subscribers of that field only.
    watch::digest_request r;
    r.from = t0;
    r.to = t0 + 31 * day;
    r.fields = {w.field};
    r.title = "Lettre spéciale";
    std::vector<watch::service::digest_mail> composed;
    w.pool.read_sync([&](db::connection& c) {
        composed = w.svc.composed_letters(c, r, "", [](const std::string& t) { return "https://relais.test/d?j=" + t; });
    });
    REQUIRE(composed.size() == 1);
    CHECK(composed[0].user == w.member);
    CHECK(composed[0].letter.items == 2);
    // For every field: each subscriber gets their own fields' part.
    r.fields.clear();
    w.pool.read_sync([&](db::connection& c) {
        composed = w.svc.composed_letters(c, r, "", [](const std::string& t) { return "https://relais.test/d?j=" + t; });
    });
    REQUIRE(composed.size() == 2);
    CHECK(composed[0].letter.items == 3);
    CHECK(composed[1].user == w.other);
    CHECK(composed[1].letter.items == 1);
}

TEST_CASE("watch: the digest archive, subscriptions and a refresh on demand, without HTTP", "[watch][digests]") {
    watch_db w;
    const std::int64_t t0 = 1'800'000'000;
    auto code = [&](const std::function<void(db::connection&)>& fn) { return code_of([&] { w.pool.write_sync(fn); }); };

    // Archive: newest first, without bodies in the list; one with its bodies; unknown: 404.
    watch::digest d{"Lettre de novembre", "Ce qu'il faut retenir", "<p>h</p>", "t", "# m", 3};
    watch::digest_request r;
    r.from = t0 - 86'400;
    r.to = t0;
    r.fields = {w.field};
    std::int64_t first = 0, second = 0;
    w.pool.write_sync([&](db::connection& c) {
        first = w.svc.archive_digest(c, d, r, 4, w.animateur, t0);
        d.title = "Lettre de décembre";
        second = w.svc.archive_digest(c, d, r, 0, w.animateur, t0 + 60);
    });
    json list, one;
    w.pool.read_sync([&](db::connection& c) {
        list = w.svc.digests_json(c);
        one = w.svc.digest_json(c, first);
    });
    REQUIRE(list.size() == 2);
    CHECK(list[0]["id"] == second);
    CHECK(list[0]["title"] == "Lettre de décembre");
    CHECK(list[1]["recipients"] == 4);
    CHECK_FALSE(list[0].contains("html"));
    CHECK(one["title"] == "Lettre de novembre");
    CHECK(one["items"] == 3);
    CHECK(one["markdown"] == "# m");
    CHECK(w.scalar("SELECT field_ids = '[" + std::to_string(w.field) + "]' FROM watch_digests WHERE id = " + std::to_string(first)) == 1);
    CHECK(code([&](db::connection& c) { w.svc.digest_json(c, second + 1); }) == "introuvable");

    // Subscriptions: none by default; set, changed in place (the token stays), refused for
    // an unknown field or frequency without changing anything, removed by "none" or by its token.
    json sub;
    w.pool.read_sync([&](db::connection& c) { sub = w.svc.subscription_json(c, w.member); });
    CHECK(sub["frequency"] == "none");
    CHECK(sub["field_ids"].empty());
    w.pool.write_sync([&](db::connection& c) { w.svc.set_subscription(c, w.member, "weekly", {}, t0); });
    auto token = [&] {
        std::string t;
        w.pool.read_sync([&](db::connection& c) {
            auto s = c.prepare("SELECT token FROM watch_subscriptions WHERE user_id = ?1");
            s.bind(1, w.member);
            if (s.step()) t = s.get_text(0);
        });
        return t;
    };
    auto first_token = token();
    CHECK(first_token.size() >= 32);
    w.pool.write_sync([&](db::connection& c) { w.svc.set_subscription(c, w.member, "monthly", {w.field}, t0 + 5); });
    w.pool.read_sync([&](db::connection& c) { sub = w.svc.subscription_json(c, w.member); });
    CHECK(sub["frequency"] == "monthly");
    CHECK(sub["field_ids"] == json::array({w.field}));
    CHECK(token() == first_token);
    CHECK(code([&](db::connection& c) { w.svc.set_subscription(c, w.member, "weekly", {w.field + 1000}, t0); }) == "champ_invalide");
    CHECK(code([&](db::connection& c) { w.svc.set_subscription(c, w.member, "daily", {}, t0); }) == "champ_invalide");
    w.pool.read_sync([&](db::connection& c) { sub = w.svc.subscription_json(c, w.member); });
    CHECK(sub["frequency"] == "monthly");
    bool removed = true;
    w.pool.write_sync([&](db::connection& c) { removed = w.svc.unsubscribe(c, "pas-un-jeton"); });
    CHECK_FALSE(removed);
    w.pool.write_sync([&](db::connection& c) { removed = w.svc.unsubscribe(c, first_token); });
    CHECK(removed);
    w.pool.write_sync([&](db::connection& c) { removed = w.svc.unsubscribe(c, first_token); });
    CHECK_FALSE(removed);
    w.pool.write_sync([&](db::connection& c) {
        w.svc.set_subscription(c, w.other, "weekly", {}, t0);
        w.svc.set_subscription(c, w.other, "none", {}, t0);
    });
    CHECK(w.scalar("SELECT count(*) FROM watch_subscriptions") == 0);

    // Refresh on demand: brings the next fetch forward, except for a source that failed and
    // was pushed back less than an hour ago; unknown source: 404.
    std::int64_t source = 0;
    w.pool.write_sync([&](db::connection& c) {
        source = w.svc.add_source(c, w.field, "https://a.example/flux.xml", "A", "", "rss2", 3600, w.member, t0);
        c.prepare("UPDATE watch_sources SET next_fetch_at = ?1 WHERE id = ?2").bind(1, t0 + 3600).bind(2, source).exec();
        w.svc.refresh_soon(c, source, t0 + 10);
    });
    auto next = [&] { return w.scalar("SELECT next_fetch_at FROM watch_sources WHERE id = " + std::to_string(source)); };
    CHECK(next() == t0 + 10);
    w.pool.write_sync([&](db::connection& c) {
        c.prepare("UPDATE watch_sources SET failures = 2, next_fetch_at = ?1 WHERE id = ?2").bind(1, t0 + 7200).bind(2, source).exec();
        w.svc.refresh_soon(c, source, t0 + 20);
    });
    CHECK(next() == t0 + 7200);
    CHECK(code([&](db::connection& c) { w.svc.refresh_soon(c, source + 1, t0); }) == "introuvable");

    // The seed's test: a slug is known once the field exists.
    bool known = false, unknown = true;
    w.pool.read_sync([&](db::connection& c) {
        known = w.svc.has_field_slug(c, "reglementation");
        unknown = w.svc.has_field_slug(c, "pas-un-champ");
    });
    CHECK(known);
    CHECK_FALSE(unknown);
}

TEST_CASE("watch: an inbox is paged in its own order, every item once", "[watch]") {
    watch_db w;
    const std::int64_t t0 = 1'800'000'000;
    std::int64_t source = 0;
    w.pool.write_sync([&](db::connection& c) {
        source = w.svc.add_source(c, w.field, "https://a.example/flux.xml", "A", "", "rss2", 3600, w.member, t0);
    });
    // Stored in one order (ids), published in another, two at the same second.
    watch::feed f;
    const std::vector<std::pair<std::string, std::int64_t>> published{
        {"a", t0 - 50}, {"b", t0 - 10}, {"c", t0 - 90}, {"d", t0 - 10}, {"e", t0 - 30}, {"f", t0 - 70}, {"g", t0 - 5}};
    // (Titles unlike each other: near-identical titles are one item across feeds.)
    const std::map<std::string, std::string> titles{{"a", "Avenant conventionnel"}, {"b", "Budget du FIR"},
                                                    {"c", "Communes rurales"}, {"d", "Décret sur la coordination"},
                                                    {"e", "Exercice coordonné"}, {"f", "Formation des assistants"},
                                                    {"g", "Gouvernance associative"}};
    for (const auto& [key, at] : published) f.items.push_back(item(key, titles.at(key), "https://a.example/" + key, at));
    w.pool.write_sync([&](db::connection& c) { w.svc.record_fetch(c, source, ok_attempt(), &f, t0); });

    for (std::int64_t limit : {1, 2, 3, 7, 50}) {
        std::vector<std::string> seen;
        std::int64_t before = 0;
        for (int pages = 0; pages < 20; ++pages) {
            json page;
            w.pool.read_sync([&](db::connection& c) { page = w.svc.inbox_json(c, w.field, "new", limit, before); });
            CHECK_FALSE(page["items"].empty());  // `next_before` never leads to an empty page (7 items, limit 7)
            for (const auto& i : page["items"])
                for (const auto& [key, title] : titles)
                    if (i["title"] == title) seen.push_back(key);
            if (!page.contains("next_before")) break;
            before = page["next_before"].get<std::int64_t>();
        }
        // Newest publication first; at the same second, the later stored first (d after b).
        CHECK(seen == std::vector<std::string>{"g", "d", "b", "e", "a", "f", "c"});
    }
}

TEST_CASE("watch: an archived field keeps what it holds and takes nothing new", "[watch]") {
    watch_db w;
    const std::int64_t t0 = 1'800'000'000;
    auto code = [&](const std::function<void(db::connection&)>& fn) { return code_of([&] { w.pool.write_sync(fn); }); };
    std::int64_t open_field = 0, shared = 0, alone = 0;
    w.pool.write_sync([&](db::connection& c) {
        open_field = w.svc.create_field(c, {"parcours", "Parcours", "", ""}, t0);
        shared = w.svc.add_source(c, w.field, "https://a.example/flux.xml", "A", "", "rss2", 3600, w.member, t0);
        w.svc.add_source(c, open_field, "https://a.example/flux.xml", "", "", "", 3600, w.member, t0);
        alone = w.svc.add_source(c, w.field, "https://b.example/flux.xml", "B", "", "rss2", 3600, w.member, t0);
        w.svc.post_item(c, w.field, {"note", "", "Compte rendu du COPIL", "Avant l'archivage"}, w.member, t0);
        w.svc.update_field(c, w.field, {{"archived", true}}, t0 + 1);
    });
    // Nothing new enters: no source, no OPML, no posted item.
    CHECK(code([&](db::connection& c) {
              w.svc.add_source(c, w.field, "https://c.example/flux.xml", "C", "", "rss2", 3600, w.member, t0 + 2);
          }) == "champ_archive");
    CHECK(code([&](db::connection& c) { w.svc.import_sources(c, w.field, {{"https://d.example/f.xml", "D", ""}}, w.member, t0 + 2); }) ==
          "champ_archive");
    CHECK(code([&](db::connection& c) { w.svc.post_item(c, w.field, {"note", "", "Après", ""}, w.member, t0 + 2); }) == "champ_archive");
    CHECK(code([&](db::connection& c) { w.svc.post_item(c, 999, {"note", "", "Nulle part", ""}, w.member, t0 + 2); }) == "introuvable");
    // A source only archived fields follow is not fetched; a shared one is, for the open field only.
    std::vector<watch::service::due_source> due;
    w.pool.write_sync([&](db::connection& c) { due = w.svc.take_due(c, t0 + 10, 10, 120); });
    REQUIRE(due.size() == 1);
    CHECK(due[0].id == shared);
    watch::feed f;
    f.format = "rss2";
    f.items = {item("a1", "Avenant 3 à l'ACI", "https://a.example/avenant-3", t0 + 5)};
    w.pool.write_sync([&](db::connection& c) { w.svc.record_fetch(c, shared, ok_attempt(), &f, t0 + 10); });
    CHECK(w.scalar("SELECT count(*) FROM watch_field_items WHERE field_id = " + std::to_string(open_field)) == 1);
    CHECK(w.scalar("SELECT count(*) FROM watch_field_items WHERE field_id = " + std::to_string(w.field)) == 1);  // the note
    w.pool.read_sync([&](db::connection& c) { CHECK(w.svc.inbox_json(c, w.field, "new", 50, 0)["items"].size() == 1); });
    // Reopened: its own source is due at once and posting works again.
    w.pool.write_sync([&](db::connection& c) {
        w.svc.update_field(c, w.field, {{"archived", false}}, t0 + 20);
        due = w.svc.take_due(c, t0 + 20, 10, 120);
        w.svc.post_item(c, w.field, {"note", "", "Après la réouverture", ""}, w.member, t0 + 21);
    });
    REQUIRE(due.size() == 1);
    CHECK(due[0].id == alone);
    CHECK(w.scalar("SELECT count(*) FROM watch_field_items WHERE field_id = " + std::to_string(w.field)) == 2);
}
