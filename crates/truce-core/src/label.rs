//! The security label every record and every event carries: its classification marking and the
//! nations it is releasable to.
//!
//! Today a label is what the record says about itself (an observation's `marking` and
//! `releasable_to`); the access rule that compares a viewer with a label is applied where data leaves
//! the store and the bus, so every output sees the same labels.

use serde::{Deserialize, Serialize};

use crate::{Marking, Observation};

/// A marking and a releasability list (`REL TO`, ISO 3166 alpha-3 codes).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Label {
    /// The classification marking.
    pub marking: Marking,
    /// The nations the record may be released to; empty means no `REL TO` restriction was given.
    pub releasable_to: Vec<String>,
    /// Restrictive categories: a viewer must hold every one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
}

impl Label {
    /// The label of a record without a marking of its own (TAK positions, alerts derived from
    /// labelled records until their own label is computed): NATO UNCLASSIFIED, no `REL TO` list.
    pub fn unclassified() -> Self {
        Self { marking: Marking::NatoUnclassified, releasable_to: Vec::new(), categories: Vec::new() }
    }

    /// The label an observation carries.
    pub fn of(o: &Observation) -> Self {
        Self { marking: o.marking, releasable_to: o.releasable_to.clone(), categories: o.categories.clone() }
    }
}

impl Default for Label {
    fn default() -> Self {
        Self::unclassified()
    }
}
