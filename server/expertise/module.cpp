// The expertise module: wiring (settings, seed, index source, reminders job). Its HTTP
// handlers: routes.cpp; its rules: service.cpp.
#include "expertise/module_impl.hpp"

#include "auth/service.hpp"
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
#include <set>

namespace relais::expertise {
namespace {

/// The search documents of the directory: one per person who agreed to appear.
class people_source final : public indexing::source {
public:
    explicit people_source(const service& s) : service_(s) {}
    std::string_view type() const override { return "expertise"; }

    std::optional<search::document> document(db::connection& c, std::int64_t key) const override {
        return service_.search_document(c, key, unix_now());
    }

    std::vector<std::int64_t> keys(db::connection& c) const override { return service_.person_ids(c); }
    std::int64_t expected(db::connection& c) const override { return service_.listed_count(c); }

private:
    const service& service_;
};

}  // namespace

expertise_module::expertise_module() = default;
expertise_module::~expertise_module() = default;

std::vector<const error_def*> expertise_module::errors() const { return errors::all(); }

void expertise_module::declare(platform::settings& s) const {
    s.integer("expertise.stale_after_months", 12, 1, 60,
              "an expertise not confirmed for this long is shown as stale and its owner reminded");
    s.integer("expertise.remind_every_days", 30, 1, 365, "a stale expertise's owner is reminded at most this often");
}

void expertise_module::start(platform::context& ctx) {
    const auto& cfg = ctx.cfg();
    db_ = &ctx.db();
    auth_ = &ctx.need<auth::service>();
    // People of the map belong to organisations, needs name their CPTS.
    auth_->add_org_usage([](db::connection& c, std::int64_t org, bool as_cpts) {
        std::vector<std::string> out;
        auto count = [&](const char* sql) {
            auto s = c.prepare(sql);
            s.bind(1, org);
            s.step();
            return s.get_int(0);
        };
        if (!as_cpts) {
            auto people = count("SELECT count(*) FROM expertise_people WHERE org_id = ?1");
            if (people > 0)
                out.push_back(std::to_string(people) + (people > 1 ? " fiches de la carte des expertises"
                                                                  : " fiche de la carte des expertises"));
        }
        auto needs = count("SELECT count(*) FROM expertise_needs WHERE cpts_org_id = ?1");
        if (needs > 0) out.push_back(std::to_string(needs) + (needs > 1 ? " besoins d’appui" : " besoin d’appui"));
        return out;
    });
    // A person's entry names their organisation: indexed again when it changes.
    auth_->on_org_change([](db::connection& c, std::int64_t org) {
        std::vector<std::int64_t> ids;
        auto s = c.prepare("SELECT id FROM expertise_people WHERE org_id = ?1");
        s.bind(1, org);
        while (s.step()) ids.push_back(s.get_int(0));
        for (auto id : ids) indexing::enqueue(c, "expertise", id);
    });
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

void expertise_module::jobs(platform::scheduler& s) {
    s.every("expertise.reminders", std::chrono::hours(24), [this] { remind(unix_now()); }, std::chrono::minutes(10));
}

std::string expertise_module::seed(db::connection& c, const std::filesystem::path& seed_dir) {
    auto file = seed_dir / "expertise" / "domains.json";
    std::ifstream in(file);
    if (!in) return {};
    auto doc = json::parse(in, nullptr, false);
    if (doc.is_discarded() || !doc.contains("domains") || !doc["domains"].is_array() || !doc.contains("roles"))
        throw std::runtime_error("seed file invalid: " + file.string());
    int added = 0;
    auto now = unix_now();
    for (const auto& r : doc["roles"]) {
        if (service_->has_role(c, r.value("code", ""))) continue;
        service_->add_role(c, r);
        ++added;
    }
    for (const auto& d : doc["domains"]) {
        if (service_->has_domain(c, d.value("code", ""))) continue;  // kept as the administrators left it
        service_->add_domain(c, d, now);
        ++added;
    }
    return "domaines et rôles d'expertise ajoutés : " + std::to_string(added);
}

void expertise_module::remind(std::int64_t now) {
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

void expertise_module::tell(db::connection& c, const std::vector<std::int64_t>& who, const json& need, const std::string& title,
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

std::unique_ptr<platform::module> make_module() { return std::make_unique<expertise_module>(); }

}  // namespace relais::expertise
