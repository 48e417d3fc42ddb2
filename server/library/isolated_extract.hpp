#pragma once
// Text extraction in a child process: `relais extract --name FILE` reads the file on
// stdin and writes its type, text, outline, thumbnail and (images) its bytes encoded
// again on stdout; `relais render-page --page N --width W` draws one page of a PDF.
// Both run under setrlimit (CPU time, address space, no files, no core) and a
// wall-clock deadline after which they are killed. A
// crafted PDF or DOCX can then cost one child's budget, never the server's threads,
// memory or shutdown. The parent maps the child's answer back to the same errors as
// `extract` (library/extract.hpp), plus file_too_complex when a limit stopped it.
#include "library/extract.hpp"

#include <chrono>
#include <filesystem>

namespace relais::library {

struct isolation {
    std::filesystem::path exe;  // the relais executable (empty: extract in this process)
    int cpu_seconds = 20;
    std::size_t memory_bytes = 512u << 20;
    std::chrono::milliseconds wall{30000};
};

/// Blocking (run it on a thread that may wait). Throws api_error.
extracted extract_isolated(const isolation& iso, std::string_view filename, std::string_view bytes);

/// One page of a PDF drawn by a child process (`relais render-page`). Blocking; throws api_error.
rendered_page render_page_isolated(const isolation& iso, std::string_view pdf, int page, int width);

/// Kills every extraction child still running (at shutdown: nothing waits on them).
void kill_extractions();

/// The child's side: reads stdin, extracts, writes the answer; returns the exit status.
int extract_child_main(const std::string& filename);
/// The page renderer's side: reads a PDF on stdin, writes the page's PNG and text.
int render_child_main(int page, int width);

}  // namespace relais::library
