#include "common/errors.hpp"
#include "workshops/model.hpp"
#include "workshops/report.hpp"

#include <catch2/catch.hpp>

#include "common/metrics.hpp"
#include "common/worker_pool.hpp"
#include "db/database.hpp"
#include "db/pool.hpp"
#include "workshops/room.hpp"
#include "workshops/store.hpp"
#include "auth/module.hpp"
#include "indexing/module.hpp"
#include "library/module.hpp"
#include "platform/migrate.hpp"
#include "workshops/module.hpp"
#include "workshops/service.hpp"
#include "auth/service.hpp"
#include "common/metrics.hpp"
#include "common/worker_pool.hpp"
#include "db/pool.hpp"
#include "temp_dir.hpp"

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <thread>

using namespace relais;
using namespace relais::workshops;

namespace {

json read_json(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return json::parse(ss.str());
}

// The five phases the board tests play (tests/unit/board_plan.json: accueil, private
// SWOT, grouping, a vote on the four SWOT columns, action plan), not a seed template: the
// templates may change without changing what these tests exercise.
json swot_phases() { return read_json(RELAIS_SOURCE_DIR "/tests/unit/board_plan.json")["phases"]; }

// A structured column (an indicator and its fields) beside a plain one, in a phase where
// notes are grouped and voted on.
json indicator_phase(const std::string& key = "indicateurs") {
    auto p = json::parse(R"json({
      "title": "Indicateurs", "kind": "individuel", "duration_min": 20, "vote_budget": 2, "grouping": true,
      "columns": [
        {"key": "indicateur", "title": "Indicateur", "help": "Un indicateur par note.",
         "fields": [
           {"key": "type", "label": "Moyens ou résultats", "choices": ["Moyens", "Résultats"]},
           {"key": "source", "label": "Source", "help": "D'où vient la donnée."},
           {"key": "cible", "label": "Cible | valeur"}
         ]},
        {"key": "remarques", "title": "Remarques"}
      ]})json");
    p["key"] = key;
    return p;
}

struct board {
    room_state s;
    std::int64_t now = 1'000'000;
    actor fac{"u:1", "Alice", role::facilitator};
    actor bob{"g:1", "Bob", role::participant};
    actor cat{"g:2", "Cat", role::participant};
    actor obs{"g:3", "Olga", role::observer};

    explicit board(const std::string& state = "live") {
        apply(s, make_system_event(s, fac, "workshop.created", {{"phases", swot_phases()}, {"state", state}}, now));
    }
    event run(const actor& a, const std::string& op, json msg = json::object()) {
        auto e = decide(s, a, op, msg, now);
        apply(s, e);
        return e;
    }
    std::string refusal(const actor& a, const std::string& op, json msg = json::object()) {
        auto before = s.seq;
        try {
            decide(s, a, op, msg, now);
        } catch (const api_error& e) {
            REQUIRE(s.seq == before);
            return std::string(e.code());
        }
        return "accepted";
    }
    /// "code/field" of the refusal, "accepted" when decided.
    std::string refused(const actor& a, const std::string& op, json msg = json::object()) {
        try {
            decide(s, a, op, msg, now);
        } catch (const api_error& e) {
            return std::string(e.code()) + "/" + e.field();
        }
        return "accepted";
    }
};

}  // namespace

TEST_CASE("phases are validated", "[workshops]") {
    auto ps = parse_phases(swot_phases());
    CHECK(ps.size() == 5);
    CHECK(ps[1].private_notes);
    CHECK(ps[3].vote_budget == 3);
    auto bad = swot_phases();
    bad[0]["columns"] = json::array();
    CHECK_THROWS_AS(parse_phases(bad), api_error);
    bad = swot_phases();
    bad[1]["key"] = bad[0]["key"];
    CHECK_THROWS_AS(parse_phases(bad), api_error);
    bad = swot_phases();
    bad[0]["duration_min"] = 0;
    CHECK_THROWS_AS(parse_phases(bad), api_error);
    CHECK_THROWS_AS(parse_phases(json::array()), api_error);
    // Round trip.
    CHECK(to_json(parse_phases(to_json(ps))) == to_json(ps));
}

TEST_CASE("notes: columns of the phase, authors, versions, lock, observers", "[workshops]") {
    board b;
    auto e = b.run(b.bob, "note.add", {{"column", "attentes"}, {"text", "  Mieux connaître l'ACI  "}});
    REQUIRE(b.s.notes.count(e.seq));
    CHECK(b.s.notes[e.seq].text == "Mieux connaître l'ACI");
    CHECK(b.s.notes[e.seq].colour == "jaune");
    CHECK(b.refusal(b.bob, "note.add", {{"column", "forces"}, {"text", "x"}}) == "hors_phase");
    CHECK(b.refusal(b.bob, "note.add", {{"column", "attentes"}, {"text", ""}}) == "champ_invalide");
    CHECK(b.refusal(b.bob, "note.add", {{"column", "attentes"}, {"text", "x"}, {"colour", "noir"}}) == "champ_invalide");
    CHECK(b.refusal(b.obs, "note.add", {{"column", "attentes"}, {"text", "x"}}) == "acces_refuse");
    CHECK(b.refusal(b.cat, "note.edit", {{"note", e.seq}, {"version", 1}, {"text", "pirate"}}) == "acces_refuse");
    b.run(b.bob, "note.edit", {{"note", e.seq}, {"version", 1}, {"text", "v2"}});
    CHECK(b.s.notes[e.seq].version == 2);
    CHECK(b.refusal(b.bob, "note.edit", {{"note", e.seq}, {"version", 1}, {"text", "v3"}}) == "version_perimee");
    b.run(b.fac, "note.edit", {{"note", e.seq}, {"version", 2}, {"colour", "bleu"}});  // facilitators may
    b.run(b.fac, "board.lock", {{"locked", true}});
    CHECK(b.refusal(b.bob, "note.add", {{"column", "attentes"}, {"text", "x"}}) == "tableau_verrouille");
    CHECK(b.refusal(b.bob, "chat.send", {{"text", "ok"}}) == "accepted");
    CHECK(b.refusal(b.fac, "note.add", {{"column", "attentes"}, {"text", "x"}}) == "accepted");
    b.run(b.fac, "board.lock", {{"locked", false}});
    b.run(b.bob, "note.delete", {{"note", e.seq}, {"version", 3}});
    CHECK(b.s.notes.empty());
    CHECK(b.refusal(b.bob, "note.delete", {{"note", e.seq}, {"version", 3}}) == "introuvable");
}

TEST_CASE("states: draft, scheduled (pre-work), closed", "[workshops]") {
    board draft("draft");
    CHECK(draft.refusal(draft.bob, "note.add", {{"column", "attentes"}, {"text", "x"}}) == "hors_phase");
    board sched("scheduled");
    auto pre = sched.run(sched.bob, "note.add", {{"column", "attentes"}, {"text", "préparé"}});
    CHECK(sched.s.notes[pre.seq].hidden == "prework");
    CHECK(event_view(sched.s, pre, sched.cat)["op"] == "hidden");
    CHECK(event_view(sched.s, pre, sched.fac)["data"]["text"] == "préparé");
    CHECK(snapshot(sched.s, sched.cat)["notes"].empty());
    CHECK(snapshot(sched.s, sched.bob)["notes"].size() == 1);
    auto rev = sched.run(sched.fac, "prework.reveal");
    CHECK(sched.s.notes[pre.seq].hidden.empty());
    CHECK(event_view(sched.s, rev, sched.cat)["data"]["revealed"].size() == 1);
    board closed;
    closed.run(closed.fac, "board.lock", {{"locked", false}});
    apply(closed.s, make_system_event(closed.s, closed.fac, "workshop.state", {{"state", "closed"}}, 0));
    CHECK(closed.refusal(closed.fac, "chat.send", {{"text", "x"}}) == "atelier_ferme");
}

TEST_CASE("private phase: notes hidden until the phase is left", "[workshops]") {
    board b;
    b.run(b.fac, "phase.goto", {{"index", 1}});
    auto n = b.run(b.bob, "note.add", {{"column", "forces"}, {"text", "secret"}});
    CHECK(event_view(b.s, n, b.cat)["op"] == "hidden");
    CHECK(b.refusal(b.cat, "note.edit", {{"note", n.seq}, {"version", 1}, {"text", "x"}}) == "introuvable");
    auto go = b.run(b.fac, "phase.goto", {{"index", 2}});
    CHECK(go.data["revealed"].size() == 1);
    CHECK(snapshot(b.s, b.cat)["notes"].size() == 1);
}

TEST_CASE("votes: budget, proxies, hidden until revealed", "[workshops]") {
    board b;
    b.run(b.fac, "phase.goto", {{"index", 3}});
    auto n = b.run(b.bob, "note.add", {{"column", "menaces"}, {"text", "Départs en retraite"}});
    for (int i = 0; i < 3; ++i) b.run(b.bob, "vote.cast", {{"note", n.seq}});
    // Before the reveal, another participant learns nothing, not even which notes have votes.
    CHECK_FALSE(snapshot(b.s, b.cat)["votes"].contains("vote"));
    CHECK(b.refusal(b.bob, "vote.cast", {{"note", n.seq}}) == "budget_epuise");
    CHECK(b.refusal(b.obs, "vote.cast", {{"note", n.seq}}) == "acces_refuse");
    CHECK(b.refusal(b.bob, "vote.proxy", {{"note", n.seq}, {"for", "Dr X"}}) == "acces_refuse");
    auto proxy = b.run(b.fac, "vote.proxy", {{"note", n.seq}, {"for", "Dr X"}});
    auto cast = b.run(b.cat, "vote.cast", {{"note", n.seq}});
    CHECK(event_view(b.s, cast, b.bob)["op"] == "hidden");
    CHECK(event_view(b.s, cast, b.cat)["op"] == "vote.cast");
    auto bob_view = snapshot(b.s, b.bob);
    auto slot = bob_view["votes"]["vote"][std::to_string(n.seq)];
    CHECK(slot["mine"] == 3);
    CHECK_FALSE(slot.contains("total"));
    CHECK(bob_view["votes_left"] == 0);
    CHECK(snapshot(b.s, b.fac)["votes"]["vote"][std::to_string(n.seq)]["total"] == 5);
    b.run(b.cat, "vote.retract", {{"note", n.seq}});
    CHECK(b.refusal(b.cat, "vote.retract", {{"note", n.seq}}) == "introuvable");
    auto reveal = b.run(b.fac, "votes.reveal");
    CHECK(reveal.data["totals"][std::to_string(n.seq)] == 4);
    CHECK(snapshot(b.s, b.cat)["votes"]["vote"][std::to_string(n.seq)]["total"] == 4);
    (void)proxy;
    // Voting is only for phases with a budget.
    b.run(b.fac, "phase.goto", {{"index", 0}});
    auto a = b.run(b.bob, "note.add", {{"column", "attentes"}, {"text", "x"}});
    CHECK(b.refusal(b.bob, "vote.cast", {{"note", a.seq}}) == "hors_phase");
}

TEST_CASE("anonymous mode hides authors from participants only", "[workshops]") {
    board b;
    b.run(b.fac, "board.anonymous", {{"anonymous", true}});
    auto n = b.run(b.bob, "note.add", {{"column", "attentes"}, {"text", "x"}});
    CHECK(event_view(b.s, n, b.cat)["by"].is_null());
    CHECK(event_view(b.s, n, b.bob)["by"]["name"] == "Bob");
    CHECK(event_view(b.s, n, b.fac)["by"]["name"] == "Bob");
    CHECK(snapshot(b.s, b.cat)["notes"][0]["author"].is_null());
    CHECK(snapshot(b.s, b.bob)["notes"][0]["author"]["name"] == "Bob");
}

