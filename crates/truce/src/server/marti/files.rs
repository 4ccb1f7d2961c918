//! Data packages and files: upload (`/Marti/sync/missionupload`, multipart as ATAK sends a mission
//! package; `/Marti/sync/upload`, the file as the body), search and list, metadata, download by
//! hash, and deletion by the uploader or an administrator.
//!
//! A file is labelled with its uploader's default label (as the CoT its device sends) and every read
//! goes through the caller's scoped store, so a file the caller may not see answers 404, as a missing
//! one does. The body streams into `truce_store::Blobs` (size limit, SHA-256, the announced hash
//! checked), is made durable, and only then is its record written.

use std::io::Read as _;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::{Stream, StreamExt as _};
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;
use truce_access::Action;
use truce_store::{BlobError, FilePut, FileQuery, FileRecord};

use super::{Device, LabelQuery, MartiState, check_name, label_param, store_error};
use crate::server::audit::Note;
use crate::server::blocking;
use crate::server::error::ApiError;

pub fn routes() -> Router<MartiState> {
    Router::new()
        .route("/Marti/sync/missionupload", axum::routing::post(mission_upload))
        .route("/Marti/sync/upload", axum::routing::post(upload))
        .route("/Marti/sync/content", axum::routing::get(content))
        .route("/Marti/sync/search", axum::routing::get(search))
        .route("/Marti/sync/missionquery", axum::routing::get(mission_query))
        .route("/Marti/sync/{hash}/metadata", axum::routing::get(metadata))
        .route("/Marti/sync/delete", axum::routing::delete(delete_by_query))
        .route("/Marti/api/files/{hash}", axum::routing::delete(delete_by_path))
}

/// The JSON type TAK Server answers the sync endpoints with (clients parse these bodies themselves).
const SYNC_JSON: &str = "application/json;charset=UTF-8";

fn sync_json(value: &serde_json::Value) -> Response {
    let mut r = value.to_string().into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(SYNC_JSON));
    r
}

/// A file's record as the sync endpoints show it (TAK Server's field names).
pub(crate) fn record_json(f: &FileRecord, key: usize) -> serde_json::Value {
    json!({
        "UID": f.uid, "SubmissionDateTime": super::missions::text(f.submitted), "Keywords": f.keywords,
        "MIMEType": f.mime, "Size": f.size.to_string(), "SubmissionUser": f.submitter,
        "PrimaryKey": key.to_string(), "Hash": f.hash, "CreatorUid": f.creator_uid, "Name": f.name,
        "Tool": f.tool, "EXPIRATION": f.expiration.unwrap_or(-1).to_string(),
        "Location": f.location.map(|(lat, lon)| json!({"lat": lat, "lon": lon})),
        "classification": f.label.marking.to_string(), "releasableTo": f.label.releasable_to,
    })
}

/// The URL a device downloads a file from.
fn content_url(state: &MartiState, hash: &str) -> String {
    format!("https://{}/Marti/sync/content?hash={hash}", state.host)
}

fn check_hash(field: &str, hash: &str) -> Result<String, ApiError> {
    if hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(hash.to_ascii_lowercase())
    } else {
        Err(ApiError::parameter(field, format!("{hash:?} is not a SHA-256 (64 hexadecimal digits)")))
    }
}

fn too_large(state: &MartiState) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("the file is larger than this server's limit of {} MiB; nothing was stored", state.max_upload >> 20),
    )
    .field("body")
}

/// Refuses an upload whose announced length is over the limit before reading it.
fn check_length(state: &MartiState, headers: &HeaderMap) -> Result<(), ApiError> {
    let announced =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    // A multipart body carries a few hundred bytes of framing around the file.
    match announced {
        Some(n) if n > state.max_upload + 64 * 1024 => Err(too_large(state)),
        _ => Ok(()),
    }
}

