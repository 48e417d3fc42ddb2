#pragma once
// The board of a live workshop as an event-sourced state: `decide` checks an
// operation against the state, the sender's role, the phase and the lock, and
// returns the event to log; `apply` folds a logged event into the state. Both are
// pure: no I/O, no clock (the caller passes the time), testable without a socket.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace relais::workshops {

using json = nlohmann::json;

/// One field of a structured column (an indicator's « source », an action's « qui »): a
/// note of that column carries a value for it (docs/protocol.md, "Phase").
struct field_def {
    std::string key, label, help;
    std::vector<std::string> choices;  // empty: free text; else the value is one of them
    bool operator==(const field_def&) const = default;
};

struct column {
    std::string key, title, help;
    std::vector<field_def> fields;  // empty: plain notes
    bool operator==(const column&) const = default;
};

struct phase {
    std::string key, title, kind;
    int duration_min = 10;
    std::vector<column> columns;
    int vote_budget = 0;
    bool private_notes = false;
    bool grouping = false;
    bool has_column(const std::string& k) const;
    const column* find_column(const std::string& k) const;
    bool operator==(const phase&) const = default;
};

/// Validates one phase from JSON (throws api_error naming the field).
phase parse_phase(const json& j);
/// 1..30 phases with distinct keys.
std::vector<phase> parse_phases(const json& j);
json to_json(const phase& p);
json to_json(const std::vector<phase>& ps);

enum class role { facilitator, participant, observer };
const char* role_name(role r);

/// Who sends an operation or watches the board.
struct actor {
    std::string key;   // "u:12" for an account, "g:5" for a guest
    std::string name;
    role r = role::participant;
};

struct note {
    std::int64_t id = 0;
    std::string column, text, colour, author_key, author_name, phase_key;
    std::optional<std::int64_t> group;
    int version = 1;
    std::string hidden;  // "", "prework" or "private": who may see it is restricted
    bool anonymous = false;  // written while anonymous mode was on: stays anonymous
    std::map<std::string, std::string> fields;  // field key -> value (non-empty values only)
    bool operator==(const note&) const = default;
};

struct group {
    std::int64_t id = 0;
    std::string column, title;
    bool operator==(const group&) const = default;
};

struct action_item {
    std::int64_t id = 0;
    std::string what, who, when, author_name;
    std::int64_t item = 0;  // the retained note this action answers (0: none)
    std::string author_key;  // who added it ("u:12", "g:5"): they and facilitators change it
    bool operator==(const action_item&) const = default;
};

/// A note retained from a vote's ranking for the action plan, as it was when retained.
struct retained_item {
    std::int64_t note = 0;
    std::string text, column;
    int votes = 0, rank = 0;
    bool operator==(const retained_item&) const = default;
};

/// One line of a vote's ranking.
struct ranked_note {
    std::int64_t note = 0;
    int votes = 0;
    int rank = 0;  // equal counts share a rank: 1, 2, 2, 4
};

/// One line of a vote's ranking by group: the votes of the group's notes added up.
struct ranked_group {
    std::int64_t group = 0;
    int votes = 0;
    int notes = 0;  // how many of its notes received votes
    int rank = 0;
};

struct chat_message {
    std::int64_t id = 0;
    std::string key, name, text;
    std::int64_t at = 0;
    bool anonymous = false;
    bool operator==(const chat_message&) const = default;
};

struct timer_state {
    bool running = false;
    std::int64_t ends_at = 0;       // unix ms, when running
    std::int64_t remaining_ms = 0;  // when paused
    std::int64_t duration_ms = 0;
    bool set = false;  // false until a phase.goto or a timer operation: the current phase's length shows
    bool operator==(const timer_state&) const = default;
};

/// One logged operation.
struct event {
    std::int64_t seq = 0;
    std::string op;
    json data;
    std::string actor_key, actor_name;
    std::optional<std::string> client_op_id;
    std::int64_t at = 0;  // unix ms
};

