// The expertise map through the real binary: seeded domains and roles, declaring oneself
// and someone else, validation by the person's institution, the directory (French search,
// facets, audience), consent withdrawn, the matrix and gaps with their CSV exports, bad
// input, and the access matrix of /api/expertise.
#include "access_matrix.hpp"
#include "harness.hpp"

#include <catch2/catch.hpp>

#include <set>
#include <thread>

using relais::test::server;
using json = nlohmann::json;

namespace {

std::int64_t make_org(server& s, const std::string& admin, const std::string& name, const std::string& type,
                      const std::string& region, const std::vector<std::string>& deps) {
    auto r = s.request("POST", "/api/admin/orgs", json{{"name", name}, {"type", type}, {"region", region}, {"departements", deps}}.dump(),
                       {{"Cookie", admin}});
    REQUIRE(r.status == 201);
    return r.json()["org"]["id"].get<std::int64_t>();
}

std::string make_member(server& s, const std::string& admin, const std::string& email, const std::string& name, const std::string& role,
                        std::int64_t org) {
    auto r = s.request("POST", "/api/admin/users",
                       json{{"email", email}, {"name", name}, {"role", role}, {"org_id", org}, {"password", "motdepasse-solide"}}.dump(),
                       {{"Cookie", admin}});
    REQUIRE(r.status == 201);
    return s.login(email, "motdepasse-solide");
}

/// The directory, waiting for the indexer (a moment behind the write) to show `expected` people.
json directory(server& s, const std::string& cookie, const std::string& query, std::size_t expected) {
    json out;
    for (int i = 0; i < 50; ++i) {
        auto r = s.request("GET", "/api/expertise/people" + query, "", {{"Cookie", cookie}});
        REQUIRE(r.status == 200);
        out = r.json();
        if (out["people"].size() == expected) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return out;
}

std::set<std::string> names(const json& dir) {
    std::set<std::string> out;
    for (const auto& p : dir["people"]) out.insert(p["name"].get<std::string>());
    return out;
}

}  // namespace

TEST_CASE("expertise: declare, validate, find by domain and territory, withdraw", "[expertise]") {
    server s;
    auto admin = s.login_admin();
    // The seeded vocabulary.
    auto vocab = s.request("GET", "/api/expertise/domains", "", {{"Cookie", admin}}).json();
    std::set<std::string> codes;
    for (const auto& d : vocab["domains"]) codes.insert(d["code"].get<std::string>());
    CHECK(codes.size() == 12);
    CHECK(codes.count("donnees") == 1);
    CHECK(codes.count("snp_sas") == 1);
    CHECK(vocab["roles"].size() >= 10);
    CHECK(vocab["levels"].size() == 3);

    auto cpam = make_org(s, admin, "CPAM de l'Artois (test)", "cpam", "32", {"62"});
    auto msa = make_org(s, admin, "MSA d'Armorique (test)", "msa", "53", {"29", "35"});
    auto anne = make_member(s, admin, "anne@cpam.test", "Anne Artois", "membre", cpam);
    auto anim = make_member(s, admin, "anim@cpam.test", "Alain Animateur", "animateur", cpam);
    auto bretonne = make_member(s, admin, "gwen@msa.test", "Gwen Le Goff", "animateur", msa);

    // Anne declares herself: DAM, référent diagnostic in the Pas-de-Calais.
    auto created = s.request("POST", "/api/expertise/people",
                             json{{"role", "dam"}, {"consent", true}, {"departements", {"62"}}, {"phone", "03 21 00 00 00"}}.dump(),
                             {{"Cookie", anne}});
    REQUIRE(created.status == 201);
    auto person = created.json()["person"];
    auto anne_id = person["id"].get<std::int64_t>();
    CHECK(person["name"] == "Anne Artois");
    CHECK(person["org"]["name"] == "CPAM de l'Artois (test)");
    CHECK(person["territory"]["region"]["code"] == "32");
    CHECK(person["may_validate"] == false);
    auto put = s.request("PUT", "/api/expertise/people/" + std::to_string(anne_id) + "/entries/diagnostic",
                         json{{"level", "referent"}, {"scope", "local"}, {"note", "Diagnostics territoriaux de la Côte d'Opale"}}.dump(),
                         {{"Cookie", anne}});
    REQUIRE(put.status == 200);
    CHECK(put.json()["person"]["entries"][0]["validated"].is_null());
    // Validation: her institution's animateur, not herself, not another institution's.
    const std::string validation = "/api/expertise/people/" + std::to_string(anne_id) + "/entries/diagnostic/validation";
    CHECK(s.request("POST", validation, R"({"valid":true})", {{"Cookie", anne}}).error_code() == "validation_reservee");
    CHECK(s.request("POST", validation, R"({"valid":true})", {{"Cookie", bretonne}}).error_code() == "validation_reservee");
    auto validated = s.request("POST", validation, R"({"valid":true})", {{"Cookie", anim}});
    REQUIRE(validated.status == 200);
    CHECK(validated.json()["person"]["entries"][0]["validated"]["by"]["name"] == "Alain Animateur");
    CHECK(validated.json()["person"]["may_validate"] == true);

    // The MSA's animateur declares someone without an account, for their région only.
    auto other = s.request("POST", "/api/expertise/people",
                           json{{"self", false}, {"name", "Yann Kerbrat"}, {"org_id", msa}, {"role", "cdt_msa"}, {"consent", true},
                                {"audience", "region"}, {"departements", {"29"}}, {"email", "yann@msa.test"}}
                               .dump(),
                           {{"Cookie", bretonne}});
    REQUIRE(other.status == 201);
    auto yann_id = other.json()["person"]["id"].get<std::int64_t>();
    CHECK(other.json()["person"]["user_id"].is_null());
    s.request("PUT", "/api/expertise/people/" + std::to_string(yann_id) + "/entries/financement",
              json{{"level", "pratique"}, {"scope", "regional"}, {"note", "Dossiers FIR et aide à l'amorçage"}}.dump(), {{"Cookie", bretonne}});

    // The directory: French search (accents, stems), filters and facets, within audiences.
    auto found = directory(s, anim, "?q=diagnostics%20territoriaux", 1);
    CHECK(names(found) == std::set<std::string>{"Anne Artois"});
    CHECK(found["people"][0]["entries"][0]["validated"] == true);
    found = directory(s, anim, "?domain=diagnostic&level=referent&departement=62", 1);
    CHECK(names(found) == std::set<std::string>{"Anne Artois"});
    CHECK(found["facets"]["domain"]["diagnostic"] == 1);
    CHECK(directory(s, anim, "?domain=diagnostic&departement=59", 0)["people"].empty());
    // Yann (région audience, Bretagne) is found by the MSA, not by the CPAM of the Artois.
    CHECK(names(directory(s, bretonne, "?q=amorcage", 1)) == std::set<std::string>{"Yann Kerbrat"});
    CHECK(directory(s, anim, "?q=amorcage", 0)["people"].empty());
    CHECK(s.request("GET", "/api/expertise/people/" + std::to_string(yann_id), "", {{"Cookie", anim}}).status == 404);
    auto seen = s.request("GET", "/api/expertise/people/" + std::to_string(yann_id), "", {{"Cookie", bretonne}}).json();
    CHECK(seen["person"]["contact"]["email"] == "yann@msa.test");
    // Admins see everything.
    CHECK(names(directory(s, admin, "", 2)) == std::set<std::string>{"Anne Artois", "Yann Kerbrat"});
    // Corsica's départements keep their codes (2A, 2B) in filters and facets.
    auto corse = s.request("POST", "/api/expertise/people",
                           json{{"self", false}, {"name", "Lisa Corsica"}, {"role", "dam"}, {"consent", true}, {"departements", {"2A"}}}.dump(),
                           {{"Cookie", admin}});
    REQUIRE(corse.status == 201);
    s.request("PUT", "/api/expertise/people/" + std::to_string(corse.json()["person"]["id"].get<std::int64_t>()) + "/entries/prevention",
              R"({"level":"pratique"})", {{"Cookie", admin}});
    auto corsica = directory(s, admin, "?departement=2A", 1);
    CHECK(names(corsica) == std::set<std::string>{"Lisa Corsica"});
    CHECK(corsica["facets"]["departement"]["2A"] == 1);
    CHECK(s.request("DELETE", "/api/expertise/people/" + std::to_string(corse.json()["person"]["id"].get<std::int64_t>()), "",
                    {{"Cookie", admin}}).status == 204);

    // Someone without an account is entered before their consent, and their withdrawal is
    // recorded, by the animateur who manages the fiche; nobody else sees it meanwhile.
    auto nina = s.request("POST", "/api/expertise/people",
                          json{{"self", false}, {"name", "Nina Sansaccord"}, {"org_id", msa}, {"role", "cdt_msa"}, {"consent", false}}.dump(),
                          {{"Cookie", bretonne}});
    REQUIRE(nina.status == 201);
    CHECK(nina.json()["person"]["consent"] == false);
    const auto nina_url = "/api/expertise/people/" + std::to_string(nina.json()["person"]["id"].get<std::int64_t>());
    CHECK(s.request("GET", nina_url, "", {{"Cookie", bretonne}}).status == 200);
    CHECK(s.request("GET", nina_url, "", {{"Cookie", anim}}).status == 404);
    const auto yann_url = "/api/expertise/people/" + std::to_string(yann_id);
    auto withdrawn = s.request("PATCH", yann_url, R"({"consent":false})", {{"Cookie", bretonne}});
    REQUIRE(withdrawn.status == 200);
    CHECK(withdrawn.json()["person"]["consent"] == false);
    CHECK(names(directory(s, bretonne, "?q=amorcage", 0)).empty());
    CHECK(s.request("PATCH", yann_url, R"({"consent":true})", {{"Cookie", bretonne}}).status == 200);
    // An account holder's consent is their own: their organisation's animateur may not change it.
    auto not_theirs = s.request("PATCH", "/api/expertise/people/" + std::to_string(anne_id), R"({"consent":false})", {{"Cookie", anim}});
    CHECK(not_theirs.error_code() == "fiche_non_modifiable");
    CHECK(not_theirs.json()["error"]["field"] == "consent");

    // Anne withdraws her consent: gone from the directory and from others at once.
    CHECK(s.request("PATCH", "/api/expertise/people/" + std::to_string(anne_id), R"({"consent":false})", {{"Cookie", anne}}).status == 200);
    CHECK(s.request("GET", "/api/expertise/people/" + std::to_string(anne_id), "", {{"Cookie", anim}}).status == 404);
    CHECK(directory(s, anim, "?q=diagnostic", 0)["people"].empty());
    CHECK(s.request("GET", "/api/expertise/me", "", {{"Cookie", anne}}).json()["person"]["consent"] == false);
    CHECK(s.request("PATCH", "/api/expertise/people/" + std::to_string(anne_id), R"({"consent":true})", {{"Cookie", anne}}).status == 200);
    CHECK(names(directory(s, anim, "?q=diagnostic", 1)) == std::set<std::string>{"Anne Artois"});

    // « Toujours d'actualité »: one click.
    auto confirmed = s.request("POST", "/api/expertise/people/" + std::to_string(anne_id) + "/confirm", "", {{"Cookie", anne}});
    CHECK(confirmed.status == 200);
    CHECK(confirmed.json()["person"]["entries"][0]["stale"] == false);

    // The matrix and the gaps, in JSON and CSV.
    auto m = s.request("GET", "/api/expertise/matrix?by=departement&region=32", "", {{"Cookie", anim}}).json();
    CHECK(m["columns"].size() == 5);
    auto csv = s.request("GET", "/api/expertise/matrix?by=departement&region=32&format=csv", "", {{"Cookie", anim}});
    CHECK(csv.status == 200);
    CHECK(csv.header("content-type").find("text/csv") == 0);
    CHECK(csv.body.find("Pas-de-Calais (référents)") != std::string::npos);
    CHECK(csv.body.find("Diagnostic territorial;") != std::string::npos);
    auto gaps = s.request("GET", "/api/expertise/gaps?region=32", "", {{"Cookie", anim}}).json();
    bool diagnostic_single = false;
    for (const auto& x : gaps["single_referent"])
        if (x["domain"]["code"] == "diagnostic") diagnostic_single = x["person"]["name"] == "Anne Artois";
    CHECK(diagnostic_single);
    CHECK(s.request("GET", "/api/expertise/matrix?by=departement&region=32&format=xml", "", {{"Cookie", anim}}).error_code() ==
          "champ_invalide");
    CHECK(s.request("GET", "/api/expertise/gaps?region=32&format=json", "", {{"Cookie", anim}}).status == 200);
    auto gaps_csv = s.request("GET", "/api/expertise/gaps?region=32&format=csv", "", {{"Cookie", anim}});
    CHECK(gaps_csv.body.find("Un seul référent;Diagnostic territorial;Anne Artois") != std::string::npos);
    CHECK(gaps_csv.body.find("Sans référent;Prévention;") != std::string::npos);
    // A name a spreadsheet would run as a formula is exported as text.
    auto formula = s.request("POST", "/api/expertise/people",
                             json{{"self", false}, {"name", "=1+2 Dupont"}, {"role", "dam"}, {"consent", true},
                                  {"audience", "network"}, {"departements", {"62"}}}
                                 .dump(),
                             {{"Cookie", admin}});
    REQUIRE(formula.status == 201);
    auto formula_id = std::to_string(formula.json()["person"]["id"].get<std::int64_t>());
    CHECK(s.request("PUT", "/api/expertise/people/" + formula_id + "/entries/prevention", R"({"level":"referent"})",
                    {{"Cookie", admin}}).status == 200);
    auto guarded = s.request("GET", "/api/expertise/gaps?region=32&format=csv", "", {{"Cookie", admin}}).body;
    CHECK(guarded.find("Un seul référent;Prévention;'=1+2 Dupont") != std::string::npos);
    CHECK(guarded.find(";=1+2") == std::string::npos);
    CHECK(s.request("DELETE", "/api/expertise/people/" + formula_id, "", {{"Cookie", admin}}).status == 204);

    // Bad input: clear errors, nothing stored.
    CHECK(s.request("POST", "/api/expertise/people", R"({"role":"dam","consent":true})", {{"Cookie", anne}}).error_code() ==
          "personne_existante");
    CHECK(s.request("PUT", "/api/expertise/people/" + std::to_string(anne_id) + "/entries/astrologie", R"({"level":"referent"})",
                    {{"Cookie", anne}})
              .error_code() == "domaine_inconnu");
    CHECK(s.request("GET", "/api/expertise/people?domain=astrologie", "", {{"Cookie", anne}}).error_code() == "domaine_inconnu");
    CHECK(s.request("GET", "/api/expertise/people?departement=100", "", {{"Cookie", anne}}).error_code() == "territoire_inconnu");
    // Parameters out of their documented range are refused, not clamped or ignored.
    for (const char* bad : {"limit=0", "limit=101", "offset=10001", "org=abc", "org=01", "role=astronaute"})
        CHECK(s.request("GET", std::string("/api/expertise/people?") + bad, "", {{"Cookie", anne}}).error_code() == "champ_invalide");
    // The query language's mistakes are the caller's, as in the library: 400, not 500.
    for (const char* bad : {"q=ET", "q=SAUF%20financement", "q=financement%20OU"}) {
        auto r = s.request("GET", std::string("/api/expertise/people?") + bad, "", {{"Cookie", anne}});
        CHECK(r.status == 400);
        CHECK(r.error_code() == "recherche_invalide");
    }
    CHECK(s.request("GET", "/api/expertise/matrix?by=departement&region=99", "", {{"Cookie", anne}}).error_code() == "territoire_inconnu");
    CHECK(s.request("PATCH", "/api/expertise/people/" + std::to_string(anne_id), json{{"name", std::string(300, 'a')}}.dump(),
                    {{"Cookie", anne}})
              .error_code() == "champ_invalide");
    CHECK(s.request("PATCH", "/api/expertise/people/" + std::to_string(anne_id), R"({"name":"Pirate"})", {{"Cookie", bretonne}}).status ==
          403);
    CHECK(s.request("GET", "/api/expertise/people/" + std::to_string(anne_id), "", {{"Cookie", anne}}).json()["person"]["name"] ==
          "Anne Artois");
}

TEST_CASE("expertise: a new need is told to the animateurs of its région or else to every animateur", "[expertise]") {
    server s;
    auto admin = s.login_admin();
    auto cpam = make_org(s, admin, "CPAM de l'Artois (test)", "cpam", "32", {"62"});
    auto ars = make_org(s, admin, "ARS Bretagne (test)", "ars", "53", {"35"});
    auto cpts = make_org(s, admin, "CPTS du Ternois (test)", "cpts", "32", {"62"});
    auto coord = make_member(s, admin, "coord@ternois.test", "Claire Coordinatrice", "membre", cpts);
    auto nord = make_member(s, admin, "anim@cpam.test", "Alain Animateur", "animateur", cpam);
    auto breton = make_member(s, admin, "anim@ars.test", "Bleuenn Animatrice", "animateur", ars);
    auto need_notices = [&](const std::string& cookie) {
        auto all = s.request("GET", "/api/notifications", "", {{"Cookie", cookie}}).json()["notifications"];
        std::vector<json> out;
        for (const auto& n : all)
            if (n["kind"] == "expertise.need") out.push_back(n);
        return out;
    };
    auto created = s.request("POST", "/api/expertise/needs",
                             json{{"title", "Monter le dossier d'aide à l'amorçage"}, {"cpts_org_id", cpts}, {"domains", {"financement"}},
                                  {"urgency", "urgente"}}
                                 .dump(),
                             {{"Cookie", coord}});
    REQUIRE(created.status == 201);
    auto id = created.json()["need"]["id"].get<std::int64_t>();
    // The animateur of the Hauts-de-France is told, with the CPTS, the urgency and the domain.
    auto told = need_notices(nord);
    REQUIRE(told.size() == 1);
    // In French typography, as every notice: ’, and no-break spaces before « : » and inside « ».
    CHECK(told[0]["title"] == "Nouveau besoin d’appui\u00a0: «\u00a0Monter le dossier d’aide à l’amorçage\u00a0»");
    CHECK(told[0]["body"] == "CPTS du Ternois (test) · urgent · Financement");
    CHECK(told[0]["link"] == "/expertises/besoins/" + std::to_string(id));
    // Not the one of Brittany, nor the declarer.
    CHECK(need_notices(breton).empty());
    CHECK(need_notices(coord).empty());
    // A need in a région where no animateur is: every animateur is told, but not its declarer.
    auto far = s.request("POST", "/api/expertise/needs",
                         json{{"title", "Un système d'information partagé"}, {"cpts_name", "CPTS en projet du Var"}, {"region", "93"},
                              {"domains", {"financement"}}}
                             .dump(),
                         {{"Cookie", nord}});
    REQUIRE(far.status == 201);
    CHECK(need_notices(breton).size() == 1);
    CHECK(need_notices(breton)[0]["body"] == "CPTS en projet du Var · Financement");
    CHECK(need_notices(nord).size() == 1);  // only the first need's
}

TEST_CASE("expertise: a need declared by a CPTS, people proposed with reasons, assigned, followed to the end", "[expertise]") {
    server s;
    auto admin = s.login_admin();
    auto cpam = make_org(s, admin, "CPAM de l'Artois (test)", "cpam", "32", {"62"});
    auto cpts = make_org(s, admin, "CPTS du Ternois (test)", "cpts", "32", {"62"});
    auto coord = make_member(s, admin, "coord@ternois.test", "Claire Coordinatrice", "membre", cpts);
    auto anim = make_member(s, admin, "anim@cpam.test", "Alain Animateur", "animateur", cpam);
    auto expert = make_member(s, admin, "expert@cpam.test", "Eva Experte", "membre", cpam);
    auto me = s.request("POST", "/api/expertise/people", json{{"role", "dam"}, {"consent", true}, {"departements", {"62"}}}.dump(),
                        {{"Cookie", expert}}).json()["person"]["id"].get<std::int64_t>();
    s.request("PUT", "/api/expertise/people/" + std::to_string(me) + "/entries/financement", R"({"level":"referent"})", {{"Cookie", expert}});

    auto created = s.request("POST", "/api/expertise/needs",
                             json{{"title", "Monter le dossier d'aide à l'amorçage"}, {"cpts_org_id", cpts}, {"domains", {"financement"}},
                                  {"urgency", "urgente"}, {"description", "Premier dossier FIR de la CPTS."}}
                                 .dump(),
                             {{"Cookie", coord}});
    REQUIRE(created.status == 201);
    auto need = created.json()["need"];
    auto id = std::to_string(need["id"].get<std::int64_t>());
    CHECK(need["cpts"]["name"] == "CPTS du Ternois (test)");
    // The map refers to these organisations: neither goes, the CPTS keeps its type.
    auto gone_cpts = s.request("DELETE", "/api/admin/orgs/" + std::to_string(cpts), {}, {{"Cookie", admin}});
    CHECK(gone_cpts.error_code() == "organisation_utilisee");
    CHECK(gone_cpts.json()["error"]["message"].get<std::string>().find("1 besoin d’appui") != std::string::npos);
    CHECK(s.request("PATCH", "/api/admin/orgs/" + std::to_string(cpts), json{{"type", "autre"}}.dump(), {{"Cookie", admin}})
              .error_code() == "organisation_utilisee");
    auto gone_cpam = s.request("DELETE", "/api/admin/orgs/" + std::to_string(cpam), {}, {{"Cookie", admin}});
    CHECK(gone_cpam.error_code() == "organisation_utilisee");
    CHECK(gone_cpam.json()["error"]["message"].get<std::string>().find("carte des expertises") != std::string::npos);
    CHECK(need["state"] == "open");
    auto props = s.request("GET", "/api/expertise/needs/" + id + "/proposals", "", {{"Cookie", anim}}).json()["proposals"];
    REQUIRE(props.size() == 1);
    CHECK(props[0]["person"]["name"] == "Eva Experte");
    CHECK(props[0]["reasons"][0] == "Référent en «\u00A0Financement\u00A0»");
    // The coordinator may not assign; the animateur does; Eva is told.
    CHECK(s.request("POST", "/api/expertise/needs/" + id + "/assign", json{{"person_id", me}, {"version", 1}}.dump(), {{"Cookie", coord}}).status ==
          403);
    auto assigned = s.request("POST", "/api/expertise/needs/" + id + "/assign", json{{"person_id", me}, {"version", 1}}.dump(), {{"Cookie", anim}});
    REQUIRE(assigned.status == 200);
    CHECK(assigned.json()["need"]["assignee"]["name"] == "Eva Experte");
    auto notices = s.request("GET", "/api/notifications", "", {{"Cookie", expert}}).json();
    bool told = false;
    for (const auto& n : notices["notifications"]) told = told || n["title"].get<std::string>().find("Monter le dossier") != std::string::npos;
    CHECK(told);
    // Eva takes it on and finishes it; a stale version is refused.
    CHECK(s.request("POST", "/api/expertise/needs/" + id + "/state", R"({"state":"in_progress","version":1})", {{"Cookie", expert}})
              .error_code() == "besoin_modifie");
    CHECK(s.request("POST", "/api/expertise/needs/" + id + "/state", R"({"state":"in_progress","version":2})", {{"Cookie", expert}}).status ==
          200);
    auto done = s.request("POST", "/api/expertise/needs/" + id + "/state", R"({"state":"done","version":3})", {{"Cookie", expert}});
    CHECK(done.status == 200);
    CHECK(done.json()["need"]["history"].size() == 4);
    CHECK(s.request("GET", "/api/expertise/needs?state=done", "", {{"Cookie", coord}}).json()["needs"].size() == 1);
    // A member declaring for another CPTS: refused, nothing stored.
    auto other = make_org(s, admin, "CPTS de Lens (test)", "cpts", "32", {"62"});
    CHECK(s.request("POST", "/api/expertise/needs", json{{"title", "x"}, {"cpts_org_id", other}, {"domains", {"financement"}}}.dump(),
                    {{"Cookie", coord}})
              .error_code() == "cpts_non_autorisee");
    CHECK(s.request("GET", "/api/expertise/needs", "", {{"Cookie", coord}}).json()["needs"].size() == 1);
    // A CPTS in project is named by animateurs only, and never beside a registered one.
    auto named = s.request("POST", "/api/expertise/needs", json{{"title", "x"}, {"cpts_name", "CPTS en projet"}, {"domains", {"financement"}}}.dump(),
                           {{"Cookie", coord}});
    CHECK(named.error_code() == "cpts_non_autorisee");
    CHECK(named.json()["error"]["field"] == "cpts_name");
    CHECK(s.request("POST", "/api/expertise/needs",
                    json{{"title", "x"}, {"cpts_org_id", cpts}, {"cpts_name", "CPTS en projet"}, {"domains", {"financement"}}}.dump(),
                    {{"Cookie", anim}})
              .error_code() == "champ_invalide");
    CHECK(s.request("GET", "/api/expertise/needs", "", {{"Cookie", coord}}).json()["needs"].size() == 1);
    // Without naming it, a member declares for their own CPTS; an unknown domain names `domains`.
    CHECK(s.request("POST", "/api/expertise/needs", json{{"title", "x"}, {"domains", {"astrologie"}}}.dump(), {{"Cookie", coord}})
              .json()["error"]["field"] == "domains");
    auto own = s.request("POST", "/api/expertise/needs", json{{"title", "Trouver un local"}, {"domains", {"financement"}}}.dump(),
                         {{"Cookie", coord}});
    REQUIRE(own.status == 201);
    CHECK(own.json()["need"]["cpts"]["name"] == s.request("GET", "/api/me", "", {{"Cookie", coord}}).json()["user"]["org"]["name"]);
}

namespace {

/// Waits until the territory module has read the communes in (first asked for now).
void communes_ready(server& s, const std::string& cookie) {
    for (int i = 0; i < 600; ++i) {
        auto r = s.request("GET", "/api/territory/meta", "", {{"Cookie", cookie}});
        REQUIRE(r.status == 200);
        if (r.json()["status"] == "ready") return;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    FAIL("the communes were not loaded in time");
}

}  // namespace

TEST_CASE("expertise: a need's territory from its communes or its CPTS, what it becomes (workshop, fiches, testimony), the network view",
          "[expertise]") {
    server s;
    auto admin = s.login_admin();
    auto cpam = make_org(s, admin, "CPAM du Hainaut (test)", "cpam", "32", {"59"});
    auto msa = make_org(s, admin, "MSA Nord-Pas-de-Calais (test)", "msa", "32", {"59", "62"});
    auto cpts = make_org(s, admin, "CPTS du Valenciennois (test)", "cpts", "32", {"59"});
    auto coord = make_member(s, admin, "coord@valenciennois.test", "Chloé Coordinatrice", "membre", cpts);
    auto anim = make_member(s, admin, "anim@hainaut.test", "Hugo Animateur", "animateur", cpam);
    auto outsider = make_member(s, admin, "autre@hainaut.test", "Olga Autre", "membre", cpam);
    auto expert = make_member(s, admin, "expert@msa.test", "Marc Expert", "membre", msa);
    auto marc = s.request("POST", "/api/expertise/people", json{{"role", "cdt_msa"}, {"consent", true}, {"departements", {"59"}}}.dump(),
                          {{"Cookie", expert}}).json()["person"]["id"].get<std::int64_t>();
    REQUIRE(s.request("PUT", "/api/expertise/people/" + std::to_string(marc) + "/entries/diagnostic", R"({"level":"referent"})",
                      {{"Cookie", expert}}).status == 200);
    communes_ready(s, coord);

    // Communes given: their départements, région and population make the need's territory.
    json body{{"title", "Diagnostic du Valenciennois"}, {"cpts_org_id", cpts}, {"domains", {"diagnostic"}},
              {"communes", {"59606", "59383"}}};  // Valenciennes, Marly
    auto created = s.request("POST", "/api/expertise/needs", body.dump(), {{"Cookie", coord}});
    REQUIRE(created.status == 201);
    auto need = created.json()["need"];
    CHECK(need["communes"] == json({"59383", "59606"}));
    CHECK(need["population"].get<std::int64_t>() > 50000);
    CHECK(need["territory"]["departements"][0]["code"] == "59");
    CHECK(need["territory"]["region"]["code"] == "32");
    // Bad communes: refused with the territory's codes, nothing stored.
    body["communes"] = {"99999"};
    CHECK(s.request("POST", "/api/expertise/needs", body.dump(), {{"Cookie", coord}}).error_code() == "commune_inconnue");
    body["communes"] = {"75056"};
    CHECK(s.request("POST", "/api/expertise/needs", body.dump(), {{"Cookie", coord}}).error_code() == "commune_par_arrondissement");
    body["communes"] = "59606";
    CHECK(s.request("POST", "/api/expertise/needs", body.dump(), {{"Cookie", coord}}).error_code() == "champ_invalide");
    CHECK(s.request("GET", "/api/expertise/needs", "", {{"Cookie", coord}}).json()["needs"].size() == 1);

    // Without communes, the territory saved for the CPTS with the territory helper is reused.
    REQUIRE(s.request("PUT", "/api/territory/cpts/" + std::to_string(cpts), json{{"communes", {"59606", "59383", "59009"}}}.dump(),
                      {{"Cookie", coord}}).status == 200);
    body.erase("communes");
    body["title"] = "Préparer la lettre d'intention";
    auto second = s.request("POST", "/api/expertise/needs", body.dump(), {{"Cookie", coord}}).json()["need"];
    CHECK(second["communes"].size() == 3);
    CHECK(second["population"].get<std::int64_t>() > need["population"].get<std::int64_t>());

    // Proposals: Marc covers the département of the need; Paula (CPAM, pratique) comes second,
    // each with their own organisation.
    auto paula = s.request("POST", "/api/expertise/people",
                           json{{"self", false}, {"name", "Paula Pratique"}, {"org_id", cpam}, {"role", "dam"}, {"consent", true},
                                {"departements", {"59"}}}.dump(),
                           {{"Cookie", anim}}).json()["person"]["id"].get<std::int64_t>();
    REQUIRE(s.request("PUT", "/api/expertise/people/" + std::to_string(paula) + "/entries/diagnostic", R"({"level":"pratique"})",
                      {{"Cookie", anim}}).status == 200);
    auto id = std::to_string(need["id"].get<std::int64_t>());
    auto props = s.request("GET", "/api/expertise/needs/" + id + "/proposals", "", {{"Cookie", anim}}).json()["proposals"];
    REQUIRE(props.size() == 2);
    CHECK(props[0]["person"]["name"] == "Marc Expert");
    CHECK(props[0]["person"]["org"] == "MSA Nord-Pas-de-Calais (test)");
    CHECK(props[0]["reasons"][1] == "Intervient dans le même département");
    CHECK(props[1]["person"]["name"] == "Paula Pratique");
    CHECK(props[1]["person"]["org"] == "CPAM du Hainaut (test)");
    REQUIRE(s.request("DELETE", "/api/expertise/people/" + std::to_string(paula), "", {{"Cookie", anim}}).status == 204);
    props = s.request("GET", "/api/expertise/needs/" + id + "/proposals", "", {{"Cookie", anim}}).json()["proposals"];
    REQUIRE(props.size() == 1);
    REQUIRE(s.request("POST", "/api/expertise/needs/" + id + "/assign", json{{"person_id", marc}, {"version", 1}}.dump(), {{"Cookie", anim}})
                .status == 200);

    // A workshop made from the need: the draft, then the workshop, then the link.
    auto draft = s.request("GET", "/api/expertise/needs/" + id + "/workshop-draft", "", {{"Cookie", anim}});
    REQUIRE(draft.status == 200);
    auto d = draft.json()["draft"];
    CHECK(d["cpts_id"] == cpts);
    CHECK(d["stage"] == "lettre_intention");
    CHECK(d["partner_ids"] == json({msa}));
    CHECK(s.request("GET", "/api/expertise/needs/" + id + "/workshop-draft", "", {{"Cookie", coord}}).status == 403);
    json wbody{{"title", d["title"]}, {"subject", d["subject"]}, {"stage", d["stage"]}, {"cpts_id", d["cpts_id"]},
               {"partner_ids", d["partner_ids"]}, {"template", "swot"}, {"date", "2026-12-15T14:00"}};
    auto w = s.request("POST", "/api/workshops", wbody.dump(), {{"Cookie", anim}});
    REQUIRE(w.status == 201);
    auto wid = w.json()["workshop"]["id"].get<std::int64_t>();
    // The declarer cannot link a workshop they cannot see (a link shows its title and date);
    // the animateur who made it links it.
    CHECK(s.request("POST", "/api/expertise/needs/" + id + "/links", json{{"kind", "workshop"}, {"id", wid}}.dump(), {{"Cookie", coord}})
              .error_code() == "champ_invalide");
    auto linked = s.request("POST", "/api/expertise/needs/" + id + "/links", json{{"kind", "workshop"}, {"id", wid}}.dump(), {{"Cookie", anim}});
    REQUIRE(linked.status == 200);
    auto links = linked.json()["need"]["links"];
    REQUIRE(links.size() == 1);
    CHECK(links[0]["title"] == d["title"]);
    CHECK(links[0]["visible"] == true);
    CHECK(links[0]["url"] == "/ateliers/" + std::to_string(wid));
    // Read by someone who may not see the workshop (a member outside it), the link says
    // nothing of it: its title names a project and its partners.
    auto one = s.request("GET", "/api/expertise/needs/" + id, "", {{"Cookie", coord}}).json();
    auto all = s.request("GET", "/api/expertise/needs", "", {{"Cookie", coord}}).json();
    INFO(one.dump() << "\n" << all.dump());
    REQUIRE(one["need"]["links"].size() == 1);
    json listed_link;
    for (const auto& n : all["needs"])
        if (std::to_string(n["id"].get<std::int64_t>()) == id) listed_link = n["links"][0];
    for (const json& seen : std::vector<json>{one["need"]["links"][0], listed_link}) {
        CHECK(seen["id"] == wid);
        CHECK(seen["visible"] == false);
        CHECK(seen["title"] == "");
        CHECK(seen["state"] == "");
        CHECK(seen["date"] == "");
    }
    // Someone who neither declared, follows nor animates may not link; unknown ids and kinds are refused.
    CHECK(s.request("POST", "/api/expertise/needs/" + id + "/links", json{{"kind", "workshop"}, {"id", wid}}.dump(), {{"Cookie", outsider}})
              .status == 403);
    CHECK(s.request("POST", "/api/expertise/needs/" + id + "/links", json{{"kind", "workshop"}, {"id", 99999}}.dump(), {{"Cookie", coord}})
              .error_code() == "champ_invalide");
    CHECK(s.request("POST", "/api/expertise/needs/" + id + "/links", json{{"kind", "autre"}, {"id", wid}}.dump(), {{"Cookie", coord}})
              .error_code() == "champ_invalide");
    // A fiche under review may not be linked; once published it may.
    auto fiche = s.request("POST", "/api/library/items",
                           json{{"kind", "outil"}, {"title", "Grille de diagnostic"}, {"summary", "Une grille."}, {"body", "Texte."}}.dump(),
                           {{"Cookie", coord}});
    REQUIRE(fiche.status == 201);
    auto fid = fiche.json()["item"]["id"].get<std::int64_t>();
    CHECK(s.request("POST", "/api/expertise/needs/" + id + "/links", json{{"kind", "library"}, {"id", fid}}.dump(), {{"Cookie", coord}})
              .error_code() == "champ_invalide");
    REQUIRE(s.request("POST", "/api/library/items/" + std::to_string(fid) + "/publish", R"({"version":1})", {{"Cookie", anim}}).status == 200);
    links = s.request("POST", "/api/expertise/needs/" + id + "/links", json{{"kind", "library"}, {"id", fid}}.dump(), {{"Cookie", coord}})
                .json()["need"]["links"];
    REQUIRE(links.size() == 2);
    CHECK(links[1]["title"] == "Grille de diagnostic");
    CHECK(s.request("DELETE", "/api/expertise/needs/" + id + "/links/library/" + std::to_string(fid), "", {{"Cookie", coord}})
              .json()["need"]["links"].size() == 1);

    // A testimony only once the need is done; filed in the library, linked back.
    CHECK(s.request("GET", "/api/expertise/needs/" + id + "/testimony", "", {{"Cookie", coord}}).error_code() == "transition_impossible");
    REQUIRE(s.request("POST", "/api/expertise/needs/" + id + "/state", R"({"state":"done","version":2})", {{"Cookie", expert}}).status == 200);
    auto tdraft = s.request("GET", "/api/expertise/needs/" + id + "/testimony", "", {{"Cookie", coord}}).json()["draft"];
    CHECK(tdraft["markdown"].get<std::string>().find("## Ce qui a marché") != std::string::npos);
    CHECK(s.request("POST", "/api/expertise/needs/" + id + "/testimony", json{{"title", ""}}.dump(), {{"Cookie", coord}}).error_code() ==
          "champ_invalide");
    auto filed = s.request("POST", "/api/expertise/needs/" + id + "/testimony",
                           json{{"title", "Notre diagnostic avec la MSA"}, {"markdown", tdraft["markdown"]}}.dump(), {{"Cookie", coord}});
    REQUIRE(filed.status == 201);
    CHECK(filed.json()["item"]["state"] == "pending");  // a member's testimony waits for review
    auto tid = filed.json()["item"]["id"].get<std::int64_t>();
    links = filed.json()["need"]["links"];
    REQUIRE(links.size() == 2);
    CHECK(links[1]["id"] == tid);
    CHECK(links[1]["title"] == "");  // not published yet: no title shown to everyone
    auto item = s.request("GET", "/api/library/items/" + std::to_string(tid), "", {{"Cookie", anim}}).json()["item"];
    CHECK(item["kind"] == "temoignage");
    // Filing again adds a version to the same fiche.
    auto again = s.request("POST", "/api/expertise/needs/" + id + "/testimony", json{{"title", "Notre diagnostic, revu"}}.dump(), {{"Cookie", coord}});
    REQUIRE(again.status == 201);
    CHECK(again.json()["item"]["id"] == tid);
    CHECK(again.json()["item"]["version"] == 2);

    // A workshop guest (invite link, no account) is no network member: no directory, no
    // person, no contact details, no needs.
    REQUIRE(s.request("POST", "/api/workshops/" + std::to_string(wid) + "/state", R"({"state":"scheduled"})", {{"Cookie", anim}}).status == 200);
    auto inv = s.request("POST", "/api/workshops/" + std::to_string(wid) + "/invites", R"({"role":"participant"})", {{"Cookie", anim}});
    REQUIRE(inv.status == 201);
    auto joined = s.request("POST", "/api/invites/" + inv.json()["invite"]["token"].get<std::string>() + "/join", R"({"name":"Invité"})");
    REQUIRE(joined.status == 200);
    auto guest = joined.header("set-cookie").substr(0, joined.header("set-cookie").find(';'));
    for (const auto& path : {"/api/expertise/people/" + std::to_string(marc), std::string("/api/expertise/people?q=Marc"),
                             "/api/expertise/needs/" + id, std::string("/api/expertise/network")}) {
        auto r = s.request("GET", path, "", {{"Cookie", guest}});
        CHECK(r.status == 401);
        CHECK(r.body.find("expert@msa.test") == std::string::npos);
    }

    // The network view: organisations and domains linked by who knows what.
    auto net = s.request("GET", "/api/expertise/network?region=32", "", {{"Cookie", coord}});
    REQUIRE(net.status == 200);
    auto n = net.json();
    REQUIRE(n["organisations"].size() == 1);
    CHECK(n["organisations"][0]["name"] == "MSA Nord-Pas-de-Calais (test)");
    CHECK(n["organisations"][0]["type_label"] == "MSA");
    REQUIRE(n["links"].size() == 1);
    CHECK(n["links"][0]["domain"] == "diagnostic");
    CHECK(n["links"][0]["referents"] == 1);
    CHECK(n["people"][0]["name"] == "Marc Expert");
    CHECK(s.request("GET", "/api/expertise/network?region=99", "", {{"Cookie", coord}}).error_code() == "territoire_inconnu");
    CHECK(s.request("GET", "/api/expertise/network?region=84", "", {{"Cookie", coord}}).json()["organisations"].empty());
}

RELAIS_ACCESS_ROWS("expertise", [](relais::test::access_fixture&) {
    using relais::test::by_role;
    return std::vector<relais::test::access_row>{
        {"GET", "/api/expertise/domains", "signed_in", "/api/expertise/domains", "", by_role(401, 200, 200, 200)},
        {"POST", "/api/expertise/domains", "admin", "/api/expertise/domains", "{}", by_role(401, 403, 403, 400)},
        {"POST", "/api/expertise/roles", "admin", "/api/expertise/roles", "{}", by_role(401, 403, 403, 400)},
        {"GET", "/api/expertise/people", "signed_in", "/api/expertise/people", "", by_role(401, 200, 200, 200)},
        {"POST", "/api/expertise/people", "signed_in", "/api/expertise/people", "{}", by_role(401, 400, 400, 400)},
        {"GET", "/api/expertise/me", "signed_in", "/api/expertise/me", "", by_role(401, 200, 200, 200)},
        {"GET", "/api/expertise/people/{id}", "signed_in", "/api/expertise/people/999", "", by_role(401, 404, 404, 404)},
        {"PATCH", "/api/expertise/people/{id}", "signed_in", "/api/expertise/people/999", "{}", by_role(401, 404, 404, 404)},
        {"DELETE", "/api/expertise/people/{id}", "signed_in", "/api/expertise/people/999", "", by_role(401, 404, 404, 404)},
        {"PUT", "/api/expertise/people/{id}/entries/{domain}", "signed_in", "/api/expertise/people/999/entries/diagnostic",
         "{\"level\":\"pratique\"}", by_role(401, 404, 404, 404)},
        {"DELETE", "/api/expertise/people/{id}/entries/{domain}", "signed_in", "/api/expertise/people/999/entries/diagnostic", "",
         by_role(401, 404, 404, 404)},
        {"POST", "/api/expertise/people/{id}/confirm", "signed_in", "/api/expertise/people/999/confirm", "", by_role(401, 404, 404, 404)},
        {"POST", "/api/expertise/people/{id}/entries/{domain}/validation", "signed_in",
         "/api/expertise/people/999/entries/diagnostic/validation", "{\"valid\":true}", by_role(401, 404, 404, 404)},
        {"POST", "/api/expertise/needs", "signed_in", "/api/expertise/needs", "{}", by_role(401, 400, 400, 400)},
        {"GET", "/api/expertise/needs", "signed_in", "/api/expertise/needs", "", by_role(401, 200, 200, 200)},
        {"GET", "/api/expertise/needs/{id}", "signed_in", "/api/expertise/needs/999", "", by_role(401, 404, 404, 404)},
        {"GET", "/api/expertise/needs/{id}/proposals", "signed_in", "/api/expertise/needs/999/proposals", "", by_role(401, 404, 404, 404)},
        {"POST", "/api/expertise/needs/{id}/assign", "animateur", "/api/expertise/needs/999/assign", "{\"person_id\":1,\"version\":1}",
         by_role(401, 403, 404, 404)},
        {"POST", "/api/expertise/needs/{id}/state", "signed_in", "/api/expertise/needs/999/state", "{\"state\":\"done\",\"version\":1}",
         by_role(401, 404, 404, 404)},
        {"POST", "/api/expertise/needs/{id}/links", "signed_in", "/api/expertise/needs/999/links", "{\"kind\":\"workshop\",\"id\":1}",
         by_role(401, 404, 404, 404)},
        {"DELETE", "/api/expertise/needs/{id}/links/{kind}/{ref}", "signed_in", "/api/expertise/needs/999/links/workshop/1", "",
         by_role(401, 404, 404, 404)},
        {"GET", "/api/expertise/needs/{id}/workshop-draft", "animateur", "/api/expertise/needs/999/workshop-draft", "", by_role(401, 403, 404, 404)},
        {"GET", "/api/expertise/needs/{id}/testimony", "signed_in", "/api/expertise/needs/999/testimony", "", by_role(401, 404, 404, 404)},
        {"POST", "/api/expertise/needs/{id}/testimony", "signed_in", "/api/expertise/needs/999/testimony", "{}", by_role(401, 404, 404, 404)},
        {"GET", "/api/expertise/network", "signed_in", "/api/expertise/network", "", by_role(401, 200, 200, 200)},
        {"GET", "/api/expertise/matrix", "signed_in", "/api/expertise/matrix", "", by_role(401, 200, 200, 200)},
        {"GET", "/api/expertise/gaps", "signed_in", "/api/expertise/gaps", "", by_role(401, 200, 200, 200)},
    };
});

TEST_CASE("expertise: a member's own address, in another case (accents included), is their account's", "[expertise]") {
    server s;
    auto admin = s.login_admin();
    auto cpam = make_org(s, admin, "CPAM du Hainaut (test)", "cpam", "32", {"59"});
    auto elise = make_member(s, admin, "élise@cpam.test", "Élise Écrivain", "membre", cpam);
    auto mine = s.request("POST", "/api/expertise/people",
                          json{{"role", "dam"}, {"consent", true}, {"departements", {"59"}}, {"email", "ÉLISE@CPAM.test"}}.dump(),
                          {{"Cookie", elise}});
    REQUIRE(mine.status == 201);
    CHECK(mine.json()["person"]["contact"]["email"] == "élise@cpam.test");  // as the account has it
    // Someone else's address is not hers to give.
    auto other = s.request("POST", "/api/expertise/people",
                           json{{"role", "dam"}, {"consent", true}, {"departements", {"59"}}, {"email", "autre@cpam.test"}}.dump(),
                           {{"Cookie", elise}});
    CHECK(other.status == 400);
}
