// relais_loadgen — load generator for live workshop rooms.
//
// Simulates N participants spread over M rooms. Each participant holds one WebSocket,
// joins its room, then posts a note at a set rate (with jitter). Every note carries its
// send time and author in its text ("bench:t=<steady ns>|c=<client>|n=<number>"), so
// each receiver measures the send-to-delivery latency; all clients live in this one
// process and share the steady clock.
//
// Two targets:
//   --target relais  the Relais protocol (docs/protocol.md): guests obtained through the
//                    HTTP API (admin login, one "swot" workshop per room set live, one
//                    participant invite, one guest per participant), then /ws with the
//                    guest cookie and Origin, "join", "op" note.add in column "attentes".
//   --target relay   the trivial protocol of bench/node-relay/relay.mjs:
//                    {"type":"join","room":R}, {"type":"note","room":R,"text":T}.
//
// Timeline: connect and join everyone; senders start (go); after --warmup seconds the
// measured window opens for --duration seconds; senders stop at its end; then up to
// --drain seconds for the window's notes to arrive. Only notes *sent* inside the window
// count, so the delivery ratio compares like with like.
//
// Output: one JSON line on stdout, a human summary on stderr.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <unistd.h>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

// ---- options -----------------------------------------------------------------

struct options {
    std::string target = "relais";  // "relais" or "relay"
    std::string host = "127.0.0.1";
    unsigned short port = 0;
    int rooms = 1;
    int per_room = 10;
    double rate = 1.0;     // notes per second per participant
    double jitter = 0.5;   // each interval is (1 ± jitter) / rate, uniformly
    double duration = 20;  // measured window, seconds
    double warmup = 5;     // sending before the window opens, seconds
    double drain = 5;      // at most this long after the window for its notes to arrive
    double settle = 60;    // at most this long after the joins for the sockets to fall quiet
    int text_bytes = 64;   // note text padded to this length (a short sentence)
    int threads = 0;       // io_context threads; 0 = min(2, cores)
    double connect_rate = 500;  // new WebSocket connections per second
    int setup_concurrency = 8;  // parallel HTTP clients for the Relais set-up
    std::string admin_email = "admin@relais.local";
    std::string admin_password;
    int server_pid = 0;  // if set: the server's CPU and memory are read from /proc
    std::string label;

    int participants() const { return rooms * per_room; }
};

[[noreturn]] void usage(const std::string& why) {
    if (!why.empty()) std::cerr << "relais_loadgen: " << why << "\n\n";
    std::cerr << R"(Usage: relais_loadgen --target relais|relay --port PORT [options]
  --rooms M             rooms (default 1)
  --per-room N          participants per room (default 10)
  --rate R              notes per second per participant (default 1)
  --jitter J            interval jitter, fraction of 1/rate (default 0.5)
  --duration S          measured window, seconds (default 20)
  --warmup S            sending before the window, seconds (default 5)
  --drain S             wait after the window for late deliveries (default 5)
  --settle S            after the joins, wait (at most S) until no frame arrived for
                        0.5 s, so the join traffic (Relais: presence) is not measured (default 60)
  --text-bytes B        note length (default 64)
  --threads T           io threads (default min(2, cores))
  --connect-rate C      new connections per second (default 500)
  --admin-email E       (relais) default admin@relais.local
  --admin-password P    (relais) required
  --server-pid PID      read the server's CPU (utime+stime) and memory from /proc
  --label TEXT          copied into the JSON result
  --host H              default 127.0.0.1
)";
    std::exit(2);
}

