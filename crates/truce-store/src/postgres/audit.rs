//! The audit log's rows on PostgreSQL ([`truce_audit::Table`]): table `audit_log` (index, line) and
//! the nodes' public keys in `audit_keys` (migration 0007).
//!
//! An append is one transaction that first takes an advisory transaction lock (held until the commit):
//! the appenders of every node run one after another, each sees what the one before committed, and
//! the rows of the committed transactions are always the entries 0, 1, 2… The rows go in with one
//! `INSERT … SELECT FROM unnest` per batch. Reads need no lock: they see a prefix of the log.

use tokio_postgres::Client;
use truce_audit::AuditError;
use truce_audit::table::{Lines, MakeLines};

use super::{PgStore, block_on};
use crate::StoreError;

/// The advisory lock appends run under (`audit` in ASCII).
const AUDIT_LOCK: i64 = 0x0061_7564_6974;

/// The audit table of a [`PgStore`].
pub(crate) struct PgAudit {
    store: PgStore,
}

impl PgAudit {
    pub(crate) fn new(store: &PgStore) -> PgAudit {
        PgAudit { store: PgStore { shared: store.shared.clone(), access: truce_access::Access::all() } }
    }

    fn failed(&self, e: impl Into<StoreError>) -> AuditError {
        AuditError::Table { place: self.store.place().to_owned(), reason: e.into().to_string() }
    }
}

fn rows(rows: Vec<tokio_postgres::Row>) -> Result<Lines, tokio_postgres::Error> {
    rows.into_iter().map(|r| Ok((r.try_get::<_, i64>(0)?.cast_unsigned(), r.try_get(1)?))).collect()
}

impl truce_audit::Table for PgAudit {
    fn place(&self) -> String {
        self.store.place().to_owned()
    }

    fn read(&self, from: u64, limit: usize) -> Result<Lines, AuditError> {
        let from = i64::try_from(from).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.store
            .with(async |c: &mut Client| {
                let found = c
                    .query("SELECT idx, line FROM audit_log WHERE idx >= $1 ORDER BY idx LIMIT $2", &[&from, &limit])
                    .await?;
                Ok::<_, StoreError>(rows(found)?)
            })
            .map_err(|e| self.failed(e))
    }

    fn append(&self, known: u64, make: &mut MakeLines<'_>) -> Result<(), AuditError> {
        let mut conn = self.store.conn().map_err(|e| self.failed(e))?;
        let known = i64::try_from(known).unwrap_or(i64::MAX);
        block_on(async {
            let tx = conn.transaction().await.map_err(|e| self.failed(e))?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&AUDIT_LOCK]).await.map_err(|e| self.failed(e))?;
            let others = tx
                .query("SELECT idx, line FROM audit_log WHERE idx >= $1 ORDER BY idx", &[&known])
                .await
                .and_then(rows)
                .map_err(|e| self.failed(e))?;
            let (idx, lines): (Vec<i64>, Vec<String>) =
                make(others)?.into_iter().map(|(i, l)| (i.cast_signed(), l)).unzip();
            tx.execute(
                "INSERT INTO audit_log (idx, line) SELECT * FROM unnest($1::int8[], $2::text[])",
                &[&idx, &lines],
            )
            .await
            .map_err(|e| self.failed(e))?;
            tx.commit().await.map_err(|e| self.failed(e))
        })
    }

    fn add_key(&self, key: &[u8; 32]) -> Result<(), AuditError> {
        let now = crate::observations::to_ms(time::OffsetDateTime::now_utc());
        self.store
            .with(async |c: &mut Client| {
                c.execute(
                    "INSERT INTO audit_keys (key, added_ms) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
                    &[&key.as_slice(), &now],
                )
                .await?;
                Ok::<_, StoreError>(())
            })
            .map_err(|e| self.failed(e))
    }

    fn keys(&self) -> Result<Vec<[u8; 32]>, AuditError> {
        let found = self
            .store
            .with(async |c: &mut Client| {
                Ok::<_, StoreError>(c.query("SELECT key FROM audit_keys ORDER BY added_ms, key", &[]).await?)
            })
            .map_err(|e| self.failed(e))?;
        found
            .iter()
            .map(|r| {
                let key: &[u8] = r.try_get(0).map_err(|e| self.failed(e))?;
                <[u8; 32]>::try_from(key).map_err(|_| {
                    self.failed(StoreError::Corrupt { id: "audit_keys".into(), reason: "a key is not 32 bytes".into() })
                })
            })
            .collect()
    }
}
