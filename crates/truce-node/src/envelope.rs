//! The form an [`Event`] takes between nodes: a subject, a label, an id and a body.
//!
//! Nodes that form one system (`truce serve --nats`) publish every event they produce on the
//! cluster's bus and deliver every other node's to their own viewers. This module is the codec; the
//! transport is `crate::nats`.
//!
//! - **Subject** `truce.ev.<type>.<area>` (`truce.live.tak._` for a TAK position, which is not
//!   stored in the stream: [`TakRelay::Position`]): the event's type name ([`Event::type_name`]) and the
//!   early-warning sector its position is in (`_` when it has none), so that a consumer interested in
//!   one kind or one sector subscribes to that alone (`truce.ev.track.>`, `truce.ev.*.pokrovsk`). A
//!   sector id is made a subject token by keeping ASCII letters, digits, `-` and `_`, and writing any
//!   other byte as `_`.
//! - **Label** (header `Truce-Label`): the event's security label as JSON. The receiving node filters
//!   with it, for each of its viewers, exactly as it filters its own events ([`crate::Subscription`]):
//!   the label travels with every message and is never inferred from the payload.
//! - **Id** (header `Nats-Msg-Id`): the first 32 hex digits of the SHA-256 of the subject, the label
//!   and the body, so the same event published twice (a retry after a lost acknowledgement) is one
//!   message to JetStream, and a receiver that is handed a message again (a redelivery) recognises it.
//! - **Origin** (header `Truce-Origin`): the publishing node, so that a node skips its own events
//!   (it delivered them when it published them). It is not part of the id.
//! - **Body**: JSON `{"type", "at", "audience", "sector", "payload"}`, the payload being the event's
//!   record (the stored observation with its classification, the track row, the alert, …) with the
//!   field names of its Rust type; a detection's payload is its API form (its evidence does not decode
//!   back, see [`EventKind::RemoteDetection`]); a `tak` event's is the [`TakRelay`] for the other
//!   nodes' TAK servers (a device's CoT message, a mission change for some devices, a mission's
//!   routing), which carries its own label too.
//!
//! Decoding checks everything a peer, a replay or a corrupted message could get wrong and names it:
//! a body over [`MAX_BODY`], a missing or malformed label, a body that is not the JSON above (with its
//! line and column), a `type` that is not the subject's, a payload that is not its type's. A message
//! that does not decode is not delivered to anyone.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use truce_core::{GeofenceRow, Label, StoredObservation, TrackRow};
use truce_watch::case::Case;

use crate::event::{Event, EventKind, TakRelay};

/// The largest body accepted (NATS's default `max_payload`).
pub const MAX_BODY: usize = 1024 * 1024;

/// The subject prefix of every event the stream stores.
pub const SUBJECT_PREFIX: &str = "truce.ev";

/// The subject prefix of what is carried live, outside the stream: a TAK position.
pub const LIVE_PREFIX: &str = "truce.live";

/// The header carrying the label.
pub const LABEL_HEADER: &str = "Truce-Label";

/// The header naming the publishing node.
pub const ORIGIN_HEADER: &str = "Truce-Origin";

/// One event as a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// `truce.ev.<type>.<area>`.
    pub subject: String,
    /// The label as JSON (header `Truce-Label`).
    pub label: String,
    /// The content-derived id (header `Nats-Msg-Id`).
    pub id: String,
    /// The JSON body.
    pub body: Vec<u8>,
}

/// Why a message is not an event.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("event message on {subject:?}: {field}: {reason}")]
pub struct DecodeError {
    /// The message's subject.
    pub subject: String,
    /// What is wrong: a header, `body`, or a body field.
    pub field: String,
    /// Why.
    pub reason: String,
}

#[derive(Serialize)]
struct BodyOut<'a, P: Serialize> {
    #[serde(rename = "type")]
    type_: &'a str,
    #[serde(with = "time::serde::rfc3339")]
    at: OffsetDateTime,
    audience: Option<&'a str>,
    sector: Option<&'a str>,
    payload: P,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BodyIn {
    #[serde(rename = "type")]
    type_: String,
    #[serde(with = "time::serde::rfc3339")]
    at: OffsetDateTime,
    audience: Option<String>,
    sector: Option<String>,
    payload: Box<serde_json::value::RawValue>,
}

