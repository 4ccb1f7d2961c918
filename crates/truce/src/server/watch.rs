//! Incidents, early warning, alerts and compliance cases over HTTP (`truce_node::watch` computes them;
//! its watch task assesses the picture every minute and publishes the alerts it raises on the bus).
//! `GET /api/v1/warning` serves the latest assessment; opening or moving a case publishes the case.
//! An alert is acknowledged with a note (`POST /api/v1/alerts/{seq}/ack`): the store checks that the
//! caller may see the alert in the same transaction that records the acknowledgement, and the bus
//! delivers the acknowledgement to the alert's own readers only.

// utoipa's expansion of `Query<...>` parameters names axum's path in full.
#![allow(unused_qualifications)]

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;
use truce_node::query::parse_time;
use truce_node::watch::{self, CaseError};
use truce_node::wire;
use truce_watch::case::{Stage, Step};
use utoipa::IntoParams;

use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use super::{AppState, blocking};
use truce_access::Action;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/incidents", get(list_incidents))
        .route("/api/v1/incidents/{id}", get(get_incident))
        .route("/api/v1/warning", get(warning))
        .route("/api/v1/alerts", get(list_alerts))
        .route("/api/v1/alerts/{seq}/ack", post(ack_alert))
        .route("/api/v1/series", get(series))
        .route("/api/v1/cases", get(list_cases).post(open_case))
        .route("/api/v1/cases/{id}", get(get_case))
        .route("/api/v1/cases/{id}/actions", post(act_on_case))
}

fn time_param(field: &str, value: Option<&str>) -> Result<Option<OffsetDateTime>, ApiError> {
    value.map(|v| parse_time(v).map_err(|e| ApiError::parameter(field, e))).transpose()
}

/// The period of an incident listing.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IncidentParams {
    /// First report at or after this (RFC 3339 or YYYY-MM-DD; default 24 hours before `until`).
    since: Option<String>,
    /// Before this (default now).
    until: Option<String>,
    /// `true`: only incidents with a violation.
    violations: Option<String>,
    /// `json` (default): whole incidents; `brief`: what the map draws (id, time, category, count,
    /// position and uncertainty, how located, sector, observation ids, violation codes, label).
    format: Option<String>,
}

/// `{"incidents": [...]}`, written straight from the incidents (no JSON tree in between: a month of a
/// busy front is tens of megabytes).
#[derive(Serialize)]
struct IncidentList<T> {
    incidents: Vec<T>,
}

/// `{"incidents": [...]}` as a JSON response, written into one buffer set aside for `bytes_each` bytes
/// an incident (growing it as it fills copied the answer written so far, again and again).
fn json_response<T: Serialize>(list: &IncidentList<T>, bytes_each: usize) -> Result<Response, ApiError> {
    let mut body = Vec::with_capacity(list.incidents.len().saturating_mul(bytes_each).saturating_add(32));
    serde_json::to_writer(&mut body, list).map_err(ApiError::internal)?;
    Ok(([(axum::http::header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// Incidents (observations of one event merged), oldest first; at most 31 days at a time.
#[utoipa::path(get, path = "/api/v1/incidents", tag = "incidents", params(IncidentParams),
    responses(
        (status = 200, description = "`{\"incidents\": [...]}` (`format=brief`: brief incidents)", body = Object),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
    ))]
pub async fn list_incidents(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<IncidentParams>,
) -> Result<Response, ApiError> {
    let until = time_param("until", p.until.as_deref())?.unwrap_or_else(OffsetDateTime::now_utc);
    let since = time_param("since", p.since.as_deref())?.unwrap_or(until - time::Duration::days(1));
    let only_violations = match p.violations.as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => return Err(ApiError::parameter("violations", format!("{other:?} is not true or false"))),
    };
    let brief = match p.format.as_deref() {
        None | Some("json") => false,
        Some("brief") => true,
        Some(other) => return Err(ApiError::parameter("format", format!("{other:?} is not json or brief"))),
    };
    if since >= until || until - since > time::Duration::days(31) {
        return Err(ApiError::parameter("since", "the period must be positive and at most 31 days"));
    }
    blocking(move || {
        // From each day's kept incidents (truce_node::kept), written on the blocking pool: a day at
        // the rate of a busy front is 15 MB of JSON, which would hold up a runtime thread.
        let node = &state.node;
        let list = node
            .kept
            .incident_list(&*caller.store(&state), &node.policy, &node.sectors, caller.access.audience(), since, until)
            .map_err(ApiError::internal)?;
        let list = list.iter().map(|i| &**i).filter(|i| !only_violations || i.is_violation());
        if brief {
            let incidents: Vec<_> = list.map(wire::incident_brief).collect();
            return json_response(&IncidentList { incidents }, BRIEF_JSON_BYTES);
        }
        let incidents: Vec<_> = list.collect();
        json_response(&IncidentList { incidents }, INCIDENT_JSON_BYTES)
    })
    .await
}

/// About the bytes of JSON an incident takes in a list, whole and brief (555 and 435 on the year
/// benchmark's busiest store): what [`json_response`] sets aside for each.
const INCIDENT_JSON_BYTES: usize = 600;
const BRIEF_JSON_BYTES: usize = 480;

/// One incident by id (`inc-` and the id of its first observation).
#[utoipa::path(get, path = "/api/v1/incidents/{id}", tag = "incidents",
    params(("id" = String, Path, description = "Incident id")),
    responses(
        (status = 200, description = "The incident", body = Object),
        (status = 404, description = "No such incident", body = ErrorBody),
    ))]
