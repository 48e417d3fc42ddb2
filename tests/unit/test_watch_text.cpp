// Dates, URLs, titles, and what pages say about themselves.
#include "watch/dates.hpp"
#include "watch/discover.hpp"
#include "common/time.hpp"
#include "watch/text.hpp"
#include "watch/title_index.hpp"
#include "watch/urls.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

using namespace relais::watch;
using relais::paris_offset_at;
using relais::truncate_utf8_bytes;
using relais::truncate_utf8_chars;

namespace {

std::int64_t utc(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
    // Days from civil (H. Hinnant), for expected values independent of the code under test's.
    y -= mo <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const int yoe = y - era * 400;
    const int doy = (153 * (mo > 2 ? mo - 3 : mo + 9) + 2) / 5 + d - 1;
    const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (static_cast<std::int64_t>(era) * 146097 + doe - 719468) * 86400 + h * 3600 + mi * 60 + s;
}

}  // namespace

TEST_CASE("dates: RFC 822 and 1123", "[watch][dates]") {
    CHECK(parse_date("Mon, 30 Nov 2026 14:00:00 +0100") == utc(2026, 11, 30, 13));
    CHECK(parse_date("30 Nov 2026 14:00:00 +0100") == utc(2026, 11, 30, 13));
    CHECK(parse_date("Mon, 30 Nov 26 14:00:00 GMT") == utc(2026, 11, 30, 14));
    CHECK(parse_date("Mon, 30 Nov 2026 14:00 EST") == utc(2026, 11, 30, 19));
    CHECK(parse_date("Mon, 30 Nov 2026 14:00:00 PDT") == utc(2026, 11, 30, 21));
    CHECK(parse_date("Mon, 30 Nov 2026 14:00:00 CEST") == utc(2026, 11, 30, 12));
    CHECK(parse_date("Mon, 30 Nov 2026 14:00:00 Z") == utc(2026, 11, 30, 14));
    CHECK(parse_date("Mon, 30 Nov 2026 14:00:00 UT") == utc(2026, 11, 30, 14));
    CHECK(parse_date("Mon, 30 Nov 2026 14:00:00 -05:30") == utc(2026, 11, 30, 19, 30));
    CHECK(parse_date("  Mon,  30   Nov 2026,  14:00:00   +0000 ") == utc(2026, 11, 30, 14));
    CHECK(parse_date("Monday, November 30, 2026 2:00 PM GMT") == utc(2026, 11, 30, 14));
    CHECK(parse_date("Mon Nov 30 2026 14:00:00 GMT+0100 (heure normale d’Europe centrale)") == utc(2026, 11, 30, 13));
}

TEST_CASE("dates: RFC 3339 and ISO 8601", "[watch][dates]") {
    CHECK(parse_date("2026-11-30T14:00:00Z") == utc(2026, 11, 30, 14));
    CHECK(parse_date("2026-11-30T14:00:00.123456+01:00") == utc(2026, 11, 30, 13));
    CHECK(parse_date("2026-11-30T14:00+0100") == utc(2026, 11, 30, 13));
    CHECK(parse_date("2026-11-30 14:00:00 +01") == utc(2026, 11, 30, 13));
    CHECK(parse_date("2026-11-30t14:00:00z") == utc(2026, 11, 30, 14));
    // No zone: Paris time, winter (+1) and summer (+2).
    CHECK(parse_date("2026-11-30T14:00:00") == utc(2026, 11, 30, 13));
    CHECK(parse_date("2026-07-14T14:00:00") == utc(2026, 7, 14, 12));
    CHECK(parse_date("2026-07-14") == utc(2026, 7, 13, 22));
    // Around the switches (29 March and 25 October 2026).
    CHECK(parse_date("2026-03-29T01:30:00") == utc(2026, 3, 29, 0, 30));
    CHECK(parse_date("2026-03-29T03:30:00") == utc(2026, 3, 29, 1, 30));
    CHECK(parse_date("2026-10-25T03:30:00") == utc(2026, 10, 25, 2, 30));
    CHECK(paris_offset_at(utc(2026, 6, 1)) == 7200);
    CHECK(paris_offset_at(utc(2026, 12, 1)) == 3600);
}

