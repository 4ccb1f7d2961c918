//! The REST API under `/api/v1`, plus `/healthz` and `/metrics`. The OpenAPI document
//! (`/api/v1/openapi.json`) is generated from the annotations on these handlers.

// utoipa's expansion of `Query<...>` parameters names axum's path in full.
#![allow(unused_qualifications)]

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use truce_node::query::{Filters, Known};
use truce_node::sources::http::{self, BodyError, MAX_BODY_BYTES};
use truce_node::wire;
use truce_store::{Change, EncodedRow, Revise, Revision, StoreError};

use utoipa::{IntoParams, OpenApi, ToSchema};

use super::AppState;
use super::audit::Note;
use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use truce_access::Action;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "truce API",
        description = "Observations, the agreement and statistics of a ceasefire monitoring mission."
    ),
    paths(
        super::auth::login,
        super::auth::logout,
        super::auth::me,
        super::audit_api::list,
        post_observations,
        list_observations,
        get_observation,
        put_observation,
        observation_history,
        agreement,
        agreement_geometry,
        super::sectors::sectors,
        vocabulary,
        stats,
        healthz,
        metrics,
        openapi,
        super::stream::upgrade,
        super::watch::list_incidents,
        super::watch::get_incident,
        super::watch::warning,
        super::watch::list_alerts,
        super::watch::ack_alert,
        super::export::export,
        super::export::export_tracks,
        super::watch::series,
        super::watch::list_cases,
        super::watch::open_case,
        super::watch::get_case,
        super::watch::act_on_case,
        super::reports::report_daily,
        super::reports::report_spot,
        super::reports::report_status,
        super::coalition::coalition_summary,
        super::coalition::coalition_gaps,
        super::coalition::nation_history,
        super::coalition::list_plans,
        super::coalition::get_plan,
        super::coalition::check_plan,
        super::coalition::regeneration_status,
        super::tak::tracks,
        super::tak::history,
        super::tak::window,
        super::tak::geofence,
        super::tak::status,
        super::sea_air::detections,
        super::sea_air::interference
    ),
    components(schemas(InsertResponse, ErrorBody, StatsResponse, super::auth::LoginRequest))
)]
pub struct ApiDoc;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/observations", get(list_observations).post(post_observations))
        .route("/api/v1/observations/{id}", get(get_observation).put(put_observation))
        .route("/api/v1/observations/{id}/history", get(observation_history))
        .route("/api/v1/agreement", get(agreement))
        .route("/api/v1/agreement/geometry", get(agreement_geometry))
        .route("/api/v1/vocabulary", get(vocabulary))
        .route("/api/v1/stats", get(stats))
        .route("/api/v1/openapi.json", get(openapi))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}

/// What a POST stored.
#[derive(Serialize, ToSchema)]
pub struct InsertResponse {
    /// Ids stored by this request.
    pub ids: Vec<String>,
    /// Ids that were already stored (sent before): stored once, unchanged.
    pub duplicates: Vec<String>,
}

/// Store one observation or an array of them (all or nothing).
///
/// Each observation: `time` (RFC 3339) and `category` are required; the position is `lat`/`lon`, or the
/// observer's `lat`/`lon` with `bearing_deg` and `range_m`. Without an `id`, one is derived from the
/// content, so a resent report is stored once. The answer comes after the commit is durable.
#[utoipa::path(post, path = "/api/v1/observations", tag = "observations",
    request_body(content = Object, description = "An observation or an array of at most 10,000", content_type = "application/json"),
    responses(
        (status = 201, description = "Stored (durably); duplicates listed", body = InsertResponse),
        (status = 400, description = "Malformed JSON or not an object/array", body = ErrorBody),
        (status = 413, description = "Body over 8 MiB or more than 10,000 observations", body = ErrorBody),
        (status = 422, description = "Invalid observations: every field at fault, as `[index].field`", body = ErrorBody),
        (status = 503, description = "The store failed: nothing was stored", body = ErrorBody),
    ))]
