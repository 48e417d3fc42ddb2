#pragma once
// Argon2id password hashing (libsodium). Slow on purpose: call off the network threads.
#include <string>
#include <string_view>

namespace relais::auth {

enum class hash_cost { interactive, moderate };

/// libsodium's encoded Argon2id string ("$argon2id$v=19$m=...").
std::string hash_password(std::string_view password, hash_cost cost = hash_cost::interactive);
bool verify_password(const std::string& encoded, std::string_view password);
/// Whether a password meets the policy: 10..256 code points of valid UTF-8, at least 5
/// different ones, not one of the most common passwords.
bool acceptable_password(std::string_view password);

/// A random URL-safe token of `bytes` random bytes.
std::string random_token(std::size_t bytes = 32);
/// BLAKE2b-256 of a token in hex, as stored in the sessions table.
std::string token_hash(std::string_view token);

}  // namespace relais::auth
