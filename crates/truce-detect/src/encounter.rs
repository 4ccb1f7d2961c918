//! Encounters and loitering in the maritime zones (Global Fishing Watch's definitions).
//!
//! - **Encounter** ([`Detector::Encounter`]): two vessels within [`Config::encounter_distance_m`]
//!   (500 m) of each other for at least [`Config::encounter_min_s`] (2 h), both with a median speed
//!   below [`Config::slow_speed_kn`] (2 kn) over that time, more than [`Config::port_exclusion_m`]
//!   (10 km) from any port, inside a maritime zone. Ship-to-ship transfers (sanctioned cargo,
//!   weapons) look like this.
//! - **Loitering** ([`Detector::Loitering`]): one vessel below 2 kn for at least
//!   [`Config::loiter_min_s`] (4 h) under the same conditions: waiting for a partner that does not
//!   transmit, or watching something.
//!
//! # Design
//!
//! Pairs are found with a uniform grid of 0.01° cells holding the vessels that qualify (in a zone, away
//! from port): a vessel's fix looks only at the cells within the encounter distance, so the cost is the
//! number of vessels nearby, never all pairs. The median-speed condition is kept as two counters per
//! vessel per pair (samples, slow samples): the median is below the threshold exactly when more than
//! half the samples are. A pair continues while the two are seen close at least every
//! [`Config::encounter_max_gap_s`]; otherwise it starts again. Each pair episode raises one alert, with
//! the first and the latest close fixes of both vessels as evidence.
//!
//! Loitering keeps one run per vessel: consecutive slow fixes in a zone and away from port, broken by a
//! fast fix, leaving the zone, coming near a port or a silence longer than [`Config::loiter_max_gap_s`].
//!
//! "Away from port" is distance to the listed ports, not to the coast (GFW's loitering uses 20 nm from
//! shore): a vessel slow near an unlisted anchorage can loiter by this definition.

use std::collections::HashMap;

use crate::engine::Track;
use crate::grid::{Cell, cell_of, distance_m, within_m};
use crate::{Alert, Area, Config, Detector, Figure, Fix, Kind, LonLat};

/// Side of the neighbour-search grid, degrees (about 1.1 km north-south).
const GRID_DEG: f64 = 0.01;

#[derive(Debug, Clone)]
struct Pair {
    /// First close fixes of the lower and the higher MMSI.
    first: [Fix; 2],
    /// Latest close fixes.
    last: [Fix; 2],
    first_s: f64,
    last_close_s: f64,
    samples: [u32; 2],
    slow: [u32; 2],
    alerted: bool,
}

/// The neighbour grid and the open pairs.
#[derive(Debug, Clone, Default)]
pub(crate) struct Encounters {
    grid: HashMap<Cell, Vec<u32>>,
    pairs: HashMap<(u32, u32), Pair>,
}

impl Encounters {
    /// The grid cell a qualifying vessel at `p` belongs to.
    pub(crate) fn cell(p: LonLat) -> Cell {
        cell_of(p, GRID_DEG)
    }

    /// Moves vessel `id` from grid cell `from` to `to` (either may be `None`).
    pub(crate) fn place(&mut self, id: u32, from: Option<Cell>, to: Option<Cell>) {
        if from == to {
            return;
        }
        if let Some(c) = from
            && let Some(v) = self.grid.get_mut(&c)
        {
            v.retain(|&x| x != id);
            if v.is_empty() {
                self.grid.remove(&c);
            }
        }
        if let Some(c) = to {
            self.grid.entry(c).or_default().push(id);
        }
    }

