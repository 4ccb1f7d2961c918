//! Moving an embedded store into PostgreSQL (`truce migrate`): every table, row for row, in one
//! transaction, checked before it commits.
//!
//! The PostgreSQL tables have the embedded store's columns (see the module documentation of
//! [`super`]), so the move is generic: for each table of the PostgreSQL schema, the same columns are
//! read from SQLite and streamed in with `COPY … FROM STDIN` (text format), keys and all, so that
//! sequence numbers, cursors and version histories mean what they meant; the identity sequences are
//! then set past the largest key. What only SQLite has (its R*Tree of cells) is not moved: PostGIS
//! indexes the generated geometry column instead.
//!
//! The check: while reading, each table's rows are counted and summed into a checksum (the wrapping
//! sum of the SHA-256 of each row's canonical bytes, so the order rows come in does not matter);
//! after the copy the same is computed from what PostgreSQL holds, inside the same transaction. Only
//! when every table's count and checksum agree is the transaction committed; otherwise nothing is
//! left behind. The target must hold no records.
//!
//! The audit log is not a table of the embedded store but the data directory's `audit.log`; its lines
//! (checked by the caller) go into `audit_log` in the same transaction, their count and the SHA-256 of
//! the lines in order compared the same way, and the directory's signing key is listed in
//! `audit_keys`, so the log the nodes then share continues the node's own.

use futures_util::SinkExt;
use tokio_postgres::types::Type;

use super::PgStore;
use crate::{SqliteStore, StoreError};

/// Bytes of COPY data sent at a time.
const CHUNK: usize = 1 << 20;

/// What was moved, table by table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Migrated {
    /// Each table with its rows and checksum, as read from the source and found in the target.
    pub tables: Vec<TableCopy>,
}

/// One table moved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCopy {
    /// The table.
    pub table: String,
    /// Its rows (the same in both stores).
    pub rows: u64,
    /// Its checksum (the same in both stores), hex.
    pub checksum: String,
}

/// The audit log moved with a store: the lines of `audit.log` (without their newlines), in order,
/// and the public key of the data directory's `audit.key`.
#[derive(Debug, Clone, Default)]
pub struct AuditLines {
    /// The lines, entry 0 first.
    pub lines: Vec<String>,
    /// The signing key's public half, when the directory has one.
    pub key: Option<[u8; 32]>,
}

/// The tables the audit log's move fills, not copied from the embedded store.
const AUDIT_TABLES: [&str; 2] = ["audit_log", "audit_keys"];

/// A column of a target table, and how it is read from the source.
struct Column {
    name: String,
    /// The column of the SQLite table (PostgreSQL reserves some names SQLite allows).
    source: String,
    /// An identity column, whose sequence is moved past the copied keys.
    identity: bool,
}

/// The order-independent checksum of a table's rows.
#[derive(Default, Clone, Copy, PartialEq, Eq)]
struct Sum {
    rows: u64,
    hi: u128,
    lo: u128,
}

impl Sum {
    fn add(&mut self, row: &[u8]) {
        let d = ring::digest::digest(&ring::digest::SHA256, row);
        let (hi, lo) = d.as_ref().split_at(16);
        self.hi = self.hi.wrapping_add(u128::from_be_bytes(hi.try_into().expect("16 bytes")));
        self.lo = self.lo.wrapping_add(u128::from_be_bytes(lo.try_into().expect("16 bytes")));
        self.rows += 1;
    }

    fn hex(&self) -> String {
        format!("{:032x}{:032x}", self.hi, self.lo)
    }
}

/// A value in the form both sides hash: a tag byte, then the value.
enum Canon<'a> {
    Null,
    Int(i64),
    Real(f64),
    Text(&'a [u8]),
}

impl Canon<'_> {
    fn push(&self, out: &mut Vec<u8>) {
        match self {
            Self::Null => out.push(0),
            Self::Int(i) => {
                out.push(1);
                out.extend_from_slice(&i.to_be_bytes());
            }
            Self::Real(f) => {
                out.push(2);
                out.extend_from_slice(&f.to_bits().to_be_bytes());
            }
            Self::Text(b) => {
                out.push(3);
                out.extend_from_slice(&(b.len() as u64).to_be_bytes());
                out.extend_from_slice(b);
            }
        }
    }
}

