//! Observations on PostgreSQL: the embedded store's rows, answers and errors, the PostgreSQL way.
//!
//! A batch is one transaction of set-based statements (column arrays `unnest`ed into one `INSERT ...
//! ON CONFLICT DO NOTHING RETURNING id` per chunk, one query comparing the rest with what is stored).
//! The GiST index on `geom` replaces SQLite's cell R*Tree for boxes; circles, polygons and areas are
//! decided in Rust, pages read in growing keyset chunks so dropped candidates never shorten a page.

use std::collections::HashMap;

use time::OffsetDateTime;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Row, Transaction};
use truce_access::Access;
use truce_core::{ClassificationRecord, Observation, StoredObservation};

use super::{PgStore, Where};
use crate::observations::{
    add_listed, change_of, decode, differing_fields, from_ms, marking_of, parse_cursor, to_ms, violation_list,
    zone_list,
};
use crate::{
    Change, Conflict, Correction, EncodedRow, InsertReport, KeptDay, MAX_PAGE, ObservationStore, Page, Query, Revise,
    Revision, Stats, StoreError,
};

/// Rows per `INSERT` statement of a batch (each column is one array parameter).
const INSERT_CHUNK: usize = 10_000;

/// Rows per transaction of a reclassification.
const RECLASSIFY_BATCH: i64 = 10_000;

/// The most rows a query reads per round trip while it fills a page.
const MAX_FETCH: usize = MAX_PAGE + 1;

/// Stores a chunk of rows given as one array per column; returns the ids it stored (those already
/// stored are left as they are).
const INSERT: &str = "INSERT INTO observations
     (id, time_ms, time_end_ms, lat, lon, category, received_ms, body, classification, zones, violations,
      rank, rel, cats, recorded_by)
     SELECT * FROM unnest($1::text[], $2::int8[], $3::int8[], $4::float8[], $5::float8[], $6::text[], $7::int8[],
                          $8::text[], $9::text[], $10::text[], $11::text[], $12::int4[], $13::text[], $14::text[],
                          $15::text[])
     ON CONFLICT (id) DO NOTHING RETURNING id";

/// For (id, body) pairs of stored ids (ordinal from 1): `NULL` when the body is that of one of the
/// id's versions (a resend), otherwise the current body.
const DIFFERS: &str = "SELECT u.i, CASE WHEN o.body = u.body
         OR EXISTS (SELECT 1 FROM observation_versions v WHERE v.id = u.id AND v.body = u.body)
         THEN NULL ELSE o.body END
     FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS u(id, body, i) JOIN observations o ON o.id = u.id";

/// Records the agreement's fingerprint.
const SET_AGREEMENT: &str = "INSERT INTO meta (key, value) VALUES ('agreement', $1)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value";

/// The columns a page reads: the stored form, then the keyset and the position.
const PAGE_COLUMNS: &str = "o.id, o.body, o.classification, o.received_ms, o.time_ms, o.seq, o.lat, o.lon";

impl Where {
    /// Rows whose point the index finds in the box (a prefilter: the exact check follows in Rust).
    fn index_box(&mut self, b: [f64; 4]) {
        let [w, s, e, n] = b.map(|v| self.param(v));
        self.clauses.push(format!("o.geom && ST_MakeEnvelope({w}, {s}, {e}, {n}, 4326)"));
    }

    /// Rows matching any of `values` (nothing when there are none).
    fn any_of<T: ToSql + Sync + 'static>(&mut self, column: &str, values: Vec<T>) {
        if !values.is_empty() {
            let p = self.param(values);
            self.clauses.push(format!("{column} = ANY({p})"));
        }
    }

    /// Rows whose delimited list (`,a,b,`) holds any of `items`.
    fn any_in_list(&mut self, column: &str, items: impl Iterator<Item = String>) {
        let alternatives: Vec<String> =
            items.map(|i| format!("strpos({column}, {}) > 0", self.param(format!(",{i},")))).collect();
        if !alternatives.is_empty() {
            self.clauses.push(format!("({})", alternatives.join(" OR ")));
        }
    }
}

