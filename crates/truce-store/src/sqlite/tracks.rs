//! TAK tracks and geofence events: the history of every Cursor on Target event received, the latest
//! event of every uid, and the geofence events derived from a track's consecutive positions.
//!
//! The rows are plain values built by `truce-track` (which knows CoT and the agreement); the store
//! knows neither, so this crate does not depend on them. A call to [`TrackStore::insert_tracks`] is
//! one transaction on the writer connection with prepared statements, durable on return like an
//! observation batch (WAL, `synchronous = FULL`), so a server can store what a burst of clients sent
//! in one commit. The history is append-only; `track_latest` is maintained in the same transaction
//! (a row replaces the latest of its uid only if its event time is not older), which keeps
//! [`TrackStore::latest_tracks`] an index range rather than a scan of the history. Geofence events
//! have deterministic ids and are stored once: a replayed event changes nothing.

use rusqlite::params;
use time::OffsetDateTime;

use truce_access::LabelColumns;
use truce_core::{GeofenceRow, TrackRow};

use super::{SqliteStore, from_ms, to_ms};
use crate::observations::parse_cursor;
use crate::tracks::TRACK_COLUMNS;
use crate::{StoreError, TrackPage, TrackStore, TrackWindow};

fn track_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TrackRow> {
    Ok(TrackRow {
        uid: r.get(0)?,
        type_: r.get(1)?,
        how: r.get(2)?,
        callsign: r.get(3)?,
        group: r.get(4)?,
        source: r.get(5)?,
        peer: r.get(6)?,
        time: from_ms(r.get(7)?),
        start: from_ms(r.get(8)?),
        stale: from_ms(r.get(9)?),
        received_at: from_ms(r.get(10)?),
        lat: r.get(11)?,
        lon: r.get(12)?,
        hae: r.get(13)?,
        ce: r.get(14)?,
        course: r.get(15)?,
        speed: r.get(16)?,
        classification: r.get(17)?,
        xml: r.get(18)?,
        label: label(r, 19)?,
    })
}

/// The label from its three columns, starting at `first`.
pub(crate) fn label(r: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<truce_core::Label> {
    let rank: i64 = r.get(first)?;
    let rel: String = r.get(first + 1)?;
    let cats: String = r.get(first + 2)?;
    LabelColumns::label(rank, &rel, &cats).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(first, rusqlite::types::Type::Integer, format!("rank {rank}").into())
    })
}

