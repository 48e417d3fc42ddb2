-- Owned by the territory module (« Territoire d'une CPTS »). Organisations and accounts
-- are auth's: referred to by id, checked through auth::directory, never joined.

-- The communes one can pick, imported from the npm package @etalab/decoupage-administratif
-- (code MIT, data Licence Ouverte) when this table is empty or the package's version
-- changed. Paris, Lyon and Marseille are here as their arrondissements (parent: the
-- commune), never as one commune.
CREATE TABLE territory_communes (
    code        TEXT PRIMARY KEY,            -- INSEE code
    name        TEXT NOT NULL,
    postcodes   TEXT NOT NULL DEFAULT '',    -- space-separated
    population  INTEGER NOT NULL,            -- population municipale
    departement TEXT NOT NULL,
    region      TEXT NOT NULL,
    parent      TEXT NOT NULL DEFAULT ''     -- an arrondissement's commune ("75056")
) WITHOUT ROWID;

-- The communes split into arrondissements (not pickable; named in errors and searches).
CREATE TABLE territory_split_communes (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL
) WITHOUT ROWID;

-- What was imported: one row.
CREATE TABLE territory_dataset (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    package     TEXT NOT NULL,
    version     TEXT NOT NULL,
    data_year   INTEGER NOT NULL,
    communes    INTEGER NOT NULL,
    imported_at INTEGER NOT NULL
);

-- The territory saved for a CPTS (an organisation of type cpts): its communes.
CREATE TABLE territory_cpts (
    org_id     INTEGER PRIMARY KEY REFERENCES organisations(id) ON DELETE CASCADE,
    updated_at INTEGER NOT NULL,
    updated_by INTEGER REFERENCES users(id) ON DELETE SET NULL
);
CREATE TABLE territory_cpts_communes (
    org_id INTEGER NOT NULL REFERENCES territory_cpts(org_id) ON DELETE CASCADE,
    code   TEXT NOT NULL,
    PRIMARY KEY (org_id, code)
) WITHOUT ROWID;
-- Overlaps: which other CPTS hold one of these communes.
CREATE INDEX territory_cpts_communes_code ON territory_cpts_communes(code, org_id);
