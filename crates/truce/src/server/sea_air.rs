//! The sea and the air over HTTP: the recent detections of the AIS and ADS-B detectors and the GNSS
//! interference cells. Both are read from the node's `SeaAirView`, which applies the caller's access
//! rule; the feeds themselves are `truce_node::sources::{ais, adsb, sea_air}`.

// utoipa's expansion of `Query<...>` parameters names axum's path in full.
#![allow(unused_qualifications)]

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use truce_node::wire;

use super::AppState;
use super::auth::Caller;
use super::error::{ApiError, ErrorBody};

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/detections", get(detections)).route("/api/v1/interference", get(interference))
}

/// `?limit=` for the detections.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DetectionsQuery {
    /// Most detections, newest first (1 to 1,000; default 200).
    pub limit: Option<String>,
}

/// The sea and air detections since the node started (the last 1,000), newest first.
#[utoipa::path(get, path = "/api/v1/detections", tag = "sea-air", params(DetectionsQuery),
    responses((status = 200, description = "{\"detections\": [{\"detector\", \"time\", \"tracks\", \"evidence\", \"area\", \"figures\", \"summary\", \"lat\", \"lon\", \"sector\", \"marking\", \"releasable_to\"}...]}"),
              (status = 400, description = "a parameter is invalid", body = ErrorBody)))]
pub async fn detections(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<DetectionsQuery>,
) -> Result<Json<Value>, ApiError> {
    let limit = super::limit_param(q.limit.as_deref(), 200, truce_node::sources::sea_air::KEPT_DETECTIONS)?;
    let list = state.node.sea_air.detections(&caller.access, limit);
    let detections: Vec<Value> = list
        .iter()
        .map(|(label, a)| {
            let mut v = wire::detection(label, a);
            if let Some(id) = wire::detection_place(a).and_then(|p| state.node.sector_of(p.lat, p.lon)) {
                v["sector"] = json!(id);
            }
            v
        })
        .collect();
    Ok(Json(json!({"detections": detections})))
}

/// The GNSS interference cells seen from ADS-B: the newest 5-minute window of each cell over the
/// last 30 minutes, as GeoJSON.
#[utoipa::path(get, path = "/api/v1/interference", tag = "sea-air",
    responses((status = 200, description = "a GeoJSON FeatureCollection of cells, each {\"aircraft\", \"degraded\", \"share\", \"level\": \"low|some|high\", \"window_start\", \"window_s\", \"marking\", \"releasable_to\", \"sector\" (of its centre, or null)}")))]
pub async fn interference(State(state): State<AppState>, caller: Caller) -> Json<Value> {
    let cells = state.node.sea_air.interference(&caller.access);
    let features: Vec<Value> = cells
        .iter()
        .map(|(label, c)| {
            let b = &c.bounds;
            let ring =
                json!([[b.west, b.south], [b.east, b.south], [b.east, b.north], [b.west, b.north], [b.west, b.south]]);
            let level = match c.level {
                truce_detect::Level::High => "high",
                truce_detect::Level::Some => "some",
                truce_detect::Level::Low | truce_detect::Level::TooFewAircraft => "low",
            };
            json!({
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": {
                    "aircraft": c.aircraft, "degraded": c.degraded, "share": (c.share * 1e4).round() / 1e4,
                    "level": level, "window_start": truce_formats::when::show(c.window_start),
                    "window_s": c.window_s, "marking": label.marking.id(), "releasable_to": label.releasable_to,
                    "sector": state.node.sector_of((b.south + b.north) / 2.0, (b.west + b.east) / 2.0)
                }
            })
        })
        .collect();
    Json(json!({"type": "FeatureCollection", "features": features}))
}
