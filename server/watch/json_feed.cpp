// JSON Feed 1.0 and 1.1 (https://www.jsonfeed.org/version/1.1/).
#include "watch/detail.hpp"
#include "watch/sanitize.hpp"
#include "watch/text.hpp"
#include "watch/urls.hpp"

namespace relais::watch::detail {

namespace {

constexpr std::size_t max_json_depth = 64;

/// Nesting depth of a JSON text, strings respected, without building anything: checked
/// before nlohmann's recursive parser sees it (5 MB of "[" would exhaust the stack).
std::size_t json_depth(std::string_view s) {
    std::size_t depth = 0, deepest = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (in_string) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            deepest = std::max(deepest, ++depth);
            if (deepest > max_json_depth) return deepest;
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return deepest;
}

std::string str(const nlohmann::json& o, const char* key) {
    auto it = o.find(key);
    if (it == o.end()) return {};
    if (it->is_string()) return it->get<std::string>();
    if (it->is_number_integer() || it->is_number_unsigned()) return it->dump();  // "id": 123
    return {};
}

std::string author_of(const nlohmann::json& o) {
    if (auto a = o.find("authors"); a != o.end() && a->is_array()) {
        for (const auto& x : *a)
            if (x.is_object())
                if (std::string n = str(x, "name"); !n.empty()) return n;
    }
    if (auto a = o.find("author"); a != o.end() && a->is_object()) return str(*a, "name");
    return {};
}

/// Plain text as HTML: escaped, line breaks kept.
std::string text_as_html(const std::string& text) {
    std::string escaped = escape_html(text), out;
    for (char c : escaped) {
        if (c == '\n')
            out += "<br>";
        else
            out += c;
    }
    return out;
}

}  // namespace

feed parse_json_feed(std::string_view utf8, const parse_options& o, warnings& w) {
    if (json_depth(utf8) > max_json_depth)
        throw parse_error(parse_errors::unreadable, "Le JSON Feed est trop profondément imbriqué pour être lu.");
    auto doc = nlohmann::json::parse(utf8, nullptr, false);
    if (doc.is_discarded() || !doc.is_object())
        throw parse_error(parse_errors::unreadable, "Le contenu n'est pas un flux RSS, Atom ou JSON Feed reconnu.");
    auto items = doc.find("items");
    std::string version = str(doc, "version");
    if (!version.starts_with("https://jsonfeed.org/version/") && !version.starts_with("http://jsonfeed.org/version/")) {
        if (items == doc.end() || !items->is_array())
            throw parse_error(parse_errors::unreadable, "Le contenu n'est pas un flux RSS, Atom ou JSON Feed reconnu.");
        w.add("JSON Feed sans version reconnue : lu comme la version 1.1.");
    }
    feed f;
    f.format = "jsonfeed";
    f.title = plain_title(str(doc, "title"));
    truncate_utf8_chars(f.title, max_title_chars);
    f.link = safe_url(o.base_url, str(doc, "home_page_url"));
    f.description = collapse_whitespace(str(doc, "description"));  // which replaces ill-formed UTF-8 too
    truncate_utf8_chars(f.description, 5'000);
    f.language = collapse_whitespace(str(doc, "language"));
    truncate_utf8_chars(f.language, 35);
    const std::string feed_author = author_of(doc);
    const std::string base = f.link.empty() ? o.base_url : f.link;

    std::vector<raw_item> raws;
    if (items != doc.end() && items->is_array()) {
        std::size_t seen = 0;
        for (const auto& it : *items) {
            if (!it.is_object()) continue;
            if (++seen > o.max_items + 1'000) break;
            raw_item r;
            r.base = base;
            r.guid = str(it, "id");
            r.title = plain_title(str(it, "title"));
            r.link = str(it, "url");
            if (r.link.empty()) r.link = str(it, "external_url");
            r.content_src = str(it, "content_html");
            if (r.content_src.empty()) r.content_src = text_as_html(str(it, "content_text"));
            r.summary_src = text_as_html(str(it, "summary"));
            r.dates = {str(it, "date_published"), str(it, "date_modified")};
            r.author = author_of(it);
            if (r.author.empty()) r.author = feed_author;
            if (auto tags = it.find("tags"); tags != it.end() && tags->is_array())
                for (const auto& t : *tags)
                    if (t.is_string()) r.categories.push_back(t.get<std::string>());
            if (auto att = it.find("attachments"); att != it.end() && att->is_array()) {
                for (const auto& a : *att) {
                    if (!a.is_object()) continue;
                    std::int64_t size = 0;
                    if (auto s = a.find("size_in_bytes"); s != a.end() && s->is_number_integer()) size = s->get<std::int64_t>();
                    r.enclosures.push_back({str(a, "url"), str(a, "mime_type"), size});
                }
            }
            raws.push_back(std::move(r));
        }
    }
    finish_items(raws, o, w, f);
    return f;
}

}  // namespace relais::watch::detail
