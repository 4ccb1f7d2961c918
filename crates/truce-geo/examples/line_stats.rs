//! Prints the size of the line index for the line of contact grown to several vertex counts.
//! `cargo run --release -p truce-geo --example line_stats`

use truce_geo::fixtures::{Rng, zigzag};
use truce_geo::{LineIndex, LineOptions, LonLat};

fn main() {
    let base: Vec<LonLat> = [
        [36.94278, 50.28778],
        [37.583, 49.717],
        [37.64083, 49.38167],
        [37.81111, 48.98528],
        [38.09722, 48.86306],
        [37.83588, 48.58844],
        [37.87333, 48.39167],
        [37.18278, 48.28278],
        [36.835, 47.83833],
        [36.25306, 47.66639],
        [35.82611, 47.44306],
        [35.43972, 47.52278],
        [34.40305, 47.51489],
        [33.39585, 46.79415],
        [32.64983, 46.63334],
        [32.33, 46.51],
        [32.2, 46.528],
        [32.0, 46.566],
        [31.8, 46.571],
        [31.65, 46.593],
        [31.52633, 46.59728],
    ]
    .iter()
    .map(|c| LonLat::new(c[0], c[1]))
    .collect();
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
