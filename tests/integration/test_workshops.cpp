// Live workshops against the real binary: HTTP set-up, invites and guests, the room
// protocol (acks, retries, versions, votes, phases, resume), reports, and a crash.
#include "access_matrix.hpp"
#include "harness.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <functional>
#include <set>
#include <thread>

using relais::test::server;
using relais::test::ws_client;
using json = nlohmann::json;
using headers = std::map<std::string, std::string>;

namespace {

/// A participant's socket: reads messages, keeps the events it saw by seq.
struct participant {
    std::unique_ptr<ws_client> sock = std::make_unique<ws_client>();
    std::string cookie;
    std::map<std::int64_t, json> events;  // seq -> event
    std::int64_t seq = 0;
    json snapshot;
    std::vector<json> others;  // acks, errors, presence...

    int connect(server& s, const std::string& c) {
        cookie = c;
        sock = std::make_unique<ws_client>();
        int status = sock->connect(s.port(), cookie, s.origin(), nullptr);
        if (status == 101) sock->read();  // welcome
        return status;
    }
    void drop() { sock = std::make_unique<ws_client>(); }
    void take(const json& m) {
        auto type = m.value("type", "");
        if (type == "snapshot") {
            snapshot = m;
            seq = m["seq"].get<std::int64_t>();
        } else if (type == "event") {
            auto s = m["seq"].get<std::int64_t>();
            if (s > seq) {
                REQUIRE(events.count(s) == 0);  // never twice
                REQUIRE(s == seq + 1);          // never a gap
                events[s] = m;
                seq = s;
            }
        } else if (type == "events") {
            for (const auto& e : m["events"]) {
                json copy = e;
                copy["type"] = "event";
                take(copy);
            }
        } else {
            others.push_back(m);
        }
    }
    /// Reads until pred holds on a message (which is returned); fails after the timeout.
    json until(const std::function<bool(const json&)>& pred, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            auto raw = sock->read(std::chrono::milliseconds(500));
            if (!raw) {
                if (!sock->is_open()) break;
                continue;
            }
            if (raw->empty()) continue;
            auto m = json::parse(*raw);
            take(m);
            if (pred(m)) return m;
        }
        FAIL("expected message did not arrive; last seq " << seq << ", other messages: " << json(others).dump().substr(0, 2000));
        return {};
    }
    void join(std::int64_t workshop, std::optional<std::int64_t> since = std::nullopt) {
        json m = {{"type", "join"}, {"workshop", workshop}};
        if (since) m["since"] = *since;
        sock->send(m.dump());
        until([](const json& x) { return x["type"] == "snapshot" || x["type"] == "events"; });
    }
    json op(std::int64_t workshop, const std::string& id, const std::string& name, json fields = json::object()) {
        fields["type"] = "op";
        fields["workshop"] = workshop;
        fields["id"] = id;
        fields["op"] = name;
        sock->send(fields.dump());
        return until([&](const json& x) { return (x["type"] == "ack" || x["type"] == "error") && x.value("id", "") == id; });
    }
};

struct workshop_setup {
    server s;
    std::string admin;
    std::int64_t id = 0;
    std::string guest_cookie;

    explicit workshop_setup(std::vector<std::string> args = {}) : s(std::move(args)) {
        admin = s.login_admin();
        auto w = s.request("POST", "/api/workshops",
                           json{{"title", "Diagnostic du Val de Sambre"}, {"subject", "SWOT du territoire"}, {"stage", "projet_sante"},
                                {"date", "2026-12-01T14:00"}, {"template", "swot"}}.dump(),
                           {{"Cookie", admin}});
        REQUIRE(w.status == 201);
        id = w.json()["workshop"]["id"].get<std::int64_t>();
    }
    std::string path(const std::string& tail = {}) const { return "/api/workshops/" + std::to_string(id) + tail; }
    void set_state(const std::string& state) {
        auto r = s.request("POST", path("/state"), json{{"state", state}}.dump(), {{"Cookie", admin}});
        REQUIRE(r.status == 200);
    }
    std::string invite_guest(const std::string& name, const std::string& role = "participant") {
        auto inv = s.request("POST", path("/invites"), json{{"role", role}}.dump(), {{"Cookie", admin}});
        REQUIRE(inv.status == 201);
        auto token = inv.json()["invite"]["token"].get<std::string>();
        auto joined = s.request("POST", "/api/invites/" + token + "/join", json{{"name", name}}.dump());
        REQUIRE(joined.status == 200);
        auto c = joined.header("set-cookie");
        return c.substr(0, c.find(';'));
    }
};

}  // namespace

TEST_CASE("workshops: templates, creation, state machine, phases", "[workshops]") {
    workshop_setup w;
    auto& s = w.s;
    headers admin{{"Cookie", w.admin}};
    auto templates = s.request("GET", "/api/templates", {}, admin).json()["templates"];
    std::set<std::string> slugs;
    for (const auto& t : templates) slugs.insert(t["slug"].get<std::string>());
    for (const char* slug : {"swot", "fiche-action", "parcours-patient", "retroplanning", "gouvernance", "indicateurs", "maturite-aci",
                             "post-conventionnement"})
        CHECK(slugs.count(slug));

    auto got = s.request("GET", w.path(), {}, admin).json()["workshop"];
    CHECK(got["state"] == "draft");
    CHECK(got["my_role"] == "facilitator");
    CHECK(got["phases"].size() == 6);
    CHECK(got["phases"][1]["columns"][0]["key"] == "forces");

    CHECK(s.request("POST", w.path("/state"), json{{"state", "closed"}}.dump(), admin).error_code() == "transition_invalide");
    CHECK(s.request("POST", w.path("/state"), json{{"state", "nope"}}.dump(), admin).error_code() == "champ_invalide");
    w.set_state("scheduled");

    auto phases = got["phases"];
    phases.erase(5);
    auto read_seq = got["plan_seq"];
    REQUIRE(read_seq.is_number_integer());
    auto put = s.request("PUT", w.path("/phases"), json{{"phases", phases}, {"plan_seq", read_seq}}.dump(), admin);
    CHECK(put.status == 200);
    CHECK(put.json()["workshop"]["phases"].size() == 5);
    CHECK(put.json()["workshop"]["plan_seq"] > read_seq);
    // Composed from the plan as it was before that save: refused, the saved plan stays.
    auto stale = phases;
    stale.erase(4);
    auto refused = s.request("PUT", w.path("/phases"), json{{"phases", stale}, {"plan_seq", read_seq}}.dump(), admin);
    CHECK(refused.status == 409);
    CHECK(refused.error_code() == "plan_modifie");
    CHECK(s.request("GET", w.path(), {}, admin).json()["workshop"]["phases"].size() == 5);
    CHECK(s.request("PUT", w.path("/phases"), json{{"phases", stale}, {"plan_seq", "x"}}.dump(), admin).json()["error"]["field"] == "plan_seq");
    phases[0]["kind"] = "danse";
    CHECK(s.request("PUT", w.path("/phases"), json{{"phases", phases}}.dump(), admin).json()["error"]["field"] == "kind");

    auto bad = s.request("POST", "/api/workshops", json{{"title", "X"}, {"stage", "lune"}, {"template", "swot"}}.dump(), admin);
    CHECK(bad.json()["error"]["field"] == "stage");
    CHECK(s.request("POST", "/api/workshops", json{{"title", "X"}, {"stage", "pre_aci"}, {"template", "inconnu"}}.dump(), admin)
              .json()["error"]["field"] == "template");

    // A member sees only the workshops they belong to, and may not facilitate.
    auto member = s.make_user(w.admin, "pro@cpts.fr", "membre");
    CHECK(s.request("GET", "/api/workshops", {}, {{"Cookie", member}}).json()["workshops"].empty());
    CHECK(s.request("GET", w.path(), {}, {{"Cookie", member}}).status == 403);
    CHECK(s.request("POST", "/api/workshops", json{{"title", "X"}, {"stage", "pre_aci"}, {"template", "swot"}}.dump(), {{"Cookie", member}}).status == 403);
    auto me = s.request("GET", "/api/me", {}, {{"Cookie", member}}).json()["user"]["id"];
    CHECK(s.request("POST", w.path("/members"), json{{"user_id", me}}.dump(), admin).status == 200);
    auto seen = s.request("GET", w.path(), {}, {{"Cookie", member}}).json()["workshop"];
    CHECK(seen["my_role"] == "participant");
    CHECK(s.request("POST", w.path("/state"), json{{"state", "live"}}.dump(), {{"Cookie", member}}).status == 403);
    // Adding someone with the role they have is no change; removing someone not in it is 404.
    CHECK(s.request("POST", w.path("/members"), json{{"user_id", me}}.dump(), admin).status == 200);
    CHECK(s.request("DELETE", w.path("/members/999"), {}, admin).error_code() == "introuvable");
    // Joining a workshop that does not exist: a member learns nothing, an admin (who sees
    // every workshop) is told.
    for (const auto& [cookie, code] : {std::pair{member, "acces_refuse"}, std::pair{admin.at("Cookie"), "introuvable"}}) {
        ws_client sock;
        REQUIRE(sock.connect(s.port(), cookie, s.origin(), nullptr) == 101);
        sock.read();  // welcome
        sock.send(json{{"type", "join"}, {"workshop", 987654}}.dump());
        CHECK(json::parse(*sock.read())["code"] == code);
    }

    // The composed plan can be saved as a new template.
    auto saved = s.request("POST", "/api/templates", json{{"name", "SWOT court"}, {"from_workshop", w.id}}.dump(), admin);
    REQUIRE(saved.status == 201);
    CHECK(saved.json()["template"]["phases"].size() == 5);
    auto slug = saved.json()["template"]["slug"].get<std::string>();
    auto from = s.request("POST", "/api/workshops", json{{"title", "Suite"}, {"stage", "pre_aci"}, {"template", slug}}.dump(), admin);
    CHECK(from.json()["workshop"]["phases"].size() == 5);
    CHECK(s.request("POST", "/api/templates", json{{"name", "Vide"}, {"phases", json::array()}}.dump(), admin).json()["error"]["field"] == "phases");
}

