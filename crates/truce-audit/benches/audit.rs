//! The audit log's figures: durable appends a second with 8 threads appending at once (each append
//! waits for its own fsync, group commit shares them), the same in batches of 100, and `verify` of a
//! log of 1,000,000 entries. The files live under the target directory, on the disk the build uses
//! (not a tmpfs, where fsync would cost nothing).

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use truce_audit::{AuditLog, Entry, Kind, verify};

/// A typical entry: about 300 bytes on its line.
fn entry(i: u64) -> Entry {
    Entry::new(Kind::Write, format!("monitor-{}", i % 50), "POST /api/v1/observations")
        .nation("FRA")
        .target(format!("obs-{i:08}"))
        .detail("category=shelling source=patrol")
}

fn dir() -> tempfile::TempDir {
    tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("a temporary directory")
}

fn appends(c: &mut Criterion) {
    let d = dir();
    let log = Arc::new(AuditLog::open(d.path()).expect("open"));
    let mut g = c.benchmark_group("append");
    g.throughput(Throughput::Elements(1));
    g.bench_function("durable_8_threads", |b| {
        b.iter_custom(|iters| {
            let per = iters.div_ceil(8);
            let start = Instant::now();
            std::thread::scope(|s| {
                for t in 0..8u64 {
                    let log = &log;
                    s.spawn(move || {
                        for i in 0..per {
                            log.append(&entry(t * per + i)).expect("append");
                        }
                    });
                }
            });
            // Scale to `iters` appends (8 · per may exceed it by up to 7).
            start.elapsed().mul_f64(iters as f64 / (8 * per) as f64)
        })
    });
    g.throughput(Throughput::Elements(100));
    g.bench_function("durable_batches_of_100", |b| {
        let batch: Vec<Entry> = (0..100).map(entry).collect();
        b.iter(|| log.append_batch(&batch).expect("append"))
    });
    g.finish();
}

fn verify_million(c: &mut Criterion) {
    const N: u64 = 1_000_000;
    let d = dir();
    {
        let log = AuditLog::open(d.path()).expect("open");
        for chunk in 0..N / 10_000 {
            let batch: Vec<Entry> = (chunk * 10_000..(chunk + 1) * 10_000).map(entry).collect();
            log.append_batch(&batch).expect("append");
        }
    }
    let mut g = c.benchmark_group("verify");
    g.sample_size(10).measurement_time(Duration::from_secs(25)).warm_up_time(Duration::from_secs(3));
    g.throughput(Throughput::Elements(N));
    g.bench_function("1000000_entries", |b| {
        b.iter(|| {
            let r = verify(d.path(), None).expect("intact");
            assert_eq!(r.entries, N);
        })
    });
    g.finish();
}

criterion_group!(benches, appends, verify_million);
criterion_main!(benches);
