//! Alerts and compliance cases on PostgreSQL: the embedded store's tables, statements and answers.
//!
//! Writers here run concurrently (SQLite has one): an alert is numbered under a lock on its table, so
//! numbers become visible in order for catch-up; a case update reads the stage `FOR UPDATE`, so of two
//! moves from one stage the second sees the first's; a new case's random id is inserted
//! `ON CONFLICT DO NOTHING` and drawn again if taken. Acknowledgements of many alerts are one query.

use std::collections::BTreeMap;

use time::OffsetDateTime;
use tokio_postgres::{Client, Row};
use truce_access::LabelColumns;
use truce_core::{ActionRow, AlertRow, CaseRow};

use super::PgStore;
use super::tracks::rank_column;
use crate::observations::{from_ms, to_ms};
use crate::{AckSummary, AlertAck, CaseUpdateError, JournalStore, StoreError};

/// The columns [`alert_from`] reads.
const ALERT_COLUMNS: &str = "seq, at_ms, scope, level, previous, body, rank, rel, cats, audience";

/// The columns [`case_from`] reads.
const CASE_COLUMNS: &str = "id, opened_ms, title, stage, body, rank, rel, cats";

/// Opens a case with a fresh random id (`case-` and 10 hex digits, 40 random bits as SQLite's
/// `randomblob(5)`); returns no row when the id is taken.
const INSERT_CASE: &str = "INSERT INTO cases (id, opened_ms, title, stage, body, rank, rel, cats)
     VALUES ('case-' || encode(substring(uuid_send(gen_random_uuid()) FROM 1 FOR 5), 'hex'),
             $1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (id) DO NOTHING RETURNING id";

/// Appends an action numbered after the case's last one (`$1` the case).
const APPEND_ACTION: &str = "INSERT INTO case_actions (case_id, seq, at_ms, actor, body)
     SELECT $1, COALESCE(MAX(seq), 0) + 1, $2::int8, $3::text, $4::text FROM case_actions WHERE case_id = $1
     RETURNING seq";

/// The columns of [`ALERT_COLUMNS`] from `row` as an alert.
fn alert_from(row: &Row) -> Result<AlertRow, StoreError> {
    let seq: i64 = row.try_get(0)?;
    Ok(AlertRow {
        seq,
        at: from_ms(row.try_get(1)?),
        scope: row.try_get(2)?,
        level: row.try_get(3)?,
        previous: row.try_get(4)?,
        body: row.try_get(5)?,
        label: super::label(row, 6, &format!("alert {seq}"))?,
        audience: row.try_get(9)?,
    })
}

/// The columns of [`CASE_COLUMNS`] from `row` as a case.
fn case_from(row: &Row) -> Result<CaseRow, StoreError> {
    let id: String = row.try_get(0)?;
    Ok(CaseRow {
        opened_at: from_ms(row.try_get(1)?),
        title: row.try_get(2)?,
        stage: row.try_get(3)?,
        body: row.try_get(4)?,
        label: super::label(row, 5, &id)?,
        id,
    })
}

/// A row of `seq, at_ms, actor, body` as an action.
fn action_from(row: &Row) -> Result<ActionRow, StoreError> {
    Ok(ActionRow { seq: row.try_get(0)?, at: from_ms(row.try_get(1)?), actor: row.try_get(2)?, body: row.try_get(3)? })
}

/// A row of `seq, by_user, at_ms, note, count` as the acknowledgements of an alert.
fn ack_from(row: &Row) -> Result<AckSummary, StoreError> {
    let count: i64 = row.try_get(4)?;
    Ok(AckSummary {
        latest: AlertAck {
            seq: row.try_get(0)?,
            by: row.try_get(1)?,
            at: from_ms(row.try_get(2)?),
            note: row.try_get(3)?,
        },
        count: u64::try_from(count).unwrap_or_default(),
    })
}

impl PgStore {
    /// The reader's alerts (its audience, `$1`, and its access rule) that `condition` also selects, in
    /// the order `tail` gives.
    fn alerts_sql(&self, condition: &str, tail: &str) -> String {
        format!(
            "SELECT {ALERT_COLUMNS} FROM alerts WHERE audience = $1 AND {condition} AND {} {tail}",
            self.visible("", "at_ms")
        )
    }

    /// The alerts a statement with `params` finds.
    fn read_alerts(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Vec<AlertRow>, StoreError> {
        let rows = self.with(async |c: &mut Client| Ok::<_, StoreError>(c.query(sql, params).await?))?;
        rows.iter().map(alert_from).collect()
    }

    /// The reader's case `id` (its access rule on the case).
    fn case_sql(&self, columns: &str) -> String {
        format!("SELECT {columns} FROM cases WHERE id = $1 AND {}", self.visible("", "opened_ms"))
    }
}

impl JournalStore for PgStore {
    fn record_alert(&self, alert: &AlertRow) -> Result<i64, StoreError> {
        let l = LabelColumns::of(&alert.label);
        let rank = rank_column(&l, &format!("alert of {}", alert.scope))?;
        self.with(async |c: &mut Client| {
            let tx = c.transaction().await?;
            // Numbers become visible in order: the next writer waits for this one's commit.
            tx.batch_execute("LOCK TABLE alerts IN SHARE ROW EXCLUSIVE MODE").await?;
            let row = tx
                .query_one(
                    "INSERT INTO alerts (at_ms, scope, level, previous, body, rank, rel, cats, audience)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING seq",
                    &[
                        &to_ms(alert.at),
                        &alert.scope,
                        &alert.level,
                        &alert.previous,
                        &alert.body,
                        &rank,
                        &l.rel,
                        &l.cats,
                        &alert.audience,
                    ],
                )
                .await?;
            tx.commit().await?;
            Ok(row.try_get(0)?)
        })
    }

    fn alerts(
        &self,
        since: Option<OffsetDateTime>,
        after: Option<i64>,
        limit: usize,
    ) -> Result<Vec<AlertRow>, StoreError> {
        let sql = self.alerts_sql("at_ms >= $2 AND seq > $3", "ORDER BY seq LIMIT $4");
        let limit = limit.min(10_000) as i64;
        self.read_alerts(&sql, &[&self.access.audience(), &since.map_or(i64::MIN, to_ms), &after.unwrap_or(0), &limit])
    }

    fn latest_alerts(&self) -> Result<Vec<AlertRow>, StoreError> {
        let sql = format!(
            "SELECT {ALERT_COLUMNS} FROM alerts
             WHERE seq IN (SELECT max(seq) FROM alerts WHERE audience = $1 AND {} GROUP BY scope) ORDER BY scope",
            self.visible("", "at_ms")
        );
        self.read_alerts(&sql, &[&self.access.audience()])
    }

    fn alert(&self, seq: i64) -> Result<Option<AlertRow>, StoreError> {
        let sql = self.alerts_sql("seq = $2", "");
        Ok(self.read_alerts(&sql, &[&self.access.audience(), &seq])?.pop())
    }

    fn ack_alert(&self, ack: &AlertAck) -> Result<Option<AlertRow>, StoreError> {
        let sql = self.alerts_sql("seq = $2", "");
        self.with(async |c: &mut Client| {
            let tx = c.transaction().await?;
            // The reader's alert, read in the writing transaction: the check and the write are one
            // (an alert is never changed or deleted once stored).
            let Some(row) = tx.query_opt(&sql, &[&self.access.audience(), &ack.seq]).await? else {
                return Ok(None);
            };
            let alert = alert_from(&row)?;
            tx.execute(
                "INSERT INTO alert_acks (seq, by_user, at_ms, note) VALUES ($1, $2, $3, $4)",
                &[&ack.seq, &ack.by, &to_ms(ack.at), &ack.note],
            )
            .await?;
            tx.commit().await?;
            Ok(Some(alert))
        })
    }

    fn alert_acks(&self, seqs: &[i64]) -> Result<BTreeMap<i64, AckSummary>, StoreError> {
        let sql = format!(
            "SELECT DISTINCT ON (k.seq) k.seq, k.by_user, k.at_ms, k.note, count(*) OVER (PARTITION BY k.seq)
             FROM alert_acks k JOIN alerts a ON a.seq = k.seq
             WHERE k.seq = ANY($1) AND a.audience = $2 AND {}
             ORDER BY k.seq, k.id DESC",
            self.visible("a.", "at_ms")
        );
        let rows = self.with(async |c: &mut Client| {
            Ok::<_, StoreError>(c.query(&sql, &[&seqs, &self.access.audience()]).await?)
        })?;
        rows.iter().map(|r| Ok((r.try_get(0)?, ack_from(r)?))).collect()
    }

    fn open_case(&self, case: &CaseRow, first: &ActionRow) -> Result<String, StoreError> {
        let l = LabelColumns::of(&case.label);
        let rank = rank_column(&l, &case.title)?;
        self.with(async |c: &mut Client| {
            let tx = c.transaction().await?;
            let id: String = loop {
                let params: [&(dyn tokio_postgres::types::ToSql + Sync); 7] =
                    [&to_ms(case.opened_at), &case.title, &case.stage, &case.body, &rank, &l.rel, &l.cats];
                if let Some(row) = tx.query_opt(INSERT_CASE, &params).await? {
                    break row.try_get(0)?;
                }
            };
            tx.execute(
                "INSERT INTO case_actions (case_id, seq, at_ms, actor, body) VALUES ($1, 1, $2, $3, $4)",
                &[&id, &to_ms(first.at), &first.actor, &first.body],
            )
            .await?;
            tx.commit().await?;
            Ok(id)
        })
    }

    fn update_case(
        &self,
        id: &str,
        expected: &str,
        stage: &str,
        body: &str,
        action: &ActionRow,
    ) -> Result<i64, CaseUpdateError> {
        let sql = format!("{} FOR UPDATE", self.case_sql("stage"));
        self.with(async |c: &mut Client| {
            let tx = c.transaction().await?;
            let Some(row) = tx.query_opt(&sql, &[&id]).await? else {
                return Err(CaseUpdateError::NotFound(id.to_owned()));
            };
            let actual: String = row.try_get(0)?;
            if actual != expected {
                return Err(CaseUpdateError::Conflict { id: id.to_owned(), expected: expected.to_owned(), actual });
            }
            tx.execute("UPDATE cases SET stage = $2, body = $3 WHERE id = $1", &[&id, &stage, &body]).await?;
            let row = tx.query_one(APPEND_ACTION, &[&id, &to_ms(action.at), &action.actor, &action.body]).await?;
            tx.commit().await?;
            Ok(row.try_get(0)?)
        })
    }

    fn case(&self, id: &str) -> Result<Option<(CaseRow, Vec<ActionRow>)>, StoreError> {
        let sql = self.case_sql(CASE_COLUMNS);
        let found = self.with(async |c: &mut Client| {
            let Some(case) = c.query_opt(&sql, &[&id]).await? else { return Ok::<_, StoreError>(None) };
            let actions = c
                .query("SELECT seq, at_ms, actor, body FROM case_actions WHERE case_id = $1 ORDER BY seq", &[&id])
                .await?;
            Ok(Some((case, actions)))
        })?;
        let Some((case, actions)) = found else { return Ok(None) };
        Ok(Some((case_from(&case)?, actions.iter().map(action_from).collect::<Result<_, _>>()?)))
    }

    fn cases(&self) -> Result<Vec<CaseRow>, StoreError> {
        let sql =
            format!("SELECT {CASE_COLUMNS} FROM cases WHERE {} ORDER BY opened_ms, id", self.visible("", "opened_ms"));
        let rows = self.with(async |c: &mut Client| Ok::<_, StoreError>(c.query(&sql, &[]).await?))?;
        rows.iter().map(case_from).collect()
    }
}
