// RSS 0.9x/2.0, RSS 1.0 and 0.90 (RDF), Atom 1.0 (and 0.3): from libxml2's tree to raw items.
#include "watch/detail.hpp"
#include "watch/sanitize.hpp"
#include "watch/text.hpp"
#include "watch/urls.hpp"

#include <libxml/xmlsave.h>

#include <cstring>

namespace relais::watch::detail {

namespace {

/// The vocabularies we read; "plain" is RSS's (no namespace, or RSS 1.0's / 0.90's).
enum class vocab { plain, atom, dc, content, media, rdf, other };

constexpr const char* rss090_ns = "http://my.netscape.com/rdf/simple/0.9/";

vocab vocab_of_uri(std::string_view uri) {
    if (uri == "http://www.w3.org/2005/Atom" || uri == "http://purl.org/atom/ns#") return vocab::atom;
    if (uri == "http://purl.org/rss/1.0/" || uri == rss090_ns || uri == "http://backend.userland.com/rss2" ||
        uri == "http://backend.userland.com/rss")
        return vocab::plain;
    if (uri == "http://purl.org/dc/elements/1.1/" || uri == "http://purl.org/dc/terms/") return vocab::dc;
    if (uri == "http://purl.org/rss/1.0/modules/content/") return vocab::content;
    if (uri == "http://search.yahoo.com/mrss/" || uri == "http://search.yahoo.com/mrss") return vocab::media;
    if (uri == "http://www.w3.org/1999/02/22-rdf-syntax-ns#") return vocab::rdf;
    return vocab::other;
}

/// Undeclared prefixes (seen in the wild: <dc:creator>, <media:content> without xmlns,
/// e.g. feeds assembled by string concatenation) are read by their usual meaning.
vocab vocab_of_prefix(std::string_view p) {
    if (p == "dc" || p == "dcterms") return vocab::dc;
    if (p == "content") return vocab::content;
    if (p == "media") return vocab::media;
    if (p == "atom") return vocab::atom;
    if (p == "rdf") return vocab::rdf;
    return vocab::other;
}

struct qname {
    vocab v;
    std::string_view local;
};

qname name_of(const xmlNode* n) {
    std::string_view name(reinterpret_cast<const char*>(n->name));
    if (n->ns && n->ns->href) return {vocab_of_uri(reinterpret_cast<const char*>(n->ns->href)), name};
    if (auto colon = name.find(':'); colon != std::string_view::npos)
        return {vocab_of_prefix(name.substr(0, colon)), name.substr(colon + 1)};
    return {vocab::plain, name};
}

bool is(const xmlNode* n, vocab v, std::string_view local) {
    if (n->type != XML_ELEMENT_NODE) return false;
    qname q = name_of(n);
    return q.v == v && q.local == local;
}

const xmlNode* first_child(const xmlNode* n, vocab v, std::string_view local) {
    for (const xmlNode* c = n->children; c; c = c->next)
        if (is(c, v, local)) return c;
    return nullptr;
}

std::string child_text(const xmlNode* n, vocab v, std::string_view local) {
    const xmlNode* c = first_child(n, v, local);
    return c ? node_text(c) : std::string();
}

std::int64_t to_length(const std::string& s) {
    std::int64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return c == ' ' ? v : 0;
        if (v > 1'000'000'000'000'000) return 0;
        v = v * 10 + (c - '0');
    }
    return v;
}

/// The base URI of a node: its and its ancestors' xml:base resolved in turn from `fallback`.
std::string base_of(const xmlNode* n, const std::string& fallback) {
    std::vector<std::string> bases;
    for (const xmlNode* p = n; p && p->type == XML_ELEMENT_NODE; p = p->parent) {
        if (xmlChar* v = xmlGetNsProp(p, BAD_CAST "base", XML_XML_NAMESPACE)) {
            bases.emplace_back(reinterpret_cast<const char*>(v));
            xmlFree(v);
        }
    }
    std::string b = fallback;
    for (auto it = bases.rbegin(); it != bases.rend(); ++it)
        if (std::string r = resolve_url(b, *it); !r.empty()) b = std::move(r);
    return b;
}

/// The absolute href of a link element; "" when it has none (not the base itself).
std::string href_of(const xmlNode* link, const std::string& base) {
    std::string href = attr(link, "href");
    if (collapse_whitespace(href).empty()) return {};
    return resolve_url(base_of(link, base), href);
}

/// "jane@example.org (Jane Doe)" -> "Jane Doe", as RSS's <author> is usually written.
std::string author_name(std::string s) {
    s = collapse_whitespace(s);
    auto open = s.find('(');
    if (open != std::string::npos && s.ends_with(')') && s.find('@') < open) return s.substr(open + 1, s.size() - open - 2);
    return s;
}

void add_media(const xmlNode* n, std::vector<enclosure>& out) {
    if (is(n, vocab::media, "content")) {
        out.push_back({attr(n, "url"), attr(n, "type"), to_length(attr(n, "fileSize"))});
    } else if (is(n, vocab::media, "group")) {
        for (const xmlNode* c = n->children; c; c = c->next) add_media(c, out);
    }
}

std::string serialise_children(const xmlNode* n) {
    // Atom's xhtml content is wrapped in one <div>, which is not part of the content.
    const xmlNode* from = n;
    const xmlNode* only = nullptr;
    int elements = 0;
    for (const xmlNode* c = n->children; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE) {
            only = c;
            ++elements;
        } else if (c->type == XML_TEXT_NODE && !collapse_whitespace(reinterpret_cast<const char*>(c->content)).empty()) {
            elements = 2;  // text beside the div: keep everything
        }
    }
    if (elements == 1 && name_of(only).local == "div") from = only;
    xmlBufferPtr buf = xmlBufferCreate();
    if (!buf) return {};
    for (const xmlNode* c = from->children; c; c = c->next) xmlNodeDump(buf, n->doc, const_cast<xmlNode*>(c), 0, 0);
    std::string out(reinterpret_cast<const char*>(xmlBufferContent(buf)), static_cast<std::size_t>(xmlBufferLength(buf)));
    xmlBufferFree(buf);
    return out;
}

enum class construct { text, html, xhtml, other };

construct construct_type(const xmlNode* n) {
    std::string type = ascii_lower(attr(n, "type")), mode = ascii_lower(attr(n, "mode"));
    if (mode == "base64") return construct::other;
    if (type == "xhtml" || type == "application/xhtml+xml" || mode == "xml") return construct::xhtml;
    if (type == "html" || type == "text/html" || mode == "escaped") return construct::html;
    if (type.empty() || type == "text" || type.starts_with("text/")) return construct::text;
    return construct::other;
}

/// An Atom text construct as HTML to sanitise, or as plain text (`plain` set).
std::string construct_html(const xmlNode* n, bool& plain) {
    plain = false;
    switch (construct_type(n)) {
        case construct::xhtml:
            return serialise_children(n);
        case construct::html:
            return node_text(n);
        case construct::text:
            plain = true;
            return node_text(n);
        case construct::other:
            return {};
    }
    return {};
}

/// An Atom text construct as plain text.
std::string construct_plain(const xmlNode* n) {
    switch (construct_type(n)) {
        case construct::html:
            return plain_title(node_text(n));  // markup of a title, not a page: no element swallows words
        case construct::other:
            return {};
        default:
            return collapse_whitespace(node_text(n));  // which replaces ill-formed UTF-8 too
    }
}

raw_item read_rss_item(const xmlNode* item, const std::string& base) {
    raw_item r;
    r.base = base_of(item, base);
    std::string pub_date, dc_date, creator, author, atom_link;
    bool has_title = false;
    r.guid = attr(item, "about");  // RDF: the item's URI
    for (const xmlNode* c = item->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE) continue;
        qname q = name_of(c);
        if (q.v == vocab::plain) {
            if (q.local == "title" && !has_title) {
                r.title = plain_title(node_text(c));
                has_title = true;
            } else if (q.local == "link" && r.link.empty()) {
                r.link = node_text(c);  // safe_url() strips what browsers strip, no more
            } else if (q.local == "description" && r.summary_src.empty()) {
                r.summary_src = node_text(c);
            } else if (q.local == "guid" && r.guid.empty()) {
                r.guid = node_text(c);
                r.guid_is_permalink = ascii_lower(collapse_whitespace(attr(c, "isPermaLink"))) != "false";
            } else if (q.local == "pubDate" && pub_date.empty()) {
                pub_date = node_text(c);
            } else if (q.local == "author" && author.empty()) {
                author = author_name(node_text(c));
            } else if (q.local == "category") {
                r.categories.push_back(node_text(c));
            } else if (q.local == "enclosure") {
                r.enclosures.push_back({attr(c, "url"), attr(c, "type"), to_length(attr(c, "length"))});
            }
        } else if (q.v == vocab::content && q.local == "encoded" && r.content_src.empty()) {
            r.content_src = node_text(c);
        } else if (q.v == vocab::dc) {
            if (q.local == "date" && dc_date.empty()) dc_date = node_text(c);
            if (q.local == "creator" && creator.empty()) creator = node_text(c);
            if (q.local == "subject") r.categories.push_back(node_text(c));
        } else if (q.v == vocab::media) {
            add_media(c, r.enclosures);
        } else if (q.v == vocab::atom && q.local == "link" && atom_link.empty()) {
            std::string rel = attr(c, "rel");
            if (rel.empty() || rel == "alternate") atom_link = href_of(c, base);
        }
    }
    if (r.link.empty()) r.link = atom_link;
    r.author = creator.empty() ? author : creator;
    r.dates = {pub_date, dc_date};
    return r;
}

