//! Every threshold of every detector, with its default and where the default comes from.

/// Thresholds of the detectors. `Config::default()` holds the published values; the demo shortens
/// the durations (a 12-hour gap does not fit in a ten-minute demonstration).
///
/// Deserialises from the node's configuration (TOML or JSON) with the field names below; every field
/// is optional (missing ones take their default) and unknown fields are errors, so a misspelt
/// threshold is reported rather than silently ignored.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    // ---- Going dark ----
    /// A vessel silent for at least this long may be dark. Default 12 h: Global Fishing Watch's AIS
    /// disabling events are gaps of 12 h or more (GFW technical documentation, "Gaps").
    pub dark_gap_s: f64,
    /// Side of the cells of the learned reception model, degrees. Default 0.25°: terrestrial AIS
    /// reception changes over tens of kilometres (GFW models satellite reception on 1° cells; our feed
    /// is mostly shore stations, which vary faster).
    pub coverage_cell_deg: f64,
    /// A cell has good reception when it has received at least this many position messages per
    /// vessel-hour observed. Default 12 (one every 5 minutes on average; class A AIS sends every 10 s
    /// underway and every 3 min at anchor, so a well-covered cell sees far more, a satellite-only cell
    /// a few).
    pub coverage_min_rate_per_h: f64,
    /// A cell's reception is only trusted after this many vessel-hours have been observed in it.
    /// Default 1 h.
    pub coverage_min_vessel_h: f64,
    /// Intervals between consecutive messages of a vessel longer than this are gaps, not observation
    /// time, and are not counted in the reception model. Default 1 h.
    pub coverage_max_interval_s: f64,

    // ---- Spoofing ----
    /// Highest believable speed of a vessel, knots. Default 50 kn (fast craft excepted; the usual
    /// AIS plausibility bound).
    pub vessel_max_speed_kn: f64,
    /// Highest believable ground speed of an aircraft, knots. Default 1,000 kn.
    pub aircraft_max_speed_kn: f64,
    /// Jumps shorter than this are GNSS noise or receiver timing, never spoofing. Default 1,000 m.
    pub jump_floor_m: f64,
    /// Cross-vessel corroboration: at least this many vessels must jump to one spot. Default 3
    /// (SeaSpoofFinder's idea: one vessel jumping may be a faulty transponder, several to one point is
    /// an attack).
    pub cluster_min_vessels: usize,
    /// The jumps of a cluster fall within this window, seconds. Default 600 s.
    pub cluster_window_s: f64,
    /// The jump destinations of a cluster lie within this distance of each other, metres. Default
    /// 2,000 m.
    pub cluster_radius_m: f64,
    /// Circle: at least this many (thinned) fixes. Default 12.
    pub circle_min_fixes: usize,
    /// Circle: spanning at least this long, seconds. Default 1,200 s.
    pub circle_min_span_s: f64,
    /// Circle: the fixes considered are those of the last `circle_window_s`. Default 3,600 s.
    pub circle_window_s: f64,
    /// Circle: one fix per vessel is kept for the circle test every this many seconds. Default 60 s
    /// (a circle of 38 minutes still gets 38 fixes; an hour of history is about 4 KB per vessel).
    pub circle_sample_s: f64,
    /// Circle: root-mean-square distance of the fixes from the fitted circle, as a share of its radius.
    /// Default 0.1.
    pub circle_max_residual_ratio: f64,
    /// Circle: smallest radius, metres (below, an anchored ship's swinging and GNSS noise). Default 200.
    pub circle_min_radius_m: f64,
    /// Circle: largest radius, metres. Default 20,000.
    pub circle_max_radius_m: f64,
    /// Circle: total turn around the centre, degrees. Default 360.
    pub circle_min_turn_deg: f64,
    /// Circle: the median reported speed must exceed this, knots (spoofed circles come with a speed).
    /// Default 0.5 kn.
    pub circle_min_speed_kn: f64,

    // ---- Encounters and loitering ----
    /// Encounter distance, metres. Default 500 m (Global Fishing Watch encounters).
    pub encounter_distance_m: f64,
    /// Encounter duration, seconds. Default 2 h (Global Fishing Watch encounters).
    pub encounter_min_s: f64,
    /// "Slow": median speed (encounter) or every speed (loitering) below this, knots. Default 2 kn
    /// (Global Fishing Watch encounters and loitering).
    pub slow_speed_kn: f64,
    /// Vessels closer than this to a port are ignored for encounters and loitering, metres. Default
    /// 10 km (Global Fishing Watch: encounters at least 10 km from a coastal anchorage).
    pub port_exclusion_m: f64,
    /// Two vessels must be seen close at least once in this interval for an encounter to continue, and
    /// the other vessel's last fix must be this recent to count. Default 1,800 s (slow class A
    /// transponders report every 3 minutes; a few may be lost).
    pub encounter_max_gap_s: f64,
    /// Loitering duration, seconds. Default 4 h (Starboard's published loitering definition: less than
    /// 2 knots for at least 4 hours; GFW uses the same speed).
    pub loiter_min_s: f64,
    /// A loitering run breaks when the vessel is silent longer than this, seconds. Default 3,600 s.
    pub loiter_max_gap_s: f64,

    // ---- GNSS interference ----
    /// Side of the interference cells, degrees. Default 0.5°.
    pub interference_cell_deg: f64,
    /// Window length, seconds. Default 300 s: gpsjam.org aggregates per day, which is too late to warn;
    /// five minutes is what an aircraft crossing a 0.5° cell takes and still gathers several aircraft.
    pub interference_window_s: f64,
    /// Fewer aircraft than this in a cell-window: no figure (one aircraft would be 0 % or 100 %).
    /// Default 5.
    pub interference_min_aircraft: usize,
    /// Share of degraded aircraft for "some" interference. Default 0.02 (gpsjam.org).
    pub interference_some_share: f64,
    /// Share of degraded aircraft for "high" interference, which raises an alert. Default 0.10
    /// (gpsjam.org).
    pub interference_high_share: f64,
    /// Degraded when NACp is below this. Default 8 (gpsjam.org).
    pub degraded_nacp_below: u8,
    /// Degraded when NIC is below this. Default 7 (gpsjam.org).
    pub degraded_nic_below: u8,
    /// How long the per-window layer is kept, seconds. Default 24 h.
    pub interference_retention_s: f64,

    // ---- Bookkeeping ----
    /// Tracks silent for longer than this are forgotten, seconds. Must exceed `dark_gap_s`. Default 48 h.
    pub track_ttl_s: f64,
    /// At most this many tracks are kept; beyond, the longest silent are forgotten. Default 200,000.
    pub max_tracks: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            dark_gap_s: 12.0 * 3600.0,
            coverage_cell_deg: 0.25,
            coverage_min_rate_per_h: 12.0,
            coverage_min_vessel_h: 1.0,
            coverage_max_interval_s: 3600.0,
            vessel_max_speed_kn: 50.0,
            aircraft_max_speed_kn: 1000.0,
            jump_floor_m: 1000.0,
            cluster_min_vessels: 3,
            cluster_window_s: 600.0,
            cluster_radius_m: 2000.0,
            circle_min_fixes: 12,
            circle_min_span_s: 1200.0,
            circle_window_s: 3600.0,
            circle_sample_s: 60.0,
            circle_max_residual_ratio: 0.1,
            circle_min_radius_m: 200.0,
            circle_max_radius_m: 20_000.0,
            circle_min_turn_deg: 360.0,
            circle_min_speed_kn: 0.5,
            encounter_distance_m: 500.0,
            encounter_min_s: 2.0 * 3600.0,
            slow_speed_kn: 2.0,
            port_exclusion_m: 10_000.0,
            encounter_max_gap_s: 1800.0,
            loiter_min_s: 4.0 * 3600.0,
            loiter_max_gap_s: 3600.0,
            interference_cell_deg: 0.5,
            interference_window_s: 300.0,
            interference_min_aircraft: 5,
            interference_some_share: 0.02,
            interference_high_share: 0.10,
            degraded_nacp_below: 8,
            degraded_nic_below: 7,
            interference_retention_s: 24.0 * 3600.0,
            track_ttl_s: 48.0 * 3600.0,
            max_tracks: 200_000,
        }
    }
}

