//! The agreement file as written: serde structures, nothing validated beyond types.

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMeta {
    pub id: String,
    pub title: String,
    pub version: String,
    #[serde(default)]
    pub illustrative: bool,
    pub effective: Option<String>,
    pub notes: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawParty {
    pub id: String,
    pub name: String,
    pub iso3: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLine {
    pub id: String,
    pub name: Option<String>,
    pub geometry: String,
    pub feature: Option<String>,
    pub left: String,
    pub right: String,
    pub beyond_ends: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawClass {
    pub id: String,
    pub description: String,
    #[serde(default)]
    pub examples: Vec<String>,
    #[serde(default)]
    pub storage_required: bool,
    #[serde(default)]
    pub withdrawal: Vec<RawWithdrawal>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWithdrawal {
    pub party: String,
    pub line: String,
    pub distance_km: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawZone {
    pub id: String,
    pub name: Option<String>,
    pub kind: String,
    pub geometry: Option<String>,
    pub feature: Option<String>,
    pub band: Option<RawBand>,
    #[serde(default)]
    pub violated_by: Vec<String>,
    pub weapon_classes: Option<Vec<String>>,
    pub phases: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBand {
    pub line: String,
    pub width_km: f64,
    #[serde(default = "both")]
    pub side: String,
}

fn both() -> String {
    "both".to_owned()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPhase {
    pub id: String,
    pub name: Option<String>,
    pub start: String,
    pub end: String,
    #[serde(default)]
    pub withdrawal: Vec<RawPhaseWithdrawal>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPhaseWithdrawal {
    pub class: String,
    pub party: String,
    pub distance_km: f64,
}
