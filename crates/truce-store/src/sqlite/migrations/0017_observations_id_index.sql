-- The observation id's uniqueness moves from the table's UNIQUE constraint (an index SQLite makes and
-- never lets go of) to a named unique index, so that a bulk load into an empty store can drop it and
-- build it once after its rows (`SqliteStore::defer_indexes`): ids come in random order, and growing
-- their index row by row rewrote most of its pages at every commit. `scripts/bench-sqlite-floor --ids`
-- measured 112-118k rows/s with the UNIQUE in the table against 178-182k with the index built after the
-- rows (docs/performance.md, "Where the id's uniqueness could be kept during a bulk load").
--
-- SQLite cannot drop a column constraint, so the table is made again with the same columns, in the same
-- order, and the rows copied with their `seq` (the R*Tree and the pages refer to rows by it); its other
-- indexes and the triggers that count each day's changes are made again as migrations 0001, 0013 and
-- 0016 made them. On a store that holds rows this copies all of them once.
CREATE TABLE observations_new (
    seq            INTEGER PRIMARY KEY,          -- insertion order
    id             TEXT    NOT NULL,             -- the observation's id: the idempotency key (unique: observations_id)
    time_ms        INTEGER NOT NULL,
    time_end_ms    INTEGER,
    lat            REAL    NOT NULL,
    lon            REAL    NOT NULL,
    cell           INTEGER NOT NULL,
    category       TEXT    NOT NULL,
    received_ms    INTEGER NOT NULL,
    body           TEXT    NOT NULL,
    classification TEXT    NOT NULL,
    zones          TEXT    NOT NULL,
    violations     TEXT    NOT NULL,
    rank           INTEGER NOT NULL DEFAULT 0,
    rel            TEXT    NOT NULL DEFAULT '',
    cats           TEXT    NOT NULL DEFAULT '',
    version        INTEGER NOT NULL DEFAULT 1,
    withdrawn      INTEGER NOT NULL DEFAULT 0,
    recorded_by    TEXT    NOT NULL DEFAULT ''
);
INSERT INTO observations_new (seq, id, time_ms, time_end_ms, lat, lon, cell, category, received_ms, body,
                              classification, zones, violations, rank, rel, cats, version, withdrawn, recorded_by)
    SELECT seq, id, time_ms, time_end_ms, lat, lon, cell, category, received_ms, body,
           classification, zones, violations, rank, rel, cats, version, withdrawn, recorded_by
    FROM observations ORDER BY seq;
-- Dropping the table drops its indexes and triggers and fires none of them.
DROP TABLE observations;
ALTER TABLE observations_new RENAME TO observations;
CREATE UNIQUE INDEX observations_id ON observations (id);
CREATE INDEX observations_time ON observations (time_ms, seq);
CREATE INDEX observations_day_cell ON observations ((time_ms / 86400000), cell);
CREATE TRIGGER observation_days_update AFTER UPDATE ON observations BEGIN
    INSERT INTO observation_days (day, changes)
        VALUES ((old.time_ms - (((old.time_ms % 86400000) + 86400000) % 86400000)) / 86400000, 1)
        ON CONFLICT (day) DO UPDATE SET changes = changes + 1;
    INSERT INTO observation_days (day, changes)
        VALUES ((new.time_ms - (((new.time_ms % 86400000) + 86400000) % 86400000)) / 86400000, 1)
        ON CONFLICT (day) DO UPDATE SET changes = changes + 1;
END;
CREATE TRIGGER observation_days_delete AFTER DELETE ON observations BEGIN
    INSERT INTO observation_days (day, changes)
        VALUES ((old.time_ms - (((old.time_ms % 86400000) + 86400000) % 86400000)) / 86400000, 1)
        ON CONFLICT (day) DO UPDATE SET changes = changes + 1;
END;
