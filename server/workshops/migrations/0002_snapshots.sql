-- Owned by the workshops module: snapshots of each room's board, so that loading a room
-- reads the latest snapshot and the events after it instead of replaying the whole log.
-- Written from the committed board every `workshops.snapshot_every_events` events and
-- when an idle room is unloaded; only the latest of a workshop is kept.
CREATE TABLE workshop_snapshots (
    workshop_id INTEGER NOT NULL REFERENCES workshops(id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,          -- the board as of this event
    state       TEXT NOT NULL,             -- JSON: to_json(room_state), workshops/model.cpp
    at          INTEGER NOT NULL,          -- unix ms
    PRIMARY KEY (workshop_id, seq)
) WITHOUT ROWID;