pub async fn post_observations(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("the body is larger than {MAX_BODY_BYTES} bytes"),
            )
        } else {
            ApiError::new(e.status(), "invalid_body", e.body_text())
        }
    })?;
    caller.require(Action::SubmitObservation)?;
    let posted =
        http::post(&state.node, caller.access.clone(), caller.viewer.name.clone(), body, OffsetDateTime::now_utc())
            .await;
    let report = posted.map_err(|e| match e {
        http::PostError::Body(e) => body_error(e),
        // A record no store can keep is the client's; nothing was stored.
        http::PostError::Store(truce_store::StoreError::Invalid { id, reason }) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_observation",
            format!("observation {id:?}: {reason}; nothing was stored"),
        ),
        // Other content under a stored id is a correction, which says so (PUT with the version).
        http::PostError::Store(truce_store::StoreError::Conflict(conflicts)) => {
            let first = conflicts.first().map(|c| c.id.clone()).unwrap_or_default();
            let message = conflicts.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
            ApiError::new(
                StatusCode::CONFLICT,
                "conflict",
                format!("{message}; nothing was stored; to correct a stored observation, PUT /api/v1/observations/{{id}} with the version you read and a reason"),
            )
            .field(format!("id {first}"))
        }
        http::PostError::Store(other) => ApiError::internal(other),
    })?;
    // The log says how many, not which: an auditor's label need not cover every record written.
    let note = Note {
        target: format!("{} observation(s)", report.inserted.len()),
        detail: format!("{} duplicate(s)", report.duplicates.len()),
        ..Note::default()
    };
    let body = InsertResponse { ids: report.inserted, duplicates: report.duplicates };
    let mut response = (StatusCode::CREATED, Json(body)).into_response();
    response.extensions_mut().insert(note);
    Ok(response)
}

/// The API's answer to a body that does not pass ([`http::BodyError`]).
fn body_error(e: BodyError) -> ApiError {
    let message = e.to_string();
    match e {
        BodyError::Malformed(_) => ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", message),
        BodyError::WrongType { field, .. } => {
            let err = ApiError::new(StatusCode::BAD_REQUEST, "invalid_type", message);
            match field {
                Some(f) => err.field(f),
                None => err,
            }
        }
        BodyError::TooMany(_) => ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "batch_too_large", message),
        BodyError::Empty => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_observation", message),
        BodyError::Forbidden { field, .. } => {
            ApiError::new(StatusCode::FORBIDDEN, "label_above_clearance", message).field(field)
        }
        BodyError::Invalid(fields) => {
            let first = fields.first().map(|f| f.field.clone()).unwrap_or_default();
            let mut err = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_observation", message).field(first);
            err.fields = fields;
            err
        }
    }
}

/// The observation filters of the list, the counts and the export (one struct, so the three take the
/// same parameters).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FilterParams {
    /// At or after this time (RFC 3339 or YYYY-MM-DD).
    since: Option<String>,
    /// Before this time (RFC 3339 or YYYY-MM-DD).
    until: Option<String>,
    /// Received by the server at or after this time, whatever the observation's own time (catch-up
    /// after a disconnection).
    received_since: Option<String>,
    /// W,S,E,N in degrees.
    bbox: Option<String>,
    /// LAT,LON,KM: within KM of a point.
    near: Option<String>,
    /// LON,LAT;LON,LAT;LON,LAT[;...]: inside the polygon or on its edge (3 to 1,000 distinct vertices,
    /// closed implicitly; straight edges in longitude/latitude).
    polygon: Option<String>,
    /// OSCE category ids, comma-separated (any of them).
    category: Option<String>,
    /// Violation codes, comma-separated (any of them).
    violation: Option<String>,
    /// A zone id.
    zone: Option<String>,
    /// Observers' means, comma-separated (any of them): patrol, fixed_camera, uav, sensor, tak_device,
    /// ship, aircraft, import.
    means: Option<String>,
    /// Attributed parties, comma-separated (any of them): the agreement's party ids, `none` for
    /// observations attributed to no party.
    party: Option<String>,
    /// Classification levels, comma-separated (any of them): ranks 0 (NATO UNCLASSIFIED) to 4 (COSMIC
    /// TOP SECRET) or the exact names.
    marking: Option<String>,
    /// A nation (ISO 3166 alpha-3): only observations releasable to it, as a viewer of that nation with
    /// the caller's clearance and categories may see them (groups expanded on each observation's day).
    nation: Option<String>,
    /// An early-warning sector's id (`GET /api/v1/sectors`): only what the warning counts in it.
    sector: Option<String>,
}

