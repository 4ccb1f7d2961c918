//! Incidents: the observations of one event by several monitors, merged.
//!
//! A patrol hears an explosion and estimates it "3–5 km east-south-east"; a fixed camera records the
//! flash from another place; a UAV overhead gives its exact position. Counting each report would
//! count one explosion three times, so the daily report and the early-warning series count
//! **incidents**. The rule (documented with its numbers in `docs/incidents.md`) is a greedy
//! single pass in time order:
//!
//! 1. **Time**: an observation can join an incident whose time window, widened by
//!    [`Rule::window`], overlaps its own.
//! 2. **Category**: the same category, or two explosions of which one is `explosion_undetermined`
//!    (a patrol that heard what a camera saw as an impact); weapon sightings also need the same
//!    weapon class.
//! 3. **Observer**: one report per observer (team, else callsign) per incident.
//! 4. **Place**: the distance between the observation and the incident's best location is at most
//!    [`Rule::gate_sigma`] combined standard deviations (each position's uncertainty comes from
//!    how it was obtained: [`position_sigma_m`]).
//!
//! Among the incidents that pass, the nearest in standard deviations wins; none passing opens a new
//! incident. The best location of an incident is, in order of preference: the mean of its exact
//! positions (UAV, camera, sensor with a measured position); the intersection of two bearings from
//! different observers when they cross at 10° or more and the crossing agrees with both assessed
//! ranges; otherwise the inverse-variance weighted mean of the assessed positions. Every choice is
//! recorded in [`Incident::located_by`] with its uncertainty.

use std::borrow::Cow;
use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::hash::BuildHasherDefault;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use truce_core::StoredObservation;
use truce_core::{Casualties, Category, Confidence, LocationPrecision, Marking, Observation, ViolationRecord};
use truce_geo::LonLat;
use truce_geo::geodesic::distance_m;

/// The correlation rule's parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rule {
    /// Largest gap between two reports' time windows, seconds.
    pub window_s: i64,
    /// Gate: largest distance in combined standard deviations.
    pub gate_sigma: f64,
    /// Smallest angle between two bearings for their intersection to be used, degrees.
    pub min_crossing_deg: f64,
}

impl Default for Rule {
    fn default() -> Self {
        Self { window_s: 900, gate_sigma: 3.0, min_crossing_deg: 10.0 }
    }
}

impl Rule {
    /// The time window as a duration.
    pub fn window(&self) -> time::Duration {
        time::Duration::seconds(self.window_s)
    }
}

/// How an incident's best location was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Located {
    /// One report: its position.
    Single,
    /// The mean of exact positions (UAV, camera, sensor).
    Exact,
    /// Two bearings from different observers crossing.
    Intersection,
    /// The inverse-variance weighted mean of assessed positions.
    Combined,
}

/// One event, seen by one or more observers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    /// `inc-` followed by the id of its earliest observation: stable while that observation is.
    pub id: String,
    /// Start of the earliest report's window (UTC).
    #[serde(with = "time::serde::rfc3339")]
    pub time: OffsetDateTime,
    /// End of the latest report's window.
    #[serde(with = "time::serde::rfc3339")]
    pub time_end: OffsetDateTime,
    /// The most specific category reported (an impact rather than an undetermined explosion).
    pub category: Category,
    /// Weapon class, for weapon sightings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weapon_class: Option<String>,
    /// The party the reports attribute it to, when they agree.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub party: Option<String>,
    /// The largest count reported (reports of one event each count it whole).
    pub count: u32,
    /// Best latitude, degrees.
    pub lat: f64,
    /// Best longitude, degrees.
    pub lon: f64,
    /// One standard deviation of the best location, metres.
    pub uncertainty_m: f64,
    /// How the best location was obtained.
    pub located_by: Located,
    /// Confirmed when seen exactly or by two or more observers; else the report's own.
    pub confidence: Confidence,
    /// Sector name, when the caller assigned one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sector: Option<String>,
    /// Ids of the observations, in time order.
    pub observations: Vec<String>,
    /// The observers (team, callsign or means) in the same order.
    pub observers: Vec<String>,
    /// Violations found on any of its observations, each once.
    pub violations: Vec<ViolationRecord>,
    /// Zones (ids) containing any of its observations.
    pub zones: Vec<String>,
    /// Civilian casualties (the largest reported).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub casualties: Option<Casualties>,
    /// The highest marking of its observations.
    pub marking: Marking,
    /// Countries every observation is releasable to (the intersection). Shared between the incidents
    /// of one correlation that have the same list (most have: a mission's reports are mostly released
    /// alike), so a day of incidents held in memory holds each list once, not once an incident.
    pub releasable_to: Arc<[String]>,
    /// Every restrictive category of its observations (the union).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
}

impl Incident {
    /// True when any observation of the incident violated the agreement.
    pub fn is_violation(&self) -> bool {
        !self.violations.is_empty()
    }
}

/// One standard deviation of an observation's position, metres, from how it was obtained:
/// 50 m for an exact position; for one assessed from a bearing and range, 10% of the range along it
/// and 2° across it (at least 100 m; 1,000 m when no range is given); 2.5 km for a settlement,
/// 5 km near one and 25 km for a region.
pub fn position_sigma_m(o: &Observation) -> f64 {
    match o.location_precision {
        LocationPrecision::Exact => 50.0,
        LocationPrecision::Estimated => match o.observer.range_m {
            Some(r) if r.is_finite() && r > 0.0 => {
                let along = 0.10 * r;
                let across = r * 2f64.to_radians().sin();
                along.hypot(across).max(100.0)
            }
            _ => 1_000.0,
        },
        LocationPrecision::Settlement => 2_500.0,
        LocationPrecision::NearSettlement => 5_000.0,
        LocationPrecision::Region => 25_000.0,
    }
}

/// Whether two categories can describe the same event.
pub fn compatible(a: Category, b: Category) -> bool {
    a == b
        || (is_explosion(a)
            && is_explosion(b)
            && (a == Category::ExplosionUndetermined || b == Category::ExplosionUndetermined))
}

