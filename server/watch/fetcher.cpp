#include "watch/fetcher.hpp"

#include "common/time.hpp"
#include "outbound/ssrf.hpp"

#include <arpa/inet.h>

#include <memory>

namespace relais::watch {
namespace {

/// "text/xml; charset=ISO-8859-1" -> "ISO-8859-1".
std::string charset_of(const std::string& content_type) {
    auto at = content_type.find("charset=");
    if (at == std::string::npos) return {};
    auto v = content_type.substr(at + 8);
    if (auto end = v.find_first_of("; "); end != std::string::npos) v.resize(end);
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    return v;
}

/// One libcurl handle per thread, kept for its connections.
outbound::http_client& thread_client(const outbound::http_options& http) {
    thread_local std::unique_ptr<outbound::http_client> client;
    if (!client) client = std::make_unique<outbound::http_client>(http);
    return *client;
}

}  // namespace

page_meta fetcher::page(const std::string& url) const {
    auto& client = thread_client(http_);
    outbound::http_request req;
    req.url = url;
    req.headers.emplace_back("Accept", "text/html, application/xhtml+xml;q=0.9, */*;q=0.1");
    auto got = client.fetch(req);
    if (!got || !got->ok() || got->not_modified) return {};
    return extract_page_meta(got->body, got->url.empty() ? url : got->url);
}

std::string sniff_image_type(std::string_view b) {
    if (b.starts_with("\x89PNG\r\n\x1a\n")) return "image/png";
    if (b.starts_with("\xff\xd8\xff")) return "image/jpeg";
    if (b.starts_with("GIF87a") || b.starts_with("GIF89a")) return "image/gif";
    if (b.size() >= 12 && b.starts_with("RIFF") && b.substr(8, 4) == "WEBP") return "image/webp";
    return {};
}

proxied_image fetcher::image(const std::string& url, std::size_t max_bytes) const {
    auto& client = thread_client(http_);
    proxied_image out;
    outbound::http_request req;
    req.url = url;
    req.headers.emplace_back("Accept", "image/webp, image/png, image/jpeg, image/gif;q=0.8");
    auto got = client.fetch(req);
    if (!got) {
        out.error = std::string(got.error().message());
        return out;
    }
    if (!got->ok() || got->not_modified) {
        out.error = std::string(outbound::fetch_error::from_status(*got).message());
        return out;
    }
    if (got->body.size() > max_bytes) {
        out.error = "L'image est trop volumineuse pour être relayée.";
        return out;
    }
    out.type = sniff_image_type(got->body);
    if (out.type.empty()) {
        out.error = "Le contenu n'est pas une image PNG, JPEG, GIF ou WebP.";
        return out;
    }
    out.bytes = std::move(got->body);
    return out;
}

fetched fetcher::fetch(const std::string& url, const std::string& etag, const std::string& last_modified,
                       std::size_t max_items) const {
    auto& client = thread_client(http_);
    fetched out;
    auto& a = out.attempt;
    outbound::http_request req;
    req.url = url;
    req.etag = etag;
    req.last_modified = last_modified;
    req.headers.emplace_back("Accept",
                             "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, "
                             "text/xml;q=0.9, application/json;q=0.8, text/html;q=0.5, */*;q=0.1");
    auto got = client.fetch(req);
    if (!got) {
        a.error_code = std::string(got.error().code());
        a.error = std::string(got.error().message());
        a.retry_after_s = got.error().retry_after_s();
        return out;
    }
    const auto& res = *got;
    out.final_url = res.url.empty() ? url : res.url;
    a.retry_after_s = res.retry_after_s;
    if (res.not_modified) {
        a.ok = true;
        a.not_modified = true;
        return out;
    }
    if (!res.ok()) {
        auto e = outbound::fetch_error::from_status(res);
        a.error_code = std::string(e.code());
        a.error = std::string(e.message());
        return out;
    }
    parse_options o;
    o.base_url = out.final_url;
    o.fetched_at = unix_now();
    o.charset = charset_of(res.content_type);
    o.max_items = max_items;
    o.images = images_;
    o.image_proxy_prefix = image_prefix_;
    o.image_proxy_key = image_key_;
    try {
        out.parsed = parse_feed(res.body, o);
        a.ok = true;
        a.etag = res.etag;
        a.last_modified = res.last_modified;
    } catch (const parse_error& e) {
        a.error_code = std::string(e.code());
        a.error = std::string(e.message());
        if (e.code() == "page_html") out.alternatives = discover_feeds(res.body, out.final_url);
    }
    return out;
}

}  // namespace relais::watch

namespace relais::watch {

bool fetcher::names_internal_host(std::string_view url) const {
    auto scheme = url.find("://");
    if (scheme == std::string_view::npos) return false;
    auto rest = url.substr(scheme + 3);
    rest = rest.substr(0, rest.find_first_of("/?#"));
    if (auto at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
    std::string host;
    if (!rest.empty() && rest.front() == '[') {
        auto close = rest.find(']');
        host = std::string(rest.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1));
    } else {
        host = std::string(rest.substr(0, rest.find(':')));
    }
    for (auto& ch : host) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    while (!host.empty() && host.back() == '.') host.pop_back();
    if (host.empty()) return true;
    const auto& policy = http_.policy;
    if (host == "localhost" || (host.size() > 10 && host.ends_with(".localhost"))) return !policy.allow_loopback;
    // A literal address: judged by the guard itself.
    unsigned char buffer[sizeof(struct in6_addr)];
    if (inet_pton(AF_INET, host.c_str(), buffer) == 1 || inet_pton(AF_INET6, host.c_str(), buffer) == 1)
        return !outbound::address_allowed(host, policy);
    // Digits, dots and hex only (« 2130706433 », « 0x7f.1 »): an address in another spelling.
    return host.find_first_not_of("0123456789.x") == std::string::npos;
}

}  // namespace relais::watch
