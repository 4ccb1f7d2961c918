//! The decoded AIS messages (ITU-R M.1371-5) and their bit layouts.
//!
//! Design: [`Message`] is a plain `Copy` value, its text fields inline ([`Text`]), so a position
//! report costs no heap allocation. "Not available" codes are `None` (or left out of the JSON), and
//! units are converted once here: degrees, knots, metres, degrees per minute. Each type checks its
//! minimum length before any field is read, so a short message is an error naming both lengths
//! rather than a report of zeros.

use crate::bits::{Bits, Text};
use crate::error::Error;
use crate::nmea::{Station, Timestamp};

/// One decoded AIS message with the context of the sentence(s) that carried it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Message {
    /// Message type, 1–27.
    pub msg_type: u8,
    /// Repeat indicator, 0–3.
    pub repeat: u8,
    /// The sender's MMSI.
    pub mmsi: u32,
    /// True for `VDO` (own ship), false for `VDM`.
    pub own: bool,
    /// Radio channel (`b'A'`, `b'B'`, `b'1'`, `b'2'`…), or 0 when the sentence left it empty.
    pub channel: u8,
    /// The tag block's `c:` receive time.
    pub time: Option<Timestamp>,
    /// The tag block's `s:` station.
    pub station: Option<Station>,
    /// The fields of this type.
    pub body: Body,
}

impl Message {
    /// Position (lat, lon) in degrees, when the message has one.
    pub fn position(&self) -> Option<(f64, f64)> {
        let (lat, lon) = match &self.body {
            Body::Position(p) => (p.lat, p.lon),
            Body::BaseStation(p) => (p.lat, p.lon),
            Body::ClassB(p) => (p.lat, p.lon),
            Body::ClassBExtended(p) => (p.lat, p.lon),
            Body::AidToNavigation(p) => (p.lat, p.lon),
            Body::LongRange(p) => (p.lat, p.lon),
            _ => (None, None),
        };
        Some((lat?, lon?))
    }

    /// Speed over ground in knots, for every type that reports one (type 27's whole knots included).
    pub fn speed(&self) -> Option<f64> {
        match &self.body {
            Body::Position(p) => p.speed,
            Body::ClassB(p) => p.speed,
            Body::ClassBExtended(p) => p.speed,
            Body::LongRange(p) => p.speed.map(f64::from),
            _ => None,
        }
    }

    /// Course over ground in degrees, for every type that reports one.
    pub fn course(&self) -> Option<f64> {
        match &self.body {
            Body::Position(p) => p.course,
            Body::ClassB(p) => p.course,
            Body::ClassBExtended(p) => p.course,
            Body::LongRange(p) => p.course.map(f64::from),
            _ => None,
        }
    }

    /// True heading in degrees, for every type that reports one.
    pub fn heading(&self) -> Option<u16> {
        match &self.body {
            Body::Position(p) => p.heading,
            Body::ClassB(p) => p.heading,
            Body::ClassBExtended(p) => p.heading,
            _ => None,
        }
    }

    /// The vessel's or aid's name (types 5, 19, 21, 24 A), when not empty.
    pub fn name(&self) -> Option<&str> {
        let n = match &self.body {
            Body::StaticVoyage(s) => s.shipname.as_str(),
            Body::ClassBExtended(s) => s.shipname.as_str(),
            Body::StaticPartA(s) => s.shipname.as_str(),
            Body::AidToNavigation(a) => a.name.as_str(),
            _ => "",
        };
        (!n.is_empty()).then_some(n)
    }

    /// The call sign (types 5 and 24 B), when not empty.
    pub fn callsign(&self) -> Option<&str> {
        let c = match &self.body {
            Body::StaticVoyage(s) => s.callsign.as_str(),
            Body::StaticPartB(s) => s.callsign.as_str(),
            _ => "",
        };
        (!c.is_empty()).then_some(c)
    }

    /// The ship and cargo type (types 5, 19, 24 B).
    pub fn ship_type(&self) -> Option<u8> {
        match &self.body {
            Body::StaticVoyage(s) => s.ship_type,
            Body::ClassBExtended(s) => s.ship_type,
            Body::StaticPartB(s) => s.ship_type,
            _ => None,
        }
    }

