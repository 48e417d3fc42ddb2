-- Owned by the expertise module: needs for support (« besoins d'appui ») declared by or for
-- CPTS project holders, matched to people of the map, and what happened to them.

CREATE TABLE expertise_needs (
    id           INTEGER PRIMARY KEY,
    cpts_org_id  INTEGER,                          -- the CPTS (an organisation of type cpts), when recorded
    cpts_name    TEXT NOT NULL DEFAULT '',         -- its name otherwise (a CPTS in project)
    region       TEXT NOT NULL DEFAULT '',
    departements TEXT NOT NULL DEFAULT '[]',       -- JSON: INSEE codes
    phase        TEXT NOT NULL DEFAULT '',         -- a CPTS phase code (reference data), or ''
    domains      TEXT NOT NULL DEFAULT '[]',       -- JSON: expertise domain codes (at least one)
    title        TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    urgency      TEXT NOT NULL DEFAULT 'normale' CHECK (urgency IN ('normale', 'prioritaire', 'urgente')),
    state        TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'assigned', 'in_progress', 'done', 'closed')),
    assignee_id  INTEGER REFERENCES expertise_people(id) ON DELETE SET NULL,
    created_by   INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX expertise_needs_state ON expertise_needs(state, updated_at);
CREATE INDEX expertise_needs_assignee ON expertise_needs(assignee_id, state);

CREATE TABLE expertise_need_events (
    id      INTEGER PRIMARY KEY,
    need_id INTEGER NOT NULL REFERENCES expertise_needs(id) ON DELETE CASCADE,
    at      INTEGER NOT NULL,
    by      INTEGER NOT NULL,
    kind    TEXT NOT NULL,                         -- created, assigned, state
    detail  TEXT NOT NULL DEFAULT '{}'             -- JSON
);
CREATE INDEX expertise_need_events_need ON expertise_need_events(need_id, id);
