#pragma once
// HTML from feeds and pages, made safe to show: parsed with libxml2's HTML parser and
// rebuilt from an allowlist of elements and attributes, never patched with patterns.
#include "common/markup.hpp"
#include "watch/feed.hpp"

#include <string>
#include <string_view>

namespace relais::watch {

struct sanitize_options {
    std::string base_url;  ///< relative URLs are resolved against it (dropped when it is empty)
    image_policy images = image_policy::block;
    std::string image_proxy_prefix;             ///< image_policy::proxy; empty: images are blocked
    std::string image_proxy_key;                ///< image_policy::proxy: the signing key
    std::size_t max_bytes = max_content_bytes;  ///< of the output, closing tags included
    std::size_t max_depth = 32;                 ///< nested allowed elements; deeper ones are unwrapped
    bool known_valid_utf8 = false;              ///< the caller guarantees valid UTF-8 (skips a check)
};

/// Safe HTML: only the allowlisted elements (p, a, em, lists, tables, img per policy...) and
/// attributes (a href/title, img src/alt/width/height, cite, colspan/rowspan, abbr title);
/// script, style, iframe, object, form, svg, math... dropped with their content; other
/// elements unwrapped (their text kept). URLs are absolute http(s) (mailto for links), links
/// get rel="noopener noreferrer nofollow". The output is well-formed and escaped; when it
/// would exceed max_bytes it is cut (between nodes or at a UTF-8 boundary) and `*truncated`
/// is set; so it is when the input, longer than 8 * max_bytes, is cut before parsing.
/// `text`, when given, receives what html_to_text(result, text_max_bytes) would give, read
/// from the same parse (one HTML parse per field instead of two).
std::string sanitize_html(std::string_view html, const sanitize_options& o, bool* truncated = nullptr,
                          std::string* text = nullptr, std::size_t text_max_bytes = max_text_bytes);

/// Plain text as safe HTML (escaped, cut at max_bytes on a UTF-8 boundary with *truncated
/// set), and, when `text` is given, as collapsed text of at most text_max_bytes.
std::string text_to_html(std::string_view plain, std::size_t max_bytes, bool* truncated = nullptr, std::string* text = nullptr,
                         std::size_t text_max_bytes = max_text_bytes);

/// The plain text of an HTML fragment: entities decoded, tags stripped (script, style... with
/// their content), whitespace collapsed to single spaces, at most max_bytes (UTF-8 boundary);
/// only the first 8 * max_bytes of the input are read.
std::string html_to_text(std::string_view html, std::size_t max_bytes = max_text_bytes);

/// The signature of a proxied image URL: HMAC-SHA-256 under `key`, 32 hex digits. The image
/// proxy serves a URL only with its signature, so that it relays what feeds showed and
/// nothing else (not an open proxy).
std::string image_signature(std::string_view key, std::string_view url);

// The server's one escaping (common/markup.hpp), by its short name here.
using relais::append_escaped_html;
using relais::escape_html;

}  // namespace relais::watch