    /// The flag state claimed by the MMSI (see [`crate::mid`]).
    pub fn flag(&self) -> Option<crate::mid::Flag> {
        crate::mid::flag(self.mmsi)
    }
}

/// The type-specific fields.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Body {
    /// Types 1, 2, 3: class A position report.
    Position(PositionReport),
    /// Type 4: base station report.
    BaseStation(BaseStation),
    /// Type 5: class A static and voyage data.
    StaticVoyage(StaticVoyage),
    /// Type 18: class B position report.
    ClassB(ClassBPosition),
    /// Type 19: extended class B position report.
    ClassBExtended(ClassBExtended),
    /// Type 21: aid to navigation report.
    AidToNavigation(AidToNavigation),
    /// Type 24 part A: class B name.
    StaticPartA(StaticPartA),
    /// Type 24 part B: class B type, vendor, callsign, dimensions or mothership.
    StaticPartB(StaticPartB),
    /// Type 27: long-range position report.
    LongRange(LongRange),
    /// Any other type: counted, not decoded.
    Unsupported,
}

/// Distances from the position reference point to the hull, in metres; 0 = not available.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Dimensions {
    /// To the bow (0–511 m; 511 = 511 m or more).
    pub to_bow: u16,
    /// To the stern.
    pub to_stern: u16,
    /// To port (0–63 m).
    pub to_port: u8,
    /// To starboard.
    pub to_starboard: u8,
}

/// Types 1–3.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PositionReport {
    /// Navigational status 0–15 (15 = not defined); see [`nav_status_name`].
    pub status: u8,
    /// Raw rate of turn, −128..127 (−128 = not available, ±127 = turning faster than 5°/30 s, no TI).
    pub rot: i8,
    /// Rate of turn in degrees per minute, `(rot/4.733)²` signed; `None` for −128 and ±127.
    pub turn: Option<f64>,
    /// Speed over ground in knots (102.2 = 102.2 or more).
    pub speed: Option<f64>,
    /// Position accuracy flag (true: < 10 m).
    pub accuracy: bool,
    /// Longitude, degrees.
    pub lon: Option<f64>,
    /// Latitude, degrees.
    pub lat: Option<f64>,
    /// Course over ground, degrees.
    pub course: Option<f64>,
    /// True heading, degrees.
    pub heading: Option<u16>,
    /// UTC second of the report (0–59; `None` for 60–63).
    pub second: Option<u8>,
    /// Special manoeuvre indicator (0 = not available).
    pub maneuver: u8,
    /// RAIM in use.
    pub raim: bool,
}

/// Type 4.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BaseStation {
    /// UTC year (`None` when 0).
    pub year: Option<u16>,
    /// Month 1–12.
    pub month: Option<u8>,
    /// Day 1–31.
    pub day: Option<u8>,
    /// Hour 0–23.
    pub hour: Option<u8>,
    /// Minute 0–59.
    pub minute: Option<u8>,
    /// Second 0–59.
    pub second: Option<u8>,
    /// Position accuracy flag.
    pub accuracy: bool,
    /// Longitude, degrees.
    pub lon: Option<f64>,
    /// Latitude, degrees.
    pub lat: Option<f64>,
    /// Type of position fixing device (0 = undefined).
    pub epfd: u8,
    /// RAIM in use.
    pub raim: bool,
}

