// The expertise map's rules on a real database, without HTTP: who may see whom (consent,
// audience), who may change and validate, duplicates and bad input, validation reset on a
// new claim, confirmation and staleness, reminders, the matrix and the gaps.
#include "auth/module.hpp"
#include "auth/service.hpp"
#include "auth/store.hpp"
#include "common/errors.hpp"
#include "common/metrics.hpp"
#include "common/worker_pool.hpp"
#include "db/pool.hpp"
#include "expertise/module.hpp"
#include "expertise/service.hpp"
#include "indexing/module.hpp"
#include "platform/migrate.hpp"
#include "error_code.hpp"
#include "search/index.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <functional>
#include <map>
#include <set>

using namespace relais;
using json = nlohmann::json;

namespace {

const std::int64_t t0 = 1'800'000'000, day = 86'400;

struct expertise_db {
    unit_temp_dir dir;
    metrics::registry m;
    db::pool pool{{dir.path / "e.db", 1, 16,
                   [](db::connection& c) {
                       platform::migrate(c, {{"auth", &auth::migrations()},
                                             {"indexing", &indexing::migrations()},
                                             {"expertise", &expertise::migrations()}});
                   }},
                  m};
    worker_pool cpu{"cpu", 1};
    auth::service directory{pool, cpu, {}};
    expertise::service svc{directory, expertise::options{}};
    std::int64_t cpam = 0, msa = 0, cpam_anim = 0, cpam_member = 0, msa_anim = 0, admin = 0, loner = 0;

    expertise_db() {
        pool.write_sync([&](db::connection& c) {
            cpam = auth::store::insert_org(c, auth::org{0, "CPAM de l'Artois", "cpam", "32", {"62"}, 0}, 0);
            msa = auth::store::insert_org(c, auth::org{0, "MSA Bretagne", "msa", "53", {"29", "35"}, 0}, 0);
            auto user = [&](const char* email, const char* role, std::optional<std::int64_t> org_id) {
                auth::user u;
                u.email = email;
                u.name = std::string("Nom ") + email;
                u.role = role;
                u.password_hash = "x";
                u.org_id = org_id;
                return auth::store::insert_user(c, u, 0);
            };
            cpam_anim = user("anim@cpam.fr", "animateur", cpam);
            cpam_member = user("membre@cpam.fr", "membre", cpam);
            msa_anim = user("anim@msa.fr", "animateur", msa);
            admin = user("admin@x.fr", "admin", std::nullopt);
            loner = user("seul@x.fr", "membre", std::nullopt);
            for (const auto& [code, label] : std::vector<std::pair<std::string, std::string>>{
                     {"dam", "DAM"}, {"roc_medical", "ROC médical"}, {"cdt_msa", "Chargé de développement MSA"}})
                svc.add_role(c, {{"code", code}, {"label", label}});
            for (const auto& [code, label] : std::vector<std::pair<std::string, std::string>>{
                     {"diagnostic", "Diagnostic territorial"}, {"financement", "Financement"}, {"prevention", "Prévention"}})
                svc.add_domain(c, {{"code", code}, {"label", label}, {"phases", {"diagnostic"}}}, t0);
        });
        // Viewers looked up once, here: a lookup inside another pool call would wait for itself.
        pool.read_sync([&](db::connection& c) {
            for (auto id : {cpam_anim, cpam_member, msa_anim, admin, loner}) viewers[id] = svc.viewer_of(c, id);
        });
    }
    ~expertise_db() {
        cpu.stop();
        pool.stop();
    }
    std::map<std::int64_t, expertise::viewer> viewers;
    const expertise::viewer& v(std::int64_t user) { return viewers.at(user); }
    std::int64_t create(std::int64_t as, const json& body, std::int64_t at = t0) {
        std::int64_t id = 0;
        pool.write_sync([&](db::connection& c) { id = svc.create_person(c, v(as), body, at); });
        return id;
    }
    json get(std::int64_t as, std::int64_t id, std::int64_t at = t0) {
        json out;
        pool.read_sync([&](db::connection& c) { out = svc.person_json(c, v(as), id, at); });
        return out;
    }
    std::string code_of(const std::function<void(db::connection&)>& f) {
        try {
            pool.write_sync(f);
        } catch (const api_error& e) {
            return std::string(e.code());
        }
        return "";
    }
};

}  // namespace

