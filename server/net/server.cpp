#include "net/server.hpp"

#include "common/log.hpp"
#include "common/metrics.hpp"
#include "net/http_session.hpp"
#include "net/websocket_session.hpp"

#include <algorithm>
#include <cctype>
#include <thread>

namespace relais::net {

server::impl::impl(std::vector<asio::io_context*> l, server_options o, const router& r, const static_files* f,
                   ws_handler* w, metrics::registry& m)
    : opts(std::move(o)), routes(r), files(f), ws(w), metrics(m), loops(std::move(l)), ioc(*loops.front()),
      acceptor(asio::make_strand(ioc)),
      m_connections(m.get_gauge("relais_http_connections", "Open TCP connections (HTTP and WebSocket).")),
      m_ws_connections(m.get_gauge("relais_ws_connections", "Open WebSocket connections.")),
      m_refused(m.get_counter("relais_connections_refused_total", "Connections refused by the connection limits.")),
      m_ws_in(m.get_counter("relais_ws_messages_total", "WebSocket messages.", metrics::labels({{"direction", "in"}}))),
      m_ws_out(m.get_counter("relais_ws_messages_total", "WebSocket messages.", metrics::labels({{"direction", "out"}}))),
      m_ws_dropped(m.get_counter("relais_ws_dropped_total", "WebSockets dropped for not reading (send queue full).")),
      m_ws_deferred(m.get_counter("relais_ws_frames_deferred_total",
                                  "WebSocket frames the kernel did not take at once (a client reading late): finished when the socket drained.")),
      m_request_seconds(m.get_histogram("relais_http_request_seconds", "Time from a complete request to its response.")) {}

bool server::impl::origin_allowed(std::string_view origin) const {
    for (const auto& o : origins)
        if (o == origin) return true;
    return false;
}

bool server::impl::origin_ok(std::string_view origin, std::string_view host) const {
    if (origin_allowed(origin)) return true;
    if (!host_origin || host.empty() || host.size() > 255 || origin.empty()) return false;
    std::string h(host);
    for (auto& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return origin == "http://" + h || origin == "https://" + h;
}

bool server::impl::take_token(const std::string& address) {
    auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(mutex);
    if (buckets.size() > 100000) buckets.clear();  // bounded memory under address churn
    auto [it, fresh] = buckets.try_emplace(address, bucket{opts.request_burst_per_address, now});
    auto& b = it->second;
    if (!fresh) {
        std::chrono::duration<double> dt = now - b.last;
        b.tokens = std::min(opts.request_burst_per_address, b.tokens + dt.count() * opts.requests_per_second_per_address);
        b.last = now;
    }
    if (b.tokens < 1.0) return false;
    b.tokens -= 1.0;
    return true;
}

void server::impl::count_request(const std::string& route, const std::string& method, int status) {
    metrics.get_counter("relais_http_requests_total", "HTTP requests by route, method and status.",
                        metrics::labels({{"route", route}, {"method", method}, {"status", std::to_string(status)}}))
        .inc();
}

bool server::impl::is_trusted_proxy(const std::string& address) const {
    return std::find(opts.trusted_proxies.begin(), opts.trusted_proxies.end(), address) != opts.trusted_proxies.end();
}

bool server::impl::add_pending(std::uint64_t& ticket, const std::string& address, const std::shared_ptr<http_session>& session,
                               bool count_address) {
    std::vector<std::shared_ptr<http_session>> evicted;
    {
        std::lock_guard lock(mutex);
        // A proxy's connections are many clients': only the total applies to them.
        count_address = count_address && !is_trusted_proxy(address);
        if (count_address) {
            auto& n = pending_per_address[address];
            if (n >= opts.max_pending_connections_per_address) return false;
            ++n;
        }
        while (pending.size() >= opts.max_pending_connections && !pending.empty()) {
            auto oldest = pending.begin();
            if (oldest->second.per_address)
                if (auto it = pending_per_address.find(oldest->second.address); it != pending_per_address.end() && --it->second == 0)
                    pending_per_address.erase(it);
            if (auto s = oldest->second.session.lock()) evicted.push_back(std::move(s));
            pending.erase(oldest);
        }
        ticket = ++next_pending;
        pending.emplace(ticket, pending_entry{session, address, count_address});
    }
    // The slowest to complete a request make room for the newest (slowloris).
    for (auto& e : evicted) {
        m_refused.inc();
        e->evict();
    }
    return true;
}

void server::impl::remove_pending(std::uint64_t ticket) {
    std::lock_guard lock(mutex);
    auto it = pending.find(ticket);
    if (it == pending.end()) return;
    if (it->second.per_address)
        if (auto a = pending_per_address.find(it->second.address); a != pending_per_address.end() && --a->second == 0)
            pending_per_address.erase(a);
    pending.erase(it);
}

bool server::impl::reserve_upload(const std::string& address, const std::string& sender, std::size_t bytes) {
    std::lock_guard lock(mutex);
    // One sender (an account) counts as one address, whatever addresses it sends from.
    const std::string sender_key = sender.empty() ? std::string() : "sender:" + sender;
    auto held = [&](const std::string& key) {
        auto it = upload_bytes_per_address.find(key);
        return it == upload_bytes_per_address.end() ? std::size_t{0} : it->second;
    };
    if (upload_bytes + bytes > opts.uploads_in_flight_max_bytes || held(address) + bytes > opts.uploads_in_flight_max_bytes_per_address ||
        (!sender_key.empty() && held(sender_key) + bytes > opts.uploads_in_flight_max_bytes_per_address))
        return false;
    upload_bytes += bytes;
    upload_bytes_per_address[address] += bytes;
    if (!sender_key.empty()) upload_bytes_per_address[sender_key] += bytes;
    return true;
}

void server::impl::release_upload(const std::string& address, const std::string& sender, std::size_t bytes) {
    if (bytes == 0) return;
    std::lock_guard lock(mutex);
    upload_bytes -= std::min(upload_bytes, bytes);
    auto release = [&](const std::string& key) {
        if (auto it = upload_bytes_per_address.find(key); it != upload_bytes_per_address.end()) {
            it->second -= std::min(it->second, bytes);
            if (it->second == 0) upload_bytes_per_address.erase(it);
        }
    };
    release(address);
    if (!sender.empty()) release("sender:" + sender);
}

bool server::impl::add_forwarded_ws(const std::string& address) {
    std::lock_guard lock(mutex);
    auto& n = forwarded_ws[address];
    if (n >= opts.max_connections_per_address) {
        if (n == 0) forwarded_ws.erase(address);
        return false;
    }
    ++n;
    return true;
}

void server::impl::remove_forwarded_ws(const std::string& address) {
    std::lock_guard lock(mutex);
    if (auto it = forwarded_ws.find(address); it != forwarded_ws.end() && --it->second == 0) forwarded_ws.erase(it);
}

void server::impl::release_connection(const std::string& address) {
    std::lock_guard lock(mutex);
    --connections;
    if (auto it = per_address.find(address); it != per_address.end() && --it->second == 0) per_address.erase(it);
    m_connections.add(-1);
}

asio::awaitable<void> server::impl::accept_loop() {
    auto self = shared_from_this();
    while (!stopping) {
        auto [ec, socket] = co_await acceptor.async_accept(pick_loop().get_executor(), asio::as_tuple(asio::use_awaitable));
        if (ec) {
            if (ec == asio::error::operation_aborted || !acceptor.is_open()) break;
            log::warn("accept_failed", {{"error", ec.message()}});
            continue;
        }
        boost::system::error_code ep_ec;
        // Small messages (acks, events) go out at once rather than waiting for Nagle.
        socket.set_option(tcp::no_delay(true), ep_ec);
        auto remote = socket.remote_endpoint(ep_ec);
        if (ep_ec) continue;
        std::string address = remote.address().to_string();
        bool admitted;
        {
            std::lock_guard lock(mutex);
            auto& n = per_address[address];
            // Behind a trusted proxy every client shares the proxy's address: the per-address
            // cap applies to the forwarded address instead (WebSockets, in http_session).
            admitted = connections < opts.max_connections && (n < opts.max_connections_per_address || is_trusted_proxy(address));
            if (admitted) {
                ++connections;
                ++n;
                m_connections.add(1);
            } else if (n == 0) {
                per_address.erase(address);
            }
        }
        if (!admitted) {
            // Over the limit: say so in one short response and close.
            m_refused.inc();
            static const std::string busy = [] {
                std::string body =
                    "{\"error\":{\"code\":\"indisponible\",\"message\":\"Le service est momentan\xC3\xA9ment indisponible.\"}}";
                return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; charset=utf-8\r\n"
                       "Connection: close\r\nRetry-After: 5\r\nContent-Length: " +
                       std::to_string(body.size()) + "\r\n\r\n" + body;
            }();
            boost::system::error_code wec;
            socket.non_blocking(true, wec);
            socket.write_some(asio::buffer(busy), wec);
            socket.close(wec);
            continue;
        }
        auto ex = socket.get_executor();
        auto session = std::make_shared<http_session>(std::move(socket), self, connection_slot(self, address));
        {
            std::lock_guard lock(mutex);
            http_sessions[session.get()] = session;
        }
        // The completion handler owns the session until its coroutine ends: the coroutine
        // starts on the socket's loop, maybe after this iteration has dropped `session`.
        asio::co_spawn(ex, session->run(), [session](std::exception_ptr ep) { report_coroutine_exit("http", ep); });
    }
}

void add_security_headers(http::fields& f, bool secure) {
    f.set("Content-Security-Policy",
          "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
          "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
          "form-action 'self'; frame-ancestors 'none'");
    f.set("X-Content-Type-Options", "nosniff");
    f.set("Referrer-Policy", "same-origin");
    f.set("X-Frame-Options", "DENY");
    f.set("Cross-Origin-Opener-Policy", "same-origin");
    f.set("Cross-Origin-Resource-Policy", "same-origin");
    f.set("Permissions-Policy", "camera=(), microphone=(), geolocation=()");
    if (secure) f.set(http::field::strict_transport_security, "max-age=31536000");
}

void report_coroutine_exit(const char* what, std::exception_ptr ep) {
    if (!ep) return;
    try {
        std::rethrow_exception(ep);
    } catch (const boost::system::system_error& e) {
        log::debug("session_ended", {{"session", what}, {"error", e.what()}});
    } catch (const std::exception& e) {
        log::error("session_failed", {{"session", what}, {"what", e.what()}});
    }
}

server::server(server_options opts, const router& routes, const static_files* files, ws_handler* ws,
               metrics::registry& metrics)
    : loops_([&] {
          std::vector<std::unique_ptr<asio::io_context>> l;
          for (std::size_t i = 0; i < std::max<std::size_t>(1, opts.threads); ++i)
              l.push_back(std::make_unique<asio::io_context>(1));  // one thread each
          return l;
      }()),
      impl_(std::make_shared<impl>(
          [&] {
              std::vector<asio::io_context*> p;
              for (auto& l : loops_) p.push_back(l.get());
              return p;
          }(),
          std::move(opts), routes, files, ws, metrics)) {}

server::~server() {
    impl_.reset();
    loops_.clear();
}

const std::vector<std::string>& server::origins() const { return impl_->origins; }

unsigned short server::listen() {
    auto& s = *impl_;
    auto address = asio::ip::make_address(s.opts.address);
    tcp::endpoint ep(address, s.opts.port);
    s.acceptor.open(ep.protocol());
    s.acceptor.set_option(asio::socket_base::reuse_address(true));
    s.acceptor.bind(ep);
    s.acceptor.listen(asio::socket_base::max_listen_connections);
    auto port = s.acceptor.local_endpoint().port();
    std::string host = address.is_v6() ? "[" + s.opts.address + "]" : s.opts.address;
    s.origins = s.opts.allowed_origins;
    s.origins.push_back("http://" + host + ":" + std::to_string(port));
    if (address.is_loopback()) s.origins.push_back("http://localhost:" + std::to_string(port));
    // Every address and no public URL (`--listen 0.0.0.0:8080`): browsers name the machine
    // as they reached it, never 0.0.0.0.
    s.host_origin = address.is_unspecified() && s.opts.allowed_origins.empty();
    asio::co_spawn(s.acceptor.get_executor(), s.accept_loop(),
                   [](std::exception_ptr e) { report_coroutine_exit("listener", e); });
    return port;
}

void server::run() {
    // Each loop runs until the shutdown stops them all, sockets or not.
    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> keep;
    for (auto& l : loops_) keep.push_back(asio::make_work_guard(*l));
    std::vector<std::thread> extra;
    for (std::size_t i = 1; i < loops_.size(); ++i) extra.emplace_back([l = loops_[i].get()] { l->run(); });
    loops_.front()->run();
    for (auto& l : loops_) l->stop();  // the first one stopped: a fatal error, or the shutdown
    for (auto& t : extra) t.join();
}

bool server::post(std::function<void()> f) {
    if (impl_->stopping.load() || loops_.front()->stopped()) return false;
    asio::post(impl_->pick_loop(), std::move(f));
    return true;
}

void server::shutdown(std::chrono::milliseconds grace) {
    auto s = impl_;
    if (s->stopping.exchange(true)) return;
    asio::post(s->acceptor.get_executor(), [s] {
        boost::system::error_code ec;
        s->acceptor.close(ec);
    });
    std::vector<std::shared_ptr<http_session>> https;
    std::vector<std::shared_ptr<websocket_session>> wss;
    {
        std::lock_guard lock(s->mutex);
        for (auto& [k, w] : s->http_sessions)
            if (auto p = w.lock()) https.push_back(std::move(p));
        for (auto& [k, w] : s->ws_sessions)
            if (auto p = w.lock()) wss.push_back(std::move(p));
    }
    for (auto& h : https) h->stop();
    for (auto& w : wss) w->close(static_cast<std::uint16_t>(websocket::close_code::going_away), "Arrêt du serveur");
    // Wait for the sessions to finish, then stop the loop; force it at the deadline.
    auto deadline = std::chrono::steady_clock::now() + grace;
    asio::co_spawn(
        s->ioc,
        [](std::shared_ptr<impl> st, std::chrono::steady_clock::time_point until) -> asio::awaitable<void> {
            asio::steady_timer timer(st->ioc);
            for (;;) {
                std::size_t live;
                {
                    std::lock_guard lock(st->mutex);
                    live = st->connections;
                }
                if (live == 0 || std::chrono::steady_clock::now() >= until) break;
                timer.expires_after(std::chrono::milliseconds(20));
                co_await timer.async_wait(asio::use_awaitable);
            }
            for (auto* l : st->loops) l->stop();
        }(s, deadline),
        asio::detached);
}

}  // namespace relais::net
