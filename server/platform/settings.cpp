#include "platform/settings.hpp"

#include <toml++/toml.h>

#include <unistd.h>
#include <algorithm>
#include <cstdlib>
#include <sstream>

namespace relais::platform {
namespace {

std::string format_number(double v) {
    std::ostringstream out;
    out << v;
    return out.str();
}

std::vector<std::string> split_list(const std::string& s) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i <= s.size()) {
        auto j = s.find(',', i);
        if (j == std::string::npos) j = s.size();
        auto part = s.substr(i, j - i);
        while (!part.empty() && part.front() == ' ') part.erase(0, 1);
        while (!part.empty() && part.back() == ' ') part.pop_back();
        if (!part.empty()) out.push_back(part);
        i = j + 1;
    }
    return out;
}

}  // namespace

void settings::declare(const std::string& key, entry e) {
    if (key.find('.') == std::string::npos) throw std::logic_error("setting without a section: " + key);
    if (!entries_.emplace(key, std::move(e)).second) throw std::logic_error("setting declared twice: " + key);
}

void settings::integer(const std::string& key, long long def, long long lo, long long hi, std::string help) {
    declare(key, {def, static_cast<double>(lo), static_cast<double>(hi), {}, std::move(help)});
}
void settings::number(const std::string& key, double def, double lo, double hi, std::string help) {
    declare(key, {def, lo, hi, {}, std::move(help)});
}
void settings::text(const std::string& key, std::string def, std::vector<std::string> choices, std::string help) {
    declare(key, {std::move(def), 0, 0, std::move(choices), std::move(help)});
}
void settings::list(const std::string& key, std::vector<std::string> def, std::string help) {
    declare(key, {std::move(def), 0, 0, {}, std::move(help)});
}
void settings::boolean(const std::string& key, bool def, std::string help) { declare(key, {def, 0, 0, {}, std::move(help)}); }

settings::entry& settings::find(const std::string& key) {
    auto it = entries_.find(key);
    if (it == entries_.end()) throw config_error("unknown setting: " + key);
    return it->second;
}
const settings::entry& settings::find(const std::string& key) const {
    auto it = entries_.find(key);
    if (it == entries_.end()) throw std::logic_error("setting read but never declared: " + key);
    return it->second;
}

// `v` has already the declared type; checks its bounds or choices and stores it.
void settings::check(const std::string& key, entry& e, value v) {
    if (auto* i = std::get_if<long long>(&v)) {
        if (static_cast<double>(*i) < e.lo || static_cast<double>(*i) > e.hi)
            throw config_error(key + ": " + std::to_string(*i) + " is out of range [" +
                               std::to_string(static_cast<long long>(e.lo)) + ", " +
                               std::to_string(static_cast<long long>(e.hi)) + "]");
    } else if (auto* d = std::get_if<double>(&v)) {
        if (!(*d >= e.lo && *d <= e.hi))
            throw config_error(key + ": " + format_number(*d) + " is out of range [" + format_number(e.lo) + ", " +
                               format_number(e.hi) + "]");
    } else if (auto* s = std::get_if<std::string>(&v)) {
        if (!e.choices.empty() && std::find(e.choices.begin(), e.choices.end(), *s) == e.choices.end()) {
            std::string all;
            for (const auto& c : e.choices) all += (all.empty() ? "\"" : ", \"") + c + "\"";
            throw config_error(key + ": expected one of " + all + ", got \"" + *s + "\"");
        }
    }
    e.v = std::move(v);
}

void settings::set(const std::string& key, const std::string& text) {
    auto& e = find(key);
    value v;
    if (std::holds_alternative<long long>(e.v)) {
        try {
            std::size_t pos = 0;
            v = std::stoll(text, &pos);
            if (pos != text.size()) throw std::invalid_argument(text);
        } catch (const std::exception&) {
            throw config_error(key + ": not an integer: " + text);
        }
    } else if (std::holds_alternative<double>(e.v)) {
        try {
            std::size_t pos = 0;
            v = std::stod(text, &pos);
            if (pos != text.size()) throw std::invalid_argument(text);
        } catch (const std::exception&) {
            throw config_error(key + ": not a number: " + text);
        }
    } else if (std::holds_alternative<bool>(e.v)) {
        if (text == "true" || text == "1")
            v = true;
        else if (text == "false" || text == "0")
            v = false;
        else
            throw config_error(key + ": expected true or false, got " + text);
    } else if (std::holds_alternative<std::vector<std::string>>(e.v)) {
        v = split_list(text);
    } else {
        v = text;
    }
    check(key, e, std::move(v));
}

