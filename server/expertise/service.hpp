#pragma once
// The expertise map: people who accompany CPTS (with or without an account), the domains
// they know and at what level, validated by their own institution, kept fresh by asking
// them to confirm; who may see whom (consent, audience); the matrix and the gaps.
//
// Rules live here and take a database connection (unit tests call them without HTTP).
#include "auth/directory.hpp"
#include "db/database.hpp"
#include "search/index.hpp"
#include "library/catalogue.hpp"
#include "library/filer.hpp"
#include "territory/territories.hpp"
#include "workshops/catalogue.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <string>
#include <vector>

namespace relais::expertise {

using json = nlohmann::json;

struct options {
    std::int64_t stale_after_s = 365 * 86400;  ///< an entry not confirmed for this long is stale
    std::int64_t remind_every_s = 30 * 86400;  ///< a stale entry's owner is reminded at most this often
};

/// Who is looking, as the rules need it.
struct viewer {
    std::int64_t user_id = 0;
    std::string role;                    ///< "admin", "animateur", "membre"
    std::optional<std::int64_t> org_id;  ///< their organisation
    std::string region;                  ///< their organisation's région ('' when none)
    std::string name, email;
    bool manager() const { return role == "admin" || role == "animateur"; }
};

/// A person as stored (what the rules look at).
struct person {
    std::int64_t id = 0;
    std::optional<std::int64_t> user_id, org_id;
    std::int64_t created_by = 0;
    std::string name, role, region, email, phone, audience;
    std::vector<std::string> departements;
    bool consent = false;
    std::string org_region;  ///< the region of their organisation ('' when none)
    /// Their région for the "région" audience: their own, else their organisation's.
    const std::string& home_region() const { return region.empty() ? org_region : region; }
};

/// May `v` see `p` at all (consent, audience)? The person themselves and administrators
/// always may (to manage the entry); others only with consent, within the audience.
bool may_see(const viewer& v, const person& p);
/// The same with the région of the person's organisation given apart (p.org_region unused).
bool may_see(const viewer& v, const person& p, std::string_view org_region);
/// May `v` change `p`'s entry? Themselves, administrators, and animateurs of their
/// organisation (or who entered them, for someone without an account elsewhere).
bool may_edit(const viewer& v, const person& p);
/// May `v` validate `p`'s expertises? An animateur or administrator of `p`'s organisation,
/// not `p` themselves.
bool may_validate(const viewer& v, const person& p);

/// What the ranking of a person for a need looks at (each factor unit-tested).
struct match_facts {
    std::size_t need_domains = 0;   ///< domains of the need
    std::size_t referent = 0;       ///< of those, where the person is référent
    std::size_t practice = 0;       ///< … at pratique level
    std::size_t notions = 0;        ///< … with notions only
    int proximity = 0;              ///< 3 same département, 2 same région, 1 national scope, 0 none
    std::size_t validated = 0;      ///< matching entries validated by their institution
    std::size_t stale = 0;          ///< matching entries not confirmed lately
    std::size_t load = 0;           ///< needs already assigned to them and not finished
};
/// The score of a candidate (higher is better; 0 when no domain matches).
double match_score(const match_facts& f);

/// The map as the readers need it, in memory: people with their entries, by domain, and
/// the labels. Built from one database snapshot and tagged with that snapshot's
/// generation (expertise_generation, incremented by every change): a reader whose
/// snapshot has another generation builds a new one. Immutable once built (shared
/// between threads).
struct map_facts {
    struct entry {
        std::uint32_t person = 0;  // index in `people`
        std::string domain, level, scope, note;
        std::int64_t declared_at = 0, confirmed_at = 0;
        std::optional<std::int64_t> validated_by, validated_at;
    };
    struct person_facts {
        person p;                            // as the rules see it (org_region left empty: read per request)
        std::string raw_departements;        // as stored (JSON), for quick membership tests
        std::vector<std::uint32_t> entries;  // indices in `entries`
    };
    std::int64_t generation = -1;
    std::vector<person_facts> people;
    std::unordered_map<std::int64_t, std::uint32_t> by_id;
    std::vector<entry> entries;
    std::unordered_map<std::string, std::vector<std::uint32_t>> by_domain;  // entries of each domain
    std::map<std::string, std::string> domain_labels, role_labels;
};

/// GET /api/expertise/people's query, as read from the request by routes.cpp: the codes
/// are checked by service::directory.
struct directory_query {
    std::string text;        // words or a question ("" = everyone, by name)
    std::string domain;      // a domain code
    std::string level;       // "", "notions", "pratique", "referent" (needs a domain unless "notions")
    std::string departement, region, org, role;
    std::size_t limit = 20, offset = 0;
};

class service {
public:
    service(const auth::directory& dir, options o) : dir_(dir), opts_(o) {}

