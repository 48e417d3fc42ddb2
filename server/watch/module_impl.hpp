#pragma once
// The watch module's class, shared by its two halves: module.cpp (settings, start and
// stop, the scheduled fetches and digests, the live topic, the seed) and routes.cpp (the
// HTTP handlers, thin: they read the request, call service.hpp, write the response).
// Nothing outside server/watch/ includes it.
#include "watch/module.hpp"

#include "watch/fetcher.hpp"
#include "watch/image_proxy.hpp"
#include "watch/service.hpp"

#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace relais {
class worker_pool;
namespace auth { class service; }
namespace library { class filer; }
namespace mail { class outbox; }
namespace notifications { class notifier; }
namespace platform { class scheduler; class topics; }
}  // namespace relais

namespace relais::watch {

class watch_module final : public platform::module {
public:
    ~watch_module() override;
    std::string_view name() const override { return "watch"; }
    const std::vector<platform::migration>& migrations() const override { return watch::migrations(); }
    std::vector<const error_def*> errors() const override;
    void declare(platform::settings& s) const override;
    void start(platform::context& ctx) override;
    void live(platform::live_registry& live) override;
    void jobs(platform::scheduler& s) override;
    void stop() override;
    std::string seed(db::connection& c, const std::filesystem::path& seed_dir) override;
    void routes(net::router& r) override;  // routes.cpp

private:
    /// The scheduled job: hands the due sources to the fetch workers, each on its own, a
    /// batch at a time; while batches come back full, the workers ask for the next one as
    /// they free up, so a thousand due sources go through at the pace of the workers, not
    /// one batch a minute.
    void fetch_due();
    std::string unsubscribe_link(const std::string& token) const;
    /// The subscribers' own digests when they are due (weekly: 7 days since the last one,
    /// monthly: 30), for their fields; an empty period sends nothing but moves on.
    void send_scheduled_digests(std::int64_t now);
    /// New items reached these fields' inboxes: their open pages hear it.
    void announce_new(const fetch_outcome& out);
    /// Runs a blocking fetch for a person; refused when too many are waiting (503), or
    /// when this account already has its share of them running or waiting (429: one
    /// person testing slow addresses does not hold the fetches everyone else waits on).
    boost::asio::awaitable<fetched> fetch_now(const std::string& url, std::int64_t account);

    db::pool* db_ = nullptr;
    platform::scheduler* jobs_ = nullptr;
    auth::service* auth_ = nullptr;
    platform::topics* topics_ = nullptr;
    library::filer* library_ = nullptr;
    mail::outbox* outbox_ = nullptr;
    std::string public_url_;
    notifications::notifier* notifier_ = nullptr;
    std::unique_ptr<service> service_;
    std::unique_ptr<fetcher> fetcher_;
    std::unique_ptr<image_proxy> images_;  // its key is empty (it answers 404) unless watch.images = proxy
    std::unique_ptr<worker_pool> fetch_pool_, interactive_;
    std::size_t parallel_ = 4;
    std::atomic<bool> stopping_{false};
    std::atomic<bool> more_due_{false};  // the last batch was full: more sources may be due
    std::mutex live_mutex_;
    std::map<const net::ws_connection*, std::string> live_topic_;  // the field topic each socket follows
    std::int64_t lease_s_ = 120;
    // Scheduled fetches in flight per site (scheme, host and port): a site answers slowly
    // or not at all for all its feeds at once; it gets at most per_site_ of the workers.
    std::mutex sites_mutex_;
    std::map<std::string, std::size_t> site_busy_;
    std::size_t per_site_ = 2;
    std::mutex asking_mutex_;
    std::map<std::int64_t, std::size_t> asking_;  // fetches on demand per account, running or waiting
};

}  // namespace relais::watch
