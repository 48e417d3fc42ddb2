-- Owned by the watch module (veille documentaire partagée). Accounts and organisations
-- are auth's: referred to by id, checked through auth::directory, never joined.

-- Watch fields (champs de veille): what the network watches and who answers for it.
CREATE TABLE watch_fields (
    id          INTEGER PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',   -- what it covers
    source_hint TEXT NOT NULL DEFAULT '',   -- what kind of source to add (shown while it has none)
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    archived_at INTEGER
);

-- Owners and backups: a member (user_id) or an organisation (org_id), never both.
CREATE TABLE watch_field_owners (
    field_id INTEGER NOT NULL REFERENCES watch_fields(id) ON DELETE CASCADE,
    user_id  INTEGER NOT NULL DEFAULT 0,
    org_id   INTEGER NOT NULL DEFAULT 0,
    role     TEXT NOT NULL CHECK (role IN ('owner', 'backup')),
    since    INTEGER NOT NULL,
    CHECK ((user_id = 0) <> (org_id = 0)),
    PRIMARY KEY (field_id, user_id, org_id)
);

-- A feed, fetched once for everyone whatever the number of fields it serves.
CREATE TABLE watch_sources (
    id              INTEGER PRIMARY KEY,
    url             TEXT NOT NULL UNIQUE,
    title           TEXT NOT NULL DEFAULT '',
    site_url        TEXT NOT NULL DEFAULT '',
    format          TEXT NOT NULL DEFAULT '',
    etag            TEXT NOT NULL DEFAULT '',
    last_modified   TEXT NOT NULL DEFAULT '',
    interval_s      INTEGER NOT NULL,         -- at least this long between two fetches
    next_fetch_at   INTEGER NOT NULL,
    last_fetch_at   INTEGER,
    last_success_at INTEGER,
    last_error_code TEXT NOT NULL DEFAULT '',
    last_error      TEXT NOT NULL DEFAULT '', -- French, shown as is
    failing_since   INTEGER,
    failures        INTEGER NOT NULL DEFAULT 0, -- in a row
    created_by      INTEGER NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX watch_sources_due ON watch_sources(next_fetch_at);

CREATE TABLE watch_field_sources (
    field_id INTEGER NOT NULL REFERENCES watch_fields(id) ON DELETE CASCADE,
    source_id INTEGER NOT NULL REFERENCES watch_sources(id) ON DELETE CASCADE,
    added_by INTEGER NOT NULL,
    added_at INTEGER NOT NULL,
    PRIMARY KEY (field_id, source_id)
);
CREATE INDEX watch_field_sources_source ON watch_field_sources(source_id);

-- One item per piece of news, however many feeds carry it (deduplicated by normalised
-- link, then by title), or posted by hand (a link, a note).
CREATE TABLE watch_items (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('feed', 'link', 'note')),
    url_key      TEXT NOT NULL DEFAULT '',  -- normalise_url(link); '' for a note
    title        TEXT NOT NULL,
    link         TEXT NOT NULL DEFAULT '',
    author       TEXT NOT NULL DEFAULT '',
    summary_html TEXT NOT NULL DEFAULT '',  -- sanitised
    content_html TEXT NOT NULL DEFAULT '',  -- sanitised
    text         TEXT NOT NULL DEFAULT '',  -- plain text (search)
    published_at INTEGER NOT NULL,
    date_guessed INTEGER NOT NULL DEFAULT 0,
    categories   TEXT NOT NULL DEFAULT '[]',
    enclosures   TEXT NOT NULL DEFAULT '[]',
    posted_by    INTEGER NOT NULL DEFAULT 0, -- an account, for link and note
    created_at   INTEGER NOT NULL
);
CREATE INDEX watch_items_url ON watch_items(url_key) WHERE url_key <> '';
CREATE INDEX watch_items_published ON watch_items(published_at);

-- Which feeds carried an item, under which key (guid, link or content hash).
CREATE TABLE watch_item_sources (
    source_id INTEGER NOT NULL REFERENCES watch_sources(id) ON DELETE CASCADE,
    item_key  TEXT NOT NULL,
    item_id   INTEGER NOT NULL REFERENCES watch_items(id) ON DELETE CASCADE,
    seen_at   INTEGER NOT NULL,
    PRIMARY KEY (source_id, item_key)
);
CREATE INDEX watch_item_sources_item ON watch_item_sources(item_id);

