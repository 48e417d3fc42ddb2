-- Owned by the library module. What was learnt of a file at upload besides its text, as
-- JSON: {"pages": N, "outline": [...], "width": W, "height": H, "preview": true}. Files
-- stored before this have '{}': no outline; a PDF's thumbnail is drawn on first request.
ALTER TABLE library_files ADD COLUMN meta TEXT NOT NULL DEFAULT '{}';
