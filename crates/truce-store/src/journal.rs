//! Alerts and compliance cases: small append-mostly tables beside the observations.
//!
//! The store keeps them as rows with a JSON body whose shape belongs to `truce-watch`; the columns
//! beside the body are what the queries filter on. Every write is one transaction on the writer
//! connection, durable like an observation batch. A case changes stage only if it is still at the
//! stage the caller saw (`UPDATE ... WHERE stage = ?`), so two analysts moving the same case at once
//! cannot both succeed.

use rusqlite::{OptionalExtension, params};
use time::OffsetDateTime;

use crate::sqlite::{from_ms, to_ms};
use crate::{SqliteStore, StoreError};

/// A stored alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRow {
    /// Sequence number (assigned by the store; 0 before).
    pub seq: i64,
    /// When the level changed.
    pub at: OffsetDateTime,
    /// Sector id, or `line`.
    pub scope: String,
    /// New level.
    pub level: String,
    /// Level before.
    pub previous: String,
    /// JSON body.
    pub body: String,
}

/// A stored case (without its actions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseRow {
    /// Identifier (`case-0001`; assigned by the store).
    pub id: String,
    /// When it was opened.
    pub opened_at: OffsetDateTime,
    /// Title.
    pub title: String,
    /// Current stage.
    pub stage: String,
    /// JSON body.
    pub body: String,
}

/// One action on a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionRow {
    /// Order within the case, from 1.
    pub seq: i64,
    /// When.
    pub at: OffsetDateTime,
    /// Who.
    pub actor: String,
    /// JSON body.
    pub body: String,
}

/// Why a case update was refused.
#[derive(Debug, thiserror::Error)]
pub enum CaseUpdateError {
    /// No such case.
    #[error("no case {0}")]
    NotFound(String),
    /// The case moved on since the caller read it.
    #[error("case {id} is at stage {actual}, not {expected}")]
    Conflict {
        /// The case.
        id: String,
        /// The stage the caller expected.
        expected: String,
        /// The stage it is at.
        actual: String,
    },
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for CaseUpdateError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Store(e.into())
    }
}

impl SqliteStore {
    /// Appends an alert; returns its sequence number.
    ///
    /// # Errors
    /// When the database fails.
    pub fn record_alert(&self, alert: &AlertRow) -> Result<i64, StoreError> {
        let w = self.writer();
        w.conn.execute(
            "INSERT INTO alerts (at_ms, scope, level, previous, body) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![to_ms(alert.at), alert.scope, alert.level, alert.previous, alert.body],
        )?;
        Ok(w.conn.last_insert_rowid())
    }

    /// Alerts at or after `since` and after sequence `after`, oldest first, at most `limit`.
    ///
    /// # Errors
    /// When the database fails.
    pub fn alerts(
        &self,
        since: Option<OffsetDateTime>,
        after: Option<i64>,
        limit: usize,
    ) -> Result<Vec<AlertRow>, StoreError> {
        let r = self.reader();
        let mut stmt = r.prepare_cached(
            "SELECT seq, at_ms, scope, level, previous, body FROM alerts \
             WHERE at_ms >= ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
        )?;
        let rows = stmt.query_map(
            params![since.map_or(i64::MIN, to_ms), after.unwrap_or(0), limit.min(10_000) as i64],
            alert_row,
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The latest alert of every scope.
    ///
    /// # Errors
    /// When the database fails.
    pub fn latest_alerts(&self) -> Result<Vec<AlertRow>, StoreError> {
        let r = self.reader();
        let mut stmt = r.prepare_cached(
            "SELECT seq, at_ms, scope, level, previous, body FROM alerts \
             WHERE seq IN (SELECT MAX(seq) FROM alerts GROUP BY scope) ORDER BY scope",
        )?;
        let rows = stmt.query_map([], alert_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Opens a case with its first action; returns the case's id.
    ///
    /// # Errors
    /// When the database fails.
    pub fn open_case(&self, case: &CaseRow, first: &ActionRow) -> Result<String, StoreError> {
        let mut w = self.writer();
        let tx = w.conn.transaction()?;
        let n: i64 = tx.query_row("SELECT COUNT(*) FROM cases", [], |r| r.get(0))?;
        let id = format!("case-{:04}", n + 1);
        tx.execute(
            "INSERT INTO cases (id, opened_ms, title, stage, body) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id, to_ms(case.opened_at), case.title, case.stage, case.body],
        )?;
        tx.execute(
            "INSERT INTO case_actions (case_id, seq, at_ms, actor, body) VALUES (?1, 1, ?2, ?3, ?4)",
            params![id, to_ms(first.at), first.actor, first.body],
        )?;
        tx.commit()?;
        Ok(id)
    }

    /// Appends an action to a case and sets its stage and body, if it is still at `expected` stage.
    ///
    /// # Errors
    /// No such case, the case moved on, or the database failed; nothing changes then.
    pub fn update_case(
        &self,
        id: &str,
        expected: &str,
        stage: &str,
        body: &str,
        action: &ActionRow,
    ) -> Result<i64, CaseUpdateError> {
        let mut w = self.writer();
        let tx = w.conn.transaction()?;
        let actual: Option<String> =
            tx.query_row("SELECT stage FROM cases WHERE id = ?1", [id], |r| r.get(0)).optional()?;
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

    /// A case and its actions in order.
    ///
    /// # Errors
    /// When the database fails.
    pub fn case(&self, id: &str) -> Result<Option<(CaseRow, Vec<ActionRow>)>, StoreError> {
        let r = self.reader();
        let case = r
            .query_row("SELECT id, opened_ms, title, stage, body FROM cases WHERE id = ?1", [id], case_row)
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

    /// Every case, oldest first.
    ///
    /// # Errors
    /// When the database fails.
    pub fn cases(&self) -> Result<Vec<CaseRow>, StoreError> {
        let r = self.reader();
        let mut stmt =
            r.prepare_cached("SELECT id, opened_ms, title, stage, body FROM cases ORDER BY opened_ms, id")?;
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
    })
}

fn case_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<CaseRow> {
    Ok(CaseRow {
        id: row.get(0)?,
        opened_at: from_ms(row.get(1)?),
        title: row.get(2)?,
        stage: row.get(3)?,
        body: row.get(4)?,
    })
}