/// Streams a body into the blob folder: the size limit, the SHA-256 and the announced hash checked;
/// the file is durable when this returns.
async fn receive<S, E>(
    state: &MartiState,
    mut chunks: S,
    expected: Option<String>,
) -> Result<truce_store::Blob, ApiError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let blobs = state.blobs.clone();
    let max = state.max_upload;
    let mut writer = blocking(move || blobs.writer(max).map_err(ApiError::internal)).await?;
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "truncated",
                format!("the upload ended before its end: {e}; nothing was stored"),
            )
            .field("body")
        })?;
        let wrote = tokio::task::spawn_blocking(move || writer.write(&chunk).map(|()| writer))
            .await
            .map_err(ApiError::internal)?;
        writer = match wrote {
            Ok(w) => w,
            Err(BlobError::TooLarge { .. }) => return Err(too_large(state)),
            Err(e) => return Err(ApiError::internal(e)),
        };
    }
    let finished =
        tokio::task::spawn_blocking(move || writer.finish(expected.as_deref())).await.map_err(ApiError::internal)?;
    match finished {
        Ok(blob) => Ok(blob),
        Err(BlobError::HashMismatch { expected, actual }) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "hash_mismatch",
            format!("the file's SHA-256 is {actual}, not the {expected} announced; nothing was stored"),
        )
        .field("hash")),
        Err(BlobError::TooLarge { .. }) => Err(too_large(state)),
        Err(e) => Err(ApiError::internal(e)),
    }
}

/// The record of an upload, written after its body is durable.
async fn record(state: &MartiState, device: &Device, record: FileRecord) -> Result<FileRecord, ApiError> {
    let store = device.store(state);
    let put =
        blocking(move || store.put_file(&record).map(|p| (p, record)).map_err(|e| store_error(e, "hash"))).await?;
    Ok(match put {
        (FilePut::Stored, r) => r,
        (FilePut::Existing(stored), _) => stored,
    })
}

#[derive(Debug, Deserialize)]
struct MissionUploadQuery {
    hash: Option<String>,
    filename: Option<String>,
    #[serde(rename = "creatorUid")]
    creator_uid: Option<String>,
}

fn mime_of(name: &str) -> &'static str {
    let lower = name.to_ascii_lowercase();
    let ext = lower.rsplit_once('.').map_or("", |(_, e)| e);
    match ext {
        "zip" | "dpk" => "application/x-zip-compressed",
        "kml" => "application/vnd.google-earth.kml+xml",
        "kmz" => "application/vnd.google-earth.kmz",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "pdf" => "application/pdf",
        "txt" => "text/plain",
        "json" | "geojson" => "application/json",
        "xml" | "cot" => "application/xml",
        _ => "application/octet-stream",
    }
}

fn written(mut r: Response, device: &Device, f: &FileRecord) -> Response {
    r.extensions_mut().insert(Note {
        target: format!("file {} ({})", f.hash, f.name),
        detail: format!("{} bytes from {}", f.size, device.callsign),
        ..Note::default()
    });
    r
}

