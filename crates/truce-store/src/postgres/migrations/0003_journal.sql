-- Early-warning alerts (level changes) with their acknowledgements, and compliance cases with their
-- history. Bodies are JSON documents owned by truce-watch; the columns beside them are what is
-- filtered on. The columns are the embedded store's (after its migrations 0002, 0006, 0007 and 0011);
-- scopes and case ids sort bytewise (COLLATE "C"), as on SQLite, whatever the database's collation.

-- `seq` orders alerts for catch-up and is never reused (writers take turns on the table, so a number
-- is visible only after every smaller one is). `audience` is whose assessment raised the alert
-- (truce_access::Access::audience; `*` for the assessment of everything).
CREATE TABLE alerts (
    seq      bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at_ms    bigint  NOT NULL,
    scope    text COLLATE "C" NOT NULL,  -- a sector id, or 'line'
    level    text    NOT NULL,
    previous text    NOT NULL,
    body     text    NOT NULL,
    rank     integer NOT NULL,           -- the label columns (truce_access::Access::sql)
    rel      text    NOT NULL,
    cats     text    NOT NULL,
    audience text    NOT NULL
);
CREATE INDEX alerts_at ON alerts (at_ms);
CREATE INDEX alerts_scope ON alerts (scope, seq);
CREATE INDEX alerts_by_audience ON alerts (audience, scope, seq);

-- Acknowledgements of alerts: who, when and a note. Every acknowledgement is kept (the latest is the
-- one shown); a row has no label of its own, it is read and written only through its alert's
-- visibility (audience and label columns of `alerts`). `id` orders them: the latest is the highest.
CREATE TABLE alert_acks (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    seq     bigint NOT NULL REFERENCES alerts (seq),
    by_user text   NOT NULL,
    at_ms   bigint NOT NULL,
    note    text   NOT NULL
);
CREATE INDEX alert_acks_by_alert ON alert_acks (seq, id);

-- `id` is 'case-' and 10 random hex digits: a sequence would tell whoever opens a case how many
-- cases exist, including those it may not see.
CREATE TABLE cases (
    id        text COLLATE "C" PRIMARY KEY,
    opened_ms bigint  NOT NULL,
    title     text    NOT NULL,
    stage     text    NOT NULL,
    body      text    NOT NULL,
    rank      integer NOT NULL,
    rel       text    NOT NULL,
    cats      text    NOT NULL
);

-- A case's actions, numbered from 1 in order.
CREATE TABLE case_actions (
    case_id text COLLATE "C" NOT NULL REFERENCES cases (id),
    seq     bigint NOT NULL,
    at_ms   bigint NOT NULL,
    actor   text   NOT NULL,
    body    text   NOT NULL,
    PRIMARY KEY (case_id, seq)
);
