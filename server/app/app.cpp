#include "app/app.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>

#include "app/modules.hpp"
#include "app/ws_hub.hpp"
#include "auth/password.hpp"
#include "auth/service.hpp"
#include "auth/store.hpp"
#include "common/errors.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"
#include "common/time.hpp"
#include "common/worker_pool.hpp"
#include "db/pool.hpp"
#include "indexing/indexer.hpp"
#include "library/isolated_extract.hpp"
#include "net/server.hpp"
#include "platform/migrate.hpp"
#include "platform/topics.hpp"
#include "search/index.hpp"

#include <sodium.h>

#include <condition_variable>
#include <csignal>
#include <fstream>
#include <iostream>
#include <pthread.h>
#include <thread>

namespace relais::app {

struct application::parts {
    int lock_fd = -1;  // the data folder's lock, held by a serving process
    config cfg;
    metrics::registry metrics;
    std::vector<std::unique_ptr<platform::module>> modules;
    std::unique_ptr<db::pool> db;
    std::unique_ptr<search::index> index;
    std::unique_ptr<worker_pool> cpu;
    std::unique_ptr<platform::scheduler> jobs;
    platform::local_topics bus;
    std::unique_ptr<platform::context> ctx;
    bool stopped = false;

    void stop_all() {
        if (stopped) return;
        stopped = true;
        if (jobs) jobs->stop();
        for (auto it = modules.rbegin(); it != modules.rend(); ++it) (*it)->stop();
        if (cpu) cpu->stop();
        if (db) db->stop();
    }
};

application::application(config cfg) : p_(std::make_unique<parts>()) {
    if (sodium_init() < 0) throw std::runtime_error("libsodium could not be initialised");
    p_->cfg = std::move(cfg);
    auto& c = p_->cfg;
    log::level lvl;
    if (log::parse_level(c.log_level, lvl)) log::set_level(lvl);
    std::filesystem::create_directories(c.data_dir);
    std::filesystem::permissions(c.data_dir, std::filesystem::perms::owner_all, std::filesystem::perm_options::replace);
    // A data folder restored by another user (root) without giving it back: said plainly,
    // with the fix, rather than SQLite's "attempt to write a readonly database".
    for (const auto& p : {c.data_dir, c.data_dir / "relais.db", c.data_dir / "relais.db-wal", c.data_dir / "index",
                          c.data_dir / "files"}) {
        std::error_code ec;
        if (std::filesystem::exists(p, ec) && ::access(p.c_str(), W_OK) != 0)
            throw std::runtime_error(p.string() + " n'est pas accessible en écriture pour cet utilisateur (" +
                                     std::strerror(errno) + ") : rendez le dossier de données au compte du service "
                                     "(chown -R relais:relais " + c.data_dir.string() + ")");
    }
    if (c.exclusive) {
        // Two servers on one folder would both migrate, seed and write: the second is
        // refused before it touches anything (the lock goes with the process).
        const auto lock = c.data_dir / "relais.lock";
        p_->lock_fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (p_->lock_fd < 0) throw std::runtime_error("cannot open " + lock.string() + ": " + std::strerror(errno));
        if (::flock(p_->lock_fd, LOCK_EX | LOCK_NB) != 0)
            throw std::runtime_error("Relais tourne déjà sur " + c.data_dir.string() +
                                     " (un autre processus tient " + lock.string() + ")");
    }
    p_->modules = make_modules();
    // Each module's migrations, in module order, before any thread reads the database.
    std::vector<platform::module_schema> schema{{"platform", &platform::migrations()}};
    for (const auto& m : p_->modules) schema.push_back({m->name(), &m->migrations()});
    db::pool::options dbo{c.data_dir / "relais.db", static_cast<std::size_t>(c.db_readers), 256, {}};
    dbo.commit_delay = std::chrono::microseconds(c.commit_delay_us);
    dbo.prepare = [schema](db::connection& conn) {
        if (int n = platform::migrate(conn, schema)) log::info("db_migrated", {{"applied", n}});
    };
    p_->db = std::make_unique<db::pool>(std::move(dbo), p_->metrics);
    p_->index = std::make_unique<search::index>(c.data_dir / "index");
    p_->cpu = std::make_unique<worker_pool>("cpu", static_cast<std::size_t>(c.cpu_threads));
    // Synonyms and acronyms are part of the seed content; the index is rebuilt when they change.
    auto synonyms_file = c.seed_dir / "synonymes.txt";
    if (std::filesystem::exists(synonyms_file)) {
        std::ifstream in(synonyms_file, std::ios::binary);
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        p_->index->set_synonyms(search::parse_synonyms(text));
    }
    p_->jobs = std::make_unique<platform::scheduler>(*p_->db, p_->metrics, static_cast<std::size_t>(c.job_threads));
    p_->ctx = std::make_unique<platform::context>(c.values, *p_->db, *p_->cpu, p_->metrics, *p_->index, *p_->jobs,
                                                  c.data_dir, c.seed_dir);
    p_->ctx->set_topics(p_->bus);
    p_->ctx->set_http(c.http);
    for (const auto& m : p_->modules) m->start(*p_->ctx);
    for (const auto& m : p_->modules) m->jobs(*p_->jobs);
}

application::~application() {
    p_->stop_all();
    if (p_->lock_fd >= 0) ::close(p_->lock_fd);
}

auth::service& application::auth() { return p_->ctx->need<auth::service>(); }

std::size_t application::reindex() {
    p_->ctx->need<indexing::indexer>().rebuild();
    return p_->index->document_count();
}
db::pool& application::db() { return *p_->db; }
const config& application::cfg() const { return p_->cfg; }

std::string application::seed() {
    std::string summary;
    p_->db->write_sync([&](db::connection& c) {
        summary.clear();
        for (const auto& m : p_->modules) {
            auto part = m->seed(c, p_->cfg.seed_dir);
            if (part.empty()) continue;
            summary += (summary.empty() ? "" : ", ") + part;
        }
        c.prepare("INSERT INTO seed_runs(name, checksum, loaded_at) VALUES('seed-content', '', unixepoch()) "
                  "ON CONFLICT(name) DO UPDATE SET loaded_at = excluded.loaded_at")
            .exec();
    });
    return summary;
}

bool application::first_access_file_still_useful() {
    // The first password, kept in clear for the first sign-in: once changed, the file says
    // something false and keeps a secret for nothing — removed.
    const auto file = p_->cfg.data_dir / "premier-acces.txt";
    std::ifstream in(file);
    if (!in) return false;
    std::string line, password;
    while (std::getline(in, line))
        if (line.rfind("Mot de passe : ", 0) == 0) password = line.substr(std::string("Mot de passe : ").size());
    in.close();
    std::optional<auth::user> admin;
    p_->db->read_sync([&](db::connection& c) { admin = auth::store::user_by_email(c, "admin@relais.local"); });
    if (admin && !password.empty() && auth::verify_password(admin->password_hash, password)) return true;
    std::error_code ec;
    std::filesystem::remove(file, ec);
    log::info("first_access_file_removed", {{"file", file.string()}, {"reason", "password changed"}});
    return false;
}

std::string application::ensure_first_admin() {
    std::int64_t users = 0;
    p_->db->read_sync([&](db::connection& c) { users = auth::store::count_users(c); });
    if (users > 0) return {};
    auto password = auth::random_token(12);
    auth::user u;
    u.email = "admin@relais.local";
    u.name = "Administrateur";
    u.role = "admin";
    u.password_to_change = true;  // generated: to be replaced at the first sign-in
    auth().create_user_sync(u, password);
    auto file = p_->cfg.data_dir / "premier-acces.txt";
    {
        std::ofstream out(file, std::ios::trunc);
        out << "Relais : premier accès administrateur\nE-mail : admin@relais.local\nMot de passe : " << password
            << "\nChangez ce mot de passe dans « Mon compte » après la première connexion.\n";
    }
    std::filesystem::permissions(file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                                 std::filesystem::perm_options::replace);
    log::info("first_admin_created", {{"email", u.email}, {"file", file.string()}});
    return password;
}

namespace {

net::response metrics_response(const metrics::registry& m) {
    return net::response::text(200, m.render(), "text/plain; version=0.0.4; charset=utf-8");
}

}  // namespace

void application::add_routes(net::router& routes) {
    for (const auto& m : p_->modules) m->routes(routes);
    auto* state = p_.get();
    routes.add("GET", "/healthz", "anyone", [state](net::request&) -> asio::awaitable<net::response> {
        nlohmann::json body = {{"status", "ok"}, {"database", "ok"}, {"index", "ok"}, {"disk", "ok"}};
        int status = 200;
        std::uintmax_t free_bytes = UINTMAX_MAX;
        try {
            co_await state->db->read([&](db::connection& conn) {
                conn.prepare("SELECT count(*) FROM module_migrations").step();
                // Reads answer on a full disk, writes do not (sign-in included): what is
                // left for the data folder is part of the answer.
                std::error_code ec;
                auto space = std::filesystem::space(state->cfg.data_dir, ec);
                if (!ec) free_bytes = space.available;
            });
        } catch (const std::exception&) {
            body["database"] = "erreur";
            status = 503;
        }
        if (free_bytes < (64u << 20)) {
            body["disk"] = "plein";
            status = 503;
        }
        try {
            // Under load the searches say the index reads: no need to queue behind them.
            if (!state->index->answered_within(std::chrono::seconds(5)))
                co_await state->cpu->run([state] { (void)state->index->document_count(); });
        } catch (const std::exception&) {
            body["index"] = "erreur";
            status = 503;
        }
        if (status != 200) body["status"] = "erreur";
        auto r = net::response::json(status, body);
        r.header("Cache-Control", "no-store");
        co_return r;
    });
    // Background jobs, for administrators: what runs, when, and how it went.
    auto& guard = state->ctx->need<auth::service>();
    routes.add("GET", "/api/admin/jobs", guard.guard(auth::access::admin, [state](net::request&, const auth::principal&)
                                                         -> asio::awaitable<net::response> {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& j : state->jobs->status())
            list.push_back({{"key", j.key},
                            {"interval_s", j.interval_s},
                            {"next_run", to_iso8601(j.next_run)},
                            {"last_run", j.last_run ? nlohmann::json(to_iso8601(j.last_run)) : nlohmann::json(nullptr)},
                            {"last_status", j.last_status},
                            {"last_error", j.last_error},
                            {"last_duration_ms", j.last_duration_ms},
                            {"runs", j.runs},
                            {"failures", j.failures},
                            {"running", j.running}});
        auto res = net::response::json(200, {{"jobs", list}});
        res.header("Cache-Control", "no-store");
        co_return res;
    }));
    routes.add("POST", "/api/admin/jobs/{key}/run", guard.guard(auth::access::admin, [state](net::request& req, const auth::principal& p)
                                                                    -> asio::awaitable<net::response> {
        const auto& key = req.params.at("key");
        if (key.size() > 100 || !state->jobs->has(key)) throw api_error(errors::not_found);
        state->jobs->run_soon(key);
        log::info("job_run_requested", {{"job", key}, {"by", p.account.id}});
        auto res = net::response::json(202, {{"job", key}, {"status", "demandé"}});
        co_return res;
    }));
    routes.add("GET", "/metrics", "metrics_allow", [state](net::request& req) -> asio::awaitable<net::response> {
        const auto& allow = state->cfg.metrics_allow;
        if (std::find(allow.begin(), allow.end(), req.client_address) == allow.end()) throw api_error(errors::forbidden);
        // The process as an operator watches it (memory, descriptors, age, version), read
        // from /proc on a worker, not on the network thread.
        co_await state->cpu->run([state] {
            auto& m = state->metrics;
            m.get_gauge("relais_build_info", "Always 1; the version is the label.", "version=\"0.1.0\"").set(1);
            long pages_total = 0, pages_resident = 0;
            if (std::ifstream statm("/proc/self/statm"); statm >> pages_total >> pages_resident)
                m.get_gauge("relais_process_resident_memory_bytes", "Resident memory.")
                    .set(static_cast<std::int64_t>(pages_resident) * ::sysconf(_SC_PAGESIZE));
            std::error_code ec;
            std::int64_t fds = 0;
            for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec); !ec && it != std::filesystem::directory_iterator();
                 it.increment(ec))
                ++fds;
            m.get_gauge("relais_process_open_fds", "Open file descriptors (sockets included).").set(fds);
        });
        auto r = metrics_response(state->metrics);
        co_return r;
    });
}

