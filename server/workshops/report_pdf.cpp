// The compte rendu as a PDF, laid out with Pango and drawn with Cairo: A4, 2 cm margins,
// headings kept with what follows, lists, tables whose header row is repeated on each
// page, the page number in the footer and the headings as the PDF's outline. Laid out
// twice: the first pass counts the pages for « page n sur N ».
#include "workshops/report_doc.hpp"

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>

namespace relais::workshops::doc {
namespace {

constexpr double page_w = 595.276, page_h = 841.89;  // A4 in points
constexpr double margin = 56.7;                      // 2 cm
constexpr double left = margin, right = page_w - margin, top = margin, bottom = page_h - margin;
constexpr double width = right - left;
constexpr double cell_pad = 4;

struct colour {
    double r, g, b;
};
constexpr colour ink{0x1b / 255.0, 0x1f / 255.0, 0x23 / 255.0};
constexpr colour teal{0x0b / 255.0, 0x4f / 255.0, 0x4c / 255.0};
constexpr colour grey{0x5a / 255.0, 0x63 / 255.0, 0x6b / 255.0};
constexpr colour rule{0x8a / 255.0, 0x94 / 255.0, 0x9e / 255.0};
constexpr colour head_fill{0xe8 / 255.0, 0xf1 / 255.0, 0xf0 / 255.0};

std::string plain(const line& l) {
    std::string s;
    for (const auto& sp : l) s += sp.text;
    return s;
}

std::string markup(const line& l) {
    std::string out;
    for (const auto& sp : l) {
        char* esc = g_markup_escape_text(sp.text.c_str(), static_cast<gssize>(sp.text.size()));
        out += sp.bold ? std::string("<b>") + esc + "</b>" : std::string(esc);
        g_free(esc);
    }
    return out;
}

struct layout_deleter {
    void operator()(PangoLayout* l) const { g_object_unref(l); }
};
using layout_ptr = std::unique_ptr<PangoLayout, layout_deleter>;

class writer {
public:
    writer(cairo_surface_t* surface, std::string footer, int total_pages)
        : surface_(surface), cr_(cairo_create(surface)), footer_(std::move(footer)), total_(total_pages) {
        ctx_ = pango_cairo_create_context(cr_);
        pango_cairo_context_set_resolution(ctx_, 72);  // font sizes in points = PDF units
    }
    ~writer() {
        g_object_unref(ctx_);
        cairo_destroy(cr_);
    }
    writer(const writer&) = delete;
    writer& operator=(const writer&) = delete;

    int pages() const { return page_; }

    void render(const std::vector<block>& blocks) {
        start_page();
        for (std::size_t i = 0; i < blocks.size(); ++i) {
            const auto& b = blocks[i];
            switch (b.k) {
                case block::kind::heading: heading(b, i + 1 < blocks.size() ? &blocks[i + 1] : nullptr); break;
                case block::kind::paragraph:
                    text_block(b.text, left, width, 10.5, ink, false);
                    y_ += 5;
                    break;
                case block::kind::bullet:
                case block::kind::number: item(b, i + 1 < blocks.size() ? &blocks[i + 1] : nullptr); break;
                case block::kind::table: table(b); break;
            }
        }
        end_page();
    }

private:
    layout_ptr make_layout(const std::string& text_markup, double w, double size, bool bold) {
        layout_ptr l(pango_layout_new(ctx_));
        PangoFontDescription* font = pango_font_description_from_string("DejaVu Sans");
        pango_font_description_set_size(font, static_cast<gint>(size * PANGO_SCALE));
        if (bold) pango_font_description_set_weight(font, PANGO_WEIGHT_BOLD);
        pango_layout_set_font_description(l.get(), font);
        pango_font_description_free(font);
        if (w > 0) pango_layout_set_width(l.get(), static_cast<int>(w * PANGO_SCALE));
        pango_layout_set_wrap(l.get(), PANGO_WRAP_WORD_CHAR);
        pango_layout_set_markup(l.get(), text_markup.c_str(), -1);
        return l;
    }

    static double height_of(PangoLayout* l) {
        int w = 0, h = 0;
        pango_layout_get_size(l, &w, &h);
        return h / static_cast<double>(PANGO_SCALE);
    }
    static double width_of(PangoLayout* l) {
        int w = 0, h = 0;
        pango_layout_get_size(l, &w, &h);
        return w / static_cast<double>(PANGO_SCALE);
    }
    double first_line_height(const line& l, double w, double size, bool bold) {
        auto lay = make_layout(markup(l), w, size, bold);
        PangoLayoutIter* it = pango_layout_get_iter(lay.get());
        PangoRectangle logical;
        pango_layout_iter_get_line_extents(it, nullptr, &logical);
        pango_layout_iter_free(it);
        return logical.height / static_cast<double>(PANGO_SCALE);
    }

    void set(const colour& c) { cairo_set_source_rgb(cr_, c.r, c.g, c.b); }

