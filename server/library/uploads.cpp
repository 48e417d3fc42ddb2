#include "library/uploads.hpp"

#include <nlohmann/json.hpp>

namespace relais::library {

store::file_row keep_upload(blobs& files, const extracted& ex, std::string_view upload) {
    std::string_view kept = ex.file.empty() ? upload : std::string_view(ex.file);
    auto digest = files.put(kept);
    if (!ex.preview.empty()) files.put_derived(digest, preview_suffix, ex.preview);
    nlohmann::json meta = nlohmann::json::object();
    if (ex.pages > 0) meta["pages"] = ex.pages;
    if (!ex.outline.empty()) meta["outline"] = ex.outline;
    if (ex.width > 0) {
        meta["width"] = ex.width;
        meta["height"] = ex.height;
    }
    if (!ex.preview.empty()) meta["preview"] = true;
    return store::file_row{digest, ex.mime, ex.text, static_cast<std::int64_t>(kept.size()), meta.dump()};
}

}  // namespace relais::library
