//! GNSS interference seen through ADS-B: the share of aircraft reporting degraded navigation.
//!
//! # Definition
//!
//! An ADS-B position carries the aircraft's own opinion of its GNSS fix: the Navigation Integrity
//! Category (NIC, containment radius) and the Navigation Accuracy Category for position (NACp). An
//! aircraft is *degraded* in a cell and window when any of its fixes there reports NACp below
//! [`Config::degraded_nacp_below`] (8) or NIC below [`Config::degraded_nic_below`] (7); fixes without
//! either field are not counted (old transponders say nothing). One aircraft with a bad receiver is
//! not interference; many aircraft in one place at one time are. Following gpsjam.org, per map cell
//! the share of degraded aircraft is "some" from 2 % and "high" from 10 %; cells with fewer than
//! [`Config::interference_min_aircraft`] aircraft get no level (one aircraft would be 0 % or 100 %).
//!
//! gpsjam.org aggregates per day, which suits a map but not a warning. We aggregate per
//! [`Config::interference_window_s`] (5 minutes): long enough for several aircraft to cross a 0.5°
//! cell, short enough that the alert comes within minutes of the onset.
//!
//! # Design
//!
//! A layer of windows (ordered by start), each a sparse map of cells, each the set of aircraft seen and
//! the first degraded fix of every degraded aircraft (the evidence). [`Detectors::tick`](crate::Detectors::tick)
//! closes windows whose end has passed and raises an alert for every cell reaching "high" whose
//! previous window was not "high" (one alert per episode, not one every five minutes). A closed window
//! keeps only its counts (a few bytes per cell, so a day of windows over busy airspace stays small);
//! fixes arriving after their window closed are ignored. Windows older than
//! [`Config::interference_retention_s`] are dropped, and at most that many windows are kept whatever the
//! times of the input. [`Detectors::interference`](crate::Detectors::interference) returns the figures
//! of one window for a map.

use std::collections::{BTreeMap, HashMap, HashSet};

use time::OffsetDateTime;

use crate::grid::{Cell, CellBounds, cell_of};
use crate::{Alert, Area, Config, Detector, Figure, Fix, Kind};

/// Interference level of a cell in a window (gpsjam.org's classes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Fewer aircraft than [`Config::interference_min_aircraft`]: no judgement.
    TooFewAircraft,
    /// Below the "some" share.
    Low,
    /// At least [`Config::interference_some_share`] (2 %) of the aircraft degraded.
    Some,
    /// At least [`Config::interference_high_share`] (10 %) of the aircraft degraded.
    High,
}

/// The figures of one cell in one window.
#[derive(Debug, Clone, PartialEq)]
pub struct CellFigure {
    /// The cell.
    pub bounds: CellBounds,
    /// Start of the window.
    pub window_start: OffsetDateTime,
    /// Length of the window, seconds.
    pub window_s: f64,
    /// Aircraft that reported NIC or NACp in the cell during the window.
    pub aircraft: usize,
    /// Of those, aircraft that reported degraded navigation at least once.
    pub degraded: usize,
    /// `degraded / aircraft`.
    pub share: f64,
    /// Level.
    pub level: Level,
}

#[derive(Debug, Clone, Default)]
struct CellAgg {
    /// Aircraft seen, while the window is open.
    aircraft: HashSet<u32>,
    /// First degraded fix of every degraded aircraft, while the window is open.
    degraded: BTreeMap<u32, Fix>,
    /// (aircraft, degraded) once the window is closed and the sets are dropped.
    counts: (usize, usize),
}

impl CellAgg {
    fn counts(&self, closed: bool) -> (usize, usize) {
        if closed { self.counts } else { (self.aircraft.len(), self.degraded.len()) }
    }
}

#[derive(Debug, Clone, Default)]
struct Window {
    closed: bool,
    cells: HashMap<Cell, CellAgg>,
}

/// The per-window, per-cell layer.
#[derive(Debug, Clone, Default)]
pub(crate) struct Layer {
    windows: BTreeMap<i64, Window>,
    /// Per cell, the last window judged "high".
    high: HashMap<Cell, i64>,
    /// Windows before this one are no longer accepted (set by `close` from the retention).
    floor: Option<i64>,
}

/// Whether a fix reports degraded navigation; `None` when it reports neither NIC nor NACp.
pub(crate) fn degraded(fix: &Fix, config: &Config) -> Option<bool> {
    match (fix.nic, fix.nacp) {
        (None, None) => None,
        (nic, nacp) => Some(
            nic.is_some_and(|v| v < config.degraded_nic_below) || nacp.is_some_and(|v| v < config.degraded_nacp_below),
        ),
    }
}

