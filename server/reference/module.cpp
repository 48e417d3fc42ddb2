// The reference module: one GET /api/meta for every label of the interface.
#include "reference/module.hpp"

#include "reference/data.hpp"

namespace relais::reference {
namespace {

class reference_module final : public platform::module {
public:
    std::string_view name() const override { return "reference"; }
    const std::vector<platform::migration>& migrations() const override { return reference::migrations(); }

    void start(platform::context&) override { body_ = meta_json().dump(); }

    void routes(net::router& r) override {
        // Public: the sign-in and invitation pages label things too; nothing here is private.
        r.add("GET", "/api/meta", "anyone", [this](net::request&) -> asio::awaitable<net::response> {
            auto res = net::response::text(200, body_, "application/json");
            res.header("Cache-Control", "public, max-age=3600");
            co_return res;
        });
    }

private:
    std::string body_;
};

}  // namespace

std::unique_ptr<platform::module> make_module() { return std::make_unique<reference_module>(); }

}  // namespace relais::reference
