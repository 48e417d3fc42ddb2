-- Owned by the library module: items and their versions, uploaded files
-- (content-addressed blobs under data/files/), and the outbox the indexer drains.

CREATE TABLE library_items (
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
    workshop_id       INTEGER REFERENCES workshops(id) ON DELETE SET NULL,  -- compte_rendu
    review_note       TEXT NOT NULL DEFAULT '',
    reviewed_by       INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    published_at      INTEGER
);
CREATE INDEX library_items_state ON library_items(state, archived);
CREATE INDEX library_items_author ON library_items(author_id);

CREATE TABLE library_versions (
    item_id     INTEGER NOT NULL REFERENCES library_items(id) ON DELETE CASCADE,
    version     INTEGER NOT NULL,
    title       TEXT NOT NULL,
    summary     TEXT NOT NULL,
    body        TEXT NOT NULL,                -- Markdown
    phases      TEXT NOT NULL,                -- JSON array of phase codes
    missions    TEXT NOT NULL,                -- JSON array of mission codes
    region      TEXT,                         -- INSEE region code, NULL when national
    author_name TEXT NOT NULL,                -- as displayed (may differ from the account)
    item_date   TEXT NOT NULL,                -- YYYY-MM-DD, the date the content refers to
    attachments TEXT NOT NULL,                -- JSON array of {sha256, name, mime, size}
    note        TEXT NOT NULL DEFAULT '',     -- what changed
    created_by  INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (item_id, version)
) WITHOUT ROWID;

CREATE TABLE library_files (
    sha256      TEXT PRIMARY KEY,             -- hex; the blob is data/files/ab/cdef...
    size        INTEGER NOT NULL,
    mime        TEXT NOT NULL,
    text        TEXT NOT NULL,                -- extracted text, indexed with the items that use it
    uploaded_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at  INTEGER NOT NULL
) WITHOUT ROWID;

-- Items whose index entry is out of date. Written in the same transaction as the
-- change; the indexer deletes rows once Xapian has committed them.
CREATE TABLE library_outbox (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id INTEGER NOT NULL
);
