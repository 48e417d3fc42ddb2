#pragma once
// The list of feature modules, in dependency order (a module may `need` the interfaces
// of those before it). Adding a module: its folder, its CMake target (relais_module in
// server/CMakeLists.txt) and one line in modules.cpp.
#include "platform/module.hpp"

#include <memory>
#include <vector>

namespace relais::app {

std::vector<std::unique_ptr<platform::module>> make_modules();

}  // namespace relais::app
