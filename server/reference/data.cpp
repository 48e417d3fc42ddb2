#include "reference/data.hpp"

namespace relais::reference {

const std::vector<code_label>& account_roles() {
    static const std::vector<code_label> v{
        {"admin", "Administrateur"}, {"animateur", "Animateur"}, {"membre", "Membre du réseau"}};
    return v;
}

const std::vector<code_label>& org_types() {
    static const std::vector<code_label> v{
        {"cpam", "CPAM"}, {"elsm", "ELSM"}, {"dcgdr", "DCGDR"}, {"msa", "MSA"}, {"ars", "ARS"},
        {"urps", "URPS"}, {"cpts", "CPTS"}, {"federation", "Fédération"}, {"autre", "Autre"}};
    return v;
}

const std::vector<region>& regions() {
    static const std::vector<region> v{
        {"84", "Auvergne-Rhône-Alpes", {"01", "03", "07", "15", "26", "38", "42", "43", "63", "69", "73", "74"}},
        {"27", "Bourgogne-Franche-Comté", {"21", "25", "39", "58", "70", "71", "89", "90"}},
        {"53", "Bretagne", {"22", "29", "35", "56"}},
        {"24", "Centre-Val de Loire", {"18", "28", "36", "37", "41", "45"}},
        {"94", "Corse", {"2A", "2B"}},
        {"44", "Grand Est", {"08", "10", "51", "52", "54", "55", "57", "67", "68", "88"}},
        {"32", "Hauts-de-France", {"02", "59", "60", "62", "80"}},
        {"11", "Île-de-France", {"75", "77", "78", "91", "92", "93", "94", "95"}},
        {"28", "Normandie", {"14", "27", "50", "61", "76"}},
        {"75", "Nouvelle-Aquitaine", {"16", "17", "19", "23", "24", "33", "40", "47", "64", "79", "86", "87"}},
        {"76", "Occitanie", {"09", "11", "12", "30", "31", "32", "34", "46", "48", "65", "66", "81", "82"}},
        {"52", "Pays de la Loire", {"44", "49", "53", "72", "85"}},
        {"93", "Provence-Alpes-Côte d’Azur", {"04", "05", "06", "13", "83", "84"}},
        {"01", "Guadeloupe", {"971"}},
        {"02", "Martinique", {"972"}},
        {"03", "Guyane", {"973"}},
        {"04", "La Réunion", {"974"}},
        {"06", "Mayotte", {"976"}},
    };
    return v;
}

const std::vector<code_label>& departements() {
    static const std::vector<code_label> v{
        {"01", "Ain"}, {"02", "Aisne"}, {"03", "Allier"}, {"04", "Alpes-de-Haute-Provence"}, {"05", "Hautes-Alpes"},
        {"06", "Alpes-Maritimes"}, {"07", "Ardèche"}, {"08", "Ardennes"}, {"09", "Ariège"}, {"10", "Aube"},
        {"11", "Aude"}, {"12", "Aveyron"}, {"13", "Bouches-du-Rhône"}, {"14", "Calvados"}, {"15", "Cantal"},
        {"16", "Charente"}, {"17", "Charente-Maritime"}, {"18", "Cher"}, {"19", "Corrèze"}, {"2A", "Corse-du-Sud"},
        {"2B", "Haute-Corse"}, {"21", "Côte-d’Or"}, {"22", "Côtes-d’Armor"}, {"23", "Creuse"}, {"24", "Dordogne"},
        {"25", "Doubs"}, {"26", "Drôme"}, {"27", "Eure"}, {"28", "Eure-et-Loir"}, {"29", "Finistère"},
        {"30", "Gard"}, {"31", "Haute-Garonne"}, {"32", "Gers"}, {"33", "Gironde"}, {"34", "Hérault"},
        {"35", "Ille-et-Vilaine"}, {"36", "Indre"}, {"37", "Indre-et-Loire"}, {"38", "Isère"}, {"39", "Jura"},
        {"40", "Landes"}, {"41", "Loir-et-Cher"}, {"42", "Loire"}, {"43", "Haute-Loire"}, {"44", "Loire-Atlantique"},
        {"45", "Loiret"}, {"46", "Lot"}, {"47", "Lot-et-Garonne"}, {"48", "Lozère"}, {"49", "Maine-et-Loire"},
        {"50", "Manche"}, {"51", "Marne"}, {"52", "Haute-Marne"}, {"53", "Mayenne"}, {"54", "Meurthe-et-Moselle"},
        {"55", "Meuse"}, {"56", "Morbihan"}, {"57", "Moselle"}, {"58", "Nièvre"}, {"59", "Nord"},
        {"60", "Oise"}, {"61", "Orne"}, {"62", "Pas-de-Calais"}, {"63", "Puy-de-Dôme"}, {"64", "Pyrénées-Atlantiques"},
        {"65", "Hautes-Pyrénées"}, {"66", "Pyrénées-Orientales"}, {"67", "Bas-Rhin"}, {"68", "Haut-Rhin"}, {"69", "Rhône"},
        {"70", "Haute-Saône"}, {"71", "Saône-et-Loire"}, {"72", "Sarthe"}, {"73", "Savoie"}, {"74", "Haute-Savoie"},
        {"75", "Paris"}, {"76", "Seine-Maritime"}, {"77", "Seine-et-Marne"}, {"78", "Yvelines"}, {"79", "Deux-Sèvres"},
        {"80", "Somme"}, {"81", "Tarn"}, {"82", "Tarn-et-Garonne"}, {"83", "Var"}, {"84", "Vaucluse"},
        {"85", "Vendée"}, {"86", "Vienne"}, {"87", "Haute-Vienne"}, {"88", "Vosges"}, {"89", "Yonne"},
        {"90", "Territoire de Belfort"}, {"91", "Essonne"}, {"92", "Hauts-de-Seine"}, {"93", "Seine-Saint-Denis"},
        {"94", "Val-de-Marne"}, {"95", "Val-d’Oise"}, {"971", "Guadeloupe"}, {"972", "Martinique"}, {"973", "Guyane"},
        {"974", "La Réunion"}, {"976", "Mayotte"},
    };
    return v;
}

const std::vector<code_label>& phases() {
    static const std::vector<code_label> v{{"emergence", "Émergence"},
                                           {"lettre_intention", "Lettre d’intention"},
                                           {"diagnostic", "Diagnostic territorial"},
                                           {"projet_sante", "Projet de santé"},
                                           {"contractualisation", "Contractualisation ACI"},
                                           {"dialogue_gestion", "Dialogue de gestion"}};
    return v;
}

const std::vector<code_label>& missions() {
    static const std::vector<code_label> v{{"acces_soins", "Accès aux soins"},
                                           {"parcours", "Parcours pluriprofessionnels"},
                                           {"prevention", "Prévention"},
                                           {"crise_sanitaire", "Crises sanitaires"},
                                           {"qualite_pertinence", "Qualité et pertinence"},
                                           {"accompagnement_pros", "Accompagnement des professionnels"}};
    return v;
}

const std::vector<code_label>& item_kinds() {
    static const std::vector<code_label> v{{"temoignage", "Témoignage"}, {"outil", "Outil"}, {"guide", "Guide"},
                                           {"compte_rendu", "Compte rendu"}, {"veille", "Veille"}};
    return v;
}

const std::vector<code_label>& workshop_stages() {
    static const std::vector<code_label> v{{"lettre_intention", "Lettre d’intention"},
                                           {"projet_sante", "Projet de santé"},
                                           {"pre_aci", "Avant la signature de l’ACI"},
                                           {"post_conventionnement", "Après le conventionnement"}};
    return v;
}

const std::vector<code_label>& workshop_states() {
    static const std::vector<code_label> v{
        {"draft", "Brouillon"}, {"scheduled", "Programmé"}, {"live", "En direct"}, {"closed", "Clos"}, {"archived", "Archivé"}};
    return v;
}

const std::vector<code_label>& workshop_roles() {
    static const std::vector<code_label> v{{"facilitator", "Animateur"}, {"participant", "Participant"}, {"observer", "Observateur"}};
    return v;
}

bool contains(const std::vector<code_label>& set, std::string_view code) { return !label_of(set, code).empty(); }

std::string_view label_of(const std::vector<code_label>& set, std::string_view code) {
    for (const auto& c : set)
        if (c.code == code) return c.label;
    return {};
}

const region* find_region(std::string_view code) {
    for (const auto& r : regions())
        if (r.code == code) return &r;
    return nullptr;
}

const region* region_of_departement(std::string_view departement) {
    for (const auto& r : regions())
        for (auto d : r.departements)
            if (d == departement) return &r;
    return nullptr;
}

nlohmann::json meta_json() {
    auto list = [](const std::vector<code_label>& set) {
        auto out = nlohmann::json::array();
        for (const auto& c : set) out.push_back({{"code", c.code}, {"label", c.label}});
        return out;
    };
    auto regs = nlohmann::json::array();
    for (const auto& r : regions()) {
        auto deps = nlohmann::json::array();
        for (auto d : r.departements) deps.push_back({{"code", d}, {"label", label_of(departements(), d)}});
        // "name" repeats "label" for the clients of the 0.1 API.
        regs.push_back({{"code", r.code}, {"label", r.label}, {"name", r.label}, {"departements", deps}});
    }
    return {{"roles", list(account_roles())},
            {"org_types", list(org_types())},
            {"regions", regs},
            {"departements", list(departements())},
            {"phases", list(phases())},
            {"missions", list(missions())},
            {"kinds", list(item_kinds())},
            {"workshop_stages", list(workshop_stages())},
            {"workshop_states", list(workshop_states())},
            {"workshop_roles", list(workshop_roles())}};
}

}  // namespace relais::reference