TEST_CASE("dates: French and loose forms", "[watch][dates]") {
    CHECK(parse_date("30 nov. 2026") == utc(2026, 11, 29, 23));
    CHECK(parse_date("lundi 30 novembre 2026 14:00") == utc(2026, 11, 30, 13));
    CHECK(parse_date("1er décembre 2026") == utc(2026, 11, 30, 23));
    CHECK(parse_date("Mardi 1er Décembre 2026 à 14h30") == utc(2026, 12, 1, 13, 30));
    CHECK(parse_date("14 juillet 2026, 9h") == utc(2026, 7, 14, 7));
    CHECK(parse_date("3 févr. 2026") == utc(2026, 2, 2, 23));
    CHECK(parse_date("15 août 2026") == utc(2026, 8, 14, 22));
    CHECK(parse_date("30/11/2026") == utc(2026, 11, 29, 23));
    CHECK(parse_date("30/11/2026 14:00") == utc(2026, 11, 30, 13));
    CHECK(parse_date("11/30/2026") == utc(2026, 11, 29, 23));  // only possible as m/d/y
    CHECK(parse_date("30.11.2026") == utc(2026, 11, 29, 23));
    CHECK(parse_date("November 30th, 2026") == utc(2026, 11, 29, 23));
}

TEST_CASE("dates: nonsense refused", "[watch][dates]") {
    for (const char* bad : {"", "   ", "hier", "2026-13-01", "2026-02-30", "31 avril 2026", "Mon, 30 Nov 1989 14:00:00 GMT",
                            "2101-01-01", "30 Nov 2026 25:00", "30 Nov 2026 14:61", "Mon, 30 Foo 2026", "12345",
                            "2026-11-30T14:00:00+99:00", "le 30", "30 novembre", "novembre 2026 quelque chose"}) {
        INFO(bad);
        CHECK_FALSE(parse_date(bad).has_value());
    }
    CHECK(parse_date("2024-02-29") == utc(2024, 2, 28, 23));  // leap year
    CHECK_FALSE(parse_date("2026-02-29").has_value());
    CHECK_FALSE(parse_date(std::string(1000, '1')).has_value());
}

TEST_CASE("urls: RFC 3986 resolution", "[watch][urls]") {
    // RFC 3986 section 5.4 examples.
    const std::string base = "http://a/b/c/d;p?q";
    const std::pair<const char*, const char*> cases[] = {
        {"g:h", "g:h"},
        {"g", "http://a/b/c/g"},
        {"./g", "http://a/b/c/g"},
        {"g/", "http://a/b/c/g/"},
        {"/g", "http://a/g"},
        {"//g", "http://g/"},
        {"?y", "http://a/b/c/d;p?y"},
        {"g?y", "http://a/b/c/g?y"},
        {"#s", "http://a/b/c/d;p?q#s"},
        {"g#s", "http://a/b/c/g#s"},
        {";x", "http://a/b/c/;x"},
        {"", "http://a/b/c/d;p?q"},
        {".", "http://a/b/c/"},
        {"..", "http://a/b/"},
        {"../g", "http://a/b/g"},
        {"../..", "http://a/"},
        {"../../g", "http://a/g"},
        {"../../../g", "http://a/g"},
        {"/./g", "http://a/g"},
        {"/../g", "http://a/g"},
        {"g.", "http://a/b/c/g."},
        {"g/../h", "http://a/b/c/h"},
        {"g;x=1/../y", "http://a/b/c/y"},
    };
    for (const auto& [ref, expected] : cases) {
        INFO(ref);
        CHECK(resolve_url(base, ref) == expected);
    }
    CHECK(resolve_url("https://x.example/a/", " b c\n") == "https://x.example/a/b%20c");
    CHECK(resolve_url("https://x.example/a/", "/\\evil.example/x") == "https://evil.example/x");
    CHECK(resolve_url("https://x.example/", "é") == "https://x.example/%C3%A9");
    CHECK(resolve_url("", "/relative").empty());
    CHECK(resolve_url("", "HTTPS://Abs.example/x") == "https://Abs.example/x");
}

