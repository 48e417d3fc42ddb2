#include "library/service.hpp"

#include "auth/territory.hpp"
#include "common/errors.hpp"
#include "common/json_input.hpp"
#include "common/log.hpp"
#include "common/time.hpp"
#include "common/utf8.hpp"
#include "library/extract.hpp"

#include <algorithm>
#include <charconv>
#include <regex>

namespace relais::library {
namespace {

using auth::access;
using auth::principal;
using net::request;
using net::response;

bool is_reviewer(const principal& p) { return p.account.role == "animateur" || p.account.role == "admin"; }

bool may_read_latest(const principal& p, const item& it) {
    return is_reviewer(p) || (it.author_id && *it.author_id == p.account.id);
}

const std::string* query_param(const request& req, const char* name) {
    auto it = req.query.find(name);
    return it == req.query.end() || it->second.empty() ? nullptr : &it->second;
}

std::vector<std::string> split_commas(const std::string& s) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i <= s.size()) {
        auto j = s.find(',', i);
        if (j == std::string::npos) j = s.size();
        if (j > i) out.push_back(s.substr(i, j - i));
        i = j + 1;
    }
    return out;
}

long long int_param(const request& req, const char* name, long long fallback, long long lo, long long hi,
                    const error_def& err) {
    auto v = query_param(req, name);
    if (!v) return fallback;
    long long n = 0;
    auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (ec != std::errc() || p != v->data() + v->size() || n < lo || n > hi) throw api_error(err, name);
    return n;
}

bool valid_date(const std::string& d) {
    static const std::regex re("^(19|20)\\d{2}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])$");
    return std::regex_match(d, re);
}

std::int64_t date_to_unix(const std::string& d, bool end_of_day) {
    int y = std::stoi(d.substr(0, 4)), m = std::stoi(d.substr(5, 2)), day = std::stoi(d.substr(8, 2));
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const int yoe = y - era * 400;
    const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (static_cast<std::int64_t>(era) * 146097 + doe - 719468) * 86400 + (end_of_day ? 86399 : 0);
}

std::string today() { return to_iso8601(unix_now()).substr(0, 10); }

json labels(const std::vector<code_label>& set) {
    json out = json::array();
    for (const auto& c : set) out.push_back({{"code", c.code}, {"label", c.label}});
    return out;
}

std::vector<std::string> code_list(const json& body, const char* field, const std::vector<code_label>& set) {
    std::vector<std::string> out;
    auto it = body.find(field);
    if (it == body.end() || it->is_null()) return out;
    if (!it->is_array() || it->size() > set.size()) throw api_error(errors::invalid_field, field);
    for (const auto& v : *it) {
        if (!v.is_string() || !is_code(set, v.get<std::string>())) throw api_error(errors::invalid_field, field);
        auto s = v.get<std::string>();
        if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
    }
    return out;
}

std::string region_name(const std::optional<std::string>& code) {
    if (!code) return {};
    auto r = auth::find_region(*code);
    return r ? std::string(r->name) : std::string();
}

// RFC 6266: an ASCII fallback and the UTF-8 name.
std::string content_disposition(const std::string& name) {
    std::string ascii, encoded;
    static const char* hex = "0123456789ABCDEF";
    for (unsigned char c : name) {
        ascii += (c >= 0x20 && c < 0x7F && c != '"' && c != '\\' && c != ';') ? static_cast<char>(c) : '_';
        if (std::isalnum(c) || c == '.' || c == '-' || c == '_') encoded += static_cast<char>(c);
        else {
            encoded += '%';
            encoded += hex[c >> 4];
            encoded += hex[c & 15];
        }
    }
    return "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''" + encoded;
}

bool extension_fits(const std::string& ext, const std::string& mime) {
    if (ext == "pdf") return mime == "application/pdf";
    if (ext == "docx") return mime.find("wordprocessingml") != std::string::npos;
    if (ext == "odt") return mime == "application/vnd.oasis.opendocument.text";
    if (ext == "md" || ext == "markdown" || ext == "txt") return mime.rfind("text/", 0) == 0;
    return false;
}

std::int64_t reviewed_version(const json& body) {
    auto v = body.find("version");
    if (v == body.end() || !v->is_number_integer() || v->get<std::int64_t>() < 1) throw api_error(errors::invalid_field, "version");
    return v->get<std::int64_t>();
}

