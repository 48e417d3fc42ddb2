#include "watch/detail.hpp"

#include <libxml/parser.h>
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
    HTML_PARSE_RECOVER | HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_IGNORE_ENC;

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

doc_ptr read_xml(std::string_view utf8) {
    init_libxml();
    std::unique_ptr<xmlParserCtxt, ctxt_deleter> ctxt(xmlNewParserCtxt());
    if (!ctxt) throw std::bad_alloc();
    return doc_ptr(xmlCtxtReadMemory(ctxt.get(), utf8.data(), checked_size(utf8), nullptr, "UTF-8", xml_options));
}

doc_ptr read_html(std::string_view utf8) {
    init_libxml();
    std::unique_ptr<htmlParserCtxt, html_ctxt_deleter> ctxt(htmlNewParserCtxt());
    if (!ctxt) throw std::bad_alloc();
    return doc_ptr(htmlCtxtReadMemory(ctxt.get(), utf8.data(), checked_size(utf8), nullptr, "UTF-8", html_options));
}

doc_ptr read_html_fragment(std::string_view utf8) {
    std::string wrapped = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>";
    wrapped.append(utf8);
    return read_html(wrapped);
}

xmlNode* html_fragment_root(xmlDoc* doc) {
    xmlNode* root = xmlDocGetRootElement(doc);
    if (!root) return nullptr;
    for (xmlNode* c = root->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && xmlStrcasecmp(c->name, BAD_CAST "body") == 0) return c;
    return root;
}

std::string node_text(const xmlNode* n) {
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
