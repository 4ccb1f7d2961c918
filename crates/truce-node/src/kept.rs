//! Counts and series over long periods, from what each viewer's whole days add up to.
//!
//! # Design
//!
//! `GET /api/v1/stats` over a year of a mission, or the series of a week, used to read every
//! observation of the period on every request: 0.8 s with a million stored, ten times that with ten
//! million. Both are sums over UTC days, and a past day rarely changes. So the node keeps, per
//! viewer's audience and per day, what that day adds up to, in a [`DayMemo`]: the day's [`Stats`]
//! (read with the store's own `stats`, which applies the viewer's access rule), and the day's
//! incidents reduced to series [`Point`]s (correlated exactly as every incident list is, with the
//! two-hour margin either side, so the kept day also depends on its two neighbours' counters). A kept
//! day is served while the store's change counters of the days it read are unchanged
//! ([`truce_store::ObservationStore::day_changes`]), so the answer is always the one a fresh reading
//! would give; a write to a day, from this node or another sharing the database, renews it on the
//! next request.
//!
//! A request then costs one read of the counters, one memo lookup per day and the sums; a day is read
//! again only when it changed (today, mostly). Filters other than the time window (a box, a
//! category ...) select rows, not days: those requests read the store as before.
//!
//! The watch works the same way: every minute it assesses the look-back (36 days) for each audience,
//! and used to read and correlate all of it each time. The detectors need whole incidents only from
//! the start of yesterday on; of the days before they need counts (per sector, per hour, per
//! indicator) and a few whole incidents ([`truce_watch::warning::DaySummary`]). So [`Kept::summaries`]
//! keeps each audience's days before yesterday as summaries and [`Kept::incidents`] keeps yesterday's
//! and today's incidents; a round reads the counters, correlates again only the days that changed
//! (today, as reports arrive) and runs the detectors over the summaries and the two days' incidents
//! (`crate::watch::assess_kept`). The picture is the one a whole reading gives for every observation
//! dated before the assessment (a report dated in the future may join an incident of today's it
//! would not have joined; a live watch assesses at the present).
//!
//! What a process keeps in memory is gone when it ends, and the command line makes one answer per
//! process. So the days' stats, series points and the watch's day summaries are also kept in the store
//! ([`truce_store::memo::Keeping`], table `kept_days`, per audience of the store handle, stamped with
//! the day counters and, for summaries, a digest of the engine, sectors and label policy): a memo miss
//! looks there before reading the day, and what it made is kept there in one transaction. `truce warn
//! status` and a restarted server read 34 summaries instead of correlating 34 days, and a restarted
//! server's first series of a week reads five days of points instead of correlating them (the last two
//! days are never kept in the store: they change as reports arrive; the series takes them from the
//! watch's kept incidents when the watch assessed the same audience). The CUSUM boundaries an
//! assessment simulates, which depend on the days before yesterday only, are kept for the day of the
//! assessment ([`with_kept_boundaries`]).
//!
//! A day's series points are kept apart from their counts per hour of the day, sector and category
//! ([`DayHours`], made from the points): a series whose buckets start on a whole hour (the default)
//! takes every day that ends inside it from those counts ([`DaysTally`]), so a week costs a few
//! hundred additions a day whatever the rate of reports, and reads a day's points only when a period
//! starts between hours.
//!
//! Memory: a day's stats are a few dozen counters, a day's points 24 bytes an incident, a day's
//! summary a few kilobytes; the memos hold at most [`STATS_DAYS`], [`SERIES_DAYS`], [`SUMMARY_DAYS`]
//! and [`INCIDENT_DAYS`] entries (days × audiences), whatever the size of the store. The points and
//! the whole incidents of a day (a few hundred bytes each, their releasable lists shared) grow with
//! the rate of reports a day, so those two memos are also bounded in bytes ([`SERIES_BYTES`],
//! [`INCIDENT_BYTES`]): with more reports a day they keep fewer days, not more memory. The watch keeps
//! yesterday's and today's incidents for every audience, and most audiences see most reports alike:
//! an incident equal in every field to the one another audience's kept day holds for the same day is
//! that one ([`DayIncidents::sharing`]), so ten nations that see the same reports hold a day once
//! (with the day as everything sees it, where the observers are named: twice), and each day weighs
//! its share of what it holds ([`DayIncidents::weight`]). Sharing happens after each audience's own
//! reading and correlation, on equality: it saves memory, never work, and cannot change an answer.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use truce_access::Policy;
use truce_core::{Category, Label};
use truce_store::memo::{DayMemo, Keeping, day_of, day_start, stamp, stamp_text};
use truce_store::{KeptDay, Query, Stats, Store, StoreError};
use truce_watch::series::{Bucket, DayHours, DaysTally, HourCounts, Point, Series};
use truce_watch::warning::DaySummary;
use truce_watch::{Incident, Sectors, Watch};

