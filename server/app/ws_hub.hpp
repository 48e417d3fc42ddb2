#pragma once
// The application's WebSocket handler: admits signed-in users and workshop guests,
// meters each connection, parses messages and dispatches them by "type" to the
// feature that registered it, one message at a time per socket and in the order the
// socket sent them (a handler may finish later, e.g. after a database read: the
// socket's next message waits for it). Built in: "ping".
//
// It also keeps who is behind each socket, so that a socket loses its access when its
// owner does: `revoke` closes the sockets of a session, an account or a guest (logout,
// password change, role change, deactivation, guest sign-out), and `sweep` closes those
// whose session has expired or was ended by another process (it reads the sessions).
#include "auth/service.hpp"
#include "net/websocket.hpp"
#include "platform/module.hpp"
#include "platform/topics.hpp"

#include <nlohmann/json.hpp>

#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>
#include <unordered_map>

namespace relais::app {

class ws_hub : public net::ws_handler, public platform::live_registry {
public:
    struct limits {
        double messages_per_second = 20;
        double burst = 60;
        unsigned refusals_before_disconnect = 100;
        std::size_t sockets_per_person = 8;
        std::size_t queued_messages_max = 64;  // waiting behind a slow handler; beyond, close 1008
    };

    /// Every signed-in socket is subscribed to its person's topic ("user:<id>") in `bus`.
    ws_hub(auth::service& auth, platform::topics& bus, limits l);

    /// Registers a message type or a close hook; call at start-up only. A type registered
    /// twice (two modules) is a programming error.
    void on(std::string type, message_handler h) override;
    void on_async(std::string type, async_handler h) override;
    void on_disconnect(close_handler h) override;

    asio::awaitable<net::ws_admission> admit(const net::request& req) override;
    void on_open(const conn_ptr& c) override;
    void on_message(const conn_ptr& c, std::string_view text) override;
    void on_close(const conn_ptr& c) override;

    /// Closes (1008, `reason`) every socket opened with this session, or of this account
    /// (except those opened with `except_session`), or of this guest.
    void revoke(const auth::access_change& change);
    /// For each session hash asked, when it expires now (unix seconds), or nullopt when it
    /// is gone (signed out, ended by another process such as `relais user passwd`).
    using session_lookup = std::function<std::unordered_map<std::string, std::optional<std::int64_t>>(const std::vector<std::string>&)>;
    /// Closes the sockets whose session expired before `now` (unix seconds) or, when
    /// `lookup` is given, no longer exists; a session extended meanwhile extends its sockets.
    void sweep(std::int64_t now, const session_lookup& lookup = {});

    static std::string error_message(std::string_view code, std::string_view message);

private:
    struct conn_state {
        std::weak_ptr<net::ws_connection> conn;
        platform::peer who;  // as admitted; its expiry ends the socket
        double tokens = 0;
        std::chrono::steady_clock::time_point last;
        unsigned refusals = 0;
        bool busy = false;  // a message is being handled
        std::deque<std::string> waiting;
    };
    void dispatch(const conn_ptr& c, std::string text);
    void handle(const conn_ptr& c, const std::string& text, const done_fn& done);
    void finished(const std::weak_ptr<net::ws_connection>& weak);
    bool next_waiting(const conn_ptr& c, std::string& text);
    void close_matching(const std::function<bool(const conn_state&)>& pred, const char* reason);

    auth::service& auth_;
    platform::topics& bus_;
    limits limits_;
    std::unordered_map<std::string, async_handler> handlers_;
    std::vector<close_handler> close_handlers_;
    std::mutex mutex_;
    std::unordered_map<const net::ws_connection*, conn_state> conns_;
    std::unordered_map<std::string, std::size_t> per_person_;
};

}  // namespace relais::app
