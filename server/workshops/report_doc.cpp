#include "workshops/report_doc.hpp"

#include "common/markup.hpp"

#include <zip.h>

#include <cctype>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace relais::workshops::doc {
namespace {

block make(block::kind k) {
    block b;
    b.k = k;
    return b;
}

std::string trim(const std::string& s) {
    auto b = s.find_first_not_of(" \t");
    if (b == std::string::npos) return {};
    auto e = s.find_last_not_of(" \t");
    return s.substr(b, e - b + 1);
}

// **bold** (a lone ** left open closes at the end of the line); a backslash before a
// punctuation character keeps that character.
line inline_spans(const std::string& text) {
    line out;
    span cur;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text.compare(i, 2, "**") == 0) {
            if (!cur.text.empty()) out.push_back(cur);
            cur = span{{}, !cur.bold};
            ++i;
        } else if (text[i] == '\\' && i + 1 < text.size() && std::ispunct(static_cast<unsigned char>(text[i + 1]))) {
            cur.text += text[++i];
        } else {
            cur.text += text[i];
        }
    }
    if (!cur.text.empty()) out.push_back(cur);
    return out;
}

}  // namespace

std::vector<block> parse(const std::string& markdown) {
    std::vector<block> out;
    std::istringstream in(markdown);
    std::string raw;
    // A paragraph or list item that the next plain line continues.
    bool open_text = false;
    for (; std::getline(in, raw);) {
        if (!raw.empty() && raw.back() == '\r') raw.pop_back();
        std::string t = trim(raw);
        if (t.empty()) {
            open_text = false;
            continue;
        }
        if (t[0] == '|') {
            open_text = false;
            // The separator line under the header (|---|:--:|).
            if (t.find_first_not_of("|-: ") == std::string::npos) continue;
            std::vector<line> cells;
            std::string cell;
            std::size_t end = t.size();
            if (end > 1 && t[end - 1] == '|' && t[end - 2] != '\\') --end;
            for (std::size_t i = 1; i < end; ++i) {
                if (t[i] == '\\' && i + 1 < end && t[i + 1] == '|') {
                    cell += "\\|";
                    ++i;
                } else if (t[i] == '|') {
                    cells.push_back(inline_spans(trim(cell)));
                    cell.clear();
                } else {
                    cell += t[i];
                }
            }
            cells.push_back(inline_spans(trim(cell)));
            if (out.empty() || out.back().k != block::kind::table) out.push_back(make(block::kind::table));
            out.back().rows.push_back(std::move(cells));
            continue;
        }
        if (t[0] == '#') {
            std::size_t level = t.find_first_not_of('#');
            if (level != std::string::npos && level <= 6 && t[level] == ' ') {
                open_text = false;
                block b = make(block::kind::heading);
                b.level = static_cast<int>(level);
                b.text = inline_spans(trim(t.substr(level + 1)));
                out.push_back(std::move(b));
                continue;
            }
        }
        std::size_t indent = raw.find_first_not_of(" \t");
        int depth = indent >= 2 ? 2 : 1;
        if ((t[0] == '-' || t[0] == '*' || t[0] == '+') && t.size() > 1 && t[1] == ' ' && t.compare(0, 3, "***") != 0) {
            block b = make(block::kind::bullet);
            b.level = depth;
            b.text = inline_spans(trim(t.substr(2)));
            out.push_back(std::move(b));
            open_text = true;
            continue;
        }
        if (std::isdigit(static_cast<unsigned char>(t[0]))) {
            std::size_t d = t.find_first_not_of("0123456789");
            if (d != std::string::npos && d <= 6 && (t[d] == '.' || t[d] == ')') && d + 1 < t.size() && t[d + 1] == ' ') {
                block b = make(block::kind::number);
                b.level = depth;
                b.number = std::stoi(t.substr(0, d));
                b.text = inline_spans(trim(t.substr(d + 2)));
                out.push_back(std::move(b));
                open_text = true;
                continue;
            }
        }
        if (open_text && !out.empty() && out.back().k != block::kind::table && out.back().k != block::kind::heading) {
            auto more = inline_spans(t);
            out.back().text.push_back(span{" ", false});
            out.back().text.insert(out.back().text.end(), more.begin(), more.end());
            continue;
        }
        block b = make(block::kind::paragraph);
        b.text = inline_spans(t);
        out.push_back(std::move(b));
        open_text = true;
    }
    return out;
}

// ---- HTML ----------------------------------------------------------------------------

