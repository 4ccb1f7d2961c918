//! The files feed's configuration.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use truce_formats::ingest::{DateOrder, Encoding, ReadOptions};

/// `[files]`: observation files (CSV with truce, ACLED or UCDP columns; NDJSON; GeoJSON) loaded when
/// the node starts. Each record is stored once, so a restart reads them again harmlessly.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct FilesConfig {
    /// The files, in order (`.csv`, `.ndjson`/`.jsonl`, `.geojson`/`.json`).
    pub paths: Vec<PathBuf>,
    /// `dmy` or `mdy`: the order of day and month in numeric dates, for files whose dates do not tell
    /// it themselves (as `truce ingest --date-order`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_order: Option<DateOrder>,
    /// `utf-8`, `windows-1252` or `latin1`: the CSV files' encoding (as `truce ingest --encoding`);
    /// unset, a file that is not UTF-8 is read as Windows-1252 with a notice.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding: Option<Encoding>,
}

impl FilesConfig {
    /// What the files' bytes cannot say, for the reader.
    pub fn read_options(&self) -> ReadOptions {
        ReadOptions { date_order: self.date_order, encoding: self.encoding }
    }
}
