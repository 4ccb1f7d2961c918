//! The coalition over HTTP: `/api/v1/coalition/...` (summary, gaps, a nation's history),
//! `/api/v1/plans/...` (the plans, one plan as GeoJSON with its units' symbol codes, its check) and
//! `/api/v1/regeneration`: the same models as `truce coalition`, `truce plan check` and
//! `truce regeneration status` (crate `truce-coalition`), as JSON.
//!
//! Each request reads the coalition from the store on the blocking pool, so an import by the command
//! line shows at once. Parameters are checked first and answered with the API's one error shape
//! (400 `invalid_parameter` naming the parameter; 404 `not_found` for an unknown nation or plan).
//!
//! Every route reads through the caller's store ([`Caller::store`]) and computes only from what it
//! returns: the coalition the caller may see, without references to the rest
//! (`Coalition::drop_unresolved`). A plan or nation the caller may not see answers exactly like a
//! missing one; a plan it may see shows only the deployments of units and places it may see.

// utoipa's expansion of `Query<...>` parameters names axum's path in full.
#![allow(unused_qualifications)]

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use truce_coalition::Coalition;
use truce_coalition::model::{Day, Status};
use utoipa::IntoParams;

use super::AppState;
use super::auth::Caller;
use super::error::{ApiError, ErrorBody};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/coalition/summary", get(coalition_summary))
        .route("/api/v1/coalition/gaps", get(coalition_gaps))
        .route("/api/v1/coalition/nations/{nation}/history", get(nation_history))
        .route("/api/v1/plans", get(list_plans))
        .route("/api/v1/plans/{id}", get(get_plan))
        .route("/api/v1/plans/{id}/check", get(check_plan))
        .route("/api/v1/regeneration", get(regeneration_status))
}

/// Runs `f` on the coalition read from the store, on the blocking pool.
async fn with_coalition<T: Send + 'static>(
    state: &AppState,
    caller: &Caller,
    f: impl FnOnce(&Coalition) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let store = caller.store(state);
    super::blocking(move || {
        let c = truce_coalition::load(&*store).map_err(ApiError::internal)?;
        f(&c)
    })
    .await
}

fn not_found(what: &str, field: &str) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", what.to_owned()).field(field.to_owned())
}

/// Nations × domains with each pledge's current status (with its date, source and words), totals by
/// status, and the coalition's milestones.
#[utoipa::path(get, path = "/api/v1/coalition/summary", tag = "coalition",
    responses(
        (status = 200, description = "The summary: `nations[].cells[]` per domain, `totals[]` per status", body = Object),
        (status = 503, description = "The store failed", body = ErrorBody),
    ))]
pub async fn coalition_summary(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    with_coalition(&state, &caller, |c| Ok(Json(json!(truce_coalition::summary::summary(c))))).await
}

/// Parameters of the gap analysis.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GapsParams {
    /// Statuses also counted, comma-separated: `conditional`, `undecided` (default: none; firm
    /// pledges — committed, approved, deployed — always count).
    assume: Option<String>,
    /// Only this planning phase.
    phase: Option<String>,
}

/// Each requirement against the pledges that can fill it: what firm pledges cover, the shortfall,
/// and the same with the assumed statuses, pledge by pledge; matching pledges without a number listed
/// apart (docs/coalition.md, "Gaps").
#[utoipa::path(get, path = "/api/v1/coalition/gaps", tag = "coalition", params(GapsParams),
    responses(
        (status = 200, description = "One row per requirement", body = Object),
        (status = 400, description = "`assume` names a status that cannot be assumed", body = ErrorBody),
        (status = 503, description = "The store failed", body = ErrorBody),
    ))]
pub async fn coalition_gaps(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<GapsParams>,
) -> Result<Json<Value>, ApiError> {
    let mut assume = Vec::new();
    for word in p.assume.as_deref().unwrap_or("").split(',').map(str::trim).filter(|w| !w.is_empty()) {
        match Status::parse(word) {
            Ok(s @ (Status::Conditional | Status::Undecided)) => assume.push(s),
            Ok(s) => {
                return Err(ApiError::parameter(
                    "assume",
                    format!("{s} cannot be assumed: only conditional and undecided pledges can"),
                ));
            }
            Err(e) => return Err(ApiError::parameter("assume", e)),
        }
    }
    let phase = p.phase;
    with_coalition(&state, &caller, move |c| {
        if let Some(ph) = &phase
            && !c.requirements.iter().any(|r| &r.phase == ph)
        {
            return Err(ApiError::parameter("phase", format!("no requirement in phase {ph:?}")));
        }
        Ok(Json(json!(truce_coalition::gaps::gaps(c, &assume, phase.as_deref()))))
    })
    .await
}

/// How a nation's position moved: each pledge's history, oldest first, with sources, words and the
/// import that recorded each step.
#[utoipa::path(get, path = "/api/v1/coalition/nations/{nation}/history", tag = "coalition",
    params(("nation" = String, Path, description = "ISO 3166 alpha-3 code (any case) or name")),
    responses(
        (status = 200, description = "The nation and its pledges' steps", body = Object),
        (status = 404, description = "No such nation", body = ErrorBody),
        (status = 503, description = "The store failed", body = ErrorBody),
    ))]
pub async fn nation_history(
    State(state): State<AppState>,
    caller: Caller,
    Path(nation): Path<String>,
) -> Result<Json<Value>, ApiError> {
    with_coalition(&state, &caller, move |c| match truce_coalition::history::history(c, &nation) {
        Some(h) => Ok(Json(json!(h))),
        None => Err(not_found(&format!("no nation {nation:?}"), "nation")),
    })
    .await
}

