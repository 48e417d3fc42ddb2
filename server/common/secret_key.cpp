#include "common/secret_key.hpp"

#include <sodium.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace relais {

std::string load_or_create_key(const std::filesystem::path& file, std::size_t bytes) {
    std::error_code ec;
    if (std::filesystem::exists(file, ec)) {
        // A key that exists is never replaced: what it signed (invite links, room codes)
        // would all stop working. One that cannot be read is an ownership to fix.
        std::ifstream in(file, std::ios::binary);
        if (!in)
            throw std::runtime_error(file.string() + " cannot be read (" + std::strerror(errno) +
                                     "): give it back to the service's user (chown), it is never replaced");
        std::string key((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (key.size() == bytes) return key;
        throw std::runtime_error(file.string() + " is not a key of " + std::to_string(bytes) +
                                 " bytes: restore it from a backup (it is never replaced)");
    }
    if (sodium_init() < 0) throw std::runtime_error("libsodium cannot start");
    std::string key(bytes, '\0');
    randombytes_buf(key.data(), key.size());
    std::string tmp = file.string() + ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) throw std::runtime_error("cannot write " + tmp + " (" + std::strerror(errno) + ")");
    bool ok = ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok) throw std::runtime_error("cannot write " + tmp);
    std::filesystem::rename(tmp, file);
    return key;
}

}  // namespace relais
