// Reading an HTML page's head: feed links, title, description.
#include "watch/discover.hpp"

#include "watch/detail.hpp"
#include "watch/sanitize.hpp"
#include "watch/text.hpp"
#include "watch/urls.hpp"

#include <cstring>
#include <functional>

namespace relais::watch {

namespace {

detail::doc_ptr read_page(std::string_view html) {
    std::vector<std::string> ignored;
    detail::warnings w{ignored};
    return detail::read_html(detail::decode_to_utf8(html, {}, false, w));
}

/// Every element in document order, without recursion (pages can be deeply nested); stops
/// when `visit` returns false.
void for_each_element(const xmlNode* n, const std::function<bool(const xmlNode*)>& visit) {
    const xmlNode* root = n;
    while (n) {
        if (n->type == XML_ELEMENT_NODE && !visit(n)) return;
        if (n->children && n->type == XML_ELEMENT_NODE) {
            n = n->children;
            continue;
        }
        while (n && n != root && !n->next) n = n->parent;
        if (!n || n == root) return;
        n = n->next;
    }
}

bool named(const xmlNode* n, const char* name) { return xmlStrcasecmp(n->name, BAD_CAST name) == 0; }

std::string get(const xmlNode* n, const char* attr) {
    xmlChar* v = xmlGetProp(n, BAD_CAST attr);
    if (!v) return {};
    std::string out(reinterpret_cast<const char*>(v));
    xmlFree(v);
    return out;
}

bool has_token(const std::string& list, std::string_view token) {
    std::string l = ascii_lower(list);
    std::size_t i = 0;
    while (i < l.size()) {
        while (i < l.size() && (l[i] == ' ' || l[i] == '\t' || l[i] == '\n' || l[i] == '\r')) ++i;
        std::size_t j = i;
        while (j < l.size() && !(l[j] == ' ' || l[j] == '\t' || l[j] == '\n' || l[j] == '\r')) ++j;
        if (std::string_view(l).substr(i, j - i) == token) return true;
        i = j;
    }
    return false;
}

std::string plain(std::string_view s, std::size_t max_chars) {
    std::string out = s.find('<') != std::string_view::npos || s.find('&') != std::string_view::npos
                          ? html_to_text(s, max_chars * 4 + 64)
                          : collapse_whitespace(s);  // which replaces ill-formed UTF-8 too
    truncate_utf8_chars(out, max_chars);
    return out;
}

}  // namespace

std::vector<discovered_feed> discover_feeds(std::string_view html, const std::string& base_url) {
    std::vector<discovered_feed> out;
    auto doc = read_page(html);
    if (!doc) return out;
    std::string base = base_url;
    bool base_seen = false;
    for_each_element(xmlDocGetRootElement(doc.get()), [&](const xmlNode* n) {
        if (named(n, "base") && !base_seen) {
            base_seen = true;
            if (std::string b = safe_url(base_url, get(n, "href")); !b.empty()) base = b;
        } else if (named(n, "link") && has_token(get(n, "rel"), "alternate")) {
            std::string type = ascii_lower(collapse_whitespace(get(n, "type")));
            type = type.substr(0, type.find(';'));
            while (type.ends_with(' ')) type.pop_back();
            if (type != "application/rss+xml" && type != "application/atom+xml" && type != "application/feed+json" &&
                type != "application/json" && type != "application/rdf+xml")
                return true;
            std::string url = safe_url(base, get(n, "href"));
            if (url.empty()) return true;
            for (const auto& f : out)
                if (f.url == url) return true;
            out.push_back({url, plain(get(n, "title"), 300), type});
        }
        return out.size() < 20;
    });
    return out;
}

page_meta extract_page_meta(std::string_view html, const std::string& base_url) {
    page_meta m;
    auto doc = read_page(html);
    if (!doc) return m;
    std::string og_title, tw_title, title, og_desc, tw_desc, desc, canonical, og_url;
    std::string base = base_url;
    bool base_seen = false;
    for_each_element(xmlDocGetRootElement(doc.get()), [&](const xmlNode* n) {
        if (named(n, "base") && !base_seen) {
            base_seen = true;
            if (std::string b = safe_url(base_url, get(n, "href")); !b.empty()) base = b;
        } else if (named(n, "link") && has_token(get(n, "rel"), "canonical") && canonical.empty()) {
            canonical = safe_url(base, get(n, "href"));
        } else if (named(n, "meta")) {
            std::string key = ascii_lower(get(n, "property"));
            if (key.empty()) key = ascii_lower(get(n, "name"));
            std::string content = get(n, "content");
            if (key == "og:title" && og_title.empty()) og_title = content;
            if (key == "twitter:title" && tw_title.empty()) tw_title = content;
            if (key == "og:description" && og_desc.empty()) og_desc = content;
            if (key == "twitter:description" && tw_desc.empty()) tw_desc = content;
            if (key == "description" && desc.empty()) desc = content;
            if (key == "og:url" && og_url.empty()) og_url = safe_url(base, content);
        } else if (named(n, "title") && title.empty()) {
            // <title> inside <svg> is the drawing's, not the page's.
            bool in_svg = false;
            for (const xmlNode* p = n->parent; p && p->type == XML_ELEMENT_NODE; p = p->parent) in_svg |= named(p, "svg");
            if (!in_svg) title = detail::node_text(n);
        } else if (named(n, "body") && !og_title.empty() && !og_desc.empty() && !canonical.empty()) {
            return false;  // everything wanted is in the head
        }
        return true;
    });
    for (const auto* t : {&og_title, &tw_title, &title})
        if (m.title.empty()) m.title = plain(*t, 1'000);
    for (const auto* d : {&og_desc, &tw_desc, &desc})
        if (m.description.empty()) m.description = plain(*d, 2'000);
    m.canonical_url = canonical.empty() ? og_url : canonical;
    return m;
}

}  // namespace relais::watch