/// The imported plans.
#[utoipa::path(get, path = "/api/v1/plans", tag = "plans",
    responses(
        (status = 200, description = "`[{id, name, deployments, tasks, illustrative, notes, label}]`", body = Object),
        (status = 503, description = "The store failed", body = ErrorBody),
    ))]
pub async fn list_plans(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    with_coalition(&state, &caller, |c| {
        let plans: Vec<Value> = c
            .plans
            .iter()
            .map(|p| {
                json!({"id": p.id, "name": p.name, "deployments": p.deployments.len(), "tasks": p.tasks.len(),
                       "illustrative": p.illustrative, "notes": p.notes, "label": p.label})
            })
            .collect();
        Ok(Json(json!({ "plans": plans })))
    })
    .await
}

/// A plan as a GeoJSON FeatureCollection: one Point per deployment (`layer: "deployment"`, with the
/// unit, its nation, domain, symbol code, strength, pledge and the pledge's status) and one Polygon
/// per patrol area (`layer: "area"`); `index` is the deployment's position in the plan.
#[utoipa::path(get, path = "/api/v1/plans/{id}", tag = "plans",
    params(("id" = String, Path, description = "The plan's id")),
    responses(
        (status = 200, description = "GeoJSON FeatureCollection", body = Object, content_type = "application/geo+json"),
        (status = 404, description = "No such plan", body = ErrorBody),
        (status = 503, description = "The store failed", body = ErrorBody),
    ))]
pub async fn get_plan(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    with_coalition(&state, &caller, move |c| {
        let plan = c.plans.iter().find(|p| p.id == id).ok_or_else(|| not_found(&format!("no plan {id:?}"), "id"))?;
        let lookup = c.lookup();
        let mut features = Vec::new();
        for (i, d) in plan.deployments.iter().enumerate() {
            let unit = lookup.unit(c, &d.unit);
            let pledge = unit.and_then(|u| u.pledge.as_deref());
            let props = json!({
                "layer": "deployment",
                "index": i,
                "line": d.line,
                "unit": d.unit,
                "name": unit.map(|u| u.name.as_str()),
                "nation": unit.map(|u| u.nation.as_str()),
                "domain": unit.map(|u| u.domain.id()),
                "type": unit.map(|u| u.kind.as_str()),
                "sidc": unit.map(|u| u.sidc.as_str()),
                "strength": unit.map(|u| u.strength),
                "pledge": pledge,
                "pledge_status": pledge.and_then(|p| lookup.status(c, p)).map(|s| s.id()),
                "place": d.place,
                "place_name": d.place.as_deref().and_then(|p| lookup.place(c, p)).map(|p| p.name.as_str()),
                "from": d.from,
                "until": d.until,
                "task": d.task,
                "illustrative": unit.is_some_and(|u| u.illustrative) || plan.illustrative,
            });
            features.push(json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": d.position}, "properties": props}));
            if let Some(area) = &d.area {
                features.push(json!({
                    "type": "Feature",
                    "geometry": {"type": "Polygon", "coordinates": [area]},
                    "properties": {"layer": "area", "index": i, "unit": d.unit, "domain": unit.map(|u| u.domain.id())},
                }));
            }
        }
        Ok(Json(json!({
            "type": "FeatureCollection",
            "properties": {"id": plan.id, "name": plan.name, "illustrative": plan.illustrative, "notes": plan.notes,
                           "tasks": plan.tasks, "label": plan.label},
            "features": features,
        })))
    })
    .await
}

/// A plan checked against the agreement (force stand-off, no-fly and maritime zones), the theatre
/// (territory, sea, airspace) and the pledges (caveats, status, quantities, rotations): every finding
/// with its rule, severity, unit, deployment index, position, and the distance or quantity at fault.
#[utoipa::path(get, path = "/api/v1/plans/{id}/check", tag = "plans",
    params(("id" = String, Path, description = "The plan's id")),
    responses(
        (status = 200, description = "The check: `findings[]`, `errors`, `warnings`, `notes`", body = Object),
        (status = 404, description = "No such plan", body = ErrorBody),
        (status = 503, description = "The store failed", body = ErrorBody),
    ))]
pub async fn check_plan(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let agreement = state.node.agreement.clone();
    with_coalition(&state, &caller, move |c| {
        let plan = c.plans.iter().find(|p| p.id == id).ok_or_else(|| not_found(&format!("no plan {id:?}"), "id"))?;
        let check = truce_coalition::plan::check(&agreement, c, plan).map_err(ApiError::internal)?;
        Ok(Json(json!(check)))
    })
    .await
}

/// Parameters of the regeneration status.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RegenerationParams {
    /// The status as of this date, YYYY-MM-DD (default: with every measurement).
    at: Option<String>,
}

/// Ukraine's regeneration: each target with its measurements, the least-squares trend per 30 days and
/// the projected date (or why there is none).
#[utoipa::path(get, path = "/api/v1/regeneration", tag = "coalition", params(RegenerationParams),
    responses(
        (status = 200, description = "One entry per target", body = Object),
        (status = 400, description = "`at` is not a date", body = ErrorBody),
        (status = 503, description = "The store failed", body = ErrorBody),
    ))]
pub async fn regeneration_status(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<RegenerationParams>,
) -> Result<Json<Value>, ApiError> {
    let at = p.at.as_deref().map(Day::parse).transpose().map_err(|e| ApiError::parameter("at", e))?;
    with_coalition(&state, &caller, move |c| Ok(Json(json!(truce_coalition::regeneration::status(c, at))))).await
}
