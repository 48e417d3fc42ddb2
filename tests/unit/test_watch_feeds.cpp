// The watch parser on real-looking feeds and on the malformations found in the wild.
// Fixtures: tests/fixtures/feeds/ (small, hand-written).
#include "common/utf8.hpp"
#include "watch/detail.hpp"
#include "watch/feed.hpp"
#include "watch/sanitize.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

using namespace relais;
using namespace relais::watch;

namespace {

std::string fixture(const std::string& name) {
    std::ifstream in(std::string(RELAIS_FEED_FIXTURES) + "/" + name, std::ios::binary);
    REQUIRE(in);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

parse_options opts(std::string base = "https://feeds.example.org/feed.xml") {
    parse_options o;
    o.base_url = std::move(base);
    o.fetched_at = 1'800'000'000;
    return o;
}

feed parse(const std::string& name, parse_options o = opts()) { return parse_feed(fixture(name), o); }

bool has_warning(const feed& f, std::string_view part) {
    for (const auto& w : f.warnings)
        if (w.find(part) != std::string::npos) return true;
    return false;
}

/// Every string of a feed is valid UTF-8 (the JSON dump would throw otherwise).
void check_utf8(const feed& f) {
    CHECK(is_valid_utf8(f.title));
    CHECK(is_valid_utf8(f.description));
    for (const auto& it : f.items) {
        CHECK(is_valid_utf8(it.title));
        CHECK(is_valid_utf8(it.content_html));
        CHECK(is_valid_utf8(it.summary_html));
        CHECK(is_valid_utf8(it.text));
        CHECK(is_valid_utf8(it.key));
    }
    CHECK_NOTHROW(to_json(f).dump());
}

std::string code_of(const std::string& body, parse_options o = opts()) {
    try {
        parse_feed(body, o);
    } catch (const parse_error& e) {
        return e.code();
    }
    return "";
}


/// How long a pathological input may take: a generous multiple of the time a plain feed
/// of the same size takes on this machine and build (a sanitised build is ten times
/// slower, a loaded CI machine more). A quadratic path on megabytes is far beyond it; a
/// fixed number of seconds would measure the machine, not the parser.
std::chrono::nanoseconds linear_budget() {
    static const auto budget = [] {
        // A large feed that takes the general path (markup in the title and the content: no
        // shortcut for plain text), as the pathological bodies do.
        std::string plain = "<rss version=\"2.0\"><channel><title>T</title><item><title>&lt;b&gt;" + std::string(4 << 20, 'a') +
                            "</title><description><![CDATA[<p>" + std::string(1 << 20, 'b') +
                            "</p>]]></description></item></channel></rss>";
        auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < 2; ++i) parse_feed(plain, opts());
        auto once = (std::chrono::steady_clock::now() - start) / 2;
        // Linear inputs with more work per byte (every "&" an entity reference) take up to about
        // ten times the reference; a super-linear blow-up takes orders of magnitude more.
        return std::chrono::duration_cast<std::chrono::nanoseconds>(once * 60 + std::chrono::seconds(1));
    }();
    return budget;
}
}  // namespace

