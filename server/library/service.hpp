#pragma once
// The library: search, items and their versions, contributions and review,
// attachments (upload, text extraction, download). Slow work (Xapian, file
// extraction and disk) runs on the CPU pool, SQL on the database pool; the index
// is updated by the indexer thread from the outbox.
#include "auth/service.hpp"
#include "common/worker_pool.hpp"
#include "db/pool.hpp"
#include "library/blobs.hpp"
#include "library/filer.hpp"
#include "indexing/indexer.hpp"
#include "library/documents.hpp"
#include "library/isolated_extract.hpp"
#include "library/store.hpp"
#include "notifications/notifier.hpp"
#include "net/router.hpp"
#include "search/index.hpp"

#include <map>
#include "common/in_flight.hpp"

#include <mutex>

namespace relais::library {

struct options {
    std::size_t upload_max_bytes = 10 * 1024 * 1024;
    std::size_t extractions_per_user = 2;   // in progress or waiting, per account (429 beyond)
    std::size_t extractions_waiting = 16;   // in progress or waiting, in all (503 beyond)
    std::size_t searches_per_address = 4;   // searches in progress at once per client address (429 beyond)
    std::size_t unattached_max_bytes = 200u << 20;  // files one account sent in a day, attached to no fiche (429 beyond)
    isolation extraction;  // the child process that extracts attachments' text
};

class service : public filer {
public:
    /// `extraction` runs attachment uploads (a child process each, then the file write):
    /// its threads only wait, apart from the pool that serves sign-ins and searches.
    service(db::pool& db, auth::service& auth, worker_pool& cpu, worker_pool& extraction, search::index& idx, indexing::indexer& ix,
            blobs& files, notifications::notifier& notifier, options opts);

    void register_routes(net::router& r);

    /// library::filer: files another module's document (a new version when its origin was
    /// filed before); published when `by` is a reviewer. Returns {"item":{"id","state","version"}}.
    asio::awaitable<json> file(const filing& f, const auth::principal& by) override;
    asio::awaitable<json> withdraw(const std::string& origin, const auth::principal& by) override;

    // The review loop's transitions, in the caller's write (unit tests call them with a
    // connection). A reviewer decides on the version they read:
    /// publishes it: 409 moderation_impossible when that is already what everyone sees,
    /// 409 version_perimee (field "version") when it is not the latest any more.
    static void publish_version(db::connection& c, std::int64_t item_id, std::int64_t version, std::int64_t by, std::int64_t now);
    /// sends it back with a note: 409 moderation_impossible unless it waits for review,
    /// 409 version_perimee when it is not the latest any more.
    static void send_back(db::connection& c, std::int64_t item_id, std::int64_t version, const std::string& note,
                          std::int64_t by, std::int64_t now);

    // The review loop's notices (in the caller's write; then notifier.push(the ids)).
    /// Reviewers (animateurs and administrators but `by`) learn that a version waits.
    std::vector<std::int64_t> tell_reviewers(db::connection& c, const item& it, const std::string& title, std::int64_t by);
    /// The author (unless they reviewed it themselves) learns it was published (`edited`:
    /// with the reviewer's changes) or sent back; the reviewers' unread « Fiche à relire »
    /// notices of that fiche are read (settled) — their ids are in the answer too.
    std::vector<std::int64_t> tell_author(db::connection& c, std::int64_t item_id, bool published, const std::string& note,
                                          std::int64_t by, bool edited = false,
                                          bool was_online = false);
    notifications::notifier& notifier() { return notifier_; }

    /// Deletes uploaded files that no version uses, older than a day (blocking).
    std::size_t sweep_orphan_files();

private:
    std::vector<std::int64_t> tell_author_only(db::connection& c, std::int64_t item_id, bool published, const std::string& note,
                                               std::int64_t by, bool edited, bool was_online);

    asio::awaitable<item> visible_item(std::int64_t id, const auth::principal& p);
    asio::awaitable<net::response> item_response(const item& it, const auth::principal& p, std::optional<std::int64_t> version);
    /// The item as it is now in the database (after a change), as `p` may see it.
    asio::awaitable<net::response> current_item_response(std::int64_t id, const auth::principal& p);
    content parse_content(const json& body, const auth::principal& p, std::vector<std::string>& digests);
    /// The attachment {sha256} of item {id} as `p` may read it (the version asked with
    /// ?version=, else the one they see); 404 otherwise, as for the file itself.
    asio::awaitable<attachment> visible_attachment(net::request& req, const auth::principal& p);
    /// One page of a PDF attachment drawn (cached beside the file); throws not_found
    /// beyond the last page. `user` is counted in the per-account queue unless it is 0.
    asio::awaitable<rendered_page> pdf_page(const std::string& sha, int page, int width, std::int64_t user);

    /// A place in the extraction queue (a child process each): per account (unless `user`
    /// is 0) and in all. Throws rate_limited (429) or unavailable (503) when full; freed
    /// when destroyed.
    class extraction_slot {
    public:
        extraction_slot(service& svc, std::int64_t user);
        ~extraction_slot();
        extraction_slot(const extraction_slot&) = delete;
        extraction_slot& operator=(const extraction_slot&) = delete;

    private:
        service& svc_;
        std::int64_t user_;
    };
    asio::awaitable<void> resolve_attachments(content& c, const auth::principal& p);

    db::pool& db_;
    auth::service& auth_;
    worker_pool& cpu_;
    worker_pool& extraction_;
    search::index& index_;
    indexing::indexer& indexer_;
    blobs& files_;
    notifications::notifier& notifier_;
    options opts_;
    in_flight_limit searching_;  // searches in progress per client address
    std::mutex extracting_mutex_;
    std::map<std::int64_t, std::size_t> extracting_;  // account -> uploads being extracted
    std::size_t extracting_total_ = 0;
};

}  // namespace relais::library
