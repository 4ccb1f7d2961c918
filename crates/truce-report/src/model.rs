//! The report models: what each report says, as numbers and rows, computed from the store.
//!
//! # How the numbers are made
//!
//! For each reporting period the observations whose time (start of their window) lies in
//! `[start, end)` are read from the store, those the edition does not release are set aside (and
//! counted as withheld), and the rest are correlated into incidents with `truce_watch`'s rule, each
//! incident assigned to the sector of its best location. Then:
//!
//! - **CFVs** of a category = Σ `count` over the period's incidents of that category (an incident's
//!   category is the most specific one reported: an impact rather than an undetermined explosion);
//!   **incidents** = how many; **reports** = the observations behind them. Per sector the same, by
//!   the incident's sector ("outside every sector" when none).
//! - **Change** = this period's CFVs − the previous period's (the 24 h before, counted the same way).
//! - **Cumulative** = Σ over every reporting period from the one containing the agreement's
//!   `effective` instant up to this one (the first clipped at `effective`), each correlated on its own:
//!   exactly the sum of the daily reports of those dates.
//! - **Weapons in violation** = Σ `count` over the incidents with a `weapon_forward_of_withdrawal_line`
//!   (resp. `weapon_outside_storage_site`) violation; restrictions of movement and GPS jamming are
//!   counted as incidents; casualties add up each incident's (largest reported) killed and injured.
//!
//! Models hold strings and numbers only; times are RFC 3339 UTC, with a local rendering beside them.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use truce_core::StoredObservation;
use truce_core::{Category, Label, Marking, ViolationRecord, ZoneKind};
use truce_engine::Agreement;
use truce_store::memo::{DayMemo, Keeping, day_of, digest, stamp, stamp_text};
use truce_store::{MAX_PAGE, ObservationStore, Query};
use truce_watch::{Incident, Located, Rule, Sectors, incidents_in_sectors};

use crate::doc::signed;
use crate::period::{Clock, Period, rfc3339};
use crate::{Edition, ReportError};

/// Violation code: a weapon forward of its withdrawal line.
pub const FORWARD: &str = "weapon_forward_of_withdrawal_line";
/// Violation code: a weapon behind its line but outside every storage site.
pub const OUTSIDE_STORAGE: &str = "weapon_outside_storage_site";
/// Violation code: inside a disengagement area.
pub const DISENGAGEMENT: &str = "in_disengagement_area";
/// The longest status report, in days.
pub const MAX_STATUS_DAYS: i32 = 92;

/// What the reports read: the store, the agreement and the sectors.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    /// The observation store.
    pub store: &'a dyn ObservationStore,
    /// The agreement in force.
    pub agreement: &'a Agreement,
    /// The sectors counts are broken down by.
    pub sectors: &'a Sectors,
    /// The label policy (a report's label is the join of what it includes).
    pub policy: &'a truce_access::Policy,
    /// Where the tallies of past periods are kept between reports, and the audience the store is read
    /// as (the kept tallies are that audience's); `None` reads every period each time.
    pub kept: Option<(&'a Tallies, &'a str)>,
}

/// The tallies of past periods (CFVs per category and sector, and their label) and what each period
/// adds to a status report, kept per audience, edition and period while the store's change counters
/// of the days the period covers are unchanged (see `truce_store::memo`): a daily report counts
/// cumulatively from the agreement's effective date, and with them it reads only its own two periods
/// and whatever changed; a status report reads only the periods that changed.
pub struct Tallies {
    tallies: DayMemo<TallyKey, (Tally, Option<Label>)>,
    periods: DayMemo<PeriodKey, StatusPeriod>,
}

/// A kept status-report period's audience, edition, time zone and start (ns since the epoch).
type PeriodKey = (String, Edition, String, i128);

/// A kept tally's audience, edition, period start and the instant counting starts (ns since the epoch).
type TallyKey = (String, Edition, i128, i128);

impl Tallies {
    /// Room for `periods` tallies, all audiences and editions together (a few KB each).
    pub fn new(periods: usize) -> Self {
        Self { tallies: DayMemo::new(periods), periods: DayMemo::new(periods) }
    }

    /// How many periods were found kept and how many were read.
    pub fn hits_and_misses(&self) -> (u64, u64) {
        let ((a, b), (c, d)) = (self.tallies.hits_and_misses(), self.periods.hits_and_misses());
        (a + c, b + d)
    }
}

impl std::fmt::Debug for Tallies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tallies").field("tallies", &self.tallies).field("periods", &self.periods).finish()
    }
}

/// What a report states about its own label: the join of the labels of everything it includes, and
/// how that reads on its banner.
#[derive(Debug, Clone, Serialize)]
pub struct ReportLabel {
    /// The join: the highest classification, the nations every part is released to, every category.
    pub label: Label,
    /// The banner, e.g. `NATO SECRET // SOURCES // REL TO FRA, GBR` (see `truce_access::Policy::banner`).
    pub banner: String,
}

impl ReportLabel {
    /// The join of `parts` (labels already joined, or observations' own labels with their days),
    /// read on `day`; a report that includes nothing is NATO UNCLASSIFIED, released to everyone.
    fn of<'a>(ctx: &Context<'_>, parts: impl IntoIterator<Item = (&'a Label, time::Date)>, day: time::Date) -> Self {
        let label = ctx.policy.join(parts).unwrap_or_else(|| Label {
            marking: Marking::NatoUnclassified,
            releasable_to: vec![ctx.policy.public.clone()],
            categories: Vec::new(),
        });
        Self { banner: ctx.policy.banner(&label, day), label }
    }
}

/// A short label for a category, as the tables show it.
pub fn category_label(c: Category) -> &'static str {
    match c {
        Category::ExplosionImpact => "Explosions: impact",
        Category::ExplosionAirburst => "Explosions: airburst",
        Category::ExplosionOutgoing => "Explosions: outgoing",
        Category::ExplosionUndetermined => "Explosions: undetermined",
        Category::ProjectileInFlight => "Projectiles in flight",
        Category::MuzzleFlash => "Muzzle flashes",
        Category::IlluminationFlare => "Illumination flares",
        Category::BurstsAndShots => "Bursts and shots",
        Category::WeaponSighting => "Weapon sightings",
        Category::RestrictionOfMovement => "Restrictions of movement",
        Category::CivilianCasualty => "Civilian casualties",
        Category::EngineeringWorks => "Engineering works",
        Category::GpsJamming => "GPS jamming",
        Category::MineLaying => "Mine laying",
        Category::Aircraft => "Aircraft",
        Category::Vessel => "Vessels",
        Category::ForcePosition => "Force positions",
    }
}

fn cfv_categories() -> impl Iterator<Item = Category> {
    Category::ALL.iter().copied().filter(|c| c.is_ceasefire_violation())
}

// ---------------------------------------------------------------------------------------------------
// The parts models share.

/// The agreement a report is made against.
#[derive(Debug, Clone, Serialize)]
pub struct AgreementRef {
    /// Identifier.
    pub id: String,
    /// Title.
    pub title: String,
    /// Version.
    pub version: String,
    /// An invented example, not for operational use.
    pub illustrative: bool,
    /// When it took effect (RFC 3339), if it says.
    pub effective: Option<String>,
}

impl AgreementRef {
    fn of(a: &Agreement) -> Self {
        Self {
            id: a.id.clone(),
            title: a.title.clone(),
            version: a.version.clone(),
            illustrative: a.illustrative,
            effective: a.effective.map(rfc3339),
        }
    }
}

/// A reporting period as the model gives it.
#[derive(Debug, Clone, Serialize)]
pub struct PeriodRef {
    /// The local date it ends on.
    pub date: String,
    /// The cutoff, `HH:MM` local.
    pub cutoff: String,
    /// The time zone.
    pub tz: String,
    /// Start, inclusive (RFC 3339 UTC).
    pub start: String,
    /// End, exclusive.
    pub end: String,
    /// Start in local time.
    pub start_local: String,
    /// End in local time.
    pub end_local: String,
    /// Length, hours (23 or 25 on the days the clocks change).
    pub hours: f64,
}

