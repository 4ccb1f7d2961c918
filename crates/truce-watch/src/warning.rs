//! Early warning: a level per sector and for the whole line, with the reasons behind it.
//!
//! Everything is counted on **incidents** (see [`crate::incident`]), so an explosion seen by three
//! monitors counts once. At an assessment time `at`, in the UTC day `D`:
//!
//! - **Baseline**: the complete days from `D − 1 − baseline_days` to `D − 2` (yesterday is left out,
//!   so a surge that began yesterday does not raise its own baseline). At least
//!   [`Config::min_baseline_days`] are needed for the statistical detectors; until then they say so in
//!   [`Assessment::notes`] and only the domain indicators speak.
//! - **Poisson CUSUM** on the hourly counts of ceasefire-violation incidents in each sector, from the
//!   start of day `D − 1` to the last complete hour. The in-control rate of an hour is the sector's
//!   baseline daily rate times the share of that hour of the day in the baseline of all sectors (most
//!   fire is at night). The statistic detects a rise by [`Config::detect_ratio`]:
//!   `S ← max(0, S + x·ln ρ − (ρ − 1)·λ₀)`. Its decision boundary `h` is derived from the target
//!   false-alarm rate: `h` is the quantile of the largest `S` reached in simulated quiet two-day
//!   windows of that sector (its own rates, [`Config::simulations`] runs, a fixed seed) such that a
//!   quiet sector crosses it once in [`Config::false_alarm_days`] daily windows. The baseline rate is
//!   itself estimated, so the simulation draws it from its posterior (see `Watch::boundary`).
//! - **EWMA** (λ = 0.2, 3σ limit) on the daily counts of complete days, mean and Poisson σ from the
//!   baseline.
//! - **Surge rule** (ACLED): the last seven complete days at least 100% above the mean week of the
//!   four before, where that mean is at least 1; needs 35 days of history.
//! - **Domain indicators** over the last 24 hours: heavy weapons forward of their withdrawal lines,
//!   weapons outside storage sites, weapons missing from a storage site (fewer verified than before),
//!   denials of access, GPS jamming, engineering works, and a rising share of the heavier weapon
//!   classes among weapon sightings. Counts are compared with the baseline's daily mean `m` (fired when
//!   above `m + 2√m`).
//!
//! **Fusion**: *critical* when a statistical alarm (CUSUM or surge) comes with two or more domain
//! indicators; *high* on a statistical alarm alone, on many weapons forward of their lines, or on three
//! indicators; *elevated* on any one indicator or an EWMA signal; else *normal*. The line's level is
//! the highest sector's, raised by indicators outside every sector (a storage site in the rear), and
//! critical when two sectors are high. Every reason lists the observations behind it.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use truce_core::{Category, ZoneKind};
use truce_engine::Agreement;

use crate::incident::Incident;
use crate::sector::Sectors;

/// A warning level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Nothing beyond the usual.
    Normal,
    /// Something the watch should look at.
    Elevated,
    /// A statistical alarm or several indicators together.
    High,
    /// A statistical alarm with the indicators that precede an offensive.
    Critical,
}

impl Level {
    /// Every level, lowest first.
    pub const ALL: [Level; 4] = [Level::Normal, Level::Elevated, Level::High, Level::Critical];

    /// The stable identifier.
    pub const fn id(self) -> &'static str {
        match self {
            Level::Normal => "normal",
            Level::Elevated => "elevated",
            Level::High => "high",
            Level::Critical => "critical",
        }
    }
}

impl std::str::FromStr for Level {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Level::ALL.into_iter().find(|l| l.id() == s).ok_or_else(|| format!("{s:?} is not a level"))
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

/// The detectors and indicators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Detector {
    /// Poisson CUSUM on hourly ceasefire-violation incidents.
    Cusum,
    /// EWMA on daily ceasefire-violation incidents.
    Ewma,
    /// A week at least 100% above the previous four weeks' mean.
    Surge,
    /// Heavy weapons forward of their withdrawal lines.
    WeaponsForward,
    /// Weapons that must be stored, seen outside storage sites.
    WeaponsOutsideStorage,
    /// Fewer weapons verified at a storage site than before.
    MissingFromStorage,
    /// Denials of access to the monitors.
    DenialOfAccess,
    /// GPS jamming.
    GpsJamming,
    /// New trenches, revetments, mine laying.
    EngineeringWorks,
    /// A rising share of the heavier weapon classes among weapon sightings.
    HeavierWeapons,
}

impl Detector {
    /// Every detector, in report order.
    pub const ALL: [Detector; 10] = [
        Detector::Cusum,
        Detector::Ewma,
        Detector::Surge,
        Detector::WeaponsForward,
        Detector::WeaponsOutsideStorage,
        Detector::MissingFromStorage,
        Detector::DenialOfAccess,
        Detector::GpsJamming,
        Detector::EngineeringWorks,
        Detector::HeavierWeapons,
    ];

    /// The stable identifier.
    pub const fn id(self) -> &'static str {
        match self {
            Detector::Cusum => "cusum",
            Detector::Ewma => "ewma",
            Detector::Surge => "surge",
            Detector::WeaponsForward => "weapons_forward",
            Detector::WeaponsOutsideStorage => "weapons_outside_storage",
            Detector::MissingFromStorage => "missing_from_storage",
            Detector::DenialOfAccess => "denial_of_access",
            Detector::GpsJamming => "gps_jamming",
            Detector::EngineeringWorks => "engineering_works",
            Detector::HeavierWeapons => "heavier_weapons",
        }
    }

    fn is_indicator(self) -> bool {
        !matches!(self, Detector::Cusum | Detector::Ewma | Detector::Surge)
    }
}

/// Why a level was raised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    /// What fired.
    pub detector: Detector,
    /// What it alone would raise the level to.
    pub level: Level,
    /// In words, with the numbers.
    pub message: String,
    /// The observations behind it (ids).
    pub observations: Vec<String>,
}

/// One sector's level.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SectorAssessment {
    /// Sector id.
    pub sector: String,
    /// Sector name.
    pub name: String,
    /// Level.
    pub level: Level,
    /// Why.
    pub reasons: Vec<Reason>,
}

/// The warning picture at one time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The whole line's level.
    pub level: Level,
    /// Reasons outside every sector (e.g. a storage site in the rear).
    pub reasons: Vec<Reason>,
    /// Per sector, in the sectors file's order.
    pub sectors: Vec<SectorAssessment>,
    /// What could not be evaluated and why (e.g. too little history).
    pub notes: Vec<String>,
}

/// Parameters of the detectors.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Config {
    /// The rise the CUSUM is tuned to detect (2: a doubling).
    pub detect_ratio: f64,
    /// A quiet sector raises a false CUSUM alarm once in this many days.
    pub false_alarm_days: f64,
    /// Days of baseline at most.
    pub baseline_days: i64,
    /// Days of baseline needed for the statistical detectors.
    pub min_baseline_days: i64,
    /// EWMA smoothing.
    pub ewma_lambda: f64,
    /// EWMA limit in standard deviations.
    pub ewma_sigmas: f64,
    /// Runs simulated to set the CUSUM boundary.
    pub simulations: usize,
    /// Weapons forward of their lines in 24 h that alone make the level high (at least; also at least
    /// four times the baseline's daily mean plus one).
    pub weapons_forward_high: u32,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            detect_ratio: 2.0,
            false_alarm_days: 365.0,
            baseline_days: 28,
            min_baseline_days: 3,
            ewma_lambda: 0.2,
            ewma_sigmas: 3.0,
            simulations: 4_000,
            weapons_forward_high: 10,
        }
    }
}

/// The early-warning engine: the agreement's and sectors' facts it needs, and a cache of CUSUM
/// boundaries (one per sector and day).
pub struct Watch {
    config: Config,
    sectors: Vec<(String, String)>,
    storage_sites: Vec<(String, String)>,
    heavy_classes: Vec<String>,
    boundaries: HashMap<BoundaryKey, f64>,
    /// The boundaries the last assessment's sectors asked for.
    asked: Vec<BoundaryKey>,
}

const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;

fn day_of(t: OffsetDateTime) -> i64 {
    t.unix_timestamp().div_euclid(DAY)
}

