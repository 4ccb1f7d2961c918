//! Observations: the [`ObservationStore`] contract, its queries and the stored form of a row.
//!
//! An insert is all or nothing and idempotent: an id already stored with the same content (as any of
//! its versions) is reported as a duplicate and left as it is, so a client that resends after a lost
//! answer stores nothing twice; the same id with different content is a [`StoreError::Conflict`] that
//! names the fields that differ, and nothing of the batch is stored.
//!
//! Corrections ([`ObservationStore::revise`]): an observation is amended (a new version replaces it)
//! or withdrawn (it leaves every list and count), never deleted, and only against the version the
//! writer last read, so two people correcting the same report cannot overwrite each other unseen. Every
//! version is kept with who made it, when and why ([`ObservationStore::history`]); lists, counts and
//! [`ObservationStore::get`] read the current version of what is not withdrawn. Queries combine
//! their filters with AND and page by a keyset cursor over (time, insertion order), so a page never
//! skips or repeats a row while others are being inserted. A changed agreement is applied by
//! [`ObservationStore::reclassify`], which rewrites every stored classification and records the
//! agreement's fingerprint last, so an interrupted run is redone.
//!
//! [`EncodedRow`] is an observation already serialised for storage (JSON bodies, the delimited zone
//! and violation lists the filters search): bulk loads encode on the reading thread and hand the
//! writer only the database's own work ([`ObservationStore::insert_encoded`]).

use std::collections::BTreeMap;

use time::OffsetDateTime;
use truce_core::{Category, ClassificationRecord, Marking, Means, Observation, StoredObservation};

use crate::StoreError;

/// What an insert did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InsertReport {
    /// Ids stored by this call.
    pub inserted: Vec<String>,
    /// Ids that were already stored with this content (nothing changed for them).
    pub duplicates: Vec<String>,
}

/// An id already stored with other content: the fields (top-level keys of the observation's JSON
/// form) whose values differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The observation's id.
    pub id: String,
    /// The fields that differ from the stored current version, in the observation's field order.
    pub fields: Vec<String>,
}

impl std::fmt::Display for Conflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "observation {:?} is already stored with other content (differs in: {})",
            self.id,
            self.fields.join(", ")
        )
    }
}

/// What a version of an observation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// The first version, as recorded.
    Recorded,
    /// A correction replaced the previous version.
    Amended,
    /// The observation was withdrawn (it stays in the history, out of every list and count).
    Withdrawn,
}

impl Change {
    /// The stable id: `recorded`, `amended`, `withdrawn`.
    pub fn id(self) -> &'static str {
        match self {
            Self::Recorded => "recorded",
            Self::Amended => "amended",
            Self::Withdrawn => "withdrawn",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        [Self::Recorded, Self::Amended, Self::Withdrawn].into_iter().find(|c| c.id() == s)
    }
}

/// One version of an observation.
#[derive(Debug, Clone, PartialEq)]
pub struct Revision {
    /// 1 for the first version.
    pub version: u32,
    /// What this version did.
    pub change: Change,
    /// When it was made.
    pub at: OffsetDateTime,
    /// Who made it: a user, or the source that imported it (`''` when not known, for observations
    /// stored before versions were kept).
    pub by: String,
    /// Why (`''` for the first version).
    pub reason: String,
    /// The observation as this version had it (a withdrawal keeps the last content).
    pub stored: StoredObservation,
}

/// A correction to one observation, for [`ObservationStore::revise`].
#[derive(Debug, Clone)]
pub struct Revise<'a> {
    /// The observation.
    pub id: &'a str,
    /// The version the writer read and corrects; another current version is a
    /// [`StoreError::Stale`].
    pub expected: u32,
    /// Who corrects it.
    pub by: &'a str,
    /// Why (required: a correction without a reason cannot be judged later).
    pub reason: &'a str,
    /// When.
    pub at: OffsetDateTime,
    /// The new content (same id), or `None` to withdraw the observation.
    pub amended: Option<&'a EncodedRow>,
}

/// A change made after some instant to an observation of a time window
/// ([`ObservationStore::revisions_since`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Correction {
    /// The observation's id.
    pub id: String,
    /// Its current version.
    pub version: u32,
    /// What the latest change did.
    pub change: Change,
    /// When the latest change was made.
    pub at: OffsetDateTime,
    /// Who made it.
    pub by: String,
    /// Why.
    pub reason: String,
    /// The classification of its current version (a public report lists only what it may show).
    pub marking: Marking,
}