/// A box (west, south, east, north) that surely holds every point within `km` of (`lat`, `lon`) on
/// WGS84, or `None` when no simple box does (near a pole, across the antimeridian, not a number).
fn near_box(lat: f64, lon: f64, km: f64) -> Option<[f64; 4]> {
    if !(lat.is_finite() && lon.is_finite() && km.is_finite() && km >= 0.0) {
        return None;
    }
    // A degree of latitude is at least 110.57 km, one of longitude at least 111.32 km × cos(latitude);
    // 1% and 0.01° more for the margin.
    let dlat = km / 110.0 * 1.01 + 0.01;
    let (s, n) = (lat - dlat, lat + dlat);
    if s <= -89.0 || n >= 89.0 {
        return None;
    }
    let dlon = km / (111.0 * s.abs().max(n.abs()).to_radians().cos()) * 1.01 + 0.01;
    let (w, e) = (lon - dlon, lon + dlon);
    (w >= -180.0 && e <= 180.0).then_some([w, s, e, n])
}

/// Whether the query has filters that only [`Query::covers_exactly`] decides.
fn needs_exact(q: &Query) -> bool {
    q.near.is_some() || q.polygon.is_some() || q.within.is_some()
}

/// The WHERE clause and parameters of a query's filters (paging excluded), as SQLite's.
fn filters(access: &str, q: &Query) -> Where {
    let mut w = Where { clauses: vec![access.to_owned(), "NOT o.withdrawn".to_owned()], params: Vec::new() };
    for (t, clause) in [(q.since, "o.time_ms >="), (q.until, "o.time_ms <"), (q.received_since, "o.received_ms >=")] {
        if let Some(t) = t {
            let p = w.param(to_ms(t));
            w.clauses.push(format!("{clause} {p}"));
        }
    }
    // The polygon's and the area's boxes narrow the rows exactly like a bbox; the polygon, the area and
    // the circle themselves are decided in Rust.
    let areas =
        q.polygon.as_ref().map(truce_geo::Polygon::bbox).into_iter().chain(q.within.as_ref().map(|w| w.area.bbox()));
    for b in q.bbox.iter().copied().chain(areas) {
        w.inside_box("o", b);
    }
    if let Some(b) = q.near.and_then(|(lat, lon, km)| near_box(lat, lon, km)) {
        w.index_box(b);
    }
    w.any_of("o.category", q.category.iter().map(|c| c.id().to_owned()).collect());
    w.any_in_list("o.violations", q.violation.iter().cloned());
    w.any_in_list("o.zones", q.zone.iter().cloned());
    // Means and party are read from the body, as SQLite's json_extract does.
    w.any_of("(o.body::json -> 'observer' ->> 'means')", q.means.iter().map(|m| m.id().to_owned()).collect());
    if !q.party.is_empty() {
        let named: Vec<String> = q.party.iter().flatten().cloned().collect();
        let p = w.param(named);
        let none = if q.party.contains(&None) { " OR (o.body::json ->> 'party') IS NULL" } else { "" };
        w.clauses.push(format!("((o.body::json ->> 'party') = ANY({p}){none})"));
    }
    w.any_of("o.rank", q.marking.iter().map(|m| i32::from(m.rank())).collect());
    if let Some(access) = &q.releasable {
        w.clauses.push(access.sql("o.rank", "o.rel", "o.cats", "o.time_ms"));
    }
    w
}

/// Decodes the id, body, classification and received time at columns `first`.. of a row.
fn decode_row(access: &Access, r: &Row, first: usize) -> Result<StoredObservation, StoreError> {
    decode(access, r.try_get(first)?, r.try_get(first + 1)?, r.try_get(first + 2)?, r.try_get(first + 3)?)
}

/// The label rank as the `integer` column holds it.
pub(super) fn rank_column(r: &EncodedRow) -> Result<i32, StoreError> {
    i32::try_from(r.label.rank)
        .map_err(|_| StoreError::Invalid { id: r.id.clone(), reason: format!("classification rank {}", r.label.rank) })
}

/// A version number read from an `integer` column.
fn version_at(r: &Row, i: usize, id: &str) -> Result<u32, StoreError> {
    let v: i32 = r.try_get(i)?;
    u32::try_from(v).map_err(|_| StoreError::Corrupt { id: id.to_owned(), reason: format!("version {v}") })
}

