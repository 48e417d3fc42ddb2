#pragma once
// The seam every feature module implements. A module is a folder with its tables
// (migrations/), its errors, its settings, its services, its HTTP routes (each with
// its access level), its WebSocket message types, its seed loader and its background
// work. `app` lists the modules (app/modules.cpp) and wires them in that order, which
// is their dependency order. See docs/architecture.md, "Adding a module".
#include "common/errors.hpp"
#include "db/pool.hpp"
#include "net/router.hpp"
#include "net/websocket.hpp"
#include "outbound/http_client.hpp"
#include "platform/scheduler.hpp"
#include "platform/settings.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <typeindex>
#include <unordered_map>
#include <vector>

namespace relais {
class worker_pool;
namespace metrics {
class registry;
}
namespace search {
class index;
}
}  // namespace relais

namespace relais::platform {

/// One SQL file of a module's migrations/ folder; versions count per module.
struct migration {
    int version;
    std::string_view name;  // file name without .sql, e.g. "0001_accounts"
    std::string_view sql;
};

/// Who is behind a WebSocket, as the platform sees it: an account (with the session it
/// opened the socket with) or a guest. Modules that need more (a role) look it up again.
struct peer {
    std::string key;  // "u:12" or "g:5": one person across their sockets
    std::string name;
    std::int64_t user_id = 0;
    std::string session_hash;
    std::int64_t guest_id = 0;
    std::int64_t expires_at = 0;  // unix seconds; 0: none
};

/// Where modules register their WebSocket message types (by "type") and close hooks.
/// Messages of one socket are handled one at a time, in order: an async handler calls
/// `done` once (any thread) and the socket's next message waits for it.
class topics;

/// Short CPU work of the live channels (a workshop room's fan-out: render per viewer,
/// queue on each socket) run on the network threads, where those sockets are written:
/// no thread of its own to wake for every commit. `post` returns false while no server
/// runs (tools, tests without one, shutdown): the caller uses its own thread then.
class live_executor {
public:
    using poster = std::function<bool(std::function<void()>)>;
    bool post(std::function<void()> f) const {
        std::lock_guard lock(mutex_);
        return poster_ && poster_(std::move(f));
    }
    void set(poster p) {
        std::lock_guard lock(mutex_);
        poster_ = std::move(p);
    }

private:
    mutable std::mutex mutex_;
    poster poster_;
};

class live_registry {
public:
    using conn_ptr = std::shared_ptr<net::ws_connection>;
    using done_fn = std::function<void()>;
    using async_handler = std::function<void(const conn_ptr&, const peer&, const nlohmann::json&, done_fn)>;
    using message_handler = std::function<void(const conn_ptr&, const peer&, const nlohmann::json&)>;
    using close_handler = std::function<void(const conn_ptr&)>;
    virtual ~live_registry() = default;
    virtual void on(std::string type, message_handler h) = 0;
    virtual void on_async(std::string type, async_handler h) = 0;
    virtual void on_disconnect(close_handler h) = 0;
};

/// What the platform gives every module when it starts, and the interfaces modules
/// offer one another (`provide` by the module that implements one, `need` by those that
/// use it; modules start in dependency order, so a provider is there before its users).
class context {
public:
    context(const settings& cfg, db::pool& db, worker_pool& cpu, metrics::registry& metrics, search::index& index,
            scheduler& jobs, std::filesystem::path data_dir, std::filesystem::path seed_dir)
        : cfg_(cfg),
          db_(db),
          cpu_(cpu),
          metrics_(metrics),
          index_(index),
          jobs_(jobs),
          data_dir_(std::move(data_dir)),
          seed_dir_(std::move(seed_dir)) {}

    const settings& cfg() const { return cfg_; }
    db::pool& db() { return db_; }
    worker_pool& cpu() { return cpu_; }
    metrics::registry& metrics() { return metrics_; }
    search::index& index() { return index_; }
    /// Register periodic jobs in module::jobs; `run_soon`/`defer` from anywhere.
    scheduler& jobs() { return jobs_; }
    /// The options of outbound HTTP ([outbound] settings: proxy, timeouts, SSRF policy…):
    /// jobs build an outbound::http_client from them.
    const outbound::http_options& http() const { return http_; }
    void set_http(outbound::http_options o) { http_ = std::move(o); }
    /// Live topics: publish to sockets (every signed-in socket is subscribed to "user:<id>").
    class topics& topics() {
        return *topics_;
    }
    void set_topics(class topics& t) { topics_ = &t; }
    /// The network threads, for the live fan-out (see live_executor).
    live_executor& live() { return live_; }
    const std::filesystem::path& data_dir() const { return data_dir_; }
    const std::filesystem::path& seed_dir() const { return seed_dir_; }

    template <class Interface>
    void provide(Interface& impl) {
        services_[std::type_index(typeid(Interface))] = &impl;
    }
    template <class Interface>
    Interface& need() const {
        auto it = services_.find(std::type_index(typeid(Interface)));
        if (it == services_.end())
            throw std::logic_error(std::string("no module provides ") + typeid(Interface).name() +
                                   ": check the order of app/modules.cpp");
        return *static_cast<Interface*>(it->second);
    }
    template <class Interface>
    Interface* find() const {
        auto it = services_.find(std::type_index(typeid(Interface)));
        return it == services_.end() ? nullptr : static_cast<Interface*>(it->second);
    }

private:
    const settings& cfg_;
    db::pool& db_;
    worker_pool& cpu_;
    metrics::registry& metrics_;
    search::index& index_;
    scheduler& jobs_;
    class topics* topics_ = nullptr;
    live_executor live_;
    outbound::http_options http_;
    std::filesystem::path data_dir_, seed_dir_;
    std::unordered_map<std::type_index, void*> services_;
};

class module {
public:
    virtual ~module() = default;
    /// Lower-case, stable: names its migrations in the database and its log lines.
    virtual std::string_view name() const = 0;
    /// Its SQL migrations, in version order (generated from its migrations/ folder).
    virtual const std::vector<migration>& migrations() const = 0;
    /// Its error codes (the shared ones of common/errors.hpp are not repeated).
    virtual std::vector<const error_def*> errors() const { return {}; }
    /// Declares its settings (keys, defaults, bounds); called before the file is read.
    virtual void declare(settings&) const {}
    /// Builds its services from the context and the settings (validated here); may
    /// `provide` interfaces to the modules after it and `need` those of modules before it.
    virtual void start(context& ctx) = 0;
    /// Its HTTP routes, each with its access level.
    virtual void routes(net::router&) {}
    /// Its WebSocket message types.
    virtual void live(live_registry&) {}
    /// Loads its part of seed-content/ (idempotent); returns a short French summary.
    virtual std::string seed(db::connection&, const std::filesystem::path& /*seed_dir*/) { return {}; }
    /// Registers its periodic jobs (they run only while the server runs).
    virtual void jobs(scheduler&) {}
    /// Starts its background work when the server runs (not for one-shot commands).
    virtual void run() {}
    /// Stops its background work; called in reverse module order, before the pools stop.
    virtual void stop() {}
};

}  // namespace relais::platform
