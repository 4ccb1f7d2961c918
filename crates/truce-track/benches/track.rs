//! What a TAK event costs: `Tracker::process` for a friendly track moving towards the line (its
//! position classified, the observation path not taken, geofence comparisons every report, some of
//! them with events), the worst case of segment sampling (100 km jumps), and
//! `SqliteStore::insert_tracks` of 500 rows from 50 tracks in one durable transaction (and of one row,
//! the fixed cost of a commit).

#![allow(missing_docs, clippy::unwrap_used)]

use std::path::Path;
use std::sync::Arc;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use time::{Duration, OffsetDateTime};
use truce_cot::event::{Contact, Track};
use truce_cot::{Detail, Event, Point};
use truce_engine::Agreement;
use truce_track::{Source, TrackRow, Tracker};

fn agreement() -> Arc<Agreement> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/agreements/illustrative.toml");
    Arc::new(Agreement::load(&path).unwrap())
}

/// A friendly vehicle driving south from 80 km behind the line to 20 km and back, one report every
/// 5 s at 15 m/s (75 m apart): 1,600 reports, crossing the force stand-off twice.
fn drive() -> Vec<Event> {
    let t0 = OffsetDateTime::from_unix_timestamp(1_795_500_000).unwrap();
    let (north, south) = (48.21, 47.67);
    let step = 75.0 / 111_200.0;
    let n = ((north - south) / step) as usize;
    let lats = (0..n).map(|i| north - i as f64 * step).chain((0..n).map(|i| south + i as f64 * step));
    lats.enumerate()
        .map(|(i, lat)| {
            let time = t0 + Duration::seconds(5 * i as i64);
            Event {
                version: "2.0".into(),
                uid: "ANDROID-alpha-1".into(),
                type_: "a-f-G-U-C".into(),
                how: "m-g".into(),
                time,
                start: time,
                stale: time + Duration::minutes(2),
                access: None,
                qos: None,
                opex: None,
                point: Point { lat, lon: 35.6, hae: 110.0, ce: 4.0, le: 8.0 },
                detail: Detail {
                    contact: Some(Contact { callsign: Some("ALPHA-1".into()), ..Contact::default() }),
                    track: Some(Track { course: Some(180.0), speed: Some(15.0) }),
                    ..Detail::default()
                },
            }
        })
        .collect()
}

fn source() -> Source {
    Source {
        identity: "ALPHA-1".into(),
        group: Some("Cyan".into()),
        peer: "tcp:127.0.0.1:5555".into(),
        label: Default::default(),
    }
}

fn bench(c: &mut Criterion) {
    let a = agreement();
    let events = drive();
    let src = source();

    let mut g = c.benchmark_group("tracker");
    g.throughput(Throughput::Elements(events.len() as u64));
    g.bench_function("process_moving_friendly_track", |b| {
        b.iter_batched(
            || Tracker::new(a.clone()),
            |mut t| {
                let mut fences = 0;
                for ev in &events {
                    fences += t.process(ev, &src, ev.time).geofence.len();
                }
                assert_eq!(fences, 2, "enter and exit of the force stand-off");
                fences
            },
            BatchSize::LargeInput,
        );
    });
    // The worst case of the segment sampling: every report 100 km from the previous one (200 samples).
    let jumps: Vec<Event> = events
        .iter()
        .take(100)
        .enumerate()
        .map(|(i, ev)| Event { point: Point { lat: if i % 2 == 0 { 48.6 } else { 47.7 }, ..ev.point }, ..ev.clone() })
        .collect();
    g.throughput(Throughput::Elements(jumps.len() as u64));
    g.bench_function("process_100_km_jumps", |b| {
        b.iter_batched(
            || Tracker::new(a.clone()),
            |mut t| jumps.iter().map(|ev| t.process(ev, &src, ev.time).geofence.len()).sum::<usize>(),
            BatchSize::LargeInput,
        );
    });
    g.finish();

    let mut t = Tracker::new(a.clone());
    let rows: Vec<TrackRow> = events.iter().take(500).map(|ev| t.process(ev, &src, ev.time).point).collect();
    let dir = tempfile::tempdir().unwrap();
    let store = truce_store::SqliteStore::open(dir.path()).unwrap();
    use truce_store::TrackStore;
    let mut g = c.benchmark_group("store");
    g.throughput(Throughput::Elements(rows.len() as u64));
    // What a server stores: 50 tracks reporting 10 times each per batch, time moving on. (The same 500
    // rows again and again would measure something else: equal keys scattered over the whole index.)
    let mut batch = 0i64;
    g.bench_function("insert_tracks_500", |b| {
        b.iter_batched(
            || {
                batch += 1;
                rows.iter()
                    .enumerate()
                    .map(|(i, r)| TrackRow {
                        uid: format!("ANDROID-{}", i % 50),
                        time: r.time + Duration::hours(batch),
                        ..r.clone()
                    })
                    .collect::<Vec<_>>()
            },
            |rows| store.insert_tracks(&rows, &[]).unwrap(),
            BatchSize::LargeInput,
        );
    });
    // The fixed cost of a durable commit (the fsync), for comparison.
    g.throughput(Throughput::Elements(1));
    g.bench_function("insert_tracks_1", |b| b.iter(|| store.insert_tracks(&rows[..1], &[]).unwrap()));
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(std::time::Duration::from_secs(5)).warm_up_time(std::time::Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
