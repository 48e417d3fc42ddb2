#include "app/ws_hub.hpp"

#include <algorithm>

#include "common/errors.hpp"
#include "common/json_input.hpp"
#include "common/log.hpp"
#include "common/time.hpp"

namespace relais::app {

ws_hub::ws_hub(auth::service& auth, platform::topics& bus, limits l) : auth_(auth), bus_(bus), limits_(l) {
    on("ping", [](const conn_ptr& c, const platform::peer&, const nlohmann::json& msg) {
        nlohmann::json pong = {{"type", "pong"}};
        if (auto it = msg.find("id"); it != msg.end()) pong["id"] = *it;
        c->send(pong.dump());
    });
}

void ws_hub::on(std::string type, message_handler h) {
    on_async(std::move(type), [h = std::move(h)](const conn_ptr& c, const platform::peer& who,
                                                   const nlohmann::json& msg, done_fn done) {
        // `done` runs whatever happens: the dispatcher's own handler catches and reports.
        struct guard {
            done_fn& d;
            ~guard() { d(); }
        } g{done};
        h(c, who, msg);
    });
}

void ws_hub::on_async(std::string type, async_handler h) {
    if (!handlers_.emplace(type, std::move(h)).second) throw std::logic_error("WebSocket message type registered twice: " + type);
}

void ws_hub::on_disconnect(close_handler h) { close_handlers_.push_back(std::move(h)); }

std::string ws_hub::error_message(std::string_view code, std::string_view message) {
    return nlohmann::json{{"type", "error"}, {"code", code}, {"message", french_typography(message)}}.dump();
}

asio::awaitable<net::ws_admission> ws_hub::admit(const net::request& req) {
    net::ws_admission a;
    auto who = co_await auth_.identify(req);
    if (!who.account && !who.guest) a.refusal = net::response::error(api_error(errors::not_authenticated));
    else a.context = std::move(who);
    co_return a;
}

void ws_hub::on_open(const conn_ptr& c) {
    const auto& who = std::any_cast<const auth::identity&>(c->context());
    bool too_many;
    {
        std::lock_guard lock(mutex_);
        conn_state st;
        st.conn = c;
        st.who.key = who.key();
        if (who.account) {
            st.who.user_id = who.account->account.id;
            st.who.name = who.account->account.name;
            st.who.session_hash = who.account->session_hash;
            st.who.expires_at = who.account->session_expires_at;
        }
        if (who.guest) {
            st.who.guest_id = who.guest->id;
            st.who.name = who.guest->name;
            st.who.expires_at = who.guest->expires_at;  // an expiring invite ends its guests' sockets
        }
        st.tokens = limits_.burst;
        st.last = std::chrono::steady_clock::now();
        conns_[c.get()] = std::move(st);
        too_many = ++per_person_[who.key()] > limits_.sockets_per_person;
    }
    if (too_many) {
        // One person, many tabs is fine; dozens of sockets is someone flooding.
        c->send(error_message(errors::too_many_sockets.code, errors::too_many_sockets.message));
        c->close(1008, "Trop de connexions ouvertes");
        return;
    }
    if (who.account) {
        platform::peer p;
        p.key = who.key();
        p.user_id = who.account->account.id;
        p.name = who.account->account.name;
        bus_.subscribe(c, p, "user:" + std::to_string(p.user_id));
    }
    nlohmann::json guest = nullptr;
    if (who.guest) {
        guest = {{"id", who.guest->id}, {"key", who.key()}, {"name", who.guest->name}, {"role", who.guest->role}};
        guest.update(who.guest->details);
    }
    auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    c->send(nlohmann::json{{"type", "welcome"},
                           {"user", who.account ? auth::to_json(who.account->account) : nlohmann::json(nullptr)},
                           {"key", who.key()},
                           {"guest", guest},
                           {"server_time", to_iso8601(unix_now())},
                           {"server_time_ms", now_ms}}
                .dump());
}

void ws_hub::on_message(const conn_ptr& c, std::string_view text) {
    bool allowed = true, disconnect = false, expired = false, run_now = false;
    const char* why = "Trop de messages";
    {
        std::lock_guard lock(mutex_);
        auto it = conns_.find(c.get());
        if (it == conns_.end()) return;
        auto& m = it->second;
        if (m.who.expires_at && unix_now() >= m.who.expires_at) {
            expired = true;
        } else {
            auto now = std::chrono::steady_clock::now();
            std::chrono::duration<double> dt = now - m.last;
            m.tokens = std::min(limits_.burst, m.tokens + dt.count() * limits_.messages_per_second);
            m.last = now;
            if (m.tokens >= 1.0) {
                m.tokens -= 1.0;
            } else {
                allowed = false;
                disconnect = ++m.refusals >= limits_.refusals_before_disconnect;
            }
            if (allowed) {
                if (!m.busy) {
                    m.busy = true;
                    run_now = true;
                } else if (m.waiting.size() >= limits_.queued_messages_max) {
                    disconnect = true;
                    why = "Trop de messages en attente";
                } else {
                    m.waiting.emplace_back(text);
                }
            }
        }
    }
    if (expired) {
        c->close(1008, "Session expirée");
        return;
    }
    if (disconnect) {
        c->close(1008, why);
        return;
    }
    if (!allowed) {
        c->send(error_message(errors::rate_limited.code, errors::rate_limited.message));
        return;
    }
    if (run_now) dispatch(c, std::string(text));
}

// Handles one message; the socket's next one starts when this one is done. A handler
// that is done before it returns (most are) lets the next message run here, on the
// socket's strand, without another trip through it.
void ws_hub::dispatch(const conn_ptr& c, std::string text) {
    for (;;) {
        // 0: the handler runs; 1: done was called before it returned; 2: it returned first.
        auto phase = std::make_shared<std::atomic<int>>(0);
        std::weak_ptr<net::ws_connection> weak = c;
        auto once = std::make_shared<std::atomic<bool>>(false);
        done_fn done = [this, weak, once, phase] {
            if (once->exchange(true)) return;
            int running = 0;
            if (phase->compare_exchange_strong(running, 1)) return;  // dispatch goes on
            finished(weak);
        };
        handle(c, text, done);
        int running = 0;
        if (phase->compare_exchange_strong(running, 2)) return;  // done comes later
        // Done already, on this strand: the next waiting message, if any.
        if (!next_waiting(c, text)) return;
    }
}

// The socket's next waiting message into `text`; none (or a closed socket): not busy.
bool ws_hub::next_waiting(const conn_ptr& c, std::string& text) {
    std::lock_guard lock(mutex_);
    auto it = conns_.find(c.get());
    if (it == conns_.end()) return false;
    auto& m = it->second;
    if (m.waiting.empty() || c->closed()) {
        m.busy = false;
        return false;
    }
    text = std::move(m.waiting.front());
    m.waiting.pop_front();
    return true;
}

void ws_hub::handle(const conn_ptr& c, const std::string& text, const done_fn& done) {
    try {
        auto msg = json_input::parse_object(text);
        auto type = msg.find("type");
        auto h = type != msg.end() && type->is_string() ? handlers_.find(type->get<std::string>()) : handlers_.end();
        if (h == handlers_.end()) throw api_error(errors::ws_unknown_type);
        platform::peer who;
        {
            std::lock_guard lock(mutex_);
            auto it = conns_.find(c.get());
            if (it != conns_.end()) who = it->second.who;
        }
        h->second(c, who, msg, done);
        return;
    } catch (const api_error& e) {
        // The same code as over HTTP, worded for a message rather than a request's body.
        if (e.code() == errors::invalid_json.code)
            c->send(error_message(e.code(), "Le message n'est pas un objet JSON valide (16 niveaux d'imbrication au plus)."));
        else c->send(error_message(e.code(), e.message()));
    } catch (const std::exception& e) {
        // Whatever a handler throws, the socket stays consistent: the error is told,
        // the next message runs, and the close path (seats, meters) still happens.
        log::error("ws_handler_failed", {{"rid", c->id()}, {"what", e.what()}});
        c->send(error_message(errors::internal.code, errors::internal.message));
    } catch (...) {
        log::error("ws_handler_failed", {{"rid", c->id()}, {"what", "unknown"}});
        c->send(error_message(errors::internal.code, errors::internal.message));
    }
    done();
}

void ws_hub::finished(const std::weak_ptr<net::ws_connection>& weak) {
    auto c = weak.lock();
    if (!c) return;
    // Back on the socket's strand: handlers run where the socket's messages arrive.
    c->post([this, c] {
        std::string next;
        if (next_waiting(c, next)) dispatch(c, std::move(next));
    });
}

void ws_hub::on_close(const conn_ptr& c) {
    bus_.forget(c.get());
    for (const auto& h : close_handlers_) {
        try {
            h(c);
        } catch (const std::exception& e) {
            log::error("ws_close_handler_failed", {{"rid", c->id()}, {"what", e.what()}});
        }
    }
    std::lock_guard lock(mutex_);
    auto it = conns_.find(c.get());
    if (it == conns_.end()) return;
    if (auto p = per_person_.find(it->second.who.key); p != per_person_.end() && --p->second == 0) per_person_.erase(p);
    conns_.erase(it);
}

void ws_hub::close_matching(const std::function<bool(const conn_state&)>& pred, const char* reason) {
    std::vector<conn_ptr> to_close;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [ptr, st] : conns_)
            if (pred(st))
                if (auto c = st.conn.lock()) to_close.push_back(std::move(c));
    }
    for (const auto& c : to_close) c->close(1008, reason);
}

