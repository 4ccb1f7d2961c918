//! What flows through a running node: one typed [`Event`] per thing that happened, each carrying the
//! security [`Label`] of what it shows, so that the access rule can filter every output in one place.
//!
//! The wire form (the JSON a WebSocket client receives) is computed once per event, on first use, and
//! shared by every subscriber.

use std::sync::{Arc, OnceLock};

use serde_json::json;
use time::OffsetDateTime;
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
    /// An observation was withdrawn (its last content; it left every list and count).
    Withdrawn(Arc<StoredObservation>),
    /// A TAK client reported a position (the latest of its uid in a batch).
    Track(Arc<TrackRow>),
    /// A track entered, left, was first seen inside or crossed a zone or line.
    Geofence(Arc<GeofenceRow>),
    /// A sector's or the line's early-warning level changed.
    Alert(Arc<Alert>),
    /// A compliance case was opened, moved or annotated.
    Case(Arc<Case>),
    /// An alert was acknowledged (for the alert's own readers: its label and audience).
    AlertAck(Arc<truce_store::AlertAck>),
    /// A sea or air detector fired (going dark, spoofing, an encounter, loitering, GNSS
    /// interference, an emergency squawk), with its evidence.
    Detection(Arc<truce_detect::Alert>),
    /// A detection another node made, as its wire payload: a detection's evidence does not decode
    /// back into a `truce_detect::Alert`, and nothing on this node needs more than its wire form
    /// (see [`crate::envelope`]).
    RemoteDetection(Arc<serde_json::Value>),
    /// For the TAK servers of the other nodes of a cluster only ([`crate::Bus::relay`]): never
    /// delivered to a viewer of this node's stream (see [`crate::Subscription::with_tak`]).
    Tak(Arc<TakRelay>),
}

/// What one node's TAK server hands the other nodes' TAK servers, so that a device sees the same
/// whichever node it is connected to (see `crate::sources::tak`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum TakRelay {
    /// A position (`a-*`, not directed) a device (or a sea or air feed) sent, as its node's TAK server
    /// routed it: as a [`TakRelay::Message`], but carried live rather than stored (see
    /// [`crate::envelope`]): the next position supersedes it within a second, and positions must
    /// go on crossing while the stream elects a leader.
    Position {
        /// The label it was routed with.
        label: Label,
        /// The CoT XML document.
        cot: String,
        /// The sender's team, when the servers route by team.
        group: Option<String>,
        /// A random id (see [`TakRelay::Message`]).
        nonce: String,
    },
    /// Any other CoT message a device (or a sea or air feed) sent (chat, a directed message, a task, a
    /// marker), as its node's TAK server routed it: every node's server routes it the same way
    /// (`truce_tak::TakHandle::relay`).
    Message {
        /// The label it was routed with.
        label: Label,
        /// The CoT XML document.
        cot: String,
        /// The sender's team, when the servers route by team.
        group: Option<String>,
        /// A random id: two identical messages a device sends are two messages, not a retry (the
        /// cluster's bus drops a message whose content it has carried already).
        nonce: String,
    },
    /// A server notification (a mission change) for the devices of these uids, wherever they are
    /// connected (`truce_tak::TakHandle::send_to_uids`).
    Notify {
        /// The notification's label (the change's).
        label: Label,
        /// The CoT XML document.
        cot: String,
        /// The devices it is for.
        uids: Vec<String>,
    },
    /// A device was subscribed to a mission, or unsubscribed: every server's mission routing follows
    /// (`truce_tak::TakHandle::set_subscribed`).
    Subscribed {
        /// The mission's label.
        label: Label,
        /// The mission's name.
        mission: String,
        /// The device's uid.
        uid: String,
        /// Subscribed (`true`) or unsubscribed.
        subscribed: bool,
    },
    /// A mission was deleted: every server forgets its routing.
    MissionDeleted {
        /// The mission's label.
        label: Label,
        /// The mission's name.
        mission: String,
    },
}

impl TakRelay {
    /// A message `cot` (a CoT XML document) of the type `type_` a TAK server routed with `label` and
    /// `group`: a [`TakRelay::Position`] when it is a position that names no recipient, else a
    /// [`TakRelay::Message`]; with a new nonce.
    pub fn routed(type_: &str, directed: bool, label: Label, cot: String, group: Option<String>) -> Self {
        let nonce = crate::sources::tak::missions::uuid_v4();
        if type_.starts_with("a-") && !directed {
            TakRelay::Position { label, cot, group, nonce }
        } else {
            TakRelay::Message { label, cot, group, nonce }
        }
    }

