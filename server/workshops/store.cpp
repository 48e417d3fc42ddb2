#include "workshops/store.hpp"

#include "common/log.hpp"

#include <algorithm>
#include <tuple>

namespace relais::workshops::store {

std::vector<template_row> templates(db::connection& c) {
    auto s = c.prepare("SELECT id, slug, name, description, phases, built_in FROM workshop_templates ORDER BY built_in DESC, name");
    std::vector<template_row> out;
    while (s.step()) out.push_back({s.get_int(0), s.get_text(1), s.get_text(2), s.get_text(3), json::parse(s.get_text(4)), s.get_int(5) != 0});
    return out;
}

std::optional<template_row> template_by_slug(db::connection& c, const std::string& slug) {
    auto s = c.prepare("SELECT id, slug, name, description, phases, built_in FROM workshop_templates WHERE slug = ?1");
    s.bind(1, slug);
    if (!s.step()) return std::nullopt;
    return template_row{s.get_int(0), s.get_text(1), s.get_text(2), s.get_text(3), json::parse(s.get_text(4)), s.get_int(5) != 0};
}

bool insert_template(db::connection& c, const template_row& t, std::optional<std::int64_t> created_by, std::int64_t now) {
    c.prepare("INSERT OR IGNORE INTO workshop_templates(slug, name, description, phases, built_in, created_by, created_at) "
              "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)")
        .bind(1, t.slug).bind(2, t.name).bind(3, t.description).bind(4, t.phases.dump()).bind(5, t.built_in ? 1 : 0)
        .bind(6, created_by).bind(7, now).exec();
    return c.changes() > 0;
}

std::int64_t insert_workshop(db::connection& c, const workshop_row& w, std::int64_t created_by, std::int64_t now) {
    c.prepare("INSERT INTO workshops(title, subject, stage, state, date, cpts_id, template, created_by, created_at, updated_at) "
              "VALUES(?1, ?2, ?3, 'draft', ?4, ?5, ?6, ?7, ?8, ?8)")
        .bind(1, w.title).bind(2, w.subject).bind(3, w.stage).bind(4, w.date).bind(5, w.cpts_id).bind(6, w.template_slug)
        .bind(7, created_by).bind(8, now).exec();
    return c.last_insert_id();
}

void update_workshop(db::connection& c, const workshop_row& w, std::int64_t now) {
    c.prepare("UPDATE workshops SET title = ?2, subject = ?3, stage = ?4, date = ?5, cpts_id = ?6, updated_at = ?7 WHERE id = ?1")
        .bind(1, w.id).bind(2, w.title).bind(3, w.subject).bind(4, w.stage).bind(5, w.date).bind(6, w.cpts_id).bind(7, now).exec();
}

void set_state(db::connection& c, std::int64_t id, const std::string& state, std::int64_t now) {
    c.prepare("UPDATE workshops SET state = ?2, updated_at = ?3 WHERE id = ?1").bind(1, id).bind(2, state).bind(3, now).exec();
}

void record_attendance(db::connection& c, std::int64_t id, const std::string& actor_key, const std::string& name,
                       const std::string& role, std::int64_t now) {
    c.prepare("INSERT OR IGNORE INTO workshop_attendance(workshop_id, actor_key, name, role, first_at) VALUES(?1, ?2, ?3, ?4, ?5)")
        .bind(1, id)
        .bind(2, actor_key)
        .bind(3, name)
        .bind(4, role)
        .bind(5, now)
        .exec();
}

namespace {

constexpr const char* workshop_columns =
    "SELECT w.id, w.title, w.subject, w.stage, w.state, w.date, w.template, w.cpts_id, w.created_at, r.generated_at "
    "FROM workshops w LEFT JOIN workshop_reports r ON r.workshop_id = w.id ";

workshop_row read_workshop(const db::statement& s) {
    workshop_row w;
    w.id = s.get_int(0);
    w.title = s.get_text(1);
    w.subject = s.get_text(2);
    w.stage = s.get_text(3);
    w.state = s.get_text(4);
    w.date = s.get_text(5);
    w.template_slug = s.get_text(6);
    w.cpts_id = s.get_opt_int(7);
    w.created_at = s.get_int(8);
    w.report_generated_at = s.get_opt_int(9);
    return w;
}

// Names come from the auth module's directory: organisations and accounts are its tables.
void fill(db::connection& c, const auth::directory& dir, workshop_row& w) {
    std::vector<std::int64_t> org_ids;
    if (w.cpts_id) org_ids.push_back(*w.cpts_id);
    auto p = c.prepare("SELECT org_id FROM workshop_partners WHERE workshop_id = ?1");
    p.bind(1, w.id);
    std::vector<std::int64_t> partner_ids;
    while (p.step()) partner_ids.push_back(p.get_int(0));
    org_ids.insert(org_ids.end(), partner_ids.begin(), partner_ids.end());
    auto orgs = dir.orgs(c, org_ids);
    if (w.cpts_id)
        if (auto it = orgs.find(*w.cpts_id); it != orgs.end()) w.cpts_name = it->second.name;
    for (auto id : partner_ids)
        if (auto it = orgs.find(id); it != orgs.end()) w.partners.emplace_back(id, it->second.name);
    std::sort(w.partners.begin(), w.partners.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
    auto q = c.prepare("SELECT user_id, role FROM workshop_people WHERE workshop_id = ?1");
    q.bind(1, w.id);
    std::vector<std::pair<std::int64_t, std::string>> rows;
    std::vector<std::int64_t> user_ids;
    while (q.step()) {
        rows.emplace_back(q.get_int(0), q.get_text(1));
        user_ids.push_back(q.get_int(0));
    }
    auto users = dir.users(c, user_ids);
    // A facilitator's seat holds while the account may facilitate: an animateur set back to
    // membre takes part, as a member, in the workshops they ran (their seat comes back if
    // they are made animateur again).
    for (const auto& [id, role] : rows)
        if (auto it = users.find(id); it != users.end()) {
            const bool may_facilitate = it->second.role == "animateur" || it->second.role == "admin";
            w.people.push_back({id, it->second.name, role == "facilitator" && !may_facilitate ? "participant" : role});
        }
    std::sort(w.people.begin(), w.people.end(),
              [](const person& a, const person& b) { return std::tie(a.role, a.name) < std::tie(b.role, b.name); });
}

}  // namespace

std::optional<workshop_row> workshop(db::connection& c, const auth::directory& dir, std::int64_t id) {
    auto s = c.prepare(std::string(workshop_columns) + "WHERE w.id = ?1");
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    auto w = read_workshop(s);
    fill(c, dir, w);
    return w;
}

std::vector<workshop_row> workshops(db::connection& c, const auth::directory& dir, std::optional<std::int64_t> user_id) {
    std::vector<workshop_row> out;
    if (user_id) {
        auto s = c.prepare(std::string(workshop_columns) +
                           "WHERE w.id IN (SELECT workshop_id FROM workshop_people WHERE user_id = ?1) ORDER BY w.date DESC, w.id DESC");
        s.bind(1, *user_id);
        while (s.step()) out.push_back(read_workshop(s));
    } else {
        auto s = c.prepare(std::string(workshop_columns) + "ORDER BY w.date DESC, w.id DESC");
        while (s.step()) out.push_back(read_workshop(s));
    }
    for (auto& w : out) fill(c, dir, w);
    return out;
}

void set_partners(db::connection& c, std::int64_t id, const std::vector<std::int64_t>& org_ids) {
    c.prepare("DELETE FROM workshop_partners WHERE workshop_id = ?1").bind(1, id).exec();
    for (auto o : org_ids) c.prepare("INSERT OR IGNORE INTO workshop_partners(workshop_id, org_id) VALUES(?1, ?2)").bind(1, id).bind(2, o).exec();
}

void set_person(db::connection& c, std::int64_t id, std::int64_t user_id, const std::string& role) {
    c.prepare("INSERT INTO workshop_people(workshop_id, user_id, role) VALUES(?1, ?2, ?3) "
              "ON CONFLICT(workshop_id, user_id) DO UPDATE SET role = excluded.role")
        .bind(1, id).bind(2, user_id).bind(3, role).exec();
}

void remove_person(db::connection& c, std::int64_t id, std::int64_t user_id) {
    c.prepare("DELETE FROM workshop_people WHERE workshop_id = ?1 AND user_id = ?2").bind(1, id).bind(2, user_id).exec();
}

std::int64_t insert_invite(db::connection& c, std::int64_t workshop_id, const std::string& token_hash, const std::string& role,
                           const std::string& label, std::int64_t expires_at, std::int64_t created_by, std::int64_t now) {
    c.prepare("INSERT INTO workshop_invites(workshop_id, token_hash, role, label, expires_at, created_by, created_at) "
              "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)")
        .bind(1, workshop_id).bind(2, token_hash).bind(3, role).bind(4, label).bind(5, expires_at).bind(6, created_by).bind(7, now).exec();
    return c.last_insert_id();
}

std::vector<invite_row> invites(db::connection& c, std::int64_t workshop_id) {
    auto s = c.prepare("SELECT i.id, i.workshop_id, i.expires_at, (SELECT count(*) FROM workshop_guests g WHERE g.invite_id = i.id), "
                       "i.role, i.label, i.revoked FROM workshop_invites i WHERE i.workshop_id = ?1 ORDER BY i.id");
    s.bind(1, workshop_id);
    std::vector<invite_row> out;
    while (s.step()) out.push_back({s.get_int(0), s.get_int(1), s.get_int(2), s.get_int(3), s.get_text(4), s.get_text(5), s.get_int(6) != 0});
    return out;
}

std::optional<invite_row> live_invite(db::connection& c, const std::string& token_hash, std::int64_t now) {
    auto s = c.prepare("SELECT id, workshop_id, expires_at, 0, role, label, revoked FROM workshop_invites "
                       "WHERE token_hash = ?1 AND revoked = 0 AND expires_at > ?2");
    s.bind(1, token_hash).bind(2, now);
    if (!s.step()) return std::nullopt;
    return invite_row{s.get_int(0), s.get_int(1), s.get_int(2), 0, s.get_text(4), s.get_text(5), false};
}

std::int64_t count_guests(db::connection& c, std::int64_t invite_id) {
    auto s = c.prepare("SELECT count(*) FROM workshop_guests WHERE invite_id = ?1");
    s.bind(1, invite_id);
    s.step();
    return s.get_int(0);
}

std::vector<std::int64_t> guests_of(db::connection& c, std::int64_t workshop_id) {
    std::vector<std::int64_t> out;
    auto s = c.prepare("SELECT g.id FROM workshop_guests g JOIN workshop_invites i ON i.id = g.invite_id WHERE i.workshop_id = ?1");
    s.bind(1, workshop_id);
    while (s.step()) out.push_back(s.get_int(0));
    return out;
}

bool revoke_invite(db::connection& c, std::int64_t workshop_id, std::int64_t invite_id, std::vector<std::int64_t>& guests) {
    c.prepare("UPDATE workshop_invites SET revoked = 1 WHERE id = ?1 AND workshop_id = ?2").bind(1, invite_id).bind(2, workshop_id).exec();
    bool found = c.changes() > 0;
    if (!found) return false;
    auto s = c.prepare("SELECT id FROM workshop_guests WHERE invite_id = ?1");
    s.bind(1, invite_id);
    while (s.step()) guests.push_back(s.get_int(0));
    c.prepare("DELETE FROM workshop_guests WHERE invite_id = ?1").bind(1, invite_id).exec();
    return true;
}

std::int64_t insert_guest(db::connection& c, std::int64_t invite_id, const std::string& name, const std::string& token_hash,
                          std::int64_t now, std::int64_t expires_at) {
    c.prepare("INSERT INTO workshop_guests(invite_id, name, token_hash, created_at, expires_at) VALUES(?1, ?2, ?3, ?4, ?5)")
        .bind(1, invite_id).bind(2, name).bind(3, token_hash).bind(4, now).bind(5, expires_at).exec();
    return c.last_insert_id();
}

std::optional<guest_row> guest_by_token(db::connection& c, const std::string& token_hash, std::int64_t now) {
    // The invite's expiry limits joining, not the session of someone who joined: a guest
    // stays until their own end, the invite's revocation, or the workshop's archiving.
    auto s = c.prepare("SELECT g.id, i.workshop_id, i.id, g.name, i.role, g.expires_at FROM workshop_guests g "
                       "JOIN workshop_invites i ON i.id = g.invite_id JOIN workshops w ON w.id = i.workshop_id "
                       "WHERE g.token_hash = ?1 AND g.expires_at > ?2 AND i.revoked = 0 AND w.state <> 'archived'");
    s.bind(1, token_hash).bind(2, now);
    if (!s.step()) return std::nullopt;
    return guest_row{s.get_int(0), s.get_int(1), s.get_int(2), s.get_text(3), s.get_text(4), s.get_int(5)};
}

bool invite_has_token(db::connection& c, std::int64_t invite_id, const std::string& token_hash) {
    auto s = c.prepare("SELECT 1 FROM workshop_invites WHERE id = ?1 AND token_hash = ?2");
    s.bind(1, invite_id).bind(2, token_hash);
    return s.step();
}

void delete_guest(db::connection& c, const std::string& token_hash) {
    c.prepare("DELETE FROM workshop_guests WHERE token_hash = ?1").bind(1, token_hash).exec();
}

std::int64_t changes_since(db::connection& c, std::int64_t workshop_id, std::int64_t seq, std::int64_t generated_at) {
    // What the report holds: notes, groups, revealed votes and the ranking, actions, the
    // plan, the pre-work, and who came. Not the chat, reactions, the timer, the lock, the
    // anonymous mode, the current phase, votes not revealed yet, nor changes of state.
    auto s = c.prepare(
        "SELECT count(*) FROM workshop_events WHERE workshop_id = ?1 AND seq > ?2 AND op NOT IN ('workshop.state', "
        "'chat.send', 'reaction', 'timer.start', 'timer.pause', 'timer.add', 'timer.reset', 'timer.lock_at_zero', 'board.lock', "
        "'board.anonymous', 'phase.goto', 'vote.cast', 'vote.retract', 'vote.proxy')");
    s.bind(1, workshop_id).bind(2, seq);
    s.step();
    auto changes = s.get_int(0);
    // Someone who came after it is missing from « Participants ».
    auto a = c.prepare("SELECT count(*) FROM workshop_attendance WHERE workshop_id = ?1 AND first_at > ?2");
    a.bind(1, workshop_id).bind(2, generated_at);
    a.step();
    return changes + a.get_int(0);
}

void insert_event(db::connection& c, std::int64_t workshop_id, const event& e) {
    // The log has no gap: an event lands only right after its predecessor. When one
    // write fails, those decided after it fail too, and the room reloads from the log.
    // Two statements on the one writer connection, in the caller's transaction: an
    // INSERT … SELECT reading its own table would build a temporary table on each event.
    std::int64_t last = 0;
    {
        auto s = c.prepare("SELECT coalesce(max(seq), 0) FROM workshop_events WHERE workshop_id = ?1");
        s.bind(1, workshop_id);
        if (s.step()) last = s.get_int(0);
    }
    if (last != e.seq - 1) throw db::db_error(SQLITE_CONSTRAINT, "event " + std::to_string(e.seq) + " out of order");
    c.prepare("INSERT INTO workshop_events(workshop_id, seq, op, data, actor_key, actor_name, client_op_id, at) "
              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")
        .bind(1, workshop_id).bind(2, e.seq).bind(3, e.op).bind(4, e.data.dump()).bind(5, e.actor_key).bind(6, e.actor_name)
        .bind(7, e.client_op_id).bind(8, e.at).exec();
}

std::optional<guest_row> active_guest(db::connection& c, std::int64_t guest_id, std::int64_t now) {
    auto s = c.prepare("SELECT g.id, i.workshop_id, i.id, g.name, i.role, g.expires_at FROM workshop_guests g "
                       "JOIN workshop_invites i ON i.id = g.invite_id JOIN workshops w ON w.id = i.workshop_id "
                       "WHERE g.id = ?1 AND g.expires_at > ?2 AND i.revoked = 0 AND w.state <> 'archived'");
    s.bind(1, guest_id).bind(2, now);
    if (!s.step()) return std::nullopt;
    return guest_row{s.get_int(0), s.get_int(1), s.get_int(2), s.get_text(3), s.get_text(4), s.get_int(5)};
}

std::vector<event> events(db::connection& c, std::int64_t workshop_id) {
    auto s = c.prepare("SELECT seq, op, data, actor_key, actor_name, client_op_id, at FROM workshop_events "
                       "WHERE workshop_id = ?1 ORDER BY seq");
    s.bind(1, workshop_id);
    std::vector<event> out;
    while (s.step()) out.push_back({s.get_int(0), s.get_text(1), json::parse(s.get_text(2)), s.get_text(3), s.get_text(4), s.get_opt_text(5), s.get_int(6)});
    return out;
}

void save_snapshot(db::connection& c, std::int64_t workshop_id, std::int64_t seq, const std::string& state, std::int64_t at_ms) {
    // Two instances of a room (one unloading, one loaded again) may both write: keep the newest.
    c.prepare("INSERT OR REPLACE INTO workshop_snapshots(workshop_id, seq, state, at) SELECT ?1, ?2, ?3, ?4 "
              "WHERE coalesce((SELECT max(seq) FROM workshop_snapshots WHERE workshop_id = ?1), 0) <= ?2")
        .bind(1, workshop_id).bind(2, seq).bind(3, state).bind(4, at_ms).exec();
    c.prepare("DELETE FROM workshop_snapshots WHERE workshop_id = ?1 AND seq < (SELECT max(seq) FROM workshop_snapshots WHERE workshop_id = ?1)")
        .bind(1, workshop_id).exec();
}

room_log load_room(db::connection& c, std::int64_t workshop_id, std::size_t recent) {
    room_log out;
    auto last = c.prepare("SELECT coalesce(max(seq), 0) FROM workshop_events WHERE workshop_id = ?1");
    last.bind(1, workshop_id);
    last.step();
    auto last_seq = last.get_int(0);
    auto snap = c.prepare("SELECT seq, state FROM workshop_snapshots WHERE workshop_id = ?1 ORDER BY seq DESC LIMIT 1");
    snap.bind(1, workshop_id);
    if (snap.step()) {
        auto seq = snap.get_int(0);
        try {
            auto j = json::parse(snap.get_text(1));
            auto st = j.get<room_state>();
            if (st.seq != seq || seq > last_seq) throw std::runtime_error("seq does not match the log");
            out.snapshot = std::move(st);
        } catch (const std::exception& e) {
            // Snapshots are a shortcut: the log is the truth, replay it all.
            log::warn("workshop_snapshot_ignored", {{"workshop", workshop_id}, {"seq", seq}, {"what", e.what()}});
        }
    }
    std::int64_t from = 0;
    if (out.snapshot) from = std::min(out.snapshot->seq, std::max<std::int64_t>(0, last_seq - static_cast<std::int64_t>(recent)));
    auto s = c.prepare("SELECT seq, op, data, actor_key, actor_name, client_op_id, at FROM workshop_events "
                       "WHERE workshop_id = ?1 AND seq > ?2 ORDER BY seq");
    s.bind(1, workshop_id).bind(2, from);
    while (s.step())
        out.events.push_back({s.get_int(0), s.get_text(1), json::parse(s.get_text(2)), s.get_text(3), s.get_text(4), s.get_opt_text(5), s.get_int(6)});
    // From the index on (workshop_id, actor_key, client_op_id) alone: no event is read.
    auto ops = c.prepare("SELECT actor_key, client_op_id, seq FROM workshop_events WHERE workshop_id = ?1 AND client_op_id IS NOT NULL");
    ops.bind(1, workshop_id);
    while (ops.step()) out.client_ops.push_back({ops.get_text(0), ops.get_text(1), ops.get_int(2)});
    return out;
}

void save_report(db::connection& c, std::int64_t workshop_id, const report_row& r) {
    c.prepare("INSERT INTO workshop_reports(workshop_id, generated_at, seq, markdown, actions_csv, indicators_csv, version) "
              "VALUES(?1, ?2, ?3, ?4, ?5, ?6, 1) ON CONFLICT(workshop_id) DO UPDATE SET generated_at = excluded.generated_at, "
              "seq = excluded.seq, markdown = excluded.markdown, actions_csv = excluded.actions_csv, indicators_csv = excluded.indicators_csv, "
              "version = workshop_reports.version + 1, edited_at = NULL, edited_by = ''")
        .bind(1, workshop_id).bind(2, r.generated_at).bind(3, r.seq).bind(4, r.markdown).bind(5, r.actions_csv).bind(6, r.indicators_csv).exec();
}

std::optional<report_row> report(db::connection& c, std::int64_t workshop_id) {
    auto s = c.prepare("SELECT generated_at, seq, markdown, actions_csv, indicators_csv, version, edited_at, edited_by "
                       "FROM workshop_reports WHERE workshop_id = ?1");
    s.bind(1, workshop_id);
    if (!s.step()) return std::nullopt;
    return report_row{s.get_int(0), s.get_int(1), s.get_text(2), s.get_text(3), s.get_text(4), s.get_int(5), s.get_opt_int(6), s.get_text(7)};
}

bool edit_report(db::connection& c, std::int64_t workshop_id, std::int64_t version, const std::string& markdown,
                 const std::string& by, std::int64_t now) {
    c.prepare("UPDATE workshop_reports SET markdown = ?1, version = version + 1, edited_at = ?2, edited_by = ?3 "
              "WHERE workshop_id = ?4 AND version = ?5")
        .bind(1, markdown).bind(2, now).bind(3, by).bind(4, workshop_id).bind(5, version).exec();
    return c.changes() > 0;
}

void set_invite_code(db::connection& c, std::int64_t invite_id, const std::string& code) {
    c.prepare("UPDATE workshop_invites SET code = ?1 WHERE id = ?2").bind(1, code).bind(2, invite_id).exec();
}

std::map<std::int64_t, std::string> invite_codes(db::connection& c, std::int64_t workshop_id) {
    auto s = c.prepare("SELECT id, code FROM workshop_invites WHERE workshop_id = ?1 AND code IS NOT NULL");
    s.bind(1, workshop_id);
    std::map<std::int64_t, std::string> out;
    while (s.step()) out[s.get_int(0)] = s.get_text(1);
    return out;
}

std::optional<std::pair<invite_row, std::string>> live_invite_by_code(db::connection& c, const std::string& code, std::int64_t now) {
    auto s = c.prepare("SELECT id, workshop_id, expires_at, role, label, token_sealed FROM workshop_invites "
                       "WHERE code = ?1 AND revoked = 0 AND expires_at > ?2");
    s.bind(1, code).bind(2, now);
    if (!s.step()) return std::nullopt;
    return std::pair{invite_row{s.get_int(0), s.get_int(1), s.get_int(2), 0, s.get_text(3), s.get_text(4), false}, s.get_text(5)};
}

}  // namespace relais::workshops::store
