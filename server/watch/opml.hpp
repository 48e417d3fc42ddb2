#pragma once
// OPML 1.0/2.0: the usual way feed readers exchange their lists of sources. Read with the
// same hardened libxml2 path as feeds (no DOCTYPE, no entity, recovery), written escaped.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace relais::watch {

struct opml_feed {
    std::string url;       ///< xmlUrl, absolute http(s)
    std::string title;     ///< text or title, plain
    std::string site_url;  ///< htmlUrl, absolute http(s), or empty
};

struct opml_list {
    std::vector<opml_feed> feeds;        ///< in document order, each URL once, at most max_feeds
    std::size_t outlines = 0;            ///< outline elements seen
    std::size_t invalid = 0;             ///< outlines whose xmlUrl is not an http(s) URL
    std::size_t beyond = 0;              ///< feeds left out past max_feeds
    std::vector<std::string> warnings;   ///< French
};

/// The feeds of an OPML document (nested outlines included). Throws parse_error
/// ("opml_illisible") when the body is not an OPML document.
opml_list parse_opml(std::string_view body, std::size_t max_feeds);

/// An OPML 2.0 document listing `feeds` under `title`.
std::string write_opml(const std::string& title, const std::vector<opml_feed>& feeds);

}  // namespace relais::watch
