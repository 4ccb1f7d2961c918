//! Track history and geofence events on PostgreSQL: the embedded store's tables and answers.
//!
//! A call to [`TrackStore::insert_tracks`] is a few set-based statements in one transaction: points go in
//! as one array per column, and the same statement upserts each uid's newest into `track_latest`.
//! Geofence events are added under a table lock, so their numbers become visible in order (SQLite has
//! one writer) and a replayed event uses none up. A window's box is also asked of the GiST index.

use time::OffsetDateTime;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Row, Transaction};
use truce_access::LabelColumns;
use truce_core::{GeofenceRow, TrackRow};

use super::{PgStore, Where};
use crate::observations::{from_ms, parse_cursor, to_ms};
use crate::tracks::TRACK_COLUMNS;
use crate::{StoreError, TrackPage, TrackStore, TrackWindow};

/// Rows per `INSERT` statement of a call (each column is one array parameter).
const INSERT_CHUNK: usize = 10_000;

/// The columns of a stored point, in the order of [`TrackColumns::params`].
const TRACK_FIELDS: &str = "uid, type, how, callsign, grp, source, peer, time_ms, start_ms, stale_ms, received_ms, \
     lat, lon, hae, ce, course, speed, classification, xml, rank, rel, cats";

/// The array types of [`TRACK_FIELDS`], as the parameters of [`TrackColumns::params`].
const TRACK_ARRAYS: &str = "$1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], \
     $8::int8[], $9::int8[], $10::int8[], $11::int8[], $12::float8[], $13::float8[], $14::float8[], $15::float8[], \
     $16::float8[], $17::float8[], $18::text[], $19::text[], $20::int4[], $21::text[], $22::text[]";

/// The columns of a geofence event, in the order of [`FenceColumns::params`] and of [`fence_from`]
/// (after `seq`).
const FENCE_FIELDS: &str = "id, uid, callsign, track_type, kind, fence_id, fence_name, fence_kind, from_side, \
     to_side, time_ms, lat, lon, prev_lat, prev_lon, rank, rel, cats";

/// The array types of [`FENCE_FIELDS`], as the parameters of [`FenceColumns::params`].
const FENCE_ARRAYS: &str = "$1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], \
     $8::text[], $9::text[], $10::text[], $11::int8[], $12::float8[], $13::float8[], $14::float8[], $15::float8[], \
     $16::int4[], $17::text[], $18::text[]";

/// Appends a chunk of points (arrival order is the arrays' order) and makes the newest of each uid
/// its latest unless a newer one is stored (a tie goes to the later arrival, as point by point).
fn insert_tracks_sql() -> String {
    format!(
        "WITH stored AS (
             INSERT INTO tracks ({TRACK_FIELDS})
             SELECT {TRACK_FIELDS} FROM unnest({TRACK_ARRAYS}) WITH ORDINALITY AS p({TRACK_FIELDS}, ord)
             ORDER BY ord
             RETURNING seq, uid, time_ms, stale_ms)
         INSERT INTO track_latest (uid, seq, time_ms, stale_ms)
         SELECT DISTINCT ON (uid) uid, seq, time_ms, stale_ms FROM stored ORDER BY uid, time_ms DESC, seq DESC
         ON CONFLICT (uid) DO UPDATE SET seq = excluded.seq, time_ms = excluded.time_ms, stale_ms = excluded.stale_ms
         WHERE excluded.time_ms >= track_latest.time_ms"
    )
}

/// Adds the geofence events of a chunk whose id is not stored yet (the first of a repeated id wins),
/// in the arrays' order. Every event offered takes a number, stored or not, as in the embedded store
/// (SQLite's AUTOINCREMENT spends one on a conflict too), so both backends number alike; run under the
/// table lock, so that numbers are committed in order.
fn insert_fences_sql() -> String {
    format!(
        "INSERT INTO geofence_events ({FENCE_FIELDS})
         SELECT {FENCE_FIELDS} FROM unnest({FENCE_ARRAYS}) WITH ORDINALITY AS g({FENCE_FIELDS}, ord)
         ORDER BY ord
         ON CONFLICT (id) DO NOTHING"
    )
}