    /// Whether it travels live (at most once, not stored): a position.
    pub fn is_live(&self) -> bool {
        matches!(self, TakRelay::Position { .. })
    }

    /// The label it carries (the message's, the notification's or the mission's).
    pub fn label(&self) -> &Label {
        match self {
            TakRelay::Position { label, .. }
            | TakRelay::Message { label, .. }
            | TakRelay::Notify { label, .. }
            | TakRelay::Subscribed { label, .. }
            | TakRelay::MissionDeleted { label, .. } => label,
        }
    }
}

/// One event with its label. Cheap to clone (the payloads are shared).
#[derive(Debug, Clone)]
pub struct Event {
    /// The security label of what the event shows.
    pub label: Label,
    /// The time of the record (the day its release codes are expanded on).
    pub at: OffsetDateTime,
    /// For what is derived per audience (alerts): the only audience it is for
    /// (`truce_access::Access::audience`). `None`: every viewer the label permits.
    pub audience: Option<Arc<str>>,
    /// What happened.
    pub kind: EventKind,
    /// For an observation, a track or a geofence event: the early-warning sector its position is in
    /// (its id; `truce_watch::Sectors::assign`), if any; sent on the wire as the payload's `sector`,
    /// so that a client can apply a sector filter to what arrives live.
    pub sector: Option<Arc<str>>,
    /// The node that published the event, when it was another one (it arrived over the cluster's
    /// bus); `None` for this node's own.
    pub origin: Option<Arc<str>>,
    wire: Arc<OnceLock<Arc<str>>>,
    redacted: Arc<OnceLock<Arc<str>>>,
}

impl Event {
    fn new(label: Label, at: OffsetDateTime, kind: EventKind) -> Self {
        Self {
            label,
            at,
            audience: None,
            kind,
            sector: None,
            origin: None,
            wire: Arc::new(OnceLock::new()),
            redacted: Arc::new(OnceLock::new()),
        }
    }

    /// A stored observation, labelled with its own marking, releasability and categories.
    pub fn observation(o: Arc<StoredObservation>) -> Self {
        Self::new(Label::of(&o.observation), o.observation.time, EventKind::Observation(o))
    }

    /// The same event, for a position in the sector `id` (see [`Event::sector`]).
    #[must_use]
    pub fn in_sector(mut self, id: Option<&str>) -> Self {
        self.sector = id.map(Arc::from);
        self
    }

    /// A withdrawn observation, labelled like the observation.
    pub fn withdrawn(o: Arc<StoredObservation>) -> Self {
        Self::new(Label::of(&o.observation), o.observation.time, EventKind::Withdrawn(o))
    }

    /// A track report, with the label its sender gave it (see `truce_track::Source`).
    pub fn track(t: Arc<TrackRow>) -> Self {
        Self::new(t.label.clone(), t.time, EventKind::Track(t))
    }

    /// A geofence event (its track's label).
    pub fn geofence(g: Arc<GeofenceRow>) -> Self {
        Self::new(g.label.clone(), g.time, EventKind::Geofence(g))
    }

    /// A change of early-warning level for one audience (whose view the assessment read), labelled
    /// with the aggregate of what it read.
    pub fn alert(a: Arc<Alert>, label: Label, audience: &str) -> Self {
        let at = a.at;
        Self { audience: Some(Arc::from(audience)), ..Self::new(label, at, EventKind::Alert(a)) }
    }

    /// An acknowledgement of an alert, for exactly the readers of the alert: the alert's label, time
    /// (`alert_at`, the day its release codes are expanded on) and audience.
    pub fn alert_ack(ack: Arc<truce_store::AlertAck>, label: Label, alert_at: OffsetDateTime, audience: &str) -> Self {
        Self { audience: Some(Arc::from(audience)), ..Self::new(label, alert_at, EventKind::AlertAck(ack)) }
    }

    /// A detection, labelled with the feed's label of the tracks behind it.
    pub fn detection(a: Arc<truce_detect::Alert>, label: Label) -> Self {
        let at = a.time;
        Self::new(label, at, EventKind::Detection(a))
    }

