//! The TAK feed: TAK devices join over TCP, TLS or UDP (crate `truce-tak` routes their messages
//! between them like a TAK server); every event they send becomes a track point in the history, a
//! weapon mark becomes an observation through the node's pipeline, and geofence events are raised
//! against the agreement's zones and lines (crate `truce-track`).
//!
//! What clients send goes to the node's track consumer ([`Tracks`]), which
//! the sea and air feeds share. Beside the listeners the **alert push** subscribes to the bus and
//! sends every geofence event to the TAK clients as a CoT alert: the devices are one more output fed
//! by the bus.
//!
//! **In a cluster** a device sees what it would see if every device were connected to its node.
//! Every message the TAK server routes (chat, directed messages, tasks, markers, every position, as
//! the device sent it) is relayed to the other nodes ([`crate::Bus::relay`], a
//! [`TakRelay::Message`] with the label and team it was routed with, or a [`TakRelay::Position`],
//! carried live rather than stored) as soon as it is routed, before it is stored; their alert push
//! routes it as a local client's ([`TakHandle::relay`]): to the
//! devices whose party may see the label, only to the named devices when it is directed, only to its
//! team when channels are on, and into the picture. Mission changes go to their subscribed devices
//! on every node ([`missions`]). Nothing relayed reaches a web viewer: they see the tracks the track
//! consumer publishes (the latest position per device per batch) from every node alike.
pub mod config;
pub mod missions;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use time::OffsetDateTime;
use truce_tak::{TakHandle, TakServer};

pub use config::TakConfig;

use super::tracks::Tracks;
use crate::bus::Delivery;
use crate::{Event, EventKind, Node, NodeError, TakRelay};

/// The running TAK feed: dropping it stops the listeners and its tasks.
pub struct Tak {
    server: TakServer,
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
        self.push.abort();
        self.disabled.abort();
    }
}

/// Starts the listeners `config` asks for (none: `Ok(None)`) and the alert push; what clients send
/// goes to `tracks`. Every listener is bound, or the call has failed, when it returns.
///
/// # Errors
/// A listener cannot bind, TLS was asked for without a server certificate, or the certificates
/// cannot be read.
pub async fn start(
    node: &Arc<Node>,
    config: &TakConfig,
    data_dir: &Path,
    tracks: &Tracks,
) -> Result<Option<Tak>, NodeError> {
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
    let mut revoked = None;
    let tls = match tls_addr {
        Some(a) => {
            let trust = certs.trust_material()?;
            let revocations = certs.revocations()?;
            revoked = Some(revocations.clone());
            let config =
                truce_tak::tls_config(&trust.ca_cert_der, &trust.server_cert_der, &trust.server_key_der, revocations)?;
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
        // Only a node joined to others relays what its server routes; alone, nothing is built.
        routed: node.bus.relays().then(|| -> truce_tak::RoutedHook {
            let bus = node.bus.clone();
            Arc::new(move |r: truce_tak::Routed<'_>| {
                let directed = r.event.detail.marti.as_ref().is_some_and(|m| !m.dests.is_empty());
                let cot = String::from_utf8_lossy(r.xml).into_owned();
                let message =
                    TakRelay::routed(&r.event.type_, directed, r.label.clone(), cot, r.group.map(str::to_owned));
                bus.relay(Event::tak(message, r.event.time));
            })
        }),
    };
    // Subscribe before any client can send, so no geofence event of theirs is missed. The push hears
    // everything and hands the TAK server each alert with its label: the server delivers it to the
    // clients whose party may see it.
    let events = node.bus.subscribe(truce_access::Access::all()).with_tak();
    let server = TakServer::start(server_config, tracks.sender()).await?;
    let missions = node.missions.clone();
    let handle = server.handle();
    tokio::task::spawn_blocking(move || missions.attach(handle))
        .await
        .map_err(|e| NodeError::Invalid(format!("loading the missions' subscribers: {e}")))??;
    recall_picture(node, &server.handle()).await;
    let push = tokio::spawn(push_alerts(events, server.handle()));
    let disabled = tokio::spawn(end_disabled_users(node.clone(), server.handle(), revoked));
    Ok(Some(Tak { server, push, disabled }))
}

