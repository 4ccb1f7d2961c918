//! The reports over HTTP: `GET /api/v1/reports/daily`, `/spot/{incident}` and `/status`, the same
//! models and renderings as `truce report` (crate `truce-report`).
//!
//! Parameters are checked before anything is read, with the messages the command line gives (without
//! the dashes), and answered with the API's one error shape (400 `invalid_parameter` naming the
//! parameter; 404 `not_found` for an unknown incident). A date after today (UTC) is refused: its
//! period is not over, and the report would change each time it is asked for. A report reads many store pages and correlates
//! them, so it runs on the blocking pool. HTML reports are served with a Content-Security-Policy that
//! allows no script and no fetch at all: they are self-contained by construction, and observation text
//! (user input, escaped when rendered) gets a second line of defence. The status and headers are sent
//! once the report is made; its text is streamed as it is written (a daily report of a busy day is tens
//! of megabytes of JSON). A client that reads nothing for `http.stall_s` seconds (60 by default) has
//! its response cut short: the thread writing the report and the report itself are freed, counted in
//! `truce_report_streams_cut_total{reason="stalled"}`, and the response ends in an error rather than
//! as if complete.

// utoipa's expansion of `Query<...>` parameters names axum's path in full.
#![allow(unused_qualifications)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use truce_report::{Clock, Edition, Format, ReportError};
use utoipa::IntoParams;

use super::AppState;
use super::auth::Caller;
use super::error::ApiError;

/// The policy HTML reports are served with: inline styles and images only.
const REPORT_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/reports/daily", get(report_daily))
        .route("/api/v1/reports/spot/{incident}", get(report_spot))
        .route("/api/v1/reports/status", get(report_status))
}

/// Parameters of the daily report.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DailyParams {
    /// The report's date, YYYY-MM-DD (required, not after today UTC): the period ends at the cutoff on
    /// this date.
    date: Option<String>,
    /// The cutoff, local HH:MM (default 19:30).
    cutoff: Option<String>,
    /// IANA time zone of the cutoff and of local times (default Europe/Kyiv).
    tz: Option<String>,
    /// `html` (default), `md` or `json`.
    format: Option<String>,
    /// `public` (default: NATO UNCLASSIFIED only) or `restricted`.
    edition: Option<String>,
}

/// Parameters of the spot report.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SpotParams {
    /// The cutoff of the reporting period the incident is correlated in (default 19:30).
    cutoff: Option<String>,
    /// IANA time zone (default Europe/Kyiv).
    tz: Option<String>,
    /// `html` (default), `md` or `json`.
    format: Option<String>,
    /// `public` (default) or `restricted`.
    edition: Option<String>,
}

/// Parameters of the status report.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatusParams {
    /// The first report date, YYYY-MM-DD (required, not after today UTC).
    from: Option<String>,
    /// The last report date, YYYY-MM-DD, inclusive (required, not after today UTC; at most 92 days after
    /// `from`).
    to: Option<String>,
    /// The cutoff, local HH:MM (default 19:30).
    cutoff: Option<String>,
    /// IANA time zone (default Europe/Kyiv).
    tz: Option<String>,
    /// `html` (default), `md` or `json`.
    format: Option<String>,
    /// `public` (default) or `restricted`.
    edition: Option<String>,
}

fn api_error(e: ReportError) -> ApiError {
    match e {
        ReportError::Parameter { flag, .. } => ApiError::parameter(flag, e.reason()),
        ReportError::NotFound(m) => ApiError::new(StatusCode::NOT_FOUND, "not_found", m).field("incident"),
        other => ApiError::internal(other),
    }
}

fn required<'a>(name: &'static str, v: Option<&'a str>) -> Result<&'a str, ApiError> {
    v.ok_or_else(|| ApiError::parameter(name, format!("the parameter {name} is required (YYYY-MM-DD)")))
}

fn common(
    cutoff: Option<&str>,
    tz: Option<&str>,
    format: Option<&str>,
    edition: Option<&str>,
) -> Result<(Clock, Format, Edition), ApiError> {
    let clock = Clock::new(cutoff.unwrap_or(truce_report::DEFAULT_CUTOFF), tz.unwrap_or(truce_report::DEFAULT_TZ))
        .map_err(api_error)?;
    let format = format.unwrap_or("html").parse::<Format>().map_err(api_error)?;
    let edition = edition.unwrap_or("public").parse::<Edition>().map_err(api_error)?;
    Ok((clock, format, edition))
}