/// Days of stats kept, all audiences together (about 2 KB each).
pub const STATS_DAYS: usize = 16_384;
/// Days of series points kept, all audiences together (24 bytes an incident).
pub const SERIES_DAYS: usize = 512;

/// Most bytes the kept series points take, all days together: a year of a million reports (2,700 a
/// day) fits; with ten times the reports a day, a tenth of the days are kept.
pub const SERIES_BYTES: usize = 32 << 20;

/// Most bytes the kept days' counts per hour take, all days together (at most 24 × sectors × categories
/// counts of 16 bytes a day, whatever the rate of reports).
pub const HOURS_BYTES: usize = 8 << 20;

/// Most bytes the kept whole incidents take (as [`DayIncidents::weight`] counts them: an incident
/// held by several audiences' days once), all days together: the watch's yesterday and today of
/// four audiences that see the reports differently fit with ten million reports a year.
pub const INCIDENT_BYTES: usize = 256 << 20;

/// Days of summaries kept for the watch, all audiences together: the look-back of four audiences.
pub const SUMMARY_DAYS: usize = 4 * (crate::watch::LOOKBACK_DAYS as usize + 2);

/// Days of whole incidents kept, all audiences together: the watch's yesterday and today of four
/// audiences, and room for the days of incident lists asked for.
pub const INCIDENT_DAYS: usize = 32;

/// The name the watch's day summaries are kept under in the store.
pub const KEPT_SUMMARY: &str = "watch-summary";

/// The name each day's [`Stats`] are kept under in the store (whole days of a time-only request).
pub const KEPT_STATS: &str = "stats";

/// The name each day's series [`Point`]s are kept under in the store.
pub const KEPT_SERIES: &str = "series-points";

/// The name each day's series counts per hour ([`DayHours`]) are kept under in the store.
pub const KEPT_HOURS: &str = "series-hours";

/// The name each day's first observation a viewer may see ([`Kept::history_start`]) is kept under in
/// the store.
pub const KEPT_FIRST: &str = "first-seen";

/// The name the CUSUM boundaries of a day's assessments are kept under in the store
/// ([`with_kept_boundaries`]).
pub const KEPT_BOUNDARIES: &str = "cusum-boundaries";

/// A day's first observation time as kept in the store: `null` (the viewer sees none of the day), or
/// `[seconds, nanoseconds]` since the Unix epoch (UTC).
#[derive(Clone, Serialize, Deserialize)]
#[serde(try_from = "Option<(i64, u32)>", into = "Option<(i64, u32)>")]
struct KeptFirst(Option<OffsetDateTime>);

impl From<KeptFirst> for Option<(i64, u32)> {
    fn from(kept: KeptFirst) -> Self {
        kept.0.map(|t| (t.unix_timestamp(), t.nanosecond()))
    }
}

impl TryFrom<Option<(i64, u32)>> for KeptFirst {
    type Error = String;

    fn try_from(value: Option<(i64, u32)>) -> Result<Self, String> {
        let time = |(seconds, nanos): (i64, u32)| {
            OffsetDateTime::from_unix_timestamp(seconds)
                .and_then(|t| t.replace_nanosecond(nanos))
                .map_err(|e| format!("{seconds}.{nanos:09}: {e}"))
        };
        Ok(Self(value.map(time).transpose()?))
    }
}

/// What a day's series points depend on besides its days' observations and the viewer's access, as
/// one digest: the sectors (a point names its sector by index) and the version of truce (whose code
/// correlates the incidents).
fn series_basis(sectors: &Sectors) -> String {
    truce_store::memo::digest(&format!("{}|{}", env!("CARGO_PKG_VERSION"), sectors.basis()))
}

