//! The demo's simulator: a fresh data directory with the illustrative agreement and the shipped
//! coalition, a deterministic simulated week of observations (see [`scenario`] for the story) with the
//! alerts the watch would have raised hour by hour, a live feed that goes on at a realistic rate
//! (`speed` multiplies it), and simulated TAK units that join the node's own TAK server as real
//! clients would ([`tak_units`]), and ships and aircraft that reach the node's AIS and ADS-B feeds over
//! NMEA and readsb's `aircraft.json` ([`sea_air`]). Everything goes through the node's pipeline like any
//! other feed.

pub mod config;
pub mod scenario;
pub mod sea_air;
pub mod tak_units;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use time::{Duration, OffsetDateTime};
use truce_engine::Agreement;
use truce_geo::LonLat;

pub use config::DemoConfig;

use crate::{LocalBus, Node, NodeError, data_dir};

/// A demo ready to serve: the node with its simulated days stored, and what the live feed needs.
pub struct Demo {
    /// The node.
    pub node: Arc<Node>,
    /// Its data directory.
    pub data_dir: PathBuf,
    /// When the simulated days start.
    pub start: OffsetDateTime,
    /// When they end.
    pub end: OffsetDateTime,
    /// How many simulated observations were stored.
    pub stored: usize,
    /// The line the scenario and the units follow.
    pub line: Vec<LonLat>,
    scenario: Option<scenario::Scenario>,
    config: DemoConfig,
}

/// When the simulated days start: `start`, else `days` before the current hour.
fn start_of(config: &DemoConfig, now: OffsetDateTime) -> OffsetDateTime {
    config.start.unwrap_or_else(|| {
        let hour = now
            .replace_minute(0)
            .and_then(|t| t.replace_second(0))
            .and_then(|t| t.replace_nanosecond(0))
            .unwrap_or(now);
        hour - Duration::days(config.days)
    })
}

/// The line the demo's scenario is cut from: the agreement's `loc`, else its first line.
///
/// # Errors
/// The agreement has no line.
pub fn demo_line(agreement: &Agreement) -> Result<Vec<LonLat>, NodeError> {
    agreement
        .lines
        .iter()
        .find(|l| l.id == "loc")
        .or_else(|| agreement.lines.first())
        .map(|l| l.parts[0].clone())
        .ok_or_else(|| NodeError::Invalid("the agreement has no line for the demo".into()))
}

/// The demo's data directory when none is given: a new one under the system's temporary directory.
pub fn default_data_dir() -> PathBuf {
    std::env::temp_dir().join(format!(
        "truce-demo-{}-{}",
        std::process::id(),
        OffsetDateTime::now_utc().unix_timestamp()
    ))
}

impl Demo {
    /// Makes the demo's node: a fresh data directory (`config.data_dir`, which must not hold a store,
    /// or a new one under the system's temporary directory), the agreement (`agreement`, else the
    /// shipped one) and sectors, the shipped coalition, a CA and server certificate for TAK over TLS
    /// (unless `certs_dir` is given) and the simulated days stored through the pipeline. The alerts
    /// they raise come with [`Demo::replay_alerts`], once the users are made.
    ///
    /// # Errors
    /// The data directory already holds a store, a file is invalid, or the store failed.
    pub fn prepare(
        config: &DemoConfig,
        agreement: Option<&Path>,
        sectors: Option<&Path>,
        certs_dir: Option<&Path>,
    ) -> Result<Demo, NodeError> {
        let dir = match &config.data_dir {
            Some(d) => {
                if d.join(truce_store::DATABASE_FILE).exists() {
                    return Err(NodeError::Invalid(format!(
                        "{} already holds a store; the demo needs a fresh directory (or none: it makes one)",
                        d.display()
                    )));
                }
                d.clone()
            }
            None => default_data_dir(),
        };
        let (store, agreement, _) = data_dir::open_or_create(&dir, None, agreement)?;
        data_dir::import_shipped_coalition(&*store, &dir)?;
        if certs_dir.is_none() {
            truce_pki::CertStore::new(dir.join("certs")).init(&truce_pki::InitOptions::default())?;
        }
        let line = demo_line(&agreement)?;
        let sectors = data_dir::load_sectors(sectors, &agreement)?;
        let policy = Arc::new(data_dir::load_policy(&dir)?);
        let node =
            Arc::new(Node::new(store, policy, Arc::new(agreement), Arc::new(sectors), Arc::new(LocalBus::new())));

        let now = OffsetDateTime::now_utc();
        let start = start_of(config, now);
        let end = start + Duration::days(config.days);
        let mut scenario = scenario::Scenario::new(&line, config.seed, start);
        let simulated = scenario.hours(24 * config.days);
        let made = simulated.len();
        // An agreement other than the shipped one may not know every weapon class the story uses.
        let batch: Vec<_> =
            simulated.into_iter().filter_map(|o| node.prepare(o, now, &truce_access::Access::all()).ok()).collect();
        if batch.len() < made {
            tracing::warn!(
                "{} simulated observations name what the agreement does not know; left out",
                made - batch.len()
            );
        }
        let stored = batch.len();
        node.commit("demo", batch)?;
        Ok(Demo { node, data_dir: dir, start, end, stored, line, scenario: Some(scenario), config: config.clone() })
    }

