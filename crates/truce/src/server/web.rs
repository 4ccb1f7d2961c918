//! The map page: its own files are compiled into the binary; the npm packages it uses (Leaflet,
//! markercluster) are served from `web/node_modules`, installed from `web/package-lock.json`.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::AppState;

const INDEX: &str = include_str!("../../../../web/index.html");
const APP_JS: &str = include_str!("../../../../web/app.js");
const STYLE: &str = include_str!("../../../../web/style.css");
const REPORTS: &str = include_str!("../../../../web/reports.html");
const REPORTS_JS: &str = include_str!("../../../../web/reports.js");
const COALITION: &str = include_str!("../../../../web/coalition.html");
const COALITION_JS: &str = include_str!("../../../../web/coalition.js");
const BASEMAP: &[u8] = include_bytes!("../../../../data/geo/ukraine_and_neighbours_land_10km.geojson");

/// Packages the page may load.
const PACKAGES: &[&str] = &["leaflet", "leaflet.markercluster", "mgrs", "milsymbol"];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], INDEX) }))
        .route("/app.js", get(|| async { ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], APP_JS) }))
        .route("/style.css", get(|| async { ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLE) }))
        .route("/reports.html", get(|| async { ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], REPORTS) }))
        .route(
            "/reports.js",
            get(|| async { ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], REPORTS_JS) }),
        )
        .route("/coalition.html", get(|| async { ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], COALITION) }))
        .route(
            "/coalition.js",
            get(|| async { ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], COALITION_JS) }),
        )
        .route("/api/v1/basemap", get(|| async { ([(header::CONTENT_TYPE, "application/geo+json")], BASEMAP) }))
        .route("/vendor/{*path}", get(vendor))
}

async fn vendor(State(state): State<AppState>, Path(path): Path<String>) -> Response {
    let ok = PACKAGES.iter().any(|p| path.starts_with(&format!("{p}/")))
        && path.split('/').all(|seg| !seg.is_empty() && seg != ".." && seg != "." && !seg.contains('\\'));
    if !ok {
        return (StatusCode::NOT_FOUND, "not a vendor file").into_response();
    }
    let file = state.vendor_dir.join(&path);
    match tokio::fs::read(&file).await {
        Ok(bytes) => {
            let mime = match file.extension().and_then(|e| e.to_str()) {
                Some("js" | "mjs") => "text/javascript; charset=utf-8",
                Some("css") => "text/css; charset=utf-8",
                Some("png") => "image/png",
                Some("svg") => "image/svg+xml",
                _ => "application/octet-stream",
            };
            ([(header::CONTENT_TYPE, mime), (header::CACHE_CONTROL, "public, max-age=3600")], bytes).into_response()
        }
        Err(_) => (
            StatusCode::NOT_FOUND,
            format!(
                "{path} is not installed: run `npm ci --prefix web` (vendor directory {})",
                state.vendor_dir.display()
            ),
        )
            .into_response(),
    }
}
