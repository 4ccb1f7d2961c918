-- Acknowledgements of alerts: who, when and a note. Every acknowledgement is kept (the latest is the
-- one shown); a row has no label of its own, it is read and written only through its alert's
-- visibility (audience and label columns of `alerts`). `id` orders them: the latest is the highest.
CREATE TABLE alert_acks (
    id      INTEGER PRIMARY KEY,
    seq     INTEGER NOT NULL REFERENCES alerts (seq),
    by_user TEXT    NOT NULL,
    at_ms   INTEGER NOT NULL,
    note    TEXT    NOT NULL
);
CREATE INDEX alert_acks_by_alert ON alert_acks (seq, id);
