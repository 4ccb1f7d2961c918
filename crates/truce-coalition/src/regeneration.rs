//! Ukraine's regeneration: each target against its progress, the trend and a projected date.
//!
//! # Method
//!
//! The trend is the least-squares slope of value against day over every measurement up to the date of
//! the status (so a single outlier moves it less than the last two points would), given per 30 days.
//! The projection starts from the **latest** measurement and goes on at that slope: the day the target
//! is reached is `latest date + (target − latest value) / slope`. A target already reached says when;
//! a flat or falling trend, a target without a number, or fewer than two measurements on different
//! days give no projected date, and say why. When the target has a deadline, the projection is on or
//! behind schedule against it.

use serde::Serialize;

use crate::model::{Coalition, Day, Progress, Target};

/// What can be said about when a target is reached.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Projection {
    /// Reached: the first measurement at or above the target.
    Reached {
        /// When.
        on: Day,
    },
    /// At the current trend, on this day.
    Projected {
        /// The day.
        on: Day,
        /// Whether that is by the deadline, if the target has one.
        #[serde(skip_serializing_if = "Option::is_none")]
        on_schedule: Option<bool>,
    },
    /// The trend is flat or falling.
    NotAtThisTrend,
    /// Fewer than two measurements on different days.
    TooFewPoints,
    /// No number to reach.
    NoTarget,
}

/// One target's status.
#[derive(Debug, Clone, Serialize)]
pub struct TargetStatus {
    /// The target.
    pub target: Target,
    /// Its measurements up to the status date, oldest first.
    pub progress: Vec<Progress>,
    /// The latest measurement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest: Option<Progress>,
    /// Latest value over target (0..), when both are known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share: Option<f64>,
    /// Least-squares change per 30 days.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trend_per_30_days: Option<f64>,
    /// The projection.
    pub projection: Projection,
}

/// Every target's status.
#[derive(Debug, Clone, Serialize)]
pub struct RegenerationStatus {
    /// The date of the status (measurements after it are ignored); `None`: everything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<Day>,
    /// Targets by id.
    pub targets: Vec<TargetStatus>,
}

/// Least-squares slope (per day) of (day, value).
fn slope(points: &[(f64, f64)]) -> Option<f64> {
    let n = points.len() as f64;
    if points.len() < 2 {
        return None;
    }
    let (mx, my) = points.iter().fold((0.0, 0.0), |(x, y), p| (x + p.0 / n, y + p.1 / n));
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    if sxx == 0.0 {
        return None;
    }
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    Some(sxy / sxx)
}

/// The status of every target as of `at` (default: with every measurement).
pub fn status(c: &Coalition, at: Option<Day>) -> RegenerationStatus {
    let mut targets: Vec<&Target> = c.targets.iter().collect();
    targets.sort_by(|a, b| a.id.cmp(&b.id));
    let mut out = Vec::new();
    for t in targets {
        let mut progress: Vec<Progress> =
            c.progress.iter().filter(|p| p.target == t.id && at.is_none_or(|a| p.date <= a)).cloned().collect();
        progress.sort_by_key(|p| p.date);
        let latest = progress.last().cloned();
        let pts: Vec<(f64, f64)> = progress.iter().map(|p| (p.date.ordinal() as f64, p.value)).collect();
        let per_day = slope(&pts);
        let share = match (&latest, t.target) {
            (Some(l), Some(goal)) if goal > 0.0 => Some(l.value / goal),
            _ => None,
        };
        let projection = match (t.target, &latest, per_day) {
            (None, _, _) => Projection::NoTarget,
            (Some(goal), _, _) if progress.iter().any(|p| p.value >= goal) => {
                let on = progress.iter().find(|p| p.value >= goal).map(|p| p.date);
                on.map_or(Projection::TooFewPoints, |on| Projection::Reached { on })
            }
            (Some(_), _, None) | (Some(_), None, _) => Projection::TooFewPoints,
            (Some(_), Some(_), Some(s)) if s <= 0.0 => Projection::NotAtThisTrend,
            (Some(goal), Some(l), Some(s)) => {
                let days = ((goal - l.value) / s).ceil();
                match Day::from_ordinal(l.date.ordinal() + days as i64) {
                    Some(on) if days.is_finite() && days < 365.0 * 1000.0 => {
                        Projection::Projected { on, on_schedule: t.by.map(|by| on <= by) }
                    }
                    _ => Projection::NotAtThisTrend,
                }
            }
        };
        out.push(TargetStatus {
            target: t.clone(),
            progress,
            latest,
            share,
            trend_per_30_days: per_day.map(|s| s * 30.0),
            projection,
        });
    }
    RegenerationStatus { at, targets: out }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Dated, Recorded};

    fn day(s: &str) -> Day {
        Day::parse(s).unwrap()
    }

    fn coalition(points: &[(&str, f64)], goal: Option<f64>, by: Option<&str>) -> Coalition {
        Coalition {
            targets: vec![Target {
                id: "t".into(),
                name: "T".into(),
                metric: "trained".into(),
                target: goal,
                by: by.map(day),
                programme: None,
                partners: vec![],
                source: "s".into(),
                date: day("2024-01-01"),
                dated: Dated::On,
                illustrative: true,
                label: Default::default(),
            }],
            progress: points
                .iter()
                .map(|&(d, v)| Progress {
                    target: "t".into(),
                    date: day(d),
                    dated: Dated::On,
                    value: v,
                    approx: false,
                    source: "s".into(),
                    note: None,
                    illustrative: true,
                    label: Default::default(),
                    recorded: Recorded::default(),
                })
                .collect(),
            ..Coalition::default()
        }
    }

    #[test]
    fn a_steady_rise_projects_from_the_latest_point() {
        // 1,000 a day from 2025-01-01: 30,000 on 2025-01-31; 75,000 needs 45 more days.
        let c = coalition(
            &[("2025-01-01", 0.0), ("2025-01-11", 10_000.0), ("2025-01-31", 30_000.0)],
            Some(75_000.0),
            Some("2025-03-01"),
        );
        let s = &status(&c, None).targets[0];
        assert!((s.trend_per_30_days.unwrap() - 30_000.0).abs() < 1e-6);
        assert_eq!(s.projection, Projection::Projected { on: day("2025-03-17"), on_schedule: Some(false) });
        assert!((s.share.unwrap() - 0.4).abs() < 1e-9);
    }

    #[test]
    fn reached_flat_and_single_points_say_so() {
        let c = coalition(&[("2025-01-01", 10.0), ("2025-02-01", 20.0)], Some(15.0), None);
        assert_eq!(status(&c, None).targets[0].projection, Projection::Reached { on: day("2025-02-01") });
        let c = coalition(&[("2025-01-01", 10.0), ("2025-02-01", 8.0)], Some(15.0), None);
        assert_eq!(status(&c, None).targets[0].projection, Projection::NotAtThisTrend);
        let c = coalition(&[("2025-01-01", 10.0)], Some(15.0), None);
        assert_eq!(status(&c, None).targets[0].projection, Projection::TooFewPoints);
        let c = coalition(&[("2025-01-01", 10.0)], None, None);
        assert_eq!(status(&c, None).targets[0].projection, Projection::NoTarget);
    }

    #[test]
    fn the_status_date_ignores_later_measurements() {
        let c = coalition(&[("2025-01-01", 10.0), ("2025-02-01", 20.0), ("2025-03-01", 30.0)], Some(100.0), None);
        let s = status(&c, Some(day("2025-02-15")));
        assert_eq!(s.targets[0].progress.len(), 2);
        assert_eq!(s.targets[0].latest.as_ref().unwrap().value, 20.0);
    }
}
