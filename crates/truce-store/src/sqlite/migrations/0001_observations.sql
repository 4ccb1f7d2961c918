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
    classification TEXT    NOT NULL,             -- its classification as JSON
    zones          TEXT    NOT NULL,             -- ',zone1,zone2,': filtered with instr(zones, ',id,')
    violations     TEXT    NOT NULL              -- ',code1,code2,' likewise
);
-- Zones and violations are columns, not side tables: an observation near the line is in four or five
-- zones, and a row per zone cost more B-tree inserts than the observation itself (bulk loads halved).
-- Zone and violation filters scan the rows the other filters leave, which is what stats do anyway.
CREATE INDEX observations_time ON observations (time_ms, seq);
CREATE INDEX observations_cell ON observations (cell);

-- The spatial index: an R*Tree over the occupied 0.1-degree cells (one entry per cell, added when the
-- first observation lands in it), and the B-tree above from cell to rows. A per-row R*Tree entry costs
-- about 5 microseconds per insert and would cap bulk loads near 50,000 rows/s; a cell entry is added
-- once. Queries take the cells the R*Tree finds and recheck every position exactly.
CREATE VIRTUAL TABLE cells_rtree USING rtree (cell, min_lon, max_lon, min_lat, max_lat);

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
