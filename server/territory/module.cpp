// The territory module (« Territoire d'une CPTS »): the communes of France with their
// municipal populations (npm package @etalab/decoupage-administratif, imported into SQLite
// at start), search as you type, the summary of a prospective CPTS's territory
// (population, size, seed funding, départements, régions, overlaps with the CPTS already
// recorded), the territory saved with a CPTS organisation, CSV exports. API under
// /api/territory (docs/api.md); the page is « Territoire d'une CPTS ».
#include "territory/module.hpp"

#include "auth/service.hpp"
#include "common/json_input.hpp"
#include "common/log.hpp"
#include "common/time.hpp"
#include "common/utf8.hpp"
#include "platform/settings.hpp"
#include "territory/errors.hpp"
#include "territory/service.hpp"
#include "territory/sizing.hpp"
#include "territory/territories.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

namespace relais::territory {
namespace {

using auth::access;
using auth::principal;
using net::request;
using net::response;
using json = nlohmann::json;

constexpr std::size_t max_query_chars = 100;
constexpr std::size_t default_results = 20;
constexpr std::size_t max_results = 50;
constexpr const char* package_name = "@etalab/decoupage-administratif";

std::string read_text(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) return {};
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

/// "59350,59009" (a query parameter) as the JSON list parse_codes reads.
json codes_from_query(const std::string& text) {
    json list = json::array();
    std::size_t i = 0;
    while (i <= text.size()) {
        auto comma = text.find(',', i);
        if (comma == std::string::npos) comma = text.size();
        auto part = json_input::trim(std::string_view(text).substr(i, comma - i));
        if (!part.empty()) list.push_back(part);
        i = comma + 1;
        if (list.size() > 20000) break;
    }
    return json{{"communes", list}};
}

class territory_module final : public platform::module, public territories {
public:
    std::string_view name() const override { return "territory"; }
    const std::vector<platform::migration>& migrations() const override { return territory::migrations(); }
    std::vector<const error_def*> errors() const override { return errors::all(); }

    void declare(platform::settings& s) const override {
        s.text("territory.package_dir", "", {},
               "folder of the npm package @etalab/decoupage-administratif (empty: seed-content/territory/node_modules/...)");
        s.integer("territory.max_communes", 1000, 10, 10000, "the most communes a territory may have");
    }

    void start(platform::context& ctx) override {
        db_ = &ctx.db();
        auth_ = &ctx.need<auth::service>();
        // A CPTS's saved territory is the organisation's: not lost with it.
        auth_->add_org_usage([](db::connection& c, std::int64_t org, bool) {
            std::vector<std::string> out;
            auto s = c.prepare("SELECT count(*) FROM territory_cpts_communes WHERE org_id = ?1");
            s.bind(1, org);
            s.step();
            auto n = s.get_int(0);
            if (n > 0) out.push_back("son territoire (" + std::to_string(n) + (n > 1 ? " communes)" : " commune)"));
            return out;
        });
        dir_ = &ctx.need<auth::directory>();
        auto dir = ctx.cfg().get_text("territory.package_dir");
        package_dir_ = dir.empty() ? ctx.seed_dir() / "territory" / "node_modules" / "@etalab" / "decoupage-administratif"
                                   : std::filesystem::path(dir);
        max_communes_ = static_cast<std::size_t>(ctx.cfg().get_int("territory.max_communes"));
        ctx.provide<territories>(*this);
    }

    // The communes are imported (or read back) on a thread of their own when they are first
    // needed (a territory route, another module's territory_of), so that the server answers
    // at once and a server that never needs them (most test servers) never spends the time;
    // meanwhile the routes that need them answer 503 communes_en_chargement.
    void stop() override {
        std::lock_guard lock(loader_mutex_);
        stopping_ = true;
        if (loader_.joinable()) loader_.join();
    }

    void routes(net::router& r) override;

