//! TAK tracks: what truce makes of every Cursor on Target event a TAK client sends.
//!
//! The network server (`truce-tak`) hands each received [`Event`] with its [`Source`] to
//! [`Tracker::process`], which returns, without doing I/O:
//!
//! 1. a [`TrackRow`] for the history, always, with the position classified against the agreement
//!    (zones, and per line the side and distance) unless the event has no position (CoT writes
//!    lat = lon = 0 for that: pings `t-x-c-t`, protocol control `t-x-takp-*`);
//! 2. a weapon-sighting observation when the event is a hostile-looking mark of a weapon
//!    ([`cot_type`]), built as the observation API builds one (same defaults, same limits), with id
//!    `cot-<uid>` so that later edits of a marker are duplicates in the observation log; the node's
//!    pipeline validates, classifies, stores and publishes it like any other observation;
//! 3. geofence events from the previous and the current position of the uid ([`geofence`]), for
//!    atoms (`a-*`) that are not weapon marks.
//!
//! The caller stores the points and geofence events (`TrackStore::insert_tracks` of `truce-store`),
//! hands the sightings to its observation pipeline, and sends [`geofence_cot`] alerts to its clients.
//!
//! The tracker keeps the last position of every uid (and its zones and line sides) in memory; it
//! does not survive a restart, so the first report of a track after one is compared with nothing
//! and gives `inside` events again. A report older than the last one of its uid (a late delivery)
//! is stored in the history but neither compared nor remembered, so it cannot make a track jump
//! back. Uids whose last report went stale more than an hour ago are forgotten (checked every
//! [`PRUNE_EVERY`] events), so memory follows the live picture rather than the history.

pub mod contact;
pub mod cot_type;
pub mod geofence;

use std::collections::HashMap;
use std::sync::Arc;

use time::{Duration, OffsetDateTime};
use truce_core::{Category, LocationPrecision, Marking, Means, Observation, Observer, TimePrecision};
use truce_cot::Event;
use truce_engine::{Agreement, Classification};
use truce_geo::LonLat;

pub use geofence::geofence_cot;
pub use truce_core::{GeofenceKind, GeofenceRow, TrackRow};

use crate::cot_type::{Affiliation, WeaponMark, weapon_mark};
use crate::geofence::{Fix, TrackRef};

/// Where an event came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The sender's identity: its TLS certificate's CN, or the callsign it announced.
    pub identity: String,
    /// The sender's team (`__group` name), if known.
    pub group: Option<String>,
    /// The connection, such as `tcp:127.0.0.1:5555`.
    pub peer: String,
    /// The label of what it sends: its user's default (the anonymous viewer's for plain TCP and UDP).
    pub label: truce_core::Label,
}

/// What one event gave.
#[derive(Debug, Clone, PartialEq)]
pub struct Processed {
    /// The history row (every event has one).
    pub point: TrackRow,
    /// The weapon-sighting observation, when the event marks one: built as the observation API
    /// builds one, not yet classified (the node's pipeline classifies and stores it).
    pub observation: Option<Observation>,
    /// Geofence events: `inside`, `enter` and `exit` in the agreement's order of zones, then zones
    /// crossed, then lines crossed.
    pub geofence: Vec<GeofenceRow>,
}

/// How many events between two prunes of forgotten tracks.
pub const PRUNE_EVERY: u64 = 4_096;

/// How long after its stale time a track is remembered.
const REMEMBER_AFTER_STALE: Duration = Duration::hours(1);

/// The longest circular error (1 sigma, metres) for which a marked position counts as exact.
pub const EXACT_CE_M: f64 = 100.0;

/// Limits of the observation API (`truce-formats`), kept here so a sighting always passes it.
const MAX_ID: usize = 200;
const MAX_NAME: usize = 200;
const MAX_TEXT: usize = 10_000;
const MAX_SOURCE_REF: usize = 1_000;

/// Turns CoT events into track points, observations and geofence events. See the crate
/// documentation.
#[derive(Debug)]
pub struct Tracker {
    agreement: Arc<Agreement>,
    last: HashMap<String, Fix>,
    scratch: Classification,
    sample: Classification,
    processed: u64,
}

impl Tracker {
    /// A tracker that knows no track yet.
    pub fn new(agreement: Arc<Agreement>) -> Self {
        Tracker {
            agreement,
            last: HashMap::new(),
            scratch: Classification::default(),
            sample: Classification::default(),
            processed: 0,
        }
    }

    /// The agreement fences and classifications are computed against.
    pub fn agreement(&self) -> &Arc<Agreement> {
        &self.agreement
    }

    /// How many uids the tracker remembers a position for.
    pub fn tracks(&self) -> usize {
        self.last.len()
    }

