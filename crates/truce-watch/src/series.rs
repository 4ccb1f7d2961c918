//! Count series: incidents per sector, category and hour or day, the raw material of the early-warning
//! detectors, for analysts to chart and check them.
//!
//! Buckets are UTC hours or days from the start of the period; incidents outside every sector are under
//! the sector id `rear`. Counts are incidents (one event however many monitors reported it) and, beside
//! them, the sum of their `count`s (the OSCE's number of ceasefire violations).

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use time::{Duration, OffsetDateTime};

use truce_core::Category;

use crate::incident::Incident;
use crate::sector::Sectors;

/// Hourly or daily buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Bucket {
    /// One hour.
    Hour,
    /// One UTC day.
    Day,
}

impl Bucket {
    /// The bucket's length.
    pub fn length(self) -> Duration {
        match self {
            Bucket::Hour => Duration::hours(1),
            Bucket::Day => Duration::days(1),
        }
    }
}

/// One sector's and category's counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Incidents per bucket.
    pub incidents: Vec<u32>,
    /// Sum of the incidents' counts per bucket.
    pub count: Vec<u32>,
}

/// Series for a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    /// Start of the first bucket.
    #[serde(with = "time::serde::rfc3339")]
    pub start: OffsetDateTime,
    /// Bucket length.
    pub bucket: Bucket,
    /// Number of buckets.
    pub buckets: usize,
    /// Sector id → category id → counts.
    pub sectors: BTreeMap<String, BTreeMap<String, Counts>>,
}

/// What a series counts of one incident: when, where (the index of its sector in the sectors file,
/// `None` outside every sector), what and how many. Small, so a day of them can be kept
/// (`truce_node` keeps each day's per viewer).
///
/// The time is held as Unix seconds and nanoseconds rather than an `OffsetDateTime`: a month's series
/// at the rate of a busy mission places hundreds of thousands of points in their buckets, and
/// subtracting and comparing `OffsetDateTime`s (which convert their calendar date each time) was most
/// of that work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Point {
    /// The incident's time, whole seconds since 1970-01-01T00:00Z (floored).
    pub seconds: i64,
    /// The nanoseconds past `seconds`.
    pub nanos: u32,
    /// The index of its sector in [`Sectors::sectors`]; `None` in the rear.
    pub sector: Option<u16>,
    /// Its category.
    pub category: Category,
    /// Its `count` (at least 1).
    pub count: u32,
}

/// A time as a [`Point`] holds it: ordered as the times are.
pub fn instant(t: OffsetDateTime) -> (i64, u32) {
    (t.unix_timestamp(), t.nanosecond())
}

impl Point {
    /// The points of `incidents` (their `sector` set by name, as [`crate::incidents_in_sectors`] does).
    pub fn of<'a>(incidents: impl IntoIterator<Item = &'a Incident>, sectors: &Sectors) -> Vec<Point> {
        let index: HashMap<&str, u16> =
            sectors.sectors.iter().enumerate().map(|(k, s)| (s.name.as_str(), k as u16)).collect();
        incidents
            .into_iter()
            .map(|i| {
                let (seconds, nanos) = instant(i.time);
                Point {
                    seconds,
                    nanos,
                    sector: i.sector.as_deref().and_then(|n| index.get(n)).copied(),
                    category: i.category,
                    count: i.count.max(1),
                }
            })
            .collect()
    }

    /// The point's time, as [`instant`] gives it.
    pub fn instant(&self) -> (i64, u32) {
        (self.seconds, self.nanos)
    }

    /// The point's time; `None` when `seconds` and `nanos` name none `time` can hold.
    pub fn time(&self) -> Option<OffsetDateTime> {
        OffsetDateTime::from_unix_timestamp(self.seconds).ok()?.replace_nanosecond(self.nanos).ok()
    }
}

/// The series of `incidents` (their `sector` set by name) from `start` over `buckets` buckets.
pub fn series(
    incidents: &[Incident],
    sectors: &Sectors,
    start: OffsetDateTime,
    bucket: Bucket,
    buckets: usize,
) -> Series {
    series_of(Point::of(incidents, sectors), sectors, start, bucket, buckets)
}

/// [`series`] of incidents already reduced to [`Point`]s.
pub fn series_of(
    points: impl IntoIterator<Item = Point>,
    sectors: &Sectors,
    start: OffsetDateTime,
    bucket: Bucket,
    buckets: usize,
) -> Series {
    let mut tally = Tally::new(sectors, start, bucket, buckets);
    for p in points {
        tally.point(&p);
    }
    tally.series(sectors)
}

