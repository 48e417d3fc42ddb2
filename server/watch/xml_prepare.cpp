// A lexical pass over the XML before libxml2 sees it. It fixes what a recovering parser
// handles badly or dangerously, and tracks just enough structure (tags, quotes, comments,
// CDATA) to do so; it builds no tree.
#include "watch/detail.hpp"

#include <libxml/HTMLparser.h>

#include <vector>

namespace relais::watch::detail {

namespace {

bool is_name_start(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || c >= 0x80;
}
bool is_name_char(unsigned char c) { return is_name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.'; }
bool is_xml_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool valid_xml_char(unsigned long cp) {
    return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) || (cp >= 0xE000 && cp <= 0xFFFD) ||
           (cp >= 0x10000 && cp <= 0x10FFFF);
}

class preparer {
public:
    preparer(std::string_view s, warnings& w) : s_(s), w_(w) { out_.reserve(s.size() + s.size() / 16 + 64); }

    std::string run() {
        // Whitespace before the XML declaration is a fatal error for libxml2 (seen in many
        // WordPress feeds whose theme echoes a blank line first).
        while (i_ < s_.size() && is_xml_space(s_[i_])) ++i_;
        // Text before the XML declaration: PHP notices and warnings printed by the CMS
        // ("<br />\n<b>Warning</b>: ..."), a classic of WordPress and SPIP sites.
        if (!at("<?xml")) {
            auto decl = s_.substr(0, 8192).find("<?xml ");
            if (decl != std::string_view::npos) {
                w_.add("Contenu parasite avant le début du flux ignoré.");
                i_ = decl;
            }
        }
        out_ = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
        if (s_.substr(i_, 5) == "<?xml" && i_ + 5 < s_.size() && (is_xml_space(s_[i_ + 5]) || s_[i_ + 5] == '?')) {
            auto end = s_.find("?>", i_);
            i_ = end == std::string_view::npos ? s_.size() : end + 2;
        }
        while (i_ < s_.size()) {
            char c = s_[i_];
            if (c == '<')
                markup();
            else if (c == '&')
                entity();
            else if (s_.substr(i_, 3) == "]]>") {
                out_ += "]]&gt;";  // a CDATA end outside CDATA
                i_ += 3;
            } else
                character();
        }
        if (dropped_chars_) w_.add("Caractères invalides en XML supprimés.");
        return std::move(out_);
    }

private:
    bool at(std::string_view lit) const { return s_.substr(i_, lit.size()) == lit; }

    /// Copies one UTF-8 character, dropping those XML forbids (C0 controls, U+FFFE/U+FFFF).
    void character() {
        // A run of ordinary characters (printable ASCII and UTF-8 other than U+FFFE/U+FFFF's
        // lead byte) in one copy.
        std::size_t j = i_;
        while (j < s_.size()) {
            auto b = static_cast<unsigned char>(s_[j]);
            if ((b < 0x20 && b != '\t' && b != '\n' && b != '\r') || b == '<' || b == '&' || b == ']' || b == 0xEF) break;
            ++j;
        }
        if (j > i_) {
            out_.append(s_.data() + i_, j - i_);
            i_ = j;
            return;
        }
        auto c = static_cast<unsigned char>(s_[i_]);
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
            ++i_;
            ++dropped_chars_;
            return;
        }
        if (c == 0xEF && (at("\xEF\xBF\xBE") || at("\xEF\xBF\xBF"))) {
            i_ += 3;
            ++dropped_chars_;
            return;
        }
        out_ += static_cast<char>(c);
        ++i_;
    }