fn day_start(day: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(day * DAY).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Most observation ids a reason lists.
const EVIDENCE: usize = 200;

/// The incidents' observation ids, flattened (at most [`EVIDENCE`], the earliest first).
fn evidence<'a>(incidents: impl Iterator<Item = &'a Incident>) -> Vec<String> {
    incidents.flat_map(|i| i.observations.iter().cloned()).take(EVIDENCE).collect()
}

/// What one incident adds to an indicator's count, if it is one of its kind.
type Select = fn(&Incident) -> Option<u32>;

/// The indicators counted against the baseline's daily mean: detector, what it counts (in words),
/// what an incident adds, and the fewest in 24 hours that may fire it.
const INDICATORS: [(Detector, &str, Select, u32); 5] = [
    (Detector::WeaponsForward, "weapons forward of their withdrawal lines", forward, 1),
    (Detector::WeaponsOutsideStorage, "weapons outside storage sites", outside_storage, 1),
    (Detector::DenialOfAccess, "denials of access", denial, 2),
    (Detector::GpsJamming, "reports of GPS jamming", jamming, 1),
    (Detector::EngineeringWorks, "reports of new engineering works or mine laying", works, 1),
];

fn forward(i: &Incident) -> Option<u32> {
    i.violations.iter().any(|v| v.code == "weapon_forward_of_withdrawal_line").then_some(i.count.max(1))
}

fn outside_storage(i: &Incident) -> Option<u32> {
    i.violations.iter().any(|v| v.code == "weapon_outside_storage_site").then_some(i.count.max(1))
}

fn denial(i: &Incident) -> Option<u32> {
    (i.category == Category::RestrictionOfMovement).then_some(1)
}

fn jamming(i: &Incident) -> Option<u32> {
    (i.category == Category::GpsJamming).then_some(1)
}

fn works(i: &Incident) -> Option<u32> {
    matches!(i.category, Category::EngineeringWorks | Category::MineLaying).then_some(1)
}

/// What the detectors need of one whole UTC day before yesterday, without its incidents: counts per
/// sector, the first observations of its ceasefire violations (the surge rule's evidence), and, whole,
/// only the weapon sightings at storage sites (a later verification is compared with them). A few
/// kilobytes whatever the day holds, so a watch over weeks keeps these instead of weeks of incidents.
/// Made by [`Watch::summarize`] for that engine's sectors, storage sites and weapon classes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DaySummary {
    day: i64,
    /// Ceasefire-violation incidents by hour of the day, every sector and outside together.
    by_hour: [u32; 24],
    /// Per sector in the engine's order, then outside every sector.
    sectors: Vec<SectorDay>,
}

impl DaySummary {
    /// The UTC day (days since 1970-01-01).
    pub fn day(&self) -> i64 {
        self.day
    }
}

/// One sector's part of a [`DaySummary`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct SectorDay {
    /// Ceasefire-violation incidents.
    cfv: u32,
    /// Their observations' ids, the earliest first, at most [`EVIDENCE`].
    cfv_evidence: Vec<String>,
    /// Each of [`INDICATORS`]' sums.
    indicators: [u32; INDICATORS.len()],
    /// Weapon sightings outside storage sites, and those of them of a heavier class.
    sightings: u32,
    heavy: u32,
    /// Weapon sightings at storage sites, whole.
    storage: Vec<Incident>,
}

impl Watch {
    /// An engine for an agreement's storage sites and weapon classes and a set of sectors.
    pub fn new(agreement: &Agreement, sectors: &Sectors, config: Config) -> Self {
        let heavy_classes = agreement
            .classes
            .iter()
            .filter(|c| c.withdrawal.iter().any(|w| w.distance_m >= 25_000.0))
            .map(|c| c.id.clone())
            .collect();
        Self {
            config,
            sectors: sectors.sectors.iter().map(|s| (s.id.clone(), s.name.clone())).collect(),
            storage_sites: agreement
                .zones
                .iter()
                .filter(|z| z.kind == ZoneKind::StorageSite)
                .map(|z| (z.id.clone(), z.name.clone()))
                .collect(),
            heavy_classes,
            boundaries: HashMap::new(),
            asked: Vec::new(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// What a [`DaySummary`] made by this engine depends on besides the day's incidents, as text: the
    /// detectors' parameters, the sectors', storage sites' and heavy weapon classes' ids and names. A
    /// summary kept under another engine's text is not this engine's.
    pub fn summary_basis(&self) -> String {
        format!("{:?}|{:?}|{:?}|{:?}", self.config, self.sectors, self.storage_sites, self.heavy_classes)
    }

    /// The CUSUM boundaries the sectors of this watch's last assessment asked for, if it was on UTC day
    /// `day` (days since the Unix epoch), as `(sector, key, boundary's bits)` in sector order: the key
    /// is a hash of the baseline's posterior and the diurnal profile the boundary was simulated for.
    /// A later watch made alike (the same [`Watch::summary_basis`]) takes them back with
    /// [`Watch::remember_boundaries`] instead of simulating them again.
    pub fn boundaries_of(&self, day: i64) -> Vec<(usize, u64, u64)> {
        self.asked
            .iter()
            .filter(|(_, d, _)| *d == day)
            .filter_map(|key| self.boundaries.get(key).map(|h| (key.0, key.2, h.to_bits())))
            .collect()
    }

    /// Takes back boundaries of day `day` that [`Watch::boundaries_of`] gave for a watch with the same
    /// [`Watch::summary_basis`]. Each is used only where a sector asks for its very key (the same
    /// posterior and profile), so one made for other data is never used; a sector number this watch
    /// does not have is passed over, and a list longer than one a sector (not what
    /// [`Watch::boundaries_of`] gives: damaged) is not taken at all.
    pub fn remember_boundaries(&mut self, day: i64, kept: &[(usize, u64, u64)]) {
        if kept.len() > self.sectors.len() {
            return;
        }
        for &(k, key, bits) in kept {
            if k < self.sectors.len() {
                self.boundaries.entry((k, day, key)).or_insert(f64::from_bits(bits));
            }
        }
    }

    /// The picture at `at` from the incidents known then (their `sector` set by name, as
    /// [`crate::incidents_in_sectors`] does), in time order. `history_start` is when the data begins:
    /// baselines never reach before it. The days before yesterday are reduced to [`DaySummary`]s first,
    /// so this is [`Watch::assess_days`] of whole incidents.
    pub fn assess<'a>(
        &mut self,
        incidents: impl IntoIterator<Item = &'a Incident>,
        history_start: OffsetDateTime,
        at: OffsetDateTime,
    ) -> Assessment {
        let recent_from = day_start(day_of(at) - 1);
        let mut older: Vec<(i64, Vec<&Incident>)> = Vec::new();
        let mut recent = Vec::new();
        for i in incidents.into_iter().filter(|i| i.time < at) {
            if i.time >= recent_from {
                recent.push(i);
                continue;
            }
            let day = day_of(i.time);
            match older.iter_mut().find(|(d, _)| *d == day) {
                Some((_, of_day)) => of_day.push(i),
                None => older.push((day, vec![i])),
            }
        }
        let summaries: Vec<DaySummary> =
            older.iter().map(|(day, incs)| self.summarize(*day, incs.iter().copied())).collect();
        let days: Vec<&DaySummary> = summaries.iter().collect();
        self.assess_days(&days, recent, None, history_start, at)
    }

    /// What the detectors need of the day `day` from its incidents (their `sector` set by name), in
    /// time order: see [`DaySummary`].
    pub fn summarize<'a>(&self, day: i64, incidents: impl IntoIterator<Item = &'a Incident>) -> DaySummary {
        let mut summary =
            DaySummary { day, by_hour: [0; 24], sectors: vec![SectorDay::default(); self.sectors.len() + 1] };
        for i in incidents {
            let k = self.sector_of(i);
            let s = &mut summary.sectors[k];
            if i.category.is_ceasefire_violation() {
                summary.by_hour[usize::from(i.time.hour())] += 1;
                s.cfv += 1;
                if s.cfv_evidence.len() < EVIDENCE {
                    s.cfv_evidence.extend(i.observations.iter().take(EVIDENCE - s.cfv_evidence.len()).cloned());
                }
            }
            for (n, (_, _, select, _)) in s.indicators.iter_mut().zip(INDICATORS) {
                *n += select(i).unwrap_or(0);
            }
            if self.is_storage_visit(i) {
                s.storage.push(i.clone());
            }
            if self.is_sighting_outside_storage(i) {
                s.sightings += 1;
                s.heavy += u32::from(self.is_heavy(i));
            }
        }
        summary
    }

    /// The picture at `at` from the summaries of whole days before yesterday (`days`, in day order)
    /// and the incidents from the start of yesterday until `at` (`recent`, in time order, their
    /// `sector` set by name). The weapon sightings at storage sites the summaries keep count from
    /// `since` on (the start of the look-back; `None`: all of them). The same picture as [`Watch::assess`] of the incidents
    /// the summaries were made from and `recent`.
    pub fn assess_days<'a>(
        &mut self,
        days: &[&DaySummary],
        recent: impl IntoIterator<Item = &'a Incident>,
        since: Option<OffsetDateTime>,
        history_start: OffsetDateTime,
        at: OffsetDateTime,
    ) -> Assessment {
        let d = day_of(at);
        let first_day = day_of(history_start) + i64::from(history_start != day_start(day_of(history_start)));
        let base_from = first_day.max(d - 1 - self.config.baseline_days);
        let base_to = d - 1; // exclusive
        let base_days = (base_to - base_from).max(0);
        let mut notes = Vec::new();
        let statistical = base_days >= self.config.min_baseline_days;
        if !statistical {
            notes.push(format!(
                "CUSUM and EWMA need {} complete days of baseline before yesterday; there are {base_days}",
                self.config.min_baseline_days
            ));
        }
        let older: Vec<&DaySummary> = days.iter().copied().filter(|s| s.day < d - 1).collect();
        let baseline: Vec<&DaySummary> =
            older.iter().copied().filter(|s| s.day >= base_from && s.day < base_to).collect();
        // Diurnal profile of ceasefire-violation incidents, all sectors pooled (add-one smoothed).
        let mut by_hour = [1.0f64; 24];
        for s in &baseline {
            for (into, n) in by_hour.iter_mut().zip(s.by_hour) {
                *into += f64::from(n);
            }
        }
        let total: f64 = by_hour.iter().sum();
        let share: Vec<f64> = by_hour.iter().map(|c| c / total).collect();

        // The bounds are worked out once: comparing two `OffsetDateTime`s converts both, and a busy
        // day holds tens of thousands of incidents for each audience the watch assesses.
        let (yesterday, today) = (day_start(d - 1), day_start(d));
        let mut per_sector: Vec<Vec<&Incident>> = vec![Vec::new(); self.sectors.len() + 1];
        let mut cfv: Vec<[u32; 2]> = vec![[0; 2]; self.sectors.len() + 1];
        for i in recent.into_iter().filter(|i| i.time < at && i.time >= yesterday) {
            let k = self.sector_of(i);
            per_sector[k].push(i);
            if i.category.is_ceasefire_violation() {
                cfv[k][usize::from(i.time >= today)] += 1;
            }
        }
        let window = Window { at, since, base_from, base_days: base_days.max(1) as f64 };
        self.asked.clear();
        if statistical {
            self.simulate_boundaries(&baseline, window.base_days, d, &share);
        }
        let mut sectors = Vec::new();
        for (k, recent) in per_sector.iter().enumerate() {
            let part = Part { k, older: &older, baseline: &baseline, recent, recent_cfv: cfv[k] };
            let mut reasons = Vec::new();
            if k < self.sectors.len() {
                if statistical {
                    reasons.extend(self.cusum(&part, &window, &share));
                    reasons.extend(self.ewma(&part, &window, d));
                }
                reasons.extend(self.surge(&part, first_day, d, &mut notes, k == 0));
            }
            reasons.extend(self.indicators(&part, &window));
            if k < self.sectors.len() {
                let level = fuse(&reasons);
                let (id, name) = &self.sectors[k];
                sectors.push(SectorAssessment { sector: id.clone(), name: name.clone(), level, reasons });
            } else {
                let mut level = fuse(&reasons).max(sectors.iter().map(|s| s.level).max().unwrap_or(Level::Normal));
                if sectors.iter().filter(|s| s.level >= Level::High).count() >= 2 {
                    level = Level::Critical;
                }
                return Assessment { at, level, reasons, sectors, notes };
            }
        }
        unreachable!("the parts end with the one outside every sector")
    }

