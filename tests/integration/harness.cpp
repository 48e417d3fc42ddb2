#include "harness.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/socket.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <deque>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace relais::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
namespace fs = std::filesystem;

nlohmann::json http_response::json() const {
    auto j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_discarded()) throw std::runtime_error("not JSON: " + body);
    return j;
}

std::string http_response::header(const std::string& lower) const {
    auto it = headers.find(lower);
    return it == headers.end() ? std::string() : it->second;
}

std::string http_response::error_code() const {
    auto j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("error")) return {};
    return j["error"].value("code", "");
}

temp_dir::temp_dir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() / ("relais-test-" + std::to_string(getpid()) + "-" + std::to_string(rd()));
    fs::create_directories(path_);
}

temp_dir::~temp_dir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
}

namespace {

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

int spawn(const std::vector<std::string>& args, const fs::path& out_file, const fs::path& in_file,
          const std::map<std::string, std::string>& env) {
    std::vector<std::string> all{RELAIS_BINARY};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> envs;
    for (char** e = environ; *e; ++e)
        if (std::string(*e).rfind("RELAIS_", 0) != 0) envs.emplace_back(*e);
    for (const auto& [k, v] : env) envs.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (auto& e : envs) envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, in_file.empty() ? "/dev/null" : in_file.c_str(), O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) throw std::runtime_error("cannot start relais");
    return pid;
}

int wait_exit(int pid, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        int status = 0;
        int r = waitpid(pid, &status, WNOHANG);
        if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (std::chrono::steady_clock::now() > deadline) return -1;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

// The debug preset's relais writes AddressSanitizer, LeakSanitizer and UBSan reports to
// its output (a server's: its log), which no test reads: any of them fails the test.
void fail_on_sanitizer_report(const char* where, const std::string& text) {
    auto report = text.find("Sanitizer:");
    if (report == std::string::npos) report = text.find("runtime error:");
    if (report == std::string::npos) return;
    auto start = text.rfind('\n', report);
    auto excerpt = text.substr(start == std::string::npos ? 0 : start + 1, 8000);
    if (std::uncaught_exceptions() == 0) FAIL_CHECK("sanitizer report in " << where << ":\n" << excerpt);
    else std::fprintf(stderr, "sanitizer report in %s:\n%s\n", where, excerpt.c_str());
}

}  // namespace

command_result run_relais(const std::vector<std::string>& args, const std::string& stdin_text,
                          const std::map<std::string, std::string>& env) {
    temp_dir tmp;
    auto in = tmp.path() / "stdin";
    auto out = tmp.path() / "out";
    {
        std::ofstream f(in, std::ios::binary);
        f << stdin_text;
    }
    int pid = spawn(args, out, in, env);
    int status = wait_exit(pid, std::chrono::seconds(60));
    auto output = read_file(out);
    fail_on_sanitizer_report("the output of relais", output);
    return {status, output};
}

server::server(std::vector<std::string> extra_args, fs::path data_dir) {
    owned_dir_ = std::make_unique<temp_dir>();
    data_dir_ = data_dir.empty() ? owned_dir_->path() / "data" : data_dir;
    log_file_ = owned_dir_->path() / "server.log";
    std::vector<std::string> args{"serve", "--data-dir", data_dir_.string(), "--listen", "127.0.0.1:0",
                                  "--set", "log.level=debug"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    pid_ = spawn(args, log_file_, {}, {});
    static const std::regex listening("listening on http://(?:127\\.0\\.0\\.1|0\\.0\\.0\\.0):([0-9]+)");
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
        std::smatch m;
        auto text = read_file(log_file_);
        if (std::regex_search(text, m, listening)) {
            port_ = static_cast<unsigned short>(std::stoi(m[1]));
            break;
        }
        if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
            pid_ = -1;
            throw std::runtime_error("relais exited at start: " + text);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!port_) throw std::runtime_error("relais did not start: " + read_file(log_file_));
    auto first = read_file(data_dir_ / "premier-acces.txt");
    static const std::regex pw("Mot de passe : (\\S+)");
    std::smatch m;
    if (std::regex_search(first, m, pw)) admin_password_ = m[1];
}