fn window_of(t_s: f64, config: &Config) -> i64 {
    (t_s / config.interference_window_s).floor() as i64
}

fn level(aircraft: usize, share: f64, config: &Config) -> Level {
    if aircraft < config.interference_min_aircraft {
        Level::TooFewAircraft
    } else if share >= config.interference_high_share {
        Level::High
    } else if share >= config.interference_some_share {
        Level::Some
    } else {
        Level::Low
    }
}

impl Layer {
    fn max_windows(config: &Config) -> usize {
        (config.interference_retention_s / config.interference_window_s).ceil().min(1e6) as usize + 2
    }

    /// Counts an aircraft fix.
    pub(crate) fn add(&mut self, fix: &Fix, t_s: f64, config: &Config) {
        let Some(bad) = degraded(fix, config) else { return };
        let w = window_of(t_s, config);
        if self.floor.is_some_and(|f| w < f) {
            return;
        }
        let window = self.windows.entry(w).or_default();
        if window.closed {
            // Too late: a closed window keeps counts only (memory), it cannot tell a new aircraft
            // from one already counted.
            return;
        }
        let agg = window.cells.entry(cell_of(fix.position, config.interference_cell_deg)).or_default();
        agg.aircraft.insert(fix.id);
        if bad {
            agg.degraded.entry(fix.id).or_insert_with(|| fix.clone());
        }
        while self.windows.len() > Self::max_windows(config) {
            self.windows.pop_first();
        }
    }

    /// Closes the windows that ended by `now_s`; alerts for cells that became "high".
    pub(crate) fn close(&mut self, now: OffsetDateTime, now_s: f64, config: &Config) -> Vec<Alert> {
        let mut out = Vec::new();
        for (&w, window) in self.windows.iter_mut() {
            let end_s = (w + 1) as f64 * config.interference_window_s;
            if end_s > now_s {
                break;
            }
            if window.closed {
                continue;
            }
            window.closed = true;
            let mut cells: Vec<(&Cell, &mut CellAgg)> = window.cells.iter_mut().collect();
            cells.sort_by_key(|(c, _)| (c.1, c.0));
            for (&cell, agg) in cells {
                let n = agg.aircraft.len();
                let share = agg.degraded.len() as f64 / n as f64;
                if level(n, share, config) == Level::High {
                    let new_episode = self.high.get(&cell) != Some(&(w - 1));
                    self.high.insert(cell, w);
                    if new_episode {
                        out.push(alert(now, cell, w, agg, config));
                    }
                }
                // Closed: keep the counts for the map, drop the sets and the evidence.
                agg.counts = (n, agg.degraded.len());
                agg.aircraft = HashSet::new();
                agg.degraded = BTreeMap::new();
            }
        }
        let floor = window_of(now_s - config.interference_retention_s, config);
        self.floor = Some(self.floor.map_or(floor, |f| f.max(floor)));
        while self.windows.first_key_value().is_some_and(|(&w, _)| w < floor) {
            self.windows.pop_first();
        }
        let last_closed = window_of(now_s, config) - 1;
        self.high.retain(|_, &mut w| w >= last_closed - 1);
        out
    }

    /// The figures of every cell in the window containing `t_s`.
    pub(crate) fn figures(&self, t_s: f64, config: &Config) -> Vec<CellFigure> {
        let w = window_of(t_s, config);
        let Some(window) = self.windows.get(&w) else { return Vec::new() };
        let start = start_time(w, config);
        let mut out: Vec<CellFigure> = window
            .cells
            .iter()
            .map(|(&cell, agg)| {
                let (n, bad) = agg.counts(window.closed);
                let share = bad as f64 / n.max(1) as f64;
                CellFigure {
                    bounds: CellBounds::of(cell, config.interference_cell_deg),
                    window_start: start,
                    window_s: config.interference_window_s,
                    aircraft: n,
                    degraded: bad,
                    share,
                    level: level(n, share, config),
                }
            })
            .collect();
        out.sort_by(|a, b| a.bounds.south.total_cmp(&b.bounds.south).then(a.bounds.west.total_cmp(&b.bounds.west)));
        out
    }

    pub(crate) fn windows(&self) -> usize {
        self.windows.len()
    }

    pub(crate) fn cells(&self) -> usize {
        self.windows.values().map(|w| w.cells.len()).sum()
    }
}

