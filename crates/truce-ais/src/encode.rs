//! Writing AIS sentences: what the demo's simulated vessels transmit and what the feed's tests send,
//! so that both go through the real decoder over the real protocol.
//!
//! Only what a vessel sends is written: the class A position report (type 1) and the static and
//! voyage data (type 5, two sentences). Fields are packed most significant bit first into a bit
//! string, armoured six bits per character, and framed as `!AIVDM` with its checksum, optionally
//! behind an NMEA 4.10 tag block carrying the receive time and the station (on every fragment, with a
//! `g:` group, when a message takes several sentences). Values out of range are
//! written as AIS's "not available" codes, never wrapped.

use std::fmt::Write as _;

/// A class A position report (type 1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Position {
    /// The vessel's MMSI.
    pub mmsi: u32,
    /// Navigational status (0 under way using engine, 1 at anchor, 5 moored, 7 fishing, 15 undefined).
    pub status: u8,
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Speed over ground, knots.
    pub speed_kn: Option<f64>,
    /// Course over ground, degrees.
    pub course_deg: Option<f64>,
    /// True heading, degrees.
    pub heading_deg: Option<u16>,
    /// UTC second of the report.
    pub second: u8,
}

/// Static and voyage data (type 5).
#[derive(Debug, Clone, PartialEq)]
pub struct Voyage {
    /// The vessel's MMSI.
    pub mmsi: u32,
    /// IMO number.
    pub imo: Option<u32>,
    /// Radio callsign (up to 7 characters).
    pub callsign: String,
    /// Name (up to 20 characters).
    pub name: String,
    /// Ship and cargo type.
    pub ship_type: u8,
    /// Length overall, metres (split 2:1 bow/stern for the reference point).
    pub length_m: u16,
    /// Beam, metres.
    pub beam_m: u8,
    /// Destination (up to 20 characters).
    pub destination: String,
}

/// An NMEA 4.10 tag block: receive time (unix seconds) and station.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tag<'a> {
    /// `c:` unix seconds.
    pub time: Option<i64>,
    /// `s:` station.
    pub station: Option<&'a str>,
}

struct BitWriter {
    bits: Vec<bool>,
}

impl BitWriter {
    fn new() -> Self {
        Self { bits: Vec::with_capacity(424) }
    }

    fn uint(&mut self, value: u64, width: usize) {
        for i in (0..width).rev() {
            self.bits.push((value >> i) & 1 == 1);
        }
    }

    fn int(&mut self, value: i64, width: usize) {
        // Two's complement in `width` bits.
        let mask = if width == 64 { u64::MAX } else { (1_u64 << width) - 1 };
        self.uint((value as u64) & mask, width);
    }

    fn text(&mut self, s: &str, chars: usize) {
        let mut n = 0;
        for c in s.chars().take(chars) {
            let c = c.to_ascii_uppercase();
            let v = match c {
                '@'..='_' => c as u64 - 64,
                ' '..='?' => c as u64,
                _ => 32,
            };
            self.uint(v, 6);
            n += 1;
        }
        for _ in n..chars {
            self.uint(0, 6);
        }
    }

    /// The armoured payload and its fill bits.
    fn armour(&self) -> (String, u8) {
        let fill = (6 - self.bits.len() % 6) % 6;
        let mut out = String::with_capacity(self.bits.len() / 6 + 1);
        let padded = self.bits.iter().copied().chain(std::iter::repeat_n(false, fill));
        let mut v = 0_u8;
        for (i, b) in padded.enumerate() {
            v = (v << 1) | u8::from(b);
            if i % 6 == 5 {
                out.push(char::from(if v < 40 { v + 48 } else { v + 56 }));
                v = 0;
            }
        }
        (out, fill as u8)
    }
}

fn checksum(body: &str) -> u8 {
    body.bytes().fold(0, |a, b| a ^ b)
}

