#include "watch/detail.hpp"

#include "common/utf8.hpp"
#include "watch/text.hpp"

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>

#include <climits>
#include <cstring>
#include <mutex>

namespace relais::watch::detail {

namespace {

// Nothing is ever loaded from outside the body: no DTD, no external entity, no file, no URL.
xmlParserInputPtr refuse_external_entity(const char*, const char*, xmlParserCtxtPtr) { return nullptr; }

void ignore_generic_error(void*, const char*, ...) {}
void ignore_structured_error(void*, xmlErrorPtr) {}

constexpr int xml_options =
    XML_PARSE_RECOVER | XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA | XML_PARSE_IGNORE_ENC;
constexpr int html_options =
    HTML_PARSE_RECOVER | HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_IGNORE_ENC | HTML_PARSE_NODEFDTD;

int checked_size(std::string_view s) {
    return s.size() > static_cast<std::size_t>(INT_MAX / 2) ? INT_MAX / 2 : static_cast<int>(s.size());
}

struct ctxt_deleter {
    void operator()(xmlParserCtxt* c) const noexcept { xmlFreeParserCtxt(c); }
};
struct html_ctxt_deleter {
    void operator()(htmlParserCtxt* c) const noexcept { htmlFreeParserCtxt(c); }
};

}  // namespace

void init_libxml() {
    static std::once_flag once;
    std::call_once(once, [] {
        xmlInitParser();
        xmlSetExternalEntityLoader(&refuse_external_entity);
    });
    // libxml2 keeps its error handlers per thread.
    thread_local bool silenced = false;
    if (!silenced) {
        xmlSetGenericErrorFunc(nullptr, &ignore_generic_error);
        xmlSetStructuredErrorFunc(nullptr, &ignore_structured_error);
        silenced = true;
    }
}

namespace {

/// A parser context per thread, reused (its allocations and name dictionary with it) and
/// replaced every so often so that the dictionary, which keeps every name it saw, stays small.
template <typename Ctxt, typename Deleter, Ctxt* (*make)()>
Ctxt* reused_context() {
    thread_local std::unique_ptr<Ctxt, Deleter> ctxt;
    thread_local unsigned uses = 0;
    if (!ctxt || ++uses >= 256) {
        ctxt.reset(make());
        uses = 0;
        if (!ctxt) throw std::bad_alloc();
    }
    return ctxt.get();
}

}  // namespace

doc_ptr read_xml(std::string_view utf8) {
    init_libxml();
    xmlParserCtxt* ctxt = reused_context<xmlParserCtxt, ctxt_deleter, &xmlNewParserCtxt>();
    return doc_ptr(xmlCtxtReadMemory(ctxt, utf8.data(), checked_size(utf8), nullptr, "UTF-8", xml_options));
}

doc_ptr read_html(std::string_view utf8) {
    init_libxml();
    htmlParserCtxt* ctxt = reused_context<htmlParserCtxt, html_ctxt_deleter, &htmlNewParserCtxt>();
    return doc_ptr(htmlCtxtReadMemory(ctxt, utf8.data(), checked_size(utf8), nullptr, "UTF-8", html_options));
}

namespace {
htmlParserCtxt* new_sax_context() { return htmlNewParserCtxt(); }
}  // namespace

void parse_html_fragment_sax(std::string_view text, bool known_valid, const htmlSAXHandler& sax, void* user) {
    init_libxml();
    // Wrapped so that it lands in <body> as is. The input need not be valid UTF-8: libxml2
    // would switch to Latin-1 on the first ill-formed sequence, so those are replaced first
    // (rarely: the check is fast).
    static constexpr std::string_view prefix = "<html><body>";
    std::string wrapped;
    if (known_valid || is_valid_utf8(text)) {
        wrapped.reserve(prefix.size() + text.size());
        wrapped.append(prefix);
        wrapped.append(text);
    } else {
        wrapped = std::string(prefix) + to_valid_utf8(text);
    }
    // A context of its own (its handler is replaced), reused as read_html's is.
    htmlParserCtxt* ctxt = reused_context<htmlParserCtxt, html_ctxt_deleter, &new_sax_context>();
    htmlCtxtReset(ctxt);
    *ctxt->sax = sax;
    ctxt->userData = user;
    htmlCtxtUseOptions(ctxt, html_options);
    xmlParserInputBufferPtr buf = xmlParserInputBufferCreateMem(wrapped.data(), checked_size(wrapped), XML_CHAR_ENCODING_NONE);
    if (!buf) throw std::bad_alloc();
    xmlParserInputPtr stream = xmlNewIOInputStream(ctxt, buf, XML_CHAR_ENCODING_NONE);
    if (!stream) {
        xmlFreeParserInputBuffer(buf);
        throw std::bad_alloc();
    }
    inputPush(ctxt, stream);
    xmlSwitchEncoding(ctxt, XML_CHAR_ENCODING_UTF8);
    htmlParseDocument(ctxt);
    if (ctxt->myDoc) {
        xmlFreeDoc(ctxt->myDoc);
        ctxt->myDoc = nullptr;
    }
}

std::string node_text(const xmlNode* n) {
    // The usual case, one text or CDATA child, is read without a copy from libxml2.
    if (const xmlNode* c = n->children;
        c && !c->next && (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content)
        return std::string(reinterpret_cast<const char*>(c->content));
    xmlChar* s = xmlNodeGetContent(n);
    if (!s) return {};
    std::string out(reinterpret_cast<const char*>(s));
    xmlFree(s);
    return out;
}

std::string attr(const xmlNode* n, const char* local) {
    for (const xmlAttr* a = n->properties; a; a = a->next) {
        const char* name = reinterpret_cast<const char*>(a->name);
        // An undeclared prefix leaves "prefix:local" as the name.
        if (const char* colon = std::strchr(name, ':'); colon && !a->ns) name = colon + 1;
        if (std::strcmp(name, local) != 0) continue;
        xmlChar* v = xmlNodeListGetString(n->doc, a->children, 1);
        if (!v) return {};
        std::string out(reinterpret_cast<const char*>(v));
        xmlFree(v);
        return out;
    }
    return {};
}

void warnings::add(std::string w) {
    if (list.size() >= 30) return;
    for (const auto& x : list)
        if (x == w) return;
    list.push_back(std::move(w));
}

}  // namespace relais::watch::detail