/// ATAK's mission-package upload: a multipart body whose `assetfile` part is the package; the answer
/// is the URL to download it from.
async fn mission_upload(
    State(state): State<MartiState>,
    device: Device,
    Query(q): Query<MissionUploadQuery>,
    Query(wanted): Query<LabelQuery>,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> Result<Response, ApiError> {
    device.caller.require(Action::SendTak)?;
    check_length(&state, &headers)?;
    let name = q.filename.ok_or_else(|| ApiError::parameter("filename", "the package's file name is required"))?;
    check_name("filename", &name)?;
    let label = label_param(&state, &device, &wanted)?;
    let expected = q.hash.as_deref().map(|h| check_hash("hash", h)).transpose()?;
    let field = loop {
        match multipart.next_field().await {
            Ok(Some(f)) if f.name() == Some("assetfile") || f.file_name().is_some() => break f,
            Ok(Some(_)) => {}
            Ok(None) => {
                return Err(ApiError::parameter("assetfile", "the multipart body has no `assetfile` part"));
            }
            Err(e) => {
                return Err(ApiError::new(StatusCode::BAD_REQUEST, "malformed_multipart", e.to_string()).field("body"));
            }
        }
    };
    let blob = receive(&state, field, expected).await?;
    let f = FileRecord {
        hash: blob.hash.clone(),
        uid: blob.hash.clone(),
        mime: mime_of(&name).to_owned(),
        name,
        size: blob.size,
        keywords: vec!["missionpackage".to_owned()],
        tool: "public".to_owned(),
        creator_uid: q.creator_uid,
        submitter: device.user().to_owned(),
        submitted: OffsetDateTime::now_utc(),
        expiration: None,
        location: None,
        label,
    };
    let stored = record(&state, &device, f).await?;
    let r = (StatusCode::OK, content_url(&state, &stored.hash)).into_response();
    Ok(written(r, &device, &stored))
}

#[derive(Debug, Deserialize)]
struct UploadQuery {
    name: Option<String>,
    keywords: Option<String>,
    #[serde(rename = "creatorUid")]
    creator_uid: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    hash: Option<String>,
}

/// A file as the request body (`Content-Type` its type); the answer is its record.
async fn upload(
    State(state): State<MartiState>,
    device: Device,
    Query(q): Query<UploadQuery>,
    Query(wanted): Query<LabelQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    device.caller.require(Action::SendTak)?;
    check_length(&state, &headers)?;
    let name = q.name.ok_or_else(|| ApiError::parameter("name", "the file's name is required"))?;
    check_name("name", &name)?;
    let label = label_param(&state, &device, &wanted)?;
    let location = match (q.latitude, q.longitude) {
        (Some(lat), Some(lon)) if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) => Some((lat, lon)),
        (None, None) => None,
        _ => return Err(ApiError::parameter("latitude", "latitude and longitude must be given together, in range")),
    };
    let expected = q.hash.as_deref().map(|h| check_hash("hash", h)).transpose()?;
    let mime = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 200)
        .map_or_else(|| mime_of(&name).to_owned(), str::to_owned);
    let blob = receive(&state, body.into_data_stream(), expected).await?;
    let keywords: Vec<String> =
        q.keywords.unwrap_or_default().split(',').map(str::trim).filter(|k| !k.is_empty()).map(str::to_owned).collect();
    let f = FileRecord {
        hash: blob.hash.clone(),
        uid: blob.hash.clone(),
        name,
        mime,
        size: blob.size,
        keywords,
        tool: "public".to_owned(),
        creator_uid: q.creator_uid,
        submitter: device.user().to_owned(),
        submitted: OffsetDateTime::now_utc(),
        expiration: None,
        location,
        label,
    };
    let stored = record(&state, &device, f).await?;
    let r = sync_json(&record_json(&stored, 1));
    Ok(written(r, &device, &stored))
}

#[derive(Debug, Deserialize)]
struct HashQuery {
    hash: Option<String>,
}

/// The file of `hash` if the caller may see it.
async fn visible(state: &MartiState, device: &Device, hash: &str) -> Result<FileRecord, ApiError> {
    let hash = check_hash("hash", hash)?;
    let store = device.store(state);
    let h = hash.clone();
    blocking(move || store.file(&h).map_err(ApiError::internal)).await?.ok_or_else(|| {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no file {hash} that you may see")).field("hash")
    })
}

/// Download by hash: the body streamed from the blob folder.
async fn content(
    State(state): State<MartiState>,
    device: Device,
    Query(q): Query<HashQuery>,
) -> Result<Response, ApiError> {
    let hash = q.hash.ok_or_else(|| ApiError::parameter("hash", "the file's hash is required"))?;
    let f = visible(&state, &device, &hash).await?;
    let blobs = state.blobs.clone();
    let h = f.hash.clone();
    let opened = blocking(move || blobs.open_blob(&h).map_err(ApiError::internal)).await?;
    let Some((file, size)) = opened else {
        return Err(ApiError::internal(format!("the body of file {} is missing from the file folder", f.hash)));
    };
    let stream = futures_util::stream::unfold(Some(file), |file| async move {
        let mut file = file?;
        let read = tokio::task::spawn_blocking(move || {
            let mut buf = vec![0u8; 256 * 1024];
            let n = file.read(&mut buf)?;
            buf.truncate(n);
            Ok::<_, std::io::Error>((file, buf))
        })
        .await;
        match read {
            Ok(Ok((_, buf))) if buf.is_empty() => None,
            Ok(Ok((file, buf))) => Some((Ok(Bytes::from(buf)), Some(file))),
            Ok(Err(e)) => Some((Err(e), None)),
            Err(e) => Some((Err(std::io::Error::other(e)), None)),
        }
    });
    let mut r = Body::from_stream(stream).into_response();
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&f.mime) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    let ascii: String =
        f.name.chars().map(|c| if c.is_ascii_graphic() && c != '"' || c == ' ' { c } else { '_' }).collect();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{ascii}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}

