#pragma once
// The watch module's feed parser: RSS 0.9x/2.0, RSS 1.0 (RDF), RSS 0.90, Atom 1.0 (and 0.3)
// and JSON Feed 1.0/1.1, from untrusted bytes to plain, bounded, sanitised items.
// Pure functions: no I/O, no global state beyond libxml2's one-time initialisation, safe to
// call from several threads at once.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace relais::watch {

/// What to do with the images of a feed's HTML (privacy: an image is a request to its host).
enum class image_policy {
    block,  ///< no image: replaced by its alt text in brackets, or dropped
    keep,   ///< kept, with an absolute http(s) src
    proxy,  ///< src rewritten to image_proxy_prefix + the URL-encoded absolute URL + "&s=" + its signature
};

/// How to read one fetched body.
struct parse_options {
    std::string base_url;         ///< the URL the body was fetched from (after redirects)
    std::int64_t fetched_at = 0;  ///< unix seconds; the date of items without a usable date
    std::string charset;          ///< from the response's Content-Type; may be empty
    std::size_t max_items = 500;  ///< the first ones in document order are kept
    image_policy images = image_policy::block;
    std::string image_proxy_prefix;  ///< for image_policy::proxy, e.g. "/api/watch/image?u="
    std::string image_proxy_key;     ///< signs proxied URLs (image_signature), so the proxy serves only those
};

/// A file attached to an item (podcast episode, PDF...).
struct enclosure {
    std::string url;  ///< absolute http(s)
    std::string type;
    std::int64_t length = 0;  ///< bytes, 0 when unknown
};

/// One entry of a feed, every string valid UTF-8 and bounded.
struct feed_item {
    std::string key;             ///< deduplication key within a source
    std::string key_kind;        ///< "guid", "link" or "hash" ("sha256:<hex>" of title and content)
    std::string guid;            ///< as published (RSS guid, Atom id, RDF about, JSON id); may be empty
    std::string title;           ///< plain text: entities decoded, tags stripped, whitespace collapsed
    std::string link;            ///< absolute http(s), or empty
    std::string author;          ///< plain text
    std::string summary_html;    ///< sanitised (see sanitize.hpp)
    std::string content_html;    ///< sanitised
    std::string text;            ///< plain text of the content, else of the summary, for search
    std::int64_t published = 0;  ///< unix seconds
    bool date_guessed = false;   ///< no usable date in the feed: published is fetched_at
    std::vector<std::string> categories;
    std::vector<enclosure> enclosures;
};

/// A parsed feed.
struct feed {
    std::string format;  ///< "rss2" (also 0.91/0.92), "rss1", "rss090", "atom" or "jsonfeed"
    std::string title;
    std::string link;  ///< the site's page, absolute http(s), or empty
    std::string description;
    std::string language;
    std::vector<feed_item> items;
    std::vector<std::string> warnings;  ///< in French, for the person who added the source
};

/// Limits on what one item may hold; beyond them a value is truncated (with a warning).
inline constexpr std::size_t max_title_chars = 1'000;         // code points
inline constexpr std::size_t max_content_bytes = 200 * 1024;  // per HTML field
inline constexpr std::size_t max_text_bytes = 50 * 1024;
inline constexpr std::size_t max_body_bytes = 32 << 20;  // larger bodies are refused

/// Nothing usable in a body. code() is stable ("flux_illisible", "page_html", ...), message()
/// is French and may be shown as is.
class parse_error : public std::runtime_error {
public:
    parse_error(std::string code, std::string message)
        : std::runtime_error(code), code_(std::move(code)), message_(std::move(message)) {}
    const std::string& code() const noexcept { return code_; }
    const std::string& message() const noexcept { return message_; }

private:
    std::string code_;
    std::string message_;
};

/// Error codes of parse_error.
namespace parse_errors {
/// Neither RSS, Atom nor JSON Feed (or too broken to find a feed in it).
inline constexpr const char* unreadable = "flux_illisible";
/// An HTML page: the caller may look for the page's feeds with discover_feeds().
inline constexpr const char* html_page = "page_html";
/// Larger than max_body_bytes.
inline constexpr const char* too_large = "flux_trop_volumineux";
}  // namespace parse_errors

/// Detects the format of `body` (bytes as fetched: any encoding, see charset.hpp) and parses
/// it. Recovers from the usual malformations (bad encodings, HTML entities, unescaped '&',
/// undeclared prefixes, junk, truncation) and says so in `warnings`. Entities declared in
/// the document are never expanded and nothing outside `body` is ever read.
/// Throws parse_error when no feed is found; an empty but valid feed has no items.
feed parse_feed(std::string_view body, const parse_options& o);

/// The feed as JSON (what `relais watch parse FILE` prints and "tester la source" answers):
/// dates as ISO 8601 in UTC, with `date_guessed`.
nlohmann::json to_json(const feed& f);

}  // namespace relais::watch
