// relais_searchbench — the library search engine against SQLite FTS5, same corpus,
// same HTTP layer (relais_net), same worker pool, same answer (total, 10 hits with
// highlighted snippets, facet counts).
//
//   relais_searchbench index --engine xapian|fts5 --corpus corpus.jsonl --dir DIR [--synonyms FILE]
//       builds the index; prints {"engine","passages","seconds","passages_per_s"}
//   relais_searchbench serve --engine xapian|fts5 --dir DIR [--synonyms FILE]
//       serves GET /search?q=&kind=&phase=&mission=&page= on 127.0.0.1 (port printed)
//   relais_searchbench load --port P --queries queries.txt --requests N --connections C
//       replays the queries with a fixed rotation of facet filters over keep-alive
//       connections; prints {"requests","seconds","rps","p50_ms","p90_ms","p99_ms","max_ms","errors"}
//       and the same percentiles for the questions and long queries alone ("questions":
//       the queries search::plan_query reads in relevance mode) and for the others
//       ("keywords"), whatever the server (an older build answers them its own way)
//
// The Xapian side is Relais's own search::index (French folding, stemming, synonyms,
// title boost, snippets, multi-valued facets, spelling). The FTS5 side is a table
// `fts5(title, body, tokenize='unicode61 remove_diacritics 2')` with a facet table.
#include "common/worker_pool.hpp"
#include "common/metrics.hpp"
#include "net/router.hpp"
#include "net/server.hpp"
#include "search/index.hpp"
#include "search/query_plan.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <chrono>
#include <csignal>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using json = nlohmann::json;
using clock_type = std::chrono::steady_clock;
using namespace relais;

namespace {

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

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

const std::vector<std::string> facet_names{"kind", "phase", "mission", "year"};

// ---------------------------------------------------------------- engines

struct request_params {
    std::string q;
    std::map<std::string, std::vector<std::string>> filters;
    std::size_t offset = 0;
};

class engine {
public:
    virtual ~engine() = default;
    virtual void add(const json& passage) = 0;
    virtual void commit() = 0;
    virtual json search(const request_params& p) = 0;
};

std::vector<std::string> strings_of(const json& v) {
    std::vector<std::string> out;
    if (v.is_array())
        for (const auto& x : v) out.push_back(x.is_string() ? x.get<std::string>() : x.dump());
    else if (v.is_string()) out.push_back(v.get<std::string>());
    else if (v.is_number()) out.push_back(v.dump());
    return out;
}

class xapian_engine : public engine {
public:
    xapian_engine(const std::string& dir, const std::string& synonyms) : idx_(dir) {
        if (!synonyms.empty()) idx_.set_synonyms(search::parse_synonyms(read_file(synonyms)));
    }
    void add(const json& p) override {
        search::document d;
        d.id = p.at("id").get<std::string>();
        d.title = p.value("title", "");
        d.body = p.value("body", "");
        for (const auto& f : facet_names)
            if (p.contains(f)) d.facets[f] = strings_of(p[f]);
        d.date = p.value("date", std::int64_t{0});
        batch_.push_back(std::move(d));
        if (batch_.size() == batch_size) flush();
    }
    void commit() override { flush(); }
    json search(const request_params& p) override {
        search::query q;
        q.text = p.q;
        q.filters = p.filters;
        q.offset = p.offset;
        q.limit = 10;
        auto r = idx_.search(q);
        json hits = json::array();
        for (const auto& h : r.hits) hits.push_back({{"id", h.id}, {"title", h.title}, {"snippet", h.snippet}, {"score", h.score}});
        return {{"total", r.total}, {"hits", hits}, {"facets", r.facets}, {"suggestion", r.suggestion}};
    }

private:
    void flush() {
        idx_.put_many(batch_);
        idx_.commit();
        batch_.clear();
    }
    search::index idx_;
    std::vector<search::document> batch_;
    static constexpr std::size_t batch_size = 10000;  // Xapian's own default flush threshold
};

void check(int rc, sqlite3* db, const char* what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
        throw std::runtime_error(std::string(what) + ": " + sqlite3_errmsg(db));
}

struct stmt {
    sqlite3_stmt* s = nullptr;
    stmt(sqlite3* db, const std::string& sql) { check(sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr), db, sql.c_str()); }
    ~stmt() { sqlite3_finalize(s); }
    stmt(const stmt&) = delete;
};

