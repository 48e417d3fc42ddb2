// HTTP handlers of the workshops module.
#include "workshops/service.hpp"

#include "workshops/errors.hpp"
#include "common/json_input.hpp"
#include "common/log.hpp"
#include "common/time.hpp"
#include "common/utf8.hpp"
#include "common/worker_pool.hpp"
#include "reference/data.hpp"
#include "workshops/detail.hpp"
#include "workshops/qr.hpp"
#include "workshops/report.hpp"
#include "workshops/report_doc.hpp"

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

namespace relais::workshops {

using namespace detail;

namespace {

// A closed workshop's link or code, to someone who did not come in through it.
constexpr const char* closed_message =
    "Cet atelier est clos : il n'accueille plus personne. Son compte rendu est diffusé par son animateur.";

/// The guest of this browser (cookie `relais_invite`) when it came in through the link
/// whose token hashes to `link_hash` (and is still admitted).
std::optional<store::guest_row> returning_guest(db::connection& c, const net::request& req, const std::string& link_hash,
                                                std::int64_t now) {
    auto known = req.cookie(guest_cookie);
    if (!known || known->empty() || known->size() > 128) return std::nullopt;
    auto g = store::guest_by_token(c, auth::token_hash(*known), now);
    if (!g || !store::invite_has_token(c, g->invite_id, link_hash)) return std::nullopt;
    return g;
}

}  // namespace

void service::end_guests(std::int64_t workshop, const std::vector<std::int64_t>& guests, const char* reason) {
    std::set<std::string> keys;
    for (auto g : guests) keys.insert("g:" + std::to_string(g));
    disconnect(workshop, keys, reason);  // their sockets in the room
    for (auto g : guests) {              // and any other socket of theirs
        auth::access_change ended{auth::access_change::kind::guest_ended, 0, 0, {}};
        ended.guest_id = g;
        auth_.notify(ended);
    }
}

std::string service::link_base(const net::request& req) const {
    if (!public_url_.empty()) return public_url_;
    return req.own_origin;  // one of the server's origins, or "" (the link stays a path)
}

net::guarded_handler service::facilitated(facilitator_handler h) {
    // Signed in, then the workshop must exist and the caller facilitate it.
    auto g = auth_.guard(auth::access::signed_in,
                       [this, h = std::move(h)](net::request& req, const auth::principal& p) -> asio::awaitable<net::response> {
                           auto id = req.id_param("id");
                           identity who{p, std::nullopt};
                           role rl;
                           auto w = co_await load_for(id, who, true, rl);
                           auto res = co_await h(req, who, id, w);
                           co_return res;
                       });
    g.access = "facilitator";
    return g;
}

void service::register_routes(net::router& r) {
    using net::request;
    using net::response;
    using auth::access;
    using auth::principal;

    r.add("GET", "/api/templates", auth_.guard(access::signed_in, [this](request&, const principal&) -> asio::awaitable<response> {
        std::vector<store::template_row> ts;
        co_await db_.read([&](db::connection& c) { ts = store::templates(c); });
        json list = json::array();
        for (const auto& t : ts)
            list.push_back({{"slug", t.slug}, {"name", t.name}, {"description", t.description}, {"built_in", t.built_in}, {"phases", t.phases}});
        auto res = response::json(200, {{"templates", list}});
        co_return res;
    }));

    r.add("POST", "/api/templates", auth_.guard(access::animateur, [this](request& req, const principal& p) -> asio::awaitable<response> {
        auto body = json_input::parse_object(req.body);
        store::template_row t;
        t.name = json_input::required_line(body, "name", 200);
        t.description = json_input::optional_string(body, "description", 2000).value_or("");
        if (auto from = json_input::optional_id(body, "from_workshop"); from && *from) {
            identity who{p, std::nullopt};
            role rl;
            // A workshop the caller does not facilitate (or none) is a wrong field here.
            try {
                co_await load_for(**from, who, true, rl);
            } catch (const api_error& e) {
                if (e.status() == 404 || e.status() == 403)
                    throw api_error(errors::invalid_field, "from_workshop", "Aucun atelier que vous animez ne porte ce numéro.");
                throw;
            }
            auto rm = co_await room_for(**from);
            t.phases = to_json(rm->state().phases);
        } else {
            t.phases = to_json(parse_phases(body.value("phases", json())));
        }
        t.slug = "modele-" + auth::random_token(6);
        auto uid = p.account.id;
        co_await db_.write([&](db::connection& c) { store::insert_template(c, t, uid, unix_now()); });
        auto res = response::json(201, {{"template", {{"slug", t.slug}, {"name", t.name}, {"description", t.description}, {"built_in", false}, {"phases", t.phases}}}});
        co_return res;
    }));

    r.add("GET", "/api/workshops", auth_.guard(access::signed_in, [this](request& req, const principal& p) -> asio::awaitable<response> {
        auto scope = req.query.count("scope") ? req.query.at("scope") : std::string("all");
        if (scope != "mine" && scope != "upcoming" && scope != "past" && scope != "all") throw api_error(errors::invalid_field, "scope");
        std::optional<std::int64_t> only;
        if (scope == "mine" || p.account.role == "membre") only = p.account.id;
        std::vector<store::workshop_row> ws;
        co_await db_.read([&](db::connection& c) { ws = store::workshops(c, auth_, only); });
        identity who{p, std::nullopt};
        json list = json::array();
        auto today = to_iso8601(unix_now()).substr(0, 10);
        for (const auto& w : ws) {
            // Past: closed or archived, or dated before today; upcoming: the rest.
            bool past = w.state == "closed" || w.state == "archived" || (!w.date.empty() && w.date.substr(0, 10) < today);
            if ((scope == "upcoming" && past) || (scope == "past" && !past)) continue;
            list.push_back(workshop_to_json(w, role_for(who, w)));
        }
        auto res = response::json(200, {{"workshops", list}});
        co_return res;
    }));

    r.add("POST", "/api/workshops", auth_.guard(access::animateur, [this](request& req, const principal& p) -> asio::awaitable<response> {
        auto body = json_input::parse_object(req.body);
        workshop_draft d;
        d.title = json_input::required_line(body, "title", 200);
        d.subject = json_input::optional_string(body, "subject", 2000).value_or("");
        d.stage = json_input::required_string(body, "stage", 40);
        if (!reference::contains(reference::workshop_stages(), d.stage)) throw api_error(errors::invalid_field, "stage");
        d.date = date_value(body);
        d.template_slug = json_input::required_string(body, "template", 60);
        if (auto c = json_input::optional_id(body, "cpts_id"); c) d.cpts_id = *c;
        d.partners = id_list(body, "partner_ids");
        d.co_facilitators = id_list(body, "facilitator_ids");
        std::int64_t id = 0;
        co_await db_.write([&](db::connection& c) { id = create_workshop(c, auth_, d, p, now_ms()); });
        identity who{p, std::nullopt};
        auto j = co_await workshop_json(id, who, true);
        auto res = response::json(201, {{"workshop", j}});
        co_return res;
    }));

    r.add("GET", "/api/workshops/{id}", "participant", [this](request& req) -> asio::awaitable<response> {
        auto id = req.id_param("id");
        auto who = co_await identify(req);
        if (!who.account && !who.guest) throw api_error(errors::not_authenticated);
        auto j = co_await workshop_json(id, who, true);
        auto res = response::json(200, {{"workshop", j}});
        co_return res;
    });

    r.add("PATCH", "/api/workshops/{id}", facilitated([this](request& req, const identity& who, std::int64_t id, store::workshop_row& w) -> asio::awaitable<response> {
        auto body = json_input::parse_object(req.body);
        if (body.contains("title")) w.title = json_input::required_line(body, "title", 200);
        if (body.contains("subject")) w.subject = json_input::optional_string(body, "subject", 2000).value_or("");
        if (body.contains("stage")) {
            w.stage = json_input::required_string(body, "stage", 40);
            if (!reference::contains(reference::workshop_stages(), w.stage)) throw api_error(errors::invalid_field, "stage");
        }
        if (body.contains("date")) w.date = date_value(body);
        if (auto c = json_input::optional_id(body, "cpts_id"); c) w.cpts_id = *c;
        std::optional<std::vector<std::int64_t>> partners;
        if (body.contains("partner_ids")) partners = id_list(body, "partner_ids");
        co_await db_.write([&](db::connection& c) { update_workshop(c, auth_, w, partners, unix_now()); });
        auto j = co_await workshop_json(id, who, true);
        auto res = response::json(200, {{"workshop", j}});
        co_return res;
    }));

    // A copy to prepare another session: same subject, stage, CPTS, partners and phase plan
    // (as composed now), in preparation, facilitated by whoever copies it.
    r.add("POST", "/api/workshops/{id}/duplicate", facilitated([this](request&, const identity& who, std::int64_t id, store::workshop_row& w) -> asio::awaitable<response> {
        if (!who.account) throw api_error(errors::forbidden);
        auto source = co_await room_for(id);
        auto phases = source->state().phases;
        workshop_draft d;
        // The title cut so that « (copie) » always fits whole (200 characters at most).
        d.title = utf8_prefix(w.title, 200 - 8);
        while (!d.title.empty() && d.title.back() == ' ') d.title.pop_back();
        d.title += " (copie)";
        d.subject = w.subject;
        d.stage = w.stage;
        d.date = w.date;
        d.template_slug = w.template_slug;
        d.cpts_id = w.cpts_id;
        std::vector<std::int64_t> partners;
        for (const auto& [org, name] : w.partners) partners.push_back(org);
        d.partners = partners;
        std::int64_t copy = 0;
        co_await db_.write([&](db::connection& c) { copy = create_workshop(c, auth_, d, *who.account, now_ms()); });
        auto rm = co_await room_for(copy);
        json data = {{"phases", to_json(phases)}};
        auto a = actor_of(who, role::facilitator);
        std::string op = "phases.set";
        std::function<void(const room_state&)> no_check;
        std::function<void(db::connection&)> no_extra;
        co_await submit(rm, a, op, data, std::move(no_check), std::move(no_extra));
        auto j = co_await workshop_json(copy, who, true);
        auto res = response::json(201, {{"workshop", j}});
        co_return res;
    }));

    // Only a workshop still in preparation is deleted (a held one keeps its log and report).
    r.add("DELETE", "/api/workshops/{id}", facilitated([this](request&, const identity&, std::int64_t id, store::workshop_row& w) -> asio::awaitable<response> {
        if (w.state != "draft") throw api_error(errors::bad_transition, "state", "Seul un atelier en préparation (brouillon) peut être supprimé.");
        drop_room(id, "Cet atelier a été supprimé");
        bool deleted = false;
        co_await db_.write([&](db::connection& c) {
            c.prepare("DELETE FROM workshops WHERE id = ?1 AND state = 'draft'").bind(1, id).exec();
            deleted = c.changes() > 0;
        });
        if (!deleted) throw api_error(errors::bad_transition, "state", "Seul un atelier en préparation (brouillon) peut être supprimé.");
        auto res = response::no_content();
        co_return res;
    }));

    r.add("POST", "/api/workshops/{id}/state", facilitated([this](request& req, const identity& who, std::int64_t id, store::workshop_row&) -> asio::awaitable<response> {
        auto body = json_input::parse_object(req.body);
        auto to = json_input::required_string(body, "state", 20);
        if (to != "draft" && to != "scheduled" && to != "live" && to != "closed" && to != "archived")
            throw api_error(errors::invalid_field, "state");
        auto rm = co_await room_for(id);
        json data = {{"state", to}};
        auto a = actor_of(who, role::facilitator);
        std::string op = "workshop.state";
        // Checked under the room's lock: two concurrent changes cannot both pass.
        std::function<void(const room_state&)> check = [to](const room_state& st) { check_state_change(st, to); };
        std::function<void(db::connection&)> extra = [id, to](db::connection& c) { store::set_state(c, id, to, unix_now()); };
        co_await submit(rm, a, op, data, std::move(check), std::move(extra));
        // Whoever was already in the room when the workshop went live was present (those
        // who join later record themselves).
        if (to == "live") {
            auto here = rm->present();
            co_await db_.write([&](db::connection& c) {
                for (const auto& x : here) store::record_attendance(c, id, x.key, x.name, std::string(role_name(x.r)), unix_now());
            });
        }
        // Archived: a guest's access ends, and so do their open sockets.
        if (to == "archived") {
            std::vector<std::int64_t> guests;
            co_await db_.read([&](db::connection& c) { guests = store::guests_of(c, id); });
            end_guests(id, guests, "Atelier archivé");
        }
        // Closing writes the report, unless a facilitator already edited one.
        if (to == "closed") co_await generate_report(id, true);
        auto j = co_await workshop_json(id, who, true);
        auto res = response::json(200, {{"workshop", j}});
        co_return res;
    }));

    r.add("PUT", "/api/workshops/{id}/phases", facilitated([this](request& req, const identity& who, std::int64_t id, store::workshop_row&) -> asio::awaitable<response> {
        auto body = json_input::parse_object(req.body);
        auto phases = parse_phases(body.value("phases", json()));
        // Optional: the plan_seq the composer read; the plan changed since → 409.
        std::optional<std::int64_t> base;
        if (auto it = body.find("plan_seq"); it != body.end() && !it->is_null()) {
            if (!it->is_number_integer() || it->get<std::int64_t>() < 0) throw api_error(errors::invalid_field, "plan_seq");
            base = it->get<std::int64_t>();
        }
        auto rm = co_await room_for(id);
        json data = {{"phases", to_json(phases)}};
        auto a = actor_of(who, role::facilitator);
        std::string op = "phases.set";
        auto count = phases.size();
        std::function<void(const room_state&)> check = [count, base](const room_state& st) { check_phase_plan(st, count, base); };
        std::function<void(db::connection&)> no_extra;
        co_await submit(rm, a, op, data, std::move(check), std::move(no_extra));
        auto j = co_await workshop_json(id, who, true);
        auto res = response::json(200, {{"workshop", j}});
        co_return res;
    }));

    r.add("POST", "/api/workshops/{id}/members", facilitated([this](request& req, const identity& who, std::int64_t id, store::workshop_row&) -> asio::awaitable<response> {
        auto body = json_input::parse_object(req.body);
        auto user = json_input::optional_id(body, "user_id");
        if (!user || !*user) throw api_error(errors::invalid_field, "user_id");
        auto uid = **user;
        auto as = json_input::optional_string(body, "role", 20).value_or("participant");
        bool changed = false;
        co_await db_.write([&](db::connection& c) { changed = set_member(c, auth_, id, uid, as); });
        // A seated socket of this person keeps the role it joined with: it rejoins.
        if (changed) disconnect(id, {"u:" + std::to_string(uid)}, "Votre rôle dans l'atelier a changé");
        auto j = co_await workshop_json(id, who, true);
        auto res = response::json(200, {{"workshop", j}});
        co_return res;
    }));

    r.add("DELETE", "/api/workshops/{id}/members/{user_id}", facilitated([this](request& req, const identity& who, std::int64_t id, store::workshop_row&) -> asio::awaitable<response> {
        auto uid = req.id_param("user_id");
        co_await db_.write([&](db::connection& c) { remove_member(c, auth_, id, uid); });
        disconnect(id, {"u:" + std::to_string(uid)}, "Vous ne faites plus partie de cet atelier");
        auto j = co_await workshop_json(id, who, true);
        auto res = response::json(200, {{"workshop", j}});
        co_return res;
    }));

    r.add("GET", "/api/workshops/{id}/invites", facilitated([this](request& req, const identity&, std::int64_t id, store::workshop_row& w) -> asio::awaitable<response> {
        std::vector<store::invite_row> list;
        std::map<std::int64_t, std::string> sealed, codes;
        co_await db_.read([&](db::connection& c) {
            list = store::invites(c, id);
            codes = store::invite_codes(c, id);
            auto s = c.prepare("SELECT id, token_sealed FROM workshop_invites WHERE workshop_id = ?1");
            s.bind(1, id);
            while (s.step()) sealed[s.get_int(0)] = s.get_text(1);
        });
        const auto base = link_base(req);
        const auto now = unix_now();
        json out = json::array();
        for (const auto& i : list) {
            json x = {{"id", i.id}, {"role", i.role}, {"label", i.label}, {"expires_at", to_iso8601(i.expires_at)},
                      {"revoked", i.revoked}, {"guests", i.guests}, {"path", nullptr}, {"url", nullptr}, {"code", nullptr}};
            // A link still usable is shown again (links made before sealing existed are not);
            // none is usable once the workshop is closed or archived.
            const bool open = w.state != "closed" && w.state != "archived";
            if (open && !i.revoked && i.expires_at > now)
                if (auto token = open_link(sealed[i.id]); !token.empty()) {
                    std::string path = "/invitation/" + token;
                    x["path"] = path;
                    x["url"] = base + path;
                    if (auto code = codes.find(i.id); code != codes.end()) x["code"] = code->second;
                }
            out.push_back(std::move(x));
        }
        auto res = response::json(200, {{"invites", out}});
        res.header("Cache-Control", "no-store");
        co_return res;
    }));

    r.add("POST", "/api/workshops/{id}/invites", facilitated([this](request& req, const identity& who, std::int64_t id, store::workshop_row& w) -> asio::awaitable<response> {
        auto body = json_input::parse_object(req.body);
        auto terms = parse_invite(body);
        // A closed or archived workshop admits no one new: its link could not be used.
        if (w.state == "closed" || w.state == "archived") throw api_error(errors::workshop_closed);
        const auto& as = terms.role;
        const auto& label = terms.label;
        auto token = auth::random_token();
        auto hash = auth::token_hash(token);
        auto now = unix_now();
        // By default a link is valid for 72 hours and at least until the day after the
        // workshop's date (a link sent a week ahead still opens on the day).
        auto expires = now + terms.hours * 3600;
        if (!terms.hours_given) expires = std::max(expires, workshop_day_end(w.date, 1));
        auto uid = who.account->account.id;
        std::int64_t invite_id = 0;
        auto sealed = seal_link(token);
        std::string code;
        co_await db_.write([&](db::connection& c) {
            invite_id = store::insert_invite(c, id, hash, as, label, expires, uid, now);
            c.prepare("UPDATE workshop_invites SET token_sealed = ?1 WHERE id = ?2").bind(1, sealed).bind(2, invite_id).exec();
            // A short code for the room: a code whose link has ended is given back first;
            // a clash with a live one draws again.
            for (int attempt = 0; attempt < 8 && code.empty(); ++attempt) {
                auto candidate = random_code();
                c.prepare("UPDATE workshop_invites SET code = NULL WHERE code = ?1 AND (revoked = 1 OR expires_at <= ?2)")
                    .bind(1, candidate).bind(2, now).exec();
                auto taken = c.prepare("SELECT 1 FROM workshop_invites WHERE code = ?1");
                taken.bind(1, candidate);
                if (!taken.step()) code = candidate;
            }
            if (!code.empty()) store::set_invite_code(c, invite_id, code);
        });
        std::string path = "/invitation/" + token;
        json invite = {{"id", invite_id}, {"role", as}, {"label", label}, {"expires_at", to_iso8601(expires)}, {"revoked", false},
                       {"guests", 0}, {"token", token}, {"path", path}, {"url", link_base(req) + path},
                       {"code", code.empty() ? json(nullptr) : json(code)}};
        auto res = response::json(201, {{"invite", invite}});
        res.header("Cache-Control", "no-store");
        co_return res;
    }));

    r.add("DELETE", "/api/workshops/{id}/invites/{invite_id}", facilitated([this](request& req, const identity&, std::int64_t id, store::workshop_row& w) -> asio::awaitable<response> {
        auto invite_id = req.id_param("invite_id");
        if (w.state == "archived") throw api_error(errors::workshop_closed, "state", "L'atelier est archivé : il ne change plus.");
        bool found = false;
        std::vector<std::int64_t> guests;
        co_await db_.write([&](db::connection& c) { found = store::revoke_invite(c, id, invite_id, guests); });
        if (!found) throw api_error(errors::not_found);
        end_guests(id, guests, "Invitation révoquée");
        auto done = response::no_content();
        co_return done;
    }));

    // The QR code of a live link, to project in the room: it opens the link at the public
    // address (server.public_url), else at the address this request came to.
    r.add("GET", "/api/workshops/{id}/invites/{invite_id}/qr.svg", facilitated([this](request& req, const identity&, std::int64_t id, store::workshop_row& w) -> asio::awaitable<response> {
        auto invite_id = req.id_param("invite_id");
        std::string sealed;
        bool live = false;
        auto now = unix_now();
        co_await db_.read([&](db::connection& c) {
            auto s = c.prepare("SELECT token_sealed FROM workshop_invites WHERE id = ?1 AND workshop_id = ?2 AND revoked = 0 AND expires_at > ?3");
            s.bind(1, invite_id).bind(2, id).bind(3, now);
            if (s.step()) sealed = s.get_text(0), live = true;
        });
        auto token = live ? open_link(sealed) : std::string();
        if (token.empty()) throw api_error(errors::not_found);
        auto svg = qr_svg(link_base(req) + "/invitation/" + token, "QR code du lien d'invitation à l'atelier « " + w.title + " »");
        auto res = response::text(200, std::move(svg), "image/svg+xml");
        res.header("Cache-Control", "no-store");
        co_return res;
    }));

    // A short code typed by someone in the room: the invite link it stands for.
    r.add("POST", "/api/invites/code", "anyone", [this](request& req) -> asio::awaitable<response> {
        auto body = json_input::parse_object(req.body);
        auto typed = json_input::required_string(body, "code", 32);
        if (auto wait = take_code_attempt(req.client_address)) {
            auto res = response::error(api_error(errors::rate_limited, {}, "Trop de codes essayés depuis cette adresse : réessayez dans quelques minutes."));
            res.header("Retry-After", std::to_string(wait));
            co_return res;
        }
        auto code = normalise_code(typed);
        if (code.empty()) throw api_error(errors::invalid_field, "code", "Un code d'atelier a 6 caractères, lettres et chiffres, sans 0, 1, I, L ni O (par exemple « K7M 4QX ») : vérifiez le code affiché.");
        std::optional<std::pair<store::invite_row, std::string>> found;
        std::optional<store::workshop_row> w;
        auto now = unix_now();
        co_await db_.read([&](db::connection& c) {
            found = store::live_invite_by_code(c, code, now);
            if (found) w = store::workshop(c, auth_, found->first.workshop_id);
        });
        auto token = found ? open_link(found->second) : std::string();
        if (token.empty() || !w || w->state == "archived") throw api_error(errors::invalid_code);
        if (w->state == "closed") {
            // Its own guests still reach it (its report) through the link the code stands for.
            std::optional<store::guest_row> back;
            const auto hash = auth::token_hash(token);
            co_await db_.read([&](db::connection& c) { back = returning_guest(c, req, hash, now); });
            if (!back) throw api_error(errors::invalid_code, {}, closed_message);
        }
        auto res = response::json(200, {{"path", "/invitation/" + token},
                                        {"workshop", {{"id", w->id}, {"title", w->title}, {"date", w->date}, {"state", w->state}}},
                                        {"role", found->first.role}});
        res.header("Cache-Control", "no-store");
        co_return res;
    });

    r.add("GET", "/api/invites/{token}", "anyone", [this](request& req) -> asio::awaitable<response> {
        auto token = req.params.at("token");
        if (token.size() > 128) throw api_error(errors::invalid_invite);
        auto hash = auth::token_hash(token);
        std::optional<store::invite_row> inv;
        std::optional<store::workshop_row> w;
        std::optional<store::guest_row> back;
        auto now = unix_now();
        co_await db_.read([&](db::connection& c) {
            back = returning_guest(c, req, hash, now);
            inv = store::live_invite(c, hash, now);
            if (back) w = store::workshop(c, auth_, back->workshop_id);
            else if (inv) w = store::workshop(c, auth_, inv->workshop_id);
        });
        json guest = nullptr;
        if (back && w) {
            // Someone who came in through this link: theirs still, the board then the report,
            // whatever the link's validity or the workshop's state since (until archived).
            guest = {{"id", back->id}, {"name", back->name}};
        } else {
            if (!inv || !w || w->state == "archived") throw api_error(errors::invalid_invite);
            if (w->state == "closed") throw api_error(errors::invalid_invite, {}, closed_message);
        }
        auto res = response::json(200, {{"workshop", {{"id", w->id}, {"title", w->title}, {"date", w->date}, {"state", w->state}}},
                                        {"role", back ? back->role : inv->role},
                                        {"guest", guest}});
        res.header("Cache-Control", "no-store");
        co_return res;
    });

    r.add("POST", "/api/invites/{token}/join", "anyone", [this](request& req) -> asio::awaitable<response> {
        auto token = req.params.at("token");
        if (token.size() > 128) throw api_error(errors::invalid_invite);
        auto body = json_input::parse_object(req.body);
        auto name = json_input::required_line(body, "name", 80);
        // A person signed in with an account is that account wherever the two meet (the
        // account wins over a guest cookie): a guest made for them could never be used.
        if (co_await auth_.authenticate(req)) throw api_error(errors::signed_in_account);
        // Each guest is a new person to the per-person limits: arrivals are bounded per
        // link and per address, so that one link cannot mint an army.
        if (auto wait = take_join(req.client_address)) {
            auto res = response::error(api_error(errors::rate_limited, {}, "Trop d’arrivées depuis cette adresse : réessayez dans quelques minutes."));
            res.header("Retry-After", std::to_string(wait));
            co_return res;
        }
        auto hash = auth::token_hash(token);
        auto guest_token = auth::random_token();
        auto guest_hash = auth::token_hash(guest_token);
        auto now = unix_now();
        std::optional<store::guest_row> g;
        std::int64_t expires = 0;
        bool returning = false;
        co_await db_.write([&](db::connection& c) {
            // A browser that came in through this link gets its guest back, whatever the
            // link's validity or the workshop's state since (until archived).
            if (auto back = returning_guest(c, req, hash, now)) {
                g = std::move(back);
                returning = true;
                return;
            }
            auto inv = store::live_invite(c, hash, now);
            if (!inv) throw api_error(errors::invalid_invite);
            auto w = store::workshop(c, auth_, inv->workshop_id);
            if (!w || w->state == "archived") throw api_error(errors::invalid_invite);
            if (w->state == "closed") throw api_error(errors::invalid_invite, {}, closed_message);
            // A guest's session lasts while the workshop is held and its report read
            // afterwards (until it is archived), whatever the link's own validity.
            expires = now + guest_session_s;
            if (store::count_guests(c, inv->id) >= limits_.guests_per_invite) throw api_error(errors::invite_full);
            store::insert_guest(c, inv->id, name, guest_hash, now, expires);
            g = store::guest_by_token(c, guest_hash, now);
        });
        if (returning) {
            // The same person, the same name in the room: their cookie stays as it is.
            auto res = response::json(200, {{"guest", {{"id", g->id}, {"name", g->name}, {"role", g->role}, {"workshop_id", g->workshop_id}}}});
            res.header("Cache-Control", "no-store");
            co_return res;
        }
        auto res = response::json(200, {{"guest", {{"id", g->id}, {"name", g->name}, {"role", g->role}, {"workshop_id", g->workshop_id}}}});
        std::string cookie = std::string(guest_cookie) + "=" + guest_token + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
                             std::to_string(std::max<std::int64_t>(60, expires - now));
        if (req.secure || auth_.opts().always_secure_cookies) cookie += "; Secure";
        res.header("Set-Cookie", cookie);
        res.header("Cache-Control", "no-store");
        co_return res;
    });

    r.add("DELETE", "/api/invites/session", "anyone", [this](request& req) -> asio::awaitable<response> {
        if (auto token = req.cookie(guest_cookie); token && !token->empty() && token->size() <= 128) {
            auto hash = auth::token_hash(*token);
            std::optional<store::guest_row> g;
            auto now = unix_now();
            co_await db_.write([&](db::connection& c) {
                g = store::guest_by_token(c, hash, now);
                store::delete_guest(c, hash);
            });
            if (g) {
                // The guest's open sockets end with the sign-out.
                disconnect(0, {"g:" + std::to_string(g->id)}, "Vous avez quitté l'atelier");
                auth::access_change ended{auth::access_change::kind::guest_ended, 0, 0, {}};
                ended.guest_id = g->id;
                auth_.notify(ended);
            }
        }
        auto res = response::no_content();
        std::string cleared = std::string(guest_cookie) + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0";
        if (req.secure || auth_.opts().always_secure_cookies) cleared += "; Secure";  // as it was set
        res.header("Set-Cookie", cleared);
        co_return res;
    });

    // Reports: readable by anyone who may enter the workshop (guests included).
    // `board_changes`: what the board received after the report (a workshop reopened, then
    // written in) — changes of state aside, which the report does not show.
    const auto report_json = [](const store::report_row& rep, std::int64_t board_changes) {
        return json{{"generated_at", to_iso8601(rep.generated_at)}, {"seq", rep.seq}, {"markdown", rep.markdown},
                    {"version", rep.version}, {"edited_at", rep.edited_at ? json(to_iso8601(*rep.edited_at)) : json(nullptr)},
                    {"edited_by", rep.edited_at ? json(rep.edited_by) : json(nullptr)},
                    {"board_changes", board_changes}, {"outdated", board_changes > 0}};
    };
    auto report_route = [this, report_json](std::string kind) {
        return [this, kind, report_json](request& req) -> asio::awaitable<response> {
            auto id = req.id_param("id");
            auto who = co_await identify(req);
            if (!who.account && !who.guest) throw api_error(errors::not_authenticated);
            role rl;
            auto w = co_await load_for(id, who, false, rl);
            std::optional<store::report_row> rep;
            std::int64_t changes = 0;
            co_await db_.read([&](db::connection& c) {
                rep = store::report(c, id);
                if (rep && kind == "json") changes = store::changes_since(c, id, rep->seq, rep->generated_at);
            });
            if (!rep) throw api_error(errors::not_found);
            auto filename = "compte-rendu-atelier-" + std::to_string(id);
            response res;
            if (kind == "json") {
                res = response::json(200, {{"report", report_json(*rep, changes)}});
            } else if (kind == "md") {
                res = response::text(200, rep->markdown, "text/markdown; charset=utf-8");
                res.header("Content-Disposition", "attachment; filename=\"" + filename + ".md\"");
            } else if (kind == "html") {
                res = response::text(200, report_html("Compte rendu — " + w.title, rep->markdown), "text/html; charset=utf-8");
            } else if (kind == "pdf" || kind == "odt") {
                // Laid out on the CPU workers, never on a network thread.
                std::string bytes, title = "Compte rendu — " + w.title, md = rep->markdown;
                co_await cpu_.run([&] { bytes = kind == "pdf" ? doc::pdf(title, md) : doc::odt(title, md); });
                if (kind == "pdf") {
                    res = response::text(200, std::move(bytes), "application/pdf");
                    res.header("Content-Disposition", "inline; filename=\"" + filename + ".pdf\"");
                } else {
                    res = response::text(200, std::move(bytes), "application/vnd.oasis.opendocument.text");
                    res.header("Content-Disposition", "attachment; filename=\"" + filename + ".odt\"");
                }
            } else if (kind == "actions") {
                res = response::text(200, rep->actions_csv, "text/csv; charset=utf-8");
                res.header("Content-Disposition", "attachment; filename=\"actions-atelier-" + std::to_string(id) + ".csv\"");
            } else {
                res = response::text(200, rep->indicators_csv, "text/csv; charset=utf-8");
                res.header("Content-Disposition", "attachment; filename=\"indicateurs-atelier-" + std::to_string(id) + ".csv\"");
            }
            res.header("Cache-Control", "no-store");
            co_return res;
        };
    };
    r.add("GET", "/api/workshops/{id}/report", "participant", report_route("json"));
    r.add("GET", "/api/workshops/{id}/report.md", "participant", report_route("md"));
    r.add("GET", "/api/workshops/{id}/report.html", "participant", report_route("html"));
    r.add("GET", "/api/workshops/{id}/report.pdf", "participant", report_route("pdf"));
    r.add("GET", "/api/workshops/{id}/report.odt", "participant", report_route("odt"));
    r.add("GET", "/api/workshops/{id}/actions.csv", "participant", report_route("actions"));
    r.add("GET", "/api/workshops/{id}/indicators.csv", "participant", report_route("indicators"));

    r.add("POST", "/api/workshops/{id}/report", facilitated([this, report_json](request&, const identity&, std::int64_t id, store::workshop_row&) -> asio::awaitable<response> {
        co_await db_.read([&](db::connection& c) { check_not_archived(c, auth_, id); });
        co_await generate_report(id);
        std::optional<store::report_row> rep;
        co_await db_.read([&](db::connection& c) { rep = store::report(c, id); });
        auto res = response::json(201, {{"report", report_json(*rep, 0)}});
        co_return res;
    }));

    // A facilitator edits the report before publishing it: the whole Markdown, from the
    // version they started from (a report saved or generated meanwhile: 409).
    r.add("PUT", "/api/workshops/{id}/report", facilitated([this, report_json](request& req, const identity& who, std::int64_t id, store::workshop_row&) -> asio::awaitable<response> {
        auto body = json_input::parse_object(req.body);
        auto md_it = body.find("markdown");
        if (md_it == body.end() || !md_it->is_string()) throw api_error(errors::invalid_field, "markdown");
        auto markdown = json_input::unix_line_ends(md_it->get<std::string>());
        if (json_input::has_control(markdown)) throw api_error(errors::invalid_field, "markdown");
        if (json_input::trim(markdown).empty() || markdown.size() > 800000 || utf8_length(markdown) > 200000)
            throw api_error(errors::invalid_field, "markdown", "Le compte rendu doit contenir du texte, 200 000 caractères au plus.");
        auto v_it = body.find("version");
        if (v_it == body.end() || !v_it->is_number_integer() || v_it->get<std::int64_t>() < 1) throw api_error(errors::invalid_field, "version");
        auto version = v_it->get<std::int64_t>();
        std::string by = who.account ? who.account->account.name : std::string();
        bool saved = false, exists = false;
        std::optional<store::report_row> rep;
        std::int64_t changes = 0;
        co_await db_.write([&](db::connection& c) {
            check_not_archived(c, auth_, id);
            exists = store::report(c, id).has_value();
            if (exists) saved = store::edit_report(c, id, version, markdown, by, unix_now());
            rep = store::report(c, id);
            if (rep) changes = store::changes_since(c, id, rep->seq, rep->generated_at);
        });
        if (!exists) throw api_error(errors::not_found);
        if (!saved) throw api_error(errors::report_changed);
        auto res = response::json(200, {{"report", report_json(*rep, changes)}});
        co_return res;
    }));

    // The report becomes (or updates) a "compte rendu" of the library: published at once
    // when an animateur files it, else waiting for review like any contribution.
    r.add("POST", "/api/workshops/{id}/report/library", facilitated([this](request&, const identity& who, std::int64_t id, store::workshop_row& w) -> asio::awaitable<response> {
        if (!who.account) throw api_error(errors::forbidden);
        std::optional<store::report_row> rep;
        co_await db_.read([&](db::connection& c) { rep = store::report(c, id); });
        if (!rep) throw api_error(errors::not_found);
        static const std::map<std::string, std::string> phase_of_stage{
            {"lettre_intention", "lettre_intention"}, {"projet_sante", "projet_sante"},
            {"pre_aci", "contractualisation"}, {"post_conventionnement", "dialogue_gestion"}};
        std::vector<std::string> phases;
        if (auto it = phase_of_stage.find(w.stage); it != phase_of_stage.end()) phases.push_back(it->second);
        std::string title = "Compte rendu — " + w.title;
        if (title.size() > 200) title = w.title;
        std::string summary = w.subject.empty() ? "Compte rendu de l'atelier « " + w.title + " »." : w.subject;
        library::filing doc{"workshop:" + std::to_string(id), "compte_rendu", title, summary, rep->markdown, phases,
                            "Compte rendu de l'atelier"};
        auth::principal by = *who.account;
        json filed = co_await library_.file(doc, by);
        auto res = response::json(201, filed);
        co_return res;
    }));
}

}  // namespace relais::workshops
