#include "expertise/service.hpp"

#include "common/json_input.hpp"
#include "common/time.hpp"
#include "common/utf8.hpp"
#include "expertise/errors.hpp"
#include "indexing/source.hpp"
#include "outbound/smtp.hpp"
#include "reference/data.hpp"
#include "search/text.hpp"

#include <algorithm>
#include <cctype>
#include <array>
#include <cmath>
#include <map>
#include <set>
#include <unordered_map>

namespace relais::expertise {

namespace {

constexpr std::size_t max_name = 200, max_note = 1000, max_phone = 40, max_label = 120, max_description = 2000;

const std::set<std::string>& levels() {
    static const std::set<std::string> v{"notions", "pratique", "referent"};
    return v;
}
const std::set<std::string>& scopes() {
    static const std::set<std::string> v{"local", "regional", "national"};
    return v;
}
const std::set<std::string>& audiences() {
    static const std::set<std::string> v{"network", "region", "organisation"};
    return v;
}

/// A person's entry changed: the directory's index follows, and the in-memory copy of the
/// map is rebuilt by the next reader that sees the new generation.
void changed(db::connection& c, std::int64_t person) {
    indexing::enqueue(c, "expertise", person);
    c.prepare("UPDATE expertise_generation SET n = n + 1 WHERE id = 1").exec();
}
void vocabulary_changed(db::connection& c) { c.prepare("UPDATE expertise_generation SET n = n + 1 WHERE id = 1").exec(); }

std::vector<std::string> string_list(const std::string& stored) {
    std::vector<std::string> out;
    auto j = json::parse(stored, nullptr, false);
    if (j.is_array())
        for (const auto& x : j)
            if (x.is_string()) out.push_back(x.get<std::string>());
    return out;
}

std::string departement_name(std::string_view code) {
    for (const auto& d : reference::departements())
        if (d.code == code) return std::string(d.label);
    return {};
}

/// Territory codes checked against the reference data; the région is deduced from the
/// départements when they all belong to one and none was given.
void check_territory(std::string& region, std::vector<std::string>& departements) {
    if (departements.size() > 20) throw api_error(errors::invalid_field, "departements", "Vingt départements au plus.");
    std::sort(departements.begin(), departements.end());
    departements.erase(std::unique(departements.begin(), departements.end()), departements.end());
    for (const auto& d : departements)
        if (departement_name(d).empty()) throw api_error(errors::unknown_territory, "departements");
    if (!region.empty() && !reference::find_region(region)) throw api_error(errors::unknown_territory, "region");
    // Both given: the départements are the région's (one territory, not two that disagree).
    if (!region.empty())
        for (const auto& d : departements)
            if (const auto* r = reference::region_of_departement(d); !r || r->code != region)
                throw api_error(errors::unknown_territory, "departements", "Ces départements ne sont pas tous dans la région choisie.");
    if (region.empty() && !departements.empty()) {
        const auto* first = reference::region_of_departement(departements.front());
        bool same = first != nullptr;
        for (const auto& d : departements) same = same && reference::region_of_departement(d) == first;
        if (same) region = std::string(first->code);
    }
}

std::string phone_of(const json& body) {
    auto phone = json_input::optional_string(body, "phone", max_phone).value_or("");
    for (char ch : phone)
        if (!((ch >= '0' && ch <= '9') || ch == ' ' || ch == '+' || ch == '.' || ch == '-' || ch == '(' || ch == ')'))
            throw api_error(errors::invalid_field, "phone", "Numéro de téléphone invalide : chiffres, espaces, +, points, tirets et parenthèses.");
    return phone;
}

// One address whatever its case, as accounts compare them (auth folds beyond ASCII).
bool same_address(const std::string& a, const std::string& b) { return utf8_lower(a) == utf8_lower(b); }

// The viewer's own account address is taken as the account has it (auth accepts accented
// ones, which SMTP's syntax does not); any other must be one mail can be sent to.
std::string email_of(const json& body, const std::string& fallback, const std::string& account) {
    auto email = json_input::optional_string(body, "email", 254).value_or(fallback);
    if (!email.empty() && !same_address(email, account) && !outbound::valid_email(email))
        throw api_error(errors::invalid_field, "email");
    return email;
}

// A member speaks for themselves only: their fiche is in their own organisation (or none),
// whose animateurs validate it, and carries their account's address, by which people reach
// them. Animateurs and administrators enter and correct others as they are.
void check_own_identity(const viewer& v, std::optional<std::int64_t> org, const std::string& email) {
    if (v.manager()) return;
    if (org && org != v.org_id)
        throw api_error(errors::invalid_field, "org_id",
                        "Votre fiche est rattachée à votre organisation : seul un animateur peut la rattacher à une autre.");
    if (!email.empty() && !same_address(email, v.email))
        throw api_error(errors::invalid_field, "email",
                        "Votre fiche porte l'adresse de votre compte : seul un animateur peut en indiquer une autre.");
}

std::vector<std::string> departements_of(const json& body) {
    std::vector<std::string> out;
    auto it = body.find("departements");
    if (it == body.end() || it->is_null()) return out;
    if (!it->is_array()) throw api_error(errors::invalid_field, "departements");
    for (const auto& d : *it) {
        if (!d.is_string() || d.get<std::string>().size() > 3) throw api_error(errors::unknown_territory, "departements");
        out.push_back(d.get<std::string>());
    }
    return out;
}

json territory_json(const std::string& region, const std::vector<std::string>& departements) {
    json deps = json::array();
    for (const auto& d : departements) deps.push_back({{"code", d}, {"name", departement_name(d)}});
    json r = nullptr;
    if (const auto* reg = region.empty() ? nullptr : reference::find_region(region))
        r = {{"code", region}, {"name", std::string(reg->label)}};
    return {{"region", r}, {"departements", deps}};
}

/// The départements a person covers: those they named, else their région's.
std::vector<std::string> covered_departements(const person& p) {
    if (!p.departements.empty()) return p.departements;
    std::vector<std::string> out;
    if (const auto* r = p.home_region().empty() ? nullptr : reference::find_region(p.home_region()))
        for (auto d : r->departements) out.emplace_back(d);
    return out;
}

}  // namespace

bool may_see(const viewer& v, const person& p) { return may_see(v, p, p.org_region); }

bool may_see(const viewer& v, const person& p, std::string_view org_region) {
    if (v.role == "admin" || (p.user_id && *p.user_id == v.user_id)) return true;
    // Someone without an account is in the hands of who may edit their fiche, consent or
    // not: the animateur who enters them before their consent, or records its withdrawal.
    // A person with an account gives or withdraws their consent themselves.
    if (!p.user_id && may_edit(v, p)) return true;
    if (!p.consent) return false;
    if (p.audience == "network") return true;
    if (p.audience == "region") return !v.region.empty() && v.region == (p.region.empty() ? org_region : std::string_view(p.region));
    if (p.audience == "organisation") return v.org_id && p.org_id && *v.org_id == *p.org_id;
    return false;
}

bool may_edit(const viewer& v, const person& p) {
    if (v.role == "admin" || (p.user_id && *p.user_id == v.user_id)) return true;
    return v.role == "animateur" && ((v.org_id && p.org_id && *v.org_id == *p.org_id) || p.created_by == v.user_id);
}

bool may_validate(const viewer& v, const person& p) {
    return v.manager() && v.org_id && p.org_id && *v.org_id == *p.org_id && !(p.user_id && *p.user_id == v.user_id);
}

viewer service::viewer_of(db::connection& c, std::int64_t user_id) const {
    viewer v;
    v.user_id = user_id;
    if (auto u = dir_.find_user(c, user_id)) {
        v.role = u->role;
        v.org_id = u->org_id;
        v.name = u->name;
        v.email = u->email;
        if (u->org_id)
            if (auto o = dir_.find_org(c, *u->org_id); o && o->region) v.region = *o->region;
    }
    return v;
}

// ---- Vocabulary ----

json service::domains_json(db::connection& c) const {
    json out = json::array();
    auto s = c.prepare(
        "SELECT code, label, description, phases, missions, archived FROM expertise_domains ORDER BY archived, position, label");
    while (s.step())
        out.push_back({{"code", s.get_text(0)},
                       {"label", s.get_text(1)},
                       {"description", s.get_text(2)},
                       {"phases", string_list(s.get_text(3))},
                       {"missions", string_list(s.get_text(4))},
                       {"archived", s.get_int(5) != 0}});
    return out;
}

json service::roles_json(db::connection& c) const {
    json out = json::array();
    auto s = c.prepare("SELECT code, label FROM expertise_roles ORDER BY position, label");
    while (s.step()) out.push_back({{"code", s.get_text(0)}, {"label", s.get_text(1)}});
    return out;
}

namespace {

std::string code_of(const json& body) {
    auto code = json_input::required_string(body, "code", 40);
    for (char ch : code)
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_'))
            throw api_error(errors::invalid_field, "code", "Code invalide : lettres minuscules sans accent, chiffres et _.");
    return code;
}

std::vector<std::string> codes_in(const json& body, const char* field, const std::vector<reference::code_label>& known) {
    std::vector<std::string> out;
    auto it = body.find(field);
    if (it == body.end() || it->is_null()) return out;
    if (!it->is_array()) throw api_error(errors::invalid_field, field);
    for (const auto& x : *it) {
        if (!x.is_string() || std::none_of(known.begin(), known.end(), [&](const auto& k) { return k.code == x.get<std::string>(); }))
            throw api_error(errors::invalid_field, field);
        out.push_back(x.get<std::string>());
    }
    return out;
}

}  // namespace

std::int64_t service::add_domain(db::connection& c, const json& body, std::int64_t now) const {
    auto code = code_of(body);
    auto label = json_input::required_line(body, "label", max_label);
    auto description = json_input::optional_string(body, "description", max_description).value_or("");
    auto phases = codes_in(body, "phases", reference::phases());
    auto missions = codes_in(body, "missions", reference::missions());
    if (c.prepare("SELECT 1 FROM expertise_domains WHERE code = ?1").bind(1, code).step()) throw api_error(errors::domain_exists, "code");
    c.prepare("INSERT INTO expertise_domains(code, label, description, phases, missions, position, created_at) "
              "VALUES(?1, ?2, ?3, ?4, ?5, (SELECT coalesce(max(position), 0) + 1 FROM expertise_domains), ?6)")
        .bind(1, code)
        .bind(2, label)
        .bind(3, description)
        .bind(4, json(phases).dump())
        .bind(5, json(missions).dump())
        .bind(6, now)
        .exec();
    auto id = c.last_insert_id();
    vocabulary_changed(c);
    return id;
}

void service::add_role(db::connection& c, const json& body) const {
    auto code = code_of(body);
    auto label = json_input::required_line(body, "label", max_label);
    if (c.prepare("SELECT 1 FROM expertise_roles WHERE code = ?1").bind(1, code).step())
        throw api_error(errors::role_exists, "code");
    c.prepare("INSERT INTO expertise_roles(code, label, position) VALUES(?1, ?2, (SELECT coalesce(max(position), 0) + 1 FROM expertise_roles))")
        .bind(1, code)
        .bind(2, label)
        .exec();
    vocabulary_changed(c);
}

service::domain_row service::domain_by_code(db::connection& c, const std::string& code) const {
    auto s = c.prepare("SELECT id, code, label FROM expertise_domains WHERE code = ?1 AND archived = 0");
    s.bind(1, code);
    if (!s.step()) throw api_error(errors::unknown_domain, "domain");
    return {s.get_int(0), s.get_text(1), s.get_text(2)};
}

// ---- People ----

std::optional<person> service::load(db::connection& c, std::int64_t id) const {
    auto s = c.prepare(
        "SELECT id, user_id, org_id, name, role, region, departements, email, phone, consent, audience, created_by "
        "FROM expertise_people WHERE id = ?1");
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    person p;
    p.id = s.get_int(0);
    if (!s.is_null(1)) p.user_id = s.get_int(1);
    if (!s.is_null(2)) p.org_id = s.get_int(2);
    p.name = s.get_text(3);
    p.role = s.get_text(4);
    p.region = s.get_text(5);
    p.departements = string_list(s.get_text(6));
    p.email = s.get_text(7);
    p.phone = s.get_text(8);
    p.consent = s.get_int(9) != 0;
    p.audience = s.get_text(10);
    p.created_by = s.get_int(11);
    if (p.org_id)
        if (auto o = dir_.find_org(c, *p.org_id); o && o->region) p.org_region = *o->region;
    return p;
}

std::optional<std::int64_t> service::person_of_user(db::connection& c, std::int64_t user_id) const {
    auto s = c.prepare("SELECT id FROM expertise_people WHERE user_id = ?1");
    s.bind(1, user_id);
    if (!s.step()) return std::nullopt;
    return s.get_int(0);
}

std::int64_t service::create_person(db::connection& c, const viewer& v, const json& body, std::int64_t now) const {
    const bool self = json_input::optional_bool(body, "self").value_or(!v.manager());
    if (!self && !v.manager()) throw api_error(errors::not_editor);
    auto role = json_input::required_string(body, "role", 40);
    if (!c.prepare("SELECT 1 FROM expertise_roles WHERE code = ?1").bind(1, role).step()) throw api_error(errors::invalid_field, "role");
    std::string name = self ? json_input::optional_line(body, "name", max_name).value_or(v.name)
                            : json_input::required_line(body, "name", max_name);
    std::int64_t org_value = self && v.org_id ? *v.org_id : 0;
    if (auto o = json_input::optional_id(body, "org_id")) org_value = o->value_or(0);
    if (org_value && !dir_.find_org(c, org_value)) throw api_error(errors::invalid_field, "org_id", "Organisation inconnue.");
    std::string region = json_input::optional_string(body, "region", 3).value_or("");
    auto departements = departements_of(body);
    check_territory(region, departements);
    auto email = email_of(body, self ? v.email : std::string(), v.email);
    check_own_identity(v, org_value ? std::optional<std::int64_t>(org_value) : std::nullopt, email);
    if (!v.manager() && !email.empty()) email = v.email;  // the account's address, as written there
    auto phone = phone_of(body);
    auto consent = json_input::optional_bool(body, "consent");
    if (!consent) throw api_error(errors::invalid_field, "consent", "Dites si la personne accepte d'apparaître dans la cartographie.");
    auto audience = json_input::optional_string(body, "audience", 20).value_or("network");
    if (!audiences().contains(audience)) throw api_error(errors::invalid_field, "audience");
    // Duplicates: one entry per account, per e-mail address, per name within an organisation.
    const std::string key = search::fold(json_input::trim(name));
    if (self && person_of_user(c, v.user_id)) throw api_error(errors::person_exists);
    if (!email.empty() && c.prepare("SELECT 1 FROM expertise_people WHERE email = ?1 COLLATE NOCASE").bind(1, email).step())
        throw api_error(errors::person_exists, "email");
    {
        auto s = c.prepare("SELECT 1 FROM expertise_people WHERE name_key = ?1 AND coalesce(org_id, 0) = ?2");
        s.bind(1, key).bind(2, org_value);
        if (s.step()) throw api_error(errors::person_exists, "name");
    }
    auto ins = c.prepare(
        "INSERT INTO expertise_people(user_id, name, name_key, org_id, role, region, departements, email, phone, consent, "
        "consent_at, audience, created_by, created_at, updated_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14)");
    if (self)
        ins.bind(1, v.user_id);
    else
        ins.bind(1, nullptr);
    ins.bind(2, json_input::trim(name)).bind(3, key);
    if (org_value)
        ins.bind(4, org_value);
    else
        ins.bind(4, nullptr);
    ins.bind(5, role).bind(6, region).bind(7, json(departements).dump()).bind(8, email).bind(9, phone).bind(10, *consent ? 1 : 0);
    if (*consent)
        ins.bind(11, now);
    else
        ins.bind(11, nullptr);
    ins.bind(12, audience).bind(13, v.user_id).bind(14, now).exec();
    auto id = c.last_insert_id();
    changed(c, id);
    return id;
}

void service::update_person(db::connection& c, const viewer& v, std::int64_t id, const json& body, std::int64_t now) const {
    auto p = load(c, id);
    if (!p || !may_see(v, *p)) throw api_error(errors::not_found);
    if (!may_edit(v, *p)) throw api_error(errors::not_editor);
    std::string name = p->name;
    if (json_input::has(body, "name")) name = json_input::required_line(body, "name", max_name);
    auto role = p->role;
    if (json_input::has(body, "role")) {
        role = json_input::required_string(body, "role", 40);
        if (!c.prepare("SELECT 1 FROM expertise_roles WHERE code = ?1").bind(1, role).step()) throw api_error(errors::invalid_field, "role");
    }
    auto org = p->org_id;
    if (auto o = json_input::optional_id(body, "org_id")) {
        org = *o;
        if (org && !dir_.find_org(c, *org)) throw api_error(errors::invalid_field, "org_id", "Organisation inconnue.");
    }
    auto region = p->region;
    auto departements = p->departements;
    if (json_input::has(body, "region")) region = json_input::optional_string(body, "region", 3).value_or("");
    if (json_input::has(body, "departements")) {
        departements = departements_of(body);
        // New départements without a région: the région is theirs (deduced again).
        if (!json_input::has(body, "region")) region.clear();
    }
    check_territory(region, departements);
    auto email = json_input::has(body, "email") ? email_of(body, "", v.email) : p->email;
    check_own_identity(v, org != p->org_id ? org : std::nullopt, email != p->email ? email : std::string());
    if (!v.manager() && !email.empty() && same_address(email, v.email)) email = v.email;  // as the account has it
    if (!email.empty() && email != p->email) {
        auto s = c.prepare("SELECT 1 FROM expertise_people WHERE email = ?1 COLLATE NOCASE AND id <> ?2");
        s.bind(1, email).bind(2, id);
        if (s.step()) throw api_error(errors::person_exists, "email");
    }
    auto phone = json_input::has(body, "phone") ? phone_of(body) : p->phone;
    auto audience = json_input::optional_string(body, "audience", 20).value_or(p->audience);
    if (!audiences().contains(audience)) throw api_error(errors::invalid_field, "audience");
    bool consent = p->consent;
    if (auto x = json_input::optional_bool(body, "consent")) consent = *x;
    // An account holder's consent is theirs (or an administrator's) to change.
    if (consent != p->consent && p->user_id && *p->user_id != v.user_id && v.role != "admin")
        throw api_error(errors::not_editor, "consent");
    const std::string key = search::fold(json_input::trim(name));
    {
        auto s = c.prepare("SELECT 1 FROM expertise_people WHERE name_key = ?1 AND coalesce(org_id, 0) = ?2 AND id <> ?3");
        s.bind(1, key).bind(2, org.value_or(0)).bind(3, id);
        if (s.step()) throw api_error(errors::person_exists, "name");
    }
    auto up = c.prepare(
        "UPDATE expertise_people SET name = ?1, name_key = ?2, org_id = ?3, role = ?4, region = ?5, departements = ?6, "
        "email = ?7, phone = ?8, audience = ?9, consent = ?10, "
        "consent_at = CASE WHEN ?10 = 1 AND consent = 0 THEN ?11 WHEN ?10 = 0 THEN NULL ELSE consent_at END, "
        "updated_at = ?11 WHERE id = ?12");
    up.bind(1, json_input::trim(name)).bind(2, key);
    up.bind(3, org);
    up.bind(4, role).bind(5, region).bind(6, json(departements).dump()).bind(7, email).bind(8, phone).bind(9, audience);
    up.bind(10, consent ? 1 : 0).bind(11, now).bind(12, id).exec();
    // Moving to another organisation: its validations were the former institution's.
    if (org != p->org_id)
        c.prepare("UPDATE expertise_entries SET validated_by = NULL, validated_at = NULL WHERE person_id = ?1").bind(1, id).exec();
    changed(c, id);
}

namespace {
void need_event(db::connection& c, std::int64_t need, std::int64_t by, const std::string& kind, const json& detail, std::int64_t now);
}  // namespace

std::vector<std::int64_t> service::delete_person(db::connection& c, const viewer& v, std::int64_t id, std::int64_t now) const {
    auto p = load(c, id);
    if (!p || !may_see(v, *p)) throw api_error(errors::not_found);
    if (!may_edit(v, *p)) throw api_error(errors::not_editor);
    // Their needs are nobody's any more: open again, as « Remettre en attente » does.
    std::vector<std::pair<std::int64_t, std::string>> reopened;
    {
        auto s = c.prepare("SELECT id, state FROM expertise_needs WHERE assignee_id = ?1 AND state IN ('assigned', 'in_progress')");
        s.bind(1, id);
        while (s.step()) reopened.emplace_back(s.get_int(0), s.get_text(1));
    }
    for (const auto& [need, from] : reopened) {
        c.prepare("UPDATE expertise_needs SET state = 'open', assignee_id = NULL, updated_at = ?1, version = version + 1 WHERE id = ?2")
            .bind(1, now)
            .bind(2, need)
            .exec();
        need_event(c, need, v.user_id, "state", {{"from", from}, {"to", "open"}, {"person", {{"id", p->id}, {"name", p->name}}}}, now);
    }
    c.prepare("DELETE FROM expertise_entries WHERE person_id = ?1").bind(1, id).exec();
    c.prepare("DELETE FROM expertise_people WHERE id = ?1").bind(1, id).exec();
    changed(c, id);
    std::vector<std::int64_t> needs;
    for (const auto& r : reopened) needs.push_back(r.first);
    return needs;
}

json service::person_json(db::connection& c, const viewer& v, std::int64_t id, std::int64_t now) const {
    auto p = load(c, id);
    if (!p || !may_see(v, *p)) throw api_error(errors::not_found);
    json org = nullptr;
    if (p->org_id)
        if (auto o = dir_.find_org(c, *p->org_id)) org = {{"id", o->id}, {"name", o->name}, {"type", o->type}};
    std::string role_label;
    {
        auto s = c.prepare("SELECT label FROM expertise_roles WHERE code = ?1");
        s.bind(1, p->role);
        if (s.step()) role_label = s.get_text(0);
    }
    json entries = json::array();
    std::vector<std::int64_t> validators;
    {
        auto s = c.prepare(
            "SELECT e.id, d.code, d.label, e.level, e.scope, e.note, e.declared_at, e.confirmed_at, e.validated_by, e.validated_at "
            "FROM expertise_entries e JOIN expertise_domains d ON d.id = e.domain_id WHERE e.person_id = ?1 "
            "ORDER BY CASE e.level WHEN 'referent' THEN 0 WHEN 'pratique' THEN 1 ELSE 2 END, d.position");
        s.bind(1, id);
        while (s.step()) {
            json e = {{"id", s.get_int(0)},
                      {"domain", {{"code", s.get_text(1)}, {"label", s.get_text(2)}}},
                      {"level", s.get_text(3)},
                      {"scope", s.get_text(4)},
                      {"note", s.get_text(5)},
                      {"declared_at", to_iso8601(s.get_int(6))},
                      {"confirmed_at", to_iso8601(s.get_int(7))},
                      {"stale", s.get_int(7) < now - opts_.stale_after_s},
                      {"validated", nullptr}};
            if (!s.is_null(8)) {
                validators.push_back(s.get_int(8));
                e["validated"] = {{"by", {{"id", s.get_int(8)}}}, {"at", to_iso8601(s.get_int(9))}};
            }
            entries.push_back(std::move(e));
        }
    }
    auto names = dir_.users(c, validators);
    for (auto& e : entries)
        if (!e["validated"].is_null()) {
            auto it = names.find(e["validated"]["by"]["id"].get<std::int64_t>());
            e["validated"]["by"]["name"] = it == names.end() ? std::string() : it->second.name;
        }
    json out = {{"id", p->id},
                {"name", p->name},
                {"user_id", p->user_id ? json(*p->user_id) : json(nullptr)},
                {"org", org},
                {"role", {{"code", p->role}, {"label", role_label}}},
                {"territory", territory_json(p->region, p->departements)},
                {"audience", p->audience},
                {"consent", p->consent},
                {"contact", {{"email", p->email}, {"phone", p->phone}}},
                {"entries", entries},
                {"may_edit", may_edit(v, *p)},
                {"may_validate", may_validate(v, *p)}};
    return out;
}

// ---- Entries ----

std::int64_t service::set_entry(db::connection& c, const viewer& v, std::int64_t person_id, const std::string& domain,
                                const json& body, std::int64_t now) const {
    auto p = load(c, person_id);
    if (!p || !may_see(v, *p)) throw api_error(errors::not_found);
    if (!may_edit(v, *p)) throw api_error(errors::not_editor);
    auto d = domain_by_code(c, domain);
    auto level = json_input::required_string(body, "level", 20);
    if (!levels().contains(level)) throw api_error(errors::invalid_field, "level");
    auto scope = json_input::optional_string(body, "scope", 20).value_or("local");
    if (!scopes().contains(scope)) throw api_error(errors::invalid_field, "scope");
    auto note = json_input::optional_string(body, "note", max_note).value_or("");
    // A new level or scope is a new claim: its validation is to be given again.
    c.prepare("INSERT INTO expertise_entries(person_id, domain_id, level, scope, note, declared_at, confirmed_at) "
              "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?6) ON CONFLICT(person_id, domain_id) DO UPDATE SET "
              "validated_by = CASE WHEN level = excluded.level AND scope = excluded.scope THEN validated_by END, "
              "validated_at = CASE WHEN level = excluded.level AND scope = excluded.scope THEN validated_at END, "
              "level = excluded.level, scope = excluded.scope, note = excluded.note, confirmed_at = excluded.confirmed_at")
        .bind(1, person_id)
        .bind(2, d.id)
        .bind(3, level)
        .bind(4, scope)
        .bind(5, note)
        .bind(6, now)
        .exec();
    auto s = c.prepare("SELECT id FROM expertise_entries WHERE person_id = ?1 AND domain_id = ?2");
    s.bind(1, person_id).bind(2, d.id);
    s.step();
    auto id = s.get_int(0);
    c.prepare("UPDATE expertise_people SET updated_at = ?1 WHERE id = ?2").bind(1, now).bind(2, person_id).exec();
    changed(c, person_id);
    return id;
}

void service::remove_entry(db::connection& c, const viewer& v, std::int64_t person_id, const std::string& domain) const {
    auto p = load(c, person_id);
    if (!p || !may_see(v, *p)) throw api_error(errors::not_found);
    if (!may_edit(v, *p)) throw api_error(errors::not_editor);
    auto d = domain_by_code(c, domain);
    c.prepare("DELETE FROM expertise_entries WHERE person_id = ?1 AND domain_id = ?2").bind(1, person_id).bind(2, d.id).exec();
    if (c.changes() == 0) throw api_error(errors::not_found);
    changed(c, person_id);
}

void service::confirm(db::connection& c, const viewer& v, std::int64_t person_id, std::optional<std::string> domain,
                      std::int64_t now) const {
    auto p = load(c, person_id);
    if (!p || !may_see(v, *p)) throw api_error(errors::not_found);
    if (!may_edit(v, *p)) throw api_error(errors::not_editor);
    if (domain) {
        auto d = domain_by_code(c, *domain);
        c.prepare("UPDATE expertise_entries SET confirmed_at = ?1 WHERE person_id = ?2 AND domain_id = ?3")
            .bind(1, now)
            .bind(2, person_id)
            .bind(3, d.id)
            .exec();
        if (c.changes() == 0) throw api_error(errors::not_found);
    } else {
        c.prepare("UPDATE expertise_entries SET confirmed_at = ?1 WHERE person_id = ?2").bind(1, now).bind(2, person_id).exec();
    }
    changed(c, person_id);
}

void service::validate(db::connection& c, const viewer& v, std::int64_t person_id, const std::string& domain, bool valid,
                       std::int64_t now) const {
    auto p = load(c, person_id);
    if (!p || !may_see(v, *p)) throw api_error(errors::not_found);
    if (!may_validate(v, *p)) throw api_error(errors::not_validator);
    auto d = domain_by_code(c, domain);
    auto s = c.prepare(valid ? "UPDATE expertise_entries SET validated_by = ?1, validated_at = ?2 WHERE person_id = ?3 AND domain_id = ?4"
                             : "UPDATE expertise_entries SET validated_by = NULL, validated_at = NULL WHERE person_id = ?3 AND domain_id = ?4");
    if (valid) s.bind(1, v.user_id).bind(2, now);
    s.bind(3, person_id).bind(4, d.id).exec();
    if (c.changes() == 0) throw api_error(errors::not_found);
    changed(c, person_id);
}

// ---- Views ----

std::vector<person> service::visible_people(db::connection& c, const viewer& v) const {
    std::vector<person> out;
    std::map<std::int64_t, std::string> org_regions;
    auto s = c.prepare(
        "SELECT id, user_id, org_id, name, role, region, departements, audience FROM expertise_people WHERE consent = 1");
    while (s.step()) {
        person p;
        p.id = s.get_int(0);
        if (!s.is_null(1)) p.user_id = s.get_int(1);
        if (!s.is_null(2)) p.org_id = s.get_int(2);
        p.name = s.get_text(3);
        p.role = s.get_text(4);
        p.region = s.get_text(5);
        p.departements = string_list(s.get_text(6));
        p.audience = s.get_text(7);
        p.consent = true;
        out.push_back(std::move(p));
    }
    std::vector<std::int64_t> org_ids;
    for (const auto& p : out)
        if (p.org_id) org_ids.push_back(*p.org_id);
    auto orgs = dir_.orgs(c, org_ids);
    for (auto& p : out)
        if (p.org_id)
            if (auto it = orgs.find(*p.org_id); it != orgs.end() && it->second.region) p.org_region = *it->second.region;
    std::erase_if(out, [&](const person& p) { return !may_see(v, p); });
    return out;
}

std::vector<service::entry_row> service::entries_of(db::connection& c, const std::vector<person>& people) const {
    std::set<std::int64_t> ids;
    for (const auto& p : people) ids.insert(p.id);
    std::vector<entry_row> out;
    auto s = c.prepare(
        "SELECT e.person_id, d.code, e.level, e.scope, e.confirmed_at FROM expertise_entries e "
        "JOIN expertise_domains d ON d.id = e.domain_id WHERE d.archived = 0");
    while (s.step())
        if (ids.contains(s.get_int(0))) out.push_back({s.get_int(0), s.get_text(1), s.get_text(2), s.get_text(3), s.get_int(4)});
    return out;
}

json service::matrix(db::connection& c, const viewer& v, const std::string& by, const std::string& region, std::int64_t now) const {
    if (by != "organisation" && by != "departement") throw api_error(errors::invalid_field, "by");
    const auto* reg = region.empty() ? nullptr : reference::find_region(region);
    if (!region.empty() && !reg) throw api_error(errors::unknown_territory, "region");
    if (by == "departement" && !reg) throw api_error(errors::unknown_territory, "region", "Choisissez une région pour voir ses départements.");
    auto people = visible_people(c, v);
    if (reg)
        std::erase_if(people, [&](const person& p) {
            auto deps = covered_departements(p);
            return p.home_region() != region &&
                   std::none_of(deps.begin(), deps.end(), [&](const auto& d) { return reference::region_of_departement(d) == reg; });
        });
    auto entries = entries_of(c, people);
    std::map<std::int64_t, const person*> by_id;
    for (const auto& p : people) by_id[p.id] = &p;
    // Columns.
    json columns = json::array();
    std::vector<std::string> keys;
    if (by == "departement") {
        for (auto d : reg->departements) {
            keys.emplace_back(d);
            columns.push_back({{"key", std::string(d)}, {"label", departement_name(d)}});
        }
    } else {
        std::vector<std::int64_t> org_ids;
        for (const auto& p : people)
            if (p.org_id) org_ids.push_back(*p.org_id);
        auto orgs = dir_.orgs(c, org_ids);
        std::vector<std::pair<std::string, std::int64_t>> sorted;
        for (const auto& [id, o] : orgs) sorted.emplace_back(o.name, id);
        std::sort(sorted.begin(), sorted.end());
        for (const auto& [name, id] : sorted) {
            keys.push_back(std::to_string(id));
            columns.push_back({{"key", std::to_string(id)}, {"label", name}});
        }
        // People entered without an organisation (a CPTS professional, a retired expert)
        // count too, in a last column of their own, as the network view shows them.
        if (std::any_of(people.begin(), people.end(), [](const person& p) { return !p.org_id; })) {
            keys.emplace_back("none");
            columns.push_back({{"key", "none"}, {"label", "Sans organisation"}});
        }
    }
    // Cells: distinct people per (domain, column) at référent / pratique level.
    std::map<std::pair<std::string, std::string>, std::pair<std::set<std::int64_t>, std::set<std::int64_t>>> cells;
    for (const auto& e : entries) {
        if (e.level == "notions") continue;
        const person& p = *by_id[e.person_id];
        std::vector<std::string> cols;
        if (by == "departement")
            cols = covered_departements(p);
        else
            cols = {p.org_id ? std::to_string(*p.org_id) : std::string("none")};
        for (const auto& col : cols) {
            auto& cell = cells[{e.domain, col}];
            (e.level == "referent" ? cell.first : cell.second).insert(p.id);
        }
    }
    json rows = json::array();
    for (const auto& d : domains_json(c)) {
        if (d["archived"].get<bool>()) continue;
        json row_cells = json::array();
        for (const auto& k : keys) {
            auto it = cells.find({d["code"].get<std::string>(), k});
            std::size_t ref = it == cells.end() ? 0 : it->second.first.size();
            std::size_t prac = it == cells.end() ? 0 : it->second.second.size();
            row_cells.push_back({{"referents", ref}, {"practitioners", prac}});
        }
        rows.push_back({{"domain", {{"code", d["code"]}, {"label", d["label"]}}}, {"cells", row_cells}});
    }
    (void)now;
    return {{"by", by}, {"region", region.empty() ? json(nullptr) : json(region)}, {"columns", columns}, {"rows", rows}};
}

json service::gaps(db::connection& c, const viewer& v, const std::string& region, std::int64_t now) const {
    const auto* reg = region.empty() ? nullptr : reference::find_region(region);
    if (!region.empty() && !reg) throw api_error(errors::unknown_territory, "region");
    auto people = visible_people(c, v);
    auto entries = entries_of(c, people);
    std::map<std::int64_t, const person*> by_id;
    for (const auto& p : people) by_id[p.id] = &p;
    std::vector<std::string> territory;
    if (reg)
        for (auto d : reg->departements) territory.emplace_back(d);
    else
        for (const auto& d : reference::departements()) territory.emplace_back(d.code);
    const std::set<std::string> in_territory(territory.begin(), territory.end());

    // A national référent covers every département; a regional one their région's.
    const auto covers = [&](const person& p, const std::string& scope) {
        std::set<std::string> out;
        if (scope == "national") return in_territory;
        auto deps = covered_departements(p);
        if (scope == "regional")
            if (const auto* r = p.home_region().empty() ? nullptr : reference::find_region(p.home_region()))
                for (auto d : r->departements) deps.emplace_back(d);
        for (const auto& d : deps)
            if (in_territory.contains(d)) out.insert(d);
        return out;
    };
    json missing = json::array(), single = json::array(), stale = json::array();
    for (const auto& d : domains_json(c)) {
        if (d["archived"].get<bool>()) continue;
        const auto code = d["code"].get<std::string>();
        std::set<std::string> covered;
        std::set<std::int64_t> referents;
        for (const auto& e : entries) {
            if (e.domain != code || e.level != "referent") continue;
            auto cov = covers(*by_id[e.person_id], e.scope);
            if (cov.empty()) continue;
            referents.insert(e.person_id);
            covered.insert(cov.begin(), cov.end());
        }
        json without = json::array();
        for (const auto& t : territory)
            if (!covered.contains(t)) without.push_back({{"code", t}, {"name", departement_name(t)}});
        if (!without.empty())
            missing.push_back({{"domain", {{"code", code}, {"label", d["label"]}}}, {"departements", without}});
        if (referents.size() == 1) {
            const auto& p = *by_id[*referents.begin()];
            single.push_back({{"domain", {{"code", code}, {"label", d["label"]}}}, {"person", {{"id", p.id}, {"name", p.name}}}});
        }
    }
    std::map<std::string, std::string> labels;
    for (const auto& d : domains_json(c)) labels[d["code"].get<std::string>()] = d["label"].get<std::string>();
    for (const auto& e : entries) {
        if (e.confirmed_at >= now - opts_.stale_after_s) continue;
        const auto& p = *by_id[e.person_id];
        auto deps = covered_departements(p);
        if (reg && p.home_region() != region &&
            std::none_of(deps.begin(), deps.end(), [&](const auto& x) { return in_territory.contains(x); }))
            continue;
        stale.push_back({{"person", {{"id", p.id}, {"name", p.name}}},
                         {"domain", {{"code", e.domain}, {"label", labels[e.domain]}}},
                         {"level", e.level},
                         {"confirmed_at", to_iso8601(e.confirmed_at)}});
    }
    return {{"region", region.empty() ? json(nullptr) : json(region)},
            {"without_referent", missing},
            {"single_referent", single},
            {"stale", stale},
            {"stale_after_days", opts_.stale_after_s / 86400}};
}

std::vector<service::reminder> service::take_reminders(db::connection& c, std::int64_t now) const {
    std::map<std::int64_t, reminder> by_person;
    {
        auto s = c.prepare(
            "SELECT p.id, p.user_id, d.label FROM expertise_entries e JOIN expertise_people p ON p.id = e.person_id "
            "JOIN expertise_domains d ON d.id = e.domain_id "
            "WHERE p.user_id IS NOT NULL AND e.confirmed_at < ?1 AND (e.reminded_at IS NULL OR e.reminded_at < ?2) "
            "ORDER BY p.id, d.position");
        s.bind(1, now - opts_.stale_after_s).bind(2, now - opts_.remind_every_s);
        while (s.step()) {
            auto& r = by_person[s.get_int(0)];
            r.person_id = s.get_int(0);
            r.user_id = s.get_int(1);
            r.domains.push_back(s.get_text(2));
        }
    }
    c.prepare("UPDATE expertise_entries SET reminded_at = ?1 WHERE confirmed_at < ?2 AND (reminded_at IS NULL OR reminded_at < ?3) "
              "AND person_id IN (SELECT id FROM expertise_people WHERE user_id IS NOT NULL)")
        .bind(1, now)
        .bind(2, now - opts_.stale_after_s)
        .bind(3, now - opts_.remind_every_s)
        .exec();
    std::vector<reminder> out;
    for (auto& [id, r] : by_person) out.push_back(std::move(r));
    return out;
}

// ---- Needs and matching ----

double match_score(const match_facts& f) {
    const std::size_t matched = f.referent + f.practice + f.notions;
    if (f.need_domains == 0 || matched == 0) return 0;
    // Domain match first (how much of the need, at what level), then the territory, then
    // trust (validated), freshness and how busy the person already is.
    double domain = (3.0 * static_cast<double>(f.referent) + 2.0 * static_cast<double>(f.practice) + static_cast<double>(f.notions)) /
                    (3.0 * static_cast<double>(f.need_domains));
    double score = 60.0 * domain + 8.0 * f.proximity + 6.0 * static_cast<double>(f.validated) / static_cast<double>(matched) -
                   6.0 * static_cast<double>(f.stale) / static_cast<double>(matched) - 5.0 * static_cast<double>(std::min<std::size_t>(f.load, 4));
    return std::max(score, 0.1);  // a matching person is always proposed, however busy
}

namespace {

const std::set<std::string>& need_states() {
    static const std::set<std::string> v{"open", "assigned", "in_progress", "done", "closed"};
    return v;
}

void need_event(db::connection& c, std::int64_t need, std::int64_t by, const std::string& kind, const json& detail, std::int64_t now) {
    c.prepare("INSERT INTO expertise_need_events(need_id, at, by, kind, detail) VALUES(?1, ?2, ?3, ?4, ?5)")
        .bind(1, need)
        .bind(2, now)
        .bind(3, by)
        .bind(4, kind)
        .bind(5, detail.dump())
        .exec();
}

std::size_t links_of(db::connection& c, std::int64_t need) {
    auto s = c.prepare("SELECT count(*) FROM expertise_need_links WHERE need_id = ?1");
    s.bind(1, need);
    s.step();
    return static_cast<std::size_t>(s.get_int(0));
}

}  // namespace

std::int64_t service::create_need(db::connection& c, const viewer& v, const json& body, std::int64_t now) const {
    auto title = json_input::required_line(body, "title", 200);
    auto description = json_input::optional_string(body, "description", 5000).value_or("");
    std::int64_t cpts = 0;
    if (auto o = json_input::optional_id(body, "cpts_org_id")) cpts = o->value_or(0);
    auto cpts_name = json_input::optional_line(body, "cpts_name", 200).value_or("");
    // One or the other: a registered CPTS, or (animateurs) a CPTS in project by its name.
    if (cpts && !cpts_name.empty())
        throw api_error(errors::invalid_field, "cpts_name", "Donnez soit une CPTS enregistrée, soit le nom d'une CPTS en projet.");
    if (!cpts_name.empty() && !v.manager()) throw api_error(errors::not_for_this_cpts, "cpts_name");
    // A member of a CPTS declares for it without naming it.
    if (!cpts && !v.manager() && v.org_id)
        if (auto own = dir_.find_org(c, *v.org_id); own && own->type == "cpts") cpts = own->id;
    if (cpts) {
        auto org = dir_.find_org(c, cpts);
        if (!org || org->type != "cpts") throw api_error(errors::invalid_field, "cpts_org_id", "Cette organisation n'est pas une CPTS enregistrée.");
        if (!v.manager() && !(v.org_id && *v.org_id == cpts)) throw api_error(errors::not_for_this_cpts, "cpts_org_id");
        cpts_name = org->name;
    } else if (!v.manager()) {
        // A member acts for their own CPTS; a CPTS in project is declared by animateurs.
        throw api_error(errors::not_for_this_cpts, "cpts_org_id");
    }
    if (!cpts && cpts_name.empty()) throw api_error(errors::invalid_field, "cpts_name", "Donnez la CPTS concernée.");
    // The territory: the communes given, else the région and départements given, else the
    // territory saved for the CPTS (territory helper), else the CPTS organisation's.
    std::string region = json_input::optional_string(body, "region", 3).value_or("");
    auto departements = departements_of(body);
    check_territory(region, departements);
    std::vector<std::string> communes;
    std::optional<std::int64_t> population;
    const auto take = [&](const territory::territory_figures& f) {
        communes = f.communes;
        population = f.population;
        departements = f.departements;
        region = f.regions.size() == 1 ? f.regions.front() : std::string();
    };
    if (body.contains("communes") && !body["communes"].is_null()) {
        if (!territories_) throw api_error(errors::invalid_field, "communes");
        take(territories_->figures_of(body, "communes"));
    } else if (cpts && region.empty() && departements.empty()) {
        if (auto saved = territories_ ? territories_->territory_of(c, cpts) : std::nullopt)
            take(*saved);
        else if (auto org = dir_.find_org(c, cpts)) {
            region = org->region.value_or("");
            departements = org->departements;
        }
    }
    auto phase = json_input::optional_string(body, "phase", 40).value_or("");
    if (!phase.empty() && std::none_of(reference::phases().begin(), reference::phases().end(), [&](const auto& p) { return p.code == phase; }))
        throw api_error(errors::invalid_field, "phase");
    std::vector<std::string> domains;
    auto it = body.find("domains");
    if (it == body.end() || !it->is_array() || it->empty() || it->size() > 12) throw api_error(errors::invalid_field, "domains");
    for (const auto& d : *it) {
        if (!d.is_string()) throw api_error(errors::unknown_domain, "domains");
        try {
            domain_by_code(c, d.get<std::string>());
        } catch (const api_error&) {
            throw api_error(errors::unknown_domain, "domains");  // named as the input names it
        }
        domains.push_back(d.get<std::string>());
    }
    std::sort(domains.begin(), domains.end());
    domains.erase(std::unique(domains.begin(), domains.end()), domains.end());
    auto urgency = json_input::optional_string(body, "urgency", 20).value_or("normale");
    if (urgency != "normale" && urgency != "prioritaire" && urgency != "urgente") throw api_error(errors::invalid_field, "urgency");
    auto ins = c.prepare(
        "INSERT INTO expertise_needs(cpts_org_id, cpts_name, region, departements, phase, domains, title, description, urgency, "
        "created_by, created_at, updated_at, communes, population) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?12, ?13)");
    if (cpts)
        ins.bind(1, cpts);
    else
        ins.bind(1, nullptr);
    ins.bind(2, cpts_name).bind(3, region).bind(4, json(departements).dump()).bind(5, phase).bind(6, json(domains).dump());
    ins.bind(7, title).bind(8, description).bind(9, urgency).bind(10, v.user_id).bind(11, now).bind(12, json(communes).dump());
    if (population)
        ins.bind(13, *population);
    else
        ins.bind(13, nullptr);
    ins.exec();
    auto id = c.last_insert_id();
    need_event(c, id, v.user_id, "created", json::object(), now);
    return id;
}

json service::need_json(db::connection& c, std::int64_t id, std::int64_t reader) const {
    auto s = c.prepare(
        "SELECT id, cpts_org_id, cpts_name, region, departements, phase, domains, title, description, urgency, state, assignee_id, "
        "created_by, created_at, updated_at, version, communes, population FROM expertise_needs WHERE id = ?1");
    s.bind(1, id);
    if (!s.step()) throw api_error(errors::not_found);
    std::map<std::string, std::string> labels;
    for (const auto& d : domains_json(c)) labels[d["code"].get<std::string>()] = d["label"].get<std::string>();
    json domains = json::array();
    for (const auto& code : string_list(s.get_text(6))) domains.push_back({{"code", code}, {"label", labels[code]}});
    json assignee = nullptr;
    if (!s.is_null(11)) {
        auto q = c.prepare("SELECT id, name FROM expertise_people WHERE id = ?1");
        q.bind(1, s.get_int(11));
        if (q.step()) assignee = {{"id", q.get_int(0)}, {"name", q.get_text(1)}};
    }
    json out = {{"id", s.get_int(0)},
                {"cpts", {{"org_id", s.is_null(1) ? json(nullptr) : json(s.get_int(1))}, {"name", s.get_text(2)}}},
                {"territory", territory_json(s.get_text(3), string_list(s.get_text(4)))},
                {"communes", string_list(s.get_text(16))},
                {"population", s.is_null(17) ? json(nullptr) : json(s.get_int(17))},
                {"phase", s.get_text(5)},
                {"domains", domains},
                {"title", s.get_text(7)},
                {"description", s.get_text(8)},
                {"urgency", s.get_text(9)},
                {"state", s.get_text(10)},
                {"assignee", assignee},
                {"created_by", s.get_int(12)},
                {"created_at", to_iso8601(s.get_int(13))},
                {"updated_at", to_iso8601(s.get_int(14))},
                {"version", s.get_int(15)}};
    json history = json::array();
    std::vector<std::int64_t> who;
    {
        auto h = c.prepare("SELECT at, by, kind, detail FROM expertise_need_events WHERE need_id = ?1 ORDER BY id");
        h.bind(1, id);
        while (h.step()) {
            who.push_back(h.get_int(1));
            history.push_back({{"at", to_iso8601(h.get_int(0))},
                               {"by", {{"id", h.get_int(1)}}},
                               {"kind", h.get_text(2)},
                               {"detail", json::parse(h.get_text(3), nullptr, false)}});
        }
    }
    auto users = dir_.users(c, who);
    for (auto& e : history) {
        auto u = users.find(e["by"]["id"].get<std::int64_t>());
        e["by"]["name"] = u == users.end() ? std::string() : u->second.name;
    }
    out["history"] = history;
    // Links, read back through the other modules' catalogues (a deleted one is left out).
    json links = json::array();
    {
        auto l = c.prepare("SELECT kind, ref_id FROM expertise_need_links WHERE need_id = ?1 ORDER BY added_at, ref_id");
        l.bind(1, id);
        while (l.step()) {
            auto kind = l.get_text(0);
            auto ref = l.get_int(1);
            if (kind == "workshop" && workshops_) {
                if (auto w = workshops_->workshop(c, ref)) {
                    // A workshop the reader may not see says nothing of itself (its title
                    // names a CPTS project and its partners).
                    const bool shown = reader == 0 || workshops_->visible_to(c, ref, reader);
                    links.push_back({{"kind", kind}, {"id", ref}, {"title", shown ? w->title : std::string()},
                                     {"state", shown ? w->state : std::string()}, {"date", shown ? w->date : std::string()},
                                     {"visible", shown}, {"url", "/ateliers/" + std::to_string(ref)}});
                }
            } else if (kind == "library" && library_) {
                if (auto it = library_->item(c, ref))  // an item under review keeps its title to its reviewers
                    links.push_back({{"kind", kind}, {"id", ref}, {"title", it->published ? it->title : std::string()}, {"item_kind", it->kind},
                                     {"published", it->published}, {"url", "/bibliotheque/" + std::to_string(ref)}});
            }
        }
    }
    out["links"] = links;
    return out;
}

json service::needs_json(db::connection& c, const std::string& state, std::int64_t reader) const {
    if (!state.empty() && !need_states().contains(state)) throw api_error(errors::invalid_field, "state");
    std::vector<std::int64_t> ids;
    {
        auto s = c.prepare(state.empty() ? "SELECT id FROM expertise_needs ORDER BY updated_at DESC, id DESC LIMIT 500"
                                         : "SELECT id FROM expertise_needs WHERE state = ?1 ORDER BY updated_at DESC, id DESC LIMIT 500");
        if (!state.empty()) s.bind(1, state);
        while (s.step()) ids.push_back(s.get_int(0));
    }
    json out = json::array();
    for (auto id : ids) {
        auto n = need_json(c, id, reader);
        n.erase("history");
        out.push_back(std::move(n));
    }
    return out;
}

// ---- The map in memory (matching, directory pages) ----

std::shared_ptr<const map_facts> service::facts(db::connection& c) const {
    std::int64_t generation = 0;
    {
        auto s = c.prepare("SELECT n FROM expertise_generation WHERE id = 1");
        if (s.step()) generation = s.get_int(0);
    }
    {
        std::lock_guard lock(facts_mutex_);
        if (facts_ && facts_->generation == generation) return facts_;
    }
    // Built outside the lock (two readers may build the same one). The generation is read
    // before the rows: a change committed in between makes the copy newer than its tag,
    // never older, and the next reader who sees the new generation builds again.
    auto f = std::make_shared<map_facts>();
    f->generation = generation;
    {
        auto s = c.prepare("SELECT code, label FROM expertise_domains WHERE archived = 0 ORDER BY position, label");
        while (s.step()) f->domain_labels[s.get_text(0)] = s.get_text(1);
    }
    {
        auto s = c.prepare("SELECT code, label FROM expertise_roles");
        while (s.step()) f->role_labels[s.get_text(0)] = s.get_text(1);
    }
    {
        auto s = c.prepare(
            "SELECT id, user_id, org_id, name, role, region, departements, audience, consent, created_by, email, phone FROM expertise_people");
        while (s.step()) {
            map_facts::person_facts x;
            x.p.id = s.get_int(0);
            if (!s.is_null(1)) x.p.user_id = s.get_int(1);
            if (!s.is_null(2)) x.p.org_id = s.get_int(2);
            x.p.name = s.get_text(3);
            x.p.role = s.get_text(4);
            x.p.region = s.get_text(5);
            x.raw_departements = s.get_text(6);
            x.p.departements = string_list(x.raw_departements);
            x.p.audience = s.get_text(7);
            x.p.consent = s.get_int(8) != 0;
            x.p.created_by = s.get_int(9);
            f->by_id[x.p.id] = static_cast<std::uint32_t>(f->people.size());
            f->people.push_back(std::move(x));
        }
    }
    {
        // In each person's order: référent first, then pratique, notions; domains in their order.
        auto s = c.prepare(
            "SELECT e.person_id, d.code, e.level, e.scope, e.note, e.declared_at, e.confirmed_at, e.validated_by, e.validated_at "
            "FROM expertise_entries e JOIN expertise_domains d ON d.id = e.domain_id WHERE d.archived = 0 "
            "ORDER BY e.person_id, CASE e.level WHEN 'referent' THEN 0 WHEN 'pratique' THEN 1 ELSE 2 END, d.position");
        while (s.step()) {
            auto it = f->by_id.find(s.get_int(0));
            if (it == f->by_id.end()) continue;
            map_facts::entry e;
            e.person = it->second;
            e.domain = s.get_text(1);
            e.level = s.get_text(2);
            e.scope = s.get_text(3);
            e.note = s.get_text(4);
            e.declared_at = s.get_int(5);
            e.confirmed_at = s.get_int(6);
            if (!s.is_null(7)) e.validated_by = s.get_int(7);
            if (!s.is_null(8)) e.validated_at = s.get_int(8);
            auto index = static_cast<std::uint32_t>(f->entries.size());
            f->people[e.person].entries.push_back(index);
            f->by_domain[e.domain].push_back(index);
            f->entries.push_back(std::move(e));
        }
    }
    std::shared_ptr<const map_facts> built = std::move(f);
    std::lock_guard lock(facts_mutex_);
    if (!facts_ || facts_->generation < built->generation) facts_ = built;
    return built;
}

std::optional<json> service::card(const map_facts& f, std::int64_t person_id, const std::map<std::int64_t, auth::org>& orgs,
                                  std::int64_t now) const {
    auto it = f.by_id.find(person_id);
    if (it == f.by_id.end()) return std::nullopt;
    const auto& x = f.people[it->second];
    json org = nullptr;
    if (x.p.org_id)
        if (auto o = orgs.find(*x.p.org_id); o != orgs.end()) org = {{"id", o->second.id}, {"name", o->second.name}, {"type", o->second.type}};
    auto role = f.role_labels.find(x.p.role);
    json entries = json::array();
    for (auto i : x.entries) {
        const auto& e = f.entries[i];
        auto label = f.domain_labels.find(e.domain);
        entries.push_back({{"domain", {{"code", e.domain}, {"label", label == f.domain_labels.end() ? e.domain : label->second}}},
                           {"level", e.level},
                           {"scope", e.scope},
                           {"validated", e.validated_by.has_value()},
                           {"stale", e.confirmed_at < now - opts_.stale_after_s}});
    }
    return json{{"id", x.p.id},
                {"name", x.p.name},
                {"org", org},
                {"role", {{"code", x.p.role}, {"label", role == f.role_labels.end() ? std::string() : role->second}}},
                {"territory", territory_json(x.p.region, x.p.departements)},
                {"entries", entries}};
}

json service::proposals(db::connection& c, const viewer& v, std::int64_t need_id, std::int64_t now, std::size_t limit) const {
    auto need = need_json(c, need_id, 0);
    auto f = facts(c);
    std::vector<std::string> need_domains;
    for (const auto& d : need["domains"]) need_domains.push_back(d["code"].get<std::string>());
    std::set<std::string> need_deps;
    for (const auto& d : need["territory"]["departements"]) need_deps.insert(d["code"].get<std::string>());
    std::string need_region = need["territory"]["region"].is_null() ? std::string() : need["territory"]["region"]["code"].get<std::string>();
    if (need_region.empty() && !need_deps.empty())
        if (const auto* r = reference::region_of_departement(*need_deps.begin())) need_region = std::string(r->code);
    // The régions whose départements the need touches (a person of such a région who names
    // no département covers the whole région, hence those départements).
    std::set<std::string> need_dep_regions;
    for (const auto& d : need_deps)
        if (const auto* r = reference::region_of_departement(d)) need_dep_regions.insert(std::string(r->code));

    // Every entry in the need's domains of a person who agreed to appear: from the map in
    // memory, whatever its size; the facts of each person gathered as the entries pass.
    struct candidate {
        std::uint32_t person = 0;  // index in f->people
        match_facts m;
        std::array<std::uint32_t, 12> entries{};  // a need has at most 12 domains
        std::size_t n = 0;
        bool national = false;
    };
    std::vector<candidate> found;
    std::vector<std::int32_t> slot(f->people.size(), -1);
    for (const auto& code : need_domains) {
        auto it = f->by_domain.find(code);
        if (it == f->by_domain.end()) continue;
        for (auto i : it->second) {
            const auto& e = f->entries[i];
            if (!f->people[e.person].p.consent) continue;
            if (slot[e.person] < 0) {
                slot[e.person] = static_cast<std::int32_t>(found.size());
                found.push_back({});
                found.back().person = e.person;
            }
            auto& x = found[static_cast<std::size_t>(slot[e.person])];
            if (x.n < x.entries.size()) x.entries[x.n++] = i;
            auto& m = x.m;
            (e.level == "referent" ? m.referent : e.level == "pratique" ? m.practice : m.notions) += 1;
            m.validated += e.validated_by ? 1 : 0;
            m.stale += e.confirmed_at < now - opts_.stale_after_s ? 1 : 0;
            x.national = x.national || e.scope == "national";
        }
    }
    // Organisations' régions: only for the people whose own région is not given (the
    // "région" audience and the territory then use their organisation's).
    std::vector<std::int64_t> org_ids;
    for (const auto& x : found) {
        const auto& p = f->people[x.person].p;
        if (p.org_id && p.region.empty()) org_ids.push_back(*p.org_id);
    }
    std::sort(org_ids.begin(), org_ids.end());
    org_ids.erase(std::unique(org_ids.begin(), org_ids.end()), org_ids.end());
    auto orgs = dir_.orgs(c, org_ids);
    const auto org_region = [&](const person& p) -> std::string_view {
        if (!p.org_id) return {};
        auto o = orgs.find(*p.org_id);
        return o != orgs.end() && o->second.region ? std::string_view(*o->second.region) : std::string_view();
    };
    // Load: needs assigned and not finished.
    std::map<std::int64_t, std::size_t> load;
    {
        auto s = c.prepare("SELECT assignee_id, count(*) FROM expertise_needs WHERE state IN ('assigned', 'in_progress') "
                           "AND assignee_id IS NOT NULL AND id <> ?1 GROUP BY assignee_id");
        s.bind(1, need_id);
        while (s.step()) load[s.get_int(0)] = static_cast<std::size_t>(s.get_int(1));
    }
    std::vector<std::pair<double, candidate*>> order;
    order.reserve(found.size());
    for (auto& x : found) {
        const person& p = f->people[x.person].p;
        const auto orgr = org_region(p);
        if (!may_see(v, p, orgr)) continue;
        auto& m = x.m;
        m.need_domains = need_domains.size();
        // Territory: a département of the need among those the person covers (the ones they
        // name, else their région's), then the same région, then a national scope.
        const std::string_view home = p.region.empty() ? orgr : std::string_view(p.region);
        bool same_departement = false;
        if (!p.departements.empty()) {
            for (const auto& d : p.departements) same_departement = same_departement || need_deps.contains(d);
        } else {
            same_departement = !home.empty() && need_dep_regions.contains(std::string(home));
        }
        m.proximity = same_departement ? 3 : (!need_region.empty() && home == need_region) ? 2 : x.national ? 1 : 0;
        if (auto l = load.find(p.id); l != load.end()) m.load = l->second;
        order.emplace_back(match_score(m), &x);
    }
    const auto id_of = [&](const candidate* x) { return f->people[x->person].p.id; };
    const auto better = [&](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : id_of(a.second) < id_of(b.second); };
    const std::size_t shown = std::min(limit, order.size());
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(shown), order.end(), better);
    // The names of the organisations of those shown.
    std::vector<std::int64_t> shown_orgs;
    for (std::size_t i = 0; i < shown; ++i)
        if (auto o = f->people[order[i].second->person].p.org_id) shown_orgs.push_back(*o);
    auto names = dir_.orgs(c, shown_orgs);
    json out = json::array();
    for (std::size_t i = 0; i < shown; ++i) {
        const auto& [score, x] = order[i];
        const auto& m = x->m;
        std::vector<std::string> reasons;
        const person& p = f->people[x->person].p;
        std::vector<const map_facts::entry*> entries;
        for (std::size_t k = 0; k < x->n; ++k) entries.push_back(&f->entries[x->entries[k]]);
        std::sort(entries.begin(), entries.end(), [](const auto* a, const auto* b) { return a->domain < b->domain; });
        for (const auto* e : entries) {
            auto label = f->domain_labels.find(e->domain);
            const bool stale = e->confirmed_at < now - opts_.stale_after_s;
            reasons.push_back(std::string(e->level == "referent" ? "Référent" : e->level == "pratique" ? "Pratique" : "Notions") + " en « " +
                              (label == f->domain_labels.end() ? e->domain : label->second) + " »" +
                              (e->validated_by ? " (validé par son institution)" : "") + (stale ? " (à reconfirmer)" : ""));
        }
        reasons.push_back(m.proximity == 3   ? "Intervient dans le même département"
                          : m.proximity == 2 ? "Dans la même région"
                          : m.proximity == 1 ? "Intervient au niveau national"
                                             : "Hors du territoire du besoin");
        reasons.push_back(m.load == 0 ? "Aucun autre besoin en cours"
                                      : std::to_string(m.load) + (m.load == 1 ? " autre besoin en cours" : " autres besoins en cours"));
        std::size_t matched = m.referent + m.practice + m.notions;
        if (matched < m.need_domains)
            reasons.push_back("Couvre " + std::to_string(matched) + " des " + std::to_string(m.need_domains) + " domaines du besoin");
        std::string org;
        if (p.org_id)
            if (auto o = names.find(*p.org_id); o != names.end()) org = o->second.name;
        out.push_back({{"person", {{"id", p.id}, {"name", p.name}, {"org", org}, {"role", p.role}}},
                       {"score", std::round(score * 10) / 10},
                       {"reasons", [&] {
                            // Written with plain signs above, read in French typography.
                            json shown = json::array();
                            for (const auto& r : reasons) shown.push_back(french_typography(r));
                            return shown;
                        }()}});
    }
    return out;
}

