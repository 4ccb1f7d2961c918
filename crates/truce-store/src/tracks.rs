//! TAK tracks and geofence events: the history of every Cursor on Target event received, the latest
//! event of every uid, and the geofence events derived from a track's consecutive positions.
//!
//! The rows are plain values built by `truce-track` (which knows CoT and the agreement); the store
//! knows neither, so this crate does not depend on them. A call to [`SqliteStore::insert_tracks`] is
//! one transaction on the writer connection with prepared statements, durable on return like an
//! observation batch (WAL, `synchronous = FULL`), so a server can store what a burst of clients sent
//! in one commit. The history is append-only; `track_latest` is maintained in the same transaction
//! (a row replaces the latest of its uid only if its event time is not older), which keeps
//! [`SqliteStore::latest_tracks`] an index range rather than a scan of the history. Geofence events
//! have deterministic ids and are stored once: a replayed event changes nothing.

use rusqlite::params;
use time::OffsetDateTime;

use crate::sqlite::{from_ms, to_ms};
use crate::{SqliteStore, StoreError};

/// One received CoT event, as stored in the track history.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackRow {
    /// `event@uid`.
    pub uid: String,
    /// `event@type`, such as `a-f-G-U-C`.
    pub type_: String,
    /// `event@how`, such as `m-g`.
    pub how: String,
    /// `<contact callsign>`, if any.
    pub callsign: Option<String>,
    /// `<__group name>`, if any.
    pub group: Option<String>,
    /// The identity of the client that sent it (certificate CN or contact callsign).
    pub source: String,
    /// The connection it arrived on, such as `tcp:127.0.0.1:5555`.
    pub peer: String,
    /// `event@time`.
    pub time: OffsetDateTime,
    /// `event@start`.
    pub start: OffsetDateTime,
    /// `event@stale`.
    pub stale: OffsetDateTime,
    /// When the server received it.
    pub received_at: OffsetDateTime,
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Height above the ellipsoid, metres (9999999 unknown).
    pub hae: f64,
    /// Circular error, metres (9999999 unknown).
    pub ce: f64,
    /// `<track course>`, degrees from true north.
    pub course: Option<f64>,
    /// `<track speed>`, metres per second.
    pub speed: Option<f64>,
    /// The position classified against the agreement, as JSON: `{"lines": {"<line>": {"distance_m",
    /// "side"}}, "zones": [...]}`; `None` when the event has no position.
    pub classification: Option<String>,
    /// The whole event as CoT XML.
    pub xml: String,
}

/// What a geofence event says about a track and a fence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GeofenceKind {
    /// The previous position was outside the zone, the current one is inside.
    Enter,
    /// The previous position was inside the zone, the current one is outside.
    Exit,
    /// The first position seen of the track is inside the zone.
    Inside,
    /// Both positions are outside the zone but the segment between them passes through it; or the
    /// track changed sides of a line.
    Cross,
}

impl GeofenceKind {
    /// Every kind.
    pub const ALL: &'static [GeofenceKind] =
        &[GeofenceKind::Enter, GeofenceKind::Exit, GeofenceKind::Inside, GeofenceKind::Cross];

    /// The stable identifier (`enter`, `exit`, `inside`, `cross`).
    pub const fn id(self) -> &'static str {
        match self {
            GeofenceKind::Enter => "enter",
            GeofenceKind::Exit => "exit",
            GeofenceKind::Inside => "inside",
            GeofenceKind::Cross => "cross",
        }
    }
}

impl std::str::FromStr for GeofenceKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        GeofenceKind::ALL
            .iter()
            .copied()
            .find(|k| k.id() == s)
            .ok_or_else(|| format!("{s:?} is not one of: enter, exit, inside, cross"))
    }
}

impl std::fmt::Display for GeofenceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

/// A geofence event: a track entered, left, was first seen inside or crossed a zone, or crossed a
/// line of the agreement.
#[derive(Debug, Clone, PartialEq)]
pub struct GeofenceRow {
    /// Deterministic id: `gf-<uid>-<unix ms>-<fence id>-<kind>`.
    pub id: String,
    /// The track's uid.
    pub uid: String,
    /// The track's callsign (its uid when it has none).
    pub callsign: String,
    /// The track's CoT type.
    pub track_type: String,
    /// What happened.
    pub kind: GeofenceKind,
    /// The zone or line id.
    pub fence_id: String,
    /// The zone or line name.
    pub fence_name: String,
    /// The zone's kind id (`force_standoff`, `disengagement_area`, ...), or `line`.
    pub fence_kind: String,
    /// For a line crossing, the party whose ground the track left.
    pub from_side: Option<String>,
    /// For a line crossing, the party whose ground the track entered.
    pub to_side: Option<String>,
    /// The event time of the current position.
    pub time: OffsetDateTime,
    /// Current latitude, degrees.
    pub lat: f64,
    /// Current longitude, degrees.
    pub lon: f64,
    /// Previous latitude, degrees (`None` for [`GeofenceKind::Inside`]).
    pub prev_lat: Option<f64>,
    /// Previous longitude, degrees.
    pub prev_lon: Option<f64>,
}

