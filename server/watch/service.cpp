#include "watch/service.hpp"

#include "auth/password.hpp"
#include "common/json_input.hpp"
#include "common/time.hpp"
#include "common/utf8.hpp"
#include "search/text.hpp"
#include "watch/errors.hpp"
#include "watch/feed.hpp"
#include "watch/sanitize.hpp"
#include "watch/text.hpp"
#include "watch/urls.hpp"

#include <algorithm>
#include <map>
#include <tuple>
#include <set>

namespace relais::watch {
namespace {

constexpr std::size_t max_owners = 20;
constexpr std::int64_t title_window_s = 14 * 86400;  // cross-feed duplicates by title: this recent
constexpr double same_title = 0.85;

std::int64_t count(db::connection& c, std::string_view sql, std::int64_t a = 0, std::int64_t b = 0) {
    auto s = c.prepare(sql);
    if (sql.find("?1") != std::string_view::npos) s.bind(1, a);
    if (sql.find("?2") != std::string_view::npos) s.bind(2, b);
    s.step();
    return s.get_int(0);
}

bool field_exists(db::connection& c, std::int64_t id) {
    return count(c, "SELECT count(*) FROM watch_fields WHERE id = ?1", id) > 0;
}

// An archived field keeps what it has (inbox, qualifications, comments stay readable) but
// nothing new enters it: no source, no posted link or note, no feed item.
void check_open_field(db::connection& c, std::int64_t id) {
    auto s = c.prepare("SELECT archived_at IS NOT NULL FROM watch_fields WHERE id = ?1");
    s.bind(1, id);
    if (!s.step()) throw api_error(errors::not_found);
    if (s.get_int(0) != 0) throw api_error(errors::field_archived);
}

std::vector<owner> owners_of(db::connection& c, std::int64_t field) {
    std::vector<owner> out;
    auto s = c.prepare("SELECT user_id, org_id, role FROM watch_field_owners WHERE field_id = ?1 ORDER BY role DESC, since");
    s.bind(1, field);
    while (s.step()) out.push_back({s.get_int(0), s.get_int(1), s.get_text(2)});
    return out;
}

/// At most n bytes, cut at a character boundary.
std::string cap(std::string s, std::size_t n) {
    if (s.size() <= n) return s;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
    s.resize(n);
    return s;
}

std::vector<std::int64_t> ids_of(const std::string& csv) {
    std::vector<std::int64_t> out;
    std::int64_t v = 0;
    bool any = false;
    for (char ch : csv + ",") {
        if (ch >= '0' && ch <= '9') {
            v = v * 10 + (ch - '0');
            any = true;
        } else if (any) {
            out.push_back(v);
            v = 0;
            any = false;
        }
    }
    return out;
}

}  // namespace

// ---- Fields and owners --------------------------------------------------------------

std::string service::slugify(const std::string& name) {
    std::string folded = search::fold(name);  // lower case, no accents
    std::string out;
    for (char ch : folded) {
        bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
        if (alnum) out += ch;
        else if (!out.empty() && out.back() != '-') out += '-';
        if (out.size() >= 60) break;
    }
    while (!out.empty() && out.back() == '-') out.pop_back();
    return out;
}

std::int64_t service::create_field(db::connection& c, const field_draft& d, std::int64_t now) const {
    if (d.name.empty()) throw api_error(errors::invalid_field, "name");
    auto slug = d.slug.empty() ? slugify(d.name) : d.slug;
    if (slug.empty() || slug != slugify(slug)) throw api_error(errors::invalid_field, "slug");
    {
        auto s = c.prepare("SELECT count(*) FROM watch_fields WHERE slug = ?1");
        s.bind(1, slug);
        s.step();
        if (s.get_int(0) > 0) throw api_error(errors::field_exists, "slug");
    }
    c.prepare("INSERT INTO watch_fields(slug, name, description, source_hint, created_at, updated_at) VALUES(?1, ?2, ?3, ?4, ?5, ?5)")
        .bind(1, slug)
        .bind(2, d.name)
        .bind(3, d.description)
        .bind(4, d.source_hint)
        .bind(5, now)
        .exec();
    return c.last_insert_id();
}

void service::update_field(db::connection& c, std::int64_t id, const json& body, std::int64_t now) const {
    if (!field_exists(c, id)) throw api_error(errors::not_found);
    auto set = [&](const char* column, const std::string& value) {
        c.prepare(std::string("UPDATE watch_fields SET ") + column + " = ?1, updated_at = ?2 WHERE id = ?3")
            .bind(1, value)
            .bind(2, now)
            .bind(3, id)
            .exec();
    };
    if (auto v = json_input::optional_line(body, "name", 120)) {
        if (v->empty()) throw api_error(errors::invalid_field, "name");
        set("name", *v);
    }
    // Unlike the general rule, "" or null clears these two (a field may have no description
    // nor hint); absent leaves them.
    for (auto [column, max] : {std::pair<const char*, std::size_t>{"description", 2000}, {"source_hint", 500}}) {
        if (!body.contains(column)) continue;
        set(column, json_input::optional_string(body, column, max).value_or(""));
    }
    if (auto it = body.find("archived"); it != body.end()) {
        if (!it->is_boolean()) throw api_error(errors::invalid_field, "archived");
        c.prepare("UPDATE watch_fields SET archived_at = ?1, updated_at = ?2 WHERE id = ?3")
            .bind(1, it->get<bool>() ? std::optional<std::int64_t>(now) : std::nullopt)
            .bind(2, now)
            .bind(3, id)
            .exec();
    }
}

void service::set_owners(db::connection& c, std::int64_t field, const std::vector<owner>& owners, std::int64_t now) const {
    if (!field_exists(c, field)) throw api_error(errors::not_found);
    if (owners.size() > max_owners) throw api_error(errors::invalid_field, "owners");
    std::set<std::pair<std::int64_t, std::int64_t>> seen;
    for (const auto& o : owners) {
        if ((o.user_id == 0) == (o.org_id == 0)) throw api_error(errors::invalid_field, "owners");
        if (o.role != "owner" && o.role != "backup") throw api_error(errors::invalid_field, "owners");
        if (!seen.insert({o.user_id, o.org_id}).second) throw api_error(errors::invalid_field, "owners");
        if (o.user_id) {
            auto u = dir_.find_user(c, o.user_id);
            if (!u || !u->active) throw api_error(errors::invalid_field, "owners");
        } else if (!dir_.find_org(c, o.org_id)) {
            throw api_error(errors::invalid_field, "owners");
        }
    }
    // Those who stay keep their "since" (the coverage view shows how long they have held it).
    std::map<std::pair<std::int64_t, std::int64_t>, std::int64_t> since;
    {
        auto s = c.prepare("SELECT user_id, org_id, since FROM watch_field_owners WHERE field_id = ?1");
        s.bind(1, field);
        while (s.step()) since[{s.get_int(0), s.get_int(1)}] = s.get_int(2);
    }
    c.prepare("DELETE FROM watch_field_owners WHERE field_id = ?1").bind(1, field).exec();
    for (const auto& o : owners) {
        auto it = since.find({o.user_id, o.org_id});
        c.prepare("INSERT INTO watch_field_owners(field_id, user_id, org_id, role, since) VALUES(?1, ?2, ?3, ?4, ?5)")
            .bind(1, field)
            .bind(2, o.user_id)
            .bind(3, o.org_id)
            .bind(4, o.role)
            .bind(5, it == since.end() ? now : it->second)
            .exec();
    }
    c.prepare("UPDATE watch_fields SET updated_at = ?1 WHERE id = ?2").bind(1, now).bind(2, field).exec();
}

bool service::may_curate(db::connection& c, std::int64_t field, const auth::principal& who) const {
    if (who.account.role == "admin" || who.account.role == "animateur") return true;
    for (const auto& o : owners_of(c, field)) {
        if (o.user_id && o.user_id == who.account.id) return true;
        if (o.org_id && who.account.org_id && *who.account.org_id == o.org_id) return true;
    }
    return false;
}

json service::field_json(db::connection& c, std::int64_t id, bool with_sources) const {
    auto s = c.prepare("SELECT id, slug, name, description, source_hint, archived_at, updated_at FROM watch_fields WHERE id = ?1");
    s.bind(1, id);
    if (!s.step()) throw api_error(errors::not_found);
    json f = {{"id", s.get_int(0)},          {"slug", s.get_text(1)},
              {"name", s.get_text(2)},       {"description", s.get_text(3)},
              {"source_hint", s.get_text(4)}, {"archived", !s.is_null(5)},
              {"updated_at", to_iso8601(s.get_int(6))}};
    auto owners = owners_of(c, id);
    std::vector<std::int64_t> uids, oids;
    for (const auto& o : owners) (o.user_id ? uids : oids).push_back(o.user_id ? o.user_id : o.org_id);
    auto users = dir_.users(c, uids);
    auto orgs = dir_.orgs(c, oids);
    f["owners"] = json::array();
    for (const auto& o : owners) {
        json j = {{"role", o.role}};
        if (o.user_id) {
            auto u = users.find(o.user_id);
            j["user_id"] = o.user_id;
            j["name"] = u == users.end() ? "" : u->second.name;
            j["active"] = u != users.end() && u->second.active;
            if (u != users.end() && u->second.org_name) j["org_name"] = *u->second.org_name;
        } else {
            auto g = orgs.find(o.org_id);
            j["org_id"] = o.org_id;
            j["name"] = g == orgs.end() ? "" : g->second.name;
            j["active"] = g != orgs.end();
        }
        f["owners"].push_back(j);
    }
    f["followers"] = count(c, "SELECT count(*) FROM watch_follows WHERE field_id = ?1", id);
    f["counts"] = {{"sources", count(c, "SELECT count(*) FROM watch_field_sources WHERE field_id = ?1", id)},
                   {"new", count(c, "SELECT count(*) FROM watch_field_items WHERE field_id = ?1 AND state = 'new'", id)},
                   {"kept", count(c, "SELECT count(*) FROM watch_field_items WHERE field_id = ?1 AND state = 'kept'", id)}};
    if (with_sources) {
        f["sources"] = json::array();
        auto q = c.prepare(
            "SELECT s.id, s.url, s.title, s.site_url, s.format, s.interval_s, s.next_fetch_at, s.last_fetch_at, "
            "s.last_success_at, s.last_error_code, s.last_error, s.failing_since, s.failures "
            "FROM watch_field_sources fs JOIN watch_sources s ON s.id = fs.source_id WHERE fs.field_id = ?1 ORDER BY s.title, s.id");
        q.bind(1, id);
        while (q.step()) {
            json src = {{"id", q.get_int(0)},           {"url", q.get_text(1)},        {"title", q.get_text(2)},
                        {"site_url", q.get_text(3)},     {"format", q.get_text(4)},     {"interval_s", q.get_int(5)},
                        {"next_fetch_at", to_iso8601(q.get_int(6))},
                        {"last_fetch_at", q.is_null(7) ? json() : json(to_iso8601(q.get_int(7)))},
                        {"last_success_at", q.is_null(8) ? json() : json(to_iso8601(q.get_int(8)))},
                        {"failures", q.get_int(12)}};
            src["status"] = q.get_int(12) > 0 ? "failing" : (q.is_null(8) ? "pending" : "ok");
            if (q.get_int(12) > 0) {
                src["error"] = {{"code", q.get_text(9)}, {"message", french_typography(q.get_text(10))}};
                src["failing_since"] = to_iso8601(q.get_int(11));
            }
            f["sources"].push_back(src);
        }
    }
    return f;
}

void service::follow(db::connection& c, std::int64_t field, std::int64_t user, bool on, std::int64_t now) const {
    if (!field_exists(c, field)) throw api_error(errors::not_found);
    if (on)
        c.prepare("INSERT OR IGNORE INTO watch_follows(field_id, user_id, since) VALUES(?1, ?2, ?3)")
            .bind(1, field)
            .bind(2, user)
            .bind(3, now)
            .exec();
    else
        c.prepare("DELETE FROM watch_follows WHERE field_id = ?1 AND user_id = ?2").bind(1, field).bind(2, user).exec();
}

bool service::follows(db::connection& c, std::int64_t field, std::int64_t user) const {
    return count(c, "SELECT count(*) FROM watch_follows WHERE field_id = ?1 AND user_id = ?2", field, user) > 0;
}

std::vector<std::int64_t> service::followers(db::connection& c, std::int64_t field) const {
    std::vector<std::int64_t> out;
    auto s = c.prepare("SELECT user_id FROM watch_follows WHERE field_id = ?1 ORDER BY user_id");
    s.bind(1, field);
    while (s.step()) out.push_back(s.get_int(0));
    return out;
}

service::retained service::retained_item(db::connection& c, std::int64_t field, std::int64_t item) const {
    retained r;
    auto s = c.prepare(
        "SELECT i.title, i.link, fi.summary, f.name, "
        "(SELECT group_concat(CASE WHEN s.title = '' THEN s.url ELSE s.title END, ', ') FROM watch_item_sources x "
        " JOIN watch_sources s ON s.id = x.source_id WHERE x.item_id = i.id) "
        "FROM watch_field_items fi JOIN watch_items i ON i.id = fi.item_id JOIN watch_fields f ON f.id = fi.field_id "
        "WHERE fi.field_id = ?1 AND fi.item_id = ?2 AND fi.state = 'kept'");
    s.bind(1, field).bind(2, item);
    if (!s.step()) return r;
    r.title = s.get_text(0);
    r.summary = s.get_text(2);
    r.field_name = s.get_text(3);
    // Markdown from plain texts: characters that would make markup are escaped.
    auto plain = [](const std::string& text) {
        std::string out;
        for (char ch : text) {
            if (std::string_view("\\`*_[]<>#|!").find(ch) != std::string_view::npos) out += '\\';
            out += ch;
        }
        return out;
    };
    std::string link = s.get_text(1);
    if (!r.summary.empty()) r.markdown += "**À retenir** : " + plain(r.summary) + "\n\n";
    if (!link.empty() && link.find_first_of(" ()<>") == std::string::npos)
        r.markdown += "Lire : [" + plain(r.title) + "](" + link + ")\n\n";
    if (!s.is_null(4)) r.markdown += "Sources : " + plain(s.get_text(4)) + "\n\n";
    r.markdown += "Champ de veille : " + plain(r.field_name) + "\n";
    return r;
}

json service::fields_json(db::connection& c, std::int64_t) const {
    json out = json::array();
    std::vector<std::int64_t> ids;
    auto s = c.prepare("SELECT id FROM watch_fields ORDER BY archived_at IS NOT NULL, name COLLATE NOCASE, id");
    while (s.step()) ids.push_back(s.get_int(0));
    for (auto id : ids) out.push_back(field_json(c, id, false));
    return out;
}

// ---- Sources --------------------------------------------------------------------------

std::int64_t service::add_source(db::connection& c, std::int64_t field, const std::string& url, const std::string& feed_title,
                                 const std::string& site_url, const std::string& format, std::int64_t interval_s,
                                 std::int64_t by, std::int64_t now) const {
    check_open_field(c, field);
    interval_s = std::clamp(interval_s, opts_.min_interval_s, std::int64_t{7 * 86400});
    std::int64_t source = 0;
    {
        auto s = c.prepare("SELECT id FROM watch_sources WHERE url = ?1");
        s.bind(1, url);
        if (s.step()) source = s.get_int(0);
    }
    if (!source) {
        // Fetched right away by the next run of the fetch job.
        c.prepare("INSERT INTO watch_sources(url, title, site_url, format, interval_s, next_fetch_at, created_by, created_at) "
                  "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?6)")
            .bind(1, url)
            .bind(2, cap(feed_title, 300))
            .bind(3, site_url)
            .bind(4, format)
            .bind(5, interval_s)
            .bind(6, now)
            .bind(7, by)
            .exec();
        source = c.last_insert_id();
    }
    if (count(c, "SELECT count(*) FROM watch_field_sources WHERE field_id = ?1 AND source_id = ?2", field, source) > 0)
        throw api_error(errors::source_exists, "url");
    c.prepare("INSERT INTO watch_field_sources(field_id, source_id, added_by, added_at) VALUES(?1, ?2, ?3, ?4)")
        .bind(1, field)
        .bind(2, source)
        .bind(3, by)
        .bind(4, now)
        .exec();
    // A source another field already follows brings its last 30 days into this inbox.
    std::vector<std::tuple<std::int64_t, std::string, std::string>> recent;
    {
        auto s = c.prepare("SELECT i.id, i.title, i.text FROM watch_item_sources x JOIN watch_items i ON i.id = x.item_id "
                           "WHERE x.source_id = ?1 AND i.published_at >= ?2");
        s.bind(1, source).bind(2, now - 30 * 86400);
        while (s.step()) recent.emplace_back(s.get_int(0), s.get_text(1), s.get_text(2));
    }
    for (const auto& [item, title, text] : recent) enter_inbox(c, field, item, title, text, now);
    return source;
}

void service::remove_source(db::connection& c, std::int64_t field, std::int64_t source) const {
    c.prepare("DELETE FROM watch_field_sources WHERE field_id = ?1 AND source_id = ?2").bind(1, field).bind(2, source).exec();
    if (c.changes() == 0) throw api_error(errors::not_found);
    // A source no field follows is no longer fetched; its items stay (they may be retained).
    if (count(c, "SELECT count(*) FROM watch_field_sources WHERE source_id = ?1", source) == 0) {
        c.prepare("DELETE FROM watch_item_sources WHERE source_id = ?1").bind(1, source).exec();
        c.prepare("DELETE FROM watch_sources WHERE id = ?1").bind(1, source).exec();
    }
}

json service::import_sources(db::connection& c, std::int64_t field, const std::vector<opml_feed>& feeds, std::int64_t by,
                             std::int64_t now) const {
    check_open_field(c, field);
    std::int64_t added = 0, already = 0;
    for (const auto& f : feeds) {
        auto known = c.prepare("SELECT 1 FROM watch_field_sources fs JOIN watch_sources s ON s.id = fs.source_id "
                               "WHERE fs.field_id = ?1 AND s.url = ?2");
        known.bind(1, field).bind(2, f.url);
        if (known.step()) {
            ++already;
            continue;
        }
        add_source(c, field, f.url, f.title, f.site_url, "", opts_.default_interval_s, by, now);
        ++added;
    }
    return {{"added", added}, {"already", already}};
}

std::vector<opml_feed> service::export_sources(db::connection& c, std::int64_t field, std::string& name) const {
    {
        auto s = c.prepare("SELECT name FROM watch_fields WHERE id = ?1");
        s.bind(1, field);
        if (!s.step()) throw api_error(errors::not_found);
        name = s.get_text(0);
    }
    std::vector<opml_feed> out;
    auto s = c.prepare("SELECT s.url, s.title, s.site_url FROM watch_field_sources fs JOIN watch_sources s ON s.id = fs.source_id "
                       "WHERE fs.field_id = ?1 ORDER BY s.title, s.id");
    s.bind(1, field);
    while (s.step()) out.push_back({s.get_text(0), s.get_text(1), s.get_text(2)});
    return out;
}

namespace {

// How rules read a text: folded (case, accents), every run of other characters than
// letters and digits one space, trimmed. « Télé-expertise » and « TELE  EXPERTISE » read
// the same.
std::string rule_words(std::string_view text) {
    std::string out;
    for (char ch : search::fold(text)) {
        const bool word = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || static_cast<unsigned char>(ch) >= 0x80;
        if (word) out += ch;
        else if (!out.empty() && out.back() != ' ') out += ' ';
    }
    if (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

}  // namespace

json service::sources_json(db::connection& c) const {
    json out = json::array();
    auto s = c.prepare(
        "SELECT s.id, s.url, s.title, s.format, s.next_fetch_at, s.last_success_at, s.last_error_code, s.last_error, "
        "s.failing_since, s.failures, (SELECT group_concat(field_id) FROM watch_field_sources WHERE source_id = s.id), "
        "s.site_url, s.interval_s, s.last_fetch_at "
        "FROM watch_sources s ORDER BY s.failures > 0 DESC, s.title, s.id");
    while (s.step()) {
        json fields = ids_of(s.get_text(10));
        json j = {{"id", s.get_int(0)},      {"url", s.get_text(1)},   {"title", s.get_text(2)},
                  {"site_url", s.get_text(11)}, {"interval_s", s.get_int(12)},
                  {"format", s.get_text(3)}, {"field_ids", fields},    {"next_fetch_at", to_iso8601(s.get_int(4))},
                  {"last_fetch_at", s.is_null(13) ? json() : json(to_iso8601(s.get_int(13)))},
                  {"last_success_at", s.is_null(5) ? json() : json(to_iso8601(s.get_int(5)))},
                  {"failures", s.get_int(9)}};
        j["status"] = s.get_int(9) > 0 ? "failing" : (s.is_null(5) ? "pending" : "ok");
        if (s.get_int(9) > 0) {
            j["error"] = {{"code", s.get_text(6)}, {"message", french_typography(s.get_text(7))}};
            j["failing_since"] = to_iso8601(s.get_int(8));
        }
        out.push_back(j);
    }
    return out;
}

std::vector<service::due_source> service::take_due(db::connection& c, std::int64_t now, std::size_t limit,
                                                   std::int64_t lease_s) const {
    std::vector<due_source> out;
    auto s = c.prepare(
        "SELECT id, url, etag, last_modified FROM watch_sources WHERE next_fetch_at <= ?1 AND EXISTS ("
        "SELECT 1 FROM watch_field_sources x JOIN watch_fields f ON f.id = x.field_id "
        "WHERE x.source_id = watch_sources.id AND f.archived_at IS NULL) ORDER BY next_fetch_at, id LIMIT ?2");
    s.bind(1, now).bind(2, static_cast<std::int64_t>(limit));
    while (s.step()) out.push_back({s.get_int(0), s.get_text(1), s.get_text(2), s.get_text(3)});
    for (const auto& d : out)
        c.prepare("UPDATE watch_sources SET next_fetch_at = ?1 WHERE id = ?2").bind(1, now + lease_s).bind(2, d.id).exec();
    return out;
}

// ---- Items ------------------------------------------------------------------------------

fetch_outcome service::record_fetch(db::connection& c, std::int64_t source, const fetch_attempt& a, const feed* parsed,
                                    std::int64_t now) const {
    fetch_outcome out;
    std::int64_t interval = opts_.default_interval_s, failures = 0;
    {
        auto s = c.prepare("SELECT interval_s, failures FROM watch_sources WHERE id = ?1");
        s.bind(1, source);
        if (!s.step()) return out;  // removed meanwhile
        interval = s.get_int(0);
        failures = s.get_int(1);
    }
    if (!a.ok) {
        // Backoff: the interval doubled per failure in a row, up to a day; Retry-After wins
        // when it asks for longer.
        ++failures;
        std::int64_t wait = interval;
        for (std::int64_t i = 1; i < failures && wait < opts_.max_backoff_s; ++i) wait *= 2;
        wait = std::min(wait, opts_.max_backoff_s);
        if (a.retry_after_s) wait = std::max(wait, std::min(*a.retry_after_s, std::int64_t{7 * 86400}));
        out.next_fetch_at = now + wait;
        out.error_code = a.error_code;
        out.error = a.error;
        c.prepare("UPDATE watch_sources SET last_fetch_at = ?1, last_error_code = ?2, last_error = ?3, "
                  "failing_since = coalesce(failing_since, ?1), failures = ?4, next_fetch_at = ?5 WHERE id = ?6")
            .bind(1, now)
            .bind(2, a.error_code)
            .bind(3, cap(a.error, 500))
            .bind(4, failures)
            .bind(5, out.next_fetch_at)
            .bind(6, source)
            .exec();
        return out;
    }
    out.ok = true;
    out.not_modified = a.not_modified;
    std::int64_t wait = interval;
    if (a.retry_after_s) wait = std::max(wait, std::min(*a.retry_after_s, std::int64_t{7 * 86400}));
    out.next_fetch_at = now + wait;
    c.prepare("UPDATE watch_sources SET last_fetch_at = ?1, last_success_at = ?1, last_error_code = '', last_error = '', "
              "failing_since = NULL, failures = 0, next_fetch_at = ?2, "
              "etag = CASE WHEN ?3 = '' THEN etag ELSE ?3 END, last_modified = CASE WHEN ?4 = '' THEN last_modified ELSE ?4 END "
              "WHERE id = ?5")
        .bind(1, now)
        .bind(2, out.next_fetch_at)
        .bind(3, a.etag)
        .bind(4, a.last_modified)
        .bind(5, source)
        .exec();
    if (a.not_modified || !parsed) return out;
    const feed& f = *parsed;
    c.prepare("UPDATE watch_sources SET title = CASE WHEN title = '' THEN ?1 ELSE title END, format = ?2, "
              "site_url = CASE WHEN ?3 = '' THEN site_url ELSE ?3 END WHERE id = ?4")
        .bind(1, cap(f.title, 300))
        .bind(2, f.format)
        .bind(3, f.link)
        .bind(4, source)
        .exec();
    std::vector<std::int64_t> fields;
    {
        auto s = c.prepare("SELECT x.field_id FROM watch_field_sources x JOIN watch_fields f ON f.id = x.field_id "
                           "WHERE x.source_id = ?1 AND f.archived_at IS NULL");
        s.bind(1, source);
        while (s.step()) fields.push_back(s.get_int(0));
    }
    load_titles(c, now);
    out.items = f.items.size();
    for (const auto& it : f.items) {
        auto known = c.prepare("SELECT 1 FROM watch_item_sources WHERE source_id = ?1 AND item_key = ?2");
        known.bind(1, source).bind(2, it.key);
        if (known.step()) continue;
        ++out.new_items;
        std::int64_t item = 0;
        std::string url_key = it.link.empty() ? std::string() : normalise_url(it.link);
        if (!url_key.empty()) {
            auto s = c.prepare("SELECT id FROM watch_items WHERE url_key = ?1 AND url_key <> '' LIMIT 1");  // the partial index
            s.bind(1, url_key);
            if (s.step()) item = s.get_int(0);
        }
        if (!item && !it.title.empty()) item = similar_title(c, it.title, now);
        if (!item) {
            json categories = it.categories, enclosures = json::array();
            for (const auto& e : it.enclosures) enclosures.push_back({{"url", e.url}, {"type", e.type}, {"length", e.length}});
            c.prepare("INSERT INTO watch_items(kind, url_key, title, link, author, summary_html, content_html, text, "
                      "published_at, date_guessed, categories, enclosures, created_at) "
                      "VALUES('feed', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)")
                .bind(1, url_key)
                .bind(2, it.title.empty() ? std::string("(sans titre)") : it.title)
                .bind(3, it.link)
                .bind(4, it.author)
                .bind(5, it.summary_html)
                .bind(6, it.content_html)
                .bind(7, it.text)
                .bind(8, it.published)
                .bind(9, it.date_guessed ? 1 : 0)
                .bind(10, categories.dump())
                .bind(11, enclosures.dump())
                .bind(12, now)
                .exec();
            item = c.last_insert_id();
            titles_.add(item, it.title, it.published);
        }
        c.prepare("INSERT OR IGNORE INTO watch_item_sources(source_id, item_key, item_id, seen_at) VALUES(?1, ?2, ?3, ?4)")
            .bind(1, source)
            .bind(2, it.key)
            .bind(3, item)
            .bind(4, now)
            .exec();
        for (auto field : fields)
            if (enter_inbox(c, field, item, it.title, it.text, now) &&
                std::find(out.fields_reached.begin(), out.fields_reached.end(), field) == out.fields_reached.end())
                out.fields_reached.push_back(field);
    }
    return out;
}

void service::load_titles(db::connection& c, std::int64_t now) const {
    if (titles_.loaded()) return;
    std::vector<std::tuple<std::int64_t, std::string, std::int64_t>> rows;
    auto s = c.prepare("SELECT id, title, published_at FROM watch_items WHERE published_at >= ?1 ORDER BY id DESC LIMIT 20000");
    s.bind(1, now - title_window_s);
    while (s.step()) rows.emplace_back(s.get_int(0), s.get_text(1), s.get_int(2));
    for (auto it = rows.rbegin(); it != rows.rend(); ++it) titles_.add(std::get<0>(*it), std::get<1>(*it), std::get<2>(*it));
    titles_.set_loaded();
}

std::int64_t service::similar_title(db::connection& c, const std::string& title, std::int64_t now) const {
    // The index may hold an item whose transaction was rolled back: checked, forgotten.
    for (int tries = 0; tries < 5; ++tries) {
        auto id = titles_.find(title, same_title, now - title_window_s);
        if (!id) return 0;
        auto s = c.prepare("SELECT 1 FROM watch_items WHERE id = ?1");
        s.bind(1, *id);
        if (s.step()) return *id;
        titles_.forget(*id);
    }
    return 0;
}

namespace {

// The item as a rule leaves it: flagged with the rule's keyword, or discarded by it.
void mark_by_rule(db::connection& c, std::int64_t field, std::int64_t item, const std::string& keyword, const std::string& action,
                  std::int64_t now) {
    c.prepare("UPDATE watch_field_items SET rule = ?1, state = CASE WHEN ?2 = 'discard' THEN 'discarded' ELSE state END, "
              "qualified_at = CASE WHEN ?2 = 'discard' THEN ?3 ELSE qualified_at END WHERE field_id = ?4 AND item_id = ?5")
        .bind(1, keyword)
        .bind(2, action)
        .bind(3, now)
        .bind(4, field)
        .bind(5, item)
        .exec();
}

}  // namespace

bool service::enter_inbox(db::connection& c, std::int64_t field, std::int64_t item, const std::string& title,
                          const std::string& text, std::int64_t now) const {
    c.prepare("INSERT OR IGNORE INTO watch_field_items(field_id, item_id, arrived_at) VALUES(?1, ?2, ?3)")
        .bind(1, field)
        .bind(2, item)
        .bind(3, now)
        .exec();
    if (c.changes() == 0) return false;  // already there: qualified or not, it stays as it is
    std::vector<std::pair<std::string, std::string>> rules;
    {
        auto s = c.prepare("SELECT keyword, action FROM watch_rules WHERE field_id = ?1 ORDER BY action = 'discard' DESC, id");
        s.bind(1, field);
        while (s.step()) rules.emplace_back(s.get_text(0), s.get_text(1));
    }
    if (rules.empty()) return true;
    // Case and accents ignored; a keyword matches at the start of a word.
    const auto haystack = " " + rule_words(title) + " " + rule_words(text) + " ";
    for (const auto& [keyword, action] : rules) {
        const auto needle = " " + rule_words(keyword);
        if (needle.size() == 1 || haystack.find(needle) == std::string::npos) continue;
        mark_by_rule(c, field, item, keyword, action, now);
        return action != "discard";  // the first matching rule (discarding rules first)
    }
    return true;
}

std::int64_t service::add_rule(db::connection& c, std::int64_t field, const std::string& keyword, const std::string& action,
                               std::int64_t by, std::int64_t now) const {
    if (!field_exists(c, field)) throw api_error(errors::not_found);
    if (action != "flag" && action != "discard") throw api_error(errors::invalid_field, "action");
    if (keyword.size() > 100 || !is_valid_utf8(keyword)) throw api_error(errors::invalid_field, "keyword");
    const auto words = rule_words(keyword);
    if (words.empty()) throw api_error(errors::invalid_field, "keyword");  // no letter nor digit
    if (count(c, "SELECT count(*) FROM watch_rules WHERE field_id = ?1", field) >= 100)
        throw api_error(errors::invalid_field, "keyword");
    // The same keyword twice, as rules read it (case, accents, punctuation): refused.
    {
        auto s = c.prepare("SELECT keyword FROM watch_rules WHERE field_id = ?1");
        s.bind(1, field);
        while (s.step())
            if (rule_words(s.get_text(0)) == words) throw api_error(errors::invalid_field, "keyword", "Cette règle existe déjà.");
    }
    c.prepare("INSERT OR IGNORE INTO watch_rules(field_id, keyword, action, created_by, created_at) VALUES(?1, ?2, ?3, ?4, ?5)")
        .bind(1, field)
        .bind(2, keyword)
        .bind(3, action)
        .bind(4, by)
        .bind(5, now)
        .exec();
    if (c.changes() == 0) throw api_error(errors::invalid_field, "keyword");
    return c.last_insert_id();
}

std::int64_t service::apply_rule_to_inbox(db::connection& c, std::int64_t field, const std::string& keyword,
                                         const std::string& action, std::int64_t now) const {
    const auto needle = " " + rule_words(keyword);
    if (needle.size() == 1) return 0;
    std::vector<std::int64_t> hits;
    {
        auto s = c.prepare(
            "SELECT fi.item_id, i.title, i.text, fi.rule FROM watch_field_items fi JOIN watch_items i ON i.id = fi.item_id "
            "WHERE fi.field_id = ?1 AND fi.state = 'new' ORDER BY fi.arrived_at DESC LIMIT 5000");
        s.bind(1, field);
        while (s.step()) {
            if (action != "discard" && !s.get_text(3).empty()) continue;  // flagged already: the first rule stays
            const auto haystack = " " + rule_words(s.get_text(1)) + " " + rule_words(s.get_text(2)) + " ";
            if (haystack.find(needle) != std::string::npos) hits.push_back(s.get_int(0));
        }
    }
    for (auto item : hits)
        mark_by_rule(c, field, item, keyword, action, now);
    return static_cast<std::int64_t>(hits.size());
}

void service::remove_rule(db::connection& c, std::int64_t field, std::int64_t rule) const {
    c.prepare("DELETE FROM watch_rules WHERE field_id = ?1 AND id = ?2").bind(1, field).bind(2, rule).exec();
    if (c.changes() == 0) throw api_error(errors::not_found);
}

json service::rules_json(db::connection& c, std::int64_t field) const {
    if (!field_exists(c, field)) throw api_error(errors::not_found);
    json out = json::array();
    auto s = c.prepare("SELECT id, keyword, action, created_at FROM watch_rules WHERE field_id = ?1 ORDER BY keyword");
    s.bind(1, field);
    while (s.step())
        out.push_back({{"id", s.get_int(0)}, {"keyword", s.get_text(1)}, {"action", s.get_text(2)},
                       {"created_at", to_iso8601(s.get_int(3))}});
    return out;
}

std::string service::item_title(db::connection& c, std::int64_t item) const {
    auto s = c.prepare("SELECT title FROM watch_items WHERE id = ?1");
    s.bind(1, item);
    if (!s.step()) throw api_error(errors::not_found);
    return s.get_text(0);
}

std::int64_t service::post_item(db::connection& c, std::int64_t field, const posted& p, std::int64_t by,
                               std::int64_t now) const {
    check_open_field(c, field);
    if (p.kind != "link" && p.kind != "note") throw api_error(errors::invalid_field, "kind");
    if (p.title.empty()) throw api_error(errors::invalid_field, "title");
    std::int64_t item = 0;
    std::string url_key = p.kind == "link" ? normalise_url(p.url) : std::string();
    if (!url_key.empty()) {
        auto s = c.prepare("SELECT id FROM watch_items WHERE url_key = ?1 AND url_key <> '' LIMIT 1");  // the partial index
        s.bind(1, url_key);
        if (s.step()) item = s.get_int(0);
    }
    if (!item) {
        // Paragraphs of plain text, escaped: what a note or a page's description says.
        std::string html;
        std::size_t start = 0;
        while (start <= p.text.size()) {
            auto end = p.text.find("\n\n", start);
            auto para = p.text.substr(start, end == std::string::npos ? std::string::npos : end - start);
            if (para.find_first_not_of(" \t\r\n") != std::string::npos) {
                // A line break within a paragraph stays one (the note's lines, as typed).
                auto lines = escape_html(json_input::trim(para));
                std::string out;
                for (char ch : lines) {
                    if (ch == '\r') continue;
                    if (ch == '\n') out += "<br>";
                    else out += ch;
                }
                html += "<p>" + out + "</p>";
            }
            if (end == std::string::npos) break;
            start = end + 2;
        }
        c.prepare("INSERT INTO watch_items(kind, url_key, title, link, summary_html, text, published_at, posted_by, created_at) "
                  "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?7)")
            .bind(1, p.kind)
            .bind(2, url_key)
            .bind(3, cap(p.title, 1000))
            .bind(4, p.kind == "link" ? p.url : std::string())
            .bind(5, html)
            .bind(6, cap(p.text, 50 * 1024))
            .bind(7, now)
            .bind(8, by)
            .exec();
        item = c.last_insert_id();
        titles_.add(item, cap(p.title, 1000), now);
    }
    enter_inbox(c, field, item, p.title, p.text, now);
    return item;
}

std::int64_t service::comment(db::connection& c, std::int64_t field, std::int64_t item, std::int64_t by,
                              const std::string& body, std::int64_t now) const {
    if (count(c, "SELECT count(*) FROM watch_field_items WHERE field_id = ?1 AND item_id = ?2", field, item) == 0)
        throw api_error(errors::not_found);
    if (body.find_first_not_of(" \t\r\n") == std::string::npos || body.size() > 2000 * 4 || utf8_length(body) > 2000)
        throw api_error(errors::invalid_field, "body");
    if (count(c, "SELECT count(*) FROM watch_comments WHERE field_id = ?1 AND item_id = ?2", field, item) >= 500)
        throw api_error(errors::invalid_field, "body");
    c.prepare("INSERT INTO watch_comments(field_id, item_id, user_id, body, created_at) VALUES(?1, ?2, ?3, ?4, ?5)")
        .bind(1, field)
        .bind(2, item)
        .bind(3, by)
        .bind(4, body)
        .bind(5, now)
        .exec();
    return c.last_insert_id();
}

json service::comments_json(db::connection& c, std::int64_t field, std::int64_t item) const {
    if (count(c, "SELECT count(*) FROM watch_field_items WHERE field_id = ?1 AND item_id = ?2", field, item) == 0)
        throw api_error(errors::not_found);
    struct row {
        std::int64_t id, user;
        std::string body;
        std::int64_t at;
    };
    std::vector<row> rows;
    std::vector<std::int64_t> uids;
    {
        auto s = c.prepare("SELECT id, user_id, body, created_at FROM watch_comments WHERE field_id = ?1 AND item_id = ?2 ORDER BY id");
        s.bind(1, field).bind(2, item);
        while (s.step()) {
            rows.push_back({s.get_int(0), s.get_int(1), s.get_text(2), s.get_int(3)});
            uids.push_back(s.get_int(1));
        }
    }
    auto users = dir_.users(c, uids);
    json out = json::array();
    for (const auto& r : rows) {
        auto u = users.find(r.user);
        out.push_back({{"id", r.id},
                       {"author", u == users.end() ? std::string() : u->second.name},
                       {"author_id", r.user},
                       {"body", r.body},
                       {"created_at", to_iso8601(r.at)}});
    }
    return out;
}

void service::mark(db::connection& c, std::int64_t item, std::int64_t user, std::optional<bool> read,
                   std::optional<bool> favourite, std::int64_t now) const {
    if (count(c, "SELECT count(*) FROM watch_items WHERE id = ?1", item) == 0) throw api_error(errors::not_found);
    c.prepare("INSERT OR IGNORE INTO watch_reads(user_id, item_id) VALUES(?1, ?2)").bind(1, user).bind(2, item).exec();
    if (read)
        c.prepare("UPDATE watch_reads SET read_at = ?1 WHERE user_id = ?2 AND item_id = ?3")
            .bind(1, *read ? std::optional<std::int64_t>(now) : std::nullopt)
            .bind(2, user)
            .bind(3, item)
            .exec();
    if (favourite)
        c.prepare("UPDATE watch_reads SET favourite = ?1 WHERE user_id = ?2 AND item_id = ?3")
            .bind(1, *favourite ? 1 : 0)
            .bind(2, user)
            .bind(3, item)
            .exec();
}

json service::favourites_json(db::connection& c, std::int64_t user) const {
    json out = json::array();
    auto s = c.prepare(
        "SELECT i.id, i.title, i.link, i.published_at, "
        "(SELECT json_group_array(json_object('id', f.id, 'name', f.name)) FROM watch_field_items fi "
        " JOIN watch_fields f ON f.id = fi.field_id WHERE fi.item_id = i.id) "
        "FROM watch_reads r JOIN watch_items i ON i.id = r.item_id WHERE r.user_id = ?1 AND r.favourite = 1 "
        "ORDER BY i.published_at DESC, i.id DESC LIMIT 500");
    s.bind(1, user);
    while (s.step())
        out.push_back({{"id", s.get_int(0)}, {"title", s.get_text(1)}, {"link", s.get_text(2)},
                       {"published_at", to_iso8601(s.get_int(3))}, {"fields", json::parse(s.get_text(4), nullptr, false)}});
    return out;
}

std::int64_t service::mark_all_read(db::connection& c, std::int64_t field, const std::string& state, std::int64_t user,
                                    std::int64_t up_to, std::int64_t now) const {
    if (!field_exists(c, field)) throw api_error(errors::not_found);
    if (state != "new" && state != "kept" && state != "discarded") throw api_error(errors::invalid_field, "state");
    // `up_to`: that item and those before it in the inbox's order (publication, then id) —
    // what arrived since the page was shown stays unread.
    auto s = c.prepare(
        "INSERT INTO watch_reads(user_id, item_id, read_at) "
        "SELECT ?1, fi.item_id, ?2 FROM watch_field_items fi JOIN watch_items i ON i.id = fi.item_id "
        "WHERE fi.field_id = ?3 AND fi.state = ?4 "
        "AND (?5 = 0 OR (i.published_at, i.id) <= ((SELECT published_at FROM watch_items WHERE id = ?5), ?5)) "
        "ON CONFLICT(user_id, item_id) DO UPDATE SET read_at = excluded.read_at WHERE read_at IS NULL");
    s.bind(1, user).bind(2, now).bind(3, field).bind(4, state).bind(5, up_to).exec();
    return c.changes();
}

json service::inbox_json(db::connection& c, std::int64_t field, const std::string& state, std::int64_t limit,
                         std::int64_t before, std::int64_t viewer, bool unread_only) const {
    if (!field_exists(c, field)) throw api_error(errors::not_found);
    if (state != "new" && state != "kept" && state != "discarded") throw api_error(errors::invalid_field, "state");
    limit = std::clamp<std::int64_t>(limit, 1, 200);
    auto s = c.prepare(
        "SELECT i.id, i.kind, i.title, i.link, i.author, i.summary_html, i.content_html, i.published_at, i.date_guessed, "
        "fi.state, fi.summary, fi.importance, fi.tags, fi.arrived_at, fi.qualified_at, fi.qualified_by, fi.version, fi.rule, "
        "(SELECT read_at IS NOT NULL FROM watch_reads WHERE user_id = ?5 AND item_id = i.id), "
        "(SELECT favourite FROM watch_reads WHERE user_id = ?5 AND item_id = i.id), "
        "(SELECT count(*) FROM watch_comments WHERE field_id = fi.field_id AND item_id = i.id), "
        "(SELECT json_group_array(json_object('id', s.id, 'title', s.title, 'url', s.url)) FROM watch_item_sources x "
        " JOIN watch_sources s ON s.id = x.source_id WHERE x.item_id = i.id), i.posted_by "
        "FROM watch_field_items fi JOIN watch_items i ON i.id = fi.item_id "
        // The next page starts after the item `before` in this order (publication, then id).
        "WHERE fi.field_id = ?1 AND fi.state = ?2 "
        "AND (?3 = 0 OR (i.published_at, i.id) < ((SELECT published_at FROM watch_items WHERE id = ?3), ?3)) "
        "AND (?6 = 0 OR NOT EXISTS (SELECT 1 FROM watch_reads WHERE user_id = ?5 AND item_id = i.id AND read_at IS NOT NULL)) "
        "ORDER BY i.published_at DESC, i.id DESC LIMIT ?4");
    // One more than the page: whether a next page exists (no `next_before` to an empty page).
    s.bind(1, field).bind(2, state).bind(3, before).bind(4, limit + 1).bind(5, viewer).bind(6, unread_only ? 1 : 0);
    json items = json::array();
    bool more = false;
    std::map<std::int64_t, json> posters;  // one look-up per account on the page
    while (s.step()) {
        if (items.size() == static_cast<std::size_t>(limit)) {
            more = true;
            break;
        }
        json j = {{"id", s.get_int(0)},
                  {"kind", s.get_text(1)},
                  {"title", s.get_text(2)},
                  {"link", s.get_text(3)},
                  {"author", s.get_text(4)},
                  {"summary_html", s.get_text(5)},
                  {"content_html", s.get_text(6)},
                  {"published_at", to_iso8601(s.get_int(7))},
                  {"date_guessed", s.get_int(8) != 0},
                  {"state", s.get_text(9)},
                  {"summary", s.get_text(10)},
                  {"importance", s.get_int(11)},
                  {"tags", json::parse(s.get_text(12), nullptr, false)},
                  {"arrived_at", to_iso8601(s.get_int(13))},
                  {"qualified_at", s.is_null(14) ? json() : json(to_iso8601(s.get_int(14)))},
                  {"version", s.get_int(16)},
                  {"rule", s.get_text(17)},
                  {"read", !s.is_null(18) && s.get_int(18) != 0},
                  {"favourite", !s.is_null(19) && s.get_int(19) != 0},
                  {"comments", s.get_int(20)},
                  {"sources", json::parse(s.get_text(21), nullptr, false)}};
        // Who signalled a link or wrote a note (an account; null for feed items, or when
        // the account is gone).
        if (auto by = s.get_int(22); by > 0) {
            auto known = posters.find(by);
            if (known == posters.end()) {
                auto u = dir_.find_user(c, by);
                known = posters.emplace(by, u ? json{{"id", u->id}, {"name", u->name}} : json(nullptr)).first;
            }
            j["posted_by"] = known->second;
        } else {
            j["posted_by"] = nullptr;
        }
        items.push_back(j);
    }
    json page = {{"items", items}, {"state", state}, {"unread_only", unread_only}};
    page["counts"] = {{"new", count(c, "SELECT count(*) FROM watch_field_items WHERE field_id = ?1 AND state = 'new'", field)},
                      {"kept", count(c, "SELECT count(*) FROM watch_field_items WHERE field_id = ?1 AND state = 'kept'", field)},
                      {"discarded",
                       count(c, "SELECT count(*) FROM watch_field_items WHERE field_id = ?1 AND state = 'discarded'", field)}};
    {
        // The viewer's unread items of this state (« Non lus seulement »).
        auto u = c.prepare("SELECT count(*) FROM watch_field_items fi WHERE fi.field_id = ?1 AND fi.state = ?2 AND NOT EXISTS "
                           "(SELECT 1 FROM watch_reads WHERE user_id = ?3 AND item_id = fi.item_id AND read_at IS NOT NULL)");
        u.bind(1, field).bind(2, state).bind(3, viewer);
        u.step();
        page["counts"]["unread"] = u.get_int(0);
    }
    if (more) page["next_before"] = items.back()["id"];
    return page;
}

json service::qualify(db::connection& c, std::int64_t field, std::int64_t item, const json& body, std::int64_t by,
                      std::int64_t now, std::string* was) const {
    std::int64_t version = 0;
    {
        auto s = c.prepare("SELECT version, state FROM watch_field_items WHERE field_id = ?1 AND item_id = ?2");
        s.bind(1, field).bind(2, item);
        if (!s.step()) throw api_error(errors::not_found);
        version = s.get_int(0);
        if (was) *was = s.get_text(1);
    }
    auto state = json_input::required_string(body, "state", 20);
    if (state != "kept" && state != "discarded" && state != "new") throw api_error(errors::invalid_field, "state");
    auto summary = json_input::optional_string(body, "summary", 2000).value_or("");
    std::int64_t importance = 0;
    if (auto it = body.find("importance"); it != body.end() && !it->is_null()) {
        if (!it->is_number_integer() || it->get<std::int64_t>() < 0 || it->get<std::int64_t>() > 3)
            throw api_error(errors::invalid_field, "importance");
        importance = it->get<std::int64_t>();
    }
    json tags = json::array();
    if (auto it = body.find("tags"); it != body.end() && !it->is_null()) {
        if (!it->is_array() || it->size() > 10) throw api_error(errors::invalid_field, "tags");
        std::set<std::string> seen;
        for (const auto& t : *it) {
            if (!t.is_string() || !is_valid_utf8(t.get<std::string>())) throw api_error(errors::invalid_field, "tags");
            // A tag is a word or two: trimmed, 1-40 characters, on one line, no controls.
            auto tag = json_input::trim(t.get<std::string>());
            if (tag.empty() || utf8_length(tag) > 40 || json_input::has_control(tag) ||
                tag.find_first_of("\n\t") != std::string::npos)
                throw api_error(errors::invalid_field, "tags");
            if (seen.insert(tag).second) tags.push_back(tag);
        }
    }
    auto expected = body.find("version");
    if (expected == body.end() || !expected->is_number_integer()) throw api_error(errors::invalid_field, "version");
    if (expected->get<std::int64_t>() != version) throw api_error(errors::item_changed, "version");
    c.prepare("UPDATE watch_field_items SET state = ?1, summary = ?2, importance = ?3, tags = ?4, qualified_at = ?5, "
              "qualified_by = ?6, version = version + 1 WHERE field_id = ?7 AND item_id = ?8")
        .bind(1, state)
        .bind(2, summary)
        .bind(3, importance)
        .bind(4, tags.dump())
        .bind(5, state == "new" ? std::optional<std::int64_t>() : std::optional<std::int64_t>(now))
        .bind(6, state == "new" ? std::optional<std::int64_t>() : std::optional<std::int64_t>(by))
        .bind(7, field)
        .bind(8, item)
        .exec();
    // Who qualified an item has read it.
    if (state != "new")
        c.prepare("INSERT INTO watch_reads(user_id, item_id, read_at) VALUES(?1, ?2, ?3) "
                  "ON CONFLICT(user_id, item_id) DO UPDATE SET read_at = coalesce(read_at, excluded.read_at)")
            .bind(1, by)
            .bind(2, item)
            .bind(3, now)
            .exec();
    return {{"field_id", field}, {"item_id", item}, {"state", state}, {"summary", summary},
            {"importance", importance}, {"tags", tags}, {"version", version + 1}};
}

// ---- Coverage -------------------------------------------------------------------------

json service::coverage_json(db::connection& c, std::int64_t now) const {
    json out = json::array();
    std::vector<std::int64_t> ids;
    {
        auto s = c.prepare("SELECT id FROM watch_fields WHERE archived_at IS NULL ORDER BY name COLLATE NOCASE, id");
        while (s.step()) ids.push_back(s.get_int(0));
    }
    for (auto id : ids) {
        json f = field_json(c, id, true);
        json row = {{"id", id}, {"slug", f["slug"]}, {"name", f["name"]}, {"owners", f["owners"]}};
        auto oldest = c.prepare("SELECT min(arrived_at) FROM watch_field_items WHERE field_id = ?1 AND state = 'new'");
        oldest.bind(1, id);
        oldest.step();
        row["waiting"] = {{"count", f["counts"]["new"]},
                          {"oldest_at", oldest.is_null(0) ? json() : json(to_iso8601(oldest.get_int(0)))},
                          {"oldest_days", oldest.is_null(0) ? json() : json((now - oldest.get_int(0)) / 86400)}};
        row["kept_30d"] = count(c, "SELECT count(*) FROM watch_field_items WHERE field_id = ?1 AND state = 'kept' AND qualified_at >= ?2",
                                id, now - 30 * 86400);
        row["kept_90d"] = count(c, "SELECT count(*) FROM watch_field_items WHERE field_id = ?1 AND state = 'kept' AND qualified_at >= ?2",
                                id, now - 90 * 86400);
        auto last = c.prepare("SELECT max(qualified_at) FROM watch_field_items WHERE field_id = ?1 AND state = 'kept'");
        last.bind(1, id);
        last.step();
        row["last_kept_at"] = last.is_null(0) ? json() : json(to_iso8601(last.get_int(0)));
        row["sources"] = f["counts"]["sources"];
        json failing = json::array();
        for (const auto& src : f["sources"])
            if (src["status"] == "failing") failing.push_back({{"id", src["id"]}, {"title", src["title"]}, {"url", src["url"]},
                                                               {"failing_since", src["failing_since"]}, {"error", src["error"]}});
        row["failing_sources"] = failing;
        // The flags a coordinator acts on.
        json flags = json::array();
        bool has_owner = false, owner_gone = false;
        for (const auto& o : f["owners"]) {
            if (o["role"] == "owner") has_owner = has_owner || o["active"].get<bool>();
            if (!o["active"].get<bool>()) owner_gone = true;
        }
        if (!has_owner) flags.push_back({{"code", "sans_responsable"}, {"message", "Aucun responsable actif pour ce champ."}});
        if (owner_gone)
            flags.push_back({{"code", "responsable_parti"}, {"message", "Un responsable ou suppléant a quitté le réseau ou a été désactivé."}});
        auto since_kept = last.is_null(0) ? std::optional<std::int64_t>() : std::optional<std::int64_t>(last.get_int(0));
        // Never anything retained: counted from the field's creation (a new field is not
        // « nothing retained for 30 days » on its first day).
        auto stale_since = since_kept ? *since_kept : count(c, "SELECT created_at FROM watch_fields WHERE id = ?1", id);
        if (now - stale_since >= opts_.stale_after_days * 86400)
            flags.push_back({{"code", "rien_retenu"},
                             {"message", "Rien n'a été retenu depuis " + std::to_string(opts_.stale_after_days) + " jours ou plus."}});
        {
            auto s = c.prepare("SELECT count(*) FROM watch_field_sources fs JOIN watch_sources s ON s.id = fs.source_id "
                               "WHERE fs.field_id = ?1 AND s.failing_since IS NOT NULL AND s.failing_since <= ?2");
            s.bind(1, id).bind(2, now - opts_.failing_after_days * 86400);
            s.step();
            if (s.get_int(0) > 0)
                flags.push_back({{"code", "source_en_echec"},
                                 {"message", std::to_string(s.get_int(0)) + " source(s) en échec depuis " +
                                                 std::to_string(opts_.failing_after_days) + " jours ou plus."}});
        }
        if (f["counts"]["sources"].get<std::int64_t>() == 0) {
            const auto& hint = f["source_hint"].get_ref<const std::string&>();
            flags.push_back({{"code", "sans_source"},
                             {"message", hint.empty() ? french_typography("Aucune source : ajoutez-en une, ou une piste dans la fiche du champ.")
                                                      : french_typography("Aucune source : ") + hint}});
        }
        // Messages in French typography, like every error (the field's hint is the owner's text, left as typed).
        for (auto& flag : flags)
            if (flag["code"] != "sans_source") flag["message"] = french_typography(flag["message"].get<std::string>());
        row["flags"] = flags;
        out.push_back(row);
    }
    return {{"fields", out}, {"stale_after_days", opts_.stale_after_days}, {"failing_after_days", opts_.failing_after_days}};
}

namespace {

std::vector<std::int64_t> field_list(const std::string& stored) {
    std::vector<std::int64_t> out;
    for (const auto& f : json::parse(stored, nullptr, false))
        if (f.is_number_integer()) out.push_back(f.get<std::int64_t>());
    return out;
}

}  // namespace

std::vector<service::digest_mail> service::composed_letters(
    db::connection& c, const digest_request& r, const std::string& public_url,
    const std::function<std::string(const std::string&)>& unsubscribe) const {
    struct sub {
        std::int64_t user;
        std::string token, fields;
    };
    std::vector<sub> subs;
    {
        auto s = c.prepare("SELECT user_id, token, field_ids FROM watch_subscriptions ORDER BY user_id");
        while (s.step()) subs.push_back({s.get_int(0), s.get_text(1), s.get_text(2)});
    }
    std::vector<digest_mail> out;
    for (const auto& x : subs) {
        auto u = dir_.find_user(c, x.user);
        if (!u || !u->active) continue;
        digest_request mine = r;
        auto chosen = field_list(x.fields);
        if (!chosen.empty()) {
            if (r.fields.empty()) {
                mine.fields = chosen;
            } else {
                mine.fields.clear();
                for (auto f : r.fields)
                    if (std::find(chosen.begin(), chosen.end(), f) != chosen.end()) mine.fields.push_back(f);
                if (mine.fields.empty()) continue;  // none of their fields
            }
        }
        auto letter = compose_digest(c, mine, public_url, unsubscribe(x.token));
        if (letter.items == 0) continue;
        out.push_back({x.user, u->email, u->name, std::move(letter)});
    }
    return out;
}

std::vector<service::digest_mail> service::scheduled_letters(
    db::connection& c, std::int64_t now, const std::string& public_url,
    const std::function<std::string(const std::string&)>& unsubscribe) const {
    struct due {
        std::int64_t user;
        std::string frequency, fields, token;
        std::int64_t last;
    };
    std::vector<due> list;
    {
        auto s = c.prepare(
            "SELECT user_id, frequency, field_ids, token, coalesce(last_sent_at, created_at) FROM watch_subscriptions "
            "WHERE coalesce(last_sent_at, created_at) <= ?1 - CASE frequency WHEN 'weekly' THEN 7 ELSE 30 END * 86400 "
            "ORDER BY user_id");
        s.bind(1, now);
        while (s.step()) list.push_back({s.get_int(0), s.get_text(1), s.get_text(2), s.get_text(3), s.get_int(4)});
    }
    std::vector<digest_mail> out;
    for (const auto& d : list) {
        digest_request r;
        r.from = d.last;
        r.to = now + 1;
        r.fields = field_list(d.fields);
        r.title = d.frequency == "weekly" ? "Votre lettre de veille de la semaine" : "Votre lettre de veille du mois";
        auto letter = compose_digest(c, r, public_url, unsubscribe(d.token));
        if (letter.items > 0) {
            auto u = dir_.find_user(c, d.user);
            if (u && u->active) out.push_back({d.user, u->email, u->name, std::move(letter)});
        }
        c.prepare("UPDATE watch_subscriptions SET last_sent_at = ?1 WHERE user_id = ?2").bind(1, now).bind(2, d.user).exec();
    }
    return out;
}

// ---- Digest archive and subscriptions ----

std::int64_t service::archive_digest(db::connection& c, const digest& d, const digest_request& r, std::int64_t recipients,
                                     std::int64_t by, std::int64_t now) const {
    c.prepare("INSERT INTO watch_digests(title, intro, period_from, period_to, field_ids, items, html, text, markdown, "
              "recipients, created_by, created_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)")
        .bind(1, d.title)
        .bind(2, d.intro)
        .bind(3, r.from)
        .bind(4, r.to)
        .bind(5, json(r.fields).dump())
        .bind(6, static_cast<std::int64_t>(d.items))
        .bind(7, d.html)
        .bind(8, d.text)
        .bind(9, d.markdown)
        .bind(10, recipients)
        .bind(11, by)
        .bind(12, now)
        .exec();
    return c.last_insert_id();
}

json service::digests_json(db::connection& c) const {
    json list = json::array();
    auto s = c.prepare("SELECT id, title, period_from, period_to, items, recipients, created_at FROM watch_digests "
                       "ORDER BY id DESC LIMIT 200");
    while (s.step())
        list.push_back({{"id", s.get_int(0)}, {"title", s.get_text(1)}, {"from", to_iso8601(s.get_int(2))},
                        {"to", to_iso8601(s.get_int(3))}, {"items", s.get_int(4)}, {"recipients", s.get_int(5)},
                        {"created_at", to_iso8601(s.get_int(6))}});
    return list;
}

json service::digest_json(db::connection& c, std::int64_t id) const {
    auto s = c.prepare("SELECT title, intro, period_from, period_to, items, recipients, created_at, html, text, markdown "
                       "FROM watch_digests WHERE id = ?1");
    s.bind(1, id);
    if (!s.step()) throw api_error(errors::not_found);
    return {{"id", id},
            {"title", s.get_text(0)},
            {"intro", s.get_text(1)},
            {"from", to_iso8601(s.get_int(2))},
            {"to", to_iso8601(s.get_int(3))},
            {"items", s.get_int(4)},
            {"recipients", s.get_int(5)},
            {"created_at", to_iso8601(s.get_int(6))},
            {"html", s.get_text(7)},
            {"text", s.get_text(8)},
            {"markdown", s.get_text(9)}};
}

json service::subscription_json(db::connection& c, std::int64_t user) const {
    json out = {{"frequency", "none"}, {"field_ids", json::array()}, {"last_sent_at", nullptr}};
    auto s = c.prepare("SELECT frequency, field_ids, last_sent_at FROM watch_subscriptions WHERE user_id = ?1");
    s.bind(1, user);
    if (s.step()) {
        out["frequency"] = s.get_text(0);
        out["field_ids"] = json::parse(s.get_text(1), nullptr, false);
        out["last_sent_at"] = s.is_null(2) ? json() : json(to_iso8601(s.get_int(2)));
    }
    return out;
}

void service::check_fields(db::connection& c, const std::vector<std::int64_t>& fields) const {
    for (auto f : fields)
        if (!c.prepare("SELECT 1 FROM watch_fields WHERE id = ?1").bind(1, f).step()) throw api_error(errors::invalid_field, "field_ids");
}

void service::set_subscription(db::connection& c, std::int64_t user, const std::string& frequency,
                               const std::vector<std::int64_t>& fields, std::int64_t now) const {
    if (frequency != "none" && frequency != "weekly" && frequency != "monthly") throw api_error(errors::invalid_field, "frequency");
    check_fields(c, fields);
    if (frequency == "none") {
        c.prepare("DELETE FROM watch_subscriptions WHERE user_id = ?1").bind(1, user).exec();
        return;
    }
    c.prepare("INSERT INTO watch_subscriptions(user_id, frequency, field_ids, token, created_at) VALUES(?1, ?2, ?3, ?4, ?5) "
              "ON CONFLICT(user_id) DO UPDATE SET frequency = excluded.frequency, field_ids = excluded.field_ids")
        .bind(1, user)
        .bind(2, frequency)
        .bind(3, json(fields).dump())
        .bind(4, auth::random_token())
        .bind(5, now)
        .exec();
}

bool service::unsubscribe(db::connection& c, const std::string& token) const {
    c.prepare("DELETE FROM watch_subscriptions WHERE token = ?1").bind(1, token).exec();
    return c.changes() > 0;
}

void service::refresh_soon(db::connection& c, std::int64_t source, std::int64_t now) const {
    if (!c.prepare("SELECT 1 FROM watch_sources WHERE id = ?1").bind(1, source).step()) throw api_error(errors::not_found);
    c.prepare("UPDATE watch_sources SET next_fetch_at = ?1 WHERE id = ?2 AND (failures = 0 OR next_fetch_at < ?1 + 3600)")
        .bind(1, now)
        .bind(2, source)
        .exec();
}

void service::update_source(db::connection& c, std::int64_t source, const auth::principal& who,
                            const std::optional<std::string>& title, std::optional<std::int64_t> interval_s,
                            std::int64_t now) const {
    auto s = c.prepare("SELECT group_concat(fs.field_id) FROM watch_sources s LEFT JOIN watch_field_sources fs ON fs.source_id = s.id "
                       "WHERE s.id = ?1 GROUP BY s.id");
    s.bind(1, source);
    if (!s.step()) throw api_error(errors::not_found);
    const auto fields = ids_of(s.get_text(0));
    bool allowed = who.account.role == "admin" || who.account.role == "animateur";
    for (auto f : fields) allowed = allowed || may_curate(c, f, who);
    if (!allowed) throw api_error(errors::not_owner);
    if (title) c.prepare("UPDATE watch_sources SET title = ?1 WHERE id = ?2").bind(1, *title).bind(2, source).exec();
    if (interval_s)
        c.prepare("UPDATE watch_sources SET interval_s = ?1, "
                  "next_fetch_at = CASE WHEN failures = 0 AND last_fetch_at IS NOT NULL THEN max(?3, last_fetch_at + ?1) "
                  "ELSE next_fetch_at END WHERE id = ?2")
            .bind(1, *interval_s)
            .bind(2, source)
            .bind(3, now)
            .exec();
}

json service::source_json(db::connection& c, std::int64_t source) const {
    for (auto& s : sources_json(c))
        if (s["id"] == source) return s;
    throw api_error(errors::not_found);
}

void service::put_back(db::connection& c, const std::vector<std::int64_t>& sources, std::int64_t at) const {
    for (auto id : sources) c.prepare("UPDATE watch_sources SET next_fetch_at = ?1 WHERE id = ?2").bind(1, at).bind(2, id).exec();
}

bool service::has_field_slug(db::connection& c, const std::string& slug) const {
    return c.prepare("SELECT 1 FROM watch_fields WHERE slug = ?1").bind(1, slug).step();
}

}  // namespace relais::watch
