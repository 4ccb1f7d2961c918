//! The observation store.
//!
//! [`Store`] is what the rest of truce needs from persistence: insert a batch of classified
//! observations all or nothing and idempotently (an id already stored is reported as a duplicate and
//! stored once), fetch one, query with filters and keyset pagination, count, and recompute every stored
//! classification when the agreement changes. [`SqliteStore`] implements it on an embedded SQLite
//! database in a data directory.
//!
//! # Durability
//!
//! SQLite runs in WAL mode with `synchronous = FULL`: a transaction's COMMIT returns only after its
//! pages are in the write-ahead log **and** the log has been fsynced. Callers acknowledge a write
//! (an HTTP 201, a TAK ack) only after [`Store::insert`] has returned, so an acknowledged observation
//! survives the process being killed and the machine losing power. Checkpoints move the log into the
//! database file later; a crash at any point leaves whole transactions only.

mod coalition;
mod journal;
mod sqlite;
mod tracks;

use std::collections::BTreeMap;

use time::OffsetDateTime;
use truce_core::{Category, ClassificationRecord, Observation};

pub use coalition::{
    CoalitionBatch, CoalitionImportReport, CoalitionImportRow, CoalitionItem, PledgeEvent, ProgressPoint, Stored,
};
pub use journal::{ActionRow, AlertRow, CaseRow, CaseUpdateError};
pub use sqlite::{DATABASE_FILE, EncodedRow, SqliteStore};
pub use tracks::{GeofenceKind, GeofenceRow, TrackRow};

/// An observation with its classification, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredObservation {
    /// The observation.
    pub observation: Observation,
    /// Its classification against the agreement in force.
    pub classification: ClassificationRecord,
    /// When the store received it.
    pub received_at: OffsetDateTime,
}

/// What an insert did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InsertReport {
    /// Ids stored by this call.
    pub inserted: Vec<String>,
    /// Ids that were already stored (nothing changed for them).
    pub duplicates: Vec<String>,
}

/// Filters for [`Store::query`] and [`Store::stats`]; all optional, combined with AND.
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
    /// This category.
    pub category: Option<Category>,
    /// With a violation of this code.
    pub violation: Option<String>,
    /// Inside this zone.
    pub zone: Option<String>,
    /// Page size (at most [`MAX_PAGE`]).
    pub limit: usize,
    /// Continue after this cursor (from a previous [`Page::next`]).
    pub cursor: Option<String>,
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
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
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

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database failed.
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The data directory could not be used.
    #[error("data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: std::path::PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A stored record could not be decoded (the database was changed outside truce).
    #[error("stored record {id}: {reason}")]
    Corrupt {
        /// The record.
        id: String,
        /// What is wrong.
        reason: String,
    },
    /// A cursor that this store did not hand out.
    #[error("invalid cursor {0:?}")]
    BadCursor(String),
    /// The database was written by a newer truce.
    #[error("the database schema version {found} is newer than this truce supports ({supported})")]
    TooNew {
        /// Found.
        found: i64,
        /// Supported.
        supported: i64,
    },
}

/// Persistence for observations. See the crate documentation.
pub trait Store: Send + Sync {
    /// Stores a batch, all or nothing; ids already stored are reported as duplicates and left as they
    /// are. Returns after the commit is durable.
    ///
    /// # Errors
    /// When the database fails; nothing of the batch is stored then.
    fn insert(&self, batch: &[StoredObservation]) -> Result<InsertReport, StoreError>;

    /// One observation by id.
    ///
    /// # Errors
    /// When the database fails.
    fn get(&self, id: &str) -> Result<Option<StoredObservation>, StoreError>;

    /// A page of observations matching `q`, ordered by time then insertion.
    ///
    /// # Errors
    /// When the database fails or the cursor is invalid.
    fn query(&self, q: &Query) -> Result<Page, StoreError>;

    /// Counts for the observations matching `q`.
    ///
    /// # Errors
    /// When the database fails.
    fn stats(&self, q: &Query) -> Result<Stats, StoreError>;

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
