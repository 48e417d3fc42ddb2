#pragma once
// Every SQL statement of the workshops module.
#include "auth/directory.hpp"
#include "db/database.hpp"
#include "workshops/model.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace relais::workshops::store {

struct template_row {
    std::int64_t id = 0;
    std::string slug, name, description;
    json phases;
    bool built_in = false;
};

struct person {
    std::int64_t user_id = 0;
    std::string name, role;  // "facilitator" | "participant"
};

struct workshop_row {
    std::int64_t id = 0;
    std::string title, subject, stage, state, date, template_slug;
    std::optional<std::int64_t> cpts_id;
    std::optional<std::string> cpts_name;
    std::int64_t created_at = 0;
    std::optional<std::int64_t> report_generated_at;
    std::vector<std::pair<std::int64_t, std::string>> partners;  // org id, name
    std::vector<person> people;
};

struct invite_row {
    std::int64_t id = 0, workshop_id = 0, expires_at = 0, guests = 0;
    std::string role, label;
    bool revoked = false;
};

struct guest_row {
    std::int64_t id = 0, workshop_id = 0, invite_id = 0;
    std::string name, role;
    std::int64_t expires_at = 0;  // unix seconds: the guest's or the invite's end, whichever first
};

std::vector<template_row> templates(db::connection& c);
std::optional<template_row> template_by_slug(db::connection& c, const std::string& slug);
/// Inserts unless the slug exists; returns whether it did.
bool insert_template(db::connection& c, const template_row& t, std::optional<std::int64_t> created_by, std::int64_t now);

std::int64_t insert_workshop(db::connection& c, const workshop_row& w, std::int64_t created_by, std::int64_t now);
void update_workshop(db::connection& c, const workshop_row& w, std::int64_t now);
void set_state(db::connection& c, std::int64_t id, const std::string& state, std::int64_t now);
/// Someone present at the workshop while it is live (for the compte rendu); a second time
/// changes nothing.
void record_attendance(db::connection& c, std::int64_t id, const std::string& actor_key, const std::string& name,
                       const std::string& role, std::int64_t now);
std::optional<workshop_row> workshop(db::connection& c, const auth::directory& dir, std::int64_t id);
/// All workshops, or those `user_id` belongs to.
std::vector<workshop_row> workshops(db::connection& c, const auth::directory& dir, std::optional<std::int64_t> user_id);
void set_partners(db::connection& c, std::int64_t id, const std::vector<std::int64_t>& org_ids);
void set_person(db::connection& c, std::int64_t id, std::int64_t user_id, const std::string& role);
void remove_person(db::connection& c, std::int64_t id, std::int64_t user_id);

std::int64_t insert_invite(db::connection& c, std::int64_t workshop_id, const std::string& token_hash, const std::string& role,
                           const std::string& label, std::int64_t expires_at, std::int64_t created_by, std::int64_t now);
std::vector<invite_row> invites(db::connection& c, std::int64_t workshop_id);
/// A live invite (not expired, not revoked) by token hash.
std::optional<invite_row> live_invite(db::connection& c, const std::string& token_hash, std::int64_t now);
/// How many guests joined through this invite (signed-out ones excepted).
std::int64_t count_guests(db::connection& c, std::int64_t invite_id);
/// Revokes an invite and signs its guests out; `guests` gets their ids.
/// Every guest who joined the workshop by one of its links (their sessions end with its archiving).
std::vector<std::int64_t> guests_of(db::connection& c, std::int64_t workshop_id);
bool revoke_invite(db::connection& c, std::int64_t workshop_id, std::int64_t invite_id, std::vector<std::int64_t>& guests);
std::int64_t insert_guest(db::connection& c, std::int64_t invite_id, const std::string& name, const std::string& token_hash,
                          std::int64_t now, std::int64_t expires_at);
/// A guest whose invite is still live.
std::optional<guest_row> guest_by_token(db::connection& c, const std::string& token_hash, std::int64_t now);
/// Whether the invite `invite_id` is the link whose token hashes to `token_hash` (revoked or not).
bool invite_has_token(db::connection& c, std::int64_t invite_id, const std::string& token_hash);
void delete_guest(db::connection& c, const std::string& token_hash);
/// The guest, while they may still enter (its invite live and not revoked).
std::optional<guest_row> active_guest(db::connection& c, std::int64_t guest_id, std::int64_t now);

void insert_event(db::connection& c, std::int64_t workshop_id, const event& e);
std::vector<event> events(db::connection& c, std::int64_t workshop_id);

/// Records the board as of event `seq` (to_json(room_state), dumped) and forgets the older
/// snapshots of the workshop; a snapshot older than the latest one is not recorded.
void save_snapshot(db::connection& c, std::int64_t workshop_id, std::int64_t seq, const std::string& state, std::int64_t at_ms);

/// What loading a room reads: the latest readable snapshot, the events after it (and at
/// least the last `recent` events, for resumes), and every client operation id of the
/// log (for retries) without reading the events themselves.
struct room_log {
    std::optional<room_state> snapshot;
    std::vector<event> events;  // in seq order; those <= the snapshot's seq are only for resumes
    struct client_op {
        std::string actor_key, client_op_id;
        std::int64_t seq = 0;
    };
    std::vector<client_op> client_ops;
};
room_log load_room(db::connection& c, std::int64_t workshop_id, std::size_t recent);

struct report_row {
    std::int64_t generated_at = 0, seq = 0;
    std::string markdown, actions_csv, indicators_csv;
    std::int64_t version = 1;
    std::optional<std::int64_t> edited_at;  // unix seconds; nullopt while as generated
    std::string edited_by;
};
/// Saves a newly generated report (its version moves on; an edit is replaced).
void save_report(db::connection& c, std::int64_t workshop_id, const report_row& r);
std::optional<report_row> report(db::connection& c, std::int64_t workshop_id);
/// Events of the board after `seq`, changes of state aside (what a report of `seq` misses).
/// What the board received after a report (its seq) that the report would show, and the
/// people who came after it was generated.
std::int64_t changes_since(db::connection& c, std::int64_t workshop_id, std::int64_t seq, std::int64_t generated_at);
/// Replaces the report's Markdown if it is still at `version`; returns false otherwise.
bool edit_report(db::connection& c, std::int64_t workshop_id, std::int64_t version, const std::string& markdown,
                 const std::string& by, std::int64_t now);

/// The short code of an invite (set once, when it is made).
void set_invite_code(db::connection& c, std::int64_t invite_id, const std::string& code);
/// The codes of a workshop's invites, by invite id.
std::map<std::int64_t, std::string> invite_codes(db::connection& c, std::int64_t workshop_id);
/// A live invite (not expired, not revoked) by its short code, and its sealed link.
std::optional<std::pair<invite_row, std::string>> live_invite_by_code(db::connection& c, const std::string& code, std::int64_t now);

}  // namespace relais::workshops::store
