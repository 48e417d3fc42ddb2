#include "watch/opml.hpp"

#include "watch/detail.hpp"
#include "watch/sanitize.hpp"
#include "watch/text.hpp"
#include "watch/urls.hpp"

#include <set>

namespace relais::watch {

namespace {

bool element_named(const xmlNode* n, const char* name) {
    return n->type == XML_ELEMENT_NODE && n->name && std::string_view(reinterpret_cast<const char*>(n->name)) == name;
}

/// An attribute whatever its case (xmlUrl, xmlurl, XMLURL are all seen in the wild).
std::string attr_any_case(const xmlNode* n, std::string_view name) {
    for (auto* a = n->properties; a; a = a->next) {
        std::string_view have(reinterpret_cast<const char*>(a->name));
        if (have.size() != name.size()) continue;
        bool same = true;
        for (std::size_t i = 0; i < have.size() && same; ++i)
            same = std::tolower(static_cast<unsigned char>(have[i])) == std::tolower(static_cast<unsigned char>(name[i]));
        if (same) return detail::node_text(reinterpret_cast<const xmlNode*>(a));
    }
    return {};
}

}  // namespace

opml_list parse_opml(std::string_view body, std::size_t max_feeds) {
    detail::init_libxml();
    opml_list out;
    detail::warnings w{out.warnings};
    if (body.size() > max_body_bytes) throw parse_error("opml_illisible", "Le fichier OPML est trop volumineux.");
    auto utf8 = detail::decode_to_utf8(body, "", true, w);
    auto doc = detail::read_xml(detail::prepare_xml(utf8, w));
    auto* root = doc ? xmlDocGetRootElement(doc.get()) : nullptr;
    if (!root || !element_named(root, "opml"))
        throw parse_error("opml_illisible", "Ce fichier n'est pas un document OPML (liste de flux exportée d'un lecteur).");
    std::set<std::string> seen;
    // Iterative walk: nesting depth never grows the stack.
    for (xmlNode* n = root; n;) {
        if (element_named(n, "outline")) {
            ++out.outlines;
            auto raw = attr_any_case(n, "xmlUrl");
            if (!raw.empty()) {
                auto url = safe_url("", collapse_whitespace(raw));
                if (url.empty()) {
                    ++out.invalid;
                } else if (seen.insert(url).second) {
                    if (out.feeds.size() >= max_feeds) {
                        ++out.beyond;
                    } else {
                        opml_feed f;
                        f.url = url;
                        f.title = collapse_whitespace(attr_any_case(n, "text"));
                        if (f.title.empty()) f.title = collapse_whitespace(attr_any_case(n, "title"));
                        truncate_utf8_chars(f.title, 300);
                        f.site_url = safe_url("", collapse_whitespace(attr_any_case(n, "htmlUrl")));
                        out.feeds.push_back(std::move(f));
                    }
                }
            }
        }
        if (n->children && n->type == XML_ELEMENT_NODE) {
            n = n->children;
            continue;
        }
        while (n && !n->next && n != root) n = n->parent;
        if (!n || n == root) break;
        n = n->next;
    }
    if (out.invalid) w.add("Des entrées sans adresse de flux valable (http ou https) ont été ignorées.");
    if (out.beyond)
        w.add("Le fichier compte plus de " + std::to_string(max_feeds) + " flux : les suivants n'ont pas été importés.");
    return out;
}

std::string write_opml(const std::string& title, const std::vector<opml_feed>& feeds) {
    std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">\n<head><title>" +
                      escape_html(title) + "</title></head>\n<body>\n";
    for (const auto& f : feeds) {
        out += "<outline type=\"rss\" text=\"" + escape_html(f.title.empty() ? f.url : f.title) + "\" title=\"" +
               escape_html(f.title.empty() ? f.url : f.title) + "\" xmlUrl=\"" + escape_html(f.url) + "\"";
        if (!f.site_url.empty()) out += " htmlUrl=\"" + escape_html(f.site_url) + "\"";
        out += "/>\n";
    }
    out += "</body>\n</opml>\n";
    return out;
}

}  // namespace relais::watch
