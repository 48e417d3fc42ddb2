#include "net/http_session.hpp"

#include "common/errors.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"
#include "common/utf8.hpp"
#include "net/websocket_session.hpp"

#include <sodium.h>

#include <algorithm>

namespace relais::net {
namespace {

std::string new_request_id() {
    unsigned char raw[8];
    randombytes_buf(raw, sizeof raw);
    char hex[17];
    sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
    return hex;
}

bool is_unsafe(std::string_view method) {
    return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

// A path as logged: a segment that looks like a bearer token (32 or more URL-safe
// characters: an invite link, a guest's token) keeps its first 6 characters only, so that
// whoever reads the logs cannot use it.
std::string loggable_path(std::string_view path) {
    std::string out;
    out.reserve(path.size());
    std::size_t i = 0;
    while (i <= path.size()) {
        auto j = path.find('/', i);
        if (j == std::string_view::npos) j = path.size();
        auto seg = path.substr(i, j - i);
        const bool secret = seg.size() >= 32 && std::all_of(seg.begin(), seg.end(), [](unsigned char c) {
            return std::isalnum(c) || c == '-' || c == '_';
        });
        out.append(secret ? std::string(seg.substr(0, 6)) + "…" : std::string(seg));
        if (j < path.size()) out.push_back('/');
        i = j + 1;
    }
    return out;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return std::string(s);
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

http_session::http_session(tcp::socket socket, std::shared_ptr<server::impl> srv, connection_slot slot)
    : stream_(std::move(socket)), srv_(std::move(srv)), slot_(std::move(slot)) {
    peer_ = slot_->address();
}

void http_session::stop() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
        self->closing_ = true;
        if (!self->busy_) self->stream_.cancel();
    });
}

void http_session::evict() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
        self->closing_ = true;
        boost::system::error_code ec;
        self->stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
        self->stream_.cancel();
    });
}

bool http_session::make_request(http::request<http::string_body>& in, request& out) {
    out.method = std::string(in.method_string());
    out.target = std::string(in.target());
    auto q = out.target.find('?');
    std::string_view raw_path = std::string_view(out.target).substr(0, q);
    if (!url_decode(raw_path, out.path, false) || out.path.empty() || out.path.front() != '/') return false;
    if (q != std::string::npos) {
        std::string_view rest = std::string_view(out.target).substr(q + 1);
        std::size_t count = 0;
        while (!rest.empty()) {
            if (++count > 64) return false;
            auto amp = rest.find('&');
            auto part = rest.substr(0, amp);
            rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
            if (part.empty()) continue;
            auto eq = part.find('=');
            std::string k, v;
            if (!url_decode(part.substr(0, eq), k, true)) return false;
            if (eq != std::string_view::npos && !url_decode(part.substr(eq + 1), v, true)) return false;
            out.query[k] = v;
        }
    }
    for (const auto& f : in) {
        auto name = lower(f.name_string());
        auto value = std::string(f.value());
        auto [it, fresh] = out.headers.try_emplace(name, value);
        if (!fresh) it->second += (name == "cookie" ? "; " : ", ") + value;
    }
    out.body = std::move(in.body());
    out.client_address = peer_;
    const auto& o = srv_->opts;
    if (contains(o.trusted_proxies, peer_)) {
        // The client is the right-most address that is not one of our proxies.
        std::string xff = out.header("x-forwarded-for");
        while (!xff.empty()) {
            auto comma = xff.rfind(',');
            std::string candidate = trim(comma == std::string::npos ? xff : xff.substr(comma + 1));
            xff = comma == std::string::npos ? std::string() : xff.substr(0, comma);
            // Some proxies write the client's port too: 203.0.113.9:5678, [2001:db8::1]:443.
            if (!candidate.empty() && candidate.front() == '[') {
                if (auto close = candidate.find(']'); close != std::string::npos) candidate = candidate.substr(1, close - 1);
            } else if (std::count(candidate.begin(), candidate.end(), ':') == 1) {
                candidate.resize(candidate.find(':'));
            }
            boost::system::error_code ec;
            asio::ip::make_address(candidate, ec);
            if (ec) {
                // Not an address: the client is unknown — never taken for the proxy itself
                // (which may read /metrics).
                out.client_address = "forwarded-unknown";
                break;
            }
            out.client_address = candidate;
            if (!contains(o.trusted_proxies, candidate)) break;
        }
        out.secure = lower(out.header("x-forwarded-proto")) == "https";
        auto rid = out.header("x-request-id");
        if (!rid.empty() && rid.size() <= 64 &&
            std::all_of(rid.begin(), rid.end(), [](unsigned char c) { return std::isalnum(c) || c == '-'; }))
            out.request_id = rid;
    }
    if (out.request_id.empty()) out.request_id = new_request_id();
    if (const auto& host = out.header("host"); !host.empty() && host.size() <= 255) {
        auto origin = (out.secure ? "https://" : "http://") + lower(host);
        if (srv_->origin_ok(origin, host)) out.own_origin = std::move(origin);
    }
    return true;
}

