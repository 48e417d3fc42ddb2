-- Owned by the workshops module: a compte rendu edited by a facilitator before it is
-- published. `version` moves with every save or new generation (an edit names the
-- version it started from); `edited_at` is NULL while the report is as generated.
ALTER TABLE workshop_reports ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE workshop_reports ADD COLUMN edited_at INTEGER;
ALTER TABLE workshop_reports ADD COLUMN edited_by TEXT NOT NULL DEFAULT '';
