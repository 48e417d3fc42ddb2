#pragma once
// Settings: every key is declared once, by the platform or by the module that owns it,
// with its default and bounds; values come from built-in defaults, then the TOML file,
// then RELAIS_<SECTION>_<KEY> environment variables, then command-line overrides. A bad
// value or an unknown key stops the start with a message naming it.
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

namespace relais::platform {

class config_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class settings {
public:
    // Declarations ("section.key"); a key declared twice is a programming error.
    void integer(const std::string& key, long long def, long long lo, long long hi, std::string help = {});
    void number(const std::string& key, double def, double lo, double hi, std::string help = {});
    /// `choices` empty: any text.
    void text(const std::string& key, std::string def, std::vector<std::string> choices = {}, std::string help = {});
    void list(const std::string& key, std::vector<std::string> def, std::string help = {});
    void boolean(const std::string& key, bool def, std::string help = {});

    /// Reads the TOML file (missing: an error only when `required`), then the environment,
    /// then `overrides` ("section.key" -> text).
    void load(const std::filesystem::path& file, bool required, const std::map<std::string, std::string>& overrides);
    /// One value as text (environment, flags); checked against its declaration.
    void set(const std::string& key, const std::string& value);

    long long get_int(const std::string& key) const;
    double get_number(const std::string& key) const;
    const std::string& get_text(const std::string& key) const;
    const std::vector<std::string>& get_list(const std::string& key) const;
    bool get_bool(const std::string& key) const;

    bool declared(const std::string& key) const { return entries_.count(key) > 0; }
    /// Every declared key with its current value as TOML-like text (for `relais settings`).
    std::vector<std::pair<std::string, std::string>> describe() const;

private:
    using value = std::variant<long long, double, std::string, std::vector<std::string>, bool>;
    struct entry {
        value v;
        double lo = 0, hi = 0;  // numbers
        std::vector<std::string> choices;
        std::string help;
    };
    entry& find(const std::string& key);
    const entry& find(const std::string& key) const;
    void check(const std::string& key, entry& e, value v);
    void declare(const std::string& key, entry e);
    std::map<std::string, entry> entries_;
};

}  // namespace relais::platform
