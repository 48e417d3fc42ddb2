#include "library/seed.hpp"

#include "auth/territory.hpp"
#include "common/errors.hpp"
#include "common/time.hpp"
#include "common/utf8.hpp"
#include "library/extract.hpp"
#include "library/uploads.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <sstream>

namespace relais::library {
namespace {

std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) throw std::invalid_argument("cannot read " + p.string());
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::vector<std::string> string_list(const toml::table& t, const char* key) {
    std::vector<std::string> out;
    if (auto arr = t[key].as_array())
        for (const auto& v : *arr)
            if (auto s = v.value<std::string>()) out.push_back(*s);
    return out;
}

}  // namespace

seed_item parse_seed_item(const std::string& text) {
    if (!is_valid_utf8(text)) throw std::invalid_argument("not UTF-8");
    if (text.rfind("+++\n", 0) != 0) throw std::invalid_argument("no front matter (+++)");
    auto end = text.find("\n+++", 3);
    if (end == std::string::npos) throw std::invalid_argument("front matter not closed");
    auto front = text.substr(4, end - 3);
    auto body_start = text.find('\n', end + 1);
    seed_item s;
    s.c.body = body_start == std::string::npos ? "" : text.substr(body_start + 1);
    toml::table t;
    try {
        t = toml::parse(front);
    } catch (const toml::parse_error& e) {
        throw std::invalid_argument(std::string("front matter: ") + std::string(e.description()));
    }
    s.slug = t["slug"].value_or(std::string());
    s.kind = t["kind"].value_or(std::string());
    s.c.title = t["title"].value_or(std::string());
    s.c.summary = t["summary"].value_or(std::string());
    s.c.phases = string_list(t, "phases");
    s.c.missions = string_list(t, "missions");
    s.c.author_name = t["author"].value_or(std::string("Équipe Relais"));
    s.c.date = t["date"].value_or(std::string());
    if (auto d = t["date"].as_date()) {
        char buf[16];
        std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", static_cast<int>(d->get().year), static_cast<int>(d->get().month),
                      static_cast<int>(d->get().day));
        s.c.date = buf;
    }
    auto region = t["region"].value_or(std::string());
    if (!region.empty()) {
        for (const auto& r : auth::regions())
            if (r.label == region || r.code == region) s.c.region = std::string(r.code);
        if (!s.c.region) throw std::invalid_argument("unknown region " + region);
    }
    s.attachment_files = string_list(t, "attachments");
    static const std::regex slug_re("^[a-z0-9][a-z0-9-]{0,99}$");
    if (!std::regex_match(s.slug, slug_re)) throw std::invalid_argument("bad slug");
    if (!is_code(kinds(), s.kind)) throw std::invalid_argument("bad kind " + s.kind);
    if (s.c.title.empty() || s.c.summary.empty() || s.c.body.empty()) throw std::invalid_argument("title, summary and body are required");
    for (const auto& p : s.c.phases)
        if (!is_code(phases(), p)) throw std::invalid_argument("bad phase " + p);
    for (const auto& m : s.c.missions)
        if (!is_code(missions(), m)) throw std::invalid_argument("bad mission " + m);
    static const std::regex date_re("^\\d{4}-\\d{2}-\\d{2}$");
    if (!std::regex_match(s.c.date, date_re)) throw std::invalid_argument("bad date");
    return s;
}

seed_summary load_seed_library(db::connection& c, blobs& files, const std::filesystem::path& seed_dir) {
    seed_summary sum;
    auto root = seed_dir / "library";
    if (!std::filesystem::is_directory(root)) return sum;
    std::vector<std::filesystem::path> paths;
    for (const char* sub : {"guides", "outils", "temoignages"}) {
        if (!std::filesystem::is_directory(root / sub)) continue;
        for (const auto& e : std::filesystem::directory_iterator(root / sub))
            if (e.path().extension() == ".md") paths.push_back(e.path());
    }
    std::sort(paths.begin(), paths.end());
    auto now = unix_now();
    for (const auto& p : paths) {
        seed_item s;
        try {
            s = parse_seed_item(read_file(p));
            for (const auto& name : s.attachment_files) {
                if (name.find('/') != std::string::npos || name.find("..") != std::string::npos)
                    throw std::invalid_argument("bad attachment name " + name);
                auto bytes = read_file(root / "fichiers" / name);
                auto ex = extract(name, bytes);
                auto row = keep_upload(files, ex, bytes);
                store::insert_file(c, row, std::nullopt, now);
                s.c.attachments.push_back({row.sha256, name, ex.mime, row.size});
            }
        } catch (const api_error& e) {
            throw std::invalid_argument(p.string() + ": attachment: " + std::string(e.message()));
        } catch (const std::invalid_argument& e) {
            throw std::invalid_argument(p.string() + ": " + e.what());
        }
        s.c.note = "Contenu de référence Relais";
        if (auto id = store::item_by_slug(c, s.slug)) {
            auto it = store::find_item(c, *id);
            // Someone edited the item after the seed last wrote it: their text wins.
            auto from_seed = c.prepare("SELECT max(version) FROM library_versions WHERE item_id = ? AND created_by IS NULL");
            from_seed.bind(1, *id);
            from_seed.step();
            if (from_seed.is_null(0) || from_seed.get_int(0) != it->latest_version) continue;
            auto latest = store::version(c, *id, it->latest_version);
            if (latest && latest->same_as(s.c)) continue;
            s.c.note = "Mise à jour du contenu de référence";
            store::add_version(c, *it, s.c, true, std::nullopt, now);
            ++sum.updated;
        } else {
            item it;
            it.slug = s.slug;
            it.kind = s.kind;
            it.state = "published";
            store::create_item(c, it, s.c, std::nullopt, now);
            ++sum.added;
        }
    }
    return sum;
}

}  // namespace relais::library