raw_item read_atom_entry(const xmlNode* entry, const std::string& base, const std::string& feed_author, vocab av) {
    raw_item r;
    r.base = base_of(entry, base);
    std::string published, updated, alternate, any_link;
    for (const xmlNode* c = entry->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE) continue;
        qname q = name_of(c);
        if (q.v == vocab::media) {
            add_media(c, r.enclosures);
            continue;
        }
        if (q.v != av) continue;
        if (q.local == "id" && r.guid.empty()) {
            r.guid = node_text(c);
        } else if (q.local == "title" && r.title.empty()) {
            r.title = construct_plain(c);
        } else if (q.local == "link") {
            std::string rel = collapse_whitespace(attr(c, "rel"));
            std::string href = href_of(c, base);
            std::string type = ascii_lower(attr(c, "type"));
            if (rel == "enclosure") {
                r.enclosures.push_back({href, attr(c, "type"), to_length(attr(c, "length"))});
            } else if (rel.empty() || rel == "alternate") {
                // Several alternates: the HTML one.
                if (alternate.empty() || type == "text/html") alternate = href;
            } else if (any_link.empty() && rel != "self" && rel != "edit" && rel != "replies") {
                any_link = href;
            }
        } else if (q.local == "summary" && r.summary_src.empty()) {
            r.summary_src = construct_html(c, r.summary_plain);
        } else if (q.local == "content" && r.content_src.empty()) {
            r.content_src = construct_html(c, r.content_plain);
            r.content_base = base_of(c, base);
        } else if ((q.local == "published" || q.local == "issued") && published.empty()) {
            published = node_text(c);
        } else if ((q.local == "updated" || q.local == "modified") && updated.empty()) {
            updated = node_text(c);
        } else if (q.local == "author" && r.author.empty()) {
            r.author = child_text(c, av, "name");
        } else if (q.local == "category") {
            std::string term = attr(c, "term");
            r.categories.push_back(term.empty() ? attr(c, "label") : term);
        }
    }
    r.link = alternate.empty() ? any_link : alternate;
    if (r.author.empty()) r.author = feed_author;
    r.dates = {published, updated};
    return r;
}

