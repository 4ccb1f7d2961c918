//! Bulk inserts of observations with binary `COPY`: what `truce ingest` and large API batches take.
//!
//! `COPY` cannot skip a row whose id is stored already, and an insert must leave those as they are
//! (a duplicate, or a conflict the caller reports). A chunk is first copied whole in binary form (no
//! SQL to parse per row, no text to convert), under a savepoint: a fresh load, the common case, pays
//! nothing more. When one of its ids is stored, the copy fails on the unique index and is undone to the
//! savepoint; the chunk then asks which of its ids are stored (one index probe per id, in one
//! statement) and copies the others. Should another writer store one of those ids in between, that copy
//! fails too, and the chunk goes through the row-by-row `INSERT … ON CONFLICT DO NOTHING` instead, so
//! the answer is the same either way.

use std::collections::HashSet;

use bytes::{BufMut, Bytes, BytesMut};
use futures_util::SinkExt;
use tokio_postgres::Transaction;
use tokio_postgres::error::SqlState;

use crate::{EncodedRow, StoreError};

/// Chunks at least this large are copied; smaller ones cost fewer round trips as one `INSERT`.
pub(super) const COPY_FROM: usize = 256;

/// The columns a copy writes, in order (the others take their defaults; `seq` and `geom` are made
/// by the database).
const COPY: &str = "COPY observations (id, time_ms, time_end_ms, lat, lon, category, received_ms, body, \
                    classification, zones, violations, rank, rel, cats, recorded_by) FROM STDIN (FORMAT binary)";

/// How many columns [`COPY`] writes.
const COLUMNS: i16 = 15;

/// Stores the rows of `rows` (ids unique among them) whose id is not stored yet; the ids it stored.
/// `None` when another writer stored one of them meanwhile: nothing of the chunk was stored then, and
/// the caller inserts it row by row.
pub(super) async fn insert(tx: &Transaction<'_>, rows: &[&EncodedRow]) -> Result<Option<Vec<String>>, StoreError> {
    if let Some(ids) = attempt(tx, rows).await? {
        return Ok(Some(ids));
    }
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let stored: HashSet<String> = tx
        .query("SELECT id FROM observations WHERE id = ANY($1)", &[&ids])
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?;
    let new: Vec<&EncodedRow> = rows.iter().copied().filter(|r| !stored.contains(&r.id)).collect();
    if new.is_empty() {
        return Ok(Some(Vec::new()));
    }
    attempt(tx, &new).await
}

/// Copies `rows` under a savepoint: the ids it stored, or `None` (and nothing stored) when one of them
/// was stored already.
async fn attempt(tx: &Transaction<'_>, rows: &[&EncodedRow]) -> Result<Option<Vec<String>>, StoreError> {
    let ranks = rows.iter().map(|r| super::observations::rank_column(r)).collect::<Result<Vec<i32>, _>>()?;
    tx.batch_execute("SAVEPOINT truce_copy").await?;
    match copy(tx, rows, &ranks).await {
        Ok(()) => {
            tx.batch_execute("RELEASE SAVEPOINT truce_copy").await?;
            Ok(Some(rows.iter().map(|r| r.id.clone()).collect()))
        }
        Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
            tx.batch_execute("ROLLBACK TO SAVEPOINT truce_copy").await?;
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// Copies `rows` (with their label ranks) into the table in binary form.
///
/// The rows are encoded here, straight into large buffers, rather than value by value through
/// `ToSql`: a chunk then crosses to the connection's task in a few pieces of [`PIECE`] bytes instead
/// of one small message every few rows, which kept the server waiting for data.
async fn copy(tx: &Transaction<'_>, rows: &[&EncodedRow], ranks: &[i32]) -> Result<(), tokio_postgres::Error> {
    let sink = tx.copy_in::<_, Bytes>(COPY).await?;
    futures_util::pin_mut!(sink);
    let mut buf = BytesMut::with_capacity(PIECE + 4096);
    // The header: signature, flags, no extension.
    buf.put_slice(b"PGCOPY\n\xff\r\n\0");
    buf.put_i32(0);
    buf.put_i32(0);
    for (r, &rank) in rows.iter().zip(ranks) {
        encode(&mut buf, r, rank);
        if buf.len() >= PIECE {
            sink.send(buf.split().freeze()).await?;
        }
    }
    // The trailer: a field count of -1.
    buf.put_i16(-1);
    sink.send(buf.freeze()).await?;
    sink.finish().await?;
    Ok(())
}

/// How many bytes of encoded rows are sent at a time.
const PIECE: usize = 1 << 20;

/// Appends one row in `COPY`'s binary form: the field count, then each field as its length and its
/// bytes (text as UTF-8, integers and floats big-endian, -1 for NULL), in [`COPY`]'s column order.
fn encode(buf: &mut BytesMut, r: &EncodedRow, rank: i32) {
    fn text(buf: &mut BytesMut, s: &str) {
        // A text is far below 2 GiB: the store refuses bodies long before.
        buf.put_i32(i32::try_from(s.len()).unwrap_or(i32::MAX));
        buf.put_slice(s.as_bytes());
    }
    fn int8(buf: &mut BytesMut, v: i64) {
        buf.put_i32(8);
        buf.put_i64(v);
    }
    fn float8(buf: &mut BytesMut, v: f64) {
        buf.put_i32(8);
        buf.put_f64(v);
    }
    buf.put_i16(COLUMNS);
    text(buf, &r.id);
    int8(buf, r.time_ms);
    match r.time_end_ms {
        Some(v) => int8(buf, v),
        None => buf.put_i32(-1),
    }
    float8(buf, r.lat);
    float8(buf, r.lon);
    text(buf, r.category);
    int8(buf, r.received_ms);
    text(buf, &r.body);
    text(buf, &r.classification);
    text(buf, &r.zones);
    text(buf, &r.violations);
    buf.put_i32(4);
    buf.put_i32(rank);
    text(buf, &r.label.rel);
    text(buf, &r.label.cats);
    text(buf, &r.by);
}
