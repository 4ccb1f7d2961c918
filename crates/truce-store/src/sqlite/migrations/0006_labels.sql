-- Security labels (truce-access): every labelled table gets the columns the access predicate reads.
-- `rank` is the classification's rank (0 NATO UNCLASSIFIED .. 4 COSMIC TOP SECRET), `rel` the release
-- codes as '|GBR|NATO|' ('' for the policy's default release), `cats` the restrictive categories as
-- '|SOURCES|' ('' for none). The label itself stays in the JSON body where the record has one.

ALTER TABLE observations ADD COLUMN rank INTEGER NOT NULL DEFAULT 0;
ALTER TABLE observations ADD COLUMN rel TEXT NOT NULL DEFAULT '';
ALTER TABLE observations ADD COLUMN cats TEXT NOT NULL DEFAULT '';
UPDATE observations SET
    rank = CASE json_extract(body, '$.marking')
        WHEN 'NATO RESTRICTED' THEN 1 WHEN 'NATO CONFIDENTIAL' THEN 2 WHEN 'NATO SECRET' THEN 3
        WHEN 'COSMIC TOP SECRET' THEN 4 ELSE 0 END,
    rel = coalesce((SELECT '|' || group_concat(value, '|') || '|' FROM json_each(body, '$.releasable_to')), ''),
    cats = coalesce((SELECT '|' || group_concat(value, '|') || '|' FROM json_each(body, '$.categories')), '');

ALTER TABLE tracks ADD COLUMN rank INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tracks ADD COLUMN rel TEXT NOT NULL DEFAULT '';
ALTER TABLE tracks ADD COLUMN cats TEXT NOT NULL DEFAULT '';
ALTER TABLE geofence_events ADD COLUMN rank INTEGER NOT NULL DEFAULT 0;
ALTER TABLE geofence_events ADD COLUMN rel TEXT NOT NULL DEFAULT '';
ALTER TABLE geofence_events ADD COLUMN cats TEXT NOT NULL DEFAULT '';
ALTER TABLE alerts ADD COLUMN rank INTEGER NOT NULL DEFAULT 0;
ALTER TABLE alerts ADD COLUMN rel TEXT NOT NULL DEFAULT '';
ALTER TABLE alerts ADD COLUMN cats TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN rank INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN rel TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN cats TEXT NOT NULL DEFAULT '';