TEST_CASE("expertise: consent and audience decide who sees an entry", "[expertise]") {
    expertise_db w;
    // A CPAM member declares themselves, for their organisation only; the MSA's animateur
    // declares someone without an account, for their région.
    auto me = w.create(w.cpam_member, {{"role", "dam"}, {"consent", true}, {"audience", "organisation"}, {"phone", "03 21 00 00 00"}});
    auto other = w.create(w.msa_anim, {{"self", false}, {"name", "Jeanne Martin"}, {"org_id", w.msa}, {"role", "cdt_msa"},
                                       {"consent", true}, {"audience", "region"}, {"departements", {"29"}}, {"email", "jeanne@msa.fr"}});
    auto json_me = w.get(w.cpam_member, me);
    CHECK(json_me["name"] == "Nom membre@cpam.fr");
    CHECK(json_me["org"]["id"] == w.cpam);
    CHECK(json_me["contact"]["email"] == "membre@cpam.fr");
    CHECK(json_me["territory"]["region"].is_null());
    CHECK(w.get(w.msa_anim, other)["territory"]["region"]["code"] == "53");  // deduced from the département

    // Organisation audience: the CPAM's animateur sees it, the MSA's does not (not found).
    CHECK(w.get(w.cpam_anim, me)["id"] == me);
    CHECK_THROWS_AS(w.get(w.msa_anim, me), api_error);
    CHECK_THROWS_AS(w.get(w.loner, me), api_error);
    CHECK(w.get(w.admin, me)["id"] == me);
    // Région audience: the MSA (Bretagne) sees it, the CPAM (Hauts-de-France) and someone
    // without an organisation do not.
    CHECK(w.get(w.msa_anim, other)["id"] == other);
    CHECK_THROWS_AS(w.get(w.cpam_anim, other), api_error);
    CHECK_THROWS_AS(w.get(w.loner, other), api_error);

    // Consent withdrawn: hidden at once from everyone but the person and administrators.
    w.pool.write_sync([&](db::connection& c) { w.svc.update_person(c, w.v(w.cpam_member), me, {{"consent", false}}, t0 + 10); });
    CHECK_THROWS_AS(w.get(w.cpam_anim, me), api_error);
    CHECK(w.get(w.cpam_member, me)["consent"] == false);
    CHECK(w.get(w.admin, me)["id"] == me);
    // Asked by id for an entry one may not see: "not found", the same as for none.
    try {
        w.get(w.msa_anim, me);
    } catch (const api_error& e) {
        CHECK(e.code() == "introuvable");
    }
    // The matrix and the gaps count only what the viewer may see.
    w.pool.write_sync([&](db::connection& c) {
        w.svc.set_entry(c, w.v(w.msa_anim), other, "diagnostic", {{"level", "referent"}, {"scope", "regional"}}, t0);
    });
    json m;
    w.pool.read_sync([&](db::connection& c) { m = w.svc.matrix(c, w.v(w.cpam_anim), "organisation", "", t0); });
    CHECK(m["columns"].empty());
    w.pool.read_sync([&](db::connection& c) { m = w.svc.matrix(c, w.v(w.msa_anim), "organisation", "", t0); });
    REQUIRE(m["columns"].size() == 1);
    CHECK(m["rows"][0]["domain"]["code"] == "diagnostic");
    CHECK(m["rows"][0]["cells"][0]["referents"] == 1);
    // Someone without an organisation counts in a last column of their own.
    auto free = w.create(w.admin, {{"self", false}, {"name", "Paul Libre"}, {"role", "dam"}, {"consent", true},
                                   {"audience", "network"}, {"region", "53"}});
    w.pool.write_sync([&](db::connection& c) {
        w.svc.set_entry(c, w.v(w.admin), free, "diagnostic", {{"level", "pratique"}}, t0);
    });
    w.pool.read_sync([&](db::connection& c) { m = w.svc.matrix(c, w.v(w.msa_anim), "organisation", "", t0); });
    REQUIRE(m["columns"].size() == 2);
    CHECK(m["columns"][1]["key"] == "none");
    CHECK(m["columns"][1]["label"] == "Sans organisation");
    CHECK(m["rows"][0]["cells"][0]["referents"] == 1);
    CHECK(m["rows"][0]["cells"][1]["referents"] == 0);
    CHECK(m["rows"][0]["cells"][1]["practitioners"] == 1);
}

TEST_CASE("expertise: who may change, validate, a new claim needs a new validation", "[expertise]") {
    expertise_db w;
    auto me = w.create(w.cpam_member, {{"role", "dam"}, {"consent", true}});
    auto set = [&](std::int64_t as, const std::string& domain, const json& body) {
        return w.code_of([&](db::connection& c) { w.svc.set_entry(c, w.v(as), me, domain, body, t0 + 100); });
    };
    CHECK(set(w.cpam_member, "diagnostic", {{"level", "pratique"}, {"scope", "local"}, {"note", "Diagnostics de deux CPTS"}}) == "");
    CHECK(set(w.cpam_anim, "financement", {{"level", "referent"}}) == "");  // animateurs may edit
    CHECK(set(w.loner, "prevention", {{"level", "notions"}}) == "fiche_non_modifiable");
    CHECK(set(w.msa_anim, "prevention", {{"level", "notions"}}) == "fiche_non_modifiable");  // another organisation's animateur
    CHECK(set(w.admin, "prevention", {{"level", "notions"}}) == "");
    CHECK(set(w.cpam_member, "inconnu", {{"level", "notions"}}) == "domaine_inconnu");
    CHECK(set(w.cpam_member, "prevention", {{"level", "expert"}}) == "champ_invalide");
    CHECK(set(w.cpam_member, "prevention", {{"level", "notions"}, {"scope", "mondial"}}) == "champ_invalide");
    CHECK(set(w.cpam_member, "prevention", {{"level", "notions"}, {"note", std::string(1001, 'x')}}) == "champ_invalide");

    auto validate = [&](std::int64_t as, const std::string& domain, bool valid) {
        return w.code_of([&](db::connection& c) { w.svc.validate(c, w.v(as), me, domain, valid, t0 + 200); });
    };
    // Only an animateur or administrator of the person's organisation, not the person.
    CHECK(validate(w.msa_anim, "diagnostic", true) == "validation_reservee");
    CHECK(validate(w.admin, "diagnostic", true) == "validation_reservee");
    CHECK(validate(w.cpam_member, "diagnostic", true) == "validation_reservee");
    CHECK(validate(w.cpam_anim, "diagnostic", true) == "");
    CHECK(validate(w.cpam_anim, "juridique", true) == "domaine_inconnu");
    w.pool.write_sync([&](db::connection& c) { w.svc.remove_entry(c, w.v(w.admin), me, "prevention"); });
    CHECK(validate(w.cpam_anim, "prevention", true) == "introuvable");  // no such entry
    auto j = w.get(w.cpam_member, me);
    const auto entry = [&](const json& person, const std::string& code) {
        for (const auto& e : person["entries"])
            if (e["domain"]["code"] == code) return e;
        return json();
    };
    CHECK(entry(j, "diagnostic")["validated"]["by"]["id"] == w.cpam_anim);
    CHECK(entry(j, "diagnostic")["validated"]["by"]["name"] == "Nom anim@cpam.fr");
    // The same claim again keeps the validation; a higher level needs a new one.
    CHECK(set(w.cpam_member, "diagnostic", {{"level", "pratique"}, {"scope", "local"}, {"note", "Trois CPTS"}}) == "");
    CHECK_FALSE(entry(w.get(w.cpam_member, me), "diagnostic")["validated"].is_null());
    CHECK(set(w.cpam_member, "diagnostic", {{"level", "referent"}, {"scope", "local"}}) == "");
    CHECK(entry(w.get(w.cpam_member, me), "diagnostic")["validated"].is_null());
    // A move to another organisation drops the former institution's validations.
    CHECK(validate(w.cpam_anim, "diagnostic", true) == "");
    w.pool.write_sync([&](db::connection& c) { w.svc.update_person(c, w.v(w.admin), me, {{"org_id", w.msa}}, t0 + 300); });
    CHECK(entry(w.get(w.cpam_member, me), "diagnostic")["validated"].is_null());
}

