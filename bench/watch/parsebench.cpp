// relais_watch_parsebench: the watch module's feed parser over a folder of feeds
// (bench/watch/README.md). Files are read into memory first; only parsing is timed, on
// one thread, as feedparser does in the peer script. One JSON line on stdout.
//
//   relais_watch_parsebench DIR
#include "watch/feed.hpp"

#include <nlohmann/json.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: relais_watch_parsebench DIR\n";
        return 2;
    }
    std::vector<std::pair<std::string, std::string>> bodies;
    for (const auto& entry : std::filesystem::directory_iterator(argv[1])) {
        if (!entry.is_regular_file()) continue;
        std::ifstream in(entry.path(), std::ios::binary);
        bodies.emplace_back(entry.path().filename().string(),
                            std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()));
    }
    std::sort(bodies.begin(), bodies.end());
    std::size_t items = 0, failed = 0;
    auto start = std::chrono::steady_clock::now();
    for (const auto& [name, body] : bodies) {
        relais::watch::parse_options o;
        o.base_url = "https://source.exemple.fr/" + name;
        o.fetched_at = 1'796'000'000;
        o.max_items = 5000;
        try {
            items += relais::watch::parse_feed(body, o).items.size();
        } catch (const relais::watch::parse_error&) {
            ++failed;
        }
    }
    std::chrono::duration<double> seconds = std::chrono::steady_clock::now() - start;
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    std::cout << nlohmann::json{{"parser", "relais"},
                                {"files", bodies.size()},
                                {"items", items},
                                {"failed", failed},
                                {"seconds", std::round(seconds.count() * 1000) / 1000},
                                {"items_per_s", std::llround(static_cast<double>(items) / seconds.count())},
                                {"peak_rss_kb", usage.ru_maxrss}}
                     .dump()
              << "\n";
    return 0;
}