fn is_explosion(c: Category) -> bool {
    matches!(
        c,
        Category::ExplosionImpact
            | Category::ExplosionAirburst
            | Category::ExplosionOutgoing
            | Category::ExplosionUndetermined
    )
}

fn observer_key(o: &Observation) -> Cow<'_, str> {
    match (&o.observer.team, &o.observer.callsign) {
        (Some(team), _) => Cow::Borrowed(team),
        (None, Some(callsign)) => Cow::Borrowed(callsign),
        (None, None) => Cow::Owned(match (o.observer.lat, o.observer.lon) {
            (Some(lat), Some(lon)) => format!("{} at {lat:.4},{lon:.4}", o.observer.means),
            _ => format!("{} {}", o.observer.means, o.id),
        }),
    }
}

/// An instant as nanoseconds since the epoch: ordered as the instants are, and compared without the
/// offset arithmetic of `OffsetDateTime`'s own comparison (a day of a dense mission compares times
/// millions of times).
fn nanos(t: OffsetDateTime) -> i128 {
    t.unix_timestamp_nanos()
}

fn window_end(o: &Observation) -> OffsetDateTime {
    o.time_end.unwrap_or(o.time).max(o.time)
}

/// The smallest meridional radius of curvature of WGS84, a(1 − e²), metres.
const M_MIN: f64 = 6_335_439.327_083_17;
/// The smallest prime-vertical radius of curvature of WGS84, a, metres.
const N_MIN: f64 = 6_378_137.0;

/// A lower bound of the geodesic distance between `a` and `b` on WGS84 that holds whenever that
/// distance is at most `within` metres; so a bound above `within` proves the distance is above it.
///
/// Along any path ds² = M² dφ² + N² cos²φ dλ², with the meridional radius of curvature M at least
/// a(1 − e²) and the prime vertical one N at least a. A path no longer than `within` stays within
/// `within / M_min` radians of latitude of its ends, where cos φ is smallest at the poleward edge; so
/// the distance is at least M_min |Δφ| and at least N_min cos φ_edge |Δλ|.
fn distance_lower_bound_m(a: LonLat, b: LonLat, within: f64) -> f64 {
    let along_meridian = M_MIN * (a.lat - b.lat).abs().to_radians();
    let edge = (a.lat.abs().max(b.lat.abs()).to_radians() + within / M_MIN).min(std::f64::consts::FRAC_PI_2);
    let dlon = (a.lon - b.lon).abs();
    let dlon = if dlon > 180.0 { 360.0 - dlon } else { dlon };
    along_meridian.max(N_MIN * edge.cos() * dlon.to_radians())
}

/// An incident being built.
struct Open<'a> {
    members: Vec<&'a StoredObservation>,
    /// The members' observers (borrowed from the observations where they name a team or a callsign).
    keys: Vec<Cow<'a, str>>,
    end: OffsetDateTime,
    /// `end` plus the rule's window, as [`nanos`]: a report after this cannot join (kept, not added at
    /// each test).
    closes: i128,
    at: LonLat,
    sigma: f64,
    located_by: Located,
}

impl<'a> Open<'a> {
    fn new(s: &'a StoredObservation, rule: &Rule) -> Self {
        let o = &s.observation;
        Self {
            members: vec![s],
            keys: vec![observer_key(o)],
            end: window_end(o),
            closes: nanos(window_end(o) + rule.window()),
            at: LonLat::new(o.lon, o.lat),
            sigma: position_sigma_m(o),
            located_by: Located::Single,
        }
    }

    /// Whether the incident accepts `o` (at [`nanos`] `at`, seen by `key`), and at how many combined
    /// standard deviations.
    fn accepts(&self, o: &Observation, at: i128, key: &str, rule: &Rule) -> Option<f64> {
        // The cheap tests first (each a plain comparison; the answer does not depend on their order):
        // time, category, then distance, and only then the observers' keys and the weapon class.
        let first = &self.members[0].observation;
        if at > self.closes || !compatible(first.category, o.category) {
            return None;
        }
        let here = LonLat::new(o.lon, o.lat);
        let sigma = position_sigma_m(o);
        // Most open incidents are far away: ruled out by a bound from a few multiplications before the
        // exact geodesic (its iterative solution was most of the time of a week of 100,000 reports).
        // `self.sigma + sigma` is at least their `hypot`, so nothing the exact gate accepts is dropped.
        let reach = rule.gate_sigma * (self.sigma + sigma);
        if distance_lower_bound_m(self.at, here, reach) > reach
            || (o.category == Category::WeaponSighting && first.weapon_class != o.weapon_class)
            || self.keys.iter().any(|k| k == key)
        {
            return None;
        }
        let d = distance_m(self.at, here);
        let combined = self.sigma.hypot(sigma);
        let z = d / combined;
        (z <= rule.gate_sigma).then_some(z)
    }

    fn add(&mut self, s: &'a StoredObservation, key: Cow<'a, str>, rule: &Rule) {
        self.end = self.end.max(window_end(&s.observation));
        self.closes = nanos(self.end + rule.window());
        self.members.push(s);
        self.keys.push(key);
        self.locate(rule);
    }

    fn locate(&mut self, rule: &Rule) {
        let obs: Vec<&Observation> = self.members.iter().map(|s| &s.observation).collect();
        let exact: Vec<&&Observation> =
            obs.iter().filter(|o| o.location_precision == LocationPrecision::Exact).collect();
        if !exact.is_empty() {
            let n = exact.len() as f64;
            self.at =
                LonLat::new(exact.iter().map(|o| o.lon).sum::<f64>() / n, exact.iter().map(|o| o.lat).sum::<f64>() / n);
            self.sigma = 50.0 / n.sqrt();
            self.located_by = if obs.len() == 1 { Located::Single } else { Located::Exact };
            return;
        }
        if let Some((at, sigma)) = best_intersection(&obs, rule) {
            self.at = at;
            self.sigma = sigma;
            self.located_by = Located::Intersection;
            return;
        }
        let mut w_sum = 0.0;
        let (mut lon, mut lat) = (0.0, 0.0);
        for o in &obs {
            let w = position_sigma_m(o).powi(-2);
            w_sum += w;
            lon += w * o.lon;
            lat += w * o.lat;
        }
        self.at = LonLat::new(lon / w_sum, lat / w_sum);
        self.sigma = w_sum.sqrt().recip();
        self.located_by = if obs.len() == 1 { Located::Single } else { Located::Combined };
    }

