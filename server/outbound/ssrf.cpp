#include "outbound/ssrf.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <initializer_list>

#include <arpa/inet.h>
#include <netinet/in.h>

namespace relais::outbound {
namespace {

enum class range { global, loopback, internal, reserved };

constexpr std::uint32_t v4(std::uint32_t a, std::uint32_t b, std::uint32_t c, std::uint32_t d) {
    return a << 24 | b << 16 | c << 8 | d;
}

range classify_v4(std::uint32_t a) {
    struct block {
        std::uint32_t net;
        int bits;
        range kind;
    };
    static constexpr block blocks[] = {
        {v4(0, 0, 0, 0), 8, range::reserved},  // "this network", 0.0.0.0
        {v4(10, 0, 0, 0), 8, range::internal},
        {v4(100, 64, 0, 0), 10, range::internal},  // carrier-grade NAT
        {v4(127, 0, 0, 0), 8, range::loopback},
        {v4(169, 254, 0, 0), 16, range::internal},  // link-local, cloud metadata services
        {v4(172, 16, 0, 0), 12, range::internal},
        {v4(192, 0, 0, 0), 24, range::reserved},    // IETF protocol assignments
        {v4(192, 0, 2, 0), 24, range::reserved},    // documentation
        {v4(192, 88, 99, 0), 24, range::reserved},  // 6to4 relay anycast
        {v4(192, 168, 0, 0), 16, range::internal},
        {v4(198, 18, 0, 0), 15, range::internal},  // benchmarking, used inside some networks
        {v4(198, 51, 100, 0), 24, range::reserved},
        {v4(203, 0, 113, 0), 24, range::reserved},
        {v4(224, 0, 0, 0), 4, range::reserved},  // multicast
        {v4(240, 0, 0, 0), 4, range::reserved},  // reserved, limited broadcast
    };
    for (const auto& b : blocks)
        if (a >> (32 - b.bits) == b.net >> (32 - b.bits)) return b.kind;
    return range::global;
}

using bytes16 = std::array<std::uint8_t, 16>;

/// True when the first `bits` bits of a equal those of prefix (its leading bytes, zero-padded).
bool in6(const bytes16& a, std::initializer_list<std::uint8_t> prefix, int bits) {
    bytes16 net{};
    std::copy(prefix.begin(), prefix.end(), net.begin());
    for (std::size_t i = 0; bits > 0; ++i, bits -= 8) {
        auto mask = static_cast<std::uint8_t>(bits >= 8 ? 0xff : 0xff << (8 - bits));
        if ((a[i] & mask) != (net[i] & mask)) return false;
    }
    return true;
}

range classify_v6(const bytes16& a) {
    auto embedded = [&](std::size_t at) {
        return classify_v4(std::uint32_t{a[at]} << 24 | std::uint32_t{a[at + 1]} << 16 | std::uint32_t{a[at + 2]} << 8 |
                           a[at + 3]);
    };
    bytes16 loopback{};
    loopback[15] = 1;
    if (a == bytes16{}) return range::reserved;
    if (a == loopback) return range::loopback;
    if (in6(a, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}, 96)) return embedded(12);  // ::ffff:a.b.c.d
    if (in6(a, {0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0}, 96)) return embedded(12);  // ::ffff:0:a.b.c.d
    if (in6(a, {}, 96)) return embedded(12);                                          // ::a.b.c.d
    if (in6(a, {0x00, 0x64, 0xff, 0x9b}, 96)) return embedded(12);                    // NAT64
    if (in6(a, {0x00, 0x64, 0xff, 0x9b, 0x00, 0x01}, 48)) return range::internal;     // local NAT64
    if (in6(a, {0x20, 0x02}, 16)) return embedded(2);                                 // 6to4
    if (in6(a, {0x20, 0x01, 0x00, 0x00}, 32)) return range::reserved;                 // Teredo
    if (in6(a, {0x20, 0x01, 0x0d, 0xb8}, 32)) return range::reserved;                 // documentation
    if (in6(a, {0x3f, 0xff}, 20)) return range::reserved;                             // documentation
    if (in6(a, {0xfc}, 7) || in6(a, {0xfe, 0x80}, 10) || in6(a, {0xfe, 0xc0}, 10)) return range::internal;
    if (!in6(a, {0x20}, 3)) return range::reserved;  // outside global unicast: multicast, unassigned
    return range::global;
}

bool permitted(range r, const address_policy& policy) {
    switch (r) {
    case range::global: return true;
    case range::loopback: return policy.allow_loopback;
    case range::internal: return policy.allow_private;
    case range::reserved: return false;
    }
    return false;
}

}  // namespace

bool address_allowed(const sockaddr* address, socklen_t length, const address_policy& policy) noexcept {
    if (!address) return false;
    // Copied out: the caller's buffer may be a plain sockaddr of unknown alignment.
    if (address->sa_family == AF_INET && length >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
        sockaddr_in in{};
        std::memcpy(&in, address, sizeof in);
        return permitted(classify_v4(ntohl(in.sin_addr.s_addr)), policy);
    }
    if (address->sa_family == AF_INET6 && length >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
        sockaddr_in6 in6{};
        std::memcpy(&in6, address, sizeof in6);
        bytes16 a;
        std::memcpy(a.data(), &in6.sin6_addr, a.size());
        return permitted(classify_v6(a), policy);
    }
    return false;
}

bool address_allowed(std::string_view literal, const address_policy& policy) noexcept {
    char text[INET6_ADDRSTRLEN] = {};
    if (literal.size() >= sizeof text) return false;
    literal.copy(text, literal.size());
    sockaddr_in in{};
    in.sin_family = AF_INET;
    if (inet_pton(AF_INET, text, &in.sin_addr) == 1)
        return address_allowed(reinterpret_cast<const sockaddr*>(&in), sizeof in, policy);
    sockaddr_in6 in6{};
    in6.sin6_family = AF_INET6;
    if (inet_pton(AF_INET6, text, &in6.sin6_addr) == 1)
        return address_allowed(reinterpret_cast<const sockaddr*>(&in6), sizeof in6, policy);
    return false;
}

}  // namespace relais::outbound
