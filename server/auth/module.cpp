// The auth module: accounts, organisations, sessions, access rules, the directory.
#include "auth/module.hpp"

#include "auth/errors.hpp"
#include "auth/seed.hpp"
#include "auth/service.hpp"

namespace relais::auth {
namespace {

class auth_module final : public platform::module {
public:
    std::string_view name() const override { return "auth"; }
    const std::vector<platform::migration>& migrations() const override { return auth::migrations(); }
    std::vector<const error_def*> errors() const override { return errors::all(); }

    void declare(platform::settings& s) const override {
        s.integer("auth.session_ttl_hours", 12, 1, 24 * 90, "how long a session lasts without activity");
        s.integer("auth.max_failures_per_account", 5, 1, std::numeric_limits<int>::max());
        s.integer("auth.max_failures_per_address", 20, 1, std::numeric_limits<int>::max());
        s.integer("auth.lockout_minutes", 15, 1, 24 * 60);
        s.text("auth.password_cost", "interactive", {"interactive", "moderate"});
    }

    void start(platform::context& ctx) override {
        const auto& cfg = ctx.cfg();
        options o;
        o.session_ttl = std::chrono::hours(cfg.get_int("auth.session_ttl_hours"));
        o.max_failures_per_account = static_cast<unsigned>(cfg.get_int("auth.max_failures_per_account"));
        o.max_failures_per_address = static_cast<unsigned>(cfg.get_int("auth.max_failures_per_address"));
        o.lockout_window = std::chrono::minutes(cfg.get_int("auth.lockout_minutes"));
        o.cost = cfg.get_text("auth.password_cost") == "moderate" ? hash_cost::moderate : hash_cost::interactive;
        o.always_secure_cookies = cfg.get_text("server.public_url").rfind("https://", 0) == 0;
        service_ = std::make_unique<service>(ctx.db(), ctx.cpu(), o);
        service_->fold_stored_emails();
        ctx.provide<service>(*service_);
        ctx.provide<directory>(*service_);
    }

    void routes(net::router& r) override { service_->register_routes(r); }

    std::string seed(db::connection& c, const std::filesystem::path& seed_dir) override {
        return "organisations ajoutées : " + std::to_string(load_seed_organisations(c, seed_dir));
    }

private:
    std::unique_ptr<service> service_;
};

}  // namespace

std::unique_ptr<platform::module> make_module() { return std::make_unique<auth_module>(); }

}  // namespace relais::auth
