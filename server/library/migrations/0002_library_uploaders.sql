-- Owned by the library module: who uploaded which file. The same bytes uploaded by two
-- people are one file with two uploaders. Attaching a file to an item needs to be one of
-- its uploaders, or to be able to read an item version that holds it.

CREATE TABLE library_file_uploaders (
    sha256     TEXT NOT NULL REFERENCES library_files(sha256) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (sha256, user_id)
) WITHOUT ROWID;

INSERT OR IGNORE INTO library_file_uploaders(sha256, user_id, created_at)
    SELECT sha256, uploaded_by, created_at FROM library_files WHERE uploaded_by IS NOT NULL;