    /// Remembers the tracks of a previous run (the store's latest row of every uid), so that a restart
    /// does not report each track's next position as first seen (`inside`) again. Rows without a
    /// position, weapon marks and non-atoms are skipped, as `process` would.
    pub fn resume(&mut self, rows: &[TrackRow]) {
        for row in rows {
            let position = LonLat::new(row.lon, row.lat);
            if (row.lat == 0.0 && row.lon == 0.0)
                || Affiliation::of(&row.type_).is_none()
                || weapon_mark(&row.type_).is_some()
                || self.last.get(&row.uid).is_some_and(|f| f.time >= row.time)
            {
                continue;
            }
            let obs = truce_engine::Observation { time: Some(row.time), ..truce_engine::Observation::at(position) };
            self.agreement.classify_into(&obs, &mut self.scratch);
            let fix = Fix::new(row.time, row.stale, position, &self.scratch, None);
            self.last.insert(row.uid.clone(), fix);
        }
    }

    /// Processes one received event. See the crate documentation.
    pub fn process(&mut self, ev: &Event, source: &Source, received_at: OffsetDateTime) -> Processed {
        self.processed += 1;
        if self.processed.is_multiple_of(PRUNE_EVERY) {
            self.last.retain(|_, f| f.stale + REMEMBER_AFTER_STALE > received_at);
        }
        let position = has_position(ev).then(|| LonLat::new(ev.point.lon, ev.point.lat));
        let classification = position.map(|p| {
            let obs = truce_engine::Observation { time: Some(ev.time), ..truce_engine::Observation::at(p) };
            self.agreement.classify_into(&obs, &mut self.scratch);
            let r = self.agreement.record(&self.scratch);
            serde_json::json!({ "lines": r.lines, "zones": r.zones }).to_string()
        });
        let callsign = ev.detail.contact.as_ref().and_then(|c| c.callsign.clone());
        let point = TrackRow {
            uid: ev.uid.clone(),
            type_: ev.type_.clone(),
            how: ev.how.clone(),
            callsign: callsign.clone(),
            group: ev.detail.group.as_ref().and_then(|g| g.name.clone()),
            source: source.identity.clone(),
            peer: source.peer.clone(),
            time: ev.time,
            start: ev.start,
            stale: ev.stale,
            received_at,
            lat: ev.point.lat,
            lon: ev.point.lon,
            hae: ev.point.hae,
            ce: ev.point.ce,
            course: ev.detail.track.as_ref().and_then(|t| t.course),
            speed: ev.detail.track.as_ref().and_then(|t| t.speed),
            classification,
            xml: truce_cot::xml::to_xml(ev),
            label: source.label.clone(),
        };
        let Some(position) = position else {
            return Processed { point, observation: None, geofence: Vec::new() };
        };

        // The fix must be taken before `scratch` is reused for the observation.
        let affiliation = Affiliation::of(&ev.type_);
        let mark = weapon_mark(&ev.type_);
        let geofence = match (affiliation, mark) {
            (Some(affiliation), None) => match self.last.get(&ev.uid) {
                Some(prev) if ev.time < prev.time => Vec::new(),
                prev => {
                    let cur = Fix::new(ev.time, ev.stale, position, &self.scratch, prev);
                    let track = TrackRef {
                        uid: &ev.uid,
                        callsign: callsign.as_deref().unwrap_or(&ev.uid),
                        type_: &ev.type_,
                        friendly: affiliation.is_friendly(),
                    };
                    let mut events = geofence::events(&self.agreement, &track, prev, &cur, &mut self.sample);
                    for e in &mut events {
                        e.label = source.label.clone();
                    }
                    self.last.insert(ev.uid.clone(), cur);
                    events
                }
            },
            _ => Vec::new(),
        };
        let observation = match mark {
            Some(m) => Some(self.sighting(ev, m, source)),
            None => self.craft_in_zone(ev, source, position, &geofence),
        };
        Processed { point, observation, geofence }
    }