TEST_CASE("workshops: invite links, guests, revocation", "[workshops]") {
    workshop_setup w;
    auto& s = w.s;
    headers admin{{"Cookie", w.admin}};
    auto inv = s.request("POST", w.path("/invites"), json{{"role", "participant"}, {"hours", 2}, {"label", "Groupe 1"}}.dump(), admin);
    REQUIRE(inv.status == 201);
    auto invite = inv.json()["invite"];
    auto token = invite["token"].get<std::string>();
    CHECK(invite["url"].get<std::string>().find("/invitation/" + token) != std::string::npos);
    CHECK(s.request("POST", w.path("/invites"), json{{"role", "admin"}}.dump(), admin).json()["error"]["field"] == "role");
    CHECK(s.request("POST", w.path("/invites"), json{{"role", "observer"}, {"hours", 100000}}.dump(), admin).json()["error"]["field"] == "hours");

    auto info = s.request("GET", "/api/invites/" + token);
    CHECK(info.status == 200);
    CHECK(info.json()["workshop"]["title"] == "Diagnostic du Val de Sambre");
    CHECK(s.request("GET", "/api/invites/not-a-token").error_code() == "invitation_invalide");
    CHECK(s.request("POST", "/api/invites/" + token + "/join", json{{"name", ""}}.dump()).json()["error"]["field"] == "name");
    // Signed in with an account, no guest is made (the account would win over it anyway):
    // said, with what to do; the link counts no one more.
    auto zoe = s.make_user(w.admin, "zoe@x.fr", "membre");
    auto as_account = s.request("POST", "/api/invites/" + token + "/join", json{{"name", "Zoé"}}.dump(), {{"Cookie", zoe}});
    CHECK(as_account.status == 409);
    CHECK(as_account.error_code() == "compte_connecte");
    CHECK(as_account.header("set-cookie").empty());

    auto joined = s.request("POST", "/api/invites/" + token + "/join", json{{"name", "Bruno, infirmier"}}.dump());
    REQUIRE(joined.status == 200);
    // The link is a bearer secret: the request log keeps its first characters only.
    CHECK(s.log().find(token) == std::string::npos);
    CHECK(s.log().find("/api/invites/" + token.substr(0, 6) + "…/join") != std::string::npos);
    auto cookie = joined.header("set-cookie");
    CHECK(cookie.find("relais_invite=") == 0);
    CHECK(cookie.find("HttpOnly") != std::string::npos);
    auto guest = cookie.substr(0, cookie.find(';'));
    // A guest sees their workshop and nothing else.
    CHECK(s.request("GET", w.path(), {}, {{"Cookie", guest}}).json()["workshop"]["my_role"] == "participant");
    CHECK(s.request("GET", "/api/me", {}, {{"Cookie", guest}}).status == 401);
    CHECK(s.request("GET", "/api/workshops", {}, {{"Cookie", guest}}).status == 401);
    CHECK(s.request("GET", "/api/orgs", {}, {{"Cookie", guest}}).status == 401);
    auto other = s.request("POST", "/api/workshops", json{{"title", "Autre"}, {"stage", "pre_aci"}, {"template", "swot"}}.dump(), admin);
    auto other_id = other.json()["workshop"]["id"].get<std::int64_t>();
    CHECK(s.request("GET", "/api/workshops/" + std::to_string(other_id), {}, {{"Cookie", guest}}).status == 404);
    ws_client sock;
    REQUIRE(sock.connect(s.port(), guest, s.origin(), nullptr) == 101);
    auto welcome = json::parse(*sock.read());
    CHECK(welcome["guest"]["name"] == "Bruno, infirmier");
    sock.send(json{{"type", "join"}, {"workshop", other_id}}.dump());
    CHECK(json::parse(*sock.read())["code"] == "acces_refuse");
    // A workshop that does not exist looks the same to a guest: it learns nothing.
    sock.send(json{{"type", "join"}, {"workshop", other_id + 1000}}.dump());
    CHECK(json::parse(*sock.read())["code"] == "acces_refuse");
    // The same browser following the link again is the same guest (no second person).
    auto again = s.request("POST", "/api/invites/" + token + "/join", json{{"name", "Bruno"}}.dump(), {{"Cookie", guest}});
    REQUIRE(again.status == 200);
    CHECK(again.json()["guest"]["id"] == joined.json()["guest"]["id"]);
    CHECK(again.json()["guest"]["name"] == "Bruno, infirmier");
    auto listed = s.request("GET", w.path("/invites"), {}, admin).json()["invites"][0];
    CHECK(listed["guests"] == 1);
    CHECK(listed["url"] == invite["url"]);  // the same absolute address as when it was made
    CHECK(listed["url"].get<std::string>().rfind("http://", 0) == 0);
    // A Host the server does not answer to never makes a link (the QR code neither).
    auto spoofed = s.request("GET", w.path("/invites"), {}, {{"Cookie", w.admin}, {"Host", "evil.example"}});
    REQUIRE(spoofed.status == 200);
    CHECK(spoofed.json()["invites"][0]["url"] == spoofed.json()["invites"][0]["path"]);

    // A socket opened before the revocation, and one seated in the room.
    ws_client early;
    REQUIRE(early.connect(s.port(), guest, s.origin(), nullptr) == 101);
    early.read();
    participant seated;
    REQUIRE(seated.connect(s, guest) == 101);
    seated.join(w.id);
    // Revoked: the link and the guest's cookie stop working at once.
    auto invites = s.request("GET", w.path("/invites"), {}, admin).json()["invites"];
    REQUIRE(invites.size() == 1);
    CHECK(invites[0]["guests"] == 1);
    CHECK(s.request("DELETE", w.path("/invites/") + std::to_string(invites[0]["id"].get<int>()), {}, admin).status == 204);
    CHECK(s.request("GET", "/api/invites/" + token).error_code() == "invitation_invalide");
    CHECK(s.request("GET", w.path(), {}, {{"Cookie", guest}}).status == 401);
    ws_client refused;
    CHECK(refused.connect(s.port(), guest, s.origin(), nullptr) == 401);
    // ...the socket that was already open, not in a room yet, is closed too...
    while (early.read(std::chrono::seconds(3))) {
    }
    CHECK(early.close_code() == 1008);
    // ...and the one in the room is closed at once.
    while (seated.sock->read(std::chrono::seconds(3))) {
    }
    CHECK_FALSE(seated.sock->is_open());
    CHECK(seated.sock->close_code() == 1008);
}

TEST_CASE("workshops: once closed a link or its code says so and still brings its own guests back", "[workshops]") {
    workshop_setup w;
    auto inv = w.s.request("POST", w.path("/invites"), json{{"role", "participant"}}.dump(), {{"Cookie", w.admin}}).json()["invite"];
    auto token = inv["token"].get<std::string>();
    auto code = inv["code"].get<std::string>();
    auto joined = w.s.request("POST", "/api/invites/" + token + "/join", json{{"name", "Bruno"}}.dump());
    REQUIRE(joined.status == 200);
    auto guest = joined.header("set-cookie").substr(0, joined.header("set-cookie").find(';'));
    CHECK(w.s.request("GET", "/api/invites/" + token, {}, {{"Cookie", guest}}).json()["guest"]["name"] == "Bruno");
    CHECK(w.s.request("GET", "/api/invites/" + token).json()["guest"].is_null());
    w.set_state("scheduled");
    w.set_state("live");
    w.set_state("closed");
    // Someone else: the link and the code say the workshop is closed (not « révoqué »).
    auto stranger = w.s.request("GET", "/api/invites/" + token);
    CHECK(stranger.error_code() == "invitation_invalide");
    CHECK(stranger.json()["error"]["message"].get<std::string>().find("clos") != std::string::npos);
    CHECK(w.s.request("POST", "/api/invites/" + token + "/join", json{{"name", "Nouveau"}}.dump()).error_code() == "invitation_invalide");
    auto typed = w.s.request("POST", "/api/invites/code", json{{"code", code}}.dump());
    CHECK(typed.error_code() == "code_invalide");
    CHECK(typed.json()["error"]["message"].get<std::string>().find("clos") != std::string::npos);
    // Its guest: the code leads to the link, the link to them.
    auto back = w.s.request("POST", "/api/invites/code", json{{"code", code}}.dump(), {{"Cookie", guest}});
    REQUIRE(back.status == 200);
    CHECK(back.json()["path"] == "/invitation/" + token);
    CHECK(back.json()["workshop"]["state"] == "closed");
    CHECK(w.s.request("GET", "/api/invites/" + token, {}, {{"Cookie", guest}}).json()["guest"]["name"] == "Bruno");
    // Archived: gone for everyone.
    w.set_state("archived");
    CHECK(w.s.request("GET", "/api/invites/" + token, {}, {{"Cookie", guest}}).error_code() == "invitation_invalide");
}

TEST_CASE("workshops: expired invites are refused, a guest who joined stays until the workshop is archived", "[workshops]") {
    workshop_setup w;
    auto inv = w.s.request("POST", w.path("/invites"), json{{"role", "participant"}, {"hours", 1}}.dump(), {{"Cookie", w.admin}});
    auto token = inv.json()["invite"]["token"].get<std::string>();
    auto joined = w.s.request("POST", "/api/invites/" + token + "/join", json{{"name", "À l'heure"}}.dump());
    REQUIRE(joined.status == 200);
    auto guest = joined.header("set-cookie").substr(0, joined.header("set-cookie").find(';'));
    // Age the invite in the database through a second connection (SQLite allows it beside the server).
    REQUIRE(std::system(("sqlite3 '" + (w.s.data_dir() / "relais.db").string() +
                         "' \"UPDATE workshop_invites SET expires_at = 1\"").c_str()) == 0);
    CHECK(w.s.request("GET", "/api/invites/" + token).error_code() == "invitation_invalide");
    CHECK(w.s.request("POST", "/api/invites/" + token + "/join", json{{"name", "Tard"}}.dump()).error_code() == "invitation_invalide");
    // The link's expiry limits joining, not the session of someone who joined.
    CHECK(w.s.request("GET", w.path(), {}, {{"Cookie", guest}}).status == 200);
    w.set_state("scheduled");
    w.set_state("live");
    w.set_state("closed");
    CHECK(w.s.request("GET", w.path("/report"), {}, {{"Cookie", guest}}).status == 200);  // the report, afterwards
    // Its link still opens for them (to reach the report), for no one else; joining again is
    // the same guest, never a new one.
    auto mine = w.s.request("GET", "/api/invites/" + token, {}, {{"Cookie", guest}});
    REQUIRE(mine.status == 200);
    CHECK(mine.json()["workshop"]["state"] == "closed");
    CHECK(mine.json()["guest"]["id"] == joined.json()["guest"]["id"]);
    CHECK(mine.json()["guest"]["name"] == "À l'heure");
    CHECK(w.s.request("GET", "/api/invites/" + token).error_code() == "invitation_invalide");
    auto rejoined = w.s.request("POST", "/api/invites/" + token + "/join", json{{"name", "Autre nom"}}.dump(), {{"Cookie", guest}});
    REQUIRE(rejoined.status == 200);
    CHECK(rejoined.json()["guest"]["id"] == joined.json()["guest"]["id"]);
    CHECK(rejoined.header("set-cookie").empty());
    // Closed, it takes no one new: no link that could never be used.
    headers admin{{"Cookie", w.admin}};
    CHECK(w.s.request("POST", w.path("/invites"), json{{"role", "participant"}}.dump(), admin).error_code() == "atelier_ferme");
    auto fresh = w.s.request("POST", w.path("/invites"), json{{"role", "observer"}}.dump(), admin);
    CHECK(fresh.status == 409);
    w.set_state("live");
    auto late = w.s.request("POST", w.path("/invites"), json{{"role", "observer"}, {"hours", 48}}.dump(), admin).json()["invite"];
    w.set_state("closed");
    // A closed workshop's links are not shown as usable (the code would be refused).
    const auto closed_links = w.s.request("GET", w.path("/invites"), {}, admin).json();  // kept: iterated below
    for (const auto& i : closed_links["invites"]) CHECK(i["code"].is_null());
    w.set_state("archived");
    CHECK(w.s.request("DELETE", w.path("/invites/") + std::to_string(late["id"].get<int>()), {}, admin).error_code() == "atelier_ferme");
    CHECK(w.s.request("GET", w.path(), {}, {{"Cookie", guest}}).status == 401);
    // Archived, it is kept as it ended: read, duplicated, never changed.
    CHECK(w.s.request("PATCH", w.path(), json{{"title", "Autre titre"}}.dump(), admin).error_code() == "atelier_ferme");
    CHECK(w.s.request("POST", w.path("/report"), "{}", admin).error_code() == "atelier_ferme");
    auto report = w.s.request("GET", w.path("/report"), {}, admin).json()["report"];
    CHECK(w.s.request("PUT", w.path("/report"), json{{"markdown", "# Réécrit"}, {"version", report["version"]}}.dump(), admin)
              .error_code() == "atelier_ferme");
    CHECK(w.s.request("GET", w.path(), {}, admin).json()["workshop"]["title"] == "Diagnostic du Val de Sambre");
    CHECK(w.s.request("POST", w.path("/duplicate"), "{}", admin).status == 201);
}

