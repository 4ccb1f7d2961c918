//! `GET /api/v1/stream`: what happens, as it happens, over a WebSocket: a subscription to the node's
//! bus, sent as the wire form of each event.
//!
//! Messages are JSON: `{"type": "observation", "observation": {...}}`, and likewise `track`,
//! `geofence`, `alert` and `case`. A client that reads too slowly to keep up with the bus's buffer
//! (4,096 events) gets `{"type": "lagged", "missed": n}` and the stream goes on; the server never
//! waits for a client.
//!
//! A browser authenticates with the subprotocol `bearer.TOKEN` beside `truce` (see [`super::auth`]);
//! the answer selects `truce`, as a browser requires when it offered protocols.

use axum::Router;
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use futures_util::{SinkExt, StreamExt};
use truce_node::Delivery;

use super::AppState;
use super::auth::Caller;
use super::error::ApiError;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/stream", get(upgrade))
}

/// WebSocket stream of what the node publishes.
#[utoipa::path(get, path = "/api/v1/stream", tag = "stream",
    responses((status = 101, description = "Switching protocols: JSON messages {\"type\": \"observation\"|\"track\"|\"geofence\"|\"alert\"|\"case\", <type>: {...}} follow")))]
pub async fn upgrade(
    ws: WebSocketUpgrade,
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    check_origin(&headers)?;
    Ok(ws.protocols(["truce"]).on_upgrade(move |socket| client(socket, state, caller)))
}

/// A browser's WebSocket carries the page's `Origin`: it must be this server (`Host`), so that a page
/// elsewhere cannot ride a logged-in user's cookie. Clients that are not browsers send no `Origin`.
fn check_origin(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(origin) = headers.get(header::ORIGIN) else { return Ok(()) };
    let origin = origin.to_str().unwrap_or("");
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
    let same = origin
        .split_once("://")
        .is_some_and(|(scheme, rest)| matches!(scheme, "http" | "https") && rest.trim_end_matches('/') == host);
    if same {
        Ok(())
    } else {
        Err(ApiError::new(StatusCode::FORBIDDEN, "bad_origin", format!("the origin {origin:?} is not this server"))
            .field("Origin"))
    }
}

async fn client(socket: WebSocket, state: AppState, caller: Caller) {
    let mut events = state.node.bus.subscribe(caller.access);
    metrics::gauge!("truce_stream_clients").increment(1.0);
    let (mut tx, mut rx) = socket.split();
    loop {
        tokio::select! {
            event = events.recv() => {
                let text: String = match event {
                    Delivery::Event(e) => e.to_json().to_string(),
                    Delivery::Lagged(n) => {
                        metrics::counter!("truce_stream_lagged_total").increment(n);
                        format!("{{\"type\":\"lagged\",\"missed\":{n}}}")
                    }
                    Delivery::Closed => break,
                };
                if tx.send(Message::Text(text.into())).await.is_err() {
                    break;
                }
            }
            incoming = rx.next() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
        }
    }
    metrics::gauge!("truce_stream_clients").decrement(1.0);
}