TEST_CASE("expertise: duplicates and bad input change nothing", "[expertise]") {
    expertise_db w;
    auto count = [&] {
        std::int64_t n = 0;
        w.pool.read_sync([&](db::connection& c) {
            auto s = c.prepare("SELECT count(*) FROM expertise_people");
            s.step();
            n = s.get_int(0);
        });
        return n;
    };
    auto create = [&](std::int64_t as, const json& body) {
        return w.code_of([&](db::connection& c) { w.svc.create_person(c, w.v(as), body, t0); });
    };
    CHECK(create(w.cpam_member, {{"role", "dam"}, {"consent", true}}) == "");
    CHECK(create(w.cpam_member, {{"role", "dam"}, {"consent", true}}) == "personne_existante");  // once per account
    CHECK(create(w.cpam_anim, {{"self", false}, {"name", "  NOM membre@cpam.fr "}, {"org_id", w.cpam}, {"role", "dam"},
                               {"consent", true}}) == "personne_existante");  // same name, same organisation
    CHECK(create(w.cpam_anim, {{"self", false}, {"name", "Paul"}, {"role", "dam"}, {"consent", true}, {"email", "MEMBRE@cpam.fr"}}) ==
          "personne_existante");  // same address
    CHECK(create(w.loner, {{"self", false}, {"name", "Quelqu'un"}, {"role", "dam"}, {"consent", true}}) == "fiche_non_modifiable");
    CHECK(create(w.loner, {{"role", "inconnu"}, {"consent", true}}) == "champ_invalide");
    CHECK(create(w.loner, {{"role", "dam"}}) == "champ_invalide");  // consent must be said
    CHECK(create(w.loner, {{"role", "dam"}, {"consent", true}, {"region", "99"}}) == "territoire_inconnu");
    CHECK(create(w.loner, {{"role", "dam"}, {"consent", true}, {"departements", {"62", "100"}}}) == "territoire_inconnu");
    CHECK(create(w.loner, {{"role", "dam"}, {"consent", true}, {"audience", "monde"}}) == "champ_invalide");
    CHECK(create(w.loner, {{"role", "dam"}, {"consent", true}, {"email", "pas une adresse"}}) == "champ_invalide");
    CHECK(create(w.loner, {{"role", "dam"}, {"consent", true}, {"phone", "<script>"}}) == "champ_invalide");
    CHECK(create(w.loner, {{"role", "dam"}, {"consent", true}, {"name", std::string(201, 'a')}}) == "champ_invalide");
    CHECK(create(w.loner, {{"role", "dam"}, {"consent", true}, {"org_id", 999}}) == "champ_invalide");
    // A région and départements that disagree (Île-de-France, Nord).
    CHECK(create(w.loner, {{"role", "dam"}, {"consent", true}, {"region", "11"}, {"departements", {"59"}}}) == "territoire_inconnu");
    CHECK(count() == 1);
    // Changed: départements alone carry their région with them; a région that excludes the
    // départements kept is refused, and changes nothing.
    auto me = w.create(w.loner, {{"role", "dam"}, {"consent", true}, {"departements", {"62"}}});
    CHECK(w.get(w.loner, me)["territory"]["region"]["code"] == "32");
    w.pool.write_sync([&](db::connection& c) { w.svc.update_person(c, w.v(w.loner), me, {{"departements", {"29"}}}, t0); });
    CHECK(w.get(w.loner, me)["territory"]["region"]["code"] == "53");
    CHECK(w.code_of([&](db::connection& c) { w.svc.update_person(c, w.v(w.loner), me, {{"region", "11"}}, t0); }) == "territoire_inconnu");
    CHECK(w.get(w.loner, me)["territory"]["departements"][0]["code"] == "29");
    w.pool.write_sync([&](db::connection& c) {
        w.svc.update_person(c, w.v(w.loner), me, {{"region", "11"}, {"departements", json::array()}}, t0);
    });
    CHECK(w.get(w.loner, me)["territory"]["region"]["code"] == "11");
    CHECK(w.get(w.loner, me)["territory"]["departements"].empty());
    w.pool.write_sync([&](db::connection& c) { w.svc.delete_person(c, w.v(w.loner), me, 1000); });
    CHECK(count() == 1);
    // Vocabulary: admins extend it; codes are checked.
    CHECK(w.code_of([&](db::connection& c) { w.svc.add_domain(c, {{"code", "diagnostic"}, {"label", "x"}}, t0); }) == "domaine_existant");
    CHECK(w.code_of([&](db::connection& c) { w.svc.add_domain(c, {{"code", "Avec Espace"}, {"label", "x"}}, t0); }) == "champ_invalide");
    CHECK(w.code_of([&](db::connection& c) { w.svc.add_role(c, {{"code", "dam"}, {"label", "x"}}); }) == "role_existant");
    CHECK(w.code_of([&](db::connection& c) { w.svc.add_role(c, {{"code", "Dam"}, {"label", "x"}}); }) == "champ_invalide");
    CHECK(w.code_of([&](db::connection& c) { w.svc.add_domain(c, {{"code", "sas"}, {"label", "SAS"}, {"phases", {"inconnue"}}}, t0); }) ==
          "champ_invalide");
}