/// How a made report is written out (it holds the report, dropped once the response is complete).
type Writer = Box<dyn Fn(&mut Chunks) -> std::io::Result<()> + Send>;

/// Runs `make` on the blocking pool with the server's store, agreement and sectors, and streams what
/// it returns to the client: the status and headers go as soon as the report is made (or its error
/// instead), and the text in chunks as it is written, so a report of tens of megabytes is never held
/// whole in the server.
async fn serve(
    state: AppState,
    caller: Caller,
    format: Format,
    make: impl FnOnce(&truce_report::Context<'_>) -> Result<Writer, ReportError> + Send + 'static,
) -> Result<Response, ApiError> {
    let (made_tx, made_rx) = tokio::sync::oneshot::channel();
    let (chunks_tx, chunks_rx) = tokio::sync::mpsc::channel(CHUNKS_IN_FLIGHT);
    let cut = Arc::new(AtomicBool::new(false));
    let writer_cut = cut.clone();
    tokio::task::spawn_blocking(move || {
        let store = caller.store(&state);
        let ctx = truce_report::Context {
            store: store.as_ref(),
            agreement: &state.node.agreement,
            sectors: &state.node.sectors,
            policy: &state.node.policy,
            kept: Some((&state.tallies, caller.access.audience())),
        };
        let write = match make(&ctx) {
            Ok(write) => write,
            Err(e) => {
                // The handler is waiting for this; if it is gone, so is the client.
                let _ = made_tx.send(Err(api_error(e)));
                return;
            }
        };
        if made_tx.send(Ok(())).is_err() {
            return;
        }
        let runtime = tokio::runtime::Handle::current();
        let mut chunks = Chunks { buf: Vec::with_capacity(CHUNK_BYTES), tx: chunks_tx, runtime };
        if write(&mut chunks).and_then(|()| chunks.send()).is_err() {
            // The client went away, or stopped reading and its connection was cut (`conn.rs`), or
            // (models hold only text and numbers) nothing else: the response is cut short rather than
            // ended as if complete.
            writer_cut.store(true, Ordering::Release);
        }
        // The response ends here; the report (megabytes of strings) is freed after.
        drop(chunks);
        drop(write);
    });
    made_rx.await.map_err(ApiError::internal)??;
    // The chunks, then an error instead of the end when the writer was cut: the client sees a response
    // that stops short, not a complete one.
    let stream = futures_util::stream::unfold((chunks_rx, Some(cut)), |(mut rx, cut)| async move {
        match (rx.recv().await, cut) {
            (Some(chunk), cut) => Some((chunk, (rx, cut))),
            (None, Some(cut)) if cut.load(Ordering::Acquire) => {
                Some((Err(std::io::Error::other("the report was cut short")), (rx, None)))
            }
            (None, _) => None,
        }
    });
    let mut response = ([(header::CONTENT_TYPE, format.content_type())], Body::from_stream(stream)).into_response();
    if format == Format::Html
        && let Ok(v) = header::HeaderValue::from_str(REPORT_CSP)
    {
        response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    Ok(response)
}

/// Bytes of a chunk of a streamed report.
const CHUNK_BYTES: usize = 1 << 16;

/// Chunks written but not yet sent to the client: the writer waits beyond these.
const CHUNKS_IN_FLIGHT: usize = 8;

/// A writer that hands a report to the response body in chunks of [`CHUNK_BYTES`], waiting while
/// [`CHUNKS_IN_FLIGHT`] are not yet sent. A client that stops reading does not hold it for ever: its
/// connection is cut after `http.stall_s` (`conn.rs`), which drops the body and ends the wait.
struct Chunks {
    buf: Vec<u8>,
    tx: tokio::sync::mpsc::Sender<std::io::Result<Bytes>>,
    /// The runtime the response is sent on (the writer runs on its blocking pool).
    runtime: tokio::runtime::Handle,
}

impl Chunks {
    /// Sends what is buffered: `BrokenPipe` when the response is gone (the client went away or its
    /// connection was cut).
    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK_BYTES));
        self.runtime
            .block_on(self.tx.send(Ok(Bytes::from(chunk))))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client went away"))
    }
}

