//! The TAK server inside `truce serve` and `truce demo`: the listeners of `truce-tak`, and the
//! consumer that turns what TAK clients send into truce's records.
//!
//! Every event a client sends reaches [`consume`] through a bounded channel (the network side waits
//! when it is full, so nothing is dropped). The consumer takes what has accumulated — one event or
//! thousands — and, on the blocking pool, runs the `truce-track` [`Tracker`] over it (track row,
//! weapon-sighting observation, geofence events) and writes the rows in one transaction. Then:
//! observations go through [`super::store_and_publish`] like any other (durable, then on the
//! stream); each geofence event is sent to the TAK clients as a `b-a-g` alert and on the WebSocket
//! stream as `{"type":"geofence"}`; and the batch's latest position of every uid goes on the stream
//! as `{"type":"track"}` for the map. Batching keeps the store at one commit per batch however
//! fast clients send.
//!
//! Routes: `GET /api/v1/tracks` (the live picture from the store), `GET /api/v1/tracks/{uid}`
//! (history), `GET /api/v1/geofence` (catch-up with `after`), `GET /api/v1/tak/status` (listeners
//! and counters).

// utoipa's expansion of `Query<...>` parameters names axum's path in full.
#![allow(unused_qualifications)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::sync::mpsc;
use truce_tak::{Received, TakHandle, TakServer};
use truce_track::{GeofenceRow, Source, TrackRow, Tracker};

use super::error::{ApiError, ErrorBody};
use super::{AppState, blocking};
use crate::cli::TakArgs;

/// Events buffered between the network and the consumer.
const CHANNEL: usize = 65_536;
/// Most events processed and stored in one transaction.
const MAX_BATCH: usize = 8_192;

/// The running TAK listeners.
pub struct Tak {
    /// The server (dropping it stops the listeners).
    _server: TakServer,
    consumer: tokio::task::JoinHandle<()>,
}

impl Tak {
    /// Where the plain TCP listener is bound, if it is on.
    pub fn tcp_addr(&self) -> Option<SocketAddr> {
        self._server.tcp_addr
    }
}

impl Drop for Tak {
    fn drop(&mut self) {
        self.consumer.abort();
    }
}

fn addr(what: &str, value: &str) -> anyhow::Result<Option<SocketAddr>> {
    if value == "off" {
        return Ok(None);
    }
    value
        .parse()
        .map(Some)
        .with_context(|| format!("--tak-{what}: {value:?} is not an address like 0.0.0.0:8087 or off"))
}

/// The demo's listeners: on loopback only, and on free ports when the web server takes one
/// (`--port 0`, as the tests do) unless an address was given.
pub fn demo_args(args: &TakArgs, any_port: bool) -> TakArgs {
    let local = |value: &str, default: &str| -> String {
        let Ok(mut a) = value.parse::<SocketAddr>() else {
            return value.to_owned(); // `off`, or an error `start` reports
        };
        if any_port && value == default {
            a.set_port(0);
        }
        if a.ip().is_unspecified() {
            a.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
        }
        a.to_string()
    };
    TakArgs {
        tak_tcp: local(&args.tak_tcp, "0.0.0.0:8087"),
        tak_udp: local(&args.tak_udp, "0.0.0.0:6969"),
        tak_tls: Some(local(args.tak_tls.as_deref().unwrap_or("0.0.0.0:8089"), "0.0.0.0:8089")),
        ..args.clone()
    }
}

