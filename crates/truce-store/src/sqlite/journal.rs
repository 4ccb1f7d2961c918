//! Alerts and compliance cases: small append-mostly tables beside the observations.
//!
//! The store keeps them as rows with a JSON body whose shape belongs to `truce-watch`; the columns
//! beside the body are what the queries filter on. Every write is one transaction on the writer
//! connection, durable like an observation batch. A case changes stage only if it is still at the
//! stage the caller saw (`UPDATE ... WHERE stage = ?`), so two analysts moving the same case at once
//! cannot both succeed. Acknowledgements of alerts are rows of their own (every one kept), read and
//! written only through their alert's visibility.

use std::collections::BTreeMap;

use rusqlite::{OptionalExtension, params};
use time::OffsetDateTime;

use truce_core::{ActionRow, AlertRow, CaseRow};

use super::tracks::label;
use super::{SqliteStore, from_ms, to_ms};
use crate::{AckSummary, AlertAck, CaseUpdateError, JournalStore, StoreError};
use truce_access::LabelColumns;

impl JournalStore for SqliteStore {
    fn record_alert(&self, alert: &AlertRow) -> Result<i64, StoreError> {
        let w = self.writer();
        let l = LabelColumns::of(&alert.label);
        w.conn.execute(
            "INSERT INTO alerts (at_ms, scope, level, previous, body, rank, rel, cats, audience) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                to_ms(alert.at),
                alert.scope,
                alert.level,
                alert.previous,
                alert.body,
                l.rank,
                l.rel,
                l.cats,
                alert.audience
            ],
        )?;
        Ok(w.conn.last_insert_rowid())
    }

    fn alerts(
        &self,
        since: Option<OffsetDateTime>,
        after: Option<i64>,
        limit: usize,
    ) -> Result<Vec<AlertRow>, StoreError> {
        let r = self.reader();
        let mut stmt = r.prepare_cached(&format!(
            "SELECT {ALERT_COLUMNS} FROM alerts WHERE audience = ?4 AND at_ms >= ?1 AND seq > ?2 AND {} \
             ORDER BY seq LIMIT ?3",
            self.visible("", "at_ms")
        ))?;
        let rows = stmt.query_map(
            params![
                since.map_or(i64::MIN, to_ms),
                after.unwrap_or(0),
                limit.min(10_000) as i64,
                self.access.audience()
            ],
            alert_row,
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn latest_alerts(&self) -> Result<Vec<AlertRow>, StoreError> {
        let r = self.reader();
        let visible = self.visible("", "at_ms");
        let mut stmt = r.prepare_cached(&format!(
            "SELECT {ALERT_COLUMNS} FROM alerts \
             WHERE seq IN (SELECT MAX(seq) FROM alerts WHERE audience = ?1 AND {visible} GROUP BY scope) \
             ORDER BY scope"
        ))?;
        let rows = stmt.query_map([self.access.audience()], alert_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn alert(&self, seq: i64) -> Result<Option<AlertRow>, StoreError> {
        let r = self.reader();
        Ok(r.prepare_cached(&format!(
            "SELECT {ALERT_COLUMNS} FROM alerts WHERE seq = ?1 AND audience = ?2 AND {}",
            self.visible("", "at_ms")
        ))?
        .query_row(params![seq, self.access.audience()], alert_row)
        .optional()?)
    }

    fn ack_alert(&self, ack: &AlertAck) -> Result<Option<AlertRow>, StoreError> {
        let mut w = self.writer();
        let tx = w.conn.transaction()?;
        // The reader's alert, read in the writing transaction: the check and the write are one.
        let alert = tx
            .prepare_cached(&format!(
                "SELECT {ALERT_COLUMNS} FROM alerts WHERE seq = ?1 AND audience = ?2 AND {}",
                self.visible("", "at_ms")
            ))?
            .query_row(params![ack.seq, self.access.audience()], alert_row)
            .optional()?;
        if alert.is_none() {
            return Ok(None);
        }
        tx.execute(
            "INSERT INTO alert_acks (seq, by_user, at_ms, note) VALUES (?1, ?2, ?3, ?4)",
            params![ack.seq, ack.by, to_ms(ack.at), ack.note],
        )?;
        tx.commit()?;
        Ok(alert)
    }

    fn alert_acks(&self, seqs: &[i64]) -> Result<BTreeMap<i64, AckSummary>, StoreError> {
        let r = self.reader();
        let mut stmt = r.prepare_cached(&format!(
            "SELECT k.seq, k.by_user, k.at_ms, k.note, (SELECT count(*) FROM alert_acks c WHERE c.seq = k.seq)
             FROM alert_acks k JOIN alerts a ON a.seq = k.seq
             WHERE k.seq = ?1 AND a.audience = ?2 AND {}
             ORDER BY k.id DESC LIMIT 1",
            self.visible("a.", "at_ms")
        ))?;
        let mut out = BTreeMap::new();
        for &seq in seqs {
            let found = stmt
                .query_row(params![seq, self.access.audience()], |row| {
                    Ok(AckSummary {
                        latest: AlertAck {
                            seq: row.get(0)?,
                            by: row.get(1)?,
                            at: from_ms(row.get(2)?),
                            note: row.get(3)?,
                        },
                        count: row.get::<_, i64>(4)? as u64,
                    })
                })
                .optional()?;
            if let Some(a) = found {
                out.insert(seq, a);
            }
        }
        Ok(out)
    }

    fn open_case(&self, case: &CaseRow, first: &ActionRow) -> Result<String, StoreError> {
        let mut w = self.writer();
        let tx = w.conn.transaction()?;
        // A random id (40 bits from SQLite's randomblob): a sequence would tell whoever opens a case
        // how many cases exist, including those it may not see.
        let id = loop {
            let id: String = tx.query_row("SELECT 'case-' || lower(hex(randomblob(5)))", [], |r| r.get(0))?;
            let taken: bool = tx.query_row("SELECT EXISTS (SELECT 1 FROM cases WHERE id = ?1)", [&id], |r| r.get(0))?;
            if !taken {
                break id;
            }
        };
        let l = LabelColumns::of(&case.label);
        tx.execute(
            "INSERT INTO cases (id, opened_ms, title, stage, body, rank, rel, cats) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![id, to_ms(case.opened_at), case.title, case.stage, case.body, l.rank, l.rel, l.cats],
        )?;
        tx.execute(
            "INSERT INTO case_actions (case_id, seq, at_ms, actor, body) VALUES (?1, 1, ?2, ?3, ?4)",
            params![id, to_ms(first.at), first.actor, first.body],
        )?;
        tx.commit()?;
        Ok(id)
    }

    fn update_case(
        &self,
        id: &str,
        expected: &str,
        stage: &str,
        body: &str,
        action: &ActionRow,
    ) -> Result<i64, CaseUpdateError> {
        let mut w = self.writer();
        let tx = w.conn.transaction()?;
        let actual: Option<String> = tx
            .query_row(
                &format!("SELECT stage FROM cases WHERE id = ?1 AND {}", self.visible("", "opened_ms")),
                [id],
                |r| r.get(0),
            )
            .optional()?;
        let Some(actual) = actual else {
            return Err(CaseUpdateError::NotFound(id.to_owned()));
        };
        if actual != expected {
            return Err(CaseUpdateError::Conflict { id: id.to_owned(), expected: expected.to_owned(), actual });
        }
        tx.execute("UPDATE cases SET stage = ?2, body = ?3 WHERE id = ?1", params![id, stage, body])?;
        let seq: i64 =
            tx.query_row("SELECT COALESCE(MAX(seq), 0) + 1 FROM case_actions WHERE case_id = ?1", [id], |r| r.get(0))?;
        tx.execute(
            "INSERT INTO case_actions (case_id, seq, at_ms, actor, body) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id, seq, to_ms(action.at), action.actor, action.body],
        )?;
        tx.commit()?;
        Ok(seq)
    }

    fn case(&self, id: &str) -> Result<Option<(CaseRow, Vec<ActionRow>)>, StoreError> {
        let r = self.reader();
        let case = r
            .query_row(
                &format!("SELECT {CASE_COLUMNS} FROM cases WHERE id = ?1 AND {}", self.visible("", "opened_ms")),
                [id],
                case_row,
            )
            .optional()?;
        let Some(case) = case else { return Ok(None) };
        let mut stmt =
            r.prepare_cached("SELECT seq, at_ms, actor, body FROM case_actions WHERE case_id = ?1 ORDER BY seq")?;
        let actions = stmt
            .query_map([id], |row| {
                Ok(ActionRow { seq: row.get(0)?, at: from_ms(row.get(1)?), actor: row.get(2)?, body: row.get(3)? })
            })?
            .collect::<Result<_, _>>()?;
        Ok(Some((case, actions)))
    }

    fn cases(&self) -> Result<Vec<CaseRow>, StoreError> {
        let r = self.reader();
        let mut stmt = r.prepare_cached(&format!(
            "SELECT {CASE_COLUMNS} FROM cases WHERE {} ORDER BY opened_ms, id",
            self.visible("", "opened_ms")
        ))?;
        let rows = stmt.query_map([], case_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

fn alert_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<AlertRow> {
    Ok(AlertRow {
        seq: row.get(0)?,
        at: from_ms(row.get(1)?),
        scope: row.get(2)?,
        level: row.get(3)?,
        previous: row.get(4)?,
        body: row.get(5)?,
        label: label(row, 6)?,
        audience: row.get(9)?,
    })
}

const ALERT_COLUMNS: &str = "seq, at_ms, scope, level, previous, body, rank, rel, cats, audience";
const CASE_COLUMNS: &str = "id, opened_ms, title, stage, body, rank, rel, cats";

fn case_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<CaseRow> {
    Ok(CaseRow {
        id: row.get(0)?,
        opened_at: from_ms(row.get(1)?),
        title: row.get(2)?,
        stage: row.get(3)?,
        body: row.get(4)?,
        label: label(row, 5)?,
    })
}
