#pragma once
// Who is on the other end of a request or a socket: an account, or a guest of one
// workshop (invited by link, no account).
#include "auth/service.hpp"
#include "workshops/store.hpp"

#include <optional>
#include <string>

namespace relais::workshops {

inline constexpr const char* guest_cookie = "relais_invite";

struct identity {
    std::optional<auth::principal> account;
    std::optional<store::guest_row> guest;

    std::string key() const {
        return account ? "u:" + std::to_string(account->account.id) : guest ? "g:" + std::to_string(guest->id) : std::string();
    }
    std::string name() const { return account ? account->account.name : guest ? guest->name : std::string(); }
};

}  // namespace relais::workshops
