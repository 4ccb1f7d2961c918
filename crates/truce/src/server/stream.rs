//! `GET /api/v1/stream`: what happens, as it happens, over a WebSocket: a subscription to the node's
//! bus, sent as the wire form of each event.
//!
//! Messages are JSON: `{"type": "observation", "observation": {...}}`, and likewise `track`,
//! `geofence`, `alert` and `case`. A client that reads too slowly to keep up with the bus's buffer
//! (16,384 events) gets `{"type": "lagged", "missed": n}` and the stream goes on; the server never
//! waits for a client.
//!
//! A browser authenticates with the subprotocol `bearer.TOKEN` beside `truce` (see [`super::auth`]);
//! the answer selects `truce`, as a browser requires when it offered protocols.
//!
//! `?batch=1` asks for the batched form, for a client that takes thousands of events a second (the map
//! with 10,000 tracks reporting every second): a WebSocket message costs a browser a task and a parse
//! each, whatever its size, so the server gathers what the subscription delivers for [`TICK`] and sends
//! it as one `{"type": "batch", "messages": [...]}`, the messages in the order they were published.
//! Within a batch only the latest position of each track uid is kept (an earlier one would be drawn and
//! replaced in the same frame); every other event (observations, geofence events, alerts, cases,
//! `lagged`) is kept. The access rule is the subscription's, as for every client: batching only groups
//! what the viewer was already going to receive. A client that does not ask gets one message per event.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use truce_node::{Delivery, EventKind};

use super::AppState;
use super::auth::Caller;
use super::error::ApiError;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/stream", get(upgrade))
}

/// How long a batched client's events are gathered before they are sent.
pub const TICK: Duration = Duration::from_millis(200);
/// Most messages in one batch: a batch this long is sent at once, without waiting for the tick.
pub const MAX_BATCH: usize = 8_192;

/// `?batch=` of the stream.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StreamQuery {
    /// `1`: the batched form (`{"type": "batch", "messages": [...]}` every 200 ms, the latest position
    /// of each track only); `0` or absent: one message per event.
    pub batch: Option<String>,
}

/// WebSocket stream of what the node publishes.
#[utoipa::path(get, path = "/api/v1/stream", tag = "stream", params(StreamQuery),
    responses((status = 101, description = "Switching protocols: JSON messages {\"type\": \"observation\"|\"track\"|\"geofence\"|\"alert\"|\"case\", <type>: {...}} follow, or with ?batch=1 {\"type\": \"batch\", \"messages\": [...]}"),
        (status = 400, description = "`batch` is not 0 or 1", body = super::error::ErrorBody)))]