options parse_args(int argc, char** argv) {
    options o;
    std::map<std::string, std::string> kv;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "-h" || a == "--help") usage("");
        if (a.rfind("--", 0) != 0) usage("unexpected argument " + a);
        auto eq = a.find('=');
        if (eq != std::string::npos) kv[a.substr(2, eq - 2)] = a.substr(eq + 1);
        else if (i + 1 < argc) kv[a.substr(2)] = argv[++i];
        else usage("missing value for " + a);
    }
    auto num = [&](const char* key, auto& field, double lo, double hi) {
        auto it = kv.find(key);
        if (it == kv.end()) return;
        double v = 0;
        try {
            std::size_t used = 0;
            v = std::stod(it->second, &used);
            if (used != it->second.size()) throw std::invalid_argument(key);
        } catch (const std::exception&) {
            usage(std::string("--") + key + ": not a number");
        }
        if (v < lo || v > hi) usage(std::string("--") + key + ": out of range");
        field = static_cast<std::remove_reference_t<decltype(field)>>(v);
        kv.erase(it);
    };
    auto str = [&](const char* key, std::string& field) {
        if (auto it = kv.find(key); it != kv.end()) {
            field = it->second;
            kv.erase(it);
        }
    };
    str("target", o.target);
    str("host", o.host);
    str("admin-email", o.admin_email);
    str("admin-password", o.admin_password);
    str("label", o.label);
    num("port", o.port, 1, 65535);
    num("rooms", o.rooms, 1, 100000);
    num("per-room", o.per_room, 1, 100000);
    num("rate", o.rate, 0.001, 1000);
    num("jitter", o.jitter, 0, 0.99);
    num("duration", o.duration, 0.1, 86400);
    num("warmup", o.warmup, 0, 86400);
    num("drain", o.drain, 0, 3600);
    num("settle", o.settle, 0, 3600);
    num("text-bytes", o.text_bytes, 32, 900);
    num("threads", o.threads, 1, 256);
    num("connect-rate", o.connect_rate, 1, 1e6);
    num("setup-concurrency", o.setup_concurrency, 1, 256);
    num("server-pid", o.server_pid, 1, 1e9);
    if (!kv.empty()) usage("unknown option --" + kv.begin()->first);
    if (o.target != "relais" && o.target != "relay") usage("--target must be relais or relay");
    if (o.port == 0) usage("--port is required");
    if (o.target == "relais" && o.admin_password.empty()) usage("--admin-password is required with --target relais");
    if (o.threads == 0) o.threads = static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 2u));
    return o;
}

// ---- time, statistics, /proc ---------------------------------------------------

std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::chrono::steady_clock::time_point at_ns(std::int64_t ns) {
    return std::chrono::steady_clock::time_point(std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::nanoseconds(ns)));
}

/// Percentiles of microsecond samples, reported in milliseconds.
json summarise_us(std::vector<std::uint32_t>& us) {
    if (us.empty()) return {{"count", 0}, {"p50", nullptr}, {"p90", nullptr}, {"p99", nullptr}, {"max", nullptr}, {"mean", nullptr}};
    auto pick = [&](double q) {
        auto k = static_cast<std::size_t>(q * static_cast<double>(us.size() - 1));
        std::nth_element(us.begin(), us.begin() + static_cast<std::ptrdiff_t>(k), us.end());
        return us[k] / 1000.0;
    };
    double sum = 0;
    for (auto v : us) sum += v;
    auto round3 = [](double v) { return std::round(v * 1000) / 1000; };
    return {{"count", us.size()}, {"p50", round3(pick(0.50))}, {"p90", round3(pick(0.90))}, {"p99", round3(pick(0.99))},
            {"max", round3(*std::max_element(us.begin(), us.end()) / 1000.0)}, {"mean", round3(sum / static_cast<double>(us.size()) / 1000.0)}};
}