impl BaseStation {
    /// The station's UTC time, when every part is available and valid.
    pub fn utc(&self) -> Option<Timestamp> {
        let (y, mo, d) = (i64::from(self.year?), i64::from(self.month?), i64::from(self.day?));
        let (h, mi, s) = (i64::from(self.hour?), i64::from(self.minute?), i64::from(self.second?));
        let days_in = [31, if is_leap(y) { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
        if d > days_in[(mo - 1) as usize] {
            return None;
        }
        Some(Timestamp::from_unix_seconds(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s))
    }
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

/// H. Hinnant's `days_from_civil`.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Estimated time of arrival (UTC, no year), each part `None` when not available.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Eta {
    /// Month 1–12.
    pub month: Option<u8>,
    /// Day 1–31.
    pub day: Option<u8>,
    /// Hour 0–23.
    pub hour: Option<u8>,
    /// Minute 0–59.
    pub minute: Option<u8>,
}

/// Type 5.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StaticVoyage {
    /// AIS version indicator 0–3.
    pub ais_version: u8,
    /// IMO number (`None` when 0).
    pub imo: Option<u32>,
    /// Call sign.
    pub callsign: Text<7>,
    /// Vessel name.
    pub shipname: Text<20>,
    /// Ship and cargo type 1–99 (`None` when 0); see [`ship_type_name`].
    pub ship_type: Option<u8>,
    /// Dimensions.
    pub dimensions: Dimensions,
    /// Type of position fixing device.
    pub epfd: u8,
    /// ETA.
    pub eta: Eta,
    /// Maximum present static draught, metres (`None` when 0).
    pub draught: Option<f64>,
    /// Destination.
    pub destination: Text<20>,
    /// Data terminal equipment not ready.
    pub dte: bool,
}

/// Type 18.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClassBPosition {
    /// Speed over ground, knots.
    pub speed: Option<f64>,
    /// Position accuracy flag.
    pub accuracy: bool,
    /// Longitude, degrees.
    pub lon: Option<f64>,
    /// Latitude, degrees.
    pub lat: Option<f64>,
    /// Course over ground, degrees.
    pub course: Option<f64>,
    /// True heading, degrees.
    pub heading: Option<u16>,
    /// UTC second.
    pub second: Option<u8>,
    /// Carrier-sense (CS) unit rather than SOTDMA.
    pub cs: bool,
    /// Has a display.
    pub display: bool,
    /// Has DSC.
    pub dsc: bool,
    /// Can use the whole marine band.
    pub band: bool,
    /// Accepts message 22 channel management.
    pub msg22: bool,
    /// Assigned mode.
    pub assigned: bool,
    /// RAIM in use.
    pub raim: bool,
}

/// Type 19.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClassBExtended {
    /// Speed over ground, knots.
    pub speed: Option<f64>,
    /// Position accuracy flag.
    pub accuracy: bool,
    /// Longitude, degrees.
    pub lon: Option<f64>,
    /// Latitude, degrees.
    pub lat: Option<f64>,
    /// Course over ground, degrees.
    pub course: Option<f64>,
    /// True heading, degrees.
    pub heading: Option<u16>,
    /// UTC second.
    pub second: Option<u8>,
    /// Vessel name.
    pub shipname: Text<20>,
    /// Ship and cargo type.
    pub ship_type: Option<u8>,
    /// Dimensions.
    pub dimensions: Dimensions,
    /// Type of position fixing device.
    pub epfd: u8,
    /// RAIM in use.
    pub raim: bool,
    /// Data terminal equipment not ready.
    pub dte: bool,
    /// Assigned mode.
    pub assigned: bool,
}

/// Type 21.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AidToNavigation {
    /// Type of aid 0–31 (0 = not specified).
    pub aid_type: u8,
    /// Name, with the name extension appended (up to 34 characters).
    pub name: Text<34>,
    /// Position accuracy flag.
    pub accuracy: bool,
    /// Longitude, degrees.
    pub lon: Option<f64>,
    /// Latitude, degrees.
    pub lat: Option<f64>,
    /// Dimensions.
    pub dimensions: Dimensions,
    /// Type of position fixing device.
    pub epfd: u8,
    /// UTC second.
    pub second: Option<u8>,
    /// Off its charted position.
    pub off_position: bool,
    /// RAIM in use.
    pub raim: bool,
    /// A virtual aid (no physical mark).
    pub virtual_aid: bool,
    /// Assigned mode.
    pub assigned: bool,
}

/// Type 24 part A.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StaticPartA {
    /// Vessel name.
    pub shipname: Text<20>,
}

