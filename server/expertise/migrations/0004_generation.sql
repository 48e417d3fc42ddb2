-- Owned by the expertise module: a counter every change to people, entries, domains or
-- roles increments in its own transaction, so that a reader knows whether its in-memory
-- copy of the map (matching, directory pages) is the one of its snapshot.
CREATE TABLE expertise_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n  INTEGER NOT NULL
);
INSERT INTO expertise_generation(id, n) VALUES (1, 0);
