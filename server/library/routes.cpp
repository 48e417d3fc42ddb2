// HTTP handlers of the library module.
#include "library/service.hpp"

#include "auth/territory.hpp"
#include "library/errors.hpp"
#include "common/json_input.hpp"
#include "common/log.hpp"
#include "common/time.hpp"
#include "common/utf8.hpp"
#include "library/detail.hpp"
#include "library/diff.hpp"
#include "library/extract.hpp"
#include "library/uploads.hpp"

#include <algorithm>
#include <charconv>
#include <regex>

namespace relais::library {

using namespace detail;

namespace {

// A file, its thumbnail and its drawn pages never change under their name (the file's
// digest; the page and width for a drawing): an ETag lets the browser keep them and ask
// again (`no-cache`) with If-None-Match, answered 304 without the bytes. The access check
// runs first, every time.
bool fresh_copy(const request& req, const std::string& etag) {
    const auto& sent = req.header("if-none-match");
    return !sent.empty() && (sent == "*" || sent.find(etag) != std::string::npos);
}

response cached(response res, const std::string& etag) {
    res.header("ETag", etag);
    res.header("Cache-Control", "private, no-cache");
    return res;
}

response not_modified(const std::string& etag) {
    response r;
    r.status = 304;
    return cached(std::move(r), etag);
}

}  // namespace

void service::register_routes(net::router& r) {
    r.add("GET", "/api/library/meta", auth_.guard(access::signed_in, [this](request&, const principal&) -> asio::awaitable<response> {
        json regions = json::array();
        for (const auto& rg : auth::regions()) regions.push_back({{"code", rg.code}, {"label", rg.label}});
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
            // A fiche's date is never to come: from 1900 to next year (a date of tomorrow on 31 December).
            {"year", "year", [](const std::string& v) {
                 return std::regex_match(v, std::regex("^(19|20)\\d{2}$")) && std::stoi(v) <= std::stoi(to_iso8601(unix_now()).substr(0, 4)) + 1;
             }},
        };
        for (const auto& rule : rules) {
            auto v = query_param(req, rule.param);
            if (!v) continue;
            auto values = split_commas(*v);
            if (values.size() > 20) throw api_error(errors::unknown_facet_value, rule.param);
            for (const auto& value : values)
                if (!rule.valid(value)) throw api_error(errors::unknown_facet_value, rule.param);
            q.filters[rule.facet] = values;
            q.disjunctive.insert(rule.facet);
        }
        // The index holds every module's documents: the library searches its items.
        q.filters["type"] = {"item"};
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
        // A few at a time per client: one client's burst of searches never fills the
        // threads that everyone's sign-ins and searches share.
        auto slot = searching_.try_enter(req.client_address);
        if (!slot) {
            auto busy = response::error(api_error(errors::rate_limited));
            busy.header("Retry-After", "1");
            co_return busy;
        }
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
                            {"highlights", h.highlights},
                            {"score", h.score}});
        }
        json facets = json::object();
        for (const auto& [facet, counts] : found.facets)
            if (facet != "type") facets[facet] = counts;
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
        if (query_param(req, "version")) version = int_param(req, "version", 1, 1, 1000000, errors::invalid_field);
        auto res = co_await item_response(it, p, version);
        co_return res;
    }));

    // What changed between two versions (authors and reviewers: they read every version).
    r.add("GET", "/api/library/items/{id}/diff", auth_.guard(access::signed_in, [this](request& req, const principal& p) -> asio::awaitable<response> {
        const auto id = req.id_param("id");
        auto it = co_await visible_item(id, p);
        if (!may_read_latest(p, it)) throw api_error(errors::not_found);
        // A version past the latest does not exist (404), as with `?version=`.
        const auto to = int_param(req, "to", it.latest_version, 1, 1000000, errors::invalid_field);
        // By default: the version online against the one compared, else the one before it.
        const long long fallback = it.published_version && *it.published_version < to ? *it.published_version : to - 1;
        if (!query_param(req, "from") && fallback < 1) throw api_error(errors::invalid_field, "from");
        const auto from = int_param(req, "from", fallback, 1, 1000000, errors::invalid_field);
        if (from > it.latest_version || to > it.latest_version) throw api_error(errors::not_found);
        std::optional<content> a, b;
        co_await db_.read([&](db::connection& c) {
            a = store::version(c, it.id, from);
            b = store::version(c, it.id, to);
        });
        if (!a || !b) throw api_error(errors::not_found);
        json changes;
        co_await cpu_.run([&] { changes = compare(*a, *b); });
        changes["from"] = from;
        changes["to"] = to;
        co_return response::json(200, {{"diff", std::move(changes)}});
    }));

    r.add("GET", "/api/library/items/{id}/similar", auth_.guard(access::signed_in, [this](request& req, const principal& p) -> asio::awaitable<response> {
        const auto id = req.id_param("id");
        auto it = co_await visible_item(id, p);
        std::vector<search::hit> hits;
        auto key = doc_id(it.id);
        co_await cpu_.run([&] { hits = index_.similar(key, 5, {{"type", {"item"}}}); });
        json list = json::array();
        for (const auto& h : hits) {
            auto similar_id = item_id_of(h.id);
            auto extra = json::parse(h.extra, nullptr, false);
            if (!similar_id || !extra.is_object()) continue;
            list.push_back({{"id", *similar_id}, {"title", h.title}, {"summary", h.summary}, {"kind", extra.value("kind", "")}});
        }
        auto res = response::json(200, {{"items", list}});
        co_return res;
    }));

    r.add("GET", "/api/library/mine", auth_.guard(access::signed_in, [this](request&, const principal& p) -> asio::awaitable<response> {
        std::vector<store::listed> rows;
        auto uid = p.account.id;
        co_await db_.read([&](db::connection& c) {
            rows = store::by_author(c, uid);
            store::name_listed(c, auth_, rows);
        });
        json list = json::array();
        for (const auto& l : rows) list.push_back(listed_json(l));
        auto res = response::json(200, {{"items", list}});
        res.header("Cache-Control", "no-store");
        co_return res;
    }));

    r.add("GET", "/api/library/review", auth_.guard(access::animateur, [this](request&, const principal&) -> asio::awaitable<response> {
        std::vector<store::listed> rows;
        co_await db_.read([&](db::connection& c) {
            rows = store::pending(c);
            store::name_listed(c, auth_, rows);
        });
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
        std::vector<std::int64_t> told;
        co_await db_.write([&](db::connection& conn) {
            store::create_item(conn, it, c, uid, unix_now());
            if (it.state == "pending") told = tell_reviewers(conn, it, c.title, uid);
        });
        indexer_.notify();
        notifier_.push(told);
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
        if (base == body.end() || !base->is_number_integer() || base->get<std::int64_t>() < 1)
            throw api_error(errors::invalid_field, "base_version");
        if (base->get<std::int64_t>() != it.latest_version) throw api_error(errors::item_changed, "base_version");
        // The kind, as on creation (absent: unchanged).
        auto kind = json_input::optional_string(body, "kind", 20);
        if (kind && (!is_code(kinds(), *kind) ||
                     (!is_reviewer(p) && *kind != it.kind && *kind != "temoignage" && *kind != "outil")))
            throw api_error(errors::invalid_field, "kind");
        std::vector<std::string> digests;
        auto c = parse_content(body, p, digests);
        co_await resolve_attachments(c, p);
        bool publish = json_input::optional_bool(body, "publish").value_or(false);
        if (publish && !is_reviewer(p)) throw api_error(errors::forbidden);
        auto uid = p.account.id;
        bool conflict = false;
        std::vector<std::int64_t> told;
        co_await db_.write([&](db::connection& conn) {
            auto current = store::find_item(conn, it.id);
            if (!current || current->latest_version != it.latest_version) {
                conflict = true;
                return;
            }
            if (kind) current->kind = *kind;
            // A reviewer publishing, with their edits, a version that waited or was sent
            // back puts the author's proposal online: the author is told, as by `publish`.
            const bool proposal_waited = current->published_version != current->latest_version;
            // Who wrote it and when stay as they were unless the edit says otherwise: an
            // edit by a reviewer does not make the reviewer its author, nor today its date.
            if (auto was = store::version(conn, current->id, current->latest_version)) {
                if (!json_input::optional_string(body, "author_name", 120)) c.author_name = was->author_name;
                if (!json_input::optional_string(body, "date", 10)) c.date = was->date;
            }
            store::add_version(conn, *current, c, publish, uid, unix_now());
            if (!publish) told = tell_reviewers(conn, *current, c.title, uid);
            else if (proposal_waited) told = tell_author(conn, current->id, true, {}, uid, true);
        });
        if (conflict) throw api_error(errors::item_changed, "base_version");
        indexer_.notify();
        notifier_.push(told);
        auto res = co_await current_item_response(it.id, p);
        co_return res;
    }));

    r.add("POST", "/api/library/items/{id}/publish", auth_.guard(access::animateur, [this](request& req, const principal& p) -> asio::awaitable<response> {
        const auto id = req.id_param("id");
        auto it = co_await visible_item(id, p);
        auto body = json_input::parse_object(req.body);
        // The version the reviewer read: publishing never puts online a text nobody reviewed.
        const auto version = reviewed_version(body);
        auto uid = p.account.id;
        std::vector<std::int64_t> told;
        const bool was_online = it.published_version.has_value();
        co_await db_.write([&](db::connection& c) {
            publish_version(c, it.id, version, uid, unix_now());
            // A version written by someone else than the author (a reviewer's edit) is
            // told to the author as a change made to their fiche.
            bool edited = false;
            for (const auto& v : store::versions(c, it.id))
                if (v.version == version && v.created_by && it.author_id && *v.created_by != *it.author_id) edited = true;
            told = tell_author(c, it.id, true, {}, uid, edited, was_online);
        });
        indexer_.notify();
        notifier_.push(told);
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
        auto uid = p.account.id;
        std::vector<std::int64_t> told;
        co_await db_.write([&](db::connection& c) {
            send_back(c, it.id, version, note, uid, unix_now());
            told = tell_author(c, it.id, false, note, uid);
        });
        indexer_.notify();
        notifier_.push(told);
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
    upload.admit_body = [this](const request& head) -> asio::awaitable<std::optional<std::string>> {
        auto who = co_await auth_.authenticate(head);
        if (!who) co_return std::nullopt;
        co_return "account:" + std::to_string(who->account.id);  // budgeted per account
    };
    r.add("POST", "/api/library/files", auth_.guard(access::signed_in, [this](request& req, const principal& p) -> asio::awaitable<response> {
        auto name_param = query_param(req, "name");
        // Blank is empty (strings are trimmed): the name is missing.
        auto name = name_param ? json_input::trim(*name_param) : std::string();
        if (name.empty()) throw api_error(errors::invalid_field, "name");
        checked_extension(name);
        if (req.body.size() > opts_.upload_max_bytes) throw api_error(errors::file_too_large);
        auto type = req.header("content-type");
        std::transform(type.begin(), type.end(), type.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (type.rfind("application/octet-stream", 0) != 0)
            throw api_error(errors::unsupported_media, {}, "Le fichier doit être envoyé tel quel (application/octet-stream).");
        // Nor fill the disk: what one account sent in a day and attached to nothing is bounded
        // (such files are deleted a day after their upload).
        {
            std::int64_t pending = 0;
            auto uid = p.account.id;
            co_await db_.read([&](db::connection& c) { pending = store::unattached_bytes(c, uid, unix_now() - 86400); });
            if (static_cast<std::size_t>(pending) + req.body.size() > opts_.unattached_max_bytes) throw api_error(errors::unattached_quota);
        }
        // One person's uploads cannot fill the extraction queue for everyone.
        extraction_slot slot(*this, p.account.id);
        extracted ex;
        store::file_row row;
        std::exception_ptr failure;
        // In a child process under limits (CPU, memory, time), on threads apart from the
        // ones that serve sign-ins, searches and /healthz.
        co_await extraction_.run([&] {
            try {
                ex = extract_isolated(opts_.extraction, name, req.body);  // throws before anything is stored
                row = keep_upload(files_, ex, req.body);  // an image: its pixels encoded again
            } catch (...) {
                failure = std::current_exception();
            }
        });
        if (failure) std::rethrow_exception(failure);
        const auto size = row.size;
        const auto digest = row.sha256;
        auto uid = p.account.id;
        co_await db_.write([&](db::connection& c) {
            auto now = unix_now();
            store::insert_file(c, row, uid, now);
            store::add_uploader(c, digest, uid, now);
        });
        log::info("library_file_uploaded", {{"sha256", digest}, {"size", size}, {"mime", ex.mime}, {"user", uid}});
        json body = {{"file", {{"sha256", digest}, {"name", name}, {"mime", ex.mime}, {"size", size}, {"kind", file_kind(ex.mime)},
                               {"text_chars", utf8_length(ex.text)}, {"outline", ex.outline}, {"pages", ex.pages},
                               {"preview", !ex.preview.empty()}}}};
        auto res = response::json(201, body);
        co_return res;
    }), upload);

    r.add("GET", "/api/library/items/{id}/files/{sha256}", auth_.guard(access::signed_in, [this](request& req, const principal& p) -> asio::awaitable<response> {
        auto a = co_await visible_attachment(req, p);
        const auto etag = "\"" + a.sha256 + "\"";
        if (fresh_copy(req, etag)) co_return not_modified(etag);
        std::string bytes;
        bool missing = false;
        co_await cpu_.run([&] {
            try {
                bytes = files_.get(a.sha256);
            } catch (const std::exception&) {
                missing = true;
            }
        });
        if (missing) throw api_error(errors::not_found);
        auto res = response::text(200, std::move(bytes), a.mime);
        res.header("Content-Disposition", content_disposition(a.name));
        co_return cached(std::move(res), etag);
    }));

    // The thumbnail made at upload (PDF: first page; image); drawn now for a PDF stored
    // before thumbnails existed, then kept.
    r.add("GET", "/api/library/items/{id}/files/{sha256}/preview.png", auth_.guard(access::signed_in, [this](request& req, const principal& p) -> asio::awaitable<response> {
        auto a = co_await visible_attachment(req, p);
        const auto etag = "\"" + a.sha256 + "-apercu\"";
        if (fresh_copy(req, etag)) co_return not_modified(etag);
        std::optional<std::string> png;
        co_await cpu_.run([&] { png = files_.get_derived(a.sha256, preview_suffix); });
        if (!png && file_kind(a.mime) == "pdf") {
            // Not counted per account: an item page may show several old PDFs at once, and
            // each thumbnail is drawn once (the global queue bound still applies).
            const int preview_width = extract_limits{}.preview_width;
            const std::int64_t anyone = 0;
            auto page = co_await pdf_page(a.sha256, 1, preview_width, anyone);
            png = page.png;
            auto sha = a.sha256;
            co_await cpu_.run([&] { files_.put_derived(sha, preview_suffix, *png); });
        }
        if (!png) throw api_error(errors::not_found);
        co_return cached(response::text(200, std::move(*png), "image/png"), etag);
    }));

    // A page of a PDF for the reader: {n} is "3" (JSON: the page's text, its size, the
    // number of pages) or "3.png" (the page drawn, ?width= 200..1600 by steps of 200).
    r.add("GET", "/api/library/items/{id}/files/{sha256}/pages/{n}", auth_.guard(access::signed_in, [this](request& req, const principal& p) -> asio::awaitable<response> {
        auto a = co_await visible_attachment(req, p);
        if (file_kind(a.mime) != "pdf") throw api_error(errors::not_found);
        std::string n = req.params.at("n");
        const bool image = n.size() > 4 && n.compare(n.size() - 4, 4, ".png") == 0;
        if (image) n.resize(n.size() - 4);
        int page = 0;
        const int max_pages = extract_limits{}.max_pdf_pages;
        const auto parsed = std::from_chars(n.data(), n.data() + n.size(), page);
        if (parsed.ec != std::errc() || parsed.ptr != n.data() + n.size() || n.empty() || n[0] == '0' || page < 1 || page > max_pages)
            throw api_error(errors::page_out_of_range, "n");
        auto width = static_cast<int>(int_param(req, "width", 800, 200, 1600, errors::invalid_field));
        width -= width % 200;  // a few sizes only: what is cached stays bounded
        const auto uid = p.account.id;
        // The drawing only: the page's JSON also says the attachment's name, which a new
        // version may change.
        const auto etag = "\"" + a.sha256 + "-p" + std::to_string(page) + "-" + std::to_string(width) + "\"";
        if (image && fresh_copy(req, etag)) co_return not_modified(etag);
        auto drawn = co_await pdf_page(a.sha256, page, width, uid);
        if (image) co_return cached(response::text(200, std::move(drawn.png), "image/png"), etag);
        const auto base = "/api/library/items/" + req.params.at("id") + "/files/" + a.sha256 + "/pages/";
        const auto version = query_param(req, "version");
        // Poppler ends a page's text with a form feed: not part of the text.
        auto text = drawn.text;
        while (!text.empty() && (text.back() == '\f' || text.back() == '\n' || text.back() == ' ' || text.back() == '\r'))
            text.pop_back();
        json body = {{"page", page},
                     {"pages", drawn.pages},
                     {"text", text},
                     {"width", drawn.width},
                     {"height", drawn.height},
                     {"image", base + std::to_string(page) + ".png?width=" + std::to_string(width) +
                                   (version ? "&version=" + *version : std::string())},
                     {"alt", "Page " + std::to_string(page) + " sur " + std::to_string(drawn.pages) + " de « " + a.name + " »"}};
        auto res = response::json(200, body);
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