/// The sectors [`DayHours`] counts apart (a bound on the memory its counting takes).
pub const HOURS_SECTORS: u16 = 1_024;

/// What one UTC day's points add up to per hour of the day, sector and category: at most 24 × sectors ×
/// categories counts (a few hundred) however many points the day holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayHours {
    /// In the order of hour, sector and category, each once.
    counts: Vec<HourCounts>,
}

/// What a day's points of one hour, sector and category add up to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HourCounts {
    /// The hour of the day, 0 to 23.
    pub hour: u8,
    /// The points' sector ([`Point::sector`]).
    pub sector: Option<u16>,
    /// The points' category.
    pub category: Category,
    /// How many points.
    pub incidents: u32,
    /// The sum of their counts.
    pub count: u32,
}

impl DayHours {
    /// What `points` add up to per hour of the UTC day starting at `day_start`; `None` when one of them
    /// lies outside that day or names a sector past [`HOURS_SECTORS`] (no sectors file has that many:
    /// a damaged point; the day is then counted from its points).
    pub fn of(day_start: OffsetDateTime, points: &[Point]) -> Option<Self> {
        let start = day_start.unix_timestamp();
        let outside = |p: &Point| !(0..86_400).contains(&(p.seconds - start));
        if points.iter().any(|p| outside(p) || p.sector >= Some(HOURS_SECTORS)) {
            return None;
        }
        // One slot per hour, sector (the rear, `None`, first) and category, in the counts' order: a
        // busy day's tens of thousands of points cost an addition each.
        let sectors = points.iter().filter_map(|p| p.sector).max().map_or(1, |s| usize::from(s) + 2);
        let categories = Category::ALL.len();
        let mut sums = vec![(0u32, 0u32); 24 * sectors * categories];
        for p in points {
            let hour = ((p.seconds - start) / 3_600) as usize;
            let sector = p.sector.map_or(0, |s| usize::from(s) + 1);
            // Category::ALL lists the variants in their order: a category's discriminant is its place.
            let sum = &mut sums[(hour * sectors + sector) * categories + p.category as usize];
            sum.0 += 1;
            sum.1 += p.count;
        }
        let counts = sums
            .into_iter()
            .enumerate()
            .filter(|(_, (incidents, _))| *incidents > 0)
            .map(|(slot, (incidents, count))| {
                let (hour, sector) = (slot / categories / sectors, slot / categories % sectors);
                HourCounts {
                    hour: hour as u8,
                    sector: sector.checked_sub(1).map(|s| s as u16),
                    category: Category::ALL[slot % categories],
                    incidents,
                    count,
                }
            })
            .collect();
        Some(Self { counts })
    }

    /// A day's hours from their `counts` as [`DayHours::counts`] gave them (read back from where they
    /// were kept); `None` when they are not in that order, name one hour, sector and category twice,
    /// or an hour past 23.
    pub fn from_counts(counts: Vec<HourCounts>) -> Option<Self> {
        let key = |c: &HourCounts| (c.hour, c.sector, c.category);
        let ordered = counts.windows(2).all(|w| key(&w[0]) < key(&w[1]));
        let hours = counts.iter().all(|c| c.hour < 24);
        (ordered && hours).then_some(Self { counts })
    }

    /// The counts, in the order of hour, sector and category.
    pub fn counts(&self) -> &[HourCounts] {
        &self.counts
    }

    /// About the bytes held.
    pub fn bytes(&self) -> usize {
        size_of_val(self.counts.as_slice())
    }
}

/// A series being counted from days: each day from its hours where the buckets allow
/// ([`DaysTally::by_hours`]), otherwise from its points. A caller that keeps days' hours apart from
/// their points (the node, which reads them back from the store) asks for a day's points only when its
/// hours cannot be used.
pub struct DaysTally {
    tally: Tally,
    period: std::ops::Range<(i64, u32)>,
}

impl DaysTally {
    /// Nothing counted yet of the series of `[since, until)` from `since` over `buckets` buckets.
    pub fn new(
        sectors: &Sectors,
        since: OffsetDateTime,
        until: OffsetDateTime,
        bucket: Bucket,
        buckets: usize,
    ) -> Self {
        Self { tally: Tally::new(sectors, since, bucket, buckets), period: instant(since)..instant(until) }
    }

