//! The feeds a node takes observations and tracks from. Each is a folder with its configuration
//! (serde, unknown keys refused, a doc comment per field) and its runtime:
//!
//! - [`http`]: observations posted to the REST API (the server itself is the binary's);
//! - [`tak`]: TAK devices over TCP, TLS and UDP: tracks, geofence alerts, weapon marks;
//! - [`ais`]: vessels from AIS receivers and aggregators (TCP, UDP, recorded files), through
//!   [`sea_air`], the path vessels and aircraft share to the tracks and the devices;
//! - [`adsb`]: aircraft from ADS-B receivers (Beast, SBS-1, `aircraft.json`, recorded files);
//! - [`files`]: CSV, NDJSON and GeoJSON files (`truce ingest`, or loaded at start);
//! - [`demo`]: the simulated scenario and TAK units of `truce demo`;
//! - [`tracks`]: the one consumer of every source of tracks (TAK now, AIS and ADS-B too).
//!
//! Every observation they produce goes through the node's one pipeline (`Node::prepare` then
//! `Node::commit`). [`SourceConfig`] is the plain list of them: a new feed is one more variant and one
//! more folder, not a plugin.

pub mod adsb;
pub mod ais;
pub mod demo;
pub mod files;
pub mod http;
pub mod input;
mod listen;
pub mod sea_air;
pub mod tak;
pub mod tracks;

pub use listen::Listen;

/// One feed's configuration.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceConfig {
    /// The REST API.
    Http(http::HttpConfig),
    /// TAK devices.
    Tak(tak::TakConfig),
    /// Vessels from AIS.
    Ais(ais::AisConfig),
    /// Aircraft from ADS-B.
    Adsb(adsb::AdsbConfig),
    /// Files loaded at start.
    Files(files::FilesConfig),
    /// The demo's simulator.
    Demo(demo::DemoConfig),
}

impl SourceConfig {
    /// The feed's name, as its configuration section is called.
    pub fn name(&self) -> &'static str {
        match self {
            SourceConfig::Http(_) => "http",
            SourceConfig::Tak(_) => "tak",
            SourceConfig::Ais(_) => "ais",
            SourceConfig::Adsb(_) => "adsb",
            SourceConfig::Files(_) => "files",
            SourceConfig::Demo(_) => "demo",
        }
    }
}