void ws_hub::revoke(const auth::access_change& change) {
    using kind = auth::access_change::kind;
    switch (change.what) {
        case kind::session_ended:
            close_matching([&](const conn_state& s) { return !s.who.session_hash.empty() && s.who.session_hash == change.session_hash; },
                           "Session terminée");
            break;
        case kind::account_changed:
            close_matching(
                [&](const conn_state& s) {
                    return s.who.user_id == change.user_id && (change.session_hash.empty() || s.who.session_hash != change.session_hash);
                },
                "Accès modifié : reconnectez-vous");
            break;
        case kind::guest_ended:
            close_matching([&](const conn_state& s) { return s.who.guest_id == change.guest_id; }, "Invitation terminée");
            break;
    }
}

void ws_hub::sweep(std::int64_t now, const session_lookup& lookup) {
    std::unordered_map<std::string, std::optional<std::int64_t>> sessions;
    if (lookup) {
        std::vector<std::string> hashes;
        {
            std::lock_guard lock(mutex_);
            for (const auto& [ptr, st] : conns_)
                if (!st.who.session_hash.empty()) hashes.push_back(st.who.session_hash);
        }
        std::sort(hashes.begin(), hashes.end());
        hashes.erase(std::unique(hashes.begin(), hashes.end()), hashes.end());
        if (!hashes.empty()) sessions = lookup(hashes);  // outside the lock: it reads the database
    }
    std::vector<conn_ptr> ended, expired;
    {
        std::lock_guard lock(mutex_);
        for (auto& [ptr, st] : conns_) {
            bool gone = false;
            if (auto it = sessions.find(st.who.session_hash); !st.who.session_hash.empty() && it != sessions.end()) {
                if (it->second) st.who.expires_at = *it->second;  // extended (or not) since the socket opened
                else gone = true;
            }
            const bool out_of_time = st.who.expires_at && now >= st.who.expires_at;
            if (!gone && !out_of_time) continue;
            if (auto c = st.conn.lock()) (gone ? ended : expired).push_back(std::move(c));
        }
    }
    for (const auto& c : ended) c->close(1008, "Session terminée");
    for (const auto& c : expired) c->close(1008, "Session expirée");
}

}  // namespace relais::app