/// Type 24 part B.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StaticPartB {
    /// Ship and cargo type.
    pub ship_type: Option<u8>,
    /// Vendor id (3 characters).
    pub vendor_id: Text<3>,
    /// Unit model code.
    pub model: u8,
    /// Unit serial number.
    pub serial: u32,
    /// Call sign.
    pub callsign: Text<7>,
    /// Dimensions, or the mothership for an auxiliary craft.
    pub hull: Hull,
}

/// The last 30 bits of type 24 part B depend on the MMSI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hull {
    /// An ordinary vessel: its dimensions.
    Dimensions(Dimensions),
    /// An auxiliary craft (MMSI 98MIDxxxx): its mothership's MMSI.
    Mothership(u32),
}

/// Type 27.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LongRange {
    /// Position accuracy flag.
    pub accuracy: bool,
    /// RAIM in use.
    pub raim: bool,
    /// Navigational status.
    pub status: u8,
    /// Longitude, degrees (1/10 minute resolution).
    pub lon: Option<f64>,
    /// Latitude, degrees (1/10 minute resolution).
    pub lat: Option<f64>,
    /// Speed over ground, whole knots (0–62).
    pub speed: Option<u8>,
    /// Course over ground, whole degrees.
    pub course: Option<u16>,
    /// Position latency: false = less than 5 s.
    pub gnss: bool,
}

/// Minimum length in bits of each decoded type. Type 5 is 424 bits, but many transponders send 420
/// (the last two destination bits and the DTE/spare bits cut): 420 is accepted, the missing bits
/// read as zero. Type 24 part A is 160 bits (the 8 spare bits are often left out).
fn min_bits(msg_type: u8) -> usize {
    match msg_type {
        1..=4 | 18 => 168,
        5 => 420,
        19 => 312,
        // Type 21 is 272 bits and more; 268 (the last spare and assigned bits cut) is seen in the
        // corpora and still carries the whole position.
        21 => 268,
        // Type 24: 168 bits, but 160 is common for both parts (part B then loses the spare bits and
        // the last two bits of to_starboard, read as zero).
        24 => 160,
        27 => 96,
        _ => 38,
    }
}

fn coord(raw: i32, scale: f64, limit: f64) -> Option<f64> {
    let v = f64::from(raw) / scale;
    // 181 / 91 are "not available"; anything else out of range cannot be a position either.
    if v.abs() > limit { None } else { Some(v) }
}

fn lon(raw: i32) -> Option<f64> {
    coord(raw, 600_000.0, 180.0)
}

fn lat(raw: i32) -> Option<f64> {
    coord(raw, 600_000.0, 90.0)
}

fn speed(raw: u32) -> Option<f64> {
    (raw < 1023).then(|| f64::from(raw) / 10.0)
}

fn course(raw: u32) -> Option<f64> {
    (raw < 3600).then(|| f64::from(raw) / 10.0)
}

fn heading(raw: u32) -> Option<u16> {
    (raw < 360).then_some(raw as u16)
}

fn second(raw: u32) -> Option<u8> {
    (raw < 60).then_some(raw as u8)
}

fn nonzero_u8(raw: u32) -> Option<u8> {
    (raw != 0).then_some(raw as u8)
}

fn dims(b: &Bits, at: usize) -> Dimensions {
    Dimensions {
        to_bow: b.u(at, 9) as u16,
        to_stern: b.u(at + 9, 9) as u16,
        to_port: b.u(at + 18, 6) as u8,
        to_starboard: b.u(at + 24, 6) as u8,
    }
}

/// Rate of turn in degrees per minute from the raw ROT_AIS value (ITU-R M.1371: ROT_AIS = 4.733 √ROT).
fn turn(rot: i8) -> Option<f64> {
    if rot.unsigned_abs() >= 127 {
        return None;
    }
    let r = f64::from(rot) / 4.733;
    Some((r * r).copysign(f64::from(rot)))
}

