// HTTP handlers of the watch module: each reads its request, calls the rules of
// service.hpp (inside a read or a write on the database's threads, or a fetch on the
// module's own workers) and writes the response. The module's life cycle: module.cpp.
#include "watch/module_impl.hpp"

#include "auth/service.hpp"
#include "common/json_input.hpp"
#include "common/log.hpp"
#include "common/time.hpp"
#include "common/utf8.hpp"
#include "common/worker_pool.hpp"
#include "library/filer.hpp"
#include "mail/outbox.hpp"
#include "notifications/notifier.hpp"
#include "outbound/smtp.hpp"
#include "platform/scheduler.hpp"
#include "platform/topics.hpp"
#include "watch/dates.hpp"
#include "watch/errors.hpp"
#include "watch/urls.hpp"

#include <algorithm>

namespace relais::watch {
namespace {


using net::request;
using net::response;
using auth::access;
using auth::principal;

constexpr std::size_t max_url = 2000;
constexpr std::size_t max_opml_feeds = 500;  // per import

/// "2026-11-30" as the start of that day in Paris (unix seconds); `after`: the start of the
/// next day. Throws invalid_field(field) for anything else.
std::int64_t paris_day(const std::string& text, bool after, const char* field) {
    int y = 0, m = 0, d = 0;
    char tail = 0;
    if (text.size() != 10 || std::sscanf(text.c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || y < 2000 || y > 2100 ||
        m < 1 || m > 12 || d < 1 || d > 31)
        throw api_error(errors::invalid_field, field);
    std::tm tm{};
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d + (after ? 1 : 0);
    auto utc = static_cast<std::int64_t>(timegm(&tm));
    std::tm check{};
    std::time_t back = static_cast<std::time_t>(utc);
    gmtime_r(&back, &check);
    if (!after && check.tm_mday != d) throw api_error(errors::invalid_field, field);  // 31 février
    return utc - paris_offset_at(utc - 3600);
}

/// The digest asked for by a request body: period (default: the last 7 days), fields, title, intro.
digest_request digest_of(const json& body, std::int64_t now) {
    digest_request r;
    r.to = now + 1;  // exclusive: what was retained this very second is in
    r.from = now - 7 * 86400;
    if (auto v = json_input::optional_string(body, "from", 10)) r.from = paris_day(*v, false, "from");
    if (auto v = json_input::optional_string(body, "to", 10)) r.to = std::min(paris_day(*v, true, "to"), now + 1);
    if (r.from > now) throw api_error(errors::invalid_field, "from", "La période commence dans le futur : choisissez un début au plus tard aujourd’hui.");
    if (r.from >= r.to) throw api_error(errors::invalid_field, "from", "Le début de la période doit précéder sa fin.");
    if (r.to - r.from > 400 * 86400) throw api_error(errors::invalid_field, "from", "La période dépasse 400 jours : choisissez-en une plus courte.");
    if (auto it = body.find("field_ids"); it != body.end() && !it->is_null()) {
        if (!it->is_array() || it->size() > 100) throw api_error(errors::invalid_field, "field_ids");
        for (const auto& f : *it) {
            if (!f.is_number_integer() || f.get<std::int64_t>() <= 0) throw api_error(errors::invalid_field, "field_ids");
            r.fields.push_back(f.get<std::int64_t>());
        }
        std::sort(r.fields.begin(), r.fields.end());
        r.fields.erase(std::unique(r.fields.begin(), r.fields.end()), r.fields.end());
    }
    r.title = json_input::optional_line(body, "title", 200).value_or("");
    r.intro = json_input::optional_string(body, "intro", 5000).value_or("");
    return r;
}

/// At most n bytes of a UTF-8 text, cut at a character boundary.
std::string cut(std::string s, std::size_t n) {
    truncate_utf8_bytes(s, n);
    return s;
}

/// An http(s) URL as typed by someone: trimmed, scheme added when missing, bounded.
std::string clean_url(const json& body) {
    auto url = json_input::required_string(body, "url", max_url);
    auto first = url.find_first_not_of(" \t\r\n");
    auto last = url.find_last_not_of(" \t\r\n");
    url = first == std::string::npos ? std::string() : url.substr(first, last - first + 1);
    if (url.empty()) throw api_error(errors::invalid_field, "url");
    for (unsigned char ch : url)
        if (ch < 0x21 || ch == 0x7f) throw api_error(errors::invalid_field, "url");
    if (url.find("://") == std::string::npos) url = "https://" + url;
    auto scheme = url.substr(0, url.find("://"));
    for (auto& ch : scheme) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (scheme != "http" && scheme != "https") throw api_error(errors::invalid_field, "url");
    // A host a request can go to, and a port in range (« javascript:x » became « https://javascript:x »).
    if (safe_url("", url).empty()) throw api_error(errors::invalid_field, "url");
    return url;
}

json feed_preview(const fetched& f) {
    json j = to_json(f.parsed);
    j["url"] = f.final_url;
    return j;
}

}  // namespace

void watch_module::routes(net::router& r) {
    auto& a = *auth_;

    r.add("GET", "/api/watch/fields", a.guard(access::signed_in, [this](request&, const principal&) -> asio::awaitable<response> {
        json fields;
        auto now = unix_now();
        co_await db_->read([&](db::connection& c) { fields = service_->fields_json(c, now); });
        auto res = response::json(200, {{"fields", fields}});
        co_return res;
    }));

    r.add("POST", "/api/watch/fields", a.guard(access::admin, [this](request& req, const principal&) -> asio::awaitable<response> {
        auto body = json_input::parse_object(req.body);
        field_draft d{json_input::optional_string(body, "slug", 60).value_or(""), json_input::required_line(body, "name", 120),
                      json_input::optional_string(body, "description", 2000).value_or(""),
                      json_input::optional_string(body, "source_hint", 500).value_or("")};
        json field;
        auto now = unix_now();
        co_await db_->write([&](db::connection& c) {
            auto id = service_->create_field(c, d, now);
            field = service_->field_json(c, id, true);
        });
        auto res = response::json(201, {{"field", field}});
        co_return res;
    }));

    r.add("GET", "/api/watch/fields/{id}", a.guard(access::signed_in, [this](request& req, const principal& p) -> asio::awaitable<response> {
        auto id = req.id_param("id");
        json field;
        co_await db_->read([&](db::connection& c) {
            field = service_->field_json(c, id, true);
            field["may_curate"] = service_->may_curate(c, id, p);
            field["following"] = service_->follows(c, id, p.account.id);
        });
        auto res = response::json(200, {{"field", field}});
        co_return res;
    }));

    r.add("PATCH", "/api/watch/fields/{id}", a.guard(access::animateur, [this](request& req, const principal&) -> asio::awaitable<response> {
        auto id = req.id_param("id");
        auto body = json_input::parse_object(req.body);
        json field;
        auto now = unix_now();
        co_await db_->write([&](db::connection& c) {
            service_->update_field(c, id, body, now);
            field = service_->field_json(c, id, true);
        });
        auto res = response::json(200, {{"field", field}});
        co_return res;
    }));

    r.add("PUT", "/api/watch/fields/{id}/owners", a.guard(access::animateur, [this](request& req, const principal&) -> asio::awaitable<response> {
        auto id = req.id_param("id");
        auto body = json_input::parse_object(req.body);
        auto list = body.find("owners");
        if (list == body.end() || !list->is_array()) throw api_error(errors::invalid_field, "owners");
        std::vector<owner> owners;
        for (const auto& o : *list) {
            if (!o.is_object()) throw api_error(errors::invalid_field, "owners");
            owner w;
            if (auto u = json_input::optional_id(o, "user_id"); u && *u) w.user_id = **u;
            if (auto g = json_input::optional_id(o, "org_id"); g && *g) w.org_id = **g;
            w.role = json_input::optional_string(o, "role", 10).value_or("owner");
            owners.push_back(w);
        }
        json field;
        auto now = unix_now();
        co_await db_->write([&](db::connection& c) {
            service_->set_owners(c, id, owners, now);
            field = service_->field_json(c, id, true);
        });
        auto res = response::json(200, {{"field", field}});
        co_return res;
    }));

    // Fetch and parse without saving: what would be imported, or why not.
    r.add("POST", "/api/watch/sources/test", a.guard(access::signed_in, [this](request& req, const principal& p) -> asio::awaitable<response> {
        auto body = json_input::parse_object(req.body);
        auto url = clean_url(body);
        auto got = co_await fetch_now(url, p.account.id);
        json out;
        if (got.attempt.ok) {
            out = {{"ok", true}, {"feed", feed_preview(got)}};
        } else {
            out = {{"ok", false}, {"error", {{"code", got.attempt.error_code}, {"message", french_typography(got.attempt.error)}}}};
            if (!got.alternatives.empty()) {
                json alts = json::array();
                for (const auto& d : got.alternatives) alts.push_back({{"url", d.url}, {"title", d.title}, {"type", d.type}});
                out["feeds"] = alts;
            }
        }
        auto res = response::json(200, out);
        co_return res;
    }));

    // Images of feeds' content, relayed (watch.images = proxy): only signed URLs.
    r.add("GET", "/api/watch/image", a.guard(access::signed_in, [this](request& req, const principal&) -> asio::awaitable<response> {
        auto res = co_await images_->serve(req);
        co_return res;
    }));

    r.add("GET", "/api/watch/sources", a.guard(access::signed_in, [this](request&, const principal&) -> asio::awaitable<response> {
        json sources;
        co_await db_->read([&](db::connection& c) { sources = service_->sources_json(c); });
        auto res = response::json(200, {{"sources", sources}});
        co_return res;
    }));

    // Adds a source by URL: fetched and parsed first (an HTML page with one feed gives that
    // feed; with several, the caller chooses), then attached to the field.
    r.add("POST", "/api/watch/fields/{id}/sources", a.guard(access::signed_in, [this](request& req, const principal& p) -> asio::awaitable<response> {
        auto id = req.id_param("id");
        auto body = json_input::parse_object(req.body);
        auto url = clean_url(body);
        std::int64_t minutes = service_->opts().default_interval_s / 60;
        if (auto it = body.find("interval_minutes"); it != body.end() && !it->is_null()) {
            if (!it->is_number_integer() || it->get<std::int64_t>() < service_->opts().min_interval_s / 60 ||
                it->get<std::int64_t>() > 10080)
                throw api_error(errors::invalid_field, "interval_minutes");
            minutes = it->get<std::int64_t>();
        }
        bool allowed = false;
        co_await db_->read([&](db::connection& c) {
            service_->field_json(c, id, false);  // 404 for an unknown field
            allowed = service_->may_curate(c, id, p);
        });
        if (!allowed) throw api_error(errors::not_owner);
        auto got = co_await fetch_now(url, p.account.id);
        if (!got.attempt.ok && got.alternatives.size() == 1) {
            url = got.alternatives.front().url;
            auto again = co_await fetch_now(url, p.account.id);
            got = std::move(again);
        }
        if (!got.attempt.ok) {
            if (got.alternatives.size() > 1) {
                json alts = json::array();
                for (const auto& d : got.alternatives) alts.push_back({{"url", d.url}, {"title", d.title}, {"type", d.type}});
                auto res = response::json(422, {{"error", {{"code", errors::several_feeds.code},
                                                           {"message", french_typography(errors::several_feeds.message)},
                                                           {"field", "url"}}},
                                                {"feeds", alts}});
                co_return res;
            }
            throw api_error(got.attempt.error_code == "page_html" || got.attempt.error_code == "flux_illisible"
                                ? errors::not_a_feed
                                : errors::source_unreachable,
                            "url", got.attempt.error);
        }
        std::int64_t source = 0;
        json field;
        fetch_outcome reached;
        auto now = unix_now();
        auto by = p.account.id;
        auto final_url = got.final_url.empty() ? url : got.final_url;
        co_await db_->write([&](db::connection& c) {
            source = service_->add_source(c, id, final_url, got.parsed.title, got.parsed.link, got.parsed.format, minutes * 60,
                                          by, now);
            // The items just read go in at once: nobody waits for the next run.
            reached = service_->record_fetch(c, source, got.attempt, &got.parsed, now);
            field = service_->field_json(c, id, true);
        });
        announce_new(reached);
        auto res = response::json(201, {{"source_id", source}, {"field", field}});
        co_return res;
    }));

    // OPML: the field's sources for another reader, and a reader's list into the field.
    r.add("GET", "/api/watch/fields/{id}/opml", a.guard(access::signed_in, [this](request& req, const principal&) -> asio::awaitable<response> {
        auto id = req.id_param("id");
        std::vector<opml_feed> feeds;
        std::string name;
        co_await db_->read([&](db::connection& c) { feeds = service_->export_sources(c, id, name); });
        auto res = response::text(200, write_opml("Relais — veille « " + name + " »", feeds), "text/x-opml; charset=utf-8");
        res.header("Content-Disposition", "attachment; filename=\"veille-" + std::to_string(id) + ".opml\"");
        co_return res;
    }));

    // The file as is (application/octet-stream, like an attachment; or a JSON string in
    // {"opml"}), up to 4 MB, read only from a signed-in person.
    net::route_options upload;
    upload.body_max_bytes = 4 << 20;
    upload.raw_body = true;
    upload.admit_body = [this](const request& head) -> asio::awaitable<std::optional<std::string>> {
        auto who = co_await auth_->authenticate(head);
        if (!who) co_return std::nullopt;
        co_return "account:" + std::to_string(who->account.id);  // budgeted per account
    };
    r.add("POST", "/api/watch/fields/{id}/opml", a.guard(access::signed_in, [this](request& req, const principal& p) -> asio::awaitable<response> {
        auto id = req.id_param("id");
        bool allowed = false;
        co_await db_->read([&](db::connection& c) {
            service_->field_json(c, id, false);  // 404 for an unknown field
            allowed = service_->may_curate(c, id, p);
        });
        if (!allowed) throw api_error(errors::not_owner);
        if (interactive_->queued() > 8) throw api_error(errors::busy);
        std::string text;
        if (req.header("content-type").rfind("application/json", 0) == 0) {
            auto body = json_input::parse_object(req.body);
            text = json_input::required_string(body, "opml", 4 << 20);
        } else {
            text = std::move(req.body);
        }
        opml_list list;
        std::string problem;
        co_await interactive_->run([&] {
            try {
                list = parse_opml(text, max_opml_feeds);
            } catch (const parse_error& e) {
                problem = e.message();
            }
        });
        if (!problem.empty()) throw api_error(errors::not_opml, "opml", problem);
        // An address of this machine or its network is invalid here, as adding it by hand
        // is refused (the fetch would refuse it anyway).
        std::erase_if(list.feeds, [&](const opml_feed& f) {
            if (!fetcher_->names_internal_host(f.url)) return false;
            ++list.invalid;
            return true;
        });
        json counts;
        auto now = unix_now();
        auto by = p.account.id;
        co_await db_->write([&](db::connection& c) { counts = service_->import_sources(c, id, list.feeds, by, now); });
        jobs_->run_soon("watch.fetch");
        counts["outlines"] = list.outlines;
        counts["invalid"] = list.invalid;
        counts["beyond"] = list.beyond;
        counts["warnings"] = list.warnings;
        auto res = response::json(200, counts);
        co_return res;
    }), upload);

    // « Actualiser maintenant »: the source is due at once and the fetch job runs soon
    // (conditional GET with the validators it has; a Retry-After still in force is kept).
    r.add("POST", "/api/watch/sources/{id}/refresh", a.guard(access::animateur, [this](request& req, const principal&) -> asio::awaitable<response> {
        auto id = req.id_param("id");
        auto now = unix_now();
        co_await db_->write([&](db::connection& c) { service_->refresh_soon(c, id, now); });
        jobs_->run_soon("watch.fetch");
        auto res = response::json(202, {{"source_id", id}});
        co_return res;
    }));

    // A source renamed (its title is the feed's at first) or fetched at another interval.
    r.add("PATCH", "/api/watch/sources/{id}", a.guard(access::signed_in, [this](request& req, const principal& p) -> asio::awaitable<response> {
        auto id = req.id_param("id");
        auto body = json_input::parse_object(req.body);
        std::optional<std::string> title;
        if (json_input::has(body, "title")) title = json_input::required_line(body, "title", 200);
        std::optional<std::int64_t> interval_s;
        if (auto it = body.find("interval_minutes"); it != body.end()) {
            if (!it->is_number_integer() || it->get<std::int64_t>() < service_->opts().min_interval_s / 60 ||
                it->get<std::int64_t>() > 10080)
                throw api_error(errors::invalid_field, "interval_minutes");
            interval_s = it->get<std::int64_t>() * 60;
        }
        json source;
        auto now = unix_now();
        co_await db_->write([&](db::connection& c) {
            service_->update_source(c, id, p, title, interval_s, now);
            source = service_->source_json(c, id);
        });
        auto res = response::json(200, {{"source", source}});
        co_return res;
    }));

    r.add("DELETE", "/api/watch/fields/{id}/sources/{source_id}",
          a.guard(access::signed_in, [this](request& req, const principal& p) -> asio::awaitable<response> {
              auto id = req.id_param("id");
              auto source = req.id_param("source_id");
              co_await db_->write([&](db::connection& c) {
                  if (!service_->may_curate(c, id, p)) throw api_error(errors::not_owner);
                  service_->remove_source(c, id, source);
              });
              auto res = response::no_content();
              co_return res;
          }));

    // A link or a note posted by a member into a field's inbox.
    r.add("POST", "/api/watch/fields/{id}/items", a.guard(access::signed_in, [this](request& req, const principal& p) -> asio::awaitable<response> {
        auto id = req.id_param("id");
        auto body = json_input::parse_object(req.body);
        service::posted post;
        post.kind = json_input::required_string(body, "kind", 10);
        post.title = json_input::optional_line(body, "title", 300).value_or("");
        post.text = json_input::optional_string(body, "text", 5000).value_or("");
        if (post.kind == "link") {
            post.url = clean_url(body);
            if (post.title.empty() || post.text.empty()) {
                // The page's own title and description, when it can be read.
                auto url = post.url;
                page_meta meta;
                if (interactive_->queued() <= 8)
                    co_await interactive_->run([&] { meta = fetcher_->page(url); });
                if (post.title.empty()) post.title = meta.title.empty() ? post.url : cut(meta.title, 300);
                if (post.text.empty()) post.text = cut(meta.description, 5000);
            }
        } else if (post.kind != "note") {
            throw api_error(errors::invalid_field, "kind");
        }
        json field;
        std::int64_t item = 0;
        auto now = unix_now();
        auto by = p.account.id;
        std::string title;
        co_await db_->write([&](db::connection& c) {
            item = service_->post_item(c, id, post, by, now);
            title = service_->item_title(c, item);  // a link already known keeps its title
        });
        topics_->publish("watch:field:" + std::to_string(id), json{{"type", "watch.items"}, {"field", id}, {"new", 1}}.dump());
        auto res = response::json(201, {{"item_id", item}, {"title", title}});
        co_return res;
    }));

    r.add("GET", "/api/watch/fields/{id}/items", a.guard(access::signed_in, [this](request& req, const principal& p) -> asio::awaitable<response> {
        auto id = req.id_param("id");
        std::string state = "new";
        if (auto it = req.query.find("state"); it != req.query.end()) state = it->second;
        std::int64_t limit = 50, before = 0;
        auto number = [&](const char* name, std::int64_t& out) {
            auto it = req.query.find(name);
            if (it == req.query.end()) return;
            try {
                std::size_t used = 0;
                out = std::stoll(it->second, &used);
                if (used != it->second.size() || out < 0) throw std::invalid_argument(name);
            } catch (const std::exception&) {
                throw api_error(errors::invalid_field, name);
            }
        };
        number("limit", limit);
        number("before", before);
        if (req.query.count("before") && before < 1) throw api_error(errors::invalid_field, "before");  // an item id
        if (limit < 1 || limit > 200) throw api_error(errors::invalid_field, "limit");  // as documented: no silent clamp
        bool unread = false;
        if (auto it = req.query.find("unread"); it != req.query.end()) {
            if (it->second == "true" || it->second == "1") unread = true;
            else if (it->second != "false" && it->second != "0" && !it->second.empty()) throw api_error(errors::invalid_field, "unread");
        }
        json page;
        auto viewer = p.account.id;
        co_await db_->read([&](db::connection& c) { page = service_->inbox_json(c, id, state, limit, before, viewer, unread); });
        auto res = response::json(200, page);
        co_return res;
    }));

    r.add("POST", "/api/watch/fields/{id}/read", a.guard(access::signed_in, [this](request& req, const principal& p) -> asio::awaitable<response> {
        auto id = req.id_param("id");
        auto body = json_input::parse_object(req.body);
        auto state = json_input::optional_string(body, "state", 20).value_or("new");
        std::int64_t up_to = 0;
        if (auto it = body.find("up_to"); it != body.end() && !it->is_null()) {
            if (!it->is_number_integer() || it->get<std::int64_t>() < 1) throw api_error(errors::invalid_field, "up_to");
            up_to = it->get<std::int64_t>();
        }
        auto uid = p.account.id;
        auto now = unix_now();
        std::int64_t marked = 0;
        co_await db_->write([&](db::connection& c) { marked = service_->mark_all_read(c, id, state, uid, up_to, now); });
        auto res = response::json(200, {{"marked", marked}, {"state", state}});
        co_return res;
    }));

    r.add("POST", "/api/watch/fields/{id}/items/{item_id}",
          a.guard(access::signed_in, [this](request& req, const principal& p) -> asio::awaitable<response> {
              auto id = req.id_param("id");
              auto item = req.id_param("item_id");
              auto body = json_input::parse_object(req.body);
              json out;
              auto now = unix_now();
              auto by = p.account.id;
              std::vector<std::int64_t> told;
              service::retained kept;
              std::string was;
              co_await db_->write([&](db::connection& c) {
                  if (!service_->may_curate(c, id, p)) throw api_error(errors::not_owner);
                  out = service_->qualify(c, id, item, body, by, now, &was);
                  if (out["state"] != "kept") return;
                  kept = service_->retained_item(c, id, item);
                  // Followers are told (the bell; no e-mail: digests will carry them).
                  for (auto uid : service_->followers(c, id)) {
                      if (uid == by) continue;
                      notifier_->notify(c, uid,
                                        {"watch.kept", "Veille « " + kept.field_name + " » : " + cut(kept.title, 200),
                                         kept.summary, "/veille/champs/" + std::to_string(id) + "?etat=kept", false});
                      told.push_back(uid);
                  }
              });
              notifier_->push(told);
              if (out["state"] == "kept") {
                  topics_->publish("watch:field:" + std::to_string(id),
                                   json{{"type", "watch.kept"}, {"field", id}, {"item", item}}.dump());
                  // Filed in the library (kind "veille"), found by the same search; filed
                  // again, the same fiche gets a new version.
                  library::filing f;
                  f.origin = "watch:" + std::to_string(id) + ":" + std::to_string(item);
                  f.kind = "veille";
                  f.title = utf8_prefix(kept.title, 200);  // a fiche's title: at most 200 characters
                  f.summary = utf8_prefix(kept.summary.empty() ? kept.title : kept.summary, 600);  // as a fiche's
                  f.markdown = kept.markdown;
                  f.note = "Veille : " + kept.field_name;
                  try {
                      auto filed = co_await library_->file(f, p);
                      out["library"] = filed["item"];
                  } catch (const std::exception& e) {
                      log::error("watch_filing_failed", {{"field", id}, {"item", item}, {"what", e.what()}});
                  }
              } else if (was == "kept") {
                  // No longer retained: its library fiche is withdrawn (archived) with it.
                  try {
                      auto withdrawn = co_await library_->withdraw("watch:" + std::to_string(id) + ":" + std::to_string(item), p);
                      if (withdrawn.is_object()) out["library"] = withdrawn["item"];
                  } catch (const std::exception& e) {
                      log::error("watch_withdrawal_failed", {{"field", id}, {"item", item}, {"what", e.what()}});
                  }
              }
              auto res = response::json(200, {{"item", out}});
              co_return res;
          }));

    r.add("PUT", "/api/watch/fields/{id}/follow", a.guard(access::signed_in, [this](request& req, const principal& p) -> asio::awaitable<response> {
        auto id = req.id_param("id");
        auto body = json_input::parse_object(req.body);
        auto on = body.find("following");
        if (on == body.end() || !on->is_boolean()) throw api_error(errors::invalid_field, "following");
        bool following = on->get<bool>();
        auto now = unix_now();
        auto uid = p.account.id;
        co_await db_->write([&](db::connection& c) { service_->follow(c, id, uid, following, now); });
        auto res = response::json(200, {{"following", following}});
        co_return res;
    }));

    r.add("GET", "/api/watch/fields/{id}/rules", a.guard(access::signed_in, [this](request& req, const principal&) -> asio::awaitable<response> {
        auto id = req.id_param("id");
        json rules;
        co_await db_->read([&](db::connection& c) { rules = service_->rules_json(c, id); });
        auto res = response::json(200, {{"rules", rules}});
        co_return res;
    }));

    r.add("POST", "/api/watch/fields/{id}/rules", a.guard(access::signed_in, [this](request& req, const principal& p) -> asio::awaitable<response> {
        auto id = req.id_param("id");
        auto body = json_input::parse_object(req.body);
        auto keyword = json_input::required_line(body, "keyword", 100);
        auto action = json_input::required_string(body, "action", 10);
        // Also to what waits already (`"existing": false` leaves the inbox as it is).
        const bool existing = json_input::optional_bool(body, "existing").value_or(true);
        json rules;
        std::int64_t rule = 0, applied = 0;
        auto now = unix_now();
        auto by = p.account.id;
        co_await db_->write([&](db::connection& c) {
            if (!service_->may_curate(c, id, p)) throw api_error(errors::not_owner);
            rule = service_->add_rule(c, id, keyword, action, by, now);
            if (existing) applied = service_->apply_rule_to_inbox(c, id, keyword, action, now);
            rules = service_->rules_json(c, id);
        });
        auto res = response::json(201, {{"rule_id", rule}, {"rules", rules}, {"applied", applied}});
        co_return res;
    }));

    r.add("DELETE", "/api/watch/fields/{id}/rules/{rule_id}",
          a.guard(access::signed_in, [this](request& req, const principal& p) -> asio::awaitable<response> {
              auto id = req.id_param("id");
              auto rule = req.id_param("rule_id");
              co_await db_->write([&](db::connection& c) {
                  if (!service_->may_curate(c, id, p)) throw api_error(errors::not_owner);
                  service_->remove_rule(c, id, rule);
              });
              auto res = response::no_content();
              co_return res;
          }));

    r.add("GET", "/api/watch/fields/{id}/items/{item_id}/comments",
          a.guard(access::signed_in, [this](request& req, const principal&) -> asio::awaitable<response> {
              auto id = req.id_param("id");
              auto item = req.id_param("item_id");
              json list;
              co_await db_->read([&](db::connection& c) { list = service_->comments_json(c, id, item); });
              auto res = response::json(200, {{"comments", list}});
              co_return res;
          }));

    r.add("POST", "/api/watch/fields/{id}/items/{item_id}/comments",
          a.guard(access::signed_in, [this](request& req, const principal& p) -> asio::awaitable<response> {
              auto id = req.id_param("id");
              auto item = req.id_param("item_id");
              auto body = json_input::parse_object(req.body);
              auto text = json_input::required_string(body, "body", 8000);
              json list;
              auto now = unix_now();
              auto by = p.account.id;
              co_await db_->write([&](db::connection& c) {
                  service_->comment(c, id, item, by, text, now);
                  list = service_->comments_json(c, id, item);
              });
              auto res = response::json(201, {{"comments", list}});
              co_return res;
          }));

    // A person's reading: read / unread, favourite.
    r.add("POST", "/api/watch/items/{id}/mark", a.guard(access::signed_in, [this](request& req, const principal& p) -> asio::awaitable<response> {
        auto id = req.id_param("id");
        auto body = json_input::parse_object(req.body);
        std::optional<bool> read, favourite;
        if (auto it = body.find("read"); it != body.end()) {
            if (!it->is_boolean()) throw api_error(errors::invalid_field, "read");
            read = it->get<bool>();
        }
        if (auto it = body.find("favourite"); it != body.end()) {
            if (!it->is_boolean()) throw api_error(errors::invalid_field, "favourite");
            favourite = it->get<bool>();
        }
        if (!read && !favourite) throw api_error(errors::invalid_field, "read");
        auto now = unix_now();
        auto uid = p.account.id;
        co_await db_->write([&](db::connection& c) { service_->mark(c, id, uid, read, favourite, now); });
        json out = {{"item_id", id}};
        if (read) out["read"] = *read;
        if (favourite) out["favourite"] = *favourite;
        auto res = response::json(200, out);
        co_return res;
    }));

    r.add("GET", "/api/watch/favourites", a.guard(access::signed_in, [this](request&, const principal& p) -> asio::awaitable<response> {
        json items;
        auto uid = p.account.id;
        co_await db_->read([&](db::connection& c) { items = service_->favourites_json(c, uid); });
        auto res = response::json(200, {{"items", items}});
        co_return res;
    }));

    // ---- Digests (lettres de veille) and subscriptions ----
    r.add("POST", "/api/watch/digests/preview", a.guard(access::animateur, [this](request& req, const principal&) -> asio::awaitable<response> {
        auto body = json_input::parse_object(req.body);
        auto wanted = digest_of(body, unix_now());
        digest d;
        co_await db_->read([&](db::connection& c) {
            service_->check_fields(c, wanted.fields);
            d = compose_digest(c, wanted, public_url_, unsubscribe_link("JETON"));
        });
        auto res = response::json(200, {{"title", d.title}, {"items", d.items}, {"html", d.html}, {"text", d.text},
                                        {"markdown", d.markdown}});
        co_return res;
    }));

    // Composed, archived (and filed in the library), sent now to the subscribers of its fields.
    r.add("POST", "/api/watch/digests", a.guard(access::animateur, [this](request& req, const principal& p) -> asio::awaitable<response> {
        auto body = json_input::parse_object(req.body);
        auto now = unix_now();
        auto wanted = digest_of(body, now);
        bool send = false;
        if (auto it = body.find("send"); it != body.end()) {
            if (!it->is_boolean()) throw api_error(errors::invalid_field, "send");
            send = it->get<bool>();
        }
        std::int64_t id = 0, recipients = 0;
        digest archived;
        auto by = p.account.id;
        co_await db_->write([&](db::connection& c) {
            service_->check_fields(c, wanted.fields);
            archived = compose_digest(c, wanted, public_url_, "");
            if (archived.items == 0) throw api_error(errors::invalid_field, "from", "Rien n'a été retenu sur cette période : la lettre serait vide.");
            if (send) {
                auto link = [this](const std::string& token) { return unsubscribe_link(token); };
                for (auto& m : service_->composed_letters(c, wanted, public_url_, link))
                    if (outbox_->queue(c, {m.email, m.name, "[Relais] " + m.letter.title, m.letter.text, m.letter.html})) ++recipients;
            }
            id = service_->archive_digest(c, archived, wanted, recipients, by, now);
        });
        outbox_->wake();
        json out = {{"digest", {{"id", id}, {"title", archived.title}, {"items", archived.items}, {"recipients", recipients}}}};
        // Archived in the library too (kind "veille"), found by the same search.
        library::filing f;
        f.origin = "watch:digest:" + std::to_string(id);
        f.kind = "veille";
        f.title = utf8_prefix(archived.title, 200);
        f.summary = utf8_prefix(archived.intro.empty() ? archived.title : archived.intro, 600);
        f.markdown = archived.markdown;
        f.note = "Lettre de veille";
        try {
            auto filed = co_await library_->file(f, p);
            out["digest"]["library"] = filed["item"];
        } catch (const std::exception& e) {
            log::error("watch_filing_failed", {{"digest", id}, {"what", e.what()}});
        }
        auto res = response::json(201, out);
        co_return res;
    }));

    r.add("GET", "/api/watch/digests", a.guard(access::signed_in, [this](request&, const principal&) -> asio::awaitable<response> {
        json list;
        co_await db_->read([&](db::connection& c) { list = service_->digests_json(c); });
        auto res = response::json(200, {{"digests", list}});
        co_return res;
    }));

    r.add("GET", "/api/watch/digests/{id}", a.guard(access::signed_in, [this](request& req, const principal&) -> asio::awaitable<response> {
        auto id = req.id_param("id");
        json d;
        co_await db_->read([&](db::connection& c) { d = service_->digest_json(c, id); });
        auto res = response::json(200, {{"digest", d}});
        co_return res;
    }));

    r.add("GET", "/api/watch/subscription", a.guard(access::signed_in, [this](request&, const principal& p) -> asio::awaitable<response> {
        json out;
        auto uid = p.account.id;
        co_await db_->read([&](db::connection& c) { out = service_->subscription_json(c, uid); });
        auto res = response::json(200, out);
        co_return res;
    }));

    r.add("PUT", "/api/watch/subscription", a.guard(access::signed_in, [this](request& req, const principal& p) -> asio::awaitable<response> {
        auto body = json_input::parse_object(req.body);
        auto frequency = json_input::required_string(body, "frequency", 10);
        if (frequency != "none" && frequency != "weekly" && frequency != "monthly") throw api_error(errors::invalid_field, "frequency");
        auto fields = digest_of(json{{"field_ids", body.value("field_ids", json())}}, unix_now()).fields;
        if (frequency != "none" && !outbound::valid_email(p.account.email)) throw api_error(errors::invalid_field, "frequency");
        auto uid = p.account.id;
        auto now = unix_now();
        co_await db_->write([&](db::connection& c) { service_->set_subscription(c, uid, frequency, fields, now); });
        auto res = response::json(200, {{"frequency", frequency}, {"field_ids", fields}});
        co_return res;
    }));

    // The e-mail's one-click link: the token alone is enough (no session needed).
    r.add("POST", "/api/watch/unsubscribe", "anyone", [this](request& req) -> asio::awaitable<response> {
        auto body = json_input::parse_object(req.body);
        auto token = json_input::required_string(body, "token", 100);
        bool removed = false;
        co_await db_->write([&](db::connection& c) { removed = service_->unsubscribe(c, token); });
        if (!removed) throw api_error(errors::not_found);
        auto res = response::json(200, {{"unsubscribed", true}});
        co_return res;
    });

    r.add("GET", "/api/watch/coverage", a.guard(access::signed_in, [this](request&, const principal&) -> asio::awaitable<response> {
        json cov;
        auto now = unix_now();
        co_await db_->read([&](db::connection& c) { cov = service_->coverage_json(c, now); });
        auto res = response::json(200, cov);
        co_return res;
    }));
}

}  // namespace relais::watch