/// `id` as one subject token.
fn token(id: &str) -> String {
    if id.is_empty() {
        return "_".into();
    }
    id.bytes().map(|b| if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' { b as char } else { '_' }).collect()
}

/// The subject of events of type `type_name` in the sector `sector`.
pub fn subject(type_name: &str, sector: Option<&str>) -> String {
    format!("{SUBJECT_PREFIX}.{type_name}.{}", sector.map_or_else(|| "_".into(), token))
}

fn body<P: Serialize>(e: &Event, payload: P) -> Vec<u8> {
    let out = BodyOut {
        type_: e.type_name(),
        at: e.at,
        audience: e.audience.as_deref(),
        sector: e.sector.as_deref(),
        payload,
    };
    // Every payload is plain data (strings, numbers, times as RFC 3339): it always serialises.
    serde_json::to_vec(&out).unwrap_or_default()
}

/// The message for `event`.
pub fn encode(event: &Event) -> Envelope {
    let body = match &event.kind {
        EventKind::Observation(o) | EventKind::Withdrawn(o) => body(event, &**o),
        EventKind::Track(t) => body(event, &**t),
        EventKind::Geofence(g) => body(event, &**g),
        EventKind::Alert(a) => body(event, &**a),
        EventKind::Case(c) => body(event, &**c),
        EventKind::AlertAck(a) => body(event, &**a),
        EventKind::Detection(d) => body(event, crate::wire::detection(&event.label, d)),
        EventKind::RemoteDetection(d) => body(event, &**d),
        EventKind::Tak(r) => body(event, &**r),
    };
    let mut subject = subject(event.type_name(), event.sector.as_deref());
    if matches!(&event.kind, EventKind::Tak(r) if r.is_live()) {
        subject.replace_range(..SUBJECT_PREFIX.len(), LIVE_PREFIX);
    }
    let label = serde_json::to_string(&event.label).unwrap_or_default();
    let id = id(&subject, &label, &body);
    Envelope { subject, label, id, body }
}

/// The content-derived message id.
fn id(subject: &str, label: &str, body: &[u8]) -> String {
    let mut h = ring::digest::Context::new(&ring::digest::SHA256);
    for part in [subject.as_bytes(), b"\n", label.as_bytes(), b"\n", body] {
        h.update(part);
    }
    h.finish().as_ref()[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// The event a message carries, published by `origin`. `label` is the `Truce-Label` header, if the
/// message had one.
///
/// # Errors
/// [`DecodeError`], naming the header or field and the reason (see the module documentation).
pub fn decode(subject: &str, label: Option<&[u8]>, body: &[u8], origin: &str) -> Result<Event, DecodeError> {
    let err = |field: &str, reason: String| DecodeError { subject: subject.into(), field: field.into(), reason };
    if body.len() > MAX_BODY {
        return Err(err("body", format!("{} bytes, over the limit of {MAX_BODY}", body.len())));
    }
    let label =
        label.ok_or_else(|| err(LABEL_HEADER, "missing: an event without its label is never delivered".into()))?;
    let label: Label = serde_json::from_slice(label).map_err(|e| err(LABEL_HEADER, e.to_string()))?;
    let b: BodyIn = serde_json::from_slice(body).map_err(|e| err("body", e.to_string()))?;
    let mut parts = subject.split('.');
    let (live, expected) = match (parts.next(), parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("truce"), Some("ev"), Some(t), Some(_), None) => (false, t),
        (Some("truce"), Some("live"), Some(t), Some(_), None) => (true, t),
        _ => return Err(err("subject", format!("not {SUBJECT_PREFIX}.<type>.<area> or {LIVE_PREFIX}.<type>.<area>"))),
    };
    if b.type_ != expected {
        return Err(err("type", format!("{:?} on a subject of {expected:?} events", b.type_)));
    }
    let payload = b.payload.get();
    let kind = decode_kind(&b.type_, payload).map_err(|reason| err("payload", reason))?;
    if let Some(e) = check(&kind, &label) {
        return Err(err("payload", e));
    }
    if live != matches!(&kind, EventKind::Tak(r) if r.is_live()) {
        return Err(err("subject", format!("a TAK position travels on {LIVE_PREFIX}, and nothing else does")));
    }
    Ok(Event::relayed(label, b.at, b.audience.map(Arc::from), b.sector.map(Arc::from), Arc::from(origin), kind))
}

fn decode_kind(type_name: &str, payload: &str) -> Result<EventKind, String> {
    fn typed<T: serde::de::DeserializeOwned>(p: &str) -> Result<Arc<T>, String> {
        serde_json::from_str(p).map(Arc::new).map_err(|e| e.to_string())
    }
    Ok(match type_name {
        "observation" => EventKind::Observation(typed::<StoredObservation>(payload)?),
        "withdrawn" => EventKind::Withdrawn(typed::<StoredObservation>(payload)?),
        "track" => EventKind::Track(typed::<TrackRow>(payload)?),
        "geofence" => EventKind::Geofence(typed::<GeofenceRow>(payload)?),
        "alert" => EventKind::Alert(typed::<crate::watch::Alert>(payload)?),
        "case" => EventKind::Case(typed::<Case>(payload)?),
        "alert_ack" => EventKind::AlertAck(typed::<truce_store::AlertAck>(payload)?),
        "detection" => {
            let v: serde_json::Value = serde_json::from_str(payload).map_err(|e| e.to_string())?;
            if !v.is_object() {
                return Err("a detection is a JSON object".into());
            }
            EventKind::RemoteDetection(Arc::new(v))
        }
        "tak" => EventKind::Tak(typed::<TakRelay>(payload)?),
        other => return Err(format!("{other:?} is not an event type")),
    })
}

/// A payload whose own label differs from the message's: refused, so that the header (which every
/// node filters with) can never be laxer than the record it travels with.
fn check(kind: &EventKind, label: &Label) -> Option<String> {
    let own = match kind {
        EventKind::Observation(o) | EventKind::Withdrawn(o) => Label::of(&o.observation),
        EventKind::Track(t) => t.label.clone(),
        EventKind::Geofence(g) => g.label.clone(),
        EventKind::Tak(r) => r.label().clone(),
        _ => return None,
    };
    (own != *label).then(|| format!("the record's label {own:?} is not the message's {label:?}"))
}
