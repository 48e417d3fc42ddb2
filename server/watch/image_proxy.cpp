#include "watch/image_proxy.hpp"

#include "common/worker_pool.hpp"
#include "watch/errors.hpp"
#include "watch/sanitize.hpp"

#include <sodium.h>

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <stdexcept>

namespace relais::watch {

namespace asio = boost::asio;

image_proxy::image_proxy(const fetcher& f, std::string key, std::size_t max_bytes, std::size_t cache_bytes)
    : fetcher_(f),
      key_(std::move(key)),
      max_bytes_(max_bytes),
      cache_bytes_(cache_bytes),
      pool_(std::make_unique<worker_pool>("watch-image", 2)) {}

image_proxy::~image_proxy() { stop(); }

void image_proxy::stop() {
    if (pool_) pool_->stop();
}

std::shared_ptr<const image_proxy::cached> image_proxy::lookup(const std::string& url) {
    std::lock_guard lock(mutex_);
    auto it = cache_.find(url);
    if (it == cache_.end()) return nullptr;
    lru_.splice(lru_.begin(), lru_, it->second.second);
    return it->second.first;
}

void image_proxy::remember(const std::string& url, std::shared_ptr<const cached> c) {
    if (c->bytes.size() > cache_bytes_ / 8) return;  // large ones are not kept
    std::lock_guard lock(mutex_);
    if (cache_.contains(url)) return;
    lru_.push_front(url);
    cached_bytes_ += c->bytes.size();
    cache_.emplace(url, std::make_pair(std::move(c), lru_.begin()));
    while (cached_bytes_ > cache_bytes_ && !lru_.empty()) {
        auto old = cache_.find(lru_.back());
        cached_bytes_ -= old->second.first->bytes.size();
        cache_.erase(old);
        lru_.pop_back();
    }
}

asio::awaitable<net::response> image_proxy::serve(const net::request& req) {
    auto u = req.query.find("u");
    auto s = req.query.find("s");
    if (key_.empty() || u == req.query.end() || s == req.query.end() || u->second.size() > 8192) throw api_error(errors::not_found);
    const std::string& url = u->second;
    const std::string expected = image_signature(key_, url);
    // A URL no parsed feed showed: as if there were nothing here.
    if (s->second.size() != expected.size() || sodium_memcmp(s->second.data(), expected.data(), expected.size()) != 0)
        throw api_error(errors::not_found);
    auto hit = lookup(url);
    if (!hit) {
        if (pool_->queued() > 16) throw api_error(errors::busy);
        proxied_image got;
        co_await pool_->run([&] { got = fetcher_.image(url, max_bytes_); });
        if (got.type.empty()) throw api_error(errors::image_unavailable, "", got.error);
        auto c = std::make_shared<const cached>(cached{std::move(got.bytes), std::move(got.type)});
        remember(url, c);
        hit = std::move(c);
    }
    auto res = net::response::text(200, hit->bytes, hit->type);
    res.header("Cache-Control", "private, max-age=86400");
    res.header("X-Content-Type-Options", "nosniff");
    res.header("Content-Disposition", "inline");
    co_return res;
}

}  // namespace relais::watch
