#include "common/errors.hpp"
#include "common/json_input.hpp"
#include "common/markup.hpp"
#include "common/metrics.hpp"
#include "common/time.hpp"
#include "common/in_flight.hpp"
#include "common/utf8.hpp"
#include "common/worker_pool.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <catch2/catch.hpp>

#include <thread>

using namespace relais;

TEST_CASE("utf8 validation", "[common]") {
    CHECK(is_valid_utf8(""));
    CHECK(is_valid_utf8("Communauté Professionnelle Territoriale de Santé"));
    CHECK(is_valid_utf8("\xF0\x9F\x98\x80"));           // emoji
    CHECK_FALSE(is_valid_utf8("\xC3"));                  // truncated
    CHECK_FALSE(is_valid_utf8("\xC0\xAF"));              // overlong '/'
    CHECK_FALSE(is_valid_utf8("\xE0\x80\xAF"));          // overlong, 3 bytes
    CHECK_FALSE(is_valid_utf8("\xED\xA0\x80"));          // surrogate
    CHECK_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));      // > U+10FFFF
    CHECK_FALSE(is_valid_utf8("\xFF"));
    CHECK_FALSE(is_valid_utf8("abc\x80"));
    // Past the eight-byte ASCII stride, and at every boundary of a sequence.
    CHECK(is_valid_utf8("abcdefghijklmnopé\xE2\x82\xAC\xF0\x9F\x98\x80xyz"));
    CHECK_FALSE(is_valid_utf8("abcdefghijklmnop\xE2\x82"));
    CHECK_FALSE(is_valid_utf8("abcdefghijklmnop\xF0\x9F\x98"));
    CHECK_FALSE(is_valid_utf8("abcdefgh\x80ijklmnop"));
    CHECK_FALSE(is_valid_utf8("\xF0\x80\x80\x80"));      // overlong, 4 bytes
    CHECK_FALSE(is_valid_utf8("\xF5\x80\x80\x80"));
    CHECK_FALSE(is_valid_utf8("\xE2\x28\xA1"));
    CHECK(is_valid_utf8("\xED\x9F\xBF\xEE\x80\x80\xF4\x8F\xBF\xBF"));  // U+D7FF, U+E000, U+10FFFF
    CHECK(utf8_length("été") == 3);
}

TEST_CASE("markup escaping: the five characters, controls, runs of plain text", "[common]") {
    CHECK(escape_html("") == "");
    CHECK(escape_html("CPTS du Val-d'Oise") == "CPTS du Val-d&#39;Oise");
    CHECK(escape_html(R"(<a href="x">A & B</a>)") == "&lt;a href=&quot;x&quot;&gt;A &amp; B&lt;/a&gt;");
    CHECK(escape_html("ligne 1\r\nligne 2\tfin") == "ligne 1\n\nligne 2\tfin");  // CR becomes LF
    CHECK(escape_html(std::string("a\x01" "b\x1f" "\0" "c", 6)) == "abc");                   // controls XML forbids
    CHECK(escape_html("Santé — « été »") == "Santé — « été »");                        // UTF-8 untouched
    std::string out = "<p>";
    append_escaped_html(out, "1 < 2");
    CHECK(out == "<p>1 &lt; 2");
}

TEST_CASE("CSV cells: quoting, doubled quotes, no formula", "[common]") {
    CHECK(csv_field("") == "");
    CHECK(csv_field("CPTS Sud Artois") == "CPTS Sud Artois");
    CHECK(csv_field("Lens; Liévin") == "\"Lens; Liévin\"");
    CHECK(csv_field("a,b") == "\"a,b\"");
    CHECK(csv_field("dit \"le référent\"") == "\"dit \"\"le référent\"\"\"");
    CHECK(csv_field("ligne 1\nligne 2") == "\"ligne 1\nligne 2\"");
    // A spreadsheet would run these: each gets a quote mark first.
    CHECK(csv_field("=HYPERLINK(\"http://x\")") == "\"'=HYPERLINK(\"\"http://x\"\")\"");
    CHECK(csv_field("+33 6") == "'+33 6");
    CHECK(csv_field("-1") == "'-1");
    CHECK(csv_field("@SOMME(A1)") == "'@SOMME(A1)");
    CHECK(csv_field("Dr =x") == "Dr =x");  // only at the start
}