TEST_CASE("workshops: an invite link is shown again to facilitators while it is valid", "[workshops]") {
    workshop_setup w;
    auto inv = w.s.request("POST", w.path("/invites"), R"({"role":"participant","label":"Salle A"})", {{"Cookie", w.admin}}).json()["invite"];
    auto list = w.s.request("GET", w.path("/invites"), {}, {{"Cookie", w.admin}});
    CHECK(list.header("cache-control") == "no-store");
    auto again = list.json()["invites"][0];
    CHECK(again["path"] == inv["path"]);
    // The link still works, and once revoked it is not shown any more.
    auto token = inv["token"].get<std::string>();
    CHECK(w.s.request("GET", "/api/invites/" + token).status == 200);
    REQUIRE(w.s.request("DELETE", w.path("/invites/" + std::to_string(inv["id"].get<std::int64_t>())), "", {{"Cookie", w.admin}}).status == 204);
    CHECK(w.s.request("GET", w.path("/invites"), {}, {{"Cookie", w.admin}}).json()["invites"][0]["path"].is_null());
    // The key is the server's own, in its data folder.
    CHECK(std::filesystem::file_size(w.s.data_dir() / "invite-links.key") == 32);
}

TEST_CASE("workshops: by default an invite link lasts at least until the day after the workshop", "[workshops]") {
    workshop_setup w;
    REQUIRE(w.s.request("PATCH", w.path(), R"({"date":"2027-03-10T14:00"})", {{"Cookie", w.admin}}).status == 200);
    auto inv = w.s.request("POST", w.path("/invites"), R"({"role":"participant"})", {{"Cookie", w.admin}}).json()["invite"];
    CHECK(inv["expires_at"] == "2027-03-11T23:00:00Z");  // midnight after 11 March in Paris (winter time)
    // Around a change of time the day after has 23 or 25 hours: still its midnight.
    for (const auto& [date, end] : std::vector<std::pair<std::string, std::string>>{{"2027-10-30", "2027-10-31T23:00:00Z"},
                                                                                     {"2027-03-27", "2027-03-28T22:00:00Z"}}) {
        REQUIRE(w.s.request("PATCH", w.path(), json{{"date", date}}.dump(), {{"Cookie", w.admin}}).status == 200);
        auto around = w.s.request("POST", w.path("/invites"), R"({"role":"participant"})", {{"Cookie", w.admin}}).json()["invite"];
        CHECK(around["expires_at"] == end);
    }
    // Given hours are taken as they are.
    auto two = w.s.request("POST", w.path("/invites"), R"({"role":"participant","hours":2})", {{"Cookie", w.admin}}).json()["invite"];
    CHECK(two["expires_at"].get<std::string>() < "2027-01-01");
}

TEST_CASE("live room: two participants, acks, retries, versions, votes, phases", "[workshops][live]") {
    workshop_setup w;
    auto& s = w.s;
    w.set_state("live");
    auto guest = w.invite_guest("Bruno");
    participant fac, bruno;
    REQUIRE(fac.connect(s, w.admin) == 101);
    REQUIRE(bruno.connect(s, guest) == 101);
    fac.join(w.id);
    bruno.join(w.id);
    CHECK(bruno.snapshot["you"]["role"] == "participant");
    CHECK(bruno.snapshot["state"]["phases"].size() == 6);

    // Before join, nothing goes.
    participant stranger;
    REQUIRE(stranger.connect(s, w.admin) == 101);
    auto e0 = stranger.op(w.id, "x1", "note.add", {{"column", "attentes"}, {"text", "?"}});
    CHECK(e0["code"] == "pas_dans_l_atelier");

    // A note by the guest reaches the facilitator, in order, once.
    auto ack = bruno.op(w.id, "b1", "note.add", {{"column", "attentes"}, {"text", "Comprendre l'ACI"}});
    REQUIRE(ack["type"] == "ack");
    auto seq = ack["seq"].get<std::int64_t>();
    auto ev = fac.until([&](const json& m) { return m["type"] == "event" && m["seq"] == seq; });
    CHECK(ev["op"] == "note.add");
    CHECK(ev["data"]["text"] == "Comprendre l'ACI");
    CHECK(ev["by"]["name"] == "Bruno");
    auto note_id = seq;

    // The same operation id again: acknowledged with the same seq, applied once.
    auto again = bruno.op(w.id, "b1", "note.add", {{"column", "attentes"}, {"text", "Comprendre l'ACI"}});
    CHECK(again["type"] == "ack");
    CHECK(again["seq"] == seq);

    // Bad operations: each refused to the sender alone, nothing logged.
    CHECK(bruno.op(w.id, "b2", "note.add", {{"column", "forces"}, {"text", "hors phase"}})["code"] == "hors_phase");
    CHECK(bruno.op(w.id, "b3", "note.add", {{"column", "attentes"}, {"text", std::string(1001, 'a')}})["code"] == "champ_invalide");
    CHECK(bruno.op(w.id, "b5", "phase.goto", {{"index", 1}})["code"] == "acces_refuse");
    // Invalid UTF-8 smuggled in a JSON escape (a lone surrogate), and malformed operations.
    bruno.sock->send(R"({"type":"op","workshop":)" + std::to_string(w.id) +
                     R"(,"id":"bu","op":"note.add","column":"attentes","text":"\ud800"})");
    CHECK(bruno.until([](const json& m) { return m["type"] == "error"; })["code"] == "json_invalide");
    CHECK(bruno.op(w.id, "", "note.add", {{"column", "attentes"}, {"text", "x"}})["code"] == "champ_invalide");
    CHECK(bruno.op(w.id, "b5b", "note.edit", {{"note", "douze"}, {"version", 1}, {"text", "x"}})["code"] == "champ_invalide");
    CHECK(bruno.op(w.id, "b6", "launch", json::object())["code"] == "operation_inconnue");
    CHECK(bruno.op(w.id, "b7", "vote.cast", {{"note", note_id}})["code"] == "hors_phase");

    // Versions: a stale edit is refused with the current note.
    CHECK(bruno.op(w.id, "b8", "note.edit", {{"note", note_id}, {"version", 1}, {"text", "Comprendre l'ACI et ses missions"}})["type"] == "ack");
    auto stale = bruno.op(w.id, "b9", "note.edit", {{"note", note_id}, {"version", 1}, {"text", "autre"}});
    CHECK(stale["code"] == "version_perimee");
    CHECK(stale["note"]["version"] == 2);
    CHECK(stale["note"]["text"] == "Comprendre l'ACI et ses missions");
    // Someone else's note: only its author or a facilitator may change it.
    auto fnote = fac.op(w.id, "f1", "note.add", {{"column", "attentes"}, {"text", "Note de l'animatrice"}});
    CHECK(bruno.op(w.id, "b10", "note.delete", {{"note", fnote["seq"]}, {"version", 1}})["code"] == "acces_refuse");

    // A phase added, then changed, with a participant in the room: both reach everyone,
    // in order, and the facilitator gets the acks.
    json extra = {{"key", "pause"}, {"title", "Pause"}, {"kind", "libre"}, {"duration_min", 5},
                  {"columns", json::array({json{{"key", "idees"}, {"title", "Idées"}, {"help", ""}}})}};
    auto added = fac.op(w.id, "fp1", "phase.add", {{"phase", extra}});
    REQUIRE(added["type"] == "ack");
    auto seen = bruno.until([&](const json& m) { return m["type"] == "event" && m["seq"] == added["seq"]; });
    CHECK(seen["op"] == "phase.add");
    CHECK(seen["data"]["phase"]["title"] == "Pause");
    extra["title"] = "Pause café";
    auto updated = fac.op(w.id, "fp2", "phase.update", {{"index", 6}, {"phase", extra}});
    REQUIRE(updated["type"] == "ack");
    CHECK(updated["seq"] == added["seq"].get<std::int64_t>() + 1);
    auto seen2 = bruno.until([&](const json& m) { return m["type"] == "event" && m["seq"] == updated["seq"]; });
    CHECK(seen2["op"] == "phase.update");

    // The vote on the enjeux (3 votes each), hidden until revealed.
    CHECK(fac.op(w.id, "f2", "phase.goto", {{"index", 4}})["type"] == "ack");
    bruno.until([](const json& m) { return m["type"] == "event" && m["op"] == "phase.goto"; });
    auto idea = bruno.op(w.id, "b11", "note.add", {{"column", "enjeux"}, {"text", "Coordonner les maisons de santé actives"}});
    auto idea_id = idea["seq"];
    CHECK(bruno.op(w.id, "v1", "vote.cast", {{"note", idea_id}})["type"] == "ack");
    CHECK(bruno.op(w.id, "v2", "vote.cast", {{"note", idea_id}})["type"] == "ack");
    CHECK(bruno.op(w.id, "v3", "vote.cast", {{"note", idea_id}})["type"] == "ack");
    CHECK(bruno.op(w.id, "v4", "vote.cast", {{"note", idea_id}})["code"] == "budget_epuise");
    auto proxy = fac.op(w.id, "f3", "vote.proxy", {{"note", idea_id}, {"for", "Dr Martin (présent en salle)"}});
    CHECK(proxy["type"] == "ack");
    // Another participant does not see these votes before the reveal.
    participant carla;
    REQUIRE(carla.connect(s, w.invite_guest("Carla")) == 101);
    carla.join(w.id);
    auto votes = carla.snapshot["state"]["votes"];
    CHECK_FALSE(votes["vote"][std::to_string(idea_id.get<int>())].contains("total"));
    CHECK(fac.op(w.id, "f4", "votes.reveal")["type"] == "ack");
    auto reveal = carla.until([](const json& m) { return m["type"] == "event" && m["op"] == "votes.reveal"; });
    CHECK(reveal["data"]["totals"][std::to_string(idea_id.get<int>())] == 4);

    // Timer, lock, anonymous mode.
    auto t = fac.op(w.id, "f5", "timer.start", {{"seconds", 300}});
    CHECK(t["type"] == "ack");
    auto started = bruno.until([](const json& m) { return m["type"] == "event" && m["op"] == "timer.start"; });
    CHECK(started["data"]["ends_at"].get<std::int64_t>() > started["at"].get<std::int64_t>());
    CHECK(fac.op(w.id, "f6", "board.lock", {{"locked", true}})["type"] == "ack");
    CHECK(bruno.op(w.id, "b12", "note.add", {{"column", "enjeux"}, {"text", "verrou"}})["code"] == "tableau_verrouille");
    CHECK(bruno.op(w.id, "b13", "chat.send", {{"text", "Je ne peux plus écrire ?"}})["type"] == "ack");
    CHECK(fac.op(w.id, "f7", "board.lock", {{"locked", false}})["type"] == "ack");
    CHECK(fac.op(w.id, "f8", "board.anonymous", {{"anonymous", true}})["type"] == "ack");
    auto anon = bruno.op(w.id, "b14", "note.add", {{"column", "enjeux"}, {"text", "anonyme"}});
    auto seen_by_carla = carla.until([&](const json& m) { return m["type"] == "event" && m["seq"] == anon["seq"]; });
    CHECK(seen_by_carla["by"].is_null());
    auto seen_by_fac = fac.until([&](const json& m) { return m["type"] == "event" && m["seq"] == anon["seq"]; });
    CHECK(seen_by_fac["by"]["name"] == "Bruno");

    // Observers read only.
    participant obs;
    REQUIRE(obs.connect(s, w.invite_guest("Olivia", "observer")) == 101);
    obs.join(w.id);
    CHECK(obs.snapshot["you"]["role"] == "observer");
    CHECK(obs.op(w.id, "o1", "note.add", {{"column", "enjeux"}, {"text", "x"}})["code"] == "acces_refuse");
    CHECK(obs.op(w.id, "o2", "reaction", {{"emoji", "👍"}})["code"] == "acces_refuse");

    // Plan d'action phase: participants capture action items.
    CHECK(fac.op(w.id, "f9", "phase.goto", {{"index", 5}})["type"] == "ack");
    auto act = bruno.op(w.id, "b15", "action.add", {{"what", "Rédiger la fiche action SNP"}, {"who", "Bruno"}, {"when", "2027-01-15"}});
    CHECK(act["type"] == "ack");
    CHECK(bruno.op(w.id, "b16", "action.add", {{"what", "x"}, {"when", "demain"}})["code"] == "champ_invalide");

    // Everyone saw the same log, without gap or duplicate (checked on arrival).
    fac.until([&](const json& m) { return m["type"] == "event" && m["seq"] == act["seq"]; });
    carla.until([&](const json& m) { return m["type"] == "event" && m["seq"] == act["seq"]; });
    CHECK(fac.seq == carla.seq);

    // A join refused for its own fields still leaves the room the socket was in.
    obs.sock->send(R"({"type":"join","workshop":0})");
    CHECK(obs.until([](const json& m) { return m["type"] == "error"; })["code"] == "champ_invalide");
    CHECK(obs.op(w.id, "o3", "chat.send", {{"text", "encore là ?"}})["code"] == "pas_dans_l_atelier");
}

