//! The coalition's tables: entities as JSON bodies, and the two series that only ever grow — pledge
//! history and regeneration progress.
//!
//! # Design
//!
//! The shapes belong to `truce-coalition`; the store keeps each entity as a row `(kind, id, body)` and
//! compares bodies to know what an import changed. History entries are keyed by (pledge, date, status,
//! source) and progress points by (target, date): an import adds the ones it does not have and updates
//! the words of the ones it has, and **never deletes** any, so a pledge's history accumulates across
//! imports whatever each file holds. Where an entry was read from (file and line) and the import that
//! first recorded it are kept beside the body and are not part of the comparison, so importing the
//! same file again, from anywhere, changes nothing — and writes nothing: an import that would change
//! nothing is not even logged. A whole import is one transaction.

use rusqlite::{OptionalExtension, params};
use time::OffsetDateTime;

use crate::sqlite::{from_ms, to_ms};
use crate::{SqliteStore, StoreError};

/// One entity: a nation, pledge, requirement, unit, place, plan, theatre, measure, target or milestone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoalitionItem {
    /// What it is, e.g. `pledge`.
    pub kind: String,
    /// Its id within the kind.
    pub id: String,
    /// JSON body.
    pub body: String,
    /// The file it was read from.
    pub file: String,
    /// The line in the file.
    pub line: i64,
}

/// One step of a pledge's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PledgeEvent {
    /// The pledge.
    pub pledge: String,
    /// The date, `YYYY-MM-DD`.
    pub date: String,
    /// The status reported.
    pub status: String,
    /// The source.
    pub source: String,
    /// JSON body.
    pub body: String,
    /// The file it was read from.
    pub file: String,
    /// The line in the file.
    pub line: i64,
}

/// One measurement of regeneration progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgressPoint {
    /// The target.
    pub target: String,
    /// The date, `YYYY-MM-DD`.
    pub date: String,
    /// JSON body.
    pub body: String,
    /// The file it was read from.
    pub file: String,
    /// The line in the file.
    pub line: i64,
}

/// What one import brings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CoalitionBatch {
    /// The files imported, as given.
    pub files: Vec<String>,
    /// Entities.
    pub items: Vec<CoalitionItem>,
    /// History entries.
    pub history: Vec<PledgeEvent>,
    /// Progress points.
    pub progress: Vec<ProgressPoint>,
}

/// What an import changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct CoalitionImportReport {
    /// The import's sequence number, when it changed anything.
    pub import: Option<i64>,
    /// Entities stored for the first time.
    pub items_added: u64,
    /// Entities whose body changed.
    pub items_changed: u64,
    /// History entries added.
    pub history_added: u64,
    /// History entries whose words changed.
    pub history_changed: u64,
    /// Progress points added.
    pub progress_added: u64,
    /// Progress points whose value or words changed.
    pub progress_changed: u64,
}

impl CoalitionImportReport {
    /// True when the import changed nothing.
    pub fn is_empty(&self) -> bool {
        self.items_added
            + self.items_changed
            + self.history_added
            + self.history_changed
            + self.progress_added
            + self.progress_changed
            == 0
    }
}

/// A stored row with when and by which import it was first recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored<T> {
    /// The row.
    pub row: T,
    /// The import that first recorded it.
    pub import: i64,
    /// When that import ran.
    pub imported_at: OffsetDateTime,
}

/// One import, as logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoalitionImportRow {
    /// Sequence number.
    pub seq: i64,
    /// When.
    pub at: OffsetDateTime,
    /// The files, one per line.
    pub files: String,
    /// What it changed (JSON).
    pub summary: String,
}

impl SqliteStore {
    /// Stores an import in one transaction: entities added or replaced, history and progress added to
    /// (never removed). Nothing is written when nothing would change.
    ///
    /// # Errors
    /// When the database fails; nothing of the import is stored then.
    pub fn import_coalition(
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

    /// Every stored entity, by kind then id.
    ///
    /// # Errors
    /// When the database fails.
    pub fn coalition_items(&self) -> Result<Vec<Stored<CoalitionItem>>, StoreError> {
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

    /// Every history entry, by pledge, date and the order recorded.
    ///
    /// # Errors
    /// When the database fails.
    pub fn pledge_history(&self) -> Result<Vec<Stored<PledgeEvent>>, StoreError> {
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

    /// Every progress point, by target and date.
    ///
    /// # Errors
    /// When the database fails.
    pub fn regeneration_progress(&self) -> Result<Vec<Stored<ProgressPoint>>, StoreError> {
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

    /// The imports that changed something, oldest first.
    ///
    /// # Errors
    /// When the database fails.
    pub fn coalition_imports(&self) -> Result<Vec<CoalitionImportRow>, StoreError> {
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