asio::awaitable<response> http_session::handle(request& req) {
    auto& s = *srv_;
    // Cross-site request forgery: a state-changing request must come from one of
    // our own pages (Origin), and carry JSON, which a plain HTML form cannot send.
    // Upload routes also take application/octet-stream, which a form cannot send either.
    auto m = s.routes.find(req.method, req.path);
    if (m.result == router::match::kind::found && is_unsafe(req.method)) {
        if (!s.origin_ok(req.header("origin"), req.header("host"))) throw api_error(errors::origin_refused);
        if (!req.body.empty()) {
            // The media type itself, parameters (charset) aside: "application/jsonx" is not JSON.
            auto ct = lower(req.header("content-type"));
            auto type = std::string_view(ct).substr(0, ct.find(';'));
            while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
            bool raw = m.options && m.options->raw_body && type == "application/octet-stream";
            if (type != "application/json" && !raw) {
                if (m.options && m.options->raw_body) throw api_error(errors::unsupported_upload_media);
                throw api_error(errors::unsupported_media);
            }
        }
    }
    if (m.result == router::match::kind::found) {
        req.params = std::move(m.params);
        auto r = co_await (*m.h)(req);
        co_return r;
    }
    if (m.result == router::match::kind::method_not_allowed) {
        auto r = response::error(api_error(errors::method_not_allowed));
        r.header("Allow", m.allowed);
        co_return r;
    }
    if ((req.method == "GET" || req.method == "HEAD") && s.files && req.path.rfind("/api/", 0) != 0 && req.path != "/api") {
        auto r = s.files->serve(req.path, req.header("if-none-match"));
        if (!r) throw api_error(errors::path_invalid);
        co_return std::move(*r);
    }
    throw api_error(errors::not_found);
}

asio::awaitable<void> http_session::write(http::response<http::string_body>& res) {
    stream_.expires_after(srv_->opts.request_timeout);
    auto [ec, n] = co_await http::async_write(stream_, res, asio::as_tuple(asio::use_awaitable));
    if (ec) closing_ = true;
}

asio::awaitable<void> http_session::write_error(const error_def& def, bool secure) {
    auto r = response::error(api_error(def));
    http::response<http::string_body> res{static_cast<http::status>(r.status), 11};
    res.set(http::field::content_type, r.content_type);
    add_security_headers(res, secure);
    res.set(http::field::cache_control, "no-store");  // an error about this one request
    res.keep_alive(false);
    res.body() = std::move(r.body);
    res.prepare_payload();
    srv_->count_request("unparsed", "-", r.status);
    co_await write(res);
    boost::system::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
}

asio::awaitable<void> http_session::linger() {
    // Refused before its body was read, a request's body may still be on its way: what
    // comes is read and dropped (up to 32 MiB, for 5 seconds) before the socket closes,
    // so that the client — or a proxy in front, which answers 502 on a reset — reads the
    // answer rather than a reset.
    std::array<char, 16384> scratch;
    std::size_t dropped = 0;
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (dropped < (32u << 20) && std::chrono::steady_clock::now() < until) {
        stream_.expires_at(until);
        auto [ec, n] = co_await stream_.async_read_some(asio::buffer(scratch), asio::as_tuple(asio::use_awaitable));
        if (ec) break;  // the client closed, or the time is up
        dropped += n;
    }
}