    /// The observation a sea or air sensor makes when a craft the agreement restricts (a military
    /// vessel, an unmanned aircraft: [`contact::category`]) enters or is first seen inside a zone
    /// where its category is a violation: one per entry, since geofence events are. The observer is
    /// the feed (means `sensor`); the confidence is `probable`, as AIS and ADS-B are what the craft
    /// says of itself and can be spoofed. Its label is the feed's.
    fn craft_in_zone(
        &mut self,
        ev: &Event,
        source: &Source,
        position: LonLat,
        geofence: &[GeofenceRow],
    ) -> Option<Observation> {
        let category = contact::category(&ev.uid, &ev.type_)?;
        let entered: Vec<&GeofenceRow> =
            geofence.iter().filter(|g| matches!(g.kind, GeofenceKind::Enter | GeofenceKind::Inside)).collect();
        let first = entered.first()?;
        let obs = truce_engine::Observation {
            time: Some(ev.time),
            category: Some(category),
            ..truce_engine::Observation::at(position)
        };
        self.agreement.classify_into(&obs, &mut self.scratch);
        if self.scratch.violations.is_empty() {
            return None;
        }
        let zones: Vec<&str> = entered.iter().map(|g| g.fence_name.as_str()).collect();
        let name = ev.detail.contact.as_ref().and_then(|c| c.callsign.as_deref()).unwrap_or(&ev.uid);
        let remarks = ev.detail.remarks.as_ref().map_or("", |r| r.text.as_str());
        let text = format!("{name} ({remarks}) entered {} as reported by {}", zones.join(", "), source.identity);
        Some(Observation {
            id: format!("{}-{}-{}", ev.uid, first.fence_id, ev.time.unix_timestamp()),
            time: ev.time,
            time_end: None,
            time_precision: TimePrecision::Exact,
            lat: ev.point.lat,
            lon: ev.point.lon,
            location_precision: LocationPrecision::Exact,
            place: None,
            observer: Observer {
                means: Means::Sensor,
                team: None,
                callsign: clean(&source.identity, MAX_NAME),
                lat: None,
                lon: None,
                bearing_deg: None,
                range_m: None,
            },
            category,
            weapon_class: None,
            count: Some(1),
            direction: ev.detail.track.as_ref().and_then(|t| t.course).map(|c| format!("{c:.0}°")),
            party: None,
            confidence: Some(truce_core::Confidence::Probable),
            reason: None,
            casualties: None,
            text: clean(&text, MAX_TEXT),
            source_ref: clean(&format!("{} via {} {}", ev.uid, source.identity, source.peer), MAX_SOURCE_REF),
            marking: source.label.marking,
            releasable_to: source.label.releasable_to.clone(),
            categories: source.label.categories.clone(),
        })
    }

    /// The weapon-sighting observation for a marked weapon, as the observation API would build it.
    fn sighting(&self, ev: &Event, mark: WeaponMark, source: &Source) -> Observation {
        let weapon_class = mark.class.filter(|c| self.agreement.class(c).is_some()).map(str::to_owned);
        let id = observation_id(&ev.uid);
        let identity = clean(&source.identity, MAX_NAME);
        let source_ref = match &identity {
            Some(who) => format!("cot:{} via {who}", ev.uid),
            None => format!("cot:{}", ev.uid),
        };
        Observation {
            id,
            time: ev.time,
            time_end: None,
            time_precision: TimePrecision::Exact,
            lat: ev.point.lat,
            lon: ev.point.lon,
            location_precision: if ev.point.ce <= EXACT_CE_M {
                LocationPrecision::Exact
            } else {
                LocationPrecision::Estimated
            },
            place: None,
            observer: Observer {
                means: Means::TakDevice,
                team: source.group.as_deref().and_then(|g| clean(g, MAX_NAME)),
                callsign: identity,
                lat: None,
                lon: None,
                bearing_deg: None,
                range_m: None,
            },
            category: Category::WeaponSighting,
            weapon_class,
            count: Some(1),
            direction: None,
            party: None,
            confidence: Some(mark.confidence),
            reason: None,
            casualties: None,
            text: ev.detail.remarks.as_ref().and_then(|r| clean(&r.text, MAX_TEXT)),
            source_ref: clean(&source_ref, MAX_SOURCE_REF),
            // The defaults of the observation API (truce-formats `from_json`).
            marking: Marking::NatoUnclassified,
            releasable_to: Vec::new(),
            categories: Vec::new(),
        }
    }
}

/// Whether the event carries a position: CoT writes lat = lon = 0 for "no position".
fn has_position(ev: &Event) -> bool {
    !(ev.point.lat == 0.0 && ev.point.lon == 0.0)
}

/// Text as the observation API keeps it: trimmed, absent when blank, at most `max` characters.
fn clean(s: &str, max: usize) -> Option<String> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    Some(match t.char_indices().nth(max) {
        Some((cut, _)) => t[..cut].trim_end().to_owned(),
        None => t.to_owned(),
    })
}

/// `cot-<uid>`, or `cot-h<hash of uid>` when that would not pass the API's id rules (too long, or
/// blank at either end, which the API would trim away).
fn observation_id(uid: &str) -> String {
    let id = format!("cot-{uid}");
    if id.chars().count() <= MAX_ID && id.trim() == id { id } else { format!("cot-h{:016x}", geofence::fnv(uid)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_cleaned_as_the_api_would() {
        assert_eq!(clean("  a b  ", 10).as_deref(), Some("a b"));
        assert_eq!(clean(" \n ", 10), None);
        assert_eq!(clean("abcdef", 3).as_deref(), Some("abc"));
        assert_eq!(clean("ééééé", 2).as_deref(), Some("éé"));
        assert_eq!(observation_id("ANDROID-1"), "cot-ANDROID-1");
        assert!(observation_id(&"x".repeat(256)).starts_with("cot-h"));
        assert!(observation_id("x ").starts_with("cot-h"));
    }
}