    /// The index of the incident's sector, or one past the last when it lies outside every sector.
    fn sector_of(&self, i: &Incident) -> usize {
        i.sector.as_deref().and_then(|s| self.sectors.iter().position(|(_, n)| n == s)).unwrap_or(self.sectors.len())
    }

    fn is_storage_visit(&self, i: &Incident) -> bool {
        i.category == Category::WeaponSighting && i.zones.iter().any(|z| self.storage_sites.iter().any(|(s, _)| s == z))
    }

    fn is_sighting_outside_storage(&self, i: &Incident) -> bool {
        i.category == Category::WeaponSighting
            && i.zones.iter().all(|z| !self.storage_sites.iter().any(|(s, _)| s == z))
    }

    fn is_heavy(&self, i: &Incident) -> bool {
        i.weapon_class.as_ref().is_some_and(|c| self.heavy_classes.contains(c))
    }

    fn cusum(&mut self, part: &Part, w: &Window, share: &[f64]) -> Option<Reason> {
        let cfv: Vec<&Incident> = part.recent.iter().copied().filter(|i| i.category.is_ceasefire_violation()).collect();
        let (shape, scale) = posterior(part.baseline, part.k, w.base_days);
        let rate = shape / w.base_days;
        let start = day_start(day_of(w.at) - 1);
        let hours = ((w.at - start).whole_seconds() / HOUR).max(0) as usize;
        let mut counts = vec![0u32; hours];
        // Seconds since `start` (midnight, a whole second) from Unix times: cheaper than subtracting
        // `OffsetDateTime`s, the same whole seconds for the incidents after it.
        let start_s = start.unix_timestamp();
        for i in &cfv {
            let h = i.time.unix_timestamp() - start_s;
            if h >= 0 && ((h / HOUR) as usize) < hours {
                counts[(h / HOUR) as usize] += 1;
            }
        }
        let rho = self.config.detect_ratio;
        let lambda = |hour: usize| rate * share[hour % 24];
        let h = self.boundary(part.k, day_of(w.at), (shape, scale), share);
        let (mut s, mut run_start, mut crossed) = (0.0f64, 0usize, None);
        for (t, &x) in counts.iter().enumerate() {
            if s == 0.0 {
                run_start = t;
            }
            s = (s + f64::from(x) * rho.ln() - (rho - 1.0) * lambda(t)).max(0.0);
            if s >= h && crossed.is_none() {
                crossed = Some((t, run_start, s));
            }
        }
        let (t, from, peak) = crossed?;
        let since = start + Duration::hours(from as i64);
        let until = start + Duration::hours(t as i64 + 1);
        let behind: Vec<&Incident> = cfv.into_iter().filter(|i| i.time >= since && i.time < until).collect();
        let expected: f64 = (from..=t).map(lambda).sum();
        Some(Reason {
            detector: Detector::Cusum,
            level: Level::High,
            message: format!(
                "{} ceasefire-violation incidents from {} to {} UTC where {expected:.1} were expected \
                 (CUSUM {peak:.1} ≥ boundary {h:.1}; baseline {rate:.1} a day)",
                behind.len(),
                hhmm(since),
                hhmm(until),
            ),
            observations: evidence(behind.into_iter()),
        })
    }

    /// The CUSUM boundary for a sector's quiet two-day window ([`simulate_boundary`]), cached per
    /// sector, day, baseline and diurnal profile.
    fn boundary(&mut self, k: usize, day: i64, posterior: (f64, f64), share: &[f64]) -> f64 {
        let key = boundary_key(k, day, posterior, share);
        *self.boundaries.entry(key).or_insert_with(|| simulate_boundary(&self.config, k, day, posterior, share))
    }