/// Decodes the header and body of a packed message. The context fields are left for the caller.
pub(crate) fn decode(b: &Bits) -> Result<Message, Error> {
    if b.len() < 38 {
        let msg_type = if b.len() >= 6 { b.u(0, 6) as u8 } else { 0 };
        return Err(Error::TooShort { msg_type, need: 38, got: b.len() });
    }
    let msg_type = b.u(0, 6) as u8;
    let repeat = b.u(6, 2) as u8;
    let mmsi = b.u(8, 30);
    let partno = b.u(38, 2);
    let need = min_bits(msg_type);
    if b.len() < need {
        return Err(Error::TooShort { msg_type, need, got: b.len() });
    }
    let body = match msg_type {
        1..=3 => {
            let rot = b.i(42, 8) as i8;
            Body::Position(PositionReport {
                status: b.u(38, 4) as u8,
                rot,
                turn: turn(rot),
                speed: speed(b.u(50, 10)),
                accuracy: b.b(60),
                lon: lon(b.i(61, 28)),
                lat: lat(b.i(89, 27)),
                course: course(b.u(116, 12)),
                heading: heading(b.u(128, 9)),
                second: second(b.u(137, 6)),
                maneuver: b.u(143, 2) as u8,
                raim: b.b(148),
            })
        }
        4 => Body::BaseStation(BaseStation {
            year: Some(b.u(38, 14) as u16).filter(|&y| y != 0),
            month: Some(b.u(52, 4) as u8).filter(|m| (1..=12).contains(m)),
            day: Some(b.u(56, 5) as u8).filter(|&d| d != 0),
            hour: Some(b.u(61, 5) as u8).filter(|&h| h < 24),
            minute: Some(b.u(66, 6) as u8).filter(|&m| m < 60),
            second: second(b.u(72, 6)),
            accuracy: b.b(78),
            lon: lon(b.i(79, 28)),
            lat: lat(b.i(107, 27)),
            epfd: b.u(134, 4) as u8,
            raim: b.b(148),
        }),
        5 => Body::StaticVoyage(StaticVoyage {
            ais_version: b.u(38, 2) as u8,
            imo: Some(b.u(40, 30)).filter(|&i| i != 0),
            callsign: b.text(70, 7),
            shipname: b.text(112, 20),
            ship_type: nonzero_u8(b.u(232, 8)),
            dimensions: dims(b, 240),
            epfd: b.u(270, 4) as u8,
            eta: Eta {
                month: Some(b.u(274, 4) as u8).filter(|m| (1..=12).contains(m)),
                day: nonzero_u8(b.u(278, 5)),
                hour: Some(b.u(283, 5) as u8).filter(|&h| h < 24),
                minute: Some(b.u(288, 6) as u8).filter(|&m| m < 60),
            },
            draught: Some(b.u(294, 8)).filter(|&d| d != 0).map(|d| f64::from(d) / 10.0),
            destination: b.text(302, 20),
            dte: b.b(422),
        }),
        18 => Body::ClassB(ClassBPosition {
            speed: speed(b.u(46, 10)),
            accuracy: b.b(56),
            lon: lon(b.i(57, 28)),
            lat: lat(b.i(85, 27)),
            course: course(b.u(112, 12)),
            heading: heading(b.u(124, 9)),
            second: second(b.u(133, 6)),
            cs: b.b(141),
            display: b.b(142),
            dsc: b.b(143),
            band: b.b(144),
            msg22: b.b(145),
            assigned: b.b(146),
            raim: b.b(147),
        }),
        19 => Body::ClassBExtended(ClassBExtended {
            speed: speed(b.u(46, 10)),
            accuracy: b.b(56),
            lon: lon(b.i(57, 28)),
            lat: lat(b.i(85, 27)),
            course: course(b.u(112, 12)),
            heading: heading(b.u(124, 9)),
            second: second(b.u(133, 6)),
            shipname: b.text(143, 20),
            ship_type: nonzero_u8(b.u(263, 8)),
            dimensions: dims(b, 271),
            epfd: b.u(301, 4) as u8,
            raim: b.b(305),
            dte: b.b(306),
            assigned: b.b(307),
        }),
        21 => {
            let mut name: Text<34> = b.text(43, 20);
            // The extension (up to 14 more characters) follows the fixed part when the name fills all
            // 20 characters (no `@`); a space at the end of the fixed part belongs to the name.
            let ext: Text<14> = b.text(272, 14);
            if !ext.is_empty() && (0..20).all(|i| b.u(43 + 6 * i, 6) != 0) {
                let mut joined = [0_u8; 34];
                for (i, c) in joined.iter_mut().take(20).enumerate() {
                    *c = crate::bits::TEXT[b.u(43 + 6 * i, 6) as usize];
                }
                joined[20..20 + ext.len()].copy_from_slice(ext.as_str().as_bytes());
                name.set(&joined[..20 + ext.len()]);
            }
            Body::AidToNavigation(AidToNavigation {
                aid_type: b.u(38, 5) as u8,
                name,
                accuracy: b.b(163),
                lon: lon(b.i(164, 28)),
                lat: lat(b.i(192, 27)),
                dimensions: dims(b, 219),
                epfd: b.u(249, 4) as u8,
                second: second(b.u(253, 6)),
                off_position: b.b(259),
                raim: b.b(268),
                virtual_aid: b.b(269),
                assigned: b.b(270),
            })
        }
        24 => match partno {
            0 => Body::StaticPartA(StaticPartA { shipname: b.text(40, 20) }),
            1 => Body::StaticPartB(StaticPartB {
                ship_type: nonzero_u8(b.u(40, 8)),
                vendor_id: b.text(48, 3),
                model: b.u(66, 4) as u8,
                serial: b.u(70, 20),
                callsign: b.text(90, 7),
                hull: if mmsi / 10_000_000 == 98 {
                    Hull::Mothership(b.u(132, 30))
                } else {
                    Hull::Dimensions(dims(b, 132))
                },
            }),
            p => return Err(Error::PartNumber(p as u8)),
        },
        27 => Body::LongRange(LongRange {
            accuracy: b.b(38),
            raim: b.b(39),
            status: b.u(40, 4) as u8,
            lon: coord(b.i(44, 18), 600.0, 180.0),
            lat: coord(b.i(62, 17), 600.0, 90.0),
            speed: Some(b.u(79, 6) as u8).filter(|&s| s < 63),
            course: Some(b.u(85, 9) as u16).filter(|&c| c < 360),
            gnss: b.b(94),
        }),
        _ => Body::Unsupported,
    };
    Ok(Message { msg_type, repeat, mmsi, own: false, channel: 0, time: None, station: None, body })
}

