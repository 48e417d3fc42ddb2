#pragma once
#include <filesystem>
#include <random>
#include <unistd.h>

struct unit_temp_dir {
    std::filesystem::path path;
    unit_temp_dir() {
        std::random_device rd;
        path = std::filesystem::temp_directory_path() / ("relais-unit-" + std::to_string(getpid()) + "-" + std::to_string(rd()));
        std::filesystem::create_directories(path);
    }
    ~unit_temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
};
