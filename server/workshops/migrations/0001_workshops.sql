-- Owned by the workshops module: workshops, their people, invites, guests, the
-- event log of each live room, templates and reports.
CREATE TABLE workshop_templates (
    id          INTEGER PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    phases      TEXT NOT NULL,              -- JSON array of phases (docs/protocol.md)
    built_in    INTEGER NOT NULL DEFAULT 0,
    created_by  INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE workshops (
    id          INTEGER PRIMARY KEY,
    title       TEXT NOT NULL,
    subject     TEXT NOT NULL DEFAULT '',
    stage       TEXT NOT NULL CHECK (stage IN ('lettre_intention','projet_sante','pre_aci','post_conventionnement')),
    state       TEXT NOT NULL DEFAULT 'draft' CHECK (state IN ('draft','scheduled','live','closed','archived')),
    date        TEXT NOT NULL DEFAULT '',   -- ISO 8601 local date-time of the session
    cpts_id     INTEGER REFERENCES organisations(id) ON DELETE SET NULL,
    template    TEXT NOT NULL,
    created_by  INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX workshops_date ON workshops(date);

CREATE TABLE workshop_partners (
    workshop_id INTEGER NOT NULL REFERENCES workshops(id) ON DELETE CASCADE,
    org_id      INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    PRIMARY KEY (workshop_id, org_id)
) WITHOUT ROWID;

-- People with accounts: facilitators (animateurs) and members (participants).
CREATE TABLE workshop_people (
    workshop_id INTEGER NOT NULL REFERENCES workshops(id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role        TEXT NOT NULL CHECK (role IN ('facilitator','participant')),
    PRIMARY KEY (workshop_id, user_id)
) WITHOUT ROWID;
CREATE INDEX workshop_people_user ON workshop_people(user_id);

CREATE TABLE workshop_invites (
    id          INTEGER PRIMARY KEY,
    workshop_id INTEGER NOT NULL REFERENCES workshops(id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL CHECK (role IN ('participant','observer')),
    label       TEXT NOT NULL DEFAULT '',
    expires_at  INTEGER NOT NULL,
    revoked     INTEGER NOT NULL DEFAULT 0,
    created_by  INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at  INTEGER NOT NULL
);

-- Guests: CPTS professionals without an account, for one workshop.
CREATE TABLE workshop_guests (
    id          INTEGER PRIMARY KEY,
    invite_id   INTEGER NOT NULL REFERENCES workshop_invites(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,       -- hash of the relais_invite cookie
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);

-- The event log of each workshop: the source of truth of its board.
CREATE TABLE workshop_events (
    workshop_id  INTEGER NOT NULL REFERENCES workshops(id) ON DELETE CASCADE,
    seq          INTEGER NOT NULL,
    op           TEXT NOT NULL,
    data         TEXT NOT NULL,            -- JSON
    actor_key    TEXT NOT NULL,            -- "u:12", "g:5", "system"
    actor_name   TEXT NOT NULL,
    client_op_id TEXT,                     -- for applying a retry once
    at           INTEGER NOT NULL,         -- unix ms
    PRIMARY KEY (workshop_id, seq)
) WITHOUT ROWID;
CREATE UNIQUE INDEX workshop_events_client_op ON workshop_events(workshop_id, actor_key, client_op_id)
    WHERE client_op_id IS NOT NULL;

CREATE TABLE workshop_reports (
    workshop_id  INTEGER PRIMARY KEY REFERENCES workshops(id) ON DELETE CASCADE,
    generated_at INTEGER NOT NULL,
    seq          INTEGER NOT NULL,          -- the board as of this event
    markdown     TEXT NOT NULL,
    actions_csv  TEXT NOT NULL,
    indicators_csv TEXT NOT NULL
);