/// English name of a navigational status code (ITU-R M.1371-5 table 45).
pub fn nav_status_name(status: u8) -> &'static str {
    match status {
        0 => "under way using engine",
        1 => "at anchor",
        2 => "not under command",
        3 => "restricted manoeuvrability",
        4 => "constrained by her draught",
        5 => "moored",
        6 => "aground",
        7 => "engaged in fishing",
        8 => "under way sailing",
        9 => "reserved (HSC)",
        10 => "reserved (WIG)",
        11 => "power-driven vessel towing astern",
        12 => "power-driven vessel pushing ahead or towing alongside",
        13 => "reserved",
        14 => "AIS-SART, MOB-AIS or EPIRB-AIS active",
        _ => "not defined",
    }
}

/// English name of a ship and cargo type (ITU-R M.1371-5 table 53), by its first digit where the
/// second digit is a hazard category.
pub fn ship_type_name(ship_type: u8) -> &'static str {
    match ship_type {
        0 => "not available",
        1..=19 => "reserved",
        20..=29 => "wing in ground",
        30 => "fishing",
        31 | 32 => "towing",
        33 => "dredging or underwater operations",
        34 => "diving operations",
        35 => "military operations",
        36 => "sailing",
        37 => "pleasure craft",
        38 | 39 => "reserved",
        40..=49 => "high-speed craft",
        50 => "pilot vessel",
        51 => "search and rescue vessel",
        52 => "tug",
        53 => "port tender",
        54 => "anti-pollution equipment",
        55 => "law enforcement",
        56 | 57 => "spare (local vessel)",
        58 => "medical transport",
        59 => "noncombatant ship (RR resolution 18)",
        60..=69 => "passenger",
        70..=79 => "cargo",
        80..=89 => "tanker",
        90..=99 => "other",
        _ => "reserved",
    }
}
