#pragma once
// Digests (lettres de veille): what the network retained over a period, grouped by field
// with « ce qu'il faut retenir », rendered as e-mail-ready HTML (inline styles, no
// external resource), plain text and Markdown.
#include "db/database.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace relais::watch {

struct digest_request {
    std::int64_t from = 0, to = 0;       ///< unix seconds, [from, to): items retained in it
    std::vector<std::int64_t> fields;    ///< empty: every field
    std::string title, intro;            ///< intro: plain text, paragraphs separated by blank lines
};

struct digest {
    std::string title, intro, html, text, markdown;
    std::size_t items = 0;
};

/// `public_url`: prefix of the links back to Relais (may be empty); `unsubscribe`: the
/// link at the foot of the e-mail (empty: none, e.g. the archive).
digest compose_digest(db::connection& c, const digest_request& r, const std::string& public_url,
                      const std::string& unsubscribe);

}  // namespace relais::watch
