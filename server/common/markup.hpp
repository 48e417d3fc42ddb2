#pragma once
// Text into HTML and XML: one escaping for the whole server (reports, QR codes, the watch's
// sanitiser and digests).
#include <string>
#include <string_view>

namespace relais {

/// Escapes &, <, >, " and ' for HTML or XML text and attribute values; a CR becomes a LF
/// and the other C0 controls but tab and LF are dropped (XML 1.0 forbids them).
std::string escape_html(std::string_view text);

/// escape_html(text) appended to `out`.
void append_escaped_html(std::string& out, std::string_view text);

}  // namespace relais