    /// A qualifying vessel's fix: updates the pairs with the vessels near it; alerts for pairs that
    /// just became encounters.
    pub(crate) fn on_fix(
        &mut self,
        fix: &Fix,
        t_s: f64,
        speed_kn: f64,
        tracks: &HashMap<(Kind, u32), Track>,
        zone: &str,
        config: &Config,
    ) -> Vec<Alert> {
        let mut out = Vec::new();
        let (col, row) = Self::cell(fix.position);
        let d = config.encounter_distance_m;
        let ry = (d / (GRID_DEG * 110_574.0)).ceil() as i32;
        let cos = fix.position.lat.to_radians().cos().max(0.01);
        // Far north cells are narrow; beyond 20 cells the search is cut short (no sea traffic there).
        let rx = ((d / (GRID_DEG * 111_320.0 * cos)).ceil() as i32).min(20);
        for dc in -rx..=rx {
            for dr in -ry..=ry {
                let Some(ids) = self.grid.get(&(col.wrapping_add(dc), row.wrapping_add(dr))) else { continue };
                for &other in ids {
                    if other == fix.id {
                        continue;
                    }
                    let Some(o) = tracks.get(&(Kind::Vessel, other)) else { continue };
                    if (t_s - o.last_s).abs() > config.encounter_max_gap_s
                        || !within_m(fix.position, o.last.position, d)
                    {
                        continue;
                    }
                    let key = (fix.id.min(other), fix.id.max(other));
                    let me = usize::from(fix.id != key.0);
                    let pair = self.pairs.entry(key).or_insert_with(|| {
                        let mut first = [fix.clone(), o.last.clone()];
                        if me == 1 {
                            first.swap(0, 1);
                        }
                        Pair {
                            last: first.clone(),
                            first,
                            first_s: t_s,
                            last_close_s: t_s,
                            samples: [0; 2],
                            slow: [0; 2],
                            alerted: false,
                        }
                    });
                    if t_s - pair.last_close_s > config.encounter_max_gap_s {
                        // They drifted apart (or were not heard) for too long: a new episode.
                        let mut first = [fix.clone(), o.last.clone()];
                        if me == 1 {
                            first.swap(0, 1);
                        }
                        *pair = Pair {
                            last: first.clone(),
                            first,
                            first_s: t_s,
                            last_close_s: t_s,
                            samples: [0; 2],
                            slow: [0; 2],
                            alerted: false,
                        };
                    }
                    pair.last[me] = fix.clone();
                    pair.last[1 - me] = o.last.clone();
                    pair.last_close_s = pair.last_close_s.max(t_s);
                    pair.samples[me] += 1;
                    pair.slow[me] += u32::from(speed_kn < config.slow_speed_kn);
                    let slow_both = (0..2).all(|i| pair.samples[i] > 0 && 2 * pair.slow[i] > pair.samples[i]);
                    let duration_s = t_s - pair.first_s;
                    if !pair.alerted && slow_both && duration_s >= config.encounter_min_s {
                        pair.alerted = true;
                        out.push(encounter_alert(pair, key, duration_s, zone, config));
                    }
                }
            }
        }
        out
    }

    /// Forgets pairs not seen close for longer than the gap.
    pub(crate) fn prune(&mut self, now_s: f64, config: &Config) {
        self.pairs.retain(|_, p| now_s - p.last_close_s <= config.encounter_max_gap_s);
    }

    /// Forgets every pair of vessel `id` (its track was pruned).
    pub(crate) fn forget(&mut self, id: u32, cell: Option<Cell>) {
        self.place(id, cell, None);
        self.pairs.retain(|k, _| k.0 != id && k.1 != id);
    }

    pub(crate) fn pairs(&self) -> usize {
        self.pairs.len()
    }

    pub(crate) fn members(&self) -> usize {
        self.grid.values().map(Vec::len).sum()
    }
}

