// Format detection, and what every format shares: cleaning up, bounding and keying items.
#include "watch/feed.hpp"

#include "common/time.hpp"
#include "watch/dates.hpp"
#include "watch/detail.hpp"
#include "watch/sanitize.hpp"
#include "watch/text.hpp"
#include "watch/urls.hpp"

#include <sodium.h>

#include <algorithm>
#include <map>
#include <set>

namespace relais::watch {

namespace detail {

namespace {

constexpr std::size_t max_categories = 50;
constexpr std::size_t max_enclosures = 20;
constexpr std::size_t max_guid_bytes = 2'000;

std::string sha256_hex(std::string_view data) {
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(data.data()), data.size());
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : digest) {
        out += hex[c >> 4];
        out += hex[c & 15];
    }
    return out;
}

std::string bounded_plain(std::string_view s, std::size_t max_chars) {
    std::string out = collapse_whitespace(s);  // which replaces ill-formed UTF-8 too
    truncate_utf8_chars(out, max_chars);
    return out;
}

std::string sanitized(const std::string& src, bool plain, const sanitize_options& so, warnings& w, std::string* text) {
    if (text) text->clear();
    if (src.empty()) return {};
    bool cut = false;
    std::string html =
        plain ? text_to_html(src, so.max_bytes, &cut, text, max_text_bytes + 1) : sanitize_html(src, so, &cut, text, max_text_bytes + 1);
    if (cut) w.add("Contenu d'un élément tronqué à " + std::to_string(so.max_bytes / 1024) + " ko.");
    return html;
}

}  // namespace

namespace {

// The tags a title's markup is made of: inline formatting, and a few blocks read as a space.
// Anything else between < and > (« <script> », « <spéciaux> », « a<b ») is text.
int title_tag_kind(std::string_view name) {  // 0: not a title's tag, 1: inline, 2: a break
    static const std::set<std::string, std::less<>> inline_tags{
        "a",   "abbr", "acronym", "b",  "bdi",    "bdo", "big",  "cite", "code", "del",  "dfn", "em",  "font", "i",   "img",
        "ins", "kbd",  "mark",    "nobr", "q",    "s",   "samp", "small", "span", "strike", "strong", "sub", "sup", "time", "tt",
        "u",   "var",  "wbr"};
    static const std::set<std::string, std::less<>> break_tags{"br", "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "hr"};
    std::string lower;
    for (char c : name) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    if (inline_tags.count(lower)) return 1;
    if (break_tags.count(lower)) return 2;
    return 0;
}

// A title's own tags taken out; every other < and > made text again (&lt; &gt;), so that
// decoding it as HTML keeps them, and no element (a « <script> » in a title is words)
// swallows what follows.
std::string escape_all_but_title_tags(std::string_view s) {
    auto is_alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
    auto is_alnum = [&](char c) { return is_alpha(c) || (c >= '0' && c <= '9'); };
    std::string out, folded;
    struct closing_tag {
        std::size_t searched_from = std::string::npos, at = std::string::npos;
    };
    std::map<std::string, closing_tag> closing;
    out.reserve(s.size() + 16);
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c == '>') {
            out += "&gt;";
            continue;
        }
        if (c != '<') {
            out += c;
            continue;
        }
        std::size_t j = i + 1;
        if (j < s.size() && s[j] == '/') ++j;
        std::size_t name_start = j;
        if (j < s.size() && is_alpha(s[j]))
            while (j < s.size() && is_alnum(s[j])) ++j;
        std::string_view name = s.substr(name_start, j - name_start);
        bool ends_name = j < s.size() && (s[j] == '>' || s[j] == '/' || s[j] == ' ' || s[j] == '\t' || s[j] == '\n' || s[j] == '\r');
        std::size_t close = name.empty() || !ends_name ? std::string_view::npos : s.find_first_of("<>", j);
        if (close != std::string_view::npos && s[close] != '>') close = std::string_view::npos;
        // Attributes are name="value": « <b et b> » (from « a<b et b>c ») is words.
        if (close != std::string_view::npos) {
            auto attrs = s.substr(j, close - j);
            if (attrs.find_first_not_of(" \t\r\n/") != std::string_view::npos && attrs.find('=') == std::string_view::npos)
                close = std::string_view::npos;
        }
        // A whole <script> or <style> element, closing tag included, goes with its content
        // (that is markup); one never closed is words (« Item avec <script> dans le titre »).
        if (close != std::string_view::npos && s[i + 1] != '/') {
            std::string lower;
            for (char ch : name) lower += static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
            if (lower == "script" || lower == "style" || lower == "noscript" || lower == "template") {
                // Searched in the lower-cased title once per name and position: a title
                // of many unclosed tags stays linear.
                if (folded.empty()) {
                    folded.reserve(s.size());
                    for (char ch : s) folded += static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
                }
                auto& found = closing[lower];
                if (found.searched_from == std::string::npos || found.searched_from > close ||
                    (found.at != std::string::npos && found.at < close)) {
                    found.at = folded.find("</" + lower, close);
                    found.searched_from = close;
                }
                auto gt = found.at == std::string::npos ? std::string::npos : folded.find('>', found.at);
                if (gt != std::string::npos) {
                    i = gt;
                    continue;
                }
            }
        }
        int kind = close != std::string_view::npos && close - i <= 2000 ? title_tag_kind(name) : 0;
        if (kind == 0) {
            out += "&lt;";
            continue;
        }
        if (kind == 2) out += ' ';
        i = close;
    }
    return out;
}

}  // namespace