/// Whether a file is here (ATAK asks before uploading): its URL, or 404.
async fn mission_query(
    State(state): State<MartiState>,
    device: Device,
    Query(q): Query<HashQuery>,
) -> Result<Response, ApiError> {
    let hash = q.hash.ok_or_else(|| ApiError::parameter("hash", "the file's hash is required"))?;
    let f = visible(&state, &device, &hash).await?;
    Ok(content_url(&state, &f.hash).into_response())
}

async fn metadata(
    State(state): State<MartiState>,
    device: Device,
    Path(hash): Path<String>,
) -> Result<Response, ApiError> {
    let f = visible(&state, &device, &hash).await?;
    Ok(sync_json(&record_json(&f, 1)))
}

#[derive(Debug, Deserialize)]
struct SearchQuery {
    keywords: Option<String>,
    tool: Option<String>,
    name: Option<String>,
    uid: Option<String>,
    #[serde(rename = "creatorUid")]
    creator_uid: Option<String>,
    limit: Option<String>,
}

/// Search and list what the caller may see, newest first: `{"resultCount", "results"}`.
async fn search(
    State(state): State<MartiState>,
    device: Device,
    Query(q): Query<SearchQuery>,
) -> Result<Response, ApiError> {
    let limit = crate::server::limit_param(q.limit.as_deref(), 1000, 10_000)?;
    let query = FileQuery {
        tool: q.tool,
        keyword: q.keywords,
        name: q.name,
        creator_uid: q.creator_uid,
        uid: q.uid,
        limit: Some(limit),
    };
    let store = device.store(&state);
    let found = blocking(move || store.search_files(&query).map_err(ApiError::internal)).await?;
    let results: Vec<serde_json::Value> = found.iter().enumerate().map(|(i, f)| record_json(f, i + 1)).collect();
    Ok(sync_json(&json!({"resultCount": results.len(), "results": results})))
}

async fn delete_by_query(
    State(state): State<MartiState>,
    device: Device,
    Query(q): Query<HashQuery>,
) -> Result<Response, ApiError> {
    let hash = q.hash.ok_or_else(|| ApiError::parameter("hash", "the file's hash is required"))?;
    delete(state, device, hash).await
}

async fn delete_by_path(
    State(state): State<MartiState>,
    device: Device,
    Path(hash): Path<String>,
) -> Result<Response, ApiError> {
    delete(state, device, hash).await
}

/// Deletes a file: its uploader or an administrator; it leaves every mission that held it (the
/// missions' subscribers are told) and its body is removed.
async fn delete(state: MartiState, device: Device, hash: String) -> Result<Response, ApiError> {
    let f = visible(&state, &device, &hash).await?;
    let owner = device.user() != "anonymous" && f.submitter == device.user();
    if !owner && !device.is_admin() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("only its uploader ({}) or an administrator may delete file {}", f.submitter, f.hash),
        )
        .field("hash"));
    }
    let store = device.store(&state);
    let (h, by) = (f.hash.clone(), device.callsign.clone());
    let deleted =
        blocking(move || store.delete_file(&h, &by, OffsetDateTime::now_utc()).map_err(ApiError::internal)).await?;
    let Some((gone, changes)) = deleted else {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no file {hash}")).field("hash"));
    };
    let blobs = state.blobs.clone();
    let h = gone.hash.clone();
    blocking(move || blobs.remove(&h).map_err(ApiError::internal)).await?;
    super::missions::notify_changes(&state, changes).await;
    let r = (StatusCode::OK, "").into_response();
    Ok(written(r, &device, &gone))
}