std::vector<std::int64_t> service::need_watchers(db::connection& c, std::int64_t need) const {
    auto q = c.prepare("SELECT region, created_by FROM expertise_needs WHERE id = ?1");
    q.bind(1, need);
    if (!q.step()) throw api_error(errors::not_found);
    const auto region = q.get_text(0);
    const auto declarer = q.get_int(1);
    const auto animateurs = dir_.users_with_roles(c, {"animateur"});
    std::vector<std::int64_t> org_ids;
    for (const auto& u : animateurs)
        if (u.org_id) org_ids.push_back(*u.org_id);
    const auto orgs = dir_.orgs(c, org_ids);
    std::vector<std::int64_t> local, all;
    for (const auto& u : animateurs) {
        if (u.id == declarer) continue;
        all.push_back(u.id);
        if (region.empty() || !u.org_id) continue;
        if (auto o = orgs.find(*u.org_id); o != orgs.end() && o->second.region && *o->second.region == region) local.push_back(u.id);
    }
    return local.empty() ? all : local;
}

std::vector<std::int64_t> service::assign(db::connection& c, const viewer& v, std::int64_t need, std::int64_t person_id,
                                          std::int64_t version, std::int64_t now) const {
    if (!v.manager()) throw api_error(errors::forbidden);
    auto n = need_json(c, need, 0);
    if (n["version"].get<std::int64_t>() != version) throw api_error(errors::need_changed, "version");
    auto state = n["state"].get<std::string>();
    if (state != "open" && state != "assigned") throw api_error(errors::bad_transition, "state");
    auto p = load(c, person_id);
    if (!p || !p->consent || !may_see(v, *p)) throw api_error(errors::invalid_field, "person_id", "Personne introuvable dans la cartographie.");
    // The same person again (a double click, a retry): nothing changes, no one is told twice.
    if (state == "assigned" && !n["assignee"].is_null() && n["assignee"]["id"].get<std::int64_t>() == person_id) return {};
    c.prepare("UPDATE expertise_needs SET state = 'assigned', assignee_id = ?1, updated_at = ?2, version = version + 1 WHERE id = ?3")
        .bind(1, person_id)
        .bind(2, now)
        .bind(3, need)
        .exec();
    need_event(c, need, v.user_id, "assigned", {{"person", {{"id", p->id}, {"name", p->name}}}}, now);
    std::vector<std::int64_t> notify;
    // Never the one who assigned (an animateur taking a need on their own fiche).
    if (p->user_id && *p->user_id != v.user_id) notify.push_back(*p->user_id);
    if (auto creator = n["created_by"].get<std::int64_t>(); creator != v.user_id && (!p->user_id || creator != *p->user_id))
        notify.push_back(creator);
    return notify;
}

