#include "reference/glossary.hpp"

#include "common/errors.hpp"

#include <algorithm>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace relais::reference {
namespace {

std::string trim(std::string s) {
    auto b = s.find_first_not_of(" \t\r");
    if (b == std::string::npos) return {};
    auto e = s.find_last_not_of(" \t\r");
    return s.substr(b, e - b + 1);
}

bool is_acronym(const std::string& s) {
    if (s.size() < 2 || s.size() > 10) return false;
    return std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); });
}

}  // namespace

nlohmann::json glossary_json(std::string_view synonyms, std::string_view explanations) {
    std::map<std::string, std::string> explained;
    {
        std::istringstream in{std::string(explanations)};
        for (std::string line; std::getline(in, line);) {
            line = trim(line);
            if (line.empty() || line[0] == '#') continue;
            auto colon = line.find(" : ");
            if (colon == std::string::npos) continue;
            explained[trim(line.substr(0, colon))] = trim(line.substr(colon + 3));
        }
    }
    std::map<std::string, std::vector<std::string>> forms;
    {
        std::istringstream in{std::string(synonyms)};
        for (std::string line; std::getline(in, line);) {
            line = trim(line);
            if (line.empty() || line[0] == '#') continue;
            auto eq = line.find('=');
            if (eq == std::string::npos) continue;
            auto term = trim(line.substr(0, eq));
            if (!is_acronym(term)) continue;
            auto& list = forms[term];
            std::istringstream rest(line.substr(eq + 1));
            for (std::string f; std::getline(rest, f, ';');)
                if (auto v = trim(f); !v.empty() && std::find(list.begin(), list.end(), v) == list.end()) list.push_back(v);
        }
    }
    auto entries = nlohmann::json::array();
    for (const auto& [term, list] : forms) {
        auto it = explained.find(term);
        // The seed files are written with plain signs; the page reads French typography.
        auto forms_shown = nlohmann::json::array();
        for (const auto& f : list) forms_shown.push_back(french_typography(f));
        entries.push_back({{"term", term}, {"forms", forms_shown},
                           {"explanation", it == explained.end() ? std::string() : french_typography(it->second)}});
    }
    return {{"entries", entries}};
}

}  // namespace relais::reference