    /// Fills the alert history the watch would have raised over the simulated days, hour by hour, for
    /// each of the node's audiences ([`Node::audiences`]: call it once the users are made), and keeps
    /// each audience's last picture on the node.
    ///
    /// # Errors
    /// When the store fails.
    pub fn replay_alerts(&self) -> Result<(), NodeError> {
        let node = &self.node;
        let until = self.end.min(OffsetDateTime::now_utc());
        let simulated = crate::watch::load(&*node.store, self.start, until)?;
        let pictures = crate::watch::replay(
            &*node.store,
            &node.policy,
            &node.audiences()?,
            &node.agreement,
            &node.sectors,
            &simulated,
            self.start,
            until,
        )?;
        let version = node.data_version();
        for (audience, picture) in pictures {
            node.seed_warning(&audience, version, picture);
        }
        Ok(())
    }

    /// Plays the scenario on from where the simulated days ended: each observation is released when
    /// its time comes (scaled by `speed`), stamped with the time it is released, and committed through
    /// the pipeline. Runs until aborted.
    pub async fn feed(node: Arc<Node>, mut scenario: scenario::Scenario, speed: f64, days: i64) {
        let began = tokio::time::Instant::now();
        let epoch = OffsetDateTime::now_utc();
        let mut hour_index = 24 * days;
        let first_live_hour = scenario.start() + Duration::hours(24 * days);
        loop {
            let hour_start = scenario.start() + Duration::hours(hour_index);
            for mut observation in scenario.hour(hour_start) {
                let offset = (observation.time - first_live_hour).as_seconds_f64().max(0.0);
                let due = began + std::time::Duration::from_secs_f64(offset / speed.max(0.001));
                tokio::time::sleep_until(due).await;
                let released = epoch + (tokio::time::Instant::now() - began);
                observation.time = released.replace_nanosecond(0).unwrap_or(released);
                let stored = match node.prepare(observation, released, &truce_access::Access::all()) {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::error!("demo feed: the scenario made an observation the agreement refuses: {e}");
                        continue;
                    }
                };
                if let Err(e) = node.commit_async("demo feed", vec![stored]).await {
                    tracing::error!("demo feed: cannot store an observation: {e}");
                }
            }
            hour_index += 1;
        }
    }

    /// Starts the live feed (see [`Demo::feed`]) on the current runtime; `None` if it was started
    /// already.
    pub fn spawn_feed(&mut self) -> Option<tokio::task::JoinHandle<()>> {
        let scenario = self.scenario.take()?;
        Some(tokio::spawn(Self::feed(self.node.clone(), scenario, self.config.speed, self.config.days)))
    }

    /// Connects the simulated TAK units to the TAK server's TCP listener at `addr`.
    pub fn spawn_units(&self, addr: std::net::SocketAddr) -> tak_units::Units {
        tak_units::spawn(addr, tak_units::units(&self.line, self.config.seed))
    }
}

/// Writes the simulated days as NDJSON observations, one per line, in the API's form (so `truce
/// ingest` loads them); returns how many.
///
/// # Errors
/// The agreement is invalid or has no line, or writing failed.
pub fn export(config: &DemoConfig, agreement: Option<&Path>, out: &mut dyn Write) -> Result<usize, NodeError> {
    let agreement_path = match agreement {
        Some(p) => p.to_path_buf(),
        None => crate::shipped::in_temp_dir()?.join(crate::shipped::AGREEMENT),
    };
    let agreement = data_dir::load_agreement(&agreement_path)?;
    let line = demo_line(&agreement)?;
    let start = start_of(config, OffsetDateTime::now_utc());
    let days = scenario::Scenario::new(&line, config.seed, start).hours(24 * config.days);
    let io = |e: std::io::Error| NodeError::io("cannot write the simulated observations", e);
    for o in &days {
        serde_json::to_writer(&mut *out, o).map_err(|e| io(e.into()))?;
        out.write_all(b"\n").map_err(io)?;
    }
    out.flush().map_err(io)?;
    Ok(days.len())
}
