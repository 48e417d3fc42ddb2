// The sanitiser rebuilds HTML from libxml2's tree: what is not explicitly allowed is not
// written, so there is nothing to escape from (no patching of the input).
#include "watch/sanitize.hpp"

#include "watch/detail.hpp"
#include "watch/text.hpp"
#include "watch/urls.hpp"

#include <array>
#include <cstring>
#include <optional>
#include <string_view>
#include <unordered_map>

namespace relais::watch {

namespace {

/// Past this depth of the parsed tree, content is dropped (the walk is recursive).
constexpr std::size_t max_tree_depth = 200;

enum class kind { drop, unwrap, allow };

struct element_rule {
    const char* name;
    std::array<const char*, 4> attributes;  // allowed, besides those with a special meaning
};

// The allowlist. href, src and cite are URLs (checked); the others are text or numbers.
constexpr element_rule allowed[] = {
    {"p", {}},
    {"br", {}},
    {"a", {"href", "title"}},
    {"strong", {}},
    {"b", {}},
    {"em", {}},
    {"i", {}},
    {"u", {}},
    {"s", {}},
    {"sub", {}},
    {"sup", {}},
    {"ul", {}},
    {"ol", {}},
    {"li", {}},
    {"blockquote", {"cite"}},
    {"pre", {}},
    {"code", {}},
    {"h1", {}},
    {"h2", {}},
    {"h3", {}},
    {"h4", {}},
    {"h5", {}},
    {"h6", {}},
    {"hr", {}},
    {"table", {}},
    {"thead", {}},
    {"tbody", {}},
    {"tfoot", {}},
    {"tr", {}},
    {"th", {"colspan", "rowspan"}},
    {"td", {"colspan", "rowspan"}},
    {"caption", {}},
    {"dl", {}},
    {"dt", {}},
    {"dd", {}},
    {"figure", {}},
    {"figcaption", {}},
    {"img", {"src", "alt", "width", "height"}},
    {"abbr", {"title"}},
    {"q", {"cite"}},
    {"span", {}},
    {"del", {}},
    {"ins", {}},
};

// Dropped with everything inside. "head" holds the wrapper's own <meta>.
constexpr const char* dropped[] = {"script", "style",    "iframe", "object", "embed",  "form",     "input",
                                   "button", "textarea", "select", "svg",    "math",   "template", "noscript",
                                   "link",   "meta",     "base",   "head",   "frame",  "frameset", "applet",
                                   "audio",  "video",    "canvas", "dialog", "portal", "title",    "option"};

// Unwrapped elements that separate blocks of text.
constexpr const char* blocks[] = {"div", "section", "article", "header",  "footer",  "main", "aside",
                                  "nav", "center",  "address", "details", "summary", "body", "html"};

/// What the sanitiser and the text reader know of an element, looked up once per element.
struct tag_info {
    bool drop = false;                    ///< dropped with its content
    const element_rule* rule = nullptr;   ///< allowed
    bool block = false;                   ///< unwrapped, but separates blocks
    bool text_block = false;              ///< separates words in plain text
};

const tag_info& info_of(const char* name) {
    static const auto table = [] {
        static constexpr const char* text_blocks[] = {"p",  "br", "li", "ul", "ol",     "blockquote", "pre",    "h1",
                                                      "h2", "h3", "h4", "h5", "h6",     "hr",         "table",  "tr",
                                                      "td", "th", "dt", "dd", "figure", "figcaption", "caption"};
        std::unordered_map<std::string_view, tag_info> t;
        for (const char* x : dropped) t[x].drop = true;
        for (const auto& r : allowed) t[r.name].rule = &r;
        for (const char* x : blocks) t[x].block = t[x].text_block = true;
        for (const char* x : text_blocks) t[x].text_block = true;
        return t;
    }();
    static const tag_info none;
    auto it = table.find(name);
    return it == table.end() ? none : it->second;
}

bool is_void(const char* name) {
    return std::strcmp(name, "br") == 0 || std::strcmp(name, "hr") == 0 || std::strcmp(name, "img") == 0;
}

const char* name_of(const xmlNode* n) { return reinterpret_cast<const char*>(n->name); }

std::string get(const xmlNode* n, const char* attr) {
    xmlChar* v = xmlGetProp(n, BAD_CAST attr);
    if (!v) return {};
    std::string out(reinterpret_cast<const char*>(v));
    xmlFree(v);
    return out;
}

/// A small positive integer ("2", " 3 "), or empty.
std::string number_attr(const std::string& v) {
    std::string digits;
    for (char c : v) {
        if (c >= '0' && c <= '9')
            digits += c;
        else if (c != ' ')
            return {};
    }
    if (digits.empty() || digits.size() > 4) return {};
    return digits;
}

class sanitizer {
public:
    /// `text`, when given, receives the plain text of what is kept (as html_to_text of the
    /// result would read it, before collapsing), up to text_limit bytes.
    sanitizer(const sanitize_options& o, std::string* text, std::size_t text_limit)
        : o_(o), text_(text), text_limit_(text_limit) {
        if (text_) collapser_.emplace(*text_);
    }

