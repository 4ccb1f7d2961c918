//! Ships and aircraft from AIS and ADS-B as Cursor on Target events, so that they take the same path
//! as the tracks TAK devices send: the history, geofencing against the agreement, the bus, the map and
//! the devices.
//!
//! A [`Contact`] is what the sea and air feeds know of one vessel or aircraft at one report: the
//! decoders' fields in the units CoT uses (metres, metres per second), with the static data (name,
//! type, flag) remembered from earlier messages. [`Contact::to_event`] writes the CoT event:
//!
//! - uid `ais-<MMSI>` (nine digits) or `icao-<address>` (six lower-case hex digits), so a vessel or an
//!   aircraft is one track whatever feed heard it;
//! - type from MIL-STD-2525B through CoT's atom types (see [`vessel_type`] and [`aircraft_type`]): the
//!   affiliation is neutral `n` for what says it is civil, unknown `u` for military or unmanned craft,
//!   since a sensor cannot tell whose they are; the function follows the AIS ship type or the ADS-B
//!   emitter category;
//! - how `m-g` (machine, GNSS): both systems broadcast the craft's own satellite fix;
//! - stale after [`STALE_VESSEL_S`] or [`STALE_AIRCRAFT_S`] (an aircraft not heard for a minute is gone
//!   from the picture; a vessel at anchor reports every three minutes);
//! - `<contact callsign>` the name (or callsign, or the uid), `<track course speed>`, and `<remarks>`
//!   with what a watch officer reads: MMSI or ICAO address, flag or country of registration, type,
//!   squawk, navigation integrity.

use time::{Duration, OffsetDateTime};
use truce_cot::event::{Contact as CotContact, Remarks, Track};
use truce_cot::{Detail, Event, Point};

/// Seconds after which a vessel's position is stale.
pub const STALE_VESSEL_S: i64 = 600;
/// Seconds after which an aircraft's position is stale.
pub const STALE_AIRCRAFT_S: i64 = 60;
/// CoT's value for an unknown height or error.
const UNKNOWN: f64 = 9_999_999.0;
/// Metres per foot.
const M_PER_FT: f64 = 0.3048;
/// Metres per second in a knot.
const MPS_PER_KN: f64 = 1852.0 / 3600.0;

/// Which kind of craft.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A vessel (AIS).
    Vessel,
    /// An aircraft (ADS-B, Mode S).
    Aircraft,
}

/// One report of a vessel or an aircraft, with what is known of it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Contact {
    /// The vessel's MMSI or the aircraft's 24-bit ICAO address.
    pub id: u32,
    /// Vessel or aircraft.
    pub kind: Option<Kind>,
    /// When the craft was at `lat`/`lon` (the feed's time, else when it was received).
    pub time: Option<OffsetDateTime>,
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Altitude in feet (barometric, else GNSS height), aircraft only.
    pub altitude_ft: Option<i32>,
    /// Speed over ground, knots.
    pub speed_kn: Option<f64>,
    /// Course (track) over ground, degrees true.
    pub course_deg: Option<f64>,
    /// Vessel name (AIS) or flight callsign (ADS-B).
    pub name: Option<String>,
    /// Radio callsign (AIS).
    pub callsign: Option<String>,
    /// AIS ship and cargo type (0–99).
    pub ship_type: Option<u8>,
    /// ADS-B emitter category as set and number, such as `A3` or `B6`.
    pub category: Option<String>,
    /// Flag state (vessel, from the MMSI's MID) or state of registration (aircraft, from the ICAO
    /// address block): ISO 3166-1 alpha-2.
    pub country: Option<&'static str>,
    /// Mode A code, as its four octal digits.
    pub squawk: Option<String>,
    /// ADS-B navigation integrity category.
    pub nic: Option<u8>,
    /// ADS-B navigation accuracy category for position.
    pub nacp: Option<u8>,
}

impl Contact {
    /// The track's uid: `ais-<MMSI>` or `icao-<address>`.
    pub fn uid(&self) -> String {
        match self.kind {
            Some(Kind::Aircraft) => format!("icao-{}", self.id_text()),
            _ => format!("ais-{}", self.id_text()),
        }
    }

