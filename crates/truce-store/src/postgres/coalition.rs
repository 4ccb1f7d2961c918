//! The coalition's tables on PostgreSQL (see [`crate::CoalitionStore`] for the design).
//!
//! Where SQLite reads, compares in Rust, then writes, each row here is one `INSERT .. ON CONFLICT DO
//! UPDATE .. WHERE` body or label differ, answering added, changed or (no row) unchanged. An import
//! locks `coalition_imports` (not against reads), so imports run one at a time as on SQLite and the
//! next number is `MAX(seq) + 1`. `pledge_history.rowid` is an identity standing for SQLite's rowid.

use time::OffsetDateTime;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Row, Transaction};
use truce_access::LabelColumns;
use truce_core::Label;

use super::{PgStore, label};
use crate::coalition::{HISTORY, ITEMS, PROGRESS, Table, date_ms};
use crate::observations::{from_ms, to_ms};
use crate::{
    CoalitionBatch, CoalitionImportReport, CoalitionImportRow, CoalitionItem, CoalitionStore, PledgeEvent,
    ProgressPoint, StoreError, Stored,
};

/// Adds an entity, or replaces its body, origin and label when body or label differ; `recorded_ms`
/// stays the first import's.
const UPSERT_ITEM: &str = "WITH old AS (SELECT FROM coalition_items WHERE kind = $1 AND id = $2) INSERT INTO coalition_items AS t \
     (kind, id, body, file, line, import_seq, rank, rel, cats, recorded_ms) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (kind, id) DO UPDATE \
     SET body = excluded.body, file = excluded.file, line = excluded.line, import_seq = excluded.import_seq, \
     rank = excluded.rank, rel = excluded.rel, cats = excluded.cats \
     WHERE (t.body, t.rank, t.rel, t.cats) IS DISTINCT FROM (excluded.body, excluded.rank, excluded.rel, excluded.cats) \
     RETURNING NOT EXISTS (SELECT FROM old)";

/// Adds a history entry, or replaces its words and label when they differ (its origin and import
/// stay the first).
const UPSERT_HISTORY: &str = "WITH old AS (SELECT FROM pledge_history \
     WHERE pledge = $1 AND date = $2 AND status = $3 AND source = $4) INSERT INTO pledge_history AS t \
     (pledge, date, status, source, body, file, line, import_seq, rank, rel, cats, time_ms) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (pledge, date, status, source) \
     DO UPDATE SET body = excluded.body, rank = excluded.rank, rel = excluded.rel, cats = excluded.cats \
     WHERE (t.body, t.rank, t.rel, t.cats) IS DISTINCT FROM (excluded.body, excluded.rank, excluded.rel, excluded.cats) \
     RETURNING NOT EXISTS (SELECT FROM old)";

/// Adds a progress point, or replaces its value, words and label when they differ.
const UPSERT_PROGRESS: &str = "WITH old AS (SELECT FROM regeneration_progress WHERE target = $1 AND date = $2) \
     INSERT INTO regeneration_progress AS t \
     (target, date, body, file, line, import_seq, rank, rel, cats, time_ms) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (target, date) DO UPDATE \
     SET body = excluded.body, rank = excluded.rank, rel = excluded.rel, cats = excluded.cats \
     WHERE (t.body, t.rank, t.rel, t.cats) IS DISTINCT FROM (excluded.body, excluded.rank, excluded.rel, excluded.cats) \
     RETURNING NOT EXISTS (SELECT FROM old)";

/// The label columns of a row as the tables keep them (`rank` is an `integer`); the Marti tables'
/// too.
pub(super) struct Columns {
    /// The classification's rank.
    pub(super) rank: i32,
    /// `|CODE|CODE|` or empty.
    pub(super) rel: String,
    /// `|CAT|CAT|` or empty.
    pub(super) cats: String,
}

impl Columns {
    /// The columns of `label`.
    pub(super) fn of(label: &Label) -> Self {
        let LabelColumns { rel, cats, .. } = LabelColumns::of(label);
        Columns { rank: i32::from(label.marking.rank()), rel, cats }
    }
}

/// What one upsert did.
enum Upserted {
    Added,
    Changed,
    Same,
}

/// Runs one of the `UPSERT_*` statements.
async fn upsert(tx: &Transaction<'_>, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Upserted, StoreError> {
    Ok(match tx.query_opt(sql, params).await? {
        None => Upserted::Same,
        Some(row) if row.try_get(0)? => Upserted::Added,
        Some(_) => Upserted::Changed,
    })
}

/// Counts an upsert in its report's `added` or `changed`.
fn count(outcome: Upserted, added: &mut u64, changed: &mut u64) {
    match outcome {
        Upserted::Added => *added += 1,
        Upserted::Changed => *changed += 1,
        Upserted::Same => {}
    }
}

/// Writes the batch's rows as import `seq` at `at_ms` and counts what changed.
async fn write_rows(
    tx: &Transaction<'_>,
    batch: &CoalitionBatch,
    seq: i64,
    at_ms: i64,
    report: &mut CoalitionImportReport,
) -> Result<(), StoreError> {
    for it in &batch.items {
        let l = Columns::of(&it.label);
        let params: [&(dyn ToSql + Sync); 10] =
            [&it.kind, &it.id, &it.body, &it.file, &it.line, &seq, &l.rank, &l.rel, &l.cats, &at_ms];
        count(upsert(tx, UPSERT_ITEM, &params).await?, &mut report.items_added, &mut report.items_changed);
    }
    for h in &batch.history {
        let l = Columns::of(&h.label);
        let time_ms = date_ms(&h.pledge, &h.date)?;
        let params: [&(dyn ToSql + Sync); 12] = [
            &h.pledge, &h.date, &h.status, &h.source, &h.body, &h.file, &h.line, &seq, &l.rank, &l.rel, &l.cats,
            &time_ms,
        ];
        count(upsert(tx, UPSERT_HISTORY, &params).await?, &mut report.history_added, &mut report.history_changed);
    }
    for p in &batch.progress {
        let l = Columns::of(&p.label);
        let time_ms = date_ms(&p.target, &p.date)?;
        let params: [&(dyn ToSql + Sync); 10] =
            [&p.target, &p.date, &p.body, &p.file, &p.line, &seq, &l.rank, &l.rel, &l.cats, &time_ms];
        count(upsert(tx, UPSERT_PROGRESS, &params).await?, &mut report.progress_added, &mut report.progress_changed);
    }
    Ok(())
}

