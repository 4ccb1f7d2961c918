//! Checking a large plan: 10,000 deployments against the illustrative agreement, the shipped theatre
//! and the shipped pledges.
//!
//! - `plan_check/10k_points`: 1,000 units (copies of the shipped illustrative units, so their pledges,
//!   caveats and statuses are real), each deployed ten times in a row for 30 days at uniform random
//!   points over Ukraine, its neighbours and the Black Sea (lon 22–40°E, lat 44–52.5°N), 100 tasks to
//!   cover: every per-deployment rule plus double bookings, pledge quantities over time and rotation
//!   gaps.
//! - `plan_check/10k_mixed`: the same with every 50th deployment an air patrol area (a 0.5° × 0.3° box,
//!   about 110 km around, sampled every 500 m).
//!
//! Run: `cargo bench -p truce-coalition --bench plan_check`.

use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use truce_coalition::model::{Day, Deployment, Domain, Plan, Task, Unit};
use truce_coalition::plan::Checker;
use truce_coalition::{Coalition, file};
use truce_engine::Agreement;
use truce_geo::fixtures::Rng;

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data").join(rel)
}

fn shipped() -> Coalition {
    let files: Vec<PathBuf> =
        ["positions.toml", "force.toml"].iter().map(|f| data(&format!("coalition/{f}"))).collect();
    file::load(&files, &Coalition::default(), &truce_access::Policy::shipped())
        .expect("the shipped coalition loads")
        .merged
}

/// 1,000 units and 10,000 deployments; every `area_every`-th one an air patrol area (0: none).
fn big_plan(c: &mut Coalition, area_every: usize) -> Plan {
    let mut rng = Rng::new(11);
    let templates: Vec<Unit> = c.units.clone();
    let air: Vec<Unit> = templates.iter().filter(|u| u.domain == Domain::Air).cloned().collect();
    let mut units = Vec::new();
    for k in 0..1_000 {
        let mut u = templates[k % templates.len()].clone();
        u.id = format!("{}-{k}", u.id);
        units.push(u);
    }
    for k in 0..20 {
        let mut u = air[k % air.len()].clone();
        u.id = format!("{}-air-{k}", u.id);
        units.push(u);
    }
    let start = Day::parse("2026-12-01").expect("day").ordinal();
    let tasks: Vec<Task> = (0..100)
        .map(|t| Task {
            id: format!("t{t}"),
            name: format!("Task {t}"),
            from: Day::from_ordinal(start).expect("day"),
            until: Day::from_ordinal(start + 299).expect("day"),
            max_gap_days: 2,
            max_tour_days: Some(60),
        })
        .collect();
    let mut deployments = Vec::new();
    for i in 0..10_000 {
        let (unit, area) = if area_every > 0 && i % area_every == 0 {
            let u = &units[1_000 + (i / area_every) % 20];
            let (x, y) = (rng.uniform(23.0, 35.0), rng.uniform(47.0, 51.0));
            let ring = vec![[x, y], [x + 0.5, y], [x + 0.5, y + 0.3], [x, y + 0.3], [x, y]];
            (u, Some(ring))
        } else {
            (&units[i % 1_000], None)
        };
        let round = (i / 1_000) as i64;
        let position = [rng.uniform(22.0, 40.0), rng.uniform(44.0, 52.5)];
        deployments.push(Deployment {
            unit: unit.id.clone(),
            place: None,
            position: area.as_ref().map_or(position, |a| [a[0][0] + 0.25, a[0][1] + 0.15]),
            area,
            from: Day::from_ordinal(start + round * 30).expect("day"),
            until: Day::from_ordinal(start + round * 30 + 29),
            task: Some(format!("t{}", i % 100)),
            line: i + 1,
        });
    }
    c.units.extend(units);
    Plan {
        id: "big".into(),
        name: "Big".into(),
        standoff_km: None,
        standoff_line: None,
        notes: None,
        tasks,
        deployments,
        file: String::new(),
        illustrative: true,
        label: Default::default(),
    }
}

fn bench(c: &mut Criterion) {
    let agreement = Agreement::load(&data("agreements/illustrative.toml")).expect("agreement");
    let mut group = c.benchmark_group("plan_check");
    group.sample_size(10);
    for (name, every) in [("10k_points", 0), ("10k_mixed", 50)] {
        let mut coalition = shipped();
        let plan = big_plan(&mut coalition, every);
        let checker = Checker::new(&agreement, &coalition).expect("checker");
        let findings = checker.check(&plan).findings.len();
        assert!(findings > 0, "a random plan has findings");
        group.throughput(Throughput::Elements(plan.deployments.len() as u64));
        group.bench_function(name, |b| b.iter(|| checker.check(std::hint::black_box(&plan))));
    }
    group.finish();
    // The checker's set-up (indexing the theatre), once per check in the CLI and the API.
    let coalition = shipped();
    c.bench_function("plan_check/setup", |b| b.iter(|| Checker::new(&agreement, &coalition).expect("checker")));
}

criterion_group!(benches, bench);
criterion_main!(benches);
