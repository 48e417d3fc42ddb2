#pragma once
// Uploaded files on disk, named by the SHA-256 of their bytes (files/ab/cdef...):
// the same file uploaded twice is stored once, and a name can never escape the
// folder. Writes go to a temporary file, are synced, then renamed into place.
// Blocking: call from worker threads only.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace relais::library {

class blobs {
public:
    explicit blobs(std::filesystem::path dir);

    /// SHA-256 of the bytes, lower-case hex.
    static std::string digest(std::string_view bytes);
    /// Whether s is 64 lower-case hex digits.
    static bool is_digest(std::string_view s);

    /// Stores the bytes (if not there yet) and returns their digest.
    std::string put(std::string_view bytes);
    /// The bytes of a stored file; throws std::runtime_error when missing.
    std::string get(const std::string& digest) const;
    bool has(const std::string& digest) const;
    /// Removes the file and what was derived from it.
    void remove(const std::string& digest);

    /// Files derived from a stored one (its thumbnail, a page of a PDF drawn), kept beside
    /// it as files/ab/cdef....<suffix>; `suffix` is [a-z0-9.-], 1..40 characters.
    void put_derived(const std::string& digest, const std::string& suffix, std::string_view bytes);
    std::optional<std::string> get_derived(const std::string& digest, const std::string& suffix) const;

private:
    std::filesystem::path path_of(const std::string& digest) const;
    std::filesystem::path derived_path(const std::string& digest, const std::string& suffix) const;
    void write_atomically(const std::filesystem::path& target, std::string_view bytes);
    std::filesystem::path dir_;
};

}  // namespace relais::library
