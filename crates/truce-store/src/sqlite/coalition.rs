//! The coalition's tables on SQLite (see [`crate::CoalitionStore`] for the design).
//!
//! Each row's label lives in the columns `rank`, `rel` and `cats` (migration 0008), and every read
//! adds the handle's access predicate over them with the row's time: `time_ms` (a history entry's or
//! progress point's date, midnight UTC) or, for an entity, `recorded_ms`, the time of the import that
//! first recorded it, which a later change leaves alone. An import compares the body **and** the
//! label columns, so relabelling a row is a change.

use rusqlite::{OptionalExtension, params};
use time::OffsetDateTime;
use truce_access::LabelColumns;

use super::tracks::label;
use super::{SqliteStore, from_ms, to_ms};
use crate::coalition::{HISTORY, ITEMS, PROGRESS, date_ms};
use crate::{
    CoalitionBatch, CoalitionImportReport, CoalitionImportRow, CoalitionItem, CoalitionStore, PledgeEvent,
    ProgressPoint, StoreError, Stored,
};

/// What a stored row is compared on: its body and its label.
type Content = (String, i64, String, String);

fn content(row: &rusqlite::Row<'_>) -> rusqlite::Result<Content> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
}

fn same(old: &Content, body: &str, l: &LabelColumns) -> bool {
    old.0 == body && old.1 == l.rank && old.2 == l.rel && old.3 == l.cats
}