pub async fn get_incident(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let key = id.clone();
    let found = blocking(move || {
        watch::find_incident(&*caller.store(&state), &state.node.policy, &state.node.sectors, &key)
            .map_err(ApiError::internal)
    })
    .await?;
    match found {
        Some(i) => Ok(Json(serde_json::to_value(i).map_err(ApiError::internal)?)),
        None => Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no incident {id:?}")).field("id")),
    }
}

/// The latest early-warning assessment: the line's level and every sector's, with reasons.
#[utoipa::path(get, path = "/api/v1/warning", tag = "warning",
    responses((status = 200, description = "The assessment", body = Object)))]
pub async fn warning(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    let at = OffsetDateTime::now_utc();
    let picture = blocking(move || state.node.warning_for(&caller.access, at).map_err(ApiError::internal)).await?;
    Ok(Json(serde_json::to_value(picture).map_err(ApiError::internal)?))
}

/// The period and bucket of count series.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SeriesParams {
    /// Start (RFC 3339 or YYYY-MM-DD; default 7 days before `until`, at 00:00 UTC).
    since: Option<String>,
    /// End (default now).
    until: Option<String>,
    /// `hour` or `day` (default `day`).
    bucket: Option<String>,
}

/// Incidents per sector, category and hour or day (the detectors' input): at most 2,000 buckets.
#[utoipa::path(get, path = "/api/v1/series", tag = "warning", params(SeriesParams),
    responses(
        (status = 200, description = "`{\"start\", \"bucket\", \"buckets\", \"sectors\": {sector: {category: {\"incidents\": [...], \"count\": [...]}}}}`", body = Object),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
    ))]
pub async fn series(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<SeriesParams>,
) -> Result<Json<Value>, ApiError> {
    use truce_watch::series::Bucket;
    let bucket = match p.bucket.as_deref() {
        None | Some("day") => Bucket::Day,
        Some("hour") => Bucket::Hour,
        Some(other) => return Err(ApiError::parameter("bucket", format!("{other:?} is not hour or day"))),
    };
    let until = time_param("until", p.until.as_deref())?.unwrap_or_else(OffsetDateTime::now_utc);
    let since = match time_param("since", p.since.as_deref())? {
        Some(t) => t,
        None => (until - time::Duration::days(7)).replace_time(time::Time::MIDNIGHT),
    };
    let len = bucket.length().whole_seconds();
    let buckets = ((until - since).whole_seconds() + len - 1).div_euclid(len);
    if !(1..=2_000).contains(&buckets) {
        return Err(ApiError::parameter("since", format!("the period must hold 1 to 2,000 buckets, not {buckets}")));
    }
    let out = blocking(move || {
        // Summed from each day's kept incidents (truce_node::kept).
        let node = &state.node;
        let store = caller.store(&state);
        let audience = caller.access.audience();
        node.kept
            .series(&*store, &node.policy, &node.sectors, audience, since, until, bucket, buckets as usize)
            .map_err(ApiError::internal)
    })
    .await?;
    Ok(Json(serde_json::to_value(out).map_err(ApiError::internal)?))
}

/// Which alerts.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlertParams {
    /// At or after this time.
    since: Option<String>,
    /// After this sequence number (catch-up after a disconnection).
    after: Option<String>,
    /// At most this many (1 to 10,000; default 1,000).
    limit: Option<String>,
}

/// Stored alerts (changes of a sector's or the line's level), oldest first, each with its latest
/// acknowledgement (`ack`: `{"by", "at", "note"}` or null) and how many it has had (`acks`).
#[utoipa::path(get, path = "/api/v1/alerts", tag = "warning", params(AlertParams),
    responses(
        (status = 200, description = "`{\"alerts\": [{\"seq\", \"at\", \"scope\", \"name\", \"level\", \"previous\", \"reasons\", \"ack\": {\"by\", \"at\", \"note\"}|null, \"acks\": n}]}`", body = Object),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
    ))]
