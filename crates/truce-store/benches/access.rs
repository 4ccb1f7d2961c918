//! What the access rule costs a query: the same statistics and page over 200,000 labelled
//! observations (a month), read as the operator (no predicate) and as a national representative (the
//! rule as SQL over the label columns, with dated groups).
//!
//! `cargo bench -p truce-store --bench access`

use criterion::{Criterion, criterion_group, criterion_main};
use time::Duration;
use truce_access::{Access, Policy, Role, Viewer};
use truce_core::{Category, Marking};
use truce_store::conformance::observations::observation;
use truce_store::{ObservationStore, Query, Scope, SqliteStore};

const ROWS: usize = 200_000;

fn store() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = SqliteStore::open(dir.path()).expect("a store");
    let codes: [&[&str]; 6] = [&[], &["GBR", "FRA"], &["NATO"], &["UKR", "USA"], &["PUBLIC"], &["EU"]];
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let mut batch = Vec::with_capacity(10_000);
    for i in 0..ROWS {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let minute = (i as i64 * 30 * 24 * 60) / ROWS as i64;
        let lat = 47.0 + (x % 20_000) as f64 / 10_000.0;
        let lon = 35.0 + ((x >> 20) % 40_000) as f64 / 10_000.0;
        let mut o = observation(&format!("o{i}"), minute, lat, lon, Category::ExplosionImpact);
        o.observation.marking = Marking::ALL[(x >> 40) as usize % 3];
        o.observation.releasable_to = codes[(x >> 44) as usize % codes.len()].iter().map(|c| (*c).to_owned()).collect();
        batch.push(o);
        if batch.len() == 10_000 {
            store.insert(&batch).expect("insert");
            batch.clear();
        }
    }
    (dir, store)
}

fn bench(c: &mut Criterion) {
    let (_dir, store) = store();
    let policy = Policy::shipped();
    let viewer = Viewer {
        name: "pol.rep".into(),
        nation: Some("POL".into()),
        role: Role::NationalRep,
        clearance: Marking::NatoRestricted,
        categories: Default::default(),
    };
    let rep = store.scoped(Access::new(&policy, &viewer));
    let day = truce_store::conformance::observations::T0 + Duration::days(10);
    let q = Query { since: Some(day), until: Some(day + Duration::days(1)), limit: 1_000, ..Query::default() };
    let all = Query { limit: 1_000, ..Query::default() };
    let mut g = c.benchmark_group("access");
    g.sample_size(20);
    g.bench_function("stats_month/operator", |b| b.iter(|| store.stats(&all).expect("stats")));
    g.bench_function("stats_month/national_rep", |b| b.iter(|| rep.stats(&all).expect("stats")));
    g.bench_function("page_day/operator", |b| b.iter(|| store.query(&q).expect("query")));
    g.bench_function("page_day/national_rep", |b| b.iter(|| rep.query(&q).expect("query")));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