TEST_CASE("expertise: staleness, « toujours d'actualité », reminders in time", "[expertise]") {
    expertise_db w;
    auto me = w.create(w.cpam_member, {{"role", "dam"}, {"consent", true}});
    auto offline = w.create(w.cpam_anim, {{"self", false}, {"name", "Sans compte"}, {"role", "dam"}, {"consent", true}});
    w.pool.write_sync([&](db::connection& c) {
        w.svc.set_entry(c, w.v(w.cpam_member), me, "diagnostic", {{"level", "referent"}}, t0);
        w.svc.set_entry(c, w.v(w.cpam_member), me, "financement", {{"level", "pratique"}}, t0 + 200 * day);
        w.svc.set_entry(c, w.v(w.cpam_anim), offline, "diagnostic", {{"level", "pratique"}}, t0);
    });
    const auto stale = [&](std::int64_t at) {
        std::vector<std::string> out;
        const json person = w.get(w.cpam_member, me, at);  // (named: a temporary's member would dangle)
        for (const auto& e : person["entries"])
            if (e["stale"].get<bool>()) out.push_back(e["domain"]["code"]);
        return out;
    };
    CHECK(stale(t0 + 364 * day).empty());
    CHECK(stale(t0 + 366 * day) == std::vector<std::string>{"diagnostic"});
    // Reminders: only to people with an account, once per period.
    std::vector<expertise::service::reminder> r;
    w.pool.write_sync([&](db::connection& c) { r = w.svc.take_reminders(c, t0 + 364 * day); });
    CHECK(r.empty());
    w.pool.write_sync([&](db::connection& c) { r = w.svc.take_reminders(c, t0 + 366 * day); });
    REQUIRE(r.size() == 1);
    CHECK(r[0].user_id == w.cpam_member);
    CHECK(r[0].domains == std::vector<std::string>{"Diagnostic territorial"});
    w.pool.write_sync([&](db::connection& c) { r = w.svc.take_reminders(c, t0 + 380 * day); });
    CHECK(r.empty());
    w.pool.write_sync([&](db::connection& c) { r = w.svc.take_reminders(c, t0 + 397 * day); });
    CHECK(r.size() == 1);
    // One click: everything confirmed as of now.
    w.pool.write_sync([&](db::connection& c) { w.svc.confirm(c, w.v(w.cpam_member), me, std::nullopt, t0 + 400 * day); });
    CHECK(stale(t0 + 400 * day).empty());
    CHECK(stale(t0 + 764 * day).empty());
    CHECK(stale(t0 + 766 * day).size() == 2);
    CHECK(w.code_of([&](db::connection& c) { w.svc.confirm(c, w.v(w.loner), me, std::nullopt, t0); }) == "fiche_non_modifiable");
    // The gaps list stale entries: in the région, those of people there (through their
    // organisation); everywhere, the one without an account or territory too.
    json g;
    w.pool.read_sync([&](db::connection& c) { g = w.svc.gaps(c, w.v(w.admin), "32", t0 + 766 * day); });
    CHECK(g["stale"].size() == 2);
    w.pool.read_sync([&](db::connection& c) { g = w.svc.gaps(c, w.v(w.admin), "", t0 + 766 * day); });
    CHECK(g["stale"].size() == 3);
}

