#include "library/extract.hpp"

#include "library/errors.hpp"
#include "library/images.hpp"
#include "common/utf8.hpp"

#include <expat.h>
#include <xapian.h>
#include <poppler/cpp/poppler-document.h>
#include <poppler/cpp/poppler-global.h>
#include <poppler/cpp/poppler-image.h>
#include <poppler/cpp/poppler-page-renderer.h>
#include <poppler/cpp/poppler-page.h>
#include <zip.h>

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <regex>

namespace relais::library {
namespace {


// Poppler reports damaged files on stderr; the caller gets the error instead.
void quiet_poppler() {
    static std::once_flag once;
    std::call_once(once, [] { poppler::set_debug_error_function([](const std::string&, void*) {}, nullptr); });
}

std::string pdf_text(std::string_view bytes, const extract_limits& lim) {
    quiet_poppler();
    if (bytes.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) throw api_error(errors::file_too_large);
    std::unique_ptr<poppler::document> doc(
        poppler::document::load_from_raw_data(bytes.data(), static_cast<int>(bytes.size())));
    if (!doc) throw api_error(errors::file_corrupt);
    if (doc->is_locked()) throw api_error(errors::file_encrypted);
    std::string text;
    int pages = std::min(doc->pages(), lim.max_pdf_pages);
    for (int i = 0; i < pages && text.size() < lim.max_text_bytes; ++i) {
        std::unique_ptr<poppler::page> page(doc->create_page(i));
        if (!page) continue;
        auto utf8 = page->text().to_utf8();
        text.append(utf8.begin(), utf8.end());
        text += "\n\n";
    }
    return text;
}

// ---- zipped XML (DOCX, ODT) ----

struct zip_closer {
    void operator()(zip_t* z) const { zip_discard(z); }
};
struct zip_file_closer {
    void operator()(zip_file_t* f) const { zip_fclose(f); }
};
using zip_ptr = std::unique_ptr<zip_t, zip_closer>;

zip_ptr open_zip(std::string_view bytes) {
    zip_error_t err;
    zip_error_init(&err);
    zip_source_t* src = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &err);
    if (!src) {
        zip_error_fini(&err);
        throw api_error(errors::file_corrupt);
    }
    zip_t* z = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &err);
    zip_error_fini(&err);
    if (!z) {
        zip_source_free(src);
        throw api_error(errors::file_corrupt);
    }
    return zip_ptr(z);
}

bool has_entry(zip_t* z, const char* name) { return zip_name_locate(z, name, 0) >= 0; }

/// Inflates one entry, refusing more than the limits allow whatever the header says.
std::string read_entry(zip_t* z, const char* name, const extract_limits& lim) {
    auto index = zip_name_locate(z, name, 0);
    if (index < 0) throw api_error(errors::file_corrupt);
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(z, static_cast<zip_uint64_t>(index), 0, &st) != 0) throw api_error(errors::file_corrupt);
    if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE) throw api_error(errors::file_encrypted);
    std::size_t allowed = lim.max_unzipped_bytes;
    if (st.valid & ZIP_STAT_COMP_SIZE) allowed = std::min<std::size_t>(allowed, std::max<std::size_t>(st.comp_size * lim.max_ratio, 1 << 20));
    if ((st.valid & ZIP_STAT_SIZE) && st.size > allowed) throw api_error(errors::file_bomb);
    std::unique_ptr<zip_file_t, zip_file_closer> f(zip_fopen_index(z, static_cast<zip_uint64_t>(index), 0));
    if (!f) throw api_error(errors::file_corrupt);
    std::string out;
    char buf[64 * 1024];
    for (;;) {
        auto n = zip_fread(f.get(), buf, sizeof buf);
        if (n < 0) throw api_error(errors::file_corrupt);
        if (n == 0) break;
        out.append(buf, static_cast<std::size_t>(n));
        if (out.size() > allowed) throw api_error(errors::file_bomb);
    }
    return out;
}

// Collects the text of paragraphs from WordprocessingML or OpenDocument XML.
struct xml_text {
    enum class dialect { docx, odt } kind;
    std::size_t max_bytes;
    std::string text;
    int in_text = 0;  // depth inside w:t, or inside text:p / text:h
    XML_Parser parser = nullptr;
    bool had_dtd = false;
    // Real documents nest a few dozen levels and hold far fewer elements than this;
    // beyond, the file is built to exhaust memory (expat keeps every open element).
    static constexpr int max_depth = 256;
    static constexpr std::size_t max_elements = 4'000'000;
    int depth = 0;
    std::size_t elements = 0;
    bool too_deep = false;

    static std::string_view local(const XML_Char* name) { return name; }

