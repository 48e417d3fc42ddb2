#include "library/blobs.hpp"

#include <sodium.h>

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace relais::library {
namespace {

void sync_path(const std::filesystem::path& p, bool directory) {
    int fd = ::open(p.c_str(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
    if (fd < 0) throw std::runtime_error("cannot open " + p.string() + " to sync it");
    int rc = ::fsync(fd);
    ::close(fd);
    if (rc != 0) throw std::runtime_error("fsync failed on " + p.string());
}

}  // namespace

blobs::blobs(std::filesystem::path dir) : dir_(std::move(dir)) { std::filesystem::create_directories(dir_); }

std::string blobs::digest(std::string_view bytes) {
    unsigned char out[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(out, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
    static const char* hex = "0123456789abcdef";
    std::string s;
    for (unsigned char c : out) {
        s += hex[c >> 4];
        s += hex[c & 15];
    }
    return s;
}

bool blobs::is_digest(std::string_view s) {
    if (s.size() != 64) return false;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

std::filesystem::path blobs::path_of(const std::string& d) const {
    if (!is_digest(d)) throw std::invalid_argument("not a file digest");
    return dir_ / d.substr(0, 2) / d.substr(2);
}

bool blobs::has(const std::string& d) const { return std::filesystem::exists(path_of(d)); }

std::string blobs::put(std::string_view bytes) {
    auto d = digest(bytes);
    auto target = path_of(d);
    if (std::filesystem::exists(target)) return d;
    write_atomically(target, bytes);
    return d;
}

void blobs::write_atomically(const std::filesystem::path& target, std::string_view bytes) {
    std::filesystem::create_directories(target.parent_path());
    std::random_device rd;
    auto tmp = target.parent_path() / (".tmp-" + std::to_string(rd()) + std::to_string(rd()));
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        out.flush();
        if (!out) {
            std::error_code ec;
            std::filesystem::remove(tmp, ec);
            throw std::runtime_error("cannot write " + tmp.string());
        }
    }
    sync_path(tmp, false);
    std::filesystem::rename(tmp, target);
    sync_path(target.parent_path(), true);
}

std::filesystem::path blobs::derived_path(const std::string& d, const std::string& suffix) const {
    if (suffix.empty() || suffix.size() > 40) throw std::invalid_argument("bad derived file name");
    for (char c : suffix)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-')) throw std::invalid_argument("bad derived file name");
    auto p = path_of(d);
    return p.parent_path() / (p.filename().string() + "." + suffix);
}

void blobs::put_derived(const std::string& d, const std::string& suffix, std::string_view bytes) {
    write_atomically(derived_path(d, suffix), bytes);
}

std::optional<std::string> blobs::get_derived(const std::string& d, const std::string& suffix) const {
    std::ifstream in(derived_path(d, suffix), std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string blobs::get(const std::string& d) const {
    std::ifstream in(path_of(d), std::ios::binary);
    if (!in) throw std::runtime_error("missing file " + d);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void blobs::remove(const std::string& d) {
    std::error_code ec;
    auto p = path_of(d);
    std::filesystem::remove(p, ec);
    const auto prefix = p.filename().string() + ".";
    std::vector<std::filesystem::path> derived;
    for (std::filesystem::directory_iterator it(p.parent_path(), ec), end; !ec && it != end; it.increment(ec))
        if (it->path().filename().string().rfind(prefix, 0) == 0) derived.push_back(it->path());
    for (const auto& x : derived) std::filesystem::remove(x, ec);
}

}  // namespace relais::library