    /// An entity or character reference, or a bare '&'. Named entities other than XML's five
    /// become character references when HTML knows them (&eacute; &nbsp; &rsquo;...), or text.
    void entity() {
        std::size_t j = i_ + 1;
        if (j < s_.size() && s_[j] == '#') {
            ++j;
            bool hex = j < s_.size() && (s_[j] == 'x' || s_[j] == 'X');
            if (hex) ++j;
            unsigned long cp = 0;
            std::size_t digits = 0;
            while (j < s_.size() && digits < 8) {
                char d = s_[j];
                int v = d >= '0' && d <= '9'          ? d - '0'
                        : hex && d >= 'a' && d <= 'f' ? d - 'a' + 10
                        : hex && d >= 'A' && d <= 'F' ? d - 'A' + 10
                                                      : -1;
                if (v < 0) break;
                cp = cp * (hex ? 16 : 10) + static_cast<unsigned long>(v);
                ++digits;
                ++j;
            }
            if (digits > 0 && j < s_.size() && s_[j] == ';') {
                if (valid_xml_char(cp))
                    out_.append(s_.substr(i_, j + 1 - i_));
                else
                    ++dropped_chars_;
                i_ = j + 1;
                return;
            }
            out_ += "&amp;";
            ++i_;
            return;
        }
        std::size_t start = j;
        while (j < s_.size() && j - start < 32 &&
               ((s_[j] >= 'a' && s_[j] <= 'z') || (s_[j] >= 'A' && s_[j] <= 'Z') || (j > start && s_[j] >= '0' && s_[j] <= '9')))
            ++j;
        if (j > start && j < s_.size() && s_[j] == ';') {
            std::string name(s_.substr(start, j - start));
            if (name == "amp" || name == "lt" || name == "gt" || name == "quot" || name == "apos") {
                out_.append(s_.substr(i_, j + 1 - i_));
            } else if (const htmlEntityDesc* e = htmlEntityLookup(BAD_CAST name.c_str())) {
                out_ += "&#" + std::to_string(e->value) + ";";
            } else {
                // Declared in a DOCTYPE we removed, or unknown: kept as text, never expanded.
                out_ += "&amp;";
                out_.append(name);
                out_ += ';';
                if (!unknown_entity_warned_) {
                    w_.add("Entités inconnues laissées telles quelles (&" + name.substr(0, 32) + ";).");
                    unknown_entity_warned_ = true;
                }
            }
            i_ = j + 1;
            return;
        }
        out_ += "&amp;";
        ++i_;
    }

    void markup() {
        if (at("<!--")) {
            auto e = s_.find("-->", i_ + 4);
            if (e == std::string_view::npos) {
                i_ = s_.size();  // a truncated comment: the rest is dropped
                return;
            }
            out_.append(s_.substr(i_, e + 3 - i_));
            i_ = e + 3;
        } else if (at("<![CDATA[")) {
            cdata();
        } else if (s_.size() - i_ >= 9 && (s_.substr(i_, 9) == "<!DOCTYPE" || s_.substr(i_, 9) == "<!doctype")) {
            doctype();
        } else if (at("<!")) {
            auto e = s_.find('>', i_);  // another declaration (<!ENTITY outside a DOCTYPE...)
            i_ = e == std::string_view::npos ? s_.size() : e + 1;
        } else if (at("<?")) {
            auto e = s_.find("?>", i_);
            if (e == std::string_view::npos) {
                i_ = s_.size();
                return;
            }
            out_.append(s_.substr(i_, e + 2 - i_));
            i_ = e + 2;
        } else if (i_ + 1 < s_.size() && s_[i_ + 1] == '/') {
            end_tag();
        } else if (i_ + 1 < s_.size() && is_name_start(static_cast<unsigned char>(s_[i_ + 1]))) {
            start_tag();
        } else {
            out_ += "&lt;";  // "a < b" in text
            ++i_;
        }
    }

    void cdata() {
        auto e = s_.find("]]>", i_ + 9);
        // The end tag of the enclosing element before "]]>": the section was never closed
        // and the "]]>" found belongs to a later one (what a summary cut at a fixed length,
        // "]]>" included, looks like).
        std::size_t close_at = std::string_view::npos;
        if (!open_.empty()) {
            std::string close = "</" + std::string(open_.back()) + ">";
            // Only up to the "]]>" found: the whole pass stays linear.
            close_at = s_.substr(0, e == std::string_view::npos ? s_.size() : e).find(close, i_ + 9);
        }
        if (e != std::string_view::npos && (close_at == std::string_view::npos || e < close_at)) {
            out_.append(s_.substr(i_, e + 3 - i_));
            i_ = e + 3;
            return;
        }
        // Unterminated: close it before its element's end tag if there is one.
        w_.add("Section CDATA non terminée, refermée.");
        if (close_at != std::string_view::npos) {
            out_.append(s_.substr(i_, close_at - i_));
            out_ += "]]>";
            i_ = close_at;
            return;
        }
        out_.append(s_.substr(i_));
        out_ += "]]>";
        i_ = s_.size();
    }

