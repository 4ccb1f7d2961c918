//! The classification hot path.
//!
//! - `classify`: the whole kernel (every line, zone and violation rule of the illustrative agreement)
//!   over uniform points around the line, with a realistic mix of categories and times;
//! - `line_query`: distance and side alone, for the shipped 21-vertex line and the same line grown to
//!   2,000 vertices: the cost per point must stay flat;
//! - `classify/illustrative_2000_vertices`, `classify/illustrative_20000_vertices`: the whole kernel
//!   with the line of contact grown to 2,000 and 20,000 vertices by a zig-zag of up to 0.015° at every
//!   vertex ([`zigzag`]): a worst case, a sawtooth 3 km wide that crosses itself, whose every cell near
//!   it holds dozens of chords: the cost per point must stay flat;
//! - `classify_border/{191,1905,19042}_vertices`: the whole kernel with the line of contact replaced by
//!   a real line, Ukraine's mainland outline at 10 m detail (`data/geo/ukraine_border_10m.geojson`,
//!   OpenStreetMap, 19,042 vertices, 10,665 km), at every 100th and 10th vertex and whole, with points
//!   over its box: how the cost grows when a real line gains detail.
//!
//! Run: `cargo bench -p truce-engine --bench classify`.

use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use truce_core::Category;
use truce_engine::{Agreement, Classification, Observation};
use truce_geo::fixtures::{Rng, zigzag};
use truce_geo::{LineIndex, LineOptions, LonLat};

const BOX: (f64, f64, f64, f64) = (29.5, 45.0, 40.5, 51.5);
const N: usize = 100_000;

fn agreement_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/agreements/illustrative.toml")
}

/// The illustrative agreement with its line of contact replaced by an `n`-vertex version.
fn agreement_grown(base: &Agreement, n: usize) -> Agreement {
    agreement_with_line(&zigzag(&base.lines[0].parts[0], n, 0.015), &format!("loc_{n}"))
}

/// Ukraine's mainland outline as one open line (`data/geo/ukraine_border_10m.geojson`).
fn border() -> Vec<LonLat> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/geo/ukraine_border_10m.geojson");
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).expect("border")).expect("json");
    let coords = doc["features"][0]["geometry"]["coordinates"].as_array().expect("coordinates");
    coords.iter().map(|c| LonLat::new(c[0].as_f64().expect("lon"), c[1].as_f64().expect("lat"))).collect()
}

/// Every `k`-th vertex of `line`, and its last.
fn every(line: &[LonLat], k: usize) -> Vec<LonLat> {
    let mut out: Vec<LonLat> = line.iter().copied().step_by(k).collect();
    if !(line.len() - 1).is_multiple_of(k) {
        out.push(line[line.len() - 1]);
    }
    out
}

/// The illustrative agreement with its line of contact replaced by `line` (written to a temporary
/// file named after `name`).
fn agreement_with_line(line: &[LonLat], name: &str) -> Agreement {
    let coords: Vec<String> = line.iter().map(|p| format!("[{},{}]", p.lon, p.lat)).collect();
    let dir = std::env::temp_dir().join(format!("truce-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join(format!("{name}.geojson"));
    std::fs::write(&file, format!(r#"{{"type":"LineString","coordinates":[{}]}}"#, coords.join(",")))
        .expect("write fixture");
    let text = std::fs::read_to_string(agreement_path()).expect("agreement");
    let text = text.replacen(
        "geometry = \"../geo/contact_line_2025_approx.geojson\"\nfeature = \"loc\"",
        &format!("geometry = {:?}", file.display().to_string()),
        1,
    );
    Agreement::from_toml(&text, &agreement_path()).expect("grown agreement")
}

fn observations(a: &Agreement, area: (f64, f64, f64, f64)) -> Vec<Observation> {
    let mut rng = Rng::new(7);
    let cats = [
        Category::ExplosionImpact,
        Category::ExplosionOutgoing,
        Category::BurstsAndShots,
        Category::WeaponSighting,
        Category::Aircraft,
    ];
    let start = time::macros::datetime!(2026-11-10 00:00 UTC);
    rng.points(N, area)
        .into_iter()
        .map(|position| {
            let category = cats[(rng.uniform(0.0, cats.len() as f64)) as usize];
            let weapon_class =
                (category == Category::WeaponSighting).then(|| rng.uniform(0.0, a.classes.len() as f64) as usize);
            let time = start + time::Duration::seconds(rng.uniform(0.0, 20.0 * 86_400.0) as i64);
            Observation {
                time: Some(time),
                position,
                category: Some(category),
                weapon_class,
                count: Some(1),
                party: None,
            }
        })
        .collect()
}

/// Classifies every observation, reusing one output: the violations found, so that nothing is optimised
/// away.
fn violations(agreement: &Agreement, obs: &[Observation]) -> usize {
    let mut out = Classification::default();
    let mut violations = 0;
    for o in obs {
        agreement.classify_into(o, &mut out);
        violations += out.violations.len();
    }
    violations
}

fn bench(c: &mut Criterion) {
    let a = Agreement::load(&agreement_path()).expect("illustrative agreement");
    let a2000 = agreement_grown(&a, 2_000);
    let a20000 = agreement_grown(&a, 20_000);
    let obs = observations(&a, BOX);

    let mut g = c.benchmark_group("classify");
    g.throughput(Throughput::Elements(N as u64));
    for (name, agreement) in [
        ("illustrative_21_vertices", &a),
        ("illustrative_2000_vertices", &a2000),
        ("illustrative_20000_vertices", &a20000),
    ] {
        g.bench_function(name, |b| b.iter(|| violations(agreement, &obs)));
    }
    g.finish();

    let line = border();
    let (lon, lat) = (line.iter().map(|p| p.lon), line.iter().map(|p| p.lat));
    let area = (
        lon.clone().fold(f64::MAX, f64::min),
        lat.clone().fold(f64::MAX, f64::min),
        lon.fold(f64::MIN, f64::max),
        lat.fold(f64::MIN, f64::max),
    );
    let border_obs = observations(&a, area);
    let mut g = c.benchmark_group("classify_border");
    g.throughput(Throughput::Elements(N as u64));
    for k in [100, 10, 1] {
        let line = every(&line, k);
        let agreement = agreement_with_line(&line, &format!("border_{}", line.len()));
        g.bench_function(format!("{}_vertices", line.len()), |b| b.iter(|| violations(&agreement, &border_obs)));
    }
    g.finish();

    let base = a.lines[0].parts[0].clone();
    let points: Vec<LonLat> = obs.iter().map(|o| o.position).collect();
    let mut g = c.benchmark_group("line_query");
    g.throughput(Throughput::Elements(N as u64));
    for n in [21usize, 200, 2_000, 20_000] {
        let line = if n == base.len() { base.clone() } else { zigzag(&base, n, 0.015) };
        let index = LineIndex::new(&[line], LineOptions::default()).expect("line");
        g.bench_function(format!("{n}_vertices"), |b| {
            b.iter(|| points.iter().map(|&p| index.query(p).distance_m).sum::<f64>());
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(4)).warm_up_time(std::time::Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
