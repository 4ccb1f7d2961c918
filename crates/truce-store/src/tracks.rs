//! TAK tracks and geofence events: the [`TrackStore`] contract.
//!
//! The history is append-only: every Cursor on Target event received is a row. The latest event of
//! each uid is the one with the newest event time (a late report stays in the history but does not
//! replace a newer position), and the live picture is the latest event of every uid that is not yet
//! stale. Geofence events have deterministic ids and are stored once, so a replayed event changes
//! nothing; each gets a sequence number that clients catch up from.
//!
//! For replay, [`TrackStore::track_window`] reads every uid's points in a time window, oldest first,
//! paged by a keyset cursor over (event time, arrival), so a page never skips or repeats a point while
//! others are being stored.

use time::OffsetDateTime;
use truce_core::{GeofenceRow, TrackRow};

use crate::StoreError;

/// A window of the track history for [`TrackStore::track_window`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrackWindow {
    /// Points whose event time is at or after this.
    pub since: Option<OffsetDateTime>,
    /// Points whose event time is before this.
    pub until: Option<OffsetDateTime>,
    /// West, south, east, north, degrees (edges included).
    pub bbox: Option<[f64; 4]>,
    /// Page size (1 to 10,000).
    pub limit: usize,
    /// Continue after this cursor (a previous [`TrackPage::next`]).
    pub cursor: Option<String>,
}

/// One page of the track history, oldest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrackPage {
    /// The points.
    pub items: Vec<TrackRow>,
    /// Cursor for the next page, if there may be more.
    pub next: Option<String>,
}

/// Persistence for track history and geofence events. See the module documentation.
pub trait TrackStore: Send + Sync {
    /// Appends track points to the history (updating the latest event of each uid) and stores
    /// geofence events, ignoring those whose id is already stored; all in one transaction, durable
    /// on return.
    ///
    /// # Errors
    /// When the database fails; nothing of the call is stored then.
    fn insert_tracks(&self, points: &[TrackRow], geofence: &[GeofenceRow]) -> Result<(), StoreError>;

    /// The live picture: the latest event of every uid whose `stale` is after `now`, atom types
    /// (`a-*`: units, equipment, people, markers) only, ordered by uid.
    ///
    /// # Errors
    /// When the database fails.
    fn latest_tracks(&self, now: OffsetDateTime) -> Result<Vec<TrackRow>, StoreError>;

    /// The history of one uid, newest first (by event time, then arrival), at most `limit` rows.
    ///
    /// # Errors
    /// When the database fails.
    fn track_history(&self, uid: &str, limit: usize) -> Result<Vec<TrackRow>, StoreError>;

    /// The reader's points of every uid in the window, atom types (`a-*`, as the live picture) only,
    /// oldest first (by event time, then arrival).
    ///
    /// # Errors
    /// When the database fails or the cursor is invalid ([`StoreError::BadCursor`]).
    fn track_window(&self, w: &TrackWindow) -> Result<TrackPage, StoreError>;

    /// Geofence events stored after sequence number `after_seq` (0 for all), in order, at most
    /// `limit`, each with its sequence number: a client that was away asks again with the last
    /// number it saw.
    ///
    /// # Errors
    /// When the database fails or a stored kind is not one this program knows.
    fn geofence_events(&self, after_seq: i64, limit: usize) -> Result<Vec<(i64, GeofenceRow)>, StoreError>;
}

/// The columns of a point (`tracks` as `t`) that a [`TrackRow`] is read from: 22, the label's three
/// from column 19.
pub(crate) const TRACK_COLUMNS: &str = "t.uid, t.type, t.how, t.callsign, t.grp, t.source, t.peer, t.time_ms, t.start_ms, \
     t.stale_ms, t.received_ms, t.lat, t.lon, t.hae, t.ce, t.course, t.speed, t.classification, t.xml, t.rank, t.rel, \
     t.cats";
