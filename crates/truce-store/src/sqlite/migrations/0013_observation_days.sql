-- How often the observations of each UTC day changed: a counter per day, bumped by the database itself on
-- every insert, amendment, withdrawal and reclassification of an observation of that day (both days when
-- an amendment moves one). What is derived from a day's observations (counts, incidents, report
-- tallies) can be kept by a reader keyed on the counters of the days it read, and stays exact: a
-- changed day has a new counter. Triggers, so no write path can forget it. `day` is floor(time_ms / 1 d).
CREATE TABLE observation_days (
    day     INTEGER PRIMARY KEY,
    changes INTEGER NOT NULL
);
INSERT INTO observation_days (day, changes)
    SELECT (time_ms - (((time_ms % 86400000) + 86400000) % 86400000)) / 86400000, count(*)
    FROM observations GROUP BY 1;
CREATE TRIGGER observation_days_insert AFTER INSERT ON observations BEGIN
    INSERT INTO observation_days (day, changes)
        VALUES ((new.time_ms - (((new.time_ms % 86400000) + 86400000) % 86400000)) / 86400000, 1)
        ON CONFLICT (day) DO UPDATE SET changes = changes + 1;
END;
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
