#include "territory/communes.hpp"

#include "reference/data.hpp"
#include "search/text.hpp"

#include <algorithm>
#include <charconv>
#include <stdexcept>
#include <unordered_set>

namespace relais::territory {
namespace {

bool is_word_byte(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80; }

std::vector<std::string_view> words_of(std::string_view folded) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < folded.size()) {
        auto sp = folded.find(' ', i);
        if (sp == std::string_view::npos) sp = folded.size();
        if (sp > i) out.push_back(folded.substr(i, sp - i));
        i = sp + 1;
    }
    return out;
}

std::string_view abbreviation(std::string_view w) {
    if (w == "st") return "saint";
    if (w == "ste") return "sainte";
    if (w == "sts") return "saints";
    if (w == "stes") return "saintes";
    return {};
}

std::string text_of(const nlohmann::json& o, const char* k) {
    auto it = o.find(k);
    return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

}  // namespace

dataset parse_communes(const nlohmann::json& doc) {
    if (!doc.is_array()) throw std::runtime_error("communes.json: not an array");
    dataset out;
    std::unordered_set<std::string> parents;
    std::vector<commune> all;
    for (const auto& o : doc) {
        if (!o.is_object()) continue;
        auto type = text_of(o, "type");
        if (type != "commune-actuelle" && type != "arrondissement-municipal") continue;
        commune c;
        c.code = text_of(o, "code");
        c.name = text_of(o, "nom");
        c.departement = text_of(o, "departement");
        c.region = text_of(o, "region");
        // Only the ACI's départements (metropolitan France and the five DROM).
        if (c.code.empty() || c.name.empty() || !reference::contains(reference::departements(), c.departement)) continue;
        if (auto p = o.find("population"); p != o.end() && p->is_number_integer()) c.population = std::max<std::int64_t>(0, p->get<std::int64_t>());
        if (auto pc = o.find("codesPostaux"); pc != o.end() && pc->is_array())
            for (const auto& v : *pc)
                if (v.is_string()) c.postcodes.push_back(v.get<std::string>());
        if (type == "arrondissement-municipal") {
            c.parent = text_of(o, "commune");
            if (c.parent.empty()) continue;
            parents.insert(c.parent);
        }
        all.push_back(std::move(c));
    }
    // Paris, Lyon and Marseille are their arrondissements: the commune itself is not
    // pickable (its population is theirs: counting both would count it twice).
    for (auto& c : all) {
        if (c.parent.empty() && parents.count(c.code)) {
            out.split.push_back({c.code, c.name, {}});
            continue;
        }
        out.communes.push_back(std::move(c));
    }
    for (auto& s : out.split)
        for (const auto& c : out.communes)
            if (c.parent == s.code) s.arrondissements.push_back(c.code);
    if (out.communes.empty()) throw std::runtime_error("communes.json: no commune");
    return out;
}

int data_year_of(std::string_view readme, std::string_view version) {
    std::size_t i = 0;
    while (i < readme.size()) {
        auto nl = readme.find('\n', i);
        if (nl == std::string_view::npos) nl = readme.size();
        auto line = trim(readme.substr(i, nl - i));
        i = nl + 1;
        if (line.empty() || line.front() != '|') continue;
        // | 2026  | 6.0.0 | `npm install …` |
        std::vector<std::string_view> cells;
        std::size_t j = 1;
        while (j < line.size()) {
            auto bar = line.find('|', j);
            if (bar == std::string_view::npos) break;
            cells.push_back(trim(line.substr(j, bar - j)));
            j = bar + 1;
        }
        if (cells.size() >= 2 && cells[1] == version && cells[0].size() == 4) {
            int year = 0;
            auto r = std::from_chars(cells[0].data(), cells[0].data() + 4, year);
            if (r.ec == std::errc() && year >= 2000 && year < 2100) return year;
        }
    }
    int major = 0;
    auto r = std::from_chars(version.data(), version.data() + version.size(), major);
    if (r.ec == std::errc() && major >= 1 && major < 80) return 2020 + major;
    return 0;
}

std::string fold_name(std::string_view text) {
    auto folded = search::fold(text);
    std::string out;
    out.reserve(folded.size());
    bool space = false;
    for (char ch : folded) {
        auto c = static_cast<unsigned char>(ch);
        if (c >= 'A' && c <= 'Z') c = static_cast<unsigned char>(c - 'A' + 'a');
        if (is_word_byte(c)) {
            if (space && !out.empty()) out += ' ';
            space = false;
            out += static_cast<char>(c);
        } else {
            space = true;
        }
    }
    return out;
}

folded_query fold_query(std::string_view q) {
    auto folded = fold_name(q);
    auto words = words_of(folded);
    // The last word is still being typed unless the query ends with a separator (read on
    // the folded text: « LIL » and « Orléa » end with a letter).
    auto plain = search::fold(q);
    bool last_complete = !plain.empty() && !is_word_byte(static_cast<unsigned char>(plain.back()));
    folded_query out;
    for (std::size_t i = 0; i < words.size(); ++i) {
        auto w = words[i];
        auto full = abbreviation(w);
        bool complete = i + 1 < words.size() || last_complete;
        if (i) {
            out.expanded += ' ';
            out.typed += ' ';
        }
        out.expanded += full.empty() ? w : full;
        out.typed += full.empty() || complete ? (full.empty() ? w : full) : w;
    }
    if (last_complete && !out.expanded.empty()) {
        // "saint " must not match "saintes": the word is whole.
        out.expanded += ' ';
        out.typed += ' ';
    }
    return out;
}