/// Paging and format of the list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Page size, 1 to 10,000 (default 1,000).
    limit: Option<String>,
    /// The `next` cursor of the previous page.
    cursor: Option<String>,
    /// `json` (default), `geojson`, or `brief`: per observation only its id, time, position, category,
    /// place, label and violation codes (what the map draws and counts by).
    format: Option<String>,
}

impl FilterParams {
    fn filters(&self) -> Filters<'_> {
        Filters {
            since: self.since.as_deref(),
            received_since: self.received_since.as_deref(),
            until: self.until.as_deref(),
            bbox: self.bbox.as_deref(),
            near: self.near.as_deref(),
            category: self.category.as_deref(),
            violation: self.violation.as_deref(),
            zone: self.zone.as_deref(),
            polygon: self.polygon.as_deref(),
            means: self.means.as_deref(),
            party: self.party.as_deref(),
            marking: self.marking.as_deref(),
            nation: self.nation.as_deref(),
            sector: self.sector.as_deref(),
        }
    }

    /// The store query of the filters, or a 400 naming the first bad one (paging left at its default).
    pub(crate) fn query(&self, state: &AppState, caller: &Caller) -> Result<truce_store::Query, ApiError> {
        compile(&self.filters(), state, caller)
    }
}

/// Filters checked against the node's agreement, label policy and sectors, `nation` read as the
/// caller: the store query, or a 400 naming the first bad one (paging left at its default).
pub(crate) fn compile(
    filters: &Filters<'_>,
    state: &AppState,
    caller: &Caller,
) -> Result<truce_store::Query, ApiError> {
    let parties: Vec<&str> = state.node.agreement.parties.iter().map(|p| p.id.as_str()).collect();
    let zones: Vec<&str> = state.node.agreement.zones.iter().map(|z| z.id.as_str()).collect();
    let known = Known {
        parties: &parties,
        zones: Some(&zones),
        releasability: Some((&state.node.policy, &caller.viewer)),
        sectors: Some(&state.node.sectors),
    };
    filters.query(&known).map_err(|(field, reason)| ApiError::parameter(field, reason))
}

/// List observations, oldest first, with filters and cursor paging.
#[utoipa::path(get, path = "/api/v1/observations", tag = "observations", params(FilterParams, ListParams),
    responses(
        (status = 200, description = "`{\"observations\": [...], \"next\": cursor|null}` (`format=brief`: the same with brief observations), or a GeoJSON FeatureCollection with `next`", body = Object),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
    ))]
pub async fn list_observations(
    State(state): State<AppState>,
    caller: Caller,
    Query(filters): Query<FilterParams>,
    Query(params): Query<ListParams>,
) -> Result<Response, ApiError> {
    let mut q = filters.query(&state, &caller)?;
    q.limit = super::limit_param(params.limit.as_deref(), 1_000, truce_store::MAX_PAGE)?;
    q.cursor = params.cursor.clone();
    let format = params.format.as_deref().unwrap_or("json");
    if !matches!(format, "json" | "geojson" | "brief") {
        return Err(ApiError::parameter("format", format!("{format:?} is not json, geojson or brief")));
    }
    let store = caller.store(&state);
    let page = tokio::task::spawn_blocking(move || store.query(&q)).await.map_err(ApiError::internal)?.map_err(
        |e| match e {
            truce_store::StoreError::BadCursor(c) => {
                ApiError::parameter("cursor", format!("{c:?} is not a cursor this server handed out"))
            }
            other => ApiError::internal(other),
        },
    )?;
    if format == "brief" {
        let observations = page.items.iter().map(wire::brief).collect();
        return Ok(Json(wire::BriefPage { observations, next: page.next.as_deref() }).into_response());
    }
    if format == "geojson" {
        return Ok((
            [(header::CONTENT_TYPE, "application/geo+json")],
            Json(wire::feature_collection(&page.items, page.next.as_deref())),
        )
            .into_response());
    }
    let observations: Vec<Value> = page.items.iter().map(wire::observation).collect();
    Ok(Json(json!({"observations": observations, "next": page.next})).into_response())
}

