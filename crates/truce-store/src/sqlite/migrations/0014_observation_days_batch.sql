-- The insert trigger of 0013 made every INSERT a statement that writes two tables, and SQLite gives such a
-- statement its own sub-journal: each row copied the 16 KiB pages it touched before changing them, which
-- cost more than the row itself (bulk loads 91,000 -> 54,000 rows/s; `perf` showed 16% of the time in
-- subjournalPageIfRequired). The one statement that inserts observations (`insert_encoded`) now bumps the
-- counters of the days it stored, once per day and transaction, in the same transaction. Amendments,
-- withdrawals and reclassifications keep their triggers (one row at a time, rare).
DROP TRIGGER observation_days_insert;