-- An item in a field's inbox, and what the field's owners made of it.
CREATE TABLE watch_field_items (
    field_id     INTEGER NOT NULL REFERENCES watch_fields(id) ON DELETE CASCADE,
    item_id      INTEGER NOT NULL REFERENCES watch_items(id) ON DELETE CASCADE,
    state        TEXT NOT NULL DEFAULT 'new' CHECK (state IN ('new', 'kept', 'discarded')),
    summary      TEXT NOT NULL DEFAULT '',  -- « ce qu'il faut retenir »
    importance   INTEGER NOT NULL DEFAULT 0 CHECK (importance BETWEEN 0 AND 3),
    tags         TEXT NOT NULL DEFAULT '[]',
    rule         TEXT NOT NULL DEFAULT '',  -- the field's rule that flagged or discarded it on arrival
    arrived_at   INTEGER NOT NULL,
    qualified_at INTEGER,
    qualified_by INTEGER,
    version      INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (field_id, item_id)
);
CREATE INDEX watch_field_items_inbox ON watch_field_items(field_id, state, arrived_at);
CREATE INDEX watch_field_items_item ON watch_field_items(item_id);

-- Who follows a field: they are told when something is retained in it (the bell, live).
CREATE TABLE watch_follows (
    field_id INTEGER NOT NULL REFERENCES watch_fields(id) ON DELETE CASCADE,
    user_id  INTEGER NOT NULL,
    since    INTEGER NOT NULL,
    PRIMARY KEY (field_id, user_id)
);
CREATE INDEX watch_follows_user ON watch_follows(user_id);

-- A field's rules, applied to each item as it arrives: a keyword (case and accents
-- ignored) in its title or text flags it, or discards it.
CREATE TABLE watch_rules (
    id         INTEGER PRIMARY KEY,
    field_id   INTEGER NOT NULL REFERENCES watch_fields(id) ON DELETE CASCADE,
    keyword    TEXT NOT NULL,
    action     TEXT NOT NULL CHECK (action IN ('flag', 'discard')),
    created_by INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (field_id, keyword)
);

-- Each person's reading: read or not, kept as a favourite (per item, whatever the field).
CREATE TABLE watch_reads (
    user_id   INTEGER NOT NULL,
    item_id   INTEGER NOT NULL REFERENCES watch_items(id) ON DELETE CASCADE,
    read_at   INTEGER,
    favourite INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, item_id)
);

-- What members say about an item in a field (owners qualify; everyone may comment).
CREATE TABLE watch_comments (
    id         INTEGER PRIMARY KEY,
    field_id   INTEGER NOT NULL,
    item_id    INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    body       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    FOREIGN KEY (field_id, item_id) REFERENCES watch_field_items(field_id, item_id) ON DELETE CASCADE
);
CREATE INDEX watch_comments_item ON watch_comments(field_id, item_id, id);

-- Digests (lettres de veille): what was retained over a period, by field, as sent and
-- archived (each digest is also a library fiche).
CREATE TABLE watch_digests (
    id              INTEGER PRIMARY KEY,
    title           TEXT NOT NULL,
    intro           TEXT NOT NULL DEFAULT '',
    period_from     INTEGER NOT NULL,
    period_to       INTEGER NOT NULL,
    field_ids       TEXT NOT NULL DEFAULT '[]',  -- [] : every field
    items           INTEGER NOT NULL,
    html            TEXT NOT NULL,
    text            TEXT NOT NULL,
    markdown        TEXT NOT NULL,
    recipients      INTEGER NOT NULL DEFAULT 0,
    created_by      INTEGER NOT NULL,
    created_at      INTEGER NOT NULL
);

-- Who receives digests by e-mail, how often, for which fields ([]: all); the token is the
-- one-click unsubscribe link's.
CREATE TABLE watch_subscriptions (
    user_id      INTEGER PRIMARY KEY,
    frequency    TEXT NOT NULL CHECK (frequency IN ('weekly', 'monthly')),
    field_ids    TEXT NOT NULL DEFAULT '[]',
    token        TEXT NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_sent_at INTEGER
);
