// The expertise module: wiring (settings, seed, index source, reminders job) and routes.
// Rules are in service.cpp.
#include "expertise/module.hpp"

#include "auth/service.hpp"
#include "common/json_input.hpp"
#include "common/log.hpp"
#include "common/time.hpp"
#include "expertise/errors.hpp"
#include "expertise/service.hpp"
#include "indexing/indexer.hpp"
#include "indexing/source.hpp"
#include "library/catalogue.hpp"
#include "library/filer.hpp"
#include "notifications/notifier.hpp"
#include "platform/scheduler.hpp"
#include "platform/settings.hpp"
#include "reference/data.hpp"
#include "territory/territories.hpp"
#include "workshops/catalogue.hpp"

#include <fstream>
#include <map>
#include <set>

namespace relais::expertise {
namespace {

using net::request;
using net::response;
using auth::access;
using auth::principal;

std::string csv_cell(const std::string& s) {
    if (s.find_first_of(",;\"\n\r") == std::string::npos) return s;
    std::string out = "\"";
    for (char ch : s) out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
    return out + "\"";
}

/// The search documents of the directory: one per person who agreed to appear.
class people_source final : public indexing::source {
public:
    explicit people_source(const service& s) : service_(s) {}
    std::string_view type() const override { return "expertise"; }

    std::optional<search::document> document(db::connection& c, std::int64_t key) const override {
        auto p = service_.load(c, key);
        if (!p || !p->consent) return std::nullopt;
        viewer system;
        system.role = "admin";
        auto full = service_.person_json(c, system, key, unix_now());
        search::document d;
        d.id = indexing::doc_id("expertise", key);
        d.title = p->name;
        std::string org = full["org"].is_null() ? std::string() : full["org"]["name"].get<std::string>();
        d.summary = full["role"]["label"].get<std::string>() + (org.empty() ? "" : " — " + org);
        std::set<std::string> domains, referent, practice, departements, regions;
        for (const auto& e : full["entries"]) {
            auto code = e["domain"]["code"].get<std::string>();
            auto level = e["level"].get<std::string>();
            domains.insert(code);
            if (level == "referent") referent.insert(code);
            if (level != "notions") practice.insert(code);
            d.body += e["domain"]["label"].get<std::string>() + ". " + e["note"].get<std::string>() + "\n";
        }
        // Territory: the départements named, else the région's; the régions they make.
        std::vector<std::string> deps = p->departements;
        if (deps.empty())
            if (const auto* r = p->home_region().empty() ? nullptr : reference::find_region(p->home_region()))
                for (auto x : r->departements) deps.emplace_back(x);
        for (const auto& x : deps) {
            departements.insert(x);
            if (const auto* r = reference::region_of_departement(x)) regions.insert(std::string(r->code));
        }
        if (!p->home_region().empty()) regions.insert(p->home_region());
        for (const auto& t : full["territory"]["departements"]) d.body += t["name"].get<std::string>() + " ";
        if (!full["territory"]["region"].is_null()) d.body += full["territory"]["region"]["name"].get<std::string>();
        d.facets["domain"] = {domains.begin(), domains.end()};
        d.facets["referent"] = {referent.begin(), referent.end()};
        d.facets["practice"] = {practice.begin(), practice.end()};
        d.facets["departement"] = {departements.begin(), departements.end()};
        d.facets["region"] = {regions.begin(), regions.end()};
        d.facets["role"] = {p->role};
        if (p->org_id) d.facets["org"] = {std::to_string(*p->org_id)};
        // Who may find it: everyone, a région's members, an organisation's.
        if (p->audience == "network")
            d.facets["audience"] = {"network"};
        else if (p->audience == "region")
            d.facets["audience"] = {"region:" + p->home_region()};
        else
            d.facets["audience"] = {"org:" + std::to_string(p->org_id.value_or(0))};
        return d;
    }

    std::vector<std::int64_t> keys(db::connection& c) const override {
        std::vector<std::int64_t> out;
        auto s = c.prepare("SELECT id FROM expertise_people");
        while (s.step()) out.push_back(s.get_int(0));
        return out;
    }

