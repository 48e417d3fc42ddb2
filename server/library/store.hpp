#pragma once
// The library's data: items with their versions, content-addressed files, the
// index updates (queued in the indexing module's outbox). Every SQL statement of the module is here.
#include "auth/directory.hpp"
#include "db/database.hpp"
#include "reference/data.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace relais::library {

using json = nlohmann::json;

/// Codes with their French labels: the reference module's (reference/data.hpp).
using reference::code_label;
inline const std::vector<code_label>& kinds() { return reference::item_kinds(); }
inline const std::vector<code_label>& phases() { return reference::phases(); }
inline const std::vector<code_label>& missions() { return reference::missions(); }
inline bool is_code(const std::vector<code_label>& set, const std::string& code) { return reference::contains(set, code); }

struct attachment {
    std::string sha256, name, mime;
    std::int64_t size = 0;
};

/// The content of one version.
struct content {
    std::string title, summary, body;  // body in Markdown
    std::vector<std::string> phases, missions;
    std::optional<std::string> region;  // INSEE code
    std::string author_name;
    std::string date;  // YYYY-MM-DD
    std::vector<attachment> attachments;
    std::string note;  // what changed

    bool same_as(const content& o) const;
};

struct item {
    std::int64_t id = 0;
    std::optional<std::string> slug;
    std::string kind, state;  // state: pending | published | rejected
    std::int64_t latest_version = 0;
    std::optional<std::int64_t> published_version;
    bool archived = false;
    std::optional<std::int64_t> author_id, org_id, reviewed_by;
    std::optional<std::string> origin;  // filed by another module: "workshop:12"
    std::optional<std::string> org_name, org_type;  // from the auth directory (store::name_org)
    std::string review_note;
    std::int64_t created_at = 0, updated_at = 0;
    std::optional<std::int64_t> published_at;

    /// Whether everyone may read it (the published version).
    bool is_public() const { return published_version.has_value() && !archived; }
};

struct version_info {
    std::int64_t version = 0, created_at = 0;
    std::string title, note, created_by_name;  // the name: from the auth directory (store::name_people)
    std::optional<std::int64_t> created_by;
    std::string review_note;                   // the reviewer's request when this version was sent back
    std::optional<std::int64_t> reviewed_at;   // when it was sent back
};

namespace store {

std::optional<item> find_item(db::connection& c, std::int64_t id);
/// The organisation's name and type, read through the auth module's directory.
void name_org(db::connection& c, const auth::directory& dir, item& it);
/// The names of the versions' authors, read through the directory.
void name_people(db::connection& c, const auth::directory& dir, std::vector<version_info>& versions);
std::optional<std::int64_t> item_by_slug(db::connection& c, const std::string& slug);
/// The item filed under `origin` (library::filer), if any.
std::optional<std::int64_t> item_by_origin(db::connection& c, const std::string& origin);
std::optional<content> version(db::connection& c, std::int64_t item_id, std::int64_t version);
std::vector<version_info> versions(db::connection& c, std::int64_t item_id);

/// Creates an item with version 1 (published when `published`); queues it for the index.
std::int64_t create_item(db::connection& c, item& it, const content& v, std::optional<std::int64_t> by, std::int64_t now);
/// Adds a version; published at once or left pending (the published version stays visible).
std::int64_t add_version(db::connection& c, item& it, const content& v, bool publish, std::optional<std::int64_t> by,
                         std::int64_t now);
/// Publishes `version` if it is still the latest; false when the item changed meanwhile.
bool publish(db::connection& c, std::int64_t item_id, std::int64_t version, std::int64_t by, std::int64_t now);
/// Rejects `version` if it is still the latest and pending; false otherwise.
bool reject(db::connection& c, std::int64_t item_id, std::int64_t version, const std::string& note, std::int64_t by,
            std::int64_t now);
void set_archived(db::connection& c, std::int64_t item_id, bool archived, std::int64_t by, std::int64_t now);

struct listed {
    item it;
    std::string title, summary;
    std::int64_t version = 0;
    std::string author_name;                // the latest version's, as displayed
    std::optional<std::int64_t> saved_by;   // who saved the latest version
    std::string saved_by_name;              // from the auth directory (name_listed)
    std::int64_t saved_at = 0;
    std::string sent_back;  // JSON {"version","note","at"} of the last version sent back, or ""
};
/// Fills saved_by_name and the organisation's name of listed items.
void name_listed(db::connection& c, const auth::directory& dir, std::vector<listed>& rows);
/// Items awaiting review, oldest first.
std::vector<listed> pending(db::connection& c);
/// Items by one author, newest first.
std::vector<listed> by_author(db::connection& c, std::int64_t author_id);

// Files.
struct file_row {
    std::string sha256, mime, text;
    std::int64_t size = 0;
    std::string meta = "{}";  // JSON: pages, outline, width, height, preview (0005_library_file_meta.sql)
};
std::optional<file_row> file(db::connection& c, const std::string& sha256);
/// Records a file once (the same bytes uploaded twice are one row).
void insert_file(db::connection& c, const file_row& f, std::optional<std::int64_t> by, std::int64_t now);
/// Records that `user` uploaded this file (idempotent).
void add_uploader(db::connection& c, const std::string& sha256, std::int64_t user, std::int64_t now);
/// Whether `user` may attach this file: one of its uploaders, or able to read a version
/// that holds it (a published version of an unarchived item; any version of their own
/// items; any version at all for reviewers).
bool may_attach(db::connection& c, const std::string& sha256, std::int64_t user, bool reviewer);
/// Files no version refers to, uploaded before `before`.
std::vector<std::string> orphan_files(db::connection& c, std::int64_t before);
/// Bytes of the files `user` uploaded since `since` that no version attaches.
std::int64_t unattached_bytes(db::connection& c, std::int64_t user, std::int64_t since);
void delete_file(db::connection& c, const std::string& sha256);

// Outbox.
/// Queues the item for the index (in the caller's transaction).
void enqueue(db::connection& c, std::int64_t item_id);
/// Every item's id (the index looks at each when it is rebuilt).
std::vector<std::int64_t> item_ids(db::connection& c);
std::int64_t count_public(db::connection& c);

}  // namespace store
}  // namespace relais::library
