// HTTP handlers of the expertise module: each reads its request, calls the rules of
// service.hpp on the database's threads and writes the response. Wiring: module.cpp.
#include "expertise/module_impl.hpp"

#include "auth/service.hpp"
#include "common/json_input.hpp"
#include "common/markup.hpp"
#include "common/time.hpp"
#include "expertise/errors.hpp"
#include "expertise/service.hpp"
#include "indexing/indexer.hpp"
#include "library/filer.hpp"
#include "notifications/notifier.hpp"

#include <map>

namespace relais::expertise {
namespace {

using net::request;
using net::response;
using auth::access;
using auth::principal;

/// A new need in one line for its notice: « CPTS du Ternois · urgent · Financement, Numérique ».
std::string need_summary(const json& need) {
    std::string line = need["cpts"]["name"].get<std::string>();
    const auto urgency = need.value("urgency", std::string("normale"));
    if (urgency == "prioritaire") line += " · prioritaire";
    if (urgency == "urgente") line += " · urgent";
    std::string domains;
    for (const auto& d : need["domains"]) domains += (domains.empty() ? "" : ", ") + d.value("label", std::string());
    if (!domains.empty()) line += " · " + domains;
    return line;
}

/// GET /api/expertise/people's parameters, trimmed and bounded (their codes are checked
/// by service::directory).
directory_query directory_query_of(const request& req) {
    const auto param = [&](const char* name) {
        auto it = req.query.find(name);
        return it == req.query.end() ? std::string() : json_input::trim(it->second);
    };
    const auto bounded = [&](const char* name, std::size_t max) {
        auto value = param(name);
        if (value.size() > max) throw api_error(errors::invalid_field, name);
        return value;
    };
    const auto number = [&](const char* name, std::size_t def, std::size_t min, std::size_t max) {
        auto text = param(name);
        if (text.empty()) return def;
        std::size_t n = 0;
        for (char ch : text) {
            if (ch < '0' || ch > '9' || n > 100000) throw api_error(errors::invalid_field, name);
            n = n * 10 + static_cast<std::size_t>(ch - '0');
        }
        if (n < min || n > max) throw api_error(errors::invalid_field, name);  // as documented: no silent clamp
        return n;
    };
    directory_query q;
    q.text = bounded("q", 300);
    q.domain = param("domain");
    q.level = param("level");
    q.departement = param("departement");
    q.region = param("region");
    q.org = bounded("org", 60);
    q.role = bounded("role", 60);
    q.limit = number("limit", 20, 1, 100);
    q.offset = number("offset", 0, 0, 10000);
    return q;
}

/// ?format=csv, or JSON (no format, or "json"); anything else is refused.
bool wants_csv(const request& req) {
    auto it = req.query.find("format");
    if (it == req.query.end() || it->second == "json") return false;
    if (it->second == "csv") return true;
    throw api_error(errors::invalid_field, "format");
}

}  // namespace

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
        auto q = directory_query_of(req);
        auto now = unix_now();
        co_await db_->read([&](db::connection& c) { out = service_->directory(c, *index_, viewer_for(c, p), q, now); });
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
        std::vector<std::int64_t> told;
        co_await db_->write([&](db::connection& c) {
            auto now = unix_now();
            for (auto need_id : service_->delete_person(c, viewer_for(c, p), id, now)) {
                // Who declared the need learns it is open again (not the one who deleted).
                auto need = service_->need_json(c, need_id, p.account.id);
                auto creator = need["created_by"].get<std::int64_t>();
                if (creator == p.account.id) continue;
                std::vector<std::int64_t> one{creator};
                tell(c, one, need, "Besoin d'appui « " + need["title"].get<std::string>() + " » : à nouveau ouvert",
                     "La personne à qui il était attribué n'est plus dans la cartographie.");
                told.push_back(creator);
            }
        });
        indexer_->notify();
        if (!told.empty()) notifier_->push(told);
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
        std::vector<std::int64_t> told;
        co_await db_->write([&](db::connection& c) {
            auto id = service_->create_need(c, viewer_for(c, p), body, now);
            need = service_->need_json(c, id, p.account.id);
            // The animateurs of its région (else all of them) learn that a CPTS asks for help.
            told = service_->need_watchers(c, id);
            tell(c, told, need, "Nouveau besoin d'appui : « " + need["title"].get<std::string>() + " »",
                 need_summary(need));
        });
        if (!told.empty()) notifier_->push(told);
        auto res = response::json(201, {{"need", need}});
        co_return res;
    }));

    r.add("GET", "/api/expertise/needs", a.guard(access::signed_in, [this](request& req, const principal& p) -> asio::awaitable<response> {
        auto state = req.query.contains("state") ? req.query.at("state") : std::string();
        json needs;
        co_await db_->read([&](db::connection& c) { needs = service_->needs_json(c, state, p.account.id); });
        auto res = response::json(200, {{"needs", needs}});
        co_return res;
    }));

    r.add("GET", "/api/expertise/needs/{id}", a.guard(access::signed_in, [this](request& req, const principal& p) -> asio::awaitable<response> {
        auto id = req.id_param("id");
        json need;
        co_await db_->read([&](db::connection& c) { need = service_->need_json(c, id, p.account.id); });
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
                  need = service_->need_json(c, id, p.account.id);
                  tell(c, told, need, "Un besoin d'appui vous concerne : « " + need["title"].get<std::string>() + " »",
                       "Attribué à " + need["assignee"]["name"].get<std::string>() + ", pour la " + need["cpts"]["name"].get<std::string>() + ".");
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
                  need = service_->need_json(c, id, p.account.id);
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
                  need = service_->need_json(c, id, p.account.id);
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
                  need = service_->need_json(c, id, p.account.id);
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
                  need = service_->need_json(c, id, p.account.id);
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
        const bool csv = wants_csv(req);
        json m;
        co_await db_->read([&](db::connection& c) { m = service_->matrix(c, viewer_for(c, p), by, region, unix_now()); });
        if (!csv) {
            auto res = response::json(200, m);
            co_return res;
        }
        std::string out = "Domaine";
        for (const auto& col : m["columns"])
            out += ";" + csv_field(col["label"].get<std::string>() + " (référents)") + ";" +
                   csv_field(col["label"].get<std::string>() + " (pratique)");
        out += "\r\n";
        for (const auto& row : m["rows"]) {
            out += csv_field(row["domain"]["label"].get<std::string>());
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
        const bool csv = wants_csv(req);
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
            out += "Sans référent;" + csv_field(x["domain"]["label"].get<std::string>()) + ";" + csv_field(deps) + ";\r\n";
        }
        for (const auto& x : g["single_referent"])
            out += "Un seul référent;" + csv_field(x["domain"]["label"].get<std::string>()) + ";" +
                   csv_field(x["person"]["name"].get<std::string>()) + ";\r\n";
        for (const auto& x : g["stale"])
            out += "À reconfirmer;" + csv_field(x["domain"]["label"].get<std::string>()) + ";" +
                   csv_field(x["person"]["name"].get<std::string>()) + ";" + csv_field("confirmé le " + x["confirmed_at"].get<std::string>().substr(0, 10)) +
                   "\r\n";
        auto res = response::text(200, "\xEF\xBB\xBF" + out, "text/csv; charset=utf-8");
        res.header("Content-Disposition", "attachment; filename=\"lacunes-expertises.csv\"");
        co_return res;
    }));
}

}  // namespace relais::expertise