TEST_CASE("urls: only http(s) and mailto are safe", "[watch][urls]") {
    const std::string base = "https://x.example/";
    CHECK(safe_url(base, "/a") == "https://x.example/a");
    CHECK(safe_url(base, "mailto:a@b.example").empty());
    CHECK(safe_url(base, "mailto:a@b.example", true) == "mailto:a@b.example");
    for (const char* bad : {"javascript:alert(1)", " JavaScript:alert(1)", "jav\tascript:alert(1)", "java\nscript:x",
                            "\x01javascript:x", "data:text/html,x", "vbscript:x", "file:///etc/passwd", "ftp://x.example/",
                            "http://", "https:///path", "about:blank", "https://javascript:alert(1)",
                            "https://x.example:99999/", "https://x.example:80a/", "https://a b.example/",
                            "https://x.example<script>/", "https://[::1/x"}) {
        INFO(bad);
        CHECK(safe_url(base, bad).empty());
    }
    CHECK(safe_url("", "/a").empty());
    // Hosts a request can go to: ports in range, IPv6 in brackets, international names.
    CHECK(safe_url("", "https://x.example:65535/") == "https://x.example:65535/");
    CHECK(safe_url("", "https://[2001:db8::1]:8443/a") == "https://[2001:db8::1]:8443/a");
    CHECK(safe_url("", "https://santé.example/") == "https://sant%C3%A9.example/");

    // Absolute links that resolution gives back unchanged skip it: same result either way.
    for (const char* url : {"https://x.example/a/b?c=d&e=f#g", "http://x.example/", "https://x.example/a%20b",
                            "https://x.example/a/./b", "https://x.example/a/../b", "https://x.example/.a", "https://X.example/A",
                            "https://x.example", "https://x.example?q", "https://u@x.example/", "https://x.example:8080/p",
                            "https://x.example/a b", "https://x.example/a\\b", "https://x.example/é", "HTTPS://x.example/",
                            "https://[::1]/x", "https:///x", "https://@/x", "https://x.example/a'b"}) {
        INFO(url);
        std::string general = resolve_url(base, url);
        std::string expected;
        if (general.starts_with("https://") || general.starts_with("http://")) {
            auto host_end = general.find_first_of("/?#", general.find("//") + 2);
            auto authority = general.substr(general.find("//") + 2, host_end == std::string::npos ? std::string::npos
                                                                                                 : host_end - general.find("//") - 2);
            auto host = authority.substr(authority.rfind('@') == std::string::npos ? 0 : authority.rfind('@') + 1);
            if (!host.empty() && host[0] != ':') expected = general;
        }
        CHECK(safe_url(base, url) == expected);
    }
}

TEST_CASE("urls: normalisation for deduplication", "[watch][urls]") {
    CHECK(normalise_url("HTTP://WWW.Example.ORG:80/a/b/?utm_source=rss&b=2&a=1&fbclid=x#frag") ==
          "https://www.example.org/a/b?a=1&b=2");
    CHECK(normalise_url("https://example.org:443") == "https://example.org/");
    CHECK(normalise_url("https://example.org/") == "https://example.org/");
    CHECK(normalise_url("https://example.org:8443/x/") == "https://example.org:8443/x");
    CHECK(normalise_url("https://user:pw@example.org/x?xtor=RSS-1&at_medium=rss&gclid=1&mc_cid=2&mc_eid=3") ==
          "https://example.org/x");
    CHECK(normalise_url("https://example.org/a/./b/../c") == "https://example.org/a/c");
    CHECK(normalise_url("http://example.org/a") == normalise_url("https://example.org/a/"));
    CHECK(normalise_url("mailto:x@example.org") == "mailto:x@example.org");
    CHECK(url_encode_component("a b/é") == "a%20b%2F%C3%A9");
}