/// One observation with its classification, its current `version` and whether it was `amended`; a
/// withdrawn observation is 410 Gone (its history stays readable).
#[utoipa::path(get, path = "/api/v1/observations/{id}", tag = "observations",
    params(("id" = String, Path, description = "The observation's id")),
    responses(
        (status = 200, description = "The observation, with `version` and `amended`", body = Object),
        (status = 404, description = "No such observation", body = ErrorBody),
        (status = 410, description = "Withdrawn: who, when and why; see its history", body = ErrorBody),
    ))]
pub async fn get_observation(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let current = history_of(&state, &caller, &id).await?.pop().ok_or_else(|| not_found(&id))?;
    if current.change == Change::Withdrawn {
        return Err(ApiError::new(
            StatusCode::GONE,
            "withdrawn",
            format!(
                "observation {id:?} was withdrawn (version {}) by {} at {}: {}; its history is at /api/v1/observations/{id}/history",
                current.version,
                current.by,
                rfc3339(current.at),
                current.reason
            ),
        )
        .field("id"));
    }
    let mut body = wire::observation(&current.stored);
    body["version"] = json!(current.version);
    body["amended"] = json!(current.version > 1);
    Ok(Json(body))
}

fn not_found(id: &str) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no observation with id {id:?}")).field("id")
}

/// Every version of an observation the caller may see, oldest first; 404 when there is none.
async fn history_of(state: &AppState, caller: &Caller, id: &str) -> Result<Vec<Revision>, ApiError> {
    let store = caller.store(state);
    let key = id.to_owned();
    tokio::task::spawn_blocking(move || store.history(&key))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?
        .ok_or_else(|| not_found(id))
}

/// Every version of an observation, oldest first: what it said, who made each version, when and why.
#[utoipa::path(get, path = "/api/v1/observations/{id}/history", tag = "observations",
    params(("id" = String, Path, description = "The observation's id")),
    responses(
        (status = 200, description = "`{\"id\": ..., \"versions\": [{\"version\", \"change\": recorded|amended|withdrawn, \"at\", \"by\", \"reason\", \"observation\"}]}`", body = Object),
        (status = 404, description = "No such observation", body = ErrorBody),
    ))]
pub async fn observation_history(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let versions: Vec<Value> = history_of(&state, &caller, &id)
        .await?
        .iter()
        .map(|r| {
            json!({"version": r.version, "change": r.change.id(), "at": rfc3339(r.at), "by": r.by,
                "reason": r.reason, "observation": wire::observation(&r.stored)})
        })
        .collect();
    Ok(Json(json!({"id": id, "versions": versions})))
}

/// Amend or withdraw an observation: `{"version": N, "reason": "...", "observation": {...}}` replaces
/// version N with the observation (validated like a new one), `{"version": N, "reason": "...",
/// "withdraw": true}` withdraws it. Every version stays in the history; a version other than the
/// current one is 409.
#[utoipa::path(put, path = "/api/v1/observations/{id}", tag = "observations",
    params(("id" = String, Path, description = "The observation's id")),
    request_body(content = Object, description = "The version read, a reason, and the amended observation or `withdraw: true`", content_type = "application/json"),
    responses(
        (status = 200, description = "`{\"id\", \"version\", \"change\"}`: the new current version", body = Object),
        (status = 400, description = "Malformed JSON or not an object", body = ErrorBody),
        (status = 403, description = "The role may not submit observations, may not see the observer, or the label is above what it may give", body = ErrorBody),
        (status = 404, description = "No such observation", body = ErrorBody),
        (status = 409, description = "Not the current version (`stale_version`), or withdrawn (`withdrawn`)", body = ErrorBody),
        (status = 422, description = "A member is invalid: `version`, `reason`, `observation.<field>`", body = ErrorBody),
    ))]
