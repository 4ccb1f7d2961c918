//! The early-warning sectors as GeoJSON, for the map's sector layer (coloured by each sector's level
//! from `/api/v1/warning`, which has the levels but not the shapes). A stretch sector is the part of
//! the line it is cut from (a LineString, with `from_km`, `to_km` and the distance within which an
//! observation counts for it); a polygon sector is its polygon. The sectors are the node's
//! configuration, not labelled records: every logged-in user gets the same answer, like the agreement's
//! geometry.

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use super::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/sectors", get(sectors))
}

fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

/// The sectors: a FeatureCollection, in the sectors file's order.
#[utoipa::path(get, path = "/api/v1/sectors", tag = "warning",
    responses((status = 200, description = "FeatureCollection of the sectors (LineString stretches, Polygon sectors)", body = Object)))]
pub async fn sectors(State(state): State<AppState>) -> Response {
    let sectors = &state.node.sectors;
    let max_km = sectors.max_distance_m / 1000.0;
    let features: Vec<Value> = sectors
        .sectors
        .iter()
        .map(|s| {
            let coords: Vec<Value> = s.path.iter().map(|p| json!([round6(p.lon), round6(p.lat)])).collect();
            let (geometry, extra) = match s.stretch {
                Some((from, to)) => (
                    json!({"type": "LineString", "coordinates": coords}),
                    json!({"kind": "stretch", "from_km": from, "to_km": to, "max_distance_km": max_km}),
                ),
                None => {
                    let mut ring = coords;
                    if ring.first() != ring.last() {
                        ring.push(ring[0].clone());
                    }
                    (json!({"type": "Polygon", "coordinates": [ring]}), json!({"kind": "polygon"}))
                }
            };
            let mut properties = json!({"id": s.id, "name": s.name});
            if let (Some(p), Some(e)) = (properties.as_object_mut(), extra.as_object()) {
                p.extend(e.clone());
            }
            json!({"type": "Feature", "id": s.id, "geometry": geometry, "properties": properties})
        })
        .collect();
    (
        [(header::CONTENT_TYPE, "application/geo+json")],
        axum::Json(json!({"type": "FeatureCollection", "features": features})),
    )
        .into_response()
}