TEST_CASE("json input: shape, bounds, fields", "[common]") {
    CHECK_THROWS_AS(json_input::parse_object("[1]"), api_error);
    CHECK_THROWS_AS(json_input::parse_object("{"), api_error);
    CHECK_THROWS_AS(json_input::parse_object(std::string(40, '{')), api_error);
    try {
        json_input::parse_object("{\"a\":\"\xff\"}");
        FAIL("accepted invalid UTF-8");
    } catch (const api_error& e) {
        CHECK(e.code() == "utf8_invalide");
        CHECK(e.status() == 400);
    }
    auto j = json_input::parse_object(R"({"name":"  Alice  ","n":3,"b":true,"nul":null,"ctl":"a\u0001b"})");
    CHECK(json_input::required_string(j, "name", 10) == "Alice");
    CHECK_THROWS_AS(json_input::required_string(j, "name", 4), api_error);
    CHECK_THROWS_AS(json_input::required_string(j, "n", 10), api_error);
    CHECK_THROWS_AS(json_input::required_string(j, "ctl", 10), api_error);
    // DEL and the C1 controls too; newline, tab and the letters after U+009F stay.
    auto controls = json_input::parse_object(R"({"del":"a\u007fb","nel":"a\u0085b","c1":"\u009f","ok":"ligne\n\tà  \u00a0°"})");
    CHECK_THROWS_AS(json_input::required_string(controls, "del", 10), api_error);
    CHECK_THROWS_AS(json_input::required_string(controls, "nel", 10), api_error);
    CHECK_THROWS_AS(json_input::required_string(controls, "c1", 10), api_error);
    CHECK(json_input::required_string(controls, "ok", 20) == "ligne\n\tà  \u00a0°");
    // Bidirectional overrides and isolates spoof what a name reads; the punctuation around
    // them (U+2029, U+2030, U+2065 unassigned aside) stays.
    auto bidi = json_input::parse_object(R"({"rlo":"Admin\u202e","lri":"a\u2066b","pdi":"\u2069","ok":"‰ – « » …"})");
    CHECK_THROWS_AS(json_input::required_string(bidi, "rlo", 10), api_error);
    CHECK_THROWS_AS(json_input::required_string(bidi, "lri", 10), api_error);
    CHECK_THROWS_AS(json_input::required_string(bidi, "pdi", 10), api_error);
    CHECK(json_input::required_string(bidi, "ok", 20) == "‰ – « » …");
    CHECK(json_input::has_control("a\u202ab"));
    CHECK_FALSE(json_input::has_control("a\u2029b"));
    CHECK_FALSE(json_input::optional_string(j, "nul", 10));
    CHECK(json_input::optional_bool(j, "b") == true);
    CHECK_THROWS_AS(json_input::optional_bool(j, "n"), api_error);
    CHECK(json_input::optional_id(j, "n").value() == 3);
    CHECK_FALSE(json_input::optional_id(j, "nul").value().has_value());
    CHECK_FALSE(json_input::optional_id(j, "absent").has_value());
    try {
        json_input::required_string(j, "missing", 10);
    } catch (const api_error& e) {
        CHECK(e.field() == "missing");
    }
}