TEST_CASE("live room: resume from the last seq, private notes, pre-work", "[workshops][live]") {
    workshop_setup w;
    auto& s = w.s;
    w.set_state("scheduled");
    auto guest = w.invite_guest("Dana");
    participant fac, dana;
    REQUIRE(fac.connect(s, w.admin) == 101);
    REQUIRE(dana.connect(s, guest) == 101);
    fac.join(w.id);
    dana.join(w.id);
    // Pre-work: posted before the session, hidden from others until revealed.
    auto pre = dana.op(w.id, "d1", "note.add", {{"column", "attentes"}, {"text", "Idée préparée"}});
    REQUIRE(pre["type"] == "ack");
    participant eve;
    REQUIRE(eve.connect(s, w.invite_guest("Eve")) == 101);
    eve.join(w.id);
    CHECK(eve.snapshot["state"]["notes"].empty());
    auto fac_view = fac.until([&](const json& m) { return m["type"] == "event" && m["seq"] == pre["seq"]; });
    CHECK(fac_view["data"]["text"] == "Idée préparée");
    w.set_state("live");
    CHECK(fac.op(w.id, "f1", "prework.reveal")["type"] == "ack");
    auto revealed = eve.until([](const json& m) { return m["type"] == "event" && m["op"] == "prework.reveal"; });
    CHECK(revealed["data"]["revealed"][0]["text"] == "Idée préparée");

    // Private phase (production individuelle): hidden until the phase is left.
    CHECK(fac.op(w.id, "f2", "phase.goto", {{"index", 1}})["type"] == "ack");
    auto priv = dana.op(w.id, "d2", "note.add", {{"column", "forces"}, {"text", "Ma force"}});
    auto placeholder = eve.until([&](const json& m) { return m["type"] == "event" && m["seq"] == priv["seq"]; });
    CHECK(placeholder["op"] == "hidden");
    CHECK_FALSE(placeholder.contains("data"));

    // Eve drops; events happen; she resumes with her last seq and gets exactly those.
    auto last = eve.seq;
    eve.drop();
    auto a1 = dana.op(w.id, "d3", "chat.send", {{"text", "Vous êtes là ?"}});
    auto a2 = fac.op(w.id, "f3", "phase.goto", {{"index", 2}});
    REQUIRE(a2["type"] == "ack");
    REQUIRE(eve.connect(s, eve.cookie) == 101);
    eve.sock->send(json{{"type", "join"}, {"workshop", w.id}, {"since", last}}.dump());
    auto resumed = eve.until([](const json& m) { return m["type"] == "events" || m["type"] == "snapshot"; });
    REQUIRE(resumed["type"] == "events");
    REQUIRE(resumed["events"].size() == static_cast<std::size_t>(a2["seq"].get<std::int64_t>() - last));
    CHECK(resumed["events"][0]["seq"] == last + 1);
    CHECK(eve.seq == a2["seq"]);
    // Leaving the private phase revealed Dana's note to Eve.
    bool saw_reveal = false;
    for (const auto& e : resumed["events"])
        if (e["op"] == "phase.goto" && !e["data"]["revealed"].empty()) saw_reveal = e["data"]["revealed"][0]["text"] == "Ma force";
    CHECK(saw_reveal);
    (void)a1;

    // A retry after reconnecting is applied once.
    auto first = eve.op(w.id, "e1", "reaction", {{"emoji", "👏"}});
    eve.drop();
    REQUIRE(eve.connect(s, eve.cookie) == 101);
    eve.join(w.id, eve.seq);
    auto retry = eve.op(w.id, "e1", "reaction", {{"emoji", "👏"}});
    CHECK(retry["seq"] == first["seq"]);

    // Too far behind (or a seq from nowhere): a fresh snapshot.
    participant late;
    REQUIRE(late.connect(s, w.admin) == 101);
    late.sock->send(json{{"type", "join"}, {"workshop", w.id}, {"since", 999999}}.dump());
    CHECK(late.until([](const json& m) { return m["type"] == "snapshot" || m["type"] == "events"; })["type"] == "snapshot");
}

TEST_CASE("live room: closing produces the report (Markdown, HTML, CSV)", "[workshops][report]") {
    workshop_setup w;
    auto& s = w.s;
    headers admin{{"Cookie", w.admin}};
    // A co-facilitator who prepared the plan from the workshop's page but never came.
    auto claire = s.make_user(w.admin, "claire@x.fr", "animateur");
    auto claire_id = s.request("GET", "/api/me", {}, {{"Cookie", claire}}).json()["user"]["id"];
    REQUIRE(s.request("POST", w.path("/members"), json{{"user_id", claire_id}, {"role", "facilitator"}}.dump(), admin).status == 200);
    auto plan = s.request("GET", w.path(), {}, {{"Cookie", claire}}).json()["workshop"]["phases"];
    REQUIRE(s.request("PUT", w.path("/phases"), json{{"phases", plan}}.dump(), {{"Cookie", claire}}).status == 200);
    {
        // Set back to membre, she takes part as a member; animateur again, she facilitates again.
        const auto user_path = "/api/admin/users/" + std::to_string(claire_id.get<std::int64_t>());
        REQUIRE(s.request("PATCH", user_path, json{{"role", "membre"}}.dump(), admin).status == 200);
        auto as_member = s.request("GET", w.path(), {}, {{"Cookie", claire}}).json()["workshop"];
        CHECK(as_member["my_role"] == "participant");
        for (const auto& f : as_member["facilitators"]) CHECK(f["id"] != claire_id);
        CHECK(s.request("PATCH", w.path(), json{{"title", "Pris par un membre"}}.dump(), {{"Cookie", claire}}).status == 403);
        CHECK(s.request("POST", w.path("/invites"), "{}", {{"Cookie", claire}}).status == 403);
        REQUIRE(s.request("PATCH", user_path, json{{"role", "animateur"}}.dump(), admin).status == 200);
        CHECK(s.request("GET", w.path(), {}, {{"Cookie", claire}}).json()["workshop"]["my_role"] == "facilitator");
    }
    // A guest already in the room when the workshop goes live is present, silent as she is.
    auto early_guest = w.invite_guest("Aline Précoce");
    participant early;
    REQUIRE(early.connect(s, early_guest) == 101);
    early.join(w.id);
    w.set_state("live");
    participant fac;
    REQUIRE(fac.connect(s, w.admin) == 101);
    fac.join(w.id);
    // A guest who comes and says nothing is present; a member enrolled who never comes is not.
    auto silent = w.invite_guest("Élodie Silencieuse");
    participant quiet;
    REQUIRE(quiet.connect(s, silent) == 101);
    quiet.join(w.id);
    auto absent_user = s.request("POST", "/api/admin/users",
                                 json{{"email", "absent@x.fr"}, {"name", "Bernard Absent"}, {"role", "membre"}, {"password", "motdepasse-solide"}}.dump(),
                                 admin).json()["user"]["id"].get<std::int64_t>();
    REQUIRE(s.request("POST", w.path("/members"), json{{"user_id", absent_user}}.dump(), admin).status == 200);
    fac.op(w.id, "1", "phase.goto", {{"index", 2}});
    auto g = fac.op(w.id, "2", "group.add", {{"column", "faiblesses"}, {"title", "Démographie"}});
    auto n = fac.op(w.id, "3", "note.add", {{"column", "faiblesses"}, {"text", "Départs en retraite de 4 médecins <b>"}});
    fac.op(w.id, "4", "note.group", {{"note", n["seq"]}, {"version", 1}, {"group", g["seq"]}});
    fac.op(w.id, "5", "phase.goto", {{"index", 5}});
    fac.op(w.id, "6", "action.add", {{"what", "=Contacter la faculté; \"stage\""}, {"who", "Alice"}, {"when", "2027-02-01"}});
    CHECK(s.request("GET", w.path("/report"), {}, admin).status == 404);
    w.set_state("closed");
    auto rep = s.request("GET", w.path("/report"), {}, admin);
    REQUIRE(rep.status == 200);
    auto md = rep.json()["report"]["markdown"].get<std::string>();
    CHECK(md.find("# Compte rendu — Diagnostic du Val de Sambre") == 0);
    // Sorted the French way (É with the E); guests said so; the facilitator's role.
    CHECK(md.find("## Participants\n\n### Présents (3)\n\n- Administrateur (animation)\n- Aline Précoce (invité)\n- Élodie Silencieuse (invité)\n") !=
          std::string::npos);
    CHECK(md.find("### Inscrits ou invités, absents (2)\n\n- Bernard Absent\n- ") != std::string::npos);
    CHECK(md.find("(animation)\n", md.find("absents (2)")) != std::string::npos);  // Claire: preparing is not attending
    CHECK(md.find("- **Démographie**\n  - Départs en retraite de 4 médecins \\<b>") != std::string::npos);
    CHECK(md.find("| Alice | =Contacter la faculté; \"stage\" | 1er février 2027 |") != std::string::npos);

    auto html = s.request("GET", w.path("/report.html"), {}, admin);
    CHECK(html.header("content-type") == "text/html; charset=utf-8");
    CHECK(html.body.find("&lt;b&gt;") != std::string::npos);
    CHECK(html.body.find("<b>") == std::string::npos);
    CHECK(html.body.find("<th scope=\"col\">Qui</th>") != std::string::npos);
    auto csv = s.request("GET", w.path("/actions.csv"), {}, admin);
    CHECK(csv.header("content-disposition").find("attachment") == 0);
    CHECK(csv.body.find("Alice;\"'=Contacter la faculté; \"\"stage\"\"\";2027-02-01") != std::string::npos);
    auto mdfile = s.request("GET", w.path("/report.md"), {}, admin);
    CHECK(mdfile.header("content-type") == "text/markdown; charset=utf-8");
    CHECK(s.request("GET", w.path("/indicators.csv"), {}, admin).body.find("Indicateur;") != std::string::npos);
    // Closed: the board takes no more operations.
    CHECK(fac.op(w.id, "7", "note.add", {{"column", "decisions"}, {"text", "trop tard"}})["code"] == "atelier_ferme");
}