TEST_CASE("rss 2.0: fields, content:encoded, enclosures, dates", "[watch][feeds]") {
    feed f = parse("rss2.xml");
    CHECK(f.format == "rss2");
    CHECK(f.title == "ARS Bretagne — Actualités");
    CHECK(f.link == "https://www.example.org/actualites/");
    CHECK(f.language == "fr-FR");
    REQUIRE(f.items.size() == 2);
    const auto& a = f.items[0];
    CHECK(a.title == "Appel à projets CPTS 2027");  // escaped markup in the title stripped
    CHECK(a.key == "ars-bzh-1234");
    CHECK(a.key_kind == "guid");
    CHECK(a.link == "https://www.example.org/actualites/appel-cpts-2027?utm_source=rss");
    CHECK(a.author == "Service communication");
    CHECK(a.published == 1'796'043'600);  // 2026-11-30T13:00:00Z
    CHECK_FALSE(a.date_guessed);
    CHECK(a.categories == std::vector<std::string>{"CPTS", "Appels à projets"});
    CHECK(a.summary_html == "Résumé : l&#39;appel <em>est ouvert</em>.");
    CHECK(a.content_html ==
          "<p>Le cahier des charges est <a href=\"https://www.example.org/docs/cdc.pdf\" rel=\"noopener noreferrer "
          "nofollow\">en ligne</a>.</p>");
    CHECK(a.text == "Le cahier des charges est en ligne.");
    REQUIRE(a.enclosures.size() == 1);
    CHECK(a.enclosures[0].url == "https://www.example.org/docs/cdc.pdf");
    CHECK(a.enclosures[0].type == "application/pdf");
    CHECK(a.enclosures[0].length == 123456);
    const auto& b = f.items[1];
    CHECK(b.link == "https://www.example.org/actualites/deuxieme");  // relative, against the channel's link
    CHECK(b.published == 1'796'117'400);
    CHECK(b.text == "Texte court.");
    check_utf8(f);

    auto j = to_json(f);
    CHECK(j["items"][0]["published"] == "2026-11-30T13:00:00Z");
    CHECK(j["items"][0]["date_guessed"] == false);
    CHECK(j["format"] == "rss2");
}

TEST_CASE("rss 0.91 with the Netscape DTD and HTML entities", "[watch][feeds]") {
    feed f = parse("rss091.xml");
    CHECK(f.format == "rss2");
    REQUIRE(f.items.size() == 1);
    CHECK(f.items[0].title == "Première nouvelle");
    CHECK(f.items[0].text == "Une nouvelle ancienne…");
    CHECK(f.items[0].key_kind == "link");
    CHECK(f.items[0].date_guessed);
    CHECK(f.items[0].published == 1'800'000'000);
}

TEST_CASE("rss 1.0 and 0.90: items beside the channel", "[watch][feeds]") {
    feed f = parse("rss1.rdf");
    CHECK(f.format == "rss1");
    CHECK(f.title == "Flux RDF");
    CHECK(f.language == "fr");
    REQUIRE(f.items.size() == 2);
    CHECK(f.items[0].guid == "https://rdf.example.org/a");
    CHECK(f.items[0].author == "Alice");
    CHECK(f.items[0].categories == std::vector<std::string>{"santé"});
    CHECK(f.items[0].published == 1'796'029'200);
    CHECK(f.items[1].date_guessed);

    feed old = parse("rss090.rdf");
    CHECK(old.format == "rss090");
    REQUIRE(old.items.size() == 1);
    CHECK(old.items[0].link == "http://www.mozilla.org/status/");
}

TEST_CASE("atom: text constructs, xml:base, alternate links, enclosures", "[watch][feeds]") {
    feed f = parse("atom.xml", opts("https://blog.example.org/feed.atom"));
    CHECK(f.format == "atom");
    CHECK(f.title == "Le blog santé");
    CHECK(f.description == "Un blog de test");
    CHECK(f.link == "https://blog.example.org/");
    CHECK(f.language == "fr");
    REQUIRE(f.items.size() == 2);
    const auto& a = f.items[0];
    CHECK(a.title == "Les <b> restent du texte");         // type="text": literal
    CHECK(a.link == "https://blog.example.org/posts/1");  // text/html preferred over JSON
    CHECK(a.key == "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a");
    CHECK(a.published == 1'795'935'600);  // published before updated
    CHECK(a.author == "Équipe du blog");  // the feed's author
    CHECK(a.categories == std::vector<std::string>{"soins-primaires"});
    CHECK(a.summary_html == "<p>Un <strong>résumé</strong></p>");
    // xhtml content: the div is dropped, links resolve against the content's xml:base,
    // images are blocked by default (alt text kept).
    CHECK(a.content_html ==
          "<p>Voir <a href=\"https://blog.example.org/posts/2\" rel=\"noopener noreferrer nofollow\">le suivant</a> et "
          "[schéma].</p>");
    REQUIRE(a.enclosures.size() == 1);
    CHECK(a.enclosures[0].url == "https://blog.example.org/media/1.mp3");
    CHECK(a.enclosures[0].type == "audio/mpeg");
    const auto& b = f.items[1];
    CHECK(b.link == "https://autre.example.org/dossier/page.html");
    CHECK(b.author == "Bob");
    CHECK(b.content_html == "Du texte &lt;brut&gt;\nsur deux lignes");
    CHECK(b.published == 1'795'852'800);

    parse_options keep = opts();
    keep.images = image_policy::keep;
    CHECK(parse_feed(fixture("atom.xml"), keep)
              .items[0]
              .content_html.find("<img src=\"https://blog.example.org/posts/i.png\" alt=\"schéma\">") != std::string::npos);
    parse_options proxy = opts();
    proxy.images = image_policy::proxy;
    proxy.image_proxy_prefix = "/api/watch/image?u=";
    proxy.image_proxy_key = "clé";
    CHECK(parse_feed(fixture("atom.xml"), proxy)
              .items[0]
              .content_html.find("<img src=\"/api/watch/image?u=https%3A%2F%2Fblog.example.org%2Fposts%2Fi.png&amp;s=" +
                                 image_signature("clé", "https://blog.example.org/posts/i.png") + "\"") !=
          std::string::npos);
}

TEST_CASE("json feed", "[watch][feeds]") {
    feed f = parse("feed.json", opts("https://json.example.org/feed.json"));
    CHECK(f.format == "jsonfeed");
    CHECK(f.title == "Flux JSON");
    CHECK(f.link == "https://json.example.org/");
    CHECK(f.language == "fr");
    REQUIRE(f.items.size() == 3);  // {"id": "3"} has nothing to show
    CHECK(has_warning(f, "sans titre"));
    const auto& a = f.items[0];
    CHECK(a.key == "1");
    CHECK(a.content_html == "<p>Bonjour <b>monde</b></p>");
    CHECK(a.summary_html == "Résumé &lt;pas du HTML&gt;");
    CHECK(a.author == "Claire");
    CHECK(a.categories == std::vector<std::string>{"a", "b"});
    REQUIRE(a.enclosures.size() == 1);
    CHECK(a.enclosures[0].url == "https://json.example.org/a.pdf");
    CHECK(a.enclosures[0].length == 42);
    const auto& b = f.items[1];
    CHECK(b.key == "2");
    CHECK(b.link == "https://ailleurs.example.org/2");
    CHECK(b.content_html == "Ligne 1<br>Ligne 2 &amp; &lt;3");
    CHECK(b.text == "Ligne 1 Ligne 2 & <3");
    CHECK(b.author == "Denis");
    CHECK(b.published == 1'795'946'400);
    CHECK(f.items[2].date_guessed);
}

TEST_CASE("json feed: depth checked before parsing, junk refused", "[watch][feeds]") {
    std::string deep(5 << 20, '[');
    const auto budget = linear_budget();  // measured before the clock starts
    auto start = std::chrono::steady_clock::now();
    CHECK(code_of(deep) == "flux_illisible");
    CHECK(code_of("{\"a\":" + std::string(100, '{')) == "flux_illisible");
    CHECK(std::chrono::steady_clock::now() - start < budget);
    // Brackets inside strings do not count.
    std::string in_strings = R"({"version":"https://jsonfeed.org/version/1","title":")" + std::string(1000, '[') +
                             R"(","items":[{"id":"1","title":"x"}]})";
    CHECK(parse_feed(in_strings, opts()).items.size() == 1);
    CHECK(code_of("{\"version\": 1}") == "flux_illisible");
    CHECK(code_of("{not json") == "flux_illisible");
}

TEST_CASE("errors: html page, not a feed, empty", "[watch][feeds]") {
    CHECK(code_of(fixture("html_page.html")) == "page_html");
    CHECK(code_of("<html><body>x</body></html>") == "page_html");
    CHECK(code_of("<?xml version=\"1.0\"?><html xmlns=\"http://www.w3.org/1999/xhtml\"><body/></html>") == "page_html");
    CHECK(code_of(fixture("not_a_feed.txt")) == "flux_illisible");
    CHECK(code_of("") == "flux_illisible");
    CHECK(code_of("<?xml version=\"1.0\"?><svg/>") == "flux_illisible");
    try {
        parse_feed("<foo/>", opts());
        FAIL("accepted");
    } catch (const parse_error& e) {
        CHECK(e.message() == "Le contenu n'est pas un flux RSS, Atom ou JSON Feed reconnu.");
    }
    // A valid feed without items is not an error.
    CHECK(parse_feed("<rss version=\"2.0\"><channel><title>Vide</title></channel></rss>", opts()).items.empty());
}

TEST_CASE("no XXE: external entities are neither read nor fetched", "[watch][feeds][security]") {
    for (const char* name : {"xxe_file.xml", "xxe_http.xml"}) {
        feed f = parse(name);
        std::string all = to_json(f).dump();
        CHECK(all.find("root:") == std::string::npos);  // /etc/passwd's first line
        CHECK(has_warning(f, "entités"));
        REQUIRE(f.items.size() == 1);
        CHECK(f.items[0].title.find("&") != std::string::npos);  // the reference is left as text
    }
}

TEST_CASE("no XXE even without the DOCTYPE removal: libxml2's own settings", "[watch][feeds][security]") {
    // Defence in depth: the parser itself, given a DOCTYPE, neither loads nor substitutes.
    const char* xml =
        "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">"
        "<!ENTITY y SYSTEM \"http://127.0.0.1:9/\">]><r>a&x;b&y;c</r>";
    auto doc = detail::read_xml(xml);
    REQUIRE(doc);
    std::string text = detail::node_text(xmlDocGetRootElement(doc.get()));
    CHECK(text.find("root:") == std::string::npos);
    CHECK(text.size() < 10);
}

TEST_CASE("no entity expansion bomb", "[watch][feeds][security]") {
    const auto budget = linear_budget();  // measured before the clock starts
    auto start = std::chrono::steady_clock::now();
    feed f = parse("billion_laughs.xml");
    CHECK(std::chrono::steady_clock::now() - start < budget);
    REQUIRE(f.items.size() == 1);
    CHECK(f.items[0].title == "&lol9;");
    CHECK(f.items[0].text.size() < 100);
    CHECK(has_warning(f, "entités"));
}

TEST_CASE("recovery: junk after the root, unescaped &, HTML entities", "[watch][feeds]") {
    // Junk after the root: PHP warnings appended to the feed (WordPress plugins, SPIP).
    feed junk = parse("junk_after_root.xml");
    REQUIRE(junk.items.size() == 2);
    CHECK(junk.items[1].title == "Deux");

    // PHP warnings before the XML declaration.
    feed before = parse_feed(
        "<br />\n<b>Warning</b>: Cannot modify header information in <b>/var/www/feed.php</b><br />\n"
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Avant</title><item><title>Un</title>"
        "</item></channel></rss>",
        opts());
    CHECK(before.title == "Avant");
    CHECK(before.items.size() == 1);
    CHECK(has_warning(before, "parasite"));

    // A quote left open in an attribute.
    feed quote = parse_feed(
        "<rss version=\"2.0\"><channel><item><title>Un</title><enclosure url=\"https://q.example/a.mp3 "
        "length=5></item><item><title>Deux</title></item></channel></rss>",
        opts());
    REQUIRE(quote.items.size() == 2);
    CHECK(quote.items[1].title == "Deux");

    // Unescaped & in text and URLs, '<' in text, whitespace before the prolog.
    feed amp = parse("unescaped_amp.xml");
    CHECK(amp.title == "Tom & Jerry");
    CHECK(amp.link == "https://a.example.org/?a=1&b=2");
    REQUIRE(amp.items.size() == 1);
    CHECK(amp.items[0].title == "R&D & innovation");
    CHECK(amp.items[0].link == "https://a.example.org/item?id=1&lang=fr");
    CHECK(amp.items[0].text == "Prix < 10 € & plus");
    CHECK(amp.items[0].enclosures.at(0).url == "https://a.example.org/f.mp3?x=1&y=2");

    // HTML named entities in XML (common in feeds written by hand or by old CMSs).
    feed ent = parse("html_entities.xml");
    CHECK(ent.title == "Entités");
    REQUIRE(ent.items.size() == 1);
    // "&amp;eacute;" (escaped twice, a classic) is decoded twice in titles, which are plain text.
    CHECK(ent.items[0].title == "L’été arrive… « enfin » é &unknownentity;");
    CHECK(ent.items[0].text == "Café © 2026 é é");
}

TEST_CASE("recovery: undeclared prefixes, broken CDATA, truncation", "[watch][feeds]") {
    // <dc:creator>, <media:content> without xmlns (feeds built by string concatenation).
    feed ns = parse("undeclared_ns.xml");
    REQUIRE(ns.items.size() == 1);
    CHECK(ns.items[0].author == "Marie Curie");
    CHECK(ns.items[0].published == 1'796'032'800);
    CHECK(ns.items[0].content_html == "<p>Contenu complet</p>");
    REQUIRE(ns.items[0].enclosures.size() == 1);
    CHECK(ns.items[0].enclosures[0].type == "video/mp4");
    CHECK(ns.items[0].enclosures[0].length == 999);

    feed cdata = parse("broken_cdata.xml");
    REQUIRE(cdata.items.size() == 2);
    CHECK(cdata.items[0].summary_html == "<p>Jamais refermé</p>");
    CHECK(cdata.items[1].title == "Second");
    CHECK(cdata.items[1].text == "Texte avec ]]> égaré");
    CHECK(has_warning(cdata, "CDATA"));

    // A connection cut mid-transfer: the items so far.
    feed cut = parse("truncated.xml");
    REQUIRE(cut.items.size() >= 2);
    CHECK(cut.items[0].text == "complet");
    CHECK(cut.items[1].title == "Deux");
}

TEST_CASE("encodings: BOMs, declared, lying, from Content-Type", "[watch][feeds]") {
    const std::string title = "Été à l’hôpital – œuvre";
    for (const char* name :
         {"utf8_bom.xml", "utf16le_bom.xml", "utf16be_bom.xml", "windows1252.xml", "lying_utf8.xml", "lying_latin1.xml"}) {
        INFO(name);
        feed f = parse(name);
        CHECK(f.title == "Café ’ €");
        REQUIRE(f.items.size() == 1);
        CHECK(f.items[0].title == title);
        check_utf8(f);
    }
    CHECK(has_warning(parse("lying_utf8.xml"), "Windows-1252"));
    CHECK(has_warning(parse("lying_latin1.xml"), "UTF-8"));

    feed latin = parse("latin1.xml");
    CHECK(latin.title == "Café ' EUR");
    CHECK(latin.items.at(0).title == "Été à l'hôpital - oeuvre");

    parse_options o = opts();
    o.charset = "ISO-8859-1";
    feed ct = parse_feed(fixture("no_prolog_latin1.xml"), o);
    CHECK(ct.items.at(0).title == "Été à l'hôpital - oeuvre");
    // Other charsets through iconv: ISO-8859-15 has the euro sign at 0xA4.
    feed l9 = parse_feed(
        "<?xml version=\"1.0\" encoding=\"ISO-8859-15\"?><rss version=\"2.0\"><channel><title>\xa4 "
        "\xe9t\xe9</title></channel></rss>",
        opts());
    CHECK(l9.title == "€ été");
    // Without the header, invalid UTF-8 is still read as Windows-1252.
    CHECK(parse("no_prolog_latin1.xml").items.at(0).title == "Été à l'hôpital - oeuvre");
}

TEST_CASE("keys: guid, then link, then hash, empty items dropped", "[watch][feeds]") {
    feed f = parse("missing_guid.xml");
    REQUIRE(f.items.size() == 4);
    CHECK(f.items[0].key == "https://g.example.org/blog/billet-1");
    CHECK(f.items[0].key_kind == "link");
    CHECK(f.items[1].key_kind == "hash");
    CHECK(f.items[1].key.starts_with("sha256:"));
    CHECK(f.items[1].key.size() == 7 + 64);
    CHECK(f.items[2].link == "https://g.example.org/permalien");  // isPermaLink guid as link
    CHECK(f.items[2].key_kind == "guid");
    CHECK(f.items[3].link.empty());  // javascript: link dropped
    CHECK(f.items[3].key_kind == "hash");
    CHECK(has_warning(f, "sans titre"));
    // The hash is stable.
    CHECK(parse("missing_guid.xml").items[1].key == f.items[1].key);
}

TEST_CASE("payloads in feeds: nothing executable survives", "[watch][feeds][security]") {
    feed f = parse("xss.xml");
    CHECK(f.title == "XSS");
    REQUIRE(f.items.size() == 1);
    const auto& it = f.items[0];
    CHECK(it.title == "Titre");
    CHECK(it.link.empty());
    std::string all = it.summary_html + it.content_html;
    for (const char* bad : {"<script", "onerror", "onload", "onclick", "onmouseover", "javascript", "expression", "<svg",
                            "<iframe", "<style", "<object", "<form", "<input", "data:", "style="})
        CHECK(all.find(bad) == std::string::npos);
    CHECK(it.summary_html.find("lien") != std::string::npos);
    CHECK(it.content_html.find("[pic]") != std::string::npos);
}

TEST_CASE("pathological inputs stay fast", "[watch][feeds][security]") {
    std::vector<std::string> bodies;
    std::string cdata = "<rss><channel><item><description>";
    for (int i = 0; i < 200'000; ++i) cdata += "<![CDATA[x]]>";
    bodies.push_back(cdata);
    bodies.push_back("<rss><channel><item><title>" + std::string(4 << 20, '&'));
    bodies.push_back("<rss><channel><item><title>" + std::string(4 << 20, '<'));
    std::string deep = "<rss><channel><item><description>";
    for (int i = 0; i < 200'000; ++i) deep += "<a>";
    bodies.push_back(deep);
    std::string html_deep = "<rss><channel><item><description><![CDATA[";
    for (int i = 0; i < 200'000; ++i) html_deep += "<div>";
    bodies.push_back(html_deep + "]]></description></item></channel></rss>");
    for (const auto& body : bodies) {
        const auto budget = linear_budget();  // measured before the clock starts
        auto start = std::chrono::steady_clock::now();
        try {
            parse_feed(body, opts());
        } catch (const parse_error&) {
        }
        CHECK(std::chrono::steady_clock::now() - start < budget);
    }
}

TEST_CASE("caps: items, title, content, text", "[watch][feeds]") {
    std::string body = "<rss version=\"2.0\"><channel><title>Caps</title>";
    for (int i = 0; i < 600; ++i)
        body +=
            "<item><title>n" + std::to_string(i) + "</title><link>https://c.example.org/" + std::to_string(i) + "</link></item>";
    std::string big_title(3'000, 'e');
    std::string big_content;
    for (int i = 0; i < 30'000; ++i) big_content += "<p>paragraphe é</p>";  // ~570 kB
    body += "<item><title>" + big_title + "</title><description><![CDATA[" + big_content + "]]></description></item>";
    body += "</channel></rss>";
    feed f = parse_feed(body, opts());
    REQUIRE(f.items.size() == 500);
    CHECK(f.items[0].title == "n0");
    CHECK(f.items[499].title == "n499");
    CHECK(has_warning(f, "limite de 500"));

    parse_options o = opts();
    o.max_items = 1000;
    feed g = parse_feed(body, o);
    REQUIRE(g.items.size() == 601);
    const auto& big = g.items.back();
    CHECK(big.title.size() == 1'000);
    CHECK(big.summary_html.size() <= max_content_bytes);
    CHECK(big.summary_html.size() > max_content_bytes - 100);
    CHECK(big.summary_html.ends_with("</p>"));
    CHECK(big.text.size() <= max_text_bytes);
    CHECK(is_valid_utf8(big.text));
    CHECK(has_warning(g, "Titre trop long"));
    CHECK(has_warning(g, "tronqué à 200 ko"));
    CHECK(has_warning(g, "50 ko"));
}

TEST_CASE("parsing from 4 threads at once", "[watch][feeds]") {
    const std::vector<std::string> names = {"rss2.xml", "atom.xml", "feed.json", "rss1.rdf", "xss.xml", "latin1.xml"};
    std::vector<std::string> bodies;
    std::vector<std::string> expected;
    for (const auto& n : names) {
        bodies.push_back(fixture(n));
        expected.push_back(to_json(parse_feed(bodies.back(), opts())).dump());
    }
    std::atomic<int> mismatches{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int round = 0; round < 30; ++round) {
                std::size_t i = static_cast<std::size_t>(t + round) % bodies.size();
                if (to_json(parse_feed(bodies[i], opts())).dump() != expected[i]) ++mismatches;
            }
        });
    }
    for (auto& th : threads) th.join();
    CHECK(mismatches == 0);
}

TEST_CASE("fuzz: truncated and corrupted fixtures return or throw parse_error", "[watch][feeds][fuzz]") {
    std::mt19937 rng(20261130);
    std::size_t runs = 0;
    for (const auto& entry : std::filesystem::directory_iterator(RELAIS_FEED_FIXTURES)) {
        std::string name = entry.path().filename().string();
        std::string body = fixture(name);
        if (body.empty()) continue;
        std::uniform_int_distribution<std::size_t> pos(0, body.size() - 1);
        std::uniform_int_distribution<int> byte(0, 255);
        for (int i = 0; i < 50; ++i) {
            std::string variants[2] = {body.substr(0, pos(rng)), body};
            for (int k = 0; k < 1 + i % 8; ++k) variants[1][pos(rng)] = static_cast<char>(byte(rng));
            for (const auto& v : variants) {
                INFO(name << " variant " << i);
                try {
                    feed f = parse_feed(v, opts());
                    CHECK_NOTHROW(to_json(f).dump());
                } catch (const parse_error&) {
                }
                ++runs;
            }
        }
    }
    CHECK(runs >= 2'000);
}

TEST_CASE("feeds: a title's markup is taken out, other angle brackets are words", "[watch][feeds]") {
    auto f = parse_feed(R"(<rss version="2.0"><channel><title>Titres &lt;spéciaux&gt;</title>
<item><title>Item avec &lt;script&gt; dans le titre</title><link>https://a.fr/1</link></item>
<item><title>Le &lt;style&gt; de la CPTS</title><link>https://a.fr/2</link></item>
<item><title>Si a&lt;b et b&gt;c</title><link>https://a.fr/3</link></item>
<item><title>&lt;b&gt;Appel&lt;/b&gt; à &lt;em class="x"&gt;projets&lt;/em&gt;&lt;br/&gt;2027</title><link>https://a.fr/4</link></item>
<item><title>&amp;eacute;t&amp;eacute; &lt;/script&gt;fin</title><link>https://a.fr/5</link></item>
</channel></rss>)",
                        opts());
    CHECK(f.title == "Titres <spéciaux>");
    REQUIRE(f.items.size() == 5);
    CHECK(f.items[0].title == "Item avec <script> dans le titre");
    CHECK(f.items[1].title == "Le <style> de la CPTS");
    CHECK(f.items[2].title == "Si a<b et b>c");
    CHECK(f.items[3].title == "Appel à projets 2027");
    CHECK(f.items[4].title == "été </script>fin");
    // Atom's type="html" titles are read the same way.
    auto a = parse_feed(R"(<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>
<entry><title type="html">Le &lt;style&gt; &lt;i&gt;du&lt;/i&gt; jour</title><id>urn:1</id><link href="https://a.fr/x"/></entry></feed>)",
                        opts());
    REQUIRE(a.items.size() == 1);
    CHECK(a.items[0].title == "Le <style> du jour");
}