std::string plain_title(std::string_view s) {
    // Titles often carry escaped markup ("&lt;b&gt;") or double-escaped entities
    // ("&amp;eacute;"): decoded once more as HTML when they look like it — the title's own
    // tags taken out, any other < kept as text.
    s = s.substr(0, max_title_chars * 16);  // no need to parse megabytes for 1,000 characters
    if (s.find('<') != std::string_view::npos || s.find('&') != std::string_view::npos)
        return html_to_text(escape_all_but_title_tags(s), max_title_chars * 4 + 64);
    return collapse_whitespace(s);  // which replaces ill-formed UTF-8 too
}

bool finish_item(raw_item&& raw, const parse_options& o, warnings& w, feed_item& out) {
    out = feed_item{};
    out.title = std::move(raw.title);
    if (truncate_utf8_chars(out.title, max_title_chars)) w.add("Titre trop long tronqué à 1 000 caractères.");
    out.guid = collapse_whitespace(raw.guid);  // which replaces ill-formed UTF-8 too
    truncate_utf8_bytes(out.guid, max_guid_bytes);
    out.link = safe_url(raw.base, raw.link);
    if (out.link.empty() && raw.guid_is_permalink) out.link = safe_url(raw.base, out.guid);
    out.author = bounded_plain(raw.author, 300);

    sanitize_options so;
    so.base_url = raw.base;
    so.images = o.images;
    so.image_proxy_prefix = o.image_proxy_prefix;
    so.image_proxy_key = o.image_proxy_key;
    so.known_valid_utf8 = true;  // read by libxml2 or nlohmann/json, both of which validate
    // The text for search comes from the content, or the summary when there is none: read
    // in the same parse as the one sanitised, and only for the one used.
    sanitize_options content_so = so;
    if (!raw.content_base.empty()) content_so.base_url = raw.content_base;
    out.content_html = sanitized(raw.content_src, raw.content_plain, content_so, w, &out.text);
    out.summary_html = sanitized(raw.summary_src, raw.summary_plain, so, w, out.content_html.empty() ? &out.text : nullptr);
    const std::string& body = out.content_html.empty() ? out.summary_html : out.content_html;
    if (truncate_utf8_bytes(out.text, max_text_bytes)) w.add("Texte d'un élément tronqué à 50 ko pour la recherche.");

    if (out.title.empty() && out.link.empty() && out.text.empty() && out.content_html.empty() && out.summary_html.empty()) {
        w.add("Éléments sans titre, lien ni contenu ignorés.");
        return false;
    }

    if (!out.guid.empty()) {
        out.key = out.guid;
        out.key_kind = "guid";
    } else if (!out.link.empty()) {
        out.key = out.link;
        out.key_kind = "link";
    } else {
        out.key = "sha256:" + sha256_hex(out.title + "\n" + body);
        out.key_kind = "hash";
    }

    out.date_guessed = true;
    out.published = o.fetched_at;
    for (const auto& d : raw.dates) {
        if (d.empty()) continue;
        if (auto t = parse_date(d)) {
            out.published = *t;
            out.date_guessed = false;
            break;
        }
    }
    if (out.date_guessed && std::any_of(raw.dates.begin(), raw.dates.end(), [](const auto& d) { return !d.empty(); }))
        w.add("Dates illisibles remplacées par la date de récupération.");

    for (const auto& c : raw.categories) {
        if (out.categories.size() >= max_categories) break;
        std::string v = bounded_plain(c, 200);
        if (!v.empty() && std::find(out.categories.begin(), out.categories.end(), v) == out.categories.end())
            out.categories.push_back(std::move(v));
    }
    for (auto& e : raw.enclosures) {
        if (out.enclosures.size() >= max_enclosures) break;
        enclosure x;
        x.url = safe_url(raw.base, e.url);
        if (x.url.empty()) continue;
        if (std::any_of(out.enclosures.begin(), out.enclosures.end(), [&](const auto& y) { return y.url == x.url; })) continue;
        x.type = bounded_plain(e.type, 200);
        x.length = std::max<std::int64_t>(0, e.length);
        out.enclosures.push_back(std::move(x));
    }
    return true;
}