    std::optional<territory_figures> territory_of(db::connection& c, std::int64_t org_id) const override {
        auto index = current();
        if (!index) return std::nullopt;
        auto saved = store::cpts_territory(c, org_id);
        if (!saved) return std::nullopt;
        std::vector<const commune*> found;
        for (const auto& code : saved->codes)
            if (auto m = index->find(code)) found.push_back(m);
        auto s = summarise(found);
        territory_figures f{saved->codes, s.population, s.size, s.seed_funding_eur, {}, {}, index->data_year()};
        for (const auto& d : s.departements) f.departements.push_back(d.first);
        for (const auto& g : s.regions) f.regions.push_back(g.first);
        return f;
    }

    territory_figures figures_of(const json& body, const char* field) const override {
        auto codes = parse_codes(body, field, max_communes_);
        if (codes.empty()) throw api_error(errors::empty_territory, field);
        auto index = need_index();
        auto s = summarise(resolve(*index, codes));
        territory_figures f{{}, s.population, s.size, s.seed_funding_eur, {}, {}, index->data_year()};
        for (const auto* m : s.communes) f.communes.push_back(m->code);
        std::sort(f.communes.begin(), f.communes.end());
        for (const auto& d : s.departements) f.departements.push_back(d.first);
        for (const auto& g : s.regions) f.regions.push_back(g.first);
        return f;
    }

private:
    enum class state { loading, ready, missing };

    /// Starts the loader the first time the communes are wanted.
    void ensure_loading() const {
        if (loader_started_.load()) return;
        std::lock_guard lock(loader_mutex_);
        if (loader_started_.load() || stopping_) return;
        loader_ = std::thread([this] { const_cast<territory_module*>(this)->load(); });
        loader_started_ = true;
    }

    std::shared_ptr<const commune_index> current() const {
        ensure_loading();
        std::lock_guard lock(mutex_);
        return index_;
    }

    /// The index, or the 503 that says why there is none.
    std::shared_ptr<const commune_index> need_index() const {
        ensure_loading();
        std::lock_guard lock(mutex_);
        if (index_) return index_;
        throw api_error(state_ == state::missing ? errors::data_missing : errors::data_loading);
    }

    void publish(std::shared_ptr<const commune_index> index, state s) {
        std::lock_guard lock(mutex_);
        index_ = std::move(index);
        state_ = s;
    }

    void load() {
        auto started = std::chrono::steady_clock::now();
        try {
            auto pkg = json::parse(read_text(package_dir_ / "package.json"), nullptr, false);
            std::string version = !pkg.is_discarded() && pkg.is_object() ? pkg.value("version", "") : "";
            std::optional<store::dataset_row> info;
            db_->read_sync([&](db::connection& c) { info = store::dataset_info(c); });
            bool have_db = info && info->communes > 0;
            dataset d;
            if (!version.empty() && (!have_db || info->version != version)) {
                auto doc = json::parse(read_text(package_dir_ / "data" / "communes.json"), nullptr, false);
                if (doc.is_discarded()) throw std::runtime_error("unreadable " + (package_dir_ / "data" / "communes.json").string());
                d = parse_communes(doc);
                doc = json();
                // France has some 35 000 communes: far fewer is a broken file, not data to use.
                if (d.communes.size() < 30000)
                    throw std::runtime_error("communes.json: only " + std::to_string(d.communes.size()) + " communes");
                d.version = version;
                d.data_year = data_year_of(read_text(package_dir_ / "README.md"), version);
                if (stopping_) return;
                auto now = unix_now();
                db_->write_sync([&](db::connection& c) { store::replace_communes(c, d, now); });
                log::info("territory_imported", {{"package", package_name}, {"version", version}, {"data_year", d.data_year},
                                                 {"communes", d.communes.size()}});
            } else if (have_db) {
                if (version.empty())
                    log::warn("territory_package_missing",
                              {{"path", package_dir_.string()}, {"using", info->version},
                               {"hint", "scripts/install-territory-data.sh installs it; the communes imported before are used"}});
                db_->read_sync([&](db::connection& c) { d = store::load_communes(c); });
            } else {
                log::error("territory_data_missing",
                           {{"path", package_dir_.string()},
                            {"hint", "run scripts/install-territory-data.sh (npm); until then /api/territory answers 503"}});
                publish(nullptr, state::missing);
                return;
            }
            auto n = d.communes.size();
            auto index = std::make_shared<const commune_index>(std::move(d.communes), std::move(d.split), d.version, d.data_year);
            auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
            log::info("territory_ready", {{"version", index->version()}, {"data_year", index->data_year()}, {"communes", n}, {"ms", ms}});
            publish(std::move(index), state::ready);
        } catch (const std::exception& e) {
            log::error("territory_load_failed", {{"path", package_dir_.string()}, {"error", e.what()}});
            publish(nullptr, state::missing);
        }
    }

