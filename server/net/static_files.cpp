#include "net/static_files.hpp"

#include "common/errors.hpp"

#include <sodium.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace relais::net {
namespace fs = std::filesystem;

std::string static_files::mime_type(const fs::path& p) {
    static const std::unordered_map<std::string, std::string> types{
        {".html", "text/html; charset=utf-8"},  {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
        {".json", "application/json; charset=utf-8"}, {".svg", "image/svg+xml"},
        {".png", "image/png"}, {".jpg", "image/jpeg"}, {".jpeg", "image/jpeg"},
        {".webp", "image/webp"}, {".ico", "image/x-icon"}, {".woff2", "font/woff2"},
        {".txt", "text/plain; charset=utf-8"}, {".md", "text/markdown; charset=utf-8"},
        {".webmanifest", "application/manifest+json"}, {".map", "application/json; charset=utf-8"}};
    auto ext = p.extension().string();
    for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto it = types.find(ext);
    return it == types.end() ? "application/octet-stream" : it->second;
}

bool static_files::clean_path(std::string_view path) {
    if (path.empty() || path.front() != '/') return false;
    for (unsigned char c : path)
        if (c < 0x20 || c == 0x7f || c == '\\') return false;
    std::size_t i = 1;
    while (i <= path.size()) {
        auto j = path.find('/', i);
        if (j == std::string_view::npos) j = path.size();
        auto seg = path.substr(i, j - i);
        if (seg == "." || seg == "..") return false;
        if (seg.empty() && j != path.size()) return false;  // "//"
        i = j + 1;
    }
    return true;
}

static_files::static_files(const fs::path& root, std::size_t max_total_bytes) {
    std::error_code ec;
    auto canonical_root = fs::canonical(root, ec);
    if (ec) throw std::runtime_error("web root not found: " + root.string());
    std::size_t total = 0;
    for (auto it = fs::recursive_directory_iterator(canonical_root); it != fs::recursive_directory_iterator(); ++it) {
        const auto& p = it->path();
        auto name = p.filename().string();
        if (!name.empty() && name.front() == '.') {
            if (it->is_directory()) it.disable_recursion_pending();
            continue;
        }
        if (it->is_symlink() || !it->is_regular_file()) continue;
        auto rel = fs::relative(p, canonical_root).generic_string();
        std::ifstream in(p, std::ios::binary);
        std::ostringstream ss;
        ss << in.rdbuf();
        file f{ss.str(), mime_type(p), {}};
        total += f.body.size();
        if (total > max_total_bytes) throw std::runtime_error("web root larger than the configured limit");
        unsigned char hash[16];
        crypto_generichash(hash, sizeof hash, reinterpret_cast<const unsigned char*>(f.body.data()), f.body.size(), nullptr, 0);
        char hex[33];
        sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
        f.etag = std::string("\"") + hex + "\"";
        files_.emplace("/" + rel, std::move(f));
    }
    // The app's pages: every `path: '/…'` of js/routes.js.
    if (auto r = files_.find("/js/routes.js"); r != files_.end()) {
        static const std::regex page(R"(path:\s*'(/[^']*)')");
        const auto& text = r->second.body;
        for (auto m = std::sregex_iterator(text.begin(), text.end(), page); m != std::sregex_iterator(); ++m) {
            std::vector<std::string> segments;
            std::string p = (*m)[1];
            std::size_t i = 1;
            while (i <= p.size() && p.size() > 1) {
                auto j = p.find('/', i);
                if (j == std::string::npos) j = p.size();
                segments.push_back(p.substr(i, j - i));
                i = j + 1;
            }
            app_routes_.push_back(std::move(segments));
        }
    }
}

bool static_files::is_app_route(std::string_view path) const {
    if (app_routes_.empty()) return true;  // no list to check against: every path may be a page
    if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);  // the shell drops it
    std::vector<std::string_view> segments;
    for (std::size_t i = 1; i <= path.size() && path.size() > 1;) {
        auto j = path.find('/', i);
        if (j == std::string_view::npos) j = path.size();
        segments.push_back(path.substr(i, j - i));
        i = j + 1;
    }
    for (const auto& route : app_routes_) {
        if (route.size() != segments.size()) continue;
        bool same = true;
        for (std::size_t k = 0; k < route.size() && same; ++k)
            same = (!route[k].empty() && route[k][0] == ':') ? !segments[k].empty() : route[k] == segments[k];
        if (same) return true;
    }
    return false;
}

std::optional<response> static_files::serve(const std::string& path, const std::string& if_none_match) const {
    if (!clean_path(path)) return std::nullopt;
    // Hidden files were never loaded; do not answer them with the app shell either.
    if (path.find("/.") != std::string::npos) return response::error(api_error(errors::not_found));
    std::string key = path == "/" ? "/index.html" : path;
    auto it = files_.find(key);
    if (it == files_.end()) {
        // An app route such as /ateliers or /admin/utilisateurs: the shell routes it.
        auto last = key.substr(key.rfind('/') + 1);
        if (last.find('.') == std::string::npos && key.rfind("/api/", 0) != 0) it = files_.find("/index.html");
    }
    if (it == files_.end()) return response::error(api_error(errors::not_found));
    const file& f = it->second;
    response r;
    if (key != "/index.html" && it->first == "/index.html" && !is_app_route(path)) {
        // No page there: the shell says so (« Page introuvable »), and so does the status,
        // for crawlers, link checkers and monitoring.
        r.status = 404;
        r.header("Cache-Control", "no-cache");
        r.body = f.body;
        r.content_type = f.content_type;
        return r;
    }
    r.header("ETag", f.etag);
    r.header("Cache-Control", "no-cache");
    bool match = false;
    if (!if_none_match.empty()) {
        std::string_view v = if_none_match;
        match = v == "*" || v.find(f.etag) != std::string_view::npos;
    }
    if (match) {
        r.status = 304;
        r.content_type.clear();
        return r;
    }
    r.body = f.body;
    r.content_type = f.content_type;
    return r;
}

}  // namespace relais::net