/// Stores `rows` (ids unique among them) with one statement; returns the ids stored.
async fn insert_chunk(
    tx: &Transaction<'_>,
    insert: &tokio_postgres::Statement,
    rows: &[&EncodedRow],
) -> Result<Vec<String>, StoreError> {
    /// One column of the rows, as an array parameter.
    fn col<'a, T>(rows: &[&'a EncodedRow], f: impl Fn(&'a EncodedRow) -> T) -> Vec<T> {
        rows.iter().map(|r| f(r)).collect()
    }
    let ranks = rows.iter().map(|r| rank_column(r)).collect::<Result<Vec<i32>, _>>()?;
    let stored = tx
        .query(
            insert,
            &[
                &col(rows, |r| r.id.as_str()),
                &col(rows, |r| r.time_ms),
                &col(rows, |r| r.time_end_ms),
                &col(rows, |r| r.lat),
                &col(rows, |r| r.lon),
                &col(rows, |r| r.category),
                &col(rows, |r| r.received_ms),
                &col(rows, |r| r.body.as_str()),
                &col(rows, |r| r.classification.as_str()),
                &col(rows, |r| r.zones.as_str()),
                &col(rows, |r| r.violations.as_str()),
                &ranks,
                &col(rows, |r| r.label.rel.as_str()),
                &col(rows, |r| r.label.cats.as_str()),
                &col(rows, |r| r.by.as_str()),
            ],
        )
        .await?;
    stored.iter().map(|r| r.try_get(0).map_err(StoreError::from)).collect()
}

/// For rows whose id is stored: `None` when the row has the content of one of the id's versions (a
/// resend), otherwise the fields that differ from the current version; in the order of `rows`.
async fn compare_stored(tx: &Transaction<'_>, rows: &[&EncodedRow]) -> Result<Vec<Option<Vec<String>>>, StoreError> {
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let bodies: Vec<&str> = rows.iter().map(|r| r.body.as_str()).collect();
    let mut current: HashMap<usize, Option<String>> = HashMap::with_capacity(rows.len());
    for r in tx.query(DIFFERS, &[&ids, &bodies]).await? {
        let i: i64 = r.try_get(0)?;
        current.insert(usize::try_from(i - 1).unwrap_or(usize::MAX), r.try_get(1)?);
    }
    rows.iter()
        .enumerate()
        .map(|(i, r)| match current.remove(&i) {
            Some(None) => Ok(None),
            Some(Some(body)) => differing_fields(&r.id, &body, &r.body).map(Some),
            None => Err(StoreError::Corrupt { id: r.id.clone(), reason: "not stored, yet refused as stored".into() }),
        })
        .collect()
}

/// Reads the rows of `filter` after the keyset `after`, oldest first, `fetch` of them at most.
async fn page_chunk(
    c: &Client,
    filter: &Where,
    after: Option<(i64, i64)>,
    fetch: usize,
) -> Result<Vec<Row>, StoreError> {
    let mut params = filter.refs();
    let mut sql = format!("SELECT {PAGE_COLUMNS} FROM observations o WHERE {}", filter.clauses.join(" AND "));
    if let Some((t, s)) = &after {
        sql.push_str(&format!(" AND (o.time_ms, o.seq) > (${}, ${})", params.len() + 1, params.len() + 2));
        params.push(t);
        params.push(s);
    }
    sql.push_str(&format!(" ORDER BY o.time_ms, o.seq LIMIT {fetch}"));
    Ok(c.query(&sql, &params).await?)
}

