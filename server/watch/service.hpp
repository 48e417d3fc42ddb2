#pragma once
// The shared documentary watch (veille): fields and who answers for them, sources fetched
// once for everyone, items deduplicated across feeds, each field's inbox and what its
// owners retain, and the coverage view that shows where the network is thin.
//
// Rules live here and take a database connection (unit tests call them without HTTP);
// fetching is blocking and runs on the module's fetch workers, never a network thread.
#include "auth/directory.hpp"
#include "auth/service.hpp"
#include "db/database.hpp"
#include "outbound/http_client.hpp"
#include "watch/digest.hpp"
#include "watch/opml.hpp"
#include "watch/title_index.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace relais::platform { class topics; }

namespace relais::watch {

using json = nlohmann::json;

struct options {
    std::int64_t default_interval_s = 3600;   ///< between two fetches of a source
    std::int64_t min_interval_s = 900;        ///< never more often than this
    std::int64_t max_backoff_s = 86400;       ///< a failing source is retried at least daily
    std::int64_t stale_after_days = 30;       ///< coverage: nothing retained for this long
    std::int64_t failing_after_days = 3;      ///< coverage: a source failing for this long
    std::size_t max_items_per_fetch = 500;
};

struct owner {
    std::int64_t user_id = 0;  ///< a member, or
    std::int64_t org_id = 0;   ///< an organisation
    std::string role;          ///< "owner" or "backup"
};

struct field_draft {
    std::string slug, name, description, source_hint;
};

struct feed;

/// One fetch of a source, as the fetch worker saw it.
struct fetch_attempt {
    bool ok = false;            ///< a feed was read (or 304)
    bool not_modified = false;  ///< 304: nothing new
    std::string error_code, error;  ///< when !ok: stable code, French message
    std::optional<std::int64_t> retry_after_s;
    std::string etag, last_modified;
};

/// What the fetch of one source brought (or why it failed).
struct fetch_outcome {
    bool ok = false;
    bool not_modified = false;
    std::size_t items = 0;      ///< in the feed
    std::size_t new_items = 0;  ///< not seen before from this source
    std::vector<std::int64_t> fields_reached;  ///< fields whose inbox got at least one item
    std::string error_code, error;
    std::int64_t next_fetch_at = 0;
};

class service {
public:
    service(const auth::directory& dir, options o) : dir_(dir), opts_(o) {}

    // ---- Fields and owners ----
    static std::string slugify(const std::string& name);
    std::int64_t create_field(db::connection& c, const field_draft& d, std::int64_t now) const;
    void update_field(db::connection& c, std::int64_t id, const json& changes, std::int64_t now) const;
    /// Replaces a field's owners and backups: members must be active accounts,
    /// organisations must exist; at most 20.
    void set_owners(db::connection& c, std::int64_t field, const std::vector<owner>& owners, std::int64_t now) const;
    /// May `who` qualify the field's items and manage its sources? Its owners and backups
    /// (in person or through their organisation), animateurs and administrators.
    bool may_curate(db::connection& c, std::int64_t field, const auth::principal& who) const;
    json field_json(db::connection& c, std::int64_t id, bool with_sources) const;
    /// Follows (or stops following) a field: followers are told of what is retained.
    void follow(db::connection& c, std::int64_t field, std::int64_t user, bool on, std::int64_t now) const;
    bool follows(db::connection& c, std::int64_t field, std::int64_t user) const;
    std::vector<std::int64_t> followers(db::connection& c, std::int64_t field) const;
    /// What the library keeps of a retained item (kind "veille"): title, « à retenir »,
    /// link and sources, as Markdown. Empty title: not a retained item of that field.
    struct retained {
        std::string title, summary, markdown, field_name;
    };
    retained retained_item(db::connection& c, std::int64_t field, std::int64_t item) const;
    json fields_json(db::connection& c, std::int64_t now) const;