TEST_CASE("json input: no-break and other invisible spaces are trimmed like spaces", "[common]") {
    // U+00A0, U+202F, U+2003, U+200B, U+3000 and a BOM around, or alone.
    auto j = json_input::parse_object("{\"nbsp\":\"\\u00a0\\u00a0\",\"mixed\":\"\\ufeff\\u202f Titre\\u00a0de fiche\\u2003\\u200b\\u3000\",\"ideo\":\"\\u3000\"}");
    CHECK_FALSE(json_input::optional_string(j, "nbsp", 20));
    CHECK_THROWS_AS(json_input::required_string(j, "nbsp", 20), api_error);
    CHECK_THROWS_AS(json_input::required_line(j, "ideo", 20), api_error);
    // Inside, they stay (« Titre de fiche » keeps its no-break space).
    CHECK(json_input::required_line(j, "mixed", 40) == "Titre\u00a0de fiche");
    CHECK(json_input::trim("\xC2\xA0" "a" "\xE2\x80\xAF") == "a");
    CHECK(json_input::trim("\xE2\x80") == "\xE2\x80");  // a cut sequence is not a space
    // Unicode's line and paragraph separators are line breaks for a one-line text.
    auto breaks = json_input::parse_object("{\"ls\":\"Nom\u2028Pr\u00e9nom\",\"ps\":\"a\u2029b\"}");
    CHECK_THROWS_AS(json_input::required_line(breaks, "ls", 40), api_error);
    CHECK_THROWS_AS(json_input::optional_line(breaks, "ps", 40), api_error);
    CHECK(json_input::required_string(breaks, "ls", 40) == "Nom\u2028Prénom");
    // Line ends from other systems are line breaks: CRLF and a lone CR become LF.
    auto ends = json_input::parse_object("{\"crlf\":\"a\\r\\nb\\rc\\r\\n\\r\\nd\",\"title\":\"Un\\r\\ndeux\"}");
    CHECK(json_input::required_string(ends, "crlf", 40) == "a\nb\nc\n\nd");
    CHECK_THROWS_AS(json_input::required_line(ends, "title", 40), api_error);
}

TEST_CASE("json input: a one-line text refuses a line break, keeps a tab", "[common]") {
    auto j = json_input::parse_object(R"({"title":"Deux\nlignes","tab":"a\tb","edge":"  fin\n ","blank":" \n "})");
    CHECK(json_input::required_string(j, "title", 20) == "Deux\nlignes");
    try {
        json_input::required_line(j, "title", 20);
        FAIL("a line break was accepted");
    } catch (const api_error& e) {
        CHECK(e.field() == "title");
        CHECK(e.status() == 400);
    }
    CHECK_THROWS_AS(json_input::optional_line(j, "title", 20), api_error);
    CHECK(json_input::required_line(j, "tab", 20) == "a\tb");
    CHECK(json_input::required_line(j, "edge", 20) == "fin");  // trimmed first
    CHECK_FALSE(json_input::optional_line(j, "blank", 20));
    CHECK_THROWS_AS(json_input::required_line(j, "blank", 20), api_error);
    CHECK_FALSE(json_input::optional_line(j, "absent", 20));
}

TEST_CASE("metrics render in Prometheus text format", "[common]") {
    metrics::registry r;
    r.get_counter("x_total", "Things.", metrics::labels({{"route", "/a\"b"}})).inc(3);
    r.get_gauge("y", "Level.").set(-2);
    r.get_histogram("z_seconds", "Time.").observe(0.003);
    auto text = r.render();
    CHECK(text.find("# TYPE x_total counter\nx_total{route=\"/a\\\"b\"} 3\n") != std::string::npos);
    CHECK(text.find("y -2\n") != std::string::npos);
    CHECK(text.find("z_seconds_bucket{le=\"0.0025\"} 0\n") != std::string::npos);
    CHECK(text.find("z_seconds_bucket{le=\"0.005\"} 1\n") != std::string::npos);
    CHECK(text.find("z_seconds_bucket{le=\"+Inf\"} 1\n") != std::string::npos);
    CHECK(text.find("z_seconds_count 1\n") != std::string::npos);
}