    /// The incident; its releasable list is `shared` when equal to it.
    fn finish(&self, shared: &mut Option<Arc<[String]>>) -> Incident {
        let first = &self.members[0].observation;
        let obs: Vec<&Observation> = self.members.iter().map(|s| &s.observation).collect();
        let category =
            obs.iter().map(|o| o.category).find(|&c| c != Category::ExplosionUndetermined).unwrap_or(first.category);
        let party = {
            let mut parties = obs.iter().filter_map(|o| o.party.as_deref());
            let p = parties.next();
            if p.is_some() && parties.all(|q| Some(q) == p) { p.map(str::to_owned) } else { None }
        };
        let corroborated = self.keys.len() >= 2 || self.located_by == Located::Exact;
        let any_exact = obs.iter().any(|o| o.location_precision == LocationPrecision::Exact);
        let confidence = if corroborated || any_exact {
            Confidence::Confirmed
        } else {
            obs.iter().filter_map(|o| o.confidence).min_by_key(|c| confidence_rank(*c)).unwrap_or(Confidence::Possible)
        };
        let mut violations: Vec<ViolationRecord> = Vec::new();
        for s in &self.members {
            for v in &s.classification.violations {
                if !violations.iter().any(|w| w.code == v.code && w.zone == v.zone && w.class == v.class) {
                    violations.push(v.clone());
                }
            }
        }
        let mut zones: Vec<String> = Vec::new();
        for s in &self.members {
            for z in &s.classification.zones {
                if !zones.contains(z) {
                    zones.push(z.clone());
                }
            }
        }
        let casualties = obs.iter().filter_map(|o| o.casualties).max_by_key(|c| (c.killed, c.injured));
        let marking = obs.iter().map(|o| o.marking).max_by_key(|m| marking_rank(*m)).unwrap_or(first.marking);
        let mut releasable: Vec<&String> = first.releasable_to.iter().collect();
        releasable.retain(|c| obs.iter().all(|o| o.releasable_to.contains(c)));
        let releasable_to = share(releasable.into_iter(), shared);
        let categories: std::collections::BTreeSet<&String> = obs.iter().flat_map(|o| &o.categories).collect();
        let categories = categories.into_iter().cloned().collect();
        Incident {
            id: format!("inc-{}", first.id),
            time: obs.iter().map(|o| o.time).min().unwrap_or(first.time),
            time_end: self.end,
            category,
            weapon_class: first.weapon_class.clone(),
            party,
            count: obs.iter().filter_map(|o| o.count).max().unwrap_or(1),
            lat: (self.at.lat * 1e6).round() / 1e6,
            lon: (self.at.lon * 1e6).round() / 1e6,
            uncertainty_m: self.sigma.round(),
            located_by: self.located_by,
            confidence,
            sector: None,
            observations: obs.iter().map(|o| o.id.clone()).collect(),
            observers: self.keys.iter().map(|k| k.clone().into_owned()).collect(),
            violations,
            zones,
            casualties,
            marking,
            releasable_to,
            categories,
        }
    }
}

/// `list` as a shared list: `last` when it holds an equal one, else a new one, which `last` then holds.
/// Incidents made one after another mostly have equal releasable lists; sharing them keeps one copy.
pub fn share<'s>(list: impl Iterator<Item = &'s String> + Clone, last: &mut Option<Arc<[String]>>) -> Arc<[String]> {
    if let Some(kept) = last
        && kept.iter().eq(list.clone())
    {
        return Arc::clone(kept);
    }
    let made: Arc<[String]> = list.cloned().collect();
    *last = Some(Arc::clone(&made));
    made
}

fn confidence_rank(c: Confidence) -> u8 {
    match c {
        Confidence::Confirmed => 0,
        Confidence::Probable => 1,
        Confidence::Possible => 2,
    }
}

/// Rank of a marking, lowest first.
pub fn marking_rank(m: Marking) -> u8 {
    match m {
        Marking::NatoUnclassified => 0,
        Marking::NatoRestricted => 1,
        Marking::NatoConfidential => 2,
        Marking::NatoSecret => 3,
        Marking::CosmicTopSecret => 4,
    }
}

/// Metres east and north of `origin` (a local tangent plane; good to 0.1% within 50 km).
fn local(origin: LonLat, p: LonLat) -> (f64, f64) {
    let (m, n) = radii(origin.lat);
    ((p.lon - origin.lon).to_radians() * n * origin.lat.to_radians().cos(), (p.lat - origin.lat).to_radians() * m)
}

fn unlocal(origin: LonLat, (x, y): (f64, f64)) -> LonLat {
    let (m, n) = radii(origin.lat);
    LonLat::new(origin.lon + (x / (n * origin.lat.to_radians().cos())).to_degrees(), origin.lat + (y / m).to_degrees())
}

/// Meridional and prime-vertical radii of curvature of WGS84 at a latitude, metres.
fn radii(lat: f64) -> (f64, f64) {
    const A: f64 = 6_378_137.0;
    const E2: f64 = 6.694_379_990_14e-3;
    let s = lat.to_radians().sin();
    let w = (1.0 - E2 * s * s).sqrt();
    (A * (1.0 - E2) / (w * w * w), A / w)
}

