//! Alerts and compliance cases: the [`JournalStore`] contract.
//!
//! Both are small, append-mostly journals beside the observations, kept as rows with a JSON body whose
//! shape belongs to `truce-watch`. Alerts get increasing sequence numbers (catch-up after a
//! disconnection asks for those after the last one seen). A case changes stage only if it is still at
//! the stage the caller saw, so two analysts moving the same case at once cannot both succeed; its
//! actions are numbered from 1 in order.
//!
//! An alert can be acknowledged ([`JournalStore::ack_alert`]): who, when and a note. Every
//! acknowledgement is kept (the latest is the one shown, the count says how many there were), and an
//! acknowledgement is read only with its alert, so it needs no label of its own: whoever may see the
//! alert sees its acknowledgements, and a reader who may not see the alert cannot acknowledge it
//! either (the store answers as for a missing alert).

use time::OffsetDateTime;
use truce_core::{ActionRow, AlertRow, CaseRow};

use crate::StoreError;

/// Why a case update was refused.
#[derive(Debug, thiserror::Error)]
pub enum CaseUpdateError {
    /// No such case.
    #[error("no case {0}")]
    NotFound(String),
    /// The case moved on since the caller read it.
    #[error("case {id} is at stage {actual}, not {expected}")]
    Conflict {
        /// The case.
        id: String,
        /// The stage the caller expected.
        expected: String,
        /// The stage it is at.
        actual: String,
    },
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One acknowledgement of an alert.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AlertAck {
    /// The alert's sequence number.
    pub seq: i64,
    /// Who acknowledged it (a user name).
    pub by: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Why, in the user's words.
    pub note: String,
}

/// The acknowledgements of one alert, as listed: the latest, and how many there were.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckSummary {
    /// The latest acknowledgement (by time of writing).
    pub latest: AlertAck,
    /// Every acknowledgement of the alert, the latest included.
    pub count: u64,
}

/// Persistence for alerts and compliance cases. See the module documentation.
pub trait JournalStore: Send + Sync {
    /// Appends an alert; returns its sequence number.
    ///
    /// # Errors
    /// When the database fails.
    fn record_alert(&self, alert: &AlertRow) -> Result<i64, StoreError>;

    /// The reader's alerts (those of its audience, `truce_access::Access::audience`, that it may see)
    /// at or after `since` and after sequence `after`, oldest first, at most `limit`.
    ///
    /// # Errors
    /// When the database fails.
    fn alerts(
        &self,
        since: Option<OffsetDateTime>,
        after: Option<i64>,
        limit: usize,
    ) -> Result<Vec<AlertRow>, StoreError>;

    /// The latest alert of every scope among the reader's alerts (as [`JournalStore::alerts`]).
    ///
    /// # Errors
    /// When the database fails.
    fn latest_alerts(&self) -> Result<Vec<AlertRow>, StoreError>;

    /// One of the reader's alerts (as [`JournalStore::alerts`]) by sequence number; `None` when there
    /// is none the reader may see.
    ///
    /// # Errors
    /// When the database fails.
    fn alert(&self, seq: i64) -> Result<Option<AlertRow>, StoreError>;

    /// Records an acknowledgement of one of the reader's alerts (as [`JournalStore::alert`]), durably;
    /// returns the alert. `None` when the reader may not see it or there is no such alert: nothing is
    /// stored then.
    ///
    /// # Errors
    /// When the database fails; nothing is stored then.
    fn ack_alert(&self, ack: &AlertAck) -> Result<Option<AlertRow>, StoreError>;

    /// The acknowledgements of those of `seqs` that are the reader's alerts, by sequence number;
    /// alerts without one are absent.
    ///
    /// # Errors
    /// When the database fails.
    fn alert_acks(&self, seqs: &[i64]) -> Result<std::collections::BTreeMap<i64, AckSummary>, StoreError>;

    /// Opens a case with its first action; returns the case's id.
    ///
    /// # Errors
    /// When the database fails.
    fn open_case(&self, case: &CaseRow, first: &ActionRow) -> Result<String, StoreError>;

    /// Appends an action to a case and sets its stage and body, if it is still at `expected` stage.
    ///
    /// # Errors
    /// No such case, the case moved on, or the database failed; nothing changes then.
    fn update_case(
        &self,
        id: &str,
        expected: &str,
        stage: &str,
        body: &str,
        action: &ActionRow,
    ) -> Result<i64, CaseUpdateError>;

    /// A case and its actions in order.
    ///
    /// # Errors
    /// When the database fails.
    fn case(&self, id: &str) -> Result<Option<(CaseRow, Vec<ActionRow>)>, StoreError>;

    /// Every case, oldest first.
    ///
    /// # Errors
    /// When the database fails.
    fn cases(&self) -> Result<Vec<CaseRow>, StoreError>;
}
