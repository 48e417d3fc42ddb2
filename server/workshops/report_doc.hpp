#pragma once
// The compte rendu as a document: the Markdown a report is kept in (generated from the
// board, then possibly edited by a facilitator) read into a few kinds of blocks, and the
// same blocks written as a printable HTML page, an OpenDocument text (ODT) a coordinator
// can edit, and a PDF. The Markdown understood is what make_report writes plus what a
// person editing it is likely to type: headings (#, ##, ###), paragraphs, bullet lists
// (-, *, +) two levels deep, numbered lists (1.), tables (| a | b |), **bold**; anything
// else is kept as text.
#include <string>
#include <vector>

namespace relais::workshops::doc {

struct span {
    std::string text;
    bool bold = false;
};
using line = std::vector<span>;

struct block {
    enum class kind { heading, paragraph, bullet, number, table };
    kind k = kind::paragraph;
    int level = 1;    // heading: 1..6; list item: its depth, 1 or 2
    int number = 0;   // numbered item: its number as written
    line text;        // heading, paragraph, list item
    std::vector<std::vector<line>> rows;  // table: the first row is the header
};

std::vector<block> parse(const std::string& markdown);

/// A standalone printable page. Everything is escaped.
std::string html(const std::string& title, const std::string& markdown);

/// An OpenDocument text (application/vnd.oasis.opendocument.text).
std::string odt(const std::string& title, const std::string& markdown);

/// A PDF (A4, DejaVu Sans or the system's sans-serif font), with page numbers, the
/// headings as the document's outline and the table headers repeated on each page.
std::string pdf(const std::string& title, const std::string& markdown);

}  // namespace relais::workshops::doc
