//! The TAK feed: TAK devices join over TCP, TLS or UDP (crate `truce-tak` routes their messages
//! between them like a TAK server); every event they send becomes a track point in the history, a
//! weapon mark becomes an observation through the node's pipeline, and geofence events are raised
//! against the agreement's zones and lines (crate `truce-track`).
//!
//! Two tasks run beside the listeners. The **consumer** takes what clients send in batches (up to
//! 8,192 events per transaction), tracks and stores them on the blocking pool, and publishes on the
//! bus the latest position of each track and the geofence events, after they are stored. The **alert
//! push** subscribes to the bus and sends every geofence event to the TAK clients as a CoT alert: the
//! devices are one more output fed by the bus.

pub mod config;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use time::OffsetDateTime;
use tokio::sync::mpsc;
use truce_tak::{Received, TakHandle, TakServer};
use truce_track::{Source, Tracker};

pub use config::TakConfig;

use crate::bus::Delivery;
use crate::{Event, EventKind, Node, NodeError};

/// Events buffered between the network and the consumer.
const CHANNEL: usize = 65_536;
/// Most events processed and stored in one transaction.
const MAX_BATCH: usize = 8_192;

/// The running TAK feed: dropping it stops the listeners and both tasks.
pub struct Tak {
    server: TakServer,
    consumer: tokio::task::JoinHandle<()>,
    push: tokio::task::JoinHandle<()>,
    disabled: tokio::task::JoinHandle<()>,
}

impl Tak {
    /// Where the plain TCP listener is bound, if it is on.
    pub fn tcp_addr(&self) -> Option<SocketAddr> {
        self.server.tcp_addr
    }

    /// Where each listener is bound: (`tcp`/`tls`/`udp`, address).
    pub fn addrs(&self) -> Vec<(&'static str, SocketAddr)> {
        [("tcp", self.server.tcp_addr), ("tls", self.server.tls_addr), ("udp", self.server.udp_addr)]
            .into_iter()
            .filter_map(|(what, a)| a.map(|a| (what, a)))
            .collect()
    }

    /// A handle to the server: its counters, and publishing to its clients.
    pub fn handle(&self) -> TakHandle {
        self.server.handle()
    }
}

impl Drop for Tak {
    fn drop(&mut self) {
        self.consumer.abort();
        self.push.abort();
        self.disabled.abort();
    }
}

/// Starts the listeners `config` asks for (none: `Ok(None)`), the consumer and the alert push. Every
/// listener is bound, or the call has failed, when it returns.
///
/// # Errors
/// A listener cannot bind, TLS was asked for without a server certificate, or the certificates
/// cannot be read.
pub async fn start(node: &Arc<Node>, config: &TakConfig, data_dir: &Path) -> Result<Option<Tak>, NodeError> {
    let tcp = config.tcp.addr();
    let udp = config.udp.addr();
    let certs = truce_pki::CertStore::new(config.certs_dir.clone().unwrap_or_else(|| data_dir.join("certs")));
    let have_cert = certs.server_cert_path().is_file();
    let tls_addr = match config.tls {
        Some(l) if l.addr().is_some() && !have_cert => {
            return Err(NodeError::Invalid(format!(
                "TAK over TLS on {l}: no server certificate in {}; run `truce certs init` first",
                certs.dir().display()
            )));
        }
        Some(l) => l.addr(),
        // On the TCP listener's host (which follows the HTTP listener's unless given).
        None if have_cert => {
            Some(SocketAddr::new(config.tcp.addr().map_or(std::net::Ipv4Addr::UNSPECIFIED.into(), |a| a.ip()), 8089))
        }
        None => {
            tracing::info!(
                "TAK over TLS is off: no server certificate in {} (`truce certs init` makes one)",
                certs.dir().display()
            );
            None
        }
    };
    let tls = match tls_addr {
        Some(a) => {
            let trust = certs.trust_material()?;
            let config = truce_tak::tls_config(&trust.ca_cert_der, &trust.server_cert_der, &trust.server_key_der)?;
            Some((a, config))
        }
        None => None,
    };
    if tcp.is_none() && udp.is_none() && tls.is_none() {
        return Ok(None);
    }
    let limits = truce_tak::Limits {
        queue_capacity: config.queue,
        flush_interval: std::time::Duration::from_millis(config.flush_ms),
        group_channels: config.channels,
        ..truce_tak::Limits::default()
    };
    let server_config = truce_tak::Config {
        tcp,
        tls,
        udp,
        multicast: config.multicast,
        limits,
        server_uid: format!("truce-{}", std::process::id()),
        parties: Some({
            let n = node.clone();
            Arc::new(move |id: Option<&truce_pki::Identity>| n.tak_party(id.and_then(|i| i.user.as_deref())))
        }),
    };
    let (tx, rx) = mpsc::channel(CHANNEL);
    let server = TakServer::start(server_config, tx).await?;
    // Subscribe before the consumer can publish anything, so no geofence event is missed. The push
    // hears everything and hands the TAK server each alert with its label: the server delivers it to
    // the clients whose party may see it.
    let push = tokio::spawn(push_alerts(node.bus.subscribe(truce_access::Access::all()), server.handle()));
    let consumer = tokio::spawn(consume(node.clone(), rx));
    let disabled = tokio::spawn(end_disabled_users(node.clone(), server.handle()));
    Ok(Some(Tak { server, consumer, push, disabled }))
}

