//! `GET /api/v1/stream`: every newly stored observation, as it lands, over a WebSocket.
//!
//! Messages are JSON: `{"type": "observation", "observation": {...}}`. A client that reads too slowly
//! to keep up with the broadcast buffer (4,096 messages) gets `{"type": "lagged", "missed": n}` and the
//! stream goes on; the server never waits for a client.

use axum::Router;
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use axum::routing::get;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::broadcast::error::RecvError;

use super::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/stream", get(upgrade))
}

/// WebSocket stream of newly stored observations.
#[utoipa::path(get, path = "/api/v1/stream", tag = "stream",
    responses((status = 101, description = "Switching protocols: JSON messages {\"type\": \"observation\", \"observation\": {...}} follow")))]
pub async fn upgrade(ws: WebSocketUpgrade, State(state): State<AppState>) -> Response {
    ws.on_upgrade(move |socket| client(socket, state))
}

async fn client(socket: WebSocket, state: AppState) {
    let mut events = state.events.subscribe();
    metrics::gauge!("truce_stream_clients").increment(1.0);
    let (mut tx, mut rx) = socket.split();
    loop {
        tokio::select! {
            event = events.recv() => {
                let text: String = match event {
                    Ok(json) => json.to_string(),
                    Err(RecvError::Lagged(n)) => {
                        metrics::counter!("truce_stream_lagged_total").increment(n);
                        format!("{{\"type\":\"lagged\",\"missed\":{n}}}")
                    }
                    Err(RecvError::Closed) => break,
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
