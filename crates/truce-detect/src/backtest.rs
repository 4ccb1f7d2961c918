//! Backtest: the detectors over a [`Scenario`], scored against its truth.
//!
//! The fixes are pushed in order and [`Detectors::tick`] is called at every minute of scenario time
//! (before the first fix at or after that minute), as a node would. Then:
//!
//! - an alert is a **true positive** when a truth of the same detector shares a track with it and the
//!   alert falls between the truth's `from` and `until`; otherwise it is a **false alarm**;
//! - a truth is **found** when at least one alert matches it; its **delay** is the time from `from` to
//!   the first matching alert;
//! - a truth not found is **pending** when the scenario ends before the detector could possibly have
//!   fired (for example less than the going-dark gap after the last message), otherwise **missed**.
//!
//! Several alerts may match one truth (a spoofed ship jumps out and back: two jump alerts); they are
//! all true positives and the truth counts once.

use std::fmt;

use time::{Duration, OffsetDateTime};

use crate::scenario::{Scenario, Truth};
use crate::{Alert, Config, DetectError, Detector, Detectors};

/// The score of one detector.
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    /// Which detector.
    pub detector: Detector,
    /// Truths for this detector in the scenario.
    pub truths: usize,
    /// Truths found.
    pub found: usize,
    /// Alerts raised.
    pub alerts: usize,
    /// Alerts matching a truth.
    pub true_positives: usize,
    /// Alerts matching none.
    pub false_alarms: usize,
    /// Truths not found although there was time.
    pub misses: usize,
    /// Truths not found because the scenario ended too soon.
    pub pending: usize,
    /// Delay of the first matching alert, per found truth.
    pub delays: Vec<Duration>,
}

/// The result of a backtest.
#[derive(Debug, Clone)]
pub struct Backtest {
    /// Fixes pushed.
    pub fixes: usize,
    /// Per detector, in [`Detector::ALL`] order.
    pub scores: Vec<Score>,
    /// Every alert raised, in order.
    pub alerts: Vec<Alert>,
    /// The alerts that matched no truth.
    pub false_alarms: Vec<Alert>,
    /// The truths missed (not pending).
    pub missed: Vec<Truth>,
}

impl Backtest {
    /// The score of one detector.
    pub fn score(&self, detector: Detector) -> Option<&Score> {
        self.scores.iter().find(|s| s.detector == detector)
    }

    /// Total false alarms.
    pub fn false_alarm_count(&self) -> usize {
        self.false_alarms.len()
    }
}

/// The earliest a detector can fire after its truth's `from`.
fn least_delay_s(detector: Detector, config: &Config) -> f64 {
    match detector {
        Detector::GoingDark => config.dark_gap_s,
        Detector::Encounter => config.encounter_min_s,
        Detector::Loitering => config.loiter_min_s,
        Detector::SpoofCircle => config.circle_min_span_s,
        Detector::GnssInterference => config.interference_window_s,
        Detector::SpoofJump | Detector::SpoofCluster | Detector::EmergencySquawk => 0.0,
    }
}

fn matches(alert: &Alert, truth: &Truth) -> bool {
    alert.detector == truth.detector
        && alert.time >= truth.from
        && alert.time <= truth.until
        && alert.tracks.iter().any(|t| truth.tracks.contains(t))
}

/// Runs the detectors with `config` over `scenario` and scores them.
///
/// # Errors
/// When the configuration or the scenario's geography is refused by [`Detectors::new`].
pub fn backtest(scenario: &Scenario, config: &Config) -> Result<Backtest, DetectError> {
    let mut detectors = Detectors::new(config.clone(), scenario.geography())?;
    let minute = Duration::minutes(1);
    let end = scenario.start + scenario.duration;
    let mut next_tick = scenario.start + minute;
    let mut alerts = Vec::new();
    for fix in &scenario.fixes {
        while fix.time >= next_tick {
            alerts.extend(detectors.tick(next_tick));
            next_tick += minute;
        }
        alerts.extend(detectors.push(fix));
    }
    while next_tick <= end {
        alerts.extend(detectors.tick(next_tick));
        next_tick += minute;
    }
    Ok(score(scenario, config, alerts, end))
}