impl PeriodRef {
    fn of(p: &Period, clock: &Clock) -> Self {
        Self {
            date: p.date.to_string(),
            cutoff: clock.cutoff(),
            tz: clock.tz_name().to_owned(),
            start: rfc3339(p.start),
            end: rfc3339(p.end),
            start_local: clock.local(p.start),
            end_local: clock.local(p.end),
            hours: p.hours(),
        }
    }
}

/// CFVs, incidents and reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Ceasefire violations: Σ count over the incidents.
    pub cfv: u64,
    /// Incidents.
    pub incidents: u64,
    /// Reports (observations) behind the incidents.
    pub reports: u64,
}

impl Counts {
    fn add_incident(&mut self, i: &Incident) {
        self.cfv += u64::from(i.count);
        self.incidents += 1;
        self.reports += i.observations.len() as u64;
    }

    fn add(&mut self, o: &Counts) {
        self.cfv += o.cfv;
        self.incidents += o.incidents;
        self.reports += o.reports;
    }
}

/// Per-category and per-sector CFV counts of one or more periods.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Tally {
    by_category: BTreeMap<Category, Counts>,
    /// Keyed by sector name (`None`: outside every sector); CFVs per category beside. Kept in the
    /// store as a list of pairs (a JSON object's keys cannot be `null`).
    #[serde(with = "pairs")]
    by_sector: BTreeMap<Option<String>, (Counts, BTreeMap<Category, u64>)>,
    total: Counts,
}

/// A map as a list of its pairs.
mod pairs {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<K: Serialize, V: Serialize, S: Serializer>(map: &BTreeMap<K, V>, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(map.iter())
    }

    pub fn deserialize<'de, K: Deserialize<'de> + Ord, V: Deserialize<'de>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<K, V>, D::Error> {
        Ok(Vec::<(K, V)>::deserialize(d)?.into_iter().collect())
    }
}

/// The tallies of past periods a report made, kept in the store once the report is done, so that the
/// next process (the command line makes one report each) reads them back instead of every period
/// since the agreement took effect. Kept under `report-tally/<edition>` by the last UTC day the period
/// touches, for the store handle's audience; the stamp names what the tally depends on besides the
/// days' observations (truce's version, the agreement, the sectors, the label policy:
/// [`truce_store::memo::digest`]), the period's bounds and its days' counters.
struct Tallying {
    basis: String,
    keeping: Keeping,
}

impl Tallying {
    fn new(ctx: &Context<'_>, edition: Edition) -> Self {
        let basis = format!(
            "{}|{}|{}|{:?}",
            env!("CARGO_PKG_VERSION"),
            ctx.agreement.fingerprint,
            ctx.sectors.basis(),
            ctx.policy
        );
        Self { basis: digest(&basis), keeping: Keeping::new(format!("report-tally/{}", edition.id())) }
    }
}

impl Tally {
    fn of(incidents: &[Incident]) -> Self {
        let mut t = Tally::default();
        for i in incidents.iter().filter(|i| i.category.is_ceasefire_violation()) {
            t.by_category.entry(i.category).or_default().add_incident(i);
            let s = t.by_sector.entry(i.sector.clone()).or_default();
            s.0.add_incident(i);
            *s.1.entry(i.category).or_default() += u64::from(i.count);
            t.total.add_incident(i);
        }
        t
    }

    fn add(&mut self, o: &Tally) {
        for (c, n) in &o.by_category {
            self.by_category.entry(*c).or_default().add(n);
        }
        for (s, (n, cats)) in &o.by_sector {
            let e = self.by_sector.entry(s.clone()).or_default();
            e.0.add(n);
            for (c, k) in cats {
                *e.1.entry(*c).or_default() += k;
            }
        }
        self.total.add(&o.total);
    }

    fn category(&self, c: Category) -> Counts {
        self.by_category.get(&c).copied().unwrap_or_default()
    }

    fn sector(&self, name: Option<&str>) -> Counts {
        self.by_sector.get(&name.map(str::to_owned)).map(|s| s.0).unwrap_or_default()
    }
}

/// The observations of a period that the edition includes, and their incidents.
struct Day {
    period: Period,
    observations: Vec<StoredObservation>,
    withheld: u64,
    incidents: Vec<Incident>,
    tally: Tally,
    /// The join of the included observations' labels (`None` when none is included).
    label: Option<Label>,
}

fn releasable(s: &StoredObservation, edition: Edition) -> bool {
    edition == Edition::Restricted || s.observation.marking == Marking::NatoUnclassified
}

impl Day {
    /// Reads `[start, end)` of `period` (start may be later than the period's, for the cumulative
    /// count's first period) and correlates it.
    fn load(ctx: &Context<'_>, period: Period, start: OffsetDateTime, edition: Edition) -> Result<Self, ReportError> {
        let (observations, withheld) = Self::read(ctx, &period, start, edition)?;
        let incidents = incidents_in_sectors(&observations, ctx.sectors, &Rule::default());
        Ok(Self::of(ctx, period, observations, withheld, incidents, edition))
    }

    /// The observations of `[start, end)` of `period` that the edition includes, in time order, and how
    /// many it withholds.
    fn read(
        ctx: &Context<'_>,
        period: &Period,
        start: OffsetDateTime,
        edition: Edition,
    ) -> Result<(Vec<StoredObservation>, u64), ReportError> {
        let mut q = Query { since: Some(start), until: Some(period.end), limit: MAX_PAGE, ..Query::default() };
        let mut observations = Vec::new();
        let mut withheld = 0;
        loop {
            let mut page = ctx.store.query(&q)?;
            let listed = page.items.len();
            page.items.retain(|s| releasable(s, edition));
            withheld += (listed - page.items.len()) as u64;
            // A page's vector becomes the day's, or is appended whole: a busy day's thousands of
            // observations are moved once a page, not pushed one by one into a doubling vector.
            if observations.is_empty() {
                observations = page.items;
            } else {
                observations.append(&mut page.items);
            }
            match page.next {
                Some(next) => q.cursor = Some(next),
                None => break,
            }
        }
        Ok((observations, withheld))
    }

    /// The day of `observations` (read by [`Day::read`]) correlated into `incidents`.
    fn of(
        ctx: &Context<'_>,
        period: Period,
        mut observations: Vec<StoredObservation>,
        withheld: u64,
        mut incidents: Vec<Incident>,
        edition: Edition,
    ) -> Self {
        if edition == Edition::Public {
            // Correlated first, so the numbers are the same; then what locates the monitors goes.
            // What the label policy's observer label covers (docs/security.md).
            observations.iter_mut().for_each(|s| truce_access::redact_observer(&mut s.observation));
            for i in &mut incidents {
                i.observers = (1..=i.observers.len()).map(|n| format!("observer {n}")).collect();
            }
        }
        let label = ctx.policy.join_observations(observations.iter().map(|s| &s.observation));
        let tally = Tally::of(&incidents);
        Self { period, observations, withheld, incidents, tally, label }
    }

    fn index(&self) -> HashMap<&str, &StoredObservation> {
        self.observations.iter().map(|s| (s.observation.id.as_str(), s)).collect()
    }
}

/// The first of an incident's observations with a value for `f`.
fn first<T>(
    i: &Incident,
    idx: &HashMap<&str, &StoredObservation>,
    f: impl Fn(&StoredObservation) -> Option<T>,
) -> Option<T> {
    i.observations.iter().filter_map(|id| idx.get(id.as_str())).find_map(|s| f(s))
}

fn text_of(i: &Incident, idx: &HashMap<&str, &StoredObservation>) -> Option<String> {
    first(i, idx, |s| s.observation.text.clone())
}

