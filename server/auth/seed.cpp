#include "auth/seed.hpp"

#include "auth/service.hpp"
#include "common/errors.hpp"
#include "common/time.hpp"

#include <fstream>
#include <sstream>

namespace relais::auth {

int load_seed_organisations(db::connection& c, const std::filesystem::path& seed_dir) {
    auto file = seed_dir / "organisations.json";
    std::ifstream in(file);
    if (!in) throw std::runtime_error("seed file missing: " + file.string());
    std::stringstream ss;
    ss << in.rdbuf();
    auto j = nlohmann::json::parse(ss.str(), nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("organisations") || !j["organisations"].is_array())
        throw std::runtime_error(file.string() + ": expected {\"organisations\": [...]}");
    int created = 0;
    auto now = unix_now();
    for (const auto& entry : j["organisations"]) {
        org o;
        try {
            o = service::parse_org(entry, nullptr);
        } catch (const api_error& e) {
            throw std::runtime_error(file.string() + ": invalid organisation " + entry.dump() + " (" + e.field() + ")");
        }
        if (store::org_by_name(c, o.name)) continue;
        store::insert_org(c, o, now);
        ++created;
    }
    return created;
}

}  // namespace relais::auth