fn score(scenario: &Scenario, config: &Config, alerts: Vec<Alert>, end: OffsetDateTime) -> Backtest {
    let mut scores = Vec::new();
    let mut missed = Vec::new();
    let false_alarms: Vec<Alert> =
        alerts.iter().filter(|a| !scenario.truth.iter().any(|t| matches(a, t))).cloned().collect();
    for detector in Detector::ALL {
        let mine: Vec<&Alert> = alerts.iter().filter(|a| a.detector == detector).collect();
        let truths: Vec<&Truth> = scenario.truth.iter().filter(|t| t.detector == detector).collect();
        let true_positives = mine.iter().filter(|a| truths.iter().any(|t| matches(a, t))).count();
        let mut s = Score {
            detector,
            truths: truths.len(),
            found: 0,
            alerts: mine.len(),
            true_positives,
            false_alarms: mine.len() - true_positives,
            misses: 0,
            pending: 0,
            delays: Vec::new(),
        };
        for t in truths {
            match mine.iter().filter(|a| matches(a, t)).map(|a| a.time).min() {
                Some(first) => {
                    s.found += 1;
                    s.delays.push(first - t.from);
                }
                None if t.from + Duration::seconds_f64(least_delay_s(detector, config)) > end => s.pending += 1,
                None => {
                    s.misses += 1;
                    missed.push(t.clone());
                }
            }
        }
        scores.push(s);
    }
    Backtest { fixes: scenario.fixes.len(), scores, alerts, false_alarms, missed }
}

fn hms(d: Duration) -> String {
    let s = d.whole_seconds();
    let sign = if s < 0 { "-" } else { "" };
    let s = s.abs();
    if s >= 3600 {
        format!("{sign}{}h{:02}m", s / 3600, s % 3600 / 60)
    } else if s >= 60 {
        format!("{sign}{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{sign}{s}s")
    }
}

