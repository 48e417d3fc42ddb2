#include "app/modules.hpp"

#include "auth/module.hpp"
#include "expertise/module.hpp"
#include "indexing/module.hpp"
#include "library/module.hpp"
#include "mail/module.hpp"
#include "notifications/module.hpp"
#include "reference/module.hpp"
#include "territory/module.hpp"
#include "watch/module.hpp"
#include "workshops/module.hpp"

namespace relais::app {

std::vector<std::unique_ptr<platform::module>> make_modules() {
    std::vector<std::unique_ptr<platform::module>> list;
    list.push_back(reference::make_module());  // the shared vocabulary, GET /api/meta
    list.push_back(auth::make_module());       // accounts, organisations, sessions, the directory
    list.push_back(territory::make_module());  // communes, populations, CPTS territories (« Territoire d'une CPTS »)
    list.push_back(mail::make_module());           // the e-mail outbox and its sender
    list.push_back(notifications::make_module());  // the bell, pushed live, with e-mail copies
    list.push_back(indexing::make_module());       // one search index for every module's documents
    list.push_back(library::make_module());    // the library, its index, the filer
    list.push_back(workshops::make_module());  // live workshops (files reports in the library)
    list.push_back(watch::make_module());      // the shared documentary watch (veille)
    list.push_back(expertise::make_module());  // the expertise map (who knows what, where)
    return list;
}

}  // namespace relais::app