/// A point as kept in the store: `[seconds, nanoseconds, sector or null, category, count]`.
type PointTuple = (i64, u32, Option<u16>, String, u32);

/// A day's points as kept in the store: one array [`PointTuple`] a point (about 45 bytes of JSON,
/// against about 90 as objects). A value whose point names no time or no category does not decode
/// (so it is made again and replaced).
#[derive(Debug, Deserialize)]
#[serde(try_from = "Vec<PointTuple>")]
struct KeptPoints(Vec<Point>);

impl Serialize for KeptPoints {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|p| (p.seconds, p.nanos, p.sector, p.category.id(), p.count)))
    }
}

impl TryFrom<Vec<PointTuple>> for KeptPoints {
    type Error = String;

    fn try_from(tuples: Vec<PointTuple>) -> Result<Self, String> {
        let points = tuples.into_iter().map(|(seconds, nanos, sector, category, count)| {
            let category = category_of(&category)?;
            let point = Point { seconds, nanos, sector, category, count };
            point.time().map(|_| point).ok_or_else(|| format!("no time {seconds}.{nanos:09}"))
        });
        points.collect::<Result<_, _>>().map(Self)
    }
}

/// The category a kept point or count names by its id.
fn category_of(id: &str) -> Result<Category, String> {
    id.parse().map_err(|_| format!("no category {id:?}"))
}

/// A count per hour as kept in the store: `[hour, sector or null, category, incidents, count]`.
type HourTuple = (u8, Option<u16>, String, u32, u32);

/// A day's counts per hour as kept in the store: one array [`HourTuple`] a count, in the order
/// [`DayHours::counts`] gives them; `null` for a day holding a point outside itself (counted from its
/// points only). A value that names no category, an hour past 23 or counts out of order does not
/// decode (so it is made again and replaced).
#[derive(Debug, Deserialize)]
#[serde(try_from = "Option<Vec<HourTuple>>")]
struct KeptHours(Option<DayHours>);

impl Serialize for KeptHours {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let tuples = self.0.as_ref().map(|h| {
            h.counts().iter().map(|c| (c.hour, c.sector, c.category.id(), c.incidents, c.count)).collect::<Vec<_>>()
        });
        tuples.serialize(serializer)
    }
}

impl TryFrom<Option<Vec<HourTuple>>> for KeptHours {
    type Error = String;

    fn try_from(tuples: Option<Vec<HourTuple>>) -> Result<Self, String> {
        let Some(tuples) = tuples else { return Ok(Self(None)) };
        let counts = tuples.into_iter().map(|(hour, sector, category, incidents, count)| {
            let category = category_of(&category)?;
            Ok::<_, String>(HourCounts { hour, sector, category, incidents, count })
        });
        let counts = counts.collect::<Result<_, _>>()?;
        let hours = DayHours::from_counts(counts).ok_or("hours past 23 or out of order")?;
        Ok(Self(Some(hours)))
    }
}

/// What every day summary made with `watch`, `sectors` and `policy` depends on besides its days'
/// observations, as one digest (SHA-256, hex): the engine's and the sectors' bases, the label policy
/// and the version of truce (whose code makes the summaries).
pub fn summary_basis(policy: &Policy, sectors: &Sectors, watch: &Watch) -> String {
    let text = format!("{}|{}|{}|{:?}", env!("CARGO_PKG_VERSION"), watch.summary_basis(), sectors.basis(), policy);
    truce_store::memo::digest(&text)
}

/// The stamp a day summary is kept in the store with: the [`summary_basis`] and the counters of the
/// days it was made from (the day and its two neighbours).
pub fn summary_stamp(basis: &str, days: &[(i64, i64)]) -> String {
    format!("{basis};{}", stamp_text(days))
}

/// The stamp of a value read from one UTC day alone (its stats, where its data begins): truce's version
/// and the day's change counter.
fn one_day_stamp(day: i64, changes: i64) -> String {
    format!("{};{}", env!("CARGO_PKG_VERSION"), stamp_text(&[(day, changes)]))
}

