-- Owned by the notifications module: what a person is told in the application (the bell
-- in the navigation), written in the same transaction as what it tells about.
CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,            -- "<module>.<event>", e.g. "library.submitted"
    title      TEXT NOT NULL,
    body       TEXT NOT NULL DEFAULT '',
    link       TEXT NOT NULL DEFAULT '', -- an application path, e.g. "/bibliotheque/12"
    created_at INTEGER NOT NULL,
    read_at    INTEGER
);
CREATE INDEX notifications_user ON notifications(user_id, read_at, id);