json listed_json(const store::listed& l) {
    return {{"id", l.it.id},         {"kind", l.it.kind},       {"state", l.it.state},
            {"title", l.title},      {"summary", l.summary},    {"version", l.version},
            {"published_version", l.it.published_version ? json(*l.it.published_version) : json(nullptr)},
            {"archived", l.it.archived}, {"review_note", l.it.review_note}, {"updated_at", to_iso8601(l.it.updated_at)}};
}

}  // namespace

service::service(db::pool& db, auth::service& auth, worker_pool& cpu, worker_pool& extraction, search::index& idx, indexer& ix,
                 blobs& files, options opts)
    : db_(db), auth_(auth), cpu_(cpu), extraction_(extraction), index_(idx), indexer_(ix), files_(files), opts_(opts) {}

std::size_t service::sweep_orphan_files() {
    std::vector<std::string> orphans;
    db_.read_sync([&](db::connection& c) { orphans = store::orphan_files(c, unix_now() - 86400); });
    for (const auto& d : orphans) {
        db_.write_sync([&](db::connection& c) { store::delete_file(c, d); });
        files_.remove(d);
    }
    return orphans.size();
}

asio::awaitable<json> service::file_report(std::int64_t workshop_id, const std::string& title, const std::string& summary,
                                           const std::string& markdown, const std::vector<std::string>& phase_codes,
                                           const auth::principal& by) {
    content c;
    c.title = title;
    c.summary = summary;
    c.body = markdown;
    c.phases = phase_codes;
    c.author_name = by.account.name;
    c.date = today();
    c.note = "Compte rendu de l'atelier";
    const bool publish = is_reviewer(by);
    item it;
    co_await db_.write([&](db::connection& conn) {
        auto now = unix_now();
        if (auto existing = store::item_by_workshop(conn, workshop_id)) {
            it = *store::find_item(conn, *existing);
            store::add_version(conn, it, c, publish, by.account.id, now);
        } else {
            it.kind = "compte_rendu";
            it.state = publish ? "published" : "pending";
            it.author_id = by.account.id;
            it.org_id = by.account.org_id;
            it.workshop_id = workshop_id;
            store::create_item(conn, it, c, by.account.id, now);
        }
    });
    indexer_.notify();
    log::info("library_report_filed", {{"item", it.id}, {"workshop", workshop_id}, {"state", it.state}});
    json out = {{"item", {{"id", it.id}, {"state", it.state}, {"version", it.latest_version}}}};
    co_return out;
}

asio::awaitable<response> service::current_item_response(std::int64_t id, const principal& p) {
    std::optional<item> fresh;
    co_await db_.read([&](db::connection& conn) { fresh = store::find_item(conn, id); });
    if (!fresh) throw api_error(errors::not_found);
    auto res = co_await item_response(*fresh, p, std::nullopt);
    co_return res;
}

asio::awaitable<item> service::visible_item(std::int64_t id, const principal& p) {
    std::optional<item> it;
    co_await db_.read([&](db::connection& c) { it = store::find_item(c, id); });
    // Unpublished items do not exist for those who may not read them.
    if (!it || !(it->is_public() || may_read_latest(p, *it))) throw api_error(errors::not_found);
    co_return *it;
}