std::vector<std::int64_t> service::set_need_state(db::connection& c, const viewer& v, std::int64_t need, const std::string& state,
                                                  std::int64_t version, std::int64_t now) const {
    if (!need_states().contains(state)) throw api_error(errors::invalid_field, "state");
    auto n = need_json(c, need, 0);
    if (n["version"].get<std::int64_t>() != version) throw api_error(errors::need_changed, "version");
    const auto from = n["state"].get<std::string>();
    std::optional<person> assignee;
    if (!n["assignee"].is_null()) assignee = load(c, n["assignee"]["id"].get<std::int64_t>());
    const bool is_assignee = assignee && assignee->user_id && *assignee->user_id == v.user_id;
    const bool allowed_move = (from == "assigned" && state == "in_progress") || (from == "in_progress" && state == "done") ||
                              (from == "assigned" && state == "done") || (from == "assigned" && state == "open") ||
                              ((from == "open" || from == "assigned" || from == "in_progress") && state == "closed");
    if (!allowed_move) throw api_error(errors::bad_transition, "state");
    const bool assignee_move = state == "in_progress" || state == "done";
    if (!v.manager() && !(assignee_move && is_assignee)) throw api_error(errors::forbidden);
    auto up = c.prepare(state == "open" ? "UPDATE expertise_needs SET state = ?1, assignee_id = NULL, updated_at = ?2, version = version + 1 WHERE id = ?3"
                                        : "UPDATE expertise_needs SET state = ?1, updated_at = ?2, version = version + 1 WHERE id = ?3");
    up.bind(1, state).bind(2, now).bind(3, need).exec();
    need_event(c, need, v.user_id, "state", {{"from", from}, {"to", state}}, now);
    std::vector<std::int64_t> notify;
    if (assignee && assignee->user_id && *assignee->user_id != v.user_id) notify.push_back(*assignee->user_id);
    if (auto creator = n["created_by"].get<std::int64_t>(); creator != v.user_id) notify.push_back(creator);
    return notify;
}