/// The best crossing of two bearings from different observers, with its standard deviation.
fn best_intersection(obs: &[&Observation], rule: &Rule) -> Option<(LonLat, f64)> {
    let rays: Vec<(LonLat, f64, f64)> = obs
        .iter()
        .filter_map(|o| match (o.observer.lon, o.observer.lat, o.observer.bearing_deg) {
            (Some(lon), Some(lat), Some(b)) if lon.is_finite() && lat.is_finite() && b.is_finite() => {
                Some((LonLat::new(lon, lat), b, o.observer.range_m.unwrap_or(f64::NAN)))
            }
            _ => None,
        })
        .collect();
    let mut best: Option<(LonLat, f64)> = None;
    for i in 0..rays.len() {
        for j in i + 1..rays.len() {
            let ((p1, b1, r1), (p2, b2, r2)) = (rays[i], rays[j]);
            let origin = p1;
            let (x2, y2) = local(origin, p2);
            let (d1, d2) =
                ((b1.to_radians().sin(), b1.to_radians().cos()), (b2.to_radians().sin(), b2.to_radians().cos()));
            let cross = d1.0 * d2.1 - d1.1 * d2.0;
            let angle = cross.abs().asin().to_degrees();
            if angle < rule.min_crossing_deg || x2.hypot(y2) < 1.0 {
                continue;
            }
            // p1 + t1 d1 = p2 + t2 d2
            let t1 = (x2 * d2.1 - y2 * d2.0) / cross;
            let t2 = (x2 * d1.1 - y2 * d1.0) / cross;
            if t1 <= 0.0 || t2 <= 0.0 {
                continue;
            }
            let agrees = |t: f64, r: f64| r.is_nan() || (t - r).abs() <= rule.gate_sigma * 0.10 * r.max(1_000.0);
            if !agrees(t1, r1) || !agrees(t2, r2) {
                continue;
            }
            let sigma = (2f64.to_radians().sin() * t1.hypot(t2) / angle.to_radians().sin()).max(50.0);
            let at = unlocal(origin, (t1 * d1.0, t1 * d1.1));
            if best.is_none_or(|(_, s)| sigma < s) {
                best = Some((at, sigma));
            }
        }
    }
    best
}

/// Correlates observations into incidents. The input need not be sorted; the output is in time order.
/// Deterministic: the same observations give the same incidents.
pub fn correlate(observations: &[StoredObservation], rule: &Rule) -> Vec<Incident> {
    let mut c = Correlator::new(*rule, None);
    for s in in_order(observations) {
        c.push(s);
    }
    c.into_incidents()
}

/// The observations in the order the pass takes them: by time, then id.
pub fn in_order(observations: &[StoredObservation]) -> Vec<&StoredObservation> {
    let mut order: Vec<&StoredObservation> = observations.iter().collect();
    order.sort_by_cached_key(|s| (nanos(s.observation.time), s.observation.id.as_str()));
    order
}

/// `incidents` sorted by time, then id. Incidents are large and their times slow to compare: their
/// keys are sorted, each with its place, and the incidents are then put in that order in place, one
/// cycle of the permutation at a time (each incident moved once).
fn by_time(mut incidents: Vec<Incident>) -> Vec<Incident> {
    let mut keys: Vec<(i128, &str, usize)> =
        incidents.iter().enumerate().map(|(k, i)| (nanos(i.time), i.id.as_str(), k)).collect();
    keys.sort_unstable();
    // `from[i]`: where the incident that belongs at `i` is; `None` once `i` holds it.
    let mut from: Vec<Option<usize>> = keys.into_iter().map(|(.., k)| Some(k)).collect();
    for start in 0..from.len() {
        // Along the cycle through `start`: each place takes the incident from the next, which then
        // holds `start`'s, until the cycle comes back to `start`.
        let mut here = start;
        while let Some(next) = from[here].take() {
            if next == start {
                break;
            }
            incidents.swap(here, next);
            here = next;
        }
    }
    incidents
}

/// The greedy pass of [`correlate`] fed one observation at a time, so that assessments over a growing
/// prefix of the observations (the hourly replay) correlate each observation once: an incident that
/// nothing from now on can join is finished (and given its sector) once, when it closes, and only
/// the incidents still open are finished again on each [`Correlator::incidents`]. Fed the
/// observations of [`in_order`], it gives exactly what [`correlate`] (or [`incidents_in_sectors`])
/// gives for the observations pushed so far.
///
/// An observation joins the open incident that accepts it at the smallest distance in combined
/// standard deviations (on a tie, the one opened first). A day of a dense mission has hundreds of
/// incidents open at once, so they are not all tested: they close from a queue ordered by closing
/// time, and those located to within [`NARROW_M`] are filed by grid cell, so an observation tests only
/// the cells within the farthest distance such an incident could accept it at (see `Reach`), and
/// the few located more loosely. Which incidents are tested changes nothing but the work: an
/// incident outside those cells cannot accept the observation.
pub struct Correlator<'a> {
    rule: Rule,
    sectors: Option<&'a crate::Sectors>,
    /// Open incidents by slot, each with its opening's sequence number; `None` is a free slot.
    slots: Vec<Option<(u64, Open<'a>)>>,
    free: Vec<usize>,
    opened: u64,
    /// `(closes, slot, sequence)` for every time an open incident's closing time was set, earliest
    /// first; an entry whose incident is gone or now closes later is passed over.
    closing: BinaryHeap<Reverse<(i128, usize, u64)>>,
    /// Slots of the open incidents located to within [`NARROW_M`], by cell; the others in `wide`.
    cells: HashMap<(i32, i32), Vec<usize>, BuildHasherDefault<CellHasher>>,
    wide: Vec<usize>,
    done: Vec<Incident>,
    /// The releasable list of the incident finished last, shared with the next when equal.
    releasable: RefCell<Option<Arc<[String]>>>,
}

/// A hash for cell keys: the two coordinates packed and multiplied by a 64-bit odd constant (the keys
/// are ours, not an adversary's; SipHash was a fifth of the pass on a sparse day).
#[derive(Default)]
struct CellHasher(u64);

