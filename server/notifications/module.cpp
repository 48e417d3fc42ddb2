// The notifications module: the bell (unread notices per person), pushed live, with
// e-mail copies through the mail outbox.
#include "notifications/module.hpp"

#include "auth/service.hpp"
#include "common/json_input.hpp"
#include "common/errors.hpp"
#include "common/log.hpp"
#include "common/time.hpp"
#include "common/utf8.hpp"
#include "mail/outbox.hpp"
#include "notifications/notifier.hpp"
#include "platform/topics.hpp"

#include <algorithm>
#include <cctype>

namespace relais::notifications {
namespace {

using json = nlohmann::json;

json to_json(const db::statement& s) {
    return {{"id", s.get_int(0)},    {"kind", s.get_text(1)}, {"title", s.get_text(2)},
            {"body", s.get_text(3)}, {"link", s.get_text(4)}, {"created_at", to_iso8601(s.get_int(5))},
            {"read", !s.is_null(6)}};
}

std::int64_t unread_count(db::connection& c, std::int64_t user_id) {
    auto s = c.prepare("SELECT count(*) FROM notifications WHERE user_id = ?1 AND read_at IS NULL");
    s.bind(1, user_id);
    s.step();
    return s.get_int(0);
}

class notifications_module final : public platform::module, public notifier {
public:
    std::string_view name() const override { return "notifications"; }
    const std::vector<platform::migration>& migrations() const override { return notifications::migrations(); }

    void start(platform::context& ctx) override {
        db_ = &ctx.db();
        auth_ = &ctx.need<auth::service>();
        outbox_ = &ctx.need<mail::outbox>();
        topics_ = &ctx.topics();
        public_url_ = ctx.cfg().get_text("server.public_url");
        while (!public_url_.empty() && public_url_.back() == '/') public_url_.pop_back();
        ctx.provide<notifier>(*this);
    }

    void jobs(platform::scheduler& s) override {
        // Read notices are kept six months.
        s.every(
            "notifications.prune", std::chrono::hours(24),
            [this] {
                db_->write_sync([](db::connection& c) {
                    c.prepare("DELETE FROM notifications WHERE read_at IS NOT NULL AND read_at < ?1")
                        .bind(1, unix_now() - 180 * 86400)
                        .exec();
                });
            },
            std::chrono::minutes(30));
    }

    void notify(db::connection& c, std::int64_t user_id, const notice& given) override {
        auto u = auth_->find_user(c, user_id);
        if (!u || !u->active) return;
        // In French typography, as error messages (no-break spaces before « : » and inside
        // « », typographic apostrophes), and cut at a character, never inside one.
        notice n = given;
        n.title = french_typography(n.title);
        n.body = french_typography(n.body);
        truncate_utf8_chars(n.title, 300);
        truncate_utf8_chars(n.body, 4000);
        c.prepare("INSERT INTO notifications(user_id, kind, title, body, link, created_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6)")
            .bind(1, user_id)
            .bind(2, n.kind)
            .bind(3, n.title)
            .bind(4, n.body)
            .bind(5, n.link)
            .bind(6, unix_now())
            .exec();
        if (!n.email) return;
        mail::message m;
        m.to = u->email;
        m.to_name = u->name;
        m.subject = "[Relais] " + n.title;
        truncate_utf8_chars(m.subject, 209);
        m.text = "Bonjour " + u->name + ",\n\n" + n.title + "\n";
        if (!n.body.empty()) m.text += "\n" + n.body + "\n";
        if (!n.link.empty()) m.text += "\n" + (public_url_.empty() ? std::string() : public_url_) + n.link + "\n";
        m.text += "\n--\nRelais, la plateforme du réseau CPTS. Vos notifications : " + public_url_ + "/notifications\n";
        outbox_->queue(c, m);
    }

    std::vector<std::int64_t> settle(db::connection& c, const std::string& kind, const std::string& link) override {
        std::vector<std::int64_t> who;
        auto s = c.prepare("UPDATE notifications SET read_at = ?1 WHERE kind = ?2 AND link = ?3 AND read_at IS NULL RETURNING user_id");
        s.bind(1, unix_now()).bind(2, kind).bind(3, link);
        while (s.step()) who.push_back(s.get_int(0));
        std::sort(who.begin(), who.end());
        who.erase(std::unique(who.begin(), who.end()), who.end());
        return who;
    }

    void push(const std::vector<std::int64_t>& user_ids) override {
        outbox_->wake();
        for (auto id : user_ids) {
            auto topic = "user:" + std::to_string(id);
            if (!topics_->subscribers(topic)) continue;
            auto count = std::make_shared<std::int64_t>(0);
            db_->read_async([id, count](db::connection& c) { *count = unread_count(c, id); },
                            [this, topic, count](std::exception_ptr ep) {
                                if (ep) return;
                                topics_->publish(topic, json{{"type", "notifications"}, {"unread", *count}}.dump());
                            });
        }
    }