impl CoalitionStore for SqliteStore {
    fn import_coalition(
        &self,
        batch: &CoalitionBatch,
        at: OffsetDateTime,
    ) -> Result<CoalitionImportReport, StoreError> {
        let at_ms = to_ms(at);
        let mut w = self.writer();
        let tx = w.conn.transaction()?;
        let seq: i64 = tx.query_row("SELECT COALESCE(MAX(seq), 0) + 1 FROM coalition_imports", [], |r| r.get(0))?;
        let mut report = CoalitionImportReport::default();
        {
            let mut get =
                tx.prepare_cached("SELECT body, rank, rel, cats FROM coalition_items WHERE kind = ?1 AND id = ?2")?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO coalition_items (kind, id, body, file, line, import_seq, rank, rel, cats, recorded_ms) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?;
            let mut update = tx.prepare_cached(
                "UPDATE coalition_items SET body = ?3, file = ?4, line = ?5, import_seq = ?6, rank = ?7, rel = ?8, \
                 cats = ?9 WHERE kind = ?1 AND id = ?2",
            )?;
            for it in &batch.items {
                let l = LabelColumns::of(&it.label);
                let old = get.query_row(params![it.kind, it.id], content).optional()?;
                match old {
                    None => {
                        insert.execute(params![
                            it.kind, it.id, it.body, it.file, it.line, seq, l.rank, l.rel, l.cats, at_ms
                        ])?;
                        report.items_added += 1;
                    }
                    Some(old) if !same(&old, &it.body, &l) => {
                        update
                            .execute(params![it.kind, it.id, it.body, it.file, it.line, seq, l.rank, l.rel, l.cats])?;
                        report.items_changed += 1;
                    }
                    Some(_) => {}
                }
            }
            let mut get = tx.prepare_cached(
                "SELECT body, rank, rel, cats FROM pledge_history \
                 WHERE pledge = ?1 AND date = ?2 AND status = ?3 AND source = ?4",
            )?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO pledge_history (pledge, date, status, source, body, file, line, import_seq, rank, rel, \
                 cats, time_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )?;
            let mut update = tx.prepare_cached(
                "UPDATE pledge_history SET body = ?5, rank = ?6, rel = ?7, cats = ?8 \
                 WHERE pledge = ?1 AND date = ?2 AND status = ?3 AND source = ?4",
            )?;
            for h in &batch.history {
                let l = LabelColumns::of(&h.label);
                let time_ms = date_ms(&h.pledge, &h.date)?;
                let old = get.query_row(params![h.pledge, h.date, h.status, h.source], content).optional()?;
                match old {
                    None => {
                        insert.execute(params![
                            h.pledge, h.date, h.status, h.source, h.body, h.file, h.line, seq, l.rank, l.rel, l.cats,
                            time_ms
                        ])?;
                        report.history_added += 1;
                    }
                    Some(old) if !same(&old, &h.body, &l) => {
                        update.execute(params![h.pledge, h.date, h.status, h.source, h.body, l.rank, l.rel, l.cats])?;
                        report.history_changed += 1;
                    }
                    Some(_) => {}
                }
            }
            let mut get = tx.prepare_cached(
                "SELECT body, rank, rel, cats FROM regeneration_progress WHERE target = ?1 AND date = ?2",
            )?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO regeneration_progress (target, date, body, file, line, import_seq, rank, rel, cats, \
                 time_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?;
            let mut update = tx.prepare_cached(
                "UPDATE regeneration_progress SET body = ?3, rank = ?4, rel = ?5, cats = ?6 \
                 WHERE target = ?1 AND date = ?2",
            )?;
            for p in &batch.progress {
                let l = LabelColumns::of(&p.label);
                let time_ms = date_ms(&p.target, &p.date)?;
                let old = get.query_row(params![p.target, p.date], content).optional()?;
                match old {
                    None => {
                        insert.execute(params![
                            p.target, p.date, p.body, p.file, p.line, seq, l.rank, l.rel, l.cats, time_ms
                        ])?;
                        report.progress_added += 1;
                    }
                    Some(old) if !same(&old, &p.body, &l) => {
                        update.execute(params![p.target, p.date, p.body, l.rank, l.rel, l.cats])?;
                        report.progress_changed += 1;
                    }
                    Some(_) => {}
                }
            }
        }
        if report.is_empty() {
            // Nothing changed: leave the database exactly as it was.
            tx.rollback()?;
            return Ok(report);
        }
        report.import = Some(seq);
        let summary = serde_json::to_string(&report).unwrap_or_default();
        tx.execute(
            "INSERT INTO coalition_imports (seq, at_ms, files, summary) VALUES (?1, ?2, ?3, ?4)",
            params![seq, at_ms, batch.files.join("\n"), summary],
        )?;
        tx.commit()?;
        Ok(report)
    }

    fn coalition_items(&self) -> Result<Vec<Stored<CoalitionItem>>, StoreError> {
        let r = self.reader();
        let mut stmt = r.prepare_cached(&ITEMS.select(&self.access))?;
        let rows = stmt.query_map([], |row| {
            Ok(Stored {
                row: CoalitionItem {
                    kind: row.get(0)?,
                    id: row.get(1)?,
                    body: row.get(2)?,
                    file: row.get(3)?,
                    line: row.get(4)?,
                    label: label(row, 7)?,
                },
                import: row.get(5)?,
                imported_at: from_ms(row.get(6)?),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn pledge_history(&self) -> Result<Vec<Stored<PledgeEvent>>, StoreError> {
        let r = self.reader();
        let mut stmt = r.prepare_cached(&HISTORY.select(&self.access))?;
        let rows = stmt.query_map([], |row| {
            Ok(Stored {
                row: PledgeEvent {
                    pledge: row.get(0)?,
                    date: row.get(1)?,
                    status: row.get(2)?,
                    source: row.get(3)?,
                    body: row.get(4)?,
                    file: row.get(5)?,
                    line: row.get(6)?,
                    label: label(row, 9)?,
                },
                import: row.get(7)?,
                imported_at: from_ms(row.get(8)?),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn regeneration_progress(&self) -> Result<Vec<Stored<ProgressPoint>>, StoreError> {
        let r = self.reader();
        let mut stmt = r.prepare_cached(&PROGRESS.select(&self.access))?;
        let rows = stmt.query_map([], |row| {
            Ok(Stored {
                row: ProgressPoint {
                    target: row.get(0)?,
                    date: row.get(1)?,
                    body: row.get(2)?,
                    file: row.get(3)?,
                    line: row.get(4)?,
                    label: label(row, 7)?,
                },
                import: row.get(5)?,
                imported_at: from_ms(row.get(6)?),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn coalition_imports(&self) -> Result<Vec<CoalitionImportRow>, StoreError> {
        if !self.access.is_all() {
            return Ok(Vec::new());
        }
        let r = self.reader();
        let mut stmt = r.prepare_cached("SELECT seq, at_ms, files, summary FROM coalition_imports ORDER BY seq")?;
        let rows = stmt.query_map([], |row| {
            Ok(CoalitionImportRow {
                seq: row.get(0)?,
                at: from_ms(row.get(1)?),
                files: row.get(2)?,
                summary: row.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
