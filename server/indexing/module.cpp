// The indexing module: owns the indexer thread; modules add their sources at start.
#include "indexing/module.hpp"

#include "indexing/indexer.hpp"

namespace relais::indexing {
namespace {

class indexing_module final : public platform::module {
public:
    std::string_view name() const override { return "indexing"; }
    const std::vector<platform::migration>& migrations() const override { return indexing::migrations(); }

    void start(platform::context& ctx) override {
        indexer_ = std::make_unique<indexer>(ctx.db(), ctx.index());
        ctx.provide<indexer>(*indexer_);
    }
    // After every module started (and added its source): rebuild if needed, then follow.
    void run() override { indexer_->start(); }
    void stop() override {
        if (indexer_) indexer_->stop();
    }

private:
    std::unique_ptr<indexer> indexer_;
};

}  // namespace

std::unique_ptr<platform::module> make_module() { return std::make_unique<indexing_module>(); }

}  // namespace relais::indexing
