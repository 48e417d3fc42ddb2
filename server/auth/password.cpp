#include "auth/password.hpp"

#include "common/utf8.hpp"

#include <sodium.h>

#include <cctype>
#include <set>
#include <stdexcept>
#include <vector>

namespace relais::auth {

std::string hash_password(std::string_view password, hash_cost cost) {
    char out[crypto_pwhash_STRBYTES];
    auto ops = cost == hash_cost::moderate ? crypto_pwhash_OPSLIMIT_MODERATE : crypto_pwhash_OPSLIMIT_INTERACTIVE;
    auto mem = cost == hash_cost::moderate ? crypto_pwhash_MEMLIMIT_MODERATE : crypto_pwhash_MEMLIMIT_INTERACTIVE;
    if (crypto_pwhash_str_alg(out, password.data(), password.size(), ops, mem, crypto_pwhash_ALG_ARGON2ID13) != 0)
        throw std::runtime_error("password hashing failed (out of memory)");
    return out;
}

bool verify_password(const std::string& encoded, std::string_view password) {
    return crypto_pwhash_str_verify(encoded.c_str(), password.data(), password.size()) == 0;
}

bool acceptable_password(std::string_view password) {
    if (!is_valid_utf8(password)) return false;
    auto n = utf8_length(password);
    if (n < 10 || n > 256) return false;
    // Length is what makes a password strong (NIST SP 800-63B), but not a length of one
    // key held down: at least 5 different characters ("aaaaaaaaaa", blanks, "ababab…").
    std::set<std::string_view> distinct;
    for (std::size_t i = 0; i < password.size();) {
        auto b = static_cast<unsigned char>(password[i]);
        std::size_t len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : 4;
        distinct.insert(password.substr(i, len));
        i += len;
    }
    if (distinct.size() < 5) return false;
    // Nor the first ones every guessing list tries (letters compared without case).
    static const std::set<std::string> common{
        "0123456789",    "1234567890",   "0987654321",    "9876543210", "azertyuiop", "qwertyuiop",    "qwertzuiop",
        "motdepasse",    "motdepasse1",  "motdepasse12",  "motdepasse123", "password123", "password1234", "azerty1234",
        "azerty123456",  "1234567890a",  "123456789a",    "a123456789", "soleil1234", "bonjour1234", "doudou1234",
        "azertyuiop1",   "1q2w3e4r5t",   "1a2z3e4r5t",    "relais1234", "relais2026", "cpts123456", "motdepassecpts"};
    std::string folded;
    for (char ch : password)
        if (ch != ' ') folded += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return !common.count(folded);
}

std::string random_token(std::size_t bytes) {
    std::vector<unsigned char> raw(bytes);
    randombytes_buf(raw.data(), raw.size());
    std::string out(sodium_base64_ENCODED_LEN(bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
    sodium_bin2base64(out.data(), out.size(), raw.data(), raw.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    out.resize(std::char_traits<char>::length(out.c_str()));
    return out;
}

std::string token_hash(std::string_view token) {
    unsigned char h[32];
    crypto_generichash(h, sizeof h, reinterpret_cast<const unsigned char*>(token.data()), token.size(), nullptr, 0);
    char hex[sizeof h * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    return hex;
}

}  // namespace relais::auth