TEST_CASE("live room: SIGKILL under load loses no acknowledged operation", "[workshops][durability]") {
    relais::test::temp_dir dir;
    auto data = dir.path() / "data";
    std::int64_t id = 0;
    std::string admin_password, guest_cookie;
    std::set<std::string> acked_texts;
    std::int64_t last_seen = 0;
    {
        // The client fires 300 operations before reading: room for their events and acks.
        server s({"--set", "limits.ws_messages_per_second=10000", "--set", "limits.ws_message_burst=10000",
                  "--set", "limits.ws_send_queue_max=10000"},
                 data);
        admin_password = s.admin_password();
        auto admin = s.login_admin();
        auto w = s.request("POST", "/api/workshops", json{{"title", "Charge"}, {"stage", "pre_aci"}, {"template", "swot"}}.dump(), {{"Cookie", admin}});
        id = w.json()["workshop"]["id"].get<std::int64_t>();
        REQUIRE(s.request("POST", "/api/workshops/" + std::to_string(id) + "/state", json{{"state", "live"}}.dump(), {{"Cookie", admin}}).status == 200);
        participant p;
        REQUIRE(p.connect(s, admin) == 101);
        p.join(id);
        // Fire operations without waiting, then kill the server while they flow.
        for (int i = 0; i < 300; ++i)
            p.sock->send(json{{"type", "op"}, {"workshop", id}, {"id", "k" + std::to_string(i)}, {"op", "note.add"},
                              {"column", "attentes"}, {"text", "note " + std::to_string(i)}}.dump());
        std::map<std::string, std::int64_t> acks;
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (acks.size() < 40 && std::chrono::steady_clock::now() < deadline) {
            auto raw = p.sock->read(std::chrono::milliseconds(500));
            if (!raw || raw->empty()) continue;
            auto m = json::parse(*raw);
            if (m["type"] == "ack") acks[m["id"]] = m["seq"];
        }
        s.stop(SIGKILL);
        // Whatever else was already in the socket buffer was acknowledged too.
        while (auto raw = p.sock->read(std::chrono::milliseconds(300))) {
            if (raw->empty()) continue;
            auto m = json::parse(*raw);
            if (m["type"] == "ack") acks[m["id"]] = m["seq"];
        }
        if (acks.size() < 40) {  // what the server said, to tell a stall from a refusal
            auto log = s.log();
            UNSCOPED_INFO("server log (end): " << log.substr(log.size() > 6000 ? log.size() - 6000 : 0));
        }
        REQUIRE(acks.size() >= 40);
        for (const auto& [cid, seq] : acks) {
            acked_texts.insert("note " + cid.substr(1));
            last_seen = std::max(last_seen, seq);
        }
    }
    server again({}, data);
    auto admin = again.login("admin@relais.local", admin_password);
    participant p;
    REQUIRE(p.connect(again, admin) == 101);
    p.join(id);
    std::set<std::string> texts;
    for (const auto& n : p.snapshot["state"]["notes"]) texts.insert(n["text"].get<std::string>());
    for (const auto& t : acked_texts) {
        INFO(t);
        CHECK(texts.count(t) == 1);
    }
    CHECK(p.snapshot["seq"].get<std::int64_t>() >= last_seen);
    // Resuming from the last acknowledged seq gives no gap and no duplicate.
    participant q;
    REQUIRE(q.connect(again, admin) == 101);
    q.seq = last_seen;
    q.sock->send(json{{"type", "join"}, {"workshop", id}, {"since", last_seen}}.dump());
    auto r = q.until([](const json& m) { return m["type"] == "events" || m["type"] == "snapshot"; });
    if (r["type"] == "events") CHECK(q.seq == p.snapshot["seq"].get<std::int64_t>());
    // A retry of an acknowledged op after the restart is not applied again.
    auto retry = p.op(id, "k0", "note.add", {{"column", "attentes"}, {"text", "note 0"}});
    if (acked_texts.count("note 0")) CHECK(retry["seq"].get<std::int64_t>() <= last_seen);
}

namespace {

/// Reads until the server closes the socket; returns the close code (0: still open).
int closed_with(participant& p, std::chrono::seconds within = std::chrono::seconds(4)) {
    auto deadline = std::chrono::steady_clock::now() + within;
    while (std::chrono::steady_clock::now() < deadline) {
        auto raw = p.sock->read(std::chrono::milliseconds(300));
        if (!raw && !p.sock->is_open()) return p.sock->close_code();
    }
    return 0;
}

}  // namespace

TEST_CASE("live room: sockets lose their access when their owner does", "[workshops][live][access]") {
    // The sweep that closes listening sockets of ended sessions runs every second here (15 s by default).
    workshop_setup w({"--set", "limits.ws_access_sweep_s=1"});
    auto& s = w.s;
    w.set_state("live");
    headers admin{{"Cookie", w.admin}};
    auto join_member = [&](const std::string& email, const std::string& role, const std::string& as = "participant") {
        auto cookie = s.make_user(w.admin, email, role);
        auto uid = s.request("GET", "/api/me", {}, {{"Cookie", cookie}}).json()["user"]["id"];
        REQUIRE(s.request("POST", w.path("/members"), json{{"user_id", uid}, {"role", as}}.dump(), admin).status == 200);
        return std::make_pair(cookie, uid.get<long long>());
    };

    SECTION("logout") {
        auto [cookie, uid] = join_member("a@x.fr", "membre");
        participant p;
        REQUIRE(p.connect(s, cookie) == 101);
        p.join(w.id);
        CHECK(s.request("DELETE", "/api/session", {}, {{"Cookie", cookie}}).status == 204);
        CHECK(closed_with(p) == 1008);
        participant again;
        CHECK(again.connect(s, cookie) == 401);
    }
    SECTION("password change: the other sessions' sockets close, the current one stays") {
        auto [cookie, uid] = join_member("b@x.fr", "membre");
        auto other = s.login("b@x.fr", "motdepasse-solide");
        participant stolen, mine;
        REQUIRE(stolen.connect(s, other) == 101);
        stolen.join(w.id);
        REQUIRE(mine.connect(s, cookie) == 101);
        mine.join(w.id);
        REQUIRE(s.request("POST", "/api/me/password",
                          json{{"current_password", "motdepasse-solide"}, {"new_password", "nouvelle phrase solide"}}.dump(),
                          {{"Cookie", cookie}})
                    .status == 204);
        CHECK(closed_with(stolen) == 1008);
        CHECK(mine.op(w.id, "m1", "note.add", {{"column", "attentes"}, {"text", "toujours là"}})["type"] == "ack");
    }
    SECTION("demotion: an admin demoted to membre no longer facilitates anywhere") {
        auto boss = s.make_user(w.admin, "boss@x.fr", "admin");
        auto uid = s.request("GET", "/api/me", {}, {{"Cookie", boss}}).json()["user"]["id"].get<long long>();
        participant p;
        REQUIRE(p.connect(s, boss) == 101);
        p.join(w.id);
        CHECK(p.snapshot["you"]["role"] == "facilitator");
        REQUIRE(s.request("PATCH", "/api/admin/users/" + std::to_string(uid), json{{"role", "membre"}}.dump(), admin).status == 200);
        CHECK(closed_with(p) == 1008);
        // Reconnected, it is what the account is now: not in this workshop at all.
        participant again;
        REQUIRE(again.connect(s, boss) == 101);
        again.sock->send(json{{"type", "join"}, {"workshop", w.id}}.dump());
        auto m = again.until([](const json& x) { return x["type"] == "error" || x["type"] == "snapshot"; });
        CHECK(m["code"] == "acces_refuse");
    }
    SECTION("deactivation") {
        auto [cookie, uid] = join_member("c@x.fr", "membre");
        participant p;
        REQUIRE(p.connect(s, cookie) == 101);
        p.join(w.id);
        REQUIRE(s.request("PATCH", "/api/admin/users/" + std::to_string(uid), json{{"active", false}}.dump(), admin).status == 200);
        CHECK(closed_with(p) == 1008);
    }
    SECTION("removal from the workshop") {
        auto [cookie, uid] = join_member("d@x.fr", "membre");
        participant p;
        REQUIRE(p.connect(s, cookie) == 101);
        p.join(w.id);
        REQUIRE(s.request("DELETE", w.path("/members/") + std::to_string(uid), {}, admin).status == 200);
        CHECK(closed_with(p) == 1008);
        participant again;
        REQUIRE(again.connect(s, cookie) == 101);
        again.sock->send(json{{"type", "join"}, {"workshop", w.id}}.dump());
        CHECK(again.until([](const json& x) { return x["type"] == "error"; })["code"] == "acces_refuse");
    }
    SECTION("a guest's sign-out") {
        auto guest = w.invite_guest("Gaston");
        participant p, idle;
        REQUIRE(p.connect(s, guest) == 101);
        p.join(w.id);
        REQUIRE(idle.connect(s, guest) == 101);  // open, not in a room
        CHECK(s.request("DELETE", "/api/invites/session", {}, {{"Cookie", guest}}).status == 204);
        CHECK(closed_with(p) == 1008);
        CHECK(closed_with(idle) == 1008);
    }
    SECTION("a guest who left: the next guest is someone else (an id is never given again)") {
        auto key_of = [&](const std::string& cookie) {
            participant p;
            REQUIRE(p.connect(s, cookie) == 101);
            p.join(w.id);
            return p.snapshot["you"]["key"].get<std::string>();
        };
        auto xavier = w.invite_guest("Xavier");
        std::string xavier_key;
        {
            participant p;
            REQUIRE(p.connect(s, xavier) == 101);
            p.join(w.id);
            xavier_key = p.snapshot["you"]["key"].get<std::string>();
            CHECK(p.op(w.id, "x1", "note.add", {{"column", "attentes"}, {"text", "note de Xavier"}})["type"] == "ack");
        }
        CHECK(s.request("DELETE", "/api/invites/session", {}, {{"Cookie", xavier}}).status == 204);
        auto yvonne_key = key_of(w.invite_guest("Yvonne"));
        CHECK(yvonne_key != xavier_key);
        // Revoking a link deletes its guests: the next one is someone else too.
        auto inv = s.request("POST", w.path("/invites"), json{{"role", "participant"}}.dump(), {{"Cookie", w.admin}}).json()["invite"];
        auto joined = s.request("POST", "/api/invites/" + inv["token"].get<std::string>() + "/join", json{{"name", "Zoé"}}.dump());
        REQUIRE(joined.status == 200);
        auto zoe_cookie = joined.header("set-cookie").substr(0, joined.header("set-cookie").find(';'));
        auto zoe_key = key_of(zoe_cookie);
        REQUIRE(s.request("DELETE", w.path("/invites/") + std::to_string(inv["id"].get<long long>()), {}, {{"Cookie", w.admin}}).status ==
                204);
        auto next_key = key_of(w.invite_guest("Ulysse"));
        CHECK(next_key != zoe_key);
        CHECK(next_key != xavier_key);
        CHECK(next_key != yvonne_key);
    }
    SECTION("the workshop archived: its guests' sockets close, in the room or not") {
        auto guest = w.invite_guest("Gaëlle");
        participant p, idle, member;
        REQUIRE(p.connect(s, guest) == 101);
        p.join(w.id);
        REQUIRE(idle.connect(s, guest) == 101);
        REQUIRE(member.connect(s, w.admin) == 101);
        member.join(w.id);
        w.set_state("closed");
        w.set_state("archived");
        CHECK(closed_with(p) == 1008);
        CHECK(closed_with(idle) == 1008);
        participant again;
        CHECK(again.connect(s, guest) == 401);
        CHECK(member.sock->is_open());  // an account keeps its socket (the room refuses operations)
    }
    SECTION("session expiry, even for a socket that only listens") {
        auto [cookie, uid] = join_member("e@x.fr", "membre");
        // The session ends in 3 s (aged in the database beside the server).
        REQUIRE(std::system(("sqlite3 '" + (s.data_dir() / "relais.db").string() + "' \"UPDATE sessions SET expires_at = " +
                             std::to_string(std::time(nullptr) + 3) + " WHERE user_id = " + std::to_string(uid) + "\"")
                                .c_str()) == 0);
        participant talker, listener;
        REQUIRE(talker.connect(s, cookie) == 101);
        REQUIRE(listener.connect(s, cookie) == 101);
        listener.join(w.id);
        std::this_thread::sleep_for(std::chrono::milliseconds(3500));
        // A socket that speaks is closed at its next message...
        talker.sock->send(json{{"type", "ping"}}.dump());
        CHECK(closed_with(talker) == 1008);
        // ...and one that only listens at the next sweep.
        CHECK(closed_with(listener, std::chrono::seconds(5)) == 1008);
    }
    SECTION("a guest's session ending") {
        auto guest = w.invite_guest("Gisèle");
        REQUIRE(std::system(("sqlite3 '" + (s.data_dir() / "relais.db").string() + "' \"UPDATE workshop_guests SET expires_at = " +
                             std::to_string(std::time(nullptr) + 3) + "\"")
                                .c_str()) == 0);
        participant p;
        REQUIRE(p.connect(s, guest) == 101);
        p.join(w.id);
        CHECK(closed_with(p, std::chrono::seconds(8)) == 1008);
    }
}