    /// What needs point to through other modules' interfaces (communes, workshops, library
    /// items). Without them (unit tests), a need's communes and links are refused.
    void connect(const territory::territories* t, const workshops::catalogue* w, const library::catalogue* l) {
        territories_ = t;
        workshops_ = w;
        library_ = l;
    }

    /// The viewer for an account (their organisation's région looked up).
    viewer viewer_of(db::connection& c, std::int64_t user_id) const;

    // ---- Vocabulary ----
    json domains_json(db::connection& c) const;
    bool has_domain(db::connection& c, const std::string& code) const;
    bool has_role(db::connection& c, const std::string& code) const;
    json roles_json(db::connection& c) const;
    /// Admins: {"code","label","description"?,"phases"?,"missions"?}.
    std::int64_t add_domain(db::connection& c, const json& body, std::int64_t now) const;
    /// Admins: {"code","label"}.
    void add_role(db::connection& c, const json& body) const;

    // ---- People ----
    /// Creates a person: for oneself (`"self": true`, the default for members) or, for
    /// animateurs and administrators, someone else (with or without an account elsewhere).
    std::int64_t create_person(db::connection& c, const viewer& v, const json& body, std::int64_t now) const;
    void update_person(db::connection& c, const viewer& v, std::int64_t id, const json& body, std::int64_t now) const;
    /// Deletes a person; the needs assigned to them (assigned or in progress) are open
    /// again, with a history line. Returns those needs' ids (to tell who declared them).
    std::vector<std::int64_t> delete_person(db::connection& c, const viewer& v, std::int64_t id, std::int64_t now) const;
    /// Throws not_found when it does not exist or `v` may not see it.
    json person_json(db::connection& c, const viewer& v, std::int64_t id, std::int64_t now) const;
    /// The caller's own entry, or null.
    std::optional<std::int64_t> person_of_user(db::connection& c, std::int64_t user_id) const;
    std::optional<person> load(db::connection& c, std::int64_t id) const;
    /// Every person (the search documents' keys), and those who agreed to be listed.
    std::vector<std::int64_t> person_ids(db::connection& c) const;
    std::int64_t listed_count(db::connection& c) const;

    // ---- The directory ----
    /// The directory's search document of a person (nullopt unless they agreed to be
    /// listed): names, domains and notes, territory; facets domain, referent, practice,
    /// departement, region, role, org, and audience ("network", "region:<code>",
    /// "org:<id>"), which the directory filters on.
    std::optional<search::document> search_document(db::connection& c, std::int64_t key, std::int64_t now) const;
    /// The people matching `q` in the search index (French analysis, facets), within what
    /// `v` may see (the index's audience facet, then each card checked again against the
    /// map in memory: the index may lag a withdrawal by a moment), with the facet counts.
    /// Unknown domain: unknown_domain; unknown département or région: unknown_territory;
    /// a level other than "notions" without a domain, or an unknown level: invalid_field.
    json directory(db::connection& c, const search::index& idx, const viewer& v, const directory_query& q,
                   std::int64_t now) const;

    // ---- Expertise entries ----
    /// Declares or changes the person's expertise in a domain; the entry is confirmed as
    /// of now, and a change of level or scope needs a new validation.
    std::int64_t set_entry(db::connection& c, const viewer& v, std::int64_t person_id, const std::string& domain,
                           const json& body, std::int64_t now) const;
    void remove_entry(db::connection& c, const viewer& v, std::int64_t person_id, const std::string& domain) const;
    /// « Toujours d'actualité »: every entry of the person confirmed as of now (or one).
    void confirm(db::connection& c, const viewer& v, std::int64_t person_id, std::optional<std::string> domain,
                 std::int64_t now) const;
    void validate(db::connection& c, const viewer& v, std::int64_t person_id, const std::string& domain, bool valid,
                  std::int64_t now) const;

    // ---- Views ----
    /// Domains × organisations (`by` = "organisation") or × départements of `region`
    /// (`by` = "departement"): référents and practitioners per cell, among the people `v`
    /// may see with consent.
    json matrix(db::connection& c, const viewer& v, const std::string& by, const std::string& region, std::int64_t now) const;
    /// For a région (or everywhere): domains without a référent per département, domains
    /// held by a single person, stale entries.
    json gaps(db::connection& c, const viewer& v, const std::string& region, std::int64_t now) const;

    /// People whose entries went stale and who were not reminded lately: {user id, person
    /// id, domain labels}; marks them reminded as of now.
    struct reminder {
        std::int64_t user_id = 0, person_id = 0;
        std::vector<std::string> domains;
    };
    std::vector<reminder> take_reminders(db::connection& c, std::int64_t now) const;

