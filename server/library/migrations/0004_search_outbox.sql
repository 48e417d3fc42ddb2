-- Owned by the library module. The index is every module's now (the indexing module's
-- search_outbox): the library's pending index updates move there as documents of type
-- "item", then its own outbox goes.
INSERT INTO search_outbox(type, doc_key) SELECT 'item', item_id FROM library_outbox ORDER BY seq;
DROP TABLE library_outbox;