namespace {


std::string html_line(const line& l) {
    std::string out;
    for (const auto& sp : l)
        out += sp.bold ? "<strong>" + escape_html(sp.text) + "</strong>" : escape_html(sp.text);
    return out;
}

bool is_item(const block& b) { return b.k == block::kind::bullet || b.k == block::kind::number; }

}  // namespace

std::string html(const std::string& title, const std::string& markdown) {
    std::ostringstream h;
    h << "<!doctype html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\">"
      << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>" << escape_html(title)
      << "</title><link rel=\"stylesheet\" href=\"/css/report.css\"></head><body><main>\n";
    // Open lists, outermost first ("ul" or "ol"); each has an open <li>.
    std::vector<std::string> lists;
    auto close_to = [&](std::size_t depth) {
        while (lists.size() > depth) {
            h << "</li>\n</" << lists.back() << ">\n";
            lists.pop_back();
        }
    };
    for (const auto& b : parse(markdown)) {
        if (!is_item(b)) close_to(0);
        switch (b.k) {
            case block::kind::heading:
                h << "<h" << b.level << ">" << html_line(b.text) << "</h" << b.level << ">\n";
                break;
            case block::kind::paragraph:
                h << "<p>" << html_line(b.text) << "</p>\n";
                break;
            case block::kind::table: {
                h << "<table>\n";
                std::size_t cols = 0;
                for (const auto& r : b.rows) cols = std::max(cols, r.size());
                for (std::size_t i = 0; i < b.rows.size(); ++i) {
                    h << "<tr>";
                    for (std::size_t c = 0; c < cols; ++c) {
                        std::string cell = c < b.rows[i].size() ? html_line(b.rows[i][c]) : "";
                        h << (i == 0 ? "<th scope=\"col\">" : "<td>") << cell << (i == 0 ? "</th>" : "</td>");
                    }
                    h << "</tr>\n";
                }
                h << "</table>\n";
                break;
            }
            case block::kind::bullet:
            case block::kind::number: {
                std::string type = b.k == block::kind::bullet ? "ul" : "ol";
                // A depth-2 item with no open parent opens at depth 1.
                std::size_t depth = std::min<std::size_t>(static_cast<std::size_t>(b.level), lists.size() + 1);
                close_to(depth);
                if (lists.size() == depth && lists.back() != type) close_to(depth - 1);
                if (lists.size() < depth) {
                    h << (lists.empty() ? "" : "\n") << "<" << type;
                    if (type == "ol" && b.number != 1) h << " start=\"" << b.number << "\"";
                    h << ">\n";
                    lists.push_back(type);
                } else {
                    h << "</li>\n";
                }
                h << "<li>" << html_line(b.text);
                break;
            }
        }
    }
    close_to(0);
    h << "</main></body></html>\n";
    return h.str();
}

// ---- ODT -----------------------------------------------------------------------------

