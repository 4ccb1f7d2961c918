//! Alerts and compliance cases: the [`JournalStore`] contract.
//!
//! Both are small, append-mostly journals beside the observations, kept as rows with a JSON body whose
//! shape belongs to `truce-watch`. Alerts get increasing sequence numbers (catch-up after a
//! disconnection asks for those after the last one seen). A case changes stage only if it is still at
//! the stage the caller saw, so two analysts moving the same case at once cannot both succeed; its
//! actions are numbered from 1 in order.

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