/// The column a PostgreSQL column is read from in the embedded store.
fn source_name(table: &str, column: &str) -> String {
    match (table, column) {
        (_, "user_name") => "user".to_owned(),
        _ => column.to_owned(),
    }
}

impl PgStore {
    /// Moves every record of the embedded store `from` into this store, which must hold none, in one
    /// transaction that commits only when every table's rows and checksum are the same on both sides.
    /// `progress` is told each table as it is done.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] when this store already holds records or a table does not match (naming
    /// it); [`StoreError::Database`] when either database fails. Nothing is written then.
    pub fn import_sqlite(
        &self,
        from: &SqliteStore,
        audit: &AuditLines,
        progress: &mut dyn FnMut(&TableCopy),
    ) -> Result<Migrated, StoreError> {
        let src = from.reader();
        self.with(async |c: &mut tokio_postgres::Client| {
            let tx = c.transaction().await?;
            let mut moved = Migrated::default();
            let tables = tables(&tx).await?;
            for table in &tables {
                if tx.query_opt(&format!("SELECT 1 FROM {table} LIMIT 1"), &[]).await?.is_some() {
                    return Err(StoreError::Invalid {
                        id: table.clone(),
                        reason: "the target store already holds records: migrate into an empty database".into(),
                    });
                }
            }
            for table in tables.into_iter().filter(|t| !AUDIT_TABLES.contains(&t.as_str())) {
                let columns = columns(&tx, &table).await?;
                let read = copy_table(&tx, &src, &table, &columns).await?;
                for col in columns.iter().filter(|c| c.identity) {
                    tx.execute(
                        &format!(
                            "SELECT setval(pg_get_serial_sequence('{table}', '{0}'), max({0})) FROM {table} HAVING max({0}) IS NOT NULL",
                            col.name
                        ),
                        &[],
                    )
                    .await?;
                }
                let found = sum_target(&tx, &table, &columns).await?;
                if found != read {
                    return Err(StoreError::Invalid {
                        id: table,
                        reason: format!(
                            "{} rows with checksum {} were read, but {} rows with checksum {} arrived",
                            read.rows,
                            read.hex(),
                            found.rows,
                            found.hex()
                        ),
                    });
                }
                let done = TableCopy { table, rows: read.rows, checksum: read.hex() };
                progress(&done);
                moved.tables.push(done);
            }
            let done = move_audit(&tx, audit).await?;
            progress(&done);
            moved.tables.push(done);
            tx.commit().await?;
            Ok(moved)
        })
    }
}

/// Inserts the audit log's lines and key, and checks that the rows hold the same lines in the same
/// order (count, and SHA-256 of the lines joined by newlines).
async fn move_audit(tx: &tokio_postgres::Transaction<'_>, audit: &AuditLines) -> Result<TableCopy, StoreError> {
    let idx: Vec<i64> = (0..audit.lines.len() as i64).collect();
    tx.execute("INSERT INTO audit_log (idx, line) SELECT * FROM unnest($1::int8[], $2::text[])", &[&idx, &audit.lines])
        .await?;
    if let Some(key) = audit.key {
        let now = crate::observations::to_ms(time::OffsetDateTime::now_utc());
        tx.execute("INSERT INTO audit_keys (key, added_ms) VALUES ($1, $2)", &[&key.as_slice(), &now]).await?;
    }
    let read = ring::digest::digest(&ring::digest::SHA256, audit.lines.join("\n").as_bytes());
    let read = read.as_ref().iter().map(|b| format!("{b:02x}")).collect::<String>();
    let row = tx
        .query_one(
            "SELECT count(*), encode(sha256(convert_to(coalesce(string_agg(line, E'\\n' ORDER BY idx), ''), 'UTF8')), 'hex')
             FROM audit_log",
            &[],
        )
        .await?;
    let (rows, found): (i64, String) = (row.get(0), row.get(1));
    if rows.cast_unsigned() != audit.lines.len() as u64 || found != read {
        return Err(StoreError::Invalid {
            id: "audit_log".into(),
            reason: format!(
                "{} lines with SHA-256 {read} were read, but {rows} rows with SHA-256 {found} arrived",
                audit.lines.len()
            ),
        });
    }
    Ok(TableCopy { table: "audit_log".into(), rows: audit.lines.len() as u64, checksum: read })
}