/// utime + stime of a process, in seconds (fields 14 and 15 of /proc/PID/stat).
double cpu_seconds(const std::string& pid) {
    std::ifstream f("/proc/" + pid + "/stat");
    std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    auto close = text.rfind(')');  // the command name may contain spaces
    if (close == std::string::npos) return 0;
    std::istringstream rest(text.substr(close + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
        if (i == 14) utime = std::stoull(field);
        if (i == 15) stime = std::stoull(field);
    }
    return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

/// Busy and total jiffies of the whole machine (the "cpu" line of /proc/stat).
std::pair<double, double> machine_jiffies() {
    std::ifstream f("/proc/stat");
    std::string cpu;
    f >> cpu;
    double busy = 0, total = 0, v = 0;
    for (int i = 0; i < 8 && f >> v; ++i) {  // user nice system idle iowait irq softirq steal
        total += v;
        if (i != 3 && i != 4) busy += v;
    }
    return {busy, total};
}

/// A "VmXxx:   1234 kB" line of /proc/PID/status, in kB.
long status_kb(const std::string& pid, const std::string& key) {
    std::ifstream f("/proc/" + pid + "/status");
    for (std::string line; std::getline(f, line);)
        if (line.rfind(key + ":", 0) == 0) return std::atol(line.c_str() + key.size() + 1);
    return -1;
}

/// Resets the process's VmHWM to its current RSS (Linux >= 4.0), so that the peak reported
/// covers the run and not what came before (Relais hashes the admin password with Argon2
/// at login, ~64 MiB, which would otherwise hide everything else).
bool reset_peak_rss(const std::string& pid) {
    std::ofstream f("/proc/" + pid + "/clear_refs");
    f << "5";
    f.flush();
    return static_cast<bool>(f);
}

bool contains(std::string_view text, std::string_view what) { return text.find(what) != std::string_view::npos; }

/// The integer that follows `key` in text (e.g. key "t=" in "bench:t=123|c=4"), or -1.
std::int64_t number_after(std::string_view text, std::string_view key, std::size_t from = 0) {
    auto at = text.find(key, from);
    if (at == std::string_view::npos) return -1;
    std::int64_t v = -1;
    auto begin = text.data() + at + key.size();
    auto [ptr, ec] = std::from_chars(begin, text.data() + text.size(), v);
    return ec == std::errc() ? v : -1;
}

// ---- HTTP set-up (Relais only): synchronous, keep-alive ------------------------

class http_client {
public:
    struct reply {
        int status = 0;
        std::string body;
        std::string cookie;  // the first Set-Cookie, up to ';'
        json json_body() const {
            auto j = json::parse(body, nullptr, false);
            if (j.is_discarded()) throw std::runtime_error("not JSON: " + body.substr(0, 200));
            return j;
        }
    };

    http_client(std::string host, unsigned short port) : host_(std::move(host)), port_(port) {}

    reply request(http::verb method, const std::string& target, const json& body = nullptr, const std::string& cookie = {}) {
        // A kept-alive connection the server has closed meanwhile fails at once: retry once.
        for (int attempt = 0;; ++attempt) {
            try {
                return exchange(method, target, body, cookie);
            } catch (const std::exception&) {
                beast::error_code ec;
                stream_.socket().close(ec);
                connected_ = false;
                if (attempt == 1) throw;
            }
        }
    }

    std::string origin() const { return "http://" + host_ + ":" + std::to_string(port_); }

private:
    reply exchange(http::verb method, const std::string& target, const json& body, const std::string& cookie) {
        stream_.expires_after(60s);
        if (!connected_) {
            stream_.connect(tcp::endpoint(asio::ip::make_address(host_), port_));
            connected_ = true;
        }
        http::request<http::string_body> req{method, target, 11};
        req.set(http::field::host, host_ + ":" + std::to_string(port_));
        req.set(http::field::origin, origin());
        req.keep_alive(true);
        if (!cookie.empty()) req.set(http::field::cookie, cookie);
        if (!body.is_null()) {
            req.set(http::field::content_type, "application/json");
            req.body() = body.dump();
        }
        req.prepare_payload();
        http::write(stream_, req);
        http::response<http::string_body> res;
        http::read(stream_, buffer_, res);
        reply r;
        r.status = static_cast<int>(res.result_int());
        r.body = std::move(res.body());
        if (auto it = res.find(http::field::set_cookie); it != res.end()) {
            std::string c(it->value());
            r.cookie = c.substr(0, c.find(';'));
        }
        if (!res.keep_alive()) {
            beast::error_code ec;
            stream_.socket().close(ec);
            connected_ = false;
        }
        return r;
    }

    std::string host_;
    unsigned short port_;
    asio::io_context ioc_;
    beast::tcp_stream stream_{ioc_};
    beast::flat_buffer buffer_;
    bool connected_ = false;
};

http_client::reply expect(http_client::reply r, int status, const std::string& what) {
    if (r.status != status)
        throw std::runtime_error(what + ": HTTP " + std::to_string(r.status) + " " + r.body.substr(0, 300));
    return r;
}

/// Runs fn(client, i) for i in [0, n) on `workers` threads, each with its own connection.
void parallel_for(const options& o, int n, const std::function<void(http_client&, int)>& fn) {
    std::atomic<int> next{0};
    std::mutex m;
    std::exception_ptr failure;
    std::vector<std::thread> workers;
    for (int w = 0; w < std::min(o.setup_concurrency, n); ++w)
        workers.emplace_back([&] {
            http_client client(o.host, o.port);
            for (int i; (i = next++) < n;) {
                try {
                    fn(client, i);
                } catch (...) {
                    std::lock_guard lock(m);
                    if (!failure) failure = std::current_exception();
                    next = n;
                }
            }
        });
    for (auto& t : workers) t.join();
    if (failure) std::rethrow_exception(failure);
}

struct guest {
    std::int64_t workshop = 0;
    std::string cookie;
};

/// One live "swot" workshop per room, one participant invite each, one guest per participant.
std::vector<guest> relais_setup(const options& o) {
    http_client admin_client(o.host, o.port);
    auto login = expect(admin_client.request(http::verb::post, "/api/session", {{"email", o.admin_email}, {"password", o.admin_password}}),
                        200, "admin login");
    auto admin = login.cookie;
    std::vector<std::int64_t> workshops(static_cast<std::size_t>(o.rooms));
    std::vector<std::string> tokens(static_cast<std::size_t>(o.rooms));
    parallel_for(o, o.rooms, [&](http_client& c, int r) {
        json create = {{"title", "Banc d'essai, salle " + std::to_string(r + 1)}, {"subject", "Mesure de charge"},
                       {"stage", "projet_sante"}, {"date", "2026-12-01T14:00"}, {"template", "swot"}};
        auto w = expect(c.request(http::verb::post, "/api/workshops", create, admin), 201, "create workshop");
        auto id = w.json_body()["workshop"]["id"].get<std::int64_t>();
        auto path = "/api/workshops/" + std::to_string(id);
        for (const char* state : {"scheduled", "live"})
            expect(c.request(http::verb::post, path + "/state", {{"state", state}}, admin), 200, std::string("state ") + state);
        auto inv = expect(c.request(http::verb::post, path + "/invites", {{"role", "participant"}, {"hours", 24}, {"label", "bench"}}, admin),
                          201, "create invite");
        workshops[static_cast<std::size_t>(r)] = id;
        tokens[static_cast<std::size_t>(r)] = inv.json_body()["invite"]["token"].get<std::string>();
    });
    std::vector<guest> guests(static_cast<std::size_t>(o.participants()));
    parallel_for(o, o.participants(), [&](http_client& c, int i) {
        auto r = static_cast<std::size_t>(i / o.per_room);
        auto j = expect(c.request(http::verb::post, "/api/invites/" + tokens[r] + "/join", {{"name", "Participant " + std::to_string(i + 1)}}),
                        200, "join invite");
        if (j.cookie.empty()) throw std::runtime_error("join invite: no cookie");
        guests[static_cast<std::size_t>(i)] = {workshops[r], j.cookie};
    });
    return guests;
}

// ---- the simulated participants -------------------------------------------------

/// What every participant shares. Times are steady-clock nanoseconds, set once before
/// the senders start.
struct run_state {
    explicit run_state(options opts) : o(std::move(opts)) {}
    const options o;
    std::atomic<std::int64_t> go{0}, window_start{0}, window_end{0};
    std::vector<int> room_members;  // participants ready in each room at go
    std::atomic<int> ready{0}, failed{0}, running{0};
    std::atomic<std::int64_t> last_frame{0};  // when any socket last received a frame
    std::atomic<bool> closing{false};
    std::atomic<std::uint64_t> expected{0}, delivered{0}, window_sent{0}, window_acks{0};
};

struct participant {
    participant(asio::io_context& ioc, int i, int r) : index(i), room(r), ws(asio::make_strand(ioc)) {}
    const int index, room;
    std::int64_t workshop = 0;  // relais
    std::string cookie;         // relais
    websocket::stream<beast::tcp_stream> ws;
    beast::flat_buffer buffer;
    std::atomic<bool> is_ready{false};
    bool open = false, writing = false;

    // Touched only on this participant's strand; read by main once the threads are joined.
    std::vector<std::int64_t> sent_at;       // by note number
    std::vector<std::uint32_t> latency_us;   // others' window notes delivered here
    std::vector<std::uint32_t> ack_us;       // own window notes: ack (relais) or echo (relay)
    std::vector<std::uint32_t> send_lag_us;  // actual send time minus scheduled time
    std::uint64_t sent = 0, acks = 0, notes_received = 0, seq_gaps = 0, seq_dups = 0, resyncs = 0;
    std::uint64_t window_frames = 0, window_bytes = 0;  // received during the window
    std::int64_t last_seq = -1;
    std::map<std::string, std::uint64_t> errors;
    std::string close_reason;
};

void mark_ready(participant& p, run_state& rs) {
    if (p.is_ready) return;
    p.is_ready = true;
    ++rs.ready;
}

/// A note delivered to p: latency if it is someone else's, ack latency if it is p's own echo.
void on_note(participant& p, run_state& rs, std::string_view m) {
    auto mark = m.find("bench:t=");
    auto t = number_after(m, "t=", mark), from = number_after(m, "|c=", mark), n = number_after(m, "|n=", mark);
    if (t < 0 || from < 0 || n < 0) {
        ++p.errors["note_illisible"];
        return;
    }
    auto now = now_ns();
    ++p.notes_received;
    if (rs.o.target == "relais") {
        auto seq = number_after(m, "\"seq\":");
        if (p.last_seq >= 0 && seq > p.last_seq + 1) ++p.seq_gaps;
        if (p.last_seq >= 0 && seq <= p.last_seq) ++p.seq_dups;
        p.last_seq = std::max(p.last_seq, seq);
    }
    bool in_window = t >= rs.window_start && t < rs.window_end;
    auto us = static_cast<std::uint32_t>(std::clamp<std::int64_t>((now - t) / 1000, 0, UINT32_MAX));
    if (from != p.index) {
        if (in_window) {
            p.latency_us.push_back(us);
            ++rs.delivered;
        }
    } else if (rs.o.target == "relay") {  // the relay's echo is the sender's only acknowledgement
        ++p.acks;
        if (in_window) {
            p.ack_us.push_back(us);
            ++rs.window_acks;
        }
    }
}

/// One message of a frame (frames may carry several, '\n'-separated).
void on_message(participant& p, run_state& rs, std::string_view m) {
    // The hot path avoids a JSON parse: notes are recognised by their type and marker.
    if (contains(m, "bench:t=") && (contains(m, "\"type\":\"event\"") || contains(m, "\"type\":\"note\""))) return on_note(p, rs, m);
    if (contains(m, "\"type\":\"presence\"") || contains(m, "\"type\":\"typing\"")) return;  // large, frequent at join
    auto j = json::parse(m, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        ++p.errors["json_illisible"];
        return;
    }
    auto type = j.value("type", "");
    if (type == "snapshot") {
        p.last_seq = j.value("seq", std::int64_t{0});
        mark_ready(p, rs);
    } else if (type == "joined") {
        mark_ready(p, rs);
    } else if (type == "ack") {
        ++p.acks;
        auto id = j.value("id", "");
        std::int64_t n = id.size() > 1 ? std::atoll(id.c_str() + 1) : -1;
        if (n >= 0 && n < static_cast<std::int64_t>(p.sent_at.size())) {
            auto t = p.sent_at[static_cast<std::size_t>(n)];
            if (t >= rs.window_start && t < rs.window_end) {
                p.ack_us.push_back(static_cast<std::uint32_t>((now_ns() - t) / 1000));
                ++rs.window_acks;
            }
        }
    } else if (type == "error") {
        ++p.errors[j.value("code", "?")];
    } else if (type == "resync") {
        ++p.resyncs;
    } else if (type == "event" || type == "events") {
        ++p.errors["evenement_inattendu"];
    }
    // welcome, pong: nothing to do
}

std::string note_text(std::int64_t t, int client, std::uint64_t n, int length) {
    auto text = "bench:t=" + std::to_string(t) + "|c=" + std::to_string(client) + "|n=" + std::to_string(n) + "|";
    if (static_cast<int>(text.size()) < length) text.append(static_cast<std::size_t>(length) - text.size(), 'x');
    return text;
}

std::string note_message(const participant& p, const options& o, const std::string& text) {
    if (o.target == "relais")
        return json{{"type", "op"}, {"workshop", p.workshop}, {"id", "n" + std::to_string(p.sent)}, {"op", "note.add"},
                    {"column", "attentes"}, {"text", text}}
            .dump();
    return json{{"type", "note"}, {"room", "r" + std::to_string(p.room)}, {"text", text}}.dump();
}

/// Connects, joins, then reads until the socket closes.
asio::awaitable<void> session(participant& p, run_state& rs) {
    const auto& o = rs.o;
    asio::steady_timer pause(co_await asio::this_coro::executor);
    pause.expires_after(std::chrono::microseconds(static_cast<std::int64_t>(1e6 * p.index / o.connect_rate)));
    co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));

    auto& tcp_layer = beast::get_lowest_layer(p.ws);
    tcp_layer.expires_after(30s);
    auto [cec] = co_await tcp_layer.async_connect(tcp::endpoint(asio::ip::make_address(o.host), o.port),
                                                  asio::as_tuple(asio::use_awaitable));
    if (cec) {
        p.close_reason = "connect: " + cec.message();
        co_return;
    }
    tcp_layer.socket().set_option(tcp::no_delay(true));
    tcp_layer.expires_never();  // the websocket stream keeps its own timeouts
    auto timeouts = websocket::stream_base::timeout::suggested(beast::role_type::client);
    timeouts.handshake_timeout = 30s;
    p.ws.set_option(timeouts);
    p.ws.read_message_max(64 << 20);
    auto origin = "http://" + o.host + ":" + std::to_string(o.port);
    p.ws.set_option(websocket::stream_base::decorator([&p, origin](websocket::request_type& req) {
        req.set(http::field::user_agent, "relais_loadgen");
        req.set(http::field::origin, origin);
        if (!p.cookie.empty()) req.set(http::field::cookie, p.cookie);
    }));
    websocket::response_type res;
    auto host = o.host + ":" + std::to_string(o.port);
    auto [hec] = co_await p.ws.async_handshake(res, host, o.target == "relais" ? "/ws" : "/", asio::as_tuple(asio::use_awaitable));
    if (hec) {
        p.close_reason = "handshake: " + hec.message() + " (HTTP " + std::to_string(res.result_int()) + " " + res.body().substr(0, 200) + ")";
        co_return;
    }
    p.open = true;
    auto join = o.target == "relais" ? json{{"type", "join"}, {"workshop", p.workshop}}
                                     : json{{"type", "join"}, {"room", "r" + std::to_string(p.room)}};
    p.writing = true;
    auto [jec, jn] = co_await p.ws.async_write(asio::buffer(join.dump()), asio::as_tuple(asio::use_awaitable));
    p.writing = false;
    if (jec) {
        p.open = false;
        p.close_reason = "join: " + jec.message();
        co_return;
    }
    for (;;) {
        auto [rec, n] = co_await p.ws.async_read(p.buffer, asio::as_tuple(asio::use_awaitable));
        if (rec) {
            if (!rs.closing) p.close_reason = "read: " + rec.message() + (p.ws.reason().code ? " (close code " + std::to_string(p.ws.reason().code) + ")" : "");
            break;
        }
        std::string_view frame(static_cast<const char*>(p.buffer.data().data()), p.buffer.size());
        auto now = now_ns();
        rs.last_frame.store(now, std::memory_order_relaxed);
        if (now >= rs.window_start && now < rs.window_end) {
            ++p.window_frames;
            p.window_bytes += frame.size();
        }
        for (std::size_t start = 0; start < frame.size();) {
            auto nl = frame.find('\n', start);
            if (nl == std::string_view::npos) nl = frame.size();
            if (nl > start) on_message(p, rs, frame.substr(start, nl - start));
            start = nl + 1;
        }
        p.buffer.consume(p.buffer.size());
    }
    p.open = false;
}

