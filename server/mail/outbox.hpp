#pragma once
// How a module sends e-mail: it queues the message in its own transaction (the mail is
// sent only if that transaction commits, and is never lost once it has), then wakes the
// sender. The mail module sends with retries (backoff up to mail.max_attempts).
#include "db/database.hpp"

#include <optional>
#include <string>

namespace relais::mail {

struct message {
    std::string to, to_name;  // a valid address (outbound::valid_email), else the message is refused
    std::string subject;      // one line
    std::string text;         // plain text, UTF-8
    std::optional<std::string> html;
};

class outbox {
public:
    virtual ~outbox() = default;
    /// In the caller's write transaction. Returns false (and queues nothing) when the
    /// address is not valid.
    virtual bool queue(db::connection& c, const message& m) = 0;
    /// After the caller's commit: send soon rather than at the next periodic pass.
    virtual void wake() = 0;
};

}  // namespace relais::mail
