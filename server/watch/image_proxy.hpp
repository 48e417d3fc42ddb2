#pragma once
// The watch's image proxy: images in feeds' content are shown through Relais when the
// `watch.images` setting says "proxy" — the reader's browser never calls the feed's host
// (privacy: an image is a request that tells its host who reads), and only the URLs that a
// parsed feed showed are relayed (each carries its signature: not an open proxy). Fetched
// on threads of its own with the outbound client (SSRF guard, caps), checked by content
// (PNG, JPEG, GIF, WebP; never SVG), kept in a small in-memory cache.
#include "net/http_types.hpp"
#include "watch/fetcher.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <filesystem>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace relais {
class worker_pool;
}

namespace relais::watch {

class image_proxy {
public:
    /// The query string prefix of proxied URLs (what the sanitiser writes).
    static constexpr const char* prefix = "/api/watch/image?u=";

    image_proxy(const fetcher& f, std::string key, std::size_t max_bytes, std::size_t cache_bytes);
    ~image_proxy();

    /// The signing key kept in `file` (32 random bytes, created with mode 0600 if missing).

    /// GET /api/watch/image?u=URL&s=SIGNATURE: the image, or an error.
    boost::asio::awaitable<net::response> serve(const net::request& req);

    void stop();

private:
    struct cached {
        std::string bytes, type;
    };
    std::shared_ptr<const cached> lookup(const std::string& url);
    void remember(const std::string& url, std::shared_ptr<const cached> c);

    const fetcher& fetcher_;
    std::string key_;
    std::size_t max_bytes_, cache_bytes_;
    std::unique_ptr<worker_pool> pool_;
    std::mutex mutex_;
    std::list<std::string> lru_;  // most recent first
    std::unordered_map<std::string, std::pair<std::shared_ptr<const cached>, std::list<std::string>::iterator>> cache_;
    std::size_t cached_bytes_ = 0;
};

}  // namespace relais::watch
