//! The files feed's configuration.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// `[files]`: observation files (CSV with truce, ACLED or UCDP columns; NDJSON; GeoJSON) loaded when
/// the node starts. Each record is stored once, so a restart reads them again harmlessly.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct FilesConfig {
    /// The files, in order (`.csv`, `.ndjson`/`.jsonl`, `.geojson`/`.json`).
    pub paths: Vec<PathBuf>,
}
