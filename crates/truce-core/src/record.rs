//! The classification of an observation as stored and served: ids resolved to strings.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Distance and side for one line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LineRecord {
    /// Ellipsoidal distance, metres (rounded to 0.1 m).
    pub distance_m: f64,
    /// Party holding the ground on the observation's side; `None` on the line or undetermined.
    pub side: Option<String>,
}

/// One violation with its evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ViolationRecord {
    /// Stable code.
    pub code: String,
    /// Zone violated.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub zone: Option<String>,
    /// Weapon class.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub class: Option<String>,
    /// Party bound by the rule.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub party: Option<String>,
    /// Line measured from.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub line: Option<String>,
    /// Required distance, metres.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub required_m: Option<f64>,
    /// Actual (signed) distance, metres.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub actual_m: Option<f64>,
    /// Observed category.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub category: Option<String>,
    /// Phase in force.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub phase: Option<String>,
    /// Count.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub count: Option<u32>,
}

/// An observation's classification against one agreement version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ClassificationRecord {
    /// Per line id.
    pub lines: BTreeMap<String, LineRecord>,
    /// Zones containing the point.
    pub zones: Vec<String>,
    /// Violations.
    pub violations: Vec<ViolationRecord>,
}