    // Every append is bounded; at the limit the parser stops (the text is long enough).
    void add(std::string_view piece) {
        if (text.size() + piece.size() > max_bytes) {
            text.append(piece.substr(0, max_bytes - std::min(max_bytes, text.size())));
            XML_StopParser(parser, XML_FALSE);
            return;
        }
        text.append(piece);
    }
    void add(char c, std::size_t n = 1) {
        if (text.size() + n > max_bytes) {
            XML_StopParser(parser, XML_FALSE);
            return;
        }
        text.append(n, c);
    }
    // Word and OpenDocument files never declare a DTD; one means entities, hence
    // amplification: refused.
    static void on_doctype(void* self, const XML_Char*, const XML_Char*, const XML_Char*, int) {
        auto& x = *static_cast<xml_text*>(self);
        x.had_dtd = true;
        XML_StopParser(x.parser, XML_FALSE);
    }

    static void on_start(void* self, const XML_Char* name, const XML_Char** attrs) {
        auto& x = *static_cast<xml_text*>(self);
        if (++x.depth > max_depth || ++x.elements > max_elements) {
            x.too_deep = true;
            XML_StopParser(x.parser, XML_FALSE);
            return;
        }
        auto n = local(name);
        if (x.kind == dialect::docx) {
            if (n == "w:t") ++x.in_text;
            else if (n == "w:tab") x.add('\t');
            else if (n == "w:br" || n == "w:cr") x.add('\n');
        } else {
            if (n == "text:p" || n == "text:h") ++x.in_text;
            else if (x.in_text && n == "text:tab") x.add('\t');
            else if (x.in_text && n == "text:line-break") x.add('\n');
            else if (x.in_text && n == "text:s") {
                int count = 1;
                for (auto a = attrs; a && *a; a += 2)
                    if (std::string_view(a[0]) == "text:c") count = std::clamp(std::atoi(a[1]), 1, 100);
                x.add(' ', static_cast<std::size_t>(count));
            }
        }
    }
    static void on_end(void* self, const XML_Char* name) {
        auto& x = *static_cast<xml_text*>(self);
        --x.depth;
        auto n = local(name);
        if (x.kind == dialect::docx) {
            if (n == "w:t" && x.in_text) --x.in_text;
            else if (n == "w:p") x.add('\n');
        } else if ((n == "text:p" || n == "text:h") && x.in_text) {
            --x.in_text;
            x.add('\n');
        }
    }
    static void on_chars(void* self, const XML_Char* s, int len) {
        auto& x = *static_cast<xml_text*>(self);
        if (x.in_text) x.add(std::string_view(s, static_cast<std::size_t>(len)));
    }
};

std::string xml_paragraphs(const std::string& xml, xml_text::dialect kind, const extract_limits& lim) {
    xml_text state{kind, lim.max_text_bytes, {}, 0, nullptr, false, 0, 0, false};
    std::unique_ptr<std::remove_pointer_t<XML_Parser>, decltype(&XML_ParserFree)> parser(XML_ParserCreate("UTF-8"),
                                                                                       &XML_ParserFree);
    if (!parser) throw std::bad_alloc();
    state.parser = parser.get();
    XML_SetUserData(parser.get(), &state);
    XML_SetStartDoctypeDeclHandler(parser.get(), &xml_text::on_doctype);
    XML_SetElementHandler(parser.get(), &xml_text::on_start, &xml_text::on_end);
    XML_SetCharacterDataHandler(parser.get(), &xml_text::on_chars);
    // Expat never fetches external entities; entity expansion is bounded by its
    // billion-laughs protection (on by default since 2.4).
    if (xml.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) throw api_error(errors::file_bomb);
    auto status = XML_Parse(parser.get(), xml.data(), static_cast<int>(xml.size()), 1);
    if (state.had_dtd) throw api_error(errors::file_bomb);
    if (state.too_deep) throw api_error(errors::file_too_complex);
    // Stopped at the text limit: what was read is kept.
    if (status != XML_STATUS_OK && XML_GetErrorCode(parser.get()) != XML_ERROR_ABORTED) throw api_error(errors::file_corrupt);
    return state.text;
}

// ---- slides and grids (PPTX, XLSX, ODP, ODS) ----

// Every entry read from one archive counts against one budget: a file of many
// moderately large parts is as much a bomb as one huge part.
struct zip_reader {
    zip_t* z;
    const extract_limits& lim;
    std::size_t used = 0;

    std::string read(const std::string& name) {
        auto s = read_entry(z, name.c_str(), lim);
        used += s.size();
        if (used > lim.max_unzipped_bytes) throw api_error(errors::file_bomb);
        return s;
    }
    bool has(const std::string& name) const { return has_entry(z, name.c_str()); }
    std::vector<std::string> names() const {
        std::vector<std::string> out;
        auto n = zip_get_num_entries(z, 0);
        for (zip_int64_t i = 0; i < n && i < 100000; ++i)
            if (const char* nm = zip_get_name(z, static_cast<zip_uint64_t>(i), 0)) out.emplace_back(nm);
        return out;
    }
};

