//! What the AIS and ADS-B feeds share once a message is decoded: each report of a vessel or an
//! aircraft ([`Update`]) becomes a CoT event that goes to the node's track consumer (history,
//! geofencing, the bus, the map) exactly as a TAK device's position does, and, at most once every
//! [`DEVICE_EVERY`] per craft, to the TAK devices: an AIS receiver in a busy strait reports a ship
//! every two to ten seconds and an ADS-B receiver an aircraft several times a second, more than a
//! phone on a tactical radio network should draw.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;
use tokio::sync::mpsc;
use truce_tak::{Received, TakHandle};
use truce_track::contact::Contact;

use super::tracks::Tracks;

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
    /// Starts the consumer: tracks go to `tracks`, and to the devices of `tak` when there is one.
    pub fn start(tracks: &Tracks, tak: Option<TakHandle>) -> Self {
        let (tx, rx) = mpsc::channel(CHANNEL);
        let task = tokio::spawn(run(rx, tracks.sender(), tak));
        Self { tx, task }
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

async fn run(mut rx: mpsc::Receiver<Update>, tracks: mpsc::Sender<Received>, tak: Option<TakHandle>) {
    let mut pushed: HashMap<(bool, u32), tokio::time::Instant> = HashMap::new();
    let mut last_prune = tokio::time::Instant::now();
    while let Some(u) = rx.recv().await {
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
