-- The spatial index is keyed by the observation's day first, then its 0.1-degree cell. Keyed by the cell
-- alone, every insert went to a random place of the index (positions come in no order), and each commit
-- rewrote most of its pages: with the id's own unique index, the two random-key indexes cost a bulk load
-- as much as the rest of the row (`scripts/bench-sqlite-floor --layouts`). Reports arrive roughly in time
-- order, so a batch's entries fall on the last days' part of this index, a few pages: `truce ingest` of
-- 1,000,000 reports 1.2x as fast (docs/performance.md, "Ingest: where the time goes"). A spatial query lists the days
-- of its time range (or of the whole store) with the cells of its box; see `filters` in observations.rs.
-- The key is the day as SQLite's integer division gives it (towards zero): queries use the same
-- expression, `(time_ms / 86400000)`, so that SQLite uses this index.
DROP INDEX observations_cell;
CREATE INDEX observations_day_cell ON observations ((time_ms / 86400000), cell);
