//! The HTTP server: the REST API, the WebSocket stream, metrics and the map page.
//!
//! `fn app(state) -> Router` builds everything from an [`AppState`]: the node (crate `truce-node`:
//! agreement, store, bus, pipeline) and this process's runtime handles. Handlers parse requests,
//! call the node, and shape answers; store calls run on the blocking pool. A write is acknowledged
//! (201) only after the node's pipeline committed it, which is durable (see `truce-store`). The
//! WebSocket stream is a subscription to the node's bus and nothing else.

mod api;
pub mod audit;
mod audit_api;
pub mod auth;
mod coalition;
mod conn;
mod error;
mod export;
pub mod marti;
mod reports;
mod sea_air;
mod sectors;
mod stream;
mod tak;
pub mod tls;
mod watch;
mod web;

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use axum::Router;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use truce_node::Node;

/// Everything the handlers share: the node, and the runtime handles of this process.
#[derive(Clone)]
pub struct AppState {
    /// The node: agreement, sectors, store, bus.
    pub node: Arc<Node>,
    pub metrics: PrometheusHandle,
    /// `--web-dir`: the pages are read from this folder and their npm packages from its `node_modules`
    /// at each request; `None`: both are the copies built into the binary.
    pub web_dir: Option<Arc<PathBuf>>,
    /// The TAK server, once started.
    pub tak: Arc<OnceLock<truce_tak::TakHandle>>,
    /// Logins, sessions and API tokens.
    pub sessions: Arc<truce_auth::Sessions>,
    /// The audit log (in the data directory).
    pub audit: Arc<truce_audit::AuditLog>,
    /// The data directory (its audit inbox is drained into the log).
    pub data_dir: Arc<PathBuf>,
    /// The tallies of past report periods, kept per audience (see `truce_report::Tallies`).
    pub tallies: Arc<truce_report::Tallies>,
    /// The time limits of the server's connections: `http.idle_s` for what a client sends, `http.stall_s`
    /// for what it reads (`conn.rs`).
    pub limits: conn::Limits,
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
    /// The state of a server on `node` whose data directory is `data_dir` (its audit log is there);
    /// traces the agreement's bands for the map now, so that no request waits for it.
    ///
    /// # Errors
    /// When the audit log cannot be opened.
    pub fn new(
        node: Arc<Node>,
        data_dir: &std::path::Path,
        web: Option<PathBuf>,
        (stall, idle): (std::time::Duration, std::time::Duration),
    ) -> anyhow::Result<Self> {
        node.geometry();
        // A shared database keeps the one log of every node that shares it; else the data directory.
        let audit = match node.store.audit_table() {
            Some(table) => truce_audit::AuditLog::open_table(data_dir, table),
            None => truce_audit::AuditLog::open(data_dir),
        }
        .map_err(|e| anyhow::anyhow!("the audit log in {}: {e}", data_dir.display()))?;
        truce_audit::inbox::drain(data_dir, &audit)
            .map_err(|e| anyhow::anyhow!("the audit inbox in {}: {e}", data_dir.display()))?;
        let users: Arc<dyn truce_store::UserStore> = node.store.clone();
        let sessions = truce_auth::Sessions::new(users, truce_auth::Settings::default());
        Ok(Self {
            node,
            metrics: metrics_handle(),
            web_dir: web.map(Arc::new),
            tak: Arc::new(OnceLock::new()),
            sessions: Arc::new(sessions),
            audit: Arc::new(audit),
            data_dir: Arc::new(data_dir.to_path_buf()),
            // Ten years of daily periods for a few audiences and both editions.
            tallies: Arc::new(truce_report::Tallies::new(16_384)),
            limits: conn::Limits { idle, stall },
        })
    }
}

/// The whole application.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/api/v1/login", axum::routing::post(auth::login))
        .route("/api/v1/logout", axum::routing::post(auth::logout))
        .route("/api/v1/me", axum::routing::get(auth::me))
        .route("/api/v1/audit", axum::routing::get(audit_api::list))
        .merge(api::routes())
        .merge(coalition::routes())
        .merge(export::routes())
        .merge(reports::routes())
        .merge(stream::routes())
        .merge(tak::routes())
        .merge(sea_air::routes())
        .merge(sectors::routes())
        .merge(watch::routes())
        .merge(web::routes())
        // Outermost last: the audit log sees the answer of the session check too.
        .layer(axum::middleware::from_fn_with_state(state.clone(), auth::require_session))
        .layer(axum::middleware::from_fn_with_state(state.clone(), audit::record))
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

/// Serves `app` on `listener` until `shutdown` completes, then finishes the requests in flight. A
/// connection is closed when it waits for a request longer than `http.idle_s` (see `conn.rs`).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let drain = tokio::spawn(drain_inbox(state.clone()));
    let limits = state.limits;
    conn::serve_plain(listener, app(state), limits, shutdown).await;
    drain.abort();
    Ok(())
}

/// Every two seconds, moves what the operator's commands (`truce users ...`) wrote to the audit inbox
/// while this server holds the log into the log (`truce_audit::inbox`).
async fn drain_inbox(state: AppState) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(2));
    loop {
        tick.tick().await;
        let (dir, log) = (state.data_dir.clone(), state.audit.clone());
        match tokio::task::spawn_blocking(move || truce_audit::inbox::drain(&dir, &log)).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::error!("audit inbox: {e}"),
            Err(e) => tracing::error!("audit inbox: {e}"),
        }
    }
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