    // ---- Needs (besoins d'appui) and matching ----
    /// Declared by a member for their own CPTS, or by animateurs and administrators for any.
    std::int64_t create_need(db::connection& c, const viewer& v, const json& body, std::int64_t now) const;
    /// Who is told of a new need: the animateurs of its région (those whose organisation is
    /// in it), else every animateur (no région, or none there) — never its declarer.
    std::vector<std::int64_t> need_watchers(db::connection& c, std::int64_t need) const;
    /// With its history; throws not_found.
    /// `reader`: the account it is shown to (a workshop it may not see is linked without its
    /// title, state and date); 0 for the module's own use (nothing hidden, never sent).
    json need_json(db::connection& c, std::int64_t id, std::int64_t reader) const;
    /// Needs by state ('' for all), most recently changed first.
    json needs_json(db::connection& c, const std::string& state, std::int64_t reader) const;
    /// People proposed for a need among those `v` may see, best first, each with its score
    /// and the reasons in words.
    json proposals(db::connection& c, const viewer& v, std::int64_t need, std::int64_t now, std::size_t limit) const;
    /// Animateurs and administrators assign a person (open or assigned needs); returns the
    /// accounts to notify.
    std::vector<std::int64_t> assign(db::connection& c, const viewer& v, std::int64_t need, std::int64_t person,
                                     std::int64_t version, std::int64_t now) const;
    /// assigned → in_progress → done; open, assigned or in_progress → closed; assigned →
    /// open (unassigned). Animateurs, administrators, and the assignee for in_progress and
    /// done. Returns the accounts to notify.
    std::vector<std::int64_t> set_need_state(db::connection& c, const viewer& v, std::int64_t need, const std::string& state,
                                             std::int64_t version, std::int64_t now) const;

    /// Links a need to a workshop or a library item ("workshop" | "library", the id): the
    /// need's creator, its assignee, animateurs and administrators. Idempotent.
    void add_link(db::connection& c, const viewer& v, std::int64_t need, const std::string& kind, std::int64_t ref,
                  std::int64_t now) const;
    void remove_link(db::connection& c, const viewer& v, std::int64_t need, const std::string& kind, std::int64_t ref,
                     std::int64_t now) const;
    /// What a workshop made from the need starts with (the fields of POST /api/workshops).
    json workshop_draft(db::connection& c, std::int64_t need) const;
    /// The testimony a need that was done or closed may become: a draft for the form, or the
    /// filing of what the person wrote (origin "need:<id>": filing again adds a version).
    json testimony_draft(db::connection& c, const viewer& v, std::int64_t need) const;
    library::filing testimony_filing(db::connection& c, const viewer& v, std::int64_t need, const json& body) const;
    /// Records the library item the testimony was filed as (whatever its review state).
    void record_testimony(db::connection& c, const viewer& v, std::int64_t need, std::int64_t item, std::int64_t now) const;

    /// The network view: organisations and domains, linked by the people of each
    /// organisation who know each domain (among those `v` may see), and the people.
    json network(db::connection& c, const viewer& v, const std::string& region, std::int64_t now) const;

    const options& opts() const { return opts_; }

    /// The in-memory map of `c`'s snapshot (built when its generation changed).
    std::shared_ptr<const map_facts> facts(db::connection& c) const;
    /// A directory card (what GET /api/expertise/people lists) from the in-memory map;
    /// `orgs` gives the organisations' names. nullopt when the person is not there.
    std::optional<json> card(const map_facts& f, std::int64_t person_id, const std::map<std::int64_t, auth::org>& orgs,
                             std::int64_t now) const;

private:
    struct domain_row {
        std::int64_t id = 0;
        std::string code, label;
    };
    domain_row domain_by_code(db::connection& c, const std::string& code) const;
    /// Every person `v` may see with consent (the directory's population), with entries.
    struct entry_row {
        std::int64_t person_id = 0;
        std::string domain, level, scope;
        std::int64_t confirmed_at = 0;
    };
    std::vector<person> visible_people(db::connection& c, const viewer& v) const;
    std::vector<entry_row> entries_of(db::connection& c, const std::vector<person>& people) const;

    /// May `v` act on the need (links, testimony)? Its creator, its assignee, managers.
    bool may_follow(db::connection& c, const viewer& v, const json& need) const;

    const auth::directory& dir_;
    options opts_;
    mutable std::mutex facts_mutex_;
    mutable std::shared_ptr<const map_facts> facts_;
    const territory::territories* territories_ = nullptr;
    const workshops::catalogue* workshops_ = nullptr;
    const library::catalogue* library_ = nullptr;
};

}  // namespace relais::expertise
