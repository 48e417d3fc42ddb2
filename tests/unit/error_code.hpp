#pragma once
// The stable error code an operation is refused with ("ok" when it is not).
#include "common/errors.hpp"

#include <functional>
#include <string>

inline std::string code_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const relais::api_error& e) {
        return std::string(e.code());
    }
    return "ok";
}
