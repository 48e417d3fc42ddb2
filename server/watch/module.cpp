// The watch module (veille documentaire partagée): fields and their owners, sources
// fetched once for everyone by a scheduled job, each field's inbox, qualification, the
// coverage view. Pages under « Veille »; API under /api/watch (docs/api.md).
// This file: settings, life cycle, jobs, live topic, seed. The HTTP handlers: routes.cpp.
#include "watch/module_impl.hpp"

#include "auth/service.hpp"
#include "common/log.hpp"
#include "common/secret_key.hpp"
#include "common/time.hpp"
#include "common/worker_pool.hpp"
#include "library/filer.hpp"
#include "mail/outbox.hpp"
#include "notifications/notifier.hpp"
#include "platform/scheduler.hpp"
#include "platform/settings.hpp"
#include "platform/topics.hpp"
#include "watch/errors.hpp"

#include <algorithm>
#include <fstream>

namespace relais::watch {

watch_module::~watch_module() = default;

std::vector<const error_def*> watch_module::errors() const { return errors::all(); }

void watch_module::declare(platform::settings& s) const {
    s.integer("watch.fetch_parallel", 8, 1, 64, "sources fetched at once by the scheduled job");
    s.integer("watch.interval_minutes", 60, 15, 10080, "default time between two fetches of a source");
    s.integer("watch.min_interval_minutes", 15, 1, 1440, "never fetch a source more often");
    s.integer("watch.stale_after_days", 30, 1, 365, "coverage: flag a field where nothing was retained for this long");
    s.integer("watch.failing_after_days", 3, 1, 90, "coverage: flag a source failing for this long");
    s.integer("watch.max_items_per_feed", 500, 10, 5000);
    s.text("watch.images", "block", {"block", "proxy"},
           "images in feeds' content: block (their alt text shown) or proxy (relayed by Relais)");
    s.integer("watch.image_max_kb", 2048, 16, 20480, "the largest image the proxy relays");
    s.integer("watch.image_cache_mb", 32, 0, 1024, "memory kept for recently relayed images");
}

void watch_module::start(platform::context& ctx) {
    const auto& cfg = ctx.cfg();
    db_ = &ctx.db();
    jobs_ = &ctx.jobs();
    auth_ = &ctx.need<auth::service>();
    // An organisation may own or back up a watch field.
    auth_->add_org_usage([](db::connection& c, std::int64_t org, bool as_cpts) {
        std::vector<std::string> out;
        if (as_cpts) return out;
        auto s = c.prepare("SELECT count(DISTINCT field_id) FROM watch_field_owners WHERE org_id = ?1");
        s.bind(1, org);
        s.step();
        auto n = s.get_int(0);
        if (n > 0) out.push_back(std::to_string(n) + (n > 1 ? " champs de veille" : " champ de veille"));
        return out;
    });
    topics_ = &ctx.topics();
    library_ = &ctx.need<library::filer>();
    outbox_ = &ctx.need<mail::outbox>();
    public_url_ = cfg.get_text("server.public_url");
    while (!public_url_.empty() && public_url_.back() == '/') public_url_.pop_back();
    notifier_ = &ctx.need<notifications::notifier>();
    options o;
    o.default_interval_s = cfg.get_int("watch.interval_minutes") * 60;
    o.min_interval_s = cfg.get_int("watch.min_interval_minutes") * 60;
    o.stale_after_days = cfg.get_int("watch.stale_after_days");
    o.failing_after_days = cfg.get_int("watch.failing_after_days");
    o.max_items_per_fetch = static_cast<std::size_t>(cfg.get_int("watch.max_items_per_feed"));
    service_ = std::make_unique<service>(*auth_, o);
    const bool proxy = cfg.get_text("watch.images") == "proxy";
    std::string key = proxy ? load_or_create_key(ctx.data_dir() / "watch-image.key") : std::string();
    fetcher_ = std::make_unique<fetcher>(ctx.http(), proxy ? image_policy::proxy : image_policy::block,
                                         proxy ? image_proxy::prefix : "", key);
    images_ = std::make_unique<image_proxy>(*fetcher_, key, static_cast<std::size_t>(cfg.get_int("watch.image_max_kb")) * 1024,
                                            static_cast<std::size_t>(cfg.get_int("watch.image_cache_mb")) * 1024 * 1024);
    lease_s_ = std::chrono::duration_cast<std::chrono::seconds>(ctx.http().timeout).count() + 60;
    parallel_ = static_cast<std::size_t>(cfg.get_int("watch.fetch_parallel"));
    per_site_ = std::max<std::size_t>(2, parallel_ / 4);
    fetch_pool_ = std::make_unique<worker_pool>("watch-fetch", parallel_);
    // « Tester la source » and additions by people: a pool of their own, so that a run
    // of slow feeds never makes someone wait, and a bounded queue.
    interactive_ = std::make_unique<worker_pool>("watch-test", 2);
}

// A page shows one field: its socket follows that field's topic live
// ({"type":"watch.subscribe","field":ID}; another field replaces it; 0 stops).
void watch_module::live(platform::live_registry& live) {
    live.on("watch.subscribe", [this](const auto& conn, const platform::peer& who, const nlohmann::json& msg) {
        if (who.user_id == 0) return;  // accounts only, not workshop guests
        auto it = msg.find("field");
        if (it == msg.end() || !it->is_number_integer()) return;
        auto field = it->template get<std::int64_t>();
        if (field < 0 || field > (std::int64_t{1} << 40)) return;
        std::string previous;
        {
            std::lock_guard lock(live_mutex_);
            auto& current = live_topic_[conn.get()];
            previous = current;
            current = field ? "watch:field:" + std::to_string(field) : std::string();
            if (current.empty()) live_topic_.erase(conn.get());
        }
        if (!previous.empty()) topics_->unsubscribe(conn.get(), previous);
        if (field) topics_->subscribe(conn, who, "watch:field:" + std::to_string(field));
    });
    live.on_disconnect([this](const auto& conn) {
        std::lock_guard lock(live_mutex_);
        live_topic_.erase(conn.get());
    });
}

void watch_module::jobs(platform::scheduler& s) {
    s.every(
        "watch.fetch", std::chrono::seconds(60), [this] { fetch_due(); }, std::chrono::seconds(10));
    s.every(
        "watch.digests", std::chrono::hours(1), [this] { send_scheduled_digests(unix_now()); }, std::chrono::minutes(5));
}

void watch_module::stop() {
    // Fetches not started yet are dropped (their lease expires, the next start takes
    // them again); those in flight end within the client's time-out.
    stopping_ = true;
    if (fetch_pool_) fetch_pool_->stop();
    if (interactive_) interactive_->stop();
    if (images_) images_->stop();
}

std::string watch_module::seed(db::connection& c, const std::filesystem::path& seed_dir) {
    auto file = seed_dir / "watch" / "fields.json";
    std::ifstream in(file);
    if (!in) return {};
    auto doc = json::parse(in, nullptr, false);
    if (doc.is_discarded() || !doc.contains("fields") || !doc["fields"].is_array())
        throw std::runtime_error("seed file invalid: " + file.string());
    int added = 0;
    auto now = unix_now();
    for (const auto& f : doc["fields"]) {
        auto slug = f.value("slug", "");
        if (service_->has_field_slug(c, slug)) continue;  // kept as the administrators left it
        service_->create_field(c, {slug, f.value("name", ""), f.value("description", ""), f.value("source_hint", "")}, now);
        ++added;
    }
    return "champs de veille ajoutés : " + std::to_string(added);
}

namespace {
// Where a feed is served from: scheme, host and port, in lower case ("https://www.ars.fr").
std::string site_of(const std::string& url) {
    auto start = url.find("://");
    start = start == std::string::npos ? 0 : start + 3;
    auto end = url.find_first_of("/?#", start);
    std::string site = url.substr(0, end == std::string::npos ? url.size() : end);
    if (auto at = site.rfind('@'); at != std::string::npos && at > start) site.erase(start, at + 1 - start);
    std::transform(site.begin(), site.end(), site.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return site;
}
}  // namespace

void watch_module::fetch_due() {
    if (fetch_pool_->queued() > parallel_ * 2) {
        // The previous batch is still queued: the workers ask again as they free up.
        more_due_ = true;
        return;
    }
    std::vector<service::due_source> due;
    auto now = unix_now();
    auto batch = parallel_ * 4;
    db_->write_sync([&](db::connection& c) { due = service_->take_due(c, now, batch, lease_s_); });
    more_due_ = due.size() == batch;
    // A site that hangs hangs for all its feeds: at most per_site_ of them at once; the
    // others go back in line for a minute (behind other sites' sources), so that forty
    // feeds of one dead site never hold every worker.
    std::vector<std::int64_t> later;
    for (auto& d : due) {
        auto site = site_of(d.url);
        {
            std::lock_guard lock(sites_mutex_);
            auto& busy = site_busy_[site];
            if (busy >= per_site_) {
                later.push_back(d.id);
                continue;
            }
            ++busy;
        }
        fetch_pool_->submit([this, d, site] {
            struct release {
                watch_module& m;
                const std::string& site;
                ~release() {
                    std::lock_guard lock(m.sites_mutex_);
                    if (auto it = m.site_busy_.find(site); it != m.site_busy_.end() && --it->second == 0) m.site_busy_.erase(it);
                }
            } done{*this, site};
            if (stopping_) return;
            auto got = fetcher_->fetch(d.url, d.etag, d.last_modified, service_->opts().max_items_per_fetch);
            fetch_outcome out;
            db_->write_sync([&](db::connection& c) { out = service_->record_fetch(c, d.id, got.attempt, &got.parsed, unix_now()); });
            if (!out.ok) log::info("watch_fetch_failed", {{"source", d.id}, {"code", out.error_code}});
            announce_new(out);
            if (more_due_ && !stopping_ && fetch_pool_->queued() <= parallel_) jobs_->run_soon("watch.fetch");
        });
    }
    if (!later.empty()) db_->write_sync([&](db::connection& c) { service_->put_back(c, later, now + 60); });
}

std::string watch_module::unsubscribe_link(const std::string& token) const {
    return public_url_ + "/veille/desabonnement?jeton=" + token;
}

void watch_module::send_scheduled_digests(std::int64_t now) {
    db_->write_sync([&](db::connection& c) {
        auto link = [this](const std::string& token) { return unsubscribe_link(token); };
        for (auto& m : service_->scheduled_letters(c, now, public_url_, link))
            outbox_->queue(c, {m.email, m.name, "[Relais] " + m.letter.title, m.letter.text, m.letter.html});
    });
    outbox_->wake();
}

void watch_module::announce_new(const fetch_outcome& out) {
    for (auto field : out.fields_reached)
        topics_->publish("watch:field:" + std::to_string(field),
                         json{{"type", "watch.items"}, {"field", field}, {"new", out.new_items}}.dump());
}

asio::awaitable<fetched> watch_module::fetch_now(const std::string& url, std::int64_t account) {
    if (interactive_->queued() > 8) throw api_error(errors::busy);
    // One at a time per account: the pool (2 threads) is everyone's.
    struct turn {
        watch_module& m;
        std::int64_t who;
        turn(watch_module& mod, std::int64_t id) : m(mod), who(id) {
            std::lock_guard lock(m.asking_mutex_);
            if (m.asking_[who] >= 1)
                throw api_error(errors::rate_limited, {}, "Une source que vous avez demandée est encore en cours de lecture : attendez sa réponse.");
            ++m.asking_[who];
        }
        ~turn() {
            std::lock_guard lock(m.asking_mutex_);
            if (--m.asking_[who] == 0) m.asking_.erase(who);
        }
    } mine(*this, account);
    fetched got;
    auto max = service_->opts().max_items_per_fetch;
    co_await interactive_->run([&] { got = fetcher_->fetch(url, "", "", max); });
    co_return got;
}

std::unique_ptr<platform::module> make_module() { return std::make_unique<watch_module>(); }

}  // namespace relais::watch
