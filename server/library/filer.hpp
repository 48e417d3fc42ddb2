#pragma once
// How another module files a document in the library (a workshop's compte rendu; next,
// a curated watch item) without touching the library's tables. The document is keyed by
// its origin ("workshop:12"): filing again under the same origin adds a version to the
// same item (and brings it back if it was withdrawn). Published at once when `by` may
// review, else it waits for review.
#include "auth/service.hpp"

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace relais::library {

struct filing {
    std::string origin;  // "<module>:<id>", at most 100 characters
    std::string kind;    // an item kind of the reference data, e.g. "compte_rendu"
    std::string title, summary, markdown;
    std::vector<std::string> phases;  // CPTS phase codes
    std::string note;                 // the version's note, e.g. "Compte rendu de l'atelier"
};

class filer {
public:
    virtual ~filer() = default;
    /// Returns {"item":{"id","state","version"}}. (References: the caller's named locals
    /// outlive the call; see the coroutine rules in docs/architecture.md.)
    virtual boost::asio::awaitable<nlohmann::json> file(const filing& f, const auth::principal& by) = 0;
    /// The document filed under `origin` is withdrawn: archived (gone from the library and
    /// its search; filing it again brings it back with a new version). Returns
    /// {"item":{"id","archived":true}}, or null when nothing was filed under it.
    virtual boost::asio::awaitable<nlohmann::json> withdraw(const std::string& origin, const auth::principal& by) = 0;
};

}  // namespace relais::library
