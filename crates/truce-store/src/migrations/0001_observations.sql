-- Observations, their classification against the agreement, and the indexes the queries use.
CREATE TABLE observations (
    seq            INTEGER PRIMARY KEY,          -- insertion order; also the R*Tree key
    id             TEXT    NOT NULL UNIQUE,      -- the observation's id: the idempotency key
    time_ms        INTEGER NOT NULL,             -- start of the time window, Unix milliseconds UTC
    time_end_ms    INTEGER,
    lat            REAL    NOT NULL,
    lon            REAL    NOT NULL,
    cell           INTEGER NOT NULL,             -- the 0.1-degree cell holding the position (see cells_rtree)
    category       TEXT    NOT NULL,
    received_ms    INTEGER NOT NULL,
    body           TEXT    NOT NULL,             -- the observation as JSON
    classification TEXT    NOT NULL              -- its classification as JSON
);
CREATE INDEX observations_time ON observations (time_ms, seq);
CREATE INDEX observations_cell ON observations (cell);

-- The spatial index: an R*Tree over the occupied 0.1-degree cells (one entry per cell, added when the
-- first observation lands in it), and the B-tree above from cell to rows. A per-row R*Tree entry costs
-- about 5 microseconds per insert and would cap bulk loads near 50,000 rows/s; a cell entry is added
-- once. Queries take the cells the R*Tree finds and recheck every position exactly.
CREATE VIRTUAL TABLE cells_rtree USING rtree (cell, min_lon, max_lon, min_lat, max_lat);

CREATE TABLE observation_zones (
    zone TEXT    NOT NULL,
    seq  INTEGER NOT NULL,              -- observations.seq
    PRIMARY KEY (zone, seq)
) WITHOUT ROWID;

CREATE TABLE observation_violations (
    code TEXT    NOT NULL,
    seq  INTEGER NOT NULL,              -- observations.seq
    n    INTEGER NOT NULL,                       -- position in the observation's list
    PRIMARY KEY (code, seq, n)
) WITHOUT ROWID;

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