void settings::load(const std::filesystem::path& file, bool required, const std::map<std::string, std::string>& overrides) {
    if (std::filesystem::exists(file)) {
        // A folder (a typo, --config /etc/relais) read as an empty file would start the
        // server on its defaults: a new empty data folder.
        if (!std::filesystem::is_regular_file(file))
            throw config_error(file.string() + " is not a file");
        toml::table tbl;
        try {
            tbl = toml::parse_file(file.string());
        } catch (const toml::parse_error& err) {
            throw config_error(file.string() + ": " + std::string(err.description()) + " (line " +
                               std::to_string(err.source().begin.line) + ")");
        }
        for (const auto& [section, node] : tbl) {
            auto* t = node.as_table();
            if (!t)
                throw config_error(file.string() + ": top-level key '" + std::string(section.str()) + "' must be a [section]");
            for (const auto& [name, n] : *t) {
                std::string key = std::string(section.str()) + "." + std::string(name.str());
                auto it = entries_.find(key);
                if (it == entries_.end()) throw config_error(file.string() + ": unknown setting " + key);
                auto& e = it->second;
                value v;
                if (std::holds_alternative<long long>(e.v)) {
                    if (!n.is_integer()) throw config_error(key + ": expected an integer");
                    v = *n.value<long long>();
                } else if (std::holds_alternative<double>(e.v)) {
                    auto d = n.value<double>();
                    if (!d) throw config_error(key + ": expected a number");
                    v = *d;
                } else if (std::holds_alternative<bool>(e.v)) {
                    if (!n.is_boolean()) throw config_error(key + ": expected true or false");
                    v = *n.value<bool>();
                } else if (std::holds_alternative<std::vector<std::string>>(e.v)) {
                    auto* arr = n.as_array();
                    if (!arr) throw config_error(key + ": expected an array of strings");
                    std::vector<std::string> out;
                    for (const auto& item : *arr) {
                        auto s = item.value<std::string>();
                        if (!s || !item.is_string()) throw config_error(key + ": expected an array of strings");
                        out.push_back(*s);
                    }
                    v = std::move(out);
                } else {
                    if (!n.is_string()) throw config_error(key + ": expected a string");
                    v = *n.value<std::string>();
                }
                check(key, e, std::move(v));
            }
        }
    } else if (required) {
        throw config_error("configuration file not found: " + file.string());
    }
    // RELAIS_LIMITS_BODY_MAX_BYTES -> limits.body_max_bytes; RELAIS_DATA_DIR is storage.data_dir.
    for (char** env = environ; *env; ++env) {
        std::string item = *env;
        if (item.rfind("RELAIS_", 0) != 0) continue;
        auto eq = item.find('=');
        if (eq == std::string::npos) continue;
        std::string name = item.substr(7, eq - 7), text = item.substr(eq + 1);
        for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        if (name == "data_dir") {
            set("storage.data_dir", text);
            continue;
        }
        if (name == "config") continue;
        // The section is the first word; keys may contain underscores.
        auto us = name.find('_');
        if (us == std::string::npos) continue;
        std::string key = name.substr(0, us) + "." + name.substr(us + 1);
        if (!declared(key)) throw config_error("environment variable " + item.substr(0, eq) + ": unknown setting " + key);
        set(key, text);
    }
    for (const auto& [k, text] : overrides) set(k, text);
}

long long settings::get_int(const std::string& key) const { return std::get<long long>(find(key).v); }
double settings::get_number(const std::string& key) const { return std::get<double>(find(key).v); }
const std::string& settings::get_text(const std::string& key) const { return std::get<std::string>(find(key).v); }
const std::vector<std::string>& settings::get_list(const std::string& key) const {
    return std::get<std::vector<std::string>>(find(key).v);
}
bool settings::get_bool(const std::string& key) const { return std::get<bool>(find(key).v); }

std::vector<std::pair<std::string, std::string>> settings::describe() const {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& [key, e] : entries_) {
        std::string text = std::visit(
            [](const auto& x) -> std::string {
                using T = std::decay_t<decltype(x)>;
                if constexpr (std::is_same_v<T, long long>)
                    return std::to_string(x);
                else if constexpr (std::is_same_v<T, double>)
                    return format_number(x);
                else if constexpr (std::is_same_v<T, bool>)
                    return x ? "true" : "false";
                else if constexpr (std::is_same_v<T, std::string>)
                    return "\"" + x + "\"";
                else {
                    std::string s = "[";
                    for (const auto& item : x) s += (s.size() > 1 ? ", \"" : "\"") + item + "\"";
                    return s + "]";
                }
            },
            e.v);
        out.emplace_back(key, text);
    }
    return out;
}

}  // namespace relais::platform