std::string_view local_name(std::string_view qname) {
    auto colon = qname.find(':');
    return colon == std::string_view::npos ? qname : qname.substr(colon + 1);
}

const char* attr(const XML_Char** attrs, std::string_view local) {
    for (auto a = attrs; a && *a; a += 2)
        if (local_name(a[0]) == local) return a[1];
    return nullptr;
}

/// Walks one XML part with the protections of xml_paragraphs (no DTD, bounded depth and
/// element count); H has on_start(local, attrs), on_end(local), on_chars(text) and a
/// `bool full` that stops the walk when set (the text is long enough).
template <class H>
void walk_xml(const std::string& xml, H& h) {
    struct state {
        H& h;
        XML_Parser parser = nullptr;
        int depth = 0;
        std::size_t elements = 0;
        bool had_dtd = false, too_deep = false;
        void check() {
            if (h.full) XML_StopParser(parser, XML_FALSE);
        }
    } st{h};
    std::unique_ptr<std::remove_pointer_t<XML_Parser>, decltype(&XML_ParserFree)> parser(XML_ParserCreate("UTF-8"), &XML_ParserFree);
    if (!parser) throw std::bad_alloc();
    st.parser = parser.get();
    XML_SetUserData(parser.get(), &st);
    XML_SetStartDoctypeDeclHandler(parser.get(), [](void* self, const XML_Char*, const XML_Char*, const XML_Char*, int) {
        auto& s = *static_cast<state*>(self);
        s.had_dtd = true;
        XML_StopParser(s.parser, XML_FALSE);
    });
    XML_SetElementHandler(
        parser.get(),
        [](void* self, const XML_Char* name, const XML_Char** attrs) {
            auto& s = *static_cast<state*>(self);
            if (++s.depth > xml_text::max_depth || ++s.elements > xml_text::max_elements) {
                s.too_deep = true;
                XML_StopParser(s.parser, XML_FALSE);
                return;
            }
            s.h.on_start(local_name(name), attrs);
            s.check();
        },
        [](void* self, const XML_Char* name) {
            auto& s = *static_cast<state*>(self);
            --s.depth;
            s.h.on_end(local_name(name));
            s.check();
        });
    XML_SetCharacterDataHandler(parser.get(), [](void* self, const XML_Char* text, int len) {
        auto& s = *static_cast<state*>(self);
        s.h.on_chars(std::string_view(text, static_cast<std::size_t>(len)));
        s.check();
    });
    if (xml.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) throw api_error(errors::file_bomb);
    auto status = XML_Parse(parser.get(), xml.data(), static_cast<int>(xml.size()), 1);
    if (st.had_dtd) throw api_error(errors::file_bomb);
    if (st.too_deep) throw api_error(errors::file_too_complex);
    if (status != XML_STATUS_OK && XML_GetErrorCode(parser.get()) != XML_ERROR_ABORTED) throw api_error(errors::file_corrupt);
}

/// Text bounded by the limit; `full` once reached.
struct text_sink {
    std::size_t max;
    std::string text;
    bool full = false;
    void add(std::string_view s) {
        if (full) return;
        if (text.size() + s.size() > max) {
            text.append(s.substr(0, max - std::min(max, text.size())));
            full = true;
            return;
        }
        text.append(s);
    }
};

/// Outline entries: whitespace collapsed, at most 200 bytes each (cut on a code point).
void add_outline(std::vector<std::string>& outline, std::string_view raw, const extract_limits& lim) {
    if (outline.size() >= lim.max_outline) return;
    std::string s;
    for (char c : raw) {
        bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
        if (space) {
            if (!s.empty() && s.back() != ' ') s += ' ';
        } else s += c;
    }
    while (!s.empty() && s.back() == ' ') s.pop_back();
    if (s.size() > 200) {
        std::size_t cut = 200;
        while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
        s.resize(cut);
    }
    if (!s.empty()) outline.push_back(std::move(s));
}

/// What the zip holds, by its own entries (the extension is checked against this).
std::string zip_kind(zip_reader& zr) {
    if (zr.has("mimetype")) {
        auto m = zr.read("mimetype");
        if (m.rfind("application/vnd.oasis.opendocument.text", 0) == 0) return "odt";
        if (m.rfind("application/vnd.oasis.opendocument.presentation", 0) == 0) return "odp";
        if (m.rfind("application/vnd.oasis.opendocument.spreadsheet", 0) == 0) return "ods";
        return "other";
    }
    if (zr.has("word/document.xml")) return "docx";
    if (zr.has("ppt/presentation.xml")) return "pptx";
    if (zr.has("xl/workbook.xml")) return "xlsx";
    return "other";
}

