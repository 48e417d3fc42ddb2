// HTTP handlers of the auth module: thin, each behind an access rule.
#include "auth/service.hpp"
#include "auth/territory.hpp"
#include "auth/errors.hpp"
#include "common/json_input.hpp"

namespace relais::auth {

using net::request;
using net::response;
using json = nlohmann::json;

namespace {

// A throttled attempt (429) with how long to wait.
response wait_answer(const api_error& e, long long retry_after) {
    auto res = response::error(e);
    res.header("Retry-After", std::to_string(retry_after));
    return res;
}

}  // namespace

void service::register_routes(net::router& r) {
    r.add("POST", "/api/session", guard(access::anyone, [this](request& req, const principal&) -> asio::awaitable<response> {
        auto body = json_input::parse_object(req.body);
        auto email = json_input::required_string(body, "email", 254);
        auto it = body.find("password");
        if (it == body.end() || !it->is_string() || it->get_ref<const std::string&>().empty() ||
            it->get_ref<const std::string&>().size() > 1024)
            throw api_error(errors::invalid_field, "password");
        long long retry_after = 0;
        std::optional<api_error> throttled;
        try {
            auto password = it->get<std::string>();
            const auto& user_agent = req.header("user-agent");
            auto result = co_await login(email, password, req.client_address, user_agent, retry_after);
            auto res = response::json(200, {{"user", to_json(result.account)}});
            res.header("Set-Cookie", session_cookie_header(result.token, req.secure));
            res.header("Cache-Control", "no-store");
            co_return res;
        } catch (const api_error& e) {
            if (e.status() != 429) throw;
            throttled = e;
        }
        co_return wait_answer(*throttled, retry_after);
    }));

    r.add("DELETE", "/api/session", guard(access::anyone, [this](request& req, const principal&) -> asio::awaitable<response> {
        for (const auto& token : req.cookies(session_cookie))
            if (!token.empty() && token.size() <= 128) co_await logout(token);
        auto res = response::no_content();
        res.header("Set-Cookie", clear_cookie_header(req.secure));
        co_return res;
    }));

    r.add("GET", "/api/me", guard(access::signed_in, [](request&, const principal& p) -> asio::awaitable<response> {
        auto res = response::json(200, {{"user", to_json(p.account)}});
        res.header("Cache-Control", "no-store");
        co_return res;
    }));

    r.add("PATCH", "/api/me", guard(access::signed_in, [this](request& req, const principal& p) -> asio::awaitable<response> {
        auto body = json_input::parse_object(req.body);
        auto name = json_input::required_line(body, "name", 120);
        auto u = co_await rename_self(p, name);
        auto res = response::json(200, {{"user", to_json(u)}});
        co_return res;
    }));

    r.add("POST", "/api/me/password", guard(access::signed_in, [this](request& req, const principal& p) -> asio::awaitable<response> {
        auto body = json_input::parse_object(req.body);
        auto cur = body.find("current_password");
        auto next = body.find("new_password");
        if (cur == body.end() || !cur->is_string() || cur->get_ref<const std::string&>().size() > 1024)
            throw api_error(errors::invalid_field, "current_password");
        if (next == body.end() || !next->is_string()) throw api_error(errors::invalid_field, "new_password");
        auto current = cur->get<std::string>(), wanted = next->get<std::string>();
        long long retry_after = 0;
        std::optional<api_error> throttled;
        try {
            co_await change_own_password(p, current, wanted, req.client_address, retry_after);
            auto done = response::no_content();
            co_return done;
        } catch (const api_error& e) {
            if (e.status() != 429) throw;
            throttled = e;
        }
        co_return wait_answer(*throttled, retry_after);
    }));

    r.add("GET", "/api/orgs", guard(access::signed_in, [this](request&, const principal&) -> asio::awaitable<response> {
        auto orgs = co_await list_orgs();
        json list = json::array();
        for (const auto& o : orgs) list.push_back(to_json(o));
        auto res = response::json(200, {{"orgs", list}});
        co_return res;
    }));

    // The directory animateurs pick workshop members from: names and organisations of
    // active accounts, no e-mail addresses.
    r.add("GET", "/api/users", guard(access::animateur, [this](request&, const principal&) -> asio::awaitable<response> {
        auto users = co_await list_users();
        json list = json::array();
        for (const auto& u : users) {
            if (!u.active) continue;
            json org = nullptr;
            if (u.org_id) org = {{"id", *u.org_id}, {"name", u.org_name.value_or("")}, {"type", u.org_type.value_or("")}};
            list.push_back({{"id", u.id}, {"name", u.name}, {"role", u.role}, {"org", org}});
        }
        auto res = response::json(200, {{"users", list}});
        co_return res;
    }));

    r.add("GET", "/api/admin/users", guard(access::admin, [this](request&, const principal&) -> asio::awaitable<response> {
        auto users = co_await list_users();
        json list = json::array();
        for (const auto& u : users) list.push_back(to_json(u));
        auto res = response::json(200, {{"users", list}});
        co_return res;
    }));

    r.add("POST", "/api/admin/users", guard(access::admin, [this](request& req, const principal&) -> asio::awaitable<response> {
        auto body = json_input::parse_object(req.body);
        user u;
        u.email = json_input::required_string(body, "email", 254);
        u.name = json_input::required_line(body, "name", 120);
        u.role = json_input::required_string(body, "role", 32);
        if (auto org = json_input::optional_id(body, "org_id")) u.org_id = *org;
        auto pw = body.find("password");
        if (pw == body.end() || !pw->is_string()) throw api_error(errors::invalid_field, "password");
        auto password = pw->get<std::string>();
        auto created = co_await create_user(u, password);
        auto res = response::json(201, {{"user", to_json(created)}});
        co_return res;
    }));

    r.add("PATCH", "/api/admin/users/{id}", guard(access::admin, [this](request& req, const principal&) -> asio::awaitable<response> {
        auto id = req.id_param("id");
        auto body = json_input::parse_object(req.body);
        user_patch patch;
        if (auto name = json_input::optional_line(body, "name", 120)) patch.name = *name;  // blank: unchanged
        patch.role = json_input::optional_string(body, "role", 32);  // blank: unchanged
        if (auto email = json_input::optional_string(body, "email", 254)) patch.email = normalise_email(*email);
        patch.org_id = json_input::optional_id(body, "org_id");
        patch.active = json_input::optional_bool(body, "active");
        // `null` or "" (a form sent whole, its password field left empty): unchanged, as
        // for any blank field; otherwise taken as typed (never trimmed).
        if (auto pw = body.find("password"); pw != body.end() && !pw->is_null()) {
            if (!pw->is_string()) throw api_error(errors::invalid_field, "password");
            if (!pw->get<std::string>().empty()) patch.password = pw->get<std::string>();
        }
        auto u = co_await update_user(id, patch);
        auto res = response::json(200, {{"user", to_json(u)}});
        co_return res;
    }));

    r.add("POST", "/api/admin/orgs", guard(access::admin, [this](request& req, const principal&) -> asio::awaitable<response> {
        auto input = parse_org(json_input::parse_object(req.body), nullptr);
        auto o = co_await create_org(input);
        auto res = response::json(201, {{"org", to_json(o)}});
        co_return res;
    }));

    r.add("PATCH", "/api/admin/orgs/{id}", guard(access::admin, [this](request& req, const principal&) -> asio::awaitable<response> {
        auto id = req.id_param("id");
        auto patch = json_input::parse_object(req.body);
        auto o = co_await update_org(id, patch);
        auto res = response::json(200, {{"org", to_json(o)}});
        co_return res;
    }));

    r.add("DELETE", "/api/admin/orgs/{id}", guard(access::admin, [this](request& req, const principal&) -> asio::awaitable<response> {
        const auto id = req.id_param("id");
        co_await delete_org(id);
        auto done = response::no_content();
        co_return done;
    }));
}

}  // namespace relais::auth