namespace {

// XML text: escaped (common/markup.hpp), tabs and line breaks as ODF elements.
std::string xml(const std::string& s) {
    std::string out;
    std::size_t from = 0;
    for (std::size_t i = 0; i <= s.size(); ++i) {
        if (i < s.size() && s[i] != '\t' && s[i] != '\n' && s[i] != '\r') continue;
        append_escaped_html(out, std::string_view(s).substr(from, i - from));
        if (i < s.size()) {
            if (s[i] == '\t') out += "<text:tab/>";
            else if (s[i] == '\n') out += "<text:line-break/>";
        }
        from = i + 1;
    }
    return out;
}

std::string odt_line(const line& l) {
    std::string out;
    for (const auto& sp : l)
        out += sp.bold ? "<text:span text:style-name=\"Strong_20_Emphasis\">" + xml(sp.text) + "</text:span>" : xml(sp.text);
    return out;
}

constexpr const char* ns =
    " xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\""
    " xmlns:style=\"urn:oasis:names:tc:opendocument:xmlns:style:1.0\""
    " xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\""
    " xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\""
    " xmlns:fo=\"urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0\""
    " xmlns:svg=\"urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0\""
    " xmlns:dc=\"http://purl.org/dc/elements/1.1/\""
    " xmlns:meta=\"urn:oasis:names:tc:opendocument:xmlns:meta:1.0\"";

const std::string styles_xml = std::string("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<office:document-styles") + ns +
    " office:version=\"1.3\">"
    "<office:font-face-decls><style:font-face style:name=\"DejaVu Sans\" svg:font-family=\"'DejaVu Sans'\" "
    "style:font-family-generic=\"swiss\" style:font-pitch=\"variable\"/></office:font-face-decls>"
    "<office:styles>"
    "<style:default-style style:family=\"paragraph\"><style:paragraph-properties fo:margin-top=\"0cm\" "
    "fo:margin-bottom=\"0.2cm\"/><style:text-properties style:font-name=\"DejaVu Sans\" fo:font-size=\"10.5pt\" "
    "fo:language=\"fr\" fo:country=\"FR\" fo:color=\"#1b1f23\"/></style:default-style>"
    "<style:default-style style:family=\"table-cell\"><style:table-cell-properties fo:padding=\"0.1cm\"/></style:default-style>"
    "<style:style style:name=\"Standard\" style:family=\"paragraph\" style:class=\"text\"/>"
    "<style:style style:name=\"Text_20_body\" style:display-name=\"Text body\" style:family=\"paragraph\" "
    "style:parent-style-name=\"Standard\" style:class=\"text\"><style:paragraph-properties fo:margin-top=\"0cm\" "
    "fo:margin-bottom=\"0.2cm\" fo:line-height=\"125%\"/></style:style>"
    "<style:style style:name=\"List_20_Paragraph\" style:display-name=\"List Paragraph\" style:family=\"paragraph\" "
    "style:parent-style-name=\"Text_20_body\" style:class=\"list\"><style:paragraph-properties fo:margin-bottom=\"0.1cm\"/></style:style>"
    "<style:style style:name=\"Heading\" style:family=\"paragraph\" style:parent-style-name=\"Standard\" "
    "style:next-style-name=\"Text_20_body\" style:class=\"text\"><style:paragraph-properties fo:margin-top=\"0.45cm\" "
    "fo:margin-bottom=\"0.2cm\" fo:keep-with-next=\"always\"/><style:text-properties fo:font-weight=\"bold\" "
    "fo:color=\"#0b4f4c\"/></style:style>"
    "<style:style style:name=\"Heading_20_1\" style:display-name=\"Heading 1\" style:family=\"paragraph\" "
    "style:parent-style-name=\"Heading\" style:default-outline-level=\"1\" style:class=\"text\"><style:text-properties "
    "fo:font-size=\"18pt\" fo:color=\"#1b1f23\"/></style:style>"
    "<style:style style:name=\"Heading_20_2\" style:display-name=\"Heading 2\" style:family=\"paragraph\" "
    "style:parent-style-name=\"Heading\" style:default-outline-level=\"2\" style:class=\"text\"><style:text-properties "
    "fo:font-size=\"14pt\"/></style:style>"
    "<style:style style:name=\"Heading_20_3\" style:display-name=\"Heading 3\" style:family=\"paragraph\" "
    "style:parent-style-name=\"Heading\" style:default-outline-level=\"3\" style:class=\"text\"><style:text-properties "
    "fo:font-size=\"12pt\" fo:color=\"#1b1f23\"/></style:style>"
    "<style:style style:name=\"Heading_20_4\" style:display-name=\"Heading 4\" style:family=\"paragraph\" "
    "style:parent-style-name=\"Heading\" style:default-outline-level=\"4\" style:class=\"text\"><style:text-properties "
    "fo:font-size=\"11pt\" fo:color=\"#1b1f23\"/></style:style>"
    "<style:style style:name=\"Table_20_Contents\" style:display-name=\"Table Contents\" style:family=\"paragraph\" "
    "style:parent-style-name=\"Standard\" style:class=\"extra\"><style:paragraph-properties fo:margin-bottom=\"0cm\"/></style:style>"
    "<style:style style:name=\"Table_20_Heading\" style:display-name=\"Table Heading\" style:family=\"paragraph\" "
    "style:parent-style-name=\"Table_20_Contents\" style:class=\"extra\"><style:text-properties fo:font-weight=\"bold\"/></style:style>"
    "<style:style style:name=\"Strong_20_Emphasis\" style:display-name=\"Strong Emphasis\" style:family=\"text\">"
    "<style:text-properties fo:font-weight=\"bold\"/></style:style>"
    "</office:styles>"
    "<office:automatic-styles><style:page-layout style:name=\"pm1\"><style:page-layout-properties fo:page-width=\"21cm\" "
    "fo:page-height=\"29.7cm\" style:print-orientation=\"portrait\" fo:margin-top=\"2cm\" fo:margin-bottom=\"2cm\" "
    "fo:margin-left=\"2cm\" fo:margin-right=\"2cm\"/></style:page-layout></office:automatic-styles>"
    "<office:master-styles><style:master-page style:name=\"Standard\" style:page-layout-name=\"pm1\"/></office:master-styles>"
    "</office:document-styles>\n";

std::string list_level(const char* kind, int level, const char* extra) {
    std::string indent = level == 1 ? "0.635cm" : "1.27cm";
    return std::string("<text:list-level-style-") + kind + " text:level=\"" + std::to_string(level) + "\" " + extra +
           "><style:list-level-properties text:list-level-position-and-space-mode=\"label-alignment\">"
           "<style:list-level-label-alignment text:label-followed-by=\"listtab\" text:list-tab-stop-position=\"" +
           indent + "\" fo:text-indent=\"-0.635cm\" fo:margin-left=\"" + indent +
           "\"/></style:list-level-properties></text:list-level-style-" + kind + ">";
}

const std::string content_styles =
    "<office:automatic-styles>"
    "<text:list-style style:name=\"L1\">" + list_level("bullet", 1, "text:bullet-char=\"•\"") +
    list_level("bullet", 2, "text:bullet-char=\"◦\"") + "</text:list-style>"
    "<text:list-style style:name=\"L2\">" + list_level("number", 1, "style:num-suffix=\".\" style:num-format=\"1\"") +
    list_level("number", 2, "style:num-suffix=\".\" style:num-format=\"1\"") + "</text:list-style>"
    "<style:style style:name=\"Tbl\" style:family=\"table\"><style:table-properties style:width=\"17cm\" "
    "table:align=\"margins\" fo:margin-top=\"0.2cm\" fo:margin-bottom=\"0.3cm\"/></style:style>"
    "<style:style style:name=\"TblHead\" style:family=\"table-cell\"><style:table-cell-properties "
    "fo:background-color=\"#e8f1f0\" fo:padding=\"0.1cm\" fo:border=\"0.5pt solid #8a949e\"/></style:style>"
    "<style:style style:name=\"TblCell\" style:family=\"table-cell\"><style:table-cell-properties "
    "fo:padding=\"0.1cm\" fo:border=\"0.5pt solid #8a949e\"/></style:style>"
    "</office:automatic-styles>";

struct zip_discarder {
    void operator()(zip_t* z) const { zip_discard(z); }
};

// Writes entries (name, bytes; the first stored uncompressed) into a zip in memory.
std::string zip_in_memory(const std::vector<std::pair<std::string, std::string>>& entries) {
    zip_error_t err;
    zip_error_init(&err);
    zip_source_t* out = zip_source_buffer_create(nullptr, 0, 0, &err);
    if (!out) throw std::runtime_error("zip: no memory source");
    zip_source_keep(out);
    zip_t* raw = zip_open_from_source(out, ZIP_TRUNCATE, &err);
    zip_error_fini(&err);
    if (!raw) {
        zip_source_free(out);
        throw std::runtime_error("zip: cannot open");
    }
    std::unique_ptr<zip_t, zip_discarder> z(raw);
    bool first = true;
    for (const auto& [name, bytes] : entries) {
        zip_source_t* s = zip_source_buffer(z.get(), bytes.data(), bytes.size(), 0);
        zip_int64_t idx = s ? zip_file_add(z.get(), name.c_str(), s, ZIP_FL_ENC_UTF_8) : -1;
        if (idx < 0) {
            if (s) zip_source_free(s);
            z.reset();
            zip_source_free(out);
            throw std::runtime_error("zip: cannot add " + name);
        }
        zip_set_file_compression(z.get(), static_cast<zip_uint64_t>(idx), first ? ZIP_CM_STORE : ZIP_CM_DEFLATE, 0);
        first = false;
    }
    if (zip_close(z.get()) != 0) {
        z.reset();
        zip_source_free(out);
        throw std::runtime_error("zip: cannot write");
    }
    (void)z.release();
    std::string result;
    if (zip_source_open(out) == 0) {
        zip_source_seek(out, 0, SEEK_END);
        auto size = zip_source_tell(out);
        zip_source_seek(out, 0, SEEK_SET);
        if (size > 0) {
            result.resize(static_cast<std::size_t>(size));
            auto n = zip_source_read(out, result.data(), static_cast<zip_uint64_t>(size));
            result.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
        }
        zip_source_close(out);
    }
    zip_source_free(out);
    if (result.empty()) throw std::runtime_error("zip: empty");
    return result;
}

}  // namespace