TEST_CASE("live room: one guest with many sockets cannot flood a room or make it unjoinable", "[workshops][live][limits]") {
    workshop_setup w({"--set", "limits.ws_send_queue_max_bytes=65536"});
    auto& s = w.s;
    w.set_state("live");
    auto guest = w.invite_guest("Flo");
    // Sockets per person are capped.
    std::vector<std::unique_ptr<participant>> socks;
    int closed = 0;
    for (int i = 0; i < 10; ++i) {
        auto p = std::make_unique<participant>();
        REQUIRE(p->connect(s, guest) == 101);
        socks.push_back(std::move(p));
    }
    for (auto& p : socks)
        if (closed_with(*p, std::chrono::seconds(1)) == 1008) ++closed;
    CHECK(closed == 2);  // 8 per person by default
    socks.resize(8);
    for (auto& p : socks) p->join(w.id);
    // 8 sockets sending as fast as they can: the person's budget holds for all of them.
    std::string emoji_text;
    for (int i = 0; i < 900; ++i) emoji_text += "\xF0\x9F\xA9\xBA";  // 900 characters, 3.6 kB
    int sent = 0;
    auto started = std::chrono::steady_clock::now();
    // These sockets do not read while they send: the server may drop them as slow readers,
    // and a write to a dropped socket fails (broken pipe, reset); that socket stops sending.
    std::vector<bool> dropped(socks.size(), false);
    for (int round = 0; round < 25; ++round)
        for (std::size_t i = 0; i < socks.size(); ++i) {
            if (dropped[i]) continue;
            const auto op = json{{"type", "op"}, {"workshop", w.id}, {"id", "f" + std::to_string(sent)}, {"op", "note.add"},
                                 {"column", "attentes"}, {"text", emoji_text}}
                                .dump();
            try {
                socks[i]->sock->send(op);
            } catch (const std::exception&) {
                dropped[i] = true;
            }
            ++sent;
        }
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    int limited = 0;
    for (;;) {
        auto raw = socks[0]->sock->read(std::chrono::milliseconds(700));
        if (!raw) break;
        auto m = json::parse(*raw);
        if (m["type"] == "error" && m["code"] == "trop_d_operations") ++limited;
    }
    (void)limited;
    // The board is now larger than a socket's byte cap: the facilitator still joins.
    participant fac;
    REQUIRE(fac.connect(s, w.admin) == 101);
    fac.join(w.id);
    auto notes = fac.snapshot["state"]["notes"].size();
    CHECK(notes >= 40);                                                  // the burst
    CHECK(notes <= 40 + static_cast<std::size_t>(10 * (elapsed + 1.5)));  // then 10 per second, not 200 at once
    CHECK(notes < 200);
    CHECK(fac.snapshot.dump().size() > 65536);
}

TEST_CASE("live room: a socket's messages are handled in the order sent (an op right after join)", "[workshops][live]") {
    workshop_setup w;
    auto& s = w.s;
    w.set_state("live");
    participant p;
    REQUIRE(p.connect(s, w.admin) == 101);
    p.sock->send(json{{"type", "join"}, {"workshop", w.id}}.dump());
    p.sock->send(json{{"type", "op"}, {"workshop", w.id}, {"id", "tout-de-suite"}, {"op", "note.add"}, {"column", "attentes"},
                      {"text", "envoyé avant le snapshot"}}
                     .dump());
    auto m = p.until([](const json& x) { return (x["type"] == "ack" || x["type"] == "error") && x.value("id", "") == "tout-de-suite"; });
    CHECK(m["type"] == "ack");
    CHECK(p.snapshot["type"] == "snapshot");  // the snapshot came first
}

TEST_CASE("invites: guests per link and arrivals per address are bounded", "[workshops][limits]") {
    workshop_setup w({"--set", "limits.guests_per_invite=3", "--set", "limits.guest_joins_per_hour_per_address=6"});
    auto& s = w.s;
    auto invite = [&] {
        auto inv = s.request("POST", w.path("/invites"), json{{"role", "participant"}}.dump(), {{"Cookie", w.admin}});
        REQUIRE(inv.status == 201);
        return inv.json()["invite"]["token"].get<std::string>();
    };
    auto join = [&](const std::string& token, const std::string& name) {
        return s.request("POST", "/api/invites/" + token + "/join", json{{"name", name}}.dump());
    };
    auto first = invite();
    for (int i = 0; i < 3; ++i) CHECK(join(first, "Invité " + std::to_string(i)).status == 200);
    auto full = join(first, "Un de trop");
    CHECK(full.status == 409);
    CHECK(full.error_code() == "invitation_complete");
    // Two attempts left for this address (6 per hour, the refused one counted), whatever the link.
    auto second = invite();
    for (int i = 0; i < 2; ++i) CHECK(join(second, "Autre " + std::to_string(i)).status == 200);
    auto third = invite();
    auto refused = join(third, "Encore");
    CHECK(refused.status == 429);
    CHECK(refused.error_code() == "trop_de_requetes");
    // When to come back: 6 per hour refill one every 10 minutes.
    auto wait = std::stoi(refused.header("retry-after"));
    CHECK(wait >= 1);
    CHECK(wait <= 600);
}

TEST_CASE("live room: refused operations do not spend the room's budget", "[workshops][live][limits]") {
    workshop_setup w({"--set", "limits.ws_ops_per_second_per_room=2", "--set", "limits.ws_op_burst_per_room=4"});
    auto& s = w.s;
    w.set_state("live");
    auto observer = w.invite_guest("Olga", "observer");
    participant obs, fac;
    REQUIRE(obs.connect(s, observer) == 101);
    obs.join(w.id);
    // An observer's operations are all refused (acces_refuse): they cost the room nothing.
    for (int i = 0; i < 30; ++i)
        CHECK(obs.op(w.id, "o" + std::to_string(i), "reaction", {{"emoji", "👍"}})["code"] == "acces_refuse");
    REQUIRE(fac.connect(s, w.admin) == 101);
    fac.join(w.id);
    for (int i = 0; i < 4; ++i)
        CHECK(fac.op(w.id, "f" + std::to_string(i), "note.add", {{"column", "attentes"}, {"text", "ok"}})["type"] == "ack");
    // The room's own budget still holds for accepted ones.
    CHECK(fac.op(w.id, "f-over", "note.add", {{"column", "attentes"}, {"text", "de trop"}})["code"] == "atelier_sature");
}

TEST_CASE("live room: a reveal larger than a socket's byte cap reaches everyone", "[workshops][live][limits]") {
    workshop_setup w({"--set", "limits.ws_send_queue_max_bytes=65536", "--set", "limits.ws_ops_per_second_per_person=1000",
                      "--set", "limits.ws_op_burst_per_person=1000"});
    auto& s = w.s;
    w.set_state("live");
    auto guest = w.invite_guest("Paul");
    participant fac, paul;
    REQUIRE(fac.connect(s, w.admin) == 101);
    fac.join(w.id);
    REQUIRE(paul.connect(s, guest) == 101);
    paul.join(w.id);
    fac.op(w.id, "go1", "phase.goto", {{"index", 1}});  // private notes
    std::string text;
    for (int i = 0; i < 1000; ++i) text += "\xC3\xA9";  // 1000 "é", 2 kB
    for (int i = 0; i < 40; ++i)
        REQUIRE(paul.op(w.id, "p" + std::to_string(i), "note.add", {{"column", "forces"}, {"text", text}})["type"] == "ack");
    auto go = fac.op(w.id, "go2", "phase.goto", {{"index", 2}});
    CHECK(go["type"] == "ack");
    auto ev = paul.until([](const json& x) { return x["type"] == "event" && x["op"] == "phase.goto"; });
    CHECK(ev["data"]["revealed"].size() == 40);
    CHECK(paul.sock->is_open());
    CHECK(fac.sock->is_open());
}

