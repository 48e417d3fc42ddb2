#include "library/store.hpp"

#include "indexing/source.hpp"

namespace relais::library {

bool content::same_as(const content& o) const {
    auto names = [](const std::vector<attachment>& a) {
        std::vector<std::string> out;
        for (const auto& x : a) out.push_back(x.sha256 + "/" + x.name);
        return out;
    };
    return title == o.title && summary == o.summary && body == o.body && phases == o.phases && missions == o.missions &&
           region == o.region && author_name == o.author_name && date == o.date && names(attachments) == names(o.attachments);
}

namespace store {
namespace {

json attachments_json(const std::vector<attachment>& a) {
    json out = json::array();
    for (const auto& x : a) out.push_back({{"sha256", x.sha256}, {"name", x.name}, {"mime", x.mime}, {"size", x.size}});
    return out;
}

std::vector<attachment> attachments_from(const std::string& text) {
    std::vector<attachment> out;
    auto j = json::parse(text, nullptr, false);
    if (!j.is_array()) return out;
    for (const auto& x : j)
        out.push_back({x.value("sha256", ""), x.value("name", ""), x.value("mime", ""), x.value("size", std::int64_t{0})});
    return out;
}

std::vector<std::string> strings_from(const std::string& text) {
    std::vector<std::string> out;
    auto j = json::parse(text, nullptr, false);
    if (j.is_array())
        for (const auto& x : j)
            if (x.is_string()) out.push_back(x.get<std::string>());
    return out;
}

constexpr const char* item_columns =
    "i.id, i.slug, i.kind, i.state, i.latest_version, i.published_version, i.archived, i.author_id, i.org_id, "
    "i.origin, i.reviewed_by, NULL, NULL, i.review_note, i.created_at, i.updated_at, i.published_at";

item item_from(const db::statement& s) {
    item it;
    it.id = s.get_int(0);
    it.slug = s.get_opt_text(1);
    it.kind = s.get_text(2);
    it.state = s.get_text(3);
    it.latest_version = s.get_int(4);
    it.published_version = s.get_opt_int(5);
    it.archived = s.get_int(6) != 0;
    it.author_id = s.get_opt_int(7);
    it.org_id = s.get_opt_int(8);
    it.origin = s.get_opt_text(9);
    it.reviewed_by = s.get_opt_int(10);
    it.org_name = s.get_opt_text(11);
    it.org_type = s.get_opt_text(12);
    it.review_note = s.get_text(13);
    it.created_at = s.get_int(14);
    it.updated_at = s.get_int(15);
    it.published_at = s.get_opt_int(16);
    return it;
}

void insert_version(db::connection& c, std::int64_t item_id, std::int64_t version, const content& v,
                    std::optional<std::int64_t> by, std::int64_t now) {
    c.prepare("INSERT INTO library_versions(item_id, version, title, summary, body, phases, missions, region, author_name, "
              "item_date, attachments, note, created_by, created_at) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
        .bind(1, item_id)
        .bind(2, version)
        .bind(3, v.title)
        .bind(4, v.summary)
        .bind(5, v.body)
        .bind(6, json(v.phases).dump())
        .bind(7, json(v.missions).dump())
        .bind(8, v.region)
        .bind(9, v.author_name)
        .bind(10, v.date)
        .bind(11, attachments_json(v.attachments).dump())
        .bind(12, v.note)
        .bind(13, by)
        .bind(14, now)
        .exec();
}

std::vector<listed> list(db::connection& c, const std::string& where_order, std::optional<std::int64_t> param) {
    auto s = c.prepare(std::string("SELECT ") + item_columns +
                       ", v.title, v.summary, v.version, v.author_name, v.created_by, v.created_at, "
                       "(SELECT json_object('version', w.version, 'note', w.review_note, 'at', w.reviewed_at) FROM library_versions w "
                       "WHERE w.item_id = i.id AND w.reviewed_at IS NOT NULL ORDER BY w.version DESC LIMIT 1) FROM library_items i "
                       "JOIN library_versions v ON v.item_id = i.id AND v.version = i.latest_version " +
                       where_order);
    if (param) s.bind(1, *param);
    std::vector<listed> out;
    while (s.step()) {
        listed l{item_from(s), s.get_text(17), s.get_text(18), s.get_int(19)};
        l.author_name = s.get_text(20);
        if (!s.is_null(21)) l.saved_by = s.get_int(21);
        l.saved_at = s.get_int(22);
        if (!s.is_null(23)) l.sent_back = s.get_text(23);
        out.push_back(std::move(l));
    }
    return out;
}

}  // namespace

std::optional<item> find_item(db::connection& c, std::int64_t id) {
    auto s = c.prepare(std::string("SELECT ") + item_columns +
                       " FROM library_items i WHERE i.id = ?");
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    return item_from(s);
}

void name_org(db::connection& c, const auth::directory& dir, item& it) {
    if (!it.org_id) return;
    if (auto o = dir.find_org(c, *it.org_id)) {
        it.org_name = o->name;
        it.org_type = o->type;
    }
}

void name_people(db::connection& c, const auth::directory& dir, std::vector<version_info>& versions) {
    std::vector<std::int64_t> ids;
    for (const auto& v : versions)
        if (v.created_by) ids.push_back(*v.created_by);
    auto people = dir.users(c, ids);
    for (auto& v : versions)
        if (v.created_by)
            if (auto it = people.find(*v.created_by); it != people.end()) v.created_by_name = it->second.name;
}

void name_listed(db::connection& c, const auth::directory& dir, std::vector<listed>& rows) {
    std::vector<std::int64_t> ids;
    for (const auto& l : rows)
        if (l.saved_by) ids.push_back(*l.saved_by);
    auto people = dir.users(c, ids);
    for (auto& l : rows) {
        if (l.saved_by)
            if (auto it = people.find(*l.saved_by); it != people.end()) l.saved_by_name = it->second.name;
        name_org(c, dir, l.it);
    }
}

std::optional<std::int64_t> item_by_slug(db::connection& c, const std::string& slug) {
    auto s = c.prepare("SELECT id FROM library_items WHERE slug = ?");
    s.bind(1, slug);
    if (!s.step()) return std::nullopt;
    return s.get_int(0);
}

std::optional<std::int64_t> item_by_origin(db::connection& c, const std::string& origin) {
    auto s = c.prepare("SELECT id FROM library_items WHERE origin = ?1 ORDER BY id LIMIT 1");
    s.bind(1, origin);
    if (!s.step()) return std::nullopt;
    return s.get_int(0);
}

std::optional<content> version(db::connection& c, std::int64_t item_id, std::int64_t version) {
    auto s = c.prepare("SELECT title, summary, body, phases, missions, region, author_name, item_date, attachments, note "
                       "FROM library_versions WHERE item_id = ? AND version = ?");
    s.bind(1, item_id).bind(2, version);
    if (!s.step()) return std::nullopt;
    content v;
    v.title = s.get_text(0);
    v.summary = s.get_text(1);
    v.body = s.get_text(2);
    v.phases = strings_from(s.get_text(3));
    v.missions = strings_from(s.get_text(4));
    v.region = s.get_opt_text(5);
    v.author_name = s.get_text(6);
    v.date = s.get_text(7);
    v.attachments = attachments_from(s.get_text(8));
    v.note = s.get_text(9);
    return v;
}

std::vector<version_info> versions(db::connection& c, std::int64_t item_id) {
    auto s = c.prepare("SELECT version, created_at, title, note, created_by, review_note, reviewed_at FROM library_versions "
                       "WHERE item_id = ? ORDER BY version DESC");
    s.bind(1, item_id);
    std::vector<version_info> out;
    while (s.step()) {
        version_info v{s.get_int(0), s.get_int(1), s.get_text(2), s.get_text(3), {}, s.get_opt_int(4)};
        v.review_note = s.get_text(5);
        v.reviewed_at = s.get_opt_int(6);
        out.push_back(std::move(v));
    }
    return out;
}

std::int64_t create_item(db::connection& c, item& it, const content& v, std::optional<std::int64_t> by, std::int64_t now) {
    c.prepare("INSERT INTO library_items(slug, kind, state, latest_version, published_version, author_id, org_id, origin, "
              "created_at, updated_at, published_at) VALUES(?,?,?,1,?,?,?,?,?,?,?)")
        .bind(1, it.slug)
        .bind(2, it.kind)
        .bind(3, it.state)
        .bind(4, it.state == "published" ? std::optional<std::int64_t>(1) : std::nullopt)
        .bind(5, it.author_id)
        .bind(6, it.org_id)
        .bind(7, it.origin)
        .bind(8, now)
        .bind(9, now)
        .bind(10, it.state == "published" ? std::optional<std::int64_t>(now) : std::nullopt)
        .exec();
    it.id = c.last_insert_id();
    it.latest_version = 1;
    if (it.state == "published") it.published_version = 1;
    insert_version(c, it.id, 1, v, by, now);
    enqueue(c, it.id);
    return it.id;
}

std::int64_t add_version(db::connection& c, item& it, const content& v, bool publish_now, std::optional<std::int64_t> by,
                         std::int64_t now) {
    auto next = it.latest_version + 1;
    insert_version(c, it.id, next, v, by, now);
    it.latest_version = next;
    if (publish_now) {
        it.state = "published";
        it.published_version = next;
    } else {
        it.state = "pending";
    }
    c.prepare("UPDATE library_items SET latest_version = ?, state = ?, published_version = ?, updated_at = ?, "
              "published_at = CASE WHEN ? THEN ? ELSE published_at END, review_note = '', kind = ? WHERE id = ?")
        .bind(1, next)
        .bind(2, it.state)
        .bind(3, it.published_version)
        .bind(4, now)
        .bind(5, publish_now ? 1 : 0)
        .bind(6, now)
        .bind(7, it.kind)
        .bind(8, it.id)
        .exec();
    enqueue(c, it.id);
    return next;
}

bool publish(db::connection& c, std::int64_t item_id, std::int64_t version, std::int64_t by, std::int64_t now) {
    c.prepare("UPDATE library_items SET state = 'published', published_version = ?, reviewed_by = ?, review_note = '', "
              "published_at = ?, updated_at = ? WHERE id = ? AND latest_version = ?")
        .bind(1, version)
        .bind(2, by)
        .bind(3, now)
        .bind(4, now)
        .bind(5, item_id)
        .bind(6, version)
        .exec();
    if (c.changes() == 0) return false;
    enqueue(c, item_id);
    return true;
}

bool reject(db::connection& c, std::int64_t item_id, std::int64_t version, const std::string& note, std::int64_t by,
            std::int64_t now) {
    c.prepare("UPDATE library_items SET state = 'rejected', review_note = ?, reviewed_by = ?, updated_at = ? "
              "WHERE id = ? AND latest_version = ? AND state = 'pending'")
        .bind(1, note)
        .bind(2, by)
        .bind(3, now)
        .bind(4, item_id)
        .bind(5, version)
        .exec();
    if (c.changes() == 0) return false;
    c.prepare("UPDATE library_versions SET review_note = ?1, reviewed_at = ?2 WHERE item_id = ?3 AND version = ?4")
        .bind(1, note)
        .bind(2, now)
        .bind(3, item_id)
        .bind(4, version)
        .exec();
    enqueue(c, item_id);
    return true;
}

void set_archived(db::connection& c, std::int64_t item_id, bool archived, std::int64_t by, std::int64_t now) {
    c.prepare("UPDATE library_items SET archived = ?, reviewed_by = ?, updated_at = ? WHERE id = ?")
        .bind(1, archived ? 1 : 0)
        .bind(2, by)
        .bind(3, now)
        .bind(4, item_id)
        .exec();
    enqueue(c, item_id);
}

std::vector<listed> pending(db::connection& c) {
    return list(c, "WHERE i.state = 'pending' AND i.archived = 0 ORDER BY i.updated_at, i.id", std::nullopt);
}

std::vector<listed> by_author(db::connection& c, std::int64_t author_id) {
    return list(c, "WHERE i.author_id = ? ORDER BY i.updated_at DESC, i.id DESC", author_id);
}

void add_uploader(db::connection& c, const std::string& sha256, std::int64_t user, std::int64_t now) {
    c.prepare("INSERT OR IGNORE INTO library_file_uploaders(sha256, user_id, created_at) VALUES(?1, ?2, ?3)")
        .bind(1, sha256)
        .bind(2, user)
        .bind(3, now)
        .exec();
}

bool may_attach(db::connection& c, const std::string& sha256, std::int64_t user, bool reviewer) {
    auto s = c.prepare(
        "SELECT 1 FROM library_file_uploaders WHERE sha256 = ?1 AND user_id = ?2 "
        "UNION ALL "
        "SELECT 1 FROM library_versions v JOIN library_items i ON i.id = v.item_id, json_each(v.attachments) a "
        "WHERE json_extract(a.value, '$.sha256') = ?1 AND (?3 OR i.author_id = ?2 OR "
        "(i.published_version = v.version AND i.archived = 0)) "
        "LIMIT 1");
    s.bind(1, sha256).bind(2, user).bind(3, static_cast<std::int64_t>(reviewer ? 1 : 0));
    return s.step();
}

std::optional<file_row> file(db::connection& c, const std::string& sha256) {
    auto s = c.prepare("SELECT sha256, mime, text, size, meta FROM library_files WHERE sha256 = ?");
    s.bind(1, sha256);
    if (!s.step()) return std::nullopt;
    return file_row{s.get_text(0), s.get_text(1), s.get_text(2), s.get_int(3), s.get_text(4)};
}

void insert_file(db::connection& c, const file_row& f, std::optional<std::int64_t> by, std::int64_t now) {
    c.prepare("INSERT INTO library_files(sha256, size, mime, text, uploaded_by, created_at, meta) VALUES(?,?,?,?,?,?,?) "
              "ON CONFLICT(sha256) DO UPDATE SET created_at = excluded.created_at, meta = excluded.meta")
        .bind(1, f.sha256)
        .bind(2, f.size)
        .bind(3, f.mime)
        .bind(4, f.text)
        .bind(5, by)
        .bind(6, now)
        .bind(7, f.meta)
        .exec();
}

std::vector<std::string> orphan_files(db::connection& c, std::int64_t before) {
    auto s = c.prepare(
        "SELECT f.sha256 FROM library_files f WHERE f.created_at < ? AND NOT EXISTS ("
        "SELECT 1 FROM library_versions v, json_each(v.attachments) a WHERE json_extract(a.value, '$.sha256') = f.sha256)");
    s.bind(1, before);
    std::vector<std::string> out;
    while (s.step()) out.push_back(s.get_text(0));
    return out;
}

std::int64_t unattached_bytes(db::connection& c, std::int64_t user, std::int64_t since) {
    auto s = c.prepare(
        "SELECT coalesce(sum(f.size), 0) FROM library_file_uploaders u JOIN library_files f ON f.sha256 = u.sha256 "
        "WHERE u.user_id = ?1 AND u.created_at >= ?2 AND NOT EXISTS ("
        "SELECT 1 FROM library_versions v, json_each(v.attachments) a WHERE json_extract(a.value, '$.sha256') = f.sha256)");
    s.bind(1, user).bind(2, since);
    return s.step() ? s.get_int(0) : 0;
}

void delete_file(db::connection& c, const std::string& sha256) {
    c.prepare("DELETE FROM library_files WHERE sha256 = ?").bind(1, sha256).exec();
}

void enqueue(db::connection& c, std::int64_t item_id) { indexing::enqueue(c, "item", item_id); }

std::vector<std::int64_t> item_ids(db::connection& c) {
    auto s = c.prepare("SELECT id FROM library_items ORDER BY id");
    std::vector<std::int64_t> out;
    while (s.step()) out.push_back(s.get_int(0));
    return out;
}

std::int64_t count_public(db::connection& c) {
    auto s = c.prepare("SELECT count(*) FROM library_items WHERE published_version IS NOT NULL AND archived = 0");
    s.step();
    return s.get_int(0);
}

}  // namespace store
}  // namespace relais::library