const TRACK_COLUMNS: &str = "t.uid, t.type, t.how, t.callsign, t.grp, t.source, t.peer, t.time_ms, t.start_ms, \
     t.stale_ms, t.received_ms, t.lat, t.lon, t.hae, t.ce, t.course, t.speed, t.classification, t.xml";

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
    })
}

impl SqliteStore {
    /// Appends track points to the history (updating the latest event of each uid) and stores
    /// geofence events, ignoring those whose id is already stored; all in one transaction, durable
    /// on return.
    ///
    /// # Errors
    /// When the database fails; nothing of the call is stored then.
    pub fn insert_tracks(&self, points: &[TrackRow], geofence: &[GeofenceRow]) -> Result<(), StoreError> {
        let mut w = self.writer();
        let tx = w.conn.transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO tracks (uid, type, how, callsign, grp, source, peer, time_ms, start_ms, stale_ms,
                     received_ms, lat, lon, hae, ce, course, speed, classification, xml)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
            )?;
            let mut latest = tx.prepare_cached(
                "INSERT INTO track_latest (uid, seq, time_ms, stale_ms) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (uid) DO UPDATE SET seq = excluded.seq, time_ms = excluded.time_ms,
                     stale_ms = excluded.stale_ms
                 WHERE excluded.time_ms >= track_latest.time_ms",
            )?;
            for p in points {
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
                    p.xml
                ])?;
                latest.execute(params![p.uid, tx.last_insert_rowid(), time_ms, stale_ms])?;
            }
            let mut fence = tx.prepare_cached(
                "INSERT INTO geofence_events (id, uid, callsign, track_type, kind, fence_id, fence_name, fence_kind,
                     from_side, to_side, time_ms, lat, lon, prev_lat, prev_lon)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
                 ON CONFLICT (id) DO NOTHING",
            )?;
            for g in geofence {
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
                    g.prev_lon
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The live picture: the latest event of every uid whose `stale` is after `now`, atom types
    /// (`a-*`: units, equipment, people, markers) only, ordered by uid.
    ///
    /// # Errors
    /// When the database fails.
    pub fn latest_tracks(&self, now: OffsetDateTime) -> Result<Vec<TrackRow>, StoreError> {
        let r = self.reader();
        let mut stmt = r.prepare_cached(&format!(
            "SELECT {TRACK_COLUMNS} FROM track_latest l JOIN tracks t ON t.seq = l.seq
             WHERE l.stale_ms > ?1 AND t.type GLOB 'a-*' ORDER BY l.uid"
        ))?;
        let rows = stmt.query_map([to_ms(now)], track_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The history of one uid, newest first (by event time, then arrival), at most `limit` rows.
    ///
    /// # Errors
    /// When the database fails.
    pub fn track_history(&self, uid: &str, limit: usize) -> Result<Vec<TrackRow>, StoreError> {
        let r = self.reader();
        let mut stmt = r.prepare_cached(&format!(
            "SELECT {TRACK_COLUMNS} FROM tracks t WHERE t.uid = ?1 ORDER BY t.time_ms DESC, t.seq DESC LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![uid, limit.min(i64::MAX as usize) as i64], track_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Geofence events stored after sequence number `after_seq` (0 for all), in order, at most
    /// `limit`, each with its sequence number: a client that was away asks again with the last
    /// number it saw.
    ///
    /// # Errors
    /// When the database fails or a stored kind is not one this program knows.
    pub fn geofence_events(&self, after_seq: i64, limit: usize) -> Result<Vec<(i64, GeofenceRow)>, StoreError> {
        let r = self.reader();
        let mut stmt = r.prepare_cached(
            "SELECT seq, id, uid, callsign, track_type, kind, fence_id, fence_name, fence_kind, from_side, to_side,
                 time_ms, lat, lon, prev_lat, prev_lon
             FROM geofence_events WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )?;
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
                },
            ));
        }
        Ok(out)
    }
}
