//! Geofence events from a track's previous and current position, and the CoT alert sent for one.
//!
//! The fences are the agreement's zones and lines. For each zone, from whether the previous and the
//! current position are inside (as the classifier decides, so a fence means exactly what a
//! violation means):
//!
//! | previous | current | event |
//! |---|---|---|
//! | none (first position of the uid) | inside | `inside` |
//! | outside | inside | `enter` |
//! | inside | outside | `exit` |
//! | outside | outside, but the segment passes through | `cross` |
//!
//! and for each line, a change of side (the ground of one party, then the other's) is a `cross`.
//!
//! `cross` through a zone is an approximation: the straight segment between the two reports (a
//! geodesic on WGS84) is sampled every [`SAMPLE_SPACING_M`] (500 m), with at most [`MAX_SAMPLES`]
//! (200) samples spread evenly over longer jumps; the track crossed a zone if a sample is inside it.
//! A zone narrower than the spacing can be missed, and the track's real path between two reports
//! is unknown anyway: the event says "the straight line between two reports passes through".
//!
//! Zones of kind `force_standoff` concern the reassurance force only: they are fenced for friendly
//! tracks (`a-f-*`, `a-a-*`) alone. Zones apply whatever the phase in force: a fence is geometry.

use time::{Duration, OffsetDateTime};
use truce_core::{GeofenceKind, GeofenceRow};
use truce_cot::event::{Contact, Link, Remarks, UNKNOWN_ERROR};
use truce_cot::{Detail, Event, Point};
use truce_engine::classify::Observation;
use truce_engine::{Agreement, Classification, SideOf};
use truce_geo::LonLat;
use truce_geo::geodesic::{azimuth_and_distance, destination};

/// Spacing of the samples along a segment, metres.
pub const SAMPLE_SPACING_M: f64 = 500.0;

/// Most samples taken along one segment.
pub const MAX_SAMPLES: usize = 200;

/// The longest uid written whole into a geofence id; longer ones are replaced by a hash so that
/// the id stays a valid CoT uid (at most 256 characters).
const MAX_UID_IN_ID: usize = 160;

/// Where a track was: the inputs of the next comparison.
#[derive(Debug, Clone)]
pub(crate) struct Fix {
    pub(crate) time: OffsetDateTime,
    pub(crate) stale: OffsetDateTime,
    pub(crate) position: LonLat,
    /// Zones containing the position, in the agreement's order.
    pub(crate) zones: Vec<usize>,
    /// The last party whose ground the track was on, for every line in the agreement's order: a
    /// report on the line itself (or beyond its ends) keeps the side before it, so that a track
    /// stepping onto the line and then off it on the other side still crosses.
    pub(crate) sides: Vec<SideOf>,
}

impl Fix {
    pub(crate) fn new(
        time: OffsetDateTime,
        stale: OffsetDateTime,
        position: LonLat,
        c: &Classification,
        prev: Option<&Fix>,
    ) -> Self {
        let sides = c
            .lines
            .iter()
            .enumerate()
            .map(|(li, l)| match (l.side, prev.and_then(|p| p.sides.get(li))) {
                (SideOf::On | SideOf::Undetermined, Some(&before)) => before,
                (side, _) => side,
            })
            .collect();
        Fix { time, stale, position, zones: c.zones.clone(), sides }
    }
}

/// The track a geofence event is about.
pub(crate) struct TrackRef<'a> {
    pub(crate) uid: &'a str,
    pub(crate) callsign: &'a str,
    pub(crate) type_: &'a str,
    pub(crate) friendly: bool,
}

