#include "platform/migrate.hpp"

#include "common/log.hpp"

#include <map>
#include <stdexcept>

namespace relais::platform {
namespace {

std::string_view without_number(std::string_view name) {
    auto us = name.find('_');
    return us == std::string_view::npos ? name : name.substr(us + 1);
}

bool table_exists(db::connection& c, const char* table) {
    auto s = c.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1");
    s.bind(1, table);
    return s.step();
}

// Release 0.1 numbered migrations across the whole server. Their rows move to
// module_migrations under the module that now owns the same file.
void convert_global_list(db::connection& c, const std::vector<module_schema>& modules) {
    if (!table_exists(c, "schema_migrations")) return;
    db::transaction tx(c);
    std::vector<std::pair<std::string, std::int64_t>> rows;
    {
        auto s = c.prepare("SELECT name, applied_at FROM schema_migrations ORDER BY version");
        while (s.step()) rows.emplace_back(s.get_text(0), s.get_int(1));
    }
    for (const auto& [old_name, applied_at] : rows) {
        bool found = false;
        for (const auto& m : modules)
            for (const auto& mig : *m.migrations)
                if (!found && without_number(mig.name) == without_number(old_name)) {
                    c.prepare("INSERT OR IGNORE INTO module_migrations(module, version, name, applied_at) VALUES(?1, ?2, ?3, ?4)")
                        .bind(1, m.module)
                        .bind(2, mig.version)
                        .bind(3, mig.name)
                        .bind(4, applied_at)
                        .exec();
                    found = true;
                }
        if (!found) throw std::runtime_error("database migration " + old_name + " belongs to no module of this build");
    }
    c.exec("DROP TABLE schema_migrations");
    tx.commit();
    log::info("db_migrations_converted", {{"migrations", rows.size()}});
}

}  // namespace

int migrate(db::connection& c, const std::vector<module_schema>& modules) {
    c.exec(
        "CREATE TABLE IF NOT EXISTS module_migrations (module TEXT NOT NULL, version INTEGER NOT NULL, "
        "name TEXT NOT NULL, applied_at INTEGER NOT NULL, PRIMARY KEY (module, version))");
    convert_global_list(c, modules);
    std::map<std::string, int, std::less<>> known;
    for (const auto& m : modules)
        for (const auto& mig : *m.migrations) known[std::string(m.module)] = std::max(known[std::string(m.module)], mig.version);
    {
        auto s = c.prepare("SELECT module, max(version) FROM module_migrations GROUP BY module");
        while (s.step()) {
            auto name = s.get_text(0);
            auto version = s.get_int(1);
            auto it = known.find(name);
            // A module absent from this build keeps its tables; a newer schema is refused.
            if (it != known.end() && version > it->second)
                throw std::runtime_error("the database was made by a newer Relais (module " + name + ", migration " +
                                         std::to_string(version) + "): use that version or restore a backup");
        }
    }
    int applied = 0;
    for (const auto& m : modules) {
        for (const auto& mig : *m.migrations) {
            {
                auto s = c.prepare("SELECT 1 FROM module_migrations WHERE module = ?1 AND version = ?2");
                s.bind(1, m.module).bind(2, mig.version);
                if (s.step()) continue;
            }
            // A migration that rebuilds a table runs with foreign keys off (SQLite's way; the
            // pragma does nothing inside a transaction) and checks them before it commits.
            bool rebuild = mig.sql.find("-- relais: foreign_keys=off") != std::string_view::npos;
            struct keys_back_on {
                db::connection& c;
                bool active;
                ~keys_back_on() {
                    if (active) c.exec("PRAGMA foreign_keys = ON");
                }
            } restore{c, rebuild};
            if (rebuild) c.exec("PRAGMA foreign_keys = OFF");
            db::transaction tx(c);
            c.exec(std::string(mig.sql));
            if (rebuild) {
                auto check = c.prepare("PRAGMA foreign_key_check");
                if (check.step())
                    throw std::runtime_error("migration " + std::string(m.module) + "/" + std::string(mig.name) +
                                             " leaves a broken foreign key in table " + check.get_text(0));
            }
            c.prepare("INSERT INTO module_migrations(module, version, name, applied_at) VALUES(?1, ?2, ?3, unixepoch())")
                .bind(1, m.module)
                .bind(2, mig.version)
                .bind(3, mig.name)
                .exec();
            tx.commit();
            ++applied;
        }
    }
    return applied;
}

}  // namespace relais::platform