// A part name relative to a folder ("slides/slide1.xml" from "ppt/"), or absolute ("/ppt/...").
std::string resolve_part(const std::string& folder, std::string target) {
    if (!target.empty() && target[0] == '/') return target.substr(1);
    std::string base = folder;
    while (target.rfind("../", 0) == 0) {
        target.erase(0, 3);
        if (!base.empty()) base.pop_back();
        auto slash = base.rfind('/');
        base = slash == std::string::npos ? std::string() : base.substr(0, slash + 1);
    }
    return base + target;
}

/// Slide parts in presentation order (presentation.xml's list and its relationships),
/// or by their number when those cannot be read.
std::vector<std::string> pptx_slide_order(zip_reader& zr) {
    struct ids_h {
        std::vector<std::string> ids;
        bool full = false;
        void on_start(std::string_view n, const XML_Char** a) {
            if (n != "sldId") return;
            for (auto p = a; p && *p; p += 2)
                if (std::string_view(p[0]).size() > 3 && std::string_view(p[0]).substr(std::string_view(p[0]).size() - 3) == ":id")
                    ids.emplace_back(p[1]);
        }
        void on_end(std::string_view) {}
        void on_chars(std::string_view) {}
    } ids;
    struct rels_h {
        std::map<std::string, std::string> targets;
        bool full = false;
        void on_start(std::string_view n, const XML_Char** a) {
            if (n != "Relationship") return;
            auto id = attr(a, "Id");
            auto target = attr(a, "Target");
            if (id && target) targets[id] = target;
        }
        void on_end(std::string_view) {}
        void on_chars(std::string_view) {}
    } rels;
    std::vector<std::string> order;
    if (zr.has("ppt/_rels/presentation.xml.rels")) {
        walk_xml(zr.read("ppt/presentation.xml"), ids);
        walk_xml(zr.read("ppt/_rels/presentation.xml.rels"), rels);
        for (const auto& id : ids.ids)
            if (auto t = rels.targets.find(id); t != rels.targets.end()) {
                auto part = resolve_part("ppt/", t->second);
                if (zr.has(part)) order.push_back(part);
            }
    }
    if (!order.empty()) return order;
    std::vector<std::pair<long, std::string>> numbered;
    for (auto& n : zr.names()) {
        static const std::regex slide("^ppt/slides/slide([0-9]{1,6})\\.xml$");
        std::smatch m;
        if (std::regex_match(n, m, slide)) numbered.emplace_back(std::stol(m[1]), n);
    }
    std::sort(numbered.begin(), numbered.end());
    for (auto& [k, n] : numbered) order.push_back(n);
    return order;
}

void pptx_extract(zip_reader& zr, const extract_limits& lim, extracted& out) {
    text_sink sink{lim.max_text_bytes, {}};
    auto slides = pptx_slide_order(zr);
    out.pages = static_cast<int>(slides.size());
    int number = 0;
    for (const auto& part : slides) {
        ++number;
        // One paragraph per text block (shape), its lines kept; the title shape names the slide.
        struct slide_h {
            text_sink& sink;
            bool full = false;
            int shape_depth = 0;
            bool title_shape = false;
            std::string block{}, title{}, first{};
            bool in_t = false;
            void on_start(std::string_view n, const XML_Char** a) {
                if (n == "sp") {
                    if (shape_depth++ == 0) {
                        title_shape = false;
                        block.clear();
                    }
                } else if (n == "ph" && shape_depth) {
                    auto type = attr(a, "type");
                    if (type && (std::string_view(type) == "title" || std::string_view(type) == "ctrTitle")) title_shape = true;
                } else if (n == "t") in_t = true;
                else if (n == "br") block += '\n';
            }
            void on_end(std::string_view n) {
                if (n == "t") in_t = false;
                else if (n == "p" && shape_depth && !block.empty() && block.back() != '\n') block += '\n';
                else if (n == "sp" && shape_depth && --shape_depth == 0) {
                    if (block.find_first_not_of(" \n\t") == std::string::npos) return;
                    if (title_shape && title.empty()) title = block;
                    if (first.empty()) first = block;
                    sink.add(block);
                    sink.add("\n");
                    full = sink.full;
                }
            }
            void on_chars(std::string_view s) {
                if (in_t && shape_depth) block.append(s.substr(0, sink.max));
            }
        } h{sink};
        walk_xml(zr.read(part), h);
        auto name = !h.title.empty() ? h.title : h.first;
        if (name.empty()) name = "Diapositive " + std::to_string(number);
        add_outline(out.outline, name, lim);
        if (sink.full) break;
    }
    out.text = std::move(sink.text);
}