impl std::hash::Hasher for CellHasher {
    fn finish(&self) -> u64 {
        self.0.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(29)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8 | u64::from(b)).wrapping_mul(0x100_0000_01B3);
        }
    }

    fn write_i32(&mut self, n: i32) {
        self.0 = self.0 << 32 | u64::from(n as u32);
    }
}

/// Open incidents whose standard deviation is at most this (metres) are filed by cell.
pub const NARROW_M: f64 = 2_500.0;

/// Edge of a filing cell, degrees.
const CELL_DEG: f64 = 0.1;

/// Most cells an observation looks in; beyond (a region-wide report) it tests every open incident.
const MOST_CELLS: i64 = 64;

/// With this few incidents open, testing them all is cheaper than looking in cells.
const FEW: usize = 16;

/// Where an open incident is filed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Filed {
    Cell(i32, i32),
    Wide,
}

fn filed(open: &Open<'_>) -> Filed {
    if open.sigma <= NARROW_M {
        Filed::Cell((open.at.lon / CELL_DEG).floor() as i32, (open.at.lat / CELL_DEG).floor() as i32)
    } else {
        Filed::Wide
    }
}

/// The cells an observation at `here` with standard deviation `sigma` must look in: every incident
/// filed by cell that could accept it lies in them. Such an incident accepts only within
/// `gate · (its σ + σ) ≤ gate · (NARROW_M + σ) = R` metres (the exact gate is the smaller hypot), and a
/// geodesic no longer than `R` moves at most `R / M_min` radians of latitude and `R / (N_min cos φ)` of
/// longitude, with φ the most poleward latitude it can reach (the bounds of
/// `distance_lower_bound_m`). `None` when that is too many cells, near a pole or across the
/// antimeridian: then every open incident is tested.
struct Reach {
    lon: std::ops::RangeInclusive<i32>,
    lat: std::ops::RangeInclusive<i32>,
}

impl Reach {
    fn of(here: LonLat, sigma: f64, rule: &Rule) -> Option<Self> {
        let r = rule.gate_sigma * (NARROW_M + sigma);
        let dlat = (r / M_MIN).to_degrees();
        let edge = (here.lat.abs() + 2.0 * dlat).to_radians();
        if !(r.is_finite() && edge < 1.5) {
            return None;
        }
        let dlon = (r / (N_MIN * edge.cos())).to_degrees();
        if here.lon - dlon < -180.0 || here.lon + dlon > 180.0 {
            return None;
        }
        let cell = |x: f64| (x / CELL_DEG).floor() as i32;
        let (lon, lat) = (cell(here.lon - dlon)..=cell(here.lon + dlon), cell(here.lat - dlat)..=cell(here.lat + dlat));
        let n = (i64::from(*lon.end()) - i64::from(*lon.start()) + 1)
            * (i64::from(*lat.end()) - i64::from(*lat.start()) + 1);
        (n <= MOST_CELLS).then_some(Self { lon, lat })
    }
}

impl<'a> Correlator<'a> {
    /// An empty pass; with `sectors`, each incident gets its sector.
    pub fn new(rule: Rule, sectors: Option<&'a crate::Sectors>) -> Self {
        Self {
            rule,
            sectors,
            slots: Vec::new(),
            free: Vec::new(),
            opened: 0,
            closing: BinaryHeap::new(),
            cells: HashMap::default(),
            wide: Vec::new(),
            done: Vec::new(),
            releasable: RefCell::new(None),
        }
    }

    fn finish(&self, open: &Open<'_>) -> Incident {
        let mut i = open.finish(&mut self.releasable.borrow_mut());
        if let Some(sectors) = self.sectors {
            i.sector = sectors.name_of(LonLat::new(i.lon, i.lat)).map(str::to_owned);
        }
        i
    }

    fn file(&mut self, slot: usize, at: Filed) {
        match at {
            Filed::Cell(x, y) => self.cells.entry((x, y)).or_default().push(slot),
            Filed::Wide => self.wide.push(slot),
        }
    }

    fn unfile(&mut self, slot: usize, at: Filed) {
        let list = match at {
            Filed::Cell(x, y) => self.cells.get_mut(&(x, y)),
            Filed::Wide => Some(&mut self.wide),
        };
        if let Some(list) = list
            && let Some(k) = list.iter().position(|&s| s == slot)
        {
            list.swap_remove(k);
            if list.is_empty()
                && let Filed::Cell(x, y) = at
            {
                self.cells.remove(&(x, y));
            }
        }
    }