asio::awaitable<response> service::item_response(const item& it, const principal& p, std::optional<std::int64_t> asked) {
    const bool latest_ok = may_read_latest(p, it);
    std::int64_t shown = latest_ok ? it.latest_version : it.published_version.value_or(0);
    if (asked) {
        if (*asked < 1 || *asked > it.latest_version) throw api_error(errors::not_found);
        // Others see the published version only; history is for authors and reviewers.
        if (!latest_ok && *asked != shown) throw api_error(errors::not_found);
        shown = *asked;
    }
    std::optional<content> v;
    std::vector<version_info> history;
    std::string author_account;
    co_await db_.read([&](db::connection& c) {
        v = store::version(c, it.id, shown);
        if (latest_ok) history = store::versions(c, it.id);
    });
    if (!v) throw api_error(errors::not_found);
    json attachments = json::array();
    for (const auto& a : v->attachments)
        attachments.push_back({{"sha256", a.sha256}, {"name", a.name}, {"mime", a.mime}, {"size", a.size},
                               {"url", "/api/library/items/" + std::to_string(it.id) + "/files/" + a.sha256 +
                                           "?version=" + std::to_string(shown)}});
    json hist = json::array();
    for (const auto& h : history)
        hist.push_back({{"version", h.version}, {"title", h.title}, {"note", h.note}, {"by", h.created_by_name},
                        {"at", to_iso8601(h.created_at)},
                        {"published", it.published_version && *it.published_version == h.version}});
    const bool is_author = it.author_id && *it.author_id == p.account.id;
    // Others see the published item only: not that a revision waits or was sent back.
    const std::string state = latest_ok ? it.state : std::string("published");
    const std::int64_t latest = latest_ok ? it.latest_version : it.published_version.value_or(0);
    json body = {{"id", it.id},
                 {"slug", it.slug ? json(*it.slug) : json(nullptr)},
                 {"kind", it.kind},
                 {"state", state},
                 {"archived", it.archived},
                 {"version", shown},
                 {"latest_version", latest},
                 {"published_version", it.published_version ? json(*it.published_version) : json(nullptr)},
                 {"title", v->title},
                 {"summary", v->summary},
                 {"body", v->body},
                 {"phases", v->phases},
                 {"missions", v->missions},
                 {"region", v->region ? json{{"code", *v->region}, {"name", region_name(v->region)}} : json(nullptr)},
                 {"author_name", v->author_name},
                 {"organisation", it.org_name ? json{{"id", *it.org_id}, {"name", *it.org_name}, {"type", it.org_type.value_or("")}}
                                              : json(nullptr)},
                 {"date", v->date},
                 {"attachments", attachments},
                 {"history", hist},
                 {"review_note", latest_ok ? it.review_note : std::string()},
                 {"created_at", to_iso8601(it.created_at)},
                 {"updated_at", to_iso8601(it.updated_at)},
                 {"published_at", it.published_at ? json(to_iso8601(*it.published_at)) : json(nullptr)},
                 {"can_edit", is_author || is_reviewer(p)},
                 {"can_review", is_reviewer(p)}};
    auto res = response::json(200, {{"item", body}});
    res.header("Cache-Control", "no-store");
    co_return res;
}

content service::parse_content(const json& body, const principal& p, std::vector<std::string>& digests) {
    content c;
    c.title = json_input::required_string(body, "title", 200);
    c.summary = json_input::required_string(body, "summary", 600);
    c.body = json_input::required_string(body, "body", 100000);
    c.phases = code_list(body, "phases", phases());
    c.missions = code_list(body, "missions", missions());
    if (auto r = json_input::optional_string(body, "region", 10)) {
        if (!auth::find_region(*r)) throw api_error(errors::invalid_field, "region");
        c.region = *r;
    }
    c.author_name = json_input::optional_string(body, "author_name", 120).value_or(p.account.name);
    c.date = json_input::optional_string(body, "date", 10).value_or(today());
    if (!valid_date(c.date)) throw api_error(errors::invalid_field, "date");
    c.note = json_input::optional_string(body, "note", 300).value_or("");
    auto at = body.find("attachments");
    if (at != body.end() && !at->is_null()) {
        if (!at->is_array() || at->size() > 10) throw api_error(errors::invalid_field, "attachments");
        for (const auto& a : *at) {
            if (!a.is_object()) throw api_error(errors::invalid_field, "attachments");
            auto sha = a.value("sha256", std::string());
            if (!blobs::is_digest(sha)) throw api_error(errors::invalid_field, "attachments");
            auto name = json_input::required_string(a, "name", 200);
            checked_extension(name);
            c.attachments.push_back({sha, name, "", 0});
            digests.push_back(sha);
        }
    }
    return c;
}

asio::awaitable<void> service::resolve_attachments(content& c, const auth::principal& p) {
    bool missing = false, mismatch = false;
    auto uid = p.account.id;
    bool reviewer = is_reviewer(p);
    co_await db_.read([&](db::connection& conn) {
        for (auto& a : c.attachments) {
            auto f = store::file(conn, a.sha256);
            // A digest one has no right to reads as unknown: no existence oracle.
            if (!f || !store::may_attach(conn, a.sha256, uid, reviewer)) {
                missing = true;
                return;
            }
            // The name's extension must be one the file's type allows: a text file cannot
            // become "outil.js" or "guide.html" at download.
            if (!extension_fits(checked_extension(a.name), f->mime)) {
                mismatch = true;
                return;
            }
            a.mime = f->mime;
            a.size = f->size;
        }
    });
    if (missing) throw api_error(errors::unknown_file, "attachments");
    if (mismatch) throw api_error(errors::file_mismatch, "attachments");
}