TEST_CASE("worker pool runs off the caller's thread and resumes on it", "[common]") {
    worker_pool pool("test", 2);
    boost::asio::io_context ioc;
    std::thread::id caller, worker, resumed;
    auto f = boost::asio::co_spawn(ioc, [&]() -> boost::asio::awaitable<int> {
        caller = std::this_thread::get_id();
        co_await pool.run([&] { worker = std::this_thread::get_id(); });
        resumed = std::this_thread::get_id();
        bool threw = false;
        try {
            co_await pool.run([] { throw std::runtime_error("boom"); });
        } catch (const std::runtime_error&) {
            threw = true;
        }
        co_return threw ? 1 : 0;
    }, boost::asio::use_future);
    ioc.run();
    CHECK(f.get() == 1);
    CHECK(worker != caller);
    CHECK(resumed == caller);
}

TEST_CASE("worker pool: a job offered after stop fails with a clear error", "[common]") {
    worker_pool pool("test", 1);
    pool.stop();
    boost::asio::io_context ioc;
    auto f = boost::asio::co_spawn(ioc, [&]() -> boost::asio::awaitable<std::string> {
        try {
            co_await pool.run([] {});
        } catch (const std::bad_function_call&) {
            co_return std::string("bad_function_call");
        } catch (const std::runtime_error& e) {
            co_return std::string(e.what());
        }
        co_return std::string("ran");
    }, boost::asio::use_future);
    ioc.run();
    CHECK(f.get() == "worker pool stopped");
}

TEST_CASE("local dates in French: a day, a day and time with or without seconds", "[common]") {
    CHECK(relais::french_local_date("2027-03-31") == "31 mars 2027");
    const auto with_minutes = relais::french_local_date("2026-12-15T14:00");
    CHECK(with_minutes.find("15 décembre 2026 à ") == 0);
    CHECK(relais::french_local_date("2026-12-15T14:00:00") == with_minutes);
    CHECK(relais::french_local_date("2026-12-15T14:00:61") == "2026-12-15T14:00:61");  // not a time: as written
    CHECK(relais::french_local_date("2026-02-30") == "2026-02-30");
    CHECK(relais::french_local_date("") == "");
}

TEST_CASE("messages in French typography: apostrophes, spaces before signs and inside guillemets", "[common]") {
    CHECK(relais::french_typography("L'atelier est archivé : il ne change plus.") == "L\u2019atelier est archivé\u00A0: il ne change plus.");
    CHECK(relais::french_typography("Vraiment ? Oui ! Non ; peut-être.") == "Vraiment\u202F? Oui\u202F! Non\u202F; peut-être.");
    CHECK(relais::french_typography("Le champ « Du » n'est pas valide.") == "Le champ «\u00A0Du\u00A0» n\u2019est pas valide.");
    CHECK(relais::french_typography("10:00, http://x.fr/a?b=1") == "10:00, http://x.fr/a?b=1");  // no space before: unchanged
    const auto once = relais::french_typography("Trop d'essais : « attendez » !");
    CHECK(relais::french_typography(once) == once);  // a second pass changes nothing
    // An api_error's message is given so, from the catalogue or its own.
    CHECK(relais::api_error(relais::errors::forbidden).message() == "Vous n\u2019avez pas accès à cette ressource.");
    CHECK(relais::api_error(relais::errors::invalid_field, "x", "Choisissez : l'un ou l'autre").message() ==
          "Choisissez\u00A0: l\u2019un ou l\u2019autre");
}

TEST_CASE("in-flight limit: at most max per key at once, freed when the work ends", "[common]") {
    relais::in_flight_limit limit(2);
    auto a1 = limit.try_enter("10.0.0.1");
    auto a2 = limit.try_enter("10.0.0.1");
    REQUIRE(a1);
    REQUIRE(a2);
    CHECK_FALSE(limit.try_enter("10.0.0.1"));  // a third at once: refused
    CHECK(limit.try_enter("10.0.0.2"));         // another client is not slowed
    a1.reset();
    auto a3 = limit.try_enter("10.0.0.1");      // one ended: a place again
    CHECK(a3);
    auto moved = std::move(*a3);
    a3.reset();                                 // a moved-from slot frees nothing
    CHECK_FALSE(limit.try_enter("10.0.0.1"));
}
