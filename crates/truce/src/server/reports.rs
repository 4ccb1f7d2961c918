//! The reports over HTTP: `GET /api/v1/reports/daily`, `/spot/{incident}` and `/status`, the same
//! models and renderings as `truce report` (crate `truce-report`).
//!
//! Parameters are checked before anything is read, with the messages the command line gives (without
//! the dashes), and answered with the API's one error shape (400 `invalid_parameter` naming the
//! parameter; 404 `not_found` for an unknown incident). A date after today (UTC) is refused: its
//! period is not over, and the report would change each time it is asked for. A report reads many store pages and correlates
//! them, so it runs on the blocking pool. HTML reports are served with a Content-Security-Policy that
//! allows no script and no fetch at all: they are self-contained by construction, and observation text
//! (user input, escaped when rendered) gets a second line of defence.

// utoipa's expansion of `Query<...>` parameters names axum's path in full.
#![allow(unused_qualifications)]

use axum::Router;
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

/// Runs `make` on the blocking pool with the server's store, agreement and sectors, and serves the text.
async fn serve(
    state: AppState,
    caller: Caller,
    format: Format,
    make: impl FnOnce(&truce_report::Context<'_>) -> Result<String, ReportError> + Send + 'static,
) -> Result<Response, ApiError> {
    let text = super::blocking(move || {
        let store = caller.store(&state);
        let ctx = truce_report::Context {
            store: store.as_ref(),
            agreement: &state.node.agreement,
            sectors: &state.node.sectors,
            policy: &state.node.policy,
            kept: Some((&state.tallies, caller.access.audience())),
        };
        make(&ctx).map_err(api_error)
    })
    .await?;
    let mut response = ([(header::CONTENT_TYPE, format.content_type())], text).into_response();
    if format == Format::Html
        && let Ok(v) = header::HeaderValue::from_str(REPORT_CSP)
    {
        response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    Ok(response)
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
        Ok(truce_report::render_daily(&r, format))
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
        Ok(truce_report::render_spot(&r, format))
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
        Ok(truce_report::render_status(&r, format))
    })
    .await
}
