//! The track consumer: every source of tracks (TAK devices, and the AIS and ADS-B feeds) sends its
//! CoT events here, with who sent them. It takes them in batches (up to 8,192 events per
//! transaction), tracks and stores them on the blocking pool (crate `truce-track`: the history, the
//! geofence events against the agreement, weapon marks as observations through the pipeline), and
//! publishes on the bus the latest position of each track and the geofence events, after they are
//! stored. One consumer serves every source, so a vessel heard by AIS and an ATAK user are geofenced
//! by the same rules and reach the map by the same path.
//!
//! Only the latest position per track per batch goes on the bus, for the browsers, which draw where a
//! track is: a batch can hold thousands of reports of the same devices when the consumer is behind,
//! and each one more would cost every viewer's stream a message. The TAK devices get every position,
//! on every node: the TAK server routes each one as it arrives and relays it to the other nodes'
//! servers (`sources::tak`), without waiting for this consumer.

use std::collections::HashMap;
use std::sync::Arc;

use time::OffsetDateTime;
use tokio::sync::mpsc;
use truce_tak::Received;
use truce_track::{Source, Tracker};

use crate::{Event, Node};

/// Events buffered between the sources and the consumer.
const CHANNEL: usize = 65_536;
/// Most events processed and stored in one transaction (8,192): half the bus's buffer, since a batch's
/// positions are published in one burst and a subscriber must not lag for one batch.
const MAX_BATCH: usize = crate::bus::CAPACITY / 2;

/// The running consumer: dropping it stops it.
pub struct Tracks {
    tx: mpsc::Sender<Received>,
    consumer: tokio::task::JoinHandle<()>,
}

impl Tracks {
    /// Starts the consumer on the node.
    pub fn start(node: &Arc<Node>) -> Self {
        let (tx, rx) = mpsc::channel(CHANNEL);
        let consumer = tokio::spawn(consume(node.clone(), rx));
        Self { tx, consumer }
    }

    /// Where a source sends its events.
    pub fn sender(&self) -> mpsc::Sender<Received> {
        self.tx.clone()
    }
}

impl Drop for Tracks {
    fn drop(&mut self) {
        self.consumer.abort();
    }
}

/// Processes, stores and publishes what the sources send, batch by batch, until the channel closes.
async fn consume(node: Arc<Node>, mut rx: mpsc::Receiver<Received>) {
    let mut t = Tracker::new(node.agreement.clone());
    // Tracks of a previous run (stale for under an hour) are known, not first seen again.
    let since = OffsetDateTime::now_utc() - time::Duration::hours(1);
    let store = node.store.clone();
    match tokio::task::spawn_blocking(move || store.latest_tracks(since)).await {
        Ok(Ok(rows)) => t.resume(&rows),
        Ok(Err(e)) => tracing::error!("cannot read the stored tracks; geofencing starts afresh: {e}"),
        Err(e) => tracing::error!("cannot read the stored tracks; geofencing starts afresh: {e}"),
    }
    let mut tracker = Some(t);
    let mut batch = Vec::new();
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let Some(mut t) = tracker.take() else { return };
        let n = node.clone();
        let received = std::mem::take(&mut batch);
        let done = tokio::task::spawn_blocking(move || {
            store_batch(&n, &mut t, &received);
            t
        })
        .await;
        match done {
            Ok(t) => tracker = Some(t),
            Err(e) => {
                tracing::error!("the track consumer failed: {e}");
                return;
            }
        }
    }
}

/// Tracks one batch, stores its points and geofence events in one transaction, sends its weapon
/// sightings through the pipeline, and publishes the batch's geofence events and the latest position
/// of each atom track. Blocking.
fn store_batch(node: &Node, tracker: &mut Tracker, received: &[Received]) {
    let mut points = Vec::with_capacity(received.len());
    let mut sightings = Vec::new();
    let mut geofence = Vec::new();
    for r in received {
        if r.event.detail.marti.as_ref().is_some_and(|m| m.dests.iter().any(|d| d.mission.is_some())) {
            let access = node.tak_party(r.source.user.as_deref()).access;
            node.missions.on_device_event(r, &node.view(&access));
        }
        let source = Source {
            identity: r.source.identity.clone(),
            group: r.source.group.clone(),
            peer: r.source.peer.clone(),
            label: r.source.label.clone(),
        };
        let p = tracker.process(&r.event, &source, r.received_at);
        points.push(p.point);
        sightings.extend(p.observation.map(|o| (o, r.received_at)));
        geofence.extend(p.geofence);
    }
    if let Err(e) = node.store.insert_tracks(&points, &geofence) {
        // The events were routed already; their history row is what failed. Say so loudly.
        tracing::error!("cannot store {} TAK events: {e}", points.len());
        metrics::counter!("truce_tak_store_failed_total").increment(points.len() as u64);
        return;
    }
    metrics::counter!("truce_tak_events_stored_total").increment(points.len() as u64);
    let mut batch = Vec::with_capacity(sightings.len());
    for (o, at) in sightings {
        match node.prepare(o, at, &truce_access::Access::all()) {
            Ok(s) => batch.push(s),
            Err(e) => tracing::error!("an observation from a track was refused: {e}"),
        }
    }
    if let Err(e) = store_sightings(node, batch) {
        tracing::error!("cannot store the observations of tracks: {e}");
    }
    for g in geofence {
        let at = node.sector_of(g.lat, g.lon);
        node.bus.publish(Event::geofence(Arc::new(g)).in_sector(at));
    }
    // The last report of each atom uid in the batch, in batch order.
    let mut last: HashMap<&str, usize> = HashMap::new();
    for (i, p) in points.iter().enumerate().filter(|(_, p)| p.type_.starts_with("a-")) {
        last.insert(&p.uid, i);
    }
    let mut keep = vec![false; points.len()];
    for i in last.into_values() {
        keep[i] = true;
    }
    for (p, keep) in points.into_iter().zip(keep) {
        if keep {
            let at = node.sector_of(p.lat, p.lon);
            node.bus.publish(Event::track(Arc::new(p)).in_sector(at));
        }
    }
}

/// Stores the weapon sightings of a batch. A marker's first report is its observation: ATAK sends a
/// marker again whenever it is edited or re-broadcast, and those later reports (in the track history)
/// neither replace it nor count as conflicts; only a person corrects an observation (`PUT`). Each
/// sighting's first version is recorded by the TAK user who marked it.
fn store_sightings(node: &Node, batch: Vec<truce_core::StoredObservation>) -> Result<(), truce_store::StoreError> {
    let mut seen = std::collections::HashSet::new();
    let mut batch: Vec<_> = batch.into_iter().filter(|s| seen.insert(s.observation.id.clone())).collect();
    while !batch.is_empty() {
        let rows = batch
            .iter()
            .map(|s| {
                let who = s.observation.observer.callsign.as_deref().unwrap_or("unknown");
                // A TAK user marked it, or a sea or air feed (`ais`, `adsb`) saw a craft in a zone.
                let by = if s.observation.observer.means == truce_core::Means::Sensor {
                    who.to_owned()
                } else {
                    format!("tak {who}")
                };
                truce_store::EncodedRow::new(s).map(|r| r.by(&by))
            })
            .collect::<Result<Vec<_>, _>>()?;
        match node.commit_encoded(&rows, batch.clone()) {
            Err(truce_store::StoreError::Conflict(conflicts)) => {
                metrics::counter!("truce_tak_sightings_repeated_total").increment(conflicts.len() as u64);
                batch.retain(|s| !conflicts.iter().any(|c| c.id == s.observation.id));
            }
            other => return other.map(|_| ()),
        }
    }
    Ok(())
}