TEST_CASE("expertise: the matrix by département and the gaps of a région", "[expertise]") {
    expertise_db w;
    // A référent for the Pas-de-Calais, one for the whole région (scope régional), a
    // practitioner in the Nord; diagnostic has two référents, financement one, prévention none.
    auto a = w.create(w.cpam_anim, {{"self", false}, {"name", "Anne"}, {"org_id", w.cpam}, {"role", "dam"}, {"consent", true},
                                    {"departements", {"62"}}});
    auto b = w.create(w.cpam_anim, {{"self", false}, {"name", "Bruno"}, {"org_id", w.cpam}, {"role", "roc_medical"}, {"consent", true},
                                    {"region", "32"}});
    auto c3 = w.create(w.cpam_anim, {{"self", false}, {"name", "Chloé"}, {"role", "dam"}, {"consent", true}, {"departements", {"59"}}});
    w.pool.write_sync([&](db::connection& c) {
        auto v = w.v(w.cpam_anim);
        w.svc.set_entry(c, v, a, "diagnostic", {{"level", "referent"}, {"scope", "local"}}, t0);
        w.svc.set_entry(c, v, b, "diagnostic", {{"level", "referent"}, {"scope", "regional"}}, t0);
        w.svc.set_entry(c, v, b, "financement", {{"level", "referent"}, {"scope", "local"}}, t0);
        w.svc.set_entry(c, v, c3, "financement", {{"level", "pratique"}}, t0);
    });
    json m;
    w.pool.read_sync([&](db::connection& c) { m = w.svc.matrix(c, w.v(w.admin), "departement", "32", t0); });
    REQUIRE(m["columns"].size() == 5);  // 02, 59, 60, 62, 80
    const auto cell = [&](const std::string& domain, const std::string& dep) {
        std::size_t col = 0;
        for (; col < m["columns"].size(); ++col)
            if (m["columns"][col]["key"] == dep) break;
        for (const auto& row : m["rows"])
            if (row["domain"]["code"] == domain) return row["cells"][col];
        return json();
    };
    CHECK(cell("diagnostic", "62")["referents"] == 2);  // Anne, and Bruno for the whole région
    CHECK(cell("diagnostic", "59")["referents"] == 1);
    CHECK(cell("financement", "59")["referents"] == 1);
    CHECK(cell("financement", "59")["practitioners"] == 1);
    CHECK(cell("prevention", "80")["referents"] == 0);
    json g;
    w.pool.read_sync([&](db::connection& c) { g = w.svc.gaps(c, w.v(w.admin), "32", t0); });
    std::map<std::string, std::size_t> without;
    for (const auto& x : g["without_referent"]) without[x["domain"]["code"]] = x["departements"].size();
    CHECK(without.count("diagnostic") == 0);  // covered everywhere through Bruno's regional scope
    CHECK(without["prevention"] == 5);
    CHECK(without.count("financement") == 0);  // Bruno is in the région without naming départements
    std::set<std::string> single;
    for (const auto& x : g["single_referent"]) single.insert(x["domain"]["code"]);
    CHECK(single == std::set<std::string>{"financement"});
    CHECK_THROWS_AS(w.pool.read_sync([&](db::connection& c) { w.svc.matrix(c, w.v(w.admin), "departement", "", t0); }), api_error);
    CHECK_THROWS_AS(w.pool.read_sync([&](db::connection& c) { w.svc.matrix(c, w.v(w.admin), "ville", "32", t0); }), api_error);
    CHECK_THROWS_AS(w.pool.read_sync([&](db::connection& c) { w.svc.gaps(c, w.v(w.admin), "99", t0); }), api_error);
}

TEST_CASE("expertise: the ranking of candidates, factor by factor", "[expertise][matching]") {
    using expertise::match_facts;
    using expertise::match_score;
    match_facts base;
    base.need_domains = 2;
    base.practice = 1;
    base.proximity = 2;
    const double b = match_score(base);
    CHECK(b > 0);
    // No matching domain: not a candidate.
    match_facts none = base;
    none.practice = 0;
    CHECK(match_score(none) == 0);
    // Each factor moves the score the right way, the others equal.
    match_facts f = base;
    f.practice = 0;
    f.referent = 1;
    CHECK(match_score(f) > b);  // level
    f = base;
    f.practice = 2;
    CHECK(match_score(f) > b);  // more of the need's domains
    f = base;
    f.proximity = 3;
    CHECK(match_score(f) > b);  // same département
    f.proximity = 1;
    CHECK(match_score(f) < b);  // national only
    f = base;
    f.validated = 1;
    CHECK(match_score(f) > b);  // validated by their institution
    f = base;
    f.stale = 1;
    CHECK(match_score(f) < b);  // not confirmed lately
    f = base;
    f.load = 2;
    CHECK(match_score(f) < b);  // busy
    f.load = 50;
    CHECK(match_score(f) > 0);  // still proposed
    // Domain match outweighs the rest: a référent far away beats notions next door.
    match_facts far, near;
    far.need_domains = near.need_domains = 1;
    far.referent = 1;
    far.proximity = 1;
    near.notions = 1;
    near.proximity = 3;
    near.validated = 1;
    CHECK(match_score(far) > match_score(near));
}

