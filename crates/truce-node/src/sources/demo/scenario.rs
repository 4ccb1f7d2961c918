//! The demo's simulated week: deterministic for a seed and an end time.
//!
//! # The story
//!
//! The line of contact is cut into six sectors. In each, ceasefire violations happen as a Poisson-like
//! process whose hourly rate is higher at night (20:00–04:00 UTC, ×2.5), clustered near the line
//! (distance from it drawn from an exponential law, mean 4 km, either side), with the OSCE category
//! mix. Each event is reported by one to three monitoring teams from different places: a patrol that
//! heard it (bearing and range from where it stood, with errors), a fixed camera if one is within
//! 12 km, and now and then a UAV (exact position). So one event gives several observations, as in the
//! OSCE mission's reports, for the correlation step to merge. Each report's `source_ref` names the
//! simulated event (`simulated event 17`), so anyone can score the correlation against the truth.
//!
//! Beside them: daily weapon sightings (mostly behind their withdrawal lines, about one in six
//! forward of it), daily verification visits to two storage sites, where on day 4 three of the twelve
//! Smerch launchers at the Luhansk site are missing (and on day 5 one is seen outside storage, forward
//! of its line), restrictions of movement, GPS jamming, aircraft in the no-fly band, vessels in the
//! maritime zone, and civilian casualties. On day 6 the Pokrovsk sector escalates: four times the fire,
//! heavier weapons forward of their lines, new engineering works and jamming.

use time::{Duration, OffsetDateTime};
use truce_core::{
    Casualties, Category, Confidence, LocationPrecision, Marking, Means, Observation, Observer, TimePrecision,
};
use truce_geo::LonLat;
use truce_geo::fixtures::Rng;
use truce_geo::geodesic::{azimuth_and_distance, destination, distance_m};

/// A sector of the line: a stretch of the line of contact and its base rate.
#[derive(Debug, Clone)]
pub struct Sector {
    /// Name.
    pub name: &'static str,
    /// Vertices of the stretch (north-east to south-west, Russian-held ground on the left).
    pub path: Vec<LonLat>,
    /// Ceasefire-violation events per day on a quiet day.
    pub events_per_day: f64,
}

/// Index of the escalating sector in [`sectors`].
pub const ESCALATING: usize = 3;
/// The day (1-based) the escalation happens.
pub const ESCALATION_DAY: i64 = 6;

/// The six sectors, cut from the line of contact at its vertices.
pub fn sectors(line: &[LonLat]) -> Vec<Sector> {
    let cut = |a: usize, b: usize| line[a.min(line.len() - 1)..=b.min(line.len() - 1)].to_vec();
    vec![
        Sector { name: "Kupiansk", path: cut(0, 3), events_per_day: 18.0 },
        Sector { name: "Siversk-Lyman", path: cut(3, 6), events_per_day: 24.0 },
        Sector { name: "Toretsk", path: cut(6, 7), events_per_day: 20.0 },
        Sector { name: "Pokrovsk", path: cut(7, 9), events_per_day: 22.0 },
        Sector { name: "Zaporizhzhia", path: cut(9, 12), events_per_day: 16.0 },
        Sector { name: "Kherson", path: cut(12, line.len() - 1), events_per_day: 14.0 },
    ]
}

/// A point at a fraction of a sector's length, and the azimuth of the line there.
fn along(path: &[LonLat], f: f64) -> (LonLat, f64) {
    let lens: Vec<f64> = path.windows(2).map(|w| distance_m(w[0], w[1])).collect();
    let total: f64 = lens.iter().sum();
    let mut target = f.clamp(0.0, 1.0) * total;
    for (w, len) in path.windows(2).zip(&lens) {
        let (azi, _) = azimuth_and_distance(w[0], w[1]);
        if target <= *len {
            return (destination(w[0], azi, target), azi);
        }
        target -= len;
    }
    let n = path.len();
    (path[n - 1], azimuth_and_distance(path[n - 2], path[n - 1]).0)
}