    /// Adds the next observation (in the order of [`in_order`]).
    pub fn push(&mut self, s: &'a StoredObservation) {
        let o = &s.observation;
        let at = nanos(o.time);
        // Close the incidents that nothing from now on can join.
        while let Some(&Reverse((closes, slot, seq))) = self.closing.peek() {
            if closes >= at {
                break;
            }
            self.closing.pop();
            let current = matches!(&self.slots[slot], Some((q, open)) if *q == seq && open.closes == closes);
            if let Some((_, open)) = self.slots[slot].take_if(|_| current) {
                self.unfile(slot, filed(&open));
                self.free.push(slot);
                let finished = self.finish(&open);
                self.done.push(finished);
            }
        }
        let key = observer_key(o);
        let mut best: Option<(f64, u64, usize)> = None;
        let mut test = |slot: usize, slots: &[Option<(u64, Open<'a>)>]| {
            if let Some((seq, open)) = &slots[slot]
                && let Some(z) = open.accepts(o, at, &key, &self.rule)
                && best.is_none_or(|(bz, bseq, _)| z.total_cmp(&bz).then(seq.cmp(&bseq)).is_lt())
            {
                best = Some((z, *seq, slot));
            }
        };
        let few = self.slots.len() - self.free.len() <= FEW;
        let reach = if few { None } else { Reach::of(LonLat::new(o.lon, o.lat), position_sigma_m(o), &self.rule) };
        match reach {
            Some(reach) => {
                for x in reach.lon.clone() {
                    for y in reach.lat.clone() {
                        for &slot in self.cells.get(&(x, y)).map_or(&[][..], Vec::as_slice) {
                            test(slot, &self.slots);
                        }
                    }
                }
                for &slot in &self.wide {
                    test(slot, &self.slots);
                }
            }
            None => (0..self.slots.len()).for_each(|slot| test(slot, &self.slots)),
        }
        let (slot, seq) = match best {
            Some((_, seq, slot)) => {
                let Some((_, open)) = &mut self.slots[slot] else { unreachable!("a tested slot is open") };
                let before = filed(open);
                open.add(s, key, &self.rule);
                let after = filed(open);
                if before != after {
                    self.unfile(slot, before);
                    self.file(slot, after);
                }
                (slot, seq)
            }
            None => {
                let open = Open::new(s, &self.rule);
                let at = filed(&open);
                let seq = self.opened;
                self.opened += 1;
                let slot = match self.free.pop() {
                    Some(slot) => {
                        self.slots[slot] = Some((seq, open));
                        slot
                    }
                    None => {
                        self.slots.push(Some((seq, open)));
                        self.slots.len() - 1
                    }
                };
                self.file(slot, at);
                (slot, seq)
            }
        };
        let closes = self.slots[slot].as_ref().map_or(at, |(_, open)| open.closes);
        self.closing.push(Reverse((closes, slot, seq)));
    }

    /// The incidents of the observations pushed so far, by time then id.
    pub fn incidents(&self) -> Vec<Incident> {
        let mut incidents = self.done.clone();
        incidents.extend(self.slots.iter().flatten().map(|(_, o)| self.finish(o)));
        by_time(incidents)
    }

    /// The incidents of every observation pushed, when no more will come: [`Self::incidents`] without
    /// copying those already closed.
    pub fn into_incidents(mut self) -> Vec<Incident> {
        let open = std::mem::take(&mut self.slots);
        let mut incidents = std::mem::take(&mut self.done);
        incidents.extend(open.iter().flatten().map(|(_, o)| self.finish(o)));
        by_time(incidents)
    }
}

/// [`correlate`], then each incident's sector from `sectors` (by its best location).
pub fn incidents_in_sectors(
    observations: &[StoredObservation],
    sectors: &crate::Sectors,
    rule: &Rule,
) -> Vec<Incident> {
    let mut c = Correlator::new(*rule, Some(sectors));
    for s in in_order(observations) {
        c.push(s);
    }
    c.into_incidents()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;
    use truce_core::{Means, Observer, TimePrecision};
    use truce_geo::geodesic::{azimuth_and_distance, destination};

    fn report(id: &str, team: &str, minute: i64, at: LonLat, category: Category) -> StoredObservation {
        let time = datetime!(2026-11-20 22:00 UTC) + time::Duration::minutes(minute);
        StoredObservation {
            observation: Observation {
                id: id.into(),
                time,
                time_end: None,
                time_precision: TimePrecision::Minute,
                lat: at.lat,
                lon: at.lon,
                location_precision: LocationPrecision::Exact,
                place: None,
                observer: Observer {
                    means: Means::Uav,
                    team: Some(team.into()),
                    callsign: None,
                    lat: None,
                    lon: None,
                    bearing_deg: None,
                    range_m: None,
                },
                category,
                weapon_class: None,
                count: Some(1),
                direction: None,
                party: None,
                confidence: Some(Confidence::Probable),
                reason: None,
                casualties: None,
                text: None,
                source_ref: None,
                marking: Marking::NatoUnclassified,
                releasable_to: vec!["UKR".into(), "GBR".into()],
                categories: Vec::new(),
            },
            classification: Default::default(),
            received_at: time,
        }
    }

    /// A report by bearing and range from `from`, with the bearing off by `error_deg` and the range by
    /// `range_factor`.
    fn heard(
        id: &str,
        team: &str,
        minute: i64,
        from: LonLat,
        at: LonLat,
        error_deg: f64,
        range_factor: f64,
    ) -> StoredObservation {
        let (azi, range) = azimuth_and_distance(from, at);
        let assessed = destination(from, azi + error_deg, range * range_factor);
        let mut s = report(id, team, minute, assessed, Category::ExplosionUndetermined);
        let o = &mut s.observation;
        o.location_precision = LocationPrecision::Estimated;
        o.observer.means = Means::Patrol;
        o.observer.lat = Some(from.lat);
        o.observer.lon = Some(from.lon);
        o.observer.bearing_deg = Some(azi + error_deg);
        o.observer.range_m = Some(range * range_factor);
        s
    }

    const EVENT: LonLat = LonLat::new(37.6, 48.1);

    /// The bound never exceeds the exact distance of pairs within reach: near the line of contact, at
    /// high latitudes and across the antimeridian, from metres to hundreds of kilometres apart.
    #[test]
    fn distance_lower_bound_is_below_the_geodesic() {
        let origins =
            [LonLat::new(37.5, 48.0), LonLat::new(30.0, 46.5), LonLat::new(179.99, 70.0), LonLat::new(0.0, -89.0)];
        for &origin in &origins {
            for az in (0..360).step_by(15) {
                for metres in [1.0, 50.0, 900.0, 3_000.0, 15_000.0, 75_000.0, 300_000.0] {
                    let p = destination(origin, f64::from(az), metres);
                    let d = distance_m(origin, p);
                    for within in [d, 1.5 * d, 10.0 * d] {
                        let bound = distance_lower_bound_m(origin, p, within);
                        assert!(bound <= d * (1.0 + 1e-12), "{origin:?} to {p:?}: bound {bound} above {d}");
                    }
                }
            }
        }
        // Far apart: the bound proves it.
        assert!(distance_lower_bound_m(LonLat::new(37.5, 48.0), LonLat::new(37.5, 48.2), 10_000.0) > 10_000.0);
        assert!(distance_lower_bound_m(LonLat::new(37.5, 48.0), LonLat::new(37.7, 48.0), 10_000.0) > 10_000.0);
    }

    #[test]
    fn two_bearings_locate_an_explosion_better_than_either_range() {
        let a = heard("a", "MT-1", 0, destination(EVENT, 250.0, 6_000.0), EVENT, 1.0, 1.12);
        let b = heard("b", "MT-2", 2, destination(EVENT, 160.0, 5_000.0), EVENT, -1.0, 0.88);
        let incidents = correlate(&[a, b], &Rule::default());
        assert_eq!(incidents.len(), 1);
        let inc = &incidents[0];
        assert_eq!(inc.located_by, Located::Intersection);
        assert_eq!(inc.observations, ["a", "b"]);
        assert_eq!(inc.confidence, Confidence::Confirmed);
        let error = distance_m(EVENT, LonLat::new(inc.lon, inc.lat));
        assert!(error < 250.0, "intersection {error:.0} m off");
        assert!(inc.uncertainty_m < 600.0 && inc.uncertainty_m > 50.0, "{}", inc.uncertainty_m);
    }

    #[test]
    fn an_exact_position_wins_and_the_specific_category_is_kept() {
        let a = heard("a", "MT-1", 0, destination(EVENT, 250.0, 6_000.0), EVENT, 2.0, 1.1);
        let b = report("b", "UAV-1", 5, EVENT, Category::ExplosionImpact);
        let incidents = correlate(&[b, a], &Rule::default());
        assert_eq!(incidents.len(), 1, "{incidents:?}");
        assert_eq!(incidents[0].located_by, Located::Exact);
        assert_eq!(incidents[0].category, Category::ExplosionImpact);
        assert_eq!(incidents[0].id, "inc-a");
        assert!(distance_m(EVENT, LonLat::new(incidents[0].lon, incidents[0].lat)) < 1.0);
    }

    #[test]
    fn time_place_category_and_observer_keep_events_apart() {
        let far = destination(EVENT, 90.0, 5_000.0);
        let cases = [
            ("later than the window", report("b", "UAV-2", 16, EVENT, Category::ExplosionImpact)),
            ("too far", report("b", "UAV-2", 1, far, Category::ExplosionImpact)),
            ("another category", report("b", "UAV-2", 1, EVENT, Category::BurstsAndShots)),
            ("two explosion kinds", report("b", "UAV-2", 1, EVENT, Category::ExplosionOutgoing)),
            ("the same observer", report("b", "UAV-1", 1, EVENT, Category::ExplosionImpact)),
        ];
        for (why, b) in cases {
            let a = report("a", "UAV-1", 0, EVENT, Category::ExplosionImpact);
            assert_eq!(correlate(&[a, b], &Rule::default()).len(), 2, "{why}");
        }
        let a = report("a", "UAV-1", 0, EVENT, Category::ExplosionImpact);
        let b = report("b", "UAV-2", 14, destination(EVENT, 90.0, 100.0), Category::ExplosionImpact);
        assert_eq!(correlate(&[a, b], &Rule::default()).len(), 1, "within 15 min and 100 m");
    }

    #[test]
    fn releasability_is_the_intersection_and_the_marking_the_highest() {
        let a = report("a", "UAV-1", 0, EVENT, Category::ExplosionImpact);
        let mut b = report("b", "UAV-2", 1, EVENT, Category::ExplosionImpact);
        b.observation.marking = Marking::NatoRestricted;
        b.observation.releasable_to = vec!["UKR".into()];
        let inc = &correlate(&[a, b], &Rule::default())[0];
        assert_eq!(inc.marking, Marking::NatoRestricted);
        assert_eq!(inc.releasable_to[..], ["UKR"]);
    }

    /// Incidents released alike hold one list between them; one released otherwise has its own, and
    /// the next released alike again shares the new one.
    #[test]
    fn incidents_released_alike_share_one_list() {
        let far = |k: f64| destination(EVENT, 90.0, k * 50_000.0);
        let mut reports: Vec<StoredObservation> = (0..4)
            .map(|k| report(&format!("r{k}"), &format!("team-{k}"), 0, far(f64::from(k)), Category::ExplosionImpact))
            .collect();
        for r in &mut reports {
            r.observation.releasable_to = vec!["GBR".into(), "UKR".into()];
        }
        reports[2].observation.releasable_to = vec!["UKR".into()];
        reports[3].observation.releasable_to = vec!["UKR".into()];
        let incidents = correlate(&reports, &Rule::default());
        let list = |id: &str| &incidents.iter().find(|i| i.id == format!("inc-{id}")).expect(id).releasable_to;
        assert_eq!(incidents.len(), 4, "50 km apart: four incidents");
        assert_eq!(list("r0")[..], ["GBR", "UKR"]);
        assert!(Arc::ptr_eq(list("r0"), list("r1")), "one list for the two released alike");
        assert_eq!(list("r2")[..], ["UKR"]);
        assert!(Arc::ptr_eq(list("r2"), list("r3")));
        assert!(!Arc::ptr_eq(list("r0"), list("r2")));
    }

    /// Fed hour by hour, the incremental pass gives for each prefix exactly what a fresh pass over
    /// that prefix gives (the hourly replay relies on it).
    #[test]
    fn the_incremental_pass_gives_what_a_fresh_pass_gives_for_every_prefix() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        let categories = [Category::ExplosionImpact, Category::ExplosionUndetermined, Category::MuzzleFlash];
        let mut all: Vec<StoredObservation> = (0..400)
            .map(|i| {
                let at = destination(EVENT, next(360) as f64, next(4_000) as f64);
                let team = format!("MT-{}", next(6));
                let minute = next(24 * 60) as i64;
                if next(2) == 0 {
                    report(&format!("o{i:03}"), &team, minute, at, categories[next(3) as usize])
                } else {
                    let from = destination(at, next(360) as f64, 3_000.0 + next(5_000) as f64);
                    heard(
                        &format!("o{i:03}"),
                        &team,
                        minute,
                        from,
                        at,
                        next(5) as f64 - 2.0,
                        0.9 + next(20) as f64 / 100.0,
                    )
                }
            })
            .collect();
        all.sort_by_key(|s| s.observation.time);
        let order = in_order(&all);
        let mut c = Correlator::new(Rule::default(), None);
        let mut pushed = 0;
        for hour in 1..=24 {
            let until = datetime!(2026-11-20 22:00 UTC) + time::Duration::hours(hour);
            while pushed < order.len() && order[pushed].observation.time < until {
                c.push(order[pushed]);
                pushed += 1;
            }
            let prefix: Vec<StoredObservation> = order[..pushed].iter().map(|s| (*s).clone()).collect();
            let fresh = correlate(&prefix, &Rule::default());
            let incremental = c.incidents();
            assert_eq!(incremental.len(), fresh.len(), "hour {hour}");
            for (a, b) in incremental.iter().zip(&fresh) {
                assert_eq!(
                    (&a.id, &a.observations, a.lat, a.lon),
                    (&b.id, &b.observations, b.lat, b.lon),
                    "hour {hour}"
                );
            }
        }
        assert_eq!(pushed, all.len());
    }