/// The label rank as the `integer` column holds it.
pub(super) fn rank_column(l: &LabelColumns, what: &str) -> Result<i32, StoreError> {
    i32::try_from(l.rank)
        .map_err(|_| StoreError::Invalid { id: what.to_owned(), reason: format!("classification rank {}", l.rank) })
}

/// A chunk of points as one array per column.
#[derive(Default)]
struct TrackColumns<'a> {
    uid: Vec<&'a str>,
    type_: Vec<&'a str>,
    how: Vec<&'a str>,
    callsign: Vec<Option<&'a str>>,
    group: Vec<Option<&'a str>>,
    source: Vec<&'a str>,
    peer: Vec<&'a str>,
    time: Vec<i64>,
    start: Vec<i64>,
    stale: Vec<i64>,
    received: Vec<i64>,
    lat: Vec<f64>,
    lon: Vec<f64>,
    hae: Vec<f64>,
    ce: Vec<f64>,
    course: Vec<Option<f64>>,
    speed: Vec<Option<f64>>,
    classification: Vec<Option<&'a str>>,
    xml: Vec<&'a str>,
    rank: Vec<i32>,
    rel: Vec<String>,
    cats: Vec<String>,
}

impl<'a> TrackColumns<'a> {
    /// The columns of `points`, in their order.
    fn of(points: &'a [TrackRow]) -> Result<Self, StoreError> {
        let mut c = Self::default();
        for p in points {
            let l = LabelColumns::of(&p.label);
            c.rank.push(rank_column(&l, &p.uid)?);
            c.rel.push(l.rel);
            c.cats.push(l.cats);
            c.uid.push(&p.uid);
            c.type_.push(&p.type_);
            c.how.push(&p.how);
            c.callsign.push(p.callsign.as_deref());
            c.group.push(p.group.as_deref());
            c.source.push(&p.source);
            c.peer.push(&p.peer);
            c.time.push(to_ms(p.time));
            c.start.push(to_ms(p.start));
            c.stale.push(to_ms(p.stale));
            c.received.push(to_ms(p.received_at));
            c.lat.push(p.lat);
            c.lon.push(p.lon);
            c.hae.push(p.hae);
            c.ce.push(p.ce);
            c.course.push(p.course);
            c.speed.push(p.speed);
            c.classification.push(p.classification.as_deref());
            c.xml.push(&p.xml);
        }
        Ok(c)
    }

    /// The arrays in the order of [`TRACK_FIELDS`].
    fn params(&self) -> [&(dyn ToSql + Sync); 22] {
        [
            &self.uid,
            &self.type_,
            &self.how,
            &self.callsign,
            &self.group,
            &self.source,
            &self.peer,
            &self.time,
            &self.start,
            &self.stale,
            &self.received,
            &self.lat,
            &self.lon,
            &self.hae,
            &self.ce,
            &self.course,
            &self.speed,
            &self.classification,
            &self.xml,
            &self.rank,
            &self.rel,
            &self.cats,
        ]
    }
}

/// A chunk of geofence events as one array per column.
#[derive(Default)]
struct FenceColumns<'a> {
    id: Vec<&'a str>,
    uid: Vec<&'a str>,
    callsign: Vec<&'a str>,
    track_type: Vec<&'a str>,
    kind: Vec<&'static str>,
    fence_id: Vec<&'a str>,
    fence_name: Vec<&'a str>,
    fence_kind: Vec<&'a str>,
    from_side: Vec<Option<&'a str>>,
    to_side: Vec<Option<&'a str>>,
    time: Vec<i64>,
    lat: Vec<f64>,
    lon: Vec<f64>,
    prev_lat: Vec<Option<f64>>,
    prev_lon: Vec<Option<f64>>,
    rank: Vec<i32>,
    rel: Vec<String>,
    cats: Vec<String>,
}