    std::int64_t expected(db::connection& c) const override {
        auto s = c.prepare("SELECT count(*) FROM expertise_people WHERE consent = 1");
        s.step();
        return s.get_int(0);
    }

private:
    const service& service_;
};

class expertise_module final : public platform::module {
public:
    std::string_view name() const override { return "expertise"; }
    const std::vector<platform::migration>& migrations() const override { return expertise::migrations(); }
    std::vector<const error_def*> errors() const override { return errors::all(); }

    void declare(platform::settings& s) const override {
        s.integer("expertise.stale_after_months", 12, 1, 60,
                  "an expertise not confirmed for this long is shown as stale and its owner reminded");
        s.integer("expertise.remind_every_days", 30, 1, 365, "a stale expertise's owner is reminded at most this often");
    }

    void start(platform::context& ctx) override {
        const auto& cfg = ctx.cfg();
        db_ = &ctx.db();
        auth_ = &ctx.need<auth::service>();
        notifier_ = &ctx.need<notifications::notifier>();
        index_ = &ctx.index();
        indexer_ = &ctx.need<indexing::indexer>();
        options o;
        o.stale_after_s = cfg.get_int("expertise.stale_after_months") * 30 * 86400;
        o.remind_every_s = cfg.get_int("expertise.remind_every_days") * 86400;
        service_ = std::make_unique<service>(*auth_, o);
        service_->connect(&ctx.need<territory::territories>(), &ctx.need<workshops::catalogue>(), &ctx.need<library::catalogue>());
        filer_ = &ctx.need<library::filer>();
        source_ = std::make_unique<people_source>(*service_);
        indexer_->add_source(*source_);
    }

    void jobs(platform::scheduler& s) override {
        s.every("expertise.reminders", std::chrono::hours(24), [this] { remind(unix_now()); }, std::chrono::minutes(10));
    }

    std::string seed(db::connection& c, const std::filesystem::path& seed_dir) override {
        auto file = seed_dir / "expertise" / "domains.json";
        std::ifstream in(file);
        if (!in) return {};
        auto doc = json::parse(in, nullptr, false);
        if (doc.is_discarded() || !doc.contains("domains") || !doc["domains"].is_array() || !doc.contains("roles"))
            throw std::runtime_error("seed file invalid: " + file.string());
        int added = 0;
        auto now = unix_now();
        for (const auto& r : doc["roles"]) {
            bool known = c.prepare("SELECT 1 FROM expertise_roles WHERE code = ?1").bind(1, r.value("code", "")).step();
            if (known) continue;
            service_->add_role(c, r);
            ++added;
        }
        for (const auto& d : doc["domains"]) {
            bool known = false;
            {
                auto s = c.prepare("SELECT count(*) FROM expertise_domains WHERE code = ?1");
                s.bind(1, d.value("code", ""));
                s.step();
                known = s.get_int(0) > 0;
            }
            if (known) continue;  // kept as the administrators left it
            service_->add_domain(c, d, now);
            ++added;
        }
        return "domaines et rôles d'expertise ajoutés : " + std::to_string(added);
    }

    void routes(net::router& r) override;

private:
    /// The daily reminder: people whose entries went stale are asked to confirm them.
    void remind(std::int64_t now) {
        std::vector<std::int64_t> told;
        db_->write_sync([&](db::connection& c) {
            for (const auto& x : service_->take_reminders(c, now)) {
                std::string list;
                for (const auto& d : x.domains) list += (list.empty() ? "" : ", ") + d;
                notifications::notice n;
                n.kind = "expertise.stale";
                n.title = "Vos expertises sont-elles toujours d'actualité ?";
                n.body = "Sans confirmation depuis plus de " + std::to_string(service_->opts().stale_after_s / (30 * 86400)) +
                         " mois : " + list + ". Confirmez-les d'un clic, ou mettez-les à jour.";
                n.link = "/expertises/personnes/" + std::to_string(x.person_id);
                notifier_->notify(c, x.user_id, n);
                told.push_back(x.user_id);
            }
        });
        if (!told.empty()) notifier_->push(told);
    }

