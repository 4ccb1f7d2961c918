//! An observation as stored: the validated observation, its classification against the agreement in
//! force, and when the store received it.

use time::OffsetDateTime;

use crate::{ClassificationRecord, Observation};

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