TEST_CASE("timer, phases, groups and actions", "[workshops]") {
    board b;
    // Never set: shown as the current phase's length, what « start » would count down.
    auto first = snapshot(b.s, b.bob)["timer"];
    CHECK(first["running"] == false);
    CHECK(first["remaining_ms"] == b.s.current_phase()->duration_min * 60000LL);
    CHECK(first["duration_ms"] == first["remaining_ms"]);
    CHECK(b.s.timer.remaining_ms == 0);  // the state itself is unchanged
    b.run(b.fac, "timer.start", {{"seconds", 60}});
    CHECK(b.s.timer.running);
    CHECK(b.s.timer.ends_at == b.now + 60000);
    b.now += 20000;
    b.run(b.fac, "timer.pause");
    CHECK(b.s.timer.remaining_ms == 40000);
    b.run(b.fac, "timer.add", {{"seconds", 60}});
    CHECK(b.s.timer.remaining_ms == 100000);
    b.run(b.fac, "timer.start");
    CHECK(b.s.timer.ends_at == b.now + 100000);
    CHECK(b.refusal(b.bob, "timer.reset") == "acces_refuse");
    CHECK(b.refusal(b.fac, "timer.add", {{"seconds", 99999}}) == "champ_invalide");

    json extra = {{"key", "pause"}, {"title", "Pause café"}, {"kind", "libre"}, {"duration_min", 10},
                  {"columns", json::array({json{{"key", "idees"}, {"title", "Idées"}}})}};
    auto added = b.run(b.fac, "phase.add", {{"phase", extra}, {"at", 0}});
    CHECK(b.s.phases[0].key == "pause");
    // Everyone sees it: "phase" is a whole phase here, not a phase's key as in a vote.
    CHECK(event_view(b.s, added, b.bob)["data"]["phase"]["title"] == "Pause café");
    CHECK(event_view(b.s, added, b.fac)["data"]["phase"]["key"] == "pause");
    CHECK(b.s.current == 1);  // still on the same phase
    CHECK(b.refusal(b.fac, "phase.add", {{"phase", extra}}) == "champ_invalide");  // duplicate key
    CHECK(b.refusal(b.fac, "phase.remove", {{"index", 1}}) == "hors_phase");       // the current one
    b.run(b.fac, "phase.move", {{"from", 0}, {"to", 5}});
    CHECK(b.s.phases[5].key == "pause");
    CHECK(b.s.current == 0);
    b.run(b.fac, "phase.remove", {{"index", 5}});
    CHECK(b.s.phases.size() == 5);

    b.run(b.fac, "phase.goto", {{"index", 2}});
    CHECK(b.s.timer.remaining_ms == 20 * 60000);
    auto g = b.run(b.bob, "group.add", {{"column", "forces"}, {"title", "Coopérations"}});  // grouping phase
    auto n = b.run(b.bob, "note.add", {{"column", "forces"}, {"text", "MSP"}});
    b.run(b.bob, "note.group", {{"note", n.seq}, {"version", 1}, {"group", g.seq}});
    CHECK(b.s.notes[n.seq].group == g.seq);
    b.run(b.fac, "group.delete", {{"group", g.seq}});
    CHECK_FALSE(b.s.notes[n.seq].group);
    CHECK(b.refusal(b.bob, "action.add", {{"what", "x"}}) == "hors_phase");
    b.run(b.fac, "phase.goto", {{"index", 4}});
    auto act = b.run(b.bob, "action.add", {{"what", "Écrire la fiche"}, {"who", "Bob"}, {"when", "2027-03-01"}});
    // An action is changed by whoever added it and by facilitators, not by another participant.
    CHECK(b.refusal(b.cat, "action.edit", {{"action", act.seq}, {"when", "2027-05-01"}}) == "acces_refuse");
    CHECK(b.refusal(b.cat, "action.delete", {{"action", act.seq}}) == "acces_refuse");
    CHECK(snapshot(b.s, b.bob)["actions"][0]["mine"] == true);
    CHECK(snapshot(b.s, b.cat)["actions"][0]["mine"] == false);
    b.run(b.bob, "action.edit", {{"action", act.seq}, {"when", "2027-04-01"}});
    CHECK(b.s.actions[act.seq].when == "2027-04-01");
    CHECK(b.s.actions[act.seq].what == "Écrire la fiche");
    b.run(b.fac, "action.edit", {{"action", act.seq}, {"who", "Bob et Cat"}});
    CHECK(b.s.actions[act.seq].who == "Bob et Cat");
    CHECK(b.refusal(b.bob, "reaction", {{"emoji", "🦄"}}) == "champ_invalide");
    CHECK(b.refusal(b.bob, "unknown.op") == "operation_inconnue");
}

TEST_CASE("replaying the log gives the same board", "[workshops]") {
    board b;
    std::vector<event> log;
    log.push_back(make_system_event(room_state{}, b.fac, "workshop.created", {{"phases", swot_phases()}, {"state", "live"}}, 0));
    auto record = [&](const actor& a, const std::string& op, json m = json::object()) { log.push_back(b.run(a, op, std::move(m))); };
    record(b.bob, "note.add", {{"column", "attentes"}, {"text", "a"}});
    record(b.fac, "phase.goto", {{"index", 3}});
    record(b.cat, "note.add", {{"column", "forces"}, {"text", "b"}});
    record(b.cat, "vote.cast", {{"note", log.back().seq}});
    record(b.fac, "votes.reveal");
    room_state replay;
    for (const auto& e : log) apply(replay, e);
    CHECK(snapshot(replay, b.fac) == snapshot(b.s, b.fac));
}

