-- Owned by the expertise module (server/expertise/): the map of who knows what across the
-- network. People refer to accounts and organisations by id only (read through
-- auth::directory); territories are the reference data's région and département codes.

CREATE TABLE expertise_domains (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,              -- a-z0-9_
    label       TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    phases      TEXT NOT NULL DEFAULT '[]',        -- JSON: CPTS phase codes (reference data)
    missions    TEXT NOT NULL DEFAULT '[]',        -- JSON: ACI mission codes (reference data)
    position    INTEGER NOT NULL DEFAULT 0,
    archived    INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL
);

-- The roles of the people who accompany CPTS (seed 000's list), extendable by admins.
CREATE TABLE expertise_roles (
    code     TEXT PRIMARY KEY,
    label    TEXT NOT NULL,
    position INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE expertise_people (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER UNIQUE,                   -- the account, when the person has one
    name         TEXT NOT NULL,
    name_key     TEXT NOT NULL,                    -- folded name, for duplicates within an organisation
    org_id       INTEGER,
    role         TEXT NOT NULL REFERENCES expertise_roles(code),
    region       TEXT NOT NULL DEFAULT '',         -- INSEE région code, or ''
    departements TEXT NOT NULL DEFAULT '[]',       -- JSON: INSEE département codes
    email        TEXT NOT NULL DEFAULT '',
    phone        TEXT NOT NULL DEFAULT '',
    consent      INTEGER NOT NULL DEFAULT 0,       -- 1: agreed to appear (opt-in, withdrawable)
    consent_at   INTEGER,
    audience     TEXT NOT NULL DEFAULT 'network' CHECK (audience IN ('network', 'region', 'organisation')),
    created_by   INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE UNIQUE INDEX expertise_people_email ON expertise_people(email) WHERE email <> '';
CREATE INDEX expertise_people_org ON expertise_people(org_id);
CREATE INDEX expertise_people_name ON expertise_people(name_key);

CREATE TABLE expertise_entries (
    id           INTEGER PRIMARY KEY,
    person_id    INTEGER NOT NULL REFERENCES expertise_people(id) ON DELETE CASCADE,
    domain_id    INTEGER NOT NULL REFERENCES expertise_domains(id),
    level        TEXT NOT NULL CHECK (level IN ('notions', 'pratique', 'referent')),
    scope        TEXT NOT NULL CHECK (scope IN ('local', 'regional', 'national')),
    note         TEXT NOT NULL DEFAULT '',
    declared_at  INTEGER NOT NULL,
    confirmed_at INTEGER NOT NULL,                 -- « toujours d'actualité »
    validated_by INTEGER,                          -- an animateur or admin of the person's organisation
    validated_at INTEGER,
    reminded_at  INTEGER,                          -- last reminder sent while stale
    UNIQUE (person_id, domain_id)
);
CREATE INDEX expertise_entries_domain ON expertise_entries(domain_id, level);
CREATE INDEX expertise_entries_confirmed ON expertise_entries(confirmed_at);
