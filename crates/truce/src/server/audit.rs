//! What the server writes to the audit log (crate `truce-audit`): one middleware around the whole
//! router, so no route can forget it.
//!
//! [`record`] sees every request and its answer. It appends an entry for every login and failed
//! login, every refusal (401, 403, 429), every write (a method other than GET/HEAD that succeeded),
//! every report issued and every export (`/api/v1/export`, `/api/v1/export/tracks`, or a list with
//! `format=geojson`), and the
//! answer leaves only after the entry is durable. A write is committed by its handler first, then audited, then acknowledged: an
//! acknowledged write always has its entry; a crash between the commit and the entry leaves a write
//! the client never saw acknowledged (it resends; ids make that idempotent). When the log cannot be
//! written the answer becomes a 503.
//!
//! Handlers and the session middleware leave notes in the response's extensions: the [`Caller`]
//! (who), and a [`Note`] (the login name tried, the ids written).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use truce_audit::{AuditLog, Entry, Kind, Outcome};

use super::AppState;
use super::auth::Caller;
use super::error::ApiError;

/// What a handler tells the audit log about its answer.
#[derive(Debug, Clone, Default)]
pub struct Note {
    /// The user, when the request had no session (a login: the name tried or logged in).
    pub actor: Option<String>,
    /// Their nation, when known.
    pub nation: Option<String>,
    /// What was acted on (ids).
    pub target: String,
    /// Free text.
    pub detail: String,
}

/// The entry for a request and its answer, if it is one the log keeps.
fn entry(
    method: &Method,
    path: &str,
    query: &str,
    status: StatusCode,
    caller: Option<&Caller>,
    note: Option<&Note>,
) -> Option<Entry> {
    let kind = if path == "/api/v1/login" {
        if status.is_success() { Kind::Login } else { Kind::LoginFailed }
    } else if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::TOO_MANY_REQUESTS) {
        Kind::Denied
    } else if !status.is_success() {
        return None;
    } else if *method != Method::GET && *method != Method::HEAD {
        Kind::Write
    } else if path.starts_with("/api/v1/reports/") {
        Kind::Report
    } else if path.starts_with("/api/v1/export") || query.split('&').any(|kv| kv == "format=geojson") {
        Kind::Export
    } else {
        return None;
    };
    let actor = caller
        .map(|c| c.viewer.name.clone())
        .or_else(|| note.and_then(|n| n.actor.clone()))
        .unwrap_or_else(|| "-".to_owned());
    let nation = caller
        .and_then(|c| c.viewer.nation.clone())
        .or_else(|| note.and_then(|n| n.nation.clone()))
        .unwrap_or_default();
    let outcome = if status.is_success() {
        Outcome::Ok
    } else if kind == Kind::LoginFailed {
        Outcome::Failed
    } else {
        Outcome::Denied
    };
    let action = if query.is_empty() { format!("{method} {path}") } else { format!("{method} {path}?{query}") };
    let mut e = Entry::new(kind, clip(&actor, 200), clip(&action, 500)).nation(nation).outcome(outcome);
    if let Some(n) = note {
        e = e.target(clip(&n.target, 500)).detail(clip(&n.detail, 4000));
    }
    if kind != Kind::Login && kind != Kind::Write {
        // A handler's note (an export's format) stays, with the status after it.
        let detail = match note.map(|n| n.detail.as_str()).filter(|d| !d.is_empty()) {
            Some(d) => format!("{}; HTTP {}", clip(d, 3000), status.as_u16()),
            None => format!("HTTP {}", status.as_u16()),
        };
        e = e.detail(detail);
    }
    Some(e)
}

fn clip(s: &str, max: usize) -> String {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// Appends an entry, durably, on the blocking pool.
pub async fn append(log: &Arc<AuditLog>, entry: Entry) -> Result<(), ApiError> {
    let log = log.clone();
    super::blocking(move || {
        log.append(&entry).map(|_| ()).map_err(|e| {
            tracing::error!("audit log: {e}");
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "audit_unavailable", format!("the audit log failed: {e}"))
        })
    })
    .await
}

/// The middleware (see the module documentation).
pub async fn record(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let query = request.uri().query().unwrap_or("").to_owned();
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    let response = next.run(request).await;
    let caller = response.extensions().get::<Caller>();
    let note = response.extensions().get::<Note>();
    let Some(mut e) = entry(&method, &path, &query, response.status(), caller, note) else {
        return response;
    };
    if let Some(p) = peer
        && e.detail.len() < 3000
    {
        e.detail =
            if e.detail.is_empty() { format!("from {}", p.ip()) } else { format!("{}; from {}", e.detail, p.ip()) };
    }
    match append(&state.audit, e).await {
        Ok(()) => response,
        Err(err) => err.into_response(),
    }
}
