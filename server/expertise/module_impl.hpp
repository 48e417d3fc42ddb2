#pragma once
// The expertise module's class, shared by its two halves: module.cpp (settings, start, the
// reminders job, the seed, the directory's search documents) and routes.cpp (the HTTP
// handlers, thin: they read the request, call service.hpp, write the response). Nothing
// outside server/expertise/ includes it.
#include "expertise/module.hpp"

#include "expertise/service.hpp"

#include <memory>
#include <string>
#include <vector>

namespace relais {
namespace auth { class service; }
namespace indexing { class indexer; class source; }
namespace notifications { class notifier; }
namespace search { class index; }
}  // namespace relais

namespace relais::expertise {

class expertise_module final : public platform::module {
public:
    expertise_module();
    ~expertise_module() override;
    std::string_view name() const override { return "expertise"; }
    const std::vector<platform::migration>& migrations() const override { return expertise::migrations(); }
    std::vector<const error_def*> errors() const override;
    void declare(platform::settings& s) const override;
    void start(platform::context& ctx) override;
    void jobs(platform::scheduler& s) override;
    std::string seed(db::connection& c, const std::filesystem::path& seed_dir) override;
    void routes(net::router& r) override;  // routes.cpp

private:
    /// The daily reminder: people whose entries went stale are asked to confirm them.
    void remind(std::int64_t now);
    /// A notice (in the application and by e-mail) about a need to each of `who`.
    void tell(db::connection& c, const std::vector<std::int64_t>& who, const json& need, const std::string& title,
              const std::string& body) const;

    db::pool* db_ = nullptr;
    auth::service* auth_ = nullptr;
    notifications::notifier* notifier_ = nullptr;
    search::index* index_ = nullptr;
    indexing::indexer* indexer_ = nullptr;
    library::filer* filer_ = nullptr;
    std::unique_ptr<service> service_;
    std::unique_ptr<indexing::source> source_;  // the directory's search documents
};

}  // namespace relais::expertise