    /// Whether the UTC day starting at `day_start` is counted from its hours: when the buckets' edges
    /// fall on whole hours of it (`since` on a whole hour: the default, midnight, and any
    /// `YYYY-MM-DD`), every hour of the day lies in one bucket; the hours before `since` fall before
    /// the first bucket and are left out as points would be, those at or after `until` would not be,
    /// so the day must end by then.
    pub fn by_hours(&self, day_start: OffsetDateTime) -> bool {
        let start = day_start.unix_timestamp();
        let (since_s, since_ns) = self.period.start;
        since_ns == 0 && (start - since_s).rem_euclid(3_600) == 0 && (start + 86_400, 0) <= self.period.end
    }

    /// Counts the `hours` of the UTC day starting at `day_start` when [`DaysTally::by_hours`] allows;
    /// otherwise counts nothing and says so (`false`): the day's points must be counted instead.
    pub fn hours(&mut self, day_start: OffsetDateTime, hours: &DayHours) -> bool {
        if !self.by_hours(day_start) {
            return false;
        }
        let start = day_start.unix_timestamp();
        for h in &hours.counts {
            self.tally.add(start + i64::from(h.hour) * 3_600, h.sector, h.category, h.incidents, h.count);
        }
        true
    }

    /// Counts the `points` that lie in the period.
    pub fn points(&mut self, points: &[Point]) {
        for p in points.iter().filter(|p| self.period.contains(&p.instant())) {
            self.tally.point(p);
        }
    }

    /// The series counted.
    pub fn series(self, sectors: &Sectors) -> Series {
        self.tally.series(sectors)
    }
}

/// [`series_of`] of the points of `days` (each the first second of a UTC day, its points and, when
/// they are known, its hours: [`DayHours::of`] its points) that lie in `[since, until)`, from `since`:
/// what [`DaysTally`] counts for a caller that holds its days' points and hours together.
///
/// A day that ends inside the period is counted from its hours' counts when the buckets' edges fall
/// on whole hours ([`DaysTally::by_hours`]). A day holds tens of thousands of points at the rate of a
/// busy mission and at most 24 × sectors × categories counts (a few hundred), so a week's series costs
/// about the same whatever the rate. Other days are counted point by point.
pub fn series_of_days<'a>(
    days: impl IntoIterator<Item = (OffsetDateTime, &'a [Point], Option<&'a DayHours>)>,
    sectors: &Sectors,
    since: OffsetDateTime,
    until: OffsetDateTime,
    bucket: Bucket,
    buckets: usize,
) -> Series {
    let mut tally = DaysTally::new(sectors, since, until, bucket, buckets);
    for (start, points, hours) in days {
        if !hours.is_some_and(|h| tally.hours(start, h)) {
            tally.points(points);
        }
    }
    tally.series(sectors)
}

/// Counts by bucket, in one slot per sector (the rear last) and category, found by index: a month of a
/// busy mission is hundreds of thousands of points, and looking each one's sector and category up by
/// name (two strings made a point) cost ten times the counting. The names are looked up once a slot
/// at the end.
struct Tally {
    from: OffsetDateTime,
    bucket: Bucket,
    start: (i64, u32),
    len: i64,
    buckets: usize,
    rear: usize,
    slots: Vec<Option<Counts>>,
}

impl Tally {
    fn new(sectors: &Sectors, start: OffsetDateTime, bucket: Bucket, buckets: usize) -> Self {
        let rear = sectors.sectors.len();
        Self {
            from: start,
            bucket,
            start: instant(start),
            len: bucket.length().whole_seconds(),
            buckets,
            rear,
            slots: vec![None; (rear + 1) * Category::ALL.len()],
        }
    }

    /// Counts one point in its bucket; a point before the start or after the last bucket is left out.
    #[inline]
    fn point(&mut self, p: &Point) {
        // Whole seconds since the start, floored.
        let (start_s, start_ns) = self.start;
        let offset = p.seconds - start_s - i64::from(p.nanos < start_ns);
        if offset >= 0 {
            self.add_at(offset, p.sector, p.category, 1, p.count);
        }
    }

    /// Adds counts at the whole second `seconds` (Unix time; the start must be on a whole second).
    #[inline]
    fn add(&mut self, seconds: i64, sector: Option<u16>, category: Category, incidents: u32, count: u32) {
        debug_assert_eq!(self.start.1, 0);
        let offset = seconds - self.start.0;
        if offset >= 0 {
            self.add_at(offset, sector, category, incidents, count);
        }
    }