pub async fn list_alerts(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<AlertParams>,
) -> Result<Json<Value>, ApiError> {
    let since = time_param("since", p.since.as_deref())?;
    let limit = super::limit_param(p.limit.as_deref(), 1_000, 10_000)?;
    let after = super::after_param(p.after.as_deref())?;
    let list = blocking(move || {
        let store = caller.store(&state);
        let alerts = watch::alerts(&*store, since, after, limit).map_err(ApiError::internal)?;
        watch::listed(&*store, &alerts).map_err(ApiError::internal)
    })
    .await?;
    Ok(Json(json!({ "alerts": list })))
}

/// Longest acknowledgement note, characters.
const MAX_NOTE_CHARS: usize = 500;

/// Acknowledging an alert.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AckRequest {
    note: String,
}

/// Acknowledge an alert the caller may see: `{"note": "..."}` (1 to 500 characters, no control
/// characters). Every acknowledgement is kept; the latest is listed with the alert. The
/// acknowledgement is published on the stream as `{"type": "alert_ack", "seq", "ack": {"by", "at",
/// "note"}}` to those who may see the alert.
#[utoipa::path(post, path = "/api/v1/alerts/{seq}/ack", tag = "warning",
    params(("seq" = i64, Path, description = "The alert's sequence number")),
    request_body(content = Object, description = "`{\"note\": \"...\"}`", content_type = "application/json"),
    responses(
        (status = 200, description = "The alert as listed, with this acknowledgement as `ack`", body = Object),
        (status = 400, description = "Malformed JSON, or a sequence number that is not one", body = ErrorBody),
        (status = 403, description = "The role may not acknowledge alerts", body = ErrorBody),
        (status = 404, description = "No such alert the caller may see", body = ErrorBody),
        (status = 422, description = "The note is missing, empty, too long or has control characters", body = ErrorBody),
    ))]
pub async fn ack_alert(
    State(state): State<AppState>,
    caller: Caller,
    Path(seq): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    caller.require(Action::AcknowledgeAlert)?;
    let missing = || ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no alert {seq:?}")).field("seq");
    // Anything that is not a stored sequence number answers like a missing alert, so the answer does
    // not tell a malformed number from a hidden one.
    let number = match seq.parse::<i64>() {
        Ok(n) if n > 0 => n,
        _ => return Err(missing()),
    };
    let req: AckRequest = json_body(body).map_err(|e| match e.code {
        // A member of the wrong type, an unknown one, or none: the note is what is asked for.
        "invalid_case" => {
            let field = e.field.filter(|f| !f.is_empty() && f != ".").unwrap_or_else(|| "note".to_owned());
            ApiError { code: "invalid_ack", field: Some(field), ..e }
        }
        _ => e,
    })?;
    let chars = req.note.chars().count();
    let bad_note = |reason: String| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_ack", format!("note: {reason}")).field("note")
    };
    if req.note.trim().is_empty() {
        return Err(bad_note("must say something (1 to 500 characters)".into()));
    }
    if chars > MAX_NOTE_CHARS {
        return Err(bad_note(format!("{chars} characters is over the limit of {MAX_NOTE_CHARS}")));
    }
    if let Some(c) = req.note.chars().find(|c| c.is_control()) {
        return Err(bad_note(format!("control character U+{:04X} is not allowed", u32::from(c))));
    }
    // Stored at the store's resolution (milliseconds), the time is published and answered as stored.
    let now = OffsetDateTime::now_utc();
    let now = now.replace_millisecond(now.millisecond()).unwrap_or(now);
    let ack = truce_store::AlertAck { seq: number, by: caller.viewer.name.clone(), at: now, note: req.note };
    let listed = blocking(move || state.node.ack_alert(&caller.access, &ack).map_err(ApiError::internal)).await?;
    let alert = listed.ok_or_else(missing)?;
    let mut response = Json(alert).into_response();
    response.extensions_mut().insert(super::audit::Note {
        target: format!("alert {number}"),
        detail: "acknowledged".into(),
        ..super::audit::Note::default()
    });
    Ok(response)
}

fn case_error(e: CaseError) -> ApiError {
    match e {
        CaseError::Invalid(m) => {
            let field = m.split(':').next().unwrap_or("body").to_owned();
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_case", m).field(field)
        }
        CaseError::NotFound(id) => {
            ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no case {id:?}")).field("id")
        }
        CaseError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, "conflict", m).field("expected_stage"),
        CaseError::Store(e) => ApiError::internal(e),
    }
}

