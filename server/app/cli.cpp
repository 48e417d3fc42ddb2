#include "app/cli.hpp"
#include "library/isolated_extract.hpp"

#include "app/app.hpp"
#include "auth/service.hpp"
#include "auth/store.hpp"
#include "auth/territory.hpp"
#include "common/errors.hpp"
#include "common/json_input.hpp"
#include "common/utf8.hpp"
#include "db/pool.hpp"
#include "net/router.hpp"
#include "common/time.hpp"
#include "watch/discover.hpp"
#include "watch/feed.hpp"
#include "watch/fetcher.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <pthread.h>
#include <sys/stat.h>
#include <termios.h>

#include <csignal>
#include <unistd.h>

#include <iostream>
#include <map>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

namespace relais::app {
namespace {

constexpr const char* usage = R"(Relais — plateforme des ateliers et savoirs du réseau CPTS

Usage:
  relais serve  [options]                 serve the web app and the API
  relais user add --email E --name N --role admin|animateur|membre [--org NAME|ID]
                                          create an account (password read from stdin)
  relais user passwd --email E            set a password (read from stdin)
  relais org add --name N --type T [--region CODE [--departements 59,62]]
                                          (départements of that région: --region first)
  relais seed                             load the seed content again (idempotent)
  relais routes                           list the HTTP routes and their access level
  relais reindex                          rebuild the search index from the database
                                          (server stopped; or POST /api/admin/library/reindex)
  relais backup FILE                      consistent online copy of the database
  relais watch parse FILE|URL [--base URL] parse a feed (file or http(s) address) and
                                          print what Relais reads in it, as JSON
  relais version

Options (every command):
  --config FILE        configuration file (default: config/relais.toml)
  --data-dir DIR       data folder (storage.data_dir)
  --listen ADDR:PORT   listening address (server.listen), port 0 = any free port
  --set KEY=VALUE      any setting, e.g. --set limits.body_max_bytes=2097152
                       (a list as a,b: --set server.trusted_proxies=127.0.0.1,::1)
Environment: RELAIS_<SECTION>_<KEY> overrides the file, e.g. RELAIS_SERVER_LISTEN;
the options override both (--set last). Commands other than serve, watch and routes
refuse a data folder that does not exist: give the service's --config.
)";

struct args {
    std::vector<std::string> positional;
    std::map<std::string, std::string> flags;  // --name value
};

args parse(int argc, char** argv) {
    args a;
    for (int i = 1; i < argc; ++i) {
        std::string s = argv[i];
        if (s.rfind("--", 0) == 0) {
            auto eq = s.find('=');
            std::string name = s.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
            std::string value;
            if (eq != std::string::npos) value = s.substr(eq + 1);
            else if (name == "help") value = "1";
            else if (i + 1 < argc) value = argv[++i];
            else throw config_error("missing value for --" + name);
            // An option of a command given twice is a mistake to say, not one to settle
            // silently (which e-mail was meant?); the settings' options take the last one,
            // as scripts add theirs after the defaults.
            const std::string key = name == "set" ? "set:" + value.substr(0, value.find('=')) : name;
            const bool setting = name == "set" || name == "config" || name == "data-dir" || name == "listen";
            if (!setting && a.flags.count(key)) throw config_error("--" + name + " given twice");
            if (name == "set") {
                auto e2 = value.find('=');
                if (e2 == std::string::npos) throw config_error("--set expects KEY=VALUE");
                a.flags[key] = value.substr(e2 + 1);
            } else {
                a.flags[key] = value;
            }
        } else {
            a.positional.push_back(s);
        }
    }
    return a;
}

std::optional<std::string> flag(const args& a, const std::string& name) {
    auto it = a.flags.find(name);
    if (it == a.flags.end()) return std::nullopt;
    return it->second;
}

std::string need(const args& a, const std::string& name) {
    auto v = flag(a, name);
    if (!v || v->empty()) throw config_error("missing --" + name);
    return *v;
}

std::string read_password() {
    bool tty = isatty(STDIN_FILENO);
    termios old{};
    if (tty) {
        std::cerr << "Mot de passe : " << std::flush;
        tcgetattr(STDIN_FILENO, &old);
        termios quiet = old;
        quiet.c_lflag &= static_cast<tcflag_t>(~ECHO);
        tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    std::string pw;
    std::getline(std::cin, pw);
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSANOW, &old);
        std::cerr << "\n";
    }
    if (!pw.empty() && pw.back() == '\r') pw.pop_back();
    // Piped: one line. A second one is not silently dropped (which of them was meant?).
    if (!tty) {
        std::string rest;
        while (std::getline(std::cin, rest))
            if (rest.find_first_not_of(" \t\r") != std::string::npos)
                throw std::runtime_error("the password is read from one line of standard input; more lines followed");
    }
    return pw;
}