/// Starts the listeners `args` asks for and the consumer; prints where each listens.
pub async fn start(state: &AppState, args: &TakArgs, data_dir: &std::path::Path) -> anyhow::Result<Option<Tak>> {
    let tcp = addr("tcp", &args.tak_tcp)?;
    let udp = addr("udp", &args.tak_udp)?;
    let certs = truce_pki::CertStore::new(args.certs_dir.clone().unwrap_or_else(|| data_dir.join("certs")));
    let tls = match args.tak_tls.as_deref() {
        Some("off") => None,
        explicit => {
            let have = certs.server_cert_path().is_file();
            match (explicit, have) {
                (Some(a), false) => anyhow::bail!(
                    "--tak-tls {a}: no server certificate in {}; run `truce certs init` first",
                    certs.dir().display()
                ),
                (None, false) => {
                    tracing::info!(
                        "TAK over TLS is off: no server certificate in {} (`truce certs init` makes one)",
                        certs.dir().display()
                    );
                    None
                }
                (a, true) => {
                    let a = addr("tls", a.unwrap_or("0.0.0.0:8089"))?;
                    let trust = certs.trust_material().context("cannot read the certificates for TLS")?;
                    let config =
                        truce_tak::tls_config(&trust.ca_cert_der, &trust.server_cert_der, &trust.server_key_der)?;
                    a.map(|a| (a, config))
                }
            }
        }
    };
    if tcp.is_none() && udp.is_none() && tls.is_none() {
        return Ok(None);
    }
    let limits = truce_tak::Limits {
        queue_capacity: args.tak_queue,
        flush_interval: std::time::Duration::from_millis(args.tak_flush_ms),
        group_channels: !args.tak_no_channels,
        ..truce_tak::Limits::default()
    };
    let config = truce_tak::Config {
        tcp,
        tls,
        udp,
        multicast: args.tak_multicast,
        limits,
        server_uid: format!("truce-{}", std::process::id()),
    };
    let (tx, rx) = mpsc::channel(CHANNEL);
    let server = TakServer::start(config, tx).await?;
    let handle = server.handle();
    let _ = state.tak.set(handle.clone());
    for (what, a) in [("tcp", server.tcp_addr), ("tls", server.tls_addr), ("udp", server.udp_addr)] {
        if let Some(a) = a {
            println!("truce: TAK CoT over {what} on {a}");
        }
    }
    let consumer = tokio::spawn(consume(state.clone(), handle, rx));
    Ok(Some(Tak { _server: server, consumer }))
}

/// Processes, stores and publishes what clients send, batch by batch, until the channel closes.
pub async fn consume(state: AppState, tak: TakHandle, mut rx: mpsc::Receiver<Received>) {
    let mut t = Tracker::new(state.agreement.clone());
    // Tracks of a previous run (stale for under an hour) are known, not first seen again.
    let since = OffsetDateTime::now_utc() - time::Duration::hours(1);
    let store = state.store.clone();
    match tokio::task::spawn_blocking(move || store.latest_tracks(since)).await {
        Ok(Ok(rows)) => t.resume(&rows),
        Ok(Err(e)) => tracing::error!("cannot read the stored tracks; geofencing starts afresh: {e}"),
        Err(e) => tracing::error!("cannot read the stored tracks; geofencing starts afresh: {e}"),
    }
    let mut tracker = Some(t);
    let mut batch = Vec::new();
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let Some(t) = tracker.take() else { return };
        let store = state.store.clone();
        let received = std::mem::take(&mut batch);
        let done = tokio::task::spawn_blocking(move || {
            let mut t = t;
            let out = process(&mut t, &received);
            let stored = store.insert_tracks(&out.points, &out.geofence);
            (t, out, stored)
        })
        .await;
        let (t, out, stored) = match done {
            Ok(r) => r,
            Err(e) => {
                tracing::error!("the TAK consumer failed: {e}");
                return;
            }
        };
        tracker = Some(t);
        if let Err(e) = stored {
            // The events were routed already; their history row is what failed. Say so loudly.
            tracing::error!("cannot store {} TAK events: {e}", out.points.len());
            metrics::counter!("truce_tak_store_failed_total").increment(out.points.len() as u64);
            continue;
        }
        metrics::counter!("truce_tak_events_stored_total").increment(out.points.len() as u64);
        if !out.observations.is_empty()
            && let Err(e) = super::store_and_publish(&state, out.observations).await
        {
            tracing::error!("cannot store weapon sightings from TAK: {e}");
        }
        let now = OffsetDateTime::now_utc();
        for g in &out.geofence {
            tak.publish(truce_track::geofence_cot(g, now));
            let _ = state.events.send(Arc::from(json!({"type": "geofence", "geofence": geofence_json(g)}).to_string()));
        }
        let mut latest: HashMap<&str, &TrackRow> = HashMap::new();
        for p in out.points.iter().filter(|p| p.type_.starts_with("a-")) {
            latest.insert(&p.uid, p);
        }
        for p in latest.values() {
            let _ = state.events.send(Arc::from(json!({"type": "track", "track": track_json(p)}).to_string()));
        }
    }
}

