//! The TAK feed over HTTP: the live picture (`/api/v1/tracks`), one track's history, every track's
//! points in a time window for replay (`/api/v1/tracks/history`), geofence events for catch-up, and the
//! TAK listeners' counters. The feed itself (listeners, tracking, storing,
//! geofence alerts to the devices) is `truce_node::sources::tak`.

// utoipa's expansion of `Query<...>` parameters names axum's path in full.
#![allow(unused_qualifications)]

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;
use truce_node::wire;

use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use super::{AppState, blocking};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/tracks", get(tracks))
        // The static segment wins over `{uid}` (a track whose uid is `history` is not reachable by uid).
        .route("/api/v1/tracks/history", get(window))
        .route("/api/v1/tracks/{uid}", get(history))
        .route("/api/v1/geofence", get(geofence))
        .route("/api/v1/tak/status", get(status))
}

/// The filters the live picture takes: where a track is, by what means it is seen, and its label.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TrackFilter {
    /// W,S,E,N in degrees (edges included).
    pub bbox: Option<String>,
    /// LAT,LON,KM: within KM of a point (geodesic).
    pub near: Option<String>,
    /// LON,LAT;LON,LAT;LON,LAT[;...]: inside the polygon or on its edge.
    pub polygon: Option<String>,
    /// Means, comma-separated (any of them): a track is seen by `tak_device`, `ship` (`ais-` uids) or
    /// `aircraft` (`icao-` uids); the other means of the vocabulary select no track.
    pub means: Option<String>,
    /// Classification levels, comma-separated (any of them): ranks 0 to 4 or the exact names.
    pub marking: Option<String>,
    /// A nation (ISO 3166 alpha-3): only tracks releasable to it, as a viewer of that nation with the
    /// caller's clearance and categories may see them (groups expanded on each report's day).
    pub nation: Option<String>,
    /// An early-warning sector's id: only tracks whose position the sectors assign to it.
    pub sector: Option<String>,
}

/// The live picture the caller may see under `f`: the latest non-stale report of every atom uid that
/// passes the filters, or a 400 naming the first bad one.
pub(crate) async fn live_picture(
    state: &AppState,
    caller: &Caller,
    f: &TrackFilter,
) -> Result<Vec<truce_core::TrackRow>, ApiError> {
    let filters = truce_node::query::Filters {
        bbox: f.bbox.as_deref(),
        near: f.near.as_deref(),
        polygon: f.polygon.as_deref(),
        means: f.means.as_deref(),
        marking: f.marking.as_deref(),
        nation: f.nation.as_deref(),
        sector: f.sector.as_deref(),
        ..Default::default()
    };
    let q = super::api::compile(&filters, state, caller)?;
    let store = caller.store(state);
    let rows = blocking(move || store.latest_tracks(OffsetDateTime::now_utc()).map_err(ApiError::internal)).await?;
    Ok(rows.into_iter().filter(|p| q.admits_track(p)).collect())
}

/// The live picture: the latest non-stale position of every uid, each with its label and sector.
#[utoipa::path(get, path = "/api/v1/tracks", tag = "tak", params(TrackFilter),
    responses((status = 200, description = "{\"tracks\": [track...]}: the latest non-stale event of every atom (a-*) uid that passes the filters"), (status = 400, description = "a parameter is invalid", body = ErrorBody)))]
pub async fn tracks(
    State(state): State<AppState>,
    caller: Caller,
    Query(f): Query<TrackFilter>,
) -> Result<Json<Value>, ApiError> {
    let rows = live_picture(&state, &caller, &f).await?;
    let tracks: Vec<Value> = rows.iter().map(|p| with_sector(&state, wire::track(p), p.lat, p.lon)).collect();
    Ok(Json(json!({"tracks": tracks})))
}

/// A track's or geofence event's form with the early-warning sector of its position, if any.
fn with_sector(state: &AppState, mut v: Value, lat: f64, lon: f64) -> Value {
    if let (Some(id), Value::Object(m)) = (state.node.sector_of(lat, lon), &mut v) {
        m.insert("sector".into(), json!(id));
    }
    v
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
    caller: Caller,
    Path(uid): Path<String>,
    Query(q): Query<HistoryQuery>,
) -> Result<Json<Value>, ApiError> {
    let limit = super::limit_param(q.limit.as_deref(), 500, 10_000)?;
    let store = caller.store(&state);
    let key = uid.clone();
    let rows = blocking(move || store.track_history(&key, limit).map_err(ApiError::internal)).await?;
    if rows.is_empty() {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no event of uid {uid:?} is stored"))
            .field("uid"));
    }
    let points: Vec<Value> = rows.iter().map(|p| with_sector(&state, wire::track(p), p.lat, p.lon)).collect();
    Ok(Json(json!({"uid": uid, "points": points})))
}