    /// The CoT type of this craft.
    pub fn cot_type(&self) -> &'static str {
        match self.kind {
            Some(Kind::Aircraft) => aircraft_type(self.category.as_deref()),
            _ => vessel_type(self.ship_type),
        }
    }

    /// The callsign shown on maps: the name, else the radio callsign, else the MMSI or ICAO address.
    pub fn display_name(&self) -> String {
        self.name
            .as_deref()
            .or(self.callsign.as_deref())
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map_or_else(|| self.id_text(), str::to_owned)
    }

    /// The MMSI (nine digits) or ICAO address (six lower-case hex digits).
    pub fn id_text(&self) -> String {
        match self.kind {
            Some(Kind::Aircraft) => format!("{:06x}", self.id),
            _ => format!("{:09}", self.id),
        }
    }

    /// The CoT event of this report; `received_at` stands in for a missing time.
    pub fn to_event(&self, received_at: OffsetDateTime) -> Event {
        let time = self.time.unwrap_or(received_at);
        let stale = match self.kind {
            Some(Kind::Aircraft) => STALE_AIRCRAFT_S,
            _ => STALE_VESSEL_S,
        };
        let hae = self.altitude_ft.map_or(UNKNOWN, |ft| f64::from(ft) * M_PER_FT);
        let track = (self.course_deg.is_some() || self.speed_kn.is_some())
            .then(|| Track { course: self.course_deg, speed: self.speed_kn.map(|kn| kn * MPS_PER_KN) });
        Event {
            version: "2.0".into(),
            uid: self.uid(),
            type_: self.cot_type().into(),
            how: "m-g".into(),
            time,
            start: time,
            stale: time + Duration::seconds(stale),
            access: None,
            qos: None,
            opex: None,
            point: Point { lat: self.lat, lon: self.lon, hae, ce: UNKNOWN, le: UNKNOWN },
            detail: Detail {
                contact: Some(CotContact { callsign: Some(self.display_name()), ..CotContact::default() }),
                track,
                remarks: Some(Remarks { text: self.remarks(), ..Remarks::default() }),
                ..Detail::default()
            },
        }
    }

    /// What a watch officer reads of the craft, one line.
    pub fn remarks(&self) -> String {
        let mut parts = Vec::new();
        match self.kind {
            Some(Kind::Aircraft) => {
                parts.push(format!("ICAO {:06X}", self.id));
                if let Some(c) = self.country {
                    parts.push(format!("registered {c}"));
                }
                if let Some(c) = &self.category {
                    parts.push(format!("category {c}"));
                }
                if let Some(s) = &self.squawk {
                    parts.push(format!("squawk {s}"));
                }
                if let Some(a) = self.altitude_ft {
                    parts.push(format!("{a} ft"));
                }
                if let (Some(nic), Some(nacp)) = (self.nic, self.nacp) {
                    parts.push(format!("NIC {nic} NACp {nacp}"));
                }
            }
            _ => {
                parts.push(format!("MMSI {:09}", self.id));
                if let Some(c) = self.country {
                    parts.push(format!("flag {c}"));
                }
                if let Some(cs) = &self.callsign {
                    parts.push(format!("callsign {cs}"));
                }
                if let Some(t) = self.ship_type {
                    parts.push(format!("ship type {t}"));
                }
            }
        }
        if let Some(kn) = self.speed_kn {
            parts.push(format!("{kn:.1} kn"));
        }
        parts.join(", ")
    }
}

/// The observation category of a sea or air track (uid `ais-…` or `icao-…`) whose presence the
/// agreement may restrict: a military vessel ([`vessel_type`] `a-u-S-C`) is `vessel`, an unmanned
/// aircraft (`a-u-A-M-F-Q`) is `aircraft`; civil craft and every other track have none.
pub fn category(uid: &str, cot_type: &str) -> Option<truce_core::Category> {
    if !(uid.starts_with("ais-") || uid.starts_with("icao-")) {
        return None;
    }
    match cot_type {
        "a-u-S-C" => Some(truce_core::Category::Vessel),
        "a-u-A-M-F-Q" => Some(truce_core::Category::Aircraft),
        _ => None,
    }
}