/// One incident with a weapons violation.
#[derive(Debug, Clone, Serialize)]
pub struct WeaponRow {
    /// The incident.
    pub incident: String,
    /// `weapon_forward_of_withdrawal_line` or `weapon_outside_storage_site`.
    pub code: String,
    /// Time (RFC 3339 UTC).
    pub time: String,
    /// Local time.
    pub time_local: String,
    /// Weapon class.
    pub class: Option<String>,
    /// The party bound by the rule.
    pub party: Option<String>,
    /// Weapons seen (the largest count reported).
    pub count: u32,
    /// The line measured from.
    pub line: Option<String>,
    /// Required distance from the line, metres.
    pub required_m: Option<f64>,
    /// Actual signed distance, metres (negative: beyond the line).
    pub actual_m: Option<f64>,
    /// Best latitude.
    pub lat: f64,
    /// Best longitude.
    pub lon: f64,
    /// Sector.
    pub sector: Option<String>,
    /// Reports behind it.
    pub reports: usize,
    /// The first report's text.
    pub text: Option<String>,
}

/// Weapons in violation of withdrawal lines and outside storage sites.
#[derive(Debug, Clone, Default, Serialize)]
pub struct WeaponsSection {
    /// Weapons forward of their withdrawal lines (Σ count).
    pub forward_of_withdrawal_line: u64,
    /// Weapons behind their lines but outside storage sites (Σ count).
    pub outside_storage_site: u64,
    /// Weapons in violation per class (Σ count over both codes).
    pub by_class: BTreeMap<String, u64>,
    /// One row per incident and code.
    pub rows: Vec<WeaponRow>,
}

fn weapons(incidents: &[Incident], idx: &HashMap<&str, &StoredObservation>, clock: &Clock) -> WeaponsSection {
    let mut w = WeaponsSection::default();
    for i in incidents {
        for code in [FORWARD, OUTSIDE_STORAGE] {
            let Some(v) = i.violations.iter().find(|v| v.code == code) else { continue };
            let n = u64::from(i.count);
            if code == FORWARD {
                w.forward_of_withdrawal_line += n;
            } else {
                w.outside_storage_site += n;
            }
            let class = v.class.clone().or_else(|| i.weapon_class.clone());
            *w.by_class.entry(class.clone().unwrap_or_else(|| "(unknown)".into())).or_default() += n;
            w.rows.push(WeaponRow {
                incident: i.id.clone(),
                code: code.to_owned(),
                time: rfc3339(i.time),
                time_local: clock.local(i.time),
                class,
                party: v.party.clone().or_else(|| i.party.clone()),
                count: i.count,
                line: v.line.clone(),
                required_m: v.required_m,
                actual_m: v.actual_m,
                lat: i.lat,
                lon: i.lon,
                sector: i.sector.clone(),
                reports: i.observations.len(),
                text: text_of(i, idx),
            });
        }
    }
    w
}

/// A verification visit to a storage site (a weapon sighting inside one).
#[derive(Debug, Clone, Serialize)]
pub struct StorageRow {
    /// The incident.
    pub incident: String,
    /// Local time.
    pub time_local: String,
    /// The storage site (zone id).
    pub site: String,
    /// The site's name.
    pub site_name: String,
    /// Weapon class.
    pub class: Option<String>,
    /// Party.
    pub party: Option<String>,
    /// Weapons present.
    pub count: u32,
    /// The report's text (present / missing).
    pub text: Option<String>,
}

fn storage(
    incidents: &[Incident],
    idx: &HashMap<&str, &StoredObservation>,
    agreement: &Agreement,
    clock: &Clock,
) -> Vec<StorageRow> {
    let sites: HashMap<&str, &str> = agreement
        .zones
        .iter()
        .filter(|z| z.kind == ZoneKind::StorageSite)
        .map(|z| (z.id.as_str(), z.name.as_str()))
        .collect();
    let mut rows = Vec::new();
    for i in incidents.iter().filter(|i| i.category == Category::WeaponSighting) {
        let site = first(i, idx, |s| s.classification.zones.iter().find(|z| sites.contains_key(z.as_str())).cloned());
        if let Some(site) = site {
            rows.push(StorageRow {
                incident: i.id.clone(),
                time_local: clock.local(i.time),
                site_name: sites.get(site.as_str()).map_or_else(|| site.clone(), |n| (*n).to_owned()),
                site,
                class: i.weapon_class.clone(),
                party: i.party.clone(),
                count: i.count,
                text: text_of(i, idx),
            });
        }
    }
    rows
}

/// An incident inside a disengagement area.
#[derive(Debug, Clone, Serialize)]
pub struct ZoneRow {
    /// The incident.
    pub incident: String,
    /// Local time.
    pub time_local: String,
    /// The zone id.
    pub zone: Option<String>,
    /// The zone's name.
    pub zone_name: Option<String>,
    /// Category.
    pub category: String,
    /// Count.
    pub count: u32,
    /// Party, when the reports agree.
    pub party: Option<String>,
    /// The first report's text.
    pub text: Option<String>,
}

fn disengagement(
    incidents: &[Incident],
    idx: &HashMap<&str, &StoredObservation>,
    agreement: &Agreement,
    clock: &Clock,
) -> Vec<ZoneRow> {
    let mut rows = Vec::new();
    for i in incidents {
        let Some(v) = i.violations.iter().find(|v| v.code == DISENGAGEMENT) else { continue };
        rows.push(ZoneRow {
            incident: i.id.clone(),
            time_local: clock.local(i.time),
            zone: v.zone.clone(),
            zone_name: v
                .zone
                .as_ref()
                .and_then(|z| agreement.zones.iter().find(|x| &x.id == z))
                .map(|z| z.name.clone()),
            category: i.category.id().to_owned(),
            count: i.count,
            party: i.party.clone(),
            text: text_of(i, idx),
        });
    }
    rows
}

/// A restriction of movement or an instance of GPS jamming.
#[derive(Debug, Clone, Serialize)]
pub struct MovementRow {
    /// The incident.
    pub incident: String,
    /// Time (RFC 3339 UTC).
    pub time: String,
    /// Local time.
    pub time_local: String,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// Sector.
    pub sector: Option<String>,
    /// The party responsible, when the reports agree.
    pub party: Option<String>,
    /// The reason cited.
    pub reason: Option<String>,
    /// Who reported it.
    pub observers: Vec<String>,
    /// The first report's text.
    pub text: Option<String>,
}

/// Freedom of movement.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MovementSection {
    /// Restrictions (incidents of `restriction_of_movement`).
    pub restrictions: Vec<MovementRow>,
    /// GPS jamming (incidents of `gps_jamming`).
    pub gps_jamming: Vec<MovementRow>,
}

fn movement(incidents: &[Incident], idx: &HashMap<&str, &StoredObservation>, clock: &Clock) -> MovementSection {
    let row = |i: &Incident| MovementRow {
        incident: i.id.clone(),
        time: rfc3339(i.time),
        time_local: clock.local(i.time),
        lat: i.lat,
        lon: i.lon,
        sector: i.sector.clone(),
        party: i.party.clone(),
        reason: first(i, idx, |s| s.observation.reason.clone()),
        observers: i.observers.clone(),
        text: text_of(i, idx),
    };
    MovementSection {
        restrictions: incidents.iter().filter(|i| i.category == Category::RestrictionOfMovement).map(row).collect(),
        gps_jamming: incidents.iter().filter(|i| i.category == Category::GpsJamming).map(row).collect(),
    }
}

/// An incident with civilian casualties.
#[derive(Debug, Clone, Serialize)]
pub struct CasualtyRow {
    /// The incident.
    pub incident: String,
    /// Local time.
    pub time_local: String,
    /// Category.
    pub category: String,
    /// Killed.
    pub killed: u32,
    /// Injured.
    pub injured: u32,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// Sector.
    pub sector: Option<String>,
    /// The first report's text.
    pub text: Option<String>,
}

/// Civilian casualties.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CasualtySection {
    /// Killed (Σ over incidents).
    pub killed: u64,
    /// Injured.
    pub injured: u64,
    /// The incidents.
    pub rows: Vec<CasualtyRow>,
}

