-- The coalition (truce-coalition): entities as JSON bodies, and two series that only grow.
-- An import is one transaction; history and progress rows are added or their words updated, never
-- deleted, so a pledge's history accumulates across imports. `file`/`line` say where a row was read
-- from; `import_seq` is the import that first recorded it (or last changed an entity).

CREATE TABLE coalition_imports (
    seq     INTEGER PRIMARY KEY,
    at_ms   INTEGER NOT NULL,
    files   TEXT    NOT NULL,  -- one per line, as given
    summary TEXT    NOT NULL   -- JSON: what the import added and changed
);

CREATE TABLE coalition_items (
    kind       TEXT    NOT NULL,  -- nation, pledge, measure, requirement, place, unit, theatre, plan, target, milestone
    id         TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    file       TEXT    NOT NULL,
    line       INTEGER NOT NULL,
    import_seq INTEGER NOT NULL,  -- coalition_imports.seq (written last in the same transaction)
    PRIMARY KEY (kind, id)
);

CREATE TABLE pledge_history (
    pledge     TEXT    NOT NULL,
    date       TEXT    NOT NULL,  -- YYYY-MM-DD
    status     TEXT    NOT NULL,
    source     TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    file       TEXT    NOT NULL,
    line       INTEGER NOT NULL,
    import_seq INTEGER NOT NULL,  -- coalition_imports.seq (written last in the same transaction)
    PRIMARY KEY (pledge, date, status, source)
);

CREATE TABLE regeneration_progress (
    target     TEXT    NOT NULL,
    date       TEXT    NOT NULL,  -- YYYY-MM-DD
    body       TEXT    NOT NULL,
    file       TEXT    NOT NULL,
    line       INTEGER NOT NULL,
    import_seq INTEGER NOT NULL,  -- coalition_imports.seq (written last in the same transaction)
    PRIMARY KEY (target, date)
);