fn tag_block(tag: Tag<'_>, group: Option<(usize, usize, u32)>) -> String {
    let mut fields = Vec::new();
    if let Some((n, total, id)) = group {
        fields.push(format!("g:{n}-{total}-{id}"));
    }
    if let Some(s) = tag.station {
        fields.push(format!("s:{s}"));
    }
    if let Some(t) = tag.time {
        fields.push(format!("c:{t}"));
    }
    if fields.is_empty() {
        return String::new();
    }
    let body = fields.join(",");
    format!("\\{body}*{:02X}\\", checksum(&body))
}

fn sentences(payload: &str, fill: u8, seq: u8, channel: char, tag: Tag<'_>) -> Vec<String> {
    // 60 characters per sentence keeps each under NMEA's 82 characters.
    let parts: Vec<&str> = payload.as_bytes().chunks(60).map(|c| std::str::from_utf8(c).unwrap_or("")).collect();
    let total = parts.len();
    parts
        .iter()
        .enumerate()
        .map(|(i, part)| {
            let seq = if total > 1 { (seq % 10).to_string() } else { String::new() };
            let f = if i + 1 == total { fill } else { 0 };
            let body = format!("AIVDM,{total},{},{seq},{channel},{part},{f}", i + 1);
            // Every fragment carries the tag block (with its NMEA 4.10 group when there are several), so
            // that each is dated and a receiver's assembly never times a recording's fragments out.
            let group = (total > 1 && (tag.time.is_some() || tag.station.is_some()))
                .then(|| (i + 1, total, u32::from(seq.parse::<u8>().unwrap_or(0)) + 1));
            let mut line = tag_block(tag, group);
            let _ = write!(line, "!{body}*{:02X}", checksum(&body));
            line
        })
        .collect()
}

/// The `!AIVDM` sentence of a position report, behind its tag block when `tag` has fields.
pub fn position(p: &Position, tag: Tag<'_>) -> String {
    let mut w = BitWriter::new();
    w.uint(1, 6);
    w.uint(0, 2);
    w.uint(u64::from(p.mmsi), 30);
    w.uint(u64::from(p.status.min(15)), 4);
    w.int(-128, 8);
    let sog = p.speed_kn.filter(|s| s.is_finite() && *s >= 0.0).map_or(1023, |s| ((s * 10.0).round() as u64).min(1022));
    w.uint(sog, 10);
    w.uint(1, 1);
    let lon =
        if p.lon.is_finite() && p.lon.abs() <= 180.0 { (p.lon * 600_000.0).round() as i64 } else { 181 * 600_000 };
    let lat = if p.lat.is_finite() && p.lat.abs() <= 90.0 { (p.lat * 600_000.0).round() as i64 } else { 91 * 600_000 };
    w.int(lon, 28);
    w.int(lat, 27);
    let cog =
        p.course_deg.filter(|c| c.is_finite()).map_or(3600, |c| ((c.rem_euclid(360.0) * 10.0).round() as u64) % 3600);
    w.uint(cog, 12);
    w.uint(p.heading_deg.filter(|h| *h < 360).map_or(511, u64::from), 9);
    w.uint(u64::from(p.second.min(63)), 6);
    w.uint(0, 2);
    w.uint(0, 3);
    w.uint(0, 1);
    w.uint(0, 19);
    let (payload, fill) = w.armour();
    sentences(&payload, fill, 0, 'A', tag).remove(0)
}

