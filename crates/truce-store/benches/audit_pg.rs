//! The shared audit log's figures on PostgreSQL (`truce_audit::table` on `PgStore`): durable appends a
//! second from two nodes (two stores, four threads each, every append waiting for its commit; the
//! advisory lock orders them and each node group-commits its own), and `verify_table` of 100,000 rows.
//!
//! Needs a PostgreSQL server with its durable defaults (`scripts/pg start DIR --durable` prints the URL)
//! in `TRUCE_BENCH_POSTGRES`; each run works in a schema of its own, dropped at the end. Without the
//! variable it says so and measures nothing.

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use truce_audit::{AuditLog, Entry, Kind, verify_table};
use truce_store::{PgStore, Scope};

/// The entry of the file log's bench (`truce-audit/benches/audit.rs`): about 300 bytes on its line.
fn entry(i: u64) -> Entry {
    Entry::new(Kind::Write, format!("monitor-{}", i % 50), "POST /api/v1/observations")
        .nation("FRA")
        .target(format!("obs-{i:08}"))
        .detail("category=shelling source=patrol")
}

/// A schema of the bench server, dropped at the end.
struct Schema {
    server: String,
    url: String,
    name: String,
}

impl Schema {
    fn new(server: String) -> Schema {
        let name = format!("bench_audit_{}", std::process::id());
        let sep = if server.contains('?') { '&' } else { '?' };
        Schema { url: format!("{server}{sep}schema={name}"), server, name }
    }

    fn log(&self, dir: &std::path::Path) -> AuditLog {
        let store = PgStore::open(&self.url).expect("the bench database");
        AuditLog::open_table(dir, store.audit_table().expect("a table")).expect("open")
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&self.server, postgres::NoTls) {
            let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
        }
    }
}

fn shared_log(c: &mut Criterion) {
    let Ok(server) = std::env::var("TRUCE_BENCH_POSTGRES") else {
        eprintln!("audit_pg: TRUCE_BENCH_POSTGRES is not set (scripts/pg start DIR --durable): nothing measured");
        return;
    };
    let schema = Schema::new(server);
    let dir = tempfile::tempdir().expect("a directory for the keys");
    let nodes = [Arc::new(schema.log(&dir.path().join("a"))), Arc::new(schema.log(&dir.path().join("b")))];
    let mut g = c.benchmark_group("shared_append");
    g.throughput(Throughput::Elements(1));
    g.bench_function("durable_2_nodes_8_threads", |b| {
        b.iter_custom(|iters| {
            let per = iters.div_ceil(8);
            let start = Instant::now();
            std::thread::scope(|s| {
                for t in 0..8u64 {
                    let log = &nodes[t as usize % 2];
                    s.spawn(move || {
                        for i in 0..per {
                            log.append(&entry(t * per + i)).expect("append");
                        }
                    });
                }
            });
            start.elapsed().mul_f64(iters as f64 / (8 * per) as f64)
        })
    });
    g.throughput(Throughput::Elements(100));
    g.bench_function("durable_batches_of_100", |b| {
        let batch: Vec<Entry> = (0..100).map(entry).collect();
        b.iter(|| nodes[0].append_batch(&batch).expect("append"))
    });
    g.finish();

    // Fill up to 100,000 rows, then check them all.
    const N: u64 = 100_000;
    let have = nodes[1].size();
    for chunk in (have..N).collect::<Vec<_>>().chunks(10_000) {
        let batch: Vec<Entry> = chunk.iter().map(|&i| entry(i)).collect();
        nodes[1].append_batch(&batch).expect("append");
    }
    let size = nodes[0].size();
    let store = PgStore::open(&schema.url).expect("the bench database");
    let table = store.audit_table().expect("a table");
    let mut g = c.benchmark_group("shared_verify");
    g.sample_size(10).measurement_time(Duration::from_secs(15));
    g.throughput(Throughput::Elements(size));
    g.bench_function(format!("{size}_rows"), |b| {
        b.iter(|| assert_eq!(verify_table(&*table, None).expect("intact").entries, size))
    });
    g.finish();
}

criterion_group!(benches, shared_log);
criterion_main!(benches);
