//! The coalition's tables on SQLite (see [`crate::CoalitionStore`] for the design).

use rusqlite::{OptionalExtension, params};
use time::OffsetDateTime;

use super::{SqliteStore, from_ms, to_ms};
use crate::{
    CoalitionBatch, CoalitionImportReport, CoalitionImportRow, CoalitionItem, CoalitionStore, PledgeEvent,
    ProgressPoint, StoreError, Stored,
};

impl CoalitionStore for SqliteStore {
    fn import_coalition(
        &self,
        batch: &CoalitionBatch,
        at: OffsetDateTime,
    ) -> Result<CoalitionImportReport, StoreError> {
        let mut w = self.writer();
        let tx = w.conn.transaction()?;
        let seq: i64 = tx.query_row("SELECT COALESCE(MAX(seq), 0) + 1 FROM coalition_imports", [], |r| r.get(0))?;
        let mut report = CoalitionImportReport::default();
        {
            let mut get = tx.prepare_cached("SELECT body FROM coalition_items WHERE kind = ?1 AND id = ?2")?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO coalition_items (kind, id, body, file, line, import_seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            let mut update = tx.prepare_cached(
                "UPDATE coalition_items SET body = ?3, file = ?4, line = ?5, import_seq = ?6 WHERE kind = ?1 AND id = ?2",
            )?;
            for it in &batch.items {
                let old: Option<String> = get.query_row(params![it.kind, it.id], |r| r.get(0)).optional()?;
                match old {
                    None => {
                        insert.execute(params![it.kind, it.id, it.body, it.file, it.line, seq])?;
                        report.items_added += 1;
                    }
                    Some(b) if b != it.body => {
                        update.execute(params![it.kind, it.id, it.body, it.file, it.line, seq])?;
                        report.items_changed += 1;
                    }
                    Some(_) => {}
                }
            }
            let mut get = tx.prepare_cached(
                "SELECT body FROM pledge_history WHERE pledge = ?1 AND date = ?2 AND status = ?3 AND source = ?4",
            )?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO pledge_history (pledge, date, status, source, body, file, line, import_seq) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            let mut update = tx.prepare_cached(
                "UPDATE pledge_history SET body = ?5 WHERE pledge = ?1 AND date = ?2 AND status = ?3 AND source = ?4",
            )?;
            for h in &batch.history {
                let old: Option<String> =
                    get.query_row(params![h.pledge, h.date, h.status, h.source], |r| r.get(0)).optional()?;
                match old {
                    None => {
                        insert.execute(params![h.pledge, h.date, h.status, h.source, h.body, h.file, h.line, seq])?;
                        report.history_added += 1;
                    }
                    Some(b) if b != h.body => {
                        update.execute(params![h.pledge, h.date, h.status, h.source, h.body])?;
                        report.history_changed += 1;
                    }
                    Some(_) => {}
                }
            }
            let mut get =
                tx.prepare_cached("SELECT body FROM regeneration_progress WHERE target = ?1 AND date = ?2")?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO regeneration_progress (target, date, body, file, line, import_seq) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            let mut update =
                tx.prepare_cached("UPDATE regeneration_progress SET body = ?3 WHERE target = ?1 AND date = ?2")?;
            for p in &batch.progress {
                let old: Option<String> = get.query_row(params![p.target, p.date], |r| r.get(0)).optional()?;
                match old {
                    None => {
                        insert.execute(params![p.target, p.date, p.body, p.file, p.line, seq])?;
                        report.progress_added += 1;
                    }
                    Some(b) if b != p.body => {
                        update.execute(params![p.target, p.date, p.body])?;
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
            params![seq, to_ms(at), batch.files.join("\n"), summary],
        )?;
        tx.commit()?;
        Ok(report)
    }

    fn coalition_items(&self) -> Result<Vec<Stored<CoalitionItem>>, StoreError> {
        let r = self.reader();
        let mut stmt = r.prepare_cached(
            "SELECT i.kind, i.id, i.body, i.file, i.line, i.import_seq, COALESCE(m.at_ms, 0) \
             FROM coalition_items i LEFT JOIN coalition_imports m ON m.seq = i.import_seq ORDER BY i.kind, i.id",
        )?;
        let rows = stmt.query_map([], |row| {
            Ok(Stored {
                row: CoalitionItem {
                    kind: row.get(0)?,
                    id: row.get(1)?,
                    body: row.get(2)?,
                    file: row.get(3)?,
                    line: row.get(4)?,
                },
                import: row.get(5)?,
                imported_at: from_ms(row.get(6)?),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn pledge_history(&self) -> Result<Vec<Stored<PledgeEvent>>, StoreError> {
        let r = self.reader();
        let mut stmt = r.prepare_cached(
            "SELECT h.pledge, h.date, h.status, h.source, h.body, h.file, h.line, h.import_seq, COALESCE(m.at_ms, 0) \
             FROM pledge_history h LEFT JOIN coalition_imports m ON m.seq = h.import_seq \
             ORDER BY h.pledge, h.date, h.import_seq, h.rowid",
        )?;
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
                },
                import: row.get(7)?,
                imported_at: from_ms(row.get(8)?),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn regeneration_progress(&self) -> Result<Vec<Stored<ProgressPoint>>, StoreError> {
        let r = self.reader();
        let mut stmt = r.prepare_cached(
            "SELECT p.target, p.date, p.body, p.file, p.line, p.import_seq, COALESCE(m.at_ms, 0) \
             FROM regeneration_progress p LEFT JOIN coalition_imports m ON m.seq = p.import_seq \
             ORDER BY p.target, p.date",
        )?;
        let rows = stmt.query_map([], |row| {
            Ok(Stored {
                row: ProgressPoint {
                    target: row.get(0)?,
                    date: row.get(1)?,
                    body: row.get(2)?,
                    file: row.get(3)?,
                    line: row.get(4)?,
                },
                import: row.get(5)?,
                imported_at: from_ms(row.get(6)?),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn coalition_imports(&self) -> Result<Vec<CoalitionImportRow>, StoreError> {
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
