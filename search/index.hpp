#pragma once
// The Xapian index, derived from SQLite and rebuildable from it. Readers open
// their own Database (Xapian objects are not shared between threads). The single
// writer arrives with the library's indexer; until then the index is created empty
// and holds no write lock, so command-line tools can run beside the server.
// No network code here. Xapian errors leave this module as std::runtime_error.
#include <cstdint>
#include <filesystem>

namespace relais::search {

class index {
public:
    /// Opens the index folder, creating an empty index if there is none.
    explicit index(std::filesystem::path dir);

    /// Documents in the committed index, read through a fresh reader. Throws when
    /// the index cannot be read: this is the health check.
    std::uint32_t document_count() const;

    const std::filesystem::path& dir() const noexcept { return dir_; }

private:
    std::filesystem::path dir_;
};

}  // namespace relais::search
