//! Fixes per second through every detector (criterion, one core): the backtest scenario (8 hours of
//! the north-western Black Sea, about 140,000 AIS and ADS-B fixes) pushed in order with a tick every
//! minute of scenario time, as `backtest` and the node do. The end-to-end target is 10,000
//! messages per second through the whole system; the detectors must be a small part of that budget.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use time::Duration;
use time::macros::datetime;
use truce_detect::scenario::scenario;
use truce_detect::{Config, Detectors};

fn detect(c: &mut Criterion) {
    let s = scenario(42, datetime!(2026-10-01 06:00 UTC), Duration::hours(8));
    let config = Config::demo();
    let mut group = c.benchmark_group("detect");
    group.sample_size(10);
    group.throughput(Throughput::Elements(s.fixes.len() as u64));
    group.bench_function("scenario_8h_all_detectors", |b| {
        b.iter(|| {
            let mut d = Detectors::new(config.clone(), s.geography()).expect("valid configuration");
            let mut next = s.start + Duration::minutes(1);
            let mut alerts = 0usize;
            for fix in &s.fixes {
                while fix.time >= next {
                    alerts += d.tick(next).len();
                    next += Duration::minutes(1);
                }
                alerts += d.push(black_box(fix)).len();
            }
            black_box(alerts)
        })
    });
    group.finish();
}

criterion_group!(benches, detect);
criterion_main!(benches);
