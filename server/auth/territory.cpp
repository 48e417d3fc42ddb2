#include "auth/territory.hpp"

namespace relais::auth {

const std::vector<code_label>& roles() {
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
        {"93", "Provence-Alpes-Côte d'Azur", {"04", "05", "06", "13", "83", "84"}},
        {"01", "Guadeloupe", {"971"}},
        {"02", "Martinique", {"972"}},
        {"03", "Guyane", {"973"}},
        {"04", "La Réunion", {"974"}},
        {"06", "Mayotte", {"976"}},
    };
    return v;
}

bool is_role(std::string_view s) {
    for (const auto& r : roles())
        if (r.code == s) return true;
    return false;
}

bool is_org_type(std::string_view s) {
    for (const auto& t : org_types())
        if (t.code == s) return true;
    return false;
}

const region* find_region(std::string_view code) {
    for (const auto& r : regions())
        if (r.code == code) return &r;
    return nullptr;
}

}  // namespace relais::auth