/// A 64-bit FNV-1a hash, for ids that must stay short.
pub(crate) fn fnv(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// `gf-<uid>-<unix ms>-<fence id>-<kind>`.
fn event_id(uid: &str, time: OffsetDateTime, fence: &str, kind: GeofenceKind) -> String {
    let ms = time.unix_timestamp_nanos() / 1_000_000;
    if uid.chars().count() <= MAX_UID_IN_ID {
        format!("gf-{uid}-{ms}-{fence}-{kind}")
    } else {
        format!("gf-h{:016x}-{ms}-{fence}-{kind}", fnv(uid))
    }
}

/// The geofence events between `prev` (if any) and the current fix, whose classification is `cur`.
/// `sample` is scratch space for the samples along the segment.
pub(crate) fn events(
    agreement: &Agreement,
    track: &TrackRef<'_>,
    prev: Option<&Fix>,
    cur: &Fix,
    sample: &mut Classification,
) -> Vec<GeofenceRow> {
    let mut out = Vec::new();
    let applies = |zi: usize| track.friendly || agreement.zones[zi].kind != truce_core::ZoneKind::ForceStandoff;
    let row = |kind: GeofenceKind, fence_id: &str, fence_name: &str, fence_kind: &str| GeofenceRow {
        id: event_id(track.uid, cur.time, fence_id, kind),
        uid: track.uid.to_owned(),
        callsign: track.callsign.to_owned(),
        track_type: track.type_.to_owned(),
        kind,
        fence_id: fence_id.to_owned(),
        fence_name: fence_name.to_owned(),
        fence_kind: fence_kind.to_owned(),
        from_side: None,
        to_side: None,
        time: cur.time,
        lat: cur.position.lat,
        lon: cur.position.lon,
        prev_lat: prev.map(|p| p.position.lat),
        prev_lon: prev.map(|p| p.position.lon),
        label: truce_core::Label::default(),
    };
    let zone_row = |kind: GeofenceKind, zi: usize| {
        let z = &agreement.zones[zi];
        row(kind, &z.id, &z.name, z.kind.id())
    };
    let Some(prev) = prev else {
        out.extend(cur.zones.iter().filter(|&&zi| applies(zi)).map(|&zi| zone_row(GeofenceKind::Inside, zi)));
        return out;
    };

    let mut outside_both = Vec::new();
    for zi in (0..agreement.zones.len()).filter(|&zi| applies(zi)) {
        match (prev.zones.contains(&zi), cur.zones.contains(&zi)) {
            (false, true) => out.push(zone_row(GeofenceKind::Enter, zi)),
            (true, false) => out.push(zone_row(GeofenceKind::Exit, zi)),
            (true, true) => {}
            (false, false) => outside_both.push(zi),
        }
    }
    let crossed = crossed_zones(agreement, prev.position, cur.position, &outside_both, sample);
    out.extend(crossed.into_iter().map(|zi| zone_row(GeofenceKind::Cross, zi)));

    for (li, line) in agreement.lines.iter().enumerate() {
        if let (Some(SideOf::Party(a)), Some(SideOf::Party(b))) = (prev.sides.get(li), cur.sides.get(li))
            && a != b
        {
            let mut r = row(GeofenceKind::Cross, &line.id, &line.name, "line");
            r.from_side = Some(agreement.parties[*a].id.clone());
            r.to_side = Some(agreement.parties[*b].id.clone());
            out.push(r);
        }
    }
    out
}

/// The zones among `candidates` that a sample of the segment `a`–`b` falls in. See the module
/// documentation for the sampling.
fn crossed_zones(
    agreement: &Agreement,
    a: LonLat,
    b: LonLat,
    candidates: &[usize],
    sample: &mut Classification,
) -> Vec<usize> {
    let mut found = Vec::new();
    if candidates.is_empty() {
        return found;
    }
    let (azimuth, length_m) = azimuth_and_distance(a, b);
    if length_m.is_nan() || length_m <= SAMPLE_SPACING_M {
        return found;
    }
    // Interior samples every 500 m, or MAX_SAMPLES evenly spaced when that would be more.
    let at_spacing = (length_m / SAMPLE_SPACING_M).ceil() as usize - 1;
    let n = at_spacing.min(MAX_SAMPLES);
    let step = if at_spacing <= MAX_SAMPLES { SAMPLE_SPACING_M } else { length_m / (n + 1) as f64 };
    for i in 1..=n {
        let p = destination(a, azimuth, step * i as f64);
        agreement.classify_into(&Observation::at(p), sample);
        for &zi in &sample.zones {
            if candidates.contains(&zi) && !found.contains(&zi) {
                found.push(zi);
            }
        }
        if found.len() == candidates.len() {
            break;
        }
    }
    found.sort_unstable();
    found
}

/// The sentence a watch officer reads for a geofence event.
pub fn sentence(ev: &GeofenceRow) -> String {
    let who = &ev.callsign;
    let what = &ev.fence_name;
    match ev.kind {
        GeofenceKind::Enter => format!("{who} entered {what}"),
        GeofenceKind::Exit => format!("{who} left {what}"),
        GeofenceKind::Inside => format!("{who} is inside {what} (first position reported)"),
        GeofenceKind::Cross => match (&ev.from_side, &ev.to_side) {
            (Some(from), Some(to)) => format!("{who} crossed {what} from {from} to {to} ground"),
            _ => format!("{who} crossed {what} between two reports (straight line between them)"),
        },
    }
}

/// The ATAK geofence alert for `ev`: type `b-a-g`, how `h-g-i-g-o`, uid the event's id, at the
/// track's position, stale ten minutes after `now`, with the [`sentence`] as remarks, a parent link
/// (`p-p`) to the track, and the contact callsign `truce`.
pub fn geofence_cot(ev: &GeofenceRow, now: OffsetDateTime) -> Event {
    Event {
        version: "2.0".to_owned(),
        uid: ev.id.clone(),
        type_: "b-a-g".to_owned(),
        how: "h-g-i-g-o".to_owned(),
        time: now,
        start: now,
        stale: now.checked_add(Duration::minutes(10)).unwrap_or(now),
        access: None,
        qos: None,
        opex: None,
        point: Point { lat: ev.lat, lon: ev.lon, hae: UNKNOWN_ERROR, ce: UNKNOWN_ERROR, le: UNKNOWN_ERROR },
        detail: Detail {
            contact: Some(Contact { callsign: Some("truce".to_owned()), ..Contact::default() }),
            remarks: Some(Remarks { text: sentence(ev), ..Remarks::default() }),
            links: vec![Link {
                uid: Some(ev.uid.clone()),
                type_: Some(ev.track_type.clone()),
                relation: Some("p-p".to_owned()),
                ..Link::default()
            }],
            ..Detail::default()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_stay_valid_cot_uids() {
        let t = time::macros::datetime!(2026-11-22 08:00 UTC);
        assert_eq!(event_id("ANDROID-1", t, "loc", GeofenceKind::Cross), "gf-ANDROID-1-1795334400000-loc-cross");
        let long = "x".repeat(256);
        let id = event_id(&long, t, "force_standoff", GeofenceKind::Enter);
        assert!(id.chars().count() <= 256, "{id}");
        assert_ne!(id, event_id(&"y".repeat(256), t, "force_standoff", GeofenceKind::Enter));
    }
}
