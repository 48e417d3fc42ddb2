#pragma once
// The tables the library's unit tests need: the modules it stands on, then its own.
#include "auth/module.hpp"
#include "indexing/module.hpp"
#include "library/module.hpp"
#include "platform/migrate.hpp"

inline void library_schema(relais::db::connection& c) {
    relais::platform::migrate(c, {{"auth", &relais::auth::migrations()},
                                  {"indexing", &relais::indexing::migrations()},
                                  {"library", &relais::library::migrations()}});
}
