#pragma once
// Internals shared by the watch parser's translation units (not part of its API).
#include "watch/feed.hpp"

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace relais::watch::detail {

/// Initialises libxml2 once per process (parser, an external entity loader that refuses
/// everything) and silences its error output on the calling thread. Call before any parse.
void init_libxml();

struct doc_deleter {
    void operator()(xmlDoc* d) const noexcept { xmlFreeDoc(d); }
};
using doc_ptr = std::unique_ptr<xmlDoc, doc_deleter>;

/// XML through a fresh parser context: recovering, no network, no entity substitution, no
/// DTD loading. `utf8` must be UTF-8 without an encoding declaration to honour (prepare_xml).
doc_ptr read_xml(std::string_view utf8);

/// An HTML document or fragment (UTF-8) through a fresh HTML parser context.
doc_ptr read_html(std::string_view utf8);

/// Runs libxml2's HTML parser over a fragment (wrapped in <html><body>) with `sax` as its
/// event handler and `user` as the handlers' context; no tree is built. `known_valid`: the
/// caller guarantees valid UTF-8 (text read by libxml2 or nlohmann/json); otherwise
/// ill-formed sequences are replaced first.
void parse_html_fragment_sax(std::string_view text, bool known_valid, const htmlSAXHandler& sax, void* user);

/// The text content of a node (entities already decoded by the parser).
std::string node_text(const xmlNode* n);

/// An attribute by its local name, whatever its prefix; empty if absent.
std::string attr(const xmlNode* n, const char* local);

/// Collects warnings without duplicates, at most 30.
struct warnings {
    std::vector<std::string>& list;
    void add(std::string w);
};

/// Bytes in any encoding to UTF-8 (BOM, then the XML declaration or <meta charset> for
/// `xml`, then `http_charset`; lying declarations are detected). Never fails: unknown or
/// broken encodings fall back to Windows-1252.
std::string decode_to_utf8(std::string_view bytes, std::string_view http_charset, bool xml, warnings& w);

/// Windows-1252 (a superset of ISO-8859-1's printable characters) to UTF-8.
std::string windows1252_to_utf8(std::string_view bytes);

/// UTF-8 text made digestible by a recovering XML parser: canonical UTF-8 prolog, DOCTYPE
/// (and so every entity declaration) removed, HTML named entities turned into character
/// references, stray '&' and '<' escaped, invalid characters dropped, unterminated CDATA
/// sections closed at their element's end.
std::string prepare_xml(std::string_view utf8, warnings& w);

/// True when the body looks like an HTML page (doctype html or <html> first).
bool looks_like_html(std::string_view utf8);

/// One item as read from any format, before it is cleaned up and bounded.
struct raw_item {
    std::string base;  ///< what relative URLs resolve against
    std::string guid;
    bool guid_is_permalink = false;
    std::string title;  ///< plain text, not yet bounded
    std::string link;   ///< as written
    std::string author;
    std::string summary_src;         ///< HTML to sanitise (plain text when summary_plain)
    std::string content_src;         ///< HTML to sanitise (plain text when content_plain)
    bool summary_plain = false;
    bool content_plain = false;
    std::string content_base;        ///< for content_src when it differs from base (Atom xml:base)
    std::vector<std::string> dates;  ///< candidates, best first
    std::vector<std::string> categories;
    std::vector<enclosure> enclosures;  ///< URLs as written
};

/// Sanitises, bounds and keys an item; false when it has nothing to show (no title, link
/// or content).
bool finish_item(raw_item&& raw, const parse_options& o, warnings& w, feed_item& out);

/// Plain text of a title that may hold markup or escaped entities.
std::string plain_title(std::string_view s);

/// Adds the items of `raws` to `f` in order, at most o.max_items, with warnings.
void finish_items(std::vector<raw_item>& raws, const parse_options& o, warnings& w, feed& f);

feed parse_xml_feed(std::string_view utf8, const parse_options& o, warnings& w);
feed parse_json_feed(std::string_view utf8, const parse_options& o, warnings& w);

}  // namespace relais::watch::detail
