#pragma once
// How a module tells people something: a notice in the application (the bell, pushed
// live to their open pages) and, when asked, an e-mail through the mail outbox. Both are
// written in the caller's transaction; `push` after the commit updates open pages.
#include "db/database.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace relais::notifications {

struct notice {
    std::string kind;   // "<module>.<event>", e.g. "library.published"
    std::string title;  // one line, French
    std::string body;   // a few lines, plain text
    std::string link;   // an application path ("/bibliotheque/12"), or ""
    bool email = true;  // also by e-mail (when the person has a valid address)
};

class notifier {
public:
    virtual ~notifier() = default;
    /// In the caller's write transaction.
    virtual void notify(db::connection& c, std::int64_t user_id, const notice& n) = 0;
    /// After the caller's commit: the new unread counts to those people's open pages, and
    /// the e-mail sender woken.
    virtual void push(const std::vector<std::int64_t>& user_ids) = 0;
    /// In the caller's write transaction: the unread notices of `kind` about `link` are
    /// read now — what they asked for was done (a fiche to review was reviewed by
    /// someone). Returns whose counts changed, for `push`.
    virtual std::vector<std::int64_t> settle(db::connection& c, const std::string& kind, const std::string& link) = 0;
};

}  // namespace relais::notifications
