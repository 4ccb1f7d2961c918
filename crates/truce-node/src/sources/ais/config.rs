//! The AIS feed's configuration: where the NMEA comes from and the label of what it reports.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::sources::Listen;

/// `[ais]`: vessels from AIS receivers and aggregators (docs/sea-air.md).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AisConfig {
    /// TCP servers of NMEA sentences to connect to, `host:port` (AIS-catcher, rtl-ais, an
    /// aggregator); each is reconnected with backoff.
    pub connect: Vec<String>,
    /// A UDP port NMEA datagrams arrive on (AIS-catcher's and most receivers' UDP output), or `off`.
    pub udp: Listen,
    /// Recorded NMEA files replayed at start.
    pub files: Vec<PathBuf>,
    /// How fast files are replayed: 0 as fast as the node takes them; otherwise this many times
    /// their recorded pace (read from the tag blocks' `c:` times; lines without one do not wait).
    #[serde(deserialize_with = "speed")]
    pub speed: f64,
    /// The marking of what the feed reports (public AIS: NATO UNCLASSIFIED).
    pub marking: truce_core::Marking,
    /// The nations or groups it is releasable to (the policy's codes); by default `PUBLIC`, the policy's
    /// code for everyone (public AIS and ADS-B are public), which anonymous TAK devices may see too.
    pub releasable_to: Vec<String>,
}

impl Default for AisConfig {
    fn default() -> Self {
        Self {
            connect: Vec::new(),
            udp: Listen::Off,
            files: Vec::new(),
            speed: 0.0,
            marking: truce_core::Marking::NatoUnclassified,
            releasable_to: vec!["PUBLIC".into()],
        }
    }
}

impl AisConfig {
    /// Whether any input is configured.
    pub fn is_on(&self) -> bool {
        !self.connect.is_empty() || self.udp.addr().is_some() || !self.files.is_empty()
    }

    /// The label of what the feed reports.
    pub fn label(&self) -> truce_core::Label {
        truce_core::Label { marking: self.marking, releasable_to: self.releasable_to.clone(), categories: Vec::new() }
    }
}

/// Checks a replay speed: 0 (as fast as possible) or above 0 and at most 10,000.
pub fn check_speed(x: f64) -> Result<f64, String> {
    if x.is_finite() && (0.0..=10_000.0).contains(&x) { Ok(x) } else { Err(format!("{x} is not from 0 to 10,000")) }
}

fn speed<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    check_speed(f64::deserialize(d)?).map_err(serde::de::Error::custom)
}
