#include "library/documents.hpp"

#include "auth/territory.hpp"
#include "common/log.hpp"

#include <regex>
#include <set>

namespace relais::library {

std::string markdown_to_text(std::string_view md) {
    std::string out;
    out.reserve(md.size());
    std::size_t i = 0;
    bool line_start = true;
    while (i < md.size()) {
        char c = md[i];
        if (line_start) {
            // Block markers: headings, quotes, list bullets, check boxes.
            while (i < md.size() && (md[i] == '#' || md[i] == '>' || md[i] == ' ' || md[i] == '\t')) ++i;
            if (i + 1 < md.size() && (md[i] == '-' || md[i] == '*' || md[i] == '+') && md[i + 1] == ' ') i += 2;
            if (md.substr(i, 3) == "[ ]" || md.substr(i, 3) == "[x]") i += 3;
            line_start = false;
            continue;
        }
        if (c == '\n') {
            out += '\n';
            line_start = true;
            ++i;
        } else if (c == '*' || c == '_' || c == '`' || c == '|' || c == '\\') {
            if (c == '|') out += ' ';
            ++i;
        } else if (c == ']' && i + 1 < md.size() && md[i + 1] == '(') {
            // [text](url): keep the text, drop the address.
            auto close = md.find(')', i + 2);
            i = close == std::string_view::npos ? md.size() : close + 1;
        } else if (c == '[') {
            ++i;
        } else {
            out += c;
            ++i;
        }
    }
    return out;
}

std::string doc_id(std::int64_t item_id) { return indexing::doc_id("item", item_id); }

std::optional<std::int64_t> item_id_of(const std::string& id) { return indexing::key_of("item", id); }

std::optional<search::document> document_for(db::connection& c, const auth::directory& dir, const item& input) {
    if (!input.is_public()) return std::nullopt;
    auto it = input;
    store::name_org(c, dir, it);
    auto v = store::version(c, it.id, *it.published_version);
    if (!v) return std::nullopt;
    search::document d;
    d.id = doc_id(it.id);
    d.title = v->title;
    d.summary = v->summary;
    d.body = markdown_to_text(v->body);
    for (const auto& a : v->attachments) {
        if (auto f = store::file(c, a.sha256)) {
            d.more += a.name + "\n" + f->text + "\n";
        }
    }
    d.facets["kind"] = {it.kind};
    d.facets["phase"] = v->phases;
    d.facets["mission"] = v->missions;
    if (it.org_type) d.facets["org_type"] = {*it.org_type};
    if (v->region) d.facets["region"] = {*v->region};
    if (v->date.size() >= 4) d.facets["year"] = {v->date.substr(0, 4)};
    // Unix seconds of the item's date (noon UTC, days from civil).
    int y = 0, m = 0, day = 0;
    if (std::sscanf(v->date.c_str(), "%d-%d-%d", &y, &m, &day) == 3) {
        y -= m <= 2;
        const int era = (y >= 0 ? y : y - 399) / 400;
        const int yoe = y - era * 400;
        const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + day - 1;
        const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        d.date = (static_cast<std::int64_t>(era) * 146097 + doe - 719468) * 86400 + 43200;
    }
    d.extra = json{{"kind", it.kind}, {"date", v->date}, {"phases", v->phases}, {"organisation", it.org_name.value_or("")}}.dump();
    return d;
}

std::optional<search::document> item_source::document(db::connection& c, std::int64_t key) const {
    auto it = store::find_item(c, key);
    return it ? document_for(c, dir_, *it) : std::nullopt;
}

std::vector<std::int64_t> item_source::keys(db::connection& c) const { return store::item_ids(c); }

std::int64_t item_source::expected(db::connection& c) const { return store::count_public(c); }

}  // namespace relais::library
