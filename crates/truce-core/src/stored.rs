//! An observation as stored: the validated observation, its classification against the agreement in
//! force, and when the store received it.

use time::OffsetDateTime;

use crate::{ClassificationRecord, Observation};

/// An observation with its classification, as stored.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StoredObservation {
    /// The observation.
    pub observation: Observation,
    /// Its classification against the agreement in force.
    pub classification: ClassificationRecord,
    /// When the store received it.
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
}
