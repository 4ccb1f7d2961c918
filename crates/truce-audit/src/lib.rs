//! The audit log of truce: who did what, when, and with what outcome, kept so that nobody (an
//! operator with a text editor included) can change or drop an entry without it showing.
//!
//! - [`merkle`]: the RFC 9162 Merkle tree over the entries, incremental, with inclusion and
//!   consistency proofs and their verification.
//! - [`entry`]: what is logged ([`Entry`], its [`Kind`] and [`Outcome`]) and the exact line format of
//!   `audit.log`, whose bytes (less the `root` member) are the Merkle leaves.
//! - [`log`]: [`AuditLog`], the writer: appends are durable before they are acknowledged, concurrent
//!   appends share one `fsync` (group commit), a torn final line from a killed process is dropped on
//!   open.
//! - [`checkpoint`]: signed tree heads ([`Checkpoint`], Ed25519, in the C2SP signed-note style) and the
//!   log's key `audit.key`.
//! - [`inbox`]: entries from other processes (the operator's commands) while a server holds the log.
//! - [`table`]: the same log kept in a table of the database several nodes share, so that they write
//!   one log ([`AuditLog::open_table`]).
//! - [`verify`](mod@verify): recomputes the whole tree from the file, checks every stored root and a
//!   checkpoint saved earlier, and names the first bad entry.
//!
//! The formats and the guarantees are described in `docs/audit.md`.

pub mod checkpoint;
pub mod entry;
pub mod inbox;
pub mod log;
pub mod merkle;
pub mod table;
pub mod verify;

pub use checkpoint::{Checkpoint, CheckpointError, SigningKey};
pub use entry::{Entry, Kind, LineError, Outcome, Record};
pub use log::{AuditError, AuditLog, ConsistencyProof, InclusionProof, Receipt, Records, records};
pub use merkle::Hash;
pub use table::Table;
pub use verify::{VerifyError, VerifyReport, verify, verify_table};

/// The name of the log file in the data directory.
pub const LOG_FILE: &str = "audit.log";
/// The name of the signing key (PKCS#8, Ed25519, mode 0600) in the data directory.
pub const KEY_FILE: &str = "audit.key";