/// Filters for [`ObservationStore::query`] and [`ObservationStore::stats`]; all optional, combined
/// with AND.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Query {
    /// Observations whose time is at or after this.
    pub since: Option<OffsetDateTime>,
    /// Observations whose time is before this.
    pub until: Option<OffsetDateTime>,
    /// Observations the store received at or after this (whatever their own time): for catching up
    /// after a disconnection, when late reports carry old times.
    pub received_since: Option<OffsetDateTime>,
    /// West, south, east, north, degrees (edges included).
    pub bbox: Option<[f64; 4]>,
    /// Within `km` of (`lat`, `lon`): the exact geodesic distance on WGS84 (Karney).
    pub near: Option<(f64, f64, f64)>,
    /// Inside this polygon or on its edge, in the longitude/latitude plane (a map's drawn area).
    pub polygon: Option<truce_geo::Polygon>,
    /// Inside this named area (an early-warning sector), decided exactly on the rows its box leaves.
    pub within: Option<Within>,
    /// Any of these categories (empty: every category).
    pub category: Vec<Category>,
    /// With a violation of any of these codes (empty: with or without violations).
    pub violation: Vec<String>,
    /// Inside this zone.
    pub zone: Option<String>,
    /// Observed by any of these means (empty: any means).
    pub means: Vec<Means>,
    /// Attributed to any of these parties (agreement party ids); `None` in the list selects the
    /// observations attributed to no party (empty: any attribution).
    pub party: Vec<Option<String>>,
    /// Classified at any of these levels (empty: any level the reader may see).
    pub marking: Vec<Marking>,
    /// Only what this access permits as well (the API's `nation`: releasable to a nation, read as a
    /// viewer of that nation with the caller's clearance and categories would). It narrows the store
    /// handle's own access, never widens it: both predicates apply.
    pub releasable: Option<truce_access::Access>,
    /// Page size (at most [`MAX_PAGE`]).
    pub limit: usize,
    /// Continue after this cursor (from a previous [`Page::next`]).
    pub cursor: Option<String>,
}

impl Query {
    /// The filters decided exactly on a position, beyond any box: the geodesic distance of `near`,
    /// the polygon and the named area.
    pub fn covers_exactly(&self, lat: f64, lon: f64) -> bool {
        let p = truce_geo::LonLat::new(lon, lat);
        self.near.is_none_or(|(clat, clon, km)| {
            truce_geo::geodesic::distance_m(truce_geo::LonLat::new(clon, clat), p) <= km * 1000.0
        }) && self.polygon.as_ref().is_none_or(|poly| poly.covers(p))
            && self.within.as_ref().is_none_or(|w| w.area.covers(p))
    }

    /// Whether a track's report passes the query's area filters (`bbox`, `near`, `polygon`, `within`),
    /// its `means` (the track's, [`truce_core::TrackRow::means`]) and its label filters (`marking`,
    /// `releasable`, on the report's time). The filters only an observation has (times, category,
    /// violation, zone, party) are not read: a caller that takes tracks does not offer them.
    pub fn admits_track(&self, p: &truce_core::TrackRow) -> bool {
        self.bbox.is_none_or(|[w, s, e, n]| (w..=e).contains(&p.lon) && (s..=n).contains(&p.lat))
            && self.covers_exactly(p.lat, p.lon)
            && (self.means.is_empty() || self.means.contains(&p.means()))
            && (self.marking.is_empty() || self.marking.contains(&p.label.marking))
            && self.releasable.as_ref().is_none_or(|a| a.permits(&p.label, p.time))
    }
}

/// A named [`truce_geo::Area`] for [`Query::within`]. Two are the same filter when their names are.
#[derive(Debug, Clone)]
pub struct Within {
    /// What the area is called (a sector's id).
    pub name: String,
    /// The area.
    pub area: std::sync::Arc<dyn truce_geo::Area>,
}

impl PartialEq for Within {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

/// Largest page a query returns.
pub const MAX_PAGE: usize = 10_000;

/// One page of results, oldest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page {
    /// The observations.
    pub items: Vec<StoredObservation>,
    /// Cursor for the next page, if there may be more.
    pub next: Option<String>,
}