pub async fn upgrade(
    ws: WebSocketUpgrade,
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Query(q): Query<StreamQuery>,
) -> Result<Response, ApiError> {
    check_origin(&headers)?;
    let batched = match q.batch.as_deref() {
        None | Some("0") => false,
        Some("1") => true,
        Some(_) => return Err(ApiError::parameter("batch", "must be 0 or 1")),
    };
    Ok(ws.protocols(["truce"]).on_upgrade(move |socket| async move {
        metrics::gauge!("truce_stream_clients").increment(1.0);
        if batched {
            client_batched(socket, state, caller).await;
        } else {
            client(socket, state, caller).await;
        }
        metrics::gauge!("truce_stream_clients").decrement(1.0);
    }))
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

/// The `lagged` message: this many events were dropped for the client.
fn lagged(n: u64) -> String {
    metrics::counter!("truce_stream_lagged_total").increment(n);
    format!("{{\"type\":\"lagged\",\"missed\":{n}}}")
}

/// One message per event.
async fn client(socket: WebSocket, state: AppState, caller: Caller) {
    let mut events = state.node.bus.subscribe(caller.access);
    let (mut tx, mut rx) = socket.split();
    loop {
        tokio::select! {
            event = events.recv() => {
                let text: String = match event {
                    Delivery::Event(e) => e.to_json().to_string(),
                    Delivery::Lagged(n) => lagged(n),
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
}

/// What a batched client has been delivered since its last batch.
#[derive(Debug, Default)]
struct Batch {
    /// The wire form of each message, in delivery order.
    messages: Vec<Arc<str>>,
    /// Where the position of each track uid in `messages` is.
    tracks: HashMap<String, usize>,
}

impl Batch {
    /// Adds a message; a track's replaces the earlier position of its uid in this batch.
    fn push(&mut self, uid: Option<&str>, text: Arc<str>) {
        if let Some(uid) = uid {
            if let Some(&i) = self.tracks.get(uid) {
                self.messages[i] = text;
                return;
            }
            self.tracks.insert(uid.to_owned(), self.messages.len());
        }
        self.messages.push(text);
    }

    /// The batch message, leaving the batch empty.
    fn take(&mut self) -> String {
        let len = self.messages.iter().map(|m| m.len() + 1).sum::<usize>();
        let mut text = String::with_capacity(len + 32);
        text.push_str("{\"type\":\"batch\",\"messages\":[");
        for (i, m) in self.messages.drain(..).enumerate() {
            if i > 0 {
                text.push(',');
            }
            text.push_str(&m);
        }
        text.push_str("]}");
        self.tracks.clear();
        text
    }
}

/// Sends the batch if it holds anything; false when the client is gone.
async fn flush(tx: &mut SplitSink<WebSocket, Message>, batch: &mut Batch) -> bool {
    if batch.messages.is_empty() {
        return true;
    }
    metrics::counter!("truce_stream_batches_total").increment(1);
    tx.send(Message::Text(batch.take().into())).await.is_ok()
}

/// The batched form: what the subscription delivers, gathered for [`TICK`] (at most [`MAX_BATCH`]
/// messages), one message per batch.
async fn client_batched(socket: WebSocket, state: AppState, caller: Caller) {
    let mut events = state.node.bus.subscribe(caller.access);
    let (mut tx, mut rx) = socket.split();
    let mut batch = Batch::default();
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            event = events.recv() => {
                match event {
                    Delivery::Event(e) => {
                        let uid = match &e.event.kind {
                            EventKind::Track(t) => Some(t.uid.as_str()),
                            _ => None,
                        };
                        batch.push(uid, e.to_json());
                    }
                    Delivery::Lagged(n) => batch.push(None, Arc::from(lagged(n))),
                    Delivery::Closed => {
                        flush(&mut tx, &mut batch).await;
                        break;
                    }
                }
                if batch.messages.len() >= MAX_BATCH && !flush(&mut tx, &mut batch).await {
                    break;
                }
            }
            _ = tick.tick(), if !batch.messages.is_empty() => {
                if !flush(&mut tx, &mut batch).await {
                    break;
                }
            }
            incoming = rx.next() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_keeps_every_message_but_only_the_latest_position_of_a_track() {
        let mut b = Batch::default();
        b.push(Some("a"), Arc::from(r#"{"type":"track","track":{"uid":"a","lat":1}}"#));
        b.push(None, Arc::from(r#"{"type":"observation","observation":{"id":"x"}}"#));
        b.push(Some("b"), Arc::from(r#"{"type":"track","track":{"uid":"b","lat":1}}"#));
        b.push(Some("a"), Arc::from(r#"{"type":"track","track":{"uid":"a","lat":2}}"#));
        b.push(None, Arc::from(r#"{"type":"observation","observation":{"id":"x"}}"#));
        let v: serde_json::Value = serde_json::from_str(&b.take()).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"type": "batch", "messages": [
                {"type": "track", "track": {"uid": "a", "lat": 2}},
                {"type": "observation", "observation": {"id": "x"}},
                {"type": "track", "track": {"uid": "b", "lat": 1}},
                {"type": "observation", "observation": {"id": "x"}},
            ]})
        );
        assert!(b.messages.is_empty() && b.tracks.is_empty());
        b.push(Some("a"), Arc::from(r#"{"type":"track","track":{"uid":"a","lat":3}}"#));
        let v: serde_json::Value = serde_json::from_str(&b.take()).unwrap();
        assert_eq!(v["messages"].as_array().unwrap().len(), 1, "a new batch starts afresh");
    }
}