fn encounter_alert(pair: &Pair, key: (u32, u32), duration_s: f64, zone: &str, config: &Config) -> Alert {
    let [a, b] = &pair.last;
    let centre = LonLat::new((a.position.lon + b.position.lon) / 2.0, (a.position.lat + b.position.lat) / 2.0);
    let apart_m = distance_m(a.position, b.position);
    let mut evidence = vec![pair.first[0].clone(), pair.first[1].clone(), a.clone(), b.clone()];
    evidence.sort_by(|x, y| x.time.cmp(&y.time).then(x.id.cmp(&y.id)));
    Alert {
        detector: Detector::Encounter,
        time: if a.time > b.time { a.time } else { b.time },
        tracks: vec![(Kind::Vessel, key.0), (Kind::Vessel, key.1)],
        evidence,
        area: Some(Area::Point(centre)),
        figures: vec![
            Figure { name: "duration_h", value: duration_s / 3600.0 },
            Figure { name: "distance_m", value: apart_m },
            Figure { name: "slow_share_first", value: f64::from(pair.slow[0]) / f64::from(pair.samples[0]) },
            Figure { name: "slow_share_second", value: f64::from(pair.slow[1]) / f64::from(pair.samples[1]) },
        ],
        summary: format!(
            "Vessels {} and {} have stayed within {:.0} m of each other (now {:.0} m) for {:.1} h, both slower than \
             {} kn, at {:.3}N {:.3}E in maritime zone {zone}, away from port: a possible ship-to-ship transfer.",
            key.0,
            key.1,
            config.encounter_distance_m,
            apart_m,
            duration_s / 3600.0,
            config.slow_speed_kn,
            centre.lat,
            centre.lon
        ),
    }
}

/// A vessel's current run of slow fixes.
#[derive(Debug, Clone)]
pub(crate) struct LoiterRun {
    start: Fix,
    start_s: f64,
    last_s: f64,
    fixes: u32,
    speed_sum_kn: f64,
    alerted: bool,
}

/// Updates a vessel's loitering run with its fix; an alert when the run reaches the duration.
/// `zone` is the maritime zone the fix is in when it qualifies (in a zone, away from port).
pub(crate) fn loiter(
    run: &mut Option<LoiterRun>,
    fix: &Fix,
    t_s: f64,
    speed_kn: f64,
    zone: Option<&str>,
    config: &Config,
) -> Option<Alert> {
    let (Some(zone), true) = (zone, speed_kn < config.slow_speed_kn) else {
        *run = None;
        return None;
    };
    if run.as_ref().is_some_and(|r| t_s - r.last_s > config.loiter_max_gap_s) {
        *run = None;
    }
    let r = run.get_or_insert_with(|| LoiterRun {
        start: fix.clone(),
        start_s: t_s,
        last_s: t_s,
        fixes: 0,
        speed_sum_kn: 0.0,
        alerted: false,
    });
    r.last_s = t_s;
    r.fixes += 1;
    r.speed_sum_kn += speed_kn;
    let duration_s = t_s - r.start_s;
    if r.alerted || duration_s < config.loiter_min_s {
        return None;
    }
    r.alerted = true;
    let mean_kn = r.speed_sum_kn / f64::from(r.fixes);
    Some(Alert {
        detector: Detector::Loitering,
        time: fix.time,
        tracks: vec![fix.track()],
        evidence: vec![r.start.clone(), fix.clone()],
        area: Some(Area::Point(fix.position)),
        figures: vec![
            Figure { name: "duration_h", value: duration_s / 3600.0 },
            Figure { name: "mean_speed_kn", value: mean_kn },
            Figure { name: "fixes", value: f64::from(r.fixes) },
        ],
        summary: format!(
            "Vessel {} has loitered below {} kn (mean {:.1} kn) for {:.1} h at {:.3}N {:.3}E in maritime zone {zone}, \
             away from port.",
            fix.id,
            config.slow_speed_kn,
            mean_kn,
            duration_s / 3600.0,
            fix.position.lat,
            fix.position.lon
        ),
    })
}

#[cfg(test)]
mod tests {
    use crate::engine::tests::{at, vessel};
    use crate::grid::from_local_m;
    use crate::{Config, Detector, Detectors, Geography, LonLat, Port, ZonePolygon};