/// The generator. Deterministic: the same seed gives the same sequence.
pub struct Scenario {
    rng: Rng,
    sectors: Vec<Sector>,
    cameras: Vec<(String, LonLat)>,
    serial: u64,
    events: u64,
    start: OffsetDateTime,
}

const CFV_MIX: &[(Category, f64)] = &[
    (Category::ExplosionImpact, 0.22),
    (Category::ExplosionAirburst, 0.05),
    (Category::ExplosionOutgoing, 0.15),
    (Category::ExplosionUndetermined, 0.25),
    (Category::BurstsAndShots, 0.22),
    (Category::MuzzleFlash, 0.04),
    (Category::IlluminationFlare, 0.04),
    (Category::ProjectileInFlight, 0.03),
];

impl Scenario {
    /// A scenario on `line` whose week starts at `start`.
    pub fn new(line: &[LonLat], seed: u64, start: OffsetDateTime) -> Self {
        let sectors = sectors(line);
        let mut rng = Rng::new(seed);
        let mut cameras = Vec::new();
        for (i, s) in sectors.iter().enumerate() {
            for k in 0..2 {
                let (p, azi) = along(&s.path, 0.3 + 0.4 * f64::from(k));
                // Ukrainian-held ground is on the right of the line's direction.
                let cam = destination(p, azi + 90.0, rng.uniform(3_000.0, 6_000.0));
                cameras.push((format!("CAM-{}-{}", i + 1, k + 1), cam));
            }
        }
        Self { rng, sectors, cameras, serial: 0, events: 0, start }
    }

    /// When the simulated week starts.
    pub fn start(&self) -> OffsetDateTime {
        self.start
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.uniform(0.0, 1.0) < p
    }

    fn pick<T: Copy>(&mut self, mix: &[(T, f64)]) -> T {
        let total: f64 = mix.iter().map(|m| m.1).sum();
        let mut x = self.rng.uniform(0.0, total);
        for &(v, w) in mix {
            if x < w {
                return v;
            }
            x -= w;
        }
        mix[mix.len() - 1].0
    }

    fn id(&mut self) -> String {
        self.serial += 1;
        format!("demo-{:06}", self.serial)
    }