TEST_CASE("expertise: needs — who declares, proposals explained, assignment and states", "[expertise][needs]") {
    expertise_db w;
    std::int64_t cpts = 0, cpts_member = 0, other_cpts = 0;
    w.pool.write_sync([&](db::connection& c) {
        cpts = auth::store::insert_org(c, auth::org{0, "CPTS du Ternois", "cpts", "32", {"62"}, 0}, 0);
        other_cpts = auth::store::insert_org(c, auth::org{0, "CPTS de Lens", "cpts", "32", {"62"}, 0}, 0);
        auth::user u;
        u.email = "coord@ternois.fr";
        u.name = "Coordinatrice";
        u.role = "membre";
        u.password_hash = "x";
        u.org_id = cpts;
        cpts_member = auth::store::insert_user(c, u, 0);
    });
    w.pool.read_sync([&](db::connection& c) { w.viewers[cpts_member] = w.svc.viewer_of(c, cpts_member); });
    // People: a référent next door (validated), a practitioner in Bretagne, a national référent.
    auto near = w.create(w.cpam_anim, {{"self", false}, {"name", "Proche"}, {"org_id", w.cpam}, {"role", "dam"}, {"consent", true},
                                       {"departements", {"62"}}});
    auto far = w.create(w.msa_anim, {{"self", false}, {"name", "Lointain"}, {"org_id", w.msa}, {"role", "cdt_msa"}, {"consent", true},
                                     {"departements", {"29"}}});
    auto national = w.create(w.admin, {{"self", false}, {"name", "National"}, {"role", "roc_medical"}, {"consent", true}});
    w.pool.write_sync([&](db::connection& c) {
        w.svc.set_entry(c, w.v(w.cpam_anim), near, "diagnostic", {{"level", "referent"}}, t0);
        w.svc.validate(c, w.v(w.cpam_anim), near, "diagnostic", true, t0);
        w.svc.set_entry(c, w.v(w.msa_anim), far, "diagnostic", {{"level", "pratique"}}, t0);
        w.svc.set_entry(c, w.v(w.admin), national, "diagnostic", {{"level", "referent"}, {"scope", "national"}}, t0);
        w.svc.set_entry(c, w.v(w.admin), national, "financement", {{"level", "pratique"}, {"scope", "national"}}, t0);
    });
    auto need_code = [&](std::int64_t as, const json& body) {
        return w.code_of([&](db::connection& c) { w.svc.create_need(c, w.v(as), body, t0); });
    };
    const json need_body = {{"title", "Préparer le diagnostic territorial"}, {"cpts_org_id", cpts}, {"domains", {"diagnostic", "financement"}},
                            {"phase", "diagnostic"}, {"urgency", "prioritaire"}};
    // Members declare for their own CPTS only; animateurs for any, or for a CPTS in project.
    CHECK(need_code(cpts_member, need_body) == "");
    json other_body = need_body;
    other_body["cpts_org_id"] = other_cpts;
    CHECK(need_code(cpts_member, other_body) == "cpts_non_autorisee");
    CHECK(need_code(w.loner, {{"title", "x"}, {"cpts_name", "CPTS en projet"}, {"domains", {"diagnostic"}}}) == "cpts_non_autorisee");
    CHECK(need_code(w.cpam_anim, {{"title", "x"}, {"cpts_name", "CPTS en projet"}, {"domains", {"diagnostic"}}, {"departements", {"62"}}}) == "");
    CHECK(need_code(w.cpam_anim, {{"title", "x"}, {"cpts_org_id", w.cpam}, {"domains", {"diagnostic"}}}) == "champ_invalide");  // not a CPTS
    CHECK(need_code(w.cpam_anim, {{"title", "x"}, {"cpts_org_id", cpts}, {"domains", {"astrologie"}}}) == "domaine_inconnu");
    CHECK(need_code(w.cpam_anim, {{"title", "x"}, {"cpts_org_id", cpts}, {"domains", json::array()}}) == "champ_invalide");
    CHECK(need_code(w.cpam_anim, {{"title", "x"}, {"cpts_org_id", cpts}, {"domains", {"diagnostic"}}, {"urgency", "hier"}}) == "champ_invalide");
    CHECK(need_code(w.cpam_anim, {{"title", std::string(201, 'x')}, {"cpts_org_id", cpts}, {"domains", {"diagnostic"}}}) == "champ_invalide");
    std::int64_t need = 0;
    w.pool.read_sync([&](db::connection& c) {
        auto s = c.prepare("SELECT min(id) FROM expertise_needs");
        s.step();
        need = s.get_int(0);
    });
    json n;
    w.pool.read_sync([&](db::connection& c) { n = w.svc.need_json(c, need, 0); });
    CHECK(n["territory"]["departements"][0]["code"] == "62");  // the CPTS's territory
    CHECK(n["state"] == "open");
    CHECK(n["history"].size() == 1);

    // Proposals: the validated référent next door first; each explained.
    json props;
    w.pool.read_sync([&](db::connection& c) { props = w.svc.proposals(c, w.v(w.cpam_anim), need, t0, 10); });
    REQUIRE(props.size() == 3);
    CHECK(props[0]["person"]["name"] == "Proche");     // référent, validated, same département
    CHECK(props[1]["person"]["name"] == "National");   // référent and practitioner of both domains, national
    CHECK(props[2]["person"]["name"] == "Lointain");   // practitioner elsewhere
    CHECK(props[0]["score"].get<double>() > props[1]["score"].get<double>());
    std::string reasons;
    for (const auto& r : props[0]["reasons"]) reasons += r.get<std::string>() + " | ";
    CHECK(reasons.find("Référent en «\u00A0Diagnostic territorial\u00A0» (validé par son institution)") != std::string::npos);
    CHECK(reasons.find("même département") != std::string::npos);
    CHECK(reasons.find("Couvre 1 des 2 domaines") != std::string::npos);

    // Assignment by an animateur; the assignee moves it on; transitions are checked.
    auto version = n["version"].get<std::int64_t>();
    CHECK(w.code_of([&](db::connection& c) { w.svc.assign(c, w.v(cpts_member), need, near, version, t0); }) == "acces_refuse");
    CHECK(w.code_of([&](db::connection& c) { w.svc.assign(c, w.v(w.cpam_anim), need, near, version + 5, t0); }) == "besoin_modifie");
    std::vector<std::int64_t> told;
    w.pool.write_sync([&](db::connection& c) { told = w.svc.assign(c, w.v(w.cpam_anim), need, near, version, t0 + 10); });
    CHECK(told == std::vector<std::int64_t>{cpts_member});  // the person has no account; the declarer is told
    w.pool.read_sync([&](db::connection& c) { n = w.svc.need_json(c, need, 0); });
    CHECK(n["state"] == "assigned");
    CHECK(n["assignee"]["name"] == "Proche");
    // The same person again: nothing changes, no one is told twice.
    w.pool.write_sync([&](db::connection& c) { told = w.svc.assign(c, w.v(w.cpam_anim), need, near, n["version"].get<std::int64_t>(), t0 + 11); });
    CHECK(told.empty());
    json same;
    w.pool.read_sync([&](db::connection& c) { same = w.svc.need_json(c, need, 0); });
    CHECK(same["version"] == n["version"]);
    CHECK(same["history"].size() == n["history"].size());
    auto state = [&](std::int64_t as, const std::string& to) {
        std::int64_t v = 0;
        w.pool.read_sync([&](db::connection& c) { v = w.svc.need_json(c, need, 0)["version"].get<std::int64_t>(); });
        return w.code_of([&](db::connection& c) { w.svc.set_need_state(c, w.v(as), need, to, v, t0 + 20); });
    };
    CHECK(state(w.cpam_anim, "open") == "");  // unassigned
    CHECK(state(w.cpam_anim, "done") == "transition_impossible");
    w.pool.write_sync([&](db::connection& c) {
        w.svc.assign(c, w.v(w.cpam_anim), need, national, w.svc.need_json(c, need, 0)["version"].get<std::int64_t>(), t0 + 30);
    });
    CHECK(state(cpts_member, "in_progress") == "acces_refuse");
    CHECK(state(w.cpam_anim, "in_progress") == "");
    CHECK(state(w.cpam_anim, "done") == "");
    CHECK(state(w.cpam_anim, "closed") == "transition_impossible");
    CHECK(state(w.cpam_anim, "ailleurs") == "champ_invalide");
    w.pool.read_sync([&](db::connection& c) { n = w.svc.need_json(c, need, 0); });
    CHECK(n["state"] == "done");
    CHECK(n["history"].size() == 6);  // created, assigned, reopened, assigned, in progress, done
    // A person deleted while a need is theirs: the need is open again, with a history line.
    std::int64_t second = 0;
    w.pool.write_sync([&](db::connection& c) {
        second = w.svc.create_need(c, w.v(cpts_member), need_body, t0 + 40);
        w.svc.assign(c, w.v(w.cpam_anim), second, near, w.svc.need_json(c, second, 0)["version"].get<std::int64_t>(), t0 + 41);
    });
    std::vector<std::int64_t> reopened;
    w.pool.write_sync([&](db::connection& c) { reopened = w.svc.delete_person(c, w.v(w.cpam_anim), near, t0 + 50); });
    CHECK(reopened == std::vector<std::int64_t>{second});
    json after;
    w.pool.read_sync([&](db::connection& c) { after = w.svc.need_json(c, second, 0); });
    CHECK(after["state"] == "open");
    CHECK(after["assignee"].is_null());
    CHECK(after["history"].back()["kind"] == "state");
    CHECK(after["history"].back()["detail"]["to"] == "open");
    CHECK(after["history"].back()["detail"]["person"]["name"] == "Proche");
    // The need already done stays done (and names no one any more).
    w.pool.read_sync([&](db::connection& c) { n = w.svc.need_json(c, need, 0); });
    CHECK(n["state"] == "done");
    // Load: a person with a need in progress ranks lower than before for the next one.
    json list;
    w.pool.read_sync([&](db::connection& c) { list = w.svc.needs_json(c, "done", 0); });
    CHECK(list.size() == 1);
    CHECK_THROWS_AS(w.pool.read_sync([&](db::connection& c) { w.svc.needs_json(c, "perdu", 0); }), api_error);
    (void)far;
}

