//! What the AIS and ADS-B feeds share once a message is decoded: each report of a vessel or an
//! aircraft ([`Update`]) becomes a CoT event that goes to the node's track consumer (history,
//! geofencing, the bus, the map) exactly as a TAK device's position does, and, at most once every
//! [`DEVICE_EVERY`] per craft, to the TAK devices: an AIS receiver in a busy strait reports a ship
//! every two to ten seconds and an ADS-B receiver an aircraft several times a second, more than a
//! phone on a tactical radio network should draw.
//!
//! The same task runs the sea and air detectors (crate `truce-detect`: going dark, spoofing,
//! encounters, loitering, GNSS interference, emergency squawks) over every report, with the ports
//! they know and the agreement's maritime exclusion zones; time-driven detections (a vessel gone
//! dark) are checked each minute of feed time, so a recording replayed fast is judged by its own
//! clock. Each detection is published on the bus with the label of the feed that reported the
//! craft, like the tracks it rests on.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;
use tokio::sync::mpsc;
use truce_tak::{Received, TakHandle};
use truce_track::contact::Contact;

use super::tracks::Tracks;
use crate::{Event, Node};

/// The shortest interval between two updates of one craft sent to the TAK devices.
pub const DEVICE_EVERY: Duration = Duration::from_secs(5);
/// Updates buffered between the feeds and the consumer.
const CHANNEL: usize = 16_384;
/// Crafts not pushed to devices for this long are forgotten by the rate limit.
const FORGET: Duration = Duration::from_secs(600);

/// One report of a vessel or an aircraft.
#[derive(Debug, Clone)]
pub struct Update {
    /// What is known of the craft now.
    pub contact: Contact,
    /// The feed: `ais` or `adsb`.
    pub feed: &'static str,
    /// The input it came from (`tcp:host:port`, `file:...`).
    pub input: Arc<str>,
    /// Its security label (the feed's).
    pub label: truce_core::Label,
    /// When it was read.
    pub received_at: OffsetDateTime,
}

/// The running consumer; dropping it stops it.
pub struct SeaAir {
    tx: mpsc::Sender<Update>,
    task: tokio::task::JoinHandle<()>,
}

impl SeaAir {
    /// Starts the consumer: tracks go to `tracks`, and to the devices of `tak` when there is one;
    /// detections, with `detect`'s thresholds, to the node's bus.
    ///
    /// # Errors
    /// The detectors' configuration is invalid.
    pub fn start(
        node: &Arc<Node>,
        tracks: &Tracks,
        tak: Option<TakHandle>,
        detect: truce_detect::Config,
    ) -> Result<Self, crate::NodeError> {
        let geography = truce_detect::Geography {
            ports: truce_detect::scenario::ports(),
            maritime_zones: maritime_zones(&node.agreement),
        };
        let detectors = truce_detect::Detectors::new(detect, geography)
            .map_err(|e| crate::NodeError::Invalid(format!("the sea and air detectors: {e}")))?;
        let (tx, rx) = mpsc::channel(CHANNEL);
        let task = tokio::spawn(run(rx, tracks.sender(), tak, detectors, node.clone()));
        Ok(Self { tx, task })
    }

    /// Where a feed sends its updates.
    pub fn sender(&self) -> mpsc::Sender<Update> {
        self.tx.clone()
    }
}

impl Drop for SeaAir {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The agreement's maritime exclusion zones that are drawn as polygons.
fn maritime_zones(a: &truce_engine::Agreement) -> Vec<(String, truce_geo::ZonePolygon)> {
    a.zones
        .iter()
        .filter(|z| z.kind.id() == "maritime_exclusion")
        .filter_map(|z| match &z.shape {
            truce_engine::agreement::ZoneShape::Polygons { polygons, .. } => {
                Some((z.id.clone(), truce_geo::ZonePolygon { polygons: polygons.clone() }))
            }
            truce_engine::agreement::ZoneShape::Band { .. } => None,
        })
        .collect()
}

/// A detector's fix from a report.
fn fix(c: &Contact, received_at: OffsetDateTime) -> truce_detect::Fix {
    let kind = match c.kind {
        Some(truce_track::contact::Kind::Aircraft) => truce_detect::Kind::Aircraft,
        _ => truce_detect::Kind::Vessel,
    };
    let mut f = truce_detect::Fix::new(kind, c.id, c.time.unwrap_or(received_at), truce_geo::LonLat::new(c.lon, c.lat));
    f.speed_kn = c.speed_kn;
    f.course_deg = c.course_deg;
    f.altitude_ft = c.altitude_ft;
    f.nic = c.nic;
    f.nacp = c.nacp;
    // The four octal digits read as a decimal number (7700), as truce-detect keeps a squawk.
    f.squawk = c.squawk.as_deref().and_then(|s| s.parse().ok());
    f
}

async fn run(
    mut rx: mpsc::Receiver<Update>,
    tracks: mpsc::Sender<Received>,
    tak: Option<TakHandle>,
    mut detectors: truce_detect::Detectors,
    node: Arc<Node>,
) {
    let mut pushed: HashMap<(bool, u32), tokio::time::Instant> = HashMap::new();
    let mut last_prune = tokio::time::Instant::now();
    // The label each craft was last reported with, for the detections that name it.
    let mut labels: HashMap<(truce_detect::Kind, u32), truce_core::Label> = HashMap::new();
    let mut feed_clock: Option<OffsetDateTime> = None;
    let mut last_tick: Option<OffsetDateTime> = None;
    while let Some(u) = rx.recv().await {
        let f = fix(&u.contact, u.received_at);
        if labels.len() > 200_000 {
            labels.clear();
        }
        labels.insert(f.track(), u.label.clone());
        let mut alerts = detectors.push(&f);
        feed_clock = Some(feed_clock.map_or(f.time, |c| c.max(f.time)));
        if let Some(now) = feed_clock
            && last_tick.is_none_or(|t| now - t >= time::Duration::minutes(1))
        {
            alerts.extend(detectors.tick(now));
            last_tick = Some(now);
        }
        for a in alerts {
            let label = a.tracks.iter().find_map(|t| labels.get(t)).cloned().unwrap_or_else(|| u.label.clone());
            metrics::counter!("truce_detections_total", "detector" => a.detector.name()).increment(1);
            tracing::info!("detection: {}", a.summary);
            node.bus.publish(Event::detection(Arc::new(a), label));
        }
        let event = Arc::new(u.contact.to_event(u.received_at));
        if let Some(tak) = &tak {
            let now = tokio::time::Instant::now();
            let key = (u.contact.kind == Some(truce_track::contact::Kind::Aircraft), u.contact.id);
            let due = pushed.get(&key).is_none_or(|t| now.duration_since(*t) >= DEVICE_EVERY);
            if due {
                pushed.insert(key, now);
                tak.publish((*event).clone(), u.label.clone());
                metrics::counter!("truce_sea_air_device_updates_total", "feed" => u.feed).increment(1);
            }
            if now.duration_since(last_prune) >= FORGET {
                pushed.retain(|_, t| now.duration_since(*t) < FORGET);
                last_prune = now;
            }
        }
        let source = truce_tak::Source {
            identity: u.feed.to_owned(),
            group: None,
            peer: u.input.to_string(),
            // Not read by the track consumer (it is the TAK listener a device used).
            transport: truce_tak::Transport::Tcp,
            label: u.label,
        };
        if tracks.send(Received { event, source, received_at: u.received_at }).await.is_err() {
            return;
        }
        metrics::counter!("truce_sea_air_updates_total", "feed" => u.feed).increment(1);
    }
}