// ---- What a need becomes: workshops, library items, a testimony ----

bool service::may_follow(db::connection& c, const viewer& v, const json& need) const {
    if (v.manager() || need["created_by"].get<std::int64_t>() == v.user_id) return true;
    if (need["assignee"].is_null()) return false;
    auto p = load(c, need["assignee"]["id"].get<std::int64_t>());
    return p && p->user_id && *p->user_id == v.user_id;
}

void service::add_link(db::connection& c, const viewer& v, std::int64_t need_id, const std::string& kind, std::int64_t ref,
                       std::int64_t now) const {
    auto need = need_json(c, need_id, 0);
    if (!may_follow(c, v, need)) throw api_error(errors::forbidden);
    if (kind == "workshop") {
        // Only a workshop the person may see: a link shows its title, date and state.
        if (!workshops_ || !workshops_->workshop(c, ref) || !workshops_->visible_to(c, ref, v.user_id))
            throw api_error(errors::invalid_field, "id", "Aucun atelier que vous pouvez voir ne porte ce numéro.");
    } else if (kind == "library") {
        auto it = library_ ? library_->item(c, ref) : std::nullopt;
        if (!it || !it->published) throw api_error(errors::invalid_field, "id", "Aucune fiche publiée de la bibliothèque ne porte ce numéro.");
    } else {
        throw api_error(errors::invalid_field, "kind");
    }
    auto ins = c.prepare("INSERT OR IGNORE INTO expertise_need_links(need_id, kind, ref_id, added_by, added_at) VALUES(?1, ?2, ?3, ?4, ?5)");
    ins.bind(1, need_id).bind(2, kind).bind(3, ref).bind(4, v.user_id).bind(5, now).exec();
    if (c.changes() == 0) return;
    if (static_cast<std::int64_t>(links_of(c, need_id)) > 50) throw api_error(errors::invalid_field, "id", "Cinquante liens au plus par besoin.");
    need_event(c, need_id, v.user_id, "linked", {{"kind", kind}, {"id", ref}}, now);
    c.prepare("UPDATE expertise_needs SET updated_at = ?1 WHERE id = ?2").bind(1, now).bind(2, need_id).exec();
}

