#pragma once
// A server's own secret (an HMAC or encryption key) kept in a file of the data folder:
// read when it is there, else made from the system's random source and written (0600,
// fsynced, renamed into place).
#include <filesystem>
#include <string>

namespace relais {

/// The `bytes` bytes of `file`, created when missing or of another size. Throws
/// std::runtime_error when it cannot be written.
std::string load_or_create_key(const std::filesystem::path& file, std::size_t bytes = 32);

}  // namespace relais
