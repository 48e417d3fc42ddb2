#pragma once
// The application's WebSocket handler: admits signed-in users and workshop guests,
// meters each connection, parses messages and dispatches them by "type" to the
// feature that registered it. Built in: "ping".
#include "auth/service.hpp"
#include "net/websocket.hpp"
#include "workshops/identity.hpp"

#include <nlohmann/json.hpp>

#include <functional>
#include <mutex>
#include <unordered_map>

namespace relais::workshops { class service; }

namespace relais::app {

class ws_hub : public net::ws_handler {
public:
    using message_handler = std::function<void(const std::shared_ptr<net::ws_connection>&, const workshops::identity&,
                                                const nlohmann::json&)>;
    using close_handler = std::function<void(const std::shared_ptr<net::ws_connection>&)>;
    struct limits {
        double messages_per_second = 20;
        double burst = 60;
        unsigned refusals_before_disconnect = 100;
    };

    ws_hub(auth::service& auth, workshops::service& workshops, limits l);

    /// Registers a message type or a close hook; call at start-up only.
    void on(std::string type, message_handler h);
    void on_disconnect(close_handler h);

    asio::awaitable<net::ws_admission> admit(const net::request& req) override;
    void on_open(const std::shared_ptr<net::ws_connection>& c) override;
    void on_message(const std::shared_ptr<net::ws_connection>& c, std::string_view text) override;
    void on_close(const std::shared_ptr<net::ws_connection>& c) override;

    static std::string error_message(std::string_view code, std::string_view message);

private:
    struct meter {
        double tokens;
        std::chrono::steady_clock::time_point last;
        unsigned refusals = 0;
    };
    auth::service& auth_;
    workshops::service& workshops_;
    limits limits_;
    std::unordered_map<std::string, message_handler> handlers_;
    std::vector<close_handler> close_handlers_;
    std::mutex mutex_;
    std::unordered_map<const net::ws_connection*, meter> meters_;
};

}  // namespace relais::app
