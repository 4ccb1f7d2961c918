//! The demo's configuration.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// `[demo]`: the simulated scenario `truce demo` plays.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct DemoConfig {
    /// The port on 127.0.0.1 (0: any free port; the address is printed).
    pub port: u16,
    /// A fresh data directory (default: a new one under the system's temporary directory).
    pub data_dir: Option<PathBuf>,
    /// Seed of the simulation.
    pub seed: u64,
    /// Days simulated before now (1 to 60).
    #[serde(deserialize_with = "days")]
    pub days: i64,
    /// How much faster than real time the live feed runs (above 0, at most 10,000).
    #[serde(deserialize_with = "speed")]
    pub speed: f64,
    /// When the simulated days start (an RFC 3339 time, quoted or as a TOML date-time; default: `days`
    /// before the current hour).
    #[serde(deserialize_with = "start", serialize_with = "time::serde::rfc3339::option::serialize")]
    pub start: Option<OffsetDateTime>,
}

impl Default for DemoConfig {
    fn default() -> Self {
        Self { port: 8080, data_dir: None, seed: 1, days: 7, speed: 1.0, start: None }
    }
}

/// Checks `--days` and `demo.days`.
pub fn check_days(n: i64) -> Result<i64, String> {
    if (1..=60).contains(&n) { Ok(n) } else { Err(format!("{n} is not from 1 to 60")) }
}

/// Checks `--speed` and `demo.speed`.
pub fn check_speed(x: f64) -> Result<f64, String> {
    if x > 0.0 && x <= 10_000.0 { Ok(x) } else { Err(format!("{x} is not above 0 and at most 10,000")) }
}

fn days<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    check_days(i64::deserialize(d)?).map_err(serde::de::Error::custom)
}

fn speed<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    check_speed(f64::deserialize(d)?).map_err(serde::de::Error::custom)
}

/// Parses `--start` and `demo.start`: a time in any of the forms of [`truce_formats::when::instant`].
pub fn parse_start(s: &str) -> Result<OffsetDateTime, String> {
    truce_formats::when::instant(s)
}

fn start<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<OffsetDateTime>, D::Error> {
    let text = match toml::Value::deserialize(d)? {
        toml::Value::String(s) => s,
        toml::Value::Datetime(t) => t.to_string(),
        other => {
            return Err(serde::de::Error::custom(format!(
                "expected {}, found {}",
                truce_formats::when::INSTANT_FORMS,
                other.type_str()
            )));
        }
    };
    parse_start(&text).map(Some).map_err(serde::de::Error::custom)
}
