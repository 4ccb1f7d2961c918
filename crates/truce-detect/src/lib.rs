//! Explainable detectors over ship (AIS) and aircraft (ADS-B) tracks.
//!
//! The input is a stream of [`Fix`]es (one position report of one vessel or aircraft); the output is
//! [`Alert`]s, each naming the tracks and the fixes behind it and carrying one plain sentence a watch
//! officer can read. The crate is pure: no I/O, no clock, no threads. Time only moves when the caller
//! pushes a fix ([`Detectors::push`]) or says what time it is ([`Detectors::tick`]), so the same feed
//! always gives the same alerts, live or replayed.
//!
//! # The detectors
//!
//! | detector | raised by | definition (defaults) | module |
//! |---|---|---|---|
//! | [`Detector::GoingDark`] | `tick` | vessel silent ≥ 12 h where learned reception is good, not in port | [`dark`] |
//! | [`Detector::SpoofJump`] | `push` | implied speed > 50 kn (vessel) / 1,000 kn (aircraft), jump > 1 km | [`spoof`] |
//! | [`Detector::SpoofCluster`] | `push` | ≥ 3 vessels jump within 10 min to within 2 km of each other | [`spoof`] |
//! | [`Detector::SpoofCircle`] | `push` | ≥ 12 fixes over ≥ 20 min on a circle, turning ≥ 360°, speed > 0 | [`spoof`] |
//! | [`Detector::Encounter`] | `push` | two vessels ≤ 500 m apart for ≥ 2 h, median speed < 2 kn, in a zone, > 10 km from port | [`encounter`] |
//! | [`Detector::Loitering`] | `push` | one vessel < 2 kn for ≥ 4 h, in a zone, > 10 km from port | [`encounter`] |
//! | [`Detector::GnssInterference`] | `tick` | ≥ 10 % of ≥ 5 aircraft in a cell and 5-minute window report NACp < 8 or NIC < 7 | [`interference`] |
//! | [`Detector::EmergencySquawk`] | `push` | squawk 7500, 7600 or 7700, once per episode | [`squawk`] |
//!
//! Every threshold is a field of [`Config`] with its published source. `docs/detectors.md` in the
//! repository explains each detector, its evidence and its weaknesses.
//!
//! # Use
//!
//! ```
//! use time::macros::datetime;
//! use truce_detect::{Config, Detector, Detectors, Fix, Geography, Kind, LonLat};
//!
//! let mut detectors = Detectors::new(Config::default(), Geography::default()).unwrap();
//! let t = datetime!(2026-10-01 06:00 UTC);
//! let fix = Fix { squawk: Some(7700), ..Fix::new(Kind::Aircraft, 0x4A0042, t, LonLat::new(26.5, 45.5)) };
//! let alerts = detectors.push(&fix);
//! assert_eq!(alerts[0].detector, Detector::EmergencySquawk);
//! assert_eq!(alerts[0].summary, "Aircraft 4A0042 squawks 7700 (general emergency) at 45.500N 26.500E.");
//! // Time-driven detections (going dark, interference windows) come from `tick`.
//! assert!(detectors.tick(t + time::Duration::minutes(1)).is_empty());
//! ```
//!
//! # Order, lateness and memory
//!
//! Fixes are expected in time order per track. A fix older than the last one accepted for its track is
//! *late*: the per-track detectors ignore it (counted in [`Stats::late_fixes`]), the interference layer
//! still counts it while its 5-minute window is open. Nothing panics on any input: invalid positions and
//! non-finite speeds are dropped or ignored. State is bounded: tracks silent for longer than
//! [`Config::track_ttl_s`] are pruned by `tick`, at most [`Config::max_tracks`] tracks are kept, the
//! interference layer keeps [`Config::interference_retention_s`] of windows.
//!
//! # Backtest
//!
//! [`scenario::scenario`] generates a seeded day on the north-western Black Sea with the truth of what
//! happens when; [`backtest::backtest`] runs the detectors over it and scores detections against the
//! truth (true positives, false alarms, misses, detection delay).

#![forbid(unsafe_code)]

pub mod backtest;
mod config;
pub mod dark;
pub mod encounter;
mod engine;
mod grid;
pub mod interference;
pub mod scenario;
pub mod spoof;
pub mod squawk;

pub use config::Config;
pub use engine::{DetectError, Detectors, Stats};
pub use grid::CellBounds;
pub use interference::{CellFigure, Level};
pub use truce_geo::{LonLat, ZonePolygon};

use time::OffsetDateTime;

