-- Owned by the workshops module: who was in the room while the workshop was live (a
-- guest who never wrote anything was still there), for the compte rendu's « présents ».
CREATE TABLE workshop_attendance (
    workshop_id INTEGER NOT NULL REFERENCES workshops(id) ON DELETE CASCADE,
    actor_key   TEXT NOT NULL,            -- u:<user id> or g:<guest id>
    name        TEXT NOT NULL,
    role        TEXT NOT NULL,            -- facilitator, participant, observer
    first_at    INTEGER NOT NULL,
    PRIMARY KEY (workshop_id, actor_key)
);