    fn zone_box(w: f64, s: f64, e: f64, n: f64) -> ZonePolygon {
        let ring = vec![LonLat::new(w, s), LonLat::new(e, s), LonLat::new(e, n), LonLat::new(w, n), LonLat::new(w, s)];
        ZonePolygon { polygons: vec![vec![ring]] }
    }

    fn geography() -> Geography {
        Geography {
            ports: vec![Port { name: "Odesa".into(), position: LonLat::new(30.74, 46.49), radius_m: 4000.0 }],
            maritime_zones: vec![("mez".into(), zone_box(29.6, 44.9, 31.6, 46.55))],
        }
    }

    /// Two vessels 150 m apart drifting for `hours` at `speed` kn, fixes every 3 minutes.
    fn pair(d: &mut Detectors, at_: LonLat, hours: i64, speed: f64) -> Vec<(i64, crate::Alert)> {
        let mut out = vec![];
        for k in 0..(hours * 20) {
            let t = k * 180;
            let b = from_local_m(at_, 150.0, 0.0);
            for a in d.push(&vessel(1, t, at_, Some(speed))) {
                out.push((t, a));
            }
            for a in d.push(&vessel(2, t + 5, b, Some(speed))) {
                out.push((t + 5, a));
            }
        }
        out
    }

    #[test]
    fn two_slow_vessels_close_for_two_hours_meet() {
        let mut d = Detectors::new(Config::default(), geography()).unwrap();
        let alerts = pair(&mut d, LonLat::new(30.95, 45.45), 3, 0.5);
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        let (t, a) = &alerts[0];
        assert_eq!(a.detector, Detector::Encounter);
        assert_eq!(a.tracks.len(), 2);
        assert_eq!(a.evidence.len(), 4);
        assert!(*t >= 7200 && *t <= 7200 + 185, "{t}");
    }

    #[test]
    fn near_port_outside_zones_fast_or_short_is_no_encounter() {
        // Near Odesa (inside the zone box but within 10 km of the port).
        let mut d = Detectors::new(Config::default(), geography()).unwrap();
        assert!(pair(&mut d, LonLat::new(30.76, 46.45), 3, 0.5).is_empty());
        // Outside every zone.
        let mut d = Detectors::new(Config::default(), geography()).unwrap();
        assert!(pair(&mut d, LonLat::new(32.5, 44.5), 3, 0.5).is_empty());
        // Too fast (sailing in company at 3 kn).
        let mut d = Detectors::new(Config::default(), geography()).unwrap();
        assert!(pair(&mut d, LonLat::new(30.95, 45.45), 3, 3.0).is_empty());
        // Too short.
        let mut d = Detectors::new(Config::default(), geography()).unwrap();
        assert!(pair(&mut d, LonLat::new(30.95, 45.45), 1, 0.5).is_empty());
    }

    #[test]
    fn one_slow_vessel_for_four_hours_loiters_once() {
        let mut d = Detectors::new(Config::default(), geography()).unwrap();
        let mut found = vec![];
        for k in 0..(6 * 20) {
            for a in d.push(&vessel(5, k * 180, LonLat::new(31.3, 45.1), Some(0.8))) {
                found.push((k * 180, a));
            }
        }
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].1.detector, Detector::Loitering);
        assert_eq!(found[0].0, 4 * 3600);
        // A fast fix breaks the run; a near-port vessel never loiters.
        let mut d = Detectors::new(Config::default(), geography()).unwrap();
        for k in 0..(6 * 20) {
            let speed = if k == 60 { 9.0 } else { 0.8 };
            assert!(d.push(&vessel(5, k * 180, LonLat::new(31.3, 45.1), Some(speed))).is_empty());
            assert!(d.push(&vessel(6, k * 180, LonLat::new(30.75, 46.47), Some(0.0))).is_empty());
        }
        let _ = at(0);
    }
}
