//! Going dark: a vessel that stops reporting where it would have been heard.
//!
//! # Design
//!
//! A silence means nothing where nobody listens. Global Fishing Watch therefore only counts a gap as
//! possible AIS disabling where reception is reliable, and models reception per cell from the data
//! itself. We do the same, online: every time a vessel reports, the interval since its previous report
//! (if shorter than [`Config::coverage_max_interval_s`], so that gaps are not counted as listening) is
//! added to the observed vessel-time of the cell of the previous report, together with one message.
//! The cell's reception figure is then *position messages per vessel-hour*: a shore-covered cell with
//! class A traffic sees hundreds, a satellite-only cell a handful.
//!
//! [`Detectors::tick`](crate::Detectors::tick) looks at every vessel once its silence reaches
//! [`Config::dark_gap_s`] and raises an alert when the cell of its last position has been observed for
//! long enough ([`Config::coverage_min_vessel_h`]) with a good rate ([`Config::coverage_min_rate_per_h`])
//! and the last position is outside every port's radius. Each silence is judged once; the next fix of
//! the vessel starts a new one. The alert carries the last fix, the gap and the reception figure, and
//! the number of messages that reception would have delivered over the gap.
//!
//! The model never forgets (no decay): a receiver that fails keeps its cell "good". That is a known
//! weakness, acceptable for a feed of days.

use std::collections::HashMap;

use time::OffsetDateTime;

use crate::grid::{Cell, CellBounds, cell_of, within_m};
use crate::{Alert, Area, Config, Detector, Figure, Fix, Port};

/// Reception learned for one cell.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Reception {
    /// Position messages counted in the cell.
    pub messages: f64,
    /// Vessel-hours observed in the cell.
    pub vessel_h: f64,
}

impl Reception {
    /// Messages per vessel-hour (0 when nothing was observed).
    pub fn rate_per_h(&self) -> f64 {
        if self.vessel_h > 0.0 { self.messages / self.vessel_h } else { 0.0 }
    }
}

/// The learned reception model: per cell, messages and vessel-time.
#[derive(Debug, Clone)]
pub(crate) struct Coverage {
    cell_deg: f64,
    cells: HashMap<Cell, Reception>,
}

impl Coverage {
    pub(crate) fn new(cell_deg: f64) -> Self {
        Self { cell_deg, cells: HashMap::new() }
    }

    /// Learns from a vessel's report arriving `interval_s` after its previous one at `previous`.
    pub(crate) fn learn(&mut self, previous: &Fix, interval_s: f64, config: &Config) {
        if !(interval_s >= 0.0 && interval_s <= config.coverage_max_interval_s) {
            return;
        }
        let r = self.cells.entry(cell_of(previous.position, self.cell_deg)).or_default();
        r.messages += 1.0;
        r.vessel_h += interval_s / 3600.0;
    }

    pub(crate) fn reception(&self, fix: &Fix) -> (Cell, Reception) {
        let cell = cell_of(fix.position, self.cell_deg);
        (cell, self.cells.get(&cell).copied().unwrap_or_default())
    }

    pub(crate) fn len(&self) -> usize {
        self.cells.len()
    }
}

/// The port whose area holds `fix`, if any.
pub(crate) fn in_port<'a>(ports: &'a [Port], fix: &Fix) -> Option<&'a Port> {
    ports.iter().find(|p| within_m(p.position, fix.position, p.radius_m))
}

