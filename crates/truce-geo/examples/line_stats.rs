//! Prints the size of the line index for the line of contact grown to several vertex counts, and how
//! the cell table built over that line answers its cells (one piece, a short list, or the exact walk;
//! a subdivided cell's sub-cells counted as their parts of it):
//! why a denser line costs more a point (README, "Performance").
//! `cargo run --release -p truce-geo --example line_stats`

use truce_geo::fixtures::{Rng, line_of_contact_2025, zigzag};
use truce_geo::{FenceTable, LineIndex, LineOptions, ZoneIndex};

fn main() {
    let base = line_of_contact_2025();
    let points = Rng::new(7).points(200_000, (29.5, 45.0, 40.5, 51.5));
    let no_zones = ZoneIndex::new(&[]).expect("no zones");
    for n in [21usize, 200, 2_000, 20_000] {
        let line = if n == base.len() { base.clone() } else { zigzag(&base, n, 0.015) };
        let t = std::time::Instant::now();
        let index = LineIndex::new(&[line], LineOptions::default()).expect("line");
        let built = t.elapsed();
        let t = std::time::Instant::now();
        let sum: f64 = points.iter().map(|&p| index.query(p).distance_m).sum();
        let per = t.elapsed().as_nanos() as f64 / points.len() as f64;
        println!("{n:>6} vertices: built in {built:.2?}, {:?}, {per:.0} ns/point (checksum {sum:.0})", index.stats());
        let t = std::time::Instant::now();
        let table = FenceTable::new(&[&index], &no_zones);
        let table_built = t.elapsed();
        let table = table.stats();
        let (one, exact) = (table.single_piece[0], table.line_exact[0]);
        println!(
            "        cell table: {} cells of {}°, {:.1}% of them subdivided: one piece {:.1}%, a list {:.1}%, the exact walk {:.1}% ({:.2} MB, built in {table_built:.2?})",
            table.cells,
            table.cell_deg,
            table.subdivided * 100.0,
            one * 100.0,
            (1.0 - one - exact) * 100.0,
            exact * 100.0,
            table.bytes as f64 / 1e6
        );
    }
}