TEST_CASE("text: titles, folding, similarity", "[watch][text]") {
    CHECK(fold("Élève À L’ŒUVRE") == "eleve a l'oeuvre");
    CHECK(collapse_whitespace("  a\u00a0\n b\t ") == "a b");
    std::string s = "ééé";
    CHECK(truncate_utf8_bytes(s, 5));
    CHECK(s == "éé");
    s = "ééé";
    CHECK(truncate_utf8_chars(s, 1));
    CHECK(s == "é");
    CHECK(to_valid_utf8("a\xff") == "a\xEF\xBF\xBD");
    CHECK(to_valid_utf8("\xED\xA0\x80é") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBDé");  // a surrogate
    CHECK(to_valid_utf8("\xE0\x80\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");     // overlong
    CHECK(to_valid_utf8("\xF4\x90\x80\x80").find("\xEF\xBF\xBD") == 0);                       // above U+10FFFF
    CHECK(to_valid_utf8("\xF0\x9F\x98\x80 \xC3\xA9") == "\xF0\x9F\x98\x80 \xC3\xA9");
    // Collapsing keeps two-byte letters in its fast run, sees U+00A0 and U+0085 as it should.
    CHECK(collapse_whitespace("été\u00a0à\u00a0\u00a0Noël") == "été à Noël");
    CHECK(collapse_whitespace("a\u0085b") == "a b");  // NEL: a line break
    // What Relais refuses elsewhere is dropped: C1 controls, bidi overrides and isolates,
    // zero-width characters, the byte order mark.
    CHECK(collapse_whitespace("ab\u202Ecd\u2066e\u200Bf\uFEFFg\u0090h") == "abcdefgh");
    CHECK(collapse_whitespace("\xC3") == "\xEF\xBF\xBD");
    {
        std::string out;
        whitespace_collapser c(out);
        c.add("  un ");
        c.space();
        c.add("deux");
        c.space();
        c.space();
        c.add(" ");
        CHECK(out == "un deux");
    }

    CHECK(title_similarity("Appel à projets CPTS 2027", "CPTS : l'appel à projets 2027") == Approx(1.0));
    CHECK(title_similarity("Le rapport de l'ARS sur les déserts médicaux", "Rapport ARS : déserts médicaux") == Approx(1.0));
    CHECK(title_similarity("Vaccination : la campagne commence", "Grippe : la campagne de vaccination commence") > 0.7);
    CHECK(title_similarity("Budget 2027 de la Sécurité sociale", "Élections municipales à Rennes") == Approx(0.0));
    CHECK(title_similarity("", "") == Approx(0.0));
}

TEST_CASE("title index: the same answers as comparing with every recent title", "[watch][text]") {
    title_index idx(100);
    idx.add(1, "Appel à projets CPTS 2027", 1000);
    idx.add(2, "Le rapport de l'ARS sur les déserts médicaux", 1000);
    idx.add(3, "Budget 2027 de la Sécurité sociale", 500);
    idx.add(4, "Le la les", 1000);  // no significant word: compared whole
    idx.add(5, "", 1000);           // matches nothing
    CHECK(idx.find("CPTS : l'appel à projets 2027", 0.85, 0) == 1);
    CHECK(idx.find("Rapport ARS : déserts médicaux", 0.85, 0) == 2);
    CHECK_FALSE(idx.find("Élections municipales à Rennes", 0.85, 0));
    CHECK_FALSE(idx.find("Appel à projets CPTS 2028", 0.85, 0));  // 3 words of 4 in common: 0.75
    CHECK(idx.find("Budget 2027 de la Sécurité sociale", 0.85, 0) == 3);
    CHECK_FALSE(idx.find("Budget 2027 de la Sécurité sociale", 0.85, 600));  // older than `since`
    CHECK(idx.find("LE LA LES", 0.85, 0) == 4);
    CHECK_FALSE(idx.find("", 0.85, 0));
    // The most recent of several alike.
    idx.add(6, "Appel à projets 2027 CPTS", 1000);
    CHECK(idx.find("Appel à projets CPTS 2027", 0.85, 0) == 6);
    idx.forget(6);
    CHECK(idx.find("Appel à projets CPTS 2027", 0.85, 0) == 1);
    // Agreement with title_similarity over a set of titles, both ways.
    const std::vector<std::string> titles = {"Avenant 2 à l'ACI des CPTS", "L'avenant 2 de l'ACI CPTS est signé",
                                             "ACI CPTS : avenant 2", "Vaccination : la campagne commence",
                                             "Grippe : la campagne de vaccination commence", "Campagne de vaccination"};
    title_index all(100);
    for (std::size_t i = 0; i < titles.size(); ++i) all.add(static_cast<std::int64_t>(i + 10), titles[i], 1000);
    for (const auto& t : titles) {
        std::optional<std::int64_t> expected;
        for (std::size_t i = 0; i < titles.size(); ++i)
            if (title_similarity(titles[i], t) >= 0.6) expected = static_cast<std::int64_t>(i + 10);  // the last (most recent)
        INFO(t);
        CHECK(all.find(t, 0.6, 0) == expected);
    }
    // Random titles from a small vocabulary (common words shared by many): the index gives
    // what comparing with every title gives, at several thresholds.
    const std::vector<std::string> vocab = {"cpts", "santé", "appel", "projets", "avenant", "aci", "vaccination",
                                            "campagne", "2027", "rapport", "ars", "parcours", "prévention", "le", "de"};
    std::uint32_t seed = 12345;
    const auto next = [&] { return (seed = seed * 1103515245u + 12345u) >> 16; };
    std::vector<std::string> random_titles;
    for (int i = 0; i < 300; ++i) {
        std::string t;
        for (std::uint32_t w = 0, n = 1 + next() % 6; w < n; ++w) t += vocab[next() % vocab.size()] + " ";
        random_titles.push_back(t);
    }
    for (double threshold : {0.5, 0.7, 0.85, 1.0}) {
        title_index r(1000);
        for (std::size_t i = 0; i < 200; ++i) r.add(static_cast<std::int64_t>(i + 1), random_titles[i], 1000);
        for (std::size_t q = 200; q < random_titles.size(); ++q) {
            std::optional<std::int64_t> expected;
            for (std::size_t i = 0; i < 200; ++i)
                if (title_similarity(random_titles[i], random_titles[q]) >= threshold) expected = static_cast<std::int64_t>(i + 1);
            INFO(random_titles[q] << " at " << threshold);
            CHECK(r.find(random_titles[q], threshold, 0) == expected);
        }
    }
    // Capacity: the oldest go.
    title_index small(3);
    for (int i = 1; i <= 5; ++i) small.add(i, "Titre numéro " + std::to_string(i), 1000);
    CHECK(small.size() == 3);
    CHECK_FALSE(small.find("Titre numéro 1", 0.85, 0));
    CHECK(small.find("Titre numéro 5", 0.85, 0) == 5);
}

TEST_CASE("discovery of a page's feeds", "[watch][discover]") {
    std::ifstream in(std::string(RELAIS_FEED_FIXTURES) + "/html_page.html", std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    auto feeds = discover_feeds(ss.str(), "https://example.org/accueil/");
    REQUIRE(feeds.size() == 3);
    CHECK(feeds[0].url == "https://example.org/feed.xml");
    CHECK(feeds[0].title == "Actualités");
    CHECK(feeds[0].type == "application/rss+xml");
    CHECK(feeds[1].url == "https://example.org/atom");
    CHECK(feeds[1].title == "Atom");
    CHECK(feeds[1].type == "application/atom+xml");
    CHECK(feeds[2].url == "https://example.org/feed.json");

    auto based = discover_feeds(
        "<html><head><base href=\"https://cdn.example.org/site/\"><link rel=alternate "
        "type=application/rss+xml href=rss></head></html>",
        "https://example.org/");
    REQUIRE(based.size() == 1);
    CHECK(based[0].url == "https://cdn.example.org/site/rss");
    CHECK(discover_feeds("pas du html du tout", "https://example.org/").empty());
    CHECK(discover_feeds("", "https://example.org/").empty());

    auto meta = extract_page_meta(ss.str(), "https://example.org/");
    CHECK(meta.title == "Titre & Open Graph");
    CHECK(meta.description == "Description Twitter");
    auto plain = extract_page_meta(
        "<html><head><title> Une\n page </title><meta name=description content=\"Ma "
        "description\"></head><body><svg><title>non</title></svg></body></html>",
        "https://example.org/");
    CHECK(plain.title == "Une page");
    CHECK(plain.description == "Ma description");
    CHECK(meta.canonical_url == "https://example.org/accueil/");
    CHECK(plain.canonical_url.empty());
    auto latin = extract_page_meta("<title>Caf\xe9</title>", "https://example.org/");
    CHECK(latin.title == "Café");
    // The page's declared charset, checked against its bytes.
    auto declared = extract_page_meta("<meta charset=\"iso-8859-15\"><title>\xa4 \xe9t\xe9</title>", "https://example.org/");
    CHECK(declared.title == "€ été");
    auto lying = extract_page_meta("<meta charset=\"iso-8859-1\"><title>été</title>", "https://example.org/");
    CHECK(lying.title == "été");
    auto og = extract_page_meta("<meta property=\"og:url\" content=\"/a?b=1\"><title>t</title>", "https://example.org/x/");
    CHECK(og.canonical_url == "https://example.org/a?b=1");
}