TEST_CASE("workshops: duplicate with the composed plan, delete a draft only", "[workshops]") {
    workshop_setup w;
    auto& s = w.s;
    auto cpts = s.request("POST", "/api/admin/orgs", json{{"name", "CPTS du Cambrésis"}, {"type", "cpts"}, {"region", "32"}}.dump(),
                          {{"Cookie", w.admin}}).json()["org"]["id"].get<std::int64_t>();
    REQUIRE(s.request("PATCH", w.path(), json{{"cpts_id", cpts}, {"partner_ids", {cpts}}}.dump(), {{"Cookie", w.admin}}).status == 200);
    // The plan as composed: two phases of the SWOT.
    auto plan = s.request("GET", w.path(), {}, {{"Cookie", w.admin}}).json()["workshop"]["phases"];
    json two = json::array({plan[0], plan[1]});
    two[1]["title"] = "Production (recomposée)";
    REQUIRE(s.request("PUT", w.path("/phases"), json{{"phases", two}}.dump(), {{"Cookie", w.admin}}).status == 200);
    auto copy = s.request("POST", w.path("/duplicate"), "", {{"Cookie", w.admin}});
    REQUIRE(copy.status == 201);
    auto c = copy.json()["workshop"];
    CHECK(c["id"] != w.id);
    CHECK(c["title"] == "Diagnostic du Val de Sambre (copie)");
    {
        // A long title is cut so that « (copie) » fits whole; a date far in the future is refused.
        auto long_one = s.request("PATCH", w.path(), json{{"title", std::string(199, 'x')}}.dump(), {{"Cookie", w.admin}});
        REQUIRE(long_one.status == 200);
        auto long_copy = s.request("POST", w.path("/duplicate"), "", {{"Cookie", w.admin}}).json()["workshop"]["title"].get<std::string>();
        CHECK(long_copy == std::string(192, 'x') + " (copie)");
        auto far = s.request("PATCH", w.path(), json{{"date", "9999-12-31"}}.dump(), {{"Cookie", w.admin}});
        CHECK(far.error_code() == "champ_invalide");
        CHECK(far.json()["error"]["field"] == "date");
    }
    CHECK(c["state"] == "draft");
    CHECK(c["cpts"]["id"] == cpts);
    CHECK(c["partners"].size() == 1);
    REQUIRE(c["phases"].size() == 2);
    CHECK(c["phases"][1]["title"] == "Production (recomposée)");
    const std::string copy_path = "/api/workshops/" + std::to_string(c["id"].get<std::int64_t>());
    // A draft is deleted, and a socket in its room is closed.
    participant fac;
    REQUIRE(fac.connect(s, w.admin) == 101);
    fac.join(c["id"].get<std::int64_t>());
    auto del = s.request("DELETE", copy_path, "", {{"Cookie", w.admin}});
    CHECK(del.status == 204);
    CHECK(s.request("GET", copy_path, {}, {{"Cookie", w.admin}}).status == 404);
    for (int i = 0; i < 20 && fac.sock->is_open(); ++i) fac.sock->read(std::chrono::milliseconds(100));
    CHECK_FALSE(fac.sock->is_open());
    // A workshop that was held is not deleted.
    w.set_state("scheduled");
    CHECK(s.request("DELETE", w.path(), "", {{"Cookie", w.admin}}).error_code() == "transition_invalide");
    CHECK(s.request("GET", w.path(), {}, {{"Cookie", w.admin}}).status == 200);
}

// The workshops module's rows of the access matrix (test_access.cpp). On a workshop the
// admin created: an animateur outside it observes, a member outside it is refused.
RELAIS_ACCESS_ROWS("workshops", [](relais::test::access_fixture& f) {
    using relais::test::access_row;
    using relais::test::all;
    using relais::test::by_role;
    auto created = f.s.request("POST", "/api/workshops", json{{"title", "Atelier"}, {"stage", "pre_aci"}, {"template", "swot"}}.dump(),
                               {{"Cookie", f.admin()}});
    REQUIRE(created.status == 201);
    const std::string w = "/api/workshops/" + std::to_string(created.json()["workshop"]["id"].get<long long>());
    const std::string upd = json{{"name", "Nom"}}.dump();
    auto other = f.s.request("POST", "/api/workshops", json{{"title", "Programmé"}, {"stage", "pre_aci"}, {"template", "swot"}}.dump(),
                             {{"Cookie", f.admin()}});
    REQUIRE(other.status == 201);
    const std::string held = "/api/workshops/" + std::to_string(other.json()["workshop"]["id"].get<long long>());
    REQUIRE(f.s.request("POST", held + "/state", R"({"state":"scheduled"})", {{"Cookie", f.admin()}}).status == 200);
    auto ws = [&](std::string method, std::string tail, std::string access, std::string body, int admin, int animateur,
                  int membre) {
        return access_row{method, "/api/workshops/{id}" + tail, std::move(access), w + tail, std::move(body),
                          by_role(401, membre, animateur, admin)};
    };
    std::vector<access_row> rows{
        {"GET", "/api/templates", "signed_in", "/api/templates", "", by_role(401, 200, 200, 200)},
        {"POST", "/api/templates", "animateur", "/api/templates", "{}", by_role(401, 403, 400, 400)},
        {"GET", "/api/workshops", "signed_in", "/api/workshops", "", by_role(401, 200, 200, 200)},
        {"POST", "/api/workshops", "animateur", "/api/workshops", "{}", by_role(401, 403, 400, 400)},
        ws("GET", "", "participant", "", 200, 200, 403),
        ws("PATCH", "", "facilitator", upd, 200, 403, 403),
        ws("POST", "/state", "facilitator", "{}", 400, 403, 403),
        ws("PUT", "/phases", "facilitator", "{}", 400, 403, 403),
        ws("POST", "/members", "facilitator", "{}", 400, 403, 403),
        ws("GET", "/invites", "facilitator", "", 200, 403, 403),
        ws("POST", "/invites", "facilitator", "{}", 400, 403, 403),
        ws("GET", "/report", "participant", "", 404, 404, 403),
        ws("GET", "/report.md", "participant", "", 404, 404, 403),
        ws("GET", "/report.html", "participant", "", 404, 404, 403),
        ws("GET", "/report.pdf", "participant", "", 404, 404, 403),
        ws("GET", "/report.odt", "participant", "", 404, 404, 403),
        ws("PUT", "/report", "facilitator", "{}", 400, 403, 403),
        ws("GET", "/actions.csv", "participant", "", 404, 404, 403),
        ws("GET", "/indicators.csv", "participant", "", 404, 404, 403),
        ws("POST", "/report/library", "facilitator", "", 404, 403, 403),  // before any report: 404
        ws("POST", "/report", "facilitator", "", 201, 403, 403),
        ws("POST", "/duplicate", "facilitator", "", 201, 403, 403),
        // On a scheduled workshop: nobody deletes it (only drafts are deleted).
        {"DELETE", "/api/workshops/{id}", "facilitator", held, "", by_role(401, 403, 403, 409)},
        {"DELETE", "/api/workshops/{id}/members/{user_id}", "facilitator", w + "/members/999", "", by_role(401, 403, 403, 404)},
        {"DELETE", "/api/workshops/{id}/invites/{invite_id}", "facilitator", w + "/invites/999", "", by_role(401, 403, 403, 404)},
        {"GET", "/api/workshops/{id}/invites/{invite_id}/qr.svg", "facilitator", w + "/invites/999/qr.svg", "", by_role(401, 403, 403, 404)},
        {"POST", "/api/invites/code", "anyone", "/api/invites/code", R"({"code":"ZZZZZZ"})", all(404)},
        {"GET", "/api/invites/{token}", "anyone", "/api/invites/jeton-inconnu", "", all(404)},
        {"POST", "/api/invites/{token}/join", "anyone", "/api/invites/jeton-inconnu/join", "{}", all(400)},
        {"DELETE", "/api/invites/session", "anyone", "/api/invites/session", "", all(204)},
    };
    return rows;
});

namespace {

/// A series of /metrics without labels (a counter or a gauge); -1 when absent.
double metric(server& s, const std::string& name) {
    auto body = s.request("GET", "/metrics").body;
    auto at = body.find("\n" + name + " ");
    if (at == std::string::npos) return -1;
    return std::stod(body.substr(at + name.size() + 2));
}

/// Waits until the series reaches `at_least` (or 10 s pass); returns its value.
double metric_reaches(server& s, const std::string& name, double at_least) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    auto v = metric(s, name);
    while (v < at_least && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        v = metric(s, name);
    }
    return v;
}

}  // namespace

TEST_CASE("live room: an idle room is unloaded, then loaded once from its snapshot for joins at once", "[workshops][live][snapshot]") {
    workshop_setup w({"--set", "workshops.room_unload_after_s=1", "--set", "workshops.snapshot_every_events=5"});
    auto& s = w.s;
    w.set_state("live");
    participant p;
    REQUIRE(p.connect(s, w.admin) == 101);
    p.join(w.id);
    std::map<std::string, std::int64_t> acked;
    for (int i = 0; i < 12; ++i) {
        auto id = "u" + std::to_string(i);
        auto a = p.op(w.id, id, "note.add", {{"column", "attentes"}, {"text", "note " + std::to_string(i)}});
        REQUIRE(a["type"] == "ack");
        acked[id] = a["seq"].get<std::int64_t>();
    }
    auto last = p.seq;  // each event comes before its ack
    REQUIRE(last == acked["u11"]);
    REQUIRE(last == 14);  // created, live, 12 notes
    // Nobody left: a second later the room is unloaded, with a last snapshot (after those
    // of seq 5 and 10).
    p.drop();
    CHECK(metric_reaches(s, "relais_workshop_room_unloads_total", 1) >= 1);
    CHECK(metric_reaches(s, "relais_workshop_snapshots_total", 3) >= 3);
    CHECK(metric(s, "relais_workshop_rooms_loaded") == 0);
    auto loads = metric(s, "relais_workshop_room_loads_total");
    auto replayed = metric(s, "relais_workshop_room_load_events_total");

    // Four sockets join at once: one load, from the last snapshot (no event to replay).
    std::vector<participant> ps(4);
    for (auto& q : ps) REQUIRE(q.connect(s, w.admin) == 101);
    for (auto& q : ps) q.sock->send(json{{"type", "join"}, {"workshop", w.id}}.dump());
    for (auto& q : ps) {
        q.until([](const json& x) { return x["type"] == "snapshot"; });
        CHECK(q.seq == last);
        CHECK(q.snapshot["state"]["notes"].size() == 12);
    }
    CHECK(metric(s, "relais_workshop_room_loads_total") == loads + 1);
    CHECK(metric(s, "relais_workshop_room_load_events_total") == replayed);
    CHECK(metric(s, "relais_workshop_rooms_loaded") == 1);

    // An operation acknowledged before the unload, sent again: the same seq, not applied twice.
    CHECK(ps[0].op(w.id, "u1", "note.add", {{"column", "attentes"}, {"text", "note 1"}})["seq"] == acked["u1"]);
    // A resume from before the unload gets exactly the events after it.
    participant r;
    REQUIRE(r.connect(s, w.admin) == 101);
    r.seq = acked["u5"];
    r.sock->send(json{{"type", "join"}, {"workshop", w.id}, {"since", acked["u5"]}}.dump());
    auto resumed = r.until([](const json& x) { return x["type"] == "events" || x["type"] == "snapshot"; });
    CHECK(resumed["type"] == "events");
    CHECK(resumed["events"].size() == static_cast<std::size_t>(last - acked["u5"]));
    CHECK(r.seq == last);
    // The room goes on where it was.
    auto next = ps[1].op(w.id, "v1", "note.add", {{"column", "attentes"}, {"text", "après"}});
    CHECK(next["seq"] == last + 1);
    for (auto* q : {&ps[0], &ps[2], &ps[3], &r}) q->until([&](const json&) { return q->seq == last + 1; });
}

