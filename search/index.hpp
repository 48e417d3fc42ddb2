#pragma once
// The Xapian index, derived from SQLite and rebuildable from it. One writer owns
// the WritableDatabase; readers open their own Database (Xapian objects are not
// shared between threads). No network code here.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

namespace Xapian { class WritableDatabase; }

namespace relais::search {

class index {
public:
    /// Opens (creating if needed) the index folder.
    explicit index(std::filesystem::path dir);
    ~index();
    index(const index&) = delete;
    index& operator=(const index&) = delete;

    /// Documents in the committed index, read through a fresh reader. Throws when
    /// the index cannot be read: this is the health check.
    std::uint32_t document_count() const;

    const std::filesystem::path& dir() const noexcept { return dir_; }

private:
    std::filesystem::path dir_;
    std::mutex writer_mutex_;
    std::unique_ptr<Xapian::WritableDatabase> writer_;
};

}  // namespace relais::search