/// Posts notes from go until the window closes, at the set rate with jitter.
asio::awaitable<void> sender(participant& p, run_state& rs) {
    const auto& o = rs.o;
    asio::steady_timer timer(co_await asio::this_coro::executor);
    std::mt19937_64 rng(0x5eed ^ static_cast<std::uint64_t>(p.index) * 0x9e3779b97f4a7c15ull);
    std::uniform_real_distribution<double> unit(0, 1), jitter(-o.jitter, o.jitter);
    const double interval = 1e9 / o.rate;
    const auto others = static_cast<std::uint64_t>(std::max(0, rs.room_members[static_cast<std::size_t>(p.room)] - 1));
    auto next = rs.go + static_cast<std::int64_t>(interval * unit(rng));  // spread the first notes
    while (next < rs.window_end && p.open) {
        timer.expires_at(at_ns(next));
        co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        auto t = now_ns();
        if (t >= rs.window_end) break;
        auto msg = note_message(p, o, note_text(t, p.index, p.sent, o.text_bytes));
        p.sent_at.push_back(t);
        ++p.sent;
        if (t >= rs.window_start) {
            p.send_lag_us.push_back(static_cast<std::uint32_t>(std::max<std::int64_t>(0, t - next) / 1000));
            rs.expected += others;
            ++rs.window_sent;
        }
        p.writing = true;
        auto [ec, n] = co_await p.ws.async_write(asio::buffer(msg), asio::as_tuple(asio::use_awaitable));
        p.writing = false;
        if (ec) break;
        next += static_cast<std::int64_t>(interval * (1 + jitter(rng)));
    }
}

