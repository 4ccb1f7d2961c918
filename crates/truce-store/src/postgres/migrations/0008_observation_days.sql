-- How often the observations of each UTC day changed (see the SQLite migration 0013): a counter per day,
-- bumped by the database on every insert, amendment, withdrawal and reclassification of an observation
-- of that day. Statement-level triggers with transition tables: a COPY of 20,000 rows adds one upsert
-- per day it touches, not one per row. Nodes sharing the database share the counters, so what one node
-- derived and kept is renewed when another node writes.
CREATE TABLE observation_days (
    day     bigint PRIMARY KEY,
    changes bigint NOT NULL
);
INSERT INTO observation_days (day, changes)
    SELECT floor(time_ms / 86400000.0)::bigint, count(*) FROM observations GROUP BY 1;

CREATE FUNCTION observation_days_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO observation_days (day, changes)
            SELECT floor(time_ms / 86400000.0)::bigint, count(*) FROM new_rows GROUP BY 1 ORDER BY 1
            ON CONFLICT (day) DO UPDATE SET changes = observation_days.changes + excluded.changes;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO observation_days (day, changes)
            SELECT d, count(*) FROM (
                SELECT floor(time_ms / 86400000.0)::bigint AS d FROM old_rows
                UNION ALL SELECT floor(time_ms / 86400000.0)::bigint FROM new_rows
            ) t GROUP BY d ORDER BY d
            ON CONFLICT (day) DO UPDATE SET changes = observation_days.changes + excluded.changes;
    ELSE
        INSERT INTO observation_days (day, changes)
            SELECT floor(time_ms / 86400000.0)::bigint, count(*) FROM old_rows GROUP BY 1 ORDER BY 1
            ON CONFLICT (day) DO UPDATE SET changes = observation_days.changes + excluded.changes;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER observation_days_insert AFTER INSERT ON observations
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION observation_days_bump();
CREATE TRIGGER observation_days_update AFTER UPDATE ON observations
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION observation_days_bump();
CREATE TRIGGER observation_days_delete AFTER DELETE ON observations
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION observation_days_bump();
