#include "territory/service.hpp"

#include "common/json_input.hpp"
#include "common/markup.hpp"
#include "common/utf8.hpp"
#include "reference/data.hpp"
#include "territory/errors.hpp"
#include "territory/sizing.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <unordered_set>

namespace relais::territory {
namespace {

std::string region_name(std::string_view code) {
    auto r = reference::find_region(code);
    return r ? std::string(r->label) : std::string();
}

std::string departement_name(std::string_view code) { return std::string(reference::label_of(reference::departements(), code)); }

/// A printable excerpt of what a client sent, for a message.
// What was sent, for a message (plain text, shown as text): 20 characters at most, and
// only what is printable — a control character or a direction override is left out.
std::string shown(const std::string& s) {
    if (!is_valid_utf8(s)) return "?";
    std::string out;
    std::size_t i = 0, kept = 0;
    while (i < s.size() && kept < 20) {
        std::size_t n = 1;
        auto b = static_cast<unsigned char>(s[i]);
        if (b >= 0xF0) n = 4;
        else if (b >= 0xE0) n = 3;
        else if (b >= 0xC0) n = 2;
        auto ch = s.substr(i, n);
        i += n;
        if (json_input::has_control(ch)) continue;
        out += ch;
        ++kept;
    }
    if (i < s.size()) out += "…";
    return out;
}

}  // namespace

std::vector<std::string> parse_codes(const nlohmann::json& body, const char* field, std::size_t max) {
    auto it = body.find(field);
    if (it == body.end() || !it->is_array()) throw api_error(errors::invalid_field, field);
    // Repeats are dropped, but a list far longer than any territory is refused before.
    if (it->size() > max * 2) throw api_error(errors::too_many_communes, field,
                                              "Un territoire compte au plus " + std::to_string(max) + " communes.");
    std::vector<std::string> codes;
    std::unordered_set<std::string> seen;
    for (const auto& v : *it) {
        if (!v.is_string()) throw api_error(errors::invalid_field, field);
        // Trimmed like every string the API reads (a code pasted from a spreadsheet).
        auto typed = json_input::trim(v.get_ref<const std::string&>());
        auto code = typed;
        for (auto& c : code) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        bool shape = code.size() == 5 && looks_like_code(code);
        if (!shape)  // the message quotes what was sent, as it was written
            throw api_error(errors::unknown_commune, field,
                            "« " + shown(typed) + " » n'est pas un code INSEE de commune (cinq caractères, par exemple 59350 ou 2A004).");
        if (seen.insert(code).second) codes.push_back(std::move(code));
    }
    if (codes.size() > max)
        throw api_error(errors::too_many_communes, field, "Un territoire compte au plus " + std::to_string(max) + " communes.");
    return codes;
}

std::vector<const commune*> resolve(const commune_index& index, const std::vector<std::string>& codes) {
    std::vector<const commune*> out;
    out.reserve(codes.size());
    for (const auto& code : codes) {
        if (auto m = index.find(code)) {
            out.push_back(m);
            continue;
        }
        if (auto s = index.find_split(code))
            throw api_error(errors::split_commune, "communes",
                            s->name + " (" + s->code + ") se choisit par arrondissement : cherchez « " + s->name + " ».");
        throw api_error(errors::unknown_commune, "communes", "Aucune commune n'a le code INSEE " + code + ".");
    }
    return out;
}

summary summarise(std::vector<const commune*> communes) {
    summary s;
    s.communes = std::move(communes);
    std::map<std::string, std::int64_t> deps, regs;
    for (const auto* m : s.communes) {
        s.population += m->population;
        deps[m->departement] += m->population;
        regs[m->region] += m->population;
    }
    s.size = cpts_size(s.population);
    s.seed_funding_eur = seed_funding_eur(s.size);
    s.departements.assign(deps.begin(), deps.end());
    s.regions.assign(regs.begin(), regs.end());
    return s;
}

void find_overlaps(db::connection& c, const auth::directory& dir, const commune_index& index, summary& s, std::int64_t except_org) {
    std::vector<std::string> codes;
    codes.reserve(s.communes.size());
    for (const auto* m : s.communes) codes.push_back(m->code);
    auto held = store::holders(c, codes, except_org);
    if (held.empty()) return;
    std::vector<std::int64_t> ids;
    for (const auto& [id, _] : held) ids.push_back(id);
    auto orgs = dir.orgs(c, ids);
    for (const auto& [id, shared] : held) {
        auto o = orgs.find(id);
        if (o == orgs.end() || o->second.type != "cpts") continue;  // no longer a CPTS
        overlap ov{id, o->second.name, {}, 0};
        for (const auto& code : shared)
            if (auto m = index.find(code)) {
                ov.shared.push_back(m);
                ov.shared_population += m->population;
            }
        s.overlaps.push_back(std::move(ov));
    }
    // The largest overlap first.
    std::stable_sort(s.overlaps.begin(), s.overlaps.end(),
                     [](const overlap& a, const overlap& b) { return a.shared.size() > b.shared.size(); });
}

nlohmann::json commune_json(const commune& m) {
    return {{"code", m.code},
            {"name", m.name},
            {"postcodes", m.postcodes},
            {"population", m.population},
            {"departement", m.departement},
            {"departement_name", departement_name(m.departement)},
            {"region", m.region},
            {"region_name", region_name(m.region)}};
}

nlohmann::json summary_json(const summary& s, const commune_index& index) {
    nlohmann::json communes = nlohmann::json::array();
    for (const auto* m : s.communes) communes.push_back(commune_json(*m));
    nlohmann::json deps = nlohmann::json::array(), regs = nlohmann::json::array(), overlaps = nlohmann::json::array();
    for (const auto& [code, pop] : s.departements)
        deps.push_back({{"code", code}, {"name", departement_name(code)}, {"population", pop}});
    for (const auto& [code, pop] : s.regions) regs.push_back({{"code", code}, {"name", region_name(code)}, {"population", pop}});
    for (const auto& o : s.overlaps) {
        nlohmann::json shared = nlohmann::json::array();
        for (const auto* m : o.shared) shared.push_back({{"code", m->code}, {"name", m->name}, {"population", m->population}});
        overlaps.push_back({{"org_id", o.org_id}, {"name", o.name}, {"communes", shared}, {"population", o.shared_population}});
    }
    return {{"communes", communes},
            {"commune_count", s.communes.size()},
            {"population", s.population},
            {"size", s.size},
            {"seed_funding_eur", s.seed_funding_eur},
            {"coordinator_funding_eur", coordinator_funding_eur},
            {"departements", deps},
            {"regions", regs},
            {"overlaps", overlaps},
            {"data_year", index.data_year()},
            {"data_version", index.version()}};
}

std::string summary_csv(const summary& s, const commune_index& index, const std::string& title) {
    std::ostringstream out;
    out << "\xEF\xBB\xBF";  // so that spreadsheets read UTF-8
    out << "code_insee;commune;codes_postaux;population;departement;region\r\n";
    for (const auto* m : s.communes) {
        std::string postcodes;
        for (const auto& p : m->postcodes) postcodes += (postcodes.empty() ? "" : " ") + p;
        out << csv_field(m->code) << ';' << csv_field(m->name) << ';' << csv_field(postcodes) << ';' << m->population << ';'
            << csv_field(m->departement + " " + departement_name(m->departement)) << ';'
            << csv_field(m->region + " " + region_name(m->region)) << "\r\n";
    }
    out << "\r\n";
    if (!title.empty()) out << "territoire;" << csv_field(title) << "\r\n";
    out << "communes;" << s.communes.size() << "\r\n";
    out << "population;" << s.population << "\r\n";
    out << "taille;" << s.size << "\r\n";
    out << "financement_amorcage_eur;" << s.seed_funding_eur << "\r\n";
    out << "dont_coordonnateur_eur;" << coordinator_funding_eur << "\r\n";
    for (const auto& o : s.overlaps) {
        std::string names;
        for (const auto* m : o.shared) names += (names.empty() ? "" : ", ") + m->name;
        out << "chevauchement;" << csv_field(o.name) << ';' << csv_field(names) << "\r\n";
    }
    out << "populations;" << csv_field("populations municipales, millésime " + std::to_string(index.data_year()) +
                                       " (@etalab/decoupage-administratif " + index.version() + ", Licence Ouverte)")
        << "\r\n";
    return out.str();
}

auth::org require_cpts(db::connection& c, const auth::directory& dir, std::int64_t org_id) {
    auto o = dir.find_org(c, org_id);
    if (!o || o->type != "cpts") throw api_error(errors::not_cpts);
    return *o;
}

bool may_edit(const auth::principal& p, std::int64_t org_id) {
    const auto& role = p.account.role;
    return role == "admin" || role == "animateur" || (p.account.org_id && *p.account.org_id == org_id);
}

}  // namespace relais::territory