void xlsx_extract(zip_reader& zr, const extract_limits& lim, extracted& out) {
    text_sink sink{lim.max_text_bytes, {}};
    struct workbook_h {
        std::vector<std::string> names;
        bool full = false;
        void on_start(std::string_view n, const XML_Char** a) {
            if (n == "sheet")
                if (auto nm = attr(a, "name")) names.emplace_back(nm);
        }
        void on_end(std::string_view) {}
        void on_chars(std::string_view) {}
    } wb;
    walk_xml(zr.read("xl/workbook.xml"), wb);
    for (const auto& n : wb.names) {
        add_outline(out.outline, n, lim);
        sink.add(n);
        sink.add("\n");
    }
    sink.add("\n");
    // Shared strings: one line per string; phonetic runs (rPh) are not text.
    struct strings_h {
        text_sink& sink;
        bool full = false;
        int phonetic = 0;
        bool in_t = false;
        void on_start(std::string_view n, const XML_Char**) {
            if (n == "rPh") ++phonetic;
            else if (n == "t") in_t = true;
        }
        void on_end(std::string_view n) {
            if (n == "rPh") --phonetic;
            else if (n == "t") in_t = false;
            else if (n == "si") {
                sink.add("\n");
                full = sink.full;
            }
        }
        void on_chars(std::string_view s) {
            if (in_t && !phonetic) {
                sink.add(s);
                full = sink.full;
            }
        }
    };
    if (zr.has("xl/sharedStrings.xml")) {
        strings_h h{sink};
        walk_xml(zr.read("xl/sharedStrings.xml"), h);
    }
    // Inline strings of the sheets (cells t="inlineStr"; their text is in is/t).
    struct sheet_h {
        text_sink& sink;
        bool full = false;
        bool inline_cell = false, in_t = false;
        void on_start(std::string_view n, const XML_Char** a) {
            if (n == "c") {
                auto t = attr(a, "t");
                inline_cell = t && std::string_view(t) == "inlineStr";
            } else if (n == "t" && inline_cell) in_t = true;
        }
        void on_end(std::string_view n) {
            if (n == "t") in_t = false;
            else if (n == "c" && inline_cell) {
                inline_cell = false;
                sink.add("\n");
                full = sink.full;
            }
        }
        void on_chars(std::string_view s) {
            if (in_t) {
                sink.add(s);
                full = sink.full;
            }
        }
    };
    static const std::regex sheet("^xl/worksheets/[^/]{1,200}\\.xml$");
    for (const auto& n : zr.names()) {
        if (sink.full) break;
        if (!std::regex_match(n, sheet)) continue;
        sheet_h h{sink};
        walk_xml(zr.read(n), h);
    }
    out.text = std::move(sink.text);
}

/// ODP slide titles (the frame of class "title", else the page's name), ODS table names,
/// ODT headings.
void odf_outline(const std::string& content_xml, const std::string& kind, const extract_limits& lim, extracted& out) {
    struct outline_h {
        const std::string& kind;
        const extract_limits& lim;
        std::vector<std::string>& outline;
        bool full = false;
        int pages = 0;
        std::string page_name{}, title{};
        int title_frame = 0;  // depth inside a title frame
        int heading = 0;
        std::string heading_text{};
        void on_start(std::string_view n, const XML_Char** a) {
            if (kind == "odp" && n == "page") {
                ++pages;
                auto nm = attr(a, "name");
                page_name = nm ? nm : "";
                title.clear();
            } else if (kind == "odp" && n == "frame") {
                auto cls = attr(a, "class");
                if (title_frame) ++title_frame;
                else if (cls && std::string_view(cls) == "title" && title.empty()) title_frame = 1;
            } else if (kind == "odp" && title_frame) {
                ++title_frame;
            } else if (kind == "ods" && n == "table") {
                if (auto nm = attr(a, "name")) add_outline(outline, nm, lim);
            } else if (kind == "odt" && n == "h") {
                ++heading;
                heading_text.clear();
            }
        }
        void on_end(std::string_view n) {
            if (kind == "odp" && title_frame) {
                if (--title_frame == 0 && title.empty()) title = " ";
                if (n == "p" && !title.empty() && title.back() != ' ') title += ' ';
                return;
            }
            if (kind == "odp" && n == "page") {
                auto t = title.find_first_not_of(' ') != std::string::npos ? title : page_name;
                if (t.empty()) t = "Diapositive " + std::to_string(pages);
                add_outline(outline, t, lim);
            } else if (kind == "odt" && n == "h" && heading && --heading == 0) {
                add_outline(outline, heading_text, lim);
            }
        }
        void on_chars(std::string_view s) {
            if (kind == "odp" && title_frame && title.size() < 400) title.append(s);
            else if (kind == "odt" && heading && heading_text.size() < 400) heading_text.append(s);
        }
    } h{kind, lim, out.outline};
    walk_xml(content_xml, h);
    if (kind == "odp") out.pages = h.pages;
}