    void walk(const xmlNode* parent, std::size_t tree_depth, std::size_t open) {
        if (tree_depth > max_tree_depth) return;
        for (const xmlNode* n = parent->children; n; n = n->next) {
            if (full_) return;
            if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
                text(reinterpret_cast<const char*>(n->content));
            } else if (n->type == XML_ELEMENT_NODE) {
                element(n, tree_depth, open);
            }
        }
    }

    std::string result() && { return std::move(out_); }
    bool truncated() const { return full_; }

private:
    void element(const xmlNode* n, std::size_t tree_depth, std::size_t open) {
        const char* name = name_of(n);
        const tag_info& info = info_of(name);
        if (info.drop) return;
        const element_rule* rule = info.rule;
        if (!rule || open >= o_.max_depth) {
            bool block = info.block;
            if (block) separator();
            walk(n, tree_depth + 1, open);
            if (block) separator();
            return;
        }
        if (std::strcmp(name, "img") == 0) return image(n);
        const bool text_block = text_ && info.text_block;
        if (text_block) text_space();
        std::string tag = "<";
        tag += name;
        if (std::strcmp(name, "a") == 0) {
            std::string href = safe_url(o_.base_url, get(n, "href"), true);
            if (!href.empty()) tag += " href=\"" + escape_html(href) + "\" rel=\"noopener noreferrer nofollow\"";
        }
        for (const char* a : rule->attributes) {
            if (!a || std::strcmp(a, "href") == 0) continue;
            std::string v = get(n, a);
            if (v.empty()) continue;
            if (std::strcmp(a, "cite") == 0)
                v = safe_url(o_.base_url, v);
            else if (std::strcmp(a, "colspan") == 0 || std::strcmp(a, "rowspan") == 0)
                v = number_attr(v);
            else {
                v = collapse_whitespace(v);
                truncate_utf8_chars(v, 500);
            }
            if (!v.empty()) tag += std::string(" ") + a + "=\"" + escape_html(v) + "\"";
        }
        tag += '>';
        if (is_void(name)) {
            emit(tag);
            if (text_block) text_space();
            return;
        }
        std::string close = std::string("</") + name + ">";
        if (!fits(tag.size() + close.size())) {
            full_ = true;
            return;
        }
        out_ += tag;
        reserved_ += close.size();
        walk(n, tree_depth + 1, open + 1);
        reserved_ -= close.size();
        out_ += close;
        if (text_block) text_space();
    }

    void image(const xmlNode* n) {
        std::string alt = collapse_whitespace(get(n, "alt"));
        truncate_utf8_chars(alt, 500);
        std::string src = o_.images == image_policy::block ? std::string() : safe_url(o_.base_url, get(n, "src"));
        if (o_.images == image_policy::proxy)
            src =
                o_.image_proxy_prefix.empty() || src.empty() ? std::string() : o_.image_proxy_prefix + url_encode_component(src);
        if (src.empty()) {
            if (!alt.empty()) text("[" + alt + "]");
            return;
        }
        std::string tag = "<img src=\"" + escape_html(src) + "\"";
        if (!alt.empty()) tag += " alt=\"" + escape_html(alt) + "\"";
        for (const char* a : {"width", "height"})
            if (std::string v = number_attr(get(n, a)); !v.empty()) tag += std::string(" ") + a + "=\"" + v + "\"";
        tag += '>';
        emit(tag);
    }

    void text(std::string_view s) {
        const std::size_t before = out_.size();
        append_escaped_html(out_, s);
        if (out_.size() + reserved_ <= o_.max_bytes) {
            if (text_ && text_->size() < text_limit_) collapser_->add(s.substr(0, text_limit_ - text_->size()));
            return;
        }
        out_.resize(before);
        // Whole characters (so whole entities) while they fit.
        std::size_t room = o_.max_bytes - out_.size() - reserved_;
        std::string cut;
        std::size_t i = 0;
        while (i < s.size()) {
            auto c = static_cast<unsigned char>(s[i]);
            std::size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
            std::string piece = escape_html(s.substr(i, len));
            if (cut.size() + piece.size() > room) break;
            cut += piece;
            i += len;
        }
        out_ += cut;
        full_ = true;
        // The text is cut where the HTML was.
        if (text_ && text_->size() < text_limit_) collapser_->add(s.substr(0, std::min(i, text_limit_ - text_->size())));
    }

    void separator() {
        if (!out_.empty() && out_.back() != '\n' && fits(1)) out_ += '\n';
        text_space();
    }

    void text_space() {
        if (text_) collapser_->space();
    }

    void emit(const std::string& s) {
        if (!fits(s.size())) {
            full_ = true;
            return;
        }
        out_ += s;
    }

    bool fits(std::size_t n) const { return out_.size() + reserved_ + n <= o_.max_bytes; }

