-- Owned by the expertise module: a need's territory as communes (through the territory
-- module's interface, never its tables), and what a need became or points to: workshops
-- and library items, by id (read back through the workshops' and the library's catalogues).

ALTER TABLE expertise_needs ADD COLUMN communes TEXT NOT NULL DEFAULT '[]';  -- JSON: INSEE codes
ALTER TABLE expertise_needs ADD COLUMN population INTEGER;                  -- of those communes, when known

CREATE TABLE expertise_need_links (
    need_id  INTEGER NOT NULL REFERENCES expertise_needs(id) ON DELETE CASCADE,
    kind     TEXT NOT NULL CHECK (kind IN ('workshop', 'library')),
    ref_id   INTEGER NOT NULL,
    added_by INTEGER NOT NULL,
    added_at INTEGER NOT NULL,
    PRIMARY KEY (need_id, kind, ref_id)
);