fn casualties(incidents: &[Incident], idx: &HashMap<&str, &StoredObservation>, clock: &Clock) -> CasualtySection {
    let mut c = CasualtySection::default();
    for i in incidents {
        let Some(k) = i.casualties else { continue };
        c.killed += u64::from(k.killed);
        c.injured += u64::from(k.injured);
        c.rows.push(CasualtyRow {
            incident: i.id.clone(),
            time_local: clock.local(i.time),
            category: i.category.id().to_owned(),
            killed: k.killed,
            injured: k.injured,
            lat: i.lat,
            lon: i.lon,
            sector: i.sector.clone(),
            text: text_of(i, idx),
        });
    }
    c
}

/// The geometry a map is drawn from (not part of the JSON model).
#[derive(Debug, Clone, Default)]
pub struct Geometry {
    /// Each line's name and parts, `[lon, lat]`.
    pub lines: Vec<(String, Vec<Vec<[f64; 2]>>)>,
    /// Each sector's name and path (a stretch, or a polygon's ring).
    pub sectors: Vec<(String, Vec<[f64; 2]>)>,
    /// Disengagement areas' and storage sites' outlines.
    pub areas: Vec<(String, Vec<[f64; 2]>)>,
}

impl Geometry {
    fn of(agreement: &Agreement, sectors: &Sectors) -> Self {
        let lines = agreement
            .lines
            .iter()
            .map(|l| (l.name.clone(), l.parts.iter().map(|p| p.iter().map(|v| [v.lon, v.lat]).collect()).collect()))
            .collect();
        let sectors =
            sectors.sectors.iter().map(|s| (s.name.clone(), s.path.iter().map(|v| [v.lon, v.lat]).collect())).collect();
        let mut areas = Vec::new();
        for z in &agreement.zones {
            if !matches!(z.kind, ZoneKind::DisengagementArea | ZoneKind::StorageSite) {
                continue;
            }
            if let truce_engine::agreement::ZoneShape::Polygons { polygons, .. } = &z.shape {
                for poly in polygons {
                    if let Some(ring) = poly.first() {
                        areas.push((z.name.clone(), ring.iter().map(|v| [v.lon, v.lat]).collect()));
                    }
                }
            }
        }
        Self { lines, sectors, areas }
    }
}

/// A dot on a map.
#[derive(Debug, Clone, Serialize)]
pub struct Dot {
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// Category.
    pub category: String,
    /// Count (the dot's size grows with it).
    pub count: u32,
    /// Tooltip.
    pub label: String,
}

// ---------------------------------------------------------------------------------------------------
// The daily report.

/// One category's row of the CFV table.
#[derive(Debug, Clone, Serialize)]
pub struct CfvRow {
    /// Category id (`explosion_impact`, ...), or `total`.
    pub category: String,
    /// Display label.
    pub label: String,
    /// This period.
    #[serde(flatten)]
    pub counts: Counts,
    /// CFVs in the previous period.
    pub previous_cfv: u64,
    /// `cfv − previous_cfv`.
    pub change: i64,
    /// CFVs since the agreement took effect (this period included); `None` without an effective date.
    pub cumulative_cfv: Option<u64>,
}

/// One sector's row of the CFV table.
#[derive(Debug, Clone, Serialize)]
pub struct SectorRow {
    /// Sector id; `None` for the incidents outside every sector.
    pub id: Option<String>,
    /// Display name.
    pub name: String,
    /// This period.
    #[serde(flatten)]
    pub counts: Counts,
    /// CFVs in the previous period.
    pub previous_cfv: u64,
    /// `cfv − previous_cfv`.
    pub change: i64,
    /// CFVs since the agreement took effect.
    pub cumulative_cfv: Option<u64>,
    /// This period's CFVs per category (non-zero only).
    pub by_category: BTreeMap<String, u64>,
}

/// Ceasefire violations.
#[derive(Debug, Clone, Serialize)]
pub struct CfvSection {
    /// Per category, the eight OSCE categories in order.
    pub by_category: Vec<CfvRow>,
    /// Per sector, in the sectors file's order, then outside every sector (when any).
    pub by_sector: Vec<SectorRow>,
    /// All categories.
    pub total: CfvRow,
}

/// The summary's numbers and sentences.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// CFVs this period.
    pub cfv: u64,
    /// CFV incidents.
    pub incidents: u64,
    /// Reports behind them.
    pub reports: u64,
    /// CFVs in the previous period.
    pub cfv_previous: u64,
    /// The change.
    pub cfv_change: i64,
    /// Since the agreement took effect.
    pub cfv_cumulative: Option<u64>,
    /// Explosions (the four explosion categories).
    pub explosions: u64,
    /// Observations of every category in the period (in this edition).
    pub observations: u64,
    /// Incidents of every category.
    pub all_incidents: u64,
    /// Weapons in violation (forward of lines + outside storage).
    pub weapons_in_violation: u64,
    /// Restrictions of movement.
    pub restrictions: u64,
    /// GPS jamming.
    pub gps_jamming: u64,
    /// Civilians killed.
    pub killed: u64,
    /// Civilians injured.
    pub injured: u64,
    /// The summary as sentences.
    pub text: Vec<String>,
}

/// What the public edition left out.
#[derive(Debug, Clone, Serialize)]
pub struct Withheld {
    /// Observations of this period not releasable in this edition (not counted anywhere).
    pub observations: u64,
    /// The statement the report prints.
    pub note: Option<String>,
}

/// One row of the annexed table of observations.
#[derive(Debug, Clone, Serialize)]
pub struct AnnexRow {
    /// Observation id.
    pub id: String,
    /// Time (RFC 3339 UTC).
    pub time: String,
    /// Local time.
    pub time_local: String,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// MGRS, 10 m (8 digits).
    pub mgrs: Option<String>,
    /// Category.
    pub category: String,
    /// Count.
    pub count: Option<u32>,
    /// Means (patrol, fixed camera, UAV, ...).
    pub means: String,
    /// Team, callsign or camera.
    pub team: Option<String>,
    /// Free text.
    pub text: Option<String>,
    /// The incident it is part of.
    pub incident: Option<String>,
    /// Marking.
    pub marking: String,
}

/// An observation of the period amended or withdrawn after the report was first issued (the end of
/// its period): the report as made now counts its current version, and says so.
#[derive(Debug, Clone, Serialize)]
pub struct CorrectionRow {
    /// Observation id.
    pub id: String,
    /// Its current version.
    pub version: u32,
    /// `amended` or `withdrawn`.
    pub change: String,
    /// When (RFC 3339 UTC).
    pub at: String,
    /// Who.
    pub by: String,
    /// Why.
    pub reason: String,
}

/// The daily report.
#[derive(Debug, Clone, Serialize)]
pub struct DailyReport {
    /// `daily`.
    pub report: &'static str,
    /// Title.
    pub title: String,
    /// The agreement.
    pub agreement: AgreementRef,
    /// `public` or `restricted`.
    pub edition: Edition,
    /// The highest classification of what is included.
    pub classification: String,
    /// The label of what is included and the banner.
    #[serde(flatten)]
    pub label: ReportLabel,
    /// The reporting period.
    pub period: PeriodRef,
    /// The period compared with.
    pub previous_period: PeriodRef,
    /// Cumulative counts start here (the agreement's effective instant).
    pub cumulative_since: Option<String>,
    /// What the edition left out.
    pub withheld: Withheld,
    /// Summary.
    pub summary: Summary,
    /// Ceasefire violations by category and sector.
    pub ceasefire_violations: CfvSection,
    /// Weapons in violation.
    pub weapons: WeaponsSection,
    /// Verification visits to storage sites.
    pub storage_sites: Vec<StorageRow>,
    /// Incidents in disengagement areas.
    pub disengagement_areas: Vec<ZoneRow>,
    /// Freedom of movement.
    pub freedom_of_movement: MovementSection,
    /// Civilian casualties.
    pub civilian_casualties: CasualtySection,
    /// Every incident of the period (all categories).
    pub incidents: Vec<Incident>,
    /// The period's observations.
    pub annex: Vec<AnnexRow>,
    /// Observations of the period amended or withdrawn since the period ended (when the report was
    /// first issued), latest change first in time order.
    pub corrections: Vec<CorrectionRow>,
    /// The map's dots: the period's CFV and weapon incidents.
    #[serde(skip)]
    pub dots: Vec<Dot>,
    /// The map's geometry.
    #[serde(skip)]
    pub geometry: Geometry,
}