impl<'a> FenceColumns<'a> {
    /// The columns of `events`, in their order.
    fn of(events: &'a [GeofenceRow]) -> Result<Self, StoreError> {
        let mut c = Self::default();
        for g in events {
            let l = LabelColumns::of(&g.label);
            c.rank.push(rank_column(&l, &g.id)?);
            c.rel.push(l.rel);
            c.cats.push(l.cats);
            c.id.push(&g.id);
            c.uid.push(&g.uid);
            c.callsign.push(&g.callsign);
            c.track_type.push(&g.track_type);
            c.kind.push(g.kind.id());
            c.fence_id.push(&g.fence_id);
            c.fence_name.push(&g.fence_name);
            c.fence_kind.push(&g.fence_kind);
            c.from_side.push(g.from_side.as_deref());
            c.to_side.push(g.to_side.as_deref());
            c.time.push(to_ms(g.time));
            c.lat.push(g.lat);
            c.lon.push(g.lon);
            c.prev_lat.push(g.prev_lat);
            c.prev_lon.push(g.prev_lon);
        }
        Ok(c)
    }

    /// The arrays in the order of [`FENCE_FIELDS`].
    fn params(&self) -> [&(dyn ToSql + Sync); 18] {
        [
            &self.id,
            &self.uid,
            &self.callsign,
            &self.track_type,
            &self.kind,
            &self.fence_id,
            &self.fence_name,
            &self.fence_kind,
            &self.from_side,
            &self.to_side,
            &self.time,
            &self.lat,
            &self.lon,
            &self.prev_lat,
            &self.prev_lon,
            &self.rank,
            &self.rel,
            &self.cats,
        ]
    }
}

/// The columns of [`TRACK_COLUMNS`] from `row` as a point.
fn track_from(row: &Row) -> Result<TrackRow, StoreError> {
    let uid: String = row.try_get(0)?;
    let label = super::label(row, 19, &format!("track {uid}"))?;
    Ok(TrackRow {
        type_: row.try_get(1)?,
        how: row.try_get(2)?,
        callsign: row.try_get(3)?,
        group: row.try_get(4)?,
        source: row.try_get(5)?,
        peer: row.try_get(6)?,
        time: from_ms(row.try_get(7)?),
        start: from_ms(row.try_get(8)?),
        stale: from_ms(row.try_get(9)?),
        received_at: from_ms(row.try_get(10)?),
        lat: row.try_get(11)?,
        lon: row.try_get(12)?,
        hae: row.try_get(13)?,
        ce: row.try_get(14)?,
        course: row.try_get(15)?,
        speed: row.try_get(16)?,
        classification: row.try_get(17)?,
        xml: row.try_get(18)?,
        label,
        uid,
    })
}

/// `seq` and the columns of [`FENCE_FIELDS`] from `row` as a numbered geofence event.
fn fence_from(row: &Row) -> Result<(i64, GeofenceRow), StoreError> {
    let id: String = row.try_get(1)?;
    let kind: String = row.try_get(5)?;
    let kind = kind.parse().map_err(|reason| StoreError::Corrupt { id: id.clone(), reason })?;
    let label = super::label(row, 16, &id)?;
    let event = GeofenceRow {
        uid: row.try_get(2)?,
        callsign: row.try_get(3)?,
        track_type: row.try_get(4)?,
        kind,
        fence_id: row.try_get(6)?,
        fence_name: row.try_get(7)?,
        fence_kind: row.try_get(8)?,
        from_side: row.try_get(9)?,
        to_side: row.try_get(10)?,
        time: from_ms(row.try_get(11)?),
        lat: row.try_get(12)?,
        lon: row.try_get(13)?,
        prev_lat: row.try_get(14)?,
        prev_lon: row.try_get(15)?,
        label,
        id,
    };
    Ok((row.try_get(0)?, event))
}

