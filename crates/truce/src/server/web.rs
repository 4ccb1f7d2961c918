//! The pages and the npm packages they load. By default everything comes from the binary: the page files
//! with `include_str!`, and the packages (Leaflet, mgrs, milsymbol: each one's `dist/`,
//! licence and `package.json`) from the table `build.rs` generates from `web/package-lock.json`, served
//! at `/vendor/<package>/...`. With `--web-dir DIR` the page files are read from `DIR/` and the packages
//! from `DIR/node_modules/` at each request instead, so an edited page shows on reload without a rebuild.
//!
//! The basemap is public geography, embedded too: the country outlines at `/api/v1/basemap` and the
//! orientation layers (coastline, rivers, lakes, places; `data/geo/basemap_*.geojson`, derived by
//! `scripts/derive-basemap`) at `/api/v1/basemap/{layer}`. They carry no labels, so every session sees them.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::AppState;
use super::error::ApiError;

// VENDOR_PACKAGES and VENDOR_FILES (see build.rs).
include!(concat!(env!("OUT_DIR"), "/vendor.rs"));

const INDEX: &str = include_str!("../../../../web/index.html");
const APP_JS: &str = include_str!("../../../../web/app.js");
const STYLE: &str = include_str!("../../../../web/style.css");
const REPORTS: &str = include_str!("../../../../web/reports.html");
const REPORTS_JS: &str = include_str!("../../../../web/reports.js");
const COALITION: &str = include_str!("../../../../web/coalition.html");
const COALITION_JS: &str = include_str!("../../../../web/coalition.js");
const BASEMAP_JS: &str = include_str!("../../../../web/basemap.js");
const SESSION_JS: &str = include_str!("../../../../web/session.js");
const FILTER_JS: &str = include_str!("../../../../web/filter.js");
const GEO_JS: &str = include_str!("../../../../web/geo.js");
const WORKSPACE_JS: &str = include_str!("../../../../web/workspace.js");
const CASES: &str = include_str!("../../../../web/cases.html");
const CASES_JS: &str = include_str!("../../../../web/cases.js");
const TRACK_WORKER_JS: &str = include_str!("../../../../web/track-worker.js");
const OBS_LAYER_JS: &str = include_str!("../../../../web/obs-layer.js");
const BASEMAP: &[u8] = include_bytes!("../../../../data/geo/ukraine_and_neighbours_land_10km.geojson");

/// The orientation layers drawn over the country outlines: name in the URL, the embedded GeoJSON.
const BASEMAP_LAYERS: &[(&str, &[u8])] = &[
    ("coastline", include_bytes!("../../../../data/geo/basemap_coastline.geojson")),
    ("rivers", include_bytes!("../../../../data/geo/basemap_rivers.geojson")),
    ("lakes", include_bytes!("../../../../data/geo/basemap_lakes.geojson")),
    ("places", include_bytes!("../../../../data/geo/basemap_places.geojson")),
];

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// The page files: URL, file name under the web folder, MIME type, the embedded copy.
const PAGES: &[(&str, &str, &str, &str)] = &[
    ("/", "index.html", HTML, INDEX),
    ("/app.js", "app.js", JS, APP_JS),
    ("/style.css", "style.css", CSS, STYLE),
    ("/reports.html", "reports.html", HTML, REPORTS),
    ("/reports.js", "reports.js", JS, REPORTS_JS),
    ("/coalition.html", "coalition.html", HTML, COALITION),
    ("/coalition.js", "coalition.js", JS, COALITION_JS),
    ("/session.js", "session.js", JS, SESSION_JS),
    ("/filter.js", "filter.js", JS, FILTER_JS),
    ("/geo.js", "geo.js", JS, GEO_JS),
    ("/workspace.js", "workspace.js", JS, WORKSPACE_JS),
    ("/cases.html", "cases.html", HTML, CASES),
    ("/cases.js", "cases.js", JS, CASES_JS),
    ("/basemap.js", "basemap.js", JS, BASEMAP_JS),
    ("/track-worker.js", "track-worker.js", JS, TRACK_WORKER_JS),
    ("/obs-layer.js", "obs-layer.js", JS, OBS_LAYER_JS),
];

pub fn routes() -> Router<AppState> {
    let mut router = Router::new();
    for &(url, name, mime, embedded) in PAGES {
        router = router.route(url, get(move |State(state): State<AppState>| page(state, name, mime, embedded)));
    }
    router
        .route("/api/v1/basemap", get(|| async { ([(header::CONTENT_TYPE, "application/geo+json")], BASEMAP) }))
        .route("/api/v1/basemap/{layer}", get(basemap_layer))
        .route("/vendor/{*path}", get(vendor))
}