impl DailyReport {
    /// A copy without its incidents, annex rows and map (the JSON writer's head, see `json.rs`).
    pub(crate) fn without_lists(&self) -> Self {
        Self {
            report: self.report,
            title: self.title.clone(),
            agreement: self.agreement.clone(),
            edition: self.edition,
            classification: self.classification.clone(),
            label: self.label.clone(),
            period: self.period.clone(),
            previous_period: self.previous_period.clone(),
            cumulative_since: self.cumulative_since.clone(),
            withheld: self.withheld.clone(),
            summary: self.summary.clone(),
            ceasefire_violations: self.ceasefire_violations.clone(),
            weapons: self.weapons.clone(),
            storage_sites: self.storage_sites.clone(),
            disengagement_areas: self.disengagement_areas.clone(),
            freedom_of_movement: self.freedom_of_movement.clone(),
            civilian_casualties: self.civilian_casualties.clone(),
            incidents: Vec::new(),
            annex: Vec::new(),
            corrections: self.corrections.clone(),
            dots: Vec::new(),
            geometry: Geometry::default(),
        }
    }
}

fn change(now: u64, before: u64) -> i64 {
    i64::try_from(now).unwrap_or(i64::MAX).saturating_sub(i64::try_from(before).unwrap_or(i64::MAX))
}

fn sector_rows(sectors: &Sectors, now: &Tally, before: &Tally, cumulative: Option<&Tally>) -> Vec<SectorRow> {
    let mut names: Vec<(Option<String>, String)> =
        sectors.sectors.iter().map(|s| (Some(s.id.clone()), s.name.clone())).collect();
    let outside = now.sector(None).incidents > 0
        || before.sector(None).incidents > 0
        || cumulative.is_some_and(|c| c.sector(None).incidents > 0);
    if outside {
        names.push((None, "outside every sector".into()));
    }
    names
        .into_iter()
        .map(|(id, name)| {
            let key_name = name.clone();
            let key = id.as_ref().map(|_| key_name.as_str());
            let counts = now.sector(key);
            let previous_cfv = before.sector(key).cfv;
            let by_category = now
                .by_sector
                .get(&key.map(str::to_owned))
                .map(|s| s.1.iter().filter(|(_, n)| **n > 0).map(|(c, n)| (c.id().to_owned(), *n)).collect())
                .unwrap_or_default();
            SectorRow {
                id,
                name,
                counts,
                previous_cfv,
                change: change(counts.cfv, previous_cfv),
                cumulative_cfv: cumulative.map(|c| c.sector(key).cfv),
                by_category,
            }
        })
        .collect()
}

fn cfv_row(category: &str, label: &str, now: Counts, before: Counts, cumulative: Option<Counts>) -> CfvRow {
    CfvRow {
        category: category.to_owned(),
        label: label.to_owned(),
        counts: now,
        previous_cfv: before.cfv,
        change: change(now.cfv, before.cfv),
        cumulative_cfv: cumulative.map(|c| c.cfv),
    }
}

/// The tally and label of `[start, p.end)` of the period `p`: kept while the change counters of its
/// days (`changes`, read over at least those days) stand when the context keeps tallies, in its memo
/// or in the store (what is made is added to `tallying`), else read.
fn period_tally(
    ctx: &Context<'_>,
    edition: Edition,
    p: &Period,
    start: OffsetDateTime,
    changes: &[(i64, i64)],
    tallying: &mut Tallying,
) -> Result<(Tally, Option<Label>), ReportError> {
    let load = || Day::load(ctx, p.clone(), start, edition).map(|d| (d.tally, d.label));
    let Some((kept, audience)) = ctx.kept else { return load() };
    let key = (audience.to_owned(), edition, p.start.unix_timestamp_nanos(), start.unix_timestamp_nanos());
    let days = stamp(changes, day_of(start), day_of(p.end - time::Duration::nanoseconds(1)) + 1);
    let t = kept.tallies.get_or_try(&key, &days, || {
        let stamp = format!("{};{};{};{}", tallying.basis, key.2, key.3, stamp_text(&days));
        // Kept by the last UTC day the period touches: a period whose days may still change is not kept.
        let last = day_of(p.end - time::Duration::nanoseconds(1));
        tallying.keeping.kept_or_make(ctx.store, last, stamp, load)
    })?;
    Ok((t.0.clone(), t.1.clone()))
}

/// The cumulative tally from the agreement's effective instant through `current`.
fn cumulative(
    ctx: &Context<'_>,
    clock: &Clock,
    edition: Edition,
    current: &Day,
    tallying: &mut Tallying,
) -> Result<Option<(Tally, Option<Label>)>, ReportError> {
    let Some(effective) = ctx.agreement.effective else { return Ok(None) };
    let mut total = Tally::default();
    let mut label = None;
    if effective >= current.period.end {
        return Ok(Some((total, label)));
    }
    let first = clock.period_containing(effective)?;
    let changes = match ctx.kept {
        Some(_) => ctx.store.day_changes(day_of(first.start), day_of(current.period.end) + 1)?,
        None => Vec::new(),
    };
    for p in clock.periods(first.date, current.period.date)? {
        let start = p.start.max(effective);
        if start >= p.end {
            continue;
        }
        let (tally, period_label) = if current.period == p && start == p.start {
            (current.tally.clone(), None)
        } else {
            period_tally(ctx, edition, &p, start, &changes, tallying)?
        };
        label = ctx.policy.rejoin([label.as_ref(), period_label.as_ref()]);
        total.add(&tally);
    }
    Ok(Some((total, label)))
}

fn dots(incidents: &[Incident]) -> Vec<Dot> {
    incidents
        .iter()
        .filter(|i| i.category.is_ceasefire_violation() || i.is_violation())
        .map(|i| Dot {
            lat: i.lat,
            lon: i.lon,
            category: i.category.id().to_owned(),
            count: i.count,
            label: format!("{} ×{} ({})", category_label(i.category), i.count, i.id),
        })
        .collect()
}

/// Rows of the annex from this many observations on are made on a second thread while the day is
/// correlated.
const PARALLEL_ANNEX_ROWS: usize = 2_000;

/// The annex's rows of `observations` (as read, before the public edition's redaction), without their
/// incidents ([`with_incidents`] adds them).
fn annex_rows(observations: &[StoredObservation], clock: &Clock, edition: Edition) -> Vec<AnnexRow> {
    let mut minute = None;
    observations
        .iter()
        .map(|s| {
            let o = &s.observation;
            AnnexRow {
                id: o.id.clone(),
                time: rfc3339(o.time),
                time_local: clock.local_in_order(o.time, &mut minute),
                lat: o.lat,
                lon: o.lon,
                mgrs: crate::mgrs::to_mgrs(o.lat, o.lon, 4),
                category: o.category.id().to_owned(),
                count: o.count,
                means: o.observer.means.id().to_owned(),
                // The public edition names no team or callsign: `truce_access::redact_observer` takes
                // them from its observations (after correlation, which the rows are made beside).
                team: match edition {
                    Edition::Public => None,
                    Edition::Restricted => o.observer.team.clone().or_else(|| o.observer.callsign.clone()),
                },
                text: o.text.clone(),
                incident: None,
                marking: o.marking.id().to_owned(),
            }
        })
        .collect()
}

/// The rows with the incident each observation is part of.
fn with_incidents(mut rows: Vec<AnnexRow>, incidents: &[Incident]) -> Vec<AnnexRow> {
    let of: HashMap<&str, &str> =
        incidents.iter().flat_map(|i| i.observations.iter().map(|o| (o.as_str(), i.id.as_str()))).collect();
    for row in &mut rows {
        row.incident = of.get(row.id.as_str()).map(|s| (*s).to_owned());
    }
    rows
}