impl Config {
    /// The demo's configuration: the published thresholds with the durations shortened so that the
    /// scenario's events are found within a few hours of scenario time: going dark after 2 hours
    /// instead of 12 (the backtest's setting).
    pub fn demo() -> Self {
        Self { dark_gap_s: 2.0 * 3600.0, ..Self::default() }
    }

    /// The first problem with the configuration, if any: a non-positive or non-finite length, cell or
    /// duration, shares out of order, or a track lifetime that would forget a vessel before it can be
    /// found dark.
    pub fn problem(&self) -> Option<String> {
        let positive = [
            ("dark_gap_s", self.dark_gap_s),
            ("coverage_cell_deg", self.coverage_cell_deg),
            ("coverage_min_rate_per_h", self.coverage_min_rate_per_h),
            ("coverage_max_interval_s", self.coverage_max_interval_s),
            ("vessel_max_speed_kn", self.vessel_max_speed_kn),
            ("aircraft_max_speed_kn", self.aircraft_max_speed_kn),
            ("cluster_window_s", self.cluster_window_s),
            ("cluster_radius_m", self.cluster_radius_m),
            ("circle_window_s", self.circle_window_s),
            ("circle_sample_s", self.circle_sample_s),
            ("circle_max_residual_ratio", self.circle_max_residual_ratio),
            ("circle_max_radius_m", self.circle_max_radius_m),
            ("encounter_distance_m", self.encounter_distance_m),
            ("encounter_min_s", self.encounter_min_s),
            ("slow_speed_kn", self.slow_speed_kn),
            ("encounter_max_gap_s", self.encounter_max_gap_s),
            ("loiter_min_s", self.loiter_min_s),
            ("loiter_max_gap_s", self.loiter_max_gap_s),
            ("interference_cell_deg", self.interference_cell_deg),
            ("interference_window_s", self.interference_window_s),
            ("interference_high_share", self.interference_high_share),
            ("interference_retention_s", self.interference_retention_s),
            ("track_ttl_s", self.track_ttl_s),
        ];
        for (name, v) in positive {
            if !(v.is_finite() && v > 0.0) {
                return Some(format!("{name} must be a positive number, not {v}"));
            }
        }
        let non_negative = [
            ("coverage_min_vessel_h", self.coverage_min_vessel_h),
            ("jump_floor_m", self.jump_floor_m),
            ("circle_min_span_s", self.circle_min_span_s),
            ("circle_min_radius_m", self.circle_min_radius_m),
            ("circle_min_turn_deg", self.circle_min_turn_deg),
            ("circle_min_speed_kn", self.circle_min_speed_kn),
            ("port_exclusion_m", self.port_exclusion_m),
            ("interference_some_share", self.interference_some_share),
        ];
        for (name, v) in non_negative {
            if !(v.is_finite() && v >= 0.0) {
                return Some(format!("{name} must be zero or more, not {v}"));
            }
        }
        if self.coverage_cell_deg > 90.0 || self.interference_cell_deg > 90.0 {
            return Some("cells must be at most 90 degrees".into());
        }
        if self.interference_some_share > self.interference_high_share {
            return Some("interference_some_share must not exceed interference_high_share".into());
        }
        if self.track_ttl_s <= self.dark_gap_s {
            return Some(
                "track_ttl_s must exceed dark_gap_s, or silent vessels are forgotten before they are dark".into(),
            );
        }
        if self.cluster_min_vessels < 2 {
            return Some("cluster_min_vessels must be at least 2".into());
        }
        if self.circle_min_fixes < 3 {
            return Some("circle_min_fixes must be at least 3".into());
        }
        if self.interference_min_aircraft < 1 || self.max_tracks < 1 {
            return Some("interference_min_aircraft and max_tracks must be at least 1".into());
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::Config;

    #[test]
    fn reads_partial_configuration_and_refuses_unknown_fields() {
        let c: Config = serde_json::from_str(r#"{"dark_gap_s": 7200, "cluster_min_vessels": 4}"#).unwrap();
        assert_eq!(c, Config { dark_gap_s: 7200.0, cluster_min_vessels: 4, ..Config::default() });
        assert!(serde_json::from_str::<Config>(r#"{"dark_gap_hours": 2}"#).is_err());
        assert_eq!(Config::default().problem(), None);
        assert_eq!(Config::demo().problem(), None);
    }
}
