//! The two hot paths of truce-watch, on synthetic data shaped like the demo's (criterion, one core):
//!
//! - `correlate`: 30 days of reports along the illustrative line of contact, 150 events a day, each
//!   reported by one to three observers (a patrol by bearing and range, a camera, now and then a UAV):
//!   reports merged into incidents per second; and one day of 15,000 such events (`dense_day`, about
//!   27,000 reports, the density of a year of ten million).
//! - `hourly`: the incidents of every hour of a week as the hourly replay needs them (the demo's alert
//!   history, once per audience; `truce warn backtest`): a fresh pass over what is known each hour
//!   against one incremental pass (`Correlator`) fed hour by hour.
//! - `assess`: one early-warning assessment over those 30 days (six sectors), as the server runs every
//!   minute: with a fresh engine (the CUSUM boundaries simulated: 4,000 two-day runs per sector) and
//!   with the boundaries cached; and one with yesterday as dense as the dense day (a watch round at
//!   the rate of a year of ten million), the boundaries cached.
//! - `sectors`: the sector of a position (`Sectors::assign`), as the node asks it of every observation,
//!   track report, geofence event and detection it publishes: 10,000 positions spread over Ukraine and
//!   the Black Sea (most far from every stretch, as ships and airliners are) and the month's reports
//!   (all near the line).
//! - `series`: the counts `GET /api/v1/series` answers, from a week of dense days' incidents reduced to
//!   points: the week by day and by hour, from the days as the node keeps them (their points and
//!   their hours' counts apart: whole days from the hours) and point by point (as a period not starting on a whole hour is);
//!   and a dense day's points and hours made from its incidents (`dense_day_of_incidents`), as the node
//!   makes yesterday's and today's from the incidents the watch keeps.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use truce_core::StoredObservation;
use truce_core::{Category, Confidence, LocationPrecision, Marking, Means, Observation, Observer, TimePrecision};
use truce_engine::Agreement;
use truce_geo::LonLat;
use truce_geo::fixtures::Rng;
use truce_geo::geodesic::{azimuth_and_distance, destination};
use truce_watch::series::{Bucket, DayHours, Point, series_of, series_of_days};
use truce_watch::{Config, Correlator, Rule, Sectors, Watch, incidents_in_sectors};

const START: OffsetDateTime = datetime!(2026-10-01 00:00 UTC);

fn report(id: usize, time: OffsetDateTime, at: LonLat, means: Means, team: String) -> StoredObservation {
    StoredObservation {
        observation: Observation {
            id: format!("b{id:07}"),
            time,
            time_end: None,
            time_precision: TimePrecision::Minute,
            lat: at.lat,
            lon: at.lon,
            location_precision: LocationPrecision::Exact,
            place: None,
            observer: Observer {
                means,
                team: Some(team),
                callsign: None,
                lat: None,
                lon: None,
                bearing_deg: None,
                range_m: None,
            },
            category: Category::ExplosionImpact,
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
        },
        classification: Default::default(),
        received_at: time,
    }
}

