-- Owned by the library module. A version sent back keeps the reviewer's request (the
-- item's review_note is cleared by the next version): reviewers and authors read, in the
-- history, what was asked of each version, and the review queue says a fiche comes back.
ALTER TABLE library_versions ADD COLUMN review_note TEXT NOT NULL DEFAULT '';
ALTER TABLE library_versions ADD COLUMN reviewed_at INTEGER;
-- A fiche sent back before this migration: its request is on the item, for its latest version.
UPDATE library_versions SET review_note = (SELECT review_note FROM library_items i WHERE i.id = library_versions.item_id),
                            reviewed_at = (SELECT updated_at FROM library_items i WHERE i.id = library_versions.item_id)
 WHERE EXISTS (SELECT 1 FROM library_items i WHERE i.id = library_versions.item_id AND i.state = 'rejected'
               AND i.latest_version = library_versions.version AND i.review_note <> '');