    #[inline]
    fn add_at(&mut self, offset: i64, sector: Option<u16>, category: Category, incidents: u32, count: u32) {
        let k = (offset / self.len) as usize;
        if k >= self.buckets {
            return;
        }
        // Category::ALL lists the variants in their order: a category's discriminant is its place.
        let sector = sector.map_or(self.rear, usize::from).min(self.rear);
        let buckets = self.buckets;
        let counts = self.slots[sector * Category::ALL.len() + category as usize]
            .get_or_insert_with(|| Counts { incidents: vec![0; buckets], count: vec![0; buckets] });
        counts.incidents[k] += incidents;
        counts.count[k] += count;
    }

    fn series(self, sectors: &Sectors) -> Series {
        let categories = Category::ALL.len();
        let mut out: BTreeMap<String, BTreeMap<String, Counts>> = BTreeMap::new();
        for (slot, counts) in self.slots.into_iter().enumerate() {
            let Some(counts) = counts else { continue };
            let (sector, category) = (slot / categories, Category::ALL[slot % categories]);
            let sector = sectors.sectors.get(sector).map_or("rear", |s| s.id.as_str());
            // A sector whose id is "rear" shares the rear's counts, as it always has.
            match out.entry(sector.to_owned()).or_default().entry(category.id().to_owned()) {
                Entry::Vacant(e) => {
                    e.insert(counts);
                }
                Entry::Occupied(mut e) => {
                    let into = e.get_mut();
                    for k in 0..self.buckets {
                        into.incidents[k] += counts.incidents[k];
                        into.count[k] += counts.count[k];
                    }
                }
            }
        }
        Series { start: self.from, bucket: self.bucket, buckets: self.buckets, sectors: out }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::Located;
    use time::macros::datetime;
    use truce_core::{Category, Confidence, Marking};

    /// Sector "north" (the line of contact's first 400 km) of the illustrative agreement, then `more`.
    fn sectors(more: &str) -> Sectors {
        let agreement = truce_engine::Agreement::load(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../data/agreements/illustrative.toml"
        )))
        .unwrap();
        let text =
            format!("line = \"loc\"\n[[sector]]\nid = \"north\"\nname = \"North\"\nfrom_km = 0\nto_km = 400\n{more}");
        Sectors::from_toml(&text, "test", &agreement).unwrap()
    }

    #[test]
    fn incidents_fall_in_their_sector_category_and_bucket() {
        let sectors = sectors("");
        let start = datetime!(2026-11-20 00:00 UTC);
        let incident = |minutes: i64, sector: Option<&str>, category: Category, count: u32| Incident {
            id: format!("inc-{minutes}"),
            time: start + Duration::minutes(minutes),
            time_end: start + Duration::minutes(minutes),
            category,
            weapon_class: None,
            party: None,
            count,
            lat: 48.0,
            lon: 37.5,
            uncertainty_m: 50.0,
            located_by: Located::Single,
            confidence: Confidence::Confirmed,
            sector: sector.map(Into::into),
            observations: vec![],
            observers: vec![],
            violations: vec![],
            zones: vec![],
            casualties: None,
            marking: Marking::NatoUnclassified,
            releasable_to: Vec::new().into(),
            categories: Vec::new(),
        };
        let list = [
            incident(10, Some("North"), Category::ExplosionImpact, 3),
            incident(50, Some("North"), Category::ExplosionImpact, 1),
            incident(70, Some("North"), Category::ExplosionImpact, 2),
            incident(70, None, Category::GpsJamming, 1),
            incident(-5, Some("North"), Category::ExplosionImpact, 1),
            incident(24 * 60, Some("North"), Category::ExplosionImpact, 1),
        ];
        let s = series(&list, &sectors, start, Bucket::Hour, 24);
        let impacts = &s.sectors["north"]["explosion_impact"];
        assert_eq!(&impacts.incidents[..3], &[2, 1, 0]);
        assert_eq!(&impacts.count[..3], &[4, 2, 0]);
        assert_eq!(impacts.incidents.iter().sum::<u32>(), 3, "before the start and after the end are left out");
        assert_eq!(s.sectors["rear"]["gps_jamming"].incidents[1], 1);
        let d = series(&list, &sectors, start, Bucket::Day, 2);
        assert_eq!(d.sectors["north"]["explosion_impact"].incidents, [3, 1]);
    }

    #[test]
    fn a_point_falls_in_the_bucket_its_time_is_in_to_the_nanosecond() {
        let sectors = sectors("");
        // A start between two seconds, as `since` may be.
        let start = datetime!(2026-11-20 10:00:00.5 UTC);
        let at = |t: OffsetDateTime, sector: Option<u16>| {
            let (seconds, nanos) = instant(t);
            Point { seconds, nanos, sector, category: Category::ExplosionImpact, count: 2 }
        };
        let ns = Duration::nanoseconds(1);
        let points = [
            at(start - ns, Some(0)),                      // before the start: left out
            at(start, Some(0)),                           // the first bucket's first instant
            at(start + Duration::hours(1) - ns, Some(0)), // its last
            at(start + Duration::hours(1), Some(0)),      // the second bucket
            at(start + Duration::hours(3), Some(0)),      // after the last bucket: left out
            at(start + Duration::minutes(5), None),       // the rear
            at(start + Duration::minutes(5), Some(7)),    // a sector the file does not have: the rear
        ];
        let s = series_of(points, &sectors, start, Bucket::Hour, 3);
        assert_eq!(s.sectors["north"]["explosion_impact"].incidents, [2, 1, 0]);
        assert_eq!(s.sectors["north"]["explosion_impact"].count, [4, 2, 0]);
        assert_eq!(s.sectors["rear"]["explosion_impact"].incidents, [2, 0, 0]);
        assert_eq!(s.sectors.len(), 2);
        for p in &points {
            assert_eq!(p.time().map(instant), Some(p.instant()), "a point's time reads back");
        }
    }

    #[test]
    fn a_period_counted_from_whole_days_hours_equals_one_counted_point_by_point() {
        let sectors = sectors("[[sector]]\nid = \"south\"\nname = \"South\"\nfrom_km = 400\nto_km = 800\n");
        let first = datetime!(2026-11-01 00:00 UTC);
        let mut rng = truce_geo::fixtures::Rng::new(11);
        let mut pick = |n: usize| (rng.uniform(0.0, n as f64) as usize).min(n - 1);
        // Ten days of points; the fifth holds one point past its end (as a damaged kept day might),
        // so it is counted point by point whatever the period.
        let days: Vec<(OffsetDateTime, Vec<Point>, Option<DayHours>)> = (0..10)
            .map(|d| {
                let start = first + Duration::days(d);
                let points: Vec<Point> = (0..400)
                    .map(|_| {
                        let at =
                            start + Duration::nanoseconds(pick(86_400) as i64 * 1_000_000_000 + pick(1_000) as i64);
                        let at = if d == 4 && pick(100) == 0 { at + Duration::days(1) } else { at };
                        let (seconds, nanos) = instant(at);
                        let sector = [None, Some(0), Some(1), Some(9)][pick(4)];
                        Point { seconds, nanos, sector, category: Category::ALL[pick(4)], count: 1 + pick(5) as u32 }
                    })
                    .collect();
                let hours = DayHours::of(start, &points);
                (start, points, hours)
            })
            .collect();
        assert!(days[0].2.is_some() && days[4].2.is_none());
        // A sector past any sectors file's (a damaged point): the day is counted from its points.
        let at = |sector| Point { sector: Some(sector), ..days[0].1[0] };
        assert!(DayHours::of(first, &[at(HOURS_SECTORS - 1)]).is_some());
        assert!(DayHours::of(first, &[at(HOURS_SECTORS)]).is_none());
        let mut whole_days = 0;
        for case in 0..400 {
            // A quarter of the periods start on a whole hour (their days counted from the hours), a
            // quarter on a whole second within an hour, a quarter within an hour's first second, a
            // quarter anywhere.
            let since = first
                + Duration::hours(pick(24 * 10) as i64 - 24)
                + match case % 4 {
                    0 => Duration::ZERO,
                    1 => Duration::seconds(1 + pick(3_599) as i64),
                    2 => Duration::nanoseconds(1 + pick(999_999_999) as i64),
                    _ => Duration::nanoseconds(pick(3_600_000_000) as i64 * 1_000 + 1),
                };
            let until = since + Duration::minutes(pick(60 * 24 * 8) as i64 + 1);
            let bucket = if case % 2 == 0 { Bucket::Day } else { Bucket::Hour };
            let len = bucket.length().whole_seconds();
            let buckets = ((until - since).whole_seconds() + len - 1).div_euclid(len) as usize;
            let period = instant(since)..instant(until);
            let points = days.iter().flat_map(|d| &d.1).filter(|p| period.contains(&p.instant())).copied();
            let expected = series_of(points, &sectors, since, bucket, buckets);
            let kept = days.iter().map(|(start, points, hours)| (*start, points.as_slice(), hours.as_ref()));
            assert_eq!(series_of_days(kept, &sectors, since, until, bucket, buckets), expected, "case {case}");
            whole_days += usize::from(case % 4 == 0 && until - since >= Duration::days(2));
        }
        assert!(whole_days > 40, "periods holding whole days were tried: {whole_days}");
    }
}