/// `assess` (an assessment by `watch` on the UTC day `day`) with the CUSUM boundaries kept in `store`
/// for that day by a watch made alike (`basis`: [`summary_basis`]) given back to `watch` first, and
/// the boundaries its sectors then asked for kept in their place when they differ (one a sector:
/// what no sector asks for any more is not carried on).
///
/// A boundary is thousands of simulated two-day windows a sector, the most of a `truce warn status`
/// at a busy front's rate of reports, and a function of the sector's baseline (the days before
/// yesterday) and the configuration only: each is kept under a hash of its baseline's posterior and
/// profile ([`Watch::boundaries_of`]), so a boundary made for other data is never used, and a
/// day's are written once for each baseline, not as reports arrive (so, unlike [`Keeping`]'s values,
/// today's are kept). A store that cannot be read fails the assessment; one that refuses the write
/// (read-only) is said on the log and costs the next process the simulation, never the answer.
///
/// # Errors
/// When reading the store fails.
pub fn with_kept_boundaries<T>(
    store: &dyn Store,
    watch: &mut Watch,
    basis: &str,
    day: i64,
    assess: impl FnOnce(&mut Watch) -> T,
) -> Result<T, StoreError> {
    let kept: Vec<(usize, u64, u64)> = match store.kept_day(KEPT_BOUNDARIES, day)? {
        Some(found) if found.stamp == basis => serde_json::from_slice(&found.value).unwrap_or_default(),
        _ => Vec::new(),
    };
    watch.remember_boundaries(day, &kept);
    let out = assess(watch);
    let held = watch.boundaries_of(day);
    if !held.is_empty()
        && held != kept
        && let Ok(value) = serde_json::to_vec(&held)
        && let Err(e) = store.keep_days(KEPT_BOUNDARIES, &[KeptDay { day, stamp: basis.to_owned(), value }])
    {
        tracing::warn!("could not keep the CUSUM boundaries of day {day} in the store: {e}");
    }
    Ok(out)
}

/// The memos of a node (see the module documentation).
pub struct Kept {
    stats: DayMemo<(String, i64), Stats>,
    points: DayMemo<(String, i64), Vec<Point>>,
    hours: DayMemo<(String, i64), Option<DayHours>>,
    incidents: DayMemo<(String, i64), DayIncidents>,
    summaries: DayMemo<(String, i64), DaySummarized>,
    first_seen: DayMemo<(String, i64), Option<OffsetDateTime>>,
}

/// One UTC day as the watch needs it before yesterday, as one audience sees it: the summary of its
/// incidents ([`Watch::summarize`]) and the label of its observations (the join, `None` when there
/// were none).
#[derive(Debug, Serialize, Deserialize)]
pub struct DaySummarized {
    /// What the detectors need of the day.
    pub summary: DaySummary,
    /// The join of the labels of the day's observations.
    pub label: Option<Label>,
}

/// One UTC day's incidents as one audience sees them (correlated with the two-hour margin either
/// side, each labelled as [`crate::watch::incidents`] labels them), with the label of that day's
/// observations (the join, `None` when there were none).
///
/// An incident another audience's kept day already holds, equal in every field, is that one
/// (shared, [`DayIncidents::sharing`]): audiences that see the same reports hold a day once.
#[derive(Debug)]
pub struct DayIncidents {
    /// The incidents whose first report lies in the day, in time order.
    pub incidents: Vec<Arc<Incident>>,
    /// The join of the labels of the day's observations.
    pub label: Option<Label>,
}

/// About the bytes a violation record takes: the record and its strings.
fn violation_weight(v: &truce_core::ViolationRecord) -> usize {
    let texts = [&v.zone, &v.class, &v.party, &v.line, &v.category, &v.phase];
    size_of_val(v) + v.code.len() + texts.iter().map(|t| t.as_ref().map_or(0, String::len)).sum::<usize>()
}