config make_config(const args& a, const char* argv0) {
    auto root = default_root(argv0);
    std::map<std::string, std::string> overrides;
    for (const auto& [k, v] : a.flags) {
        if (k.rfind("set:", 0) == 0) overrides[k.substr(4)] = v;
        else if (k == "data-dir") overrides["storage.data_dir"] = v;
        else if (k == "listen") overrides["server.listen"] = v;
    }
    std::filesystem::path file = root / "config" / "relais.toml";
    bool required = false;
    if (auto f = flag(a, "config")) {
        file = *f;
        required = true;
    } else if (const char* env = std::getenv("RELAIS_CONFIG")) {
        file = env;
        required = true;
    }
    return load_config(file, required, overrides, root);
}

int fail(const std::string& msg) {
    std::cerr << "relais: " << msg << "\n";
    return 2;
}

}  // namespace

/// `relais watch parse`: an administrator's diagnostic of a feed, and a way to try the
/// parser on a corpus. Exit status 0 when it is a feed, 1 otherwise (the reason on stderr).
int watch_parse(const std::string& what, std::string base, const outbound::http_options& http) {
    std::string body, charset;
    if (what.rfind("http://", 0) == 0 || what.rfind("https://", 0) == 0) {
        watch::fetcher f(http);
        auto got = f.fetch(what, "", "", 5000);
        if (!got.attempt.ok) {
            std::cerr << "relais: " << got.attempt.error << " (" << got.attempt.error_code << ")\n";
            for (const auto& d : got.alternatives) std::cerr << "  flux proposé : " << d.url << " " << d.title << "\n";
            return 1;
        }
        std::cout << watch::to_json(got.parsed).dump(2) << "\n";
        return 0;
    }
    std::ifstream in(what, std::ios::binary);
    if (!in) return fail("cannot read " + what);
    constexpr std::size_t max = 50u << 20;
    // Read up to one byte past the limit, not the whole input (a device never ends).
    body.resize(max + 1);
    in.read(body.data(), static_cast<std::streamsize>(body.size()));
    body.resize(static_cast<std::size_t>(in.gcount()));
    if (body.size() > max) return fail(what + " is larger than 50 MB");
    watch::parse_options o;
    o.base_url = base;
    o.fetched_at = unix_now();
    o.max_items = 5000;
    try {
        std::cout << watch::to_json(watch::parse_feed(body, o)).dump(2) << "\n";
        return 0;
    } catch (const watch::parse_error& e) {
        std::cerr << "relais: " << e.message() << " (" << e.code() << ")\n";
        if (e.code() == "page_html")
            for (const auto& d : watch::discover_feeds(body, base)) std::cerr << "  flux proposé : " << d.url << " " << d.title << "\n";
        return 1;
    }
}