/// Counts for the filters of a [`Query`] (paging fields ignored).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Stats {
    /// Observations.
    pub total: u64,
    /// Observations per category.
    pub by_category: BTreeMap<String, u64>,
    /// Violations per code.
    pub by_violation: BTreeMap<String, u64>,
    /// Observations per zone.
    pub by_zone: BTreeMap<String, u64>,
    /// Observations per UTC day (`YYYY-MM-DD`).
    pub by_day: BTreeMap<String, u64>,
}

/// Persistence for observations. See the module documentation.
pub trait ObservationStore: Send + Sync {
    /// Stores a batch, all or nothing; ids already stored are reported as duplicates and left as they
    /// are. Returns after the commit is durable.
    ///
    /// # Errors
    /// When an observation cannot be stored (a position that is not a finite number) or the database
    /// fails; nothing of the batch is stored then.
    fn insert(&self, batch: &[StoredObservation]) -> Result<InsertReport, StoreError> {
        let rows = batch.iter().map(EncodedRow::new).collect::<Result<Vec<_>, _>>()?;
        self.insert_encoded(&rows)
    }

    /// Stores encoded rows, all or nothing, like [`ObservationStore::insert`]; for bulk loads that
    /// encode on another thread ([`EncodedRow::new`]).
    ///
    /// # Errors
    /// When the database fails; nothing of the batch is stored then.
    fn insert_encoded(&self, rows: &[EncodedRow]) -> Result<InsertReport, StoreError>;

    /// Before a bulk load: when no observation is stored yet, drops the indexes that are faster built
    /// once after the rows than grown row by row (PostgreSQL's spatial index; the embedded store's
    /// unique index of ids, whose keys come in random order); `true` when it did. Reads stay correct
    /// meanwhile, only slower, and so does every insert's check of its id: the embedded store keeps
    /// the ids the load stored in memory until its index is built (up to two million, then it builds
    /// it and goes on with it). [`ObservationStore::build_indexes`] builds them again, and so does the
    /// next open of a store whose load was interrupted. Meant for one loading writer: another process
    /// that inserts into the embedded store meanwhile gets an error (nothing of its batch stored).
    ///
    /// # Errors
    /// When the database fails.
    fn defer_indexes(&self) -> Result<bool, StoreError> {
        Ok(false)
    }

    /// Builds the indexes [`ObservationStore::defer_indexes`] dropped (nothing when they exist), and
    /// where the database plans with statistics (PostgreSQL), gathers them for the loaded rows.
    ///
    /// # Errors
    /// When the database fails.
    fn build_indexes(&self) -> Result<(), StoreError> {
        Ok(())
    }

    /// One observation by id.
    ///
    /// # Errors
    /// When the database fails.
    fn get(&self, id: &str) -> Result<Option<StoredObservation>, StoreError>;

    /// A page of observations matching `q`, ordered by time then insertion.
    ///
    /// # Errors
    /// When the database fails or the cursor is invalid ([`StoreError::BadCursor`]).
    fn query(&self, q: &Query) -> Result<Page, StoreError>;

    /// Counts for the observations matching `q`.
    ///
    /// # Errors
    /// When the database fails.
    fn stats(&self, q: &Query) -> Result<Stats, StoreError>;

    /// How often the observations of each UTC day in `[from, until)` changed (days since the Unix
    /// epoch, `floor(time / 1 d)`), for the days that ever held one, in day order. The database keeps
    /// the counters itself (triggers): every insert, amendment, withdrawal or reclassification of an
    /// observation bumps the counter of its day (both days when an amendment moves it), whoever
    /// wrote it and through whichever node. A reader that keeps something derived from a day's
    /// observations keyed on these counters knows exactly when it is out of date.
    ///
    /// The counters are the same for every reader: they say *that* a day changed, never what or for
    /// whom, and are meant for cache keys only (never shown).
    ///
    /// # Errors
    /// When the database fails.
    fn day_changes(&self, from: i64, until: i64) -> Result<Vec<(i64, i64)>, StoreError>;

    /// The value kept under `name` for the UTC day `day` for this handle's audience
    /// ([`truce_access::Access::audience`]), with the stamp it was kept with: what a reader derived
    /// from that day's observations, kept across processes so that a command or a restarted server
    /// does not read and derive it again ([`crate::memo`]). The audience is the handle's own, never
    /// the caller's word: a handle reading as one viewer cannot reach what was kept for another.
    /// `None` when nothing is kept. The stamp is the caller's (what the value was computed from); the
    /// store only gives it back.
    ///
    /// # Errors
    /// When the database fails.
    fn kept_day(&self, name: &str, day: i64) -> Result<Option<KeptDay>, StoreError>;