    // ---- Sources ----
    /// Attaches a feed to a field (the source is shared when another field has it);
    /// `feed_title` and `format` from the test fetch. Returns the source's id.
    std::int64_t add_source(db::connection& c, std::int64_t field, const std::string& url, const std::string& feed_title,
                            const std::string& site_url, const std::string& format, std::int64_t interval_s,
                            std::int64_t by, std::int64_t now) const;
    void remove_source(db::connection& c, std::int64_t field, std::int64_t source) const;
    /// Sources from an OPML list: each feed not yet in the field is attached (fetched by
    /// the next run of the job). Returns {"added","already"}.
    json import_sources(db::connection& c, std::int64_t field, const std::vector<opml_feed>& feeds, std::int64_t by,
                        std::int64_t now) const;
    /// The field's sources, for an OPML export; and the field's name.
    std::vector<opml_feed> export_sources(db::connection& c, std::int64_t field, std::string& name) const;
    json sources_json(db::connection& c) const;
    struct due_source {
        std::int64_t id = 0;
        std::string url, etag, last_modified;
    };
    /// Sources due for a fetch (next_fetch_at <= now), oldest first; marks them as taken
    /// (next_fetch_at moves past the fetch's time-out) so that no other run takes them.
    std::vector<due_source> take_due(db::connection& c, std::int64_t now, std::size_t limit, std::int64_t lease_s) const;

    // ---- Items ----
    /// Stores what a fetch of `source` returned: new items (deduplicated within the
    /// source by key, across sources by normalised link then title), each new one in the
    /// inbox of every field the source serves; records the source's status.
    /// `parsed`: the feed read, when a.ok and not a.not_modified.
    fetch_outcome record_fetch(db::connection& c, std::int64_t source, const fetch_attempt& a, const feed* parsed,
                               std::int64_t now) const;
    /// An item posted by hand into a field: a link (title and description from the page
    /// when it could be read; the same link posted or fetched before is the same item) or
    /// a note. Plain texts; returns the item's id. It enters the field's inbox as new.
    struct posted {
        std::string kind;  ///< "link" or "note"
        std::string url, title, text;
    };
    /// An item's title as stored (the first poster's, or its feed's).
    std::string item_title(db::connection& c, std::int64_t item) const;
    std::int64_t post_item(db::connection& c, std::int64_t field, const posted& p, std::int64_t by, std::int64_t now) const;
    // ---- Comments ----
    /// A member's comment (1–2000 characters, plain text) on an item of a field.
    std::int64_t comment(db::connection& c, std::int64_t field, std::int64_t item, std::int64_t by, const std::string& body,
                         std::int64_t now) const;
    json comments_json(db::connection& c, std::int64_t field, std::int64_t item) const;

    // ---- Rules ----
    /// A keyword (1–100 characters) that flags or discards items arriving in the field.
    std::int64_t add_rule(db::connection& c, std::int64_t field, const std::string& keyword, const std::string& action,
                          std::int64_t by, std::int64_t now) const;
    /// The rule applied to what waits in the inbox already (state `new`): a discarding rule
    /// discards what it matches, a flagging one flags what no rule flagged. Returns how many
    /// items it changed (the newest 5000 waiting items are looked at).
    std::int64_t apply_rule_to_inbox(db::connection& c, std::int64_t field, const std::string& keyword,
                                     const std::string& action, std::int64_t now) const;
    void remove_rule(db::connection& c, std::int64_t field, std::int64_t rule) const;
    json rules_json(db::connection& c, std::int64_t field) const;

    /// A page of a field's inbox; `viewer`'s read state and favourites on each item.
    json inbox_json(db::connection& c, std::int64_t field, const std::string& state, std::int64_t limit,
                    std::int64_t before, std::int64_t viewer = 0, bool unread_only = false) const;
    /// « Tout marquer comme lu »: every item of `state` in the field read by `user` (those
    /// up to `up_to`, an item id of the page the person saw, when given). Returns how many
    /// were unread. Unknown field: 404.
    std::int64_t mark_all_read(db::connection& c, std::int64_t field, const std::string& state, std::int64_t user,
                               std::int64_t up_to, std::int64_t now) const;
    /// A person's reading: read (or unread again), favourite (or not). Unknown item: 404.
    void mark(db::connection& c, std::int64_t item, std::int64_t user, std::optional<bool> read,
              std::optional<bool> favourite, std::int64_t now) const;
    /// The person's favourites, newest first, with the fields they are in.
    json favourites_json(db::connection& c, std::int64_t user) const;
    /// Qualifies an item of a field: retain (kept) or discard, with « ce qu'il faut
    /// retenir », importance 0–3 and tags. `version` must be the one read (409 otherwise).
    /// `was`, when given, receives the state before.
    json qualify(db::connection& c, std::int64_t field, std::int64_t item, const json& body, std::int64_t by,
                 std::int64_t now, std::string* was = nullptr) const;

