//! Bulk inserts of observations with binary `COPY`: what `truce ingest` and large API batches take.
//!
//! `COPY` cannot skip a row whose id is stored already, and an insert must leave those as they are
//! (a duplicate, or a conflict the caller reports). So a chunk first asks which of its ids are stored
//! (one index probe per id, in one statement), then copies the others in binary form: no SQL to parse
//! per row, no text to convert. Should another writer store one of those ids in between, the copy fails
//! on the unique index; it is undone to a savepoint and the chunk goes through the row-by-row
//! `INSERT … ON CONFLICT DO NOTHING` instead, so the answer is the same either way.

use std::collections::HashSet;

use tokio_postgres::Transaction;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{ToSql, Type};

use crate::{EncodedRow, StoreError};

/// Chunks at least this large are copied; smaller ones cost fewer round trips as one `INSERT`.
pub(super) const COPY_FROM: usize = 256;

/// The columns a copy writes, in order (the others take their defaults; `seq` and `geom` are made
/// by the database).
const COPY: &str = "COPY observations (id, time_ms, time_end_ms, lat, lon, category, received_ms, body, \
                    classification, zones, violations, rank, rel, cats, recorded_by) FROM STDIN (FORMAT binary)";

/// The types of [`COPY`]'s columns.
const TYPES: [Type; 15] = [
    Type::TEXT,
    Type::INT8,
    Type::INT8,
    Type::FLOAT8,
    Type::FLOAT8,
    Type::TEXT,
    Type::INT8,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::INT4,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
];

/// Stores the rows of `rows` (ids unique among them) whose id is not stored yet; the ids it stored.
/// `None` when another writer stored one of them meanwhile: nothing of the chunk was stored then, and
/// the caller inserts it row by row.
pub(super) async fn insert(tx: &Transaction<'_>, rows: &[&EncodedRow]) -> Result<Option<Vec<String>>, StoreError> {
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
    let ranks = new
        .iter()
        .map(|r| {
            i32::try_from(r.label.rank).map_err(|_| StoreError::Invalid {
                id: r.id.clone(),
                reason: format!("classification rank {}", r.label.rank),
            })
        })
        .collect::<Result<Vec<i32>, _>>()?;
    tx.batch_execute("SAVEPOINT truce_copy").await?;
    match copy(tx, &new, &ranks).await {
        Ok(()) => {
            tx.batch_execute("RELEASE SAVEPOINT truce_copy").await?;
            Ok(Some(new.iter().map(|r| r.id.clone()).collect()))
        }
        Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
            tx.batch_execute("ROLLBACK TO SAVEPOINT truce_copy").await?;
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// Copies `rows` (with their label ranks) into the table in binary form.
async fn copy(tx: &Transaction<'_>, rows: &[&EncodedRow], ranks: &[i32]) -> Result<(), tokio_postgres::Error> {
    let sink = tx.copy_in(COPY).await?;
    let writer = BinaryCopyInWriter::new(sink, &TYPES);
    futures_util::pin_mut!(writer);
    for (r, rank) in rows.iter().zip(ranks) {
        let values: [&(dyn ToSql + Sync); 15] = [
            &r.id,
            &r.time_ms,
            &r.time_end_ms,
            &r.lat,
            &r.lon,
            &r.category,
            &r.received_ms,
            &r.body,
            &r.classification,
            &r.zones,
            &r.violations,
            rank,
            &r.label.rel,
            &r.label.cats,
            &r.by,
        ];
        writer.as_mut().write(&values).await?;
    }
    writer.finish().await?;
    Ok(())
}
