//! Prints the size of the line index for the line of contact grown to several vertex counts.
//! `cargo run --release -p truce-geo --example line_stats`

use truce_geo::LineIndex;
use truce_geo::LineOptions;
use truce_geo::fixtures::{Rng, line_of_contact_2025, zigzag};

fn main() {
    let base = line_of_contact_2025();
    let points = Rng::new(7).points(200_000, (29.5, 45.0, 40.5, 51.5));
    for n in [21usize, 200, 2_000, 20_000] {
        let line = if n == base.len() { base.clone() } else { zigzag(&base, n, 0.015) };
        let t = std::time::Instant::now();
        let index = LineIndex::new(&[line], LineOptions::default()).expect("line");
        let built = t.elapsed();
        let t = std::time::Instant::now();
        let sum: f64 = points.iter().map(|&p| index.query(p).distance_m).sum();
        let per = t.elapsed().as_nanos() as f64 / points.len() as f64;
        println!("{n:>6} vertices: built in {built:.2?}, {:?}, {per:.0} ns/point (checksum {sum:.0})", index.stats());
    }
}