    void routes(net::router& r) override {
        using net::request;
        using net::response;
        r.add("GET", "/api/notifications",
              auth_->guard(auth::access::signed_in, [this](request& req, const auth::principal& p) -> asio::awaitable<response> {
                  bool unread_only = false;
                  // An empty parameter is an absent one, as everywhere.
                  if (auto it = req.query.find("unread"); it != req.query.end() && !it->second.empty()) {
                      if (it->second != "1" && it->second != "0") throw api_error(errors::invalid_field, "unread");
                      unread_only = it->second == "1";
                  }
                  std::int64_t before = std::numeric_limits<std::int64_t>::max();
                  if (auto it = req.query.find("before"); it != req.query.end() && !it->second.empty()) {
                      try {
                          std::size_t pos = 0;
                          before = std::stoll(it->second, &pos);
                          // An id: digits without sign or leading zero, from 1.
                          if (pos != it->second.size() || before <= 0 || !std::isdigit(static_cast<unsigned char>(it->second[0])) ||
                              it->second[0] == '0')
                              throw std::invalid_argument("before");
                      } catch (const std::exception&) {
                          throw api_error(errors::invalid_field, "before");
                      }
                  }
                  json list = json::array();
                  std::int64_t unread = 0;
                  auto uid = p.account.id;
                  co_await db_->read([&](db::connection& c) {
                      auto s = c.prepare(std::string("SELECT id, kind, title, body, link, created_at, read_at FROM notifications "
                                                     "WHERE user_id = ?1 AND id < ?2") +
                                         (unread_only ? " AND read_at IS NULL" : "") + " ORDER BY id DESC LIMIT 51");
                      s.bind(1, uid).bind(2, before);
                      while (s.step()) list.push_back(to_json(s));
                      unread = unread_count(c, uid);
                  });
                  // One more than a page tells whether another follows.
                  json answer{{"notifications", list}, {"unread", unread}};
                  if (list.size() > 50) {
                      list.erase(list.end() - 1);
                      answer["notifications"] = list;
                      answer["next_before"] = list.back()["id"];
                  }
                  auto res = response::json(200, answer);
                  res.header("Cache-Control", "no-store");
                  co_return res;
              }));

        r.add(
            "POST", "/api/notifications/read",
            auth_->guard(auth::access::signed_in, [this](request& req, const auth::principal& p) -> asio::awaitable<response> {
                auto body = json_input::parse_object(req.body);
                std::vector<std::int64_t> ids;
                bool all = false;
                bool has_ids = false;
                if (auto it = body.find("all"); it != body.end()) {
                    if (!it->is_boolean()) throw api_error(errors::invalid_field, "all");
                    all = it->get<bool>();
                }
                if (auto it = body.find("ids"); it != body.end()) {
                    has_ids = true;
                    if (!it->is_array() || it->size() > 200) throw api_error(errors::invalid_field, "ids");
                    for (const auto& v : *it) {
                        if (!v.is_number_integer() || v.get<std::int64_t>() <= 0) throw api_error(errors::invalid_field, "ids");
                        ids.push_back(v.get<std::int64_t>());
                    }
                }
                // An empty list marks nothing and answers the count; no list at all is a mistake.
                if (!all && !has_ids) throw api_error(errors::invalid_field, "ids");
                std::int64_t unread = 0;
                int marked = 0;
                auto uid = p.account.id;
                co_await db_->write([&](db::connection& c) {
                    auto now = unix_now();
                    if (all) {
                        c.prepare("UPDATE notifications SET read_at = ?2 WHERE user_id = ?1 AND read_at IS NULL")
                            .bind(1, uid)
                            .bind(2, now)
                            .exec();
                        marked += c.changes();
                    } else {
                        for (auto id : ids) {
                            c.prepare("UPDATE notifications SET read_at = ?3 WHERE id = ?2 AND user_id = ?1 AND read_at IS NULL")
                                .bind(1, uid)
                                .bind(2, id)
                                .bind(3, now)
                                .exec();
                            marked += c.changes();
                        }
                    }
                    unread = unread_count(c, uid);
                });
                // The person's other open pages update their bell too.
                if (marked > 0)
                    topics_->publish("user:" + std::to_string(uid), json{{"type", "notifications"}, {"unread", unread}}.dump());
                auto res = response::json(200, {{"unread", unread}});
                co_return res;
            }));
    }

private:
    db::pool* db_ = nullptr;
    auth::service* auth_ = nullptr;
    mail::outbox* outbox_ = nullptr;
    platform::topics* topics_ = nullptr;
    std::string public_url_;
};

}  // namespace

std::unique_ptr<platform::module> make_module() { return std::make_unique<notifications_module>(); }

}  // namespace relais::notifications