/// `days` days of `per_day` events along the line, each reported by one to three observers.
fn events(line: &[LonLat], days: usize, per_day: usize) -> Vec<StoredObservation> {
    let mut rng = Rng::new(5);
    let mut out = Vec::new();
    for e in 0..days * per_day {
        let time = START + Duration::seconds((e as f64 * 86_400.0 / per_day as f64 + rng.uniform(0.0, 300.0)) as i64);
        let k = (rng.uniform(0.0, (line.len() - 1) as f64) as usize).min(line.len() - 2);
        let (azi, len) = azimuth_and_distance(line[k], line[k + 1]);
        let on = destination(line[k], azi, rng.uniform(0.0, len));
        let at = destination(on, azi + 90.0, rng.uniform(-8_000.0, 8_000.0));
        let from = destination(on, azi + 90.0, rng.uniform(3_000.0, 8_000.0));
        let (b, r) = azimuth_and_distance(from, at);
        let mut patrol = report(
            out.len(),
            time,
            destination(from, b + rng.uniform(-3.0, 3.0), r * rng.uniform(0.85, 1.15)),
            Means::Patrol,
            format!("MT-{}", k % 4),
        );
        patrol.observation.location_precision = LocationPrecision::Estimated;
        patrol.observation.observer.lat = Some(from.lat);
        patrol.observation.observer.lon = Some(from.lon);
        patrol.observation.observer.bearing_deg = Some(b);
        patrol.observation.observer.range_m = Some(r);
        out.push(patrol);
        if rng.uniform(0.0, 1.0) < 0.5 {
            out.push(report(out.len(), time + Duration::seconds(60), at, Means::FixedCamera, format!("CAM-{k}")));
        }
        if rng.uniform(0.0, 1.0) < 0.15 {
            out.push(report(out.len(), time + Duration::seconds(300), at, Means::Uav, "UAV".into()));
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let agreement = Agreement::load(&root.join("data/agreements/illustrative.toml")).expect("agreement");
    let sectors = Sectors::load(&root.join("data/warning/sectors.toml"), &agreement).expect("sectors");
    let line = agreement.lines.iter().find(|l| l.id == "loc").expect("loc").parts[0].clone();
    let reports = events(&line, 30, 150);
    let mut g = c.benchmark_group("correlate");
    g.sample_size(10);
    g.throughput(Throughput::Elements(reports.len() as u64));
    g.bench_function("30_days_reports", |b| {
        b.iter(|| incidents_in_sectors(black_box(&reports), &sectors, &Rule::default()))
    });
    // A day as dense as a year of ten million reports (about 27,000 a day): hundreds of incidents
    // open at once.
    let dense = events(&line, 1, 15_000);
    g.throughput(Throughput::Elements(dense.len() as u64));
    g.bench_function("dense_day", |b| b.iter(|| incidents_in_sectors(black_box(&dense), &sectors, &Rule::default())));
    g.finish();
    // The hourly replay (the demo's alerts, `truce warn backtest`, once per audience): the incidents
    // of every hour of a week, from a fresh pass over what is known by then or from one incremental
    // pass fed hour by hour.
    let week: Vec<StoredObservation> =
        reports.iter().filter(|s| s.observation.time < START + Duration::days(7)).cloned().collect();
    let hours = |each: &mut dyn FnMut(OffsetDateTime)| {
        for h in 1..=7 * 24 {
            each(START + Duration::hours(h));
        }
    };
    let mut g = c.benchmark_group("hourly");
    g.sample_size(10);
    g.throughput(Throughput::Elements(7 * 24));
    g.bench_function("week_fresh_pass_each_hour", |b| {
        b.iter(|| {
            let mut n = 0;
            hours(&mut |at| {
                let known: Vec<StoredObservation> = week.iter().filter(|s| s.observation.time < at).cloned().collect();
                n += incidents_in_sectors(&known, &sectors, &Rule::default()).len();
            });
            n
        })
    });
    g.bench_function("week_incremental_pass", |b| {
        b.iter(|| {
            let order = truce_watch::incident::in_order(&week);
            let mut pass = Correlator::new(Rule::default(), Some(&sectors));
            let (mut known, mut n) = (0, 0);
            hours(&mut |at| {
                while known < order.len() && order[known].observation.time < at {
                    pass.push(order[known]);
                    known += 1;
                }
                n += pass.incidents().len();
            });
            n
        })
    });
    g.finish();
    // A week of days as dense as the dense day (its incidents, day after day), as the node keeps them
    // (points and their hours apart), and the same points counted one by one.
    let dense_incidents = incidents_in_sectors(&dense, &sectors, &Rule::default());
    // The day's own (a few events of its last minutes are reported past midnight).
    let end = (START + Duration::days(1)).unix_timestamp();
    let day_points: Vec<Point> =
        Point::of(&dense_incidents, &sectors).into_iter().filter(|p| p.seconds < end).collect();
    let week: Vec<(OffsetDateTime, Vec<Point>, Option<DayHours>)> = (0..7)
        .map(|d| {
            let points: Vec<Point> =
                day_points.iter().map(|p| Point { seconds: p.seconds + d * 86_400, ..*p }).collect();
            let start = START + Duration::days(d);
            let hours = DayHours::of(start, &points);
            (start, points, hours)
        })
        .collect();
    let points: Vec<Point> = week.iter().flat_map(|d| &d.1).copied().collect();
    let until = START + Duration::days(7);
    let mut g = c.benchmark_group("series");
    g.throughput(Throughput::Elements(points.len() as u64));
    for (name, bucket, buckets) in [("dense_week_by_day", Bucket::Day, 7), ("dense_week_by_hour", Bucket::Hour, 168)] {
        g.bench_function(format!("{name}_kept_days"), |b| {
            let days = || week.iter().map(|(start, points, hours)| (*start, points.as_slice(), hours.as_ref()));
            b.iter(|| series_of_days(black_box(days()), &sectors, START, until, bucket, buckets))
        });
        g.bench_function(format!("{name}_point_by_point"), |b| {
            b.iter(|| series_of(black_box(&points).iter().copied(), &sectors, START, bucket, buckets))
        });
    }
    // What the node makes of a recent day the watch keeps whole (yesterday, today): its points and
    // their hours, from the day's incidents.
    g.throughput(Throughput::Elements(dense_incidents.len() as u64));
    g.bench_function("dense_day_of_incidents", |b| {
        b.iter(|| {
            let points = Point::of(black_box(&dense_incidents), &sectors);
            let hours = DayHours::of(START, &points);
            (points, hours)
        })
    });
    g.finish();
    let mut rng = Rng::new(7);
    let spread: Vec<LonLat> =
        (0..10_000).map(|_| LonLat::new(rng.uniform(22.0, 41.0), rng.uniform(44.0, 53.0))).collect();
    let near: Vec<LonLat> =
        reports.iter().map(|s| LonLat::new(s.observation.lon, s.observation.lat)).take(10_000).collect();
    let mut g = c.benchmark_group("sectors");
    for (name, points) in [("assign_spread", &spread), ("assign_near_the_line", &near)] {
        g.throughput(Throughput::Elements(points.len() as u64));
        g.bench_function(name, |b| b.iter(|| points.iter().filter_map(|p| sectors.assign(*p)).count()));
    }
    g.finish();
    let incidents = incidents_in_sectors(&reports, &sectors, &Rule::default());
    let at = START + Duration::days(30);
    let mut g = c.benchmark_group("assess");
    g.sample_size(10);
    g.bench_function("30_days_fresh_engine", |b| {
        b.iter(|| Watch::new(&agreement, &sectors, Config::default()).assess(black_box(&incidents), START, at))
    });
    let mut warm = Watch::new(&agreement, &sectors, Config::default());
    g.bench_function("30_days_cached_boundaries", |b| b.iter(|| warm.assess(black_box(&incidents), START, at)));
    // A watch round at the rate of a year of ten million: yesterday as dense as the dense day, the
    // days before as summaries (here empty), the boundaries cached, as the node's rounds after the
    // first assess each audience.
    let busy_at = START + Duration::days(1) + Duration::hours(12);
    let history = START - Duration::days(30);
    let mut busy = Watch::new(&agreement, &sectors, Config::default());
    g.bench_function("dense_yesterday_cached_boundaries", |b| {
        b.iter(|| busy.assess_days(&[], black_box(&dense_incidents), None, history, busy_at))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
