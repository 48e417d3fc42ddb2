#pragma once
// The SSRF guard: which addresses an outbound connection may reach. A request made on
// behalf of a user must not reach the server's own machine or its internal network.
#include <string_view>

#include <sys/socket.h>

namespace relais::outbound {

/// Which non-public destinations are allowed. Addresses that are neither public nor in
/// these two groups (unspecified, multicast, broadcast, reserved, documentation, Teredo)
/// are always refused.
struct address_policy {
    bool allow_loopback = false;  ///< 127.0.0.0/8, ::1
    bool allow_private = false;   ///< RFC 1918, link-local, CGNAT, benchmarking, fc00::/7, fec0::/10
};

/// True when a connection to this socket address (IPv4 or IPv6) is allowed. IPv6 forms
/// that embed an IPv4 address (mapped, compatible, translated, NAT64, 6to4) are judged
/// by the embedded address.
bool address_allowed(const sockaddr* address, socklen_t length, const address_policy& policy) noexcept;

/// The same for a numeric literal ("10.0.0.1", "::ffff:127.0.0.1"); false for anything
/// that is not one.
bool address_allowed(std::string_view literal, const address_policy& policy) noexcept;

}  // namespace relais::outbound
