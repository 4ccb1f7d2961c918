//! Spoofing: positions that cannot be true.
//!
//! Three independent tests, from the cheapest to the most specific:
//!
//! - **Impossible jump** ([`Detector::SpoofJump`]): between two consecutive fixes of one track the
//!   implied speed exceeds what the kind of craft can do ([`Config::vessel_max_speed_kn`],
//!   [`Config::aircraft_max_speed_kn`]) *and* the jump is longer than [`Config::jump_floor_m`]. The
//!   floor matters: two fixes one second apart with 30 m of GNSS noise imply 58 kn. The cheap
//!   equirectangular distance rules out almost every fix; Karney's geodesic decides the rest. After a
//!   jump the new position becomes the reference, so a spoofed ship that stays spoofed raises one alert,
//!   and another when it jumps back.
//! - **Cluster** ([`Detector::SpoofCluster`]): a single jump may be a faulty transponder or a decoding
//!   error; several vessels jumping within [`Config::cluster_window_s`] to within
//!   [`Config::cluster_radius_m`] of one spot is an attack on GNSS (SeaSpoofFinder's cross-vessel
//!   corroboration; in the Black Sea ships have been seen "at" airports inland). Recent vessel jumps are
//!   kept in a queue; when one lands near [`Config::cluster_min_vessels`] − 1 others, one alert names all
//!   the vessels. Later arrivals at the same spot within the window extend the episode silently (their
//!   own jump alerts still name them).
//! - **Circle** ([`Detector::SpoofCircle`]): the "crop circles" of spoofed AIS tracks: a vessel whose
//!   recent positions lie on a circle. Per vessel a thinned history (one fix per
//!   [`Config::circle_sample_s`], the last [`Config::circle_window_s`]) is fitted with an algebraic
//!   least-squares circle (Kåsa); the track is a circle when there are enough fixes over a long enough
//!   span, the radius is plausible, the RMS distance from the circle is a small share of the radius, the
//!   positions turn a full circle around the centre and the vessel reports a speed. A real ship can turn
//!   a full circle, so this is an indication, which the evidence (every fix of the window) lets an
//!   officer judge.

use std::collections::VecDeque;

use time::OffsetDateTime;
use truce_geo::LonLat;

use crate::grid::{approx_distance_m, distance_m, from_local_m, local_m, within_m};
use crate::{Alert, Area, Config, Detector, Figure, Fix, KN_PER_MPS, Kind};