/// One orientation layer; an unknown name is a 404 that lists the known ones.
async fn basemap_layer(Path(layer): Path<String>) -> Result<Response, ApiError> {
    let Some(&(_, bytes)) = BASEMAP_LAYERS.iter().find(|(name, _)| *name == layer) else {
        let known: Vec<&str> = BASEMAP_LAYERS.iter().map(|(name, _)| *name).collect();
        let message = format!("no basemap layer {layer:?}: the layers are {}", known.join(", "));
        return Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", message).field("layer"));
    };
    // The data changes only with the binary: an hour in the browser's cache spares a reload the download.
    let headers = [(header::CONTENT_TYPE, "application/geo+json"), (header::CACHE_CONTROL, "private, max-age=3600")];
    Ok((headers, bytes).into_response())
}

/// A page file: the embedded copy, or `--web-dir`'s.
async fn page(state: AppState, name: &str, mime: &'static str, embedded: &'static str) -> Response {
    let Some(dir) = &state.web_dir else {
        return ([(header::CONTENT_TYPE, mime)], embedded).into_response();
    };
    let file = dir.join(name);
    match tokio::fs::read(&file).await {
        Ok(bytes) => ([(header::CONTENT_TYPE, mime)], bytes).into_response(),
        Err(e) => (StatusCode::NOT_FOUND, format!("cannot read {} (--web-dir): {e}", file.display())).into_response(),
    }
}

/// The embedded copy of the vendor file at `path` (under `node_modules`).
fn embedded(path: &str) -> Option<&'static [u8]> {
    let i = VENDOR_FILES.binary_search_by(|(p, _)| (*p).cmp(path)).ok()?;
    VENDOR_FILES.get(i).map(|&(_, bytes)| bytes)
}

async fn vendor(State(state): State<AppState>, Path(path): Path<String>) -> Response {
    let ok = VENDOR_PACKAGES.iter().any(|p| path.starts_with(&format!("{p}/")))
        && path.split('/').all(|seg| !seg.is_empty() && seg != ".." && seg != "." && !seg.contains('\\'));
    if !ok {
        return (StatusCode::NOT_FOUND, "not a vendor file").into_response();
    }
    let bytes: std::borrow::Cow<'static, [u8]> = match &state.web_dir {
        None => match embedded(&path) {
            Some(bytes) => bytes.into(),
            None => return (StatusCode::NOT_FOUND, format!("{path} is not built into truce")).into_response(),
        },
        Some(dir) => {
            let modules = dir.join("node_modules");
            match tokio::fs::read(modules.join(&path)).await {
                Ok(bytes) => bytes.into(),
                Err(_) => {
                    let msg =
                        format!("{path} is not installed in {} (--web-dir): run `npm ci` there", modules.display());
                    return (StatusCode::NOT_FOUND, msg).into_response();
                }
            }
        }
    };
    let mime = match std::path::Path::new(&path).extension().and_then(|e| e.to_str()) {
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("png") => "image/png",
        Some("svg") => "image/svg+xml",
        _ => "application/octet-stream",
    };
    ([(header::CONTENT_TYPE, mime), (header::CACHE_CONTROL, "public, max-age=3600")], bytes).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_files_are_sorted_and_found() {
        assert!(VENDOR_FILES.windows(2).all(|w| w[0].0 < w[1].0), "sorted, no duplicates");
        for p in VENDOR_PACKAGES {
            assert!(embedded(&format!("{p}/package.json")).is_some_and(|b| !b.is_empty()), "{p}");
        }
        assert!(embedded("leaflet/dist/images/marker-icon.png").is_some());
        assert!(embedded("leaflet/src/Leaflet.js").is_none(), "only dist/, the licence and package.json");
    }

    #[test]
    fn every_basemap_layer_is_a_feature_collection_inside_the_map_region() {
        for &(name, bytes) in BASEMAP_LAYERS {
            let fc: serde_json::Value = serde_json::from_slice(bytes).expect(name);
            assert_eq!(fc["type"], "FeatureCollection", "{name}");
            let features = fc["features"].as_array().expect(name);
            assert!(features.len() > 30, "{name}: {} features", features.len());
            for f in features {
                let zoom = f["properties"]["min_zoom"].as_f64();
                assert!(zoom.is_some_and(|z| (0.0..=12.0).contains(&z)), "{name}: min_zoom {f}");
            }
            // Every coordinate inside 19–50°E, 40–60°N (the clip of scripts/derive-basemap).
            let mut numbers = Vec::new();
            for f in features {
                collect(&f["geometry"]["coordinates"], &mut numbers);
            }
            for pair in numbers.chunks(2) {
                assert!((19.0..=50.0).contains(&pair[0]) && (40.0..=60.0).contains(&pair[1]), "{name}: {pair:?}");
            }
        }
    }

    fn collect(v: &serde_json::Value, out: &mut Vec<f64>) {
        match v {
            serde_json::Value::Number(n) => out.push(n.as_f64().unwrap()),
            serde_json::Value::Array(a) => a.iter().for_each(|x| collect(x, out)),
            _ => {}
        }
    }
}
