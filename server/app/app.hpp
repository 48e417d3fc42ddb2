#pragma once
// Wiring: owns the metrics, the database, the index, the worker pools, the
// services and the server, in that order of construction.
#include "app/config.hpp"

#include <memory>

namespace relais::auth { class service; }
namespace relais::db { class pool; }
namespace relais::net { class router; }

namespace relais::app {

class application {
public:
    explicit application(config cfg);
    ~application();
    application(const application&) = delete;
    application& operator=(const application&) = delete;

    /// Serves until SIGINT/SIGTERM; returns the process exit code.
    int serve();

    /// Loads the seed content (idempotent). Returns a one-line summary.
    std::string seed();
    /// Creates the first administrator when there is no account at all; returns
    /// its generated password, or "" when accounts exist.
    /// premier-acces.txt while its password is still the administrator's; removed once changed.
    bool first_access_file_still_useful();
    std::string ensure_first_admin();

    /// Rebuilds the search index from the database (blocking); returns its document count.
    std::size_t reindex();

    /// Registers every HTTP route of every module (and /healthz, /metrics).
    void add_routes(net::router& routes);

    auth::service& auth();
    db::pool& db();
    const config& cfg() const;

private:
    struct parts;
    std::unique_ptr<parts> p_;
};

}  // namespace relais::app