server::~server() {
    // A graceful stop first, so that a sanitized server runs its exit checks (LeakSanitizer).
    if (pid_ > 0 && stop(SIGTERM, std::chrono::seconds(10)) < 0) {
        kill(pid_, SIGKILL);
        wait_exit(pid_, std::chrono::seconds(5));
    }
    auto text = log();
    if (std::getenv("RELAIS_TEST_SHOW_LOG")) std::fprintf(stderr, "---- server log ----\n%s\n", text.c_str());
    fail_on_sanitizer_report("the server's log", text);
}

bool server::running() { return pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == 0; }

int server::stop(int signal, std::chrono::milliseconds timeout) {
    if (pid_ <= 0) return -1;
    kill(pid_, signal);
    int status = wait_exit(pid_, timeout);
    if (status >= 0) pid_ = -1;
    return status;
}

std::string server::log() const { return read_file(log_file_); }

http_response server::request(const std::string& method, const std::string& target, const std::string& body,
                              std::map<std::string, std::string> headers) {
    asio::io_context ioc;
    beast::tcp_stream stream(ioc);
    stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    if (req.method() == http::verb::unknown) req.method_string(method);
    req.set(http::field::host, "127.0.0.1:" + std::to_string(port_));
    bool unsafe = method != "GET" && method != "HEAD";
    if (unsafe && !headers.count("Origin")) headers["Origin"] = origin();
    if (!body.empty() && !headers.count("Content-Type")) headers["Content-Type"] = "application/json";
    for (const auto& [k, v] : headers)
        if (!v.empty()) req.set(k, v);
    req.body() = body;
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buf;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 << 20);
    if (method == "HEAD") parser.skip(true);
    http::read(stream, buf, parser);
    auto res = parser.release();
    http_response out;
    out.status = static_cast<int>(res.result_int());
    for (const auto& f : res) {
        std::string name(f.name_string());
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        auto [it, fresh] = out.headers.try_emplace(name, std::string(f.value()));
        if (!fresh) it->second += "\n" + std::string(f.value());
    }
    out.body = res.body();
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    return out;
}

std::string server::login(const std::string& email, const std::string& password) {
    auto r = request("POST", "/api/session", nlohmann::json{{"email", email}, {"password", password}}.dump());
    if (r.status != 200) throw std::runtime_error("login failed: " + std::to_string(r.status) + " " + r.body);
    auto cookie = r.header("set-cookie");
    return cookie.substr(0, cookie.find(';'));
}

std::string server::make_user(const std::string& admin_cookie, const std::string& email, const std::string& role) {
    auto r = request("POST", "/api/admin/users",
                     nlohmann::json{{"email", email}, {"name", "Test " + role}, {"role", role}, {"password", "motdepasse-solide"}}.dump(),
                     {{"Cookie", admin_cookie}});
    if (r.status != 201) throw std::runtime_error("make_user failed: " + r.body);
    return login(email, "motdepasse-solide");
}

std::string url_encode(const std::string& s) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out += static_cast<char>(c);
        else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

raw_result raw_exchange(unsigned short port, const std::string& bytes, std::chrono::milliseconds timeout) {
    asio::io_context ioc;
    tcp::socket s(ioc);
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    asio::write(s, asio::buffer(bytes));
    raw_result out{{}, false};
    char buf[4096];
    std::function<void()> read_more;
    read_more = [&] {
        s.async_read_some(asio::buffer(buf), [&](beast::error_code ec, std::size_t n) {
            if (ec) {
                out.closed = true;
                return;
            }
            out.data.append(buf, n);
            read_more();
        });
    };
    read_more();
    ioc.run_for(timeout);
    return out;
}

struct idle_connection::impl {
    asio::io_context ioc;
    tcp::socket socket{ioc};
};