    /// Keeps `days` (day, stamp, value) under `name` for this handle's audience, each replacing what
    /// was kept for that day, in one transaction.
    ///
    /// # Errors
    /// When the database fails; nothing is kept then.
    fn keep_days(&self, name: &str, days: &[KeptDay]) -> Result<(), StoreError>;

    /// Amends or withdraws one observation (see the module documentation), in one durable transaction:
    /// the previous versions stay in its history. Returns the new current version.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when there is no such observation the store's reader may see,
    /// [`StoreError::Stale`] when its current version is not `expected`, [`StoreError::Withdrawn`] when
    /// it was withdrawn, [`StoreError::Invalid`] when the amended content has another id or no reason
    /// is given; nothing changes then.
    fn revise(&self, change: &Revise<'_>) -> Result<Revision, StoreError>;

    /// Every version of one observation, oldest first, that the store's reader may see; `None` when
    /// there is no such observation or its current version is not visible.
    ///
    /// # Errors
    /// When the database fails.
    fn history(&self, id: &str) -> Result<Option<Vec<Revision>>, StoreError>;

    /// The observations timed within `q`'s `since`..`until` (other filters ignored) that were amended
    /// or withdrawn at or after `after`, with their latest change, oldest change first: what a report
    /// issued at `after` no longer says as it is now.
    ///
    /// # Errors
    /// When the database fails.
    fn revisions_since(&self, q: &Query, after: OffsetDateTime) -> Result<Vec<Correction>, StoreError>;

    /// Number of stored observations.
    ///
    /// # Errors
    /// When the database fails.
    fn count(&self) -> Result<u64, StoreError>;

    /// The fingerprint of the agreement the stored classifications were computed against.
    ///
    /// # Errors
    /// When the database fails.
    fn agreement_fingerprint(&self) -> Result<Option<String>, StoreError>;

    /// Records the agreement fingerprint without reclassifying (for a new, empty store).
    ///
    /// # Errors
    /// When the database fails.
    fn set_agreement_fingerprint(&self, fingerprint: &str) -> Result<(), StoreError>;

    /// Recomputes every stored classification with `classify` and records `fingerprint`. Safe to
    /// interrupt: the fingerprint is written last, so an interrupted run is redone.
    ///
    /// # Errors
    /// When the database fails.
    fn reclassify(
        &self,
        fingerprint: &str,
        classify: &mut dyn FnMut(&Observation) -> ClassificationRecord,
    ) -> Result<u64, StoreError>;
}

/// A stored observation serialised for a backend: the JSON bodies of the observation and its
/// classification, the columns that queries filter on, and the zone and violation lists delimited
/// as `,a,b,` so that a substring search for `,a,` never matches inside another id.
#[derive(Debug, Clone)]
pub struct EncodedRow {
    pub(crate) id: String,
    pub(crate) time_ms: i64,
    pub(crate) time_end_ms: Option<i64>,
    pub(crate) lat: f64,
    pub(crate) lon: f64,
    pub(crate) category: &'static str,
    pub(crate) received_ms: i64,
    pub(crate) body: String,
    pub(crate) classification: String,
    pub(crate) zones: String,
    pub(crate) violations: String,
    pub(crate) label: truce_access::LabelColumns,
    pub(crate) by: String,
}

impl EncodedRow {
    /// Encodes a stored observation.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] when its position is not a pair of finite numbers (no backend can index
    /// it), or [`StoreError::Corrupt`] when it cannot be serialised (never for values built by truce).
    pub fn new(s: &StoredObservation) -> Result<Self, StoreError> {
        let o = &s.observation;
        if !o.lat.is_finite() || !o.lon.is_finite() {
            return Err(StoreError::Invalid {
                id: o.id.clone(),
                reason: format!("the position ({}, {}) is not a pair of finite numbers", o.lat, o.lon),
            });
        }
        let corrupt = |e: serde_json::Error| StoreError::Corrupt { id: o.id.clone(), reason: e.to_string() };
        Ok(Self {
            id: o.id.clone(),
            time_ms: to_ms(o.time),
            time_end_ms: o.time_end.map(to_ms),
            lat: o.lat,
            lon: o.lon,
            category: o.category.id(),
            received_ms: to_ms(s.received_at),
            body: serde_json::to_string(o).map_err(corrupt)?,
            classification: serde_json::to_string(&s.classification).map_err(corrupt)?,
            zones: zone_list(&s.classification),
            violations: violation_list(&s.classification),
            label: truce_access::LabelColumns::of(&truce_core::Label::of(o)),
            by: String::new(),
        })
    }

