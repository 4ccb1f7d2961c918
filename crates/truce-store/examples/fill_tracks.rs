//! Fills a data directory's embedded store with TAK track history for `scripts/bench-year`: `N` CoT
//! positions of 1,000 units spread evenly over a period, written through the store's own
//! [`TrackStore::insert_tracks`] (the path the TAK server takes) in batches of 10,000, each a durable
//! transaction. The units walk at random inside lon 29.5–40.5, lat 45–51.5 with a fixed seed, so every
//! run writes the same rows.
//!
//! Run: `cargo run --release -p truce-store --example fill_tracks -- DATA_DIR N FROM TO`
//! (`FROM`, `TO`: RFC 3339).

use std::path::Path;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use truce_core::TrackRow;
use truce_store::{SqliteStore, TrackStore};

const UNITS: u64 = 1_000;
const BATCH: u64 = 10_000;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, n, from, to] = args.as_slice() else {
        eprintln!("usage: fill_tracks DATA_DIR N FROM TO (RFC 3339 times)");
        std::process::exit(2);
    };
    let fail = |what: &str, e: &dyn std::fmt::Display| -> ! {
        eprintln!("fill_tracks: {what}: {e}");
        std::process::exit(2)
    };
    let n: u64 = n.parse().unwrap_or_else(|e| fail("N", &e));
    let from = OffsetDateTime::parse(from, &Rfc3339).unwrap_or_else(|e| fail("FROM", &e));
    let to = OffsetDateTime::parse(to, &Rfc3339).unwrap_or_else(|e| fail("TO", &e));
    if n == 0 || to <= from {
        fail("arguments", &"N must be positive and TO after FROM");
    }
    let store = SqliteStore::open(Path::new(dir)).unwrap_or_else(|e| fail("open", &e));
    let step_ns = (to - from).whole_nanoseconds() / i128::from(n);
    // The workspace's deterministic generator (the geometry fixtures'): the positions need no better.
    let mut rng = truce_geo::fixtures::Rng::new(0x5eed);
    let mut next = move || rng.uniform(0.0, 1.0);
    let mut at: Vec<(f64, f64)> = (0..UNITS).map(|_| (29.5 + 11.0 * next(), 45.0 + 6.5 * next())).collect();
    let started = std::time::Instant::now();
    let mut i = 0u64;
    while i < n {
        let rows: Vec<TrackRow> = (i..n.min(i + BATCH))
            .map(|k| {
                let unit = k % UNITS;
                let p = &mut at[unit as usize];
                p.0 = (p.0 + (next() - 0.5) * 0.01).clamp(29.5, 40.5);
                p.1 = (p.1 + (next() - 0.5) * 0.01).clamp(45.0, 51.5);
                let time = from + time::Duration::nanoseconds((step_ns * i128::from(k)) as i64);
                let uid = format!("bench-unit-{unit:04}");
                TrackRow {
                    xml: format!(
                        r#"<event version="2.0" uid="{uid}" type="a-f-G-U-C" how="m-g" time="{t}" start="{t}" stale="{t}"><point lat="{:.6}" lon="{:.6}" hae="0" ce="10" le="10"/></event>"#,
                        p.1,
                        p.0,
                        t = time.format(&Rfc3339).unwrap_or_default(),
                    ),
                    uid,
                    type_: "a-f-G-U-C".into(),
                    how: "m-g".into(),
                    callsign: Some(format!("UNIT {unit}")),
                    group: Some("Cyan".into()),
                    source: "fill_tracks".into(),
                    peer: "bench".into(),
                    time,
                    start: time,
                    stale: time + time::Duration::minutes(2),
                    received_at: time,
                    lat: p.1,
                    lon: p.0,
                    hae: 0.0,
                    ce: 10.0,
                    course: None,
                    speed: None,
                    classification: None,
                    label: truce_core::Label::default(),
                }
            })
            .collect();
        store.insert_tracks(&rows, &[]).unwrap_or_else(|e| fail("insert", &e));
        i += rows.len() as u64;
    }
    let secs = started.elapsed().as_secs_f64();
    println!("fill_tracks: {n} track points of {UNITS} units stored in {secs:.1} s ({:.0}/s)", n as f64 / secs);
}
