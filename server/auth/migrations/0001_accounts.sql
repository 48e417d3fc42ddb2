-- Owned by the auth module: organisations, accounts and sessions.
CREATE TABLE organisations (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    type         TEXT NOT NULL CHECK (type IN ('cpam','elsm','dcgdr','msa','ars','urps','cpts','federation','autre')),
    region       TEXT,                      -- INSEE region code, NULL for a national body
    departements TEXT NOT NULL DEFAULT '',  -- comma-separated INSEE département codes
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE UNIQUE INDEX organisations_name ON organisations(name COLLATE NOCASE);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT NOT NULL,           -- stored lower-cased
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin','animateur','membre')),
    org_id        INTEGER REFERENCES organisations(id) ON DELETE RESTRICT,
    password_hash TEXT NOT NULL,           -- Argon2id, libsodium's encoded string
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE UNIQUE INDEX users_email ON users(email);
CREATE INDEX users_org ON users(org_id);

CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,          -- BLAKE2b (hex) of the cookie token; the token itself is never stored
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    address     TEXT NOT NULL DEFAULT '',
    user_agent  TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_expiry ON sessions(expires_at);

-- Seed content loaded, by name and version, so that `relais seed` is idempotent.
CREATE TABLE seed_runs (
    name       TEXT PRIMARY KEY,
    checksum   TEXT NOT NULL,
    loaded_at  INTEGER NOT NULL
);