    fn base(&mut self, time: OffsetDateTime, at: LonLat, category: Category, means: Means, team: &str) -> Observation {
        let mut o = Observation {
            id: self.id(),
            time,
            time_end: None,
            time_precision: TimePrecision::Minute,
            lat: (at.lat * 1e6).round() / 1e6,
            lon: (at.lon * 1e6).round() / 1e6,
            location_precision: LocationPrecision::Exact,
            place: None,
            observer: Observer {
                means,
                team: Some(team.to_owned()),
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
            confidence: Some(Confidence::Confirmed),
            reason: None,
            casualties: None,
            text: None,
            source_ref: None,
            marking: Marking::NatoUnclassified,
            releasable_to: Vec::new(),
            categories: Vec::new(),
        };
        demo_label(&mut o, self.serial);
        o
    }

    /// An observation from an observer at `from`, of something at `at`, by bearing and range with
    /// errors: the position is what the observer assessed.
    fn sighted(
        &mut self,
        time: OffsetDateTime,
        from: LonLat,
        at: LonLat,
        category: Category,
        means: Means,
        team: &str,
    ) -> Observation {
        let (azi, range) = azimuth_and_distance(from, at);
        let bearing = (azi + self.rng.uniform(-3.0, 3.0)).rem_euclid(360.0);
        let range = (range * self.rng.uniform(0.85, 1.15)).max(50.0);
        let assessed = destination(from, bearing, range);
        let mut o = self.base(time, assessed, category, means, team);
        o.location_precision = LocationPrecision::Estimated;
        o.observer.lat = Some((from.lat * 1e5).round() / 1e5);
        o.observer.lon = Some((from.lon * 1e5).round() / 1e5);
        o.observer.bearing_deg = Some((bearing * 10.0).round() / 10.0);
        o.observer.range_m = Some((range / 10.0).round() * 10.0);
        o.confidence = Some(if range > 5_000.0 { Confidence::Probable } else { Confidence::Confirmed });
        o
    }

    fn day_of(&self, t: OffsetDateTime) -> i64 {
        (t - self.start).whole_days() + 1
    }

    /// Every observation reported in the hour starting at `hour`.
    pub fn hour(&mut self, hour: OffsetDateTime) -> Vec<Observation> {
        let mut out = Vec::new();
        let day = self.day_of(hour);
        let h = hour.hour();
        let night = if !(4..20).contains(&h) { 2.5 } else { 0.6 };
        for si in 0..self.sectors.len() {
            let escalating = si == ESCALATING && day == ESCALATION_DAY;
            let rate = self.sectors[si].events_per_day / 24.0 * night * if escalating { 4.0 } else { 1.0 };
            // Poisson draw by inversion (rates are small).
            let mut n = 0;
            let mut p = (-rate).exp();
            let mut cdf = p;
            let u = self.rng.uniform(0.0, 1.0);
            while u > cdf && n < 60 {
                n += 1;
                p *= rate / f64::from(n);
                cdf += p;
            }
            for _ in 0..n {
                self.event(si, hour, escalating, &mut out);
            }
        }
        if h == 9 {
            self.daily(hour, day, &mut out);
        }
        out.sort_by_key(|o| o.time);
        out
    }

    /// One ceasefire-violation event and its reports.
    fn event(&mut self, si: usize, hour: OffsetDateTime, escalating: bool, out: &mut Vec<Observation>) {
        let f = self.rng.uniform(0.0, 1.0);
        let (on_line, azi) = along(&self.sectors[si].path, f);
        let side = if self.chance(0.5) { 90.0 } else { -90.0 };
        let off = -4_000.0 * (1.0 - self.rng.uniform(0.0, 0.999)).ln();
        let at = destination(on_line, azi + side, off.min(30_000.0));
        let time = hour + Duration::seconds(self.rng.uniform(0.0, 3_600.0) as i64);
        let category = self.pick(CFV_MIX);
        let count =
            if self.chance(0.3) { self.rng.uniform(2.0, if escalating { 40.0 } else { 15.0 }) as u32 } else { 1 };
        let sector = self.sectors[si].name;
        self.events += 1;
        let event = format!("simulated event {}", self.events);
        // A patrol 2–8 km away on the Ukrainian-held side heard or saw it.
        let patrol = destination(on_line, azi + 90.0, self.rng.uniform(2_000.0, 8_000.0));
        let patrol = destination(patrol, azi, self.rng.uniform(-3_000.0, 3_000.0));
        let team = format!("MT-{}-{}", sector, 1 + (self.rng.uniform(0.0, 3.0) as u32));
        let mut o = self.sighted(time, patrol, at, category, Means::Patrol, &team);
        o.count = Some(count);
        o.text = Some(format!(
            "{count} {} assessed {:.0}-{:.0} km from the patrol's position",
            category.description().trim_end_matches('.').to_lowercase(),
            o.observer.range_m.unwrap_or(0.0) / 1000.0 * 0.8,
            o.observer.range_m.unwrap_or(0.0) / 1000.0 * 1.2
        ));
        o.source_ref = Some(event.clone());
        out.push(o);
        // A fixed camera within 12 km records it too.
        let camera = self.cameras.iter().find(|(_, c)| distance_m(*c, at) < 12_000.0).cloned();
        if let Some((name, cam)) = camera
            && self.chance(0.7)
        {
            let t = time + Duration::seconds(self.rng.uniform(-60.0, 120.0) as i64);
            let mut c = self.sighted(t, cam, at, category, Means::FixedCamera, &name);
            c.count = Some(count);
            c.source_ref = Some(event.clone());
            out.push(c);
        }
        // Sometimes a UAV was overhead: exact position.
        if self.chance(if escalating { 0.35 } else { 0.12 }) {
            let t = time + Duration::seconds(self.rng.uniform(0.0, 600.0) as i64);
            let mut u = self.base(t, at, category, Means::Uav, &format!("UAV-{sector}"));
            u.count = Some(count);
            u.source_ref = Some(event);
            out.push(u);
        }
    }

    /// The daily reports: weapons, storage sites, freedom of movement, jamming, air and sea.
    fn daily(&mut self, hour: OffsetDateTime, day: i64, out: &mut Vec<Observation>) {
        let classes = ["tanks", "artillery_100mm", "mlrs", "light_artillery_mortars", "heavy_mlrs"];
        let required_km = [15.0, 25.0, 35.0, 15.0, 70.0];
        for si in 0..self.sectors.len() {
            let escalating = si == ESCALATING && day == ESCALATION_DAY;
            let sightings = if escalating { 8 } else { 2 };
            for _ in 0..sightings {
                let k = if escalating {
                    [1, 2, 4][self.rng.uniform(0.0, 3.0) as usize]
                } else {
                    self.rng.uniform(0.0, classes.len() as f64) as usize
                };
                let forward = self.chance(if escalating { 0.7 } else { 0.16 });
                let km = if forward {
                    self.rng.uniform(2.0, required_km[k] * 0.8)
                } else {
                    self.rng.uniform(required_km[k] * 1.1, required_km[k] * 2.0 + 20.0)
                };
                let (p, azi) = along(&self.sectors[si].path, self.rng.uniform(0.05, 0.95));
                let russian = self.chance(0.5);
                let at = destination(p, azi + if russian { -90.0 } else { 90.0 }, km * 1000.0);
                let t = hour + Duration::minutes(self.rng.uniform(0.0, 480.0) as i64);
                let sector = self.sectors[si].name;
                let mut o = self.base(t, at, Category::WeaponSighting, Means::Uav, &format!("UAV-{sector}"));
                o.weapon_class = Some(classes[k].to_owned());
                o.count = Some(1 + self.rng.uniform(0.0, if escalating { 6.0 } else { 3.0 }) as u32);
                o.text = Some(format!("{} {} seen by a UAV", o.count.unwrap_or(1), classes[k].replace('_', " ")));
                out.push(o);
            }
            if escalating || (si == ESCALATING && day == ESCALATION_DAY - 1) {
                let (p, azi) = along(&self.sectors[si].path, self.rng.uniform(0.2, 0.8));
                let at = destination(p, azi - 90.0, self.rng.uniform(1_000.0, 6_000.0));
                let mut e =
                    self.base(hour + Duration::minutes(30), at, Category::EngineeringWorks, Means::Uav, "UAV-Pokrovsk");
                e.text = Some("new trenches and vehicle revetments, not present on earlier imagery".into());
                out.push(e);
                let mut j =
                    self.base(hour + Duration::minutes(45), p, Category::GpsJamming, Means::Uav, "UAV-Pokrovsk");
                j.text =
                    Some("GPS signal interference; the mid-range UAV lost satellite positioning for 20 minutes".into());
                out.push(j);
            }
        }
        // Storage sites: daily verification of 12 heavy MLRS at each.
        for (site, at, party) in
            [("Luhansk", LonLat::new(39.2, 48.45), "rus"), ("Dnipro", LonLat::new(35.245, 48.327), "ukr")]
        {
            let missing = site == "Luhansk" && day >= 4;
            let present = if missing { 9 } else { 12 };
            let mut o = self.base(
                hour + Duration::minutes(90),
                at,
                Category::WeaponSighting,
                Means::Patrol,
                &format!("MT-Storage-{site}"),
            );
            o.weapon_class = Some("heavy_mlrs".into());
            o.count = Some(present);
            o.party = Some(party.into());
            o.text = Some(if missing {
                format!(
                    "Verification at the {site} storage site: {present} of 12 Smerch launchers present; 3 missing (serial numbers recorded)"
                )
            } else {
                format!("Verification at the {site} storage site: all 12 Smerch launchers present")
            });
            out.push(o);
        }
        if day == 5 {
            // One of the missing launchers, seen forward of its withdrawal line.
            let (p, azi) = along(&self.sectors[1].path, 0.6);
            let at = destination(p, azi - 90.0, 42_000.0);
            let mut o =
                self.base(hour + Duration::minutes(200), at, Category::WeaponSighting, Means::Uav, "UAV-Siversk-Lyman");
            o.weapon_class = Some("heavy_mlrs".into());
            o.party = Some("rus".into());
            o.text = Some("1 Smerch launcher, serial number matching one missing from the Luhansk storage site".into());
            out.push(o);
        }
        // A restriction of movement, an aircraft in the no-fly band, a vessel at sea, most days.
        let (p, azi) = along(&self.sectors[(day as usize) % self.sectors.len()].path, 0.5);
        let checkpoint = destination(p, azi - 90.0, 9_000.0);
        let mut r = self.base(
            hour + Duration::minutes(60),
            checkpoint,
            Category::RestrictionOfMovement,
            Means::Patrol,
            "MT-Patrol-Access",
        );
        r.reason = Some(if day % 2 == 0 { "superiors were not informed".into() } else { "ongoing demining".into() });
        r.party = Some("rus".into());
        r.text = Some("the patrol was denied passage at a checkpoint".into());
        out.push(r);
        if day % 2 == 1 {
            let (p, azi) = along(&self.sectors[4].path, 0.4);
            let mut a = self.base(
                hour + Duration::minutes(150),
                destination(p, azi + 90.0, 6_000.0),
                Category::Aircraft,
                Means::Sensor,
                "RADAR-South",
            );
            a.text = Some("a military UAV (not the mission's) over the security zone".into());
            out.push(a);
        }
        let mut v = self.base(
            hour + Duration::minutes(240),
            LonLat::new(30.6 + 0.05 * day as f64, 45.6),
            Category::Vessel,
            Means::Ship,
            "MCM-Black-Sea",
        );
        v.text = Some("a military patrol boat inside the maritime exclusion zone".into());
        out.push(v);
        if day % 3 == 0 {
            let (p, azi) = along(&self.sectors[2].path, 0.5);
            let mut c = self.base(
                hour + Duration::minutes(300),
                destination(p, azi + 90.0, 7_000.0),
                Category::CivilianCasualty,
                Means::Patrol,
                "MT-Toretsk-2",
            );
            c.casualties = Some(Casualties { killed: 0, injured: 1 + (day % 2) as u32 });
            c.text = Some("a civilian injured by shelling, confirmed at the hospital".into());
            out.push(c);
        }
    }

    /// Every observation from `start` for `hours` hours.
    pub fn hours(&mut self, hours: i64) -> Vec<Observation> {
        (0..hours).flat_map(|h| self.hour(self.start + Duration::hours(h))).collect()
    }
}

/// The demo's labels, so that two nations see different pictures: by the observation's serial number
/// (not the random stream, so the simulated events stay the same), one in ten is NATO CONFIDENTIAL
/// released to the United Kingdom and France only, one NATO RESTRICTED released to NATO, one released
/// to Ukraine and the United States only, one public, one carries the SOURCES category, and the rest
/// have the policy's default release (the mission's nations).
fn demo_label(o: &mut Observation, serial: u64) {
    let codes = |c: &[&str]| c.iter().map(|s| (*s).to_owned()).collect();
    match serial % 10 {
        1 => {
            o.marking = Marking::NatoConfidential;
            o.releasable_to = codes(&["GBR", "FRA"]);
        }
        3 => {
            o.marking = Marking::NatoRestricted;
            o.releasable_to = codes(&["NATO"]);
        }
        5 => o.releasable_to = codes(&["UKR", "USA"]),
        7 => o.releasable_to = codes(&["PUBLIC"]),
        9 => o.categories = codes(&["SOURCES"]),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line() -> Vec<LonLat> {
        truce_geo::fixtures::line_of_contact_2025()
    }

    #[test]
    fn the_same_seed_gives_the_same_week() {
        let start = time::macros::datetime!(2026-11-17 00:00 UTC);
        let a = Scenario::new(&line(), 7, start).hours(24 * 7);
        let b = Scenario::new(&line(), 7, start).hours(24 * 7);
        assert_eq!(a, b);
        assert!(a.len() > 500, "{}", a.len());
        let c = Scenario::new(&line(), 8, start).hours(24);
        assert_ne!(a[..c.len().min(a.len())], c[..]);
    }

    #[test]
    fn more_at_night_and_an_escalation_on_day_six() {
        let start = time::macros::datetime!(2026-11-17 00:00 UTC);
        let week = Scenario::new(&line(), 7, start).hours(24 * 7);
        let cfv = |o: &&Observation| o.category.is_ceasefire_violation();
        let night = week.iter().filter(cfv).filter(|o| o.time.hour() >= 20 || o.time.hour() < 4).count();
        let day = week.iter().filter(cfv).filter(|o| (8..16).contains(&o.time.hour())).count();
        assert!(night > 2 * day, "night {night} day {day}");
        let per_day = |d: i64| week.iter().filter(cfv).filter(|o| (o.time - start).whole_days() + 1 == d).count();
        assert!(
            per_day(ESCALATION_DAY) as f64 > 1.4 * per_day(ESCALATION_DAY - 1) as f64,
            "{} vs {}",
            per_day(6),
            per_day(5)
        );
        assert!(week.iter().any(|o| o.observer.means == Means::FixedCamera));
        assert!(week.iter().any(|o| o.text.as_deref().is_some_and(|t| t.contains("3 missing"))));
    }

    #[test]
    fn the_reports_of_one_event_become_one_incident() {
        use std::collections::HashMap;
        use truce_core::StoredObservation;
        let start = time::macros::datetime!(2026-11-17 00:00 UTC);
        let week: Vec<StoredObservation> = Scenario::new(&line(), 7, start)
            .hours(24 * 7)
            .into_iter()
            .map(|observation| StoredObservation {
                observation,
                classification: Default::default(),
                received_at: start,
            })
            .collect();
        let event: HashMap<&str, &str> = week
            .iter()
            .filter_map(|s| s.observation.source_ref.as_deref().map(|e| (s.observation.id.as_str(), e)))
            .collect();
        let incidents = truce_watch::correlate(&week, &truce_watch::Rule::default());
        // Pairs of reports put together, and pairs that truly belong together.
        let (mut merged, mut merged_right) = (0usize, 0usize);
        let mut incident_of: HashMap<&str, usize> = HashMap::new();
        for (k, inc) in incidents.iter().enumerate() {
            for (i, a) in inc.observations.iter().enumerate() {
                incident_of.insert(a.as_str(), k);
                for b in &inc.observations[i + 1..] {
                    merged += 1;
                    if event.contains_key(a.as_str()) && event.get(a.as_str()) == event.get(b.as_str()) {
                        merged_right += 1;
                    }
                }
            }
        }
        let mut by_event: HashMap<&str, Vec<&str>> = HashMap::new();
        for (id, e) in &event {
            by_event.entry(e).or_default().push(id);
        }
        let (mut truth, mut found) = (0usize, 0usize);
        for ids in by_event.values() {
            for (i, a) in ids.iter().enumerate() {
                for b in &ids[i + 1..] {
                    truth += 1;
                    if incident_of[a] == incident_of[b] {
                        found += 1;
                    }
                }
            }
        }
        let precision = merged_right as f64 / merged as f64;
        let recall = found as f64 / truth as f64;
        eprintln!(
            "{} observations, {} incidents, {} events; pairs: truth {truth}, merged {merged}, right {merged_right}; precision {precision:.3} recall {recall:.3}",
            week.len(),
            incidents.len(),
            by_event.len()
        );
        assert!(truth > 200, "{truth}");
        assert!(precision >= 0.97, "precision {precision:.3}");
        assert!(recall >= 0.95, "recall {recall:.3}");
    }
}
