// The mail module: a durable outbox drained by a job over SMTP (libcurl, outbound/smtp).
#include "mail/module.hpp"

#include "auth/service.hpp"
#include "common/log.hpp"
#include "common/time.hpp"
#include "mail/outbox.hpp"
#include "outbound/smtp.hpp"

#include <algorithm>

namespace relais::mail {
namespace {

constexpr const char* job_key = "mail.send";

struct row {
    std::int64_t id = 0, attempts = 0;
    outbound::email mail;
};

class mail_module final : public platform::module, public outbox {
public:
    std::string_view name() const override { return "mail"; }
    const std::vector<platform::migration>& migrations() const override { return mail::migrations(); }

    void declare(platform::settings& s) const override {
        s.text("mail.smtp_host", "", {}, "empty: mail is queued but not sent");
        s.integer("mail.smtp_port", 587, 1, 65535);
        s.text("mail.smtp_tls", "starttls", {"starttls", "tls", "none"});
        s.text("mail.smtp_username", "");
        s.text("mail.smtp_password", "");
        s.text("mail.from_address", "", {}, "the sender's address; required once smtp_host is set");
        s.text("mail.from_name", "Relais");
        s.integer("mail.timeout_s", 60, 1, 600);
        s.integer("mail.max_attempts", 8, 1, 100);
        s.integer("mail.batch", 20, 1, 1000, "messages sent per pass of the job");
        s.integer("mail.interval_s", 60, 1, 86400, "how often the outbox is looked at");
    }

    void start(platform::context& ctx) override {
        const auto& cfg = ctx.cfg();
        db_ = &ctx.db();
        jobs_ = &ctx.jobs();
        max_attempts_ = cfg.get_int("mail.max_attempts");
        batch_ = cfg.get_int("mail.batch");
        interval_ = std::chrono::seconds(cfg.get_int("mail.interval_s"));
        auto host = cfg.get_text("mail.smtp_host");
        if (!host.empty()) {
            outbound::smtp_settings s;
            s.host = host;
            s.port = static_cast<int>(cfg.get_int("mail.smtp_port"));
            auto tls = cfg.get_text("mail.smtp_tls");
            s.tls = tls == "tls"    ? outbound::smtp_tls::tls
                    : tls == "none" ? outbound::smtp_tls::none
                                    : outbound::smtp_tls::starttls;
            s.username = cfg.get_text("mail.smtp_username");
            s.password = cfg.get_text("mail.smtp_password");
            s.from_address = cfg.get_text("mail.from_address");
            s.from_name = cfg.get_text("mail.from_name");
            s.timeout = std::chrono::seconds(cfg.get_int("mail.timeout_s"));
            if (s.from_address.empty())
                throw platform::config_error(
                    "mail.from_address: required once mail.smtp_host is set (the address messages come from, one the "
                    "SMTP server accepts to send for, e.g. relais@votre-domaine.fr)");
            if (!outbound::valid_email(s.from_address))
                throw platform::config_error("mail.from_address: not a valid e-mail address: " + s.from_address);
            try {
                client_.emplace(s);
            } catch (const std::invalid_argument& e) {
                throw platform::config_error(std::string("mail: ") + e.what());
            }
        }
        auth_ = &ctx.need<auth::service>();
        public_url_ = cfg.get_text("server.public_url");
        ctx.provide<outbox>(*this);
    }

    // For administrators: is mail configured, what waits, what failed.
    void routes(net::router& r) override {
        r.add("GET", "/api/admin/mail",
              auth_->guard(auth::access::admin, [this](net::request&, const auth::principal&) -> asio::awaitable<net::response> {
                  nlohmann::json counts = {{"pending", 0}, {"sent", 0}, {"failed", 0}};
                  nlohmann::json failures = nlohmann::json::array();
                  co_await db_->read([&](db::connection& c) {
                      auto s = c.prepare("SELECT status, count(*) FROM mail_outbox GROUP BY status");
                      while (s.step()) counts[s.get_text(0)] = s.get_int(1);
                      auto f = c.prepare(
                          "SELECT id, to_address, subject, attempts, last_error, created_at FROM mail_outbox "
                          "WHERE status = 'failed' OR (status = 'pending' AND attempts > 0) ORDER BY id DESC LIMIT 20");
                      while (f.step())
                          failures.push_back({{"id", f.get_int(0)},
                                              {"to", f.get_text(1)},
                                              {"subject", f.get_text(2)},
                                              {"attempts", f.get_int(3)},
                                              {"error", f.get_text(4)},
                                              {"created_at", to_iso8601(f.get_int(5))}});
                  });
                  auto res =
                      net::response::json(200, {{"configured", client_.has_value()},
                                                {"links", !public_url_.empty()},
                                                {"counts", counts},
                                                {"problems", failures}});
                  res.header("Cache-Control", "no-store");
                  co_return res;
              }));
    }

