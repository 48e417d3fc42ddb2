#include "search/index.hpp"

#include <xapian.h>

#include <stdexcept>

namespace relais::search {

index::index(std::filesystem::path dir) : dir_(std::move(dir)) {
    std::filesystem::create_directories(dir_);
    try {
        if (!std::filesystem::exists(dir_ / "iamglass")) {
            Xapian::WritableDatabase db(dir_.string(), Xapian::DB_CREATE_OR_OPEN);
            db.commit();
        }
    } catch (const Xapian::Error& e) {
        throw std::runtime_error("search index " + dir_.string() + ": " + e.get_description());
    }
}

std::uint32_t index::document_count() const {
    try {
        Xapian::Database reader(dir_.string());
        return reader.get_doccount();
    } catch (const Xapian::Error& e) {
        throw std::runtime_error("search index " + dir_.string() + ": " + e.get_description());
    }
}

}  // namespace relais::search