/// The tables of the store's schema, parents before the tables that refer to them.
async fn tables(tx: &tokio_postgres::Transaction<'_>) -> Result<Vec<String>, StoreError> {
    let rows = tx
        .query(
            "SELECT c.relname::text,
                    coalesce(array_agg(DISTINCT p.relname::text) FILTER (WHERE p.relname IS NOT NULL AND p.relname <> c.relname), '{}')
             FROM pg_class c
             LEFT JOIN pg_constraint k ON k.conrelid = c.oid AND k.contype = 'f'
             LEFT JOIN pg_class p ON p.oid = k.confrelid
             WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' AND c.relname <> 'truce_schema'
             GROUP BY c.relname ORDER BY c.relname",
            &[],
        )
        .await?;
    let mut pending: Vec<(String, Vec<String>)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    let mut out: Vec<String> = Vec::new();
    while !pending.is_empty() {
        let before = pending.len();
        let (ready, rest): (Vec<_>, Vec<_>) =
            pending.into_iter().partition(|(_, parents)| parents.iter().all(|p| out.contains(p)));
        out.extend(ready.into_iter().map(|(t, _)| t));
        pending = rest;
        if pending.len() == before {
            // A cycle of references: copy the rest as they come (the copy then fails, naming the table).
            out.extend(pending.drain(..).map(|(t, _)| t));
        }
    }
    Ok(out)
}

/// The columns of a table that take values (generated ones are computed by PostgreSQL).
async fn columns(tx: &tokio_postgres::Transaction<'_>, table: &str) -> Result<Vec<Column>, StoreError> {
    let rows = tx
        .query(
            "SELECT column_name::text, is_identity = 'YES' FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = $1 AND is_generated = 'NEVER'
             ORDER BY ordinal_position",
            &[&table],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let name: String = r.get(0);
            Column { source: source_name(table, &name), name, identity: r.get(1) }
        })
        .collect())
}

/// Streams one table from SQLite into PostgreSQL; the count and checksum of what was read.
async fn copy_table(
    tx: &tokio_postgres::Transaction<'_>,
    src: &rusqlite::Connection,
    table: &str,
    columns: &[Column],
) -> Result<Sum, StoreError> {
    let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    let sources: Vec<String> = columns.iter().map(|c| format!("\"{}\"", c.source)).collect();
    let mut stmt = src.prepare(&format!("SELECT {} FROM {table}", sources.join(", "))).map_err(|e| {
        StoreError::Invalid { id: table.to_owned(), reason: format!("the embedded store's table does not match: {e}") }
    })?;
    let sink = tx.copy_in(&format!("COPY {table} ({}) FROM STDIN", names.join(", "))).await?;
    futures_util::pin_mut!(sink);
    let mut sum = Sum::default();
    let mut buf = Vec::with_capacity(CHUNK + 4096);
    let mut canon = Vec::new();
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        canon.clear();
        for i in 0..columns.len() {
            if i > 0 {
                buf.push(b'\t');
            }
            let value = row.get_ref(i)?;
            let c = match value {
                rusqlite::types::ValueRef::Null => Canon::Null,
                rusqlite::types::ValueRef::Integer(v) => Canon::Int(v),
                rusqlite::types::ValueRef::Real(v) => Canon::Real(v),
                rusqlite::types::ValueRef::Text(t) | rusqlite::types::ValueRef::Blob(t) => Canon::Text(t),
            };
            write_copy(&mut buf, &value);
            c.push(&mut canon);
        }
        buf.push(b'\n');
        sum.add(&canon);
        if buf.len() >= CHUNK {
            sink.send(bytes::Bytes::from(std::mem::take(&mut buf))).await?;
            buf.reserve(CHUNK + 4096);
        }
    }
    if !buf.is_empty() {
        sink.send(bytes::Bytes::from(buf)).await?;
    }
    sink.finish().await?;
    Ok(sum)
}

