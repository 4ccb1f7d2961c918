//! TAK tracks and geofence events as stored and served: one row per Cursor on Target event received,
//! and one per geofence event derived from a track's consecutive positions.
//!
//! These are plain values: `truce-track` builds them (it knows CoT and the agreement), a store keeps
//! them, and the node publishes them; none of those needs the others' types.

use time::OffsetDateTime;

/// One received CoT event, as stored in the track history.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TrackRow {
    /// `event@uid`.
    pub uid: String,
    /// `event@type`, such as `a-f-G-U-C`.
    pub type_: String,
    /// `event@how`, such as `m-g`.
    pub how: String,
    /// `<contact callsign>`, if any.
    pub callsign: Option<String>,
    /// `<__group name>`, if any.
    pub group: Option<String>,
    /// The identity of the client that sent it (certificate CN or contact callsign).
    pub source: String,
    /// The connection it arrived on, such as `tcp:127.0.0.1:5555`.
    pub peer: String,
    /// `event@time`.
    #[serde(with = "time::serde::rfc3339")]
    pub time: OffsetDateTime,
    /// `event@start`.
    #[serde(with = "time::serde::rfc3339")]
    pub start: OffsetDateTime,
    /// `event@stale`.
    #[serde(with = "time::serde::rfc3339")]
    pub stale: OffsetDateTime,
    /// When the server received it.
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Height above the ellipsoid, metres (9999999 unknown).
    pub hae: f64,
    /// Circular error, metres (9999999 unknown).
    pub ce: f64,
    /// `<track course>`, degrees from true north.
    pub course: Option<f64>,
    /// `<track speed>`, metres per second.
    pub speed: Option<f64>,
    /// The position classified against the agreement, as JSON: `{"lines": {"<line>": {"distance_m",
    /// "side"}}, "zones": [...]}`; `None` when the event has no position.
    pub classification: Option<String>,
    /// The whole event as CoT XML.
    pub xml: String,
    /// The security label (the sending device's user's default, or the event's own).
    pub label: crate::Label,
}

impl TrackRow {
    /// The means a track's reports are observed by, from its uid: `ais-<MMSI>` a ship (the AIS feed),
    /// `icao-<address>` an aircraft (the ADS-B feed), anything else a TAK device.
    pub fn means(&self) -> crate::Means {
        if self.uid.starts_with("ais-") {
            crate::Means::Ship
        } else if self.uid.starts_with("icao-") {
            crate::Means::Aircraft
        } else {
            crate::Means::TakDevice
        }
    }
}

/// What a geofence event says about a track and a fence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GeofenceKind {
    /// The previous position was outside the zone, the current one is inside.
    Enter,
    /// The previous position was inside the zone, the current one is outside.
    Exit,
    /// The first position seen of the track is inside the zone.
    Inside,
    /// Both positions are outside the zone but the segment between them passes through it; or the
    /// track changed sides of a line.
    Cross,
}

impl GeofenceKind {
    /// Every kind.
    pub const ALL: &'static [GeofenceKind] =
        &[GeofenceKind::Enter, GeofenceKind::Exit, GeofenceKind::Inside, GeofenceKind::Cross];

    /// The stable identifier (`enter`, `exit`, `inside`, `cross`).
    pub const fn id(self) -> &'static str {
        match self {
            GeofenceKind::Enter => "enter",
            GeofenceKind::Exit => "exit",
            GeofenceKind::Inside => "inside",
            GeofenceKind::Cross => "cross",
        }
    }
}

impl std::str::FromStr for GeofenceKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        GeofenceKind::ALL
            .iter()
            .copied()
            .find(|k| k.id() == s)
            .ok_or_else(|| format!("{s:?} is not one of: enter, exit, inside, cross"))
    }
}

impl std::fmt::Display for GeofenceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

/// A geofence event: a track entered, left, was first seen inside or crossed a zone, or crossed a
/// line of the agreement.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GeofenceRow {
    /// Deterministic id: `gf-<uid>-<unix ms>-<fence id>-<kind>`.
    pub id: String,
    /// The track's uid.
    pub uid: String,
    /// The track's callsign (its uid when it has none).
    pub callsign: String,
    /// The track's CoT type.
    pub track_type: String,
    /// What happened.
    pub kind: GeofenceKind,
    /// The zone or line id.
    pub fence_id: String,
    /// The zone or line name.
    pub fence_name: String,
    /// The zone's kind id (`force_standoff`, `disengagement_area`, ...), or `line`.
    pub fence_kind: String,
    /// For a line crossing, the party whose ground the track left.
    pub from_side: Option<String>,
    /// For a line crossing, the party whose ground the track entered.
    pub to_side: Option<String>,
    /// The event time of the current position.
    #[serde(with = "time::serde::rfc3339")]
    pub time: OffsetDateTime,
    /// Current latitude, degrees.
    pub lat: f64,
    /// Current longitude, degrees.
    pub lon: f64,
    /// Previous latitude, degrees (`None` for [`GeofenceKind::Inside`]).
    pub prev_lat: Option<f64>,
    /// Previous longitude, degrees.
    pub prev_lon: Option<f64>,
    /// The security label (the track's).
    pub label: crate::Label,
}