    void start_page() {
        ++page_;
        y_ = top;
    }
    void end_page() {
        auto l = make_layout("", -1, 8, false);
        std::string f = footer_ + " — page " + std::to_string(page_) + (total_ > 0 ? " sur " + std::to_string(total_) : "");
        pango_layout_set_text(l.get(), f.c_str(), -1);
        pango_layout_set_width(l.get(), static_cast<int>(width * PANGO_SCALE));
        pango_layout_set_alignment(l.get(), PANGO_ALIGN_CENTER);
        pango_layout_set_ellipsize(l.get(), PANGO_ELLIPSIZE_MIDDLE);
        set(grey);
        cairo_move_to(cr_, left, bottom + 18);
        pango_cairo_show_layout(cr_, l.get());
        cairo_show_page(cr_);
    }
    void new_page() {
        end_page();
        start_page();
    }

    // Draws a layout line by line from y_, going to a new page when a line would cross
    // the bottom margin.
    void flow(PangoLayout* l, double x) {
        double base = y_;
        PangoLayoutIter* it = pango_layout_get_iter(l);
        do {
            PangoRectangle logical;
            pango_layout_iter_get_line_extents(it, nullptr, &logical);
            double line_top = logical.y / static_cast<double>(PANGO_SCALE);
            double h = logical.height / static_cast<double>(PANGO_SCALE);
            if (base + line_top + h > bottom && base + line_top > top + 0.5) {
                new_page();
                base = top - line_top;
            }
            double baseline = pango_layout_iter_get_baseline(it) / static_cast<double>(PANGO_SCALE);
            cairo_move_to(cr_, x, base + baseline);
            pango_cairo_show_layout_line(cr_, pango_layout_iter_get_line_readonly(it));
        } while (pango_layout_iter_next_line(it));
        pango_layout_iter_free(it);
        y_ = base + height_of(l);
    }

    void text_block(const line& text, double x, double w, double size, const colour& c, bool bold) {
        auto l = make_layout(markup(text), w, size, bold);
        set(c);
        flow(l.get(), x);
    }

    // Space that what follows a heading needs on the same page (its first line).
    double next_needs(const block* next) {
        if (!next) return 0;
        if (next->k == block::kind::table) return next->rows.size() > 1 ? 2 * 18.0 : 18.0;
        return first_line_height(next->text, width, 10.5, false);
    }

    void heading(const block& b, const block* next) {
        static constexpr double sizes[] = {18, 14, 12, 11, 10.5, 10.5};
        double size = sizes[std::clamp(b.level, 1, 6) - 1];
        double before = b.level == 1 ? 0 : b.level == 2 ? 14 : 9;
        auto l = make_layout(markup(b.text), width, size, true);
        double h = height_of(l.get());
        if (y_ > top + 0.5) y_ += before;
        // A heading stays with the first line of what follows.
        if (y_ + h + 4 + next_needs(next) > bottom && y_ > top + 0.5) new_page();
        if (b.level <= 3) {
            std::string name = plain(b.text);
            std::string link = "page=" + std::to_string(page_) + " pos=[" + std::to_string(left) + " " + std::to_string(y_) + "]";
            int parent = b.level == 1 ? CAIRO_PDF_OUTLINE_ROOT : b.level == 2 ? (outline_1_ ? outline_1_ : CAIRO_PDF_OUTLINE_ROOT)
                                                            : (outline_2_ ? outline_2_ : outline_1_ ? outline_1_ : CAIRO_PDF_OUTLINE_ROOT);
            int id = cairo_pdf_surface_add_outline(surface_, parent, name.c_str(), link.c_str(), CAIRO_PDF_OUTLINE_FLAG_OPEN);
            if (b.level == 1) outline_1_ = id, outline_2_ = 0;
            else if (b.level == 2) outline_2_ = id;
        }
        set(b.level == 2 ? teal : ink);
        flow(l.get(), left);
        if (b.level == 1) {
            y_ += 3;
            set(teal);
            cairo_set_line_width(cr_, 1.5);
            cairo_move_to(cr_, left, y_);
            cairo_line_to(cr_, right, y_);
            cairo_stroke(cr_);
            y_ += 10;
        } else {
            y_ += 4;
        }
    }

    void item(const block& b, const block* next) {
        double indent = b.level == 1 ? 16 : 32;
        std::string label = b.k == block::kind::number ? std::to_string(b.number) + "." : (b.level == 1 ? "•" : "◦");
        auto body = make_layout(markup(b.text), width - indent, 10.5, false);
        double first = first_line_height(b.text, width - indent, 10.5, false);
        if (y_ + first > bottom && y_ > top + 0.5) new_page();
        auto mark = make_layout("", -1, 10.5, false);
        pango_layout_set_text(mark.get(), label.c_str(), -1);
        set(ink);
        cairo_move_to(cr_, left + indent - 5 - width_of(mark.get()), y_);
        pango_cairo_show_layout(cr_, mark.get());
        flow(body.get(), left + indent);
        bool more = next && (next->k == block::kind::bullet || next->k == block::kind::number);
        y_ += more ? 2 : 7;
    }

