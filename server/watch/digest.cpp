#include "watch/digest.hpp"

#include "common/time.hpp"
#include "watch/dates.hpp"
#include "watch/sanitize.hpp"

#include <ctime>

#include <algorithm>

namespace relais::watch {
namespace {

struct entry {
    std::string title, link, summary, sources;
    std::int64_t importance = 0;
};

struct section {
    std::int64_t id = 0;
    std::string name;
    std::vector<entry> entries;
};

std::vector<std::string> paragraphs(const std::string& text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= text.size()) {
        auto end = text.find("\n\n", start);
        auto para = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (para.find_first_not_of(" \t\r\n") != std::string::npos) out.push_back(para);
        if (end == std::string::npos) break;
        start = end + 2;
    }
    return out;
}

/// Markdown from plain text: characters that would make markup are escaped.
std::string md(const std::string& text) {
    std::string out;
    for (char ch : text) {
        if (std::string_view("\\`*_[]<>#|!").find(ch) != std::string_view::npos) out += '\\';
        out += ch;
    }
    return out;
}

bool http_link(const std::string& link) {
    return (link.rfind("https://", 0) == 0 || link.rfind("http://", 0) == 0) &&
           link.find_first_of(" \"'<>()\\") == std::string::npos;
}


}  // namespace

digest compose_digest(db::connection& c, const digest_request& r, const std::string& public_url,
                      const std::string& unsubscribe) {
    std::vector<section> sections;
    {
        auto s = c.prepare("SELECT id, name FROM watch_fields WHERE archived_at IS NULL ORDER BY name COLLATE NOCASE, id");
        while (s.step()) {
            auto id = s.get_int(0);
            if (!r.fields.empty() && std::find(r.fields.begin(), r.fields.end(), id) == r.fields.end()) continue;
            sections.push_back({id, s.get_text(1), {}});
        }
    }
    digest d;
    for (auto& sec : sections) {
        auto s = c.prepare(
            "SELECT i.title, i.link, fi.summary, fi.importance, "
            "(SELECT group_concat(CASE WHEN s.title = '' THEN s.url ELSE s.title END, ', ') FROM watch_item_sources x "
            " JOIN watch_sources s ON s.id = x.source_id WHERE x.item_id = i.id) "
            "FROM watch_field_items fi JOIN watch_items i ON i.id = fi.item_id "
            "WHERE fi.field_id = ?1 AND fi.state = 'kept' AND fi.qualified_at >= ?2 AND fi.qualified_at < ?3 "
            "ORDER BY fi.importance DESC, fi.qualified_at DESC LIMIT 100");
        s.bind(1, sec.id).bind(2, r.from).bind(3, r.to);
        while (s.step())
            sec.entries.push_back({s.get_text(0), s.get_text(1), s.get_text(2), s.is_null(4) ? "" : s.get_text(4), s.get_int(3)});
        d.items += sec.entries.size();
    }
    std::erase_if(sections, [](const section& s) { return s.entries.empty(); });

    d.title = r.title.empty() ? "Lettre de veille du réseau CPTS" : r.title;
    d.intro = r.intro;
    auto period = "Du " + french_date(r.from) + " au " + french_date(r.to - 1);

    // HTML for e-mail clients: inline styles, tables-free simple blocks, no image, no script.
    const std::string muted = "color:#4a5565;font-size:13px;";
    std::string h = "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>" + escape_html(d.title) +
                    "</title></head><body style=\"margin:0;padding:24px;background:#f4f6f7;font-family:Arial,Helvetica,"
                    "sans-serif;color:#1b2430;line-height:1.5\"><div style=\"max-width:640px;margin:0 auto;background:#ffffff;"
                    "padding:24px;border-radius:8px;border-top:5px solid #b45309\">";
    h += "<h1 style=\"font-size:22px;margin:0 0 4px;color:#0b5563\">" + escape_html(d.title) + "</h1>";
    h += "<p style=\"" + muted + "margin:0 0 16px\">" + escape_html(period) + "</p>";
    for (const auto& p : paragraphs(d.intro)) h += "<p style=\"margin:0 0 12px\">" + escape_html(p) + "</p>";
    std::string t = d.title + "\n" + std::string(40, '=') + "\n" + period + "\n\n";
    for (const auto& p : paragraphs(d.intro)) t += p + "\n\n";
    std::string m = "# " + md(d.title) + "\n\n*" + md(period) + "*\n\n";
    for (const auto& p : paragraphs(d.intro)) m += md(p) + "\n\n";
    if (sections.empty()) {
        h += "<p>Rien n'a été retenu sur cette période.</p>";
        t += "Rien n'a été retenu sur cette période.\n\n";
        m += "Rien n'a été retenu sur cette période.\n\n";
    }
    for (const auto& sec : sections) {
        h += "<h2 style=\"font-size:18px;margin:24px 0 8px;color:#b45309;border-bottom:1px solid #d3dae0;padding-bottom:4px\">" +
             escape_html(sec.name) + "</h2>";
        t += sec.name + "\n" + std::string(20, '-') + "\n\n";
        m += "## " + md(sec.name) + "\n\n";
        for (const auto& e : sec.entries) {
            bool linked = http_link(e.link);
            h += "<div style=\"margin:0 0 16px\"><p style=\"margin:0;font-weight:bold\">";
            h += linked ? "<a href=\"" + escape_html(e.link) + "\" style=\"color:#0b5563\">" + escape_html(e.title) + "</a>"
                        : escape_html(e.title);
            if (e.importance >= 3) h += " <span style=\"color:#b42318\">(essentiel)</span>";
            h += "</p>";
            if (!e.summary.empty()) h += "<p style=\"margin:4px 0\">" + escape_html(e.summary) + "</p>";
            if (!e.sources.empty()) h += "<p style=\"" + muted + "margin:0\">Sources : " + escape_html(e.sources) + "</p>";
            h += "</div>";
            t += "* " + e.title + (e.importance >= 3 ? " (essentiel)" : "") + "\n";
            if (!e.summary.empty()) t += "  " + e.summary + "\n";
            if (linked) t += "  " + e.link + "\n";
            if (!e.sources.empty()) t += "  Sources : " + e.sources + "\n";
            t += "\n";
            m += "- **" + (linked ? "[" + md(e.title) + "](" + e.link + ")" : md(e.title)) + "**";
            if (!e.summary.empty()) m += " — " + md(e.summary);
            if (!e.sources.empty()) m += " *(Sources : " + md(e.sources) + ")*";
            m += "\n";
        }
        m += "\n";
    }
    auto home = public_url + "/veille";
    h += "<p style=\"" + muted + "margin:24px 0 0;border-top:1px solid #d3dae0;padding-top:12px\">Relais, la veille partagée "
         "du réseau des CPTS : <a href=\"" + escape_html(home) + "\" style=\"color:#0b5563\">" + escape_html(home) + "</a>";
    t += "--\nRelais, la veille partagée du réseau des CPTS : " + home + "\n";
    if (!unsubscribe.empty()) {
        h += "<br>Vous recevez cette lettre parce que vous y êtes abonné. <a href=\"" + escape_html(unsubscribe) +
             "\" style=\"color:#0b5563\">Se désabonner</a>";
        t += "Se désabonner : " + unsubscribe + "\n";
    }
    h += "</p></div></body></html>";
    d.html = std::move(h);
    d.text = std::move(t);
    d.markdown = std::move(m);
    return d;
}

}  // namespace relais::watch
