-- Observations, their classification against the agreement, and the indexes the queries use.
CREATE TABLE observations (
    seq            INTEGER PRIMARY KEY,          -- insertion order; also the R*Tree key
    id             TEXT    NOT NULL UNIQUE,      -- the observation's id: the idempotency key
    time_ms        INTEGER NOT NULL,             -- start of the time window, Unix milliseconds UTC
    time_end_ms    INTEGER,
    lat            REAL    NOT NULL,
    lon            REAL    NOT NULL,
    category       TEXT    NOT NULL,
    received_ms    INTEGER NOT NULL,
    body           TEXT    NOT NULL,             -- the observation as JSON
    classification TEXT    NOT NULL              -- its classification as JSON
);
CREATE INDEX observations_time ON observations (time_ms, seq);
CREATE INDEX observations_category_time ON observations (category, time_ms);

CREATE VIRTUAL TABLE observations_rtree USING rtree (seq, min_lon, max_lon, min_lat, max_lat);

CREATE TABLE observation_zones (
    zone TEXT    NOT NULL,
    seq  INTEGER NOT NULL REFERENCES observations (seq) ON DELETE CASCADE,
    PRIMARY KEY (zone, seq)
) WITHOUT ROWID;

CREATE TABLE observation_violations (
    code TEXT    NOT NULL,
    seq  INTEGER NOT NULL REFERENCES observations (seq) ON DELETE CASCADE,
    n    INTEGER NOT NULL,                       -- position in the observation's list
    PRIMARY KEY (code, seq, n)
) WITHOUT ROWID;

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
