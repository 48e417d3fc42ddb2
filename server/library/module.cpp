// The library module: items, versions, review, attachments, the index of its items, the filer.
#include "library/module.hpp"

#include <algorithm>

#include "common/log.hpp"
#include "common/worker_pool.hpp"
#include "library/catalogue.hpp"
#include "library/errors.hpp"
#include "library/store.hpp"
#include "library/isolated_extract.hpp"
#include "library/seed.hpp"
#include "library/service.hpp"

namespace relais::library {
namespace {

class library_module final : public platform::module, public catalogue {
public:
    std::string_view name() const override { return "library"; }
    const std::vector<platform::migration>& migrations() const override { return library::migrations(); }
    std::vector<const error_def*> errors() const override { return errors::all(); }

    void declare(platform::settings& s) const override {
        s.integer("limits.upload_max_bytes", 10 * 1024 * 1024, 1024, 1LL << 30, "largest attachment");
        s.integer("limits.extract_cpu_seconds", 20, 1, 3600, "CPU time of one attachment's text extraction");
        s.integer("limits.extract_memory_mb", 512, 64, 1 << 20);
        s.integer("limits.extract_wall_seconds", 30, 1, 3600);
        s.integer("limits.extract_parallel", 2, 1, 64);
        s.integer("limits.searches_per_address", 4, 1, 1000, "library searches in progress at once per client address (429 beyond)");
        s.integer("limits.unattached_upload_max_bytes", 200LL << 20, 1024, 1LL << 40,
                  "files one account sent in a day and attached to no fiche (429 quota_fichiers beyond)");
    }

    void start(platform::context& ctx) override {
        const auto& cfg = ctx.cfg();
        options o;
        o.upload_max_bytes = static_cast<std::size_t>(cfg.get_int("limits.upload_max_bytes"));
        o.searches_per_address = static_cast<std::size_t>(cfg.get_int("limits.searches_per_address"));
        o.unattached_max_bytes = static_cast<std::size_t>(cfg.get_int("limits.unattached_upload_max_bytes"));
        // Attachments are read by a child process (`relais extract`) under limits.
        std::error_code exe_ec;
        o.extraction.exe = std::filesystem::read_symlink("/proc/self/exe", exe_ec);
        o.extraction.cpu_seconds = static_cast<int>(cfg.get_int("limits.extract_cpu_seconds"));
        o.extraction.memory_bytes = static_cast<std::size_t>(cfg.get_int("limits.extract_memory_mb")) << 20;
        o.extraction.wall = std::chrono::seconds(cfg.get_int("limits.extract_wall_seconds"));
        auto parallel = static_cast<std::size_t>(cfg.get_int("limits.extract_parallel"));
        o.extractions_waiting = parallel * 8;
        // One account never holds every extraction: half of them at most (at least one).
        o.extractions_per_user = std::max<std::size_t>(1, parallel / 2);
        extraction_ = std::make_unique<worker_pool>("extract", parallel);
        files_ = std::make_unique<blobs>(ctx.data_dir() / "files");
        auto& ix = ctx.need<indexing::indexer>();
        items_ = std::make_unique<item_source>(ctx.need<auth::service>());
        // A fiche's entry names its organisation and facets its type: indexed again when
        // the organisation changes or goes.
        ctx.need<auth::service>().on_org_change([](db::connection& c, std::int64_t org) {
            std::vector<std::int64_t> ids;
            auto s = c.prepare("SELECT id FROM library_items WHERE org_id = ?1");
            s.bind(1, org);
            while (s.step()) ids.push_back(s.get_int(0));
            for (auto id : ids) store::enqueue(c, id);
        });
        ix.add_source(*items_);
        indexer_ = &ix;
        service_ = std::make_unique<service>(ctx.db(), ctx.need<auth::service>(), ctx.cpu(), *extraction_, ctx.index(), ix,
                                             *files_, ctx.need<notifications::notifier>(), o);
        ctx.provide<filer>(*service_);
        ctx.provide<service>(*service_);
        ctx.provide<catalogue>(*this);
    }

    std::optional<item_ref> item(db::connection& c, std::int64_t id) const override {
        auto it = store::find_item(c, id);
        if (!it) return std::nullopt;
        auto v = store::version(c, id, it->published_version.value_or(it->latest_version));
        return item_ref{it->id, it->kind, v ? v->title : std::string(), it->is_public()};
    }

    void routes(net::router& r) override { service_->register_routes(r); }

    std::string seed(db::connection& c, const std::filesystem::path& seed_dir) override {
        auto s = load_seed_library(c, *files_, seed_dir);
        indexer_->notify();
        return "fiches de bibliothèque ajoutées : " + std::to_string(s.added) + ", mises à jour : " + std::to_string(s.updated);
    }

    void run() override {
        if (auto swept = service_->sweep_orphan_files()) log::info("orphan_files_deleted", {{"count", swept}});
    }

    // Files uploaded and attached to nothing for a day are deleted every hour, not only at
    // start: a server that runs for months does not keep them.
    void jobs(platform::scheduler& s) override {
        s.every("library.orphan_files", std::chrono::hours(1), [this] {
            if (auto swept = service_->sweep_orphan_files()) log::info("orphan_files_deleted", {{"count", swept}});
        }, std::chrono::minutes(5));
    }

    void stop() override {
        // Nothing waits on an extraction at shutdown: its child is killed.
        kill_extractions();
        if (extraction_) extraction_->stop();
    }

private:
    std::unique_ptr<worker_pool> extraction_;
    std::unique_ptr<blobs> files_;
    std::unique_ptr<item_source> items_;
    indexing::indexer* indexer_ = nullptr;
    std::unique_ptr<service> service_;
};

}  // namespace

std::unique_ptr<platform::module> make_module() { return std::make_unique<library_module>(); }

}  // namespace relais::library