/// Judges the silence of a vessel whose last fix is `last`, at `now`: an alert when reception at the
/// last position is good and the position is outside every port.
pub(crate) fn judge(
    last: &Fix,
    now: OffsetDateTime,
    gap_s: f64,
    coverage: &Coverage,
    ports: &[Port],
    config: &Config,
) -> Option<Alert> {
    if in_port(ports, last).is_some() {
        return None;
    }
    let (cell, reception) = coverage.reception(last);
    let rate = reception.rate_per_h();
    if reception.vessel_h < config.coverage_min_vessel_h || rate < config.coverage_min_rate_per_h {
        return None;
    }
    let gap_h = gap_s / 3600.0;
    let expected = rate * gap_h;
    let bounds = CellBounds::of(cell, config.coverage_cell_deg);
    Some(Alert {
        detector: Detector::GoingDark,
        time: now,
        tracks: vec![last.track()],
        evidence: vec![last.clone()],
        area: Some(Area::Point(last.position)),
        figures: vec![
            Figure { name: "gap_h", value: gap_h },
            Figure { name: "reception_per_vessel_h", value: rate },
            Figure { name: "observed_vessel_h", value: reception.vessel_h },
            Figure { name: "expected_messages", value: expected },
        ],
        summary: format!(
            "Vessel {} has not reported for {:.1} h since {} at {:.3}N {:.3}E, where reception is good \
             ({:.0} messages per vessel-hour in cell {:.2}-{:.2}N {:.2}-{:.2}E, about {:.0} messages expected \
             over the gap), away from port.",
            last.id,
            gap_h,
            crate::hhmm(last.time),
            last.position.lat,
            last.position.lon,
            rate,
            bounds.south,
            bounds.north,
            bounds.west,
            bounds.east,
            expected
        ),
    })
}

#[cfg(test)]
mod tests {
    use crate::engine::tests::{at, vessel};
    use crate::{Config, Detector, Detectors, Geography, LonLat, Port};

    fn config() -> Config {
        Config { dark_gap_s: 2.0 * 3600.0, ..Config::default() }
    }

    /// A vessel reports every `step_s` for `hours` along a short track at `from`, then falls silent.
    fn feed(d: &mut Detectors, id: u32, from: LonLat, step_s: i64, hours: i64) -> i64 {
        let mut last = 0;
        for k in 0..(hours * 3600 / step_s) {
            let t = k * step_s;
            let p = LonLat::new(from.lon + t as f64 * 1e-6, from.lat);
            assert!(d.push(&vessel(id, t, p, Some(0.5))).is_empty());
            last = t;
        }
        last
    }

    #[test]
    fn silent_vessel_where_reception_is_good_goes_dark_once() {
        let mut d = Detectors::new(config(), Geography::default()).unwrap();
        let last = feed(&mut d, 1, LonLat::new(32.6, 44.9), 10, 2);
        // One minute short of the gap: nothing.
        assert!(d.tick(at(last + 2 * 3600 - 60)).is_empty());
        let alerts = d.tick(at(last + 2 * 3600));
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        let a = &alerts[0];
        assert_eq!(a.detector, Detector::GoingDark);
        assert_eq!(a.tracks, vec![(crate::Kind::Vessel, 1)]);
        assert_eq!(a.evidence[0].time, at(last));
        assert!((a.figure("gap_h").unwrap() - 2.0).abs() < 1e-9);
        assert!(a.figure("reception_per_vessel_h").unwrap() > 300.0);
        // Judged once per silence.
        assert!(d.tick(at(last + 3 * 3600)).is_empty());
    }

    #[test]
    fn a_ship_in_port_going_silent_is_not_dark() {
        let port = Port { name: "Chornomorsk".into(), position: LonLat::new(30.65, 46.30), radius_m: 4000.0 };
        let geography = Geography { ports: vec![port], maritime_zones: vec![] };
        let mut d = Detectors::new(config(), geography).unwrap();
        let last = feed(&mut d, 2, LonLat::new(30.66, 46.30), 10, 2);
        assert!(d.tick(at(last + 3 * 3600)).is_empty());
    }

    #[test]
    fn a_ship_silent_where_coverage_is_poor_is_not_dark() {
        let mut d = Detectors::new(config(), Geography::default()).unwrap();
        // Heard once every 30 minutes (satellite only): 2 messages per vessel-hour.
        let last = feed(&mut d, 3, LonLat::new(28.9, 41.9), 1800, 6);
        let (_, reception) = d.reception(LonLat::new(28.9, 41.9));
        assert!(reception.rate_per_h() < 3.0, "{reception:?}");
        assert!(d.tick(at(last + 3 * 3600)).is_empty());
    }

    #[test]
    fn a_cell_seen_too_briefly_is_not_trusted() {
        let mut d = Detectors::new(config(), Geography::default()).unwrap();
        // Twenty minutes of reports: a good rate but only a third of a vessel-hour observed.
        for k in 0..120 {
            d.push(&vessel(4, k * 10, LonLat::new(32.6, 44.9), Some(5.0)));
        }
        assert!(d.tick(at(1190 + 3 * 3600)).is_empty());
    }
}