/// ODT, ODP, ODS: the zip's mimetype was checked; encryption shows in the manifest.
void odf_extract(zip_reader& zr, const std::string& kind, const extract_limits& lim, extracted& out) {
    if (zr.has("META-INF/manifest.xml") && zr.read("META-INF/manifest.xml").find("encryption-data") != std::string::npos)
        throw api_error(errors::file_encrypted);
    if (!zr.has("content.xml")) throw api_error(errors::file_corrupt);
    auto content = zr.read("content.xml");
    out.text = xml_paragraphs(content, xml_text::dialect::odt, lim);
    odf_outline(content, kind, lim, out);
}

/// DOCX headings: paragraphs whose style is a heading ("Heading1", "Titre1", "Title").
void docx_outline(const std::string& xml, const extract_limits& lim, extracted& out) {
    struct h_t {
        const extract_limits& lim;
        std::vector<std::string>& outline;
        bool full = false;
        bool heading = false, in_t = false;
        std::string text{};
        void on_start(std::string_view n, const XML_Char** a) {
            if (n == "p") {
                heading = false;
                text.clear();
            } else if (n == "pStyle") {
                auto v = attr(a, "val");
                std::string_view s = v ? v : "";
                heading = s.rfind("Heading", 0) == 0 || s.rfind("Titre", 0) == 0 || s == "Title";
            } else if (n == "t") in_t = true;
        }
        void on_end(std::string_view n) {
            if (n == "t") in_t = false;
            else if (n == "p" && heading) add_outline(outline, text, lim);
        }
        void on_chars(std::string_view s) {
            if (in_t && text.size() < 400) text.append(s);
        }
    } h{lim, out.outline};
    walk_xml(xml, h);
}

// OOXML files protected by a password are not zips: an OLE compound file holding an
// "EncryptionInfo" stream and the encrypted package.
bool is_cfb(std::string_view b) { return b.starts_with("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"); }
bool is_encrypted_ooxml(std::string_view b) {
    static const std::string name("E\0n\0c\0r\0y\0p\0t\0i\0o\0n\0I\0n\0f\0o\0", 28);
    return is_cfb(b) && b.find(name) != std::string_view::npos;
}

// ---- PDF pages as images ----

raster bgra_to_rgb(const poppler::image& img) {
    raster r;
    r.width = img.width();
    r.height = img.height();
    r.channels = 3;
    r.pixels.resize(static_cast<std::size_t>(r.width) * static_cast<std::size_t>(r.height) * 3);
    const bool gray = img.format() == poppler::image::format_gray8;
    const bool rgb24 = img.format() == poppler::image::format_rgb24;
    for (int y = 0; y < r.height; ++y) {
        const auto* row = reinterpret_cast<const unsigned char*>(img.const_data()) + static_cast<std::ptrdiff_t>(y) * img.bytes_per_row();
        auto* dst = &r.pixels[static_cast<std::size_t>(y) * static_cast<std::size_t>(r.width) * 3];
        for (int x = 0; x < r.width; ++x, dst += 3) {
            if (gray) dst[0] = dst[1] = dst[2] = row[x];
            else if (rgb24) {  // 0x00RRGGBB in native (little-endian) order: B, G, R, 0
                dst[0] = row[x * 4 + 2];
                dst[1] = row[x * 4 + 1];
                dst[2] = row[x * 4];
            } else {  // argb32: B, G, R, A; the paper is opaque white
                dst[0] = row[x * 4 + 2];
                dst[1] = row[x * 4 + 1];
                dst[2] = row[x * 4];
            }
        }
    }
    return r;
}

std::unique_ptr<poppler::document> load_pdf(std::string_view bytes) {
    quiet_poppler();
    if (bytes.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) throw api_error(errors::file_too_large);
    std::unique_ptr<poppler::document> doc(poppler::document::load_from_raw_data(bytes.data(), static_cast<int>(bytes.size())));
    if (!doc) throw api_error(errors::file_corrupt);
    if (doc->is_locked()) throw api_error(errors::file_encrypted);
    return doc;
}

/// Renders one page `width` pixels wide; the height is bounded to 2 × width (a long
/// page is cut, not rendered at a huge size).
raster render_page(const poppler::document& doc, int index, int width) {
    std::unique_ptr<poppler::page> page(doc.create_page(index));
    if (!page) throw api_error(errors::file_corrupt);
    auto box = page->page_rect();
    double w_pt = box.width(), h_pt = box.height();
    if (page->orientation() == poppler::page::landscape || page->orientation() == poppler::page::seascape) std::swap(w_pt, h_pt);
    if (!(w_pt > 1) || !(h_pt > 1)) throw api_error(errors::file_corrupt);
    double dpi = 72.0 * width / w_pt;
    int height = static_cast<int>(h_pt * dpi / 72.0);
    int h = std::min(height, 2 * width);
    poppler::page_renderer renderer;
    renderer.set_render_hint(poppler::page_renderer::antialiasing, true);
    renderer.set_render_hint(poppler::page_renderer::text_antialiasing, true);
    renderer.set_paper_color(0xFFFFFFFF);
    auto img = renderer.render_page(page.get(), dpi, dpi, 0, 0, width, h);
    if (!img.is_valid()) throw api_error(errors::file_corrupt);
    return bgra_to_rgb(img);
}

