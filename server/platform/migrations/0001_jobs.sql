-- Owned by the platform: the scheduler's jobs (one row per job key), so that a job's
-- next run and its last outcome survive a restart.
CREATE TABLE platform_jobs (
    key              TEXT PRIMARY KEY,
    next_run         INTEGER NOT NULL,      -- unix seconds
    last_run         INTEGER,
    last_status      TEXT NOT NULL DEFAULT '' CHECK (last_status IN ('', 'ok', 'error')),
    last_error       TEXT NOT NULL DEFAULT '',
    last_duration_ms INTEGER NOT NULL DEFAULT 0,
    runs             INTEGER NOT NULL DEFAULT 0,
    failures         INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
