#include "library/service.hpp"

#include "auth/territory.hpp"
#include "library/errors.hpp"
#include "common/json_input.hpp"
#include "common/log.hpp"
#include "common/time.hpp"
#include "common/utf8.hpp"
#include "library/detail.hpp"
#include "library/extract.hpp"

#include <algorithm>
#include <charconv>
#include <regex>

namespace relais::library {
namespace detail {

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
    if (!std::regex_match(d, re)) return false;
    // A day the month has (30 février is not a date; 29 février only in leap years).
    const int y = std::stoi(d.substr(0, 4)), m = std::stoi(d.substr(5, 2)), day = std::stoi(d.substr(8, 2));
    const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return day <= days[m - 1] + (m == 2 && leap ? 1 : 0);
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
    return r ? std::string(r->label) : std::string();
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

std::int64_t reviewed_version(const json& body) {
    auto v = body.find("version");
    if (v == body.end() || !v->is_number_integer() || v->get<std::int64_t>() < 1) throw api_error(errors::invalid_field, "version");
    return v->get<std::int64_t>();
}

// The last version sent back, as {"version","note","at"} (ISO 8601), or null.
json sent_back_json(const std::string& stored) {
    auto j = json::parse(stored, nullptr, false);
    if (stored.empty() || !j.is_object() || !j["at"].is_number_integer()) return nullptr;
    return {{"version", j["version"]}, {"note", j["note"]}, {"at", to_iso8601(j["at"].get<std::int64_t>())}};
}

json listed_json(const store::listed& l) {
    return {{"id", l.it.id},         {"kind", l.it.kind},       {"state", l.it.state},
            {"title", l.title},      {"summary", l.summary},    {"version", l.version},
            {"published_version", l.it.published_version ? json(*l.it.published_version) : json(nullptr)},
            {"archived", l.it.archived}, {"review_note", l.it.review_note}, {"updated_at", to_iso8601(l.it.updated_at)},
            {"author_name", l.author_name}, {"org_name", l.it.org_name ? json(*l.it.org_name) : json(nullptr)},
            {"saved_by", l.saved_by && !l.saved_by_name.empty() ? json{{"id", *l.saved_by}, {"name", l.saved_by_name}} : json(nullptr)},
            {"saved_at", to_iso8601(l.saved_at)}, {"sent_back", sent_back_json(l.sent_back)}};
}

}  // namespace detail
using namespace detail;

service::service(db::pool& db, auth::service& auth, worker_pool& cpu, worker_pool& extraction, search::index& idx, indexing::indexer& ix,
                 blobs& files, notifications::notifier& notifier, options opts)
    : db_(db), auth_(auth), cpu_(cpu), extraction_(extraction), index_(idx), indexer_(ix), files_(files), notifier_(notifier),
      opts_(opts), searching_(opts.searches_per_address) {}

void service::publish_version(db::connection& c, std::int64_t item_id, std::int64_t version, std::int64_t by, std::int64_t now) {
    auto it = store::find_item(c, item_id);
    if (!it) throw api_error(errors::not_found);
    if (it->state == "published" && it->published_version == it->latest_version) throw api_error(errors::review_state);
    if (version != it->latest_version || !store::publish(c, item_id, version, by, now)) throw api_error(errors::item_changed, "version");
}

void service::send_back(db::connection& c, std::int64_t item_id, std::int64_t version, const std::string& note, std::int64_t by,
                        std::int64_t now) {
    auto it = store::find_item(c, item_id);
    if (!it) throw api_error(errors::not_found);
    if (it->state != "pending") throw api_error(errors::review_state);
    if (version != it->latest_version || !store::reject(c, item_id, version, note, by, now))
        throw api_error(errors::item_changed, "version");
}

std::vector<std::int64_t> service::tell_reviewers(db::connection& c, const item& it, const std::string& title, std::int64_t by) {
    std::vector<std::int64_t> told;
    auto author = auth_.find_user(c, by);
    notifications::notice n;
    n.kind = "library.submitted";
    n.title = "Fiche à relire : « " + title + " »";
    n.body = (author ? author->name : std::string("Quelqu'un")) + " a proposé " +
             (it.latest_version > 1 ? "une nouvelle version de cette fiche." : "cette fiche.") +
             " Elle attend une relecture avant d'être publiée.";
    n.link = "/bibliotheque/" + std::to_string(it.id);
    for (const auto& u : auth_.users_with_roles(c, {"animateur", "admin"})) {
        if (u.id == by) continue;
        notifier_.notify(c, u.id, n);
        told.push_back(u.id);
    }
    return told;
}

std::vector<std::int64_t> service::tell_author(db::connection& c, std::int64_t item_id, bool published, const std::string& note,
                                               std::int64_t by, bool edited, bool was_online) {
    // Reviewed, by whoever did it: the other reviewers' « Fiche à relire » are done too.
    auto settled = notifier_.settle(c, "library.submitted", "/bibliotheque/" + std::to_string(item_id));
    auto told = tell_author_only(c, item_id, published, note, by, edited, was_online);
    told.insert(told.end(), settled.begin(), settled.end());
    return told;
}

std::vector<std::int64_t> service::tell_author_only(db::connection& c, std::int64_t item_id, bool published, const std::string& note,
                                                    std::int64_t by, bool edited, bool was_online) {
    auto it = store::find_item(c, item_id);
    if (!it || !it->author_id || *it->author_id == by) return {};
    auto v = store::version(c, it->id, it->latest_version);
    std::string title = v ? v->title : std::string("votre fiche");
    notifications::notice n;
    n.kind = published ? "library.published" : "library.changes_requested";
    n.title = published ? "Votre fiche « " + title + " » est publiée" : "Votre fiche « " + title + " » est à reprendre";
    if (published && edited && was_online) {
        // Already online, changed by a reviewer: said as a change, with who made it.
        // Who wrote that version may not be who published it (a reviewer's version
        // published apart by another): both named then.
        const auto number = it->published_version.value_or(it->latest_version);
        std::optional<std::int64_t> writer_id;
        for (const auto& x : store::versions(c, it->id))
            if (x.version == number) writer_id = x.created_by;
        auto publisher = auth_.find_user(c, by);
        auto writer = writer_id ? auth_.find_user(c, *writer_id) : std::nullopt;
        const std::string publisher_name = publisher ? publisher->name : std::string("Un relecteur");
        n.title = "Votre fiche « " + title + " » a été modifiée";
        if (writer && writer->id != by)
            n.body = writer->name + " a écrit une nouvelle version (version " + std::to_string(number) + "), publiée par " +
                     publisher_name + ". L'historique des versions, sur la fiche, montre ce qui a changé.";
        else
            n.body = publisher_name + " a publié une nouvelle version (version " + std::to_string(number) +
                     ") avec ses modifications. L'historique des versions, sur la fiche, montre ce qui a changé.";
        n.link = "/bibliotheque/" + std::to_string(it->id);
        notifier_.notify(c, *it->author_id, n);
        return {*it->author_id};
    }
    n.body = !published ? "Le relecteur demande des modifications :\n" + note
             : edited   ? "Le relecteur l'a publiée avec ses modifications ; elle est désormais visible par tout le réseau dans "
                          "la bibliothèque."
                        : "Elle est désormais visible par tout le réseau dans la bibliothèque.";
    n.link = "/bibliotheque/" + std::to_string(it->id);
    notifier_.notify(c, *it->author_id, n);
    return {*it->author_id};
}

std::size_t service::sweep_orphan_files() {
    std::vector<std::string> orphans;
    db_.read_sync([&](db::connection& c) { orphans = store::orphan_files(c, unix_now() - 86400); });
    for (const auto& d : orphans) {
        db_.write_sync([&](db::connection& c) { store::delete_file(c, d); });
        files_.remove(d);
    }
    return orphans.size();
}

asio::awaitable<json> service::file(const filing& f, const auth::principal& by) {
    if (f.origin.empty() || f.origin.size() > 100 || f.origin.find(':') == std::string::npos || !is_code(kinds(), f.kind))
        throw std::invalid_argument("library::filer: bad origin or kind");
    content c;
    c.title = f.title;
    c.summary = f.summary;
    c.body = f.markdown;
    c.phases = f.phases;
    c.author_name = by.account.name;
    c.date = today();
    c.note = f.note;
    const bool publish = is_reviewer(by);
    item it;
    std::vector<std::int64_t> told;
    co_await db_.write([&](db::connection& conn) {
        auto now = unix_now();
        if (auto existing = store::item_by_origin(conn, f.origin)) {
            it = *store::find_item(conn, *existing);
            store::add_version(conn, it, c, publish, by.account.id, now);
            // Withdrawn (archived) before: filed again, it is back.
            if (it.archived) {
                store::set_archived(conn, it.id, false, by.account.id, now);
                it.archived = false;
            }
        } else {
            it.kind = f.kind;
            it.state = publish ? "published" : "pending";
            it.author_id = by.account.id;
            it.org_id = by.account.org_id;
            it.origin = f.origin;
            store::create_item(conn, it, c, by.account.id, now);
        }
        if (!publish) told = tell_reviewers(conn, it, c.title, by.account.id);
    });
    indexer_.notify();
    notifier_.push(told);
    log::info("library_filed", {{"item", it.id}, {"origin", f.origin}, {"state", it.state}});
    json out = {{"item", {{"id", it.id}, {"state", it.state}, {"version", it.latest_version}}}};
    co_return out;
}

asio::awaitable<json> service::withdraw(const std::string& origin, const auth::principal& by) {
    std::optional<std::int64_t> id;
    bool changed = false;
    co_await db_.write([&](db::connection& conn) {
        id = store::item_by_origin(conn, origin);
        if (!id) return;
        auto it = store::find_item(conn, *id);
        if (!it || it->archived) return;
        store::set_archived(conn, *id, true, by.account.id, unix_now());
        changed = true;
    });
    if (!id) co_return json(nullptr);
    if (changed) {
        indexer_.notify();
        log::info("library_withdrawn", {{"item", *id}, {"origin", origin}});
    }
    json out = {{"item", {{"id", *id}, {"archived", true}}}};
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
    item named = it;
    co_await db_.read([&](db::connection& c) {
        v = store::version(c, it.id, shown);
        if (latest_ok) {
            history = store::versions(c, it.id);
            store::name_people(c, auth_, history);
        }
        store::name_org(c, auth_, named);
    });
    if (!v) throw api_error(errors::not_found);
    std::map<std::string, json> metas;
    co_await db_.read([&](db::connection& c) {
        for (const auto& a : v->attachments)
            if (auto f = store::file(c, a.sha256)) {
                auto m = json::parse(f->meta, nullptr, false);
                metas[a.sha256] = m.is_object() ? m : json::object();
            }
    });
    json attachments = json::array();
    for (const auto& a : v->attachments) {
        const auto base = "/api/library/items/" + std::to_string(it.id) + "/files/" + a.sha256;
        const auto at_version = "?version=" + std::to_string(shown);
        const auto kind = file_kind(a.mime);
        const auto& meta = metas.count(a.sha256) ? metas[a.sha256] : json::object();
        json entry = {{"sha256", a.sha256}, {"name", a.name}, {"mime", a.mime}, {"size", a.size}, {"kind", kind},
                      {"url", base + at_version}, {"outline", meta.value("outline", json::array())},
                      {"pages", meta.contains("pages") ? meta["pages"] : json(nullptr)}};
        // PDFs stored before thumbnails existed get theirs drawn on first request.
        if (kind == "pdf" || (kind == "image" && meta.value("preview", false))) {
            entry["preview"] = base + "/preview.png" + at_version;
            entry["preview_alt"] = kind == "pdf" ? "Aperçu de la première page de « " + a.name + " »"
                                                 : "Aperçu de l’image « " + a.name + " »";
        }
        if (kind == "pdf") entry["pages_url"] = base + "/pages/";
        if (meta.contains("width")) {
            entry["width"] = meta["width"];
            entry["height"] = meta["height"];
        }
        attachments.push_back(std::move(entry));
    }
    json hist = json::array();
    for (const auto& h : history)
        hist.push_back({{"version", h.version}, {"title", h.title}, {"note", h.note}, {"by", h.created_by_name},
                        {"at", to_iso8601(h.created_at)},
                        {"published", it.published_version && *it.published_version == h.version},
                        {"sent_back", h.reviewed_at ? json{{"note", h.review_note}, {"at", to_iso8601(*h.reviewed_at)}} : json(nullptr)}});
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
                 {"organisation", named.org_name ? json{{"id", *named.org_id}, {"name", *named.org_name},
                                                        {"type", named.org_type.value_or("")}}
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
    c.title = json_input::required_line(body, "title", 200);
    c.summary = json_input::required_string(body, "summary", 600);
    c.body = json_input::required_string(body, "body", 100000);
    c.phases = code_list(body, "phases", phases());
    c.missions = code_list(body, "missions", missions());
    if (auto r = json_input::optional_string(body, "region", 10)) {
        if (!auth::find_region(*r)) throw api_error(errors::invalid_field, "region");
        c.region = *r;
    }
    c.author_name = json_input::optional_line(body, "author_name", 120).value_or(p.account.name);
    c.date = json_input::optional_string(body, "date", 10).value_or(today());
    if (!valid_date(c.date)) throw api_error(errors::invalid_field, "date");
    // The date of what the fiche tells (a testimony's, a tool's version): not to come. A day
    // of margin for whoever writes past midnight in another time zone.
    if (c.date > to_iso8601(unix_now() + 86400).substr(0, 10))
        throw api_error(errors::invalid_field, "date", "La date d’une fiche ne peut pas être à venir.");
    c.note = json_input::optional_string(body, "note", 300).value_or("");
    auto at = body.find("attachments");
    if (at != body.end() && !at->is_null()) {
        if (!at->is_array() || at->size() > 10) throw api_error(errors::invalid_field, "attachments");
        for (const auto& a : *at) {
            if (!a.is_object()) throw api_error(errors::invalid_field, "attachments");
            auto sha = a.value("sha256", std::string());
            if (!blobs::is_digest(sha)) throw api_error(errors::invalid_field, "attachments");
            // Any fault of an attachment's name names the list, whichever check finds it.
            std::string name;
            try {
                name = json_input::required_line(a, "name", 200);
                checked_extension(name);
            } catch (const api_error& e) {
                throw api_error(e.def(), "attachments", std::string(e.message()));
            }
            // One file, one attachment: the same file under two names would download
            // under one of them only.
            for (const auto& earlier : c.attachments)
                if (earlier.sha256 == sha)
                    throw api_error(errors::invalid_field, "attachments",
                                    "Ce fichier est déjà joint sous le nom « " + earlier.name + " » : un même fichier n'est joint qu'une fois.");
            c.attachments.push_back({sha, name, "", 0});
            digests.push_back(sha);
        }
    }
    return c;
}

service::extraction_slot::extraction_slot(service& svc, std::int64_t user) : svc_(svc), user_(user) {
    std::lock_guard lock(svc_.extracting_mutex_);
    if (user_ != 0 && svc_.extracting_.count(user_) && svc_.extracting_[user_] >= svc_.opts_.extractions_per_user)
        throw api_error(errors::rate_limited, {}, "Vos fichiers précédents sont encore en cours d'analyse : réessayez dans un instant.");
    if (svc_.extracting_total_ >= svc_.opts_.extractions_waiting) throw api_error(errors::unavailable);
    if (user_ != 0) ++svc_.extracting_[user_];
    ++svc_.extracting_total_;
}

service::extraction_slot::~extraction_slot() {
    std::lock_guard lock(svc_.extracting_mutex_);
    if (user_ != 0)
        if (auto it = svc_.extracting_.find(user_); it != svc_.extracting_.end() && --it->second == 0) svc_.extracting_.erase(it);
    --svc_.extracting_total_;
}

asio::awaitable<attachment> service::visible_attachment(request& req, const principal& p) {
    const auto id = req.id_param("id");
    auto it = co_await visible_item(id, p);
    const auto sha = req.params.at("sha256");
    if (!blobs::is_digest(sha)) throw api_error(errors::not_found);
    const bool latest_ok = may_read_latest(p, it);
    auto version = latest_ok ? it.latest_version : it.published_version.value_or(0);
    if (query_param(req, "version")) {
        auto asked = int_param(req, "version", 1, 1, 1000000, errors::invalid_field);
        if (asked > it.latest_version || (!latest_ok && asked != version)) throw api_error(errors::not_found);
        version = asked;
    }
    std::optional<content> v;
    co_await db_.read([&](db::connection& c) { v = store::version(c, id, version); });
    if (!v) throw api_error(errors::not_found);
    auto a = std::find_if(v->attachments.begin(), v->attachments.end(), [&](const attachment& x) { return x.sha256 == sha; });
    if (a == v->attachments.end()) throw api_error(errors::not_found);
    attachment found = *a;
    co_return found;
}

asio::awaitable<rendered_page> service::pdf_page(const std::string& sha, int page, int width, std::int64_t user) {
    const auto png_name = "page-" + std::to_string(page) + "-w" + std::to_string(width) + ".png";
    const auto text_name = "page-" + std::to_string(page) + ".json";
    rendered_page out;
    bool cached = false;
    co_await cpu_.run([&] {
        auto png = files_.get_derived(sha, png_name);
        auto info = files_.get_derived(sha, text_name);
        if (!png || !info) return;
        auto j = json::parse(*info, nullptr, false);
        if (!j.is_object()) return;
        out.png = std::move(*png);
        out.text = j.value("text", "");
        out.pages = j.value("pages", 0);
        // The size of this drawing (the page's text is shared by every width): the PNG's
        // own header (IHDR: width and height, big-endian, at bytes 16 and 20).
        const auto be32 = [&](std::size_t at) {
            int v = 0;
            for (std::size_t k = 0; k < 4; ++k) v = (v << 8) | static_cast<unsigned char>(out.png[at + k]);
            return v;
        };
        if (out.png.size() < 24) return;
        out.width = be32(16);
        out.height = be32(20);
        cached = true;
    });
    if (cached) co_return out;
    // Drawn by a child process, like an upload's extraction, and counted with them.
    extraction_slot slot(*this, user);
    std::exception_ptr failure;
    co_await extraction_.run([&] {
        try {
            auto pdf = files_.get(sha);
            out = render_page_isolated(opts_.extraction, pdf, page, width);
            files_.put_derived(sha, png_name, out.png);
            json info = {{"text", out.text}, {"pages", out.pages}, {"width", out.width}, {"height", out.height}};
            files_.put_derived(sha, text_name, info.dump());
        } catch (const api_error&) {
            failure = std::current_exception();
        } catch (const std::exception&) {
            failure = std::make_exception_ptr(api_error(errors::not_found));
        }
    });
    if (failure) std::rethrow_exception(failure);
    co_return out;
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

}  // namespace relais::library