impl DayIncidents {
    /// The day's `incidents`, each one that is equal in every field to the incident of the same id in
    /// one of `others` (the same day as other audiences see it) taken from there instead of kept
    /// twice (an incident not found, or found different, is kept as it is: sharing never changes
    /// what a day holds).
    ///
    /// Audiences that see alike hold the very same list, so `others` are first reduced to their
    /// distinct lists (compared pointer by pointer). All are in time order: each list is walked once,
    /// from where its last look ended, and the list that held the last incident found is looked in
    /// first. A day costs one pass over it and over each distinct list, not a search per incident.
    pub fn sharing(incidents: Vec<Incident>, label: Option<Label>, others: &[Arc<DayIncidents>]) -> Self {
        let mut lists: Vec<&[Arc<Incident>]> = Vec::new();
        for other in others {
            let list = other.incidents.as_slice();
            let same = |kept: &&[Arc<Incident>]| {
                kept.len() == list.len() && kept.iter().zip(list).all(|(a, b)| Arc::ptr_eq(a, b))
            };
            if !list.is_empty() && !lists.iter().any(same) {
                lists.push(list);
            }
        }
        let mut walked = vec![0; lists.len()];
        let mut first = 0;
        let mut look = |i: &Incident| {
            let start = first;
            (0..lists.len()).map(|k| (start + k) % lists.len()).find_map(|k| {
                let (list, at) = (lists[k], &mut walked[k]);
                while list.get(*at).is_some_and(|o| o.time < i.time) {
                    *at += 1;
                }
                let found = list[*at..].iter().take_while(|o| o.time == i.time).find(|o| ***o == *i)?;
                first = k;
                Some(Arc::clone(found))
            })
        };
        // Not `collect`ed from `incidents`: that would reuse its buffer, sized for whole incidents,
        // to hold pointers (a day of 27,000 incidents would keep 9 MB to use 216 kB of them).
        let mut shared = Vec::with_capacity(incidents.len());
        shared.extend(incidents.into_iter().map(|i| look(&i).unwrap_or_else(|| Arc::new(i))));
        Self { incidents: shared, label }
    }

    /// About the bytes the incidents take: each incident and its strings (the shared releasable lists
    /// not counted: they are held once), an incident shared with other days divided between them (its
    /// bytes over the number of days holding it now), so that the kept days' weights add up to what
    /// they hold together. Sharing changes as days are kept and forgotten; the memo weighs its days
    /// again before it forgets any ([`DayMemo::with_budget`]).
    pub fn weight(&self) -> usize {
        let strings = |v: &[String]| v.iter().map(|s| size_of::<String>() + s.len()).sum::<usize>();
        self.incidents
            .iter()
            .map(|i| {
                let bytes = size_of::<Incident>()
                    + i.id.len()
                    + strings(&i.observations)
                    + strings(&i.observers)
                    + strings(&i.zones)
                    + strings(&i.categories)
                    + i.violations.iter().map(violation_weight).sum::<usize>();
                size_of::<Arc<Incident>>() + bytes / Arc::strong_count(i)
            })
            .sum()
    }
}

impl std::fmt::Debug for Kept {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kept")
            .field("stats", &self.stats)
            .field("points", &self.points)
            .field("hours", &self.hours)
            .field("incidents", &self.incidents)
            .field("summaries", &self.summaries)
            .field("first_seen", &self.first_seen)
            .finish()
    }
}

impl Default for Kept {
    fn default() -> Self {
        Self {
            stats: DayMemo::new(STATS_DAYS),
            points: DayMemo::with_budget(SERIES_DAYS, SERIES_BYTES, |p| size_of_val(p.as_slice())),
            hours: DayMemo::with_budget(SERIES_DAYS, HOURS_BYTES, |h| h.as_ref().map_or(0, DayHours::bytes)),
            incidents: DayMemo::with_budget(INCIDENT_DAYS, INCIDENT_BYTES, DayIncidents::weight),
            summaries: DayMemo::new(SUMMARY_DAYS),
            first_seen: DayMemo::new(STATS_DAYS),
        }
    }
}

/// The day numbers `[from, until)` that a period `[since, until)` touches (unbounded ends: every day).
fn days(since: Option<OffsetDateTime>, until: Option<OffsetDateTime>) -> (i64, i64) {
    let from = since.map_or(i64::MIN, day_of);
    let to = until.map_or(i64::MAX, |u| day_of(u - Duration::nanoseconds(1)) + 1);
    (from, to)
}

/// The value `memo` keeps for each UTC day touching `[since, until)` that holds an observation or
/// neighbours one, as `compute` makes it from the day's observations and two hours of each neighbour's
/// (so its stamp is the three days' counters), in day order.
fn each_day<V>(
    memo: &DayMemo<(String, i64), V>,
    store: &dyn Store,
    audience: &str,
    since: OffsetDateTime,
    until: OffsetDateTime,
    mut compute: impl FnMut(i64, &[(i64, i64)]) -> Result<V, StoreError>,
) -> Result<Vec<Arc<V>>, StoreError> {
    let mut out = Vec::new();
    for_each_day(store, since, until, |day, day_stamp| {
        out.push(memo.get_or_try(&(audience.to_owned(), day), day_stamp, || compute(day, day_stamp))?);
        Ok(())
    })?;
    Ok(out)
}

