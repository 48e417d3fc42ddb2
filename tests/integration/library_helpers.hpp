#pragma once
// What the library's integration tests share: polling the search (the indexer works in
// the background) and counting the files kept on disk.
#include "harness.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

namespace relais::test {

/// Polls the search until `id` shows up (or, `wanted` false, no longer does) for `q`.
inline bool eventually_found(server& s, const std::string& cookie, const std::string& q, long long id,
                             bool wanted = true) {
    for (int i = 0; i < 100; ++i) {
        auto r = s.request("GET", "/api/library/search?q=" + url_encode(q), {}, {{"Cookie", cookie}});
        REQUIRE(r.status == 200);
        auto body = r.json();  // kept: a range over a temporary's member would dangle
        bool found = false;
        for (const auto& h : body["hits"]) found = found || h["id"].get<long long>() == id;
        if (found == wanted) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
}

/// Regular files under `dir` (0 if it does not exist).
inline std::size_t files_on_disk(const std::filesystem::path& dir) {
    std::size_t n = 0;
    if (!std::filesystem::exists(dir)) return 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
        if (e.is_regular_file()) ++n;
    return n;
}

}  // namespace relais::test