TEST_CASE("expertise: the directory searches within what the viewer may see, without HTTP", "[expertise][directory]") {
    expertise_db w;
    search::index idx(w.dir.path / "index");
    auto me = w.create(w.cpam_member, {{"role", "dam"}, {"consent", true}, {"audience", "organisation"}});
    auto jeanne = w.create(w.msa_anim, {{"self", false}, {"name", "Jeanne Martin"}, {"org_id", w.msa}, {"role", "cdt_msa"},
                                        {"consent", true}, {"audience", "region"}, {"departements", {"29"}}});
    auto paul = w.create(w.cpam_anim, {{"self", false}, {"name", "Paul Durand"}, {"role", "roc_medical"}, {"consent", true},
                                       {"audience", "network"}});
    auto hidden = w.create(w.cpam_anim, {{"self", false}, {"name", "Sans Accord"}, {"role", "dam"}, {"consent", false},
                                         {"audience", "network"}});
    w.pool.write_sync([&](db::connection& c) {
        w.svc.set_entry(c, w.v(w.cpam_member), me, "diagnostic", {{"level", "pratique"}, {"note", "Diagnostic du Ternois"}}, t0);
        w.svc.set_entry(c, w.v(w.msa_anim), jeanne, "diagnostic", {{"level", "referent"}, {"scope", "regional"}}, t0);
        w.svc.set_entry(c, w.v(w.cpam_anim), paul, "financement", {{"level", "notions"}}, t0);
    });
    // Indexed as the indexer does (it adds the type facet); no document without consent.
    w.pool.read_sync([&](db::connection& c) {
        for (auto id : {me, jeanne, paul, hidden})
            if (auto d = w.svc.search_document(c, id, t0)) {
                d->facets["type"] = {"expertise"};
                idx.put(*d);
            }
        CHECK_FALSE(w.svc.search_document(c, hidden, t0));
        CHECK(w.svc.listed_count(c) == 3);
        CHECK(w.svc.person_ids(c).size() == 4);
    });
    idx.commit();

    const auto find = [&](std::int64_t as, const expertise::directory_query& q) {
        json out;
        w.pool.read_sync([&](db::connection& c) { out = w.svc.directory(c, idx, w.v(as), q, t0); });
        return out;
    };
    const auto names = [](const json& found) {
        std::set<std::string> out;
        for (const auto& p : found["people"]) out.insert(p["name"].get<std::string>());
        return out;
    };
    const std::string me_name = "Nom membre@cpam.fr";
    // Each viewer: the network, their région, their organisation; administrators: everyone listed.
    CHECK(names(find(w.cpam_anim, {})) == std::set<std::string>{me_name, "Paul Durand"});
    CHECK(names(find(w.msa_anim, {})) == std::set<std::string>{"Jeanne Martin", "Paul Durand"});
    CHECK(names(find(w.loner, {})) == std::set<std::string>{"Paul Durand"});
    auto all = find(w.admin, {});
    CHECK(names(all) == std::set<std::string>{me_name, "Jeanne Martin", "Paul Durand"});
    CHECK(all["total"] == 3);
    CHECK(all["facets"]["domain"]["diagnostic"] == 2);
    CHECK(all["facets"]["departement"]["29"] == 1);

    // Filters: a domain, at a level; words.
    expertise::directory_query q;
    q.domain = "diagnostic";
    CHECK(names(find(w.admin, q)) == std::set<std::string>{me_name, "Jeanne Martin"});
    q.level = "referent";
    CHECK(names(find(w.admin, q)) == std::set<std::string>{"Jeanne Martin"});
    q.level = "pratique";
    CHECK(names(find(w.admin, q)) == std::set<std::string>{me_name, "Jeanne Martin"});
    expertise::directory_query words;
    words.text = "Ternois";
    CHECK(names(find(w.admin, words)) == std::set<std::string>{me_name});
    expertise::directory_query page;
    page.limit = 1;
    CHECK(find(w.admin, page)["people"].size() == 1);

    // Bad codes are refused with their own error.
    const auto refused = [&](expertise::directory_query bad) {
        return ::code_of([&] { find(w.admin, bad); });
    };
    expertise::directory_query bad;
    bad.domain = "inconnu";
    CHECK(refused(bad) == "domaine_inconnu");
    bad = {};
    bad.level = "referent";  // a level needs a domain
    CHECK(refused(bad) == "champ_invalide");
    bad.domain = "diagnostic";
    bad.level = "expert";
    CHECK(refused(bad) == "champ_invalide");
    bad = {};
    bad.departement = "99";
    CHECK(refused(bad) == "territoire_inconnu");
    bad = {};
    bad.region = "00";
    CHECK(refused(bad) == "territoire_inconnu");

    // Consent withdrawn: gone from the directory at once, before the index catches up.
    w.pool.write_sync([&](db::connection& c) { w.svc.update_person(c, w.v(w.cpam_member), me, {{"consent", false}}, t0 + 10); });
    CHECK(names(find(w.cpam_anim, {})) == std::set<std::string>{"Paul Durand"});
    CHECK(names(find(w.admin, {})) == std::set<std::string>{"Jeanne Martin", "Paul Durand"});
}