/// Calls `each` with every UTC day touching `[since, until)` that holds an observation or neighbours
/// one, and the counters of the day and its two neighbours (its stamp), in day order.
fn for_each_day(
    store: &dyn Store,
    since: OffsetDateTime,
    until: OffsetDateTime,
    mut each: impl FnMut(i64, &[(i64, i64)]) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let (from, to) = days(Some(since), Some(until));
    let changes = store.day_changes(from - 1, to + 1)?;
    for day in from..to {
        let day_stamp = stamp(&changes, day - 1, day + 2);
        if !day_stamp.is_empty() {
            each(day, &day_stamp)?;
        }
    }
    Ok(())
}

fn add(total: &mut Stats, day: &Stats) {
    total.total += day.total;
    for (into, from) in [
        (&mut total.by_category, &day.by_category),
        (&mut total.by_violation, &day.by_violation),
        (&mut total.by_zone, &day.by_zone),
        (&mut total.by_day, &day.by_day),
    ] {
        for (k, n) in from {
            *into.entry(k.clone()).or_default() += n;
        }
    }
}

/// The incidents of the UTC day `day` as `store` sees them, correlated with two hours of each
/// neighbour, with the label of the day's observations.
fn day_incidents(
    store: &dyn Store,
    policy: &Policy,
    sectors: &Sectors,
    day: i64,
) -> Result<(Vec<Incident>, Option<Label>), StoreError> {
    let (start, end) = (day_start(day), day_start(day + 1));
    let margin = Duration::hours(2);
    let observations = crate::watch::load(store, start - margin, end + margin)?;
    let incidents = crate::watch::incidents_of(&observations, policy, sectors, start, end);
    let inside = observations.iter().filter(|s| s.observation.time >= start && s.observation.time < end);
    Ok((incidents, crate::watch::label_of(policy, inside)))
}

impl Kept {
    /// How many days were found kept and how many were read, both memos together.
    pub fn hits_and_misses(&self) -> (u64, u64) {
        [
            self.stats.hits_and_misses(),
            self.points.hits_and_misses(),
            self.hours.hits_and_misses(),
            self.incidents.hits_and_misses(),
            self.summaries.hits_and_misses(),
            self.first_seen.hits_and_misses(),
        ]
        .into_iter()
        .fold((0, 0), |(h, m), (a, b)| (h + a, m + b))
    }

    /// The store's [`Stats`] for `q`, read by `store` (a view under the access of `audience`): summed
    /// from kept days when `q` filters on time only, else read whole.
    ///
    /// # Errors
    /// When the store fails.
    pub fn stats(&self, store: &dyn Store, audience: &str, q: &Query) -> Result<Stats, StoreError> {
        let time_only = Query { since: None, until: None, limit: 0, cursor: None, ..q.clone() } == Query::default();
        if !time_only {
            return store.stats(q);
        }
        let (from, to) = days(q.since, q.until);
        let mut total = Stats::default();
        let mut keeping = Keeping::new(KEPT_STATS);
        for (day, changes) in store.day_changes(from, to)? {
            let (start, end) = (day_start(day), day_start(day + 1));
            let since = q.since.map_or(start, |s| s.max(start));
            let until = q.until.map_or(end, |u| u.min(end));
            let window = Query { since: Some(since), until: Some(until), ..Query::default() };
            if (since, until) == (start, end) {
                let kept = self.stats.get_or_try(&(audience.to_owned(), day), &[(day, changes)], || {
                    let stamp = one_day_stamp(day, changes);
                    keeping.kept_or_make(store, day, stamp, || store.stats(&window))
                })?;
                add(&mut total, &kept);
            } else {
                add(&mut total, &store.stats(&window)?);
            }
        }
        keeping.keep(store);
        Ok(total)
    }

