//! Count series: incidents per sector, category and hour or day, the raw material of the early-warning
//! detectors, for analysts to chart and check them.
//!
//! Buckets are UTC hours or days from the start of the period; incidents outside every sector are under
//! the sector id `rear`. Counts are incidents (one event however many monitors reported it) and, beside
//! them, the sum of their `count`s (the OSCE's number of ceasefire violations).

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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Point {
    /// The incident's time.
    pub time: OffsetDateTime,
    /// The index of its sector in [`Sectors::sectors`]; `None` in the rear.
    pub sector: Option<u16>,
    /// Its category.
    pub category: Category,
    /// Its `count` (at least 1).
    pub count: u32,
}

impl Point {
    /// The points of `incidents` (their `sector` set by name, as [`crate::incidents_in_sectors`] does).
    pub fn of<'a>(incidents: impl IntoIterator<Item = &'a Incident>, sectors: &Sectors) -> Vec<Point> {
        let index: HashMap<&str, u16> =
            sectors.sectors.iter().enumerate().map(|(k, s)| (s.name.as_str(), k as u16)).collect();
        incidents
            .into_iter()
            .map(|i| Point {
                time: i.time,
                sector: i.sector.as_deref().and_then(|n| index.get(n)).copied(),
                category: i.category,
                count: i.count.max(1),
            })
            .collect()
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
    let mut out: BTreeMap<String, BTreeMap<String, Counts>> = BTreeMap::new();
    let len = bucket.length().whole_seconds();
    for p in points {
        let offset = (p.time - start).whole_seconds();
        if offset < 0 {
            continue;
        }
        let k = (offset / len) as usize;
        if k >= buckets {
            continue;
        }
        let sector = p.sector.and_then(|k| sectors.sectors.get(usize::from(k))).map_or("rear", |s| s.id.as_str());
        let counts = out
            .entry(sector.to_owned())
            .or_default()
            .entry(p.category.id().to_owned())
            .or_insert_with(|| Counts { incidents: vec![0; buckets], count: vec![0; buckets] });
        counts.incidents[k] += 1;
        counts.count[k] += p.count;
    }
    Series { start, bucket, buckets, sectors: out }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::Located;
    use time::macros::datetime;
    use truce_core::{Category, Confidence, Marking};

    #[test]
    fn incidents_fall_in_their_sector_category_and_bucket() {
        let agreement = truce_engine::Agreement::load(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../data/agreements/illustrative.toml"
        )))
        .unwrap();
        let sectors = Sectors::from_toml(
            "line = \"loc\"\n[[sector]]\nid = \"north\"\nname = \"North\"\nfrom_km = 0\nto_km = 400\n",
            "test",
            &agreement,
        )
        .unwrap();
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
}