/// Ends a participant's socket at the end of the run (a close handshake unless a write is stuck).
void finish(participant& p) {
    asio::post(p.ws.get_executor(), [&p] {
        if (!p.open) return;
        if (p.writing) {
            beast::error_code ec;
            beast::get_lowest_layer(p.ws).socket().close(ec);
            return;
        }
        auto t = websocket::stream_base::timeout::suggested(beast::role_type::client);
        t.handshake_timeout = 3s;
        p.ws.set_option(t);
        p.ws.async_close(websocket::close_code::normal, [](beast::error_code) {});
    });
}

void sleep_until_ns(std::int64_t t) { std::this_thread::sleep_until(at_ns(t)); }

double seconds(std::int64_t ns) { return static_cast<double>(ns) / 1e9; }

}  // namespace

int main(int argc, char** argv) {
    const options o = parse_args(argc, argv);
    const int n = o.participants();
    std::cerr << std::fixed << std::setprecision(2);
    std::cerr << "relais_loadgen: " << o.target << " on " << o.host << ":" << o.port << ", " << o.rooms << " room(s) x " << o.per_room
              << " = " << n << " participants, " << o.rate << " note/s each, warmup " << o.warmup << " s, window " << o.duration << " s\n";

    // 1. Identities (Relais: guests through the HTTP API).
    auto t_setup = now_ns();
    std::vector<guest> guests;
    if (o.target == "relais") {
        try {
            guests = relais_setup(o);
        } catch (const std::exception& e) {
            std::cerr << "relais_loadgen: set-up failed: " << e.what() << "\n";
            return 1;
        }
    }
    auto setup_s = seconds(now_ns() - t_setup);
    const std::string server_pid = o.server_pid ? std::to_string(o.server_pid) : "";
    const bool peak_reset = !server_pid.empty() && reset_peak_rss(server_pid);

    // 2. Connect and join everyone.
    asio::io_context ioc(o.threads);
    run_state rs(o);
    std::vector<std::unique_ptr<participant>> people;
    for (int i = 0; i < n; ++i) {
        auto p = std::make_unique<participant>(ioc, i, i / o.per_room);
        if (!guests.empty()) {
            p->workshop = guests[static_cast<std::size_t>(i)].workshop;
            p->cookie = guests[static_cast<std::size_t>(i)].cookie;
        }
        people.push_back(std::move(p));
    }
    auto t_connect = now_ns();
    for (auto& p : people) {
        ++rs.running;
        asio::co_spawn(p->ws.get_executor(), session(*p, rs), [&rs, &who = *p](std::exception_ptr ep) {
            if (ep) {
                try {
                    std::rethrow_exception(ep);
                } catch (const std::exception& e) {
                    who.close_reason = std::string("exception: ") + e.what();
                }
            }
            if (!who.is_ready) ++rs.failed;
            --rs.running;
        });
    }
    std::vector<std::thread> threads;
    for (int i = 0; i < o.threads; ++i) threads.emplace_back([&ioc] { ioc.run(); });
    auto connect_deadline = now_ns() + static_cast<std::int64_t>((n / o.connect_rate + 60) * 1e9);
    while (rs.ready + rs.failed < n && now_ns() < connect_deadline) std::this_thread::sleep_for(20ms);
    auto connect_s = seconds(now_ns() - t_connect);
    auto t_settle = now_ns();
    auto settle_deadline = t_settle + static_cast<std::int64_t>(o.settle * 1e9);
    while (now_ns() < settle_deadline && now_ns() - rs.last_frame.load() < 500'000'000) std::this_thread::sleep_for(20ms);
    auto settle_s = seconds(now_ns() - t_settle);
    std::cerr << "relais_loadgen: set-up " << setup_s << " s, " << rs.ready << "/" << n << " joined in " << connect_s
              << " s, quiet after " << settle_s << " s more\n";

    // 3. Send. Every ready participant's strand starts its sender.
    rs.room_members.assign(static_cast<std::size_t>(o.rooms), 0);
    for (auto& p : people)
        if (p->is_ready) ++rs.room_members[static_cast<std::size_t>(p->room)];  // joined before rs.ready was counted
    rs.go = now_ns() + 100'000'000;
    rs.window_start = rs.go + static_cast<std::int64_t>(o.warmup * 1e9);
    rs.window_end = rs.window_start + static_cast<std::int64_t>(o.duration * 1e9);
    for (auto& p : people)
        asio::post(p->ws.get_executor(), [&rs, &who = *p] {
            if (who.is_ready) asio::co_spawn(who.ws.get_executor(), sender(who, rs), asio::detached);
        });

    sleep_until_ns(rs.window_start);
    double server_cpu0 = server_pid.empty() ? 0 : cpu_seconds(server_pid), self_cpu0 = cpu_seconds("self");
    auto machine0 = machine_jiffies();
    sleep_until_ns(rs.window_end);
    double server_cpu = server_pid.empty() ? 0 : cpu_seconds(server_pid) - server_cpu0, self_cpu = cpu_seconds("self") - self_cpu0;
    auto machine1 = machine_jiffies();
    double machine_busy = machine1.second > machine0.second
                              ? (machine1.first - machine0.first) / (machine1.second - machine0.second) : 0;  // of all cores

    // 4. Drain: wait for the window's notes (and acks) to arrive.
    auto drain_deadline = rs.window_end + static_cast<std::int64_t>(o.drain * 1e9);
    while (now_ns() < drain_deadline && (rs.delivered < rs.expected || rs.window_acks < rs.window_sent)) std::this_thread::sleep_for(20ms);
    auto drained_s = seconds(now_ns() - rs.window_end);
    long server_hwm = server_pid.empty() ? -1 : status_kb(server_pid, "VmHWM");  // before the sockets close
    long server_rss = server_pid.empty() ? -1 : status_kb(server_pid, "VmRSS");

    rs.closing = true;
    for (auto& p : people) finish(*p);
    auto close_deadline = now_ns() + 5'000'000'000;
    while (rs.running > 0 && now_ns() < close_deadline) std::this_thread::sleep_for(20ms);
    ioc.stop();
    for (auto& t : threads) t.join();

    // 5. Results.
    std::vector<std::uint32_t> latency, ack, lag;
    std::uint64_t sent = 0, acks = 0, received = 0, gaps = 0, dups = 0, resyncs = 0, frames = 0, bytes = 0;
    std::map<std::string, std::uint64_t> errors, failures;
    int disconnects = 0;
    for (auto& p : people) {
        latency.insert(latency.end(), p->latency_us.begin(), p->latency_us.end());
        ack.insert(ack.end(), p->ack_us.begin(), p->ack_us.end());
        lag.insert(lag.end(), p->send_lag_us.begin(), p->send_lag_us.end());
        sent += p->sent;
        acks += p->acks;
        received += p->notes_received;
        gaps += p->seq_gaps;
        dups += p->seq_dups;
        resyncs += p->resyncs;
        frames += p->window_frames;
        bytes += p->window_bytes;
        for (const auto& [code, count] : p->errors) errors[code] += count;
        if (!p->close_reason.empty()) {
            if (p->is_ready) ++disconnects;
            ++failures[p->close_reason];
        }
    }
    const double expected = static_cast<double>(rs.expected), delivered = static_cast<double>(rs.delivered);
    const double ratio = expected > 0 ? delivered / expected : 0;
    json lat = summarise_us(latency);
    bool saturated = ratio < 0.95 || (lat["p99"].is_number() && lat["p99"].get<double>() > 250) || rs.ready < n;
    json out = {
        {"target", o.target},
        {"label", o.label},
        {"rooms", o.rooms},
        {"per_room", o.per_room},
        {"participants", n},
        {"connected", rs.ready.load()},
        {"rate", o.rate},
        {"duration_s", o.duration},
        {"warmup_s", o.warmup},
        {"setup_s", std::round(setup_s * 100) / 100},
        {"connect_s", std::round(connect_s * 100) / 100},
        {"settle_s", std::round(settle_s * 100) / 100},
        {"drain_s", std::round(drained_s * 100) / 100},
        {"sent", sent},
        {"acks", acks},
        {"window_sent", rs.window_sent.load()},
        {"window_acks", rs.window_acks.load()},
        {"expected", rs.expected.load()},
        {"delivered", rs.delivered.load()},
        {"delivery_ratio", std::round(ratio * 10000) / 10000},
        {"events_per_s", std::round(delivered / o.duration)},
        {"expected_per_s", std::round(expected / o.duration)},
        {"notes_received", received},
        {"frames_per_s", std::round(static_cast<double>(frames) / o.duration)},
        {"mbytes_per_s", std::round(static_cast<double>(bytes) / o.duration / 1e4) / 100},
        {"latency_ms", lat},
        {"ack_ms", summarise_us(ack)},
        {"send_lag_ms", summarise_us(lag)},
        {"seq_gaps", gaps},
        {"seq_dups", dups},
        {"resyncs", resyncs},
        {"errors", errors},
        {"disconnects", disconnects},
        {"failures", failures},
        {"loadgen_cpu_pct", std::round(self_cpu / o.duration * 1000) / 10},
        {"machine_busy_pct", std::round(machine_busy * 1000) / 10},
        {"saturated", saturated},
    };
    if (!server_pid.empty())
        out["server"] = {{"pid", o.server_pid}, {"cpu_pct", std::round(server_cpu / o.duration * 1000) / 10},
                         {"vm_hwm_kb", server_hwm}, {"vm_rss_kb", server_rss}, {"vm_hwm_since_connect", peak_reset}};
    std::cout << out.dump() << std::endl;

    auto ms = [](const json& v) {
        if (!v.is_number()) return std::string("-");
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.2f", v.get<double>());
        return std::string(buf);
    };
    std::cerr << "---- " << o.target << (o.label.empty() ? "" : " (" + o.label + ")") << ": " << rs.ready << "/" << n << " participants in "
              << o.rooms << " room(s), " << o.rate << " note/s each\n"
              << "  delivered  " << rs.delivered << " / " << rs.expected << " expected (" << ratio * 100 << " %), "
              << delivered / o.duration << " events/s to other participants\n"
              << "  latency    p50 " << ms(lat["p50"]) << " ms, p99 " << ms(lat["p99"]) << " ms, max " << ms(lat["max"]) << " ms\n"
              << "  acks       " << acks << " total (window " << rs.window_acks << " / " << rs.window_sent << " sent), p50 "
              << ms(out["ack_ms"]["p50"]) << " ms, p99 " << ms(out["ack_ms"]["p99"]) << " ms\n"
              << "  send lag   p99 " << ms(out["send_lag_ms"]["p99"]) << " ms; loadgen CPU " << out["loadgen_cpu_pct"]
              << " % of one core; machine " << out["machine_busy_pct"] << " % busy (all cores, everything running)\n";
    if (!server_pid.empty())
        std::cerr << "  server     CPU " << out["server"]["cpu_pct"] << " % of one core, VmHWM " << server_hwm / 1024 << " MiB\n";
    if (gaps || dups || resyncs || !errors.empty() || !failures.empty())
        std::cerr << "  problems   seq gaps " << gaps << ", dups " << dups << ", resyncs " << resyncs << ", errors " << json(errors).dump()
                  << ", failures " << json(failures).dump() << "\n";
    std::cerr << "  verdict    " << (saturated ? "SATURATED (p99 > 250 ms, delivery < 95 % or not all connected)" : "ok") << "\n";
    return 0;
}