/// A row count as a `LIMIT` takes it.
fn limit_param(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

/// Appends a chunk of points (see [`insert_tracks_sql`]).
async fn insert_points(tx: &Transaction<'_>, points: &[TrackRow]) -> Result<(), StoreError> {
    let columns = TrackColumns::of(points)?;
    tx.execute(&insert_tracks_sql(), &columns.params()).await?;
    Ok(())
}

/// Adds the geofence events not stored yet, holding the table against other writers until the
/// transaction ends (see the module documentation).
async fn insert_fences(tx: &Transaction<'_>, events: &[GeofenceRow]) -> Result<(), StoreError> {
    tx.batch_execute("LOCK TABLE geofence_events IN SHARE ROW EXCLUSIVE MODE").await?;
    let sql = insert_fences_sql();
    for chunk in events.chunks(INSERT_CHUNK) {
        let columns = FenceColumns::of(chunk)?;
        tx.execute(&sql, &columns.params()).await?;
    }
    Ok(())
}

impl PgStore {
    /// The points a statement with `params` finds.
    fn read_tracks(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<TrackRow>, StoreError> {
        let rows = self.with(async |c: &mut Client| Ok::<_, StoreError>(c.query(sql, params).await?))?;
        rows.iter().map(track_from).collect()
    }
}

impl TrackStore for PgStore {
    fn insert_tracks(&self, points: &[TrackRow], geofence: &[GeofenceRow]) -> Result<(), StoreError> {
        self.with(async |c: &mut Client| {
            let tx = c.transaction().await?;
            for chunk in points.chunks(INSERT_CHUNK) {
                insert_points(&tx, chunk).await?;
            }
            if !geofence.is_empty() {
                insert_fences(&tx, geofence).await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    fn latest_tracks(&self, now: OffsetDateTime) -> Result<Vec<TrackRow>, StoreError> {
        let sql = format!(
            "SELECT {TRACK_COLUMNS} FROM track_latest l JOIN tracks t ON t.seq = l.seq
             WHERE l.stale_ms > $1 AND t.type LIKE 'a-%' AND {} ORDER BY l.uid",
            self.visible("t.", "time_ms")
        );
        self.read_tracks(&sql, &[&to_ms(now)])
    }

    fn track_history(&self, uid: &str, limit: usize) -> Result<Vec<TrackRow>, StoreError> {
        let sql = format!(
            "SELECT {TRACK_COLUMNS} FROM tracks t WHERE t.uid = $1 AND {}
             ORDER BY t.time_ms DESC, t.seq DESC LIMIT $2",
            self.visible("t.", "time_ms")
        );
        self.read_tracks(&sql, &[&uid, &limit_param(limit)])
    }

    fn track_window(&self, w: &TrackWindow) -> Result<TrackPage, StoreError> {
        let limit = w.limit.clamp(1, 10_000);
        let mut q = Where {
            clauses: vec![self.visible("t.", "time_ms"), "t.type LIKE 'a-%'".to_owned()],
            ..Default::default()
        };
        if let Some(t) = w.since {
            let p = q.param(to_ms(t));
            q.clauses.push(format!("t.time_ms >= {p}"));
        }
        if let Some(t) = w.until {
            let p = q.param(to_ms(t));
            q.clauses.push(format!("t.time_ms < {p}"));
        }
        if let Some(b) = w.bbox {
            q.inside_box("t", b);
        }
        if let Some(c) = &w.cursor {
            let (t, s) = parse_cursor(c)?;
            let (t, s) = (q.param(t), q.param(s));
            q.clauses.push(format!("(t.time_ms, t.seq) > ({t}, {s})"));
        }
        // One more row than the page: whether there is a next page is known without a second query.
        let fetch = q.param(limit_param(limit + 1));
        let sql = format!(
            "SELECT {TRACK_COLUMNS}, t.time_ms, t.seq FROM tracks t WHERE {} ORDER BY t.time_ms, t.seq LIMIT {fetch}",
            q.clauses.join(" AND ")
        );
        let params = q.refs();
        let rows = self.with(async |c: &mut Client| Ok::<_, StoreError>(c.query(&sql, &params).await?))?;
        let mut page = TrackPage::default();
        for row in rows.iter().take(limit) {
            page.items.push(track_from(row)?);
        }
        if rows.len() > limit {
            let last = &rows[limit - 1];
            page.next = Some(format!("{}.{}", last.try_get::<_, i64>(22)?, last.try_get::<_, i64>(23)?));
        }
        Ok(page)
    }

    fn geofence_events(&self, after_seq: i64, limit: usize) -> Result<Vec<(i64, GeofenceRow)>, StoreError> {
        let sql = format!(
            "SELECT seq, {FENCE_FIELDS} FROM geofence_events WHERE seq > $1 AND {} ORDER BY seq LIMIT $2",
            self.visible("", "time_ms")
        );
        let rows = self.with(async |c: &mut Client| {
            Ok::<_, StoreError>(c.query(&sql, &[&after_seq, &limit_param(limit)]).await?)
        })?;
        rows.iter().map(fence_from).collect()
    }
}
