#include "workshops/model.hpp"

#include "workshops/errors.hpp"
#include "common/json_input.hpp"
#include "common/utf8.hpp"
#include "search/text.hpp"

#include <algorithm>
#include <set>
#include <chrono>
#include <regex>

namespace relais::workshops {
namespace {

constexpr std::size_t text_max = 1000;
constexpr std::size_t title_max = 200;
const std::set<std::string> phase_kinds{"accueil", "individuel", "regroupement", "vote", "plan_action", "libre"};
const std::set<std::string> colours{"jaune", "rose", "bleu", "vert", "orange", "violet"};
const std::set<std::string> emojis{"👍", "👏", "❤️", "💡", "❓", "😀"};

bool valid_key(const std::string& k) {
    if (k.empty() || k.size() > 40) return false;
    return std::all_of(k.begin(), k.end(), [](unsigned char c) { return std::islower(c) || std::isdigit(c) || c == '_' || c == '-'; });
}

std::int64_t int_field(const json& j, const char* f, std::int64_t lo, std::int64_t hi) {
    auto it = j.find(f);
    if (it == j.end() || !it->is_number_integer()) throw api_error(errors::invalid_field, f);
    auto v = it->get<std::int64_t>();
    if (v < lo || v > hi) throw api_error(errors::invalid_field, f);
    return v;
}

std::optional<std::int64_t> opt_int_field(const json& j, const char* f, std::int64_t lo, std::int64_t hi) {
    auto it = j.find(f);
    if (it == j.end() || it->is_null()) return std::nullopt;
    return int_field(j, f, lo, hi);
}

bool bool_field(const json& j, const char* f) {
    auto it = j.find(f);
    if (it == j.end() || !it->is_boolean()) throw api_error(errors::invalid_field, f);
    return it->get<bool>();
}

bool is_fac(const actor& a) { return a.r == role::facilitator; }

void require_facilitator(const actor& a) {
    if (!is_fac(a)) throw api_error(errors::forbidden);
}

void require_writer(const actor& a) {
    if (a.r == role::observer) throw api_error(errors::forbidden);
}

void require_unlocked(const room_state& s, const actor& a, std::int64_t now_ms) {
    if (s.locked_at(now_ms) && !is_fac(a)) throw api_error(errors::board_locked);
}

const note& find_note(const room_state& s, const json& msg, const actor& a) {
    auto id = int_field(msg, "note", 1, INT64_MAX);
    auto it = s.notes.find(id);
    if (it == s.notes.end() || !s.can_see(it->second, a)) throw api_error(errors::not_found, "note");
    return it->second;
}

class stale : public api_error {
public:
    explicit stale(json current) : api_error(errors::stale_version, "version"), current_(std::move(current)) {}
    const json& current() const { return current_; }
private:
    json current_;
};

constexpr const char* votes_revealed_message = "Les votes de cette phase sont révélés : ils ne changent plus.";

// For note changes: the author or a facilitator, with the note's current version.
const note& note_for_change(const room_state& s, const json& msg, const actor& a) {
    const note& n = find_note(s, msg, a);
    if (!is_fac(a) && n.author_key != a.key) throw api_error(errors::forbidden);
    auto version = int_field(msg, "version", 1, INT32_MAX);
    if (version != n.version) throw api_error(errors::stale_version, "version");
    return n;
}

// Observers are refused as in any writing operation (acces_refuse), participants outside a
// grouping phase as out of phase (hors_phase).
bool grouping_allowed(const room_state& s, const actor& a) {
    require_writer(a);
    if (is_fac(a)) return true;
    const phase* p = s.current_phase();
    return a.r == role::participant && p && p->grouping;
}

bool actions_allowed(const room_state& s, const actor& a) {
    if (is_fac(a)) return true;
    const phase* p = s.current_phase();
    return a.r == role::participant && p && p->kind == "plan_action";
}

// Absent, null or empty gives ""; otherwise a bounded, trimmed string.
std::string opt_text(const json& msg, const char* f, std::size_t max) {
    auto it = msg.find(f);
    if (it == msg.end() || it->is_null() || (it->is_string() && json_input::trim(it->get_ref<const std::string&>()).empty()))
        return {};
    return *json_input::optional_string(msg, f, max);
}

std::string date_field(const json& msg, const char* f) {
    auto v = opt_text(msg, f, 10);
    if (!v.empty() && !valid_calendar_date(v)) throw api_error(errors::invalid_field, f);
    return v;
}

// A string value of a JSON array or object, checked as the named fields are (trimmed, at
// most `max` code points, no control character but newline and tab); blank gives "".
// Any failure names `field`.
std::string checked_text(const json& v, std::size_t max, const char* field) {
    if (!v.is_string()) throw api_error(errors::invalid_field, field);
    json wrapped = {{"v", v}};
    try {
        return json_input::optional_string(wrapped, "v", max).value_or("");
    } catch (const api_error&) {
        throw api_error(errors::invalid_field, field);
    }
}

// A column's `fields`: 1..8 definitions with distinct keys. Every failure names "fields".
std::vector<field_def> parse_fields(const json& j) {
    if (!j.is_array() || j.empty() || j.size() > max_fields_per_column) throw api_error(errors::invalid_field, "fields");
    std::vector<field_def> out;
    std::set<std::string> keys;
    for (const auto& f : j) {
        if (!f.is_object()) throw api_error(errors::invalid_field, "fields");
        field_def d;
        d.key = checked_text(f.value("key", json()), 40, "fields");
        d.label = checked_text(f.value("label", json()), 60, "fields");
        if (!valid_key(d.key) || !keys.insert(d.key).second || d.label.empty()) throw api_error(errors::invalid_field, "fields");
        if (auto h = f.find("help"); h != f.end() && !h->is_null()) d.help = checked_text(*h, 200, "fields");
        if (auto c = f.find("choices"); c != f.end() && !c->is_null()) {
            if (!c->is_array() || c->size() < 2 || c->size() > 8) throw api_error(errors::invalid_field, "fields");
            for (const auto& v : *c) {
                auto choice = checked_text(v, 40, "fields");
                if (choice.empty() || std::find(d.choices.begin(), d.choices.end(), choice) != d.choices.end())
                    throw api_error(errors::invalid_field, "fields");
                d.choices.push_back(std::move(choice));
            }
        }
        out.push_back(std::move(d));
    }
    return out;
}

// The `fields` of note.add / note.edit against the column's definitions: an object whose
// keys are fields of the column, whose values are strings of at most 500 characters (one of
// the field's choices when it has some); blank values are dropped. Failures name "fields".
std::map<std::string, std::string> note_fields(const json& given, const column* col) {
    if (!given.is_object()) throw api_error(errors::invalid_field, "fields");
    std::map<std::string, std::string> out;
    for (const auto& [k, v] : given.items()) {
        const field_def* def = nullptr;
        if (col)
            for (const auto& f : col->fields)
                if (f.key == k) def = &f;
        if (!def) throw api_error(errors::invalid_field, "fields");
        auto value = checked_text(v, max_field_value_chars, "fields");
        if (value.empty()) continue;
        if (!def->choices.empty() && std::find(def->choices.begin(), def->choices.end(), value) == def->choices.end())
            throw api_error(errors::invalid_field, "fields");
        out[k] = std::move(value);
    }
    return out;
}

json fields_json(const std::map<std::string, std::string>& fields) {
    json out = json::object();
    for (const auto& [k, v] : fields) out[k] = v;
    return out;
}

std::map<std::string, std::string> fields_from(const json& j) {
    std::map<std::string, std::string> out;
    for (const auto& [k, v] : j.items()) out[k] = v.get<std::string>();
    return out;
}

json to_json(const field_def& f) {
    json j = {{"key", f.key}, {"label", f.label}, {"help", f.help}};
    if (!f.choices.empty()) j["choices"] = f.choices;
    return j;
}

json to_json(const column& c) {
    json j = {{"key", c.key}, {"title", c.title}, {"help", c.help}};
    if (!c.fields.empty()) {
        json fields = json::array();
        for (const auto& f : c.fields) fields.push_back(to_json(f));
        j["fields"] = std::move(fields);
    }
    return j;
}

}  // namespace

bool valid_calendar_date(std::string_view v) {
    static const std::regex iso("^[0-9]{4}-[0-9]{2}-[0-9]{2}$");
    if (v.size() != 10 || !std::regex_match(v.begin(), v.end(), iso)) return false;
    auto num = [&](std::size_t from, std::size_t n) {
        int out = 0;
        for (std::size_t i = from; i < from + n; ++i) out = out * 10 + (v[i] - '0');
        return out;
    };
    std::chrono::year_month_day ymd{std::chrono::year(num(0, 4)), std::chrono::month(static_cast<unsigned>(num(5, 2))),
                                    std::chrono::day(static_cast<unsigned>(num(8, 2)))};
    return num(0, 4) >= 1900 && ymd.ok();
}

bool phase::has_column(const std::string& k) const { return find_column(k) != nullptr; }

const column* phase::find_column(const std::string& k) const {
    for (const auto& c : columns)
        if (c.key == k) return &c;
    return nullptr;
}

const char* role_name(role r) {
    switch (r) {
        case role::facilitator: return "facilitator";
        case role::participant: return "participant";
        case role::observer: return "observer";
    }
    return "observer";
}

phase parse_phase(const json& j) {
    if (!j.is_object()) throw api_error(errors::invalid_field, "phases");
    phase p;
    p.key = json_input::required_string(j, "key", 40);
    if (!valid_key(p.key)) throw api_error(errors::invalid_field, "key");
    p.title = json_input::required_line(j, "title", title_max);
    p.kind = json_input::required_string(j, "kind", 20);
    if (!phase_kinds.count(p.kind)) throw api_error(errors::invalid_field, "kind");
    p.duration_min = static_cast<int>(int_field(j, "duration_min", 1, 480));
    p.vote_budget = static_cast<int>(opt_int_field(j, "vote_budget", 0, 20).value_or(0));
    p.private_notes = j.contains("private_notes") && bool_field(j, "private_notes");
    p.grouping = j.contains("grouping") && bool_field(j, "grouping");
    auto cols = j.find("columns");
    if (cols == j.end() || !cols->is_array() || cols->empty() || cols->size() > 12) throw api_error(errors::invalid_field, "columns");
    std::set<std::string> keys;
    for (const auto& c : *cols) {
        if (!c.is_object()) throw api_error(errors::invalid_field, "columns");
        column col{json_input::required_string(c, "key", 40), json_input::required_line(c, "title", title_max), opt_text(c, "help", 500), {}};
        if (!valid_key(col.key) || !keys.insert(col.key).second) throw api_error(errors::invalid_field, "columns");
        if (auto f = c.find("fields"); f != c.end() && !f->is_null()) col.fields = parse_fields(*f);
        p.columns.push_back(std::move(col));
    }
    return p;
}

std::vector<phase> parse_phases(const json& j) {
    if (!j.is_array() || j.empty() || j.size() > 30) throw api_error(errors::invalid_field, "phases");
    std::vector<phase> out;
    std::set<std::string> keys;
    for (const auto& p : j) {
        out.push_back(parse_phase(p));
        if (!keys.insert(out.back().key).second) throw api_error(errors::invalid_field, "phases");
    }
    return out;
}

json to_json(const phase& p) {
    json cols = json::array();
    for (const auto& c : p.columns) cols.push_back(to_json(c));
    return {{"key", p.key}, {"title", p.title}, {"kind", p.kind}, {"duration_min", p.duration_min}, {"columns", cols},
            {"vote_budget", p.vote_budget}, {"private_notes", p.private_notes}, {"grouping", p.grouping}};
}

json to_json(const std::vector<phase>& ps) {
    json out = json::array();
    for (const auto& p : ps) out.push_back(to_json(p));
    return out;
}

const phase* room_state::current_phase() const { return current < phases.size() ? &phases[current] : nullptr; }

const column* room_state::column_def(const std::string& key) const {
    if (const phase* cur = current_phase())
        if (const column* c = cur->find_column(key)) return c;
    for (const auto& p : phases)
        if (const column* c = p.find_column(key)) return c;
    return nullptr;
}

std::vector<field_def> room_state::column_fields(const std::string& key) const {
    std::vector<field_def> out;
    for (const auto& p : phases)
        if (const column* c = p.find_column(key))
            for (const auto& f : c->fields)
                if (std::none_of(out.begin(), out.end(), [&](const field_def& o) { return o.key == f.key; })) out.push_back(f);
    return out;
}

int room_state::votes_used(const std::string& phase_key, const std::string& voter) const {
    int n = 0;
    auto it = votes.find(phase_key);
    if (it == votes.end()) return 0;
    for (const auto& [note_id, voters] : it->second)
        if (auto v = voters.find(voter); v != voters.end()) n += v->second;
    return n;
}

bool room_state::can_see(const note& n, const actor& viewer) const {
    return n.hidden.empty() || viewer.r == role::facilitator || viewer.key == n.author_key;
}

bool room_state::author_visible(const note& n, const actor& viewer) const {
    return viewer.r == role::facilitator || viewer.key == n.author_key || (!anonymous && !n.anonymous);
}

json to_json(const note& n, bool show_author) {
    json j = {{"id", n.id}, {"column", n.column}, {"text", n.text}, {"colour", n.colour}, {"version", n.version},
              {"phase", n.phase_key}, {"group", n.group ? json(*n.group) : json(nullptr)}, {"hidden", n.hidden}};
    j["author"] = show_author ? json{{"key", n.author_key}, {"name", n.author_name}} : json(nullptr);
    j["anonymous"] = n.anonymous;
    j["fields"] = fields_json(n.fields);
    return j;
}

event make_system_event(const room_state& s, const actor& a, const std::string& op, json data, std::int64_t now_ms) {
    // As for operations: while the board is anonymous, every event says so.
    if (s.anonymous && data.is_object()) data["anonymous"] = true;
    return event{s.seq + 1, op, std::move(data), a.key, a.name, std::nullopt, now_ms};
}

namespace {
// The timer as it stands: one never set (the first phase, before any phase.goto or timer
// operation) is the current phase's length, paused, which timer.start would count down.
timer_state effective_timer(const room_state& s) {
    auto t = s.timer;
    if (!t.set && !t.running && s.current_phase()) {
        t.remaining_ms = t.duration_ms = s.current_phase()->duration_min * 60000LL;
        t.set = true;
    }
    return t;
}
}  // namespace

event decide(const room_state& s, const actor& a, const std::string& op, const json& msg, std::int64_t now_ms) {
    if (s.workshop_state == "closed" || s.workshop_state == "archived") throw api_error(errors::workshop_closed);
    if (s.workshop_state == "draft" && !is_fac(a)) throw api_error(errors::wrong_phase);
    const phase* cur = s.current_phase();
    if (!cur) throw api_error(errors::wrong_phase);
    json d = json::object();

    if (op == "note.add") {
        require_writer(a);
        require_unlocked(s, a, now_ms);
        auto col = json_input::required_string(msg, "column", 40);
        if (!cur->has_column(col)) throw api_error(errors::wrong_phase, "column");
        auto colour = opt_text(msg, "colour", 20);
        if (colour.empty()) colour = "jaune";
        if (!colours.count(colour)) throw api_error(errors::invalid_field, "colour");
        if (s.notes.size() >= max_notes_per_board) throw api_error(errors::board_full);
        if (auto it = s.notes_by_author.find(a.key);
            it != s.notes_by_author.end() && static_cast<std::size_t>(it->second) >= max_notes_per_person)
            throw api_error(errors::too_many_notes_person);
        std::string hidden;
        if (s.workshop_state == "scheduled") hidden = "prework";
        else if (cur->private_notes) hidden = "private";
        d = {{"column", col}, {"text", json_input::required_string(msg, "text", text_max)}, {"colour", colour},
             {"phase", cur->key}, {"hidden", hidden}};
        if (auto f = msg.find("fields"); f != msg.end() && !f->is_null())
            if (auto fields = note_fields(*f, cur->find_column(col)); !fields.empty()) d["fields"] = fields_json(fields);
    } else if (op == "note.edit" || op == "note.move" || op == "note.delete") {
        require_writer(a);
        require_unlocked(s, a, now_ms);
        const note* n;
        try {
            n = &note_for_change(s, msg, a);
        } catch (const api_error& e) {
            if (e.code() != errors::stale_version.code) throw;
            const note& current = find_note(s, msg, a);
            throw stale(to_json(current, s.author_visible(current, a)));
        }
        // Votes are cast on a text: during the vote that counts them, a note with votes no
        // longer changes nor goes, except by a facilitator (the voters are not told).
        if (!is_fac(a) && (op == "note.edit" || op == "note.delete") && cur && cur->vote_budget > 0 &&
            !s.revealed_votes.count(cur->key))
            if (auto ph = s.votes.find(cur->key); ph != s.votes.end())
                if (auto nv = ph->second.find(n->id); nv != ph->second.end())
                    for (const auto& [k, count] : nv->second)
                        if (count > 0)
                            throw api_error(errors::wrong_phase, "note",
                                            "Cette note a reçu des votes : elle ne change plus pendant le vote (l'animateur peut encore la modifier).");
        d = {{"note", n->id}, {"hidden", n->hidden}};
        if (n->anonymous) d["anonymous"] = true;
        if (op == "note.delete") {
            // The votes that go with it, by phase and voter: facilitators keep « qui a voté »
            // right (event_view shows this to them only).
            json gone = json::object();
            for (const auto& [phase_key, notes] : s.votes)
                if (auto it = notes.find(n->id); it != notes.end())
                    for (const auto& [k, count] : it->second)
                        if (count > 0) gone[phase_key][k] = count;
            if (!gone.empty()) d["voters"] = gone;
        }
        if (op == "note.edit") {
            if (msg.contains("text")) d["text"] = json_input::required_string(msg, "text", text_max);
            if (msg.contains("colour")) {
                auto colour = json_input::required_string(msg, "colour", 20);
                if (!colours.count(colour)) throw api_error(errors::invalid_field, "colour");
                d["colour"] = colour;
            }
            // Given, the fields replace the note's (an empty object clears them).
            if (auto f = msg.find("fields"); f != msg.end() && !f->is_null())
                d["fields"] = fields_json(note_fields(*f, s.column_def(n->column)));
            if (!d.contains("text") && !d.contains("colour") && !d.contains("fields")) throw api_error(errors::invalid_field, "text");
        } else if (op == "note.move") {
            auto col = json_input::required_string(msg, "column", 40);
            if (!cur->has_column(col)) throw api_error(errors::wrong_phase, "column");
            d["column"] = col;
        }
    } else if (op == "note.group") {
        require_unlocked(s, a, now_ms);
        if (!grouping_allowed(s, a)) throw api_error(errors::wrong_phase);
        const note& n = find_note(s, msg, a);
        if (int_field(msg, "version", 1, INT32_MAX) != n.version)
            throw stale(to_json(n, s.author_visible(n, a)));
        // `group` is required: a group's id, or null to take the note out of its group.
        if (!msg.contains("group")) throw api_error(errors::invalid_field, "group");
        auto g = opt_int_field(msg, "group", 1, INT64_MAX);
        if (g && !s.groups.count(*g)) throw api_error(errors::not_found, "group");
        // A group gathers notes of its own column (note.move to change column).
        if (g && s.groups.at(*g).column != n.column)
            throw api_error(errors::invalid_field, "group", "Ce regroupement est dans une autre colonne : déplacez d'abord la note.");
        d = {{"note", n.id}, {"group", g ? json(*g) : json(nullptr)}, {"hidden", n.hidden}};
        if (n.anonymous) d["anonymous"] = true;
    } else if (op == "group.add") {
        require_unlocked(s, a, now_ms);
        if (!grouping_allowed(s, a)) throw api_error(errors::wrong_phase);
        if (s.groups.size() >= max_groups_per_board) throw api_error(errors::board_full);
        auto col = json_input::required_string(msg, "column", 40);
        if (!cur->has_column(col)) throw api_error(errors::wrong_phase, "column");
        d = {{"column", col}, {"title", json_input::required_line(msg, "title", title_max)}};
    } else if (op == "group.merge") {
        // « Fusionner »: the notes of `group` join `into` (same column), `group` goes.
        require_unlocked(s, a, now_ms);
        if (!grouping_allowed(s, a)) throw api_error(errors::wrong_phase);
        auto g = int_field(msg, "group", 1, INT64_MAX);
        auto into = int_field(msg, "into", 1, INT64_MAX);
        auto from = s.groups.find(g);
        auto to = s.groups.find(into);
        if (from == s.groups.end()) throw api_error(errors::not_found, "group");
        if (to == s.groups.end()) throw api_error(errors::not_found, "into");
        if (g == into || to->second.column != from->second.column) throw api_error(errors::invalid_field, "into");
        d = {{"group", g}, {"into", into}};
    } else if (op == "group.rename" || op == "group.delete") {
        require_unlocked(s, a, now_ms);
        if (!grouping_allowed(s, a)) throw api_error(errors::wrong_phase);
        auto g = int_field(msg, "group", 1, INT64_MAX);
        if (!s.groups.count(g)) throw api_error(errors::not_found, "group");
        d = {{"group", g}};
        if (op == "group.rename") d["title"] = json_input::required_line(msg, "title", title_max);
    } else if (op == "vote.cast" || op == "vote.proxy") {
        std::string voter = a.key, voter_name = a.name;
        if (op == "vote.proxy") {
            require_facilitator(a);
            voter_name = json_input::required_line(msg, "for", 80);
            // One budget per person, however the name is typed: case, accents and spaces aside.
            std::string folded;
            for (char ch : search::fold(voter_name)) {
                const bool space = ch == ' ' || ch == '\t' || ch == '\n';
                if (space && (folded.empty() || folded.back() == ' ')) continue;
                folded += space ? ' ' : ch;
            }
            while (!folded.empty() && folded.back() == ' ') folded.pop_back();
            voter = "proxy:" + folded;
        } else {
            require_writer(a);
        }
        require_unlocked(s, a, now_ms);
        if (cur->vote_budget <= 0) throw api_error(errors::wrong_phase);
        if (s.revealed_votes.count(cur->key)) throw api_error(errors::wrong_phase, {}, votes_revealed_message);
        const note& n = find_note(s, msg, a);
        if (!cur->has_column(n.column)) throw api_error(errors::wrong_phase, "note");
        if (s.votes_used(cur->key, voter) >= cur->vote_budget) throw api_error(errors::no_votes_left);
        d = {{"note", n.id}, {"phase", cur->key}, {"voter", voter}, {"voter_name", voter_name}};
    } else if (op == "vote.retract") {
        require_writer(a);
        require_unlocked(s, a, now_ms);
        if (s.revealed_votes.count(cur->key)) throw api_error(errors::wrong_phase, {}, votes_revealed_message);
        const note& n = find_note(s, msg, a);
        auto ph = s.votes.find(cur->key);
        bool has = false;
        if (ph != s.votes.end())
            if (auto nv = ph->second.find(n.id); nv != ph->second.end())
                if (auto v = nv->second.find(a.key); v != nv->second.end() && v->second > 0) has = true;
        if (!has) throw api_error(errors::not_found, "note");
        d = {{"note", n.id}, {"phase", cur->key}, {"voter", a.key}};
    } else if (op == "votes.reveal") {
        require_facilitator(a);
        json totals = json::object();
        if (auto ph = s.votes.find(cur->key); ph != s.votes.end())
            for (const auto& [note_id, voters] : ph->second) {
                int t = 0;
                for (const auto& [k, v] : voters) t += v;
                if (t > 0) totals[std::to_string(note_id)] = t;
            }
        d = {{"phase", cur->key}, {"totals", totals}};
    } else if (op == "ranking.retain") {
        // « Enjeux retenus »: the top `count` of a revealed vote's ranking (ties at the
        // boundary kept), copied as they are now for the action plan; 0 clears.
        require_facilitator(a);
        auto key = opt_text(msg, "phase", 40);
        if (key.empty()) key = cur->vote_budget > 0 && s.revealed_votes.count(cur->key) ? cur->key : last_revealed_vote(s);
        const bool in_plan = std::any_of(s.phases.begin(), s.phases.end(), [&](const phase& ph) { return ph.key == key; });
        if (key.empty() || !in_plan || !s.revealed_votes.count(key)) throw api_error(errors::wrong_phase, "phase");
        auto count = int_field(msg, "count", 0, 50);
        json items = json::array();
        for (const auto& r : ranking(s, key)) {
            if (r.rank > count) break;
            const note& n = s.notes.at(r.note);
            items.push_back({{"note", r.note}, {"text", n.text}, {"column", n.column}, {"votes", r.votes}, {"rank", r.rank}});
        }
        d = {{"phase", key}, {"count", count}, {"items", items}};
    } else if (op == "timer.start") {
        require_facilitator(a);
        auto secs = opt_int_field(msg, "seconds", 1, 8 * 3600);
        std::int64_t duration = secs ? *secs * 1000 : (s.timer.remaining_ms > 0 && !s.timer.running ? s.timer.remaining_ms : cur->duration_min * 60000LL);
        d = {{"ends_at", now_ms + duration}, {"duration_ms", secs ? *secs * 1000 : std::max(duration, s.timer.duration_ms)}};
    } else if (op == "timer.pause") {
        require_facilitator(a);
        if (!s.timer.running) throw api_error(errors::wrong_phase);
        d = {{"remaining_ms", std::max<std::int64_t>(0, s.timer.ends_at - now_ms)}};
    } else if (op == "timer.add") {
        require_facilitator(a);
        auto wanted = int_field(msg, "seconds", -3600, 3600) * 1000;
        // What is applied: a running timer ends no earlier than now (and one that already
        // reached 0:00 counts from now: « +1 min » gives one minute), a paused one keeps
        // 0 or more. Clients add delta_ms as documented and land on the same timer.
        auto t = effective_timer(s);
        std::int64_t applied = 0;
        if (t.running) applied = std::max(now_ms, std::max(t.ends_at, now_ms) + wanted) - t.ends_at;
        else applied = std::max<std::int64_t>(0, t.remaining_ms + wanted) - t.remaining_ms;
        d = {{"delta_ms", applied}};
    } else if (op == "timer.reset") {
        require_facilitator(a);
        d = {{"duration_ms", cur->duration_min * 60000LL}};
    } else if (op == "phase.goto") {
        require_facilitator(a);
        auto idx = int_field(msg, "index", 0, static_cast<std::int64_t>(s.phases.size()) - 1);
        json revealed = json::array();
        // Leaving a phase with private notes reveals them.
        if (cur->private_notes && static_cast<std::size_t>(idx) != s.current)
            for (const auto& [id, n] : s.notes)
                if (n.hidden == "private" && n.phase_key == cur->key) {
                    note shown = n;
                    shown.hidden.clear();
                    revealed.push_back(to_json(shown, true));
                }
        d = {{"index", idx}, {"revealed", revealed}, {"duration_ms", s.phases[static_cast<std::size_t>(idx)].duration_min * 60000LL}};
    } else if (op == "phase.add") {
        require_facilitator(a);
        auto p = parse_phase(msg.value("phase", json()));
        for (const auto& existing : s.phases)
            if (existing.key == p.key) throw api_error(errors::invalid_field, "key");
        auto at = opt_int_field(msg, "at", 0, static_cast<std::int64_t>(s.phases.size())).value_or(static_cast<std::int64_t>(s.phases.size()));
        d = {{"phase", to_json(p)}, {"at", at}};
    } else if (op == "phase.update") {
        require_facilitator(a);
        auto idx = int_field(msg, "index", 0, static_cast<std::int64_t>(s.phases.size()) - 1);
        auto p = parse_phase(msg.value("phase", json()));
        // A phase's key is what its notes, votes and « enjeux retenus » belong to: it stays.
        if (s.phases[static_cast<std::size_t>(idx)].key != p.key)
            throw api_error(errors::invalid_field, "key", "La clé d'une étape ne change pas : ajoutez plutôt une nouvelle étape.");
        d = {{"index", idx}, {"phase", to_json(p)}};
    } else if (op == "phase.remove") {
        require_facilitator(a);
        auto idx = int_field(msg, "index", 0, static_cast<std::int64_t>(s.phases.size()) - 1);
        if (s.phases.size() == 1 || static_cast<std::size_t>(idx) == s.current) throw api_error(errors::wrong_phase, "index");
        d = {{"index", idx}};
    } else if (op == "phase.move") {
        require_facilitator(a);
        auto n = static_cast<std::int64_t>(s.phases.size()) - 1;
        d = {{"from", int_field(msg, "from", 0, n)}, {"to", int_field(msg, "to", 0, n)}};
    } else if (op == "timer.lock_at_zero") {
        require_facilitator(a);
        d = {{"on", bool_field(msg, "on")}};
    } else if (op == "board.lock") {
        require_facilitator(a);
        d = {{"locked", bool_field(msg, "locked")}};
    } else if (op == "board.anonymous") {
        require_facilitator(a);
        d = {{"anonymous", bool_field(msg, "anonymous")}};
    } else if (op == "reaction") {
        require_writer(a);
        auto e = json_input::required_string(msg, "emoji", 8);
        if (!emojis.count(e)) throw api_error(errors::invalid_field, "emoji");
        d = {{"emoji", e}};
    } else if (op == "chat.send") {
        require_writer(a);
        if (s.chat.size() >= max_chat_per_board) throw api_error(errors::board_full);
        d = {{"text", json_input::required_string(msg, "text", text_max)}};
    } else if (op == "action.add" || op == "action.edit") {
        require_writer(a);
        require_unlocked(s, a, now_ms);
        if (!actions_allowed(s, a)) throw api_error(errors::wrong_phase);
        if (op == "action.edit") {
            auto id = int_field(msg, "action", 1, INT64_MAX);
            auto it = s.actions.find(id);
            if (it == s.actions.end()) throw api_error(errors::not_found, "action");
            if (!is_fac(a) && it->second.author_key != a.key) throw api_error(errors::forbidden, "action");
            // An edit that changes nothing is refused (as for a note): it would be logged and sent.
            if (!msg.contains("what") && !msg.contains("who") && !msg.contains("when") && !msg.contains("item"))
                throw api_error(errors::invalid_field, "what");
            d = {{"action", id}, {"what", it->second.what}, {"who", it->second.who}, {"when", it->second.when}, {"item", it->second.item}};
            if (msg.contains("what")) d["what"] = json_input::required_string(msg, "what", text_max);
        } else {
            if (s.actions.size() >= max_actions_per_board) throw api_error(errors::board_full);
            d = {{"what", json_input::required_string(msg, "what", text_max)}, {"item", 0}};
        }
        // The retained item (« enjeu ») the action answers; null clears.
        if (msg.contains("item")) {
            auto item = opt_int_field(msg, "item", 1, INT64_MAX);
            if (item && std::none_of(s.retained.begin(), s.retained.end(), [&](const retained_item& r) { return r.note == *item; }))
                throw api_error(errors::invalid_field, "item");
            d["item"] = item.value_or(0);
        }
        if (msg.contains("who")) d["who"] = opt_text(msg, "who", title_max);
        if (msg.contains("when")) d["when"] = date_field(msg, "when");
        if (!d.contains("who")) d["who"] = "";
        if (!d.contains("when")) d["when"] = "";
    } else if (op == "action.delete") {
        require_writer(a);
        require_unlocked(s, a, now_ms);
        if (!actions_allowed(s, a)) throw api_error(errors::wrong_phase);
        auto id = int_field(msg, "action", 1, INT64_MAX);
        auto it = s.actions.find(id);
        if (it == s.actions.end()) throw api_error(errors::not_found, "action");
        if (!is_fac(a) && it->second.author_key != a.key) throw api_error(errors::forbidden, "action");
        d = {{"action", id}};
    } else if (op == "prework.reveal") {
        require_facilitator(a);
        json revealed = json::array();
        for (const auto& [id, n] : s.notes)
            if (n.hidden == "prework") {
                note shown = n;
                shown.hidden.clear();
                revealed.push_back(to_json(shown, true));
            }
        d = {{"revealed", revealed}};
    } else {
        throw api_error(errors::unknown_operation, "op");
    }
    // What is written while the board is anonymous stays anonymous: the event says so,
    // and the state remembers it for each note and chat message.
    // (board.anonymous carries its own setting in that field.)
    if (s.anonymous && op != "board.anonymous") d["anonymous"] = true;
    return event{s.seq + 1, op, std::move(d), a.key, a.name, std::nullopt, now_ms};
}

void apply(room_state& s, const event& e) {
    const json& d = e.data;
    const std::string& op = e.op;
    s.seq = e.seq;
    if (op == "workshop.created" || op == "phases.set" || op == "phase.add" || op == "phase.update" || op == "phase.remove" ||
        op == "phase.move")
        s.plan_seq = e.seq;
    auto reveal = [&](const json& list) {
        for (const auto& n : list)
            if (auto it = s.notes.find(n.at("id").get<std::int64_t>()); it != s.notes.end()) it->second.hidden.clear();
    };
    if (op == "workshop.created" || op == "phases.set") {
        s.phases.clear();
        for (const auto& p : d.at("phases")) s.phases.push_back(parse_phase(p));
        if (s.current >= s.phases.size()) s.current = 0;
        if (d.contains("state")) s.workshop_state = d["state"].get<std::string>();
    } else if (op == "workshop.state") {
        s.workshop_state = d.at("state").get<std::string>();
    } else if (op == "note.add") {
        note n;
        n.id = e.seq;
        n.column = d.at("column");
        n.text = d.at("text");
        n.colour = d.at("colour");
        n.phase_key = d.at("phase");
        n.hidden = d.value("hidden", "");
        n.author_key = e.actor_key;
        n.author_name = e.actor_name;
        n.anonymous = d.value("anonymous", false) || s.anonymous;
        if (auto f = d.find("fields"); f != d.end()) n.fields = fields_from(*f);
        ++s.notes_by_author[n.author_key];
        s.notes[n.id] = std::move(n);
    } else if (op == "note.edit" || op == "note.move" || op == "note.group") {
        auto& n = s.notes.at(d.at("note").get<std::int64_t>());
        if (d.contains("text")) n.text = d["text"];
        if (d.contains("colour")) n.colour = d["colour"];
        if (d.contains("fields")) n.fields = fields_from(d["fields"]);
        if (op == "note.move") {
            n.column = d.at("column");
            // A group belongs to a column: a note moved out of its group's column leaves it.
            if (n.group)
                if (auto g = s.groups.find(*n.group); g == s.groups.end() || g->second.column != n.column) n.group.reset();
        }
        if (op == "note.group") n.group = d.at("group").is_null() ? std::nullopt : std::optional<std::int64_t>(d["group"].get<std::int64_t>());
        ++n.version;
    } else if (op == "note.delete") {
        auto id = d.at("note").get<std::int64_t>();
        if (auto it = s.notes.find(id); it != s.notes.end())
            if (auto c = s.notes_by_author.find(it->second.author_key); c != s.notes_by_author.end() && --c->second <= 0)
                s.notes_by_author.erase(c);
        s.notes.erase(id);
        for (auto& [k, ph] : s.votes) ph.erase(id);
    } else if (op == "group.add") {
        s.groups[e.seq] = group{e.seq, d.at("column"), d.at("title")};
    } else if (op == "group.rename") {
        s.groups.at(d.at("group").get<std::int64_t>()).title = d.at("title");
    } else if (op == "group.merge") {
        auto g = d.at("group").get<std::int64_t>(), into = d.at("into").get<std::int64_t>();
        s.groups.erase(g);
        for (auto& [id, n] : s.notes)
            if (n.group == g) {
                n.group = into;
                ++n.version;
            }
    } else if (op == "group.delete") {
        auto g = d.at("group").get<std::int64_t>();
        s.groups.erase(g);
        for (auto& [id, n] : s.notes)
            if (n.group == g) {
                n.group.reset();
                ++n.version;
            }
    } else if (op == "vote.cast" || op == "vote.proxy") {
        ++s.votes[d.at("phase")][d.at("note").get<std::int64_t>()][d.at("voter")];
    } else if (op == "vote.retract") {
        auto& v = s.votes[d.at("phase")][d.at("note").get<std::int64_t>()][d.at("voter")];
        if (v > 0) --v;
    } else if (op == "votes.reveal") {
        s.revealed_votes.insert(d.at("phase").get<std::string>());
    } else if (op == "timer.start") {
        s.timer = {true, d.at("ends_at").get<std::int64_t>(), 0, d.at("duration_ms").get<std::int64_t>(), true};
    } else if (op == "timer.pause") {
        s.timer.running = false;
        s.timer.ends_at = 0;
        s.timer.remaining_ms = d.at("remaining_ms").get<std::int64_t>();
    } else if (op == "timer.add") {
        auto delta = d.at("delta_ms").get<std::int64_t>();
        s.timer = effective_timer(s);
        if (s.timer.running) s.timer.ends_at += delta;
        else s.timer.remaining_ms = std::max<std::int64_t>(0, s.timer.remaining_ms + delta);
        s.timer.duration_ms = std::max<std::int64_t>(0, s.timer.duration_ms + delta);
    } else if (op == "timer.reset") {
        s.timer = {false, 0, d.at("duration_ms").get<std::int64_t>(), d.at("duration_ms").get<std::int64_t>(), true};
    } else if (op == "phase.goto") {
        reveal(d.at("revealed"));
        s.current = d.at("index").get<std::size_t>();
        auto dur = d.at("duration_ms").get<std::int64_t>();
        s.timer = {false, 0, dur, dur, true};
    } else if (op == "phase.add") {
        auto at = d.at("at").get<std::size_t>();
        s.phases.insert(s.phases.begin() + static_cast<std::ptrdiff_t>(at), parse_phase(d.at("phase")));
        if (at <= s.current && s.phases.size() > 1) ++s.current;
    } else if (op == "phase.update") {
        s.phases.at(d.at("index").get<std::size_t>()) = parse_phase(d.at("phase"));
    } else if (op == "phase.remove") {
        auto idx = d.at("index").get<std::size_t>();
        s.phases.erase(s.phases.begin() + static_cast<std::ptrdiff_t>(idx));
        if (idx < s.current) --s.current;
    } else if (op == "phase.move") {
        auto from = d.at("from").get<std::size_t>(), to = d.at("to").get<std::size_t>();
        auto p = s.phases[from];
        s.phases.erase(s.phases.begin() + static_cast<std::ptrdiff_t>(from));
        s.phases.insert(s.phases.begin() + static_cast<std::ptrdiff_t>(to), p);
        if (s.current == from) s.current = to;
        else if (from < s.current && to >= s.current) --s.current;
        else if (from > s.current && to <= s.current) ++s.current;
    } else if (op == "timer.lock_at_zero") {
        s.lock_at_zero = d.at("on").get<bool>();
    } else if (op == "board.lock") {
        s.locked = d.at("locked").get<bool>();
    } else if (op == "board.anonymous") {
        s.anonymous = d.at("anonymous").get<bool>();
    } else if (op == "reaction") {
        ++s.reactions[d.at("emoji").get<std::string>()];
    } else if (op == "chat.send") {
        s.chat.push_back({e.seq, e.actor_key, e.actor_name, d.at("text"), e.at, d.value("anonymous", false) || s.anonymous});
    } else if (op == "action.add") {
        s.actions[e.seq] = action_item{e.seq, d.at("what"), d.at("who"), d.at("when"), e.actor_name, d.value("item", std::int64_t{0}), e.actor_key};
    } else if (op == "action.edit") {
        auto& a = s.actions.at(d.at("action").get<std::int64_t>());
        a.what = d.at("what");
        a.who = d.at("who");
        a.when = d.at("when");
        a.item = d.value("item", a.item);
    } else if (op == "ranking.retain") {
        s.retained_phase = d.at("phase").get<std::string>();
        s.retained.clear();
        for (const auto& x : d.at("items"))
            s.retained.push_back({x.at("note").get<std::int64_t>(), x.at("text").get<std::string>(), x.at("column").get<std::string>(),
                                  x.at("votes").get<int>(), x.at("rank").get<int>()});
    } else if (op == "action.delete") {
        s.actions.erase(d.at("action").get<std::int64_t>());
    } else if (op == "prework.reveal") {
        reveal(d.at("revealed"));
    }
}

// ---- Full-fidelity serialisation (room snapshots in the database) ----------------
// Versioned: a snapshot of another version is ignored and the room replays its log.
namespace {

constexpr int state_format = 2;  // 2: actions keep their author's key (older snapshots: the log is replayed)

phase phase_from_json(const json& j) {
    // Raw, no validation: the phase was validated when its event was decided.
    phase p;
    p.key = j.at("key").get<std::string>();
    p.title = j.at("title").get<std::string>();
    p.kind = j.at("kind").get<std::string>();
    p.duration_min = j.at("duration_min").get<int>();
    for (const auto& c : j.at("columns")) {
        column col{c.at("key").get<std::string>(), c.at("title").get<std::string>(), c.at("help").get<std::string>(), {}};
        // Optional: snapshots written before structured columns have none.
        if (auto fs = c.find("fields"); fs != c.end())
            for (const auto& f : *fs)
                col.fields.push_back({f.at("key").get<std::string>(), f.at("label").get<std::string>(), f.value("help", std::string()),
                                      f.value("choices", std::vector<std::string>())});
        p.columns.push_back(std::move(col));
    }
    p.vote_budget = j.at("vote_budget").get<int>();
    p.private_notes = j.at("private_notes").get<bool>();
    p.grouping = j.at("grouping").get<bool>();
    return p;
}

}  // namespace

json to_json(const room_state& s) {
    json notes = json::array(), groups = json::array(), actions = json::array(), votes = json::array(), chat = json::array();
    for (const auto& [id, n] : s.notes) {
        notes.push_back({{"id", n.id}, {"column", n.column}, {"text", n.text}, {"colour", n.colour}, {"author_key", n.author_key},
                         {"author_name", n.author_name}, {"phase", n.phase_key}, {"group", n.group ? json(*n.group) : json(nullptr)},
                         {"version", n.version}, {"hidden", n.hidden}, {"anonymous", n.anonymous}});
        // Only when there are some: format 1 as it was for boards without structured columns.
        if (!n.fields.empty()) notes.back()["fields"] = fields_json(n.fields);
    }
    for (const auto& [id, g] : s.groups) groups.push_back({{"id", g.id}, {"column", g.column}, {"title", g.title}});
    for (const auto& [id, a] : s.actions)
        actions.push_back({{"id", a.id}, {"what", a.what}, {"who", a.who}, {"when", a.when}, {"author_name", a.author_name}, {"item", a.item},
                           {"author_key", a.author_key}});
    json retained = json::array();
    for (const auto& r : s.retained)
        retained.push_back({{"note", r.note}, {"text", r.text}, {"column", r.column}, {"votes", r.votes}, {"rank", r.rank}});
    // Nested as in memory, empty maps and counts of zero included (a retracted vote, the
    // votes of a deleted note): the state is restored exactly.
    for (const auto& [phase_key, by_note] : s.votes) {
        json notes_of_phase = json::array();
        for (const auto& [note_id, voters] : by_note) notes_of_phase.push_back(json::array({note_id, voters}));
        votes.push_back(json::array({phase_key, notes_of_phase}));
    }
    for (const auto& c : s.chat)
        chat.push_back({{"id", c.id}, {"key", c.key}, {"name", c.name}, {"text", c.text}, {"at", c.at}, {"anonymous", c.anonymous}});
    return {{"format", state_format},
            {"seq", s.seq},
            {"workshop_state", s.workshop_state},
            {"phases", to_json(s.phases)},
            {"plan_seq", s.plan_seq},
            {"current", s.current},
            {"locked", s.locked},
            {"anonymous", s.anonymous},
            {"lock_at_zero", s.lock_at_zero},
            {"notes", notes},
            {"groups", groups},
            {"actions", actions},
            {"votes", votes},
            {"revealed_votes", s.revealed_votes},
            {"retained_phase", s.retained_phase},
            {"retained", retained},
            {"chat", chat},
            {"reactions", s.reactions},
            {"timer", {{"running", s.timer.running}, {"ends_at", s.timer.ends_at}, {"remaining_ms", s.timer.remaining_ms},
                       {"duration_ms", s.timer.duration_ms}, {"set", s.timer.set}}},
            {"notes_by_author", s.notes_by_author}};
}

void from_json(const json& j, room_state& out) {
    if (!j.is_object() || j.value("format", 0) != state_format) throw std::runtime_error("room state: unknown format");
    room_state s;
    s.seq = j.at("seq").get<std::int64_t>();
    s.workshop_state = j.at("workshop_state").get<std::string>();
    for (const auto& p : j.at("phases")) s.phases.push_back(phase_from_json(p));
    s.plan_seq = j.value("plan_seq", std::int64_t{0});  // snapshots written before it: 0
    s.current = j.at("current").get<std::size_t>();
    s.locked = j.at("locked").get<bool>();
    s.anonymous = j.at("anonymous").get<bool>();
    s.lock_at_zero = j.value("lock_at_zero", false);
    for (const auto& n : j.at("notes")) {
        note x;
        x.id = n.at("id").get<std::int64_t>();
        x.column = n.at("column").get<std::string>();
        x.text = n.at("text").get<std::string>();
        x.colour = n.at("colour").get<std::string>();
        x.author_key = n.at("author_key").get<std::string>();
        x.author_name = n.at("author_name").get<std::string>();
        x.phase_key = n.at("phase").get<std::string>();
        if (!n.at("group").is_null()) x.group = n["group"].get<std::int64_t>();
        x.version = n.at("version").get<int>();
        x.hidden = n.at("hidden").get<std::string>();
        x.anonymous = n.at("anonymous").get<bool>();
        if (auto f = n.find("fields"); f != n.end()) x.fields = fields_from(*f);
        s.notes[x.id] = std::move(x);
    }
    for (const auto& g : j.at("groups"))
        s.groups[g.at("id").get<std::int64_t>()] = group{g.at("id").get<std::int64_t>(), g.at("column").get<std::string>(), g.at("title").get<std::string>()};
    for (const auto& a : j.at("actions"))
        s.actions[a.at("id").get<std::int64_t>()] = action_item{a.at("id").get<std::int64_t>(), a.at("what").get<std::string>(), a.at("who").get<std::string>(),
                                                                a.at("when").get<std::string>(), a.at("author_name").get<std::string>(),
                                                                a.value("item", std::int64_t{0}), a.value("author_key", std::string())};
    // Snapshots written before retained items existed have none.
    s.retained_phase = j.value("retained_phase", std::string());
    if (j.contains("retained"))
        for (const auto& r : j.at("retained"))
            s.retained.push_back({r.at("note").get<std::int64_t>(), r.at("text").get<std::string>(), r.at("column").get<std::string>(),
                                  r.at("votes").get<int>(), r.at("rank").get<int>()});
    for (const auto& v : j.at("votes")) {
        auto& by_note = s.votes[v.at(0).get<std::string>()];
        for (const auto& n : v.at(1)) {
            auto& voters = by_note[n.at(0).get<std::int64_t>()];
            for (const auto& [voter, count] : n.at(1).items()) voters[voter] = count.get<int>();
        }
    }
    for (const auto& k : j.at("revealed_votes")) s.revealed_votes.insert(k.get<std::string>());
    for (const auto& c : j.at("chat"))
        s.chat.push_back({c.at("id").get<std::int64_t>(), c.at("key").get<std::string>(), c.at("name").get<std::string>(),
                          c.at("text").get<std::string>(), c.at("at").get<std::int64_t>(), c.at("anonymous").get<bool>()});
    for (const auto& [k, v] : j.at("reactions").items()) s.reactions[k] = v.get<int>();
    const auto& t = j.at("timer");
    s.timer = {t.at("running").get<bool>(), t.at("ends_at").get<std::int64_t>(), t.at("remaining_ms").get<std::int64_t>(),
               t.at("duration_ms").get<std::int64_t>(), false};
    // Saved before the flag: a timer at 0 of 0, paused, was taken for one never set.
    s.timer.set = t.contains("set") ? t.at("set").get<bool>() : (s.timer.running || s.timer.remaining_ms != 0 || s.timer.duration_ms != 0);
    for (const auto& [k, v] : j.at("notes_by_author").items()) s.notes_by_author[k] = v.get<int>();
    out = std::move(s);
}

namespace {

bool show_authors(const room_state& s, const actor& viewer) { return !s.anonymous || viewer.r == role::facilitator; }

json votes_view(const room_state& s, const actor& viewer) {
    // note id -> {total (when visible), mine}
    json out = json::object();
    for (const auto& [phase_key, notes] : s.votes) {
        bool visible = s.revealed_votes.count(phase_key) || viewer.r == role::facilitator;
        for (const auto& [note_id, voters] : notes) {
            int total = 0, mine = 0;
            for (const auto& [k, v] : voters) {
                total += v;
                if (k == viewer.key) mine += v;
            }
            // Before the reveal a participant learns nothing of others' votes, not even
            // which notes have some.
            if (total == 0 || (!visible && mine == 0)) continue;
            auto& slot = out[phase_key][std::to_string(note_id)];
            slot["mine"] = mine;
            if (visible) slot["total"] = total;
        }
    }
    return out;
}

}  // namespace

namespace {
// The timer as shown: one never set yet (the first phase, before any phase.goto) shows the
// current phase's length, which timer.start would count down.
// Who has voted in each vote phase and how many votes (proxies included), for facilitators
// only — « 18 / 30 ont voté » — never on what; {} for others.
json voters_view(const room_state& s, const actor& viewer) {
    json out = json::object();
    if (viewer.r != role::facilitator) return out;
    for (const auto& [phase_key, notes] : s.votes) {
        std::map<std::string, int> counts;
        for (const auto& [note_id, voters] : notes) {
            if (!s.notes.count(note_id)) continue;
            for (const auto& [k, v] : voters)
                if (v > 0) counts[k] += v;
        }
        if (!counts.empty()) out[phase_key] = counts;
    }
    return out;
}

json timer_view(const room_state& s) {
    auto t = effective_timer(s);
    return {{"running", t.running}, {"ends_at", t.ends_at}, {"remaining_ms", t.remaining_ms}, {"duration_ms", t.duration_ms}};
}
}  // namespace

json snapshot(const room_state& s, const actor& viewer) {
    bool authors = show_authors(s, viewer);
    json notes = json::array(), groups = json::array(), actions = json::array(), chat = json::array();
    for (const auto& [id, n] : s.notes)
        if (s.can_see(n, viewer)) notes.push_back(to_json(n, s.author_visible(n, viewer)));
    for (const auto& [id, g] : s.groups) groups.push_back({{"id", g.id}, {"column", g.column}, {"title", g.title}});
    for (const auto& [id, a] : s.actions)
        actions.push_back({{"id", a.id}, {"what", a.what}, {"who", a.who}, {"when", a.when}, {"item", a.item ? json(a.item) : json(nullptr)},
                           {"mine", !a.author_key.empty() && a.author_key == viewer.key}});
    json retained = json::array();
    for (const auto& r : s.retained)
        retained.push_back({{"note", r.note}, {"text", r.text}, {"column", r.column}, {"votes", r.votes}, {"rank", r.rank}});
    std::size_t from = s.chat.size() > 200 ? s.chat.size() - 200 : 0;
    for (std::size_t i = from; i < s.chat.size(); ++i) {
        const auto& c = s.chat[i];
        bool by = (authors && !c.anonymous) || viewer.r == role::facilitator || c.key == viewer.key;
        chat.push_back({{"id", c.id}, {"text", c.text}, {"at", c.at}, {"anonymous", c.anonymous},
                        {"by", by ? json{{"key", c.key}, {"name", c.name}} : json(nullptr)}});
    }
    const phase* cur = s.current_phase();
    json revealed = json::array();
    for (const auto& k : s.revealed_votes) revealed.push_back(k);
    return {{"seq", s.seq},
            {"state", s.workshop_state},
            {"phases", to_json(s.phases)},
            {"current", s.current},
            {"locked", s.locked},
            {"anonymous", s.anonymous},
            {"lock_at_zero", s.lock_at_zero},
            {"notes", notes},
            {"groups", groups},
            {"votes", votes_view(s, viewer)},
            {"revealed_votes", revealed},
            {"votes_left", cur && viewer.r != role::observer ? std::max(0, cur->vote_budget - s.votes_used(cur->key, viewer.key)) : 0},
            {"actions", actions},
            {"retained", {{"phase", s.retained_phase.empty() ? json(nullptr) : json(s.retained_phase)}, {"items", retained}}},
            {"chat", chat},
            {"reactions", s.reactions},
            {"timer", timer_view(s)},
            {"voters", voters_view(s, viewer)}};
}

std::vector<ranked_note> ranking(const room_state& s, const std::string& phase_key) {
    std::vector<ranked_note> out;
    auto ph = s.votes.find(phase_key);
    if (ph == s.votes.end()) return out;
    for (const auto& [note_id, voters] : ph->second) {
        if (!s.notes.count(note_id)) continue;
        int total = 0;
        for (const auto& [k, v] : voters) total += v;
        if (total > 0) out.push_back({note_id, total, 0});
    }
    std::stable_sort(out.begin(), out.end(), [](const ranked_note& a, const ranked_note& b) { return a.votes > b.votes; });
    for (std::size_t i = 0; i < out.size(); ++i)
        out[i].rank = i > 0 && out[i].votes == out[i - 1].votes ? out[i - 1].rank : static_cast<int>(i) + 1;
    return out;
}

std::vector<ranked_group> group_ranking(const room_state& s, const std::string& phase_key) {
    std::map<std::int64_t, ranked_group> by_group;
    for (const auto& r : ranking(s, phase_key)) {
        const auto& n = s.notes.at(r.note);
        if (!n.group || !s.groups.count(*n.group)) continue;
        auto& g = by_group[*n.group];
        g.group = *n.group;
        g.votes += r.votes;
        ++g.notes;
    }
    std::vector<ranked_group> out;
    for (const auto& [id, g] : by_group) out.push_back(g);
    std::stable_sort(out.begin(), out.end(), [](const ranked_group& a, const ranked_group& b) { return a.votes > b.votes; });
    for (std::size_t i = 0; i < out.size(); ++i)
        out[i].rank = i > 0 && out[i].votes == out[i - 1].votes ? out[i - 1].rank : static_cast<int>(i) + 1;
    return out;
}

std::string last_revealed_vote(const room_state& s) {
    std::string last;
    for (const auto& p : s.phases)
        if (p.vote_budget > 0 && s.revealed_votes.count(p.key)) last = p.key;
    return last;
}

json event_view(const room_state& s, const event& e, const actor& viewer) {
    const json& d = e.data;
    // The same key means different things in different ops ("phase" is a phase's key in a
    // vote, the whole phase in phase.add): read a key only with the type this view needs.
    const auto text = [&](const char* key) {
        auto it = d.find(key);
        return it != d.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    const auto flag = [&](const char* key) {
        auto it = d.find(key);
        return it != d.end() && it->is_boolean() && it->get<bool>();
    };
    bool fac = viewer.r == role::facilitator, own = e.actor_key == viewer.key;
    auto hidden = [&] { return json{{"seq", e.seq}, {"op", "hidden"}}; };
    if (e.op.rfind("note.", 0) == 0 && !text("hidden").empty() && !fac && !own) {
        // A change to a note that was hidden when it happened, unless the viewer wrote the
        // note: hidden then, hidden in every replay (a resume after the note's reveal
        // shows what the live room showed; the reveal itself carries the note).
        if (e.op == "note.add") return hidden();
        auto it = s.notes.find(d.value("note", std::int64_t{0}));
        if (it == s.notes.end() || it->second.author_key != viewer.key) return hidden();
    }
    bool is_vote = e.op == "vote.cast" || e.op == "vote.proxy" || e.op == "vote.retract";
    bool votes_visible = fac || own || (is_vote && s.revealed_votes.count(text("phase")));
    if (is_vote && !votes_visible) return hidden();
    // Who wrote it: facilitators and the actor always; others only when neither the board
    // now nor the event when it was written is anonymous. Who voted: only facilitators
    // (and each voter for their own votes) — the board shows totals, never voters.
    bool authors = fac || own || (!s.anonymous && !flag("anonymous") && !is_vote);
    json data = d;
    if (!fac && !own) {
        data.erase("voter");
        data.erase("voter_name");
    }
    if (!fac) data.erase("voters");  // who had voted on a deleted note: facilitators only
    if (!fac && data.contains("revealed"))
        for (auto& n : data["revealed"]) {
            bool anon = s.anonymous || n.value("anonymous", false);
            if (anon && n["author"].is_object() && n["author"].value("key", std::string()) != viewer.key) n["author"] = nullptr;
        }
    json by = authors && e.actor_key != "system" ? json{{"key", e.actor_key}, {"name", e.actor_name}} : json(nullptr);
    return {{"seq", e.seq}, {"op", e.op}, {"data", data}, {"by", by}, {"at", e.at}};
}

}  // namespace relais::workshops
