//! The store: what truce keeps, behind one trait per kind of record, with an embedded SQLite
//! implementation.
//!
//! - [`ObservationStore`]: classified observations, inserted all or nothing and idempotently, queried
//!   with filters and keyset paging, reclassified when the agreement changes.
//! - [`TrackStore`]: the history of every TAK event, the live picture, geofence events.
//! - [`JournalStore`]: alerts with their acknowledgements, and compliance cases.
//! - [`CoalitionStore`]: the coalition's entities and the pledge history that only ever grows.
//! - [`UserStore`]: users with their password hashes, and their sessions and API tokens (stored as
//!   hashes of the tokens).
//! - [`MartiStore`]: TAK Server's file store and data sync: files that TAK devices upload, keyed by
//!   the SHA-256 of their content, and missions with their subscriptions, contents and change log.
//!
//! [`Store`] is all six; a running node holds one as `Arc<dyn Store>`, so a second backend
//! (PostgreSQL) is one more implementation. The record types are the domain's (`truce-core`); this
//! crate knows neither CoT nor the agreement.
//!
//! [`memo`] keeps what a reader derives from whole days of observations (counts, incidents, report
//! tallies) for as long as the store's per-day change counters say those days are unchanged.
//!
//! File bodies are not in the database: [`Blobs`] keeps them in a content-addressed folder beside it,
//! written and synced before their record (see [`MartiStore`] for why that order).
//!
//! Every backend passes the same behaviour suite, `conformance` (cargo feature `conformance`): one
//! function per behaviour, written against the traits. `tests/sqlite.rs` runs it for [`SqliteStore`].
//!
//! # Durability
//!
//! A write returns only after its commit is durable. [`SqliteStore`] runs SQLite in WAL mode with
//! `synchronous = FULL`: a transaction's COMMIT returns only after its pages are in the write-ahead
//! log **and** the log has been fsynced. Callers acknowledge a write (an HTTP 201, a TAK ack) only
//! after the call returned, so an acknowledged observation survives the process being killed and the
//! machine losing power. A crash at any point leaves whole transactions only.

mod blobs;
mod coalition;
#[cfg(feature = "conformance")]
pub mod conformance;
mod journal;
mod marti;
pub mod memo;
mod observations;
#[cfg(feature = "postgres")]
mod postgres;
mod sqlite;
mod tracks;
mod users;

pub use blobs::{Blob, BlobError, BlobWriter, Blobs, parse_sha256};
pub use coalition::{
    CoalitionBatch, CoalitionImportReport, CoalitionImportRow, CoalitionItem, CoalitionStore, PledgeEvent,
    ProgressPoint, Stored,
};
pub use journal::{AckSummary, AlertAck, CaseUpdateError, JournalStore};
pub use marti::{
    ChangeKind, ContentRef, FilePut, FileQuery, FileRecord, MartiStore, MissionChange, MissionContent, MissionRecord,
    MissionRole, Subscription,
};
pub use observations::{
    Change, Conflict, Correction, EncodedRow, InsertReport, KeptDay, MAX_PAGE, ObservationStore, Page, Query, Revise,
    Revision, Stats, Within,
};
#[cfg(feature = "postgres")]
pub use postgres::{AuditLines, Migrated, PgStore, TableCopy, is_postgres_url, redact_url};
pub use sqlite::{DATABASE_FILE, SqliteStore};
pub use tracks::{TrackPage, TrackStore, TrackWindow};
pub use users::{
    MAX_CATEGORY_LEN, MAX_NAME_LEN, SessionKind, SessionRow, User, UserError, UserStore, check_category, check_name,
    check_nation, check_user,
};

/// Every kind of record: what a running node needs from its backend.
pub trait Store:
    ObservationStore + TrackStore + JournalStore + CoalitionStore + UserStore + MartiStore + Scope
{
}

impl<T: ObservationStore + TrackStore + JournalStore + CoalitionStore + UserStore + MartiStore + Scope> Store for T {}

/// Whose reads a store handle answers: the access rule lives here, in every backend's queries, so no
/// caller can read past it. A handle opened on a data directory reads everything (the operator's:
/// filesystem access to the data directory is full access); a running node hands each viewer a
/// [`Scope::scoped`] handle, and everything computed from that handle (incidents, statistics,
/// warnings, reports) sees only what the viewer may.
pub trait Scope {
    /// A handle on the same data that reads as `access`.
    fn scoped(&self, access: truce_access::Access) -> std::sync::Arc<dyn Store>;

    /// The access this handle reads with.
    fn access(&self) -> &truce_access::Access;

    /// Where the audit log's lines are kept when this store is a database several nodes share, so
    /// that they write one log ([`truce_audit::AuditLog::open_table`]); `None` (the embedded store):
    /// each node keeps `audit.log` in its data directory.
    fn audit_table(&self) -> Option<Box<dyn truce_audit::Table>> {
        None
    }

    /// Gives back what this store's connections cache in the process's memory, for a node that has
    /// finished a round of work, so that what it holds at rest is what it keeps on purpose rather than
    /// the pages its last reads and writes touched: the embedded store empties its connections' page
    /// caches (the next reads refill them from the operating system's file cache); a connection in use
    /// is left as it is. A database server's caches are its own: nothing to do (the default).
    fn release_memory(&self) {}
}

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database failed.
    #[error("database: {0}")]
    Database(Box<dyn std::error::Error + Send + Sync>),
    /// The data directory could not be used.
    #[error("data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: std::path::PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A record cannot be stored as it is (nothing of its batch was stored).
    #[error("record {id}: {reason}")]
    Invalid {
        /// The record.
        id: String,
        /// What is wrong.
        reason: String,
    },
    /// A stored record could not be decoded (the database was changed outside truce).
    #[error("stored record {id}: {reason}")]
    Corrupt {
        /// The record.
        id: String,
        /// What is wrong.
        reason: String,
    },
    /// Ids already stored with other content (nothing of the batch was stored).
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Conflict(Vec<Conflict>),
    /// A record with this name (or key) already exists (nothing was stored).
    #[error("{0:?} already exists")]
    Exists(String),
    /// No such record (or none the reader may see).
    #[error("no record {0:?}")]
    NotFound(String),
    /// A correction against a version that is no longer current.
    #[error("record {id}: version {expected} is not the current version ({current}); read it again")]
    Stale {
        /// The record.
        id: String,
        /// The version the writer read.
        expected: u32,
        /// The current version.
        current: u32,
    },
    /// A correction to a withdrawn record.
    #[error("record {id} was withdrawn (version {version}); it cannot be changed")]
    Withdrawn {
        /// The record.
        id: String,
        /// Its last version.
        version: u32,
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