void finish_items(std::vector<raw_item>& raws, const parse_options& o, warnings& w, feed& f) {
    std::size_t skipped = 0;
    for (auto& r : raws) {
        if (f.items.size() >= o.max_items) {
            ++skipped;
            continue;
        }
        feed_item item;
        if (finish_item(std::move(r), o, w, item)) f.items.push_back(std::move(item));
    }
    // The parsers stop collecting 1,000 items past the limit: past that, the count is a floor.
    if (skipped)
        w.add((raws.size() >= o.max_items + 1'000 ? "Au moins " : "") + std::to_string(skipped) + " élément(s) au-delà de la limite de " +
              std::to_string(o.max_items) + " ignoré(s).");
}

}  // namespace detail

feed parse_feed(std::string_view body, const parse_options& o) {
    if (body.size() > max_body_bytes) throw parse_error(parse_errors::too_large, "Le flux est trop volumineux (plus de 32 Mo).");
    if (sodium_init() < 0) throw std::runtime_error("sodium_init");
    std::vector<std::string> warning_list;
    detail::warnings w{warning_list};
    std::string text = detail::decode_to_utf8(body, o.charset, true, w);
    std::size_t first = text.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) throw parse_error(parse_errors::unreadable, "Le flux est vide.");
    feed f;
    if (text[first] == '{' || text[first] == '[') {
        f = detail::parse_json_feed(std::string_view(text).substr(first), o, w);
    } else if (detail::looks_like_html(text)) {
        throw parse_error(parse_errors::html_page,
                          "L'adresse mène à une page web, pas à un flux : cherchez le lien RSS ou Atom de la page.");
    } else {
        f = detail::parse_xml_feed(text, o, w);
    }
    for (auto& x : warning_list) x = to_valid_utf8(x);
    f.warnings = std::move(warning_list);
    return f;
}

nlohmann::json to_json(const feed& f) {
    nlohmann::json items = nlohmann::json::array();
    for (const auto& it : f.items) {
        nlohmann::json enclosures = nlohmann::json::array();
        for (const auto& e : it.enclosures) enclosures.push_back({{"url", e.url}, {"type", e.type}, {"length", e.length}});
        items.push_back({{"key", it.key},
                         {"key_kind", it.key_kind},
                         {"guid", it.guid},
                         {"title", it.title},
                         {"link", it.link},
                         {"author", it.author},
                         {"summary_html", it.summary_html},
                         {"content_html", it.content_html},
                         {"text", it.text},
                         {"published", to_iso8601(it.published)},
                         {"date_guessed", it.date_guessed},
                         {"categories", it.categories},
                         {"enclosures", std::move(enclosures)}});
    }
    return {{"format", f.format},     {"title", f.title},       {"link", f.link},           {"description", f.description},
            {"language", f.language}, {"warnings", f.warnings}, {"items", std::move(items)}};
}

}  // namespace relais::watch
