//! `GET /api/v1/export`: the observations of a filtered view as one file (GeoJSON, CSV or KML, see
//! `truce_node::export`), for the common operational picture's "export what I see";
//! `GET /api/v1/export/tracks`: the live picture's tracks under the same filters as
//! `GET /api/v1/tracks`, as one such file.
//!
//! The filters are the list's (`api::FilterParams`) and are read through the caller's scoped store,
//! page after page, so the file holds exactly what the caller may see under those filters, oldest
//! first, up to `limit` (100,000 at most). The export is audited as such: who, how many, the format
//! and the query string (the filter).

// utoipa's expansion of `Query<...>` parameters names axum's path in full.
#![allow(unused_qualifications)]

use axum::Router;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use time::OffsetDateTime;
use time::macros::format_description;
use truce_access::Action;
use truce_node::export::{self, Format};
use utoipa::IntoParams;

use super::api::FilterParams;
use super::audit::Note;
use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use super::{AppState, blocking};

/// Most observations one export holds.
pub const MAX_EXPORT: usize = 100_000;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/export", get(export)).route("/api/v1/export/tracks", get(export_tracks))
}

/// The format and the size (the filters are the list's: [`FilterParams`]).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// `geojson` (default), `csv` or `kml`.
    format: Option<String>,
    /// Most observations, 1 to 100,000 (default 100,000): the oldest that match.
    limit: Option<String>,
}

/// The observations matching the filters as one file to download, every record with its label
/// (`marking`, `releasable_to` in force, `categories`) and the file with the highest classification of
/// its records: GeoJSON `classification`, CSV a first line `# classification: ...`, KML the document's
/// name and description.
#[utoipa::path(get, path = "/api/v1/export", tag = "observations", params(ExportParams, FilterParams),
    responses(
        (status = 200, description = "The file, as an attachment `truce-export-<yyyymmddThhmmssZ>.<ext>`", content_type = "application/geo+json"),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
        (status = 403, description = "The role may not export", body = ErrorBody),
    ))]
pub async fn export(
    State(state): State<AppState>,
    caller: Caller,
    Query(filters): Query<FilterParams>,
    Query(params): Query<ExportParams>,
) -> Result<Response, ApiError> {
    caller.require(Action::Export)?;
    let format = format_param(params.format.as_deref())?;
    let limit = super::limit_param(params.limit.as_deref(), MAX_EXPORT, MAX_EXPORT)?;
    let mut q = filters.query(&state, &caller)?;
    q.limit = truce_store::MAX_PAGE.min(limit);
    let store = caller.store(&state);
    let node = state.node.clone();
    let (body, count) = blocking(move || {
        let mut records = Vec::new();
        loop {
            let page = store.query(&q).map_err(ApiError::internal)?;
            records.extend(page.items);
            match page.next {
                Some(next) if records.len() < limit => q.cursor = Some(next),
                _ => break,
            }
        }
        records.truncate(limit);
        Ok((export::write(format, &records, &node.policy), records.len()))
    })
    .await?;
    attachment(format, "export", body, format!("{count} observation(s)"))
}

/// `format`: GeoJSON when not given.
fn format_param(format: Option<&str>) -> Result<Format, ApiError> {
    format.map_or(Ok(Format::Geojson), |f| f.parse::<Format>().map_err(|e| ApiError::parameter("format", e)))
}

/// The file as an attachment `<name>-<yyyymmddThhmmssZ>.<ext>`, with the audit's note (`target`: what
/// and how many).
fn attachment(format: Format, name: &str, body: String, target: String) -> Result<Response, ApiError> {
    let now = OffsetDateTime::now_utc();
    let stamp =
        now.format(format_description!("[year][month][day]T[hour][minute][second]Z")).map_err(ApiError::internal)?;
    let disposition = format!("attachment; filename=\"truce-{name}-{stamp}.{}\"", format.id());
    let mut response =
        ([(header::CONTENT_TYPE, format.content_type().to_owned()), (header::CONTENT_DISPOSITION, disposition)], body)
            .into_response();
    response.extensions_mut().insert(Note { target, detail: format!("export as {}", format.id()), ..Note::default() });
    Ok(response)
}

/// The format of a file of tracks.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TrackExportParams {
    /// `geojson` (default), `csv` or `kml`.
    format: Option<String>,
}

/// The live picture the caller may see under the filters of `GET /api/v1/tracks` (the latest report of
/// each track) as one file to download, every track with its label in force and the file with the
/// highest classification of its tracks, as the observations' export.
#[utoipa::path(get, path = "/api/v1/export/tracks", tag = "tak", params(TrackExportParams, super::tak::TrackFilter),
    responses(
        (status = 200, description = "The file, as an attachment `truce-tracks-<yyyymmddThhmmssZ>.<ext>`", content_type = "application/geo+json"),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
        (status = 403, description = "The role may not export", body = ErrorBody),
    ))]
pub async fn export_tracks(
    State(state): State<AppState>,
    caller: Caller,
    Query(filters): Query<super::tak::TrackFilter>,
    Query(params): Query<TrackExportParams>,
) -> Result<Response, ApiError> {
    caller.require(Action::Export)?;
    let format = format_param(params.format.as_deref())?;
    let rows = super::tak::live_picture(&state, &caller, &filters).await?;
    let body = export::write_tracks(format, &rows, &state.node.policy);
    attachment(format, "tracks", body, format!("{} track(s)", rows.len()))
}
