#pragma once
// Fetching feeds: the platform's HTTP client (libcurl, SSRF guard, caps) on threads of the
// watch module's own, so that a slow or hostile source holds one of them, never a network
// thread nor another module's. Blocking: call from those threads only.
#include "outbound/http_client.hpp"
#include "watch/discover.hpp"
#include "watch/feed.hpp"
#include "watch/service.hpp"

#include <string>

namespace relais::watch {

/// What one fetch and parse gave: the attempt to record, the feed it points to, and
/// what an HTML page offered instead of a feed.
struct fetched {
    fetch_attempt attempt;
    feed parsed;
    std::string final_url;
    std::vector<discovered_feed> alternatives;  ///< when the URL was an HTML page
};

class fetcher {
public:
    explicit fetcher(outbound::http_options http) : http_(std::move(http)) {}
    /// Fetches `url` (conditionally with etag / last_modified) and parses it. Never throws
    /// for the source's faults: they are in attempt.error_code / error (French).
    fetched fetch(const std::string& url, const std::string& etag, const std::string& last_modified,
                  std::size_t max_items) const;

    /// The title and description of a web page (a link posted by hand); empty when it
    /// cannot be read.
    page_meta page(const std::string& url) const;

private:
    outbound::http_options http_;
};

}  // namespace relais::watch