void service::remove_link(db::connection& c, const viewer& v, std::int64_t need_id, const std::string& kind, std::int64_t ref,
                          std::int64_t now) const {
    auto need = need_json(c, need_id, 0);
    if (!may_follow(c, v, need)) throw api_error(errors::forbidden);
    c.prepare("DELETE FROM expertise_need_links WHERE need_id = ?1 AND kind = ?2 AND ref_id = ?3").bind(1, need_id).bind(2, kind).bind(3, ref).exec();
    if (c.changes() == 0) throw api_error(errors::not_found);
    need_event(c, need_id, v.user_id, "unlinked", {{"kind", kind}, {"id", ref}}, now);
}

void service::record_testimony(db::connection& c, const viewer& v, std::int64_t need_id, std::int64_t item, std::int64_t now) const {
    auto ins = c.prepare("INSERT OR IGNORE INTO expertise_need_links(need_id, kind, ref_id, added_by, added_at) VALUES(?1, 'library', ?2, ?3, ?4)");
    ins.bind(1, need_id).bind(2, item).bind(3, v.user_id).bind(4, now).exec();
    if (c.changes() == 0) return;
    need_event(c, need_id, v.user_id, "testimony", {{"id", item}}, now);
    c.prepare("UPDATE expertise_needs SET updated_at = ?1 WHERE id = ?2").bind(1, now).bind(2, need_id).exec();
}