/// How often the connected devices' users are looked up: a device whose user was disabled (by
/// `truce users disable`, from another process too) loses its connection within this.
pub const USER_CHECK: std::time::Duration = std::time::Duration::from_secs(2);

/// Every [`USER_CHECK`], ends the connections of devices whose user is disabled or gone (as a
/// disabled user's web sessions end); such a device that connects again is anonymous.
async fn end_disabled_users(node: Arc<Node>, tak: TakHandle) {
    let mut ticker = tokio::time::interval(USER_CHECK);
    loop {
        ticker.tick().await;
        let users = tak.users();
        if users.is_empty() {
            continue;
        }
        let store = node.store.clone();
        let gone = tokio::task::spawn_blocking(move || {
            users
                .into_iter()
                .filter(|name| match store.user(name) {
                    Ok(Some(u)) => u.disabled,
                    Ok(None) => true,
                    Err(e) => {
                        tracing::error!("TAK: cannot look up user {name}: {e}");
                        false
                    }
                })
                .collect::<std::collections::BTreeSet<String>>()
        })
        .await
        .unwrap_or_default();
        if !gone.is_empty() {
            let n = tak.close_users(&gone);
            tracing::info!("TAK: closed {n} connection(s) of disabled user(s) {gone:?}");
        }
    }
}

/// Sends every geofence event on the bus to the TAK clients as a CoT alert.
async fn push_alerts(mut events: crate::Subscription, tak: TakHandle) {
    loop {
        match events.recv().await {
            Delivery::Event(e) => {
                if let EventKind::Geofence(g) = &e.event.kind {
                    tak.publish(truce_track::geofence_cot(g, OffsetDateTime::now_utc()), e.event.label.clone());
                }
            }
            Delivery::Lagged(n) => {
                metrics::counter!("truce_tak_alerts_lagged_total").increment(n);
                tracing::warn!("TAK alert push fell {n} events behind the bus; their geofence alerts were not sent");
            }
            Delivery::Closed => return,
        }
    }
}

/// Processes, stores and publishes what clients send, batch by batch, until the channel closes.
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
                tracing::error!("the TAK consumer failed: {e}");
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
            Err(e) => tracing::error!("a weapon sighting from TAK was refused: {e}"),
        }
    }
    if let Err(e) = store_sightings(node, batch) {
        tracing::error!("cannot store weapon sightings from TAK: {e}");
    }
    for g in geofence {
        node.bus.publish(Event::geofence(Arc::new(g)));
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
            node.bus.publish(Event::track(Arc::new(p)));
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
                truce_store::EncodedRow::new(s).map(|r| r.by(&format!("tak {who}")))
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