    /// Drops the whole DOCTYPE, internal subset included: no entity can be declared, so none
    /// can be expanded (billion laughs) or loaded (XXE).
    void doctype() {
        std::size_t j = i_ + 9;
        bool subset = false, entities = false;
        while (j < s_.size()) {
            char c = s_[j];
            if (c == '"' || c == '\'') {
                auto e = s_.find(c, j + 1);
                j = e == std::string_view::npos ? s_.size() : e + 1;
            } else if (subset && s_.substr(j, 4) == "<!--") {
                auto e = s_.find("-->", j + 4);
                j = e == std::string_view::npos ? s_.size() : e + 3;
            } else if (c == '[') {
                subset = true;
                ++j;
            } else if (c == ']') {
                subset = false;
                ++j;
            } else if (c == '>' && !subset) {
                ++j;
                break;
            } else {
                if (subset && s_.substr(j, 8) == "<!ENTITY") entities = true;
                ++j;
            }
        }
        if (entities) w_.add("Le flux déclare des entités XML : elles ont été ignorées (DOCTYPE supprimé).");
        i_ = j;
    }

    void end_tag() {
        std::size_t j = i_ + 2;
        while (j < s_.size() && is_name_char(static_cast<unsigned char>(s_[j]))) ++j;
        std::string_view name = s_.substr(i_ + 2, j - i_ - 2);
        auto e = s_.find('>', j);
        if (e == std::string_view::npos) {
            i_ = s_.size();  // truncated inside the tag
            return;
        }
        // Pop up to the matching start tag, if it is near the top.
        for (std::size_t k = open_.size(), n = 0; k > 0 && n < 8; --k, ++n) {
            if (open_[k - 1] == name) {
                open_.resize(k - 1);
                break;
            }
        }
        out_ += "</";
        out_.append(name);
        out_ += '>';
        i_ = e + 1;
    }

    void start_tag() {
        std::size_t j = i_ + 1;
        while (j < s_.size() && is_name_char(static_cast<unsigned char>(s_[j]))) ++j;
        std::string_view name = s_.substr(i_ + 1, j - i_ - 1);
        std::string tag = "<";
        tag.append(name);
        char quote = 0;
        bool self_closing = false;
        for (;;) {
            if (j >= s_.size()) {
                i_ = s_.size();  // truncated inside the tag: dropped
                return;
            }
            char c = s_[j];
            if (quote) {
                if (c == quote) {
                    quote = 0;
                    tag += c;
                    ++j;
                } else if (c == '&') {
                    std::swap(out_, tag);  // reuse entity() on the attribute value
                    std::size_t saved = i_;
                    i_ = j;
                    entity();
                    j = i_;
                    i_ = saved;
                    std::swap(out_, tag);
                } else if (c == '<' && j + 1 < s_.size() &&
                           (s_[j + 1] == '/' || is_name_start(static_cast<unsigned char>(s_[j + 1])))) {
                    // A quote left open (url="x length=1/>): the next tag starts here. The
                    // element is closed at once: those are empty ones (enclosure, link...).
                    tag += quote;
                    tag += "/>";
                    self_closing = true;
                    break;
                } else if (c == '<') {
                    tag += "&lt;";
                    ++j;
                } else if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') {
                    ++j;
                } else {
                    tag += c;
                    ++j;
                }
                continue;
            }
            if (c == '"' || c == '\'') {
                quote = c;
            } else if (c == '>') {
                self_closing = j > 0 && s_[j - 1] == '/';
                tag += c;
                ++j;
                break;
            } else if (c == '<') {
                // A tag that never closed ("<item<title>"): end it here.
                tag += '>';
                break;
            }
            tag += c;
            ++j;
        }
        out_ += tag;
        if (!self_closing && open_.size() < 256) open_.push_back(name);
        i_ = j;
    }

    std::string_view s_;
    warnings& w_;
    std::string out_;
    std::size_t i_ = 0;
    std::vector<std::string_view> open_;
    std::size_t dropped_chars_ = 0;
    bool unknown_entity_warned_ = false;
};

}  // namespace

std::string prepare_xml(std::string_view utf8, warnings& w) { return preparer(utf8, w).run(); }

}  // namespace relais::watch::detail