    void jobs(platform::scheduler& s) override {
        s.every(job_key, interval_, [this] { send_due(); });
    }

    void run() override {
        if (!client_) log::info("mail_disabled", {{"reason", "mail.smtp_host is empty: messages wait in the outbox"}});
    }

    bool queue(db::connection& c, const message& m) override {
        if (!outbound::valid_email(m.to) || m.subject.empty() || m.subject.size() > 300 ||
            m.subject.find_first_of("\r\n") != std::string::npos)
            return false;
        c.prepare(
             "INSERT INTO mail_outbox(to_address, to_name, subject, text_body, html_body, created_at, next_attempt_at) "
             "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?6)")
            .bind(1, m.to)
            .bind(2, m.to_name)
            .bind(3, m.subject)
            .bind(4, m.text)
            .bind(5, m.html)
            .bind(6, unix_now())
            .exec();
        return true;
    }

    void wake() override {
        if (jobs_ && client_) jobs_->run_soon(job_key);
    }

private:
    std::string public_url_;  // messages' links are absolute only with it
    // Runs on a job thread: sends what is due, records each outcome.
    void send_due() {
        if (!client_) return;
        std::vector<row> due;
        auto now = unix_now();
        db_->read_sync([&](db::connection& c) {
            auto s = c.prepare(
                "SELECT id, attempts, to_address, to_name, subject, text_body, html_body FROM mail_outbox "
                "WHERE status = 'pending' AND next_attempt_at <= ?1 ORDER BY next_attempt_at, id LIMIT ?2");
            s.bind(1, now).bind(2, batch_);
            while (s.step()) {
                row r;
                r.id = s.get_int(0);
                r.attempts = s.get_int(1);
                r.mail.to = s.get_text(2);
                r.mail.to_name = s.get_text(3);
                r.mail.subject = s.get_text(4);
                r.mail.text_body = s.get_text(5);
                r.mail.html_body = s.get_opt_text(6);
                due.push_back(std::move(r));
            }
        });
        for (const auto& r : due) {
            auto result = client_->send(r.mail);
            auto attempts = r.attempts + 1;
            std::string status = "sent", error;
            std::int64_t next = 0;
            if (!result) {
                const auto& e = result.error();
                error = std::string(e.message()) + (e.detail().empty() ? "" : " (" + e.detail() + ")");
                if (e.permanent() || attempts >= max_attempts_) {
                    status = "failed";
                } else {
                    status = "pending";
                    // 1 min, 2, 4 … capped at 6 h.
                    next = unix_now() + std::min<std::int64_t>(60LL << std::min<std::int64_t>(attempts - 1, 20), 6 * 3600);
                }
                log::warn("mail_not_sent", {{"id", r.id}, {"attempts", attempts}, {"status", status}, {"error", error}});
            } else {
                log::info("mail_sent", {{"id", r.id}});
            }
            db_->write_sync([&](db::connection& c) {
                c.prepare(
                     "UPDATE mail_outbox SET status = ?2, attempts = ?3, last_error = ?4, next_attempt_at = ?5, "
                     "sent_at = CASE WHEN ?2 = 'sent' THEN unixepoch() ELSE NULL END WHERE id = ?1")
                    .bind(1, r.id)
                    .bind(2, status)
                    .bind(3, attempts)
                    .bind(4, error.substr(0, 500))
                    .bind(5, next)
                    .exec();
            });
        }
        // Sent mail is kept 30 days (what was sent, to whom), then forgotten.
        db_->write_sync([&](db::connection& c) {
            c.prepare("DELETE FROM mail_outbox WHERE status = 'sent' AND sent_at < ?1").bind(1, unix_now() - 30 * 86400).exec();
        });
        // A full batch: more may be due.
        if (static_cast<std::int64_t>(due.size()) == batch_) jobs_->run_soon(job_key);
    }

    db::pool* db_ = nullptr;
    auth::service* auth_ = nullptr;
    platform::scheduler* jobs_ = nullptr;
    std::optional<outbound::smtp_client> client_;
    std::int64_t max_attempts_ = 8, batch_ = 20;
    std::chrono::seconds interval_{60};
};

}  // namespace

std::unique_ptr<platform::module> make_module() { return std::make_unique<mail_module>(); }

}  // namespace relais::mail
