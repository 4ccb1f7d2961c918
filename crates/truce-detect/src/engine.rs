//! [`Detectors`]: the per-track state and the dispatch of each fix to every detector.
//!
//! One map holds every track (vessel or aircraft) by `(Kind, id)`: its last accepted fix and the small
//! state each detector keeps per track (emergency code, circle history, loitering run, place in the
//! encounter grid, whether its current silence has been judged). Shared state lives beside it: the
//! learned reception model, the recent jumps, the encounter grid and pairs, the interference layer.
//! A fix costs a hash lookup, a cheap distance and the few detectors that apply to its kind; the exact
//! geodesic is computed only when a cheap bound cannot decide.

use std::collections::HashMap;

use time::OffsetDateTime;
use truce_geo::{LonLat, ZoneIndex, ZoneIndexError};

use crate::dark::{self, Coverage, Reception};
use crate::encounter::{self, Encounters, LoiterRun};
use crate::grid::{Cell, CellBounds, approx_distance_m, cell_of, within_m};
use crate::interference::{CellFigure, Layer};
use crate::spoof::{self, CircleState, Clusters};
use crate::{Alert, Config, Fix, Geography, KN_PER_MPS, Kind, Port, secs, squawk};

/// Why detectors could not be built.
#[derive(Debug, Clone, PartialEq)]
pub enum DetectError {
    /// A threshold is out of range.
    Config(String),
    /// A maritime zone could not be indexed.
    Zone(ZoneIndexError),
    /// A port has an invalid position or radius.
    Port(String),
}

impl std::fmt::Display for DetectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DetectError::Config(e) => write!(f, "detector configuration: {e}"),
            DetectError::Zone(e) => write!(f, "maritime zone: {e}"),
            DetectError::Port(name) => write!(f, "port {name}: invalid position or radius"),
        }
    }
}

impl std::error::Error for DetectError {}

/// The state kept per track.
#[derive(Debug, Clone)]
pub(crate) struct Track {
    pub(crate) last: Fix,
    pub(crate) last_s: f64,
    /// The current silence has been judged for going dark.
    dark_judged: bool,
    emergency: Option<u16>,
    circle: CircleState,
    loiter: Option<LoiterRun>,
    /// Cell in the encounter grid, when the vessel qualifies.
    grid: Option<Cell>,
}

/// Sizes of the detectors' state, to watch memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    /// Tracks held.
    pub tracks: usize,
    /// Thinned fixes held for the circle test, all vessels.
    pub circle_samples: usize,
    /// Vessels in the encounter grid.
    pub encounter_candidates: usize,
    /// Open encounter pairs.
    pub encounter_pairs: usize,
    /// Recent jumps and reported clusters held.
    pub recent_jumps: usize,
    /// Cells of the reception model.
    pub coverage_cells: usize,
    /// Windows of the interference layer.
    pub interference_windows: usize,
    /// Cell-windows of the interference layer.
    pub interference_cells: usize,
    /// Fixes ignored because they were older than their track's last fix, or repeated it.
    pub late_fixes: u64,
    /// Fixes ignored because their position was invalid.
    pub invalid_fixes: u64,
}

/// All detectors over one feed. See the crate documentation.
#[derive(Debug, Clone)]
pub struct Detectors {
    config: Config,
    ports: Vec<Port>,
    zone_ids: Vec<String>,
    zones: Option<ZoneIndex>,
    tracks: HashMap<(Kind, u32), Track>,
    coverage: Coverage,
    clusters: Clusters,
    encounters: Encounters,
    layer: Layer,
    late_fixes: u64,
    invalid_fixes: u64,
    zone_buf: Vec<u32>,
}

/// The effective speed of a fix: the reported one, else the one implied by the previous fix, else NaN
/// (unknown, which is never "slow").
fn effective_speed_kn(fix: &Fix, prev: Option<(&Fix, f64)>, t_s: f64) -> f64 {
    if let Some(s) = fix.speed_kn
        && s.is_finite()
        && s >= 0.0
    {
        return s;
    }
    match prev {
        Some((p, ps)) if t_s > ps => approx_distance_m(p.position, fix.position) / (t_s - ps) * KN_PER_MPS,
        _ => f64::NAN,
    }
}