pub async fn put_observation(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body.map_err(|e| ApiError::new(e.status(), "invalid_body", e.body_text()))?;
    caller.require(Action::SubmitObservation)?;
    if !caller.access.sees_observer() {
        // An amendment is the whole observation: one who cannot see the observer would erase it.
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "correcting an observation needs the right to see its observer (team, callsign, position)",
        ));
    }
    let now = OffsetDateTime::now_utc();
    let correction = http::read_correction(&state.node, &caller.access, &id, &body, now).map_err(body_error)?;
    let row = correction
        .amended
        .as_ref()
        .map(EncodedRow::new)
        .transpose()
        .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_observation", e.to_string()))?;
    let store = caller.store(&state);
    let node = state.node.clone();
    let by = caller.viewer.name.clone();
    let key = id.clone();
    let revised = tokio::task::spawn_blocking(move || {
        let change = Revise {
            id: &key,
            expected: correction.version,
            by: &by,
            reason: &correction.reason,
            at: now,
            amended: row.as_ref(),
        };
        node.revise(store.as_ref(), &change)
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(|e| match e {
        StoreError::NotFound(_) => not_found(&id),
        e @ StoreError::Stale { .. } => {
            ApiError::new(StatusCode::CONFLICT, "stale_version", e.to_string()).field("version")
        }
        e @ StoreError::Withdrawn { .. } => ApiError::new(StatusCode::CONFLICT, "withdrawn", e.to_string()).field("id"),
        e @ StoreError::Invalid { .. } => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_observation", e.to_string())
        }
        other => ApiError::internal(other),
    })?;
    let note = Note {
        target: "1 observation".into(),
        detail: format!("{} to version {}", revised.change.id(), revised.version),
        ..Note::default()
    };
    let mut response =
        Json(json!({"id": id, "version": revised.version, "change": revised.change.id()})).into_response();
    response.extensions_mut().insert(note);
    Ok(response)
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

/// A summary of the agreement in force.
#[utoipa::path(get, path = "/api/v1/agreement", tag = "agreement", responses((status = 200, description = "Parties, lines, classes, zones, phases", body = Object)))]
pub async fn agreement(State(state): State<AppState>) -> Json<Value> {
    let a = &state.node.agreement;
    let now = OffsetDateTime::now_utc();
    let zones: Vec<Value> = a
        .zones
        .iter()
        .map(|z| json!({"id": z.id, "name": z.name, "kind": z.kind.id(), "violated_by": z.violated_by.iter().map(|c| c.id()).collect::<Vec<_>>()}))
        .collect();
    Json(json!({
        "id": a.id, "title": a.title, "version": a.version, "illustrative": a.illustrative,
        "effective": a.effective.map(rfc3339), "fingerprint": a.fingerprint,
        "phase_now": a.phase_at(now).map(|p| a.phases[p].id.clone()),
        "parties": a.parties.iter().map(|p| json!({"id": p.id, "name": p.name, "iso3": p.iso3})).collect::<Vec<_>>(),
        "lines": a.lines.iter().map(|l| json!({"id": l.id, "name": l.name, "length_km": (l.length_m / 100.0).round() / 10.0,
            "left": a.parties[l.left].id, "right": a.parties[l.right].id})).collect::<Vec<_>>(),
        "weapon_classes": a.classes.iter().map(|c| json!({"id": c.id, "description": c.description, "storage_required": c.storage_required,
            "withdrawal": c.withdrawal.iter().map(|w| json!({"party": a.parties[w.party].id, "line": a.lines[w.line].id, "distance_km": w.distance_m / 1000.0})).collect::<Vec<_>>()})).collect::<Vec<_>>(),
        "zones": zones,
        "phases": a.phases.iter().map(|p| json!({"id": p.id, "name": p.name, "start": rfc3339(p.start), "end": rfc3339(p.end)})).collect::<Vec<_>>(),
    }))
}

/// The agreement's lines and zones as GeoJSON (bands traced as polygons for display).
#[utoipa::path(get, path = "/api/v1/agreement/geometry", tag = "agreement", responses((status = 200, description = "A FeatureCollection", body = Object)))]
pub async fn agreement_geometry(State(state): State<AppState>) -> Response {
    ([(header::CONTENT_TYPE, "application/geo+json")], Json(state.node.geometry().as_ref().clone())).into_response()
}

/// Counts for the observations matching the filters.
#[derive(Serialize, ToSchema)]
pub struct StatsResponse {
    /// Observations.
    total: u64,
    /// Per category.
    #[schema(value_type = Object)]
    by_category: std::collections::BTreeMap<String, u64>,
    /// Violations per code.
    #[schema(value_type = Object)]
    by_violation: std::collections::BTreeMap<String, u64>,
    /// Observations per zone.
    #[schema(value_type = Object)]
    by_zone: std::collections::BTreeMap<String, u64>,
    /// Observations per UTC day.
    #[schema(value_type = Object)]
    by_day: std::collections::BTreeMap<String, u64>,
    /// The same counts for the current UTC day.
    #[schema(value_type = Object)]
    today: Value,
}

/// Counts by category, violation, zone and day (same filters as the list).
#[utoipa::path(get, path = "/api/v1/stats", tag = "observations", params(FilterParams),
    responses((status = 200, description = "Counts", body = StatsResponse), (status = 400, description = "A parameter is invalid", body = ErrorBody)))]