// Same user syntax as the Xapian side: words (implicitly AND), "phrases", OR, NOT, prefix*.
// Every word is quoted so that punctuation can never be an FTS5 syntax error.
std::string fts_query(const std::string& raw) {
    std::string out;
    std::size_t i = 0;
    auto word_char = [](unsigned char c) { return std::isalnum(c) || c >= 0x80 || c == '\'' || c == '-'; };
    while (i < raw.size()) {
        if (std::isspace(static_cast<unsigned char>(raw[i]))) { ++i; continue; }
        if (raw[i] == '"') {
            auto end = raw.find('"', i + 1);
            if (end == std::string::npos) end = raw.size();
            std::string phrase;
            for (char c : raw.substr(i + 1, end - i - 1)) phrase += word_char(static_cast<unsigned char>(c)) ? c : ' ';
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
        for (char c : token) word += word_char(static_cast<unsigned char>(c)) ? c : ' ';
        if (word.find_first_not_of(' ') == std::string::npos) continue;
        if (!out.empty()) out += ' ';
        out += "\"" + word + "\"" + (prefix ? "*" : "");
    }
    return out;
}

class fts5_engine : public engine {
public:
    fts5_engine(const std::string& dir, bool create) : path_(dir + "/fts.db") {
        std::filesystem::create_directories(dir);
        if (create) {
            std::filesystem::remove(path_);
            writer_ = open(path_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
            exec(writer_, "PRAGMA journal_mode=WAL");
            exec(writer_,
                 "CREATE VIRTUAL TABLE passages USING fts5(title, body, tokenize='unicode61 remove_diacritics 2');"
                 "CREATE TABLE facets(id INTEGER NOT NULL, facet TEXT NOT NULL, value TEXT NOT NULL);"
                 "CREATE TABLE docs(id INTEGER PRIMARY KEY, key TEXT NOT NULL, date INTEGER NOT NULL);");
            exec(writer_, "BEGIN");
        }
    }
    ~fts5_engine() override {
        ins_doc.reset();
        ins_fts.reset();
        ins_facet.reset();
        if (writer_) sqlite3_close(writer_);
    }
    void add(const json& p) override {
        if (!ins_doc) {
            ins_doc = std::make_unique<stmt>(writer_, "INSERT INTO docs(key, date) VALUES(?, ?)");
            ins_fts = std::make_unique<stmt>(writer_, "INSERT INTO passages(rowid, title, body) VALUES(?, ?, ?)");
            ins_facet = std::make_unique<stmt>(writer_, "INSERT INTO facets(id, facet, value) VALUES(?, ?, ?)");
        }
        auto key = p.at("id").get<std::string>();
        sqlite3_bind_text(ins_doc->s, 1, key.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(ins_doc->s, 2, p.value("date", std::int64_t{0}));
        check(sqlite3_step(ins_doc->s), writer_, "insert doc");
        sqlite3_reset(ins_doc->s);
        auto id = sqlite3_last_insert_rowid(writer_);
        auto title = p.value("title", ""), body = p.value("body", "");
        sqlite3_bind_int64(ins_fts->s, 1, id);
        sqlite3_bind_text(ins_fts->s, 2, title.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins_fts->s, 3, body.c_str(), -1, SQLITE_TRANSIENT);
        check(sqlite3_step(ins_fts->s), writer_, "insert fts");
        sqlite3_reset(ins_fts->s);
        for (const auto& f : facet_names) {
            if (!p.contains(f)) continue;
            for (const auto& v : strings_of(p[f])) {
                sqlite3_bind_int64(ins_facet->s, 1, id);
                sqlite3_bind_text(ins_facet->s, 2, f.c_str(), -1, SQLITE_TRANSIENT);
                sqlite3_bind_text(ins_facet->s, 3, v.c_str(), -1, SQLITE_TRANSIENT);
                check(sqlite3_step(ins_facet->s), writer_, "insert facet");
                sqlite3_reset(ins_facet->s);
            }
        }
        if (++pending_ % 5000 == 0) {
            exec(writer_, "COMMIT");
            exec(writer_, "BEGIN");
        }
    }
    void commit() override {
        exec(writer_, "COMMIT");
        exec(writer_, "CREATE INDEX facets_value ON facets(facet, value, id); CREATE INDEX facets_id ON facets(id)");
        exec(writer_, "INSERT INTO passages(passages) VALUES('optimize')");
        exec(writer_, "BEGIN");
    }
    json search(const request_params& p) override {
        // One read-only connection per worker thread, like the Xapian readers.
        static thread_local std::map<std::string, sqlite3*> readers;
        auto& db = readers[path_];
        if (!db) db = open(path_, SQLITE_OPEN_READONLY);
        std::string filter;
        std::vector<std::string> binds;
        for (const auto& [facet, values] : p.filters) {
            // Checked per match (EXISTS through the facets(id) index): SQLite would
            // otherwise drive the query from the facet rows and probe the full-text index.
            filter += " AND EXISTS (SELECT 1 FROM facets ff WHERE ff.id = passages.rowid AND ff.facet = ? AND ff.value IN (";
            binds.push_back(facet);
            for (std::size_t i = 0; i < values.size(); ++i) {
                filter += i ? ",?" : "?";
                binds.push_back(values[i]);
            }
            filter += "))";
        }
        auto match = fts_query(p.q);
        const bool all = match.empty();
        std::string where = all ? " WHERE 1" : " WHERE passages MATCH ?";
        auto bind_all = [&](stmt& s) {
            int i = 1;
            if (!all) sqlite3_bind_text(s.s, i++, match.c_str(), -1, SQLITE_TRANSIENT);
            for (const auto& b : binds) sqlite3_bind_text(s.s, i++, b.c_str(), -1, SQLITE_TRANSIENT);
            return i;
        };
        json hits = json::array();
        {
            stmt s(db, "SELECT rowid, title, snippet(passages, 1, '<mark>', '</mark>', '…', 24), " +
                           std::string(all ? "0.0" : "bm25(passages, 3.0, 1.0)") + " AS score FROM passages" + where + filter +
                           (all ? " ORDER BY rowid DESC" : " ORDER BY score") + " LIMIT 10 OFFSET ?");
            int i = bind_all(s);
            sqlite3_bind_int64(s.s, i, static_cast<sqlite3_int64>(p.offset));
            int rc;
            while ((rc = sqlite3_step(s.s)) == SQLITE_ROW)
                hits.push_back({{"id", sqlite3_column_int64(s.s, 0)},
                                {"title", reinterpret_cast<const char*>(sqlite3_column_text(s.s, 1))},
                                {"snippet", reinterpret_cast<const char*>(sqlite3_column_text(s.s, 2))},
                                {"score", -sqlite3_column_double(s.s, 3)}});
            if (rc != SQLITE_DONE) throw std::invalid_argument(sqlite3_errmsg(db));
        }
        std::size_t total = 0;
        json facets = json::object();
        {
            // Counts over the matching set, as the Xapian side does.
            stmt s(db, "SELECT f.facet, f.value, count(*) FROM (SELECT rowid AS id FROM passages" + where + filter +
                           ") m JOIN facets f ON f.id = m.id GROUP BY f.facet, f.value");
            bind_all(s);
            while (sqlite3_step(s.s) == SQLITE_ROW) {
                std::string facet = reinterpret_cast<const char*>(sqlite3_column_text(s.s, 0));
                facets[facet][reinterpret_cast<const char*>(sqlite3_column_text(s.s, 1))] = sqlite3_column_int64(s.s, 2);
                if (facet == "kind") total += static_cast<std::size_t>(sqlite3_column_int64(s.s, 2));  // one kind per passage
            }
        }
        return {{"total", total}, {"hits", hits}, {"facets", facets}, {"suggestion", ""}};
    }

private:
    static sqlite3* open(const std::string& path, int mode) {
        sqlite3* db = nullptr;
        if (sqlite3_open_v2(path.c_str(), &db, mode | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK)
            throw std::runtime_error("cannot open " + path);
        return db;
    }
    static void exec(sqlite3* db, const char* sql) {
        char* err = nullptr;
        if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
            std::string m = err ? err : "?";
            sqlite3_free(err);
            throw std::runtime_error(m);
        }
    }
    std::string path_;
    sqlite3* writer_ = nullptr;
    std::unique_ptr<stmt> ins_doc, ins_fts, ins_facet;
    std::size_t pending_ = 0;
};

std::unique_ptr<engine> make_engine(const std::map<std::string, std::string>& f, bool create) {
    auto kind = need(f, "engine");
    auto dir = need(f, "dir");
    if (kind == "xapian") {
        if (create) std::filesystem::remove_all(dir + "/xapian");
        return std::make_unique<xapian_engine>(dir + "/xapian", f.count("synonyms") ? f.at("synonyms") : "");
    }
    if (kind == "fts5") return std::make_unique<fts5_engine>(dir, create);
    throw std::invalid_argument("--engine xapian|fts5");
}

// ---------------------------------------------------------------- commands

int cmd_index(const std::map<std::string, std::string>& f) {
    auto eng = make_engine(f, true);
    std::ifstream in(need(f, "corpus"));
    if (!in) throw std::runtime_error("cannot read the corpus");
    std::vector<json> passages;
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) passages.push_back(json::parse(line));
    auto start = clock_type::now();
    for (const auto& p : passages) eng->add(p);
    eng->commit();
    double s = std::chrono::duration<double>(clock_type::now() - start).count();
    std::cout << json{{"engine", need(f, "engine")}, {"passages", passages.size()}, {"seconds", s},
                      {"passages_per_s", passages.size() / s}}
                     .dump()
              << std::endl;
    return 0;
}

int cmd_serve(const std::map<std::string, std::string>& f) {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    auto eng = make_engine(f, false);
    worker_pool pool("search", 2);
    net::router routes;
    routes.add("GET", "/search", "anyone", [&](net::request& req) -> asio::awaitable<net::response> {
        request_params p;
        if (req.query.count("q")) p.q = req.query.at("q");
        for (const auto& facet : {"kind", "phase", "mission", "year"}) {
            auto it = req.query.find(facet);
            if (it == req.query.end() || it->second.empty()) continue;
            std::stringstream parts(it->second);
            for (std::string v; std::getline(parts, v, ',');) p.filters[facet].push_back(v);
        }
        if (req.query.count("page")) p.offset = (std::stoul(req.query.at("page")) - 1) * 10;
        json body;
        bool bad = false;
        co_await pool.run([&] {
            try {
                body = eng->search(p);
            } catch (const std::invalid_argument& e) {
                bad = true;
                body = {{"error", e.what()}};
            }
        });
        auto r = net::response::json(bad ? 400 : 200, body);
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

std::string url_encode(const std::string& s) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '*') out += static_cast<char>(c);
        else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

int cmd_load(const std::map<std::string, std::string>& f) {
    auto port = need(f, "port");
    std::vector<std::string> queries;
    {
        std::ifstream in(need(f, "queries"));
        for (std::string line; std::getline(in, line);)
            if (!line.empty() && line[0] != '#') queries.push_back(line);
    }
    if (queries.empty()) throw std::runtime_error("no queries");
    // A fixed rotation of filters: none, one kind, one phase, two missions, one year.
    const std::vector<std::string> filters{"", "&kind=outil", "&phase=diagnostic", "&mission=prevention,parcours", "&year=2024"};
    std::size_t requests = std::stoul(need(f, "requests"));
    std::size_t connections = std::stoul(f.count("connections") ? f.at("connections") : "4");
    std::vector<std::string> targets;
    std::vector<bool> question;  // per request: a question or a long query (relevance mode)
    for (std::size_t i = 0; i < requests; ++i) {
        const auto& q = queries[i % queries.size()];
        targets.push_back("/search?q=" + url_encode(q) + filters[(i / queries.size()) % filters.size()]);
        question.push_back(search::plan_query(q).mode == search::query_mode::relevance);
    }
    std::vector<double> latencies(requests);
    std::atomic<std::size_t> next{0}, errors{0};
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
                http::request<http::empty_body> req(http::verb::get, targets[i], 11);
                req.set(http::field::host, "127.0.0.1");
                auto t0 = clock_type::now();
                http::write(stream, req);
                http::response<http::string_body> res;
                http::read(stream, buffer, res);
                latencies[i] = std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
                if (res.result_int() != 200) ++errors;
            }
        });
    for (auto& t : threads) t.join();
    double seconds = std::chrono::duration<double>(clock_type::now() - start).count();
    auto percentiles = [](std::vector<double> xs) {
        if (xs.empty()) return json::object();
        std::sort(xs.begin(), xs.end());
        auto pct = [&](double q) { return xs[std::min(xs.size() - 1, static_cast<std::size_t>(q * static_cast<double>(xs.size())))]; };
        return json{{"requests", xs.size()}, {"p50_ms", pct(0.50)}, {"p90_ms", pct(0.90)}, {"p99_ms", pct(0.99)}, {"max_ms", xs.back()}};
    };
    std::vector<double> of_questions, of_keywords;
    for (std::size_t i = 0; i < requests; ++i) (question[i] ? of_questions : of_keywords).push_back(latencies[i]);
    json out = percentiles(latencies);
    out["seconds"] = seconds;
    out["rps"] = static_cast<double>(requests) / seconds;
    out["errors"] = errors.load();
    out["questions"] = percentiles(of_questions);
    out["keywords"] = percentiles(of_keywords);
    std::cout << out.dump() << std::endl;
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: relais_searchbench index|serve|load --flag value...\n";
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
        std::cerr << "relais_searchbench: " << e.what() << "\n";
        return 1;
    }
}