json service::workshop_draft(db::connection& c, std::int64_t need_id) const {
    auto need = need_json(c, need_id, 0);
    // The CPTS's phase gives the accelerator's stage.
    const auto phase = need["phase"].get<std::string>();
    const std::string stage = phase == "diagnostic" || phase == "projet_sante" ? "projet_sante"
                              : phase == "contractualisation"                   ? "pre_aci"
                              : phase == "dialogue_gestion"                     ? "post_conventionnement"
                                                                                : "lettre_intention";
    std::string subject = need["description"].get<std::string>();
    std::string domains;
    for (const auto& d : need["domains"]) domains += (domains.empty() ? "" : ", ") + d["label"].get<std::string>();
    if (!domains.empty()) subject += std::string(subject.empty() ? "" : "\n\n") + "Domaines : " + domains + ".";
    if (subject.size() > 2000) subject = utf8_prefix(subject, 2000);
    // Partners: the organisation of the person assigned, when there is one.
    json partners = json::array();
    if (!need["assignee"].is_null())
        if (auto p = load(c, need["assignee"]["id"].get<std::int64_t>()); p && p->org_id) partners.push_back(*p->org_id);
    return {{"title", utf8_prefix(need["cpts"]["name"].get<std::string>() + " — " + need["title"].get<std::string>(), 200)},
            {"subject", subject},
            {"stage", stage},
            {"cpts_id", need["cpts"]["org_id"]},
            {"partner_ids", partners},
            {"need_id", need_id}};
}