pub async fn stats(
    State(state): State<AppState>,
    caller: Caller,
    Query(filters): Query<FilterParams>,
) -> Result<Json<StatsResponse>, ApiError> {
    let q = filters.query(&state, &caller)?;
    let today = OffsetDateTime::now_utc().date();
    let mut tq = q.clone();
    tq.since = Some(today.midnight().assume_utc());
    tq.until = today.next_day().map(|d| d.midnight().assume_utc());
    let store = caller.store(&state);
    let (all, day) = tokio::task::spawn_blocking(move || {
        // Summed from each day's kept counts where the filters allow (truce_node::kept).
        let (kept, audience) = (&state.node.kept, caller.access.audience());
        Ok::<_, truce_store::StoreError>((kept.stats(&*store, audience, &q)?, kept.stats(&*store, audience, &tq)?))
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)?;
    Ok(Json(StatsResponse {
        total: all.total,
        by_category: all.by_category,
        by_violation: all.by_violation,
        by_zone: all.by_zone,
        by_day: all.by_day,
        today: json!({"date": today.to_string(), "total": day.total, "by_category": day.by_category, "by_violation": day.by_violation, "by_zone": day.by_zone}),
    }))
}

/// Liveness: the store answers. Served without a session, so it tells nothing about the records
/// (not even how many there are).
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, description = "OK", body = Object), (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn healthz(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let store = state.node.view(&truce_access::Access::new(&state.node.policy, &state.node.anonymous));
    tokio::task::spawn_blocking(move || store.count())
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    Ok(Json(json!({"status": "ok", "agreement": state.node.agreement.id})))
}

/// The vocabulary clients key on: observation categories, violation codes (most severe first), zone
/// kinds (in drawing order), markings, early-warning levels and geofence kinds, each with its words,
/// and the label policy's release codes and dated group memberships.
#[utoipa::path(get, path = "/api/v1/vocabulary", tag = "agreement", responses((status = 200, description = "`{\"categories\", \"violations\", \"zone_kinds\", \"markings\", \"levels\", \"geofence_kinds\", \"release\"}`", body = Object)))]
pub async fn vocabulary(State(state): State<AppState>) -> Json<Value> {
    Json(wire::vocabulary(&state.node.policy))
}

/// Prometheus metrics.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
pub async fn metrics(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    // Counters of everything received, whatever its label: the node's operators only.
    caller.require(Action::ReadMetrics)?;
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render()).into_response())
}

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "operations", responses((status = 200, description = "The OpenAPI 3.1 document", body = Object)))]
pub async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
