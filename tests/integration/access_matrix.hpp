#pragma once
// The access matrix: every HTTP route × every kind of caller. Each module's test file
// registers its own rows (RELAIS_ACCESS_ROWS below); test_access.cpp checks that the
// rows cover exactly the routes `relais routes` lists, with the access level the router
// stores, and that each caller gets the expected status. A route without a row fails.
#include "harness.hpp"

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace relais::test {

/// The callers: "anonyme", "membre", "animateur", "admin" -> their session cookie.
struct access_fixture {
    server& s;
    std::map<std::string, std::string> cookies;
    const std::string& admin() const { return cookies.at("admin"); }
};

struct access_row {
    std::string method, pattern;  // as registered, e.g. "/api/workshops/{id}"
    std::string access;           // the level the router must store
    std::string target, body;     // a concrete request
    std::map<std::string, int> expected;  // caller -> status
};

/// The same status for anyone, or per caller (anonyme, membre, animateur, admin).
inline std::map<std::string, int> all(int status) {
    return {{"anonyme", status}, {"membre", status}, {"animateur", status}, {"admin", status}};
}
inline std::map<std::string, int> by_role(int anonyme, int membre, int animateur, int admin) {
    return {{"anonyme", anonyme}, {"membre", membre}, {"animateur", animateur}, {"admin", admin}};
}

using access_rows = std::function<std::vector<access_row>(access_fixture&)>;
std::vector<std::pair<std::string, access_rows>>& access_registry();

struct access_registration {
    access_registration(std::string module, access_rows rows) { access_registry().emplace_back(std::move(module), std::move(rows)); }
};

}  // namespace relais::test

#define RELAIS_ACCESS_CAT2(a, b) a##b
#define RELAIS_ACCESS_CAT(a, b) RELAIS_ACCESS_CAT2(a, b)
/// RELAIS_ACCESS_ROWS("library", [](relais::test::access_fixture& f) { return std::vector<access_row>{...}; });
#define RELAIS_ACCESS_ROWS(module, ...) \
    static const relais::test::access_registration RELAIS_ACCESS_CAT(access_rows_, __LINE__)(module, __VA_ARGS__)
