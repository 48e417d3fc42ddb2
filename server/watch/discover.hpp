#pragma once
// What an HTML page says about itself: its feeds, its title and description.
#include <string>
#include <string_view>
#include <vector>

namespace relais::watch {

/// A feed announced by a page.
struct discovered_feed {
    std::string url;    ///< absolute http(s)
    std::string title;  ///< plain text, may be empty
    std::string type;   ///< e.g. "application/rss+xml"
};

/// The page's <link rel="alternate" type="application/rss+xml|atom+xml|feed+json|json">, in
/// order, without duplicates, URLs resolved against <base href> and base_url. At most 20.
/// `html` in UTF-8, or in the charset its <meta> declares, or Windows-1252.
std::vector<discovered_feed> discover_feeds(std::string_view html, const std::string& base_url);

/// Title and description of a page, for a link posted by hand.
struct page_meta {
    std::string title;          ///< plain text, at most 1,000 characters
    std::string description;    ///< plain text, at most 2,000 characters
    std::string canonical_url;  ///< <link rel="canonical">, else og:url: absolute http(s), or empty
};

/// og:title, twitter:title, then <title>; og:description, twitter:description, then
/// <meta name="description">; the canonical URL resolved against <base href> and base_url.
/// `html` in UTF-8, or in the charset its <meta> declares, or Windows-1252.
page_meta extract_page_meta(std::string_view html, const std::string& base_url);

}  // namespace relais::watch