    /// Says who records it: a user, or the source that imports it (kept as the first version's
    /// author).
    #[must_use]
    pub fn by(mut self, who: &str) -> Self {
        who.clone_into(&mut self.by);
        self
    }

    /// The observation's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Who records it ([`EncodedRow::by`]).
    pub fn recorded_by(&self) -> &str {
        &self.by
    }

    /// The stored observation this row encodes.
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] when a body does not decode (never for rows built by [`EncodedRow::new`]).
    pub fn decode(&self) -> Result<StoredObservation, StoreError> {
        let corrupt = |e: serde_json::Error| StoreError::Corrupt { id: self.id.clone(), reason: e.to_string() };
        Ok(StoredObservation {
            observation: serde_json::from_str(&self.body).map_err(corrupt)?,
            classification: serde_json::from_str(&self.classification).map_err(corrupt)?,
            received_at: from_ms(self.received_ms),
        })
    }
}

/// Milliseconds since the Unix epoch: the resolution every backend stores times at.
pub(crate) fn to_ms(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

/// The time of a stored millisecond count.
pub(crate) fn from_ms(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// `,a,b,`: a list that a search for `,a,` finds without matching `a` inside `ab`.
fn delimited<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let mut out = String::from(",");
    for i in items {
        out.push_str(i);
        out.push(',');
    }
    out
}

/// The zones of a classification as a delimited list.
pub(crate) fn zone_list(c: &ClassificationRecord) -> String {
    delimited(c.zones.iter().map(String::as_str))
}

/// The violation codes of a classification as a delimited list.
pub(crate) fn violation_list(c: &ClassificationRecord) -> String {
    delimited(c.violations.iter().map(|v| v.code.as_str()))
}

/// The keyset `(time_ms, seq)` of a page cursor (`time.seq`): a [`Page::next`]'s, or a
/// [`TrackPage::next`](crate::TrackPage::next)'s.
pub(crate) fn parse_cursor(c: &str) -> Result<(i64, i64), StoreError> {
    let bad = || StoreError::BadCursor(c.to_owned());
    let (t, s) = c.split_once('.').ok_or_else(bad)?;
    Ok((t.parse().map_err(|_| bad())?, s.parse().map_err(|_| bad())?))
}

/// Decodes a stored observation `id` (its JSON body and classification, and when it was received);
/// without the right to see the observer (see `truce_access::Access::sees_observer`) the observer's
/// team, callsign and position are left out.
pub(crate) fn decode(
    access: &truce_access::Access,
    id: String,
    body: &str,
    classification: &str,
    received_ms: i64,
) -> Result<StoredObservation, StoreError> {
    let mut observation: Observation =
        serde_json::from_str(body).map_err(|e| StoreError::Corrupt { id: id.clone(), reason: format!("body: {e}") })?;
    if !access.sees_observer() {
        truce_access::redact_observer(&mut observation);
    }
    let classification: ClassificationRecord = serde_json::from_str(classification)
        .map_err(|e| StoreError::Corrupt { id, reason: format!("classification: {e}") })?;
    Ok(StoredObservation { observation, classification, received_at: from_ms(received_ms) })
}

/// A row as read, before its JSON is decoded ([`decode_rows`]).
pub(crate) struct RawRow {
    pub(crate) id: String,
    pub(crate) body: String,
    pub(crate) classification: String,
    pub(crate) received_ms: i64,
}

/// A page's first this many rows are decoded where they are read; a larger page's rows go on to a
/// second thread as they are read.
const PARALLEL_DECODE_ROWS: usize = 1_000;

/// Rows handed to the decoding threads at a time.
const DECODE_CHUNK: usize = 512;

type Decoded = (usize, Result<Vec<StoredObservation>, StoreError>);

/// Reads rows with `read` (which passes each [`RawRow`] to the function it is given and returns what
/// else it found) and decodes them, as [`decode`] does each, in their order. Decoding the JSON is most
/// of reading a large page (a day of a busy store is 27,000 rows), and the database reads a row in
/// about as long as it takes to decode one: once a page passes [`PARALLEL_DECODE_ROWS`] rows, a second
/// thread decodes chunks of [`DECODE_CHUNK`] while the rest are still being read, and the reading
/// thread joins it when the rows end. Chunks are numbered, so the answer is in the order read and a
/// corrupt row is the first in that order. Fewer rows, or one core, are decoded on the reading thread.
///
/// # Errors
/// What `read` returns, else the first row that does not decode.
pub(crate) fn read_decoded<R>(
    access: &truce_access::Access,
    read: impl FnOnce(&mut dyn FnMut(RawRow)) -> Result<R, StoreError>,
) -> Result<(Vec<StoredObservation>, R), StoreError> {
    // The rows are owned: each id moves into its observation rather than being copied.
    let decode_chunk = |rows: Vec<RawRow>| -> Result<Vec<StoredObservation>, StoreError> {
        rows.into_iter().map(|r| decode(access, r.id, &r.body, &r.classification, r.received_ms)).collect()
    };
    let two = std::thread::available_parallelism().map_or(1, |n| n.get()) >= 2;
    let (sender, receiver) = std::sync::mpsc::channel::<(usize, Vec<RawRow>)>();
    let receiver = std::sync::Mutex::new(receiver);
    // The sender is moved into the scope: should `read` panic, it is dropped as the scope unwinds, so
    // the helper's `recv` ends and the scope's join does not wait for it forever.
    // Decodes chunks until none are left and no more will come.
    let work = || {
        let mut done: Vec<Decoded> = Vec::new();
        loop {
            let next = receiver.lock().unwrap_or_else(std::sync::PoisonError::into_inner).recv();
            match next {
                Ok((k, rows)) => done.push((k, decode_chunk(rows))),
                Err(_) => return done,
            }
        }
    };
    std::thread::scope(move |scope| {
        let sender = sender;
        let mut first = Vec::new();
        let mut chunk = Vec::new();
        let mut chunks = 0;
        let mut helper = None;
        let found = read(&mut |row| {
            if first.len() < PARALLEL_DECODE_ROWS || !two {
                first.push(row);
                return;
            }
            helper.get_or_insert_with(|| scope.spawn(work));
            chunk.push(row);
            if chunk.len() == DECODE_CHUNK {
                // The receiver lives until both threads return: a send cannot fail.
                let _ = sender.send((chunks, std::mem::take(&mut chunk)));
                chunks += 1;
            }
        });
        if !chunk.is_empty() {
            let _ = sender.send((chunks, chunk));
        }
        drop(sender);
        // A failed read fails the page (the scope joins the helper, whose work is dropped).
        let found = found?;
        // The first rows while the helper goes on with the chunks, then whatever chunks are left.
        let head = decode_chunk(first);
        let mut done = Vec::new();
        if let Some(h) = helper {
            done = work();
            done.extend(h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
            done.sort_unstable_by_key(|(k, _)| *k);
        }
        let mut decoded = head?;
        decoded.reserve(done.len() * DECODE_CHUNK);
        for (_, part) in done {
            decoded.append(&mut part?);
        }
        Ok((decoded, found))
    })
}

/// The fields (top-level keys) whose values differ between the stored body of observation `id`
/// (`current`) and a `new` one, sorted.
pub(crate) fn differing_fields(id: &str, current: &str, new: &str) -> Result<Vec<String>, StoreError> {
    let parse = |body: &str| {
        serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(body)
            .map_err(|e| StoreError::Corrupt { id: id.to_owned(), reason: format!("body: {e}") })
    };
    let (old, new) = (parse(current)?, parse(new)?);
    let mut fields: Vec<String> = new.iter().filter(|(k, v)| old.get(*k) != Some(*v)).map(|(k, _)| k.clone()).collect();
    fields.extend(old.keys().filter(|k| !new.contains_key(*k)).cloned());
    fields.sort();
    Ok(fields)
}

/// The change that a version's stored `action` names, of observation `id`.
pub(crate) fn change_of(action: &str, id: &str) -> Result<Change, StoreError> {
    Change::parse(action)
        .ok_or_else(|| StoreError::Corrupt { id: id.to_owned(), reason: format!("version action {action:?}") })
}

/// The marking whose stored rank is `rank`, of observation `id`.
pub(crate) fn marking_of(rank: i64, id: &str) -> Result<Marking, StoreError> {
    Marking::ALL
        .iter()
        .copied()
        .find(|m| i64::from(m.rank()) == rank)
        .ok_or_else(|| StoreError::Corrupt { id: id.to_owned(), reason: format!("classification rank {rank}") })
}

/// Counts `n` for each item of a delimited list (`,a,b,`).
pub(crate) fn add_listed(counts: &mut BTreeMap<String, u64>, list: &str, n: u64) {
    for item in list.split(',').filter(|i| !i.is_empty()) {
        if let Some(c) = counts.get_mut(item) {
            *c += n;
        } else {
            counts.insert(item.to_owned(), n);
        }
    }
}

impl Revise<'_> {
    /// [`StoreError::Invalid`] naming the observation, for `reason`.
    pub(crate) fn invalid(&self, reason: &str) -> StoreError {
        StoreError::Invalid { id: self.id.to_owned(), reason: reason.to_owned() }
    }

    /// Checks what [`ObservationStore::revise`] requires of the correction itself: a reason, and
    /// amended content with the same id.
    pub(crate) fn check(&self) -> Result<(), StoreError> {
        if self.reason.trim().is_empty() {
            return Err(self.invalid("a correction needs a reason"));
        }
        if self.amended.is_some_and(|r| r.id != self.id) {
            return Err(self.invalid("the amended observation has another id; an id cannot be changed"));
        }
        Ok(())
    }

    /// Checks that the observation as stored, at `version` and `withdrawn` or not, takes the
    /// correction: [`StoreError::Withdrawn`] when it is withdrawn, else [`StoreError::Stale`] when
    /// `version` is not the one expected.
    pub(crate) fn check_current(&self, version: u32, withdrawn: bool) -> Result<(), StoreError> {
        if withdrawn {
            return Err(StoreError::Withdrawn { id: self.id.to_owned(), version });
        }
        if version != self.expected {
            return Err(StoreError::Stale { id: self.id.to_owned(), expected: self.expected, current: version });
        }
        Ok(())
    }

    /// The correction as [`ObservationStore::revise`] answers it once stored as `version`, a
    /// `change` (its time to the millisecond), with the observation as that version has it (`body`,
    /// `classification`, received at `received_ms`) decoded for `access`.
    pub(crate) fn revision(
        &self,
        access: &truce_access::Access,
        version: u32,
        change: Change,
        body: &str,
        classification: &str,
        received_ms: i64,
    ) -> Result<Revision, StoreError> {
        Ok(Revision {
            version,
            change,
            at: from_ms(to_ms(self.at)),
            by: self.by.to_owned(),
            reason: self.reason.to_owned(),
            stored: decode(access, self.id.to_owned(), body, classification, received_ms)?,
        })
    }
}

/// A value derived from one UTC day's observations, kept by the store for one audience
/// ([`ObservationStore::kept_day`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptDay {
    /// The UTC day (days since the Unix epoch).
    pub day: i64,
    /// What the value was computed from, in the caller's words (day counters, configuration).
    pub stamp: String,
    /// The value, encoded by the caller.
    pub value: Vec<u8>,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::{RawRow, read_decoded};
    use crate::StoreError;

    fn rows(n: usize) -> impl Iterator<Item = RawRow> {
        (0..n).map(|k| RawRow {
            id: format!("r{k}"),
            body: "not json".into(),
            classification: "{}".into(),
            received_ms: 0,
        })
    }

    #[test]
    fn a_read_that_fails_after_the_helper_started_fails_the_page() {
        let access = truce_access::Access::all();
        let got = read_decoded(&access, |push| {
            rows(3_000).for_each(&mut *push);
            Err::<(), _>(StoreError::NotFound("the disk went away".into()))
        });
        assert!(matches!(got, Err(StoreError::NotFound(ref m)) if m == "the disk went away"), "{got:?}");
    }

    #[test]
    fn a_read_that_panics_after_the_helper_started_passes_the_panic_on_and_does_not_hang() {
        let access = truce_access::Access::all();
        let got = std::panic::catch_unwind(|| {
            read_decoded(&access, |push| -> Result<(), StoreError> {
                rows(3_000).for_each(&mut *push);
                panic!("the reader broke")
            })
        });
        let panic = got.err().unwrap();
        assert_eq!(panic.downcast_ref::<&str>(), Some(&"the reader broke"));
    }
}