    // ---- Coverage ----
    json coverage_json(db::connection& c, std::int64_t now) const;

    // ---- Digests by e-mail ----
    /// One letter to send: to whom, and the digest made for them (their own fields, their
    /// own unsubscribe link).
    struct digest_mail {
        std::int64_t user = 0;
        std::string email, name;
        digest letter;
    };
    /// The letters of a digest composed by an animateur: one per subscriber (active account)
    /// whose chosen fields meet the digest's (no choice: every field), with the items of
    /// those fields only; a subscriber for whom nothing is left gets none.
    /// `unsubscribe(token)`: the link at the foot of each letter.
    std::vector<digest_mail> composed_letters(db::connection& c, const digest_request& r, const std::string& public_url,
                                              const std::function<std::string(const std::string&)>& unsubscribe) const;
    /// The subscriptions due at `now` (weekly: 7 days since the last letter or the
    /// subscription, monthly: 30), each with the items retained in its fields since then;
    /// every due subscription moves on to `now`, letters or not (an empty period sends
    /// nothing).
    std::vector<digest_mail> scheduled_letters(db::connection& c, std::int64_t now, const std::string& public_url,
                                               const std::function<std::string(const std::string&)>& unsubscribe) const;

    /// Files a composed digest in the archive (« Lettres envoyées »): its id.
    std::int64_t archive_digest(db::connection& c, const digest& d, const digest_request& r, std::int64_t recipients,
                                std::int64_t by, std::int64_t now) const;
    /// The archive, newest first (at most 200), without the bodies.
    json digests_json(db::connection& c) const;
    /// One archived digest with its bodies (HTML, text, Markdown). Unknown: 404.
    json digest_json(db::connection& c, std::int64_t id) const;
    /// A person's own digest: frequency (none, weekly, monthly), chosen fields (none: all).
    json subscription_json(db::connection& c, std::int64_t user) const;
    /// Every one of these fields exists, else invalid_field "field_ids".
    void check_fields(db::connection& c, const std::vector<std::int64_t>& fields) const;
    /// Sets it; "none" removes it. Every field must exist (invalid_field "field_ids"
    /// otherwise); the unsubscribe token is made once, on the first subscription.
    void set_subscription(db::connection& c, std::int64_t user, const std::string& frequency,
                          const std::vector<std::int64_t>& fields, std::int64_t now) const;
    /// The e-mail's one-click link: false when the token is unknown (already used).
    bool unsubscribe(db::connection& c, const std::string& token) const;

    // ---- Sources: a fetch on demand ----
    /// Brings a source's next fetch forward to `now` (unless it is failing and was
    /// pushed back less than an hour ago: a failing source is not hammered). Unknown: 404.
    void refresh_soon(db::connection& c, std::int64_t source, std::int64_t now) const;
    /// Taken by take_due but not fetched now (its site is busy): due again at `at`.
    void put_back(db::connection& c, const std::vector<std::int64_t>& sources, std::int64_t at) const;
    /// A source renamed and/or fetched at another interval (seconds); unknown: 404. Who may:
    /// animateurs and administrators, or a curator of a field that follows it (else
    /// not_owner). A new interval counts from the last fetch.
    void update_source(db::connection& c, std::int64_t source, const auth::principal& who,
                       const std::optional<std::string>& title, std::optional<std::int64_t> interval_s,
                       std::int64_t now) const;
    /// One source as in sources_json; unknown: 404.
    json source_json(db::connection& c, std::int64_t source) const;
    /// Whether a field with this slug exists (the seed leaves those as they are).
    bool has_field_slug(db::connection& c, const std::string& slug) const;

    const options& opts() const { return opts_; }

private:
    /// Puts an item in a field's inbox (once) and applies the field's rules to it; true
    /// when it is new there and not discarded by a rule.
    bool enter_inbox(db::connection& c, std::int64_t field, std::int64_t item, const std::string& title,
                     const std::string& text, std::int64_t now) const;

    /// Fills the title index from the database the first time it is needed.
    void load_titles(db::connection& c, std::int64_t now) const;
    /// A recent item whose title is alike (cross-feed duplicates under another link); 0 if none.
    std::int64_t similar_title(db::connection& c, const std::string& title, std::int64_t now) const;

    const auth::directory& dir_;
    options opts_;
    mutable title_index titles_;  // recent titles, kept with the items the service writes
};

}  // namespace relais::watch