/// The two `!AIVDM` sentences of static and voyage data (`seq` is the sequential message id, 0–9).
pub fn voyage(v: &Voyage, seq: u8, tag: Tag<'_>) -> Vec<String> {
    let mut w = BitWriter::new();
    w.uint(5, 6);
    w.uint(0, 2);
    w.uint(u64::from(v.mmsi), 30);
    w.uint(0, 2);
    w.uint(u64::from(v.imo.unwrap_or(0)), 30);
    w.text(&v.callsign, 7);
    w.text(&v.name, 20);
    w.uint(u64::from(v.ship_type), 8);
    let bow = (v.length_m * 2 / 3).min(511);
    w.uint(u64::from(bow), 9);
    w.uint(u64::from(v.length_m.saturating_sub(bow).min(511)), 9);
    w.uint(u64::from((v.beam_m / 2).min(63)), 6);
    w.uint(u64::from((v.beam_m - v.beam_m / 2).min(63)), 6);
    w.uint(1, 4); // EPFD: GPS
    w.uint(0, 4); // ETA month: not available
    w.uint(0, 5);
    w.uint(24, 5);
    w.uint(60, 6);
    w.uint(0, 8); // draught not available
    w.text(&v.destination, 20);
    w.uint(0, 1);
    w.uint(0, 1);
    let (payload, fill) = w.armour();
    sentences(&payload, fill, seq, 'A', tag)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Body;
    use crate::{Config, Decoder, SourceKey};

    #[test]
    fn a_written_position_decodes_to_what_was_written() {
        let p = Position {
            mmsi: 272_123_456,
            status: 0,
            lat: 46.123_456,
            lon: 30.654_321,
            speed_kn: Some(11.3),
            course_deg: Some(201.4),
            heading_deg: Some(200),
            second: 17,
        };
        let line = position(&p, Tag { time: Some(1_795_000_000), station: Some("demo-odesa") });
        assert!(line.starts_with("\\s:demo-odesa,c:1795000000*"), "{line}");
        let m = Decoder::new(Config::default()).push_line(SourceKey(0), line.as_bytes(), None).unwrap().unwrap();
        assert_eq!((m.msg_type, m.mmsi), (1, 272_123_456));
        assert_eq!(m.time.map(|t| t.unix_millis()), Some(1_795_000_000_000));
        let Body::Position(r) = m.body else { panic!("{m:?}") };
        assert!((r.lat.unwrap() - 46.123_456).abs() < 1e-5 && (r.lon.unwrap() - 30.654_321).abs() < 1e-5);
        assert_eq!((r.speed, r.course, r.heading, r.second), (Some(11.3), Some(201.4), Some(200), Some(17)));
        let far = position(
            &Position { speed_kn: None, course_deg: None, heading_deg: None, lat: f64::NAN, ..p },
            Tag::default(),
        );
        let m = Decoder::new(Config::default()).push_line(SourceKey(0), far.as_bytes(), None).unwrap().unwrap();
        let Body::Position(r) = m.body else { panic!("{m:?}") };
        assert_eq!((r.speed, r.course, r.heading, r.lat), (None, None, None, None), "not available");
    }

    #[test]
    fn written_voyage_data_comes_back_in_two_fragments() {
        let v = Voyage {
            mmsi: 229_876_000,
            imo: Some(9_321_483),
            callsign: "9HA1234".into(),
            name: "Grain Star".into(),
            ship_type: 70,
            length_m: 190,
            beam_m: 32,
            destination: "ISTANBUL".into(),
        };
        let lines = voyage(&v, 3, Tag::default());
        assert_eq!(lines.len(), 2);
        let mut d = Decoder::new(Config::default());
        assert!(d.push_line(SourceKey(0), lines[0].as_bytes(), None).unwrap().is_none());
        let m = d.push_line(SourceKey(0), lines[1].as_bytes(), None).unwrap().unwrap();
        // Dated hours ago and read now: each fragment's tag block dates it, so none times out.
        let old = voyage(&v, 4, Tag { time: Some(1_700_000_000), station: Some("rx") });
        assert!(old[1].starts_with("\\g:2-2-5,s:rx,c:1700000000*"), "{}", old[1]);
        let now = Some(crate::Timestamp::from_unix_seconds(1_800_000_000));
        assert!(d.push_line(SourceKey(0), old[0].as_bytes(), now).unwrap().is_none());
        assert!(d.push_line(SourceKey(0), old[1].as_bytes(), now).unwrap().is_some());
        let Body::StaticVoyage(s) = m.body else { panic!("{m:?}") };
        assert_eq!(
            (s.shipname.as_str(), s.callsign.as_str(), s.destination.as_str()),
            ("GRAIN STAR", "9HA1234", "ISTANBUL")
        );
        assert_eq!((s.imo, s.ship_type), (Some(9_321_483), Some(70)));
        assert_eq!(u32::from(s.dimensions.to_bow) + u32::from(s.dimensions.to_stern), 190);
    }
}