    /// Simulates, before the sectors are assessed one by one, the boundaries their CUSUMs will ask
    /// for and the cache does not hold, half of them on a second thread: each is thousands of
    /// simulated windows, the same whichever thread runs them, and a process that keeps nothing (the
    /// command line) simulates every sector's.
    fn simulate_boundaries(&mut self, baseline: &[&DaySummary], base_days: f64, day: i64, share: &[f64]) {
        let asked: Vec<(BoundaryKey, usize, (f64, f64))> = (0..self.sectors.len())
            .map(|k| (k, posterior(baseline, k, base_days)))
            .map(|(k, posterior)| (boundary_key(k, day, posterior, share), k, posterior))
            .collect();
        self.asked = asked.iter().map(|(key, _, _)| *key).collect();
        let wanted: Vec<_> = asked.into_iter().filter(|(key, _, _)| !self.boundaries.contains_key(key)).collect();
        let config = &self.config;
        let simulated = truce_core::halves::map(&wanted, 2, |half| {
            half.iter()
                .map(|&(key, k, posterior)| (key, simulate_boundary(config, k, day, posterior, share)))
                .collect::<Vec<_>>()
        });
        self.boundaries.extend(simulated.into_iter().flatten());
    }

    fn ewma(&self, part: &Part, w: &Window, d: i64) -> Option<Reason> {
        let daily: Vec<f64> = (w.base_from..d).map(|day| f64::from(part.cfv_on(day, d))).collect();
        let base_n = w.base_days as usize;
        let mean = daily[..base_n.min(daily.len())].iter().sum::<f64>() / w.base_days;
        let lambda = self.config.ewma_lambda;
        let limit = mean + self.config.ewma_sigmas * mean.max(1.0).sqrt() * (lambda / (2.0 - lambda)).sqrt();
        let mut z = mean;
        for x in &daily {
            z = lambda * x + (1.0 - lambda) * z;
        }
        let last = *daily.last()?;
        if z <= limit {
            return None;
        }
        let yesterday = day_start(d - 1);
        let cfv = part.recent.iter().copied().filter(|i| i.category.is_ceasefire_violation());
        Some(Reason {
            detector: Detector::Ewma,
            level: Level::Elevated,
            message: format!(
                "EWMA of daily ceasefire-violation incidents {z:.1} above its limit {limit:.1} \
                 (yesterday {last:.0}; baseline {mean:.1} a day)"
            ),
            observations: evidence(cfv.filter(|i| i.time >= yesterday && i.time < day_start(d))),
        })
    }

    fn surge(&self, part: &Part, first_day: i64, d: i64, notes: &mut Vec<String>, note: bool) -> Option<Reason> {
        if d - first_day < 35 {
            if note {
                notes.push(format!(
                    "the surge rule needs 35 complete days of history; there are {}",
                    (d - first_day).max(0)
                ));
            }
            return None;
        }
        let week = |from: i64| f64::from((from..from + 7).map(|day| part.cfv_on(day, d)).sum::<u32>());
        let last = week(d - 7);
        let before = (1..=4).map(|k| week(d - 7 - 7 * k)).sum::<f64>() / 4.0;
        if before < 1.0 || last < 2.0 * before {
            return None;
        }
        let mut observations: Vec<String> = part
            .older
            .iter()
            .filter(|s| s.day >= d - 7)
            .flat_map(|s| s.sectors[part.k].cfv_evidence.iter().cloned())
            .take(EVIDENCE)
            .collect();
        let cfv = part.recent.iter().copied().filter(|i| i.category.is_ceasefire_violation());
        observations.extend(evidence(cfv).into_iter().take(EVIDENCE - observations.len()));
        Some(Reason {
            detector: Detector::Surge,
            level: Level::High,
            message: format!(
                "{last:.0} ceasefire-violation incidents in the last seven days, {:.0}% above the previous four \
                 weeks' mean of {before:.1}",
                (last / before - 1.0) * 100.0
            ),
            observations,
        })
    }

    fn indicators(&self, part: &Part, w: &Window) -> Vec<Reason> {
        let day_before = w.at - Duration::days(1);
        let recent: Vec<&Incident> = part.recent.iter().copied().filter(|i| i.time >= day_before).collect();
        let mut out = Vec::new();
        // Counts against the baseline's daily mean.
        for (j, (detector, what, select, min)) in INDICATORS.into_iter().enumerate() {
            let now: Vec<&Incident> = recent.iter().copied().filter(|i| select(i).is_some()).collect();
            let n: u32 = now.iter().filter_map(|i| select(i)).sum();
            let m = f64::from(part.baseline.iter().map(|s| s.sectors[part.k].indicators[j]).sum::<u32>()) / w.base_days;
            if n >= min && f64::from(n) > m + 2.0 * m.sqrt() {
                let level = if detector == Detector::WeaponsForward
                    && n >= self.config.weapons_forward_high.max((4.0 * (m + 1.0)).ceil() as u32)
                {
                    Level::High
                } else {
                    Level::Elevated
                };
                out.push(Reason {
                    detector,
                    level,
                    message: format!("{n} {what} in the last 24 hours (baseline {m:.1} a day)"),
                    observations: evidence(now.into_iter()),
                });
            }
        }
        out.extend(self.missing_from_storage(part, w));
        out.extend(self.heavier(part, &recent));
        out
    }

    /// A storage site where the latest verification counts fewer weapons of a class than an earlier one.
    fn missing_from_storage(&self, part: &Part, w: &Window) -> Vec<Reason> {
        let kept = part
            .older
            .iter()
            .flat_map(|s| s.sectors[part.k].storage.iter())
            .filter(|i| w.since.is_none_or(|since| i.time >= since));
        let all: Vec<&Incident> =
            kept.chain(part.recent.iter().copied().filter(|i| self.is_storage_visit(i))).collect();
        let mut out = Vec::new();
        for (zone, name) in &self.storage_sites {
            let visits: Vec<&Incident> = all.iter().copied().filter(|i| i.zones.iter().any(|z| z == zone)).collect();
            let mut classes: Vec<&str> = visits.iter().filter_map(|i| i.weapon_class.as_deref()).collect();
            classes.sort_unstable();
            classes.dedup();
            for class in classes {
                let of_class = || visits.iter().filter(|i| i.weapon_class.as_deref() == Some(class));
                let Some(latest) = of_class().filter(|i| i.time >= w.at - Duration::days(1)).max_by_key(|i| i.time)
                else {
                    continue;
                };
                let Some(before) = of_class().filter(|i| i.time < w.at - Duration::days(1)).max_by_key(|i| i.count)
                else {
                    continue;
                };
                if latest.count < before.count {
                    out.push(Reason {
                        detector: Detector::MissingFromStorage,
                        level: Level::Elevated,
                        message: format!(
                            "{} {class} missing at {name}: {} verified now, {} on {}",
                            before.count - latest.count,
                            latest.count,
                            before.count,
                            before.time.date()
                        ),
                        observations: evidence([*latest, *before].into_iter()),
                    });
                }
            }
        }
        out
    }

    /// The share of heavier classes among weapon sightings: the last 24 hours against the baseline.
    fn heavier(&self, part: &Part, recent: &[&Incident]) -> Option<Reason> {
        let now: Vec<&Incident> = recent.iter().copied().filter(|i| self.is_sighting_outside_storage(i)).collect();
        let base_len = part.baseline.iter().map(|s| s.sectors[part.k].sightings).sum::<u32>();
        let base_heavy = part.baseline.iter().map(|s| s.sectors[part.k].heavy).sum::<u32>();
        if now.len() < 4 || base_len < 4 {
            return None;
        }
        let heavy: Vec<&Incident> = now.iter().copied().filter(|i| self.is_heavy(i)).collect();
        let p1 = heavy.len() as f64 / now.len() as f64;
        let p0 = (f64::from(base_heavy) / f64::from(base_len)).clamp(0.02, 0.98);
        let z = (p1 - p0) / (p0 * (1.0 - p0) / now.len() as f64).sqrt();
        if p1 - p0 < 0.25 || z < 2.0 {
            return None;
        }
        Some(Reason {
            detector: Detector::HeavierWeapons,
            level: Level::Elevated,
            message: format!(
                "heavier weapon classes are {:.0}% of {} weapon sightings in the last 24 hours, {:.0}% in the baseline",
                p1 * 100.0,
                now.len(),
                p0 * 100.0
            ),
            observations: evidence(heavy.into_iter()),
        })
    }
}

