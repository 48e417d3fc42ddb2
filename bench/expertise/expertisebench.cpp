// relais_expertisebench — the expertise map's directory and need matching done with SQLite
// FTS5, on the data Relais was loaded with (bench/expertise/load.mjs writes it as JSONL),
// behind the same HTTP layer (relais_net: router, limits), the same signed-in check (a
// session row read on one hop, the query on another, 2 worker threads like Relais's 2
// database readers), answering the same routes with the same JSON. And the HTTP client
// that measures both.
//
//   relais_expertisebench index --data data.jsonl --db FILE
//       builds the SQLite database; prints {"people","entries","needs","seconds"}
//   relais_expertisebench serve --db FILE
//       serves GET /api/expertise/people and GET /api/expertise/needs/{id}/proposals on
//       127.0.0.1 (port printed)
//   relais_expertisebench load --port P --targets FILE --requests N --connections C [--cookie C]
//       replays the targets (one path per line, in turn) over keep-alive connections;
//       prints {"requests","seconds","rps","p50_ms","p90_ms","p99_ms","max_ms","errors","bytes"}
//
// The FTS5 side: a people table, `fts5(name, body, tokenize='unicode61 remove_diacritics 2')`
// over the people who agreed to appear (body: role, organisation, domains and notes,
// territory: what Relais indexes), facets (domain, referent, practice, departement, region,
// role, org, audience) as integer value ids in person_facets for filters and counts (over the
// first 5,000 matches, as Relais counts them), bm25 with the name weighted 3.
// Matching is one SQL query: the entries in the need's domains grouped by person, joined to
// the people who agreed and whom the viewer may see, scored as Relais's match_score
// (level, proximity, validation, freshness, load), best 10.
#include "common/metrics.hpp"
#include "common/worker_pool.hpp"
#include "net/router.hpp"
#include "net/server.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <thread>
#include <unordered_map>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using json = nlohmann::json;
using clock_type = std::chrono::steady_clock;
using namespace relais;

namespace {

constexpr std::int64_t stale_after_s = 12 * 30 * 86400;  // Relais: expertise.stale_after_months = 12, months of 30 days
constexpr std::size_t facet_depth = 5000;                 // Relais (search/index.cpp): facets count the first 5,000 matches

std::map<std::string, std::string> flags(int argc, char** argv, int from) {
    std::map<std::string, std::string> out;
    for (int i = from; i + 1 < argc; i += 2) {
        std::string k = argv[i];
        if (k.rfind("--", 0) != 0) throw std::invalid_argument("expected --flag value, got " + k);
        out[k.substr(2)] = argv[i + 1];
    }
    return out;
}

std::string need(const std::map<std::string, std::string>& f, const char* k) {
    auto it = f.find(k);
    if (it == f.end()) throw std::invalid_argument(std::string("missing --") + k);
    return it->second;
}

std::int64_t now_s() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// ---------------------------------------------------------------- SQLite helpers

void check(int rc, sqlite3* db, const std::string& what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) throw std::runtime_error(what + ": " + sqlite3_errmsg(db));
}

void exec(sqlite3* db, const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
        std::string m = err ? err : "?";
        sqlite3_free(err);
        throw std::runtime_error(m + " in " + sql.substr(0, 80));
    }
}

sqlite3* open_db(const std::string& path, int mode) {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, mode | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) throw std::runtime_error("cannot open " + path);
    exec(db, "PRAGMA temp_store=MEMORY");  // as Relais's connections
    return db;
}

/// A statement borrowed from a connection's cache (by SQL text, as Relais's db::connection
/// does), reset and unbound when it goes out of scope.
class stmt {
public:
    stmt(sqlite3* db, sqlite3_stmt* s) : db_(db), s_(s) {}
    ~stmt() {
        sqlite3_reset(s_);
        sqlite3_clear_bindings(s_);
    }
    stmt(const stmt&) = delete;
    stmt& bind(int i, const std::string& v) {
        sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
        return *this;
    }
    stmt& bind(int i, std::int64_t v) {
        sqlite3_bind_int64(s_, i, v);
        return *this;
    }
    stmt& bind_null(int i) {
        sqlite3_bind_null(s_, i);
        return *this;
    }
    int index(const char* name) const { return sqlite3_bind_parameter_index(s_, name); }
    bool step() {
        int rc = sqlite3_step(s_);
        if (rc == SQLITE_ROW) return true;
        check(rc, db_, "step");
        return false;
    }
    void run() {
        while (step()) {
        }
    }
    std::int64_t i64(int c) const { return sqlite3_column_int64(s_, c); }
    double dbl(int c) const { return sqlite3_column_double(s_, c); }
    bool null(int c) const { return sqlite3_column_type(s_, c) == SQLITE_NULL; }
    std::string text(int c) const {
        auto p = reinterpret_cast<const char*>(sqlite3_column_text(s_, c));
        return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, c))) : std::string();
    }

private:
    sqlite3* db_;
    sqlite3_stmt* s_;
};