/// What a coalition row holds after its keys: `body`, `file`, `line` and the label.
type Tail = (String, String, i64, Label);

/// A stored row of [`Table::select`] that `make` builds from its [`Tail`], which starts at column `at`
/// (after the keys); `what` names the row in the error when its label does not decode.
fn stored<T>(row: &Row, at: usize, what: &str, make: impl FnOnce(Tail) -> T) -> Result<Stored<T>, StoreError> {
    let label = label(row, at + 5, what)?;
    let tail = (row.try_get(at)?, row.try_get(at + 1)?, row.try_get(at + 2)?, label);
    Ok(Stored { row: make(tail), import: row.try_get(at + 3)?, imported_at: from_ms(row.try_get(at + 4)?) })
}

impl PgStore {
    /// Every row of `sql`, decoded by `decode`.
    fn coalition_rows<T>(&self, sql: &str, decode: fn(&Row) -> Result<T, StoreError>) -> Result<Vec<T>, StoreError> {
        let rows = self.with(async |c: &mut Client| Ok::<_, StoreError>(c.query(sql, &[]).await?))?;
        rows.iter().map(decode).collect()
    }

    /// The rows of `table` this handle may see, decoded by `decode`.
    fn visible_rows<T>(
        &self,
        table: &Table,
        decode: fn(&Row) -> Result<Stored<T>, StoreError>,
    ) -> Result<Vec<Stored<T>>, StoreError> {
        self.coalition_rows(&table.select(&self.access), decode)
    }
}

impl CoalitionStore for PgStore {
    fn import_coalition(
        &self,
        batch: &CoalitionBatch,
        at: OffsetDateTime,
    ) -> Result<CoalitionImportReport, StoreError> {
        let at_ms = to_ms(at);
        self.with(async |c: &mut Client| {
            let tx = c.transaction().await?;
            // One import at a time (SHARE ROW EXCLUSIVE conflicts with itself, not with reads).
            tx.batch_execute("LOCK TABLE coalition_imports IN SHARE ROW EXCLUSIVE MODE").await?;
            let seq: i64 =
                tx.query_one("SELECT COALESCE(MAX(seq), 0) + 1 FROM coalition_imports", &[]).await?.try_get(0)?;
            let mut report = CoalitionImportReport::default();
            write_rows(&tx, batch, seq, at_ms, &mut report).await?;
            if report.is_empty() {
                // Nothing changed: leave the database exactly as it was.
                tx.rollback().await?;
                return Ok(report);
            }
            report.import = Some(seq);
            let summary = serde_json::to_string(&report).unwrap_or_default();
            tx.execute(
                "INSERT INTO coalition_imports (seq, at_ms, files, summary) VALUES ($1, $2, $3, $4)",
                &[&seq, &at_ms, &batch.files.join("\n"), &summary],
            )
            .await?;
            tx.commit().await?;
            Ok(report)
        })
    }

    fn coalition_items(&self) -> Result<Vec<Stored<CoalitionItem>>, StoreError> {
        self.visible_rows(&ITEMS, |row| {
            let (kind, id): (String, String) = (row.try_get(0)?, row.try_get(1)?);
            let what = format!("coalition {kind} {id}");
            stored(row, 2, &what, |(body, file, line, label)| CoalitionItem { kind, id, body, file, line, label })
        })
    }

    fn pledge_history(&self) -> Result<Vec<Stored<PledgeEvent>>, StoreError> {
        self.visible_rows(&HISTORY, |row| {
            let (pledge, date): (String, String) = (row.try_get(0)?, row.try_get(1)?);
            let (status, source): (String, String) = (row.try_get(2)?, row.try_get(3)?);
            let what = format!("pledge history {pledge} {date}");
            stored(row, 4, &what, |(body, file, line, label)| PledgeEvent {
                pledge,
                date,
                status,
                source,
                body,
                file,
                line,
                label,
            })
        })
    }

    fn regeneration_progress(&self) -> Result<Vec<Stored<ProgressPoint>>, StoreError> {
        self.visible_rows(&PROGRESS, |row| {
            let (target, date): (String, String) = (row.try_get(0)?, row.try_get(1)?);
            let what = format!("regeneration progress {target} {date}");
            stored(row, 2, &what, |(body, file, line, label)| ProgressPoint { target, date, body, file, line, label })
        })
    }

    fn coalition_imports(&self) -> Result<Vec<CoalitionImportRow>, StoreError> {
        if !self.access.is_all() {
            return Ok(Vec::new());
        }
        self.coalition_rows("SELECT seq, at_ms, files, summary FROM coalition_imports ORDER BY seq", |row| {
            Ok(CoalitionImportRow {
                seq: row.try_get(0)?,
                at: from_ms(row.try_get(1)?),
                files: row.try_get(2)?,
                summary: row.try_get(3)?,
            })
        })
    }
}