    struct row_layout {
        std::vector<layout_ptr> cells;
        double height = 0;
    };

    row_layout lay_row(const std::vector<line>& row, const std::vector<double>& widths, bool header) {
        row_layout r;
        for (std::size_t c = 0; c < widths.size(); ++c) {
            auto l = make_layout(c < row.size() ? markup(row[c]) : "", widths[c] - 2 * cell_pad, 9.5, header);
            r.height = std::max(r.height, height_of(l.get()) + 2 * cell_pad);
            r.cells.push_back(std::move(l));
        }
        return r;
    }

    void draw_row(const row_layout& r, const std::vector<double>& widths, bool header) {
        double x = left;
        for (std::size_t c = 0; c < widths.size(); ++c) {
            if (header) {
                set(head_fill);
                cairo_rectangle(cr_, x, y_, widths[c], r.height);
                cairo_fill(cr_);
            }
            set(rule);
            cairo_set_line_width(cr_, 0.5);
            cairo_rectangle(cr_, x, y_, widths[c], r.height);
            cairo_stroke(cr_);
            set(ink);
            cairo_move_to(cr_, x + cell_pad, y_ + cell_pad);
            pango_cairo_show_layout(cr_, r.cells[c].get());
            x += widths[c];
        }
        y_ += r.height;
    }

    void table(const block& b) {
        std::size_t cols = 0;
        for (const auto& r : b.rows) cols = std::max(cols, r.size());
        if (cols == 0) return;
        // Column widths: each column's natural width (its longest cell on one line);
        // columns narrower than a fair share keep it, the others share the rest.
        std::vector<double> natural(cols, 24);
        for (std::size_t i = 0; i < b.rows.size(); ++i)
            for (std::size_t c = 0; c < b.rows[i].size(); ++c) {
                auto l = make_layout(markup(b.rows[i][c]), -1, 9.5, i == 0);
                natural[c] = std::max(natural[c], width_of(l.get()) + 2 * cell_pad + 1);
            }
        double fair = width / static_cast<double>(cols), fixed = 0, flexible = 0;
        std::vector<double> widths(cols);
        for (std::size_t c = 0; c < cols; ++c) {
            if (natural[c] <= fair) widths[c] = natural[c], fixed += natural[c];
            else flexible += natural[c];
        }
        for (std::size_t c = 0; c < cols; ++c)
            if (natural[c] > fair) widths[c] = (width - fixed) * natural[c] / flexible;
        if (flexible == 0) {
            // Everything fits on one line: stretch to the full width.
            for (auto& w : widths) w *= width / fixed;
        }

        y_ += 3;
        auto header = lay_row(b.rows[0], widths, true);
        for (std::size_t i = 0; i < b.rows.size(); ++i) {
            bool is_header = i == 0;
            auto r = is_header ? row_layout{} : lay_row(b.rows[i], widths, false);
            const row_layout& cur = is_header ? header : r;
            double need = cur.height;
            if (is_header && b.rows.size() > 1) {
                // The header stays with the first row.
                auto first = lay_row(b.rows[1], widths, false);
                need += first.height;
            }
            if (y_ + need > bottom && y_ > top + 0.5) {
                new_page();
                if (!is_header) draw_row(header, widths, true);
            }
            draw_row(cur, widths, is_header);
        }
        y_ += 10;
    }

    cairo_surface_t* surface_;
    cairo_t* cr_;
    PangoContext* ctx_;
    std::string footer_;
    int total_;
    int page_ = 0;
    double y_ = top;
    int outline_1_ = 0, outline_2_ = 0;
};

cairo_status_t append(void* closure, const unsigned char* data, unsigned int length) {
    static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
    return CAIRO_STATUS_SUCCESS;
}

int render(std::string& out, const std::string& title, const std::vector<block>& blocks, int total) {
    cairo_surface_t* surface = cairo_pdf_surface_create_for_stream(append, &out, page_w, page_h);
    if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(surface);
        throw std::runtime_error("pdf: cannot create the surface");
    }
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, title.c_str());
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "Relais");
    int pages = 0;
    {
        writer w(surface, title, total);
        w.render(blocks);
        pages = w.pages();
    }
    cairo_surface_finish(surface);
    auto status = cairo_surface_status(surface);
    cairo_surface_destroy(surface);
    if (status != CAIRO_STATUS_SUCCESS) throw std::runtime_error(std::string("pdf: ") + cairo_status_to_string(status));
    return pages;
}

}  // namespace

std::string pdf(const std::string& title, const std::string& markdown) {
    auto blocks = parse(markdown);
    std::string counting;
    int pages = render(counting, title, blocks, 0);
    std::string out;
    render(out, title, blocks, pages);
    return out;
}

}  // namespace relais::workshops::doc