/// The jump from `prev` to `fix`, if it is impossible.
pub(crate) fn jump(prev: &Fix, prev_s: f64, fix: &Fix, t_s: f64, config: &Config) -> Option<Alert> {
    let max_kn = match fix.kind {
        Kind::Vessel => config.vessel_max_speed_kn,
        Kind::Aircraft => config.aircraft_max_speed_kn,
    };
    let dt = t_s - prev_s;
    let approx = approx_distance_m(prev.position, fix.position);
    // Clearly below the floor, or clearly below the speed limit: no need for the exact distance.
    if approx < config.jump_floor_m * 0.99 || (dt > 0.0 && approx / dt * KN_PER_MPS < max_kn * 0.95) {
        return None;
    }
    let d = distance_m(prev.position, fix.position);
    let speed_kn = if dt > 0.0 { d / dt * KN_PER_MPS } else { f64::INFINITY };
    if d <= config.jump_floor_m || speed_kn <= max_kn {
        return None;
    }
    let what = match fix.kind {
        Kind::Vessel => "vessel",
        Kind::Aircraft => "aircraft",
    };
    let speed_text = if speed_kn.is_finite() { format!("{speed_kn:.0} kn") } else { "an infinite speed".into() };
    Some(Alert {
        detector: Detector::SpoofJump,
        time: fix.time,
        tracks: vec![fix.track()],
        evidence: vec![prev.clone(), fix.clone()],
        area: Some(Area::Point(fix.position)),
        figures: vec![
            Figure { name: "distance_m", value: d },
            Figure { name: "interval_s", value: dt },
            Figure { name: "implied_speed_kn", value: speed_kn },
            Figure { name: "max_speed_kn", value: max_kn },
        ],
        summary: format!(
            "{} {} jumped {:.1} km in {:.0} s (implying {speed_text}, more than the {max_kn:.0} kn a {what} can do) \
             from {:.3}N {:.3}E to {:.3}N {:.3}E: its position is spoofed or wrong.",
            capitalised(what),
            if fix.kind == Kind::Vessel { format!("MMSI {:09}", fix.id) } else { format!("ICAO {:06X}", fix.id) },
            d / 1000.0,
            dt,
            prev.position.lat,
            prev.position.lon,
            fix.position.lat,
            fix.position.lon,
        ),
    })
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

#[derive(Debug, Clone)]
struct JumpEvent {
    t_s: f64,
    from: Fix,
    to: Fix,
}

/// Recent vessel jumps, for cross-vessel corroboration.
#[derive(Debug, Clone, Default)]
pub(crate) struct Clusters {
    jumps: VecDeque<JumpEvent>,
    /// Clusters already reported: time of the latest jump into them and their spot.
    reported: Vec<(f64, LonLat)>,
}

/// Bound on remembered jumps whatever the input's time order (a window normally holds a handful).
const MAX_JUMPS: usize = 10_000;

impl Clusters {
    /// Records a vessel's impossible jump from `from` to `to`; an alert when it completes a cluster.
    pub(crate) fn on_jump(&mut self, from: &Fix, to: &Fix, t_s: f64, config: &Config) -> Option<Alert> {
        self.prune(t_s, config);
        self.jumps.push_back(JumpEvent { t_s, from: from.clone(), to: to.clone() });
        if self.jumps.len() > MAX_JUMPS {
            self.jumps.pop_front();
        }
        let members: Vec<&JumpEvent> = self
            .jumps
            .iter()
            .filter(|j| {
                (j.t_s - t_s).abs() <= config.cluster_window_s
                    && within_m(j.to.position, to.position, config.cluster_radius_m)
            })
            .collect();
        let mut ids: Vec<u32> = members.iter().map(|j| j.to.id).collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.len() < config.cluster_min_vessels {
            return None;
        }
        if let Some(r) = self.reported.iter_mut().find(|(rt, spot)| {
            (t_s - *rt).abs() <= config.cluster_window_s && within_m(*spot, to.position, config.cluster_radius_m)
        }) {
            // The same episode: remember its latest jump so that it stays one alert.
            r.0 = r.0.max(t_s);
            return None;
        }
        self.reported.push((t_s, to.position));
        let n = members.len() as f64;
        let centre = LonLat::new(
            members.iter().map(|j| j.to.position.lon).sum::<f64>() / n,
            members.iter().map(|j| j.to.position.lat).sum::<f64>() / n,
        );
        let spread_m = members.iter().map(|j| distance_m(centre, j.to.position)).fold(0.0, f64::max);
        let first_s = members.iter().map(|j| j.t_s).fold(f64::INFINITY, f64::min);
        let mut evidence: Vec<Fix> = members.iter().flat_map(|j| [j.from.clone(), j.to.clone()]).collect();
        evidence.sort_by(|a, b| a.time.cmp(&b.time).then(a.id.cmp(&b.id)));
        let list = ids.iter().map(u32::to_string).collect::<Vec<_>>().join(", ");
        Some(Alert {
            detector: Detector::SpoofCluster,
            time: to.time,
            tracks: ids.iter().map(|&id| (Kind::Vessel, id)).collect(),
            evidence,
            area: Some(Area::Point(centre)),
            figures: vec![
                Figure { name: "vessels", value: ids.len() as f64 },
                Figure { name: "window_s", value: t_s - first_s },
                Figure { name: "spread_m", value: spread_m },
            ],
            summary: format!(
                "{} vessels ({list}) jumped within {:.0} min to the same spot near {:.3}N {:.3}E (within {:.1} km of \
                 each other): coordinated GNSS spoofing.",
                ids.len(),
                ((t_s - first_s) / 60.0).ceil(),
                centre.lat,
                centre.lon,
                spread_m / 1000.0
            ),
        })
    }

    /// Forgets jumps and clusters older than the window before `now_s`.
    pub(crate) fn prune(&mut self, now_s: f64, config: &Config) {
        let horizon = now_s - config.cluster_window_s;
        self.jumps.retain(|j| j.t_s >= horizon);
        self.reported.retain(|(t, _)| *t >= horizon);
        if self.reported.len() > MAX_JUMPS {
            self.reported.drain(..self.reported.len() - MAX_JUMPS);
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.jumps.len() + self.reported.len()
    }
}

#[derive(Debug, Clone, Copy)]
struct Sample {
    time: OffsetDateTime,
    t_s: f64,
    p: LonLat,
    /// Reported speed, NaN when none.
    speed_kn: f64,
    /// Heading of the step from the previous sample, radians (NaN for the first).
    heading: f64,
    /// Change of heading from the previous step to this one, radians in (-π, π] (0 when unknown).
    turn: f64,
}

/// A vessel's thinned recent history for the circle test.
#[derive(Debug, Clone, Default)]
pub(crate) struct CircleState {
    samples: VecDeque<Sample>,
    quiet_until_s: f64,
}

/// Bound on the history whatever the configuration.
const MAX_SAMPLES: usize = 1024;

/// A fitted circle.
#[derive(Debug, Clone, Copy)]
struct Circle {
    centre: LonLat,
    radius_m: f64,
    rms_m: f64,
    turn_deg: f64,
}

impl CircleState {
    /// Records a vessel fix; an alert when the recent history is a circle.
    pub(crate) fn on_fix(&mut self, fix: &Fix, t_s: f64, config: &Config) -> Option<Alert> {
        if let Some(last) = self.samples.back()
            && t_s - last.t_s < config.circle_sample_s
        {
            return None;
        }
        let speed_kn = fix.speed_kn.filter(|s| s.is_finite()).unwrap_or(f64::NAN);
        let (heading, turn) = match self.samples.back() {
            Some(prev) => {
                let (x, y) = local_m(prev.p, fix.position);
                let h = y.atan2(x);
                (h, if prev.heading.is_nan() { 0.0 } else { wrap_pi(h - prev.heading) })
            }
            None => (f64::NAN, 0.0),
        };
        self.samples.push_back(Sample { time: fix.time, t_s, p: fix.position, speed_kn, heading, turn });
        while self.samples.front().is_some_and(|s| s.t_s < t_s - config.circle_window_s)
            || self.samples.len() > MAX_SAMPLES
        {
            self.samples.pop_front();
        }
        if t_s < self.quiet_until_s || self.samples.len() < config.circle_min_fixes {
            return None;
        }
        let first = self.samples.front()?;
        let span_s = t_s - first.t_s;
        if span_s < config.circle_min_span_s {
            return None;
        }
        let mut speeds: Vec<f64> = self.samples.iter().map(|s| s.speed_kn).filter(|s| !s.is_nan()).collect();
        let median_kn = if speeds.is_empty() {
            // No reported speed: the path length over the span.
            let path: f64 =
                self.samples.iter().zip(self.samples.iter().skip(1)).map(|(a, b)| approx_distance_m(a.p, b.p)).sum();
            path / span_s * KN_PER_MPS
        } else {
            let mid = speeds.len() / 2;
            *speeds.select_nth_unstable_by(mid, f64::total_cmp).1
        };
        if median_kn <= config.circle_min_speed_kn {
            return None;
        }
        // The window may begin with the straight approach to the circle: try the whole window, then
        // shorter and shorter suffixes (every fourth sample) while they are long enough. Fitting is
        // only tried where the path itself turns (almost) enough, which rules out straight and gently
        // curving tracks without a fit.
        let n = self.samples.len();
        // Net and total turning of the path from each sample to the end (the turn recorded at sample i
        // is between the steps into i-1 and into i, so a suffix from k owns the turns after k+1).
        let mut net = vec![0.0; n + 1];
        let mut total = vec![0.0; n + 1];
        for i in (0..n).rev() {
            let turn = if i >= 1 { self.samples[i].turn } else { 0.0 };
            net[i] = net[i + 1] + turn;
            total[i] = total[i + 1] + turn.abs();
        }
        // A circle turns steadily one way: the net turn is most of the total turning. Jitter around a
        // point (a spoofed position, a drifting ship) and back-and-forth sweeps turn a lot both ways.
        let turns_enough = |k: usize| {
            let (net, total) = (net[(k + 2).min(n)].abs().to_degrees(), total[(k + 2).min(n)].to_degrees());
            net >= 0.9 * config.circle_min_turn_deg && net >= 0.7 * total
        };
        if !(0..n).step_by(4).any(turns_enough) {
            return None;
        }
        let origin = self.samples.front()?.p;
        let pts: Vec<(f64, f64)> = self.samples.iter().map(|s| local_m(origin, s.p)).collect();
        let (skip, c) = (0..n)
            .step_by(4)
            .take_while(|&k| n - k >= config.circle_min_fixes && t_s - self.samples[k].t_s >= config.circle_min_span_s)
            .filter(|&k| turns_enough(k))
            .find_map(|k| fit(origin, &pts[k..]).filter(|c| is_circle(c, config)).map(|c| (k, c)))?;
        self.samples.drain(..skip);
        let span_s = t_s - self.samples.front()?.t_s;
        self.quiet_until_s = t_s + config.circle_window_s;
        let evidence = self
            .samples
            .iter()
            .map(|s| Fix {
                speed_kn: Some(s.speed_kn).filter(|v| !v.is_nan()),
                ..Fix::new(Kind::Vessel, fix.id, s.time, s.p)
            })
            .collect::<Vec<_>>();
        Some(Alert {
            detector: Detector::SpoofCircle,
            time: fix.time,
            tracks: vec![fix.track()],
            evidence,
            area: Some(Area::Point(c.centre)),
            figures: vec![
                Figure { name: "fixes", value: self.samples.len() as f64 },
                Figure { name: "span_s", value: span_s },
                Figure { name: "radius_m", value: c.radius_m },
                Figure { name: "rms_residual_m", value: c.rms_m },
                Figure { name: "turn_deg", value: c.turn_deg.abs() },
                Figure { name: "median_speed_kn", value: median_kn },
            ],
            summary: format!(
                "Vessel {} reported {} positions over {:.0} min on a circle of {:.0} m radius around {:.3}N {:.3}E \
                 (turning {:.0} degrees at {:.1} kn): the crop-circle pattern of spoofed AIS positions.",
                fix.id,
                self.samples.len(),
                span_s / 60.0,
                c.radius_m,
                c.centre.lat,
                c.centre.lon,
                c.turn_deg.abs(),
                median_kn
            ),
        })
    }

    pub(crate) fn len(&self) -> usize {
        self.samples.len()
    }
}

/// An angle difference wrapped to (-π, π].
fn wrap_pi(d: f64) -> f64 {
    if d > std::f64::consts::PI {
        d - std::f64::consts::TAU
    } else if d <= -std::f64::consts::PI {
        d + std::f64::consts::TAU
    } else {
        d
    }
}

fn is_circle(c: &Circle, config: &Config) -> bool {
    c.radius_m >= config.circle_min_radius_m
        && c.radius_m <= config.circle_max_radius_m
        && c.rms_m <= config.circle_max_residual_ratio * c.radius_m
        && c.turn_deg.abs() >= config.circle_min_turn_deg
}

/// Algebraic least-squares circle (Kåsa) through the samples in local metres, with the RMS of the
/// geometric residuals and the total turn of the positions around the centre. `None` when the points
/// are (nearly) collinear.
fn fit(origin: LonLat, pts: &[(f64, f64)]) -> Option<Circle> {
    if pts.is_empty() {
        return None;
    }
    let n = pts.len() as f64;
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / n;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / n;
    let (mut suu, mut svv, mut suv, mut suuu, mut svvv, mut suvv, mut svuu) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for &(x, y) in pts {
        let (u, v) = (x - mx, y - my);
        suu += u * u;
        svv += v * v;
        suv += u * v;
        suuu += u * u * u;
        svvv += v * v * v;
        suvv += u * v * v;
        svuu += v * u * u;
    }
    let det = suu * svv - suv * suv;
    let scale = (suu + svv) * (suu + svv);
    // Also refuses NaN: a comparison with NaN is false.
    if det.partial_cmp(&(1e-9 * scale)) != Some(std::cmp::Ordering::Greater) || scale == 0.0 {
        return None;
    }
    let bu = 0.5 * (suuu + suvv);
    let bv = 0.5 * (svvv + svuu);
    let uc = (bu * svv - bv * suv) / det;
    let vc = (suu * bv - suv * bu) / det;
    let radius_m = (uc * uc + vc * vc + (suu + svv) / n).sqrt();
    let (cx, cy) = (uc + mx, vc + my);
    let rms_m = (pts.iter().map(|&(x, y)| ((x - cx).hypot(y - cy) - radius_m).powi(2)).sum::<f64>() / n).sqrt();
    let mut turn = 0.0;
    let mut prev: Option<f64> = None;
    for &(x, y) in pts {
        let a = (y - cy).atan2(x - cx);
        if let Some(p) = prev {
            turn += wrap_pi(a - p);
        }
        prev = Some(a);
    }
    let centre = from_local_m(origin, cx, cy);
    if !(radius_m.is_finite() && rms_m.is_finite() && centre.is_valid()) {
        return None;
    }
    Some(Circle { centre, radius_m, rms_m, turn_deg: turn.to_degrees() })
}

#[cfg(test)]
mod tests {
    use crate::engine::tests::{aircraft, at, vessel};
    use crate::grid::from_local_m;
    use crate::{Config, Detector, Detectors, Geography, Kind, LonLat};

    fn detectors() -> Detectors {
        Detectors::new(Config::default(), Geography::default()).unwrap()
    }

    #[test]
    fn an_impossible_vessel_jump_is_spoofing() {
        let mut d = detectors();
        assert!(d.push(&vessel(1, 0, LonLat::new(30.85, 46.35), Some(12.0))).is_empty());
        // 15 km in 10 s.
        let alerts = d.push(&vessel(1, 10, LonLat::new(30.6765, 46.4268), Some(12.0)));
        assert_eq!(alerts.len(), 1);
        let a = &alerts[0];
        assert_eq!(a.detector, Detector::SpoofJump);
        assert_eq!(a.evidence.len(), 2);
        assert!(a.figure("implied_speed_kn").unwrap() > 2000.0);
        // Staying at the spoofed spot is not another jump.
        assert!(d.push(&vessel(1, 20, LonLat::new(30.6766, 46.4268), Some(12.0))).is_empty());
    }

    #[test]
    fn gnss_noise_below_the_floor_is_not_spoofing() {
        let mut d = detectors();
        d.push(&vessel(1, 0, LonLat::new(30.85, 46.35), Some(0.0)));
        // 300 m in one second is 580 kn, but below the 1 km floor.
        assert!(d.push(&vessel(1, 1, LonLat::new(30.854, 46.35), Some(0.0))).is_empty());
        // A fast aircraft is not a jump either: 460 kn over 5 s.
        d.push(&aircraft(0x4A0001, 0, LonLat::new(26.0, 45.0)));
        assert!(d.push(&aircraft(0x4A0001, 5, LonLat::new(26.0, 45.0107))).is_empty());
        // But 1,200 kn is.
        let a = d.push(&aircraft(0x4A0001, 10, LonLat::new(26.0, 45.0385)));
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].tracks, vec![(Kind::Aircraft, 0x4A0001)]);
    }

    #[test]
    fn three_vessels_jumping_to_one_spot_are_one_cluster() {
        let mut d = detectors();
        let airport = LonLat::new(30.6765, 46.4268);
        let starts = [LonLat::new(30.85, 46.35), LonLat::new(30.95, 46.25), LonLat::new(31.05, 46.4)];
        for (i, s) in starts.iter().enumerate() {
            d.push(&vessel(10 + i as u32, 0, *s, Some(10.0)));
        }
        let mut clusters = vec![];
        for (i, _) in starts.iter().enumerate() {
            let to = LonLat::new(airport.lon + i as f64 * 0.002, airport.lat);
            clusters.extend(
                d.push(&vessel(10 + i as u32, 60 + 90 * i as i64, to, Some(10.0)))
                    .into_iter()
                    .filter(|a| a.detector == Detector::SpoofCluster),
            );
        }
        assert_eq!(clusters.len(), 1, "{clusters:?}");
        let c = &clusters[0];
        assert_eq!(c.tracks, vec![(Kind::Vessel, 10), (Kind::Vessel, 11), (Kind::Vessel, 12)]);
        assert_eq!(c.evidence.len(), 6);
        // A fourth vessel joining the same spot within the window does not repeat the alert.
        d.push(&vessel(13, 0, LonLat::new(31.2, 46.2), Some(10.0)));
        let more = d.push(&vessel(13, 400, airport, Some(10.0)));
        assert!(more.iter().all(|a| a.detector == Detector::SpoofJump), "{more:?}");
    }

    #[test]
    fn two_vessels_jumping_is_not_a_cluster() {
        let mut d = detectors();
        let airport = LonLat::new(30.6765, 46.4268);
        d.push(&vessel(10, 0, LonLat::new(30.85, 46.35), Some(10.0)));
        d.push(&vessel(11, 0, LonLat::new(30.95, 46.25), Some(10.0)));
        d.push(&vessel(12, 0, LonLat::new(31.05, 46.40), Some(10.0)));
        let mut all = d.push(&vessel(10, 60, airport, Some(10.0)));
        all.extend(d.push(&vessel(11, 70, airport, Some(10.0))));
        // The third jumps elsewhere (50 km away), the window is not the issue.
        all.extend(d.push(&vessel(12, 80, LonLat::new(30.0, 46.0), Some(10.0))));
        assert_eq!(all.len(), 3);
        assert!(all.iter().all(|a| a.detector == Detector::SpoofJump));
        // Three to one spot but spread over an hour is not a cluster either.
        let mut d = detectors();
        for (i, t) in [0i64, 1800, 3600].iter().enumerate() {
            d.push(&vessel(20 + i as u32, *t, LonLat::new(30.85 + i as f64 * 0.1, 46.35), Some(10.0)));
            let a = d.push(&vessel(20 + i as u32, t + 10, airport, Some(10.0)));
            assert!(a.iter().all(|a| a.detector == Detector::SpoofJump));
        }
    }

    fn circle_fix(id: u32, k: i64, centre: LonLat, radius_m: f64, period_s: f64, speed: f64) -> crate::Fix {
        let t = k * 10;
        let a = std::f64::consts::TAU * t as f64 / period_s;
        vessel(id, t, from_local_m(centre, radius_m * a.cos(), radius_m * a.sin()), Some(speed))
    }

    #[test]
    fn a_vessel_circling_is_found_once_per_window() {
        let mut d = detectors();
        let centre = LonLat::new(31.3, 44.5);
        let mut found = vec![];
        // 1.5 km radius at 8 kn: a turn every 38 minutes; 50 minutes of fixes every 10 s.
        for k in 0..300 {
            for a in d.push(&circle_fix(7, k, centre, 1500.0, 2290.0, 8.0)) {
                found.push((k, a));
            }
        }
        assert_eq!(found.len(), 1, "{found:?}");
        let (k, a) = &found[0];
        assert_eq!(a.detector, Detector::SpoofCircle);
        // Found once a full turn is complete (2290 s ≈ 229 fixes), not before.
        assert!(*k >= 229 && *k < 240, "{k}");
        assert!((a.figure("radius_m").unwrap() - 1500.0).abs() < 20.0);
        match a.area {
            Some(crate::Area::Point(c)) => assert!(crate::grid::distance_m(c, centre) < 30.0),
            _ => panic!("no centre"),
        }
    }

    #[test]
    fn straight_tracks_half_circles_and_swinging_at_anchor_are_not_circles() {
        let mut d = detectors();
        for k in 0..400 {
            // Straight at 10 kn.
            assert!(d.push(&vessel(1, k * 10, LonLat::new(30.0 + k as f64 * 0.0007, 45.0), Some(10.0))).is_empty());
            // Half a circle in the window (period two hours).
            assert!(d.push(&circle_fix(2, k, LonLat::new(31.0, 45.0), 1500.0, 7200.0, 8.0)).is_empty());
            // Swinging at anchor: 60 m radius, 0 kn.
            assert!(d.push(&circle_fix(3, k, LonLat::new(31.5, 45.0), 60.0, 600.0, 0.0)).is_empty());
            // A real circle but no speed reported (stationary): not spoofing by our test.
            assert!(d.push(&circle_fix(4, k, LonLat::new(32.0, 45.0), 1500.0, 1800.0, 0.0)).is_empty());
        }
        let _ = at(0);
    }
}
