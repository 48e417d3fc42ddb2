-- Owned by the workshops module: a guest's id is its key in the event log, the votes and
-- the attendance ("g:<id>"), so an id is never given again. With a plain INTEGER PRIMARY
-- KEY, SQLite hands out the highest id again once that guest is gone (signed out, link
-- revoked), and the newcomer inherited the leaver's notes, votes and presence. The table
-- is rebuilt with AUTOINCREMENT, its counter starting past every guest id still named
-- anywhere (events, attendance).
CREATE TABLE workshop_guests_v2 (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    invite_id   INTEGER NOT NULL REFERENCES workshop_invites(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,       -- hash of the relais_invite cookie
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
INSERT INTO workshop_guests_v2(id, invite_id, name, token_hash, created_at, expires_at)
    SELECT id, invite_id, name, token_hash, created_at, expires_at FROM workshop_guests;
DROP TABLE workshop_guests;
ALTER TABLE workshop_guests_v2 RENAME TO workshop_guests;
DELETE FROM sqlite_sequence WHERE name IN ('workshop_guests', 'workshop_guests_v2');
INSERT INTO sqlite_sequence(name, seq) SELECT 'workshop_guests', max(
    coalesce((SELECT max(id) FROM workshop_guests), 0),
    coalesce((SELECT max(CAST(substr(actor_key, 3) AS INTEGER)) FROM workshop_events WHERE actor_key LIKE 'g:%'), 0),
    coalesce((SELECT max(CAST(substr(actor_key, 3) AS INTEGER)) FROM workshop_attendance WHERE actor_key LIKE 'g:%'), 0));
