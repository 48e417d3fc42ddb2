#include "library/extract.hpp"

#include "library/errors.hpp"
#include "common/utf8.hpp"

#include <expat.h>
#include <xapian.h>
#include <poppler/cpp/poppler-document.h>
#include <poppler/cpp/poppler-global.h>
#include <poppler/cpp/poppler-page.h>
#include <zip.h>

#include <algorithm>
#include <memory>
#include <mutex>

namespace relais::library {
namespace {

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

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

std::string docx_text(std::string_view bytes, const extract_limits& lim) {
    auto z = open_zip(bytes);
    if (!has_entry(z.get(), "word/document.xml")) throw api_error(errors::file_mismatch);
    return xml_paragraphs(read_entry(z.get(), "word/document.xml", lim), xml_text::dialect::docx, lim);
}

std::string odt_text(std::string_view bytes, const extract_limits& lim) {
    auto z = open_zip(bytes);
    if (!has_entry(z.get(), "mimetype") ||
        read_entry(z.get(), "mimetype", lim).rfind("application/vnd.oasis.opendocument.text", 0) != 0)
        throw api_error(errors::file_mismatch);
    if (has_entry(z.get(), "META-INF/manifest.xml") &&
        read_entry(z.get(), "META-INF/manifest.xml", lim).find("encryption-data") != std::string::npos)
        throw api_error(errors::file_encrypted);
    if (!has_entry(z.get(), "content.xml")) throw api_error(errors::file_corrupt);
    return xml_paragraphs(read_entry(z.get(), "content.xml", lim), xml_text::dialect::odt, lim);
}

std::string plain_text(std::string_view bytes) {
    if (starts_with(bytes, "\xEF\xBB\xBF")) bytes.remove_prefix(3);
    if (bytes.find('\0') != std::string_view::npos || !is_valid_utf8(bytes)) throw api_error(errors::file_mismatch);
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
    if (filename.empty() || filename.size() > 600 || !is_valid_utf8(filename) || utf8_length(filename) > 200)
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

extracted extract(std::string_view filename, std::string_view bytes, const extract_limits& lim) {
    auto ext = checked_extension(filename);
    if (ext != "pdf" && ext != "docx" && ext != "odt" && ext != "md" && ext != "markdown" && ext != "txt")
        throw api_error(errors::file_type);
    if (bytes.empty()) throw api_error(errors::file_corrupt);
    const bool looks_pdf = starts_with(bytes, "%PDF-");
    const bool looks_zip = starts_with(bytes, "PK\x03\x04");
    extracted out;
    if (ext == "pdf") {
        if (!looks_pdf) throw api_error(errors::file_mismatch);
        out = {"application/pdf", pdf_text(bytes, lim)};
    } else if (ext == "docx") {
        if (!looks_zip) throw api_error(errors::file_mismatch);
        out = {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", docx_text(bytes, lim)};
    } else if (ext == "odt") {
        if (!looks_zip) throw api_error(errors::file_mismatch);
        out = {"application/vnd.oasis.opendocument.text", odt_text(bytes, lim)};
    } else {
        if (looks_pdf || looks_zip) throw api_error(errors::file_mismatch);
        out = {ext == "txt" ? "text/plain; charset=utf-8" : "text/markdown; charset=utf-8", plain_text(bytes)};
    }
    if (!is_valid_utf8(out.text)) throw api_error(errors::file_corrupt);
    bound_text(out.text, lim.max_text_bytes);
    return out;
}

}  // namespace relais::library