TEST_CASE("report: edited before publishing, as PDF and ODT, kept when the workshop closes", "[workshops][report]") {
    workshop_setup w;
    auto& s = w.s;
    headers admin{{"Cookie", w.admin}};
    w.set_state("live");
    auto guest = w.invite_guest("Chloé Invitée");
    auto gen = s.request("POST", w.path("/report"), "", admin);
    REQUIRE(gen.status == 201);
    auto rep = gen.json()["report"];
    CHECK(rep["version"].get<int>() >= 1);
    CHECK(rep["edited_at"].is_null());
    CHECK(rep["edited_by"].is_null());
    const auto v = rep["version"].get<std::int64_t>();

    // The formats a coordinator sends or edits, for whoever may read the report.
    auto pdf = s.request("GET", w.path("/report.pdf"), {}, {{"Cookie", guest}});
    REQUIRE(pdf.status == 200);
    CHECK(pdf.header("content-type") == "application/pdf");
    CHECK(pdf.body.rfind("%PDF-", 0) == 0);
    CHECK(pdf.header("content-disposition").find(".pdf") != std::string::npos);
    auto odt = s.request("GET", w.path("/report.odt"), {}, admin);
    REQUIRE(odt.status == 200);
    CHECK(odt.header("content-type") == "application/vnd.oasis.opendocument.text");
    CHECK(odt.header("content-disposition").find("attachment") == 0);
    CHECK(odt.body.rfind("PK", 0) == 0);
    CHECK(odt.body.compare(38, 39, "application/vnd.oasis.opendocument.text") == 0);

    // Edited in the page: from the version it started from.
    const std::string edited = "# Compte rendu — Diagnostic du Val de Sambre\n\n## Synthèse\n\n- Trois enjeux **retenus**\n  - l'accès aux soins\n";
    auto put = s.request("PUT", w.path("/report"), json{{"markdown", edited}, {"version", v}}.dump(), admin);
    REQUIRE(put.status == 200);
    CHECK(put.json()["report"]["markdown"] == edited);
    CHECK(put.json()["report"]["version"] == v + 1);
    CHECK(put.json()["report"]["edited_by"] == "Administrateur");
    CHECK(put.json()["report"]["edited_at"].is_string());
    // From a stale version, empty, too long, without a version: refused, nothing changes.
    CHECK(s.request("PUT", w.path("/report"), json{{"markdown", "autre"}, {"version", v}}.dump(), admin).error_code() == "compte_rendu_modifie");
    CHECK(s.request("PUT", w.path("/report"), json{{"markdown", "  "}, {"version", v + 1}}.dump(), admin).json()["error"]["field"] == "markdown");
    CHECK(s.request("PUT", w.path("/report"), json{{"markdown", std::string(200001, 'a')}, {"version", v + 1}}.dump(), admin)
              .json()["error"]["field"] == "markdown");
    CHECK(s.request("PUT", w.path("/report"), json{{"markdown", "x"}}.dump(), admin).json()["error"]["field"] == "version");
    for (const char* control : {"a\u0001b", "a\u007fb", "a\u0085b"})
        CHECK(s.request("PUT", w.path("/report"), json{{"markdown", control}, {"version", v + 1}}.dump(), admin).json()["error"]["field"] ==
              "markdown");
    CHECK(s.request("PUT", w.path("/report"), json{{"markdown", "x"}, {"version", v + 1}}.dump(), {{"Cookie", guest}}).status == 401);
    CHECK(s.request("GET", w.path("/report.md"), {}, admin).body == edited);
    auto html = s.request("GET", w.path("/report.html"), {}, admin).body;
    CHECK(html.find("<h2>Synthèse</h2>") != std::string::npos);
    CHECK(html.find("<li>Trois enjeux <strong>retenus</strong>\n<ul>\n<li>l&#39;accès aux soins</li>") != std::string::npos);

    // Closing keeps an edited report; generating again replaces it, on purpose.
    w.set_state("closed");
    auto kept = s.request("GET", w.path("/report"), {}, admin).json()["report"];
    CHECK(kept["markdown"] == edited);
    CHECK(kept["version"] == v + 1);
    CHECK(kept["outdated"] == false);  // closing is a change of state, not of the board
    // Reopened and written in: the report says it misses that, until generated again.
    w.set_state("live");
    {
        participant p;
        REQUIRE(p.connect(s, w.admin) == 101);
        p.join(w.id);
        CHECK(p.op(w.id, "after-close", "note.add", {{"column", "attentes"}, {"text", "ajouté après la clôture"}})["type"] == "ack");
    }
    w.set_state("closed");
    auto stale = s.request("GET", w.path("/report"), {}, admin).json()["report"];
    CHECK(stale["outdated"] == true);
    // The note, and the facilitator's first arrival in the room when it came after the
    // report (in the same second it is not told apart).
    CHECK(stale["board_changes"].get<int>() >= 1);
    CHECK(stale["board_changes"].get<int>() <= 2);
    CHECK(stale["markdown"] == edited);
    auto again = s.request("POST", w.path("/report"), "", admin).json()["report"];
    CHECK(again["outdated"] == false);
    CHECK(again["version"] == v + 2);
    CHECK(again["edited_at"].is_null());
    CHECK(again["markdown"].get<std::string>().find("## Participants") != std::string::npos);
    {
        // Edited (so that closing keeps it), reopened: a chat message and a reaction are
        // not in the report, which is not outdated by them.
        REQUIRE(s.request("PUT", w.path("/report"), json{{"markdown", edited}, {"version", again["version"]}}.dump(), admin).status == 200);
        w.set_state("live");
        participant p;
        REQUIRE(p.connect(s, w.admin) == 101);
        p.join(w.id);
        CHECK(p.op(w.id, "chat-after", "chat.send", {{"text", "Merci à tous"}})["type"] == "ack");
        CHECK(p.op(w.id, "reaction-after", "reaction", {{"emoji", "👏"}})["type"] == "ack");
        w.set_state("closed");
        auto still = s.request("GET", w.path("/report"), {}, admin).json()["report"];
        CHECK(still["markdown"] == edited);  // kept: the check below is about it
        CHECK(still["board_changes"] == 0);
        CHECK(still["outdated"] == false);
    }

    // What is filed in the library is the report as edited.
    auto v2 = s.request("GET", w.path("/report"), {}, admin).json()["report"]["version"].get<std::int64_t>();
    REQUIRE(s.request("PUT", w.path("/report"), json{{"markdown", edited + "\nRelu par le bureau.\n"}, {"version", v2}}.dump(), admin).status == 200);
    auto filed = s.request("POST", w.path("/report/library"), "", admin);
    REQUIRE(filed.status == 201);
    auto item = s.request("GET", "/api/library/items/" + std::to_string(filed.json()["item"]["id"].get<std::int64_t>()), {}, admin);
    CHECK(item.body.find("Relu par le bureau.") != std::string::npos);
    {
        // Line ends from another system are line breaks (as in every text).
        auto now_version = s.request("GET", w.path("/report"), {}, admin).json()["report"]["version"];
        auto crlf = s.request("PUT", w.path("/report"), json{{"markdown", "# Titre\r\n\r\nLigne un\rLigne deux"}, {"version", now_version}}.dump(), admin);
        REQUIRE(crlf.status == 200);
        CHECK(crlf.json()["report"]["markdown"] == "# Titre\n\nLigne un\nLigne deux");
    }
}

TEST_CASE("invites: a short code to type in the room, and a QR code of the link", "[workshops][invites]") {
    workshop_setup w({"--set", "limits.invite_code_attempts_per_hour_per_address=7"});
    auto& s = w.s;
    headers admin{{"Cookie", w.admin}};
    auto inv = s.request("POST", w.path("/invites"), json{{"role", "participant"}}.dump(), admin);
    REQUIRE(inv.status == 201);
    auto code = inv.json()["invite"]["code"].get<std::string>();
    auto token = inv.json()["invite"]["token"].get<std::string>();
    auto invite_id = inv.json()["invite"]["id"].get<std::int64_t>();
    REQUIRE(code.size() == 6);
    CHECK(code.find_first_not_of("ABCDEFGHJKMNPQRSTUVWXYZ23456789") == std::string::npos);
    CHECK(s.request("GET", w.path("/invites"), {}, admin).json()["invites"][0]["code"] == code);
    // Another link, another code.
    auto other = s.request("POST", w.path("/invites"), json{{"role", "observer"}}.dump(), admin).json()["invite"];
    CHECK(other["code"] != code);

    // Typed as people type: lower case, with a space or a dash.
    std::string typed;
    for (std::size_t i = 0; i < code.size(); ++i) typed += static_cast<char>(std::tolower(code[i])) + std::string(i == 2 ? " - " : "");
    auto found = s.request("POST", "/api/invites/code", json{{"code", typed}}.dump());
    REQUIRE(found.status == 200);
    CHECK(found.json()["path"] == "/invitation/" + token);
    CHECK(found.json()["workshop"]["id"] == w.id);
    CHECK(found.json()["role"] == "participant");
    // With the no-break space a French text puts there, or an en dash.
    CHECK(s.request("POST", "/api/invites/code", json{{"code", code.substr(0, 3) + "\u00A0" + code.substr(3)}}.dump()).status == 200);
    CHECK(s.request("POST", "/api/invites/code", json{{"code", code.substr(0, 3) + " \u2013 " + code.substr(3)}}.dump()).status == 200);
    CHECK(s.request("POST", "/api/invites/code", json{{"code", "12"}}.dump()).json()["error"]["field"] == "code");
    CHECK(s.request("POST", "/api/invites/code", json{{"code", "ILO01Z"}}.dump()).json()["error"]["field"] == "code");
    CHECK(s.request("POST", "/api/invites/code", json{{"nope", 1}}.dump()).json()["error"]["field"] == "code");

    // The QR code: an SVG image of the link, for the facilitator only.
    auto qr = s.request("GET", w.path("/invites/" + std::to_string(invite_id) + "/qr.svg"), {}, admin);
    REQUIRE(qr.status == 200);
    CHECK(qr.header("content-type") == "image/svg+xml");
    CHECK(qr.body.rfind("<svg ", 0) == 0);
    CHECK(qr.body.find("<path fill=\"#000\" d=\"M4 4h7v1h-7z") != std::string::npos);  // the finder pattern's top row
    CHECK(qr.body.find("Diagnostic du Val de Sambre") != std::string::npos);

    // Revoked: neither the code nor the QR code lead anywhere.
    REQUIRE(s.request("DELETE", w.path("/invites/" + std::to_string(invite_id)), "", admin).status == 204);
    CHECK(s.request("POST", "/api/invites/code", json{{"code", code}}.dump()).error_code() == "code_invalide");
    CHECK(s.request("GET", w.path("/invites/" + std::to_string(invite_id) + "/qr.svg"), {}, admin).status == 404);
    CHECK(s.request("GET", w.path("/invites"), {}, admin).json()["invites"][0]["code"].is_null());
    // Guessing is bounded per address (7 an hour here: 6 tried above).
    CHECK(s.request("POST", "/api/invites/code", json{{"code", "AAAAAA"}}.dump()).error_code() == "code_invalide");
    CHECK(s.request("POST", "/api/invites/code", json{{"code", other["code"]}}.dump()).status == 429);
}

TEST_CASE("live room: presence says who came or went, not every socket of theirs", "[workshops][live]") {
    workshop_setup w;
    auto& s = w.s;
    w.set_state("live");
    participant fac;
    REQUIRE(fac.connect(s, w.admin) == 101);
    fac.join(w.id);
    auto paul = w.invite_guest("Paul");
    auto about_paul = [](const json& m) { return m["type"] == "presence" && m.contains("person") && m["person"]["name"] == "Paul"; };
    // Counts the presence messages about Paul up to the ack of a marker operation.
    int marker = 0;
    auto news_about_paul = [&] {
        fac.others.clear();
        auto id = "m" + std::to_string(++marker);
        fac.op(w.id, id, "reaction", {{"emoji", "👍"}});
        return std::count_if(fac.others.begin(), fac.others.end(), about_paul);
    };
    participant tab1, tab2;
    REQUIRE(tab1.connect(s, paul) == 101);
    tab1.join(w.id);
    CHECK(fac.until(about_paul)["person"]["online"] == true);
    REQUIRE(tab2.connect(s, paul) == 101);
    tab2.join(w.id);
    CHECK(news_about_paul() == 0);  // a second tab: nobody came
    tab2.drop();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the server sees it gone
    CHECK(news_about_paul() == 0);  // one tab of two closed: nobody went
    tab1.drop();
    CHECK(fac.until(about_paul)["person"]["online"] == false);
}
