// The reference module: one GET /api/meta for every label of the interface.
#include "reference/module.hpp"

#include "reference/data.hpp"
#include "reference/glossary.hpp"

#include <fstream>
#include <iterator>

namespace relais::reference {
namespace {

class reference_module final : public platform::module {
public:
    std::string_view name() const override { return "reference"; }
    const std::vector<platform::migration>& migrations() const override { return reference::migrations(); }

    void start(platform::context& ctx) override {
        body_ = meta_json().dump();
        const auto read = [&](const char* name) {
            std::ifstream in(ctx.seed_dir() / name, std::ios::binary);
            return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        };
        glossary_ = glossary_json(read("synonymes.txt"), read("glossaire.txt")).dump();
    }

    void routes(net::router& r) override {
        // Public: the sign-in and invitation pages label things too; nothing here is private.
        r.add("GET", "/api/meta", "anyone", [this](net::request&) -> asio::awaitable<net::response> {
            auto res = net::response::text(200, body_, "application/json; charset=utf-8");
            res.header("Cache-Control", "public, max-age=3600");
            co_return res;
        });
        // The acronyms of the seed content, spelled out and explained (public, like /api/meta).
        r.add("GET", "/api/glossary", "anyone", [this](net::request&) -> asio::awaitable<net::response> {
            auto res = net::response::text(200, glossary_, "application/json");
            res.header("Cache-Control", "public, max-age=3600");
            co_return res;
        });
    }

private:
    std::string body_, glossary_;
};

}  // namespace

std::unique_ptr<platform::module> make_module() { return std::make_unique<reference_module>(); }

}  // namespace relais::reference
