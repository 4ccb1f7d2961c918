-- The coalition (truce-coalition): entities as JSON bodies, and two series that only grow.
-- An import is one transaction; history and progress rows are added or their words updated, never
-- deleted, so a pledge's history accumulates across imports. `file`/`line` say where a row was read
-- from; `import_seq` is the import that first recorded it (or last changed an entity). The label
-- columns `rank`, `rel`, `cats` are those the access rule reads, on `recorded_ms` (an entity: when
-- it was first recorded) or `time_ms` (a dated row: its date, midnight UTC). Keys sort bytewise
-- (COLLATE "C"), as on SQLite, whatever the database's collation.

CREATE TABLE coalition_imports (
    seq     bigint PRIMARY KEY,   -- 1, 2, ...: given by the import, which holds a lock on this table
    at_ms   bigint NOT NULL,
    files   text   NOT NULL,      -- one per line, as given
    summary text   NOT NULL       -- JSON: what the import added and changed
);

CREATE TABLE coalition_items (
    kind        text COLLATE "C" NOT NULL,  -- nation, pledge, measure, requirement, place, unit, ...
    id          text COLLATE "C" NOT NULL,
    body        text    NOT NULL,
    file        text    NOT NULL,
    line        bigint  NOT NULL,
    import_seq  bigint  NOT NULL,  -- coalition_imports.seq (written last in the same transaction)
    rank        integer NOT NULL,
    rel         text    NOT NULL,
    cats        text    NOT NULL,
    recorded_ms bigint  NOT NULL,
    PRIMARY KEY (kind, id)
);

CREATE TABLE pledge_history (
    rowid      bigint  GENERATED ALWAYS AS IDENTITY UNIQUE,  -- the order recorded: SQLite's rowid, by name
    pledge     text COLLATE "C" NOT NULL,
    date       text COLLATE "C" NOT NULL,  -- YYYY-MM-DD
    status     text    NOT NULL,
    source     text    NOT NULL,
    body       text    NOT NULL,
    file       text    NOT NULL,
    line       bigint  NOT NULL,
    import_seq bigint  NOT NULL,  -- coalition_imports.seq (written last in the same transaction)
    rank       integer NOT NULL,
    rel        text    NOT NULL,
    cats       text    NOT NULL,
    time_ms    bigint  NOT NULL,
    PRIMARY KEY (pledge, date, status, source)
);

CREATE TABLE regeneration_progress (
    target     text COLLATE "C" NOT NULL,
    date       text COLLATE "C" NOT NULL,  -- YYYY-MM-DD
    body       text    NOT NULL,
    file       text    NOT NULL,
    line       bigint  NOT NULL,
    import_seq bigint  NOT NULL,  -- coalition_imports.seq (written last in the same transaction)
    rank       integer NOT NULL,
    rel        text    NOT NULL,
    cats       text    NOT NULL,
    time_ms    bigint  NOT NULL,
    PRIMARY KEY (target, date)
);