struct room_state {
    std::int64_t seq = 0;
    std::string workshop_state = "draft";
    std::vector<phase> phases;
    std::int64_t plan_seq = 0;  // the event that last changed the phase plan (a composer's base)
    std::size_t current = 0;
    bool locked = false, anonymous = false;
    bool lock_at_zero = false;  // the board takes no more from participants once the timer reaches 0:00
    std::map<std::int64_t, note> notes;
    std::map<std::int64_t, group> groups;
    std::map<std::int64_t, action_item> actions;
    // phase key -> note id -> voter key -> votes
    std::map<std::string, std::map<std::int64_t, std::map<std::string, int>>> votes;
    std::set<std::string> revealed_votes;  // phase keys
    std::string retained_phase;            // the vote whose ranking gave `retained`
    std::vector<retained_item> retained;   // « enjeux retenus »: what the action plan answers
    std::vector<chat_message> chat;
    std::map<std::string, int> reactions;
    timer_state timer;
    std::map<std::string, int> notes_by_author;  // live notes per author key (for the caps)

    const phase* current_phase() const;
    /// The column `key` as the board defines it now: the current phase's, else that of the
    /// first phase of the plan that has it (nullptr when no phase has it).
    const column* column_def(const std::string& key) const;
    /// The fields a column `key` has anywhere in the plan, in plan order (for the report: a
    /// field that one phase defines and another does not is still shown).
    std::vector<field_def> column_fields(const std::string& key) const;
    int votes_used(const std::string& phase_key, const std::string& voter) const;
    bool can_see(const note& n, const actor& viewer) const;
    /// Whether `viewer` may know who wrote `n`: facilitators and the author always; others
    /// only when the board is not anonymous and the note was not written under anonymity.
    bool author_visible(const note& n, const actor& viewer) const;

    /// Locked for participants now: by the facilitator, or by the timer at 0:00 when asked.
    bool locked_at(std::int64_t now_ms) const { return locked || (lock_at_zero && timer.running && now_ms >= timer.ends_at); }

    bool operator==(const room_state&) const = default;
};

/// The whole board, every field, for the room snapshots of the database (not for clients:
/// `snapshot` below is what a viewer may see). from_json(to_json(s)) == s.
json to_json(const room_state& s);
/// Throws (json::exception, std::runtime_error) on a document to_json did not write.
void from_json(const json& j, room_state& s);

/// Bounds of structured columns (docs/protocol.md, "Phase" and `note.add`).
inline constexpr std::size_t max_fields_per_column = 8;
inline constexpr std::size_t max_field_value_chars = 500;

/// Bounds on what one board holds, so that its snapshot stays sendable and one person
/// cannot fill it (docs/protocol.md, "Limits").
inline constexpr std::size_t max_notes_per_person = 200;
inline constexpr std::size_t max_notes_per_board = 2000;
inline constexpr std::size_t max_groups_per_board = 500;
inline constexpr std::size_t max_actions_per_board = 500;
inline constexpr std::size_t max_chat_per_board = 5000;

/// Checks an operation (`msg` is the client's message: fields per docs/protocol.md)
/// and returns the event to log as seq = state.seq + 1. Throws api_error.
event decide(const room_state& s, const actor& a, const std::string& op, const json& msg, std::int64_t now_ms);

/// System events, from the HTTP side: workshop creation, phase plan, state changes.
event make_system_event(const room_state& s, const actor& a, const std::string& op, json data, std::int64_t now_ms);

/// Folds an event into the state. Events come from `decide` or from the log.
void apply(room_state& s, const event& e);

/// The board as `viewer` may see it.
json snapshot(const room_state& s, const actor& viewer);

/// The ranking of a vote phase: the notes that received votes (still on the board), most
/// voted first, then in the order they were written; equal counts share a rank.
std::vector<ranked_note> ranking(const room_state& s, const std::string& phase_key);
/// The same vote by group (« regroupements »): each group (still on the board) whose notes
/// received votes, with their total, most first, then in the order created; equal totals
/// share a rank. Notes outside any group are left out.
std::vector<ranked_group> group_ranking(const room_state& s, const std::string& phase_key);
/// The most recent revealed vote phase in the plan's order ('' when none was revealed).
std::string last_revealed_vote(const room_state& s);

/// An event as `viewer` may see it (after it was applied to `s`): the full event, or
/// {"seq","op":"hidden"} when it concerns something hidden from the viewer.
json event_view(const room_state& s, const event& e, const actor& viewer);

json to_json(const note& n, bool show_author);

/// "YYYY-MM-DD" naming a real day of the Gregorian calendar (year 1900 or later).
bool valid_calendar_date(std::string_view v);

}  // namespace relais::workshops