/// The day's observations correlated into incidents and, beside them on a second thread for a busy
/// day, the annex's rows (each row stands alone: its MGRS reference and local time are most of its
/// cost).
fn correlate_with_annex(
    ctx: &Context<'_>,
    observations: &[StoredObservation],
    clock: &Clock,
    edition: Edition,
) -> (Vec<Incident>, Vec<AnnexRow>) {
    truce_core::halves::join(
        observations.len() >= PARALLEL_ANNEX_ROWS,
        || incidents_in_sectors(observations, ctx.sectors, &Rule::default()),
        || annex_rows(observations, clock, edition),
    )
}

/// The period's observations amended or withdrawn after its end, in what the edition may show.
fn corrections(ctx: &Context<'_>, period: &Period, edition: Edition) -> Result<Vec<CorrectionRow>, ReportError> {
    let window = Query { since: Some(period.start), until: Some(period.end), ..Query::default() };
    Ok(ctx
        .store
        .revisions_since(&window, period.end)?
        .into_iter()
        .filter(|c| edition == Edition::Restricted || c.marking == Marking::NatoUnclassified)
        .map(|c| CorrectionRow {
            id: c.id,
            version: c.version,
            change: c.change.id().to_owned(),
            at: rfc3339(c.at),
            by: c.by,
            reason: c.reason,
        })
        .collect())
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Makes the daily report dated `date`.
///
/// # Errors
/// When the store fails or the date is out of range.
pub fn daily(
    ctx: &Context<'_>,
    clock: &Clock,
    date: jiff::civil::Date,
    edition: Edition,
) -> Result<DailyReport, ReportError> {
    let period = clock.period(date)?;
    let before_date = date.yesterday().map_err(|e| ReportError::Parameter {
        flag: "date",
        value: date.to_string(),
        reason: e.to_string(),
    })?;
    let previous_period = clock.period(before_date)?;
    let (observations, withheld) = Day::read(ctx, &period, period.start, edition)?;
    let (incidents, rows) = correlate_with_annex(ctx, &observations, clock, edition);
    let day = Day::of(ctx, period.clone(), observations, withheld, incidents, edition);
    let annex = with_incidents(rows, &day.incidents);
    // The previous period adds only its counts and label: kept like the cumulative count's periods.
    let changes = match ctx.kept {
        Some(_) => ctx.store.day_changes(day_of(previous_period.start), day_of(previous_period.end) + 1)?,
        None => Vec::new(),
    };
    let mut tallying = Tallying::new(ctx, edition);
    let previous = period_tally(ctx, edition, &previous_period, previous_period.start, &changes, &mut tallying)?;
    let cumulative = cumulative(ctx, clock, edition, &day, &mut tallying)?;
    tallying.keeping.keep(ctx.store);
    let parts = [day.label.as_ref(), previous.1.as_ref(), cumulative.as_ref().and_then(|c| c.1.as_ref())];
    let label =
        ReportLabel::of(ctx, parts.into_iter().flatten().map(|l| (l, period.start.date())), period.start.date());
    let cum = cumulative.map(|c| c.0);
    let idx = day.index();

    let by_category: Vec<CfvRow> = cfv_categories()
        .map(|c| {
            cfv_row(
                c.id(),
                category_label(c),
                day.tally.category(c),
                previous.0.category(c),
                cum.as_ref().map(|t| t.category(c)),
            )
        })
        .collect();
    let total = cfv_row("total", "Total", day.tally.total, previous.0.total, cum.as_ref().map(|t| t.total));
    let by_sector = sector_rows(ctx.sectors, &day.tally, &previous.0, cum.as_ref());
    let weapons = weapons(&day.incidents, &idx, clock);
    let movement = movement(&day.incidents, &idx, clock);
    let casualties = casualties(&day.incidents, &idx, clock);
    let explosions: u64 = [
        Category::ExplosionImpact,
        Category::ExplosionAirburst,
        Category::ExplosionOutgoing,
        Category::ExplosionUndetermined,
    ]
    .iter()
    .map(|c| day.tally.category(*c).cfv)
    .sum();

    let mut text = Vec::new();
    let n = |c: Category| day.tally.category(c).cfv;
    text.push(format!(
        "Between {} and {} the monitors recorded {} ({}, {}), including {} ({} impacts, {} airbursts, {} outgoing, {} undetermined).",
        clock.local(period.start),
        clock.local(period.end),
        plural(total.counts.cfv, "ceasefire violation", "ceasefire violations"),
        plural(total.counts.incidents, "incident", "incidents"),
        plural(total.counts.reports, "report", "reports"),
        plural(explosions, "explosion", "explosions"),
        n(Category::ExplosionImpact),
        n(Category::ExplosionAirburst),
        n(Category::ExplosionOutgoing),
        n(Category::ExplosionUndetermined),
    ));
    let mut compared = format!(
        "In the previous reporting period it recorded {} ({}).",
        plural(total.previous_cfv, "ceasefire violation", "ceasefire violations"),
        signed(total.change)
    );
    if let (Some(c), Some(eff)) = (total.cumulative_cfv, ctx.agreement.effective) {
        compared.push_str(&format!(" Since the agreement took effect ({}): {c}.", clock.local(eff)));
    }
    text.push(compared);
    if let Some(top) = by_sector.iter().filter(|s| s.id.is_some() && s.counts.cfv > 0).max_by_key(|s| s.counts.cfv) {
        text.push(format!(
            "Most were in the {} sector: {} ({} against the previous period).",
            top.name,
            top.counts.cfv,
            signed(top.change)
        ));
    }
    text.push(format!(
        "{} in violation of withdrawal lines and {} outside storage sites; {} of freedom of movement and {} of GPS jamming; civilian casualties: {} killed, {} injured.",
        plural(weapons.forward_of_withdrawal_line, "weapon", "weapons"),
        weapons.outside_storage_site,
        plural(movement.restrictions.len() as u64, "restriction", "restrictions"),
        plural(movement.gps_jamming.len() as u64, "instance", "instances"),
        casualties.killed,
        casualties.injured,
    ));
    let withheld = Withheld {
        observations: day.withheld,
        note: (edition == Edition::Public).then(|| {
            format!(
                "This public edition includes only NATO UNCLASSIFIED observations: {} of this period {} withheld and counted nowhere in it.",
                plural(day.withheld, "observation", "observations"),
                if day.withheld == 1 { "was" } else { "were" }
            )
        }),
    };
    if let Some(note) = &withheld.note {
        text.push(note.clone());
    }
    let corrections = corrections(ctx, &period, edition)?;
    if !corrections.is_empty() {
        text.push(format!(
            "Since this report was first issued, {} of this period {} corrected (see Corrections): this edition counts the current versions.",
            plural(corrections.len() as u64, "observation", "observations"),
            if corrections.len() == 1 { "was" } else { "were" }
        ));
    }
    let summary = Summary {
        cfv: total.counts.cfv,
        incidents: total.counts.incidents,
        reports: total.counts.reports,
        cfv_previous: total.previous_cfv,
        cfv_change: total.change,
        cfv_cumulative: total.cumulative_cfv,
        explosions,
        observations: day.observations.len() as u64,
        all_incidents: day.incidents.len() as u64,
        weapons_in_violation: weapons.forward_of_withdrawal_line + weapons.outside_storage_site,
        restrictions: movement.restrictions.len() as u64,
        gps_jamming: movement.gps_jamming.len() as u64,
        killed: casualties.killed,
        injured: casualties.injured,
        text,
    };
    Ok(DailyReport {
        report: "daily",
        title: format!("Daily report {} (as of {} {})", date, clock.cutoff(), clock.tz_name()),
        agreement: AgreementRef::of(ctx.agreement),
        edition,
        classification: label.label.marking.id().to_owned(),
        label,
        period: PeriodRef::of(&period, clock),
        previous_period: PeriodRef::of(&previous_period, clock),
        cumulative_since: ctx.agreement.effective.map(rfc3339),
        withheld,
        summary,
        ceasefire_violations: CfvSection { by_category, by_sector, total },
        storage_sites: storage(&day.incidents, &idx, ctx.agreement, clock),
        disengagement_areas: disengagement(&day.incidents, &idx, ctx.agreement, clock),
        weapons,
        freedom_of_movement: movement,
        civilian_casualties: casualties,
        annex,
        corrections,
        dots: dots(&day.incidents),
        geometry: Geometry::of(ctx.agreement, ctx.sectors),
        incidents: day.incidents,
    })
}

// ---------------------------------------------------------------------------------------------------
// The spot report.

/// One observation behind a spot report's incident.
#[derive(Debug, Clone, Serialize)]
pub struct SpotObservation {
    /// Id.
    pub id: String,
    /// Time (RFC 3339 UTC).
    pub time: String,
    /// Local time.
    pub time_local: String,
    /// Means.
    pub means: String,
    /// Team, callsign or camera.
    pub observer: Option<String>,
    /// Observer's latitude.
    pub observer_lat: Option<f64>,
    /// Observer's longitude.
    pub observer_lon: Option<f64>,
    /// Bearing from the observer, degrees true.
    pub bearing_deg: Option<f64>,
    /// Range from the observer, metres.
    pub range_m: Option<f64>,
    /// Reported latitude.
    pub lat: f64,
    /// Reported longitude.
    pub lon: f64,
    /// MGRS of the reported position.
    pub mgrs: Option<String>,
    /// How the position was obtained.
    pub location_precision: String,
    /// Category.
    pub category: String,
    /// Count.
    pub count: Option<u32>,
    /// Confidence.
    pub confidence: Option<String>,
    /// Text.
    pub text: Option<String>,
    /// Marking.
    pub marking: String,
}

/// The spot report on one incident.
#[derive(Debug, Clone, Serialize)]
pub struct SpotReport {
    /// `spot`.
    pub report: &'static str,
    /// Title.
    pub title: String,
    /// The agreement.
    pub agreement: AgreementRef,
    /// Edition.
    pub edition: Edition,
    /// The highest classification of what is included.
    pub classification: String,
    /// The label of what is included and the banner.
    #[serde(flatten)]
    pub label: ReportLabel,
    /// The time zone local times are in.
    pub tz: String,
    /// The reporting period it was correlated in.
    pub period: PeriodRef,
    /// The incident.
    pub incident: Incident,
    /// Its start, local.
    pub time_local: String,
    /// Its end, local.
    pub time_end_local: String,
    /// MGRS of the best location.
    pub mgrs: Option<String>,
    /// How the best location was obtained, in words.
    pub located_by_text: String,
    /// The observations behind it.
    pub observations: Vec<SpotObservation>,
    /// Its violations.
    pub violations: Vec<ViolationRecord>,
    /// The map's geometry.
    #[serde(skip)]
    pub geometry: Geometry,
}

/// Makes the spot report on `incident` (`inc-<observation id>`, or an observation id): the incident is
/// correlated within the reporting period (of `clock`) that contains its first observation, as the daily
/// report of that period does. When the id's observation ended up in another incident (its id then
/// differs), that incident is reported.
///
/// # Errors
/// [`ReportError::NotFound`] when there is no such observation, or it is not releasable in the
/// edition; store failures.
pub fn spot(ctx: &Context<'_>, clock: &Clock, incident: &str, edition: Edition) -> Result<SpotReport, ReportError> {
    let obs_id = incident.strip_prefix("inc-").unwrap_or(incident);
    let not_found = || ReportError::NotFound(format!("no incident {incident:?} (no observation {obs_id:?})"));
    let stored = ctx.store.get(obs_id)?.ok_or_else(not_found)?;
    if !releasable(&stored, edition) {
        return Err(ReportError::NotFound(format!(
            "incident {incident:?} is not releasable in the public edition (use the restricted edition)"
        )));
    }
    let period = clock.period_containing(stored.observation.time)?;
    let day = Day::load(ctx, period.clone(), period.start, edition)?;
    let inc = day
        .incidents
        .iter()
        .find(|i| i.id == incident)
        .or_else(|| day.incidents.iter().find(|i| i.observations.iter().any(|o| o == obs_id)))
        .cloned()
        .ok_or_else(not_found)?;
    let idx = day.index();
    let observations: Vec<SpotObservation> = inc
        .observations
        .iter()
        .filter_map(|id| idx.get(id.as_str()))
        .map(|s| {
            let o = &s.observation;
            SpotObservation {
                id: o.id.clone(),
                time: rfc3339(o.time),
                time_local: clock.local(o.time),
                means: o.observer.means.id().to_owned(),
                observer: o.observer.team.clone().or_else(|| o.observer.callsign.clone()),
                observer_lat: o.observer.lat,
                observer_lon: o.observer.lon,
                bearing_deg: o.observer.bearing_deg,
                range_m: o.observer.range_m,
                lat: o.lat,
                lon: o.lon,
                mgrs: crate::mgrs::to_mgrs(o.lat, o.lon, 5),
                location_precision: o.location_precision.id().to_owned(),
                category: o.category.id().to_owned(),
                count: o.count,
                confidence: o.confidence.map(|c| c.id().to_owned()),
                text: o.text.clone(),
                marking: o.marking.id().to_owned(),
            }
        })
        .collect();
    let parts: Vec<(Label, time::Date)> = inc
        .observations
        .iter()
        .filter_map(|id| idx.get(id.as_str()))
        .map(|s| (Label::of(&s.observation), s.observation.time.date()))
        .collect();
    let label = ReportLabel::of(ctx, parts.iter().map(|(l, d)| (l, *d)), inc.time.date());
    let located_by_text = match inc.located_by {
        Located::Single => "the position of its only report",
        Located::Exact => "the mean of exact positions (UAV, camera or sensor)",
        Located::Intersection => "the intersection of two observers' bearings",
        Located::Combined => "the inverse-variance weighted mean of the assessed positions",
    }
    .to_owned();
    Ok(SpotReport {
        report: "spot",
        title: format!("Spot report: {} ×{} ({})", category_label(inc.category), inc.count, inc.id),
        agreement: AgreementRef::of(ctx.agreement),
        edition,
        classification: label.label.marking.id().to_owned(),
        label,
        tz: clock.tz_name().to_owned(),
        period: PeriodRef::of(&period, clock),
        time_local: clock.local(inc.time),
        time_end_local: clock.local(inc.time_end),
        mgrs: crate::mgrs::to_mgrs(inc.lat, inc.lon, 5),
        located_by_text,
        observations,
        violations: inc.violations.clone(),
        geometry: Geometry::of(ctx.agreement, ctx.sectors),
        incident: inc,
    })
}

// ---------------------------------------------------------------------------------------------------
// The status report.

/// One reporting period of a status report.
#[derive(Debug, Clone, Serialize)]
pub struct DayRow {
    /// The report date.
    pub date: String,
    /// Start (RFC 3339 UTC).
    pub start: String,
    /// End.
    pub end: String,
    /// CFVs, incidents, reports.
    #[serde(flatten)]
    pub counts: Counts,
    /// Observations of every category (in the edition).
    pub observations: u64,
    /// CFVs per category (non-zero only).
    pub by_category: BTreeMap<String, u64>,
    /// Observations withheld from the edition.
    pub withheld: u64,
}

/// One sector over the whole status period.
#[derive(Debug, Clone, Serialize)]
pub struct StatusSectorRow {
    /// Sector id (`None`: outside every sector).
    pub id: Option<String>,
    /// Name.
    pub name: String,
    /// CFVs, incidents, reports.
    #[serde(flatten)]
    pub counts: Counts,
    /// CFVs per category (non-zero only).
    pub by_category: BTreeMap<String, u64>,
}

/// The status report's totals.
#[derive(Debug, Clone, Serialize)]
pub struct StatusTotals {
    /// CFVs, incidents, reports.
    #[serde(flatten)]
    pub counts: Counts,
    /// Observations of every category.
    pub observations: u64,
    /// Weapons in violation (both codes).
    pub weapons_in_violation: u64,
    /// Restrictions of movement.
    pub restrictions: u64,
    /// GPS jamming.
    pub gps_jamming: u64,
    /// Killed.
    pub killed: u64,
    /// Injured.
    pub injured: u64,
    /// Observations withheld from the edition.
    pub withheld: u64,
}

/// The status report over several reporting periods.
#[derive(Debug, Clone, Serialize)]
pub struct StatusReport {
    /// `status`.
    pub report: &'static str,
    /// Title.
    pub title: String,
    /// The agreement.
    pub agreement: AgreementRef,
    /// Edition.
    pub edition: Edition,
    /// The highest classification of what is included.
    pub classification: String,
    /// The label of what is included and the banner.
    #[serde(flatten)]
    pub label: ReportLabel,
    /// First report date.
    pub from: String,
    /// Last report date.
    pub to: String,
    /// Cutoff.
    pub cutoff: String,
    /// Time zone.
    pub tz: String,
    /// Start (RFC 3339 UTC).
    pub start: String,
    /// End.
    pub end: String,
    /// Totals.
    pub totals: StatusTotals,
    /// CFVs per category over the whole period.
    pub by_category: Vec<CfvRow>,
    /// Per reporting period.
    pub by_day: Vec<DayRow>,
    /// Per sector.
    pub by_sector: Vec<StatusSectorRow>,
    /// Weapons in violation.
    pub weapons: WeaponsSection,
    /// Freedom of movement.
    pub freedom_of_movement: MovementSection,
    /// Civilian casualties.
    pub civilian_casualties: CasualtySection,
    /// Withheld note (public edition).
    pub withheld_note: Option<String>,
}

/// What one period adds to a status report: its sections' rows, its line of the per-day table, the
/// label of what it included and its tally (kept per audience by [`Tallies`]).
#[derive(Debug, Clone)]
struct StatusPeriod {
    weapons: WeaponsSection,
    movement: MovementSection,
    casualties: CasualtySection,
    row: DayRow,
    label: Option<Label>,
    tally: Tally,
}

impl StatusPeriod {
    fn of(ctx: &Context<'_>, p: &Period, edition: Edition, clock: &Clock) -> Result<Self, ReportError> {
        let day = Day::load(ctx, p.clone(), p.start, edition)?;
        let idx = day.index();
        let row = DayRow {
            date: p.date.to_string(),
            start: rfc3339(p.start),
            end: rfc3339(p.end),
            counts: day.tally.total,
            observations: day.observations.len() as u64,
            by_category: day
                .tally
                .by_category
                .iter()
                .filter(|(_, n)| n.cfv > 0)
                .map(|(c, n)| (c.id().to_owned(), n.cfv))
                .collect(),
            withheld: day.withheld,
        };
        Ok(Self {
            weapons: weapons(&day.incidents, &idx, clock),
            movement: movement(&day.incidents, &idx, clock),
            casualties: casualties(&day.incidents, &idx, clock),
            row,
            label: day.label.clone(),
            tally: day.tally.clone(),
        })
    }
}

/// Makes the status report over the reports dated `from` to `to` (inclusive).
///
/// # Errors
/// [`ReportError::Parameter`] when `to` is before `from` or the span is over [`MAX_STATUS_DAYS`];
/// store failures.
pub fn status(
    ctx: &Context<'_>,
    clock: &Clock,
    from: jiff::civil::Date,
    to: jiff::civil::Date,
    edition: Edition,
) -> Result<StatusReport, ReportError> {
    if to < from {
        return Err(ReportError::Parameter {
            flag: "to",
            value: to.to_string(),
            reason: format!("is before --from {from}"),
        });
    }
    let days = (to - from).get_days() + 1;
    if days > MAX_STATUS_DAYS {
        return Err(ReportError::Parameter {
            flag: "to",
            value: to.to_string(),
            reason: format!("is {days} days after --from; a status report covers at most {MAX_STATUS_DAYS}"),
        });
    }
    let periods = clock.periods(from, to)?;
    let mut tally = Tally::default();
    let mut by_day = Vec::new();
    let mut weapons_all = WeaponsSection::default();
    let mut movement_all = MovementSection::default();
    let mut casualties_all = CasualtySection::default();
    let mut observations = 0;
    let mut withheld = 0;
    let mut label = None;
    let changes = match ctx.kept {
        Some(_) => match (periods.first(), periods.last()) {
            (Some(a), Some(b)) => ctx.store.day_changes(day_of(a.start), day_of(b.end) + 1)?,
            _ => Vec::new(),
        },
        None => Vec::new(),
    };
    for p in &periods {
        let part = match ctx.kept {
            Some((kept, audience)) => {
                let key = (audience.to_owned(), edition, clock.tz_name().to_owned(), p.start.unix_timestamp_nanos());
                let days = stamp(&changes, day_of(p.start), day_of(p.end - time::Duration::nanoseconds(1)) + 1);
                kept.periods.get_or_try(&key, &days, || StatusPeriod::of(ctx, p, edition, clock))?
            }
            None => std::sync::Arc::new(StatusPeriod::of(ctx, p, edition, clock)?),
        };
        let StatusPeriod { weapons: w, movement: m, casualties: c, row, label: part_label, tally: part_tally } = &*part;
        weapons_all.forward_of_withdrawal_line += w.forward_of_withdrawal_line;
        weapons_all.outside_storage_site += w.outside_storage_site;
        for (c, n) in &w.by_class {
            *weapons_all.by_class.entry(c.clone()).or_default() += n;
        }
        weapons_all.rows.extend(w.rows.iter().cloned());
        movement_all.restrictions.extend(m.restrictions.iter().cloned());
        movement_all.gps_jamming.extend(m.gps_jamming.iter().cloned());
        casualties_all.killed += c.killed;
        casualties_all.injured += c.injured;
        casualties_all.rows.extend(c.rows.iter().cloned());
        observations += row.observations;
        withheld += row.withheld;
        by_day.push(row.clone());
        label = ctx.policy.rejoin([label.as_ref(), part_label.as_ref()]);
        tally.add(part_tally);
    }
    let empty = Tally::default();
    let by_sector = sector_rows(ctx.sectors, &tally, &empty, None)
        .into_iter()
        .map(|r| StatusSectorRow { id: r.id, name: r.name, counts: r.counts, by_category: r.by_category })
        .collect();
    let by_category = cfv_categories()
        .map(|c| cfv_row(c.id(), category_label(c), tally.category(c), Counts::default(), None))
        .collect();
    let last_day = periods.last().map_or(time::Date::MIN, |p| p.start.date());
    let label = ReportLabel::of(ctx, label.iter().map(|l| (l, last_day)), last_day);
    let (start, end) = match (periods.first(), periods.last()) {
        (Some(a), Some(b)) => (rfc3339(a.start), rfc3339(b.end)),
        _ => (String::new(), String::new()),
    };
    let totals = StatusTotals {
        counts: tally.total,
        observations,
        weapons_in_violation: weapons_all.forward_of_withdrawal_line + weapons_all.outside_storage_site,
        restrictions: movement_all.restrictions.len() as u64,
        gps_jamming: movement_all.gps_jamming.len() as u64,
        killed: casualties_all.killed,
        injured: casualties_all.injured,
        withheld,
    };
    Ok(StatusReport {
        report: "status",
        title: format!("Status report {from} to {to} (as of {} {})", clock.cutoff(), clock.tz_name()),
        agreement: AgreementRef::of(ctx.agreement),
        edition,
        classification: label.label.marking.id().to_owned(),
        label,
        from: from.to_string(),
        to: to.to_string(),
        cutoff: clock.cutoff(),
        tz: clock.tz_name().to_owned(),
        start,
        end,
        totals,
        by_category,
        by_day,
        by_sector,
        weapons: weapons_all,
        freedom_of_movement: movement_all,
        civilian_casualties: casualties_all,
        withheld_note: (edition == Edition::Public).then(|| {
            format!(
                "This public edition includes only NATO UNCLASSIFIED observations: {} of these periods {} withheld and counted nowhere in it.",
                plural(withheld, "observation", "observations"),
                if withheld == 1 { "was" } else { "were" }
            )
        }),
    })
}