void service::register_routes(net::router& r) {
    r.add("GET", "/api/library/meta", auth_.guard(access::signed_in, [this](request&, const principal&) -> asio::awaitable<response> {
        json regions = json::array();
        for (const auto& rg : auth::regions()) regions.push_back({{"code", rg.code}, {"label", rg.name}});
        json org_types = json::array();
        for (const auto& t : auth::org_types()) org_types.push_back({{"code", t.code}, {"label", t.label}});
        json body = {{"kinds", labels(kinds())}, {"phases", labels(phases())}, {"missions", labels(missions())},
                     {"regions", regions}, {"org_types", org_types}, {"upload_max_bytes", opts_.upload_max_bytes}};
        auto res = response::json(200, body);
        co_return res;
    }));

    r.add("GET", "/api/library/search", auth_.guard(access::signed_in, [this](request& req, const principal&) -> asio::awaitable<response> {
        search::query q;
        if (auto text = query_param(req, "q")) {
            if (utf8_length(*text) > 500) throw api_error(errors::query_too_long, "q");
            q.text = *text;
        }
        struct facet_rule {
            const char* param;
            const char* facet;
            std::function<bool(const std::string&)> valid;
        };
        const std::vector<facet_rule> rules{
            {"kind", "kind", [](const std::string& v) { return is_code(kinds(), v); }},
            {"phase", "phase", [](const std::string& v) { return is_code(phases(), v); }},
            {"mission", "mission", [](const std::string& v) { return is_code(missions(), v); }},
            {"org_type", "org_type", [](const std::string& v) { return auth::is_org_type(v); }},
            {"region", "region", [](const std::string& v) { return auth::find_region(v) != nullptr; }},
            {"year", "year", [](const std::string& v) { return std::regex_match(v, std::regex("^(19|20)\\d{2}$")); }},
        };
        for (const auto& rule : rules) {
            auto v = query_param(req, rule.param);
            if (!v) continue;
            auto values = split_commas(*v);
            if (values.size() > 20) throw api_error(errors::unknown_facet_value, rule.param);
            for (const auto& value : values)
                if (!rule.valid(value)) throw api_error(errors::unknown_facet_value, rule.param);
            q.filters[rule.facet] = values;
        }
        if (auto from = query_param(req, "from")) {
            if (!valid_date(*from)) throw api_error(errors::invalid_field, "from");
            q.date_from = date_to_unix(*from, false);
        }
        if (auto to = query_param(req, "to")) {
            if (!valid_date(*to)) throw api_error(errors::invalid_field, "to");
            q.date_to = date_to_unix(*to, true);
        }
        if (auto sort = query_param(req, "sort")) {
            if (*sort != "pertinence" && *sort != "date") throw api_error(errors::invalid_field, "sort");
            q.by_date = *sort == "date";
        }
        if (q.text.empty() && !query_param(req, "sort")) q.by_date = true;
        auto page = int_param(req, "page", 1, 1, 1000, errors::page_out_of_range);
        auto per_page = int_param(req, "per_page", 10, 1, 50, errors::invalid_field);
        q.offset = static_cast<std::size_t>((page - 1) * per_page);
        q.limit = static_cast<std::size_t>(per_page);
        search::result found;
        bool syntax_error = false;
        co_await cpu_.run([&] {
            try {
                found = index_.search(q);
            } catch (const std::invalid_argument&) {
                syntax_error = true;
            }
        });
        if (syntax_error) throw api_error(errors::query_syntax, "q");
        json hits = json::array();
        for (const auto& h : found.hits) {
            auto id = item_id_of(h.id);
            if (!id) continue;
            auto extra = json::parse(h.extra, nullptr, false);
            if (!extra.is_object()) extra = json::object();
            hits.push_back({{"id", *id},
                            {"title", h.title},
                            {"summary", h.summary},
                            {"kind", extra.value("kind", "")},
                            {"date", extra.value("date", "")},
                            {"phases", extra.value("phases", json::array())},
                            {"organisation", extra.value("organisation", "")},
                            {"snippet", h.snippet},
                            {"score", h.score}});
        }
        json facets = json::object();
        for (const auto& [facet, counts] : found.facets) facets[facet] = counts;
        json body = {{"query", q.text},
                     {"total", found.total},
                     {"page", page},
                     {"per_page", per_page},
                     {"pages", (found.total + static_cast<std::size_t>(per_page) - 1) / static_cast<std::size_t>(per_page)},
                     {"hits", hits},
                     {"facets", facets},
                     {"suggestion", found.suggestion},
                     {"fallback", found.fallback}};
        auto res = response::json(200, body);
        res.header("Cache-Control", "no-store");
        co_return res;
    }));

    r.add("GET", "/api/library/items/{id}", auth_.guard(access::signed_in, [this](request& req, const principal& p) -> asio::awaitable<response> {
        const auto id = req.id_param("id");
        auto it = co_await visible_item(id, p);
        std::optional<std::int64_t> version;
        if (query_param(req, "version")) version = int_param(req, "version", 1, 1, 1000000, errors::not_found);
        auto res = co_await item_response(it, p, version);
        co_return res;
    }));

    r.add("GET", "/api/library/items/{id}/similar", auth_.guard(access::signed_in, [this](request& req, const principal& p) -> asio::awaitable<response> {
        const auto id = req.id_param("id");
        auto it = co_await visible_item(id, p);
        std::vector<search::hit> hits;
        auto key = doc_id(it.id);
        co_await cpu_.run([&] { hits = index_.similar(key, 5); });
        json list = json::array();
        for (const auto& h : hits) {
            auto id = item_id_of(h.id);
            auto extra = json::parse(h.extra, nullptr, false);
            if (!id || !extra.is_object()) continue;
            list.push_back({{"id", *id}, {"title", h.title}, {"summary", h.summary}, {"kind", extra.value("kind", "")}});
        }
        auto res = response::json(200, {{"items", list}});
        co_return res;
    }));

    r.add("GET", "/api/library/mine", auth_.guard(access::signed_in, [this](request&, const principal& p) -> asio::awaitable<response> {
        std::vector<store::listed> rows;
        auto uid = p.account.id;
        co_await db_.read([&](db::connection& c) { rows = store::by_author(c, uid); });
        json list = json::array();
        for (const auto& l : rows) list.push_back(listed_json(l));
        auto res = response::json(200, {{"items", list}});
        res.header("Cache-Control", "no-store");
        co_return res;
    }));

    r.add("GET", "/api/library/review", auth_.guard(access::animateur, [this](request&, const principal&) -> asio::awaitable<response> {
        std::vector<store::listed> rows;
        co_await db_.read([&](db::connection& c) { rows = store::pending(c); });
        json list = json::array();
        for (const auto& l : rows) list.push_back(listed_json(l));
        auto res = response::json(200, {{"items", list}});
        res.header("Cache-Control", "no-store");
        co_return res;
    }));

    r.add("POST", "/api/library/items", auth_.guard(access::signed_in, [this](request& req, const principal& p) -> asio::awaitable<response> {
        auto body = json_input::parse_object(req.body);
        item it;
        it.kind = json_input::required_string(body, "kind", 20);
        if (!is_code(kinds(), it.kind)) throw api_error(errors::invalid_field, "kind");
        // Members contribute testimonies and tools; guides and the rest come from reviewers.
        if (!is_reviewer(p) && it.kind != "temoignage" && it.kind != "outil") throw api_error(errors::invalid_field, "kind");
        std::vector<std::string> digests;
        auto c = parse_content(body, p, digests);
        co_await resolve_attachments(c, p);
        bool publish = json_input::optional_bool(body, "publish").value_or(false);
        if (publish && !is_reviewer(p)) throw api_error(errors::forbidden);
        it.state = publish ? "published" : "pending";
        it.author_id = p.account.id;
        it.org_id = p.account.org_id;
        auto uid = p.account.id;
        co_await db_.write([&](db::connection& conn) { store::create_item(conn, it, c, uid, unix_now()); });
        indexer_.notify();
        log::info("library_item_created", {{"item", it.id}, {"user", uid}, {"state", it.state}});
        auto res = co_await current_item_response(it.id, p);
        res.status = 201;
        co_return res;
    }));

    r.add("PUT", "/api/library/items/{id}", auth_.guard(access::signed_in, [this](request& req, const principal& p) -> asio::awaitable<response> {
        const auto id = req.id_param("id");
        auto it = co_await visible_item(id, p);
        const bool is_author = it.author_id && *it.author_id == p.account.id;
        if (!is_author && !is_reviewer(p)) throw api_error(errors::forbidden);
        auto body = json_input::parse_object(req.body);
        // Optimistic concurrency: the version the editor started from.
        auto base = body.find("base_version");
        if (base == body.end() || !base->is_number_integer()) throw api_error(errors::invalid_field, "base_version");
        if (base->get<std::int64_t>() != it.latest_version) throw api_error(errors::stale_version, "base_version");
        std::vector<std::string> digests;
        auto c = parse_content(body, p, digests);
        co_await resolve_attachments(c, p);
        bool publish = json_input::optional_bool(body, "publish").value_or(false);
        if (publish && !is_reviewer(p)) throw api_error(errors::forbidden);
        auto uid = p.account.id;
        bool conflict = false;
        co_await db_.write([&](db::connection& conn) {
            auto current = store::find_item(conn, it.id);
            if (!current || current->latest_version != it.latest_version) {
                conflict = true;
                return;
            }
            store::add_version(conn, *current, c, publish, uid, unix_now());
        });
        if (conflict) throw api_error(errors::stale_version, "base_version");
        indexer_.notify();
        auto res = co_await current_item_response(it.id, p);
        co_return res;
    }));

    r.add("POST", "/api/library/items/{id}/publish", auth_.guard(access::animateur, [this](request& req, const principal& p) -> asio::awaitable<response> {
        const auto id = req.id_param("id");
        auto it = co_await visible_item(id, p);
        auto body = json_input::parse_object(req.body);
        // The version the reviewer read: publishing never puts online a text nobody reviewed.
        const auto version = reviewed_version(body);
        if (it.state == "published" && it.published_version == it.latest_version) throw api_error(errors::review_state);
        auto uid = p.account.id;
        bool done = false;
        co_await db_.write([&](db::connection& c) { done = store::publish(c, it.id, version, uid, unix_now()); });
        if (!done) throw api_error(errors::stale_version, "version");
        indexer_.notify();
        log::info("library_item_published", {{"item", it.id}, {"version", version}, {"by", uid}});
        auto res = co_await current_item_response(it.id, p);
        co_return res;
    }));

    r.add("POST", "/api/library/items/{id}/reject", auth_.guard(access::animateur, [this](request& req, const principal& p) -> asio::awaitable<response> {
        const auto id = req.id_param("id");
        auto it = co_await visible_item(id, p);
        auto body = json_input::parse_object(req.body);
        auto note = json_input::required_string(body, "note", 1000);
        const auto version = reviewed_version(body);
        if (it.state != "pending") throw api_error(errors::review_state);
        auto uid = p.account.id;
        bool done = false;
        co_await db_.write([&](db::connection& c) { done = store::reject(c, it.id, version, note, uid, unix_now()); });
        if (!done) throw api_error(errors::stale_version, "version");
        indexer_.notify();
        auto res = co_await current_item_response(it.id, p);
        co_return res;
    }));

    r.add("POST", "/api/library/items/{id}/archive", auth_.guard(access::animateur, [this](request& req, const principal& p) -> asio::awaitable<response> {
        const auto id = req.id_param("id");
        auto it = co_await visible_item(id, p);
        auto body = json_input::parse_object(req.body);
        auto archived = json_input::optional_bool(body, "archived");
        if (!archived) throw api_error(errors::invalid_field, "archived");
        auto uid = p.account.id;
        auto flag = *archived;
        co_await db_.write([&](db::connection& c) { store::set_archived(c, it.id, flag, uid, unix_now()); });
        indexer_.notify();
        auto res = co_await current_item_response(it.id, p);
        co_return res;
    }));

    net::route_options upload;
    upload.body_max_bytes = opts_.upload_max_bytes;
    upload.raw_body = true;
    upload.admit_body = [this](const request& head) -> asio::awaitable<bool> {
        auto who = co_await auth_.authenticate(head);
        co_return who.has_value();
    };
    r.add("POST", "/api/library/files", auth_.guard(access::signed_in, [this](request& req, const principal& p) -> asio::awaitable<response> {
        auto name_param = query_param(req, "name");
        if (!name_param) throw api_error(errors::invalid_field, "name");
        auto name = *name_param;
        checked_extension(name);
        if (req.body.size() > opts_.upload_max_bytes) throw api_error(errors::file_too_large);
        auto type = req.header("content-type");
        std::transform(type.begin(), type.end(), type.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (type.rfind("application/octet-stream", 0) != 0)
            throw api_error(errors::unsupported_media, {}, "Le fichier doit être envoyé tel quel (application/octet-stream).");
        // One person's uploads cannot fill the extraction queue for everyone.
        struct extraction_slot {
            service& svc;
            std::int64_t user;
            bool held = false;
            ~extraction_slot() {
                if (!held) return;
                std::lock_guard lock(svc.extracting_mutex_);
                if (auto it = svc.extracting_.find(user); it != svc.extracting_.end() && --it->second == 0) svc.extracting_.erase(it);
                --svc.extracting_total_;
            }
        } slot{*this, p.account.id};
        {
            std::lock_guard lock(extracting_mutex_);
            auto& mine = extracting_[p.account.id];
            if (mine >= opts_.extractions_per_user) {
                if (mine == 0) extracting_.erase(p.account.id);
                throw api_error(errors::rate_limited, {},
                                "Vos fichiers précédents sont encore en cours d'analyse : réessayez dans un instant.");
            }
            if (extracting_total_ >= opts_.extractions_waiting) {
                if (mine == 0) extracting_.erase(p.account.id);
                throw api_error(errors::unavailable);
            }
            ++mine;
            ++extracting_total_;
            slot.held = true;
        }
        extracted ex;
        std::string digest;
        std::exception_ptr failure;
        // In a child process under limits (CPU, memory, time), on threads apart from the
        // ones that serve sign-ins, searches and /healthz.
        co_await extraction_.run([&] {
            try {
                ex = extract_isolated(opts_.extraction, name, req.body);  // throws before anything is stored
                digest = files_.put(req.body);
            } catch (...) {
                failure = std::current_exception();
            }
        });
        if (failure) std::rethrow_exception(failure);
        auto size = static_cast<std::int64_t>(req.body.size());
        auto uid = p.account.id;
        co_await db_.write([&](db::connection& c) {
            auto now = unix_now();
            store::insert_file(c, {digest, ex.mime, ex.text, size}, uid, now);
            store::add_uploader(c, digest, uid, now);
        });
        log::info("library_file_uploaded", {{"sha256", digest}, {"size", size}, {"mime", ex.mime}, {"user", uid}});
        json body = {{"file", {{"sha256", digest}, {"name", name}, {"mime", ex.mime}, {"size", size}, {"text_chars", utf8_length(ex.text)}}}};
        auto res = response::json(201, body);
        co_return res;
    }), upload);

    r.add("GET", "/api/library/items/{id}/files/{sha256}", auth_.guard(access::signed_in, [this](request& req, const principal& p) -> asio::awaitable<response> {
        const auto id = req.id_param("id");
        auto it = co_await visible_item(id, p);
        const auto& sha = req.params.at("sha256");
        if (!blobs::is_digest(sha)) throw api_error(errors::not_found);
        const bool latest_ok = may_read_latest(p, it);
        auto version = latest_ok ? it.latest_version : it.published_version.value_or(0);
        if (query_param(req, "version")) {
            auto asked = int_param(req, "version", 1, 1, 1000000, errors::not_found);
            if (asked > it.latest_version || (!latest_ok && asked != version)) throw api_error(errors::not_found);
            version = asked;
        }
        std::optional<content> v;
        co_await db_.read([&](db::connection& c) { v = store::version(c, id, version); });
        if (!v) throw api_error(errors::not_found);
        auto a = std::find_if(v->attachments.begin(), v->attachments.end(), [&](const attachment& x) { return x.sha256 == sha; });
        if (a == v->attachments.end()) throw api_error(errors::not_found);
        std::string bytes;
        bool missing = false;
        co_await cpu_.run([&] {
            try {
                bytes = files_.get(sha);
            } catch (const std::exception&) {
                missing = true;
            }
        });
        if (missing) throw api_error(errors::not_found);
        auto res = response::text(200, std::move(bytes), a->mime);
        res.header("Content-Disposition", content_disposition(a->name));
        res.header("Cache-Control", "private, no-cache");
        co_return res;
    }));

    r.add("POST", "/api/admin/library/reindex", auth_.guard(access::admin, [this](request&, const principal& p) -> asio::awaitable<response> {
        auto uid = p.account.id;
        co_await cpu_.run([this] { indexer_.rebuild(); });
        std::uint32_t docs = 0;
        co_await cpu_.run([&] { docs = index_.document_count(); });
        log::info("library_reindexed", {{"by", uid}, {"documents", docs}});
        auto res = response::json(200, {{"documents", docs}});
        co_return res;
    }));
}

}  // namespace relais::library