bool looks_like_code(std::string_view q) {
    if (q.empty()) return false;
    for (std::size_t i = 0; i < q.size(); ++i) {
        char c = q[i];
        bool digit = c >= '0' && c <= '9';
        bool corsica = i == 1 && q[0] == '2' && (c == 'a' || c == 'b' || c == 'A' || c == 'B');
        if (!digit && !corsica) return false;
    }
    return true;
}

commune_index::commune_index(std::vector<commune> communes, std::vector<split_commune> split, std::string version, int data_year)
    : communes_(std::move(communes)), split_(std::move(split)), version_(std::move(version)), data_year_(data_year) {
    folded_.reserve(communes_.size());
    for (const auto& c : communes_) folded_.push_back(fold_name(c.name));
    by_code_.reserve(communes_.size());
    for (std::uint32_t i = 0; i < communes_.size(); ++i) {
        const auto& c = communes_[i];
        by_code_.emplace(c.code, i);
        codes_.push_back({c.code, i, 0});
        for (const auto& p : c.postcodes) codes_.push_back({p, i, 1});
        std::string_view f = folded_[i];
        std::uint32_t word = 0;
        for (std::size_t at = 0; at < f.size();) {
            names_.push_back({f.substr(at), i, word++});
            auto sp = f.find(' ', at);
            if (sp == std::string_view::npos) break;
            at = sp + 1;
        }
    }
    auto by_text = [](const key& a, const key& b) { return a.text < b.text; };
    std::sort(names_.begin(), names_.end(), by_text);
    std::sort(codes_.begin(), codes_.end(), by_text);
}

const commune* commune_index::find(std::string_view code) const {
    auto it = by_code_.find(code);
    return it == by_code_.end() ? nullptr : &communes_[it->second];
}

const split_commune* commune_index::find_split(std::string_view code) const {
    for (const auto& s : split_)
        if (s.code == code) return &s;
    return nullptr;
}

void commune_index::names_from(std::string_view prefix, std::unordered_map<std::uint32_t, std::uint32_t>& ranks) const {
    if (prefix.empty()) return;
    auto it = std::lower_bound(names_.begin(), names_.end(), prefix, [](const key& k, std::string_view p) { return k.text < p; });
    // A query ending with a space ("saint ") also matches the name that is exactly "saint".
    std::string_view bare = prefix.back() == ' ' ? prefix.substr(0, prefix.size() - 1) : prefix;
    if (bare.size() != prefix.size()) {
        auto exact = std::lower_bound(names_.begin(), names_.end(), bare, [](const key& k, std::string_view p) { return k.text < p; });
        for (; exact != names_.end() && exact->text == bare; ++exact) {
            auto r = exact->word == 0 ? 1u : 3u;
            auto [slot, fresh] = ranks.try_emplace(exact->commune, r);
            if (!fresh) slot->second = std::min(slot->second, r);
        }
    }
    for (; it != names_.end() && it->text.substr(0, prefix.size()) == prefix; ++it) {
        // 1: the whole name; 2: the name starts so; 3: a later word starts so.
        std::uint32_t r = it->word == 0 ? (it->text.size() == bare.size() ? 1u : 2u) : 3u;
        auto [slot, fresh] = ranks.try_emplace(it->commune, r);
        if (!fresh) slot->second = std::min(slot->second, r);
    }
}

std::vector<const commune*> commune_index::search(std::string_view q, std::size_t limit) const {
    std::unordered_map<std::uint32_t, std::uint32_t> ranks;  // commune -> rank (lower first)
    auto trimmed = trim(q);
    if (looks_like_code(trimmed)) {
        std::string code(trimmed);
        for (auto& c : code) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        auto it = std::lower_bound(codes_.begin(), codes_.end(), std::string_view(code),
                                   [](const key& k, std::string_view p) { return k.text < p; });
        for (; it != codes_.end() && it->text.substr(0, code.size()) == code; ++it) {
            // 0: the exact INSEE or postal code; 2: a code that starts so.
            std::uint32_t r = it->text.size() == code.size() ? 0u : 2u;
            auto [slot, fresh] = ranks.try_emplace(it->commune, r);
            if (!fresh) slot->second = std::min(slot->second, r);
        }
        // The code of Paris, Lyon or Marseille gives their arrondissements.
        if (auto s = find_split(code))
            for (const auto& a : s->arrondissements)
                if (auto f = by_code_.find(a); f != by_code_.end()) ranks[f->second] = 0;
    } else {
        auto fq = fold_query(trimmed);
        names_from(fq.expanded, ranks);
        if (fq.typed != fq.expanded) names_from(fq.typed, ranks);
    }
    std::vector<std::pair<std::uint32_t, std::uint32_t>> found(ranks.begin(), ranks.end());
    auto before = [this](const std::pair<std::uint32_t, std::uint32_t>& a, const std::pair<std::uint32_t, std::uint32_t>& b) {
        if (a.second != b.second) return a.second < b.second;
        const auto& ca = communes_[a.first];
        const auto& cb = communes_[b.first];
        if (ca.population != cb.population) return ca.population > cb.population;
        return ca.code < cb.code;
    };
    auto n = std::min(limit, found.size());
    std::partial_sort(found.begin(), found.begin() + static_cast<std::ptrdiff_t>(n), found.end(), before);
    std::vector<const commune*> out;
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) out.push_back(&communes_[found[i].first]);
    return out;
}

}  // namespace relais::territory
