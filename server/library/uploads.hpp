#pragma once
// Keeping an extracted upload: the bytes to store (an image encoded again, else the
// upload's own), its thumbnail beside it in the blob store, and the file's row with
// what extraction learnt (pages, outline, dimensions). Blocking (disk).
#include "library/blobs.hpp"
#include "library/extract.hpp"
#include "library/store.hpp"

namespace relais::library {

/// Thumbnails are stored as files/ab/cdef....preview.png.
inline constexpr const char* preview_suffix = "preview.png";

/// Writes the file (and its thumbnail) and returns the row to record.
store::file_row keep_upload(blobs& files, const extracted& ex, std::string_view upload);

}  // namespace relais::library