std::string plain_text(std::string_view bytes) {
    if (bytes.starts_with("\xEF\xBB\xBF")) bytes.remove_prefix(3);
    if (bytes.find('\0') != std::string_view::npos) throw api_error(errors::file_mismatch);
    // A text saved in an older encoding (Windows-1252, Latin-1): said as such, with what to do.
    if (!is_valid_utf8(bytes))
        throw api_error(errors::file_mismatch, {},
                        "Ce fichier texte n'est pas enregistré en UTF-8 (sans doute en Windows-1252 ou Latin-1) : ouvrez-le et "
                        "enregistrez-le en UTF-8 (« Enregistrer sous », codage UTF-8), puis envoyez-le à nouveau.");
    return std::string(bytes);
}

// Cuts at the limit without splitting a UTF-8 sequence.
void bound_text(std::string& text, std::size_t max) {
    if (text.size() <= max) return;
    std::size_t cut = max;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    text.resize(cut);
}

}  // namespace

std::string checked_extension(std::string_view filename) {
    if (filename.empty() || filename.size() > 800 || !is_valid_utf8(filename) || utf8_length(filename) > 200)
        throw api_error(errors::invalid_field, "filename");
    for (unsigned char c : filename)
        if (c < 0x20 || c == 0x7F || c == '/' || c == '\\' || c == '"') throw api_error(errors::invalid_field, "filename");
    // Bidirectional controls make a name display as something else ("out\u202Elmth.txt"
    // shows as "outtxt.html"); invisible characters make two names look the same. Refused:
    // every format character (Cf: bidi controls, zero-width marks, soft hyphen, tags...),
    // line and paragraph separators, controls, private use and unassigned code points,
    // variation selectors and the characters that render as blanks.
    for (Xapian::Utf8Iterator it(filename.data(), filename.size()), end; it != end; ++it) {
        unsigned ch = *it;
        using cat = Xapian::Unicode::category;
        auto c = Xapian::Unicode::get_category(ch);
        bool invisible = ch == 0x034F || ch == 0x115F || ch == 0x1160 || ch == 0x180E || ch == 0x3164 || ch == 0xFFA0 ||
                         ch == 0x2800 || (ch >= 0xFE00 && ch <= 0xFE0F) || (ch >= 0xE0100 && ch <= 0xE01EF) ||
                         (ch >= 0x1D173 && ch <= 0x1D17A);
        if (invisible || c == cat::FORMAT || c == cat::LINE_SEPARATOR || c == cat::PARAGRAPH_SEPARATOR || c == cat::CONTROL ||
            c == cat::PRIVATE_USE || c == cat::UNASSIGNED || c == cat::SURROGATE)
            throw api_error(errors::file_name_controls, "filename");
    }
    auto dot = filename.rfind('.');
    if (dot == std::string_view::npos || dot == 0 || dot + 1 == filename.size()) throw api_error(errors::file_type);
    std::string ext(filename.substr(dot + 1));
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return ext;
}