/// One value in COPY's text format.
fn write_copy(buf: &mut Vec<u8>, value: &rusqlite::types::ValueRef<'_>) {
    use rusqlite::types::ValueRef;
    use std::io::Write;
    match value {
        ValueRef::Null => buf.extend_from_slice(b"\\N"),
        ValueRef::Integer(v) => {
            let _ = write!(buf, "{v}");
        }
        ValueRef::Real(v) if v.is_nan() => buf.extend_from_slice(b"NaN"),
        ValueRef::Real(v) if v.is_infinite() => {
            buf.extend_from_slice(if *v > 0.0 { b"Infinity" } else { b"-Infinity" });
        }
        // Rust prints the shortest form that reads back as the same number.
        ValueRef::Real(v) => {
            let _ = write!(buf, "{v:?}");
        }
        ValueRef::Text(t) => {
            for &b in *t {
                match b {
                    b'\\' => buf.extend_from_slice(b"\\\\"),
                    b'\t' => buf.extend_from_slice(b"\\t"),
                    b'\n' => buf.extend_from_slice(b"\\n"),
                    b'\r' => buf.extend_from_slice(b"\\r"),
                    _ => buf.push(b),
                }
            }
        }
        // bytea's hex input, its backslash escaped for COPY.
        ValueRef::Blob(b) => {
            buf.extend_from_slice(b"\\\\x");
            for byte in *b {
                let _ = write!(buf, "{byte:02x}");
            }
        }
    }
}

/// The count and checksum of what a table holds in PostgreSQL, values read back as the embedded
/// store holds them (booleans as 0 and 1, `bytea` as bytes).
async fn sum_target(tx: &tokio_postgres::Transaction<'_>, table: &str, columns: &[Column]) -> Result<Sum, StoreError> {
    let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    let rows = tx.query_raw(&format!("SELECT {} FROM {table}", names.join(", ")), std::iter::empty::<i32>()).await?;
    futures_util::pin_mut!(rows);
    let mut sum = Sum::default();
    let mut canon = Vec::new();
    while let Some(row) = futures_util::StreamExt::next(&mut rows).await {
        let row = row?;
        canon.clear();
        for (i, col) in row.columns().iter().enumerate() {
            let t = col.type_();
            let c = if *t == Type::INT8 {
                row.try_get::<_, Option<i64>>(i)?.map_or(Canon::Null, Canon::Int)
            } else if *t == Type::INT4 {
                row.try_get::<_, Option<i32>>(i)?.map_or(Canon::Null, |v| Canon::Int(i64::from(v)))
            } else if *t == Type::INT2 {
                row.try_get::<_, Option<i16>>(i)?.map_or(Canon::Null, |v| Canon::Int(i64::from(v)))
            } else if *t == Type::BOOL {
                row.try_get::<_, Option<bool>>(i)?.map_or(Canon::Null, |v| Canon::Int(i64::from(v)))
            } else if *t == Type::FLOAT8 {
                row.try_get::<_, Option<f64>>(i)?.map_or(Canon::Null, Canon::Real)
            } else if *t == Type::TEXT || *t == Type::VARCHAR || *t == Type::BYTEA {
                let v = if *t == Type::BYTEA {
                    row.try_get::<_, Option<&[u8]>>(i)?
                } else {
                    row.try_get::<_, Option<&str>>(i)?.map(str::as_bytes)
                };
                v.map_or(Canon::Null, Canon::Text)
            } else {
                return Err(StoreError::Invalid {
                    id: table.to_owned(),
                    reason: format!("column {} has type {t}, which a migration does not compare", col.name()),
                });
            };
            c.push(&mut canon);
        }
        sum.add(&canon);
    }
    Ok(sum)
}
