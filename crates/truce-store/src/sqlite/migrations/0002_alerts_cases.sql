-- Early-warning alerts (level changes) and compliance cases with their history.
-- Bodies are JSON documents owned by truce-watch; the columns beside them are what is filtered on.

CREATE TABLE alerts (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms    INTEGER NOT NULL,
    scope    TEXT    NOT NULL,  -- a sector id, or 'line'
    level    TEXT    NOT NULL,
    previous TEXT    NOT NULL,
    body     TEXT    NOT NULL
);
CREATE INDEX alerts_at ON alerts (at_ms);
CREATE INDEX alerts_scope ON alerts (scope, seq);

CREATE TABLE cases (
    id        TEXT    PRIMARY KEY,
    opened_ms INTEGER NOT NULL,
    title     TEXT    NOT NULL,
    stage     TEXT    NOT NULL,
    body      TEXT    NOT NULL
);

CREATE TABLE case_actions (
    case_id TEXT    NOT NULL REFERENCES cases (id),
    seq     INTEGER NOT NULL,
    at_ms   INTEGER NOT NULL,
    actor   TEXT    NOT NULL,
    body    TEXT    NOT NULL,
    PRIMARY KEY (case_id, seq)
);