namespace {

std::string testimony_markdown(const json& need) {
    std::string md = "## Le besoin\n\n" + need["description"].get<std::string>() + "\n\n";
    md += "- CPTS : " + need["cpts"]["name"].get<std::string>() + "\n";
    std::string domains;
    for (const auto& d : need["domains"]) domains += (domains.empty() ? "" : ", ") + d["label"].get<std::string>();
    md += "- Domaines : " + domains + "\n";
    if (!need["assignee"].is_null()) md += "- Accompagnement : " + need["assignee"]["name"].get<std::string>() + "\n";
    md += "\n## Ce qui a été fait\n\n\n## Ce qui a marché\n\n\n## Ce qui n'a pas marché\n\n\n## Ce que nous conseillerions\n\n";
    return md;
}

}  // namespace

json service::testimony_draft(db::connection& c, const viewer& v, std::int64_t need_id) const {
    auto need = need_json(c, need_id, 0);
    if (!may_follow(c, v, need)) throw api_error(errors::forbidden);
    const auto state = need["state"].get<std::string>();
    if (state != "done" && state != "closed")
        throw api_error(errors::bad_transition, "state", "Un besoin devient un témoignage une fois terminé ou clos.");
    return {{"title", utf8_prefix("Témoignage — " + need["title"].get<std::string>(), 200)},
            {"summary", need["description"].get<std::string>().empty()
                            ? utf8_prefix("Retour d\u2019expérience d\u2019un besoin d\u2019appui\u00A0: «\u00A0" + need["title"].get<std::string>() + "\u00A0».", 500)
                            : utf8_prefix(need["description"].get<std::string>(), 500)},
            {"markdown", testimony_markdown(need)},
            {"phases", need["phase"].get<std::string>().empty() ? json::array() : json::array({need["phase"]})}};
}

library::filing service::testimony_filing(db::connection& c, const viewer& v, std::int64_t need_id, const json& body) const {
    auto draft = testimony_draft(c, v, need_id);
    library::filing f;
    f.origin = "need:" + std::to_string(need_id);
    f.kind = "temoignage";
    // What is sent replaces the draft's (a blank title is refused; a blank summary stays blank).
    const auto given = [&](const char* field) { return body.contains(field) && !body[field].is_null(); };
    f.title = given("title") ? json_input::optional_line(body, "title", 200).value_or("") : draft["title"].get<std::string>();
    if (f.title.empty()) throw api_error(errors::invalid_field, "title", "Donnez un titre au témoignage.");
    f.summary = given("summary") ? json_input::optional_string(body, "summary", 500).value_or("") : draft["summary"].get<std::string>();
    if (f.summary.empty()) throw api_error(errors::invalid_field, "summary", "Résumez le témoignage en une phrase.");
    f.markdown = given("markdown") ? json_input::optional_string(body, "markdown", 100000).value_or("") : draft["markdown"].get<std::string>();
    if (f.markdown.empty()) throw api_error(errors::invalid_field, "markdown", "Le témoignage est vide.");
    for (const auto& p : draft["phases"]) f.phases.push_back(p.get<std::string>());
    f.note = "Témoignage issu du besoin d'appui n° " + std::to_string(need_id);
    return f;
}

// ---- The network view ----