int run_cli(int argc, char** argv) {
    args a;
    try {
        a = parse(argc, argv);
    } catch (const config_error& e) {
        return fail(e.what());
    }
    if (a.positional.empty() || flag(a, "help")) {
        std::cout << usage;
        return a.positional.empty() && !flag(a, "help") ? 2 : 0;
    }
    std::string cmd = a.positional[0];
    if (cmd == "version") {
        if (a.positional.size() != 1 || !a.flags.empty()) return fail("version takes no argument");
        std::cout << "relais 0.1.0\n";
        return 0;
    }
    if (cmd == "extract") {
        // Internal: the child process of an attachment's text extraction (file on stdin).
        auto name = a.flags.find("name");
        if (name == a.flags.end() || a.positional.size() != 1) return fail("usage: relais extract --name FILE < bytes");
        return library::extract_child_main(name->second);
    }
    if (cmd == "render-page") {
        // Internal: the child process that draws one page of a PDF (file on stdin).
        auto page = a.flags.find("page");
        auto width = a.flags.find("width");
        if (page == a.flags.end() || width == a.flags.end() || a.positional.size() != 1)
            return fail("usage: relais render-page --page N --width W < pdf");
        int n = 0, w = 0;
        try {
            n = std::stoi(page->second);
            w = std::stoi(width->second);
        } catch (const std::exception&) {
            return fail("render-page: --page and --width are numbers");
        }
        if (n < 1 || w < 16 || w > 4000) return fail("render-page: page from 1, width 16..4000");
        return library::render_child_main(n, w);
    }
    static const std::map<std::string, std::vector<std::string>> known_flags{
        {"serve", {}}, {"seed", {}}, {"routes", {}}, {"backup", {}}, {"reindex", {}}, {"watch", {"base"}},
        {"user add", {"email", "name", "role", "org"}}, {"user passwd", {"email"}}, {"org add", {"name", "type", "region", "departements"}}};
    // The commands with a verb: its usage when the verb is missing or unknown.
    if (cmd == "user" || cmd == "org") {
        const std::string verb = a.positional.size() >= 2 ? a.positional[1] : "";
        if (!known_flags.count(cmd + " " + verb) || a.positional.size() != 2)
            return fail(cmd == "user" ? "usage: relais user add --email E --name N --role R [--org O], or relais user passwd --email E"
                                      : "usage: relais org add --name N --type T [--region CODE [--departements 59,62]]");
        cmd += " " + verb;
    }
    auto known = known_flags.find(cmd);
    if (known == known_flags.end()) return fail("unknown command: " + cmd + " (see relais --help)");
    for (const auto& [k, v] : a.flags) {
        if (k == "config" || k == "data-dir" || k == "listen" || k.rfind("set:", 0) == 0) continue;
        if (std::find(known->second.begin(), known->second.end(), k) == known->second.end())
            return fail("unknown option --" + k + " for " + cmd);
    }
    try {
        auto cfg = make_config(a, argv[0]);
        // A command run from the wrong folder, or without the service's --config, must not
        // quietly make a new data folder (an empty backup, an account nobody will see).
        if (cmd != "serve" && cmd != "watch" && cmd != "routes" && !std::filesystem::is_directory(cfg.data_dir))
            return fail("aucune donnée dans " + cfg.data_dir.string() +
                        " : donnez les réglages du service (--config /etc/relais/relais.toml) ou --data-dir");
        // Commands that read what is there (a copy, an index, a password to change) have
        // nothing to read in a folder without a database (useradd --create-home makes one).
        const bool reads_only = cmd == "backup" || cmd == "reindex" || cmd == "user passwd";
        if (reads_only && !std::filesystem::is_regular_file(cfg.data_dir / "relais.db"))
            return fail("aucune donnée dans " + cfg.data_dir.string() +
                        " (pas de relais.db) : donnez les réglages du service (--config /etc/relais/relais.toml) ou "
                        "--data-dir");
        if (cmd == "serve") {
            if (a.positional.size() != 1) return fail("serve takes no argument");
            // SIGINT/SIGTERM are taken by serve's signal thread: block them before
            // any thread (database, workers) starts, so that every thread inherits it.
            sigset_t signals;
            sigemptyset(&signals);
            sigaddset(&signals, SIGINT);
            sigaddset(&signals, SIGTERM);
            sigaddset(&signals, SIGHUP);
            pthread_sigmask(SIG_BLOCK, &signals, nullptr);
            cfg.exclusive = true;
            // The address is tried before anything is written: a start that cannot listen
            // (the port taken) must not first make a database and a first password.
            if (cfg.listen_port() != 0) {
                boost::asio::io_context probe;
                boost::asio::ip::tcp::acceptor a(probe);
                boost::system::error_code ec;
                const boost::asio::ip::tcp::endpoint ep(boost::asio::ip::make_address(cfg.listen_address(), ec), cfg.listen_port());
                if (!ec) a.open(ep.protocol(), ec);
                if (!ec) a.set_option(boost::asio::socket_base::reuse_address(true), ec);
                if (!ec) a.bind(ep, ec);
                if (ec)
                    return fail("cannot listen on " + cfg.listen_address() + ":" + std::to_string(cfg.listen_port()) + ": " + ec.message() +
                                (ec == boost::asio::error::address_in_use
                                     ? " (another Relais, or another program, already listens there: stop it or choose another --listen)"
                                     : ""));
            }
            application app(cfg);
            return app.serve();
        }
        if (cmd == "watch") {
            if (a.positional.size() != 3 || a.positional[1] != "parse") return fail("usage: relais watch parse FILE|URL [--base URL]");
            return watch_parse(a.positional[2], a.flags.count("base") ? a.flags.at("base") : std::string(), cfg.http);
        }
        if (cmd == "routes") {
            // A listing: the routes are those of a fresh instance, built in a folder of its
            // own that goes afterwards (never the service's data, nor a ./data made here).
            char pattern[] = "/tmp/relais-routes-XXXXXX";
            if (!::mkdtemp(pattern)) return fail("routes: cannot create a temporary folder");
            struct remove_after {
                std::filesystem::path dir;
                ~remove_after() {
                    std::error_code ec;
                    std::filesystem::remove_all(dir, ec);
                }
            } scratch{pattern};
            cfg.data_dir = scratch.dir;
            cfg.values.set("storage.data_dir", scratch.dir.string());
            application app(cfg);
            net::router routes;
            app.add_routes(routes);
            for (const auto& r : routes.routes()) std::cout << r.method << " " << r.pattern << " " << r.access << "\n";
            return 0;
        }
        if (cmd == "reindex") {
            if (a.positional.size() != 1) return fail("reindex takes no argument");
            application app(cfg);
            try {
                auto docs = app.reindex();
                std::cout << "index reconstruit : " << docs << " fiches\n";
            } catch (const std::runtime_error& e) {
                return fail(std::string("cannot rebuild the index (is the server running? use POST /api/admin/library/reindex): ") + e.what());
            }
            return 0;
        }
        if (cmd == "seed") {
            application app(cfg);
            std::cout << app.seed() << "\n";
            return 0;
        }
        if (cmd == "backup") {
            if (a.positional.size() != 2) return fail("usage: relais backup FILE");
            std::filesystem::path target = a.positional[1];
            if (std::filesystem::exists(target)) return fail("refusing to overwrite " + target.string());
            application app(cfg);
            // The copy holds password and session hashes: its owner's only.
            const auto previous = ::umask(077);
            app.db().read_sync([&](db::connection& c) { db::backup(c, target); });
            ::umask(previous);
            std::cout << "sauvegarde écrite : " << target.string() << "\n";
            return 0;
        }
        if (cmd == "user add") {
            application app(cfg);
            auth::user u;
            u.email = need(a, "email");
            // The rules the API applies to a name (1–120 characters, one line, no control
            // or bidirectional character, valid UTF-8).
            try {
                const auto typed = need(a, "name");
                if (!is_valid_utf8(typed)) throw std::invalid_argument("name");
                u.name = json_input::required_line(nlohmann::json{{"name", typed}}, "name", 120);
            } catch (const std::exception&) {
                return fail("--name: 1 to 120 characters on one line, without control or direction-changing characters");
            }
            u.role = need(a, "role");
            if (!auth::is_role(u.role)) return fail("--role must be admin, animateur or membre");
            if (auto o = flag(a, "org")) {
                std::optional<auth::org> found;
                app.db().read_sync([&](db::connection& c) {
                    found = auth::store::org_by_name(c, *o);
                    if (!found && !o->empty() && std::all_of(o->begin(), o->end(), ::isdigit))
                        found = auth::store::org_by_id(c, std::stoll(*o));
                });
                if (!found) return fail("unknown organisation: " + *o);
                u.org_id = found->id;
            }
            auto created = app.auth().create_user_sync(u, read_password());
            std::cout << "compte créé : " << created.email << " (" << created.role << ", id " << created.id << ")\n";
            return 0;
        }
        if (cmd == "user passwd") {
            application app(cfg);
            const auto email = need(a, "email");
            try {
                app.auth().set_password_sync(email, read_password());
            } catch (const api_error& e) {
                if (e.code() == "introuvable") return fail("aucun compte pour " + email);
                throw;
            }
            std::cout << "mot de passe changé\n";
            return 0;
        }
        if (cmd == "org add") {
            nlohmann::json body = {{"name", need(a, "name")}, {"type", need(a, "type")}};
            if (auto r = flag(a, "region")) body["region"] = *r;
            if (auto d = flag(a, "departements")) {
                body["departements"] = nlohmann::json::array();
                std::string rest = *d;
                std::size_t i = 0;
                while (i <= rest.size()) {
                    auto j = rest.find(',', i);
                    if (j == std::string::npos) j = rest.size();
                    if (j > i) body["departements"].push_back(rest.substr(i, j - i));
                    i = j + 1;
                }
            }
            application app(cfg);
            auth::org parsed;
            try {
                parsed = auth::service::parse_org(body, nullptr);
            } catch (const api_error& e) {
                // Say what is expected, not only which option is wrong.
                if (e.field() == "type") {
                    std::string types;
                    for (const auto& t : auth::org_types()) (types += types.empty() ? "" : ", ") += t.code;
                    return fail("--type must be one of: " + types);
                }
                if (e.field() == "region") return fail("--region must be a région's INSEE code (e.g. 32 for Hauts-de-France)");
                if (e.field() == "departements")
                    return fail("--departements must be départements of the --region given (e.g. --region 32 --departements 59,62)");
                throw;
            }
            auto o = app.auth().create_org_sync(parsed);
            std::cout << "organisation créée : " << o.name << " (id " << o.id << ")\n";
            return 0;
        }
        return fail("unknown command (see relais --help)");
    } catch (const config_error& e) {
        return fail(std::string("configuration: ") + e.what());
    } catch (const api_error& e) {
        return fail(std::string(e.message()) + (e.field().empty() ? "" : " (" + e.field() + ")"));
    } catch (const std::exception& e) {
        // A data folder this user may not write (restored as root, a read-only mount): say
        // what to do, not only what the system said.
        const std::string what = e.what();
        for (const char* sign : {"Permission denied", "readonly", "read-only", "unable to open database", "Read-only file system"})
            if (what.find(sign) != std::string::npos)
                return fail(what + "\n  the data folder and everything in it must be writable by the user that runs relais"
                                   " (chown -R relais: /var/lib/relais; see docs/deployment.md)");
        return fail(what);
    } catch (...) {
        return fail("unexpected error");
    }
}

}  // namespace relais::app
