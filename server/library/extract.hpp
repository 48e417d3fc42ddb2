#pragma once
// Attachments: the file type is decided by content (magic bytes, the zip's own
// entries), checked against the name's extension, and the text extracted for the
// index; office files give their outline, PDFs and images a thumbnail, and images
// are decoded and encoded again (library/images.hpp) so that no metadata is kept.
// Throws api_error (file_type, file_mismatch, file_corrupt, file_encrypted,
// file_bomb, file_too_large); nothing is written anywhere by this module.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>
#include <cstdint>

namespace relais::library {

struct extract_limits {
    std::size_t max_text_bytes = 2 * 1024 * 1024;         // extracted text kept for the index
    std::size_t max_unzipped_bytes = 32 * 1024 * 1024;    // DOCX/ODT XML actually inflated
    std::size_t max_ratio = 100;                          // inflated / compressed size of that entry
    int max_pdf_pages = 2000;
    std::size_t max_outline = 200;                        // outline entries (slides, sheets, headings)
    int preview_width = 320, preview_height = 640;        // thumbnails fit in this box (PNG)
    std::uint64_t max_pixels = 40'000'000;                // images: width × height
    int max_side = 12'000;                                // images: pixels, either side
};

struct extracted {
    std::string mime;   // e.g. "application/pdf"
    std::string text;   // UTF-8, paragraphs separated by blank lines
    std::string file;   // the bytes to store instead of the upload's (an image encoded again); empty: the upload's
    std::string preview;                // a PNG thumbnail (first page of a PDF, an image), or empty
    std::vector<std::string> outline;   // slide titles, sheet names or headings, in order
    int pages = 0;                      // PDF pages, slides
    int width = 0, height = 0;          // images, after orientation
};

/// One page of a PDF as a PNG `width` pixels wide (its height bounded to 2 × width),
/// with that page's text, for the reader; `page` counts from 1. Throws api_error
/// (file_corrupt, file_encrypted, not_found when there is no such page).
struct rendered_page {
    std::string png, text;
    int pages = 0, width = 0, height = 0;
};
rendered_page render_pdf_page(std::string_view bytes, int page, int width);

/// The kind ("pdf", "slides", ...) of a stored file's MIME type; "" when unknown.
std::string file_kind(std::string_view mime);

/// Whether a name's extension may be given to a file of this MIME type (at attach time).
bool extension_fits(const std::string& ext, const std::string& mime);

/// Checks a file name (1..200 code points, no path separators or control characters)
/// and returns its lower-case extension without the dot; throws invalid_field.
std::string checked_extension(std::string_view filename);

/// Detects the type from the bytes, checks it matches the extension and extracts the text.
extracted extract(std::string_view filename, std::string_view bytes, const extract_limits& limits = {});

}  // namespace relais::library