    /// The series of incidents from `since` over `buckets` buckets (ending at `until` at the latest), as
    /// `store` (a view under the access of `audience`) sees them: [`truce_watch::series::series`] of
    /// [`crate::watch::incidents`], summed from kept days: each day from its counts per hour where the
    /// buckets allow ([`DaysTally::by_hours`]: the default week, any period from a `YYYY-MM-DD`), from
    /// its points otherwise. Hours and points are kept apart, in memory and in the store, so that a
    /// restarted server's first week reads a few hundred counts a day, not every point.
    ///
    /// # Errors
    /// When the store fails.
    #[allow(clippy::too_many_arguments)]
    pub fn series(
        &self,
        store: &dyn Store,
        policy: &Policy,
        sectors: &Sectors,
        audience: &str,
        since: OffsetDateTime,
        until: OffsetDateTime,
        bucket: Bucket,
        buckets: usize,
    ) -> Result<Series, StoreError> {
        let basis = series_basis(sectors);
        let mut keeping = Keeping::new(KEPT_SERIES);
        let mut keeping_hours = Keeping::new(KEPT_HOURS);
        let mut tally = DaysTally::new(sectors, since, until, bucket, buckets);
        for_each_day(store, since, until, |day, day_stamp| {
            let key = (audience.to_owned(), day);
            let mut points = || {
                self.points.get_or_try(&key, day_stamp, || {
                    self.day_points(store, policy, sectors, &mut keeping, &basis, audience, day, day_stamp)
                })
            };
            if tally.by_hours(day_start(day)) {
                let hours = self.hours.get_or_try(&key, day_stamp, || {
                    let stamp = format!("{basis};{}", stamp_text(day_stamp));
                    let from_points = || Ok::<_, StoreError>(KeptHours(DayHours::of(day_start(day), &points()?)));
                    Ok::<_, StoreError>(keeping_hours.kept_or_make(store, day, stamp, from_points)?.0)
                })?;
                if hours.as_ref().as_ref().is_some_and(|h| tally.hours(day_start(day), h)) {
                    return Ok(());
                }
            }
            tally.points(&points()?);
            Ok(())
        })?;
        keeping.keep(store);
        keeping_hours.keep(store);
        Ok(tally.series(sectors))
    }

    /// The series points of the UTC day `day` (stamped `day_stamp`) as `store` sees them: from the
    /// watch's kept incidents of the day when it holds them for `audience`, else read back from the
    /// store under [`KEPT_SERIES`], else from the day's incidents (then kept by `keeping`).
    #[allow(clippy::too_many_arguments)]
    fn day_points(
        &self,
        store: &dyn Store,
        policy: &Policy,
        sectors: &Sectors,
        keeping: &mut Keeping,
        basis: &str,
        audience: &str,
        day: i64,
        day_stamp: &[(i64, i64)],
    ) -> Result<Vec<Point>, StoreError> {
        // The watch keeps yesterday's and today's incidents of the audiences it assesses: the same
        // incidents a reading would give while the counters are the same.
        if let Some(kept) = self.incidents.peek(&(audience.to_owned(), day), day_stamp) {
            return Ok(Point::of(kept.incidents.iter().map(|i| &**i), sectors));
        }
        let stamp = format!("{basis};{}", stamp_text(day_stamp));
        let read = || {
            let incidents = crate::watch::incidents(store, policy, sectors, day_start(day), day_start(day + 1))?;
            Ok::<_, StoreError>(KeptPoints(Point::of(&incidents, sectors)))
        };
        Ok(keeping.kept_or_make(store, day, stamp, read)?.0)
    }

