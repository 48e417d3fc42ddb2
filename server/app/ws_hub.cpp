#include "app/ws_hub.hpp"

#include "common/errors.hpp"
#include "common/json_input.hpp"
#include "common/time.hpp"

namespace relais::app {

ws_hub::ws_hub(auth::service& auth, limits l) : auth_(auth), limits_(l) {
    on("ping", [](const std::shared_ptr<net::ws_connection>& c, const auth::principal&, const nlohmann::json& msg) {
        nlohmann::json pong = {{"type", "pong"}};
        if (auto it = msg.find("id"); it != msg.end()) pong["id"] = *it;
        c->send(pong.dump());
    });
}

void ws_hub::on(std::string type, message_handler h) { handlers_[std::move(type)] = std::move(h); }

std::string ws_hub::error_message(std::string_view code, std::string_view message) {
    return nlohmann::json{{"type", "error"}, {"code", code}, {"message", message}}.dump();
}

asio::awaitable<net::ws_admission> ws_hub::admit(const net::request& req) {
    net::ws_admission a;
    auto p = co_await auth_.authenticate(req);
    if (!p) a.refusal = net::response::error(api_error(errors::not_authenticated));
    else a.context = std::move(*p);
    co_return a;
}

void ws_hub::on_open(const std::shared_ptr<net::ws_connection>& c) {
    {
        std::lock_guard lock(mutex_);
        meters_[c.get()] = meter{limits_.burst, std::chrono::steady_clock::now()};
    }
    const auto& p = std::any_cast<const auth::principal&>(c->context());
    c->send(nlohmann::json{{"type", "welcome"}, {"user", auth::to_json(p.account)}, {"server_time", to_iso8601(unix_now())}}.dump());
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
        h->second(c, std::any_cast<const auth::principal&>(c->context()), msg);
    } catch (const api_error& e) {
        c->send(error_message(e.code(), e.message()));
    }
}

void ws_hub::on_close(const std::shared_ptr<net::ws_connection>& c) {
    std::lock_guard lock(mutex_);
    meters_.erase(c.get());
}

}  // namespace relais::app