asio::awaitable<bool> http_session::read_upload_body(http::request_parser<http::string_body>& parser) {
    using clock = std::chrono::steady_clock;
    // Silent that long, the client is gone; slow past that long, it must keep up the rate
    // (a third of the request timeout each: 10 seconds by default).
    const auto stall = std::chrono::duration_cast<clock::duration>(srv_->opts.request_timeout) / 3, grace = stall;
    const auto start = clock::now();
    const auto deadline = start + srv_->opts.request_timeout * 4;  // a 10 MiB file on a slow line
    std::size_t received = 0;
    while (!parser.is_done()) {
        const auto now = clock::now();
        if (now >= deadline) co_return false;
        stream_.expires_after(std::min<clock::duration>(deadline - now, stall));
        auto [ec, n] = co_await http::async_read_some(stream_, buffer_, parser, asio::as_tuple(asio::use_awaitable));
        if (ec == http::error::body_limit) {
            co_await write_error(errors::too_large, false);
            co_await linger();
            co_return false;
        }
        if (ec == beast::error::timeout) co_return false;
        if (ec) {
            if (ec != asio::error::eof && ec != asio::error::operation_aborted) co_await write_error(errors::bad_request, false);
            co_return false;
        }
        received += n;
        // A trickle holds the budget of uploads in flight for everyone: past the grace
        // period, the average rate must keep up.
        const auto elapsed = clock::now() - start;
        if (elapsed > grace && !parser.is_done()) {
            const double seconds = std::chrono::duration<double>(elapsed - grace).count();
            if (static_cast<double>(received) < static_cast<double>(srv_->opts.upload_min_bytes_per_second) * seconds) {
                log::info("upload_too_slow", {{"addr", peer_}, {"bytes", received}});
                co_return false;
            }
        }
    }
    co_return true;
}

asio::awaitable<void> http_session::upgrade(http::request<http::string_body>& in, request& req) {
    auto& s = *srv_;
    auto refuse = [&](response&& r) -> asio::awaitable<void> {
        http::response<http::string_body> res{static_cast<http::status>(r.status), 11};
        res.set(http::field::content_type, r.content_type);
        add_security_headers(res, req.secure);
        res.set(http::field::cache_control, "no-store");
        res.keep_alive(false);
        res.body() = std::move(r.body);
        res.prepare_payload();
        s.count_request(s.opts.websocket_path, "UPGRADE", r.status);
        log::info("ws_refused", {{"rid", req.request_id}, {"status", r.status}, {"addr", req.client_address}});
        co_await write(res);
    };
    if (req.path != s.opts.websocket_path || !s.ws) {
        auto r = response::error(api_error(errors::not_found));
        co_return co_await refuse(std::move(r));
    }
    if (!s.origin_ok(req.header("origin"), req.header("host"))) {
        auto r = response::error(api_error(errors::origin_refused));
        co_return co_await refuse(std::move(r));
    }
    ws_admission admission;
    try {
        admission = co_await s.ws->admit(req);
    } catch (const api_error& e) {
        admission.refusal = response::error(e);
    }
    if (admission.refusal) co_return co_await refuse(std::move(*admission.refusal));
    // Behind a trusted proxy, the per-address cap counts the forwarded client's sockets.
    bool forwarded = s.is_trusted_proxy(peer_) && req.client_address != peer_;
    if (forwarded && !s.add_forwarded_ws(req.client_address)) {
        auto r = response::error(api_error(errors::unavailable));
        r.header("Retry-After", "5");
        co_return co_await refuse(std::move(r));
    }
    struct forwarded_release {
        server::impl& s;
        std::string address;
        bool active;
        ~forwarded_release() { if (active) s.remove_forwarded_ws(address); }
    } release{s, req.client_address, forwarded};
    s.count_request(s.opts.websocket_path, "UPGRADE", 101);
    auto session = std::make_shared<websocket_session>(std::move(stream_), srv_, std::move(*slot_), req.request_id,
                                                       std::move(admission.context));
    slot_.reset();
    {
        std::lock_guard lock(s.mutex);
        s.ws_sessions[session.get()] = session;
    }
    co_await session->run(in);
}