struct Batch {
    points: Vec<TrackRow>,
    observations: Vec<truce_core::StoredObservation>,
    geofence: Vec<GeofenceRow>,
}

fn process(tracker: &mut Tracker, received: &[Received]) -> Batch {
    let mut out = Batch { points: Vec::with_capacity(received.len()), observations: Vec::new(), geofence: Vec::new() };
    for r in received {
        let source =
            Source { identity: r.source.identity.clone(), group: r.source.group.clone(), peer: r.source.peer.clone() };
        let p = tracker.process(&r.event, &source, r.received_at);
        out.points.push(p.point);
        out.observations.extend(p.observation);
        out.geofence.extend(p.geofence);
    }
    out
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

/// A track row as the API and the stream give it.
pub fn track_json(p: &TrackRow) -> Value {
    let classification: Value =
        p.classification.as_deref().and_then(|c| serde_json::from_str(c).ok()).unwrap_or(Value::Null);
    json!({
        "uid": p.uid,
        "type": p.type_,
        "how": p.how,
        "callsign": p.callsign,
        "group": p.group,
        "source": p.source,
        "time": rfc3339(p.time),
        "stale": rfc3339(p.stale),
        "received_at": rfc3339(p.received_at),
        "lat": p.lat,
        "lon": p.lon,
        "hae": p.hae,
        "ce": p.ce,
        "course": p.course,
        "speed": p.speed,
        "classification": classification,
    })
}

/// A geofence event as the API and the stream give it.
pub fn geofence_json(g: &GeofenceRow) -> Value {
    json!({
        "id": g.id,
        "uid": g.uid,
        "callsign": g.callsign,
        "track_type": g.track_type,
        "kind": g.kind.id(),
        "fence_id": g.fence_id,
        "fence_name": g.fence_name,
        "fence_kind": g.fence_kind,
        "from_side": g.from_side,
        "to_side": g.to_side,
        "time": rfc3339(g.time),
        "lat": g.lat,
        "lon": g.lon,
        "prev_lat": g.prev_lat,
        "prev_lon": g.prev_lon,
    })
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/tracks", get(tracks))
        .route("/api/v1/tracks/{uid}", get(history))
        .route("/api/v1/geofence", get(geofence))
        .route("/api/v1/tak/status", get(status))
}

/// The live picture: the latest non-stale position of every uid.
#[utoipa::path(get, path = "/api/v1/tracks", tag = "tak",
    responses((status = 200, description = "{\"tracks\": [track...]}: the latest non-stale event of every atom (a-*) uid")))]
pub async fn tracks(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let store = state.store.clone();
    let rows = blocking(move || store.latest_tracks(OffsetDateTime::now_utc()).map_err(ApiError::internal)).await?;
    Ok(Json(json!({"tracks": rows.iter().map(track_json).collect::<Vec<_>>()})))
}

/// `?limit=` for the history.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// Most rows, newest first (1 to 10,000; default 500).
    pub limit: Option<String>,
}

/// One uid's track history, newest first.
#[utoipa::path(get, path = "/api/v1/tracks/{uid}", tag = "tak", params(("uid" = String, Path), HistoryQuery),
    responses((status = 200, description = "{\"uid\", \"points\": [track...]}"), (status = 400, description = "a parameter is invalid", body = ErrorBody), (status = 404, description = "no event of that uid", body = ErrorBody)))]