std::string odt(const std::string& title, const std::string& markdown) {
    std::ostringstream c;
    c << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<office:document-content" << ns << " office:version=\"1.3\">"
      << content_styles << "<office:body><office:text>";
    // Open lists as in html(): their kinds, outermost first; each has an open item.
    std::vector<block::kind> lists;
    auto close_to = [&](std::size_t depth) {
        while (lists.size() > depth) {
            c << "</text:list-item></text:list>";
            lists.pop_back();
        }
    };
    int tables = 0;
    for (const auto& b : parse(markdown)) {
        if (!is_item(b)) close_to(0);
        switch (b.k) {
            case block::kind::heading: {
                int level = std::min(b.level, 4);
                c << "<text:h text:style-name=\"Heading_20_" << level << "\" text:outline-level=\"" << b.level << "\">"
                  << odt_line(b.text) << "</text:h>";
                break;
            }
            case block::kind::paragraph:
                c << "<text:p text:style-name=\"Text_20_body\">" << odt_line(b.text) << "</text:p>";
                break;
            case block::kind::table: {
                std::size_t cols = 0;
                for (const auto& r : b.rows) cols = std::max(cols, r.size());
                c << "<table:table table:name=\"Tableau" << ++tables << "\" table:style-name=\"Tbl\">"
                  << "<table:table-column table:number-columns-repeated=\"" << cols << "\"/>";
                for (std::size_t i = 0; i < b.rows.size(); ++i) {
                    if (i == 0) c << "<table:table-header-rows>";
                    c << "<table:table-row>";
                    for (std::size_t k = 0; k < cols; ++k) {
                        c << "<table:table-cell table:style-name=\"" << (i == 0 ? "TblHead" : "TblCell")
                          << "\" office:value-type=\"string\"><text:p text:style-name=\""
                          << (i == 0 ? "Table_20_Heading" : "Table_20_Contents") << "\">"
                          << (k < b.rows[i].size() ? odt_line(b.rows[i][k]) : "") << "</text:p></table:table-cell>";
                    }
                    c << "</table:table-row>";
                    if (i == 0) c << "</table:table-header-rows>";
                }
                c << "</table:table>";
                break;
            }
            case block::kind::bullet:
            case block::kind::number: {
                std::size_t depth = std::min<std::size_t>(static_cast<std::size_t>(b.level), lists.size() + 1);
                close_to(depth);
                if (lists.size() == depth && lists.back() != b.k) close_to(depth - 1);
                bool start = lists.size() < depth;
                if (start) {
                    // A nested list sits inside its parent's item, after the item's paragraph.
                    c << "<text:list" << (lists.empty() ? std::string(" text:style-name=\"") + (b.k == block::kind::bullet ? "L1" : "L2") + "\"" : "")
                      << ">";
                    lists.push_back(b.k);
                } else {
                    c << "</text:list-item>";
                }
                c << "<text:list-item";
                if (start && b.k == block::kind::number && b.number != 1) c << " text:start-value=\"" << b.number << "\"";
                c << "><text:p text:style-name=\"List_20_Paragraph\">" << odt_line(b.text) << "</text:p>";
                break;
            }
        }
    }
    close_to(0);
    c << "</office:text></office:body></office:document-content>\n";

    std::string meta = std::string("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<office:document-meta") + ns +
                       " office:version=\"1.3\"><office:meta><meta:generator>Relais</meta:generator><dc:title>" + xml(title) +
                       "</dc:title><dc:language>fr-FR</dc:language></office:meta></office:document-meta>\n";
    std::string manifest =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<manifest:manifest xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\" manifest:version=\"1.3\">"
        "<manifest:file-entry manifest:full-path=\"/\" manifest:version=\"1.3\" "
        "manifest:media-type=\"application/vnd.oasis.opendocument.text\"/>"
        "<manifest:file-entry manifest:full-path=\"content.xml\" manifest:media-type=\"text/xml\"/>"
        "<manifest:file-entry manifest:full-path=\"styles.xml\" manifest:media-type=\"text/xml\"/>"
        "<manifest:file-entry manifest:full-path=\"meta.xml\" manifest:media-type=\"text/xml\"/>"
        "</manifest:manifest>\n";
    return zip_in_memory({{"mimetype", "application/vnd.oasis.opendocument.text"},
                          {"META-INF/manifest.xml", manifest},
                          {"content.xml", c.str()},
                          {"styles.xml", styles_xml},
                          {"meta.xml", meta}});
}

}  // namespace relais::workshops::doc