impl fmt::Display for Backtest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<18} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6} {:>7}  delay (first alert after onset)",
            "detector", "truths", "found", "alerts", "true+", "false", "missed", "pending"
        )?;
        for s in &self.scores {
            let delay = match (s.delays.iter().min(), s.delays.iter().max()) {
                (Some(lo), Some(hi)) if lo == hi => hms(*lo),
                (Some(lo), Some(hi)) => format!("{} .. {}", hms(*lo), hms(*hi)),
                _ => "-".into(),
            };
            writeln!(
                f,
                "{:<18} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6} {:>7}  {delay}",
                s.detector.name(),
                s.truths,
                s.found,
                s.alerts,
                s.true_positives,
                s.false_alarms,
                s.misses,
                s.pending
            )?;
        }
        let total = |g: fn(&Score) -> usize| self.scores.iter().map(g).sum::<usize>();
        write!(
            f,
            "{:<18} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6} {:>7}  ({} fixes)",
            "total",
            total(|s| s.truths),
            total(|s| s.found),
            total(|s| s.alerts),
            total(|s| s.true_positives),
            total(|s| s.false_alarms),
            total(|s| s.misses),
            total(|s| s.pending),
            self.fixes
        )
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::scenario::scenario;

    fn delay(b: &Backtest, d: Detector) -> Duration {
        let s = b.score(d).unwrap();
        assert!(s.found == s.truths && s.truths > 0, "{d}: {s:?}");
        *s.delays.iter().max().unwrap()
    }

    #[test]
    fn the_scenario_is_found_in_full_with_no_false_alarm() {
        let s = scenario(42, datetime!(2026-10-01 06:00 UTC), Duration::hours(8));
        let config = Config::demo();
        let b = backtest(&s, &config).unwrap();
        println!("{b}");
        for a in &b.false_alarms {
            println!("false alarm: {} {}", a.detector, a.summary);
        }
        assert!(b.false_alarms.is_empty(), "{:?}", b.false_alarms);
        assert!(b.missed.is_empty(), "{:?}", b.missed);
        assert!(b.scores.iter().all(|s| s.pending == 0 && s.found == s.truths && s.truths > 0), "{b}");
        let minute = Duration::minutes(1);
        // Dark: within the gap and one tick of the last message.
        let d = delay(&b, Detector::GoingDark);
        assert!(d >= Duration::hours(2) && d <= Duration::hours(2) + minute, "{d}");
        // Jumps at the first spoofed message.
        assert_eq!(delay(&b, Detector::SpoofJump), Duration::ZERO);
        // The cluster within its window.
        assert!(delay(&b, Detector::SpoofCluster) <= Duration::minutes(10));
        // A circle within one turn (38 min at 8 kn, give or take the speed noise) and two samples.
        assert!(delay(&b, Detector::SpoofCircle) <= Duration::minutes(42));
        // Encounter and loitering at their durations, give or take a 3-minute report.
        assert!(delay(&b, Detector::Encounter) <= Duration::hours(2) + Duration::minutes(4));
        let l = delay(&b, Detector::Loitering);
        assert!(l >= Duration::hours(4) && l <= Duration::hours(4) + Duration::minutes(4), "{l}");
        // Interference within one 5-minute window and one tick of the onset.
        assert!(delay(&b, Detector::GnssInterference) <= Duration::minutes(5) + minute);
        // The squawk at its first message.
        assert_eq!(delay(&b, Detector::EmergencySquawk), Duration::ZERO);
        // The negative cases are really in the scenario: a ship silent in port and one silent where
        // only satellites hear it, both silent far longer than the gap, neither reported dark.
        for (mmsi, why) in [(272_007_715u32, "in port"), (271_000_912, "poor reception")] {
            let last = s.fixes.iter().rev().find(|f| f.id == mmsi).unwrap();
            assert!(last.time + Duration::hours(4) < s.start + s.duration, "{why}");
            assert!(!b.alerts.iter().any(|a| a.detector == Detector::GoingDark && a.tracks[0].1 == mmsi), "{why}");
            if why == "in port" {
                assert!(crate::dark::in_port(&s.ports, last).is_some());
            } else {
                assert!(last.position.lat < 42.6 && last.receiver == Some(900));
            }
        }
        // Every alert explains itself.
        assert!(b.alerts.iter().all(|a| !a.tracks.is_empty() && !a.evidence.is_empty() && !a.summary.is_empty()));
    }

    #[test]
    fn other_seeds_are_found_too() {
        for seed in [1, 2] {
            let s = scenario(seed, datetime!(2026-10-01 06:00 UTC), Duration::hours(8));
            let b = backtest(&s, &Config::demo()).unwrap();
            assert!(b.false_alarms.is_empty() && b.missed.is_empty(), "seed {seed}\n{b}\n{:?}", b.false_alarms);
        }
    }

    #[test]
    fn with_the_published_twelve_hour_gap_the_dark_ship_is_found_after_twelve_hours() {
        let s = scenario(42, datetime!(2026-10-01 06:00 UTC), Duration::hours(15));
        let b = backtest(&s, &Config::default()).unwrap();
        assert!(b.false_alarms.is_empty() && b.missed.is_empty(), "{b}\n{:?}", b.false_alarms);
        let d = delay(&b, Detector::GoingDark);
        assert!(d >= Duration::hours(12) && d <= Duration::hours(12) + Duration::minutes(1), "{d}");
        let dark = b.alerts.iter().find(|a| a.detector == Detector::GoingDark).unwrap();
        println!("{}", dark.summary);
        assert!(dark.figure("expected_messages").unwrap() > 1000.0);
    }

    #[test]
    fn a_short_scenario_leaves_dark_pending_not_missed() {
        let s = scenario(42, datetime!(2026-10-01 06:00 UTC), Duration::hours(3));
        let b = backtest(&s, &Config::default()).unwrap();
        let dark = b.score(Detector::GoingDark).unwrap();
        assert_eq!((dark.truths, dark.found, dark.pending, dark.misses), (1, 0, 1, 0));
        assert!(b.missed.is_empty(), "{b}");
    }
}