asio::awaitable<void> http_session::run() {
    auto self = shared_from_this();
    auto& s = *srv_;
    registration<http_session> registered(s, s.http_sessions, this);
    // Until a request is complete (head and body), the connection counts as waiting:
    // bounded per address for a first request, and in all, where the oldest waiting
    // connection is closed to make room (slowloris, slow bodies, idle keep-alive).
    std::uint64_t ticket = 0;
    bool first_request = true;
    struct pending_release {
        server::impl& s;
        std::uint64_t& ticket;
        void now() {
            if (ticket) s.remove_pending(ticket);
            ticket = 0;
        }
        ~pending_release() { now(); }
    } waiting{s, ticket};
    // Bytes reserved in the upload budget for the request being handled.
    std::size_t reserved = 0;
    std::string reserved_for, reserved_sender;
    struct upload_release {
        server::impl& s;
        std::string& address;
        std::string& sender;
        std::size_t& bytes;
        ~upload_release() { s.release_upload(address, sender, bytes); }
    } reservation{s, reserved_for, reserved_sender, reserved};
    for (;;) {
        s.release_upload(reserved_for, reserved_sender, reserved);
        reserved = 0;
        if (!ticket && !s.add_pending(ticket, peer_, self, first_request)) {
            co_await write_error(errors::unavailable, false);
            break;
        }
        first_request = false;
        http::request_parser<http::string_body> parser;
        parser.header_limit(static_cast<std::uint32_t>(s.opts.header_max_bytes));
        // Beast checks Content-Length against the limit as soon as the header is read: allow
        // the largest any route takes, then hold each request to its own route's limit.
        parser.body_limit(std::max(s.opts.body_max_bytes, s.routes.max_body_bytes()));
        busy_ = false;
        if (closing_ || s.stopping) break;
        stream_.expires_after(s.opts.header_timeout);
        auto [ec, n] = co_await http::async_read_header(stream_, buffer_, parser, asio::as_tuple(asio::use_awaitable));
        busy_ = true;
        if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
            ec == asio::error::operation_aborted)
            break;
        // A deadline closes the socket (beast::tcp_stream): slow or idle clients just go.
        if (ec == beast::error::timeout) break;
        if (ec == http::error::header_limit) { co_await write_error(errors::headers_too_large, false); break; }
        if (ec == http::error::body_limit) { co_await write_error(errors::too_large, false); co_await linger(); break; }
        if (ec) { co_await write_error(errors::bad_request, false); break; }

        if (!parser.is_done()) {
            // Some routes (uploads) take larger bodies than the default.
            std::size_t body_limit = s.opts.body_max_bytes;
            bool upload = false;
            const error_def* refuse = nullptr;
            const route_options* options = nullptr;
            {
                auto target = parser.get().target();
                std::string path;
                if (url_decode(std::string_view(target.data(), target.size()).substr(0, target.find('?')), path, false)) {
                    auto m = s.routes.find(std::string_view(parser.get().method_string()), path);
                    if (m.options && m.options->body_max_bytes) body_limit = m.options->body_max_bytes;
                    upload = m.options && m.options->raw_body;
                    options = m.options;
                }
            }
            if (upload) {
                // Before buffering an upload: the request must come from our pages (CSRF)
                // and pass the route's check on its head (a live session), and the bytes
                // must fit in the budget of uploads in flight.
                auto origin = parser.get()[http::field::origin];
                auto host = parser.get()[http::field::host];
                if (!s.origin_ok(std::string_view(origin.data(), origin.size()), std::string_view(host.data(), host.size()))) {
                    refuse = &errors::origin_refused;
                }
                // Then what a form could send (as for any state-changing request, before
                // the route's access rule).
                if (!refuse) {
                    auto announced = parser.content_length();
                    auto ct = lower(std::string_view(parser.get()[http::field::content_type].data(), parser.get()[http::field::content_type].size()));
                    auto type = std::string_view(ct).substr(0, ct.find(';'));
                    while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
                    if ((!announced || *announced > 0) && type != "application/octet-stream" && type != "application/json")
                        refuse = &errors::unsupported_upload_media;
                }
                http::request<http::string_body> head{parser.get().base()};
                request head_req;
                if (!refuse && !make_request(head, head_req)) refuse = &errors::path_invalid;
                std::optional<std::string> sender;
                if (!refuse && options->admit_body) {
                    try {
                        sender = co_await options->admit_body(head_req);
                    } catch (const std::exception&) {
                        sender.reset();
                    }
                    if (!sender) refuse = &errors::not_authenticated;
                }
                if (!refuse) {
                    // In all and per client address (the forwarded one behind a trusted proxy).
                    auto announced = parser.content_length();
                    std::size_t want = announced ? static_cast<std::size_t>(std::min<std::uint64_t>(*announced, body_limit)) : body_limit;
                    if (!announced || *announced <= body_limit) {
                        const std::string who = sender.value_or(std::string());
                        if (!s.reserve_upload(head_req.client_address, who, want)) refuse = &errors::unavailable;
                        else {
                            reserved = want;
                            reserved_for = head_req.client_address;
                            reserved_sender = who;
                        }
                    }
                }
            }
            if (refuse) {
                co_await write_error(*refuse, false);
                co_await linger();
                break;
            }
            parser.body_limit(body_limit);
            // An announced body over the limit is refused before reading it.
            if (auto len = parser.content_length(); len && *len > body_limit) {
                co_await write_error(errors::too_large, false);
                co_await linger();
                break;
            }
            // A client that asked whether to send its body (Expect: 100-continue, as curl
            // does for large ones) is told to go ahead now that the head is accepted.
            if (beast::iequals(parser.get()[http::field::expect], "100-continue")) {
                stream_.expires_after(s.opts.request_timeout);
                static constexpr std::string_view go_on = "HTTP/1.1 100 Continue\r\n\r\n";
                auto [ec3, n3] = co_await asio::async_write(stream_, asio::buffer(go_on.data(), go_on.size()),
                                                            asio::as_tuple(asio::use_awaitable));
                if (ec3) break;
            }
            if (!upload) {
                stream_.expires_after(s.opts.request_timeout);
                auto [ec2, n2] = co_await http::async_read(stream_, buffer_, parser, asio::as_tuple(asio::use_awaitable));
                if (ec2 == http::error::body_limit) { co_await write_error(errors::too_large, false); co_await linger(); break; }
                if (ec2 == beast::error::timeout) break;
                if (ec2) { if (ec2 != asio::error::eof && ec2 != asio::error::operation_aborted) co_await write_error(errors::bad_request, false); break; }
            } else if (!co_await read_upload_body(parser)) {
                break;
            }
        }
        waiting.now();  // a complete request
        auto in = parser.release();
        auto started = std::chrono::steady_clock::now();
        request req;
        // HTTP/1.1 requires Host (RFC 9112 §3.2): without it, a 400 and the connection ends.
        if (in.version() >= 11 && in.find(http::field::host) == in.end()) { co_await write_error(errors::bad_request, false); break; }
        if (!make_request(in, req)) { co_await write_error(errors::path_invalid, false); break; }

        // A probe of /healthz is never slowed down by the client's other requests.
        bool allowed = req.path == "/healthz" || s.take_token(req.client_address);
        if (allowed && websocket::is_upgrade(in)) {
            co_await upgrade(in, req);
            co_return;
        }

        response r;
        std::string route = "static";
        if (!allowed) {
            r = response::error(api_error(errors::rate_limited));
            r.header("Retry-After", "1");
            route = "rate_limited";
        } else {
            auto m = s.routes.find(req.method, req.path);
            if (m.pattern) route = *m.pattern;
            else if (m.result != router::match::kind::not_found || req.path.rfind("/api/", 0) == 0) route = "unmatched";
            try {
                r = co_await handle(req);
            } catch (const api_error& e) {
                r = response::error(e);
            } catch (const std::exception& e) {
                log::error("handler_failed", {{"rid", req.request_id}, {"path", loggable_path(req.path)}, {"what", e.what()}});
                r = response::error(api_error(errors::internal));
            }
        }

        http::response<http::string_body> res{static_cast<http::status>(r.status), in.version()};
        if (!r.content_type.empty()) res.set(http::field::content_type, r.content_type);
        for (auto& [k, v] : r.headers) res.insert(k, v);
        add_security_headers(res, req.secure);
        // API answers are someone's data: never kept by a browser or a proxy unless the
        // handler says otherwise (a relayed image, a thumbnail).
        if (req.path.rfind("/api/", 0) == 0 && res.find(http::field::cache_control) == res.end())
            res.set(http::field::cache_control, "no-store");
        res.set("X-Request-Id", req.request_id);
        bool keep_alive = in.keep_alive() && !closing_ && !s.stopping && r.status != 400;
        res.keep_alive(keep_alive);
        res.body() = std::move(r.body);
        res.prepare_payload();
        if (req.method == "HEAD") res.body().clear();  // Content-Length stays that of GET

        std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
        s.m_request_seconds.observe(elapsed.count());
        s.count_request(route, req.method, r.status);
        log::info("request", {{"rid", req.request_id}, {"method", req.method}, {"path", loggable_path(req.path)},
                              {"status", r.status}, {"ms", elapsed.count() * 1000.0}, {"addr", req.client_address}});
        if (req.method == "HEAD") {
            http::response_serializer<http::string_body> sr{res};
            stream_.expires_after(s.opts.request_timeout);
            auto [wec, wn] = co_await http::async_write_header(stream_, sr, asio::as_tuple(asio::use_awaitable));
            if (wec) break;
        } else {
            co_await write(res);
        }
        if (!keep_alive) {
            boost::system::error_code sec;
            stream_.socket().shutdown(tcp::socket::shutdown_send, sec);
            break;
        }
    }
}

}  // namespace relais::net
