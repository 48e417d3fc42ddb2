#include "common/errors.hpp"
#include "workshops/model.hpp"
#include "workshops/report.hpp"

#include <catch2/catch.hpp>

#include "db/database.hpp"
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

#include <fstream>
#include <sstream>

using namespace relais;
using namespace relais::workshops;

namespace {

json swot_phases() {
    std::ifstream in(RELAIS_SOURCE_DIR "/seed-content/templates/swot.json");
    std::stringstream ss;
    ss << in.rdbuf();
    return json::parse(ss.str())["phases"];
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
    b.run(b.fac, "phase.add", {{"phase", extra}, {"at", 0}});
    CHECK(b.s.phases[0].key == "pause");
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
    b.run(b.cat, "action.edit", {{"action", act.seq}, {"when", "2027-04-01"}});
    CHECK(b.s.actions[act.seq].when == "2027-04-01");
    CHECK(b.s.actions[act.seq].what == "Écrire la fiche");
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
    CHECK(r.markdown.find("# Compte rendu — Atelier <test>") == 0);
    CHECK(r.actions_csv.find("\"Bob; \"\"B\"\"\";'=SOMME(A1) <script>;2027-01-01") != std::string::npos);
    auto html = report_html("Atelier <test>", r.markdown);
    CHECK(html.find("<script>") == std::string::npos);
    CHECK(html.find("&lt;script&gt;") != std::string::npos);
    CHECK(html.find("<title>Atelier &lt;test&gt;</title>") != std::string::npos);
    CHECK(csv_field("simple") == "simple");
    CHECK(csv_field("-1") == "'-1");
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
    auto off = b.run(b.fac, "board.anonymous", {{"anonymous", false}});
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
    auto after = b.run(b.cat, "vote.cast", {{"note", n.seq}});
    for (const auto* e : {&cast, &proxy, &after}) {
        auto seen = event_view(b.s, *e, b.bob);
        CHECK(seen["op"] != "hidden");
        CHECK_FALSE(seen["data"].contains("voter"));
        CHECK_FALSE(seen["data"].contains("voter_name"));
        CHECK(seen["by"].is_null());
        CHECK(event_view(b.s, *e, b.obs)["by"].is_null());
        CHECK(event_view(b.s, *e, b.fac)["data"].contains("voter"));
    }
    // The voter sees their own vote.
    CHECK(event_view(b.s, after, b.cat)["data"]["voter"] == "g:2");
    auto bob = snapshot(b.s, b.bob)["votes"]["vote"][std::to_string(n.seq)];
    CHECK(bob["total"] == 3);
    CHECK(bob["mine"] == 0);
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
    std::int64_t cpts = 0, member = 0, colleague = 0, third = 0;
    auth::principal alice;
    pool.write_sync([&](db::connection& c) {
        service::load_seed_templates(c, RELAIS_SOURCE_DIR "/seed-content");
        cpts = auth::store::insert_org(c, auth::org{0, "CPTS du Ternois", "cpts", "32", {"62"}, 0}, 0);
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
    cpu.stop();
    pool.stop();
}