    /// The reference for [`Correlator`]: the same greedy rule testing every open incident, in the
    /// order they were opened.
    fn every_open_incident(observations: &[StoredObservation], rule: &Rule) -> Vec<Incident> {
        let (mut open, mut done): (Vec<Open<'_>>, Vec<Incident>) = (Vec::new(), Vec::new());
        for s in in_order(observations) {
            let o = &s.observation;
            let at = nanos(o.time);
            open.retain(|inc| {
                let closes = inc.closes < at;
                if closes {
                    done.push(inc.finish(&mut None));
                }
                !closes
            });
            let key = observer_key(o);
            let best = open
                .iter()
                .enumerate()
                .filter_map(|(i, inc)| inc.accepts(o, at, &key, rule).map(|z| (i, z)))
                .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
            match best {
                Some((i, _)) => open[i].add(s, key, rule),
                None => open.push(Open::new(s, rule)),
            }
        }
        done.extend(open.iter().map(|o| o.finish(&mut None)));
        done.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.id.cmp(&b.id)));
        done
    }

    fn report_at_time(id: &str, team: &str, time: OffsetDateTime, at: LonLat, category: Category) -> StoredObservation {
        let mut s = report(id, team, 0, at, category);
        s.observation.time = time;
        s.received_at = time;
        s
    }

    /// A day of a dense mission (6,000 reports in a day along 150 km, by 40 teams, every kind of
    /// location, bearings crossing, time windows, weapon classes): the pass that tests only the cells
    /// within reach gives exactly the incidents of testing every open incident.
    #[test]
    fn filing_open_incidents_by_cell_changes_no_incident() {
        let n = 6_000;
        let mut rng = truce_geo::fixtures::Rng::new(11);
        let start = time::macros::datetime!(2026-11-20 00:00 UTC);
        let cats = [
            Category::ExplosionImpact,
            Category::ExplosionUndetermined,
            Category::ExplosionOutgoing,
            Category::BurstsAndShots,
            Category::WeaponSighting,
        ];
        let precs = [
            LocationPrecision::Exact,
            LocationPrecision::Exact,
            LocationPrecision::Estimated,
            LocationPrecision::Estimated,
            LocationPrecision::Settlement,
            LocationPrecision::NearSettlement,
            LocationPrecision::Region,
        ];
        let mut all = Vec::new();
        for k in 0..n {
            // Most along a front, some across the antimeridian (where the cells are not used).
            let p = if k % 50 == 0 {
                LonLat::new(rng.uniform(179.9, 180.0), rng.uniform(65.0, 65.2))
            } else {
                LonLat::new(rng.uniform(36.0, 38.0), rng.uniform(47.0, 48.5))
            };
            let t = start + time::Duration::seconds(rng.uniform(0.0, 86_400.0) as i64);
            let mut s = report_at_time(
                &format!("o{k:06}"),
                &format!("team{}", (rng.uniform(0.0, 40.0)) as u32),
                t,
                p,
                cats[rng.uniform(0.0, 5.0) as usize],
            );
            s.observation.location_precision = precs[rng.uniform(0.0, 7.0) as usize];
            if s.observation.location_precision == LocationPrecision::Estimated {
                let from = LonLat::new(p.lon + rng.uniform(-0.05, 0.05), p.lat + rng.uniform(-0.05, 0.05));
                let (az, d) = azimuth_and_distance(from, p);
                s.observation.observer.lat = Some(from.lat);
                s.observation.observer.lon = Some(from.lon);
                s.observation.observer.bearing_deg = Some(az + rng.uniform(-2.0, 2.0));
                if rng.uniform(0.0, 1.0) < 0.5 {
                    s.observation.observer.range_m = Some(d * rng.uniform(0.8, 1.2));
                }
                s.observation.observer.means = Means::Patrol;
            }
            if rng.uniform(0.0, 1.0) < 0.2 {
                s.observation.time_end = Some(t + time::Duration::minutes(rng.uniform(0.0, 40.0) as i64));
            }
            if s.observation.category == Category::WeaponSighting {
                s.observation.weapon_class = Some(if rng.uniform(0.0, 1.0) < 0.5 { "a" } else { "b" }.into());
            }
            all.push(s);
        }
        let filed = correlate(&all, &Rule::default());
        assert_eq!(filed, every_open_incident(&all, &Rule::default()));
        assert!(filed.len() < n * 9 / 10, "reports were merged: {} incidents", filed.len());
        for how in [Located::Single, Located::Exact, Located::Combined, Located::Intersection] {
            assert!(filed.iter().any(|i| i.located_by == how), "{how:?}");
        }
    }
}