impl ObservationStore for PgStore {
    fn defer_indexes(&self) -> Result<bool, StoreError> {
        self.with(async |c: &mut Client| {
            let tx = c.transaction().await?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&super::MIGRATION_LOCK]).await?;
            let empty = tx.query_opt("SELECT 1 FROM observations LIMIT 1", &[]).await?.is_none();
            if empty {
                tx.batch_execute(&format!("DROP INDEX IF EXISTS {}", super::SPATIAL_INDEX.0)).await?;
            }
            tx.commit().await?;
            Ok(empty)
        })
    }

    fn build_indexes(&self) -> Result<(), StoreError> {
        self.with(async |c: &mut Client| {
            let tx = c.transaction().await?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&super::MIGRATION_LOCK]).await?;
            tx.batch_execute(super::SPATIAL_INDEX.1).await?;
            // The planner's statistics of the rows just loaded (PostgreSQL's advice after a bulk
            // load): without them it took the spatial index for a box over the front and sorted every
            // row of the day before a first page (1 M rows: 174 ms a page against 22 ms).
            tx.batch_execute("ANALYZE observations").await?;
            tx.commit().await?;
            Ok(())
        })
    }

    fn insert_encoded(&self, rows: &[EncodedRow]) -> Result<InsertReport, StoreError> {
        if rows.is_empty() {
            return Ok(InsertReport::default());
        }
        // The first row of each id is offered to the INSERT; the others are compared with what is
        // stored then, as SQLite compares each row after the rows before it.
        let mut first: HashMap<&str, usize> = HashMap::with_capacity(rows.len());
        let fresh: Vec<&EncodedRow> = rows
            .iter()
            .enumerate()
            .filter(|(i, r)| *first.entry(r.id.as_str()).or_insert(*i) == *i)
            .map(|(_, r)| r)
            .collect();
        self.with(async |c: &mut Client| {
            let tx = c.transaction().await?;
            let insert = tx.prepare(INSERT).await?;
            let mut stored = vec![false; rows.len()];
            for chunk in fresh.chunks(INSERT_CHUNK) {
                let copied =
                    if chunk.len() >= super::copy::COPY_FROM { super::copy::insert(&tx, chunk).await? } else { None };
                let ids = match copied {
                    Some(ids) => ids,
                    None => insert_chunk(&tx, &insert, chunk).await?,
                };
                for id in ids {
                    if let Some(&i) = first.get(id.as_str()) {
                        stored[i] = true;
                    }
                }
            }
            let rest: Vec<&EncodedRow> = rows.iter().zip(&stored).filter(|(_, s)| !**s).map(|(r, _)| r).collect();
            let mut compared = Vec::with_capacity(rest.len());
            for chunk in rest.chunks(INSERT_CHUNK) {
                compared.extend(compare_stored(&tx, chunk).await?);
            }
            let mut compared = compared.into_iter();
            let (mut report, mut conflicts) = (InsertReport::default(), Vec::new());
            for (r, s) in rows.iter().zip(stored) {
                if s {
                    report.inserted.push(r.id.clone());
                } else if let Some(fields) = compared.next().flatten() {
                    conflicts.push(Conflict { id: r.id.clone(), fields });
                } else {
                    report.duplicates.push(r.id.clone());
                }
            }
            if !conflicts.is_empty() {
                return Err(StoreError::Conflict(conflicts));
            }
            tx.commit().await?;
            Ok(report)
        })
    }

    fn get(&self, id: &str) -> Result<Option<StoredObservation>, StoreError> {
        let sql = format!(
            "SELECT id, body, classification, received_ms FROM observations WHERE id = $1 AND NOT withdrawn AND {}",
            self.visible("", "time_ms")
        );
        let row = self.with(async |c: &mut Client| Ok::<_, StoreError>(c.query_opt(&sql, &[&id]).await?))?;
        row.map(|r| decode_row(&self.access, &r, 0)).transpose()
    }

    fn query(&self, q: &Query) -> Result<Page, StoreError> {
        let limit = q.limit.clamp(1, MAX_PAGE);
        let filter = filters(&self.visible("o.", "time_ms"), q);
        let mut after = q.cursor.as_deref().map(parse_cursor).transpose()?;
        self.with(async |c: &mut Client| {
            let (mut page, mut last) = (Page::default(), None);
            let mut fetch = limit + 1;
            loop {
                let rows = page_chunk(c, &filter, after, fetch).await?;
                for r in &rows {
                    let key: (i64, i64) = (r.try_get(4)?, r.try_get(5)?);
                    after = Some(key);
                    if !q.covers_exactly(r.try_get(6)?, r.try_get(7)?) {
                        continue;
                    }
                    if page.items.len() == limit {
                        page.next = last.map(|(t, s): (i64, i64)| format!("{t}.{s}"));
                        return Ok(page);
                    }
                    page.items.push(decode_row(&self.access, r, 0)?);
                    last = Some(key);
                }
                if rows.len() < fetch {
                    return Ok(page);
                }
                fetch = (fetch * 2).min(MAX_FETCH);
            }
        })
    }

    fn stats(&self, q: &Query) -> Result<Stats, StoreError> {
        let filter = filters(&self.visible("o.", "time_ms"), q);
        let exact = needs_exact(q);
        // Counted by what a row contributes (and its position when it must be checked exactly); the
        // day is the start of the row's UTC day in milliseconds.
        let (position, group) = if exact { (", o.lat, o.lon", ", 6, 7") } else { ("", "") };
        let sql = format!(
            "SELECT o.category, o.time_ms - mod(mod(o.time_ms, 86400000) + 86400000, 86400000), o.zones, o.violations,
                    count(*){position}
             FROM observations o WHERE {} GROUP BY 1, 2, 3, 4{group}",
            filter.clauses.join(" AND ")
        );
        let rows = self.with(async |c: &mut Client| Ok::<_, StoreError>(c.query(&sql, &filter.refs()).await?))?;
        let mut stats = Stats::default();
        for r in &rows {
            if exact && !q.covers_exactly(r.try_get(5)?, r.try_get(6)?) {
                continue;
            }
            let n = u64::try_from(r.try_get::<_, i64>(4)?).unwrap_or(0);
            stats.total += n;
            *stats.by_category.entry(r.try_get(0)?).or_default() += n;
            *stats.by_day.entry(from_ms(r.try_get(1)?).date().to_string()).or_default() += n;
            add_listed(&mut stats.by_zone, r.try_get(2)?, n);
            add_listed(&mut stats.by_violation, r.try_get(3)?, n);
        }
        Ok(stats)
    }

    fn revise(&self, c: &Revise<'_>) -> Result<Revision, StoreError> {
        c.check()?;
        let amended = c.amended.map(|r| Ok::<_, StoreError>((r, rank_column(r)?))).transpose()?;
        let current_sql = format!(
            "SELECT seq, version, withdrawn, received_ms, body, classification FROM observations
             WHERE id = $1 AND {} FOR UPDATE",
            self.visible("", "time_ms")
        );
        let at_ms = to_ms(c.at);
        let (next, change, received_ms, body, classification) = self.with(async |conn: &mut Client| {
            let tx = conn.transaction().await?;
            let Some(row) = tx.query_opt(&current_sql, &[&c.id]).await? else {
                return Err(StoreError::NotFound(c.id.to_owned()));
            };
            let (seq, version): (i64, u32) = (row.try_get(0)?, version_at(&row, 1, c.id)?);
            let received_ms: i64 = row.try_get(3)?;
            c.check_current(version, row.try_get(2)?)?;
            // The first change keeps the version as first recorded beside the ones that follow.
            tx.execute(
                "INSERT INTO observation_versions (id, version, action, at_ms, by, reason, body, classification, time_ms, rank, rel, cats)
                 SELECT id, version, 'recorded', received_ms, recorded_by, '', body, classification, time_ms, rank, rel, cats
                 FROM observations WHERE seq = $1 AND NOT EXISTS (SELECT 1 FROM observation_versions WHERE id = $2)",
                &[&seq, &c.id],
            )
            .await?;
            let next = version + 1;
            let next_column = i32::try_from(next).map_err(|_| c.invalid("too many versions"))?;
            let (change, body, classification) = match amended {
                Some((r, rank)) => {
                    tx.execute(
                        "UPDATE observations SET time_ms = $1, time_end_ms = $2, lat = $3, lon = $4, category = $5,
                         body = $6, classification = $7, zones = $8, violations = $9, rank = $10, rel = $11, cats = $12,
                         version = $13 WHERE seq = $14",
                        &[
                            &r.time_ms,
                            &r.time_end_ms,
                            &r.lat,
                            &r.lon,
                            &r.category,
                            &r.body,
                            &r.classification,
                            &r.zones,
                            &r.violations,
                            &rank,
                            &r.label.rel,
                            &r.label.cats,
                            &next_column,
                            &seq,
                        ],
                    )
                    .await?;
                    (Change::Amended, r.body.clone(), r.classification.clone())
                }
                None => {
                    tx.execute("UPDATE observations SET withdrawn = true, version = $1 WHERE seq = $2", &[
                        &next_column,
                        &seq,
                    ])
                    .await?;
                    (Change::Withdrawn, row.try_get(4)?, row.try_get(5)?)
                }
            };
            tx.execute(
                "INSERT INTO observation_versions (id, version, action, at_ms, by, reason, body, classification, time_ms, rank, rel, cats)
                 SELECT id, version, $1::text, $2::bigint, $3::text, $4::text, $5::text, $6::text, time_ms, rank, rel, cats
                 FROM observations WHERE seq = $7",
                &[&change.id(), &at_ms, &c.by, &c.reason, &body, &classification, &seq],
            )
            .await?;
            tx.commit().await?;
            Ok((next, change, received_ms, body, classification))
        })?;
        c.revision(&self.access, next, change, &body, &classification, received_ms)
    }

    fn history(&self, id: &str) -> Result<Option<Vec<Revision>>, StoreError> {
        let visible = self.visible("", "time_ms");
        let current_sql = format!(
            "SELECT version, received_ms, recorded_by, body, classification FROM observations WHERE id = $1 AND {visible}"
        );
        let versions_sql = format!(
            "SELECT version, action, at_ms, by, reason, body, classification FROM observation_versions
             WHERE id = $1 AND {visible} ORDER BY version"
        );
        let (current, versions) = self.with(async |c: &mut Client| {
            let tx = c
                .build_transaction()
                .read_only(true)
                .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
                .start()
                .await?;
            let current = tx.query_opt(&current_sql, &[&id]).await?;
            let versions = if current.is_some() { tx.query(&versions_sql, &[&id]).await? } else { Vec::new() };
            tx.commit().await?;
            Ok::<_, StoreError>((current, versions))
        })?;
        let Some(current) = current else { return Ok(None) };
        let received_ms: i64 = current.try_get(1)?;
        let mut out = Vec::with_capacity(versions.len().max(1));
        for r in &versions {
            out.push(Revision {
                version: version_at(r, 0, id)?,
                change: change_of(r.try_get(1)?, id)?,
                at: from_ms(r.try_get(2)?),
                by: r.try_get(3)?,
                reason: r.try_get(4)?,
                stored: decode(&self.access, id.to_owned(), r.try_get(5)?, r.try_get(6)?, received_ms)?,
            });
        }
        if out.is_empty() {
            out.push(Revision {
                version: version_at(&current, 0, id)?,
                change: Change::Recorded,
                at: from_ms(received_ms),
                by: current.try_get(2)?,
                reason: String::new(),
                stored: decode(&self.access, id.to_owned(), current.try_get(3)?, current.try_get(4)?, received_ms)?,
            });
        }
        Ok(Some(out))
    }

    fn revisions_since(&self, q: &Query, after: OffsetDateTime) -> Result<Vec<Correction>, StoreError> {
        let mut w = Where::default();
        let since = w.param(to_ms(after));
        let mut window = String::new();
        if let Some(t) = q.since {
            window.push_str(&format!(" AND w.time_ms >= {}", w.param(to_ms(t))));
        }
        if let Some(t) = q.until {
            window.push_str(&format!(" AND w.time_ms < {}", w.param(to_ms(t))));
        }
        let sql = format!(
            "SELECT o.id, o.version, v.action, v.at_ms, v.by, v.reason, o.rank FROM observations o
             JOIN observation_versions v ON v.id = o.id AND v.version = o.version
             WHERE v.at_ms >= {since} AND v.action <> 'recorded' AND {}
               AND EXISTS (SELECT 1 FROM observation_versions w WHERE w.id = o.id{window})
             ORDER BY v.at_ms, o.id",
            self.visible("o.", "time_ms")
        );
        let rows = self.with(async |c: &mut Client| Ok::<_, StoreError>(c.query(&sql, &w.refs()).await?))?;
        rows.iter()
            .map(|r| {
                let id: String = r.try_get(0)?;
                let marking = marking_of(i64::from(r.try_get::<_, i32>(6)?), &id)?;
                Ok(Correction {
                    version: version_at(r, 1, &id)?,
                    change: change_of(r.try_get(2)?, &id)?,
                    at: from_ms(r.try_get(3)?),
                    by: r.try_get(4)?,
                    reason: r.try_get(5)?,
                    marking,
                    id,
                })
            })
            .collect()
    }

    fn count(&self) -> Result<u64, StoreError> {
        let sql = format!("SELECT count(*) FROM observations WHERE NOT withdrawn AND {}", self.visible("", "time_ms"));
        let n: i64 =
            self.with(async |c: &mut Client| Ok::<_, StoreError>(c.query_one(&sql, &[]).await?.try_get(0)?))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    fn day_changes(&self, from: i64, until: i64) -> Result<Vec<(i64, i64)>, StoreError> {
        self.with(async |c: &mut Client| {
            let rows = c
                .query(
                    "SELECT day, changes FROM observation_days WHERE day >= $1 AND day < $2 ORDER BY day",
                    &[&from, &until],
                )
                .await?;
            rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
        })
    }

    fn kept_day(&self, name: &str, day: i64) -> Result<Option<KeptDay>, StoreError> {
        let audience = self.access.audience();
        self.with(async |c: &mut Client| {
            let row = c
                .query_opt(
                    "SELECT stamp, value FROM kept_days WHERE name = $1 AND audience = $2 AND day = $3",
                    &[&name, &audience, &day],
                )
                .await?;
            row.map(|r| Ok(KeptDay { day, stamp: r.try_get(0)?, value: r.try_get(1)? })).transpose()
        })
    }

    fn keep_days(&self, name: &str, days: &[KeptDay]) -> Result<(), StoreError> {
        if days.is_empty() {
            return Ok(());
        }
        let audience = self.access.audience();
        self.with(async |c: &mut Client| {
            let tx = c.transaction().await?;
            let stmt = tx
                .prepare(
                    "INSERT INTO kept_days (name, audience, day, stamp, value) VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (name, audience, day) DO UPDATE SET stamp = excluded.stamp, value = excluded.value",
                )
                .await?;
            for d in days {
                tx.execute(&stmt, &[&name, &audience, &d.day, &d.stamp, &d.value]).await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    fn agreement_fingerprint(&self) -> Result<Option<String>, StoreError> {
        self.with(async |c: &mut Client| {
            let row = c.query_opt("SELECT value FROM meta WHERE key = 'agreement'", &[]).await?;
            Ok(row.map(|r| r.try_get(0)).transpose()?)
        })
    }

    fn set_agreement_fingerprint(&self, fingerprint: &str) -> Result<(), StoreError> {
        self.with(async |c: &mut Client| {
            c.execute(SET_AGREEMENT, &[&fingerprint]).await?;
            Ok(())
        })
    }

    fn reclassify(
        &self,
        fingerprint: &str,
        classify: &mut dyn FnMut(&Observation) -> ClassificationRecord,
    ) -> Result<u64, StoreError> {
        self.with(async |c: &mut Client| {
            let (mut done, mut after) = (0u64, 0i64);
            loop {
                let tx = c.transaction().await?;
                let batch = tx
                    .query("SELECT seq, id, body FROM observations WHERE seq > $1 ORDER BY seq LIMIT $2", &[
                        &after,
                        &RECLASSIFY_BATCH,
                    ])
                    .await?;
                if batch.is_empty() {
                    tx.execute(SET_AGREEMENT, &[&fingerprint]).await?;
                    tx.commit().await?;
                    return Ok(done);
                }
                let (mut seqs, mut json, mut zones, mut violations) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
                for r in &batch {
                    let (seq, id, body): (i64, String, &str) = (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
                    let o: Observation = serde_json::from_str(body)
                        .map_err(|e| StoreError::Corrupt { id: id.clone(), reason: format!("body: {e}") })?;
                    let record = classify(&o);
                    json.push(
                        serde_json::to_string(&record).map_err(|e| StoreError::Corrupt { id, reason: e.to_string() })?,
                    );
                    zones.push(zone_list(&record));
                    violations.push(violation_list(&record));
                    seqs.push(seq);
                    after = seq;
                }
                tx.execute(
                    "UPDATE observations o SET classification = u.c, zones = u.z, violations = u.v
                     FROM unnest($1::int8[], $2::text[], $3::text[], $4::text[]) AS u(seq, c, z, v) WHERE o.seq = u.seq",
                    &[&seqs, &json, &zones, &violations],
                )
                .await?;
                tx.commit().await?;
                done += seqs.len() as u64;
            }
        })
    }
}
