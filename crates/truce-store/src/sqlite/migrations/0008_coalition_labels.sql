-- Security labels on the coalition (truce-access): the columns the access predicate reads, as in
-- 0006_labels.sql (`rank`, `rel`, `cats`; the defaults are the default label: NATO UNCLASSIFIED,
-- the policy's default release, no category), and the time a row's release codes are expanded on:
-- a history entry's or progress point's own date, and for an entity the time it was first recorded
-- (rows stored before this migration get the time of the import that last wrote them, the closest
-- the database knows).

ALTER TABLE coalition_items ADD COLUMN rank INTEGER NOT NULL DEFAULT 0;
ALTER TABLE coalition_items ADD COLUMN rel TEXT NOT NULL DEFAULT '';
ALTER TABLE coalition_items ADD COLUMN cats TEXT NOT NULL DEFAULT '';
ALTER TABLE coalition_items ADD COLUMN recorded_ms INTEGER NOT NULL DEFAULT 0;
UPDATE coalition_items
    SET recorded_ms = coalesce((SELECT at_ms FROM coalition_imports WHERE seq = import_seq), 0);

ALTER TABLE pledge_history ADD COLUMN rank INTEGER NOT NULL DEFAULT 0;
ALTER TABLE pledge_history ADD COLUMN rel TEXT NOT NULL DEFAULT '';
ALTER TABLE pledge_history ADD COLUMN cats TEXT NOT NULL DEFAULT '';
ALTER TABLE pledge_history ADD COLUMN time_ms INTEGER NOT NULL DEFAULT 0;
UPDATE pledge_history SET time_ms = coalesce(CAST(strftime('%s', date) AS INTEGER), 0) * 1000;

ALTER TABLE regeneration_progress ADD COLUMN rank INTEGER NOT NULL DEFAULT 0;
ALTER TABLE regeneration_progress ADD COLUMN rel TEXT NOT NULL DEFAULT '';
ALTER TABLE regeneration_progress ADD COLUMN cats TEXT NOT NULL DEFAULT '';
ALTER TABLE regeneration_progress ADD COLUMN time_ms INTEGER NOT NULL DEFAULT 0;
UPDATE regeneration_progress SET time_ms = coalesce(CAST(strftime('%s', date) AS INTEGER), 0) * 1000;
