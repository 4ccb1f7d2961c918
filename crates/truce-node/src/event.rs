//! What flows through a running node: one typed [`Event`] per thing that happened, each carrying the
//! security [`Label`] of what it shows, so that the access rule can filter every output in one place.
//!
//! The wire form (the JSON a WebSocket client receives) is computed once per event, on first use, and
//! shared by every subscriber.

use std::sync::{Arc, OnceLock};

use serde_json::json;
use truce_core::{GeofenceRow, Label, StoredObservation, TrackRow};
use truce_watch::case::Case;

use crate::watch::Alert;
use crate::wire;

/// What happened.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum EventKind {
    /// An observation was stored (new, not a duplicate).
    Observation(Arc<StoredObservation>),
    /// A TAK client reported a position (the latest of its uid in a batch).
    Track(Arc<TrackRow>),
    /// A track entered, left, was first seen inside or crossed a zone or line.
    Geofence(Arc<GeofenceRow>),
    /// A sector's or the line's early-warning level changed.
    Alert(Arc<Alert>),
    /// A compliance case was opened, moved or annotated.
    Case(Arc<Case>),
}

/// One event with its label. Cheap to clone (the payloads are shared).
#[derive(Debug, Clone)]
pub struct Event {
    /// The security label of what the event shows.
    pub label: Label,
    /// What happened.
    pub kind: EventKind,
    wire: Arc<OnceLock<Arc<str>>>,
}

impl Event {
    fn new(label: Label, kind: EventKind) -> Self {
        Self { label, kind, wire: Arc::new(OnceLock::new()) }
    }

    /// A stored observation, labelled with its own marking and releasability.
    pub fn observation(o: Arc<StoredObservation>) -> Self {
        Self::new(Label::of(&o.observation), EventKind::Observation(o))
    }

    /// A track report. TAK positions carry no marking of their own: the node's default label.
    pub fn track(t: Arc<TrackRow>) -> Self {
        Self::new(Label::unclassified(), EventKind::Track(t))
    }

    /// A geofence event (the default label, as its track's).
    pub fn geofence(g: Arc<GeofenceRow>) -> Self {
        Self::new(Label::unclassified(), EventKind::Geofence(g))
    }

    /// A change of early-warning level. Its label is the default one: the label derived from the
    /// observations behind an alert belongs to the access rule that reads it.
    pub fn alert(a: Arc<Alert>) -> Self {
        Self::new(Label::unclassified(), EventKind::Alert(a))
    }

    /// A case after an action (the default label, as alerts).
    pub fn case(c: Arc<Case>) -> Self {
        Self::new(Label::unclassified(), EventKind::Case(c))
    }

    /// The stable type name of the event on the wire: `observation`, `track`, `geofence`, `alert`,
    /// `case`.
    pub fn type_name(&self) -> &'static str {
        match &self.kind {
            EventKind::Observation(_) => "observation",
            EventKind::Track(_) => "track",
            EventKind::Geofence(_) => "geofence",
            EventKind::Alert(_) => "alert",
            EventKind::Case(_) => "case",
        }
    }

    /// The event as the stream sends it: `{"type": T, T: {...}}` with the API's JSON form of the
    /// payload (computed once, shared by every subscriber).
    pub fn to_json(&self) -> Arc<str> {
        self.wire
            .get_or_init(|| {
                let payload = match &self.kind {
                    EventKind::Observation(o) => wire::observation(o),
                    EventKind::Track(t) => wire::track(t),
                    EventKind::Geofence(g) => wire::geofence(g),
                    EventKind::Alert(a) => serde_json::to_value(&**a).unwrap_or_default(),
                    EventKind::Case(c) => serde_json::to_value(&**c).unwrap_or_default(),
                };
                let name = self.type_name();
                Arc::from(json!({"type": name, name: payload}).to_string())
            })
            .clone()
    }
}