    db::pool* db_ = nullptr;
    auth::service* auth_ = nullptr;
    const auth::directory* dir_ = nullptr;
    std::filesystem::path package_dir_;
    std::size_t max_communes_ = 1000;
    mutable std::mutex mutex_;
    std::shared_ptr<const commune_index> index_;
    state state_ = state::loading;
    mutable std::mutex loader_mutex_;
    mutable std::thread loader_;
    mutable std::atomic<bool> loader_started_{false};
    std::atomic<bool> stopping_{false};
};

void territory_module::routes(net::router& r) {
    auto& a = *auth_;

    // What the page shows before anything is picked: the data's year, the table of sizes.
    r.add("GET", "/api/territory/meta", a.guard(access::signed_in, [this](request&, const principal&) -> asio::awaitable<response> {
        json out{{"status", "loading"},
                 {"package", package_name},
                 {"license", "Licence Ouverte (données), MIT (code)"},
                 {"max_communes", max_communes_},
                 {"coordinator_funding_eur", coordinator_funding_eur}};
        json sizes = json::array();
        for (int size = 1; size <= 4; ++size) {
            auto from = size == 1 ? std::int64_t{0} : size_boundaries[static_cast<std::size_t>(size - 2)];
            json row{{"size", size}, {"population_from", from}, {"seed_funding_eur", seed_funding_eur(size)}};
            row["population_below"] = size == 4 ? json(nullptr) : json(size_boundaries[static_cast<std::size_t>(size - 1)]);
            sizes.push_back(row);
        }
        out["sizes"] = sizes;
        ensure_loading();
        {
            std::lock_guard lock(mutex_);
            out["status"] = index_ ? "ready" : state_ == state::missing ? "missing" : "loading";
            if (index_) {
                out["data_year"] = index_->data_year();
                out["data_version"] = index_->version();
                out["communes"] = index_->size();
            }
        }
        auto res = response::json(200, out);
        co_return res;
    }));

    r.add("GET", "/api/territory/communes", a.guard(access::signed_in, [this](request& req, const principal&) -> asio::awaitable<response> {
        auto q = req.query.count("q") ? json_input::trim(req.query.at("q")) : std::string();
        if (q.empty() || !is_valid_utf8(q) || utf8_length(q) > max_query_chars) throw api_error(errors::invalid_field, "q");
        std::size_t limit = default_results;
        if (auto it = req.query.find("limit"); it != req.query.end()) {
            try {
                auto n = std::stoll(it->second);
                if (n < 1 || n > static_cast<long long>(max_results)) throw std::out_of_range("limit");
                limit = static_cast<std::size_t>(n);
            } catch (const std::exception&) {
                throw api_error(errors::invalid_field, "limit");
            }
        }
        auto index = need_index();
        json list = json::array();
        // One letter finds thousands of names: wait for the second (a code may be one digit).
        if (utf8_length(q) >= 2 || looks_like_code(q))
            for (const auto* m : index->search(q, limit)) list.push_back(commune_json(*m));
        auto res = response::json(200, {{"communes", list}, {"data_year", index->data_year()}});
        co_return res;
    }));

    // The summary of any list of communes: nothing is stored. With "org_id", that CPTS's
    // own saved territory is not counted as an overlap (the page editing it).
    r.add("POST", "/api/territory/summary", a.guard(access::signed_in, [this](request& req, const principal&) -> asio::awaitable<response> {
        auto body = json_input::parse_object(req.body);
        auto codes = parse_codes(body, "communes", max_communes_);
        std::int64_t except = 0;
        if (auto id = json_input::optional_id(body, "org_id"); id && *id) except = **id;
        if (codes.empty()) throw api_error(errors::empty_territory, "communes");
        auto index = need_index();
        auto s = summarise(resolve(*index, codes));
        co_await db_->read([&](db::connection& c) { find_overlaps(c, *dir_, *index, s, except); });
        auto res = response::json(200, summary_json(s, *index));
        co_return res;
    }));

    // The same as CSV, for a list not saved (a link: GET ?communes=59350,59009).
    r.add("GET", "/api/territory/export", a.guard(access::signed_in, [this](request& req, const principal&) -> asio::awaitable<response> {
        auto body = codes_from_query(req.query.count("communes") ? req.query.at("communes") : std::string());
        auto codes = parse_codes(body, "communes", max_communes_);
        if (codes.empty()) throw api_error(errors::empty_territory, "communes");
        // As for the summary: the CPTS whose territory this is does not overlap itself.
        std::int64_t except = 0;
        if (auto it = req.query.find("org_id"); it != req.query.end() && !it->second.empty()) {
            const auto& v = it->second;
            if (v.size() > 18 || v.find_first_not_of("0123456789") != std::string::npos || v[0] == '0')
                throw api_error(errors::invalid_field, "org_id");
            except = std::stoll(v);
        }
        auto index = need_index();
        auto s = summarise(resolve(*index, codes));
        co_await db_->read([&](db::connection& c) { find_overlaps(c, *dir_, *index, s, except); });
        auto res = response::text(200, summary_csv(s, *index, ""), "text/csv; charset=utf-8");
        res.header("Content-Disposition", "attachment; filename=\"territoire-cpts.csv\"");
        co_return res;
    }));

    // The territories saved for CPTS organisations.
    r.add("GET", "/api/territory/cpts", a.guard(access::signed_in, [this](request&, const principal& p) -> asio::awaitable<response> {
        std::map<std::int64_t, std::vector<std::string>> all;
        co_await db_->read([&](db::connection& c) { all = store::all_territories(c); });
        // The figures need the communes; an empty list does not.
        auto index = all.empty() ? current() : need_index();
        json list = json::array();
        co_await db_->read([&](db::connection& c) {
            std::vector<std::int64_t> ids;
            for (const auto& [id, _] : all) ids.push_back(id);
            auto orgs = dir_->orgs(c, ids);
            for (const auto& [id, codes] : all) {
                auto o = orgs.find(id);
                if (o == orgs.end() || o->second.type != "cpts") continue;
                std::vector<const commune*> found;
                for (const auto& code : codes)
                    if (auto m = index->find(code)) found.push_back(m);
                auto s = summarise(found);
                list.push_back({{"org_id", id}, {"name", o->second.name}, {"commune_count", codes.size()}, {"population", s.population},
                                {"size", s.size}, {"may_edit", may_edit(p, id)}});
            }
        });
        auto res = response::json(200, {{"territories", list}, {"data_year", index ? json(index->data_year()) : json(nullptr)}});
        co_return res;
    }));

    r.add("GET", "/api/territory/cpts/{id}", a.guard(access::signed_in, [this](request& req, const principal& p) -> asio::awaitable<response> {
        auto id = req.id_param("id");
        auth::org org;
        std::optional<store::saved_territory> saved;
        std::optional<auth::user> by;
        co_await db_->read([&](db::connection& c) {
            org = require_cpts(c, *dir_, id);
            saved = store::cpts_territory(c, id);
            if (saved && saved->updated_by) by = dir_->find_user(c, *saved->updated_by);
        });
        json out{{"org", {{"id", org.id}, {"name", org.name}}}, {"may_edit", may_edit(p, id)}, {"summary", nullptr}, {"communes", json::array()}};
        if (saved) {
            auto index = need_index();
            std::vector<const commune*> found;
            json unknown = json::array();
            for (const auto& code : saved->codes) {
                if (auto m = index->find(code)) found.push_back(m);
                else unknown.push_back(code);  // merged or renamed since it was saved
            }
            auto s = summarise(found);
            co_await db_->read([&](db::connection& c) { find_overlaps(c, *dir_, *index, s, id); });
            out["summary"] = summary_json(s, *index);
            out["communes"] = out["summary"]["communes"];
            out["unknown_codes"] = unknown;
            out["updated_at"] = to_iso8601(saved->updated_at);
            out["updated_by"] = by ? json{{"id", by->id}, {"name", by->name}} : json(nullptr);
        }
        auto res = response::json(200, out);
        co_return res;
    }));

    // Saves (replaces) a CPTS's territory: {"communes": [INSEE codes]} (empty: forgets it).
    r.add("PUT", "/api/territory/cpts/{id}", a.guard(access::signed_in, [this](request& req, const principal& p) -> asio::awaitable<response> {
        auto id = req.id_param("id");
        auto body = json_input::parse_object(req.body);
        auto codes = parse_codes(body, "communes", max_communes_);
        co_await db_->read([&](db::connection& c) { require_cpts(c, *dir_, id); });
        if (!may_edit(p, id)) throw api_error(errors::not_member);
        auto index = need_index();
        auto s = summarise(resolve(*index, codes));  // every code checked before anything is written
        std::vector<std::string> sorted = codes;
        std::sort(sorted.begin(), sorted.end());
        auto now = unix_now();
        auto by = p.account.id;
        co_await db_->write([&](db::connection& c) {
            require_cpts(c, *dir_, id);  // still there, in the same transaction
            store::save_cpts_territory(c, id, sorted, by, now);
            find_overlaps(c, *dir_, *index, s, id);
        });
        log::info("territory_saved", {{"org_id", id}, {"communes", sorted.size()}, {"by", by}});
        json out{{"org_id", id}, {"summary", codes.empty() ? json(nullptr) : summary_json(s, *index)}};
        auto res = response::json(200, out);
        co_return res;
    }));

    r.add("GET", "/api/territory/cpts/{id}/export", a.guard(access::signed_in, [this](request& req, const principal&) -> asio::awaitable<response> {
        auto id = req.id_param("id");
        auth::org org;
        std::optional<store::saved_territory> saved;
        co_await db_->read([&](db::connection& c) {
            org = require_cpts(c, *dir_, id);
            saved = store::cpts_territory(c, id);
        });
        if (!saved) throw api_error(errors::not_found);
        auto index = need_index();
        std::vector<const commune*> found;
        for (const auto& code : saved->codes)
            if (auto m = index->find(code)) found.push_back(m);
        auto s = summarise(found);
        co_await db_->read([&](db::connection& c) { find_overlaps(c, *dir_, *index, s, id); });
        auto res = response::text(200, summary_csv(s, *index, org.name), "text/csv; charset=utf-8");
        res.header("Content-Disposition", "attachment; filename=\"territoire-cpts-" + std::to_string(id) + ".csv\"");
        co_return res;
    }));
}

}  // namespace

std::unique_ptr<platform::module> make_module() { return std::make_unique<territory_module>(); }

}  // namespace relais::territory