/// The window of a replay.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WindowQuery {
    /// Points at or after this time (RFC 3339 or YYYY-MM-DD; required).
    pub since: Option<String>,
    /// Points before this time (required; at most 31 days after `since`).
    pub until: Option<String>,
    /// W,S,E,N in degrees (edges included).
    pub bbox: Option<String>,
    /// Page size, 1 to 10,000 (default 1,000).
    pub limit: Option<String>,
    /// The `next` cursor of the previous page.
    pub cursor: Option<String>,
}

/// Longest replay window.
const MAX_WINDOW: time::Duration = time::Duration::days(31);

/// Every track's stored points (atoms, `a-*`, as the live picture) in a window, oldest first, paged:
/// for replaying the picture. Each point is as `/api/v1/tracks/{uid}` gives it.
#[utoipa::path(get, path = "/api/v1/tracks/history", tag = "tak", params(WindowQuery),
    responses((status = 200, description = "{\"points\": [track...], \"next\": cursor|null}"), (status = 400, description = "a parameter is invalid", body = ErrorBody)))]
pub async fn window(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<WindowQuery>,
) -> Result<Json<Value>, ApiError> {
    let time = |field: &str, v: Option<&str>| match v {
        None => Err(ApiError::parameter(field, "required (RFC 3339 or YYYY-MM-DD)")),
        Some(v) => truce_node::query::parse_time(v).map_err(|e| ApiError::parameter(field, e)),
    };
    let since = time("since", q.since.as_deref())?;
    let until = time("until", q.until.as_deref())?;
    if since >= until {
        return Err(ApiError::parameter("until", "must be after since"));
    }
    if until - since > MAX_WINDOW {
        return Err(ApiError::parameter("until", "the window is at most 31 days"));
    }
    let bbox = truce_node::query::Filters { bbox: q.bbox.as_deref(), ..Default::default() }
        .query(&truce_node::query::Known::default())
        .map_err(|(field, reason)| ApiError::parameter(field, reason))?
        .bbox;
    let w = truce_store::TrackWindow {
        since: Some(since),
        until: Some(until),
        bbox,
        limit: super::limit_param(q.limit.as_deref(), 1_000, 10_000)?,
        cursor: q.cursor,
    };
    let store = caller.store(&state);
    let page = blocking(move || {
        store.track_window(&w).map_err(|e| match e {
            truce_store::StoreError::BadCursor(c) => {
                ApiError::parameter("cursor", format!("{c:?} is not a cursor this server handed out"))
            }
            other => ApiError::internal(other),
        })
    })
    .await?;
    let points: Vec<Value> = page.items.iter().map(|p| with_sector(&state, wire::track(p), p.lat, p.lon)).collect();
    Ok(Json(json!({"points": points, "next": page.next})))
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
pub async fn geofence(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<GeofenceQuery>,
) -> Result<Json<Value>, ApiError> {
    let after = super::after_param(q.after.as_deref())?.unwrap_or(0);
    let limit = super::limit_param(q.limit.as_deref(), 500, 10_000)?;
    let store = caller.store(&state);
    let rows = blocking(move || store.geofence_events(after, limit).map_err(ApiError::internal)).await?;
    let next = rows.last().map_or(after, |(seq, _)| *seq);
    let events: Vec<Value> = rows
        .iter()
        .map(|(seq, g)| {
            let mut v = with_sector(&state, wire::geofence(g), g.lat, g.lon);
            v["seq"] = json!(seq);
            v
        })
        .collect();
    Ok(Json(json!({"events": events, "next": next})))
}

/// The TAK listeners and their counters.
#[utoipa::path(get, path = "/api/v1/tak/status", tag = "tak",
    responses((status = 200, description = "{\"enabled\", \"stats\": {clients, events_in, deliveries, rejected_*, dropped_*, closed_*...}, \"rejected\": [{reason, field, count}]}")))]
pub async fn status(State(state): State<AppState>) -> Json<Value> {
    match state.tak.get() {
        Some(h) => Json(json!({"enabled": true, "stats": h.stats(), "rejected": h.rejections()})),
        None => Json(json!({"enabled": false})),
    }
}
