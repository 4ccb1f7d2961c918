-- What readers derived from whole UTC days of observations (the watch's day summaries), kept per audience
-- so that a command or a restarted server does not read and derive those days again. The stamp is the
-- reader's own (the day counters and the configuration the value was computed from); a row whose stamp
-- no longer matches is computed again and replaced. A cache: dropping every row loses nothing.
CREATE TABLE kept_days (
    name     TEXT NOT NULL,
    audience TEXT NOT NULL,
    day      INTEGER NOT NULL,
    stamp    TEXT NOT NULL,
    value    BLOB NOT NULL,
    PRIMARY KEY (name, audience, day)
) WITHOUT ROWID;