    /// The incidents of every UTC day touching `[since, until)` as `store` (a view under the access of
    /// `audience`) sees them, day by day in time order, and the join of the labels of those days'
    /// observations. Each day is read and correlated only when its counters (or its neighbours', for
    /// the two-hour margin) changed since it was kept. Whole days: callers select by time.
    ///
    /// # Errors
    /// When the store fails.
    pub fn incidents(
        &self,
        store: &dyn Store,
        policy: &Policy,
        sectors: &Sectors,
        audience: &str,
        since: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<(Vec<Arc<DayIncidents>>, Option<Label>), StoreError> {
        let kept = each_day(&self.incidents, store, audience, since, until, |day, _| {
            let (incidents, label) = day_incidents(store, policy, sectors, day)?;
            let others = self.incidents.kept_where(|(a, d)| *d == day && a != audience);
            Ok(DayIncidents::sharing(incidents, label, &others))
        })?;
        let label = policy.rejoin(kept.iter().map(|d| d.label.as_ref()));
        Ok((kept, label))
    }

    /// The [`DaySummary`] (made by `watch`) of every UTC day touching `[since, until)` as `store` (a
    /// view under the access of `audience`) sees it, in day order, and the join of the labels of those
    /// days' observations. A day is read, correlated and summarized only when its counters (or its
    /// neighbours', for the two-hour margin) changed since it was kept, in this memo or in the store
    /// ([`truce_store::ObservationStore::kept_day`], under [`KEPT_SUMMARY`]): a summary made by another
    /// process (an earlier command, the server before a restart) is read back when it was made from
    /// the same day counters, engine, sectors and label policy ([`summary_stamp`]); one that fails to
    /// decode is made again. What was made is kept in the store in one transaction; a store that
    /// refuses (read-only) costs the next reader the work, never the answer.
    ///
    /// # Errors
    /// When the store fails to read.
    #[allow(clippy::too_many_arguments)]
    pub fn summaries(
        &self,
        store: &dyn Store,
        policy: &Policy,
        sectors: &Sectors,
        watch: &Watch,
        audience: &str,
        since: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<(Vec<Arc<DaySummarized>>, Option<Label>), StoreError> {
        let basis = summary_basis(policy, sectors, watch);
        let mut keeping = Keeping::new(KEPT_SUMMARY);
        let kept = each_day(&self.summaries, store, audience, since, until, |day, day_stamp| {
            keeping.kept_or_make(store, day, summary_stamp(&basis, day_stamp), || {
                let (incidents, label) = day_incidents(store, policy, sectors, day)?;
                Ok(DaySummarized { summary: watch.summarize(day, &incidents), label })
            })
        })?;
        keeping.keep(store);
        let label = policy.rejoin(kept.iter().map(|d| d.label.as_ref()));
        Ok((kept, label))
    }

    /// When the data `store` (a view under the access of `audience`) may see begins: the time of its
    /// first observation (the first of a query in time order), found day by day in order from kept
    /// answers, so a viewer who sees little or nothing does not scan the whole store each round. Each
    /// day's answer is also kept in the store ([`KEPT_FIRST`], stamped with the day's counter): for a
    /// viewer who sees nothing, finding it reads every row of every day (ten million rows, seconds of
    /// disk, for a year of a busy mission), which a restarted server would otherwise do again.
    ///
    /// # Errors
    /// When the store fails.
    pub fn history_start(&self, store: &dyn Store, audience: &str) -> Result<Option<OffsetDateTime>, StoreError> {
        let mut keeping = Keeping::new(KEPT_FIRST);
        let mut start = None;
        for (day, changes) in store.day_changes(i64::MIN, i64::MAX)? {
            let first = self.first_seen.get_or_try(&(audience.to_owned(), day), &[(day, changes)], || {
                let stamp = one_day_stamp(day, changes);
                let read = || {
                    let q = Query {
                        since: Some(day_start(day)),
                        until: Some(day_start(day + 1)),
                        limit: 1,
                        ..Query::default()
                    };
                    Ok::<_, StoreError>(KeptFirst(store.query(&q)?.items.first().map(|s| s.observation.time)))
                };
                Ok::<_, StoreError>(keeping.kept_or_make(store, day, stamp, read)?.0)
            })?;
            if first.is_some() {
                start = *first;
                break;
            }
        }
        keeping.keep(store);
        Ok(start)
    }

    /// [`crate::watch::incidents`] of `[since, until)` as `store` (a view under the access of `audience`)
    /// sees them, from the kept days ([`Kept::incidents`]): the kept incidents themselves, shared, not
    /// copies (a day at the rate of a busy front is tens of thousands).
    ///
    /// # Errors
    /// When the store fails.
    pub fn incident_list(
        &self,
        store: &dyn Store,
        policy: &Policy,
        sectors: &Sectors,
        audience: &str,
        since: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<Vec<Arc<Incident>>, StoreError> {
        let (days, _) = self.incidents(store, policy, sectors, audience, since, until)?;
        Ok(days
            .iter()
            .flat_map(|d| d.incidents.iter())
            .filter(|i| i.time >= since && i.time < until)
            .cloned()
            .collect())
    }
}