idle_connection::idle_connection(unsigned short port) : impl_(std::make_unique<impl>()) {
    impl_->socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
}

void idle_connection::send(const std::string& bytes) {
    impl_->socket.non_blocking(true);
    int small = 4096;
    setsockopt(impl_->socket.native_handle(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    beast::error_code ec;
    std::size_t done = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    while (done < bytes.size() && std::chrono::steady_clock::now() < deadline) {
        done += impl_->socket.write_some(asio::buffer(bytes.data() + done, bytes.size() - done), ec);
        if (ec == asio::error::would_block) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        else if (ec) break;
    }
}

idle_connection::~idle_connection() {
    beast::error_code ec;
    impl_->socket.close(ec);
}

struct ws_client::impl {
    asio::io_context ioc;
    websocket::stream<beast::tcp_stream> ws{ioc};
    beast::flat_buffer buffer;
    std::deque<std::string> messages;  // a frame may carry several, '\n'-separated
    std::map<std::string, std::string> extra_headers;
    bool open = false;
    bool reading = false;
};

ws_client::ws_client() : impl_(std::make_unique<impl>()) {}
ws_client::~ws_client() {
    beast::error_code ec;
    beast::get_lowest_layer(impl_->ws).socket().close(ec);
}

int ws_client::connect(unsigned short port, const std::string& cookie, const std::string& origin,
                       std::string* refusal_body) {
    auto& ws = impl_->ws;
    beast::get_lowest_layer(ws).connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    ws.set_option(websocket::stream_base::decorator([cookie, origin, extra = impl_->extra_headers](websocket::request_type& req) {
        if (!cookie.empty()) req.set(http::field::cookie, cookie);
        if (!origin.empty()) req.set(http::field::origin, origin);
        for (const auto& [k, v] : extra) req.set(k, v);
    }));
    ws.read_message_max(16 << 20);
    websocket::response_type res;
    beast::error_code ec;
    ws.handshake(res, "127.0.0.1:" + std::to_string(port), "/ws", ec);
    if (refusal_body) *refusal_body = res.body();
    impl_->open = !ec;
    return static_cast<int>(res.result_int());
}

void ws_client::set_header(const std::string& name, const std::string& value) { impl_->extra_headers[name] = value; }

void ws_client::send(const std::string& text) {
    impl_->ws.text(true);
    impl_->ws.write(asio::buffer(text));
}

void ws_client::ping() { impl_->ws.ping({}); }

std::optional<std::string> ws_client::read(std::chrono::milliseconds timeout) {
    auto& i = *impl_;
    auto pop = [&]() -> std::optional<std::string> {
        auto m = std::move(i.messages.front());
        i.messages.pop_front();
        return m;
    };
    if (!i.messages.empty()) return pop();
    if (!i.open) return std::nullopt;
    // One read stays outstanding across calls: a timeout leaves it pending, so that
    // waiting a little never damages the connection.
    if (!i.reading) {
        i.reading = true;
        i.buffer.clear();
        i.ws.async_read(i.buffer, [&i](beast::error_code ec, std::size_t) {
            i.reading = false;
            if (ec) {
                i.open = false;
                return;
            }
            auto frame = beast::buffers_to_string(i.buffer.data());
            std::size_t start = 0;
            while (start <= frame.size()) {
                auto nl = frame.find('\n', start);
                if (nl == std::string::npos) nl = frame.size();
                if (nl > start) i.messages.push_back(frame.substr(start, nl - start));
                start = nl + 1;
            }
        });
    }
    i.ioc.restart();
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (i.reading && std::chrono::steady_clock::now() < deadline) i.ioc.run_one_until(deadline);
    if (!i.messages.empty()) return pop();
    return std::nullopt;
}

int ws_client::close_code() const { return impl_->ws.reason().code; }
bool ws_client::is_open() const { return impl_->open; }
int ws_client::native_handle() { return beast::get_lowest_layer(impl_->ws).socket().native_handle(); }

}  // namespace relais::test