impl std::io::Write for Chunks {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.write_all(data)?;
        Ok(data.len())
    }

    // The serialiser writes many pieces of a few bytes: each is one copy into the chunk.
    #[inline]
    fn write_all(&mut self, data: &[u8]) -> std::io::Result<()> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK_BYTES {
            self.send()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

/// The daily report: the 24 hours ending at the cutoff on `date`, in the OSCE SMM's structure.
///
/// CFVs are counted on incidents (one event seen by several monitors counts once); see docs/reports.md.
#[utoipa::path(get, path = "/api/v1/reports/daily", tag = "reports", params(DailyParams),
    responses(
        (status = 200, description = "The report: one self-contained HTML file, Markdown, or the report's model as JSON",
            content((String = "text/html"), (String = "text/markdown"), (Object = "application/json"))),
        (status = 400, description = "A parameter is invalid (named in `field`)", body = super::error::ErrorBody),
        (status = 503, description = "The store failed", body = super::error::ErrorBody),
    ))]
pub async fn report_daily(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<DailyParams>,
) -> Result<Response, ApiError> {
    let date = truce_report::parse_date("date", required("date", p.date.as_deref())?).map_err(api_error)?;
    let date = truce_report::not_after("date", date, truce_report::today_utc()).map_err(api_error)?;
    let (clock, format, edition) =
        common(p.cutoff.as_deref(), p.tz.as_deref(), p.format.as_deref(), p.edition.as_deref())?;
    serve(state, caller, format, move |ctx| {
        let r = truce_report::daily(ctx, &clock, date, edition)?;
        Ok(Box::new(move |w: &mut Chunks| truce_report::write_daily(&r, format, w)))
    })
    .await
}

/// The spot report on one incident (`inc-<observation id>`, as the daily report lists them).
#[utoipa::path(get, path = "/api/v1/reports/spot/{incident}", tag = "reports",
    params(("incident" = String, Path, description = "The incident's id, or one of its observations' ids"), SpotParams),
    responses(
        (status = 200, description = "The report",
            content((String = "text/html"), (String = "text/markdown"), (Object = "application/json"))),
        (status = 400, description = "A parameter is invalid", body = super::error::ErrorBody),
        (status = 404, description = "No such incident, or not releasable in the edition", body = super::error::ErrorBody),
    ))]
pub async fn report_spot(
    State(state): State<AppState>,
    caller: Caller,
    Path(incident): Path<String>,
    Query(p): Query<SpotParams>,
) -> Result<Response, ApiError> {
    let (clock, format, edition) =
        common(p.cutoff.as_deref(), p.tz.as_deref(), p.format.as_deref(), p.edition.as_deref())?;
    serve(state, caller, format, move |ctx| {
        let r = truce_report::spot(ctx, &clock, &incident, edition)?;
        Ok(Box::new(move |w: &mut Chunks| truce_report::write_spot(&r, format, w)))
    })
    .await
}

/// The status report over the reports dated `from` to `to` (usually two weeks).
#[utoipa::path(get, path = "/api/v1/reports/status", tag = "reports", params(StatusParams),
    responses(
        (status = 200, description = "The report",
            content((String = "text/html"), (String = "text/markdown"), (Object = "application/json"))),
        (status = 400, description = "A parameter is invalid", body = super::error::ErrorBody),
    ))]
pub async fn report_status(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<StatusParams>,
) -> Result<Response, ApiError> {
    let from = truce_report::parse_date("from", required("from", p.from.as_deref())?).map_err(api_error)?;
    let to = truce_report::parse_date("to", required("to", p.to.as_deref())?).map_err(api_error)?;
    let today = truce_report::today_utc();
    let from = truce_report::not_after("from", from, today).map_err(api_error)?;
    let to = truce_report::not_after("to", to, today).map_err(api_error)?;
    let (clock, format, edition) =
        common(p.cutoff.as_deref(), p.tz.as_deref(), p.format.as_deref(), p.edition.as_deref())?;
    serve(state, caller, format, move |ctx| {
        let r = truce_report::status(ctx, &clock, from, to, edition)?;
        Ok(Box::new(move |w: &mut Chunks| truce_report::write_status(&r, format, w)))
    })
    .await
}