/// What sent a fix: a ship (AIS) or an aircraft (ADS-B).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// A vessel; its id is the MMSI.
    Vessel,
    /// An aircraft; its id is the 24-bit ICAO address.
    Aircraft,
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Kind::Vessel => "vessel",
            Kind::Aircraft => "aircraft",
        })
    }
}

/// One position report of one vessel or aircraft, as the AIS and ADS-B decoders produce them.
#[derive(Debug, Clone, PartialEq)]
pub struct Fix {
    /// Vessel or aircraft.
    pub kind: Kind,
    /// MMSI (vessel) or 24-bit ICAO address (aircraft).
    pub id: u32,
    /// When the position was valid (receiver time when the message carries none).
    pub time: OffsetDateTime,
    /// Reported position, WGS84.
    pub position: LonLat,
    /// Speed over ground reported in the message, knots (`None`: not available).
    pub speed_kn: Option<f64>,
    /// Course over ground reported in the message, degrees from true north.
    pub course_deg: Option<f64>,
    /// Aircraft: barometric altitude, feet.
    pub altitude_ft: Option<i32>,
    /// Aircraft: ADS-B Navigation Integrity Category, 0 (unknown) to 11.
    pub nic: Option<u8>,
    /// Aircraft: ADS-B Navigation Accuracy Category for position, 0 (unknown) to 11.
    pub nacp: Option<u8>,
    /// Aircraft: the Mode A code. The four octal digits are stored as the decimal number that reads
    /// the same (code 7700 is `7700`, not `0o7700`), because that is how people say and write them;
    /// [`squawk::from_octal_bits`] converts the 12-bit field of the message.
    pub squawk: Option<u16>,
    /// The receiving station, when known.
    pub receiver: Option<u32>,
}

impl Fix {
    /// A fix with only the mandatory fields; the optional ones are `None`.
    pub fn new(kind: Kind, id: u32, time: OffsetDateTime, position: LonLat) -> Self {
        Self {
            kind,
            id,
            time,
            position,
            speed_kn: None,
            course_deg: None,
            altitude_ft: None,
            nic: None,
            nacp: None,
            squawk: None,
            receiver: None,
        }
    }

    /// The track this fix belongs to.
    pub fn track(&self) -> (Kind, u32) {
        (self.kind, self.id)
    }
}

/// Which detector raised an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Detector {
    /// A vessel stopped reporting where reception is good, away from port.
    GoingDark,
    /// A kinematically impossible jump between two consecutive fixes of one track.
    SpoofJump,
    /// Several vessels jumped within a short window to one spot.
    SpoofCluster,
    /// A vessel's recent positions lie on a circle (crop-circle spoofing).
    SpoofCircle,
    /// Two vessels close together and slow for a long time, away from port, in a maritime zone.
    Encounter,
    /// One vessel slow for a long time, away from port, in a maritime zone.
    Loitering,
    /// A share of aircraft in a map cell report degraded GNSS navigation integrity or accuracy.
    GnssInterference,
    /// An aircraft squawks 7500, 7600 or 7700.
    EmergencySquawk,
}

impl Detector {
    /// Every detector, in the order of the backtest table.
    pub const ALL: [Detector; 8] = [
        Detector::GoingDark,
        Detector::SpoofJump,
        Detector::SpoofCluster,
        Detector::SpoofCircle,
        Detector::Encounter,
        Detector::Loitering,
        Detector::GnssInterference,
        Detector::EmergencySquawk,
    ];

    /// A short stable name (snake case), for logs and APIs.
    pub fn name(self) -> &'static str {
        match self {
            Detector::GoingDark => "going_dark",
            Detector::SpoofJump => "spoof_jump",
            Detector::SpoofCluster => "spoof_cluster",
            Detector::SpoofCircle => "spoof_circle",
            Detector::Encounter => "encounter",
            Detector::Loitering => "loitering",
            Detector::GnssInterference => "gnss_interference",
            Detector::EmergencySquawk => "emergency_squawk",
        }
    }
}

impl std::fmt::Display for Detector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Where an alert is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Area {
    /// A point (the last fix, the centre of a cluster, circle or encounter).
    Point(LonLat),
    /// A map cell (interference).
    Cell(CellBounds),
}

/// A named number behind an alert; the unit is in the name (`gap_h`, `implied_speed_kn`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Figure {
    /// Name with unit suffix.
    pub name: &'static str,
    /// Value.
    pub value: f64,
}

