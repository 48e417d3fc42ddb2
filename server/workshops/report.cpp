#include "workshops/report.hpp"

#include "common/markup.hpp"
#include "common/time.hpp"
#include "reference/data.hpp"
#include "workshops/report_doc.hpp"

#include <algorithm>
#include <sstream>

namespace relais::workshops {
namespace {

// The stage's label: the shared vocabulary's (reference/data.hpp), as the pages show it.
std::string stage_label(const std::string& code) {
    for (const auto& s : reference::workshop_stages())
        if (s.code == code) return std::string(s.label);
    return code;
}

// What people typed (notes, titles, names, fields), on one line of the report's Markdown
// and read as written: its line breaks become « / », and the characters Markdown would
// read as formatting are escaped (a backslash before them: « 2*3*4 » stays 2*3*4, « **x** »
// is not bold, a leading « # », « - » or « > » is no heading, list or quote, « <b> » and
// « &amp; » are text, not HTML, for any CommonMark reader; each renderer escapes HTML too). Every renderer of the
// report (the page, the HTML, PDF and ODT) reads the backslash escapes.
std::string one_line(const std::string& text) {
    std::string flat;
    bool pending_break = false;
    for (char c : text) {
        if (c == '\n' || c == '\r') {
            pending_break = true;
            continue;
        }
        if (pending_break) {
            while (!flat.empty() && (flat.back() == ' ' || flat.back() == '\t')) flat.pop_back();
            if (!flat.empty()) flat += " / ";
            pending_break = false;
            if (c == ' ' || c == '\t') continue;
        }
        if (flat.size() >= 3 && flat.compare(flat.size() - 3, 3, " / ") == 0 && (c == ' ' || c == '\t')) continue;
        flat += c;
    }
    std::string out;
    out.reserve(flat.size() + 8);
    bool line_start = true;
    for (std::size_t i = 0; i < flat.size(); ++i) {
        const char c = flat[i];
        // `<` and `&` too: another Markdown renderer (the library's readers may use any) would
        // take `<script>`, `<http://…>` or `&eacute;` typed by a participant as HTML.
        static constexpr std::string_view always = "\\*_`[]|~<&";
        bool escape = always.find(c) != std::string_view::npos;
        // At the start: a heading, a list, a quote, a numbered item.
        if (line_start && (c == '#' || c == '-' || c == '+' || c == '>')) escape = true;
        if (line_start && c >= '0' && c <= '9') {
            std::size_t j = i;
            while (j < flat.size() && flat[j] >= '0' && flat[j] <= '9') ++j;
            if (j < flat.size() && (flat[j] == '.' || flat[j] == ')')) {
                out.append(flat, i, j - i);
                out += '\\';
                out += flat[j];
                i = j;
                line_start = false;
                continue;
            }
        }
        if (escape) out += '\\';
        out += c;
        if (c != ' ' && c != '\t') line_start = false;
    }
    return out;
}

std::string md_cell(const std::string& s) { return one_line(s); }

// Only revealed votes: the report is read by participants and guests, who must not
// learn totals the facilitator has not shown yet.
int total_votes(const room_state& s, std::int64_t note_id) {
    int t = 0;
    for (const auto& [phase, notes] : s.votes)
        if (!s.revealed_votes.count(phase)) continue;
        else if (auto it = notes.find(note_id); it != notes.end())
            for (const auto& [k, v] : it->second) t += v;
    return t;
}

// A field's label wherever the plan defines a field `key` (a note moved to a column without
// fields keeps them), else the key itself.
std::string field_label(const room_state& s, const std::string& key) {
    for (const auto& p : s.phases)
        for (const auto& c : p.columns)
            for (const auto& f : c.fields)
                if (f.key == key) return f.label;
    return key;
}

std::string value_of(const note& n, const std::string& key) {
    auto it = n.fields.find(key);
    return it == n.fields.end() ? std::string() : it->second;
}

}  // namespace

store::report_row make_report(const store::workshop_row& w, const room_state& s,
                              const std::vector<std::string>& participants, std::int64_t now,
                              const std::vector<std::string>& absent) {
    std::ostringstream md;
    md << "# Compte rendu — " << one_line(w.title) << "\n\n";
    if (!w.subject.empty()) md << "- **Sujet** : " << one_line(w.subject) << "\n";
    md << "- **Étape de la CPTS** : " << stage_label(w.stage) << "\n";
    if (w.cpts_name) md << "- **CPTS** : " << one_line(*w.cpts_name) << "\n";
    if (!w.date.empty()) md << "- **Date** : " << french_local_date(w.date) << "\n";
    if (!w.partners.empty()) {
        md << "- **Partenaires** : ";
        for (std::size_t i = 0; i < w.partners.size(); ++i) md << (i ? ", " : "") << one_line(w.partners[i].second);
        md << "\n";
    }
    std::vector<std::string> facilitators;
    for (const auto& p : w.people)
        if (p.role == "facilitator") facilitators.push_back(p.name);
    if (!facilitators.empty()) {
        md << "- **Animation** : ";
        for (std::size_t i = 0; i < facilitators.size(); ++i) md << (i ? ", " : "") << one_line(facilitators[i]);
        md << "\n";
    }
    md << "- **Compte rendu établi le** : " << french_date_time(now) << " (heure de Paris)\n\n";

    md << "## Participants\n\n";
    md << "### Présents (" << participants.size() << ")\n\n";
    if (participants.empty()) md << "Aucun participant enregistré.\n";
    for (const auto& p : participants) md << "- " << one_line(p) << "\n";
    if (!absent.empty()) {
        md << "\n### Inscrits ou invités, absents (" << absent.size() << ")\n\n";
        for (const auto& p : absent) md << "- " << one_line(p) << "\n";
    }

    md << "\n## Déroulé\n\n";
    for (std::size_t i = 0; i < s.phases.size(); ++i)
        md << i + 1 << ". " << one_line(s.phases[i].title) << " (" << s.phases[i].duration_min << " min)\n";

    md << "\n## Production\n";
    bool produced = false;
    std::set<std::string> seen_columns;
    for (const auto& ph : s.phases) {
        for (const auto& col : ph.columns) {
            if (!seen_columns.insert(col.key).second) continue;
            std::vector<const note*> notes;
            for (const auto& [id, n] : s.notes)
                if (n.column == col.key && n.hidden.empty()) notes.push_back(&n);
            if (notes.empty()) continue;
            produced = true;
            md << "\n### " << one_line(col.title) << "\n\n";
            // A structured column (indicators, action lines): one table row per note, a
            // column per field, the group when some are grouped, the votes when revealed.
            if (auto fields = s.column_fields(col.key); !fields.empty()) {
                std::vector<const note*> rows;
                for (const auto& [gid, g] : s.groups)
                    if (g.column == col.key)
                        for (const auto* n : notes)
                            if (n->group == gid) rows.push_back(n);
                for (const auto* n : notes)
                    if (!n->group || !s.groups.count(*n->group)) rows.push_back(n);
                const bool grouped = std::any_of(rows.begin(), rows.end(), [&](const note* n) { return n->group && s.groups.count(*n->group); });
                const bool voted = std::any_of(rows.begin(), rows.end(), [&](const note* n) { return total_votes(s, n->id) > 0; });
                md << "| " << md_cell(col.title) << (grouped ? " | Groupe" : "");
                for (const auto& f : fields) md << " | " << md_cell(f.label);
                md << (voted ? " | Votes |\n" : " |\n");
                md << "|---" << (grouped ? "|---" : "");
                for (std::size_t i = 0; i < fields.size(); ++i) md << "|---";
                md << (voted ? "|---|\n" : "|\n");
                for (const auto* n : rows) {
                    md << "| " << md_cell(n->text);
                    if (grouped) md << " | " << (n->group && s.groups.count(*n->group) ? md_cell(s.groups.at(*n->group).title) : std::string());
                    for (const auto& f : fields) md << " | " << md_cell(value_of(*n, f.key));
                    if (voted) md << " | " << total_votes(s, n->id);
                    md << " |\n";
                }
                continue;
            }
            auto line = [&](const note& n, const char* indent) {
                md << indent << "- " << one_line(n.text);
                // Fields kept by a note moved here from a structured column.
                if (!n.fields.empty()) {
                    md << " (";
                    bool first = true;
                    for (const auto& [k, v] : n.fields) {
                        md << (first ? "" : " ; ") << one_line(field_label(s, k)) << " : " << one_line(v);
                        first = false;
                    }
                    md << ")";
                }
                if (int v = total_votes(s, n.id)) md << " (" << v << (v > 1 ? " votes" : " vote") << ")";
                md << "\n";
            };
            for (const auto& [gid, g] : s.groups) {
                if (g.column != col.key) continue;
                md << "- **" << one_line(g.title) << "**\n";
                for (const auto* n : notes)
                    if (n->group == gid) line(*n, "  ");
            }
            for (const auto* n : notes)
                if (!n->group || !s.groups.count(*n->group)) line(*n, "");
        }
    }

    if (!produced) md << "\nAucune note n'a été écrite sur le tableau.\n";

    // The ranking of each revealed vote (equal totals share a rank).
    for (const auto& ph : s.phases) {
        if (ph.vote_budget <= 0 || !s.revealed_votes.count(ph.key)) continue;
        auto list = ranking(s, ph.key);
        md << "\n## Classement : " << one_line(ph.title) << "\n\n";
        if (list.empty()) md << "Aucun vote.\n";
        for (std::size_t i = 0; i < list.size(); ++i) {
            const auto& r = list[i];
            bool tie = (i > 0 && list[i - 1].rank == r.rank) || (i + 1 < list.size() && list[i + 1].rank == r.rank);
            md << "- " << r.rank << (r.rank == 1 ? "er" : "e") << (tie ? " ex æquo" : "") << " : " << one_line(s.notes.at(r.note).text) << " ("
               << r.votes << (r.votes > 1 ? " votes" : " vote") << ")\n";
        }
        // The same vote by group, when notes were grouped.
        auto groups = group_ranking(s, ph.key);
        if (!groups.empty()) {
            md << "\n### Par regroupement\n\n";
            for (std::size_t i = 0; i < groups.size(); ++i) {
                const auto& r = groups[i];
                bool tie = (i > 0 && groups[i - 1].rank == r.rank) || (i + 1 < groups.size() && groups[i + 1].rank == r.rank);
                md << "- " << r.rank << (r.rank == 1 ? "er" : "e") << (tie ? " ex æquo" : "") << " : " << one_line(s.groups.at(r.group).title)
                   << " (" << r.votes << (r.votes > 1 ? " votes" : " vote") << ", " << r.notes << (r.notes > 1 ? " notes" : " note") << ")\n";
            }
        }
    }

    md << "\n## Plan d'action\n\n";
    const auto item_text = [&](std::int64_t item) {
        for (const auto& r : s.retained)
            if (r.note == item) return r.text;
        return std::string();
    };
    if (!s.retained.empty()) {
        md << "### Enjeux retenus\n\n";
        for (const auto& r : s.retained) md << "- " << one_line(r.text) << " (" << r.votes << (r.votes > 1 ? " votes" : " vote") << ")\n";
        md << "\n### Actions\n\n";
    }
    std::ostringstream actions;
    actions << "\xEF\xBB\xBF" << "Enjeu;Qui;Quoi;Quand\r\n";
    if (s.actions.empty()) {
        md << "Aucune action enregistrée.\n";
    } else {
        // The « Enjeu » column when there are retained items to answer.
        const bool items = !s.retained.empty();
        md << (items ? "| Enjeu | Qui | Quoi | Quand |\n|---|---|---|---|\n" : "| Qui | Quoi | Quand |\n|---|---|---|\n");
        for (const auto& [id, a] : s.actions) {
            auto item = a.item ? item_text(a.item) : std::string();
            if (items) md << "| " << md_cell(item) << " ";
            md << "| " << md_cell(a.who) << " | " << md_cell(a.what) << " | " << md_cell(french_local_date(a.when)) << " |\n";
            actions << csv_field(item) << ';' << csv_field(a.who) << ';' << csv_field(a.what) << ';' << csv_field(a.when) << "\r\n";
        }
    }

    // Indicators: the notes of the column "indicateur". With fields (the indicators template
    // since structured columns), one row per indicator with its fields; on boards made with
    // the former template (one column per attribute), the attributes of an indicator are the
    // notes of its group in the other indicator columns.
    std::ostringstream indicators;
    indicators << "\xEF\xBB\xBF";
    if (auto fields = s.column_fields("indicateur"); !fields.empty()) {
        indicators << "Indicateur";
        for (const auto& f : fields) indicators << ';' << csv_field(f.label);
        indicators << ";Votes\r\n";
        for (const auto& [id, n] : s.notes) {
            if (n.column != "indicateur" || !n.hidden.empty()) continue;
            indicators << csv_field(n.text);
            for (const auto& f : fields) indicators << ';' << csv_field(value_of(n, f.key));
            indicators << ';' << total_votes(s, n.id) << "\r\n";
        }
    } else {
        indicators << "Indicateur;Moyens ou résultats;Source;Fréquence;Cible;Conditionne le financement;Votes\r\n";
        const std::vector<std::string> attrs{"type", "source", "frequence", "cible", "financement"};
        for (const auto& [id, n] : s.notes) {
            if (n.column != "indicateur" || !n.hidden.empty()) continue;
            indicators << csv_field(n.text);
            for (const auto& attr : attrs) {
                std::string v;
                if (n.group)
                    for (const auto& [oid, o] : s.notes)
                        if (o.group == n.group && o.column == attr && o.hidden.empty()) v += (v.empty() ? "" : " / ") + one_line(o.text);
                indicators << ';' << csv_field(v);
            }
            indicators << ';' << total_votes(s, n.id) << "\r\n";
        }
    }
    return store::report_row{now, s.seq, md.str(), actions.str(), indicators.str(), 1, std::nullopt, {}};
}

std::string report_html(const std::string& title, const std::string& markdown) { return doc::html(title, markdown); }

}  // namespace relais::workshops