/// One sector's (or the outside's) share of an assessment: its index, the summaries of the days before
/// yesterday (all, and the baseline's) and its incidents since the start of yesterday.
struct Part<'a> {
    k: usize,
    older: &'a [&'a DaySummary],
    baseline: &'a [&'a DaySummary],
    recent: &'a [&'a Incident],
    /// Ceasefire-violation incidents among `recent` yesterday and today.
    recent_cfv: [u32; 2],
}

impl Part<'_> {
    /// Ceasefire-violation incidents of the day `day` in this part, for an assessment in the day `d`:
    /// from the summary before yesterday, from the incidents after.
    fn cfv_on(&self, day: i64, d: i64) -> u32 {
        if day < d - 1 {
            self.older.iter().filter(|s| s.day == day).map(|s| s.sectors[self.k].cfv).sum()
        } else {
            usize::try_from(day - (d - 1)).ok().and_then(|k| self.recent_cfv.get(k)).copied().unwrap_or(0)
        }
    }
}

struct Window {
    at: OffsetDateTime,
    /// The start of the look-back: older storage-site visits are not compared (`None`: all are).
    since: Option<OffsetDateTime>,
    /// The baseline's first day and its length in days (at least 1).
    base_from: i64,
    base_days: f64,
}

/// The level the reasons add up to (see the module documentation).
pub fn fuse(reasons: &[Reason]) -> Level {
    let statistical = reasons.iter().any(|r| matches!(r.detector, Detector::Cusum | Detector::Surge));
    let mut indicators: Vec<Detector> = reasons.iter().map(|r| r.detector).filter(|d| d.is_indicator()).collect();
    indicators.dedup();
    let strongest = reasons.iter().map(|r| r.level).max().unwrap_or(Level::Normal);
    if statistical && indicators.len() >= 2 {
        Level::Critical
    } else if indicators.len() >= 3 {
        Level::High.max(strongest)
    } else if !indicators.is_empty() {
        Level::Elevated.max(strongest)
    } else {
        strongest
    }
}

fn hhmm(t: OffsetDateTime) -> String {
    format!("{} {:02}:{:02}", t.date(), t.hour(), t.minute())
}

/// SplitMix64: a small, fast, deterministic generator for the boundary simulations.
struct SplitMix(u64);

impl SplitMix {
    fn next_f64(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A standard normal draw (Box–Muller).
fn normal(rng: &mut SplitMix) -> f64 {
    let u1 = rng.next_f64().max(f64::MIN_POSITIVE);
    let u2 = rng.next_f64();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A Gamma(shape, 1) draw (Marsaglia and Tsang; shape ≥ 1 here since it is a count plus one).
fn gamma(rng: &mut SplitMix, shape: f64) -> f64 {
    let d = shape.max(1.0) - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let x = normal(rng);
        let v = (1.0 + c * x).powi(3);
        if v <= 0.0 {
            continue;
        }
        let u = rng.next_f64();
        if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
            return d * v;
        }
    }
}

/// A CUSUM boundary's sector, day, and a hash of its posterior and diurnal profile.
type BoundaryKey = (usize, i64, u64);

/// The key a CUSUM boundary is cached under. The diurnal profile is part of it: a late report into
/// another sector's baseline day changes the profile without changing this sector's baseline.
fn boundary_key(k: usize, day: i64, (shape, scale): (f64, f64), share: &[f64]) -> BoundaryKey {
    let profile = share.iter().fold(0u64, |h, x| h.rotate_left(7) ^ x.to_bits());
    (k, day, shape.to_bits() ^ scale.to_bits().rotate_left(17) ^ profile.rotate_left(31))
}

/// The posterior of sector `k`'s daily rate of ceasefire-violation incidents given its count over the
/// `baseline` days (`base_days` of them), Gamma(n + 1, 1 / days), as (shape, scale); its mean, (n + 1)
/// / days, is the rate the CUSUM runs with.
fn posterior(baseline: &[&DaySummary], k: usize, base_days: f64) -> (f64, f64) {
    let n = f64::from(baseline.iter().map(|s| s.sectors[k].cfv).sum::<u32>());
    (n + 1.0, 1.0 / base_days)
}

/// The CUSUM boundary for sector `k`'s quiet two-day window from day `day` on: the quantile of the
/// largest statistic reached in [`Config::simulations`] simulated windows (seeded by sector and day)
/// at which a quiet sector crosses once in [`Config::false_alarm_days`] windows.
///
/// The baseline rate is itself an estimate from a few days, so each simulated window draws its daily
/// rate from the rate's posterior given the baseline count ([`posterior`]), and the statistic runs
/// with the rate the detector uses, its mean: a boundary for the counts a quiet sector can really
/// produce, not only for the estimate.
fn simulate_boundary(config: &Config, k: usize, day: i64, (shape, scale): (f64, f64), share: &[f64]) -> f64 {
    let rho = config.detect_ratio;
    let assumed = shape * scale;
    let mut rng = SplitMix(0x7275_6365 ^ ((k as u64) << 32) ^ day as u64);
    let runs = config.simulations.max(100);
    let (ln_rho, drift) = (rho.ln(), (rho - 1.0) * assumed);
    let mut hours = [Poisson::default(); 24];
    let mut uniforms = Vec::new();
    let mut peaks: Vec<f64> = (0..runs)
        .map(|_| {
            let rate = gamma(&mut rng, shape) * scale;
            // Each hour of the day's distribution, worked out once for both days of the window.
            for (hour, &sh) in hours.iter_mut().zip(share) {
                *hour = Poisson::new(rate * sh);
            }
            let draws = window_draws(&mut rng, &hours, &mut uniforms);
            let (mut s, mut peak) = (0.0f64, 0.0f64);
            for (t, &x) in draws.iter().enumerate() {
                s = (s + f64::from(x) * ln_rho - drift * share[t % 24]).max(0.0);
                peak = peak.max(s);
            }
            peak
        })
        .collect();
    // A window is assessed every day (the next one overlaps it by a day): one crossing in
    // `false_alarm_days` windows.
    let alpha = 1.0 / config.false_alarm_days;
    let q = (((1.0 - alpha) * runs as f64).ceil() as usize).min(runs - 1);
    let (_, &mut quantile, _) = peaks.select_nth_unstable_by(q, f64::total_cmp);
    quantile.max(ln_rho)
}

/// A simulated two-day window's hourly counts, `hours[t % 24]` drawn for each hour `t` in turn from
/// `rng` (`uniforms`: a buffer to reuse). When no hour is drawn as a normal, each draw takes one
/// uniform a part, in hour order, day after day: drawn first, each part of an hour's two draws (one a
/// day) is then found in one walk up its distribution, the same numbers as two walks and `rng` left
/// where the draws one by one leave it.
fn window_draws(rng: &mut SplitMix, hours: &[Poisson; 24], uniforms: &mut Vec<f64>) -> [u32; 48] {
    let mut draws = [0u32; 48];
    if !hours.iter().all(Poisson::is_inverted) {
        draws.iter_mut().enumerate().for_each(|(t, x)| *x = hours[t % 24].draw(rng));
        return draws;
    }
    let day: usize = hours.iter().map(|h| h.parts as usize).sum();
    uniforms.clear();
    uniforms.extend((0..2 * day).map(|_| rng.next_f64()));
    let (first, second) = uniforms.split_at(day);
    let mut at = 0;
    for (hour, poisson) in hours.iter().enumerate() {
        for i in at..at + poisson.parts as usize {
            let (a, b) = poisson.invert_both(first[i], second[i]);
            draws[hour] += a;
            draws[hour + 24] += b;
        }
        at += poisson.parts as usize;
    }
    draws
}

/// The largest rate [`Poisson`] draws from by inversion in one piece: `exp(-λ)`, where the sum
/// starts, loses precision past 708 and underflows to 0 past 745 (then every draw came out 1,000).
const POISSON_PART: f64 = 500.0;

/// The rate above which [`Poisson`] draws from the normal distribution of the same mean and variance
/// instead (64 parts; its skewness, `1/√λ`, is then below 0.006): a damaged baseline count in the
/// billions would otherwise cost millions of steps a draw.
const POISSON_NORMAL: f64 = 64.0 * POISSON_PART;

/// One hour's Poisson distribution of rate λ, drawn by inversion: a draw is the first `n` whose
/// cumulative probability `P(X ≤ n)` reaches a uniform `u`, the probabilities summed as `P(X = n) =
/// P(X = n − 1) · λ / n` from `P(X = 0) = exp(−λ)` (the hourly rates are small: a few steps). A rate
/// above [`POISSON_PART`] is drawn as the sum of draws of equal parts of it (a sum of independent
/// Poisson draws is one of the summed rate), one `u` each; a rate above [`POISSON_NORMAL`] from the
/// normal distribution. `exp(−λ)` is worked out once for both days of a simulated window.
#[derive(Debug, Clone, Copy, Default)]
struct Poisson {
    /// The rate of each part, how many parts (none: `part` is the rate, drawn as a normal), and
    /// `exp(−part)`.
    part: f64,
    parts: u32,
    quiet: f64,
}

impl Poisson {
    fn new(lambda: f64) -> Self {
        if lambda > POISSON_NORMAL {
            return Self { part: lambda, parts: 0, quiet: 0.0 };
        }
        let parts = (lambda / POISSON_PART).ceil().max(1.0) as u32;
        let part = lambda / f64::from(parts);
        Self { part, parts, quiet: (-part).exp() }
    }

