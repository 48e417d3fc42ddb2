#pragma once
// The web front end, loaded into memory at start-up so that serving it never
// touches the disk from a network thread. Lookups cannot escape the web root: they
// only ever find files that were found by walking it.
#include "net/http_types.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace relais::net {

class static_files {
public:
    struct file {
        std::string body;
        std::string content_type;
        std::string etag;
    };

    /// Loads every regular file under root (no symlinks leaving it, hidden files
    /// skipped). Throws when the total exceeds max_total_bytes.
    static_files(const std::filesystem::path& root, std::size_t max_total_bytes = 64u << 20);

    /// Answers a GET/HEAD for a decoded path: the file, the SPA shell for an app
    /// route (a path without extension), 304 on a matching If-None-Match, or 404.
    /// Returns nullopt for a path that is not a clean relative path (caller: 400).
    std::optional<response> serve(const std::string& path, const std::string& if_none_match) const;

    std::size_t size() const noexcept { return files_.size(); }

    static std::string mime_type(const std::filesystem::path& p);
    /// Whether a decoded URL path is safe: absolute, no "." or ".." segments, no
    /// backslash or control characters.
    static bool clean_path(std::string_view path);

private:
    bool is_app_route(std::string_view path) const;

    std::unordered_map<std::string, file> files_;
    // The pages of the web app, from js/routes.js (its one list of pages), as segments
    // (":id" matches any one): a path none matches gets the shell with status 404.
    std::vector<std::vector<std::string>> app_routes_;
};

}  // namespace relais::net
