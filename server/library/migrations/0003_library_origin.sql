-- relais: foreign_keys=off
-- Owned by the library module. A filed item names where it comes from with `origin`
-- ("workshop:12"), a key the library does not resolve, instead of a foreign key into the
-- workshops module's table: modules meet through interfaces (library::filer), never
-- through each other's tables. The table is rebuilt (SQLite cannot drop a foreign key);
-- the runner turns foreign keys off for this migration and checks them before commit.

CREATE TABLE library_items_new (
    id                INTEGER PRIMARY KEY,
    slug              TEXT UNIQUE,            -- seed items keep their slug; NULL for contributions
    kind              TEXT NOT NULL CHECK (kind IN ('temoignage','outil','guide','compte_rendu','veille')),
    -- Review state of the latest version: pending (awaiting review), published, rejected.
    state             TEXT NOT NULL CHECK (state IN ('pending','published','rejected')),
    latest_version    INTEGER NOT NULL,
    published_version INTEGER,                -- what everyone sees; NULL until first published
    archived          INTEGER NOT NULL DEFAULT 0,
    author_id         INTEGER REFERENCES users(id) ON DELETE SET NULL,
    org_id            INTEGER REFERENCES organisations(id) ON DELETE SET NULL,
    origin            TEXT,                   -- filed by another module: "workshop:12"
    review_note       TEXT NOT NULL DEFAULT '',
    reviewed_by       INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    published_at      INTEGER
);
INSERT INTO library_items_new(id, slug, kind, state, latest_version, published_version, archived, author_id, org_id,
                              origin, review_note, reviewed_by, created_at, updated_at, published_at)
SELECT id, slug, kind, state, latest_version, published_version, archived, author_id, org_id,
       CASE WHEN workshop_id IS NULL THEN NULL ELSE 'workshop:' || workshop_id END,
       review_note, reviewed_by, created_at, updated_at, published_at
FROM library_items;
DROP TABLE library_items;
ALTER TABLE library_items_new RENAME TO library_items;
CREATE INDEX library_items_state ON library_items(state, archived);
CREATE INDEX library_items_author ON library_items(author_id);
CREATE INDEX library_items_origin ON library_items(origin) WHERE origin IS NOT NULL;