    #[inline]
    fn draw(&self, rng: &mut SplitMix) -> u32 {
        match self.parts {
            0 => (self.part + self.part.sqrt() * normal(rng)).round().max(0.0) as u32,
            1 => self.invert(rng.next_f64()),
            parts => (0..parts).map(|_| self.invert(rng.next_f64())).sum(),
        }
    }

    /// Whether a draw is the sum of its parts' inversions (one uniform a part), not a normal draw.
    fn is_inverted(&self) -> bool {
        self.parts > 0
    }

    /// The first `n` with `u ≤ P(X ≤ n)` for one part, at most 1,000.
    #[inline]
    fn invert(&self, u: f64) -> u32 {
        self.invert_both(u, 0.0).0
    }

    /// [`Poisson::invert`] of `a` and of `b`, in one walk: up to the smaller, then on to the larger
    /// (the same sums in the same order, so the same numbers as two walks).
    #[inline]
    fn invert_both(&self, a: f64, b: f64) -> (u32, u32) {
        let (low, high) = if a <= b { (a, b) } else { (b, a) };
        let mut p = self.quiet;
        let mut cdf = p;
        let mut n = 0u32;
        let mut walk = |u: f64| {
            while u > cdf && n < 1_000 {
                n += 1;
                p *= self.part / f64::from(n);
                cdf += p;
            }
            n
        };
        let first = walk(low);
        let second = walk(high);
        if a <= b { (first, second) } else { (second, first) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::Located;
    use time::macros::datetime;
    use truce_core::{Confidence, Marking, ViolationRecord};

    const START: OffsetDateTime = datetime!(2026-10-01 00:00 UTC);

    fn incident(n: usize, time: OffsetDateTime, sector: &str, category: Category) -> Incident {
        Incident {
            id: format!("inc-{n}"),
            time,
            time_end: time,
            category,
            weapon_class: None,
            party: None,
            count: 1,
            lat: 48.0,
            lon: 37.5,
            uncertainty_m: 50.0,
            located_by: Located::Single,
            confidence: Confidence::Confirmed,
            sector: Some(sector.into()),
            observations: vec![format!("obs-{n}")],
            observers: vec!["UAV".into()],
            violations: Vec::new(),
            zones: Vec::new(),
            casualties: None,
            marking: Marking::NatoUnclassified,
            releasable_to: Vec::new().into(),
            categories: Vec::new(),
        }
    }

    /// `per_day(day)` ceasefire-violation incidents a day in sector "A", spread over the hours with
    /// three quarters of them at night.
    fn series(days: i64, per_day: impl Fn(i64) -> u32) -> Vec<Incident> {
        let mut out = Vec::new();
        for d in 0..days {
            let n = per_day(d);
            for k in 0..n {
                let hour = if k % 4 == 3 { 12 } else { (20 + (k * 7) % 8) % 24 };
                let t =
                    START + Duration::days(d) + Duration::hours(i64::from(hour)) + Duration::minutes(i64::from(k % 60));
                out.push(incident(out.len(), t, "A", Category::ExplosionImpact));
            }
        }
        out
    }

    #[test]
    fn a_cusum_boundary_is_kept_for_its_diurnal_profile_only() {
        let flat = vec![1.0 / 24.0; 24];
        let mut evening = vec![0.5 / 18.0; 24];
        for share in &mut evening[18..] {
            *share = 0.5 / 6.0;
        }
        let (baseline, day) = ((40.0, 1.0 / 20.0), 20_400);
        let fresh = |share: &[f64]| watch().boundary(0, day, baseline, share);
        let mut kept = watch();
        assert_eq!(kept.boundary(0, day, baseline, &flat), fresh(&flat));
        assert_ne!(fresh(&flat), fresh(&evening), "the profile changes the boundary");
        assert_eq!(kept.boundary(0, day, baseline, &evening), fresh(&evening), "not the flat profile's, kept");
        assert_eq!(kept.boundary(0, day, baseline, &flat), fresh(&flat));
    }

    #[test]
    fn the_boundaries_simulated_ahead_are_those_the_sectors_ask_for() {
        // Three sectors with different baselines (A two thirds, B a third, C none): an assessment
        // simulates each sector's boundary once, before the sectors are assessed, under the key its
        // CUSUM asks for and with the value it would simulate alone.
        let mut w = Watch { sectors: ["A", "B", "C"].map(|s| (s.to_lowercase(), s.to_owned())).into(), ..watch() };
        let mut incidents = series(10, |_| 30);
        for i in incidents.iter_mut().step_by(3) {
            i.sector = Some("B".into());
        }
        let at = START + Duration::days(9) + Duration::hours(21);
        w.assess(&incidents, START, at);
        assert_eq!(w.boundaries.len(), 3, "one boundary a sector, none simulated twice");
        // The baseline is every day before yesterday (the data begin at START).
        let d = day_of(at);
        let days: Vec<DaySummary> = (day_of(START)..d - 1)
            .map(|day| w.summarize(day, incidents.iter().filter(|i| day_of(i.time) == day)))
            .collect();
        let baseline: Vec<&DaySummary> = days.iter().collect();
        let mut by_hour = [1.0f64; 24];
        for s in &days {
            for (into, n) in by_hour.iter_mut().zip(s.by_hour) {
                *into += f64::from(n);
            }
        }
        let total: f64 = by_hour.iter().sum();
        let share: Vec<f64> = by_hour.iter().map(|c| c / total).collect();
        for k in 0..3 {
            let posterior = posterior(&baseline, k, days.len() as f64);
            let alone = simulate_boundary(&w.config, k, d, posterior, &share);
            assert_eq!(w.boundaries.get(&boundary_key(k, d, posterior, &share)), Some(&alone), "sector {k}");
        }
    }

    fn watch() -> Watch {
        Watch {
            config: Config::default(),
            sectors: vec![("a".into(), "A".into())],
            storage_sites: vec![("site".into(), "Site 1".into())],
            heavy_classes: vec!["mlrs".into()],
            boundaries: HashMap::new(),
            asked: Vec::new(),
        }
    }

    fn reasons(a: &Assessment) -> Vec<Detector> {
        a.sectors[0].reasons.iter().map(|r| r.detector).chain(a.reasons.iter().map(|r| r.detector)).collect()
    }

    /// One Poisson draw of `mean`.
    fn poisson(rng: &mut SplitMix, mean: f64) -> u32 {
        Poisson::new(mean).draw(rng)
    }

    /// A tiny deterministic Poisson source for quiet data.
    fn poisson_series(days: i64, mean: f64, seed: u64) -> Vec<u32> {
        let mut rng = SplitMix(seed);
        (0..days).map(|_| poisson(&mut rng, mean)).collect()
    }

    #[test]
    fn poisson_draws_invert_the_distribution_at_any_rate() {
        // Against the definition: the first n whose cumulative probability reaches u, the terms
        // summed from P(X = 0) = exp(-λ), one draw at a time; the same u for both.
        for lambda in [0.0, 0.3, 4.0, 37.5, 180.0, 499.0] {
            let table = Poisson::new(lambda);
            let (mut rng, mut same) = (SplitMix(3), SplitMix(3));
            for _ in 0..2_000 {
                let u = same.next_f64();
                let (mut n, mut p) = (0u32, (-lambda).exp());
                let mut cdf = p;
                while u > cdf && n < 1_000 {
                    n += 1;
                    p *= lambda / f64::from(n);
                    cdf += p;
                }
                assert_eq!(table.draw(&mut rng), n, "λ {lambda}, u {u}");
            }
        }
        // Past exp(-λ)'s underflow (λ > 745) the draws are still Poisson: mean and variance λ.
        for lambda in [800.0, 5_000.0, 40_000.0, 1e7] {
            let table = Poisson::new(lambda);
            let mut rng = SplitMix(5);
            let draws: Vec<f64> = (0..4_000).map(|_| f64::from(table.draw(&mut rng))).collect();
            let mean = draws.iter().sum::<f64>() / 4_000.0;
            let var = draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 3_999.0;
            assert!((mean - lambda).abs() < 5.0 * (lambda / 4_000.0).sqrt(), "λ {lambda}: mean {mean}");
            assert!((var / lambda - 1.0).abs() < 0.15, "λ {lambda}: variance {var}");
        }
    }

    #[test]
    fn a_boundary_is_the_one_simulated_a_draw_at_a_time() {
        // The windows as first written: each hour's draw in turn, from its own walk; the boundary
        // must be the same number whether an hour's two draws share a walk (every rate one part) or
        // not (a rate above one part's in some hour, or drawn as a normal).
        let reference = |config: &Config, k: usize, day: i64, (shape, scale): (f64, f64), share: &[f64]| {
            let (rho, assumed) = (config.detect_ratio, shape * scale);
            let mut rng = SplitMix(0x7275_6365 ^ ((k as u64) << 32) ^ day as u64);
            let (ln_rho, drift) = (rho.ln(), (rho - 1.0) * assumed);
            let runs = config.simulations.max(100);
            let mut peaks: Vec<f64> = (0..runs)
                .map(|_| {
                    let rate = gamma(&mut rng, shape) * scale;
                    let hours: Vec<Poisson> = share.iter().map(|sh| Poisson::new(rate * sh)).collect();
                    let (mut s, mut peak) = (0.0f64, 0.0f64);
                    for t in 0..48 {
                        s = (s + f64::from(hours[t % 24].draw(&mut rng)) * ln_rho - drift * share[t % 24]).max(0.0);
                        peak = peak.max(s);
                    }
                    peak
                })
                .collect();
            let q = (((1.0 - 1.0 / config.false_alarm_days) * runs as f64).ceil() as usize).min(runs - 1);
            peaks.sort_by(f64::total_cmp);
            peaks[q].max(ln_rho)
        };
        let config = Config { simulations: 400, ..Config::default() };
        let flat = vec![1.0 / 24.0; 24];
        let mut night = vec![0.2 / 20.0; 24];
        night[..4].iter_mut().for_each(|s| *s = 0.8 / 4.0);
        for (share, days) in [(&flat, 1.0), (&night, 14.0)] {
            // Baselines of a quiet sector, a busy front (about 190 an hour: one part), and heavier
            // than one part in some hours (over 500 an hour) or in all of them (drawn as normals).
            for count in [0.0, 30.0, 4_500.0 * days, 20_000.0 * days, 1e8 * days] {
                let posterior = (count + 1.0, 1.0 / days);
                for (k, day) in [(0, 20_400), (3, 20_431)] {
                    let fast = simulate_boundary(&config, k, day, posterior, share);
                    let slow = reference(&config, k, day, posterior, share);
                    assert_eq!(fast.to_bits(), slow.to_bits(), "count {count} over {days} days, sector {k}");
                }
            }
        }
        // A window's draws are those drawn one by one, and leave the generator where they do: hours
        // of one part, of several, and drawn as normals, mixed.
        let mut rates = SplitMix(13);
        let mut uniforms = Vec::new();
        for scale in [0.5, 40.0, 190.0, 900.0, 2_600.0, 40_000.0] {
            for _ in 0..50 {
                let hours: [Poisson; 24] = std::array::from_fn(|_| Poisson::new(scale * 2.0 * rates.next_f64()));
                let (mut rng, mut one_by_one) = (SplitMix(scale as u64), SplitMix(scale as u64));
                let draws = window_draws(&mut rng, &hours, &mut uniforms);
                let expected: Vec<u32> = (0..48).map(|t| hours[t % 24].draw(&mut one_by_one)).collect();
                assert_eq!(draws.to_vec(), expected, "hourly rates up to {}", scale * 2.0);
                assert_eq!(rng.0, one_by_one.0);
            }
        }
        // One walk for two uniforms gives what two walks give, whichever is larger.
        let mut rng = SplitMix(9);
        for lambda in [0.0, 0.7, 12.0, 190.0, 499.0] {
            let p = Poisson::new(lambda);
            for _ in 0..1_000 {
                let (a, b) = (rng.next_f64(), rng.next_f64());
                assert_eq!(p.invert_both(a, b), (p.invert(a), p.invert(b)), "λ {lambda}, u {a} and {b}");
                assert_eq!(p.invert_both(a, a), (p.invert(a), p.invert(a)));
            }
        }
    }

    #[test]
    fn a_quiet_sector_rarely_raises_a_cusum_alarm() {
        // 120 quiet days at 20 a day, assessed at 21:00 every day from day 5.
        let counts = poisson_series(120, 20.0, 11);
        let incidents = series(120, |d| counts[d as usize]);
        let mut w = watch();
        let alarms = (5..120)
            .filter(|&d| {
                let a = w.assess(&incidents, START, START + Duration::days(d) + Duration::hours(21));
                reasons(&a).contains(&Detector::Cusum)
            })
            .count();
        assert!(alarms <= 2, "{alarms} CUSUM alarms in 115 quiet days (design: one in 365)");
    }

    #[test]
    fn a_doubling_is_found_by_the_cusum_within_hours_and_points_at_the_incidents() {
        let incidents = series(8, |d| if d == 6 { 60 } else { 20 });
        let mut w = watch();
        let before = w.assess(&incidents, START, START + Duration::days(6));
        assert_eq!(before.sectors[0].level, Level::Normal, "{before:?}");
        let after = w.assess(&incidents, START, START + Duration::days(6) + Duration::hours(23));
        let cusum = after.sectors[0].reasons.iter().find(|r| r.detector == Detector::Cusum).expect("no CUSUM alarm");
        assert_eq!(after.sectors[0].level, Level::High);
        assert!(!cusum.observations.is_empty());
        let day6: Vec<String> = incidents
            .iter()
            .filter(|i| i.time >= START + Duration::days(5))
            .flat_map(|i| i.observations.clone())
            .collect();
        assert!(cusum.observations.iter().all(|o| day6.contains(o)), "evidence outside the alarm's run");
    }

    #[test]
    fn the_surge_rule_needs_five_weeks_and_a_doubled_week() {
        let incidents = series(43, |d| if d >= 35 { 25 } else { 10 });
        let mut w = watch();
        let a = w.assess(&incidents, START, START + Duration::days(42) + Duration::hours(1));
        let surge = a.sectors[0].reasons.iter().find(|r| r.detector == Detector::Surge).expect("no surge");
        assert!(surge.message.contains("175 ceasefire-violation incidents"), "{}", surge.message);
        assert!(surge.message.contains("150% above"), "{}", surge.message);
        let short = w.assess(&incidents[..incidents.len() / 2], START, START + Duration::days(20));
        assert!(short.notes.iter().any(|n| n.contains("surge rule needs 35")), "{:?}", short.notes);
        let flat = series(43, |_| 10);
        let a = w.assess(&flat, START, START + Duration::days(42) + Duration::hours(1));
        assert!(!reasons(&a).contains(&Detector::Surge));
    }

    #[test]
    fn too_little_history_is_said_and_only_indicators_speak() {
        let mut incidents = series(2, |_| 20);
        let mut j = incident(999, START + Duration::days(1) + Duration::hours(3), "A", Category::GpsJamming);
        j.observations = vec!["jam-1".into()];
        incidents.push(j);
        let a = watch().assess(&incidents, START, START + Duration::days(1) + Duration::hours(5));
        assert!(a.notes.iter().any(|n| n.contains("CUSUM and EWMA need 3")), "{:?}", a.notes);
        let s = &a.sectors[0];
        assert_eq!(s.level, Level::Elevated);
        assert_eq!(s.reasons.len(), 1);
        assert_eq!(s.reasons[0].detector, Detector::GpsJamming);
        assert_eq!(s.reasons[0].observations, ["jam-1"]);
    }

    #[test]
    fn missing_weapons_at_a_storage_site_are_reported_in_the_rear() {
        let mut incidents = series(6, |_| 20);
        for (d, count) in [(1i64, 12), (2, 12), (3, 9)] {
            let mut v = incident(
                1_000 + d as usize,
                START + Duration::days(d) + Duration::hours(10),
                "rear",
                Category::WeaponSighting,
            );
            v.sector = None;
            v.weapon_class = Some("heavy_mlrs".into());
            v.count = count;
            v.zones = vec!["site".into()];
            incidents.push(v);
        }
        let a = watch().assess(&incidents, START, START + Duration::days(3) + Duration::hours(12));
        let r = a.reasons.iter().find(|r| r.detector == Detector::MissingFromStorage).expect("not reported");
        assert!(
            r.message.starts_with("3 heavy_mlrs missing at Site 1: 9 verified now, 12 on 2026-10-03"),
            "{}",
            r.message
        );
        assert_eq!(a.level, Level::Elevated);
    }

    #[test]
    fn weapons_forward_in_numbers_make_it_high_and_with_a_statistical_alarm_critical() {
        let mut incidents = series(7, |d| if d == 6 { 60 } else { 20 });
        for k in 0..4 {
            let mut v = incident(
                2_000 + k,
                START + Duration::days(6) + Duration::hours(2 + k as i64),
                "A",
                Category::WeaponSighting,
            );
            v.weapon_class = Some("mlrs".into());
            v.count = 3;
            v.violations = vec![ViolationRecord {
                code: "weapon_forward_of_withdrawal_line".into(),
                zone: None,
                class: Some("mlrs".into()),
                party: Some("rus".into()),
                line: Some("loc".into()),
                required_m: Some(35_000.0),
                actual_m: Some(12_000.0),
                category: None,
                phase: None,
                count: Some(3),
            }];
            incidents.push(v);
        }
        let mut w = watch();
        let a = w.assess(&incidents, START, START + Duration::days(6) + Duration::hours(8));
        let forward = a.sectors[0].reasons.iter().find(|r| r.detector == Detector::WeaponsForward).unwrap();
        assert_eq!(forward.level, Level::High, "{}", forward.message);
        assert!(forward.message.starts_with("12 weapons forward"), "{}", forward.message);
        let mut j = incident(3_000, START + Duration::days(6) + Duration::hours(1), "A", Category::EngineeringWorks);
        j.observations = vec!["works".into()];
        incidents.push(j);
        let a = w.assess(&incidents, START, START + Duration::days(6) + Duration::hours(23));
        assert!(reasons(&a).contains(&Detector::Cusum), "{a:?}");
        assert_eq!(a.sectors[0].level, Level::Critical);
        assert_eq!(a.level, Level::Critical);
    }

    #[test]
    fn levels_parse_and_order() {
        assert!(Level::Critical > Level::High && Level::High > Level::Elevated && Level::Elevated > Level::Normal);
        assert_eq!("high".parse::<Level>(), Ok(Level::High));
        assert!("severe".parse::<Level>().is_err());
    }
    fn violation(code: &str) -> ViolationRecord {
        serde_json::from_value(serde_json::json!({"code": code})).unwrap()
    }

    /// Fifty days of incidents of every kind in two sectors, outside them and in an unknown one, with
    /// a surge after day 38 for even seeds.
    fn random_days(seed: u64) -> Vec<Incident> {
        let start = START;
        let mut rng = SplitMix(seed);
        let mut out = Vec::new();
        let cats = [
            Category::ExplosionImpact,
            Category::BurstsAndShots,
            Category::WeaponSighting,
            Category::WeaponSighting,
            Category::RestrictionOfMovement,
            Category::GpsJamming,
            Category::EngineeringWorks,
            Category::MineLaying,
            Category::Aircraft,
        ];
        for d in 0..50i64 {
            let rate = if d > 38 && seed.is_multiple_of(2) { 60.0 } else { 20.0 } * (1.0 + (seed % 3) as f64);
            let n = poisson(&mut rng, rate);
            let mut day = Vec::new();
            for _ in 0..n {
                let t = start + Duration::days(d) + Duration::seconds((rng.next_f64() * 86_400.0) as i64);
                let cat = cats[(rng.next_f64() * cats.len() as f64) as usize];
                let k = out.len() + day.len();
                let sector = match (rng.next_f64() * 4.0) as u32 {
                    0 => None,
                    1 => Some("B"),
                    2 => Some("Nowhere"),
                    _ => Some("A"),
                };
                let mut violations = Vec::new();
                let mut zones = Vec::new();
                let mut weapon_class = None;
                if cat == Category::WeaponSighting {
                    weapon_class = Some(if rng.next_f64() < 0.4 { "mlrs" } else { "tank" }.to_string());
                    let r = rng.next_f64();
                    if r < 0.2 {
                        violations.push(violation("weapon_forward_of_withdrawal_line"));
                    } else if r < 0.35 {
                        violations.push(violation("weapon_outside_storage_site"));
                    } else if r < 0.6 {
                        zones.push("site".to_string());
                    }
                }
                let nobs = 1 + (rng.next_f64() * 3.0) as usize;
                let mut i = incident(k, t, sector.unwrap_or_default(), cat);
                i.sector = sector.map(Into::into);
                (i.weapon_class, i.violations, i.zones) = (weapon_class, violations, zones);
                i.count = 1 + (rng.next_f64() * 12.0) as u32;
                i.observations = (0..nobs).map(|j| format!("obs-{k}-{j}")).collect();
                day.push(i);
            }
            if d == 0 {
                // A large verification early on, which the look-back lets go of after 36 days.
                let mut v = incident(10_000, start + Duration::hours(6), "A", Category::WeaponSighting);
                (v.weapon_class, v.count, v.zones) = (Some("tank".into()), 50, vec!["site".into()]);
                day.push(v);
            }
            day.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.id.cmp(&b.id)));
            out.extend(day);
        }
        out
    }

