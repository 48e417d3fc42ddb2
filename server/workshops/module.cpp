// The workshops module: live "accélérateur CPTS" workshops.
#include "workshops/module.hpp"

#include "common/secret_key.hpp"
#include "workshops/catalogue.hpp"

#include <algorithm>
#include "workshops/errors.hpp"
#include "workshops/store.hpp"
#include "workshops/service.hpp"

namespace relais::workshops {
namespace {

class workshops_module final : public platform::module, public catalogue {
public:
    std::string_view name() const override { return "workshops"; }
    const std::vector<platform::migration>& migrations() const override { return workshops::migrations(); }
    std::vector<const error_def*> errors() const override { return errors::all(); }

    void declare(platform::settings& s) const override {
        s.number("limits.ws_ops_per_second_per_person", 10, 0.1, 1e6, "board operations per person (all their sockets)");
        s.number("limits.ws_op_burst_per_person", 40, 1, 1e6);
        s.number("limits.ws_ops_per_second_per_room", 150, 0.1, 1e6, "accepted board operations per room");
        s.number("limits.ws_op_burst_per_room", 400, 1, 1e6);
        s.integer("limits.guests_per_invite", 150, 1, 100000);
        s.number("limits.guest_joins_per_hour_per_address", 60, 1, 1e6);
        s.number("limits.invite_code_attempts_per_hour_per_address", 120, 1, 1e6);
        s.integer("workshops.room_unload_after_s", 600, 1, 7 * 24 * 3600,
                  "a room with nobody in it is unloaded from memory after this long (loaded again on the next join)");
        s.integer("workshops.snapshot_every_events", 500, 1, 1000000,
                  "a room's board is snapshotted every this many events, so that loading it does not replay the whole log");
    }

    void start(platform::context& ctx) override {
        const auto& cfg = ctx.cfg();
        room_limits rl;
        rl.person_rate = cfg.get_number("limits.ws_ops_per_second_per_person");
        rl.person_burst = cfg.get_number("limits.ws_op_burst_per_person");
        rl.room_rate = cfg.get_number("limits.ws_ops_per_second_per_room");
        rl.room_burst = cfg.get_number("limits.ws_op_burst_per_room");
        rl.guests_per_invite = cfg.get_int("limits.guests_per_invite");
        rl.guest_joins_per_hour_per_address = cfg.get_number("limits.guest_joins_per_hour_per_address");
        rl.invite_code_attempts_per_hour_per_address = cfg.get_number("limits.invite_code_attempts_per_hour_per_address");
        room_lifecycle life;
        life.unload_after = std::chrono::seconds(cfg.get_int("workshops.room_unload_after_s"));
        life.snapshot_every = cfg.get_int("workshops.snapshot_every_events");
        auto& auth = ctx.need<auth::service>();
        service_ = std::make_unique<service>(ctx.db(), auth, ctx.need<library::filer>(), ctx.metrics(), ctx.topics(), ctx.cpu(), rl, life);
        service_->set_live(ctx.live());
        // Invite links admit guests: the auth module asks this module who they are.
        auth.set_guest_provider(service_.get());
        service_->set_invite_key(load_or_create_key(ctx.data_dir() / "invite-links.key"));
        {
            auto url = cfg.get_text("server.public_url");
            while (!url.empty() && url.back() == '/') url.pop_back();
            service_->set_public_url(url);
        }
        ctx.provide<service>(*service_);
        ctx.provide<catalogue>(*this);
        dir_ = &static_cast<const auth::directory&>(auth);
        // Workshops name organisations as their CPTS and as partners: such an
        // organisation is not deleted, and a workshop's CPTS stays a CPTS.
        auth.add_org_usage([](db::connection& c, std::int64_t org, bool as_cpts) {
            auto s = c.prepare(as_cpts ? "SELECT count(*) FROM workshops WHERE cpts_id = ?1"
                                       : "SELECT count(*) FROM workshops w WHERE w.cpts_id = ?1 OR EXISTS "
                                         "(SELECT 1 FROM workshop_partners p WHERE p.workshop_id = w.id AND p.org_id = ?1)");
            s.bind(1, org);
            s.step();
            auto n = s.get_int(0);
            std::vector<std::string> out;
            if (n > 0) out.push_back(std::to_string(n) + (n > 1 ? " ateliers" : " atelier"));
            return out;
        });
    }

    std::optional<workshop_ref> workshop(db::connection& c, std::int64_t id) const override {
        auto w = store::workshop(c, *dir_, id);
        if (!w) return std::nullopt;
        return workshop_ref{w->id, w->title, w->state, w->date};
    }

    bool visible_to(db::connection& c, std::int64_t id, std::int64_t user) const override {
        auto u = dir_->find_user(c, user);
        auto w = store::workshop(c, *dir_, id);
        if (!u || !u->active || !w) return false;
        if (u->role == "admin" || u->role == "animateur") return true;
        return std::any_of(w->people.begin(), w->people.end(), [&](const auto& p) { return p.user_id == user; });
    }

    void routes(net::router& r) override { service_->register_routes(r); }

    // Idle rooms leave memory; their next join loads them again (snapshot, then the tail).
    void jobs(platform::scheduler& s) override {
        auto* svc = service_.get();
        s.every("workshops.unload_rooms", svc->unload_interval(), [svc] { svc->unload_idle_rooms(); });
    }

    void live(platform::live_registry& live) override {
        auto* ws = service_.get();
        live.on_async("join", [ws](const auto& conn, const platform::peer& who, const nlohmann::json& msg,
                                   platform::live_registry::done_fn done) { ws->ws_join(conn, who, msg, std::move(done)); });
        live.on("op", [ws](const auto& conn, const platform::peer& who, const nlohmann::json& msg) { ws->ws_op(conn, who, msg); });
        live.on("typing", [ws](const auto& conn, const platform::peer& who, const nlohmann::json& msg) { ws->ws_typing(conn, who, msg); });
        live.on("leave", [ws](const auto& conn, const platform::peer&, const nlohmann::json&) { ws->ws_leave(conn); });
        live.on_disconnect([ws](const auto& conn) { ws->ws_leave(conn); });
    }

    std::string seed(db::connection& c, const std::filesystem::path& seed_dir) override {
        return "modèles d'atelier ajoutés : " + std::to_string(service::load_seed_templates(c, seed_dir));
    }

private:
    const auth::directory* dir_ = nullptr;
    std::unique_ptr<service> service_;
};

}  // namespace

std::unique_ptr<platform::module> make_module() { return std::make_unique<workshops_module>(); }

}  // namespace relais::workshops
