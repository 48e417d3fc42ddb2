-- Owned by the indexing module: documents whose index entry is out of date, for every
-- module that indexes documents (type "item" for the library; next "watch",
-- "expertise"). Written in the same transaction as the change; the indexer deletes rows
-- only once Xapian has committed them, so the index follows SQLite across a crash.
CREATE TABLE search_outbox (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    type    TEXT NOT NULL,
    doc_key INTEGER NOT NULL
);
