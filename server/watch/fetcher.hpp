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

/// An image fetched for the proxy: its bytes and their type, checked by content.
struct proxied_image {
    std::string bytes;
    std::string type;   ///< image/png, image/jpeg, image/gif or image/webp; empty on failure
    std::string error;  ///< French, on failure
};

/// The image type of these bytes by their signature (PNG, JPEG, GIF, WebP), or "". SVG and
/// everything else are refused: an image that may hold script is never relayed.
std::string sniff_image_type(std::string_view bytes);

class fetcher {
public:
    /// `images`: what parsed feeds do with their images (proxy: through `image_prefix`,
    /// signed with `image_key`).
    explicit fetcher(outbound::http_options http, image_policy images = image_policy::block, std::string image_prefix = {},
                     std::string image_key = {})
        : http_(std::move(http)), images_(images), image_prefix_(std::move(image_prefix)), image_key_(std::move(image_key)) {}
    /// Fetches `url` (conditionally with etag / last_modified) and parses it. Never throws
    /// for the source's faults: they are in attempt.error_code / error (French).
    fetched fetch(const std::string& url, const std::string& etag, const std::string& last_modified,
                  std::size_t max_items) const;

    /// The title and description of a web page (a link posted by hand); empty when it
    /// cannot be read.
    page_meta page(const std::string& url) const;

    /// An image for the proxy (at most max_bytes, an image by its content).
    proxied_image image(const std::string& url, std::size_t max_bytes) const;

    /// Whether `url` names, as written, this machine or a network the SSRF guard refuses
    /// ("localhost", a literal address such as 10.0.0.1 or [::1], a host made of digits
    /// only): refused before any request, as the fetch would refuse it.
    bool names_internal_host(std::string_view url) const;

private:
    outbound::http_options http_;
    image_policy images_;
    std::string image_prefix_, image_key_;
};

}  // namespace relais::watch
