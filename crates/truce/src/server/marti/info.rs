//! What clients ask on connecting: the server's version, its configuration and the contacts list.
//! Contacts come from the TAK server through the caller's access rule (a device is listed only when
//! the caller may see what it sends).

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::{Device, MartiState, envelope, json};

pub fn routes() -> Router<MartiState> {
    Router::new()
        .route("/Marti/api/version", axum::routing::get(version))
        .route("/Marti/api/version/config", axum::routing::get(config))
        .route("/Marti/api/clientEndPoints", axum::routing::get(client_endpoints))
        .route("/Marti/api/contacts/all", axum::routing::get(contacts))
        .route("/files/api/config", axum::routing::get(files_config))
        .route("/Marti/api/groups/all", axum::routing::get(groups))
        .route("/Marti/api/missions/all/invitations", axum::routing::get(invitations))
}

/// TAK Server's groups (its channels): truce has none (a device's team is its `__group`), so the list
/// ATAK asks for when channels are on is empty.
async fn groups() -> Response {
    json(StatusCode::OK, &envelope("com.bbn.marti.remote.groups.Group", json!([])))
}

/// Mission invitations: not supported, so none.
async fn invitations() -> Response {
    json(StatusCode::OK, &envelope("MissionInvitation", json!([])))
}

fn version_string() -> String {
    format!("truce {}", env!("CARGO_PKG_VERSION"))
}

async fn version() -> Response {
    version_string().into_response()
}

async fn config(State(state): State<MartiState>) -> Response {
    json(
        StatusCode::OK,
        &envelope("ServerConfig", json!({"version": version_string(), "api": "3", "hostname": &*state.host})),
    )
}

async fn files_config(State(state): State<MartiState>) -> Response {
    json(StatusCode::OK, &json!({"uploadSizeLimit": state.max_upload / (1024 * 1024)}))
}

fn connected(state: &MartiState, device: &Device) -> Vec<truce_tak::Contact> {
    state.app.tak.get().map(|t| t.contacts(&device.caller.access)).unwrap_or_default()
}

async fn client_endpoints(State(state): State<MartiState>, device: Device) -> Response {
    let now = crate::server::marti::missions::now_text();
    let data: Vec<serde_json::Value> = connected(&state, &device)
        .into_iter()
        .map(|c| {
            json!({"callsign": c.callsign, "uid": c.uid, "username": c.user.unwrap_or_default(),
                   "lastEventTime": now, "lastStatus": "Connected"})
        })
        .collect();
    json(StatusCode::OK, &envelope("com.bbn.marti.remote.ClientEndpoint", json!(data)))
}

async fn contacts(State(state): State<MartiState>, device: Device) -> Response {
    let data: Vec<serde_json::Value> = connected(&state, &device)
        .into_iter()
        .map(|c| {
            json!({"filterGroups": null, "notes": "", "callsign": c.callsign, "team": c.group.unwrap_or_default(),
                   "role": "", "takv": "", "uid": c.uid})
        })
        .collect();
    json(StatusCode::OK, &json!(data))
}