int application::serve() {
    auto& c = p_->cfg;
    // Signals are taken by one dedicated thread: block them before any thread starts.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    // Writes to a closed pipe or socket are errors, not a signal that ends the process.
    std::signal(SIGPIPE, SIG_IGN);
    auto first_password = ensure_first_admin();
    bool first_start = !first_password.empty();
    // The seed content is loaded once per database (recorded in seed_runs), whatever
    // command created the database first; `relais seed` loads it again on demand.
    bool seeded = false;
    p_->db->read_sync([&](db::connection& conn) {
        auto s = conn.prepare("SELECT 1 FROM seed_runs WHERE name = 'seed-content'");
        seeded = s.step();
    });
    if (!seeded) log::info("seed_loaded", {{"summary", seed()}});
    for (const auto& m : p_->modules) m->run();
    p_->jobs->start();

    net::router routes;
    add_routes(routes);
    net::static_files files(c.web_root);
    ws_hub::limits wl;
    wl.messages_per_second = c.ws_messages_per_second;
    wl.burst = c.ws_message_burst;
    wl.sockets_per_person = static_cast<std::size_t>(c.ws_sockets_per_person);
    auto& auth = p_->ctx->need<auth::service>();
    ws_hub hub(auth, p_->bus, wl);
    for (const auto& m : p_->modules) m->live(hub);
    // Sockets lose their access when their owner does (logout, password, role, guest).
    auth.on_access_change([&hub](const auth::access_change& change) { hub.revoke(change); });
    // The first password's file goes as soon as that password is changed (not at the next start).
    auth.on_access_change([this](const auth::access_change& change) {
        if (change.what != auth::access_change::kind::account_changed) return;
        std::error_code ec;
        if (!std::filesystem::exists(p_->cfg.data_dir / "premier-acces.txt", ec)) return;
        p_->cpu->submit([this] {
            try {
                (void)first_access_file_still_useful();
            } catch (const std::exception& e) {
                log::warn("first_access_file", {{"error", e.what()}});
            }
        });
    });

    net::server_options so;
    so.address = c.listen_address();
    so.port = c.listen_port();
    so.threads = static_cast<std::size_t>(c.threads);
    so.header_max_bytes = static_cast<std::size_t>(c.header_max_bytes);
    so.body_max_bytes = static_cast<std::size_t>(c.body_max_bytes);
    so.header_timeout = std::chrono::seconds(c.header_timeout_s);
    so.request_timeout = std::chrono::seconds(c.request_timeout_s);
    so.max_connections = static_cast<std::size_t>(c.max_connections);
    so.max_connections_per_address = static_cast<std::size_t>(c.max_connections_per_address);
    so.max_pending_connections = static_cast<std::size_t>(c.max_pending_connections);
    so.max_pending_connections_per_address = static_cast<std::size_t>(c.max_pending_connections_per_address);
    so.uploads_in_flight_max_bytes = static_cast<std::size_t>(c.uploads_in_flight_max_bytes);
    so.uploads_in_flight_max_bytes_per_address = static_cast<std::size_t>(c.uploads_in_flight_max_bytes_per_address);
    so.upload_min_bytes_per_second = static_cast<std::size_t>(c.upload_min_bytes_per_second);
    so.requests_per_second_per_address = c.requests_per_second_per_address;
    so.request_burst_per_address = c.request_burst_per_address;
    so.ws_message_max_bytes = static_cast<std::size_t>(c.ws_message_max_bytes);
    so.ws_send_queue_max = static_cast<std::size_t>(c.ws_send_queue_max);
    so.ws_send_queue_max_bytes = static_cast<std::size_t>(c.ws_send_queue_max_bytes);
    so.ws_idle_timeout = std::chrono::seconds(c.ws_idle_timeout_s);
    if (!c.public_url.empty()) so.allowed_origins.push_back(c.public_url);
    so.trusted_proxies = c.trusted_proxies;

    net::server srv(so, routes, &files, &hub, p_->metrics);
    p_->metrics.get_gauge("relais_process_start_time_seconds", "When this process started to serve (unix time).").set(unix_now());
    unsigned short port = 0;
    try {
        port = srv.listen();
    } catch (const boost::system::system_error& e) {
        // Said plainly (the usual cause: another server on that port), not Boost's location.
        throw std::runtime_error("cannot listen on " + so.address + ":" + std::to_string(so.port) + ": " +
                                 e.code().message() +
                                 (e.code() == boost::asio::error::address_in_use
                                      ? " (another Relais, or another program, already listens there: stop it or choose "
                                        "another --listen)"
                                      : ""));
    }
    // The live fan-out runs on the network threads from now until the shutdown begins.
    p_->ctx->live().set([&srv](std::function<void()> f) { return srv.post(std::move(f)); });
    std::string host = so.address.find(':') != std::string::npos ? "[" + so.address + "]" : so.address;
    std::string url = "http://" + host + ":" + std::to_string(port);
    log::info("listening", {{"url", url}, {"web_files", files.size()}});
    // Listening on every address: no browser opens 0.0.0.0; this machine is 127.0.0.1, the
    // others name it by its address (and without a public URL, the origin a request's Host
    // names is accepted: docs/api.md).
    std::string open_url = url;
    if (so.address == "0.0.0.0" || so.address == "::") {
        if (c.public_url.empty())
            log::warn("public_url_unset", {{"effect", "each request's Host is taken as the site's origin; invite links are paths"}});
        open_url = c.public_url.empty() ? "http://127.0.0.1:" + std::to_string(port) : c.public_url;
    }
    const bool first_file = !first_start && first_access_file_still_useful();
    std::cout << "Relais listening on " << url << std::endl;
    if (first_start) {
        std::cout << "Première connexion : ouvrez " << open_url << "/connexion\n"
                  << "  e-mail : admin@relais.local\n  mot de passe : " << first_password << "\n"
                  << "  (aussi dans " << (c.data_dir / "premier-acces.txt").string()
                  << " ; changez-le dans « Mon compte »)" << std::endl;
    } else if (first_file) {
        std::cout << "Connectez-vous sur " << open_url << "/connexion (premier accès : voir "
                  << (c.data_dir / "premier-acces.txt").string() << ")" << std::endl;
    } else {
        std::cout << "Connectez-vous sur " << open_url << "/connexion" << std::endl;
    }

    // Expired sessions end their sockets even when those only listen.
    std::mutex sweep_mutex;
    std::condition_variable sweep_wake;
    bool sweep_stop = false;
    std::thread sweeper([&, every = std::chrono::seconds(c.ws_access_sweep_s)] {
        std::unique_lock lock(sweep_mutex);
        // The sessions are read on this thread (never a network one): one ended by another
        // process (`relais user passwd`) ends its sockets within one round.
        const auto lookup = [&](const std::vector<std::string>& hashes) {
            std::unordered_map<std::string, std::optional<std::int64_t>> out;
            const auto now = unix_now();
            p_->db->read_sync([&](db::connection& conn) {
                for (const auto& h : hashes) {
                    auto p = auth.session(conn, h, now);
                    out[h] = p ? std::optional<std::int64_t>(p->session_expires_at) : std::nullopt;
                }
            });
            return out;
        };
        while (!sweep_wake.wait_for(lock, every, [&] { return sweep_stop; })) {
            try {
                hub.sweep(unix_now(), lookup);
            } catch (const std::exception& e) {
                log::error("ws_sweep_failed", {{"error", e.what()}});
            }
        }
    });

    std::thread signal_thread([&srv, signals] {
        int sig = 0;
        // SIGHUP (a closed terminal, a log rotation's habit) is no reason to stop: logs go
        // to standard output, there is nothing to reopen.
        while (sigwait(&signals, &sig) == 0 && sig == SIGHUP) log::info("signal_ignored", {{"signal", "SIGHUP"}});
        if (sig == 0) return;
        log::info("shutdown", {{"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"}});
        srv.shutdown();  // from here srv.post refuses: the fan-out goes back to its worker
        // Uploads being extracted end now (their requests get an error), not at the deadline.
        library::kill_extractions();
    });
    srv.run();
    p_->ctx->live().set(nullptr);  // srv is about to go
    // The loop stopped (signal or fatal error): wake the signal thread if it waits.
    pthread_kill(signal_thread.native_handle(), SIGTERM);
    signal_thread.join();
    {
        std::lock_guard lock(sweep_mutex);
        sweep_stop = true;
    }
    sweep_wake.notify_all();
    sweeper.join();
    p_->stop_all();
    log::info("stopped");
    return 0;
}

}  // namespace relais::app
