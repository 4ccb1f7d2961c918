-- What readers derived from whole UTC days of observations, kept per audience (see the SQLite migration
-- 0015): a command or a node started later reads them instead of deriving those days again.
CREATE TABLE kept_days (
    name     text NOT NULL,
    audience text NOT NULL,
    day      bigint NOT NULL,
    stamp    text NOT NULL,
    value    bytea NOT NULL,
    PRIMARY KEY (name, audience, day)
);