/// The CoT type of a vessel from its AIS ship and cargo type (ITU-R M.1371 table 53), in
/// MIL-STD-2525B's sea-surface functions: military operations (35) is a combatant of unknown
/// affiliation `a-u-S-C`; law enforcement (55) `a-n-S-X-L`; fishing (30) `a-n-S-X-F`; sailing and
/// pleasure craft (36, 37) leisure `a-n-S-X-R`; passenger ships (60–69) `a-n-S-X-M-P`; cargo (70–79)
/// `a-n-S-X-M-C`; tankers (80–89) `a-n-S-X-M-O`; tugs and towing (31, 32, 52) `a-n-S-X-M-T`; every
/// other or unknown type a non-military vessel `a-n-S-X`.
pub fn vessel_type(ship_type: Option<u8>) -> &'static str {
    match ship_type {
        Some(35) => "a-u-S-C",
        Some(55) => "a-n-S-X-L",
        Some(30) => "a-n-S-X-F",
        Some(36 | 37) => "a-n-S-X-R",
        Some(31 | 32 | 52) => "a-n-S-X-M-T",
        Some(60..=69) => "a-n-S-X-M-P",
        Some(70..=79) => "a-n-S-X-M-C",
        Some(80..=89) => "a-n-S-X-M-O",
        _ => "a-n-S-X",
    }
}

/// The CoT type of an aircraft from its ADS-B emitter category (DO-260B 2.2.3.2.5.2): rotorcraft
/// (`A7`) civil rotary wing `a-n-A-C-H`; lighter than air (`B2`) `a-n-A-C-L`; unmanned (`B6`) a
/// military drone of unknown affiliation `a-u-A-M-F-Q` (the no-fly zone's concern); everything else,
/// or no category, a civil fixed-wing aircraft `a-n-A-C-F`. ADS-B does not say whether an aircraft
/// is military: one that is and broadcasts a plain category is shown as civil until a person marks it.
pub fn aircraft_type(category: Option<&str>) -> &'static str {
    match category {
        Some("A7") => "a-n-A-C-H",
        Some("B2") => "a-n-A-C-L",
        Some("B6") => "a-u-A-M-F-Q",
        _ => "a-n-A-C-F",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn a_tanker_is_a_neutral_merchant_oiler_with_its_flag_in_the_remarks() {
        let c = Contact {
            id: 272_123_456,
            kind: Some(Kind::Vessel),
            lat: 46.3,
            lon: 30.7,
            speed_kn: Some(10.0),
            course_deg: Some(190.0),
            name: Some("ODESA STAR".into()),
            ship_type: Some(84),
            country: Some("UA"),
            ..Contact::default()
        };
        let at = datetime!(2026-11-20 10:00 UTC);
        let e = c.to_event(at);
        assert_eq!((e.uid.as_str(), e.type_.as_str(), e.how.as_str()), ("ais-272123456", "a-n-S-X-M-O", "m-g"));
        assert_eq!(e.stale - e.time, Duration::seconds(STALE_VESSEL_S));
        assert_eq!(e.detail.contact.and_then(|c| c.callsign).as_deref(), Some("ODESA STAR"));
        let t = e.detail.track.expect("a track");
        assert!((t.speed.expect("speed") - 5.144_444).abs() < 1e-5, "10 kn in m/s");
        assert_eq!(t.course, Some(190.0));
        assert_eq!(e.detail.remarks.map(|r| r.text).as_deref(), Some("MMSI 272123456, flag UA, ship type 84, 10.0 kn"));
        assert_eq!(e.point.hae, UNKNOWN);
    }

    #[test]
    fn an_aircraft_has_its_height_in_metres_and_its_address_as_uid() {
        let c = Contact {
            id: 0x48_0a_1b,
            kind: Some(Kind::Aircraft),
            lat: 52.0,
            lon: 21.0,
            altitude_ft: Some(35_000),
            category: Some("A3".into()),
            squawk: Some("7700".into()),
            ..Contact::default()
        };
        let e = c.to_event(datetime!(2026-11-20 10:00 UTC));
        assert_eq!((e.uid.as_str(), e.type_.as_str()), ("icao-480a1b", "a-n-A-C-F"));
        assert!((e.point.hae - 10_668.0).abs() < 1e-6);
        assert_eq!(e.detail.contact.and_then(|c| c.callsign).as_deref(), Some("480a1b"), "no callsign: the address");
        assert!(e.detail.remarks.expect("remarks").text.contains("squawk 7700"));
    }

    #[test]
    fn types_follow_the_ais_type_and_the_emitter_category() {
        assert_eq!(vessel_type(Some(35)), "a-u-S-C");
        assert_eq!(vessel_type(Some(70)), "a-n-S-X-M-C");
        assert_eq!(vessel_type(None), "a-n-S-X");
        assert_eq!(aircraft_type(Some("B6")), "a-u-A-M-F-Q");
        assert_eq!(aircraft_type(Some("A7")), "a-n-A-C-H");
        assert_eq!(aircraft_type(None), "a-n-A-C-F");
    }
}