fn start_time(w: i64, config: &Config) -> OffsetDateTime {
    let ns = (w as f64 * config.interference_window_s * 1e9) as i128;
    OffsetDateTime::from_unix_timestamp_nanos(ns).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn alert(now: OffsetDateTime, cell: Cell, w: i64, agg: &CellAgg, config: &Config) -> Alert {
    let bounds = CellBounds::of(cell, config.interference_cell_deg);
    let n = agg.aircraft.len();
    let bad = agg.degraded.len();
    let share = bad as f64 / n as f64;
    let start = start_time(w, config);
    let end = start.checked_add(time::Duration::seconds_f64(config.interference_window_s)).unwrap_or(start);
    let mut evidence: Vec<Fix> = agg.degraded.values().cloned().collect();
    evidence.sort_by(|a, b| a.time.cmp(&b.time).then(a.id.cmp(&b.id)));
    Alert {
        detector: Detector::GnssInterference,
        time: now,
        tracks: agg.degraded.keys().map(|&id| (Kind::Aircraft, id)).collect(),
        evidence,
        area: Some(Area::Cell(bounds)),
        figures: vec![
            Figure { name: "aircraft", value: n as f64 },
            Figure { name: "degraded", value: bad as f64 },
            Figure { name: "share", value: share },
            Figure { name: "window_s", value: config.interference_window_s },
        ],
        summary: format!(
            "GNSS interference likely in {:.2}-{:.2}N {:.2}-{:.2}E from {} to {}: {bad} of {n} aircraft ({:.0} %) \
             reported degraded navigation (NACp below {} or NIC below {}).",
            bounds.south,
            bounds.north,
            bounds.west,
            bounds.east,
            crate::hhmm(start),
            crate::hhmm(end),
            share * 100.0,
            config.degraded_nacp_below,
            config.degraded_nic_below
        ),
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::tests::{aircraft, at};
    use crate::{Config, Detector, Detectors, Fix, Geography, Level, LonLat};

    fn nav(mut f: Fix, nic: u8, nacp: u8) -> Fix {
        f.nic = Some(nic);
        f.nacp = Some(nacp);
        f
    }

    #[test]
    fn many_degraded_aircraft_in_a_cell_raise_one_alert_per_episode() {
        let mut d = Detectors::new(Config::default(), Geography::default()).unwrap();
        let mut alerts = vec![];
        // Six aircraft in the cell 46.5-47N 33.5-34E for 30 minutes; degraded from minute 10.
        for s in (0..1800).step_by(5) {
            for i in 0..6u32 {
                let p = LonLat::new(33.6 + 0.05 * f64::from(i), 46.7);
                let (nic, nacp) = if s >= 600 { (0, 3) } else { (8, 10) };
                alerts.extend(d.push(&nav(aircraft(0x508000 + i, s, p), nic, nacp)));
            }
            if s % 60 == 0 {
                alerts.extend(d.tick(at(s)));
            }
        }
        alerts.extend(d.tick(at(1800)));
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        let a = &alerts[0];
        assert_eq!(a.detector, Detector::GnssInterference);
        assert_eq!(a.time, at(900));
        assert_eq!(a.tracks.len(), 6);
        let figures = d.interference(at(600));
        assert_eq!(figures.len(), 1);
        assert_eq!((figures[0].aircraft, figures[0].degraded, figures[0].level), (6, 6, Level::High));
        assert_eq!(d.interference(at(0))[0].level, Level::Low);
    }

    #[test]
    fn a_single_degraded_aircraft_is_below_the_minimum() {
        let mut d = Detectors::new(Config::default(), Geography::default()).unwrap();
        for s in (0..900).step_by(5) {
            d.push(&nav(aircraft(0x4A0001, s, LonLat::new(26.1, 44.6)), 0, 0));
            assert!(d.tick(at(s)).is_empty());
        }
        let f = d.interference(at(0));
        assert_eq!((f[0].aircraft, f[0].degraded, f[0].level), (1, 1, Level::TooFewAircraft));
        assert!(d.tick(at(3600)).is_empty());
    }

    #[test]
    fn one_in_twenty_is_some_not_high() {
        let mut d = Detectors::new(Config::default(), Geography::default()).unwrap();
        for i in 0..20u32 {
            let bad = if i == 0 { 3 } else { 10 };
            d.push(&nav(aircraft(0x488000 + i, 10, LonLat::new(21.0, 52.2)), 8, bad));
        }
        assert!(d.tick(at(600)).is_empty());
        let f = d.interference(at(0));
        assert_eq!((f[0].aircraft, f[0].degraded, f[0].level), (20, 1, Level::Some));
        // Fixes without NIC or NACp are not counted at all.
        d.push(&aircraft(0x488100, 700, LonLat::new(21.0, 52.2)));
        assert!(d.interference(at(700)).is_empty());
    }
}
