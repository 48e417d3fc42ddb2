#pragma once
// The library's seed content: seed-content/library/{guides,outils,temoignages}/*.md,
// Markdown with TOML front matter between "+++" lines, and the files they attach
// in seed-content/library/fichiers/. Loading is idempotent: an item whose slug
// exists gets a new published version only when its content changed.
#include "db/database.hpp"
#include "library/blobs.hpp"
#include "library/store.hpp"

#include <filesystem>
#include <string>

namespace relais::library {

struct seed_item {
    std::string slug, kind;
    content c;
    std::vector<std::string> attachment_files;
};

/// Parses one seed file; throws std::invalid_argument naming the problem.
seed_item parse_seed_item(const std::string& text);

struct seed_summary {
    int added = 0, updated = 0;
};

/// Loads every seed item (blocking: files and SQL on the calling thread).
seed_summary load_seed_library(db::connection& c, blobs& files, const std::filesystem::path& seed_dir);

}  // namespace relais::library