namespace {

const std::map<std::string, std::string, std::less<>>& mime_by_extension() {
    static const std::map<std::string, std::string, std::less<>> m{
        {"pdf", "application/pdf"},
        {"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
        {"odt", "application/vnd.oasis.opendocument.text"},
        {"pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
        {"odp", "application/vnd.oasis.opendocument.presentation"},
        {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
        {"ods", "application/vnd.oasis.opendocument.spreadsheet"},
        {"png", "image/png"},
        {"jpg", "image/jpeg"},
        {"jpeg", "image/jpeg"},
        {"webp", "image/webp"},
        {"md", "text/markdown; charset=utf-8"},
        {"markdown", "text/markdown; charset=utf-8"},
        {"txt", "text/plain; charset=utf-8"}};
    return m;
}

image_format image_format_of(std::string_view ext) {
    if (ext == "png") return image_format::png;
    if (ext == "jpg" || ext == "jpeg") return image_format::jpeg;
    if (ext == "webp") return image_format::webp;
    return image_format::none;
}

void image_extract(std::string_view ext, std::string_view bytes, const extract_limits& lim, extracted& out) {
    const auto expected = image_format_of(ext);
    const auto actual = sniff_image(bytes);
    if (actual != expected) throw api_error(errors::file_mismatch);
    auto r = decode_image(actual, bytes, {lim.max_pixels, lim.max_side});
    out.width = r.width;
    out.height = r.height;
    // Only the pixels go on: EXIF (GPS, camera, owner), comments and profiles stay behind.
    out.file = encode_image(actual, r, actual == image_format::webp && webp_is_lossless(bytes));
    out.preview = png_encode(fit_within(r, lim.preview_width, lim.preview_height));
}

}  // namespace

std::string file_kind(std::string_view mime) {
    if (mime == "application/pdf") return "pdf";
    if (mime.rfind("image/", 0) == 0) return "image";
    if (mime.rfind("text/", 0) == 0) return "text";
    if (mime.find("presentation") != std::string_view::npos) return "slides";
    if (mime.find("spreadsheet") != std::string_view::npos) return "sheet";
    if (mime.find("wordprocessingml") != std::string_view::npos || mime.find("opendocument.text") != std::string_view::npos)
        return "document";
    return "";
}

bool extension_fits(const std::string& ext, const std::string& mime) {
    if (ext == "md" || ext == "markdown" || ext == "txt") return mime.rfind("text/", 0) == 0;
    auto m = mime_by_extension().find(ext);
    return m != mime_by_extension().end() && m->second == mime;
}

rendered_page render_pdf_page(std::string_view bytes, int page, int width) {
    auto doc = load_pdf(bytes);
    rendered_page out;
    out.pages = doc->pages();
    if (page < 1 || page > out.pages) throw api_error(errors::not_found);
    auto r = render_page(*doc, page - 1, width);
    out.width = r.width;
    out.height = r.height;
    out.png = png_encode(r);
    std::unique_ptr<poppler::page> p(doc->create_page(page - 1));
    if (p) {
        auto utf8 = p->text().to_utf8();
        out.text.assign(utf8.begin(), utf8.end());
        if (!is_valid_utf8(out.text)) out.text.clear();
        bound_text(out.text, extract_limits{}.max_text_bytes);
    }
    return out;
}

extracted extract(std::string_view filename, std::string_view bytes, const extract_limits& lim) {
    auto ext = checked_extension(filename);
    auto known = mime_by_extension().find(ext);
    if (known == mime_by_extension().end()) throw api_error(errors::file_type);
    if (bytes.empty()) throw api_error(errors::file_corrupt, {}, "Le fichier est vide : choisissez le fichier rempli, puis envoyez-le à nouveau.");
    const bool looks_pdf = bytes.starts_with("%PDF-");
    const bool looks_zip = bytes.starts_with("PK\x03\x04");
    extracted out;
    out.mime = known->second;
    if (ext == "pdf") {
        if (!looks_pdf) throw api_error(errors::file_mismatch);
        out.text = pdf_text(bytes, lim);
        // The thumbnail: the first page. A page that cannot be drawn leaves no thumbnail,
        // not a refused file (its text was read).
        try {
            auto doc = load_pdf(bytes);
            out.pages = doc->pages();
            if (out.pages > 0) out.preview = png_encode(render_page(*doc, 0, lim.preview_width));
        } catch (const api_error&) {
            out.preview.clear();
        }
    } else if (image_format_of(ext) != image_format::none) {
        image_extract(ext, bytes, lim, out);
    } else if (ext == "docx" || ext == "odt" || ext == "pptx" || ext == "odp" || ext == "xlsx" || ext == "ods") {
        const bool ooxml = ext == "docx" || ext == "pptx" || ext == "xlsx";
        if (ooxml && is_encrypted_ooxml(bytes)) throw api_error(errors::file_encrypted);
        if (!looks_zip) throw api_error(errors::file_mismatch);
        auto z = open_zip(bytes);
        zip_reader zr{z.get(), lim};
        // The type is the zip's own: a .xlsx holding a Word document is refused.
        if (zip_kind(zr) != ext) throw api_error(errors::file_mismatch);
        if (ext == "docx") {
            auto xml = zr.read("word/document.xml");
            out.text = xml_paragraphs(xml, xml_text::dialect::docx, lim);
            docx_outline(xml, lim, out);
        } else if (ext == "pptx") {
            pptx_extract(zr, lim, out);
        } else if (ext == "xlsx") {
            xlsx_extract(zr, lim, out);
        } else {
            odf_extract(zr, ext, lim, out);
        }
    } else {
        if (looks_pdf || looks_zip || sniff_image(bytes) != image_format::none) throw api_error(errors::file_mismatch);
        out.text = plain_text(bytes);
    }
    if (!is_valid_utf8(out.text)) throw api_error(errors::file_corrupt);
    bound_text(out.text, lim.max_text_bytes);
    for (auto& o : out.outline)
        if (!is_valid_utf8(o)) throw api_error(errors::file_corrupt);
    return out;
}

}  // namespace relais::library
