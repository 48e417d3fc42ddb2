#pragma once
// Text into HTML, XML and CSV: one escaping for the whole server (reports, QR codes, the
// watch's sanitiser and digests, the exports of the workshops, territory and expertise).
#include <string>
#include <string_view>

namespace relais {

/// Escapes &, <, >, " and ' for HTML or XML text and attribute values; a CR becomes a LF
/// and the other C0 controls but tab and LF are dropped (XML 1.0 forbids them).
std::string escape_html(std::string_view text);

/// escape_html(text) appended to `out`.
void append_escaped_html(std::string& out, std::string_view text);

/// One CSV cell (the ";"-separated exports opened in spreadsheets): quoted when it holds
/// ; , " or a line break (quotes doubled); a leading = + - or @ gets a ' before it, so
/// that a spreadsheet never reads a name or a note as a formula (CSV injection).
std::string csv_field(std::string_view text);

}  // namespace relais