TEST_CASE("report: markdown, escaped HTML, CSV without formulas", "[workshops][report]") {
    board b;
    b.run(b.fac, "phase.goto", {{"index", 4}});
    b.run(b.bob, "action.add", {{"what", "=SOMME(A1) <script>"}, {"who", "Bob; \"B\""}, {"when", "2027-01-01"}});
    store::workshop_row w;
    w.id = 1;
    w.title = "Atelier <test>";
    w.stage = "pre_aci";
    auto r = make_report(w, b.s, {"Bob", "Cat"}, 0);
    CHECK(r.markdown.find("# Compte rendu — Atelier \\<test>") == 0);  // \< : text, not HTML, for any reader
    // No note on the board: the « Production » section says so rather than stay empty.
    CHECK(r.markdown.find("## Production\n\nAucune note n'a été écrite sur le tableau.") != std::string::npos);
    CHECK(r.actions_csv.find("\"Bob; \"\"B\"\"\";'=SOMME(A1) <script>;2027-01-01") != std::string::npos);
    auto html = report_html("Atelier <test>", r.markdown);
    CHECK(html.find("<script>") == std::string::npos);
    CHECK(html.find("&lt;script&gt;") != std::string::npos);
    CHECK(html.find("<title>Atelier &lt;test&gt;</title>") != std::string::npos);
    CHECK(html.find("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">") != std::string::npos);  // phones
    CHECK(csv_field("simple") == "simple");
    CHECK(csv_field("-1") == "'-1");
    // The printable page: one table with its header row and no literal separator; a
    // nested list inside its parent's item; dates in French, in Paris time.
    CHECK(html.find("|---") == std::string::npos);
    CHECK(html.find("<table>\n<tr><th scope=\"col\">Qui</th>") != std::string::npos);
    b.run(b.fac, "phase.goto", {{"index", 2}});
    auto g = b.run(b.fac, "group.add", {{"column", "forces"}, {"title", "Coopérations"}});
    auto n = b.run(b.bob, "note.add", {{"column", "forces"}, {"text", "Une MSP"}});
    b.run(b.fac, "note.group", {{"note", n.seq}, {"version", 1}, {"group", g.seq}});
    b.run(b.bob, "note.add", {{"column", "forces"}, {"text", "Hors groupe"}});
    w.date = "2026-12-01T14:00";
    auto r2 = make_report(w, b.s, {"Bob"}, 1'764'594'000);  // 2025-12-01 13:00 UTC
    CHECK(r2.markdown.find("- **Date** : 1er décembre 2026 à 14 h 00") != std::string::npos);
    CHECK(r2.markdown.find("- **Compte rendu établi le** : 1er décembre 2025 à 14 h 00 (heure de Paris)") != std::string::npos);
    auto html2 = report_html("x", r2.markdown);
    CHECK(html2.find("<li><strong>Coopérations</strong>\n<ul>\n<li>Une MSP</li>\n</ul>\n</li>\n<li>Hors groupe") != std::string::npos);
    CHECK(html2.find("</ul>\n<ul>") == std::string::npos);
}

TEST_CASE("the event log refuses gaps", "[workshops]") {
    unit_temp_dir dir;
    db::connection c(dir.path / "w.db", db::connection::mode::read_write);
    platform::migrate(c, {{"auth", &auth::migrations()}, {"indexing", &indexing::migrations()}, {"library", &library::migrations()},
                         {"workshops", &workshops::migrations()}});
    c.exec("INSERT INTO workshops(title, stage, template, created_at, updated_at) VALUES('t', 'pre_aci', 'swot', 0, 0)");
    auto ev = [](std::int64_t seq) { return event{seq, "chat.send", {{"text", "x"}}, "u:1", "A", std::nullopt, 0}; };
    store::insert_event(c, 1, ev(1));
    CHECK_THROWS_AS(store::insert_event(c, 1, ev(3)), db::db_error);
    CHECK_THROWS_AS(store::insert_event(c, 1, ev(1)), db::db_error);
    store::insert_event(c, 1, ev(2));
    CHECK(store::events(c, 1).size() == 2);
}

TEST_CASE("anonymity holds for what was written under it, after the mode is switched off", "[workshops]") {
    board b;
    auto before = b.run(b.bob, "note.add", {{"column", "attentes"}, {"text", "signé"}});
    b.run(b.fac, "board.anonymous", {{"anonymous", true}});
    auto n = b.run(b.bob, "note.add", {{"column", "attentes"}, {"text", "anonyme"}});
    auto chat = b.run(b.bob, "chat.send", {{"text", "message anonyme"}});
    // Events from the HTTP side (a plan changed, the state) say so too.
    CHECK(make_system_event(b.s, b.fac, "workshop.state", {{"state", "live"}}, 0).data["anonymous"] == true);
    auto off = b.run(b.fac, "board.anonymous", {{"anonymous", false}});
    CHECK_FALSE(make_system_event(b.s, b.fac, "workshop.state", {{"state", "live"}}, 0).data.contains("anonymous"));
    CHECK_FALSE(b.s.anonymous);  // the switch itself is not swallowed by the rule
    CHECK(off.data["anonymous"] == false);
    auto edit = b.run(b.bob, "note.edit", {{"note", n.seq}, {"version", 1}, {"text", "anonyme, modifié"}});
    auto cat = snapshot(b.s, b.cat);
    for (const auto& note : cat["notes"]) {
        if (note["id"] == n.seq) {
            CHECK(note["author"].is_null());
            CHECK(note["anonymous"] == true);
        }
        if (note["id"] == before.seq) CHECK(note["author"]["name"] == "Bob");
    }
    CHECK(cat["chat"][0]["by"].is_null());
    CHECK(cat["chat"][0]["anonymous"] == true);
    // Events, including the ones replayed on resume and later edits, keep it too.
    CHECK(event_view(b.s, n, b.cat)["by"].is_null());
    CHECK(event_view(b.s, chat, b.cat)["by"].is_null());
    CHECK(event_view(b.s, edit, b.cat)["by"].is_null());
    CHECK(event_view(b.s, before, b.cat)["by"]["name"] == "Bob");
    // Observers are anonymised like participants; facilitators and the author see who.
    CHECK(snapshot(b.s, b.obs)["chat"][0]["by"].is_null());
    CHECK(event_view(b.s, n, b.fac)["by"]["name"] == "Bob");
    CHECK(snapshot(b.s, b.bob)["chat"][0]["by"]["name"] == "Bob");
}

TEST_CASE("votes: after the reveal, totals for everyone, voters for facilitators only", "[workshops]") {
    board b;
    b.run(b.fac, "phase.goto", {{"index", 3}});
    auto n = b.run(b.bob, "note.add", {{"column", "menaces"}, {"text", "Départs en retraite"}});
    auto cast = b.run(b.cat, "vote.cast", {{"note", n.seq}});
    auto proxy = b.run(b.fac, "vote.proxy", {{"note", n.seq}, {"for", "Dr X"}});
    b.run(b.fac, "votes.reveal");
    // Revealed, the votes stand: no one casts, retracts or proxies one any more.
    CHECK(b.refusal(b.cat, "vote.cast", {{"note", n.seq}}) == "hors_phase");
    CHECK(b.refusal(b.cat, "vote.retract", {{"note", n.seq}}) == "hors_phase");
    CHECK(b.refusal(b.fac, "vote.proxy", {{"note", n.seq}, {"for", "Dr Y"}}) == "hors_phase");
    for (const auto* e : {&cast, &proxy}) {
        auto seen = event_view(b.s, *e, b.bob);
        CHECK(seen["op"] != "hidden");
        CHECK_FALSE(seen["data"].contains("voter"));
        CHECK_FALSE(seen["data"].contains("voter_name"));
        CHECK(seen["by"].is_null());
        CHECK(event_view(b.s, *e, b.obs)["by"].is_null());
        CHECK(event_view(b.s, *e, b.fac)["data"].contains("voter"));
    }
    // The voter sees their own vote.
    CHECK(event_view(b.s, cast, b.cat)["data"]["voter"] == "g:2");
    auto bob = snapshot(b.s, b.bob)["votes"]["vote"][std::to_string(n.seq)];
    CHECK(bob["total"] == 2);
    CHECK(bob["mine"] == 0);
}

TEST_CASE("ranking: most votes first, ties share a rank, the top N retained for the action plan, actions answer them", "[workshops]") {
    board b;
    b.run(b.fac, "phase.goto", {{"index", 3}});  // the vote (budget 3)
    auto n1 = b.run(b.bob, "note.add", {{"column", "forces"}, {"text", "Des MSP dynamiques"}}).seq;
    auto n2 = b.run(b.bob, "note.add", {{"column", "menaces"}, {"text", "Départs en retraite"}}).seq;
    auto n3 = b.run(b.cat, "note.add", {{"column", "faiblesses"}, {"text", "Zones blanches"}}).seq;
    auto n4 = b.run(b.cat, "note.add", {{"column", "opportunites"}, {"text", "Appel à projets"}}).seq;
    // n2: 3 votes; n1 and n3: 2 each (a tie); n4: 1; a note without votes is not ranked.
    b.run(b.bob, "vote.cast", {{"note", n2}});
    b.run(b.bob, "vote.cast", {{"note", n2}});
    b.run(b.bob, "vote.cast", {{"note", n3}});
    b.run(b.cat, "vote.cast", {{"note", n2}});
    b.run(b.cat, "vote.cast", {{"note", n1}});
    b.run(b.cat, "vote.cast", {{"note", n3}});
    b.run(b.fac, "vote.proxy", {{"note", n1}, {"for", "Dr X"}});
    b.run(b.fac, "vote.proxy", {{"note", n4}, {"for", "Dr X"}});
    // Not before the reveal.
    CHECK(b.refusal(b.fac, "ranking.retain", {{"count", 2}}) == "hors_phase");
    b.run(b.fac, "votes.reveal");
    auto r = ranking(b.s, "vote");
    REQUIRE(r.size() == 4);
    CHECK(r[0].note == n2);
    CHECK(r[0].rank == 1);
    CHECK(r[1].note == n1);  // ties in the order written
    CHECK(r[2].note == n3);
    CHECK(r[1].rank == 2);
    CHECK(r[2].rank == 2);
    CHECK(r[3].rank == 4);
    // Only facilitators retain; the top 2 keeps the tie at the boundary (3 items).
    CHECK(b.refusal(b.bob, "ranking.retain", {{"count", 2}}) == "acces_refuse");
    CHECK(b.refusal(b.fac, "ranking.retain", {{"count", 51}}) == "champ_invalide");
    auto kept = b.run(b.fac, "ranking.retain", {{"count", 2}});
    REQUIRE(b.s.retained.size() == 3);
    CHECK(b.s.retained[0].text == "Départs en retraite");
    CHECK(b.s.retained[0].votes == 3);
    CHECK(kept.data["items"].size() == 3);
    CHECK(snapshot(b.s, b.bob)["retained"]["items"].size() == 3);
    // Later edits do not change what was retained.
    b.run(b.bob, "note.edit", {{"note", n2}, {"version", 1}, {"text", "Départs en retraite (4 médecins)"}});
    CHECK(b.s.retained[0].text == "Départs en retraite");
    // In the action plan, an action answers a retained item; another item is refused.
    b.run(b.fac, "phase.goto", {{"index", 4}});
    CHECK(b.refusal(b.bob, "action.add", {{"what", "x"}, {"item", n4}}) == "champ_invalide");
    auto act = b.run(b.bob, "action.add", {{"what", "Rencontrer la faculté"}, {"item", n2}});
    CHECK(b.s.actions.at(act.seq).item == n2);
    b.run(b.bob, "action.edit", {{"action", act.seq}, {"who", "Bob"}});
    CHECK(b.s.actions.at(act.seq).item == n2);  // kept when not given
    b.run(b.bob, "action.edit", {{"action", act.seq}, {"item", nullptr}});
    CHECK(b.s.actions.at(act.seq).item == 0);
    b.run(b.bob, "action.edit", {{"action", act.seq}, {"item", n3}});
    // The report ranks the vote and lists what was retained and what answers it.
    store::workshop_row w;
    w.id = 1;
    w.title = "SWOT";
    w.stage = "projet_sante";
    auto rep = make_report(w, b.s, {"Bob", "Cat"}, 0);
    CHECK(rep.markdown.find("- 1er : Départs en retraite (4 médecins) (3 votes)") != std::string::npos);
    CHECK(rep.markdown.find("- 2e ex æquo : Des MSP dynamiques (2 votes)") != std::string::npos);
    CHECK(rep.markdown.find("- 4e : Appel à projets (1 vote)") != std::string::npos);
    CHECK(rep.markdown.find("### Enjeux retenus\n\n- Départs en retraite (3 votes)") != std::string::npos);
    CHECK(rep.markdown.find("| Zones blanches | Bob | Rencontrer la faculté |") != std::string::npos);
    CHECK(rep.actions_csv.find("Zones blanches;Bob;Rencontrer la faculté;") != std::string::npos);
    // 0 clears.
    b.run(b.fac, "ranking.retain", {{"count", 0}, {"phase", "vote"}});
    CHECK(b.s.retained.empty());
}

TEST_CASE("time taken off a timer stops at 0:00 and time added after 0:00 counts from now", "[workshops]") {
    board b;
    b.run(b.fac, "phase.goto", {{"index", 1}});  // a phase where participants write
    // Paused and brought down to 0: it shows 0:00 to everyone, a snapshot included.
    b.run(b.fac, "timer.start", {{"seconds", 100}});
    b.run(b.fac, "timer.pause");
    auto first = b.run(b.fac, "timer.add", {{"seconds", -30}});
    CHECK(first.data["delta_ms"] == -30000);
    auto second = b.run(b.fac, "timer.add", {{"seconds", -80}});
    CHECK(second.data["delta_ms"] == -70000);  // what was applied, not what was asked
    CHECK(snapshot(b.s, b.bob)["timer"]["remaining_ms"] == 0);
    CHECK(snapshot(b.s, b.bob)["timer"]["running"] == false);
    room_state again;
    from_json(to_json(b.s), again);
    CHECK(snapshot(again, b.bob)["timer"]["remaining_ms"] == 0);
    b.run(b.fac, "timer.add", {{"seconds", 5}});
    CHECK(snapshot(b.s, b.bob)["timer"]["remaining_ms"] == 5000);

    // Running: an hour off ends it now, not an hour ago; « +1 min » then gives one minute.
    b.run(b.fac, "timer.lock_at_zero", {{"on", true}});
    b.run(b.fac, "timer.start", {{"seconds", 600}});
    b.now += 10'000;
    auto off = b.run(b.fac, "timer.add", {{"seconds", -3600}});
    CHECK(b.s.timer.ends_at == b.now);
    CHECK(off.data["delta_ms"] == -(600'000 - 10'000));
    b.now += 300'000;  // five minutes after 0:00
    CHECK(b.refusal(b.bob, "note.add", {{"column", "forces"}, {"text", "trop tard"}}) == "tableau_verrouille");
    auto more = b.run(b.fac, "timer.add", {{"seconds", 60}});
    CHECK(b.s.timer.ends_at == b.now + 60'000);
    CHECK(more.data["delta_ms"] == 300'000 + 60'000);  // ends_at + delta_ms = the new end, as documented
    b.run(b.bob, "note.add", {{"column", "forces"}, {"text", "une minute de plus"}});

    // Never set, the timer is the phase's length: time added is added to that.
    board fresh;
    fresh.run(fresh.fac, "timer.add", {{"seconds", 60}});
    CHECK(snapshot(fresh.s, fresh.bob)["timer"]["remaining_ms"] == (fresh.s.current_phase()->duration_min + 1) * 60000LL);
}

TEST_CASE("the timer may lock the board at 0:00, for participants only", "[workshops]") {
    board b;
    b.run(b.fac, "phase.goto", {{"index", 1}});
    CHECK(b.refusal(b.bob, "timer.lock_at_zero", {{"on", true}}) == "acces_refuse");
    b.run(b.fac, "timer.lock_at_zero", {{"on", true}});
    CHECK(snapshot(b.s, b.bob)["lock_at_zero"] == true);
    b.run(b.fac, "timer.start", {{"seconds", 60}});
    b.now += 59'000;
    b.run(b.bob, "note.add", {{"column", "forces"}, {"text", "à temps"}});
    b.now += 1'000;  // 0:00
    CHECK(b.refusal(b.bob, "note.add", {{"column", "forces"}, {"text", "trop tard"}}) == "tableau_verrouille");
    b.run(b.fac, "note.add", {{"column", "forces"}, {"text", "l'animatrice écrit encore"}});
    // More time opens it again; without the option, 0:00 locks nothing.
    b.run(b.fac, "timer.add", {{"seconds", 60}});
    b.run(b.bob, "note.add", {{"column", "forces"}, {"text", "une minute de plus"}});
    b.now += 120'000;
    CHECK(b.refusal(b.bob, "note.add", {{"column", "forces"}, {"text", "x"}}) == "tableau_verrouille");
    b.run(b.fac, "timer.lock_at_zero", {{"on", false}});
    b.run(b.bob, "note.add", {{"column", "forces"}, {"text", "plus de verrou"}});
}

TEST_CASE("groups merge within a column, notes move between columns and change colour", "[workshops]") {
    board b;
    b.run(b.fac, "phase.goto", {{"index", 2}});  // regroupement (grouping)
    auto g1 = b.run(b.fac, "group.add", {{"column", "forces"}, {"title", "MSP"}}).seq;
    auto g2 = b.run(b.bob, "group.add", {{"column", "forces"}, {"title", "Maisons de santé"}}).seq;
    auto g3 = b.run(b.fac, "group.add", {{"column", "menaces"}, {"title", "Départs"}}).seq;
    auto n1 = b.run(b.bob, "note.add", {{"column", "forces"}, {"text", "Une MSP à Cambrai"}}).seq;
    auto n2 = b.run(b.cat, "note.add", {{"column", "forces"}, {"text", "Une autre MSP"}}).seq;
    b.run(b.bob, "note.group", {{"note", n1}, {"version", 1}, {"group", g1}});
    b.run(b.cat, "note.group", {{"note", n2}, {"version", 1}, {"group", g2}});
    CHECK(b.refusal(b.bob, "group.merge", {{"group", g2}, {"into", g3}}) == "champ_invalide");  // another column
    CHECK(b.refusal(b.bob, "group.merge", {{"group", g2}, {"into", g2}}) == "champ_invalide");
    // Observers write nothing, in a grouping phase or not: acces_refuse, as for notes.
    CHECK(b.refusal(b.obs, "group.merge", {{"group", g2}, {"into", g1}}) == "acces_refuse");
    CHECK(b.refusal(b.obs, "group.add", {{"column", "forces"}, {"title", "x"}}) == "acces_refuse");
    CHECK(b.refusal(b.obs, "note.group", {{"note", n1}, {"version", 2}, {"group", nullptr}}) == "acces_refuse");
    CHECK(b.refused(b.bob, "group.merge", {{"group", g2}, {"into", 999999}}) == "introuvable/into");
    // `group` is required: null takes the note out of its group, nothing is not an answer.
    CHECK(b.refused(b.bob, "note.group", {{"note", n1}, {"version", 2}}) == "champ_invalide/group");
    CHECK(snapshot(b.s, b.obs)["votes_left"] == 0);
    b.run(b.bob, "group.merge", {{"group", g2}, {"into", g1}});
    CHECK(b.s.groups.count(g2) == 0);
    CHECK(b.s.notes.at(n2).group == g1);
    CHECK(b.s.notes.at(n2).version == 3);
    // A note moves to another column of the phase, and changes colour.
    b.run(b.cat, "note.move", {{"note", n2}, {"version", 3}, {"column", "opportunites"}});
    CHECK(b.s.notes.at(n2).column == "opportunites");
    b.run(b.cat, "note.edit", {{"note", n2}, {"version", 4}, {"colour", "vert"}});
    CHECK(b.s.notes.at(n2).colour == "vert");
    CHECK(b.refusal(b.cat, "note.edit", {{"note", n2}, {"version", 5}, {"colour", "fuchsia"}}) == "champ_invalide");
    CHECK(b.refusal(b.bob, "note.edit", {{"note", n2}, {"version", 5}, {"colour", "rose"}}) == "acces_refuse");
}

TEST_CASE("facilitators see who has voted but never on what and others see nothing of it", "[workshops]") {
    board b;
    b.run(b.fac, "phase.goto", {{"index", 3}});
    auto n = b.run(b.bob, "note.add", {{"column", "menaces"}, {"text", "Désert médical"}});
    CHECK(snapshot(b.s, b.fac)["voters"].empty());
    b.run(b.cat, "vote.cast", {{"note", n.seq}});
    b.run(b.fac, "vote.proxy", {{"note", n.seq}, {"for", "Dan"}});
    auto key = b.s.current_phase()->key;
    b.run(b.fac, "vote.proxy", {{"note", n.seq}, {"for", "Dan"}});
    CHECK(snapshot(b.s, b.fac)["voters"][key] == json{{"g:2", 1}, {"proxy:dan", 2}});
    CHECK(snapshot(b.s, b.bob)["voters"].empty());
    b.run(b.cat, "vote.retract", {{"note", n.seq}});
    CHECK(snapshot(b.s, b.fac)["voters"][key] == json{{"proxy:dan", 2}});
    // During the vote, a note with votes stays as it is for its author; a facilitator may
    // still delete it, which takes its votes: its event tells facilitators whose, others nothing.
    CHECK(b.refusal(b.bob, "note.delete", {{"note", n.seq}, {"version", 1}}) == "hors_phase");
    CHECK(b.refusal(b.bob, "note.edit", {{"note", n.seq}, {"version", 1}, {"text", "Autre chose"}}) == "hors_phase");
    auto gone = b.run(b.fac, "note.delete", {{"note", n.seq}, {"version", 1}});
    CHECK(event_view(b.s, gone, b.fac)["data"]["voters"][key] == json{{"proxy:dan", 2}});
    CHECK_FALSE(event_view(b.s, gone, b.bob)["data"].contains("voters"));
    CHECK(snapshot(b.s, b.fac)["voters"].empty());
}

TEST_CASE("report: vote totals only once revealed", "[workshops][report]") {
    board b;
    b.run(b.fac, "phase.goto", {{"index", 3}});
    auto n = b.run(b.bob, "note.add", {{"column", "menaces"}, {"text", "Désert médical"}});
    b.run(b.cat, "vote.cast", {{"note", n.seq}});
    b.run(b.bob, "vote.cast", {{"note", n.seq}});
    store::workshop_row w;
    w.id = 1;
    w.title = "Atelier";
    w.stage = "pre_aci";
    auto hidden = make_report(w, b.s, {"Bob", "Cat"}, 0);
    CHECK(hidden.markdown.find("2 votes") == std::string::npos);
    b.run(b.fac, "votes.reveal");
    auto shown = make_report(w, b.s, {"Bob", "Cat"}, 0);
    CHECK(shown.markdown.find("2 votes") != std::string::npos);
}

TEST_CASE("action dates must be real days", "[workshops]") {
    board b;
    b.run(b.fac, "phase.goto", {{"index", 4}});
    for (const char* bad : {"2031-13-01", "2031-00-10", "2031-02-30", "2030-02-29", "2031-04-31", "0000-01-01", "2031-1-01"})
        CHECK(b.refusal(b.bob, "action.add", {{"what", "x"}, {"when", bad}}) == "champ_invalide");
    CHECK(b.refusal(b.bob, "action.add", {{"what", "x"}, {"when", "2028-02-29"}}) == "accepted");
    auto a = b.run(b.bob, "action.add", {{"what", "x"}, {"when", "2031-12-31"}});
    CHECK(b.refusal(b.bob, "action.edit", {{"action", a.seq}, {"when", "2031-13-01"}}) == "champ_invalide");
    CHECK(b.refusal(b.bob, "action.edit", {{"action", a.seq}}) == "champ_invalide");  // nothing to change
    CHECK(valid_calendar_date("2024-02-29"));
    CHECK_FALSE(valid_calendar_date("2023-02-29"));
}

TEST_CASE("caps: notes per person and per board", "[workshops]") {
    board b;
    for (std::size_t i = 0; i < max_notes_per_person; ++i) b.run(b.bob, "note.add", {{"column", "attentes"}, {"text", "n"}});
    CHECK(b.refusal(b.bob, "note.add", {{"column", "attentes"}, {"text", "une de trop"}}) == "trop_de_notes");
    CHECK(b.refusal(b.cat, "note.add", {{"column", "attentes"}, {"text", "Cat a les siennes"}}) == "accepted");
    // Deleting one frees a place.
    auto first = b.s.notes.begin()->first;
    b.run(b.bob, "note.delete", {{"note", first}, {"version", 1}});
    CHECK(b.refusal(b.bob, "note.add", {{"column", "attentes"}, {"text", "à nouveau"}}) == "accepted");
    // The board as a whole: many people, one limit.
    board full;
    for (std::size_t i = 0; full.s.notes.size() < max_notes_per_board; ++i) {
        actor someone{"g:" + std::to_string(100 + i / max_notes_per_person), "P", role::participant};
        full.run(someone, "note.add", {{"column", "attentes"}, {"text", "n"}});
    }
    CHECK(full.refusal(full.cat, "note.add", {{"column", "attentes"}, {"text", "x"}}) == "tableau_plein");
}

TEST_CASE("a stale version names the field, for every note operation", "[workshops]") {
    board b;
    b.run(b.fac, "phase.goto", {{"index", 2}});  // grouping allowed
    auto n = b.run(b.bob, "note.add", {{"column", "forces"}, {"text", "x"}});
    for (const char* op : {"note.edit", "note.move", "note.delete", "note.group"}) {
        json msg = {{"note", n.seq}, {"version", 7}, {"text", "y"}, {"column", "forces"}};
        try {
            decide(b.s, b.bob, op, msg, b.now);
            FAIL(op << " accepted a stale version");
        } catch (const api_error& e) {
            CHECK(e.code() == "version_perimee");
            CHECK(e.field() == "version");
        }
    }
}

TEST_CASE("structured columns: fields are validated in the phase", "[workshops][fields]") {
    auto p = parse_phase(indicator_phase());
    REQUIRE(p.columns.size() == 2);
    REQUIRE(p.columns[0].fields.size() == 3);
    CHECK(p.columns[0].fields[0].choices == std::vector<std::string>{"Moyens", "Résultats"});
    CHECK(p.columns[0].fields[1].help == "D'où vient la donnée.");
    CHECK(p.columns[1].fields.empty());
    // Serialised: a column without fields is as before (no `fields`); a field without
    // choices has none; the output parses back to the same phase.
    auto j = to_json(p);
    CHECK_FALSE(j["columns"][1].contains("fields"));
    CHECK(j["columns"][0]["fields"][0]["choices"].size() == 2);
    CHECK_FALSE(j["columns"][0]["fields"][1].contains("choices"));
    CHECK(j["columns"][0]["fields"][2]["help"] == "");
    CHECK(parse_phase(j) == p);
    // `fields: null` is no fields.
    auto none = indicator_phase();
    none["columns"][0]["fields"] = nullptr;
    CHECK(parse_phase(none).columns[0].fields.empty());

    auto refused = [](const std::function<void(json&)>& change) {
        auto ph = indicator_phase();
        change(ph);
        try {
            parse_phase(ph);
        } catch (const api_error& e) {
            return std::string(e.code()) + "/" + e.field();
        }
        return std::string("accepted");
    };
    const json::json_pointer f0("/columns/0/fields");
    const std::string bad = "champ_invalide/fields";
    CHECK(refused([&](json& ph) { ph[f0] = json::array(); }) == bad);
    CHECK(refused([&](json& ph) { ph[f0] = "type"; }) == bad);
    CHECK(refused([&](json& ph) { ph[f0][0] = "type"; }) == bad);
    CHECK(refused([&](json& ph) {
              for (int i = 0; i < 6; ++i) ph[f0].push_back({{"key", "k" + std::to_string(i)}, {"label", "L"}});
          }) == bad);  // 9 fields
    CHECK(refused([&](json& ph) {
              for (int i = 0; i < 5; ++i) ph[f0].push_back({{"key", "k" + std::to_string(i)}, {"label", "L"}});
          }) == "accepted");  // 8
    CHECK(refused([&](json& ph) { ph[f0][0].erase("key"); }) == bad);
    CHECK(refused([&](json& ph) { ph[f0][0]["key"] = "Type"; }) == bad);
    CHECK(refused([&](json& ph) { ph[f0][1]["key"] = "type"; }) == bad);  // duplicate
    CHECK(refused([&](json& ph) { ph[f0][0].erase("label"); }) == bad);
    CHECK(refused([&](json& ph) { ph[f0][0]["label"] = "  "; }) == bad);
    CHECK(refused([&](json& ph) { ph[f0][0]["label"] = std::string(61, 'a'); }) == bad);
    CHECK(refused([&](json& ph) { ph[f0][0]["label"] = std::string(60, 'a'); }) == "accepted");
    CHECK(refused([&](json& ph) { ph[f0][0]["help"] = std::string(201, 'a'); }) == bad);
    CHECK(refused([&](json& ph) { ph[f0][0]["help"] = 3; }) == bad);
    CHECK(refused([&](json& ph) { ph[f0][0]["choices"] = json::array({"Moyens"}); }) == bad);
    CHECK(refused([&](json& ph) { ph[f0][0]["choices"] = json::array({"a", "b", "c", "d", "e", "f", "g", "h", "i"}); }) == bad);
    CHECK(refused([&](json& ph) { ph[f0][0]["choices"] = json::array({"Moyens", "Moyens"}); }) == bad);
    CHECK(refused([&](json& ph) { ph[f0][0]["choices"] = json::array({"Moyens", ""}); }) == bad);
    CHECK(refused([&](json& ph) { ph[f0][0]["choices"] = json::array({"Moyens", std::string(41, 'r')}); }) == bad);
    CHECK(refused([&](json& ph) { ph[f0][0]["choices"] = json::array({"Moyens", 2}); }) == bad);
    CHECK(refused([&](json& ph) { ph[f0][0]["choices"] = "Moyens"; }) == bad);
}

TEST_CASE("structured columns: a note's fields on add and edit", "[workshops][fields]") {
    board b;
    b.run(b.fac, "phase.add", {{"phase", indicator_phase()}, {"at", 1}});
    b.run(b.fac, "phase.goto", {{"index", 1}});
    auto e = b.run(b.bob, "note.add", {{"column", "indicateur"}, {"text", "Patients en ALD sans médecin traitant"},
                                       {"fields", {{"type", "Résultats"}, {"source", "  Assurance Maladie  "}, {"cible", "  "}}}});
    const auto& n = b.s.notes.at(e.seq);
    // Trimmed; blank values dropped (in the event too).
    CHECK(n.fields == std::map<std::string, std::string>{{"source", "Assurance Maladie"}, {"type", "Résultats"}});
    CHECK(e.data["fields"] == json{{"source", "Assurance Maladie"}, {"type", "Résultats"}});
    CHECK(event_view(b.s, e, b.cat)["data"]["fields"]["type"] == "Résultats");
    CHECK(snapshot(b.s, b.cat)["notes"][0]["fields"] == json{{"source", "Assurance Maladie"}, {"type", "Résultats"}});
    // No fields, or only blank ones: the event has none, the note shows an empty object.
    auto plain = b.run(b.bob, "note.add", {{"column", "indicateur"}, {"text", "Sans détail"}, {"fields", {{"source", ""}}}});
    CHECK_FALSE(plain.data.contains("fields"));
    CHECK(to_json(b.s.notes.at(plain.seq), true)["fields"] == json::object());
    // The text stays required.
    CHECK(b.refused(b.bob, "note.add", {{"column", "indicateur"}, {"fields", {{"source", "CPAM"}}}}) == "champ_invalide/text");

    // Refusals name `fields`: a key the column does not have, a value outside the choices,
    // too long, not a string, not an object; fields on a column that has none.
    const std::string bad = "champ_invalide/fields";
    auto add = [&](json fields, const std::string& column = "indicateur") {
        return b.refused(b.bob, "note.add", {{"column", column}, {"text", "x"}, {"fields", std::move(fields)}});
    };
    CHECK(add({{"frequence", "annuelle"}}) == bad);
    CHECK(add({{"type", "Moyen"}}) == bad);
    CHECK(add({{"type", "moyens"}}) == bad);
    CHECK(add({{"type", ""}}) == "accepted");  // empty: no value
    CHECK(add({{"source", std::string(501, 'a')}}) == bad);
    CHECK(add({{"source", std::string(500, 'a')}}) == "accepted");
    std::string accents;
    for (int i = 0; i < 500; ++i) accents += "é";  // 500 characters, 1000 bytes
    CHECK(add({{"source", accents}}) == "accepted");
    CHECK(add({{"source", accents + "é"}}) == bad);
    CHECK(add({{"source", "a\x01"}}) == bad);
    CHECK(add({{"source", 12}}) == bad);
    CHECK(add(json::array({"source"})) == bad);
    CHECK(add("source") == bad);
    CHECK(add({{"source", "CPAM"}}, "remarques") == bad);
    CHECK(add(json::object(), "remarques") == "accepted");
    CHECK(add(nullptr, "remarques") == "accepted");

    // note.edit replaces the fields when given (an empty object clears them), under the
    // same version rules; without `fields` it keeps them; fields alone are an edit.
    CHECK(b.refused(b.cat, "note.edit", {{"note", e.seq}, {"version", 1}, {"fields", {{"cible", "50 %"}}}}) == "acces_refuse/");
    CHECK(b.refused(b.bob, "note.edit", {{"note", e.seq}, {"version", 2}, {"fields", {{"cible", "50 %"}}}}) == "version_perimee/version");
    CHECK(b.refused(b.bob, "note.edit", {{"note", e.seq}, {"version", 1}, {"fields", {{"type", "Autre"}}}}) == bad);
    auto ed = b.run(b.bob, "note.edit", {{"note", e.seq}, {"version", 1}, {"fields", {{"cible", "-50 % en 2027"}, {"type", "Résultats"}}}});
    CHECK(ed.data["fields"] == json{{"cible", "-50 % en 2027"}, {"type", "Résultats"}});
    CHECK_FALSE(ed.data.contains("text"));
    CHECK(b.s.notes.at(e.seq).fields == std::map<std::string, std::string>{{"cible", "-50 % en 2027"}, {"type", "Résultats"}});
    CHECK(b.s.notes.at(e.seq).version == 2);
    b.run(b.bob, "note.edit", {{"note", e.seq}, {"version", 2}, {"text", "Patients en ALD sans médecin traitant (%)"}});
    CHECK(b.s.notes.at(e.seq).fields.size() == 2);  // kept
    auto cleared = b.run(b.fac, "note.edit", {{"note", e.seq}, {"version", 3}, {"fields", json::object()}});
    CHECK(cleared.data["fields"] == json::object());
    CHECK(b.s.notes.at(e.seq).fields.empty());
    b.run(b.bob, "note.edit", {{"note", e.seq}, {"version", 4}, {"fields", {{"source", "SNDS"}}}});

    // Moving keeps the fields; a note of another column can no longer take them.
    auto moved = b.run(b.bob, "note.move", {{"note", e.seq}, {"version", 5}, {"column", "remarques"}});
    CHECK(b.s.notes.at(e.seq).fields == std::map<std::string, std::string>{{"source", "SNDS"}});
    CHECK(b.refused(b.bob, "note.edit", {{"note", e.seq}, {"version", 6}, {"fields", {{"source", "CPAM"}}}}) == bad);
    CHECK(b.refused(b.bob, "note.edit", {{"note", e.seq}, {"version", 6}, {"text", "ok"}}) == "accepted");
    (void)moved;

    // Hidden notes hide their fields: a private phase's note, as its events, until revealed.
    auto priv = indicator_phase("prive");
    priv["private_notes"] = true;
    b.run(b.fac, "phase.add", {{"phase", priv}});
    b.run(b.fac, "phase.goto", {{"index", static_cast<int>(b.s.phases.size()) - 1}});
    auto secret = b.run(b.bob, "note.add", {{"column", "indicateur"}, {"text", "secret"}, {"fields", {{"source", "ARS"}}}});
    CHECK(event_view(b.s, secret, b.cat)["op"] == "hidden");
    auto before_reveal = snapshot(b.s, b.cat);
    for (const auto& seen : before_reveal["notes"]) CHECK(seen["id"] != secret.seq);
    auto edit_secret = b.run(b.bob, "note.edit", {{"note", secret.seq}, {"version", 1}, {"fields", {{"source", "ARS 2025"}}}});
    CHECK(event_view(b.s, edit_secret, b.cat)["op"] == "hidden");
    CHECK(event_view(b.s, edit_secret, b.fac)["data"]["fields"]["source"] == "ARS 2025");
    auto go = b.run(b.fac, "phase.goto", {{"index", 1}});
    bool revealed = false;
    auto shown = event_view(b.s, go, b.cat);
    for (const auto& r : shown["data"]["revealed"])
        if (r["id"] == secret.seq) revealed = r["fields"]["source"] == "ARS 2025";
    CHECK(revealed);
}

TEST_CASE("structured columns: snapshots and replays keep the fields", "[workshops][fields][snapshot]") {
    board b;
    std::vector<event> log;
    log.push_back(make_system_event(room_state{}, b.fac, "workshop.created", {{"phases", swot_phases()}, {"state", "live"}}, 0));
    // A board without structured columns is stored as before: no `fields` anywhere.
    {
        room_state plain;
        apply(plain, log.front());
        auto n = decide(plain, b.bob, "note.add", {{"column", "attentes"}, {"text", "a"}}, 0);
        apply(plain, n);
        auto doc = to_json(plain);
        CHECK(doc.dump().find("\"fields\"") == std::string::npos);
        CHECK(doc.get<room_state>() == plain);
    }
    auto record = [&](const actor& a, const std::string& op, json m = json::object()) { log.push_back(b.run(a, op, std::move(m))); };
    record(b.fac, "phase.add", {{"phase", indicator_phase()}});
    record(b.fac, "phase.goto", {{"index", 5}});
    record(b.bob, "note.add", {{"column", "indicateur"}, {"text", "Délai de rendez-vous"}, {"fields", {{"type", "Résultats"}, {"source", "Enquête"}}}});
    auto id = log.back().seq;
    record(b.cat, "note.add", {{"column", "indicateur"}, {"text", "Réunions"}, {"fields", {{"type", "Moyens"}}}});
    record(b.bob, "note.edit", {{"note", id}, {"version", 1}, {"fields", {{"type", "Résultats"}, {"cible", "7 jours"}}}});
    record(b.cat, "vote.cast", {{"note", id}});
    record(b.fac, "votes.reveal");
    room_state replay;
    for (const auto& e : log) apply(replay, e);
    CHECK(replay == b.s);
    for (const auto& viewer : {b.fac, b.bob, b.cat}) CHECK(snapshot(replay, viewer) == snapshot(b.s, viewer));
    // Through the text the database stores.
    auto loaded = json::parse(to_json(b.s).dump()).get<room_state>();
    CHECK(loaded == b.s);
    CHECK(loaded.notes.at(id).fields.at("cible") == "7 jours");
    CHECK(loaded.phases[5].columns[0].fields[0].choices.size() == 2);
}

TEST_CASE("report: a structured column is a table, indicators.csv has a row per indicator", "[workshops][fields][report]") {
    board b;
    b.run(b.fac, "phase.add", {{"phase", indicator_phase()}, {"at", 1}});
    b.run(b.fac, "phase.goto", {{"index", 1}});
    auto n1 = b.run(b.bob, "note.add", {{"column", "indicateur"}, {"text", "Patients | ALD"},
                                        {"fields", {{"type", "Résultats"}, {"source", "Assurance\nMaladie"}, {"cible", "=50 %; fin 2027"}}}}).seq;
    auto n2 = b.run(b.cat, "note.add", {{"column", "indicateur"}, {"text", "Réunions pluriprofessionnelles"}, {"fields", {{"type", "Moyens"}}}}).seq;
    b.run(b.bob, "note.add", {{"column", "remarques"}, {"text", "À revoir en COPIL"}});
    store::workshop_row w;
    w.id = 1;
    w.title = "Indicateurs";
    w.stage = "pre_aci";
    auto r = make_report(w, b.s, {"Bob"}, 0);
    // No vote revealed: no « Votes » column.
    CHECK(r.markdown.find("### Indicateur\n\n| Indicateur | Moyens ou résultats | Source | Cible \\| valeur |\n|---|---|---|---|\n"
                          "| Patients \\| ALD | Résultats | Assurance / Maladie | =50 %; fin 2027 |\n"
                          "| Réunions pluriprofessionnelles | Moyens |  |  |\n") != std::string::npos);
    CHECK(r.markdown.find("### Remarques\n\n- À revoir en COPIL\n") != std::string::npos);
    CHECK(r.indicators_csv == "\xEF\xBB\xBFIndicateur;Moyens ou résultats;Source;Cible | valeur;Votes\r\n"
                              "Patients | ALD;Résultats;\"Assurance\nMaladie\";\"'=50 %; fin 2027\";0\r\n"
                              "Réunions pluriprofessionnelles;Moyens;;;0\r\n");
    // Revealed votes: the last column; a group: its own column.
    b.run(b.bob, "vote.cast", {{"note", n2}});
    b.run(b.cat, "vote.cast", {{"note", n2}});
    b.run(b.fac, "votes.reveal");
    auto g = b.run(b.fac, "group.add", {{"column", "indicateur"}, {"title", "Accès"}}).seq;
    b.run(b.fac, "note.group", {{"note", n1}, {"version", 1}, {"group", g}});
    auto voted = make_report(w, b.s, {"Bob"}, 0);
    CHECK(voted.markdown.find("| Indicateur | Groupe | Moyens ou résultats | Source | Cible \\| valeur | Votes |\n|---|---|---|---|---|---|\n"
                              "| Patients \\| ALD | Accès | Résultats | Assurance / Maladie | =50 %; fin 2027 | 0 |\n"
                              "| Réunions pluriprofessionnelles |  | Moyens |  |  | 2 |\n") != std::string::npos);
    CHECK(voted.indicators_csv.find("Réunions pluriprofessionnelles;Moyens;;;2\r\n") != std::string::npos);
    auto html = report_html("x", voted.markdown);
    CHECK(html.find("<th scope=\"col\">Cible | valeur</th>") != std::string::npos);
    CHECK(html.find("<td>Patients | ALD</td>") != std::string::npos);
    // A note moved out of the structured column keeps its fields, said in the list.
    b.run(b.bob, "note.move", {{"note", n1}, {"version", 2}, {"column", "remarques"}});
    auto moved = make_report(w, b.s, {"Bob"}, 0);
    CHECK(moved.markdown.find("- Patients \\| ALD (Cible \\| valeur : =50 %; fin 2027 ; Source : Assurance / Maladie ; Moyens ou résultats : Résultats)\n") != std::string::npos);
}

TEST_CASE("report: indicators.csv of a board made with the former template (one column per attribute)", "[workshops][fields][report]") {
    // The columns of the former « indicateurs » template: an indicator's attributes are
    // the notes of its group in the other columns.
    auto old = json::parse(R"json([{"key": "individuel", "title": "Propositions", "kind": "regroupement", "duration_min": 20, "grouping": true,
      "columns": [{"key": "indicateur", "title": "Indicateur"}, {"key": "type", "title": "Moyens ou résultats"},
                  {"key": "source", "title": "Source"}, {"key": "frequence", "title": "Fréquence"},
                  {"key": "cible", "title": "Cible"}, {"key": "financement", "title": "Conditionne le financement ?"}]}])json");
    room_state s;
    actor fac{"u:1", "Alice", role::facilitator};
    auto run = [&](const std::string& op, json m) {
        auto e = decide(s, fac, op, m, 0);
        apply(s, e);
        return e.seq;
    };
    apply(s, make_system_event(s, fac, "workshop.created", {{"phases", old}, {"state", "live"}}, 0));
    auto g = run("group.add", {{"column", "indicateur"}, {"title", "Délais"}});
    auto i = run("note.add", {{"column", "indicateur"}, {"text", "Délai de rendez-vous"}});
    auto src = run("note.add", {{"column", "source"}, {"text", "Enquête"}});
    run("note.group", {{"note", i}, {"version", 1}, {"group", g}});
    // Such boards grouped notes of other columns (the board no longer does: note.group now
    // keeps to the group's column), so their logs hold events like this one.
    CHECK_THROWS_AS(decide(s, fac, "note.group", {{"note", src}, {"version", 1}, {"group", g}}, 0), api_error);
    apply(s, event{s.seq + 1, "note.group", {{"note", src}, {"group", g}, {"hidden", ""}}, fac.key, fac.name, std::nullopt, 0});
    store::workshop_row w;
    w.id = 1;
    w.title = "Ancien";
    w.stage = "pre_aci";
    auto r = make_report(w, s, {}, 0);
    CHECK(r.indicators_csv == "\xEF\xBB\xBFIndicateur;Moyens ou résultats;Source;Fréquence;Cible;Conditionne le financement;Votes\r\n"
                              "Délai de rendez-vous;;Enquête;;;;0\r\n");
}

TEST_CASE("seed templates: each one valid, the reworked flows and their structured columns", "[workshops][templates]") {
    std::map<std::string, json> templates;
    for (const auto& f : std::filesystem::directory_iterator(RELAIS_SOURCE_DIR "/seed-content/templates")) {
        auto t = read_json(f.path().string());
        INFO(f.path().filename().string());
        CHECK(f.path().stem().string() == t["slug"].get<std::string>());
        CHECK_FALSE(t["name"].get<std::string>().empty());
        CHECK_FALSE(t["description"].get<std::string>().empty());
        auto phases = parse_phases(t["phases"]);
        // Through the server's own serialisation, unchanged.
        CHECK(parse_phases(to_json(phases)) == phases);
        // A column key names the same column (title, help, fields) in every phase.
        std::map<std::string, column> seen;
        for (const auto& p : phases)
            for (const auto& c : p.columns) {
                INFO(p.key << " / " << c.key);
                if (auto it = seen.find(c.key); it != seen.end()) CHECK(it->second == c);
                seen.emplace(c.key, c);
            }
        templates[t["slug"].get<std::string>()] = t;
    }
    CHECK(templates.size() == 8);
    for (const char* slug : {"swot", "fiche-action", "retroplanning", "gouvernance", "indicateurs", "parcours-patient", "maturite-aci",
                             "post-conventionnement"})
        CHECK(templates.count(slug) == 1);
    auto phases_of = [&](const char* slug) { return parse_phases(templates.at(slug)["phases"]); };
    auto labels = [](const column& c) {
        std::vector<std::string> out;
        for (const auto& f : c.fields) out.push_back(f.label);
        return out;
    };
    // SWOT → enjeux → a vote on the enjeux only → the action plan.
    auto swot = phases_of("swot");
    REQUIRE(swot.size() == 6);
    CHECK(swot[3].has_column("enjeux"));
    CHECK(swot[4].vote_budget > 0);
    REQUIRE(swot[4].columns.size() == 1);
    CHECK(swot[4].columns[0].key == "enjeux");
    CHECK(swot[5].kind == "plan_action");
    // Indicators: one structured column with the fields the ACI contract asks for.
    auto ind = phases_of("indicateurs");
    const column* indicator = ind[1].find_column("indicateur");
    REQUIRE(indicator);
    CHECK(labels(*indicator) == std::vector<std::string>{"Moyens ou résultats", "Définition", "Source", "Fréquence", "Valeur de départ", "Cible",
                                                         "Conditionne le financement"});
    CHECK(indicator->fields[0].choices == std::vector<std::string>{"Moyens", "Résultats"});
    CHECK(indicator->fields[6].choices == std::vector<std::string>{"Oui", "Non"});
    // Fiche action: one card is one action line.
    bool action_line = false;
    for (const auto& p : phases_of("fiche-action"))
        if (const column* c = p.find_column("actions"))
            action_line = labels(*c) == std::vector<std::string>{"Qui", "Quand", "Comment", "Pour changer quoi", "Indicateur de suivi"};
    CHECK(action_line);
    // Maturity: the missions socles, each with « Où en sommes-nous ».
    auto mat = phases_of("maturite-aci");
    for (const char* k : {"medecin_traitant", "soins_non_programmes", "parcours", "prevention", "crise"}) {
        const column* c = mat[1].find_column(k);
        REQUIRE(c);
        CHECK(c->fields[0].choices == std::vector<std::string>{"Pas commencé", "En réflexion", "En cours", "Opérationnel"});
    }
    // After the ACI: the follow-up of actions, with their state.
    auto post = phases_of("post-conventionnement");  // kept: find_column points into it
    const column* follow = post[1].find_column("suivi");
    REQUIRE(follow);
    bool state = false;
    for (const auto& f : follow->fields) state = state || (f.key == "etat" && f.choices.size() >= 4);
    CHECK(state);
}

TEST_CASE("workshop rules: template, CPTS and partners exist, one co-facilitator who animates", "[workshops]") {
    unit_temp_dir dir;
    metrics::registry m;
    db::pool pool({dir.path / "w.db", 1, 16, [](db::connection& c) {
                       platform::migrate(c, {{"auth", &auth::migrations()}, {"indexing", &indexing::migrations()},
                                             {"library", &library::migrations()}, {"workshops", &workshops::migrations()}});
                   }},
                  m);
    worker_pool cpu("cpu", 1);
    auth::service directory(pool, cpu, {});
    std::int64_t cpts = 0, ars = 0, member = 0, colleague = 0, third = 0;
    auth::principal alice;
    pool.write_sync([&](db::connection& c) {
        service::load_seed_templates(c, RELAIS_SOURCE_DIR "/seed-content");
        cpts = auth::store::insert_org(c, auth::org{0, "CPTS du Ternois", "cpts", "32", {"62"}, 0}, 0);
        ars = auth::store::insert_org(c, auth::org{0, "ARS Hauts-de-France", "ars", "32", {}, 0}, 0);
        auto user = [&](const char* email, const char* role) {
            auth::user u;
            u.email = email;
            u.name = email;
            u.role = role;
            u.password_hash = "x";
            return auth::store::insert_user(c, u, 0);
        };
        alice.account.id = user("alice@x.fr", "animateur");
        alice.account.name = "Alice";
        member = user("membre@x.fr", "membre");
        colleague = user("roc@x.fr", "animateur");
        third = user("admin@x.fr", "admin");
    });
    workshop_draft d;
    d.title = "Atelier SWOT";
    d.stage = "pre_aci";
    d.template_slug = "swot";
    d.cpts_id = cpts;
    d.partners = std::vector<std::int64_t>{cpts};
    auto refusal = [&](workshop_draft draft) {
        try {
            pool.write_sync([&](db::connection& c) { service::create_workshop(c, directory, draft, alice, 1'000'000); });
        } catch (const api_error& e) {
            return e.field();
        }
        return std::string("accepted");
    };
    auto with = [&](auto change) {
        auto copy = d;
        change(copy);
        return copy;
    };
    CHECK(refusal(with([&](workshop_draft& x) { x.co_facilitators = {colleague, third}; })) == "facilitator_ids");
    CHECK(refusal(with([&](workshop_draft& x) { x.co_facilitators = {member}; })) == "facilitator_ids");
    CHECK(refusal(with([&](workshop_draft& x) { x.template_slug = "inconnu"; })) == "template");
    CHECK(refusal(with([&](workshop_draft& x) { x.cpts_id = 999; })) == "cpts_id");
    CHECK(refusal(with([&](workshop_draft& x) { x.cpts_id = ars; })) == "cpts_id");  // an ARS is a partner, not the CPTS
    CHECK(refusal(with([&](workshop_draft& x) { x.partners = std::vector<std::int64_t>{999}; })) == "partner_ids");
    CHECK(refusal(with([&](workshop_draft& x) { x.stage = "plus_tard"; })) == "stage");
    // Refused drafts left nothing behind.
    pool.read_sync([&](db::connection& c) { CHECK(store::workshops(c, directory, std::nullopt).empty()); });

    // The creator listed among the co-facilitators counts once.
    auto ok = with([&](workshop_draft& x) { x.co_facilitators = {alice.account.id, colleague}; });
    std::int64_t id = 0;
    pool.write_sync([&](db::connection& c) { id = service::create_workshop(c, directory, ok, alice, 1'000'000); });
    pool.read_sync([&](db::connection& c) {
        auto w = store::workshop(c, directory, id);
        REQUIRE(w);
        CHECK(w->cpts_name == std::optional<std::string>("CPTS du Ternois"));
        REQUIRE(w->partners.size() == 1);
        CHECK(w->people.size() == 2);
        for (const auto& p : w->people) CHECK(p.role == "facilitator");
        auto log = store::events(c, id);
        REQUIRE(log.size() == 1);
        CHECK(log[0].op == "workshop.created");
    });
    // A change to an unknown partner changes nothing.
    CHECK_THROWS_AS(pool.write_sync([&](db::connection& c) {
                        auto w = *store::workshop(c, directory, id);
                        w.title = "Renommé";
                        service::update_workshop(c, directory, w, std::vector<std::int64_t>{999}, 1);
                    }),
                    api_error);
    pool.read_sync([&](db::connection& c) { CHECK(store::workshop(c, directory, id)->title == "Atelier SWOT"); });

    // Members: the facilitator cap, who may facilitate, the last facilitator stays.
    auto member_refusal = [&](std::int64_t uid, const char* as) {
        try {
            pool.write_sync([&](db::connection& c) { service::set_member(c, directory, id, uid, as); });
        } catch (const api_error& e) {
            return e.field();
        }
        return std::string("accepted");
    };
    CHECK(member_refusal(third, "facilitator") == "role");  // alice and colleague already
    CHECK(member_refusal(member, "facilitator") == "role");  // a membre does not facilitate
    CHECK(member_refusal(999, "participant") == "user_id");
    CHECK(member_refusal(member, "animateur") == "role");
    CHECK(member_refusal(member, "participant") == "accepted");
    CHECK(member_refusal(third, "participant") == "accepted");
    CHECK(member_refusal(colleague, "facilitator") == "accepted");  // already one: no change
    auto removal = [&](std::int64_t uid) {
        try {
            pool.write_sync([&](db::connection& c) { service::remove_member(c, directory, id, uid); });
        } catch (const api_error& e) {
            return std::string(e.code());
        }
        return std::string("accepted");
    };
    CHECK(removal(colleague) == "accepted");
    CHECK(removal(alice.account.id) == std::string("transition_invalide"));  // the last facilitator
    CHECK(member_refusal(alice.account.id, "participant") == "user_id");  // … is not demoted either
    CHECK(member_refusal(third, "facilitator") == "accepted");  // room again for a co-facilitator
    // The same role again changes nothing (the person's sockets are not closed for it).
    pool.write_sync([&](db::connection& c) {
        CHECK_FALSE(service::set_member(c, directory, id, member, "participant"));
        CHECK(service::set_member(c, directory, id, colleague, "participant"));
    });
    CHECK(removal(colleague) == "accepted");
    CHECK(removal(colleague) == "introuvable");  // not in it (any more)
    CHECK(removal(999) == "introuvable");
    pool.read_sync([&](db::connection& c) {
        auto w = store::workshop(c, directory, id);
        std::map<std::int64_t, std::string> roles;
        for (const auto& p : w->people) roles[p.user_id] = p.role;
        CHECK(roles == std::map<std::int64_t, std::string>{{alice.account.id, "facilitator"}, {member, "participant"},
                                                           {third, "facilitator"}});
    });

    // State changes and phase plans, against the board as applied.
    room_state st;
    st.workshop_state = "draft";
    CHECK_NOTHROW(service::check_state_change(st, "scheduled"));
    CHECK_THROWS_AS(service::check_state_change(st, "archived"), api_error);
    st.workshop_state = "live";
    st.current = 2;
    CHECK_NOTHROW(service::check_phase_plan(st, 3));
    CHECK_THROWS_AS(service::check_phase_plan(st, 2), api_error);  // would drop the current phase
    st.workshop_state = "closed";
    CHECK_THROWS_AS(service::check_phase_plan(st, 5), api_error);

    // Archived, it changes no more: record, members; it can still be read.
    pool.write_sync([&](db::connection& c) { store::set_state(c, id, "archived", 2); });
    auto archived_refusal = [&](const std::function<void(db::connection&)>& f) {
        try {
            pool.write_sync(f);
        } catch (const api_error& e) {
            return std::string(e.code());
        }
        return std::string("accepted");
    };
    CHECK(archived_refusal([&](db::connection& c) {
              auto w = *store::workshop(c, directory, id);
              w.title = "Renommé";
              service::update_workshop(c, directory, w, std::nullopt, 3);
          }) == "atelier_ferme");
    CHECK(archived_refusal([&](db::connection& c) { service::set_member(c, directory, id, colleague, "participant"); }) == "atelier_ferme");
    CHECK(archived_refusal([&](db::connection& c) { service::remove_member(c, directory, id, member); }) == "atelier_ferme");
    CHECK(archived_refusal([&](db::connection& c) { service::check_not_archived(c, directory, id + 100); }) == "introuvable");
    pool.read_sync([&](db::connection& c) { CHECK(store::workshop(c, directory, id)->title == "Atelier SWOT"); });

    // Invite terms.
    auto terms = service::parse_invite(json{{"role", "observer"}, {"label", "Élus"}});
    CHECK(terms.role == "observer");
    CHECK(terms.hours == 72);
    CHECK(terms.label == "Élus");
    CHECK(service::parse_invite(json{{"role", "participant"}, {"hours", 720}}).hours == 720);
    for (const auto& bad : {json{{"role", "facilitator"}}, json{{"role", "participant"}, {"hours", 0}},
                            json{{"role", "participant"}, {"hours", 721}}, json{{"role", "participant"}, {"hours", "2"}},
                            json::object()})
        CHECK_THROWS_AS(service::parse_invite(bad), api_error);
    cpu.stop();
    pool.stop();
}

// ---- Snapshots of the board, loading, and the room's fan-out ------------------------

namespace {

const std::vector<std::string> board_ops = {
    "note.add",     "note.edit",    "note.move",    "note.delete", "note.group",   "group.add",       "group.rename",
    "group.delete", "vote.cast",    "vote.proxy",   "vote.retract", "votes.reveal", "timer.start",    "timer.pause",
    "timer.add",    "timer.reset",  "phase.goto",   "phase.add",   "phase.update", "phase.remove",    "phase.move",
    "board.lock",   "board.anonymous", "reaction",  "chat.send",   "action.add",   "action.edit",     "action.delete",
    "prework.reveal", "ranking.retain", "timer.lock_at_zero", "group.merge"};
const std::vector<std::string> system_ops = {"workshop.created", "workshop.state", "phases.set"};

/// A random log that a room could have written: each operation (random kind, actor and
/// fields) decided against the board as it is, the refused ones left out; state changes
/// and phase plans from the HTTP side now and then.
std::vector<event> random_log(std::uint32_t seed, int attempts) {
    std::mt19937 rng(seed);
    auto pick = [&](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); };
    auto chance = [&](double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; };
    const std::vector<actor> people = {{"u:1", "Alice", role::facilitator},
                                       {"g:1", "Bob", role::participant},
                                       {"g:2", "Cat", role::participant},
                                       {"g:3", "Olga", role::observer}};
    room_state s;
    std::vector<event> log;
    std::int64_t now = 1'000'000;
    auto keep = [&](event e) {
        apply(s, e);
        log.push_back(std::move(e));
    };
    // The plan: the board tests' five phases and a phase with a structured column.
    json plan = swot_phases();
    plan.push_back(indicator_phase());
    keep(make_system_event(s, people[0], "workshop.created", {{"phases", plan}, {"state", "live"}}, now));
    int extra_phases = 0;
    for (int i = 0; i < attempts; ++i) {
        now += 1000 + static_cast<std::int64_t>(pick(5000));
        if (chance(0.03)) {
            static const char* states[] = {"draft", "scheduled", "live", "live", "closed"};
            keep(make_system_event(s, people[0], "workshop.state", {{"state", states[pick(5)]}}, now));
            continue;
        }
        if (chance(0.005)) {
            if (s.current < plan.size()) keep(make_system_event(s, people[0], "phases.set", {{"phases", plan}}, now));
            continue;
        }
        const actor& a = chance(0.4) ? people[0] : people[1 + pick(3)];
        const std::string& op = board_ops[pick(board_ops.size())];
        // Revealed votes stand: reveals kept rare, so that votes and proxies happen before them.
        const phase* cur = s.current_phase();
        if (op == "votes.reveal" && (!chance(0.3) || !cur || !s.votes.count(cur->key))) continue;
        const note* n = nullptr;
        if (!s.notes.empty()) n = &std::next(s.notes.begin(), static_cast<std::ptrdiff_t>(pick(s.notes.size())))->second;
        auto any_id = [&](const auto& m) -> std::int64_t {
            return m.empty() ? 999999 : std::next(m.begin(), static_cast<std::ptrdiff_t>(pick(m.size())))->first;
        };
        auto column = [&] { return cur ? cur->columns[pick(cur->columns.size())].key : std::string("x"); };
        auto phases = static_cast<std::size_t>(s.phases.size());
        auto tag = std::to_string(i);
        json m = json::object();
        // Fields for a note of `col` when the board defines some there (structured columns).
        auto some_fields = [&](const std::string& col) {
            json f = json::object();
            if (const relais::workshops::column* c = s.column_def(col))
                for (const auto& d : c->fields)
                    if (chance(0.6)) f[d.key] = d.choices.empty() ? (chance(0.2) ? std::string() : "valeur " + tag) : d.choices[pick(d.choices.size())];
            return f;
        };
        if (op == "note.add") {
            m = {{"column", column()}, {"text", "note " + tag}};
            if (chance(0.5)) m["colour"] = "rose";
            if (chance(0.7)) m["fields"] = some_fields(m["column"].get<std::string>());
        } else if (op == "note.edit" || op == "note.move" || op == "note.delete" || op == "note.group") {
            if (!n) continue;
            m = {{"note", n->id}, {"version", n->version}};
            if (op == "note.edit") {
                if (chance(0.5)) m["text"] = "modifiée " + tag;
                else m["colour"] = "vert";
                if (chance(0.4)) m["fields"] = some_fields(n->column);
            }
            if (op == "note.move") m["column"] = column();
            if (op == "note.group") m["group"] = chance(0.3) || s.groups.empty() ? json(nullptr) : json(any_id(s.groups));
        } else if (op == "group.add") {
            m = {{"column", column()}, {"title", "groupe " + tag}};
        } else if (op == "group.rename") {
            m = {{"group", any_id(s.groups)}, {"title", "renommé " + tag}};
        } else if (op == "group.delete") {
            m = {{"group", any_id(s.groups)}};
        } else if (op == "vote.cast" || op == "vote.retract" || op == "vote.proxy") {
            if (!n) continue;
            m = {{"note", n->id}};
            if (op == "vote.proxy") m["for"] = "Dan";
            // Retract one of one's own votes when there is one.
            if (auto ph = cur ? s.votes.find(cur->key) : s.votes.end(); op == "vote.retract" && ph != s.votes.end())
                for (const auto& [note_id, voters] : ph->second)
                    if (auto v = voters.find(a.key); v != voters.end() && v->second > 0) m["note"] = note_id;
        } else if (op == "timer.start") {
            if (chance(0.5)) m = {{"seconds", 60 + pick(600)}};
        } else if (op == "timer.add") {
            m = {{"seconds", static_cast<int>(pick(120)) - 60}};
        } else if (op == "phase.goto" || op == "phase.remove") {
            m = {{"index", pick(phases)}};
        } else if (op == "phase.add") {
            json p = chance(0.4) ? indicator_phase() : swot_phases()[pick(5)];
            p["key"] = "extra" + std::to_string(++extra_phases);
            m = {{"phase", p}, {"at", pick(phases + 1)}};
        } else if (op == "phase.update") {
            auto idx = pick(phases);
            json p = to_json(s.phases[idx]);
            p["title"] = "Titre " + tag;
            p["duration_min"] = 1 + pick(30);
            m = {{"index", idx}, {"phase", p}};
        } else if (op == "phase.move") {
            m = {{"from", pick(phases)}, {"to", pick(phases)}};
        } else if (op == "board.lock") {
            m = {{"locked", chance(0.3)}};
        } else if (op == "board.anonymous") {
            m = {{"anonymous", chance(0.5)}};
        } else if (op == "reaction") {
            m = {{"emoji", chance(0.5) ? "👍" : "💡"}};
        } else if (op == "chat.send") {
            m = {{"text", "message " + tag}};
        } else if (op == "action.add") {
            m = {{"what", "action " + tag}, {"who", "Bob"}, {"when", "2027-01-15"}};
            if (!s.retained.empty() && chance(0.5)) m["item"] = s.retained[pick(s.retained.size())].note;
        } else if (op == "action.edit") {
            m = {{"action", any_id(s.actions)}, {"what", "modifiée " + tag}, {"when", ""}};
            if (chance(0.3)) m["item"] = s.retained.empty() || chance(0.3) ? json(nullptr) : json(s.retained[pick(s.retained.size())].note);
        } else if (op == "ranking.retain") {
            m = {{"count", pick(6)}};
        } else if (op == "timer.lock_at_zero") {
            m = {{"on", chance(0.3)}};
        } else if (op == "group.merge") {
            m = {{"group", any_id(s.groups)}, {"into", any_id(s.groups)}};
        } else if (op == "action.delete") {
            m = {{"action", any_id(s.actions)}};
        }
        try {
            auto e = decide(s, a, op, m, now);
            if (chance(0.3)) e.client_op_id = "c" + tag;
            keep(std::move(e));
        } catch (const api_error&) {
        }
    }
    return log;
}

room_state replay(const std::vector<event>& log, std::size_t upto) {
    room_state s;
    for (std::size_t i = 0; i < upto; ++i) apply(s, log[i]);
    return s;
}

}  // namespace

TEST_CASE("room state: a snapshot plus the events after it gives the board of a full replay", "[workshops][snapshot]") {
    for (std::uint32_t seed : {1u, 2u, 3u}) {
        INFO("seed " << seed);
        auto log = random_log(seed, 6000);
        // Every kind of event is in the log (and so in the comparison below).
        std::set<std::string> kinds;
        for (const auto& e : log) kinds.insert(e.op);
        for (const auto& op : board_ops) {
            INFO(op);
            CHECK(kinds.count(op) == 1);
        }
        for (const auto& op : system_ops) {
            INFO(op);
            CHECK(kinds.count(op) == 1);
        }
        // Notes with fields (structured columns) are in it too, added and edited.
        CHECK(std::any_of(log.begin(), log.end(), [](const event& e) { return e.op == "note.add" && e.data.contains("fields"); }));
        CHECK(std::any_of(log.begin(), log.end(), [](const event& e) { return e.op == "note.edit" && e.data.contains("fields"); }));
        auto full = replay(log, log.size());
        CHECK(json::parse(to_json(full).dump()).get<room_state>() == full);
        std::mt19937 rng(seed);
        std::vector<std::size_t> cuts = {0, 1, log.size() / 2, log.size() - 1, log.size()};
        for (int i = 0; i < 20; ++i) cuts.push_back(std::uniform_int_distribution<std::size_t>(0, log.size())(rng));
        for (auto cut : cuts) {
            INFO("snapshot after " << cut << " of " << log.size() << " events");
            // Through the text the database stores.
            auto loaded = json::parse(to_json(replay(log, cut)).dump()).get<room_state>();
            for (std::size_t i = cut; i < log.size(); ++i) apply(loaded, log[i]);
            REQUIRE(loaded == full);
            for (const auto& viewer : {actor{"u:1", "Alice", role::facilitator}, actor{"g:1", "Bob", role::participant},
                                       actor{"g:3", "Olga", role::observer}})
                CHECK(snapshot(loaded, viewer) == snapshot(full, viewer));
        }
    }
    // A document of another format is refused, not half read.
    room_state s;
    CHECK_THROWS(json{{"format", 99}}.get_to(s));
    CHECK_THROWS(json::parse("{\"format\":1,\"seq\":3}").get_to(s));
}

TEST_CASE("event views: every operation renders for every kind of viewer", "[workshops]") {
    // The room's fan-out renders each committed event for each viewer: a view that throws
    // for one kind of viewer (a key read with the wrong type) would leave that event out.
    const std::vector<actor> viewers = {{"u:1", "Alice", role::facilitator},
                                        {"g:1", "Bob", role::participant},
                                        {"g:2", "Cat", role::participant},
                                        {"g:3", "Olga", role::observer},
                                        {"u:9", "Nina", role::participant}};
    for (std::uint32_t seed : {4u, 5u, 6u}) {
        auto log = random_log(seed, 1500);
        room_state s;
        std::set<std::string> rendered;
        for (const auto& e : log) {
            apply(s, e);
            for (const auto& v : viewers) {
                json view;
                REQUIRE_NOTHROW(view = event_view(s, e, v));
                CHECK(view["seq"] == e.seq);
                if (view["op"] != "hidden") {
                    CHECK(view["op"] == e.op);
                    rendered.insert(e.op);
                }
            }
        }
        for (const auto& op : {"phase.add", "phase.update", "vote.cast", "note.add"}) {
            INFO("seed " << seed << ": " << op);
            CHECK(rendered.count(op) == 1);
        }
    }
}

TEST_CASE("room loading: the latest snapshot, the events after it, and every client operation id", "[workshops][snapshot]") {
    unit_temp_dir dir;
    db::connection c(dir.path / "w.db", db::connection::mode::read_write);
    platform::migrate(c, {{"auth", &auth::migrations()}, {"indexing", &indexing::migrations()}, {"library", &library::migrations()},
                          {"workshops", &workshops::migrations()}});
    c.exec("INSERT INTO workshops(title, stage, template, created_at, updated_at) VALUES('t', 'pre_aci', 'swot', 0, 0)");
    auto log = random_log(7, 6000);
    REQUIRE(log.size() > 1500);
    room_state s;
    std::int64_t early = 0, later = 0, with_ids = 0;
    for (std::size_t i = 0; i < log.size(); ++i) {
        store::insert_event(c, 1, log[i]);
        apply(s, log[i]);
        with_ids += log[i].client_op_id ? 1 : 0;
        if (i == 300 || i == 1200) {
            store::save_snapshot(c, 1, s.seq, to_json(s).dump(), 0);
            (i == 300 ? early : later) = s.seq;
        }
    }
    auto snapshots = [&] {
        auto q = c.prepare("SELECT count(*), max(seq) FROM workshop_snapshots WHERE workshop_id = 1");
        q.step();
        return std::make_pair(q.get_int(0), q.get_int(1));
    };
    CHECK(snapshots() == std::make_pair(std::int64_t{1}, later));  // only the latest is kept
    store::save_snapshot(c, 1, early, "{}", 0);                      // an older one comes late: ignored
    CHECK(snapshots() == std::make_pair(std::int64_t{1}, later));

    auto loaded = store::load_room(c, 1, 1000);
    REQUIRE(loaded.snapshot);
    CHECK(loaded.snapshot->seq == later);
    // The events after the snapshot, and the last 1000 for resumes: not the whole log.
    auto last = log.back().seq;
    CHECK(loaded.events.front().seq == std::min(later, last - 1000) + 1);
    CHECK(loaded.events.back().seq == last);
    CHECK(static_cast<std::int64_t>(loaded.client_ops.size()) == with_ids);
    room_state restored = *loaded.snapshot;
    for (const auto& e : loaded.events)
        if (e.seq > restored.seq) apply(restored, e);
    CHECK(restored == s);

    // A snapshot that cannot be read is ignored: the log is the truth.
    c.exec("UPDATE workshop_snapshots SET state = '{\"format\":99}'");
    auto fallback = store::load_room(c, 1, 1000);
    CHECK_FALSE(fallback.snapshot);
    CHECK(fallback.events.size() == log.size());
}

namespace {

/// A socket that records what it is sent, and on which thread, and whether the text was
/// shared (the same object for several sockets).
struct fake_socket : net::ws_connection {
    struct message {
        std::shared_ptr<const std::string> text;
        std::thread::id thread;
    };
    mutable std::mutex m;
    std::condition_variable cv;
    std::vector<message> got;
    std::any ctx;
    std::string rid = "fake";
    void send(std::string text) override { send_shared(std::make_shared<const std::string>(std::move(text)), false); }
    void send_large(std::string text) override { send_shared(std::make_shared<const std::string>(std::move(text)), true); }
    void send_shared(std::shared_ptr<const std::string> text, bool) override {
        std::lock_guard lock(m);
        got.push_back({std::move(text), std::this_thread::get_id()});
        cv.notify_all();
    }
    void post(std::function<void()> f) override { f(); }
    void close(std::uint16_t, std::string) override {}
    const std::string& id() const override { return rid; }
    const std::any& context() const override { return ctx; }
    bool closed() const override { return false; }
    std::vector<message> take() {
        std::lock_guard lock(m);
        return std::exchange(got, {});
    }
    /// Waits until `n` messages of `type` arrived (all kept).
    bool wait_for(const std::string& type, std::size_t n) {
        std::unique_lock lock(m);
        return cv.wait_for(lock, std::chrono::seconds(5), [&] {
            std::size_t k = 0;
            for (const auto& g : got) k += json::parse(*g.text).value("type", "") == type ? 1 : 0;
            return k >= n;
        });
    }
};

}  // namespace

TEST_CASE("room: committed events fan out off the writer, in order, shared per kind of viewer, acked after", "[workshops][room]") {
    unit_temp_dir dir;
    metrics::registry reg;
    db::pool pool({dir.path / "r.db", 1, 64, [](db::connection& c) {
                       platform::migrate(c, {{"auth", &auth::migrations()}, {"indexing", &indexing::migrations()},
                                             {"library", &library::migrations()},
                                             {"workshops", &workshops::migrations()}});
                   }},
                  reg);
    worker_pool fanout("live-fanout", 1);
    std::thread::id fanout_thread;
    {
        std::mutex tm;
        std::condition_variable tcv;
        bool known = false;
        fanout.submit([&] {
            std::lock_guard lock(tm);
            fanout_thread = std::this_thread::get_id();
            known = true;
            tcv.notify_all();
        });
        std::unique_lock lock(tm);
        tcv.wait(lock, [&] { return known; });
    }
    actor fac{"u:1", "Alice", role::facilitator}, bob{"g:1", "Bob", role::participant}, cat{"g:2", "Cat", role::participant},
        dan{"g:4", "Dan", role::participant};
    pool.write_sync([&](db::connection& c) {
        c.exec("INSERT INTO workshops(title, stage, template, created_at, updated_at) VALUES('t', 'pre_aci', 'swot', 0, 0)");
        store::insert_event(c, 1, make_system_event(room_state{}, fac, "workshop.created", {{"phases", swot_phases()}, {"state", "live"}}, 0));
    });
    auto load = [&] {
        store::room_log log;
        pool.read_sync([&](db::connection& c) { log = store::load_room(c, 1, room::recent_max); });
        return log;
    };
    auto snapshot_seq = [&] {
        std::int64_t seq = 0;
        pool.read_sync([&](db::connection& c) {
            auto q = c.prepare("SELECT coalesce(max(seq), 0) FROM workshop_snapshots WHERE workshop_id = 1");
            q.step();
            seq = q.get_int(0);
        });
        return seq;
    };
    platform::local_topics bus;
    room_env env{pool, fanout, bus, room_limits{1000, 1000, 1000, 1000}, 10, nullptr};
    auto rm = std::make_shared<room>(1, env, load());
    auto f = std::make_shared<fake_socket>(), b = std::make_shared<fake_socket>(), c1 = std::make_shared<fake_socket>(),
         d = std::make_shared<fake_socket>();
    REQUIRE(rm->join(f, fac, std::nullopt));
    REQUIRE(rm->join(b, bob, std::nullopt));
    REQUIRE(rm->join(c1, cat, std::nullopt));
    REQUIRE(rm->join(d, dan, std::nullopt));
    for (auto* s : {f.get(), b.get(), c1.get(), d.get()}) s->take();
    // The room is the live topic "workshop:1": its sockets are its subscribers, and what
    // another module publishes there reaches them.
    CHECK(bus.subscribers("workshop:1") == 4);
    bus.publish("workshop:1", R"({"type":"hello"})");
    for (auto* s : {f.get(), b.get(), c1.get(), d.get()}) {
        auto got = s->take();
        REQUIRE(got.size() == 1);
        CHECK(*got[0].text == R"({"type":"hello"})");
    }

    const int n = 25;
    for (int i = 0; i < n; ++i) rm->op(b, bob, "note.add", {{"column", "attentes"}, {"text", "n" + std::to_string(i)}}, "op" + std::to_string(i));
    REQUIRE(b->wait_for("ack", n));
    REQUIRE(c1->wait_for("event", n));
    REQUIRE(d->wait_for("event", n));
    REQUIRE(f->wait_for("event", n));
    auto events_of = [](const std::vector<fake_socket::message>& got) {
        std::vector<std::pair<std::int64_t, const std::string*>> out;
        for (const auto& g : got)
            if (auto m = json::parse(*g.text); m["type"] == "event") out.emplace_back(m["seq"].get<std::int64_t>(), g.text.get());
        return out;
    };
    auto from_b = b->take(), from_c = c1->take(), from_d = d->take(), from_f = f->take();
    // In log order, no gap, on the fan-out thread.
    for (const auto* got : {&from_b, &from_c, &from_d, &from_f}) {
        auto evs = events_of(*got);
        REQUIRE(evs.size() == n);
        for (int i = 0; i < n; ++i) CHECK(evs[static_cast<std::size_t>(i)].first == i + 2);
        for (const auto& g : *got) CHECK(g.thread == fanout_thread);
    }
    // The sender gets each ack after its event.
    std::set<std::int64_t> seen;
    for (const auto& g : from_b) {
        auto m = json::parse(*g.text);
        if (m["type"] == "event") seen.insert(m["seq"].get<std::int64_t>());
        if (m["type"] == "ack") CHECK(seen.count(m["seq"].get<std::int64_t>()) == 1);
    }
    // The two other participants got the very same text, rendered once; the facilitator
    // and the author their own renderings.
    auto ec = events_of(from_c), ed = events_of(from_d), ef = events_of(from_f), eb = events_of(from_b);
    for (std::size_t i = 0; i < ec.size(); ++i) {
        CHECK(ec[i].second == ed[i].second);
        CHECK(ec[i].second != ef[i].second);
        CHECK(ec[i].second != eb[i].second);
    }
    // A retry is acknowledged with the original seq.
    rm->op(b, bob, "note.add", {{"column", "attentes"}, {"text", "n0"}}, "op0");
    auto retry = b->take();
    REQUIRE(retry.size() == 1);
    CHECK(json::parse(*retry[0].text)["seq"] == 2);

    // A snapshot every 10 events, from the committed board, written by the database writer.
    for (int i = 0; i < 50 && snapshot_seq() < 20; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    CHECK(snapshot_seq() == 20);

    // Not idle yet (people in it), then idle: retired, with a last snapshot.
    auto later = std::chrono::steady_clock::now() + std::chrono::hours(1);
    CHECK_FALSE(rm->retire_if_idle(later, std::chrono::minutes(10)));
    for (auto* s : {f.get(), b.get(), c1.get(), d.get()}) rm->leave(s);
    CHECK(bus.subscribers("workshop:1") == 0);
    CHECK_FALSE(rm->retire_if_idle(std::chrono::steady_clock::now(), std::chrono::minutes(10)));
    CHECK(rm->retire_if_idle(later, std::chrono::minutes(10)));
    CHECK_FALSE(rm->usable());
    CHECK_FALSE(rm->join(b, bob, std::nullopt));
    std::exception_ptr refused;
    rm->submit_system(fac, "workshop.state", {{"state", "closed"}}, {}, {}, [&](std::exception_ptr ep, std::int64_t) { refused = ep; });
    CHECK_THROWS_AS(std::rethrow_exception(refused), room_retired);
    for (int i = 0; i < 50 && snapshot_seq() < n + 1; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    CHECK(snapshot_seq() == n + 1);

    // Loaded again: from that snapshot, the same board, and retries still recognised.
    auto log = load();
    REQUIRE(log.snapshot);
    CHECK(log.snapshot->seq == n + 1);
    auto again = std::make_shared<room>(1, env, std::move(log));
    CHECK(again->state() == rm->state());
    REQUIRE(again->join(b, bob, std::nullopt));
    b->take();
    again->op(b, bob, "note.add", {{"column", "attentes"}, {"text", "n3"}}, "op3");
    auto ack = b->take();
    REQUIRE(ack.size() == 1);
    CHECK(json::parse(*ack[0].text)["seq"] == 5);
    fanout.stop();
    pool.stop();
}

TEST_CASE("ranking by group: a group's notes' votes added up, ties shared, in the report", "[workshops][report]") {
    board b;
    b.run(b.fac, "phase.goto", {{"index", 2}});  // the grouping phase
    auto g1 = b.run(b.fac, "group.add", {{"column", "forces"}, {"title", "Coopérations"}}).seq;
    auto g2 = b.run(b.fac, "group.add", {{"column", "faiblesses"}, {"title", "Démographie"}}).seq;
    auto g3 = b.run(b.fac, "group.add", {{"column", "forces"}, {"title", "Sans vote"}}).seq;
    auto n1 = b.run(b.bob, "note.add", {{"column", "forces"}, {"text", "Une MSP"}}).seq;
    auto n2 = b.run(b.bob, "note.add", {{"column", "forces"}, {"text", "Des IDE"}}).seq;
    auto n3 = b.run(b.cat, "note.add", {{"column", "faiblesses"}, {"text", "Départs en retraite"}}).seq;
    auto n4 = b.run(b.cat, "note.add", {{"column", "menaces"}, {"text", "Hors groupe"}}).seq;
    b.run(b.fac, "note.group", {{"note", n1}, {"version", 1}, {"group", g1}});
    b.run(b.fac, "note.group", {{"note", n2}, {"version", 1}, {"group", g1}});
    b.run(b.fac, "note.group", {{"note", n3}, {"version", 1}, {"group", g2}});
    b.run(b.fac, "phase.goto", {{"index", 3}});  // the vote (budget 3)
    // Coopérations: 1 + 1 = 2 over two notes; Démographie: 2 on one note (a tie); the note
    // outside any group is ranked alone, not by group.
    b.run(b.bob, "vote.cast", {{"note", n1}});
    b.run(b.bob, "vote.cast", {{"note", n2}});
    b.run(b.bob, "vote.cast", {{"note", n4}});
    b.run(b.cat, "vote.cast", {{"note", n3}});
    b.run(b.cat, "vote.cast", {{"note", n3}});
    b.run(b.cat, "vote.cast", {{"note", n4}});
    b.run(b.fac, "votes.reveal");
    auto r = group_ranking(b.s, "vote");
    REQUIRE(r.size() == 2);
    CHECK(r[0].group == g1);  // ties in the order created
    CHECK(r[0].votes == 2);
    CHECK(r[0].notes == 2);
    CHECK(r[0].rank == 1);
    CHECK(r[1].group == g2);
    CHECK(r[1].votes == 2);
    CHECK(r[1].rank == 1);
    (void)g3;
    store::workshop_row w;
    w.title = "Atelier";
    w.stage = "projet_sante";
    auto md = make_report(w, b.s, {}, 0).markdown;
    CHECK(md.find("### Par regroupement\n\n- 1er ex æquo : Coopérations (2 votes, 2 notes)\n- 1er ex æquo : Démographie (2 votes, 1 note)\n") !=
          std::string::npos);
    CHECK(md.find("Sans vote (") == std::string::npos);
}

TEST_CASE("a phase keeps its key, groups keep to their column, a paused timer has no end", "[workshops]") {
    board b;
    b.run(b.fac, "phase.goto", {{"index", 3}});
    auto n = b.run(b.bob, "note.add", {{"column", "menaces"}, {"text", "Départs en retraite"}});
    b.run(b.bob, "vote.cast", {{"note", n.seq}});
    // The vote phase cannot be renamed under its votes (a new key would be a fresh budget).
    auto renamed = to_json(b.s.phases[3]);
    renamed["key"] = "vote-bis";
    CHECK(b.refused(b.fac, "phase.update", {{"index", 3}, {"phase", renamed}}) == "champ_invalide/key");
    auto retitled = to_json(b.s.phases[3]);
    retitled["title"] = "Le vote";
    b.run(b.fac, "phase.update", {{"index", 3}, {"phase", retitled}});
    CHECK(b.s.phases[3].title == "Le vote");
    CHECK(snapshot(b.s, b.bob)["votes_left"] == 2);
    // Proxies: one budget per person, however the name is typed.
    for (const char* name : {"Absent Bob", "absent  bob", "ABSENT BOB "}) b.run(b.fac, "vote.proxy", {{"note", n.seq}, {"for", name}});
    CHECK(b.refusal(b.fac, "vote.proxy", {{"note", n.seq}, {"for", " Absent   Bob"}}) == "budget_epuise");
    CHECK(b.refusal(b.fac, "vote.proxy", {{"note", n.seq}, {"for", "Élodie"}}) == "accepted");
    CHECK(b.refused(b.bob, "vote.cast", {{"note", 99999}}) == "introuvable/note");

    // « Enjeux retenus » come from a vote phase of the plan.
    b.run(b.fac, "votes.reveal");
    CHECK(b.refused(b.fac, "ranking.retain", {{"phase", "ailleurs"}, {"count", 1}}) == "hors_phase/phase");
    CHECK(b.run(b.fac, "ranking.retain", {{"phase", b.s.phases[3].key}, {"count", 1}}).data["items"].size() == 1);

    // A note joins a group of its own column only.
    b.run(b.fac, "phase.goto", {{"index", 2}});
    auto g = b.run(b.fac, "group.add", {{"column", "forces"}, {"title", "Coopérations"}});
    auto f = b.run(b.bob, "note.add", {{"column", "faiblesses"}, {"text", "Peu de kinés"}});
    CHECK(b.refused(b.fac, "note.group", {{"note", f.seq}, {"version", 1}, {"group", g.seq}}) == "champ_invalide/group");
    b.run(b.fac, "note.move", {{"note", f.seq}, {"version", 1}, {"column", "forces"}});
    b.run(b.fac, "note.group", {{"note", f.seq}, {"version", 2}, {"group", g.seq}});
    CHECK(b.s.notes[f.seq].group == g.seq);

    // Paused, the timer has a remaining time and no end.
    b.run(b.fac, "timer.start", {{"seconds", 60}});
    b.now += 15000;
    b.run(b.fac, "timer.pause");
    CHECK(b.s.timer.ends_at == 0);
    CHECK(b.s.timer.remaining_ms == 45000);
    CHECK(snapshot(b.s, b.bob)["timer"]["ends_at"] == 0);
}

TEST_CASE("a change to a private note stays hidden in every replay, after the reveal too", "[workshops]") {
    board b;
    b.run(b.fac, "phase.goto", {{"index", 1}});
    auto n = b.run(b.bob, "note.add", {{"column", "forces"}, {"text", "secret"}});
    auto edit = b.run(b.bob, "note.edit", {{"note", n.seq}, {"version", 1}, {"text", "secret, précisé"}});
    CHECK(event_view(b.s, edit, b.cat)["op"] == "hidden");  // live
    CHECK(event_view(b.s, edit, b.bob)["op"] == "note.edit");
    auto go = b.run(b.fac, "phase.goto", {{"index", 2}});
    REQUIRE(go.data["revealed"].size() == 1);
    CHECK(go.data["revealed"][0]["text"] == "secret, précisé");
    // A resume after the reveal: the same view as live, the note comes with the reveal.
    CHECK(event_view(b.s, n, b.cat)["op"] == "hidden");
    CHECK(event_view(b.s, edit, b.cat)["op"] == "hidden");
    CHECK(event_view(b.s, edit, b.bob)["op"] == "note.edit");
    CHECK(event_view(b.s, edit, b.fac)["op"] == "note.edit");
    CHECK(event_view(b.s, go, b.cat)["data"]["revealed"][0]["text"] == "secret, précisé");
}
