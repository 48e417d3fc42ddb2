#pragma once
// Attachments: the file type is decided by content (magic bytes, the zip's own
// entries), checked against the name's extension, and the text extracted for the
// index. Throws api_error (file_type, file_mismatch, file_corrupt, file_encrypted,
// file_bomb, file_too_large); nothing is written anywhere by this module.
#include <cstddef>
#include <string>
#include <string_view>

namespace relais::library {

struct extract_limits {
    std::size_t max_text_bytes = 2 * 1024 * 1024;         // extracted text kept for the index
    std::size_t max_unzipped_bytes = 32 * 1024 * 1024;    // DOCX/ODT XML actually inflated
    std::size_t max_ratio = 100;                          // inflated / compressed size of that entry
    int max_pdf_pages = 2000;
};

struct extracted {
    std::string mime;   // e.g. "application/pdf"
    std::string text;   // UTF-8, paragraphs separated by blank lines
};

/// Checks a file name (1..200 code points, no path separators or control characters)
/// and returns its lower-case extension without the dot; throws invalid_field.
std::string checked_extension(std::string_view filename);

/// Detects the type from the bytes, checks it matches the extension and extracts the text.
extracted extract(std::string_view filename, std::string_view bytes, const extract_limits& limits = {});

}  // namespace relais::library