void read_rss(const xmlNode* root, const parse_options& o, warnings& w, feed& f) {
    const xmlNode* channel = first_child(root, vocab::plain, "channel");
    if (!channel) {
        w.add("Flux sans élément <channel>.");
        channel = root;
    }
    f.title = plain_title(child_text(channel, vocab::plain, "title"));
    f.link = safe_url(base_of(channel, o.base_url), collapse_whitespace(child_text(channel, vocab::plain, "link")));
    f.description = html_to_text(child_text(channel, vocab::plain, "description"), 5'000);
    f.language = collapse_whitespace(child_text(channel, vocab::plain, "language"));
    if (f.language.empty()) f.language = collapse_whitespace(child_text(channel, vocab::dc, "language"));
    truncate_utf8_chars(f.language, 35);

    // Relative item links resolve against the site's address when the feed gives it.
    const std::string base = f.link.empty() ? o.base_url : f.link;
    std::vector<raw_item> raws;
    std::size_t seen = 0;
    // RSS 2.0: items in <channel>; RDF: siblings of <channel>. Both, in document order, for
    // the feeds that get it wrong.
    for (const xmlNode* parent : {root, channel}) {
        if (parent == channel && channel == root) break;
        for (const xmlNode* c = parent->children; c; c = c->next) {
            if (!is(c, vocab::plain, "item")) continue;
            if (++seen > o.max_items + 1'000) break;  // the count of skipped items is enough
            raws.push_back(read_rss_item(c, base));
        }
    }
    finish_items(raws, o, w, f);
}

void read_atom(const xmlNode* root, const parse_options& o, warnings& w, feed& f, vocab av) {
    const std::string base = base_of(root, o.base_url);
    if (const xmlNode* t = first_child(root, av, "title")) f.title = construct_plain(t);
    std::string alternate, any;
    for (const xmlNode* c = root->children; c; c = c->next) {
        if (!is(c, av, "link")) continue;
        std::string rel = attr(c, "rel");
        std::string href = href_of(c, o.base_url);
        if ((rel.empty() || rel == "alternate") && alternate.empty()) alternate = href;
        if (rel != "self" && any.empty()) any = href;
    }
    f.link = safe_url(base, alternate.empty() ? any : alternate);
    const xmlNode* subtitle = first_child(root, av, "subtitle");
    if (!subtitle) subtitle = first_child(root, av, "tagline");
    if (subtitle) f.description = construct_plain(subtitle);
    truncate_utf8_chars(f.description, 5'000);
    if (xmlChar* lang = xmlNodeGetLang(root)) {
        f.language = collapse_whitespace(reinterpret_cast<const char*>(lang));
        xmlFree(lang);
        truncate_utf8_chars(f.language, 35);
    }
    std::string feed_author;
    if (const xmlNode* a = first_child(root, av, "author")) feed_author = child_text(a, av, "name");

    std::vector<raw_item> raws;
    std::size_t seen = 0;
    for (const xmlNode* c = root->children; c; c = c->next) {
        if (!is(c, av, "entry")) continue;
        if (++seen > o.max_items + 1'000) break;
        raws.push_back(read_atom_entry(c, base, feed_author, av));
    }
    finish_items(raws, o, w, f);
}

bool uses_rss090(const xmlNode* root) {
    for (const xmlNode* c = root->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && c->ns && c->ns->href &&
            std::strcmp(reinterpret_cast<const char*>(c->ns->href), rss090_ns) == 0)
            return true;
    return false;
}

}  // namespace

feed parse_xml_feed(std::string_view utf8, const parse_options& o, warnings& w) {
    std::string prepared = prepare_xml(utf8, w);
    doc_ptr doc = read_xml(prepared);
    const xmlNode* root = doc ? xmlDocGetRootElement(doc.get()) : nullptr;
    if (!root) throw parse_error(parse_errors::unreadable, "Le contenu n'est pas un flux RSS, Atom ou JSON Feed reconnu.");
    qname q = name_of(root);
    feed f;
    if (ascii_lower(std::string(q.local)) == "html") {
        throw parse_error(parse_errors::html_page,
                          "L'adresse mène à une page web, pas à un flux : cherchez le lien RSS ou Atom de la page.");
    } else if (q.v == vocab::plain && q.local == "rss") {
        f.format = "rss2";
        read_rss(root, o, w, f);
    } else if (q.v == vocab::rdf && q.local == "RDF") {
        f.format = uses_rss090(root) ? "rss090" : "rss1";
        read_rss(root, o, w, f);
    } else if ((q.v == vocab::atom || q.v == vocab::plain) && q.local == "feed") {
        if (q.v == vocab::plain) w.add("Flux Atom sans espace de noms Atom.");
        f.format = "atom";
        read_atom(root, o, w, f, q.v);
    } else {
        throw parse_error(parse_errors::unreadable, "Le contenu n'est pas un flux RSS, Atom ou JSON Feed reconnu.");
    }
    truncate_utf8_chars(f.title, max_title_chars);
    return f;
}

}  // namespace relais::watch::detail