class connection {
public:
    connection(const std::string& path, int mode) : db_(open_db(path, mode)) {}
    ~connection() {
        for (auto& [sql, s] : cache_) sqlite3_finalize(s);
        sqlite3_close(db_);
    }
    connection(const connection&) = delete;
    stmt prepare(const std::string& sql) {
        auto it = cache_.find(sql);
        if (it == cache_.end()) {
            sqlite3_stmt* s = nullptr;
            check(sqlite3_prepare_v3(db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr), db_, sql);
            it = cache_.emplace(sql, s).first;
        }
        return stmt(db_, it->second);
    }
    sqlite3* raw() { return db_; }

private:
    sqlite3* db_;
    std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

// ---------------------------------------------------------------- index

const char* schema = R"(
CREATE TABLE regions(code TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE departements(code TEXT PRIMARY KEY, name TEXT NOT NULL, region TEXT NOT NULL);
CREATE TABLE domains(id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE, label TEXT NOT NULL, position INTEGER NOT NULL,
                     archived INTEGER NOT NULL DEFAULT 0);
CREATE TABLE roles(code TEXT PRIMARY KEY, label TEXT NOT NULL, position INTEGER NOT NULL);
CREATE TABLE orgs(id INTEGER PRIMARY KEY, name TEXT NOT NULL, type TEXT NOT NULL, region TEXT NOT NULL DEFAULT '');
CREATE TABLE users(id INTEGER PRIMARY KEY, role TEXT NOT NULL, org_id INTEGER);
CREATE TABLE sessions(token TEXT PRIMARY KEY, user_id INTEGER NOT NULL, expires_at INTEGER NOT NULL);
CREATE TABLE people(id INTEGER PRIMARY KEY, name TEXT NOT NULL, org_id INTEGER, role TEXT NOT NULL, region TEXT NOT NULL DEFAULT '',
                    departements TEXT NOT NULL DEFAULT '[]', consent INTEGER NOT NULL, audience TEXT NOT NULL,
                    email TEXT NOT NULL DEFAULT '', phone TEXT NOT NULL DEFAULT '');
CREATE INDEX people_org ON people(org_id);
CREATE TABLE entries(id INTEGER PRIMARY KEY, person_id INTEGER NOT NULL, domain_id INTEGER NOT NULL, level TEXT NOT NULL,
                     scope TEXT NOT NULL, note TEXT NOT NULL DEFAULT '', confirmed_at INTEGER NOT NULL, validated INTEGER NOT NULL,
                     UNIQUE(person_id, domain_id));
CREATE INDEX entries_domain ON entries(domain_id, level);
CREATE TABLE needs(id INTEGER PRIMARY KEY, title TEXT NOT NULL, cpts_name TEXT NOT NULL, region TEXT NOT NULL DEFAULT '',
                   departements TEXT NOT NULL DEFAULT '[]', domains TEXT NOT NULL DEFAULT '[]', state TEXT NOT NULL,
                   assignee_id INTEGER);
CREATE INDEX needs_assignee ON needs(assignee_id, state);
CREATE VIRTUAL TABLE people_fts USING fts5(name, body, tokenize='unicode61 remove_diacritics 2');
CREATE TABLE facet_values(vid INTEGER PRIMARY KEY, facet TEXT NOT NULL, value TEXT NOT NULL, UNIQUE(facet, value));
CREATE TABLE person_facets(id INTEGER NOT NULL, vid INTEGER NOT NULL, PRIMARY KEY(id, vid)) WITHOUT ROWID;
)";

int cmd_index(const std::map<std::string, std::string>& f) {
    const auto path = need(f, "db");
    std::filesystem::remove(path);
    std::filesystem::remove(path + "-wal");
    std::filesystem::remove(path + "-shm");
    std::vector<json> records;
    {
        std::ifstream in(need(f, "data"));
        if (!in) throw std::runtime_error("cannot read the data");
        for (std::string line; std::getline(in, line);)
            if (!line.empty()) records.push_back(json::parse(line));
    }
    auto start = clock_type::now();
    connection c(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    exec(c.raw(), "PRAGMA journal_mode=WAL");
    exec(c.raw(), schema);
    exec(c.raw(), "BEGIN");
    std::map<std::string, std::string> region_name, dep_name, dep_region, role_label, org_name;
    std::map<std::string, std::vector<std::string>> region_deps;
    std::map<std::int64_t, std::string> org_region;
    std::map<std::string, std::pair<std::int64_t, std::string>> domain_of;  // code -> id, label
    std::map<std::string, int> domain_position;
    std::map<std::pair<std::string, std::string>, std::int64_t> facet_vid;
    std::size_t people = 0, entries = 0, needs = 0;
    for (const auto& r : records) {
        const auto kind = r.at("kind").get<std::string>();
        if (kind == "viewer") {
            c.prepare("INSERT INTO users(id, role, org_id) VALUES(?, ?, ?)")
                .bind(1, r["user_id"].get<std::int64_t>())
                .bind(2, r["role"].get<std::string>())
                .bind(3, r["org_id"].get<std::int64_t>())
                .run();
            c.prepare("INSERT INTO sessions(token, user_id, expires_at) VALUES(?, ?, ?)")
                .bind(1, r["token"].get<std::string>())
                .bind(2, r["user_id"].get<std::int64_t>())
                .bind(3, now_s() + 12 * 3600)
                .run();
        } else if (kind == "region") {
            const auto code = r["code"].get<std::string>();
            region_name[code] = r["name"].get<std::string>();
            c.prepare("INSERT INTO regions(code, name) VALUES(?, ?)").bind(1, code).bind(2, region_name[code]).run();
            for (const auto& d : r["departements"]) {
                const auto dc = d["code"].get<std::string>();
                dep_name[dc] = d["name"].get<std::string>();
                dep_region[dc] = code;
                region_deps[code].push_back(dc);
                c.prepare("INSERT INTO departements(code, name, region) VALUES(?, ?, ?)").bind(1, dc).bind(2, dep_name[dc]).bind(3, code).run();
            }
        } else if (kind == "domain") {
            c.prepare("INSERT INTO domains(code, label, position, archived) VALUES(?, ?, ?, ?)")
                .bind(1, r["code"].get<std::string>())
                .bind(2, r["label"].get<std::string>())
                .bind(3, r["position"].get<std::int64_t>())
                .bind(4, r.value("archived", false) ? 1 : 0)
                .run();
            domain_of[r["code"].get<std::string>()] = {sqlite3_last_insert_rowid(c.raw()), r["label"].get<std::string>()};
            domain_position[r["code"].get<std::string>()] = r["position"].get<int>();
        } else if (kind == "role") {
            role_label[r["code"].get<std::string>()] = r["label"].get<std::string>();
            c.prepare("INSERT INTO roles(code, label, position) VALUES(?, ?, ?)")
                .bind(1, r["code"].get<std::string>())
                .bind(2, r["label"].get<std::string>())
                .bind(3, r["position"].get<std::int64_t>())
                .run();
        } else if (kind == "org") {
            const auto id = r["id"].get<std::int64_t>();
            org_region[id] = r["region"].get<std::string>();
            org_name[std::to_string(id)] = r["name"].get<std::string>();
            c.prepare("INSERT INTO orgs(id, name, type, region) VALUES(?, ?, ?, ?)")
                .bind(1, id)
                .bind(2, r["name"].get<std::string>())
                .bind(3, r["type"].get<std::string>())
                .bind(4, org_region[id])
                .run();
        } else if (kind == "person") {
            const auto id = r["id"].get<std::int64_t>();
            const bool consent = r["consent"].get<bool>();
            std::optional<std::int64_t> org;
            if (!r["org_id"].is_null()) org = r["org_id"].get<std::int64_t>();
            const auto region = r["region"].get<std::string>();
            const auto deps = r["departements"].get<std::vector<std::string>>();
            const auto role = r["role"].get<std::string>();
            const auto audience = r["audience"].get<std::string>();
            {
                auto s = c.prepare(
                    "INSERT INTO people(id, name, org_id, role, region, departements, consent, audience, email, phone) "
                    "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
                s.bind(1, id).bind(2, r["name"].get<std::string>());
                if (org)
                    s.bind(3, *org);
                else
                    s.bind_null(3);
                s.bind(4, role).bind(5, region).bind(6, json(deps).dump()).bind(7, consent ? 1 : 0).bind(8, audience);
                s.bind(9, r["email"].get<std::string>()).bind(10, r["phone"].get<std::string>()).run();
            }
            ++people;
            // Entries in the order Relais shows them (level, then the domain's position).
            auto list = r["entries"];
            std::stable_sort(list.begin(), list.end(), [&](const json& a, const json& b) {
                auto rank = [](const std::string& l) { return l == "referent" ? 0 : l == "pratique" ? 1 : 2; };
                auto ra = rank(a["level"].get<std::string>()), rb = rank(b["level"].get<std::string>());
                if (ra != rb) return ra < rb;
                return domain_position[a["domain"].get<std::string>()] < domain_position[b["domain"].get<std::string>()];
            });
            std::set<std::string> domains, referent, practice;
            std::string body;
            for (const auto& e : list) {
                const auto code = e["domain"].get<std::string>();
                const auto level = e["level"].get<std::string>();
                c.prepare("INSERT INTO entries(person_id, domain_id, level, scope, note, confirmed_at, validated) VALUES(?, ?, ?, ?, ?, ?, ?)")
                    .bind(1, id)
                    .bind(2, domain_of.at(code).first)
                    .bind(3, level)
                    .bind(4, e["scope"].get<std::string>())
                    .bind(5, e["note"].get<std::string>())
                    .bind(6, e["confirmed_at"].get<std::int64_t>())
                    .bind(7, e["validated"].get<bool>() ? 1 : 0)
                    .run();
                ++entries;
                domains.insert(code);
                if (level == "referent") referent.insert(code);
                if (level != "notions") practice.insert(code);
                body += domain_of.at(code).second + ". " + e["note"].get<std::string>() + "\n";
            }
            if (!consent) continue;  // the directory shows only the people who agreed
            // What Relais indexes: role and organisation, domains and notes, territory names.
            const std::string home = region.empty() && org ? org_region[*org] : region;
            std::string summary = role_label[role] + (org ? " — " + org_name[std::to_string(*org)] : std::string());
            for (const auto& d : deps) body += dep_name[d] + " ";
            if (!region.empty()) body += region_name[region];
            c.prepare("INSERT INTO people_fts(rowid, name, body) VALUES(?, ?, ?)")
                .bind(1, id)
                .bind(2, r["name"].get<std::string>())
                .bind(3, summary + "\n" + body)
                .run();
            std::vector<std::string> covered = deps;
            if (covered.empty() && !home.empty()) covered = region_deps[home];
            std::set<std::string> regions;
            for (const auto& d : covered) regions.insert(dep_region[d]);
            if (!home.empty()) regions.insert(home);
            std::vector<std::pair<std::string, std::string>> facets;
            for (const auto& x : domains) facets.emplace_back("domain", x);
            for (const auto& x : referent) facets.emplace_back("referent", x);
            for (const auto& x : practice) facets.emplace_back("practice", x);
            for (const auto& x : std::set<std::string>(covered.begin(), covered.end())) facets.emplace_back("departement", x);
            for (const auto& x : regions) facets.emplace_back("region", x);
            facets.emplace_back("role", role);
            if (org) facets.emplace_back("org", std::to_string(*org));
            facets.emplace_back("audience", audience == "network"  ? std::string("network")
                                            : audience == "region" ? "region:" + home
                                                                   : "org:" + std::to_string(org.value_or(0)));
            for (const auto& [facet, value] : facets) {
                auto [it, fresh] = facet_vid.try_emplace({facet, value}, static_cast<std::int64_t>(facet_vid.size() + 1));
                if (fresh)
                    c.prepare("INSERT INTO facet_values(vid, facet, value) VALUES(?, ?, ?)").bind(1, it->second).bind(2, facet).bind(3, value).run();
                c.prepare("INSERT OR IGNORE INTO person_facets(id, vid) VALUES(?, ?)").bind(1, id).bind(2, it->second).run();
            }
        } else if (kind == "need") {
            auto s = c.prepare(
                "INSERT INTO needs(id, title, cpts_name, region, departements, domains, state, assignee_id) VALUES(?, ?, ?, ?, ?, ?, ?, ?)");
            s.bind(1, r["id"].get<std::int64_t>())
                .bind(2, r["title"].get<std::string>())
                .bind(3, r["cpts_name"].get<std::string>())
                .bind(4, r["region"].get<std::string>())
                .bind(5, r["departements"].dump())
                .bind(6, r["domains"].dump())
                .bind(7, r["state"].get<std::string>());
            if (r["assignee_id"].is_null())
                s.bind_null(8);
            else
                s.bind(8, r["assignee_id"].get<std::int64_t>());
            s.run();
            ++needs;
        }
    }
    exec(c.raw(), "COMMIT");
    exec(c.raw(), "CREATE INDEX person_facets_vid ON person_facets(vid, id)");
    exec(c.raw(), "INSERT INTO people_fts(people_fts) VALUES('optimize')");
    exec(c.raw(), "ANALYZE");
    double seconds = std::chrono::duration<double>(clock_type::now() - start).count();
    std::cout << json{{"people", people}, {"entries", entries}, {"needs", needs}, {"seconds", seconds}}.dump() << std::endl;
    return 0;
}

// ---------------------------------------------------------------- serve

struct viewer {
    std::int64_t user_id = 0;
    std::string role, region;
    std::optional<std::int64_t> org_id;
};

struct bad_request : std::runtime_error {
    int status;
    bad_request(int s, const std::string& m) : std::runtime_error(m), status(s) {}
};

/// Same user syntax as Relais's directory: words (all of them), "phrases", OR, NOT, prefix*.
/// Every word is quoted so that punctuation can never be an FTS5 syntax error.
std::string fts_query(const std::string& raw) {
    std::string out;
    std::size_t i = 0;
    auto word_char = [](unsigned char ch) { return std::isalnum(ch) || ch >= 0x80 || ch == '\'' || ch == '-'; };
    while (i < raw.size()) {
        if (std::isspace(static_cast<unsigned char>(raw[i]))) {
            ++i;
            continue;
        }
        if (raw[i] == '"') {
            auto end = raw.find('"', i + 1);
            if (end == std::string::npos) end = raw.size();
            std::string phrase;
            for (char ch : raw.substr(i + 1, end - i - 1)) phrase += word_char(static_cast<unsigned char>(ch)) ? ch : ' ';
            if (!out.empty()) out += ' ';
            out += "\"" + phrase + "\"";
            i = end + 1;
            continue;
        }
        auto end = i;
        while (end < raw.size() && !std::isspace(static_cast<unsigned char>(raw[end]))) ++end;
        std::string token = raw.substr(i, end - i);
        i = end;
        if (token == "AND" || token == "OR" || token == "NOT") {
            if (!out.empty()) out += " " + token;
            continue;
        }
        bool prefix = !token.empty() && token.back() == '*';
        std::string word;
        for (char ch : token) word += word_char(static_cast<unsigned char>(ch)) ? ch : ' ';
        if (word.find_first_not_of(' ') == std::string::npos) continue;
        if (!out.empty()) out += ' ';
        out += "\"" + word + "\"" + (prefix ? "*" : "");
    }
    return out;
}

std::string trim(const std::string& s) {
    auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return {};
    auto e = s.find_last_not_of(" \t\r\n");
    return s.substr(b, e - b + 1);
}

class fts5_map {
public:
    explicit fts5_map(std::string path) : path_(std::move(path)) {
        // The reference data in memory, as Relais has it.
        connection c(path_, SQLITE_OPEN_READONLY);
        auto r = c.prepare("SELECT code, name FROM regions");
        while (r.step()) region_name_[r.text(0)] = r.text(1);
        auto d = c.prepare("SELECT code, name, region FROM departements");
        while (d.step()) dep_name_[d.text(0)] = d.text(1);
        // The facet values' names by id (what the counts are reported as).
        auto v = c.prepare("SELECT vid, facet, value FROM facet_values ORDER BY vid");
        while (v.step()) {
            facet_names_.resize(static_cast<std::size_t>(v.i64(0)) + 1);
            facet_names_.back() = {v.text(1), v.text(2)};
        }
    }

    connection& db() {
        // One read-only connection per worker thread, like Relais's readers.
        static thread_local std::map<std::string, std::unique_ptr<connection>> readers;
        auto& c = readers[path_];
        if (!c) c = std::make_unique<connection>(path_, SQLITE_OPEN_READONLY);
        return *c;
    }

    /// The signed-in check: the session's account, its organisation's région.
    std::optional<viewer> session(const std::string& token) {
        auto s = db().prepare(
            "SELECT u.id, u.role, u.org_id, coalesce(o.region, '') FROM sessions s JOIN users u ON u.id = s.user_id "
            "LEFT JOIN orgs o ON o.id = u.org_id WHERE s.token = ? AND s.expires_at > ?");
        s.bind(1, token).bind(2, now_s());
        if (!s.step()) return std::nullopt;
        viewer v;
        v.user_id = s.i64(0);
        v.role = s.text(1);
        if (!s.null(2)) v.org_id = s.i64(2);
        v.region = s.text(3);
        return v;
    }

    json territory(const std::string& region, const std::string& deps_json) const {
        json deps = json::array();
        for (const auto& d : json::parse(deps_json)) deps.push_back({{"code", d}, {"name", dep_name_.at(d.get<std::string>())}});
        json r = nullptr;
        if (auto it = region_name_.find(region); it != region_name_.end()) r = {{"code", region}, {"name", it->second}};
        return {{"region", r}, {"departements", deps}};
    }

    json directory(const viewer& v, const std::map<std::string, std::string>& query) {
        auto& c = db();
        const auto param = [&](const char* name) {
            auto it = query.find(name);
            return it == query.end() ? std::string() : trim(it->second);
        };
        const auto text = param("q");
        if (text.size() > 300) throw bad_request(400, "q");
        std::map<std::string, std::vector<std::string>> filters;
        if (v.role != "admin") {
            filters["audience"] = {"network"};
            if (!v.region.empty()) filters["audience"].push_back("region:" + v.region);
            if (v.org_id) filters["audience"].push_back("org:" + std::to_string(*v.org_id));
        }
        const auto domain = param("domain"), level = param("level");
        if (!domain.empty()) {
            if (!c.prepare("SELECT 1 FROM domains WHERE code = ?").bind(1, domain).step()) throw bad_request(400, "domain");
            filters[level == "referent" ? "referent" : level == "pratique" ? "practice" : "domain"] = {domain};
        } else if (!level.empty() && level != "notions") {
            throw bad_request(400, "level");
        }
        if (!level.empty() && level != "notions" && level != "pratique" && level != "referent") throw bad_request(400, "level");
        if (auto dep = param("departement"); !dep.empty()) {
            if (!dep_name_.count(dep)) throw bad_request(400, "departement");
            filters["departement"] = {dep};
        }
        if (auto region = param("region"); !region.empty()) {
            if (!region_name_.count(region)) throw bad_request(400, "region");
            filters["region"] = {region};
        }
        for (const char* name : {"org", "role"})
            if (auto x = param(name); !x.empty()) filters[name] = {x};
        const auto number = [&](const char* name, std::int64_t def, std::int64_t max) {
            auto t = param(name);
            if (t.empty()) return def;
            std::int64_t n = 0;
            for (char ch : t) {
                if (ch < '0' || ch > '9' || n > 100000) throw bad_request(400, name);
                n = n * 10 + (ch - '0');
            }
            return std::min(n, max);
        };
        const auto limit = number("limit", 20, 100), offset = number("offset", 0, 10000);

        // The filters as facet value ids (a value nobody has: no match).
        std::string where;
        const auto match = fts_query(text);
        const bool words = !match.empty();
        bool impossible = false;
        for (const auto& [facet, values] : filters) {
            std::string in;
            for (std::size_t i = 0; i < values.size(); ++i) in += i ? ",?" : "?";
            auto s = c.prepare("SELECT vid FROM facet_values WHERE facet = ? AND value IN (" + in + ")");
            s.bind(1, facet);
            for (std::size_t i = 0; i < values.size(); ++i) s.bind(static_cast<int>(i + 2), values[i]);
            std::string vids;
            while (s.step()) vids += (vids.empty() ? "" : ",") + std::to_string(s.i64(0));
            if (vids.empty()) impossible = true;
            // With words, a facet check per match (EXISTS on person_facets' primary key);
            // without, the facet index drives (IN).
            where += words ? " AND EXISTS (SELECT 1 FROM person_facets ff WHERE ff.id = people_fts.rowid AND ff.vid IN (" + vids + "))"
                           : " AND people.id IN (SELECT id FROM person_facets WHERE vid IN (" + vids + "))";
        }
        // Every match in result order, once (the total, the page, the facets' first matches).
        std::vector<std::int64_t> ids;
        if (!impossible) {
            auto s = c.prepare(words ? "SELECT rowid FROM people_fts WHERE people_fts MATCH ?" + where +
                                           " ORDER BY bm25(people_fts, 3.0, 1.0), rowid"
                                     : "SELECT id FROM people WHERE consent = 1" + where + " ORDER BY id");
            if (words) s.bind(1, match);
            while (s.step()) ids.push_back(s.i64(0));
        }
        const auto total = static_cast<std::int64_t>(ids.size());
        const auto from = std::min<std::size_t>(ids.size(), static_cast<std::size_t>(offset));
        const std::vector<std::int64_t> page(ids.begin() + static_cast<std::ptrdiff_t>(from),
                                             ids.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(ids.size(), from + static_cast<std::size_t>(limit))));
        const auto id_list = [](const std::vector<std::int64_t>& xs) {
            std::string out;
            for (auto x : xs) out += (out.empty() ? "" : ",") + std::to_string(x);
            return out;
        };

        // The page, with what each person shows (organisation, role, territory, snippet).
        json people = json::array();
        if (!page.empty()) {
            std::unordered_map<std::int64_t, json> by_id;
            const auto in = id_list(page);
            auto s = c.prepare(std::string("SELECT p.id, p.name, p.org_id, o.name, o.type, p.role, r.label, p.region, p.departements, ") +
                               (words ? "snippet(people_fts, 1, '', '', '…', 28) FROM people_fts JOIN people p ON p.id = people_fts.rowid "
                                        "LEFT JOIN orgs o ON o.id = p.org_id LEFT JOIN roles r ON r.code = p.role "
                                        "WHERE people_fts MATCH ? AND people_fts.rowid IN (" + in + ")"
                                      : "substr(f.body, 1, 200) FROM people p JOIN people_fts f ON f.rowid = p.id "
                                        "LEFT JOIN orgs o ON o.id = p.org_id LEFT JOIN roles r ON r.code = p.role WHERE p.id IN (" + in + ")"));
            if (words) s.bind(1, match);
            while (s.step())
                by_id[s.i64(0)] = {{"id", s.i64(0)},
                                   {"name", s.text(1)},
                                   {"org", s.null(2) ? json(nullptr) : json{{"id", s.i64(2)}, {"name", s.text(3)}, {"type", s.text(4)}}},
                                   {"role", {{"code", s.text(5)}, {"label", s.text(6)}}},
                                   {"territory", territory(s.text(7), s.text(8))},
                                   {"entries", json::array()},
                                   {"snippet", s.text(9)}};
            auto e = c.prepare(
                "SELECT e.person_id, d.code, d.label, e.level, e.scope, e.validated, e.confirmed_at FROM entries e "
                "JOIN domains d ON d.id = e.domain_id WHERE e.person_id IN (" + in + ") "
                "ORDER BY e.person_id, CASE e.level WHEN 'referent' THEN 0 WHEN 'pratique' THEN 1 ELSE 2 END, d.position");
            const auto stale_before = now_s() - stale_after_s;
            while (e.step())
                by_id[e.i64(0)]["entries"].push_back({{"domain", {{"code", e.text(1)}, {"label", e.text(2)}}},
                                                      {"level", e.text(3)},
                                                      {"scope", e.text(4)},
                                                      {"validated", e.i64(5) != 0},
                                                      {"stale", e.i64(6) < stale_before}});
            for (auto id : page) people.push_back(std::move(by_id[id]));
        }
        // Facet counts over the first 5,000 matches in result order, as Relais counts them.
        json facets = json::object();
        for (const char* f : {"domain", "referent", "departement", "region", "org", "role"}) facets[f] = json::object();
        if (!ids.empty()) {
            const std::vector<std::int64_t> first(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(ids.size(), facet_depth)));
            // The rows through SQL (person_facets' primary key), counted here: a GROUP BY's
            // temporary b-tree costs more than the reading.
            auto s = c.prepare("SELECT vid FROM person_facets WHERE id IN (SELECT value FROM json_each(?))");
            s.bind(1, "[" + id_list(first) + "]");
            std::vector<std::int64_t> counts(facet_names_.size(), 0);
            while (s.step()) {
                auto vid = static_cast<std::size_t>(s.i64(0));
                if (vid < counts.size()) ++counts[vid];
            }
            for (std::size_t vid = 1; vid < counts.size(); ++vid)
                if (counts[vid] && facets.contains(facet_names_[vid].first)) facets[facet_names_[vid].first][facet_names_[vid].second] = counts[vid];
        }
        return {{"people", people}, {"total", total}, {"facets", facets}, {"offset", offset}, {"limit", limit}};
    }

    json proposals(const viewer& v, std::int64_t need_id, std::size_t limit) {
        auto& c = db();
        if (!c.prepare("SELECT 1 FROM needs WHERE id = ?").bind(1, need_id).step()) throw bad_request(404, "introuvable");
        // One query: the need's domains and territory, every entry in those domains grouped
        // by person, the people who agreed and whom the viewer may see, their load, the
        // score of match_score(), best first.
        auto s = c.prepare(R"(
WITH need AS (SELECT id, region, departements, domains FROM needs WHERE id = :need),
nd AS (SELECT d.id AS domain_id, d.code, d.label FROM need, json_each(need.domains) j JOIN domains d ON d.code = j.value AND d.archived = 0),
ndeps AS (SELECT j.value AS dep FROM need, json_each(need.departements) j),
nreg AS (SELECT coalesce(nullif((SELECT region FROM need), ''),
                         (SELECT region FROM departements WHERE code = (SELECT min(dep) FROM ndeps)), '') AS region),
m AS (
  SELECT e.person_id AS pid, sum(e.level = 'referent') AS ref, sum(e.level = 'pratique') AS prac, sum(e.level = 'notions') AS notions,
         sum(e.validated) AS val, sum(e.confirmed_at < :stale_before) AS stale, max(e.scope = 'national') AS national, count(*) AS matched
  FROM entries e JOIN nd ON nd.domain_id = e.domain_id GROUP BY e.person_id),
busy AS (SELECT assignee_id AS pid, count(*) AS n FROM needs WHERE state IN ('assigned', 'in_progress') AND assignee_id IS NOT NULL
         AND id <> :need GROUP BY assignee_id),
cand AS (
  SELECT p.id, p.name, p.role, o.name AS org, m.*, coalesce(b.n, 0) AS load,
         CASE WHEN EXISTS (SELECT 1 FROM person_facets f WHERE f.id = p.id AND f.vid IN
                           (SELECT vid FROM facet_values WHERE facet = 'departement' AND value IN (SELECT dep FROM ndeps))) THEN 3
              WHEN (SELECT region FROM nreg) <> '' AND coalesce(nullif(p.region, ''), o.region, '') = (SELECT region FROM nreg) THEN 2
              WHEN m.national THEN 1 ELSE 0 END AS proximity
  FROM m JOIN people p ON p.id = m.pid LEFT JOIN orgs o ON o.id = p.org_id LEFT JOIN busy b ON b.pid = p.id
  WHERE p.consent = 1
    AND (:admin OR p.audience = 'network'
         OR (p.audience = 'region' AND :region <> '' AND coalesce(nullif(p.region, ''), o.region, '') = :region)
         OR (p.audience = 'organisation' AND p.org_id = :org))),
best AS (
  SELECT id, name, org, role, proximity, load, matched,
         max(60.0 * ((3.0 * ref + 2.0 * prac + notions) / (3.0 * (SELECT count(*) FROM nd))) + 8.0 * proximity
             + 6.0 * val / matched - 6.0 * stale / matched - 5.0 * min(load, 4), 0.1) AS score
  FROM cand ORDER BY score DESC, id LIMIT :limit)
SELECT id, name, coalesce(org, ''), role,
       (SELECT json_group_array(json_array(nd.code, nd.label, e.level, e.validated, e.confirmed_at < :stale_before))
        FROM entries e JOIN nd ON nd.domain_id = e.domain_id WHERE e.person_id = best.id),
       proximity, load, 0, 0, 0, matched, score, (SELECT count(*) FROM nd)
FROM best ORDER BY score DESC, id)");
        s.bind(s.index(":need"), need_id).bind(s.index(":stale_before"), now_s() - stale_after_s);
        s.bind(s.index(":admin"), std::int64_t{v.role == "admin" ? 1 : 0}).bind(s.index(":region"), v.region);
        if (v.org_id)
            s.bind(s.index(":org"), *v.org_id);
        else
            s.bind_null(s.index(":org"));
        s.bind(s.index(":limit"), static_cast<std::int64_t>(limit));
        json out = json::array();
        while (s.step()) {
            std::vector<std::string> reasons;
            auto entries = json::parse(s.text(4));
            std::sort(entries.begin(), entries.end(), [](const json& a, const json& b) { return a[0].get<std::string>() < b[0].get<std::string>(); });
            for (const auto& e : entries) {
                const auto level = e[2].get<std::string>();
                reasons.push_back(std::string(level == "referent" ? "Référent" : level == "pratique" ? "Pratique" : "Notions") + " en « " +
                                  e[1].get<std::string>() + " »" + (e[3].get<int>() ? " (validé par son institution)" : "") +
                                  (e[4].get<int>() ? " (à reconfirmer)" : ""));
            }
            const auto proximity = s.i64(5), load = s.i64(6);
            reasons.push_back(proximity == 3   ? "Intervient dans le même département"
                              : proximity == 2 ? "Dans la même région"
                              : proximity == 1 ? "Intervient au niveau national"
                                               : "Hors du territoire du besoin");
            reasons.push_back(load == 0 ? "Aucun autre besoin en cours"
                                        : std::to_string(load) + (load == 1 ? " autre besoin en cours" : " autres besoins en cours"));
            const auto matched = s.i64(10), need_domains = s.i64(12);
            if (matched < need_domains)
                reasons.push_back("Couvre " + std::to_string(matched) + " des " + std::to_string(need_domains) + " domaines du besoin");
            out.push_back({{"person", {{"id", s.i64(0)}, {"name", s.text(1)}, {"org", s.text(2)}, {"role", s.text(3)}}},
                           {"score", std::round(s.dbl(11) * 10) / 10},
                           {"reasons", reasons}});
        }
        return out;
    }

private:
    std::string path_;
    std::map<std::string, std::string> region_name_, dep_name_;
    std::vector<std::pair<std::string, std::string>> facet_names_;  // vid -> facet, value
};

int cmd_serve(const std::map<std::string, std::string>& f) {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    fts5_map map(need(f, "db"));
    worker_pool pool("fts5", 2);
    net::router routes;
    // Relais's guard: the session read on one hop, then the handler's own read.
    const auto signed_in = [&](net::request& req, const auto& body) -> asio::awaitable<net::response> {
        auto token = req.cookie("relais_session");
        std::optional<viewer> v;
        if (token) co_await pool.run([&] { v = map.session(*token); });
        if (!v) co_return net::response::json(401, {{"error", {{"code", "non_authentifie"}}}});
        json out;
        int status = 200;
        co_await pool.run([&] {
            try {
                out = body(*v);
            } catch (const bad_request& e) {
                status = e.status;
                out = {{"error", {{"code", e.what()}}}};
            }
        });
        co_return net::response::json(status, out);
    };
    routes.add("GET", "/api/expertise/people", "signed_in", [&](net::request& req) -> asio::awaitable<net::response> {
        const auto body = [&](const viewer& v) { return map.directory(v, req.query); };
        auto r = co_await signed_in(req, body);
        co_return r;
    });
    routes.add("GET", "/api/expertise/needs/{id}/proposals", "signed_in", [&](net::request& req) -> asio::awaitable<net::response> {
        auto id = req.id_param("id");
        const auto body = [&](const viewer& v) { return json{{"proposals", map.proposals(v, id, 10)}}; };
        auto r = co_await signed_in(req, body);
        co_return r;
    });
    metrics::registry m;
    net::server_options so;
    so.port = 0;
    so.threads = 2;
    so.requests_per_second_per_address = 1e9;
    so.request_burst_per_address = 1e9;
    so.max_connections_per_address = 1024;
    net::server srv(so, routes, nullptr, nullptr, m);
    auto port = srv.listen();
    std::cout << "port " << port << std::endl;
    std::thread stopper([&srv, signals] {
        int sig = 0;
        sigwait(&signals, &sig);
        srv.shutdown(std::chrono::milliseconds(500));
    });
    srv.run();
    stopper.join();
    pool.stop();
    return 0;
}

// ---------------------------------------------------------------- load

int cmd_load(const std::map<std::string, std::string>& f) {
    auto port = need(f, "port");
    std::vector<std::string> targets;
    {
        std::ifstream in(need(f, "targets"));
        for (std::string line; std::getline(in, line);)
            if (!line.empty() && line[0] != '#') targets.push_back(line);
    }
    if (targets.empty()) throw std::runtime_error("no targets");
    const std::string cookie = f.count("cookie") ? f.at("cookie") : "";
    const std::size_t requests = std::stoul(need(f, "requests"));
    const std::size_t connections = std::stoul(f.count("connections") ? f.at("connections") : "1");
    const std::size_t first = f.count("offset") ? std::stoul(f.at("offset")) : 0;
    std::vector<double> latencies(requests);
    std::atomic<std::size_t> next{0}, errors{0}, bytes{0};
    auto start = clock_type::now();
    std::vector<std::thread> threads;
    for (std::size_t c = 0; c < connections; ++c)
        threads.emplace_back([&] {
            asio::io_context ioc;
            asio::ip::tcp::resolver resolver(ioc);
            beast::tcp_stream stream(ioc);
            stream.connect(resolver.resolve("127.0.0.1", port));
            beast::flat_buffer buffer;
            for (;;) {
                auto i = next++;
                if (i >= requests) break;
                http::request<http::empty_body> req(http::verb::get, targets[(first + i) % targets.size()], 11);
                req.set(http::field::host, "127.0.0.1");
                if (!cookie.empty()) req.set(http::field::cookie, cookie);
                auto t0 = clock_type::now();
                http::write(stream, req);
                http::response<http::string_body> res;
                http::read(stream, buffer, res);
                latencies[i] = std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
                bytes += res.body().size();
                if (res.result_int() != 200) {
                    if (errors++ < 3) std::cerr << "HTTP " << res.result_int() << " " << targets[(first + i) % targets.size()] << ": " << res.body().substr(0, 200) << "\n";
                }
            }
        });
    for (auto& t : threads) t.join();
    double seconds = std::chrono::duration<double>(clock_type::now() - start).count();
    std::sort(latencies.begin(), latencies.end());
    auto pct = [&](double q) { return latencies[std::min(latencies.size() - 1, static_cast<std::size_t>(q * latencies.size()))]; };
    std::cout << json{{"requests", requests}, {"seconds", seconds}, {"rps", requests / seconds}, {"p50_ms", pct(0.50)},
                      {"p90_ms", pct(0.90)}, {"p99_ms", pct(0.99)}, {"max_ms", latencies.back()}, {"errors", errors.load()},
                      {"bytes", bytes.load()}}
                     .dump()
              << std::endl;
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: relais_expertisebench index|serve|load --flag value...\n";
        return 2;
    }
    try {
        std::string cmd = argv[1];
        auto f = flags(argc, argv, 2);
        if (cmd == "index") return cmd_index(f);
        if (cmd == "serve") return cmd_serve(f);
        if (cmd == "load") return cmd_load(f);
        std::cerr << "unknown command " << cmd << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "relais_expertisebench: " << e.what() << "\n";
        return 1;
    }
}
