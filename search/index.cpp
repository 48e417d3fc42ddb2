#include "search/index.hpp"

#include <xapian.h>

namespace relais::search {

index::index(std::filesystem::path dir) : dir_(std::move(dir)) {
    std::filesystem::create_directories(dir_);
    writer_ = std::make_unique<Xapian::WritableDatabase>(dir_.string(), Xapian::DB_CREATE_OR_OPEN);
    writer_->commit();
}

index::~index() {
    std::lock_guard lock(writer_mutex_);
    if (writer_) writer_->close();
}

std::uint32_t index::document_count() const {
    Xapian::Database reader(dir_.string());
    return reader.get_doccount();
}

}  // namespace relais::search
