#include "app/ws_hub.hpp"

#include "common/errors.hpp"
#include "common/json_input.hpp"
#include "common/time.hpp"
#include "workshops/service.hpp"

namespace relais::app {

ws_hub::ws_hub(auth::service& auth, workshops::service& workshops, limits l)
    : auth_(auth), workshops_(workshops), limits_(l) {
    on("ping", [](const std::shared_ptr<net::ws_connection>& c, const workshops::identity&, const nlohmann::json& msg) {
        nlohmann::json pong = {{"type", "pong"}};
        if (auto it = msg.find("id"); it != msg.end()) pong["id"] = *it;
        c->send(pong.dump());
    });
}

void ws_hub::on(std::string type, message_handler h) { handlers_[std::move(type)] = std::move(h); }

void ws_hub::on_disconnect(close_handler h) { close_handlers_.push_back(std::move(h)); }

std::string ws_hub::error_message(std::string_view code, std::string_view message) {
    return nlohmann::json{{"type", "error"}, {"code", code}, {"message", message}}.dump();
}

asio::awaitable<net::ws_admission> ws_hub::admit(const net::request& req) {
    net::ws_admission a;
    auto who = co_await workshops_.identify(req);
    if (!who.account && !who.guest) a.refusal = net::response::error(api_error(errors::not_authenticated));
    else a.context = std::move(who);
    co_return a;
}

void ws_hub::on_open(const std::shared_ptr<net::ws_connection>& c) {
    {
        std::lock_guard lock(mutex_);
        meters_[c.get()] = meter{limits_.burst, std::chrono::steady_clock::now()};
    }
    const auto& who = std::any_cast<const workshops::identity&>(c->context());
    nlohmann::json guest = nullptr;
    if (who.guest)
        guest = {{"id", who.guest->id}, {"key", who.key()}, {"name", who.guest->name}, {"role", who.guest->role},
                 {"workshop_id", who.guest->workshop_id}};
    auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    c->send(nlohmann::json{{"type", "welcome"},
                           {"user", who.account ? auth::to_json(who.account->account) : nlohmann::json(nullptr)},
                           {"key", who.key()},
                           {"guest", guest},
                           {"server_time", to_iso8601(unix_now())},
                           {"server_time_ms", now_ms}}
                .dump());
}

void ws_hub::on_message(const std::shared_ptr<net::ws_connection>& c, std::string_view text) {
    bool allowed = true, disconnect = false;
    {
        std::lock_guard lock(mutex_);
        auto& m = meters_[c.get()];
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
    }
    if (disconnect) {
        c->close(1008, "Trop de messages");
        return;
    }
    if (!allowed) {
        c->send(error_message(errors::rate_limited.code, errors::rate_limited.message));
        return;
    }
    nlohmann::json msg;
    try {
        msg = json_input::parse_object(text);
    } catch (const api_error& e) {
        c->send(error_message(e.code(), e.message()));
        return;
    }
    auto type = msg.find("type");
    auto h = type != msg.end() && type->is_string() ? handlers_.find(type->get<std::string>()) : handlers_.end();
    if (h == handlers_.end()) {
        c->send(error_message(errors::ws_unknown_type.code, errors::ws_unknown_type.message));
        return;
    }
    try {
        h->second(c, std::any_cast<const workshops::identity&>(c->context()), msg);
    } catch (const api_error& e) {
        c->send(error_message(e.code(), e.message()));
    }
}

void ws_hub::on_close(const std::shared_ptr<net::ws_connection>& c) {
    for (const auto& h : close_handlers_) h(c);
    std::lock_guard lock(mutex_);
    meters_.erase(c.get());
}

}  // namespace relais::app
