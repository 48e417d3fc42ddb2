// The sanitiser rebuilds HTML from libxml2's HTML parser events: what is not explicitly
// allowed is not written, so there is nothing to escape from (no patching of the input).
#include "watch/sanitize.hpp"

#include "watch/detail.hpp"
#include "watch/text.hpp"
#include "watch/urls.hpp"

#include <sodium.h>

#include <array>
#include <cstring>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace relais::watch {

namespace {

/// Past this depth of nested elements, content is dropped.
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

const tag_info& info_of(std::string_view name) {
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

bool is_void(std::string_view name) { return name == "br" || name == "hr" || name == "img"; }

/// An attribute's value from libxml2's SAX list (name, value, name, value..., null); a
/// boolean attribute (no value) reads as empty.
std::string_view attr_of(const xmlChar** atts, const char* name) {
    if (!atts) return {};
    for (std::size_t i = 0; atts[i]; i += 2)
        if (std::strcmp(reinterpret_cast<const char*>(atts[i]), name) == 0)
            return atts[i + 1] ? std::string_view(reinterpret_cast<const char*>(atts[i + 1])) : std::string_view();
    return {};
}

/// A small positive integer ("2", " 3 "), or empty.
std::string number_attr(std::string_view v) {
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

/// Rebuilds safe HTML from the HTML parser's events (SAX: no tree is built). Elements are
/// dropped with their content, unwrapped (their content kept) or written from the
/// allowlist; what is written is closed from our own stack, so the output is well-formed
/// whatever the input. In text-only mode nothing is written and only the text is kept.
class sanitizer {
public:
    /// `text`, when given, receives the plain text of what is kept (whitespace collapsed, as
    /// html_to_text of the result would read it), up to about text_limit bytes.
    sanitizer(const sanitize_options& o, std::string* text, std::size_t text_limit, bool text_only = false)
        : o_(o), text_(text), text_limit_(text_limit), text_only_(text_only) {
        if (text_) collapser_.emplace(*text_);
    }

    void start(std::string_view name, const xmlChar** atts) {
        if (skip_ > 0 || full_) {
            ++skip_;
            return;
        }
        // The wrapper's <html> and <body> hold the fragment: not elements of it.
        if ((name == "html" && frames_.empty() && !seen_html_) ||
            (name == "body" && !seen_body_ && (frames_.empty() || frames_.back().kind == frame_kind::root))) {
            (name == "html" ? seen_html_ : seen_body_) = true;
            frames_.push_back({frame_kind::root, {}, false});
            return;
        }
        const tag_info& info = info_of(name);
        if (depth_ > max_tree_depth || info.drop) {
            skip_ = 1;
            return;
        }
        ++depth_;
        if (!info.rule || open_ >= o_.max_depth) {
            if (info.block) separator();
            frames_.push_back({frame_kind::unwrapped, {}, info.block});
            return;
        }
        if (name == "img") {
            image(atts);
            frames_.push_back({frame_kind::empty, {}, false});
            return;
        }
        const bool text_block = info.text_block;
        if (text_block) text_space();
        if (text_only_) {
            frames_.push_back({frame_kind::unwrapped, {}, false});
            frames_.back().text_block = text_block;
            return;
        }
        std::string tag = "<";
        tag += name;
        if (name == "a") {
            std::string href = safe_url(o_.base_url, std::string(attr_of(atts, "href")), true);
            if (!href.empty()) tag += " href=\"" + escape_html(href) + "\" rel=\"noopener noreferrer nofollow\"";
        }
        for (const char* a : info.rule->attributes) {
            if (!a || std::strcmp(a, "href") == 0) continue;
            std::string_view raw = attr_of(atts, a);
            if (raw.empty()) continue;
            std::string v;
            if (std::strcmp(a, "cite") == 0) {
                v = safe_url(o_.base_url, std::string(raw));
            } else if (std::strcmp(a, "colspan") == 0 || std::strcmp(a, "rowspan") == 0) {
                v = number_attr(raw);
            } else {
                v = collapse_whitespace(raw);
                truncate_utf8_chars(v, 500);
            }
            if (!v.empty()) tag += std::string(" ") + a + "=\"" + escape_html(v) + "\"";
        }
        tag += '>';
        if (is_void(name)) {
            emit(tag);
            if (text_block) text_space();
            frames_.push_back({frame_kind::empty, {}, false});
            return;
        }
        std::string close = "</";
        close += name;
        close += '>';
        if (!fits(tag.size() + close.size())) {
            full_ = true;
            --depth_;
            skip_ = 1;
            return;
        }
        out_ += tag;
        reserved_ += close.size();
        ++open_;
        frames_.push_back({frame_kind::written, std::move(close), text_block});
    }

    void end() {
        if (skip_ > 0) {
            --skip_;
            return;
        }
        if (frames_.empty()) return;
        close_top();
    }

    void characters(std::string_view s) {
        if (skip_ > 0 || full_ || depth_ > max_tree_depth) return;
        text(s);
    }

    /// Closes what the parser left open, and gives the result.
    std::string finish() && {
        while (!frames_.empty()) close_top();
        return std::move(out_);
    }

    bool truncated() const { return full_; }

private:
    enum class frame_kind { root, unwrapped, written, empty };
    struct frame {
        frame_kind kind;
        std::string close;  // allowed: the closing tag
        bool text_block;    // allowed: a word boundary after; unwrapped: a block boundary after
    };

    void close_top() {
        frame f = std::move(frames_.back());
        frames_.pop_back();
        if (f.kind != frame_kind::root) --depth_;
        if (f.kind == frame_kind::unwrapped) {
            if (f.text_block) text_only_ ? text_space() : separator();
        } else if (f.kind == frame_kind::written) {
            reserved_ -= f.close.size();
            out_ += f.close;
            --open_;
            if (f.text_block) text_space();
        }
    }

    void image(const xmlChar** atts) {
        if (text_only_) return;
        std::string alt = collapse_whitespace(attr_of(atts, "alt"));
        truncate_utf8_chars(alt, 500);
        std::string src =
            o_.images == image_policy::block ? std::string() : safe_url(o_.base_url, std::string(attr_of(atts, "src")));
        if (o_.images == image_policy::proxy)
            src = o_.image_proxy_prefix.empty() || src.empty()
                      ? std::string()
                      : o_.image_proxy_prefix + url_encode_component(src) + "&s=" + image_signature(o_.image_proxy_key, src);
        if (src.empty()) {
            if (!alt.empty()) text("[" + alt + "]");
            return;
        }
        std::string tag = "<img src=\"" + escape_html(src) + "\"";
        if (!alt.empty()) tag += " alt=\"" + escape_html(alt) + "\"";
        for (const char* a : {"width", "height"})
            if (std::string v = number_attr(attr_of(atts, a)); !v.empty()) tag += std::string(" ") + a + "=\"" + v + "\"";
        tag += '>';
        emit(tag);
    }

    void text(std::string_view s) {
        if (text_only_) {
            add_text(s);
            return;
        }
        const std::size_t before = out_.size();
        append_escaped_html(out_, s);
        if (out_.size() + reserved_ <= o_.max_bytes) {
            add_text(s);
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
        add_text(s.substr(0, i));  // the text is cut where the HTML was
    }

    void add_text(std::string_view s) {
        if (text_ && text_->size() < text_limit_) collapser_->add(s.substr(0, text_limit_ - text_->size()));
    }

    void separator() {
        if (!text_only_ && !out_.empty() && out_.back() != '\n' && fits(1)) out_ += '\n';
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
    std::string* text_;
    std::size_t text_limit_;
    bool text_only_;
    std::optional<whitespace_collapser> collapser_;
    std::string out_;
    std::vector<frame> frames_;
    std::size_t reserved_ = 0;  // closing tags still to write
    std::size_t depth_ = 0;     // elements open (the wrapper's excepted)
    std::size_t open_ = 0;      // allowed elements open
    std::size_t skip_ = 0;      // inside a dropped subtree: its elements open
    bool full_ = false;
    bool seen_html_ = false, seen_body_ = false;
};

/// Runs the HTML parser over a fragment with the sanitiser as its event handler.
void parse_fragment(std::string_view html, bool known_valid, sanitizer& s) {
    htmlSAXHandler sax{};
    sax.initialized = 1;
    sax.startElement = [](void* ctx, const xmlChar* name, const xmlChar** atts) {
        static_cast<sanitizer*>(ctx)->start(reinterpret_cast<const char*>(name), atts);
    };
    sax.endElement = [](void* ctx, const xmlChar*) { static_cast<sanitizer*>(ctx)->end(); };
    sax.characters = [](void* ctx, const xmlChar* ch, int len) {
        static_cast<sanitizer*>(ctx)->characters({reinterpret_cast<const char*>(ch), static_cast<std::size_t>(len)});
    };
    sax.cdataBlock = sax.characters;
    detail::parse_html_fragment_sax(html, known_valid, sax, &s);
}

}  // namespace

std::string image_signature(std::string_view key, std::string_view url) {
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(key.data()), key.size());
    crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(url.data()), url.size());
    crypto_auth_hmacsha256_final(&st, mac);
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < 16; ++i) {
        out += hex[mac[i] >> 4];
        out += hex[mac[i] & 15];
    }
    return out;
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
    sanitizer s(o, text, text_max_bytes * 2 + 1024);
    parse_fragment(html, o.known_valid_utf8 && !input_cut, s);
    if (truncated) *truncated = s.truncated() || input_cut;
    if (text) truncate_utf8_bytes(*text, text_max_bytes);
    std::string out = std::move(s).finish();
    // Trim the whitespace the separators left at the ends.
    std::size_t b = out.find_first_not_of(" \n\t");
    if (b == std::string::npos) return {};
    std::size_t e = out.find_last_not_of(" \n\t");
    return out.substr(b, e + 1 - b);
}

std::string html_to_text(std::string_view html, std::size_t max_bytes) {
    if (html.empty()) return {};
    if (max_bytes < html.size() / 8) html = html.substr(0, max_bytes * 8);  // as in sanitize_html
    sanitize_options o;
    std::string out;
    sanitizer s(o, &out, max_bytes * 2 + 1024, true);
    parse_fragment(html, false, s);
    truncate_utf8_bytes(out, max_bytes);
    return out;
}

}  // namespace relais::watch