json service::network(db::connection& c, const viewer& v, const std::string& region, std::int64_t now) const {
    const auto* reg = region.empty() ? nullptr : reference::find_region(region);
    if (!region.empty() && !reg) throw api_error(errors::unknown_territory, "region");
    auto people = visible_people(c, v);
    if (reg)
        std::erase_if(people, [&](const person& p) {
            if (p.home_region() == region) return false;
            return std::none_of(p.departements.begin(), p.departements.end(),
                                [&](const auto& d) { return reference::region_of_departement(d) == reg; });
        });
    auto entries = entries_of(c, people);
    std::map<std::int64_t, const person*> by_id;
    std::vector<std::int64_t> org_ids;
    for (const auto& p : people) {
        by_id[p.id] = &p;
        if (p.org_id) org_ids.push_back(*p.org_id);
    }
    auto orgs = dir_.orgs(c, org_ids);
    // The domains in their order (the seed's, then the administrators' additions).
    std::vector<std::pair<std::string, std::string>> labels;
    json domains = json::array();
    for (const auto& d : domains_json(c))
        if (!d.value("archived", false)) labels.emplace_back(d["code"].get<std::string>(), d["label"].get<std::string>());
    // Organisation × domain: who, at what level.
    struct cell {
        std::size_t referents = 0, practitioners = 0, notions = 0;
        std::vector<std::int64_t> people;
    };
    std::map<std::pair<std::int64_t, std::string>, cell> cells;
    std::map<std::int64_t, std::set<std::int64_t>> org_people;
    std::map<std::string, std::set<std::int64_t>> domain_people;
    std::map<std::int64_t, json> person_entries;
    for (const auto& e : entries) {
        const person& p = *by_id[e.person_id];
        const std::int64_t org = p.org_id.value_or(0);
        auto& x = cells[{org, e.domain}];
        (e.level == "referent" ? x.referents : e.level == "pratique" ? x.practitioners : x.notions) += 1;
        x.people.push_back(p.id);
        org_people[org].insert(p.id);
        domain_people[e.domain].insert(p.id);
        person_entries[p.id].push_back({{"domain", e.domain}, {"level", e.level}, {"stale", e.confirmed_at < now - opts_.stale_after_s}});
    }
    json org_list = json::array();
    std::map<std::string, std::string> type_labels;
    for (const auto& t : reference::org_types()) type_labels[std::string(t.code)] = std::string(t.label);
    for (const auto& [id, members] : org_people) {
        json o = {{"id", id == 0 ? json(nullptr) : json(id)}, {"people", members.size()}};
        if (auto it = orgs.find(id); id != 0 && it != orgs.end()) {
            o["name"] = it->second.name;
            o["type"] = it->second.type;
            o["type_label"] = type_labels.count(it->second.type) ? type_labels[it->second.type] : it->second.type;
        } else {
            o["name"] = "Sans organisation";
            o["type"] = "";
            o["type_label"] = "";
        }
        org_list.push_back(std::move(o));
    }
    for (const auto& [code, label] : labels) {
        auto it = domain_people.find(code);
        domains.push_back({{"code", code}, {"label", label}, {"people", it == domain_people.end() ? 0 : it->second.size()}});
    }
    json links = json::array();
    for (const auto& [key, x] : cells)
        links.push_back({{"org_id", key.first == 0 ? json(nullptr) : json(key.first)},
                         {"domain", key.second},
                         {"referents", x.referents},
                         {"practitioners", x.practitioners},
                         {"notions", x.notions},
                         {"people", x.people}});
    json person_list = json::array();
    for (auto& [id, list] : person_entries) {
        const person& p = *by_id[id];
        person_list.push_back({{"id", id}, {"name", p.name}, {"org_id", p.org_id ? json(*p.org_id) : json(nullptr)}, {"role", p.role},
                               {"entries", list}});
    }
    // Complementarities: for each domain, which kinds of institution hold it.
    json complement = json::array();
    for (const auto& [code, label] : labels) {
        std::map<std::string, std::size_t> by_type;
        for (const auto& [key, x] : cells) {
            if (key.second != code) continue;
            auto it = orgs.find(key.first);
            by_type[it == orgs.end() ? std::string() : it->second.type] += x.people.size();
        }
        json types = json::array();
        for (const auto& [type, n] : by_type)
            types.push_back({{"type", type}, {"label", type.empty() ? "Sans organisation" : type_labels.count(type) ? type_labels[type] : type},
                             {"people", n}});
        complement.push_back({{"domain", code}, {"types", types}});
    }
    return {{"region", reg ? json{{"code", region}, {"name", std::string(reg->label)}} : json(nullptr)},
            {"organisations", org_list},
            {"domains", domains},
            {"links", links},
            {"people", person_list},
            {"complementarities", complement}};
}

// ---- Vocabulary checks, people keys ----

bool service::has_domain(db::connection& c, const std::string& code) const {
    return c.prepare("SELECT 1 FROM expertise_domains WHERE code = ?1").bind(1, code).step();
}

bool service::has_role(db::connection& c, const std::string& code) const {
    return c.prepare("SELECT 1 FROM expertise_roles WHERE code = ?1").bind(1, code).step();
}

std::vector<std::int64_t> service::person_ids(db::connection& c) const {
    std::vector<std::int64_t> out;
    auto s = c.prepare("SELECT id FROM expertise_people");
    while (s.step()) out.push_back(s.get_int(0));
    return out;
}

std::int64_t service::listed_count(db::connection& c) const {
    auto s = c.prepare("SELECT count(*) FROM expertise_people WHERE consent = 1");
    s.step();
    return s.get_int(0);
}

// ---- The directory ----

std::optional<search::document> service::search_document(db::connection& c, std::int64_t key, std::int64_t now) const {
    auto p = load(c, key);
    if (!p || !p->consent) return std::nullopt;
    viewer system;
    system.role = "admin";
    auto full = person_json(c, system, key, now);
    search::document d;
    d.id = indexing::doc_id("expertise", key);
    d.title = p->name;
    std::string org = full["org"].is_null() ? std::string() : full["org"]["name"].get<std::string>();
    d.summary = full["role"]["label"].get<std::string>() + (org.empty() ? "" : " — " + org);
    std::set<std::string> domains, referent, practice, departements, regions;
    for (const auto& e : full["entries"]) {
        auto code = e["domain"]["code"].get<std::string>();
        auto level = e["level"].get<std::string>();
        domains.insert(code);
        if (level == "referent") referent.insert(code);
        if (level != "notions") practice.insert(code);
        d.body += e["domain"]["label"].get<std::string>() + ". " + e["note"].get<std::string>() + "\n";
    }
    // Territory: the départements named, else the région's; the régions they make.
    std::vector<std::string> deps = p->departements;
    if (deps.empty())
        if (const auto* r = p->home_region().empty() ? nullptr : reference::find_region(p->home_region()))
            for (auto x : r->departements) deps.emplace_back(x);
    for (const auto& x : deps) {
        departements.insert(x);
        if (const auto* r = reference::region_of_departement(x)) regions.insert(std::string(r->code));
    }
    if (!p->home_region().empty()) regions.insert(p->home_region());
    for (const auto& t : full["territory"]["departements"]) d.body += t["name"].get<std::string>() + " ";
    if (!full["territory"]["region"].is_null()) d.body += full["territory"]["region"]["name"].get<std::string>();
    d.facets["domain"] = {domains.begin(), domains.end()};
    d.facets["referent"] = {referent.begin(), referent.end()};
    d.facets["practice"] = {practice.begin(), practice.end()};
    d.facets["departement"] = {departements.begin(), departements.end()};
    d.facets["region"] = {regions.begin(), regions.end()};
    d.facets["role"] = {p->role};
    if (p->org_id) d.facets["org"] = {std::to_string(*p->org_id)};
    // Who may find it: everyone, a région's members, an organisation's.
    if (p->audience == "network")
        d.facets["audience"] = {"network"};
    else if (p->audience == "region")
        d.facets["audience"] = {"region:" + p->home_region()};
    else
        d.facets["audience"] = {"org:" + std::to_string(p->org_id.value_or(0))};
    return d;
}

json service::directory(db::connection& c, const search::index& idx, const viewer& v, const directory_query& dq,
                        std::int64_t now) const {
    search::query q;
    q.text = dq.text;
    q.filters["type"] = {"expertise"};
    if (!v.role.empty() && v.role != "admin") {
        q.filters["audience"] = {"network"};
        if (!v.region.empty()) q.filters["audience"].push_back("region:" + v.region);
        if (v.org_id) q.filters["audience"].push_back("org:" + std::to_string(*v.org_id));
    }
    const auto& level = dq.level;
    if (!dq.domain.empty()) {
        if (!has_domain(c, dq.domain)) throw api_error(errors::unknown_domain, "domain");
        q.filters[level == "referent" ? "referent" : level == "pratique" ? "practice" : "domain"] = {dq.domain};
    } else if (!level.empty() && level != "notions") {
        throw api_error(errors::invalid_field, "level", "Choisissez un domaine pour filtrer par niveau.");
    }
    if (!level.empty() && level != "notions" && level != "pratique" && level != "referent") throw api_error(errors::invalid_field, "level");
    if (!dq.departement.empty()) {
        if (!reference::region_of_departement(dq.departement)) throw api_error(errors::unknown_territory, "departement");
        q.filters["departement"] = {dq.departement};
    }
    if (!dq.region.empty()) {
        if (!reference::find_region(dq.region)) throw api_error(errors::unknown_territory, "region");
        q.filters["region"] = {dq.region};
    }
    if (!dq.org.empty()) {
        // An organisation's id (an unknown one finds no one; a non-number is a mistake).
        if (dq.org.find_first_not_of("0123456789") != std::string::npos || dq.org.size() > 18 || dq.org.front() == '0')
            throw api_error(errors::invalid_field, "org");
        q.filters["org"] = {dq.org};
    }
    if (!dq.role.empty()) {
        if (!has_role(c, dq.role)) throw api_error(errors::invalid_field, "role");
        q.filters["role"] = {dq.role};
    }
    q.limit = dq.limit;
    q.offset = dq.offset;
    if (q.text.empty()) q.by_date = false;
    search::result found;
    try {
        found = idx.search(q);
    } catch (const std::invalid_argument&) {
        // The query language's mistakes (« ET » alone, an open quote): as the library says.
        throw api_error(errors::query_syntax, "q");
    }
    // The cards from the map in memory (one read of its generation, one of the hits'
    // organisations), each checked again: the index may lag a withdrawal by a moment.
    auto f = facts(c);
    std::vector<std::int64_t> org_ids;
    for (const auto& h : found.hits) {
        auto key = indexing::key_of("expertise", h.id);
        if (!key) continue;
        if (auto it = f->by_id.find(*key); it != f->by_id.end() && f->people[it->second].p.org_id)
            org_ids.push_back(*f->people[it->second].p.org_id);
    }
    auto orgs = dir_.orgs(c, org_ids);
    json people = json::array();
    for (const auto& h : found.hits) {
        auto key = indexing::key_of("expertise", h.id);
        if (!key) continue;
        auto it = f->by_id.find(*key);
        if (it == f->by_id.end()) continue;
        person p = f->people[it->second].p;
        if (p.org_id)
            if (auto o = orgs.find(*p.org_id); o != orgs.end() && o->second.region) p.org_region = *o->second.region;
        if (!p.consent || !may_see(v, p)) continue;
        auto card_json = card(*f, *key, orgs, now);
        if (!card_json) continue;
        (*card_json)["snippet"] = h.snippet;
        people.push_back(std::move(*card_json));
    }
    json facets = json::object();
    for (const char* facet : {"domain", "referent", "departement", "region", "org", "role"}) {
        json counts = json::object();
        if (auto it = found.facets.find(facet); it != found.facets.end())
            for (const auto& [value, n] : it->second) {
                // The index keeps values in lower case: Corsica's départements are 2A and 2B.
                std::string key = value;
                if (std::string_view(facet) == "departement")
                    for (auto& ch : key) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
                counts[key] = n;
            }
        facets[facet] = counts;
    }
    return {{"people", people}, {"total", found.total}, {"facets", facets}, {"offset", q.offset}, {"limit", q.limit}};
}

}  // namespace relais::expertise