    const sanitize_options& o_;
    std::string* text_;  // collapsed as it is read
    std::size_t text_limit_;
    std::optional<whitespace_collapser> collapser_;
    std::string out_;
    std::size_t reserved_ = 0;  // closing tags still to write
    bool full_ = false;
};

void collect_text(const xmlNode* parent, std::size_t depth, std::string& out, std::size_t limit) {
    if (depth > max_tree_depth) return;
    for (const xmlNode* n = parent->children; n && out.size() < limit; n = n->next) {
        if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
            if (n->content) out += reinterpret_cast<const char*>(n->content);
        } else if (n->type == XML_ELEMENT_NODE) {
            const char* name = name_of(n);
            const tag_info& info = info_of(name);
            if (info.drop) continue;
            bool block = info.text_block;
            if (block) out += ' ';
            collect_text(n, depth + 1, out, limit);
            if (block) out += ' ';
        }
    }
}

}  // namespace

std::string escape_html(std::string_view s) {
    std::string out;
    out.reserve(s.size() + s.size() / 8);
    append_escaped_html(out, s);
    return out;
}

void append_escaped_html(std::string& out, std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        // Ordinary characters are copied a run at a time.
        static constexpr auto plain = [] {
            std::array<bool, 256> t{};
            for (int c = 0x20; c < 256; ++c) t[static_cast<std::size_t>(c)] = true;
            t['\n'] = t['\t'] = true;
            t['&'] = t['<'] = t['>'] = t['"'] = t['\''] = false;
            return t;
        }();
        std::size_t j = i;
        while (j < s.size() && plain[static_cast<unsigned char>(s[j])]) ++j;
        out.append(s.data() + i, j - i);
        if (j == s.size()) break;
        switch (s[j]) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&#39;";
                break;
            case '\r':
                out += '\n';
                break;
            default:
                break;  // other C0 controls are dropped
        }
        i = j + 1;
    }
}

std::string text_to_html(std::string_view plain, std::size_t max_bytes, bool* truncated, std::string* text,
                         std::size_t text_max_bytes) {
    if (truncated) *truncated = false;
    std::string valid = to_valid_utf8(plain.substr(0, std::max(max_bytes, text_max_bytes) * 2 + 1024));
    std::string out = escape_html(valid);
    if (out.size() > max_bytes) {
        // Back to the last whole character, then to before an entity cut in two.
        truncate_utf8_bytes(out, max_bytes);
        if (auto amp = out.rfind('&'); amp != std::string::npos && out.find(';', amp) == std::string::npos) out.resize(amp);
        if (truncated) *truncated = true;
    }
    if (text) {
        *text = collapse_whitespace(valid);
        truncate_utf8_bytes(*text, text_max_bytes);
    }
    std::size_t b = out.find_first_not_of(" \n\t");
    if (b == std::string::npos) return {};
    std::size_t e = out.find_last_not_of(" \n\t");
    return out.substr(b, e + 1 - b);
}

std::string sanitize_html(std::string_view html, const sanitize_options& o, bool* truncated, std::string* text,
                          std::size_t text_max_bytes) {
    if (truncated) *truncated = false;
    if (text) text->clear();
    if (html.empty()) return {};
    // Text without markup or references needs no parser.
    if (html.size() <= o.max_bytes && html.find_first_of("<&") == std::string_view::npos) {
        bool cut = false;
        std::string out = text_to_html(html, o.max_bytes, &cut, text, text_max_bytes);
        if (!cut) return out;  // else escaping made it too long: cut by the parser's path
    }
    // Markup rarely weighs more than 8 times the text it carries: beyond that, the input is
    // cut before parsing (the HTML parser recovers from the cut).
    bool input_cut = false;
    if (o.max_bytes < html.size() / 8) {
        html = html.substr(0, o.max_bytes * 8);
        input_cut = true;
    }
    auto doc = detail::read_html_fragment(html, o.known_valid_utf8 && !input_cut);
    if (!doc) return {};
    const xmlNode* root = detail::html_fragment_root(doc.get());
    if (!root) return {};
    sanitizer s(o, text, text_max_bytes * 2 + 1024);
    s.walk(root, 0, 0);
    if (truncated) *truncated = s.truncated() || input_cut;
    if (text) {
        truncate_utf8_bytes(*text, text_max_bytes);
    }
    std::string out = std::move(s).result();
    // Trim the whitespace the wrapper or the separators left at the ends.
    std::size_t b = out.find_first_not_of(" \n\t");
    if (b == std::string::npos) return {};
    std::size_t e = out.find_last_not_of(" \n\t");
    return out.substr(b, e + 1 - b);
}

std::string html_to_text(std::string_view html, std::size_t max_bytes) {
    if (html.empty()) return {};
    if (max_bytes < html.size() / 8) html = html.substr(0, max_bytes * 8);  // as in sanitize_html
    auto doc = detail::read_html_fragment(html);
    if (!doc) return {};
    const xmlNode* root = detail::html_fragment_root(doc.get());
    if (!root) return {};
    std::string raw;
    collect_text(root, 0, raw, max_bytes * 2 + 1024);
    std::string out = collapse_whitespace(raw);
    truncate_utf8_bytes(out, max_bytes);
    return out;
}

}  // namespace relais::watch