    /// The kept path: each day before yesterday summarized whole, yesterday and today as incidents, the
    /// storage-site visits counted from the start of the look-back: the same picture as assessing the
    /// look-back's incidents, every detector firing somewhere in the data.
    #[test]
    fn summaries_of_whole_days_assess_as_the_incidents_do() {
        let mut fired = std::collections::BTreeSet::new();
        for seed in 0..4u64 {
            let incs = random_days(seed);
            let mut w = Watch {
                config: Config { simulations: 300, ..Config::default() },
                sectors: vec![("a".into(), "A".into()), ("b".into(), "B".into())],
                storage_sites: vec![("site".into(), "Site 1".into())],
                heavy_classes: vec!["mlrs".into()],
                boundaries: HashMap::new(),
                asked: Vec::new(),
            };
            let summaries: Vec<DaySummary> = (0..50)
                .map(|d| {
                    let day = day_of(START) + d;
                    w.summarize(day, incs.iter().filter(|i| day_of(i.time) == day))
                })
                .collect();
            for h in (0..50 * 24).step_by(29) {
                let at = START + Duration::hours(h) + Duration::minutes(17);
                let since = at - Duration::days(36);
                let whole = w.assess(incs.iter().filter(|i| i.time >= since), START, at);
                let d = day_of(at);
                let days: Vec<&DaySummary> =
                    summaries.iter().filter(|s| s.day >= day_of(since) && s.day < d - 1).collect();
                let recent = incs.iter().filter(|i| day_of(i.time) >= d - 1);
                let kept = w.assess_days(&days, recent, Some(since), START, at);
                assert_eq!(kept, whole, "seed {seed} at {at}");
                fired.extend(reasons(&whole));
            }
        }
        assert_eq!(fired.len(), Detector::ALL.len(), "{fired:?}");
    }
}