pub async fn history(
    State(state): State<AppState>,
    Path(uid): Path<String>,
    Query(q): Query<HistoryQuery>,
) -> Result<Json<Value>, ApiError> {
    let limit = super::limit_param(q.limit.as_deref(), 500, 10_000)?;
    let store = state.store.clone();
    let key = uid.clone();
    let rows = blocking(move || store.track_history(&key, limit).map_err(ApiError::internal)).await?;
    if rows.is_empty() {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no event of uid {uid:?} is stored"))
            .field("uid"));
    }
    Ok(Json(json!({"uid": uid, "points": rows.iter().map(track_json).collect::<Vec<_>>()})))
}

/// `?after=&limit=` for geofence catch-up.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GeofenceQuery {
    /// Only events after this sequence number (default 0: from the start).
    pub after: Option<String>,
    /// Most events (1 to 10,000; default 500).
    pub limit: Option<String>,
}

/// Geofence events in the order they were stored.
#[utoipa::path(get, path = "/api/v1/geofence", tag = "tak", params(GeofenceQuery),
    responses((status = 200, description = "{\"events\": [{\"seq\", ...geofence}], \"next\": last seq}"), (status = 400, description = "a parameter is invalid", body = ErrorBody)))]
pub async fn geofence(State(state): State<AppState>, Query(q): Query<GeofenceQuery>) -> Result<Json<Value>, ApiError> {
    let after = super::after_param(q.after.as_deref())?.unwrap_or(0);
    let limit = super::limit_param(q.limit.as_deref(), 500, 10_000)?;
    let store = state.store.clone();
    let rows = blocking(move || store.geofence_events(after, limit).map_err(ApiError::internal)).await?;
    let next = rows.last().map_or(after, |(seq, _)| *seq);
    let events: Vec<Value> = rows
        .iter()
        .map(|(seq, g)| {
            let mut v = geofence_json(g);
            v["seq"] = json!(seq);
            v
        })
        .collect();
    Ok(Json(json!({"events": events, "next": next})))
}

/// The TAK listeners and their counters.
#[utoipa::path(get, path = "/api/v1/tak/status", tag = "tak",
    responses((status = 200, description = "{\"enabled\", \"stats\": {clients, events_in, deliveries, rejected_*, dropped_*, closed_*...}}")))]
pub async fn status(State(state): State<AppState>) -> Json<Value> {
    match state.tak.get() {
        Some(h) => Json(json!({"enabled": true, "stats": h.stats()})),
        None => Json(json!({"enabled": false})),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::demo_args;
    use crate::cli::{Cli, Command, TakArgs};

    fn demo(args: &[&str]) -> TakArgs {
        let all = [&["truce", "demo"], args].concat();
        match Cli::try_parse_from(all).unwrap().command {
            Command::Demo(d) => d.tak,
            _ => unreachable!("parsed a demo"),
        }
    }

    #[test]
    fn the_demo_listens_on_loopback_and_on_free_ports_with_port_0() {
        let d = demo_args(&demo(&[]), false);
        assert_eq!((d.tak_tcp.as_str(), d.tak_udp.as_str()), ("127.0.0.1:8087", "127.0.0.1:6969"));
        assert_eq!(d.tak_tls.as_deref(), Some("127.0.0.1:8089"));
        let d = demo_args(&demo(&["--tak-udp", "off"]), true);
        assert_eq!((d.tak_tcp.as_str(), d.tak_udp.as_str()), ("127.0.0.1:0", "off"));
        assert_eq!(d.tak_tls.as_deref(), Some("127.0.0.1:0"));
        let d = demo_args(&demo(&["--tak-tcp", "0.0.0.0:9000", "--tak-tls", "192.0.2.1:9001"]), true);
        assert_eq!(d.tak_tcp, "127.0.0.1:9000", "an address given keeps its port, on loopback");
        assert_eq!(d.tak_tls.as_deref(), Some("192.0.2.1:9001"));
    }
}
