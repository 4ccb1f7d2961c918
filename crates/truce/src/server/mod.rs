//! The HTTP server: the REST API, the WebSocket stream, metrics and the map page.
//!
//! `fn app(state) -> Router` builds everything from an [`AppState`], so the tests run the real router
//! in-process and over real sockets alike. Store calls run on the blocking pool; a write is
//! acknowledged (201) only after the store's commit returned, which is durable (see `truce-store`).
//! Newly stored observations are published on a broadcast channel that every WebSocket client
//! subscribes to; a slow client that falls behind is told how many messages it missed and goes on.

mod api;
mod coalition;
mod error;
pub mod geometry;
mod reports;
mod stream;
pub mod tak;
pub mod watch;
mod web;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use axum::Router;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tokio::sync::broadcast;
use truce_engine::Agreement;
use truce_store::{SqliteStore, Store};

/// Largest request body, bytes.
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;
/// Most observations in one POST.
pub const MAX_BATCH: usize = 10_000;

/// Everything the handlers share.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub agreement: Arc<Agreement>,
    /// The early-warning and reporting sectors.
    pub sectors: Arc<truce_watch::Sectors>,
    /// JSON messages for the WebSocket stream.
    pub events: broadcast::Sender<Arc<str>>,
    pub metrics: PrometheusHandle,
    /// The agreement as GeoJSON (computed once).
    pub geometry: Arc<serde_json::Value>,
    /// `--web-dir`: the pages are read from this folder and their npm packages from its `node_modules`
    /// at each request; `None`: both are the copies built into the binary.
    pub web_dir: Option<Arc<PathBuf>>,
    /// The latest early-warning assessment (set by the watch task).
    pub warning: Arc<std::sync::RwLock<Option<truce_watch::Assessment>>>,
    /// The TAK server, once started.
    pub tak: Arc<OnceLock<truce_tak::TakHandle>>,
}

/// The process-wide Prometheus recorder (installed once, shared by every server in the process).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            // Another recorder may already be installed (tests); then ours only renders what we record.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

impl AppState {
    pub fn new(store: SqliteStore, agreement: Agreement, sectors: truce_watch::Sectors, web: Option<PathBuf>) -> Self {
        let geometry = geometry::agreement_geometry(&agreement);
        let (events, _) = broadcast::channel(4096);
        Self {
            store: Arc::new(store),
            agreement: Arc::new(agreement),
            sectors: Arc::new(sectors),
            events,
            metrics: metrics_handle(),
            geometry: Arc::new(geometry),
            web_dir: web.map(Arc::new),
            warning: Arc::new(std::sync::RwLock::new(None)),
            tak: Arc::new(OnceLock::new()),
        }
    }
}

/// The whole application.
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(api::routes())
        .merge(coalition::routes())
        .merge(reports::routes())
        .merge(stream::routes())
        .merge(tak::routes())
        .merge(watch::routes())
        .merge(web::routes())
        .with_state(state)
}

/// A `limit` query parameter: a whole number from 1 to `max`, `default` when absent.
pub(crate) fn limit_param(value: Option<&str>, default: usize, max: usize) -> Result<usize, error::ApiError> {
    match value {
        None => Ok(default),
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(error::ApiError::parameter("limit", format!("{v:?} is not a whole number from 1 to {max}"))),
        },
    }
}

/// An `after` query parameter: a sequence number (a whole number ≥ 0) to catch up from.
pub(crate) fn after_param(value: Option<&str>) -> Result<Option<i64>, error::ApiError> {
    value
        .map(|v| match v.parse::<i64>() {
            Ok(n) if n >= 0 => Ok(n),
            _ => {
                Err(error::ApiError::parameter("after", format!("{v:?} is not a sequence number (a whole number ≥ 0)")))
            }
        })
        .transpose()
}

/// Runs `f` on the blocking pool (store reads, correlation, reports); a task that panics is a 503.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, error::ApiError> + Send + 'static,
) -> Result<T, error::ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(error::ApiError::internal)?
}

/// Stores a batch (durably) and then publishes what was new on the stream: the one path by which
/// observations enter a running server, whether from the API or the demo feed.
pub async fn store_and_publish(
    state: &AppState,
    batch: Vec<truce_core::StoredObservation>,
) -> Result<truce_store::InsertReport, truce_store::StoreError> {
    let store = state.store.clone();
    let started = std::time::Instant::now();
    let (report, batch) = tokio::task::spawn_blocking(move || {
        let r = store.insert(&batch);
        (r, batch)
    })
    .await
    .map_err(|e| truce_store::StoreError::Corrupt {
        id: String::new(),
        reason: format!("the store task failed: {e}"),
    })?;
    let report = report?;
    metrics::histogram!("truce_store_insert_seconds").record(started.elapsed().as_secs_f64());
    metrics::counter!("truce_observations_stored_total").increment(report.inserted.len() as u64);
    metrics::counter!("truce_observations_duplicate_total").increment(report.duplicates.len() as u64);
    let new: std::collections::HashSet<&str> = report.inserted.iter().map(String::as_str).collect();
    for s in batch.iter().filter(|s| new.contains(s.observation.id.as_str())) {
        let msg = serde_json::json!({"type": "observation", "observation": crate::json::observation(s)});
        // No subscriber is not an error.
        let _ = state.events.send(Arc::from(msg.to_string()));
    }
    Ok(report)
}

/// Serves `app` on `listener` until `shutdown` completes, then finishes the requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = app(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