fn json_body<T: serde::de::DeserializeOwned>(body: Result<Bytes, BytesRejection>) -> Result<T, ApiError> {
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(e.status(), "body_too_large", "the body is larger than the server accepts (2 MiB)")
        } else {
            ApiError::new(e.status(), "invalid_body", e.body_text())
        }
    })?;
    let text = std::str::from_utf8(&body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            format!("the body is not UTF-8 (byte {})", e.valid_up_to()),
        )
    })?;
    let mut de = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let inner = e.inner();
        if inner.is_syntax() || inner.is_eof() {
            return ApiError::new(
                StatusCode::BAD_REQUEST,
                "malformed_json",
                format!("invalid JSON at line {}, column {}: {inner}", inner.line(), inner.column()),
            );
        }
        let field = e.path().to_string();
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_case", format!("{field}: {inner}")).field(field)
    })
}

/// Opening a case.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OpenCase {
    title: String,
    incidents: Vec<String>,
    /// Accepted for older clients and ignored: the actor is the logged-in user.
    by: Option<String>,
    note: Option<String>,
}

/// Open a compliance case on incidents the caller may see: `{"title", "incidents": [...], "note"?}`
/// (the actor is the logged-in user).
#[utoipa::path(post, path = "/api/v1/cases", tag = "cases",
    request_body(content = Object, content_type = "application/json"),
    responses(
        (status = 201, description = "The case", body = Object),
        (status = 422, description = "Invalid request: the field at fault", body = ErrorBody),
    ))]
pub async fn open_case(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.require(Action::OpenCase)?;
    let req: OpenCase = json_body(body)?;
    let at = OffsetDateTime::now_utc();
    let _ = req.by;
    let by = caller.viewer.name.clone();
    let case = blocking(move || {
        state
            .node
            .open_case(&caller.access, &req.title, &req.incidents, &by, req.note.as_deref(), at)
            .map_err(case_error)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(serde_json::to_value(case).map_err(ApiError::internal)?)))
}

/// An action on a case.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseAction {
    /// The next stage, or absent for a note.
    to: Option<String>,
    /// Accepted for older clients and ignored: the actor is the logged-in user.
    by: Option<String>,
    party: Option<String>,
    note: Option<String>,
    /// The stage the caller saw: refused with 409 if the case has moved since.
    expected_stage: Option<String>,
}

/// Move a case to its next stage or add a note: `{"to"?, "party"?, "note"?, "expected_stage"?}`
/// (the actor is the logged-in user; attribution and remedy are the Special Commission's).
#[utoipa::path(post, path = "/api/v1/cases/{id}/actions", tag = "cases",
    params(("id" = String, Path, description = "Case id")),
    request_body(content = Object, content_type = "application/json"),
    responses(
        (status = 200, description = "The case after the action", body = Object),
        (status = 404, description = "No such case", body = ErrorBody),
        (status = 409, description = "The case is no longer at `expected_stage`", body = ErrorBody),
        (status = 422, description = "A move the stages do not allow, or a missing party/note", body = ErrorBody),
    ))]
pub async fn act_on_case(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let req: CaseAction = json_body(body)?;
    let stage = |field: &str, s: Option<String>| {
        s.map(|s| {
            s.parse::<Stage>().map_err(|m| {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_case", format!("{field}: {m}")).field(field)
            })
        })
        .transpose()
    };
    let to = stage("to", req.to)?;
    let expected = stage("expected_stage", req.expected_stage)?;
    // The Special Commission attributes and remedies; analysts gather evidence and submit it.
    let decides = req.party.is_some() || matches!(to, Some(Stage::Remedy | Stage::Closed));
    caller.require(if decides { Action::DecideCase } else { Action::ReviewCase })?;
    let _ = req.by;
    let step = Step { to, by: caller.viewer.name.clone(), party: req.party, note: req.note };
    let at = OffsetDateTime::now_utc();
    let case =
        blocking(move || state.node.step_case(&caller.access, &id, &step, expected, at).map_err(case_error)).await?;
    Ok(Json(serde_json::to_value(case).map_err(ApiError::internal)?))
}

/// One case with its history.
#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases",
    params(("id" = String, Path, description = "Case id")),
    responses(
        (status = 200, description = "The case", body = Object),
        (status = 404, description = "No such case", body = ErrorBody),
    ))]
pub async fn get_case(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let key = id.clone();
    let found = blocking(move || watch::case(&*caller.store(&state), &key).map_err(ApiError::internal)).await?;
    let case = found.ok_or_else(|| case_error(CaseError::NotFound(id)))?;
    Ok(Json(serde_json::to_value(case).map_err(ApiError::internal)?))
}

/// Every case (without their histories), oldest first.
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases",
    responses((status = 200, description = "`{\"cases\": [...]}`", body = Object)))]
pub async fn list_cases(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    let list = blocking(move || watch::cases(&*caller.store(&state)).map_err(ApiError::internal)).await?;
    Ok(Json(json!({ "cases": list })))
}
