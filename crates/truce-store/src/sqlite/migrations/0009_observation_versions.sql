-- Corrections: an observation is amended or withdrawn, never deleted. `observations` holds the current
-- version of each one: its number, whether it is withdrawn (lists and counts leave those out), and who
-- recorded the first version. `observation_versions` keeps every version of an observation that was
-- ever changed, the current one included, with who made it, when and why, so that its history is one
-- query; an observation never changed has no rows there (its history is its row in `observations`:
-- version 1, recorded by `recorded_by` at `received_ms`). A change writes both tables in one
-- transaction: a reader, or a process killed mid-way, sees the old version or the new, never a mix.
ALTER TABLE observations ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE observations ADD COLUMN withdrawn INTEGER NOT NULL DEFAULT 0;
ALTER TABLE observations ADD COLUMN recorded_by TEXT NOT NULL DEFAULT '';

CREATE TABLE observation_versions (
    id             TEXT    NOT NULL,
    version        INTEGER NOT NULL,
    action         TEXT    NOT NULL,   -- recorded | amended | withdrawn
    at_ms          INTEGER NOT NULL,   -- when this version was made
    by             TEXT    NOT NULL,   -- who made it (a user, or the source that imported it)
    reason         TEXT    NOT NULL,   -- why ('' for the first version)
    body           TEXT    NOT NULL,   -- the observation as this version had it
    classification TEXT    NOT NULL,
    time_ms        INTEGER NOT NULL,   -- the version's own label columns: a reader sees the versions
    rank           INTEGER NOT NULL,   -- its label permits, like any other record
    rel            TEXT    NOT NULL,
    cats           TEXT    NOT NULL,
    PRIMARY KEY (id, version)
) WITHOUT ROWID;
CREATE INDEX observation_versions_at ON observation_versions (at_ms);