TEST_CASE("expertise: a member speaks for themselves only (their organisation, their address)", "[expertise]") {
    expertise_db w;
    auto field_of = [&](const std::function<void(db::connection&)>& f) {
        try {
            w.pool.write_sync(f);
        } catch (const api_error& e) {
            return std::string(e.code()) + "/" + e.field();
        }
        return std::string("accepted");
    };
    // Another institution, or someone else's address, on one's own fiche: refused.
    CHECK(field_of([&](db::connection& c) {
              w.svc.create_person(c, w.v(w.cpam_member), {{"role", "dam"}, {"consent", true}, {"org_id", w.msa}}, t0);
          }) == "champ_invalide/org_id");
    CHECK(field_of([&](db::connection& c) {
              w.svc.create_person(c, w.v(w.cpam_member), {{"role", "dam"}, {"consent", true}, {"email", "dg@ars.sante.fr"}}, t0);
          }) == "champ_invalide/email");
    // Their own organisation and address (in any case) are theirs to give.
    auto me = w.create(w.cpam_member, {{"role", "dam"}, {"consent", true}, {"org_id", w.cpam}, {"email", "Membre@CPAM.fr"}});
    CHECK(w.get(w.cpam_member, me)["org"]["id"] == w.cpam);
    CHECK(field_of([&](db::connection& c) { w.svc.update_person(c, w.v(w.cpam_member), me, {{"org_id", w.msa}}, t0); }) ==
          "champ_invalide/org_id");
    CHECK(field_of([&](db::connection& c) { w.svc.update_person(c, w.v(w.cpam_member), me, {{"email", "autre@x.fr"}}, t0); }) ==
          "champ_invalide/email");
    CHECK(field_of([&](db::connection& c) { w.svc.update_person(c, w.v(w.cpam_member), me, {{"org_id", nullptr}, {"phone", "0321"}}, t0); }) ==
          "accepted");
    // An animateur enters someone else as they are.
    auto other = w.create(w.cpam_anim, {{"self", false}, {"name", "Dr Sans Compte"}, {"role", "dam"}, {"consent", true},
                                        {"org_id", w.msa}, {"email", "dr@msa.fr"}});
    CHECK(w.get(w.cpam_anim, other)["org"]["id"] == w.msa);
}