impl Detectors {
    /// Detectors with `config` over `geography`.
    ///
    /// # Errors
    /// When the configuration is out of range ([`Config::problem`]), a zone cannot be indexed or a port
    /// is invalid.
    pub fn new(config: Config, geography: Geography) -> Result<Self, DetectError> {
        if let Some(p) = config.problem() {
            return Err(DetectError::Config(p));
        }
        for p in &geography.ports {
            if !p.position.is_valid() || !p.radius_m.is_finite() || p.radius_m < 0.0 {
                return Err(DetectError::Port(p.name.clone()));
            }
        }
        let (zone_ids, polygons): (Vec<String>, Vec<_>) = geography.maritime_zones.into_iter().unzip();
        let zones =
            if polygons.is_empty() { None } else { Some(ZoneIndex::new(&polygons).map_err(DetectError::Zone)?) };
        Ok(Self {
            coverage: Coverage::new(config.coverage_cell_deg),
            config,
            ports: geography.ports,
            zone_ids,
            zones,
            tracks: HashMap::new(),
            clusters: Clusters::default(),
            encounters: Encounters::default(),
            layer: Layer::default(),
            late_fixes: 0,
            invalid_fixes: 0,
            zone_buf: Vec::new(),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The maritime zone holding `p`, if any, when `p` is also away from every port: where encounters
    /// and loitering are watched.
    fn qualifying_zone(&mut self, p: LonLat) -> Option<usize> {
        let zones = self.zones.as_ref()?;
        self.zone_buf.clear();
        zones.covering(p, &mut self.zone_buf);
        let zone = *self.zone_buf.first()? as usize;
        let near_port =
            self.ports.iter().any(|port| within_m(port.position, p, port.radius_m.max(self.config.port_exclusion_m)));
        (!near_port).then_some(zone)
    }

    /// Feeds one fix to every detector; returns the alerts it completes (usually none).
    ///
    /// A fix older than its track's last fix, or repeating it exactly (the same message from two
    /// receivers), is ignored by the per-track detectors; a fix with an invalid position is ignored.
    pub fn push(&mut self, fix: &Fix) -> Vec<Alert> {
        let mut out = Vec::new();
        if !fix.position.is_valid() {
            self.invalid_fixes += 1;
            return out;
        }
        let t_s = secs(fix.time);
        if fix.kind == Kind::Aircraft {
            self.layer.add(fix, t_s, &self.config);
        }
        let key = fix.track();
        let previous = match self.tracks.get(&key) {
            Some(t) if t_s < t.last_s || (t_s == t.last_s && t.last.position == fix.position) => {
                self.late_fixes += 1;
                return out;
            }
            Some(t) => Some((t.last.clone(), t.last_s)),
            None => None,
        };
        if previous.is_none() && self.tracks.len() >= self.config.max_tracks {
            self.evict();
        }
        let zone = if fix.kind == Kind::Vessel { self.qualifying_zone(fix.position) } else { None };
        let speed_kn = effective_speed_kn(fix, previous.as_ref().map(|(f, s)| (f, *s)), t_s);
        let config = &self.config;
        let track = self.tracks.entry(key).or_insert_with(|| Track {
            last: fix.clone(),
            last_s: t_s,
            dark_judged: false,
            emergency: None,
            circle: CircleState::default(),
            loiter: None,
            grid: None,
        });
        if fix.kind == Kind::Aircraft {
            out.extend(squawk::update(&mut track.emergency, fix));
        }
        if let Some((prev, prev_s)) = &previous
            && let Some(jump) = spoof::jump(prev, *prev_s, fix, t_s, config)
        {
            if fix.kind == Kind::Vessel {
                let cluster = self.clusters.on_jump(prev, fix, t_s, config);
                out.push(jump);
                out.extend(cluster);
            } else {
                out.push(jump);
            }
        }
        let mut grid_move = None;
        if fix.kind == Kind::Vessel {
            if let Some((prev, prev_s)) = &previous {
                self.coverage.learn(prev, t_s - prev_s, config);
            }
            out.extend(track.circle.on_fix(fix, t_s, config));
            let zone_id = zone.map(|z| self.zone_ids[z].as_str());
            out.extend(encounter::loiter(&mut track.loiter, fix, t_s, speed_kn, zone_id, config));
            let to = zone.map(|_| Encounters::cell(fix.position));
            grid_move = Some((track.grid, to));
            track.grid = to;
        }
        track.last = fix.clone();
        track.last_s = t_s;
        track.dark_judged = false;
        if let Some((from, to)) = grid_move {
            self.encounters.place(fix.id, from, to);
            if let Some(z) = zone {
                let zone_id = self.zone_ids[z].as_str();
                out.extend(self.encounters.on_fix(fix, t_s, speed_kn, &self.tracks, zone_id, &self.config));
            }
        }
        out
    }

    /// Tells the detectors the time is `now` (feed time, not the wall clock); returns the time-driven
    /// alerts (going dark, interference windows that closed) and prunes old state. Call it regularly,
    /// for example every minute of feed time.
    pub fn tick(&mut self, now: OffsetDateTime) -> Vec<Alert> {
        let now_s = secs(now);
        let mut out = Vec::new();
        for track in self.tracks.values_mut() {
            if track.last.kind != Kind::Vessel || track.dark_judged {
                continue;
            }
            let gap_s = now_s - track.last_s;
            if gap_s >= self.config.dark_gap_s {
                track.dark_judged = true;
                out.extend(dark::judge(&track.last, now, gap_s, &self.coverage, &self.ports, &self.config));
            }
        }
        out.extend(self.layer.close(now, now_s, &self.config));
        let ttl = self.config.track_ttl_s;
        let encounters = &mut self.encounters;
        self.tracks.retain(|_, t| {
            let keep = now_s - t.last_s <= ttl;
            if !keep && t.last.kind == Kind::Vessel {
                encounters.forget(t.last.id, t.grid);
            }
            keep
        });
        self.encounters.prune(now_s, &self.config);
        self.clusters.prune(now_s, &self.config);
        out.sort_by(|a, b| a.time.cmp(&b.time).then(a.detector.cmp(&b.detector)).then(a.tracks.cmp(&b.tracks)));
        out
    }

    /// Forgets the longest-silent tenth of the tracks (when [`Config::max_tracks`] is reached).
    fn evict(&mut self) {
        let mut ages: Vec<(f64, (Kind, u32))> = self.tracks.iter().map(|(k, t)| (t.last_s, *k)).collect();
        ages.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let n = (ages.len() / 10).max(1);
        for (_, key) in ages.into_iter().take(n) {
            if let Some(t) = self.tracks.remove(&key)
                && key.0 == Kind::Vessel
            {
                self.encounters.forget(key.1, t.grid);
            }
        }
    }

    /// The interference figures of every cell with aircraft in the window containing `window_start`
    /// (windows are [`Config::interference_window_s`] long, aligned on the Unix epoch), sorted south to
    /// north, west to east. Empty when the window is not (or no longer) held.
    pub fn interference(&self, window_start: OffsetDateTime) -> Vec<CellFigure> {
        self.layer.figures(secs(window_start), &self.config)
    }

    /// The learned reception of the cell holding `p`: the cell's bounds and its figures.
    pub fn reception(&self, p: LonLat) -> (CellBounds, Reception) {
        let probe = Fix::new(Kind::Vessel, 0, OffsetDateTime::UNIX_EPOCH, p);
        let (cell, r) = self.coverage.reception(&probe);
        debug_assert_eq!(cell, cell_of(p, self.config.coverage_cell_deg));
        (CellBounds::of(cell, self.config.coverage_cell_deg), r)
    }

    /// The last accepted fix of a track, if it is held.
    pub fn last_fix(&self, kind: Kind, id: u32) -> Option<&Fix> {
        self.tracks.get(&(kind, id)).map(|t| &t.last)
    }

    /// Sizes of the state.
    pub fn stats(&self) -> Stats {
        Stats {
            tracks: self.tracks.len(),
            circle_samples: self.tracks.values().map(|t| t.circle.len()).sum(),
            encounter_candidates: self.encounters.members(),
            encounter_pairs: self.encounters.pairs(),
            recent_jumps: self.clusters.len(),
            coverage_cells: self.coverage.len(),
            interference_windows: self.layer.windows(),
            interference_cells: self.layer.cells(),
            late_fixes: self.late_fixes,
            invalid_fixes: self.invalid_fixes,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use time::OffsetDateTime;
    use time::macros::datetime;

    use crate::{Config, Detector, Detectors, Fix, Geography, Kind, LonLat};

    /// `s` seconds after 2026-10-01 00:00 UTC (aligned on every window).
    pub(crate) fn at(s: i64) -> OffsetDateTime {
        datetime!(2026-10-01 00:00 UTC) + time::Duration::seconds(s)
    }

    pub(crate) fn vessel(id: u32, s: i64, p: LonLat, speed_kn: Option<f64>) -> Fix {
        Fix { speed_kn, ..Fix::new(Kind::Vessel, id, at(s), p) }
    }

    pub(crate) fn aircraft(id: u32, s: i64, p: LonLat) -> Fix {
        Fix { altitude_ft: Some(35_000), speed_kn: Some(450.0), ..Fix::new(Kind::Aircraft, id, at(s), p) }
    }

    #[test]
    fn late_duplicate_and_invalid_fixes_are_ignored() {
        let mut d = Detectors::new(Config::default(), Geography::default()).unwrap();
        d.push(&vessel(1, 100, LonLat::new(30.0, 45.0), Some(10.0)));
        // A late fix far away would be a jump if it were taken in order.
        assert!(d.push(&vessel(1, 50, LonLat::new(31.0, 45.0), Some(10.0))).is_empty());
        assert!(d.push(&vessel(1, 100, LonLat::new(30.0, 45.0), Some(10.0))).is_empty());
        assert!(d.push(&vessel(1, 110, LonLat::new(f64::NAN, 45.0), Some(10.0))).is_empty());
        assert!(d.push(&vessel(1, 110, LonLat::new(200.0, 45.0), Some(10.0))).is_empty());
        let s = d.stats();
        assert_eq!((s.tracks, s.late_fixes, s.invalid_fixes), (1, 2, 2));
        assert_eq!(d.last_fix(Kind::Vessel, 1).unwrap().time, at(100));
    }

    #[test]
    fn silent_tracks_are_forgotten_and_the_cap_holds() {
        let config = Config { max_tracks: 100, dark_gap_s: 3600.0, track_ttl_s: 7200.0, ..Config::default() };
        let mut d = Detectors::new(config, Geography::default()).unwrap();
        for id in 0..250 {
            d.push(&vessel(id, i64::from(id), LonLat::new(30.0 + f64::from(id) * 0.01, 45.0), Some(1.0)));
        }
        assert!(d.stats().tracks <= 100);
        // Not a single dark alert: each vessel sent one message, reception is not learned.
        let alerts = d.tick(at(7200 + 250));
        assert!(alerts.iter().all(|a| a.detector != Detector::GoingDark));
        assert_eq!(d.stats().tracks, 0);
    }

    mod wild {
        use proptest::prelude::*;

        use super::at;
        use crate::{Config, Detectors, Fix, Geography, Kind, LonLat, Port, ZonePolygon};

        fn position() -> impl Strategy<Value = LonLat> {
            prop_oneof![
                // Anywhere, including out of range.
                (-200.0..200.0f64, -100.0..100.0f64).prop_map(|(lon, lat)| LonLat::new(lon, lat)),
                // Crowded in the zone, so that pairs, clusters and circles form.
                (30.9..30.92f64, 45.44..45.46f64).prop_map(|(lon, lat)| LonLat::new(lon, lat)),
                // The poles and the antimeridian.
                prop::sample::select(vec![
                    LonLat::new(180.0, 90.0),
                    LonLat::new(-180.0, -90.0),
                    LonLat::new(179.9999, 0.0),
                    LonLat::new(-180.0, 89.9999),
                ]),
            ]
        }

        fn seconds() -> impl Strategy<Value = f64> {
            prop_oneof![0.0..7200.0f64, -3e9..3e9f64, -6.0e10..2.4e11f64]
        }

        fn fix() -> impl Strategy<Value = Fix> {
            (
                any::<bool>(),
                0..12u32,
                seconds(),
                position(),
                prop::option::of(-10.0..2000.0f64),
                prop::option::of(0..12u8),
                prop::option::of(0..12u8),
                prop::option::of(prop_oneof![Just(7500u16), Just(7700), 0..10000u16]),
            )
                .prop_map(|(vessel, id, s, p, speed_kn, nic, nacp, squawk)| {
                    let kind = if vessel { Kind::Vessel } else { Kind::Aircraft };
                    Fix { speed_kn, nic, nacp, squawk, ..Fix::new(kind, id, at(0) + time::Duration::seconds_f64(s), p) }
                })
        }

        fn small_config() -> Config {
            Config {
                dark_gap_s: 60.0,
                coverage_min_vessel_h: 0.0,
                coverage_min_rate_per_h: 0.1,
                encounter_min_s: 30.0,
                loiter_min_s: 30.0,
                circle_min_fixes: 3,
                circle_min_span_s: 0.0,
                circle_sample_s: 1.0,
                interference_min_aircraft: 1,
                track_ttl_s: 120.0,
                max_tracks: 10,
                ..Config::default()
            }
        }

        fn geography() -> Geography {
            let ring = vec![
                LonLat::new(29.6, 44.9),
                LonLat::new(31.6, 44.9),
                LonLat::new(31.6, 46.4),
                LonLat::new(29.6, 46.4),
                LonLat::new(29.6, 44.9),
            ];
            Geography {
                ports: vec![Port { name: "p".into(), position: LonLat::new(30.91, 45.45), radius_m: 300.0 }],
                maritime_zones: vec![("z".into(), ZonePolygon { polygons: vec![vec![ring]] })],
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            #[test]
            fn arbitrary_fixes_never_panic_and_state_stays_bounded(
                fixes in prop::collection::vec(fix(), 0..400),
                ticks in prop::collection::vec(seconds(), 0..6),
            ) {
                let mut d = Detectors::new(small_config(), geography()).unwrap();
                let mut alerts = vec![];
                for (i, f) in fixes.iter().enumerate() {
                    alerts.extend(d.push(f));
                    if i % 50 == 0 && let Some(&s) = ticks.get(i / 50) {
                        alerts.extend(d.tick(at(0) + time::Duration::seconds_f64(s)));
                    }
                    prop_assert!(d.stats().tracks <= 10);
                }
                for a in &alerts {
                    prop_assert!(!a.tracks.is_empty() && !a.evidence.is_empty() && !a.summary.is_empty());
                    prop_assert!(a.figures.iter().all(|f| !f.value.is_nan()), "{a:?}");
                }
                // Long after the last fix everything is forgotten.
                let last = fixes.iter().map(|f| f.time).max().unwrap_or(at(0));
                d.tick(last + time::Duration::days(3));
                let s = d.stats();
                prop_assert_eq!(
                    (s.tracks, s.circle_samples, s.encounter_candidates, s.encounter_pairs, s.recent_jumps, s.interference_windows),
                    (0, 0, 0, 0, 0, 0),
                    "{:?}", s
                );
            }
        }
    }

    #[test]
    fn detectors_can_be_shared_across_threads() {
        // The node keeps one `Detectors` behind a lock in an async server.
        fn send_sync<T: Send + Sync + 'static>() {}
        send_sync::<Detectors>();
        send_sync::<crate::Alert>();
    }

    #[test]
    fn bad_configuration_and_geography_are_refused() {
        let bad = Config { dark_gap_s: f64::NAN, ..Config::default() };
        assert!(Detectors::new(bad, Geography::default()).is_err());
        let bad = Config { track_ttl_s: 3600.0, ..Config::default() };
        assert!(Detectors::new(bad, Geography::default()).is_err());
        let port = crate::Port { name: "x".into(), position: LonLat::new(0.0, 95.0), radius_m: 1.0 };
        assert!(Detectors::new(Config::default(), Geography { ports: vec![port], maritime_zones: vec![] }).is_err());
    }
}