/// Takes the live picture the store holds into the TAK server's: the latest report of every device
/// and craft that is not stale yet, so that a device joining a node that just started gets it (in a
/// cluster, every node's devices; after a restart, the node's own). What arrives meanwhile (the alert
/// push starts after this) is newer and replaces it. A report whose CoT does not parse is left out.
async fn recall_picture(node: &Arc<Node>, tak: &TakHandle) {
    let store = node.store.clone();
    let live = tokio::task::spawn_blocking(move || store.latest_tracks(OffsetDateTime::now_utc())).await;
    let rows = match live.map_err(|e| e.to_string()).and_then(|r| r.map_err(|e| e.to_string())) {
        Ok(rows) => rows,
        Err(e) => {
            tracing::warn!("TAK: the live picture could not be read from the store: {e}");
            return;
        }
    };
    let mut kept = 0;
    for t in rows {
        match truce_cot::xml::parse_event(t.xml.as_bytes()) {
            Ok(cot) => {
                tak.recall(cot, t.label, t.group);
                kept += 1;
            }
            Err(e) => tracing::debug!("TAK: the stored report of {} is not CoT: {e}", t.uid),
        }
    }
    tracing::info!("TAK: {kept} live report(s) from the store in the picture");
}

/// How often the connected devices' users are looked up: a device whose user was disabled (by
/// `truce users disable`, from another process too) loses its connection within this.
pub const USER_CHECK: std::time::Duration = std::time::Duration::from_secs(2);

/// Every [`USER_CHECK`], ends the connections of devices whose user is disabled or gone (as a
/// disabled user's web sessions end; such a device that connects again is anonymous), and of devices
/// whose certificate was revoked (`truce certs revoke`; such a device cannot connect again).
async fn end_disabled_users(node: Arc<Node>, tak: TakHandle, revocations: Option<truce_pki::Revocations>) {
    let mut ticker = tokio::time::interval(USER_CHECK);
    loop {
        ticker.tick().await;
        if let Some(r) = &revocations {
            let revoked: std::collections::BTreeSet<String> =
                tak.serials().into_iter().filter(|s| r.is_revoked(s)).collect();
            if !revoked.is_empty() {
                let n = tak.close_serials(&revoked);
                tracing::info!("TAK: closed {n} connection(s) of revoked certificate(s) {revoked:?}");
            }
        }
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

/// Sends every geofence event on the bus to the TAK clients as a CoT alert, and, in a cluster, hands
/// the TAK server what the other nodes relay (see the module documentation).
async fn push_alerts(mut events: crate::Subscription, tak: TakHandle) {
    loop {
        match events.recv().await {
            Delivery::Event(e) => match &e.event.kind {
                EventKind::Geofence(g) => {
                    tak.publish(truce_track::geofence_cot(g, OffsetDateTime::now_utc()), e.event.label.clone());
                }
                EventKind::Tak(r) => relayed(&tak, r),
                _ => {}
            },
            Delivery::Lagged(n) => {
                metrics::counter!("truce_tak_alerts_lagged_total").increment(n);
                tracing::warn!(
                    "TAK alert push fell {n} events behind the bus; their geofence alerts and relayed messages were not sent"
                );
            }
            Delivery::Closed => return,
        }
    }
}

/// Hands the TAK server what another node relayed.
fn relayed(tak: &TakHandle, r: &TakRelay) {
    let parse = |cot: &str| match truce_cot::xml::parse_event(cot.as_bytes()) {
        Ok(ev) => Some(ev),
        Err(err) => {
            tracing::warn!("TAK: another node relayed a message that is not CoT: {err}");
            None
        }
    };
    match r {
        TakRelay::Position { label, cot, group, .. } | TakRelay::Message { label, cot, group, .. } => {
            if let Some(ev) = parse(cot) {
                tak.relay(ev, label.clone(), group.clone());
            }
        }
        TakRelay::Notify { label, cot, uids } => {
            if let Some(ev) = parse(cot) {
                tak.send_to_uids(ev, label.clone(), &uids.iter().cloned().collect());
            }
        }
        TakRelay::Subscribed { mission, uid, subscribed, .. } => tak.set_subscribed(mission, uid, *subscribed),
        TakRelay::MissionDeleted { mission, .. } => tak.remove_mission(mission),
    }
}