    /// A case after an action, with the case's label.
    pub fn case(c: Arc<Case>, label: Label) -> Self {
        let at = c.opened_at;
        Self::new(label, at, EventKind::Case(c))
    }

    /// Something for the other nodes' TAK servers, labelled with its own label, at `at` (the CoT
    /// message's time, or now).
    pub fn tak(r: TakRelay, at: OffsetDateTime) -> Self {
        Self::new(r.label().clone(), at, EventKind::Tak(Arc::new(r)))
    }

    /// An event decoded from another node's message (see [`crate::envelope`]).
    pub(crate) fn relayed(
        label: Label,
        at: OffsetDateTime,
        audience: Option<Arc<str>>,
        sector: Option<Arc<str>>,
        origin: Arc<str>,
        kind: EventKind,
    ) -> Self {
        Self { audience, sector, origin: Some(origin), ..Self::new(label, at, kind) }
    }

    /// The wire form for a viewer who may not see the observer's fields (see
    /// `truce_access::redact_observer`): the same as [`Event::to_json`] for every other kind.
    pub fn to_json_without_observer(&self) -> Arc<str> {
        let EventKind::Observation(o) = &self.kind else { return self.to_json() };
        self.redacted
            .get_or_init(|| {
                let mut o = (**o).clone();
                truce_access::redact_observer(&mut o.observation);
                Arc::from(
                    json!({"type": "observation", "observation": self.with_sector(wire::observation(&o))}).to_string(),
                )
            })
            .clone()
    }

    /// A payload's wire form with the event's sector.
    fn with_sector(&self, mut v: serde_json::Value) -> serde_json::Value {
        if let (Some(sector), serde_json::Value::Object(m)) = (&self.sector, &mut v) {
            m.insert("sector".into(), serde_json::Value::String(sector.to_string()));
        }
        v
    }

    /// The stable type name of the event on the wire: `observation`, `withdrawn`, `track`, `geofence`,
    /// `alert`, `alert_ack`, `case`, `detection`, `tak`.
    pub fn type_name(&self) -> &'static str {
        match &self.kind {
            EventKind::Observation(_) => "observation",
            EventKind::Withdrawn(_) => "withdrawn",
            EventKind::Track(_) => "track",
            EventKind::Geofence(_) => "geofence",
            EventKind::Alert(_) => "alert",
            EventKind::AlertAck(_) => "alert_ack",
            EventKind::Case(_) => "case",
            EventKind::Detection(_) | EventKind::RemoteDetection(_) => "detection",
            EventKind::Tak(_) => "tak",
        }
    }

    /// The event as the stream sends it: `{"type": T, T: {...}}` with the API's JSON form of the
    /// payload (computed once, shared by every subscriber); an acknowledgement is
    /// `{"type": "alert_ack", "seq": N, "ack": {"by", "at", "note"}}`.
    pub fn to_json(&self) -> Arc<str> {
        self.wire
            .get_or_init(|| {
                if let EventKind::AlertAck(a) = &self.kind {
                    return Arc::from(
                        json!({"type": "alert_ack", "seq": a.seq, "ack": wire::alert_ack(a)}).to_string(),
                    );
                }
                let payload = match &self.kind {
                    EventKind::Observation(o) => self.with_sector(wire::observation(o)),
                    EventKind::Withdrawn(o) => json!({"id": o.observation.id}),
                    EventKind::Track(t) => self.with_sector(wire::track(t)),
                    EventKind::Geofence(g) => self.with_sector(wire::geofence(g)),
                    EventKind::Alert(a) => serde_json::to_value(&**a).unwrap_or_default(),
                    EventKind::Detection(d) => self.with_sector(wire::detection(&self.label, d)),
                    EventKind::RemoteDetection(d) => self.with_sector((**d).clone()),
                    EventKind::Case(c) => serde_json::to_value(&**c).unwrap_or_default(),
                    EventKind::AlertAck(a) => wire::alert_ack(a),
                    EventKind::Tak(r) => serde_json::to_value(&**r).unwrap_or_default(),
                };
                let name = self.type_name();
                Arc::from(json!({"type": name, name: payload}).to_string())
            })
            .clone()
    }
}