impl TrackStore for SqliteStore {
    fn insert_tracks(&self, points: &[TrackRow], geofence: &[GeofenceRow]) -> Result<(), StoreError> {
        let mut w = self.writer();
        let tx = w.conn.transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO tracks (uid, type, how, callsign, grp, source, peer, time_ms, start_ms, stale_ms,
                     received_ms, lat, lon, hae, ce, course, speed, classification, xml, rank, rel, cats)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)",
            )?;
            let mut latest = tx.prepare_cached(
                "INSERT INTO track_latest (uid, seq, time_ms, stale_ms) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (uid) DO UPDATE SET seq = excluded.seq, time_ms = excluded.time_ms,
                     stale_ms = excluded.stale_ms
                 WHERE excluded.time_ms >= track_latest.time_ms",
            )?;
            for p in points {
                let l = LabelColumns::of(&p.label);
                let time_ms = to_ms(p.time);
                let stale_ms = to_ms(p.stale);
                insert.execute(params![
                    p.uid,
                    p.type_,
                    p.how,
                    p.callsign,
                    p.group,
                    p.source,
                    p.peer,
                    time_ms,
                    to_ms(p.start),
                    stale_ms,
                    to_ms(p.received_at),
                    p.lat,
                    p.lon,
                    p.hae,
                    p.ce,
                    p.course,
                    p.speed,
                    p.classification,
                    p.xml,
                    l.rank,
                    l.rel,
                    l.cats
                ])?;
                latest.execute(params![p.uid, tx.last_insert_rowid(), time_ms, stale_ms])?;
            }
            let mut fence = tx.prepare_cached(
                "INSERT INTO geofence_events (id, uid, callsign, track_type, kind, fence_id, fence_name, fence_kind,
                     from_side, to_side, time_ms, lat, lon, prev_lat, prev_lon, rank, rel, cats)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)
                 ON CONFLICT (id) DO NOTHING",
            )?;
            for g in geofence {
                let l = LabelColumns::of(&g.label);
                fence.execute(params![
                    g.id,
                    g.uid,
                    g.callsign,
                    g.track_type,
                    g.kind.id(),
                    g.fence_id,
                    g.fence_name,
                    g.fence_kind,
                    g.from_side,
                    g.to_side,
                    to_ms(g.time),
                    g.lat,
                    g.lon,
                    g.prev_lat,
                    g.prev_lon,
                    l.rank,
                    l.rel,
                    l.cats
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn latest_tracks(&self, now: OffsetDateTime) -> Result<Vec<TrackRow>, StoreError> {
        let r = self.reader();
        let mut stmt = r.prepare_cached(&format!(
            "SELECT {TRACK_COLUMNS} FROM track_latest l JOIN tracks t ON t.seq = l.seq
             WHERE l.stale_ms > ?1 AND t.type GLOB 'a-*' AND {} ORDER BY l.uid",
            self.visible("t.", "time_ms")
        ))?;
        let rows = stmt.query_map([to_ms(now)], track_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn track_history(&self, uid: &str, limit: usize) -> Result<Vec<TrackRow>, StoreError> {
        let r = self.reader();
        let mut stmt = r.prepare_cached(&format!(
            "SELECT {TRACK_COLUMNS} FROM tracks t WHERE t.uid = ?1 AND {} ORDER BY t.time_ms DESC, t.seq DESC LIMIT ?2",
            self.visible("t.", "time_ms")
        ))?;
        let rows = stmt.query_map(params![uid, limit.min(i64::MAX as usize) as i64], track_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn track_window(&self, w: &TrackWindow) -> Result<TrackPage, StoreError> {
        use rusqlite::types::Value;
        let limit = w.limit.clamp(1, 10_000);
        let mut clauses = vec![self.visible("t.", "time_ms"), "t.type GLOB 'a-*'".to_owned()];
        let mut args: Vec<Value> = Vec::new();
        if let Some(t) = w.since {
            args.push(Value::Integer(to_ms(t)));
            clauses.push(format!("t.time_ms >= ?{}", args.len()));
        }
        if let Some(t) = w.until {
            args.push(Value::Integer(to_ms(t)));
            clauses.push(format!("t.time_ms < ?{}", args.len()));
        }
        if let Some([west, south, east, north]) = w.bbox {
            let n = args.len();
            args.extend([west, south, east, north].map(Value::Real));
            clauses.push(format!(
                "t.lon >= ?{} AND t.lat >= ?{} AND t.lon <= ?{} AND t.lat <= ?{}",
                n + 1,
                n + 2,
                n + 3,
                n + 4
            ));
        }
        if let Some(c) = &w.cursor {
            let (t, s) = parse_cursor(c)?;
            args.extend([Value::Integer(t), Value::Integer(s)]);
            clauses.push(format!("(t.time_ms, t.seq) > (?{}, ?{})", args.len() - 1, args.len()));
        }
        // One more row than the page: whether there is a next page is known without a second query.
        args.push(Value::Integer(limit as i64 + 1));
        let r = self.reader();
        let mut stmt = r.prepare(&format!(
            "SELECT {TRACK_COLUMNS}, t.time_ms, t.seq FROM tracks t WHERE {} ORDER BY t.time_ms, t.seq LIMIT ?{}",
            clauses.join(" AND "),
            args.len()
        ))?;
        let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
        let mut page = TrackPage::default();
        let mut last = None;
        while let Some(row) = rows.next()? {
            if page.items.len() == limit {
                page.next = last.map(|(t, s): (i64, i64)| format!("{t}.{s}"));
                break;
            }
            page.items.push(track_row(row)?);
            last = Some((row.get(22)?, row.get(23)?));
        }
        Ok(page)
    }

    fn geofence_events(&self, after_seq: i64, limit: usize) -> Result<Vec<(i64, GeofenceRow)>, StoreError> {
        let r = self.reader();
        let mut stmt = r.prepare_cached(&format!(
            "SELECT seq, id, uid, callsign, track_type, kind, fence_id, fence_name, fence_kind, from_side, to_side,
                 time_ms, lat, lon, prev_lat, prev_lon, rank, rel, cats
             FROM geofence_events WHERE seq > ?1 AND {} ORDER BY seq LIMIT ?2",
            self.visible("", "time_ms")
        ))?;
        let mut rows = stmt.query(params![after_seq, limit.min(i64::MAX as usize) as i64])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let id: String = r.get(1)?;
            let kind: String = r.get(5)?;
            let kind = kind.parse().map_err(|reason| StoreError::Corrupt { id: id.clone(), reason })?;
            out.push((
                r.get(0)?,
                GeofenceRow {
                    id,
                    uid: r.get(2)?,
                    callsign: r.get(3)?,
                    track_type: r.get(4)?,
                    kind,
                    fence_id: r.get(6)?,
                    fence_name: r.get(7)?,
                    fence_kind: r.get(8)?,
                    from_side: r.get(9)?,
                    to_side: r.get(10)?,
                    time: from_ms(r.get(11)?),
                    lat: r.get(12)?,
                    lon: r.get(13)?,
                    prev_lat: r.get(14)?,
                    prev_lon: r.get(15)?,
                    label: label(r, 16)?,
                },
            ));
        }
        Ok(out)
    }
}
