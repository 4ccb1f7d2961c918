//! The ADS-B feed's configuration: receivers' Beast and SBS ports, `aircraft.json` documents, recorded
//! files, the receiver's position, and the label of what it reports.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use crate::sources::ais::config::check_speed;

/// `[adsb]`: aircraft from ADS-B receivers (docs/sea-air.md).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdsbConfig {
    /// Beast binary servers to connect to, `host:port` (readsb and dump1090 serve it on 30005).
    pub beast: Vec<String>,
    /// SBS-1 BaseStation text servers to connect to, `host:port` (port 30003).
    pub sbs: Vec<String>,
    /// readsb/dump1090 `aircraft.json` documents polled: `http://host:port/path` or a file path.
    pub aircraft_json: Vec<String>,
    /// How often each `aircraft.json` is polled, milliseconds (100 to 60,000).
    #[serde(deserialize_with = "poll_ms")]
    pub poll_ms: u64,
    /// Recorded files replayed at start: raw frames (`*8D…;` or `@…;` lines), SBS-1 text, Beast
    /// binary or one `aircraft.json`, told apart by their first byte.
    pub files: Vec<PathBuf>,
    /// How fast files are replayed: 0 as fast as the node takes them; otherwise this many times
    /// their recorded pace (SBS lines' generated times; other lines do not wait).
    #[serde(deserialize_with = "speed")]
    pub speed: f64,
    /// The receiver's position `[lat, lon]`, for decoding a position from one message of an aircraft
    /// not yet placed (within about 180 NM of the receiver).
    pub reference: Option<[f64; 2]>,
    /// The marking of what the feed reports (public ADS-B: NATO UNCLASSIFIED).
    pub marking: truce_core::Marking,
    /// The nations or groups it is releasable to (the policy's codes); by default `PUBLIC`, the policy's
    /// code for everyone (public AIS and ADS-B are public), which anonymous TAK devices may see too.
    pub releasable_to: Vec<String>,
}

impl Default for AdsbConfig {
    fn default() -> Self {
        Self {
            beast: Vec::new(),
            sbs: Vec::new(),
            aircraft_json: Vec::new(),
            poll_ms: 1000,
            files: Vec::new(),
            speed: 0.0,
            reference: None,
            marking: truce_core::Marking::NatoUnclassified,
            releasable_to: vec!["PUBLIC".into()],
        }
    }
}

impl AdsbConfig {
    /// Whether any input is configured.
    pub fn is_on(&self) -> bool {
        !(self.beast.is_empty() && self.sbs.is_empty() && self.aircraft_json.is_empty() && self.files.is_empty())
    }

    /// The label of what the feed reports.
    pub fn label(&self) -> truce_core::Label {
        truce_core::Label { marking: self.marking, releasable_to: self.releasable_to.clone(), categories: Vec::new() }
    }
}

/// Checks `adsb.poll_ms`.
pub fn check_poll_ms(n: u64) -> Result<u64, String> {
    if (100..=60_000).contains(&n) { Ok(n) } else { Err(format!("{n} is not from 100 to 60,000")) }
}

fn poll_ms<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    check_poll_ms(u64::deserialize(d)?).map_err(serde::de::Error::custom)
}

fn speed<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    check_speed(f64::deserialize(d)?).map_err(serde::de::Error::custom)
}