    json directory(db::connection& c, const viewer& v, const request& req) const;

    /// A notice (in the application and by e-mail) about a need to each of `who`.
    void tell(db::connection& c, const std::vector<std::int64_t>& who, const json& need, const std::string& title,
              const std::string& body) const {
        for (auto user : who) {
            notifications::notice n;
            n.kind = "expertise.need";
            n.title = title;
            n.body = body;
            n.link = "/expertises/besoins/" + std::to_string(need["id"].get<std::int64_t>());
            notifier_->notify(c, user, n);
        }
    }

    db::pool* db_ = nullptr;
    auth::service* auth_ = nullptr;
    notifications::notifier* notifier_ = nullptr;
    search::index* index_ = nullptr;
    indexing::indexer* indexer_ = nullptr;
    library::filer* filer_ = nullptr;
    std::unique_ptr<service> service_;
    std::unique_ptr<people_source> source_;
};

/// GET /api/expertise/people: the directory, from the search index (French analysis,
/// facets), within what the viewer may see.
json expertise_module::directory(db::connection& c, const viewer& v, const request& req) const {
    const auto param = [&](const char* name) {
        auto it = req.query.find(name);
        return it == req.query.end() ? std::string() : json_input::trim(it->second);
    };
    search::query q;
    q.text = param("q");
    if (q.text.size() > 300) throw api_error(errors::invalid_field, "q");
    q.filters["type"] = {"expertise"};
    if (!v.role.empty() && v.role != "admin") {
        q.filters["audience"] = {"network"};
        if (!v.region.empty()) q.filters["audience"].push_back("region:" + v.region);
        if (v.org_id) q.filters["audience"].push_back("org:" + std::to_string(*v.org_id));
    }
    const auto filter = [&](const char* param_name, const char* facet) {
        auto value = param(param_name);
        if (value.empty()) return;
        if (value.size() > 60) throw api_error(errors::invalid_field, param_name);
        q.filters[facet] = {value};
    };
    auto domain = param("domain");
    auto level = param("level");
    if (!domain.empty()) {
        if (!c.prepare("SELECT 1 FROM expertise_domains WHERE code = ?1").bind(1, domain).step()) throw api_error(errors::unknown_domain, "domain");
        q.filters[level == "referent" ? "referent" : level == "pratique" ? "practice" : "domain"] = {domain};
    } else if (!level.empty() && level != "notions") {
        throw api_error(errors::invalid_field, "level", "Choisissez un domaine pour filtrer par niveau.");
    }
    if (!level.empty() && level != "notions" && level != "pratique" && level != "referent") throw api_error(errors::invalid_field, "level");
    auto dep = param("departement");
    if (!dep.empty()) {
        if (!reference::region_of_departement(dep)) throw api_error(errors::unknown_territory, "departement");
        q.filters["departement"] = {dep};
    }
    auto region = param("region");
    if (!region.empty()) {
        if (!reference::find_region(region)) throw api_error(errors::unknown_territory, "region");
        q.filters["region"] = {region};
    }
    filter("org", "org");
    filter("role", "role");
    auto number = [&](const char* name, std::size_t def, std::size_t max) {
        auto text = param(name);
        if (text.empty()) return def;
        std::size_t n = 0;
        for (char ch : text) {
            if (ch < '0' || ch > '9' || n > 100000) throw api_error(errors::invalid_field, name);
            n = n * 10 + static_cast<std::size_t>(ch - '0');
        }
        return std::min(n, max);
    };
    q.limit = number("limit", 20, 100);
    q.offset = number("offset", 0, 10000);
    if (q.text.empty()) q.by_date = false;
    auto found = index_->search(q);
    // The cards from the map in memory (one read of its generation, one of the hits'
    // organisations), each checked again: the index may lag a withdrawal by a moment.
    auto f = service_->facts(c);
    std::vector<std::int64_t> org_ids;
    for (const auto& h : found.hits) {
        auto key = indexing::key_of("expertise", h.id);
        if (!key) continue;
        if (auto it = f->by_id.find(*key); it != f->by_id.end() && f->people[it->second].p.org_id)
            org_ids.push_back(*f->people[it->second].p.org_id);
    }
    auto orgs = auth_->orgs(c, org_ids);
    json people = json::array();
    const auto now = unix_now();
    for (const auto& h : found.hits) {
        auto key = indexing::key_of("expertise", h.id);
        if (!key) continue;
        auto it = f->by_id.find(*key);
        if (it == f->by_id.end()) continue;
        person p = f->people[it->second].p;
        if (p.org_id)
            if (auto o = orgs.find(*p.org_id); o != orgs.end() && o->second.region) p.org_region = *o->second.region;
        if (!p.consent || !may_see(v, p)) continue;
        auto card = service_->card(*f, *key, orgs, now);
        if (!card) continue;
        (*card)["snippet"] = h.snippet;
        people.push_back(std::move(*card));
    }
    json facets = json::object();
    for (const char* facet : {"domain", "referent", "departement", "region", "org", "role"}) {
        json counts = json::object();
        if (auto it = found.facets.find(facet); it != found.facets.end())
            for (const auto& [value, n] : it->second) {
                // The index keeps values in lower case: Corsica's départements are 2A and 2B.
                std::string key = value;
                if (std::string_view(facet) == "departement")
                    for (auto& ch : key) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
                counts[key] = n;
            }
        facets[facet] = counts;
    }
    return {{"people", people}, {"total", found.total}, {"facets", facets}, {"offset", q.offset}, {"limit", q.limit}};
}

void expertise_module::routes(net::router& r) {
    auto& a = *auth_;
    const auto viewer_for = [this](db::connection& c, const principal& p) { return service_->viewer_of(c, p.account.id); };

    r.add("GET", "/api/expertise/domains", a.guard(access::signed_in, [this](request&, const principal&) -> asio::awaitable<response> {
        json domains, roles;
        co_await db_->read([&](db::connection& c) {
            domains = service_->domains_json(c);
            roles = service_->roles_json(c);
        });
        json levels = json::array({{{"code", "notions"}, {"label", "Notions"}},
                                   {{"code", "pratique"}, {"label", "Pratique"}},
                                   {{"code", "referent"}, {"label", "Référent"}}});
        json scopes = json::array({{{"code", "local"}, {"label", "Local"}},
                                   {{"code", "regional"}, {"label", "Régional"}},
                                   {{"code", "national"}, {"label", "National"}}});
        auto res = response::json(200, {{"domains", domains}, {"roles", roles}, {"levels", levels}, {"scopes", scopes}});
        co_return res;
    }));

    r.add("POST", "/api/expertise/domains", a.guard(access::admin, [this](request& req, const principal&) -> asio::awaitable<response> {
        auto body = json_input::parse_object(req.body);
        auto now = unix_now();
        json domains;
        co_await db_->write([&](db::connection& c) {
            service_->add_domain(c, body, now);
            domains = service_->domains_json(c);
        });
        auto res = response::json(201, {{"domains", domains}});
        co_return res;
    }));

    r.add("POST", "/api/expertise/roles", a.guard(access::admin, [this](request& req, const principal&) -> asio::awaitable<response> {
        auto body = json_input::parse_object(req.body);
        json roles;
        co_await db_->write([&](db::connection& c) {
            service_->add_role(c, body);
            roles = service_->roles_json(c);
        });
        auto res = response::json(201, {{"roles", roles}});
        co_return res;
    }));

    r.add("GET", "/api/expertise/people", a.guard(access::signed_in, [this, viewer_for](request& req, const principal& p) -> asio::awaitable<response> {
        json out;
        co_await db_->read([&](db::connection& c) { out = directory(c, viewer_for(c, p), req); });
        auto res = response::json(200, out);
        co_return res;
    }));

    r.add("POST", "/api/expertise/people", a.guard(access::signed_in, [this, viewer_for](request& req, const principal& p) -> asio::awaitable<response> {
        auto body = json_input::parse_object(req.body);
        auto now = unix_now();
        json person;
        co_await db_->write([&](db::connection& c) {
            auto v = viewer_for(c, p);
            auto id = service_->create_person(c, v, body, now);
            person = service_->person_json(c, v, id, now);
        });
        indexer_->notify();
        auto res = response::json(201, {{"person", person}});
        co_return res;
    }));

    r.add("GET", "/api/expertise/me", a.guard(access::signed_in, [this, viewer_for](request&, const principal& p) -> asio::awaitable<response> {
        json person = nullptr;
        co_await db_->read([&](db::connection& c) {
            auto v = viewer_for(c, p);
            if (auto id = service_->person_of_user(c, v.user_id)) person = service_->person_json(c, v, *id, unix_now());
        });
        auto res = response::json(200, {{"person", person}});
        co_return res;
    }));

    r.add("GET", "/api/expertise/people/{id}", a.guard(access::signed_in, [this, viewer_for](request& req, const principal& p) -> asio::awaitable<response> {
        auto id = req.id_param("id");
        json person;
        co_await db_->read([&](db::connection& c) { person = service_->person_json(c, viewer_for(c, p), id, unix_now()); });
        auto res = response::json(200, {{"person", person}});
        co_return res;
    }));

    r.add("PATCH", "/api/expertise/people/{id}", a.guard(access::signed_in, [this, viewer_for](request& req, const principal& p) -> asio::awaitable<response> {
        auto id = req.id_param("id");
        auto body = json_input::parse_object(req.body);
        auto now = unix_now();
        json person;
        co_await db_->write([&](db::connection& c) {
            auto v = viewer_for(c, p);
            service_->update_person(c, v, id, body, now);
            person = service_->person_json(c, v, id, now);
        });
        indexer_->notify();
        auto res = response::json(200, {{"person", person}});
        co_return res;
    }));

    r.add("DELETE", "/api/expertise/people/{id}", a.guard(access::signed_in, [this, viewer_for](request& req, const principal& p) -> asio::awaitable<response> {
        auto id = req.id_param("id");
        co_await db_->write([&](db::connection& c) { service_->delete_person(c, viewer_for(c, p), id); });
        indexer_->notify();
        co_return response::no_content();
    }));

    r.add("PUT", "/api/expertise/people/{id}/entries/{domain}",
          a.guard(access::signed_in, [this, viewer_for](request& req, const principal& p) -> asio::awaitable<response> {
              auto id = req.id_param("id");
              auto domain = req.params.at("domain");
              auto body = json_input::parse_object(req.body);
              auto now = unix_now();
              json person;
              co_await db_->write([&](db::connection& c) {
                  auto v = viewer_for(c, p);
                  service_->set_entry(c, v, id, domain, body, now);
                  person = service_->person_json(c, v, id, now);
              });
              indexer_->notify();
              auto res = response::json(200, {{"person", person}});
              co_return res;
          }));

    r.add("DELETE", "/api/expertise/people/{id}/entries/{domain}",
          a.guard(access::signed_in, [this, viewer_for](request& req, const principal& p) -> asio::awaitable<response> {
              auto id = req.id_param("id");
              auto domain = req.params.at("domain");
              co_await db_->write([&](db::connection& c) { service_->remove_entry(c, viewer_for(c, p), id, domain); });
              indexer_->notify();
              co_return response::no_content();
          }));

    r.add("POST", "/api/expertise/people/{id}/confirm",
          a.guard(access::signed_in, [this, viewer_for](request& req, const principal& p) -> asio::awaitable<response> {
              auto id = req.id_param("id");
              auto body = req.body.empty() ? json::object() : json_input::parse_object(req.body);
              auto domain = json_input::optional_string(body, "domain", 40);
              auto now = unix_now();
              json person;
              co_await db_->write([&](db::connection& c) {
                  auto v = viewer_for(c, p);
                  service_->confirm(c, v, id, domain, now);
                  person = service_->person_json(c, v, id, now);
              });
              indexer_->notify();
              auto res = response::json(200, {{"person", person}});
              co_return res;
          }));

    r.add("POST", "/api/expertise/people/{id}/entries/{domain}/validation",
          a.guard(access::signed_in, [this, viewer_for](request& req, const principal& p) -> asio::awaitable<response> {
              auto id = req.id_param("id");
              auto domain = req.params.at("domain");
              auto body = json_input::parse_object(req.body);
              auto valid = json_input::optional_bool(body, "valid");
              if (!valid) throw api_error(errors::invalid_field, "valid");
              auto now = unix_now();
              json person;
              co_await db_->write([&](db::connection& c) {
                  auto v = viewer_for(c, p);
                  service_->validate(c, v, id, domain, *valid, now);
                  person = service_->person_json(c, v, id, now);
              });
              indexer_->notify();
              auto res = response::json(200, {{"person", person}});
              co_return res;
          }));

    // ---- Needs (besoins d'appui) ----
    r.add("POST", "/api/expertise/needs", a.guard(access::signed_in, [this, viewer_for](request& req, const principal& p) -> asio::awaitable<response> {
        auto body = json_input::parse_object(req.body);
        auto now = unix_now();
        json need;
        co_await db_->write([&](db::connection& c) {
            auto id = service_->create_need(c, viewer_for(c, p), body, now);
            need = service_->need_json(c, id);
        });
        auto res = response::json(201, {{"need", need}});
        co_return res;
    }));

    r.add("GET", "/api/expertise/needs", a.guard(access::signed_in, [this](request& req, const principal&) -> asio::awaitable<response> {
        auto state = req.query.contains("state") ? req.query.at("state") : std::string();
        json needs;
        co_await db_->read([&](db::connection& c) { needs = service_->needs_json(c, state); });
        auto res = response::json(200, {{"needs", needs}});
        co_return res;
    }));

    r.add("GET", "/api/expertise/needs/{id}", a.guard(access::signed_in, [this](request& req, const principal&) -> asio::awaitable<response> {
        auto id = req.id_param("id");
        json need;
        co_await db_->read([&](db::connection& c) { need = service_->need_json(c, id); });
        auto res = response::json(200, {{"need", need}});
        co_return res;
    }));

    r.add("GET", "/api/expertise/needs/{id}/proposals",
          a.guard(access::signed_in, [this, viewer_for](request& req, const principal& p) -> asio::awaitable<response> {
              auto id = req.id_param("id");
              json proposals;
              co_await db_->read([&](db::connection& c) { proposals = service_->proposals(c, viewer_for(c, p), id, unix_now(), 10); });
              auto res = response::json(200, {{"proposals", proposals}});
              co_return res;
          }));

    r.add("POST", "/api/expertise/needs/{id}/assign",
          a.guard(access::animateur, [this, viewer_for](request& req, const principal& p) -> asio::awaitable<response> {
              auto id = req.id_param("id");
              auto body = json_input::parse_object(req.body);
              auto person = json_input::optional_id(body, "person_id");
              if (!person || !*person) throw api_error(errors::invalid_field, "person_id");
              auto version = body.value("version", json()).is_number_integer() ? body["version"].get<std::int64_t>() : -1;
              auto now = unix_now();
              json need;
              std::vector<std::int64_t> told;
              co_await db_->write([&](db::connection& c) {
                  told = service_->assign(c, viewer_for(c, p), id, **person, version, now);
                  need = service_->need_json(c, id);
                  tell(c, told, need, "Un besoin d'appui vous concerne : « " + need["title"].get<std::string>() + " »",
                       "Attribué à " + need["assignee"]["name"].get<std::string>() + " (" + need["cpts"]["name"].get<std::string>() + ").");
              });
              if (!told.empty()) notifier_->push(told);
              auto res = response::json(200, {{"need", need}});
              co_return res;
          }));

    r.add("POST", "/api/expertise/needs/{id}/state",
          a.guard(access::signed_in, [this, viewer_for](request& req, const principal& p) -> asio::awaitable<response> {
              auto id = req.id_param("id");
              auto body = json_input::parse_object(req.body);
              auto state = json_input::required_string(body, "state", 20);
              auto version = body.value("version", json()).is_number_integer() ? body["version"].get<std::int64_t>() : -1;
              auto now = unix_now();
              json need;
              std::vector<std::int64_t> told;
              co_await db_->write([&](db::connection& c) {
                  told = service_->set_need_state(c, viewer_for(c, p), id, state, version, now);
                  need = service_->need_json(c, id);
                  static const std::map<std::string, std::string> words{{"open", "à nouveau ouvert"}, {"in_progress", "en cours"},
                                                                        {"done", "terminé"}, {"closed", "clos sans suite"}};
                  tell(c, told, need, "Besoin d'appui « " + need["title"].get<std::string>() + " » : " + words.at(state), "");
              });
              if (!told.empty()) notifier_->push(told);
              auto res = response::json(200, {{"need", need}});
              co_return res;
          }));

    // What a need becomes or points to.
    r.add("POST", "/api/expertise/needs/{id}/links",
          a.guard(access::signed_in, [this, viewer_for](request& req, const principal& p) -> asio::awaitable<response> {
              auto id = req.id_param("id");
              auto body = json_input::parse_object(req.body);
              auto kind = json_input::required_string(body, "kind", 20);
              auto ref = json_input::optional_id(body, "id");
              if (!ref || !*ref) throw api_error(errors::invalid_field, "id");
              auto now = unix_now();
              json need;
              co_await db_->write([&](db::connection& c) {
                  service_->add_link(c, viewer_for(c, p), id, kind, **ref, now);
                  need = service_->need_json(c, id);
              });
              auto res = response::json(200, {{"need", need}});
              co_return res;
          }));

    r.add("DELETE", "/api/expertise/needs/{id}/links/{kind}/{ref}",
          a.guard(access::signed_in, [this, viewer_for](request& req, const principal& p) -> asio::awaitable<response> {
              auto id = req.id_param("id");
              auto ref = req.id_param("ref");
              auto kind = req.params.at("kind");
              auto now = unix_now();
              json need;
              co_await db_->write([&](db::connection& c) {
                  service_->remove_link(c, viewer_for(c, p), id, kind, ref, now);
                  need = service_->need_json(c, id);
              });
              auto res = response::json(200, {{"need", need}});
              co_return res;
          }));

    r.add("GET", "/api/expertise/needs/{id}/workshop-draft",
          a.guard(access::animateur, [this](request& req, const principal&) -> asio::awaitable<response> {
              auto id = req.id_param("id");
              json draft;
              co_await db_->read([&](db::connection& c) { draft = service_->workshop_draft(c, id); });
              auto res = response::json(200, {{"draft", draft}});
              co_return res;
          }));

    r.add("GET", "/api/expertise/needs/{id}/testimony",
          a.guard(access::signed_in, [this, viewer_for](request& req, const principal& p) -> asio::awaitable<response> {
              auto id = req.id_param("id");
              json draft;
              co_await db_->read([&](db::connection& c) { draft = service_->testimony_draft(c, viewer_for(c, p), id); });
              auto res = response::json(200, {{"draft", draft}});
              co_return res;
          }));

    r.add("POST", "/api/expertise/needs/{id}/testimony",
          a.guard(access::signed_in, [this, viewer_for](request& req, const principal& p) -> asio::awaitable<response> {
              auto id = req.id_param("id");
              auto body = json_input::parse_object(req.body);
              library::filing f;
              co_await db_->read([&](db::connection& c) { f = service_->testimony_filing(c, viewer_for(c, p), id, body); });
              auto filed = co_await filer_->file(f, p);
              const auto item = filed["item"]["id"].get<std::int64_t>();
              auto now = unix_now();
              json need;
              co_await db_->write([&](db::connection& c) {
                  service_->record_testimony(c, viewer_for(c, p), id, item, now);
                  need = service_->need_json(c, id);
              });
              auto res = response::json(201, {{"item", filed["item"]}, {"need", need}});
              co_return res;
          }));

    r.add("GET", "/api/expertise/network", a.guard(access::signed_in, [this, viewer_for](request& req, const principal& p) -> asio::awaitable<response> {
        auto region = req.query.contains("region") ? req.query.at("region") : std::string();
        json n;
        co_await db_->read([&](db::connection& c) { n = service_->network(c, viewer_for(c, p), region, unix_now()); });
        auto res = response::json(200, n);
        co_return res;
    }));

    r.add("GET", "/api/expertise/matrix", a.guard(access::signed_in, [this, viewer_for](request& req, const principal& p) -> asio::awaitable<response> {
        auto by = req.query.contains("by") ? req.query.at("by") : std::string("organisation");
        auto region = req.query.contains("region") ? req.query.at("region") : std::string();
        const bool csv = req.query.contains("format") && req.query.at("format") == "csv";
        json m;
        co_await db_->read([&](db::connection& c) { m = service_->matrix(c, viewer_for(c, p), by, region, unix_now()); });
        if (!csv) {
            auto res = response::json(200, m);
            co_return res;
        }
        std::string out = "Domaine";
        for (const auto& col : m["columns"])
            out += ";" + csv_cell(col["label"].get<std::string>() + " (référents)") + ";" +
                   csv_cell(col["label"].get<std::string>() + " (pratique)");
        out += "\r\n";
        for (const auto& row : m["rows"]) {
            out += csv_cell(row["domain"]["label"].get<std::string>());
            for (const auto& cell : row["cells"])
                out += ";" + std::to_string(cell["referents"].get<int>()) + ";" + std::to_string(cell["practitioners"].get<int>());
            out += "\r\n";
        }
        auto res = response::text(200, "\xEF\xBB\xBF" + out, "text/csv; charset=utf-8");
        res.header("Content-Disposition", "attachment; filename=\"matrice-expertises.csv\"");
        co_return res;
    }));

    r.add("GET", "/api/expertise/gaps", a.guard(access::signed_in, [this, viewer_for](request& req, const principal& p) -> asio::awaitable<response> {
        auto region = req.query.contains("region") ? req.query.at("region") : std::string();
        const bool csv = req.query.contains("format") && req.query.at("format") == "csv";
        json g;
        co_await db_->read([&](db::connection& c) { g = service_->gaps(c, viewer_for(c, p), region, unix_now()); });
        if (!csv) {
            auto res = response::json(200, g);
            co_return res;
        }
        std::string out = "Constat;Domaine;Territoire ou personne;Détail\r\n";
        for (const auto& x : g["without_referent"]) {
            std::string deps;
            for (const auto& d : x["departements"]) deps += (deps.empty() ? "" : ", ") + d["name"].get<std::string>();
            out += "Sans référent;" + csv_cell(x["domain"]["label"].get<std::string>()) + ";" + csv_cell(deps) + ";\r\n";
        }
        for (const auto& x : g["single_referent"])
            out += "Un seul référent;" + csv_cell(x["domain"]["label"].get<std::string>()) + ";" +
                   csv_cell(x["person"]["name"].get<std::string>()) + ";\r\n";
        for (const auto& x : g["stale"])
            out += "À reconfirmer;" + csv_cell(x["domain"]["label"].get<std::string>()) + ";" +
                   csv_cell(x["person"]["name"].get<std::string>()) + ";" + csv_cell("confirmé le " + x["confirmed_at"].get<std::string>().substr(0, 10)) +
                   "\r\n";
        auto res = response::text(200, "\xEF\xBB\xBF" + out, "text/csv; charset=utf-8");
        res.header("Content-Disposition", "attachment; filename=\"lacunes-expertises.csv\"");
        co_return res;
    }));
}

}  // namespace

std::unique_ptr<platform::module> make_module() { return std::make_unique<expertise_module>(); }

}  // namespace relais::expertise
