//! The running truce node: what `truce serve` and `truce demo` run, apart from the command line and
//! the HTTP server (which stay in the binary).
//!
//! # Where things are
//!
//! - [`Node`] (`node.rs`): the domain state: the agreement, the sectors, the store (through the
//!   `truce-store` traits, whatever the backend), the bus, and what is derived from them.
//! - [`Event`] (`event.rs`): one typed enum of what flows (an observation stored, a track, a geofence
//!   event, an alert, a case), each with its security [`Label`](truce_core::Label).
//! - [`Bus`] (`bus.rs`): `publish` and `subscribe`; [`LocalBus`] in process. The WebSocket stream, the
//!   alerts pushed to TAK devices and the map are fed only by it. With the `nats` feature, the `nats`
//!   module's `NatsBus` joins the buses of several nodes over NATS JetStream, each event in the form
//!   [`envelope`] gives it (subject by type and sector, label in a header, a content-derived id).
//! - [`wire`]: the one JSON form of observations, tracks, geofence events and the vocabulary, used by
//!   the API, the stream and the command line.
//! - [`pipeline`]: validate → classify → store → publish, the one path for every observation.
//! - [`sources`]: the feeds, a folder each with its configuration and runtime: HTTP, TAK, files, the
//!   demo's simulator.
//! - [`watch`]: incidents, early warning, alerts and compliance cases over the store, and the watch
//!   task that raises alerts.
//! - [`config`]: the configuration file, every section the config of a feed or of the node, every
//!   problem reported at once with its line.
//! - [`data_dir`]: opening a data directory with its agreement and sectors.
//! - [`query`]: the filters of an observation listing, checked.
//! - [`export`]: observations as GeoJSON, CSV and KML files, each record with its label.
//! - [`shipped`]: the agreement, sectors, coalition and geography carried inside the binary.
//! - [`geometry`]: the agreement as GeoJSON for the map.

pub mod bus;
pub mod config;
pub mod data_dir;
pub mod envelope;
mod error;
pub mod event;
pub mod export;
pub mod geometry;
pub mod kept;
#[cfg(feature = "nats")]
pub mod nats;
mod node;
pub mod pipeline;
pub mod query;
pub mod shipped;
pub mod sources;
pub mod watch;
pub mod wire;

pub use bus::{Bus, Delivery, LocalBus, Seen, Subscription};
pub use error::NodeError;
pub use event::{Event, EventKind, TakRelay};
pub use node::Node;
pub use pipeline::Rejection;