/// One detection, with everything needed to explain it.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// Which detector.
    pub detector: Detector,
    /// When the detection was made: the time of the fix that completed it (`push`) or the time given
    /// to `tick`.
    pub time: OffsetDateTime,
    /// The tracks concerned, sorted.
    pub tracks: Vec<(Kind, u32)>,
    /// The fixes behind the alert (for example the two fixes of a jump, the last fix before a gap, the
    /// first and last close fixes of an encounter), in time order.
    pub evidence: Vec<Fix>,
    /// Where.
    pub area: Option<Area>,
    /// The figures the decision was made on.
    pub figures: Vec<Figure>,
    /// One plain sentence for a watch officer.
    pub summary: String,
}

impl Alert {
    /// The value of the figure `name`, if the alert has it.
    pub fn figure(&self, name: &str) -> Option<f64> {
        self.figures.iter().find(|f| f.name == name).map(|f| f.value)
    }

    /// The alert as JSON for the API and the web map: times RFC 3339, positions `[lon, lat]` (the
    /// GeoJSON order), a cell as `{west, south, east, north}`, figures as an object; a non-finite
    /// figure (an infinite implied speed) becomes `null`.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        let area = match self.area {
            Some(Area::Point(p)) => json!({ "point": [p.lon, p.lat] }),
            Some(Area::Cell(c)) => {
                json!({ "cell": { "west": c.west, "south": c.south, "east": c.east, "north": c.north } })
            }
            None => serde_json::Value::Null,
        };
        let figures: serde_json::Map<String, serde_json::Value> =
            self.figures.iter().map(|f| (f.name.to_string(), json!(f.value))).collect();
        json!({
            "detector": self.detector.name(),
            "time": rfc3339(self.time),
            "tracks": self.tracks.iter().map(|(k, id)| json!({ "kind": k.to_string(), "id": id })).collect::<Vec<_>>(),
            "evidence": self.evidence.iter().map(Fix::to_json).collect::<Vec<_>>(),
            "area": area,
            "figures": figures,
            "summary": self.summary,
        })
    }
}

impl Fix {
    /// The fix as JSON (see [`Alert::to_json`]); absent optional fields are omitted.
    pub fn to_json(&self) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        m.insert("kind".into(), self.kind.to_string().into());
        m.insert("id".into(), self.id.into());
        m.insert("time".into(), rfc3339(self.time).into());
        m.insert("position".into(), serde_json::json!([self.position.lon, self.position.lat]));
        let mut opt = |k: &str, v: Option<serde_json::Value>| {
            if let Some(v) = v {
                m.insert(k.into(), v);
            }
        };
        opt("speed_kn", self.speed_kn.map(Into::into));
        opt("course_deg", self.course_deg.map(Into::into));
        opt("altitude_ft", self.altitude_ft.map(Into::into));
        opt("nic", self.nic.map(Into::into));
        opt("nacp", self.nacp.map(Into::into));
        opt("squawk", self.squawk.map(|s| format!("{s:04}").into()));
        opt("receiver", self.receiver.map(Into::into));
        serde_json::Value::Object(m)
    }
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_else(|_| t.to_string())
}

/// A port: inside `radius_m` of `position` a silent vessel is not dark; within
/// [`Config::port_exclusion_m`] vessels do not count for encounters and loitering.
#[derive(Debug, Clone, PartialEq)]
pub struct Port {
    /// Name.
    pub name: String,
    /// Reference position (harbour centre).
    pub position: LonLat,
    /// Radius of the port area, metres.
    pub radius_m: f64,
}

/// The fixed geography the detectors use.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Geography {
    /// Ports.
    pub ports: Vec<Port>,
    /// Maritime zones in which encounters and loitering are watched: (zone id, polygon).
    pub maritime_zones: Vec<(String, ZonePolygon)>,
}

/// Seconds since the Unix epoch as `f64`: the detectors' internal time (sub-microsecond precision for
/// any date the `time` crate can hold, and plain arithmetic without overflow checks).
pub(crate) fn secs(t: OffsetDateTime) -> f64 {
    t.unix_timestamp() as f64 + f64::from(t.nanosecond()) * 1e-9
}

/// `2026-12-03 04:05 UTC`: how summaries print times.
pub(crate) fn hhmm(t: OffsetDateTime) -> String {
    // `checked_`: a time at the very end of the representable range must not panic in a summary.
    let t = t.checked_to_offset(time::UtcOffset::UTC).unwrap_or(t);
    format!("{:04}-{:02}-{:02} {:02}:{:02} UTC", t.year(), u8::from(t.month()), t.day(), t.hour(), t.minute())
}

/// Metres per second to knots.
pub(crate) const KN_PER_MPS: f64 = 3600.0 / 1852.0;
