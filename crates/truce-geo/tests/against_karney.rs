//! Property tests: the indexed distance against the brute-force Karney reference, on the shipped line
//! of contact, on a dense 2,000-vertex line, and on random lines that wiggle and double back.

#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use truce_geo::fixtures::line_of_contact_2025;
use truce_geo::geodesic::{distance_m, reference_distance_to_line_m};
use truce_geo::{LineIndex, LineOptions, LonLat, Side};

fn assert_close(index: &LineIndex, parts: &[Vec<LonLat>], p: LonLat) -> Result<(), TestCaseError> {
    let got = index.query(p).distance_m;
    let want = reference_distance_to_line_m(p, parts);
    let allowed = (want * 0.001).max(1.0);
    prop_assert!((got - want).abs() <= allowed, "{:?}: index {} m, Karney {} m", p, got, want);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 120, .. ProptestConfig::default() })]

    #[test]
    fn line_of_contact_within_1000_km(lon in 22.0f64..52.0, lat in 40.0f64..57.0) {
        let parts = vec![line_of_contact_2025()];
        let index = LineIndex::new(&parts, LineOptions::default()).unwrap();
        let p = LonLat::new(lon, lat);
        prop_assume!(reference_distance_to_line_m(p, &parts) <= 1_000_000.0);
        assert_close(&index, &parts, p)?;
    }

    #[test]
    fn close_to_the_line(
        k in 0usize..20, t in 0.0f64..1.0, off_lon in -0.05f64..0.05, off_lat in -0.05f64..0.05, leaf in 4usize..=12,
    ) {
        // Any number of candidates a leaf gives the same distances (a shallower tree, more chords).
        let parts = vec![line_of_contact_2025()];
        let index = LineIndex::new(&parts, LineOptions { leaf_candidates: leaf, ..LineOptions::default() }).unwrap();
        let (a, b) = (parts[0][k], parts[0][k + 1]);
        let p = LonLat::new(a.lon + (b.lon - a.lon) * t + off_lon, a.lat + (b.lat - a.lat) * t + off_lat);
        assert_close(&index, &parts, p)?;
    }

    #[test]
    fn random_lines_that_double_back(
        pts in prop::collection::vec((30.0f64..40.0, 45.0f64..50.0), 2..12),
        lon in 25.0f64..45.0, lat in 42.0f64..53.0, leaf in 4usize..=12,
    ) {
        let line: Vec<LonLat> = pts.iter().map(|&(x, y)| LonLat::new(x, y)).collect();
        prop_assume!(line.windows(2).all(|w| distance_m(w[0], w[1]) > 1.0));
        let parts = vec![line];
        let index = LineIndex::new(&parts, LineOptions { leaf_candidates: leaf, ..LineOptions::default() }).unwrap();
        assert_close(&index, &parts, LonLat::new(lon, lat))?;
    }
}

#[test]
fn dense_line_stays_exact_and_compact() {
    let parts = vec![truce_geo::fixtures::zigzag(&line_of_contact_2025(), 2_000, 0.015)];
    let index = LineIndex::new(&parts, LineOptions::default()).unwrap();
    let stats = index.stats();
    eprintln!("2,000-vertex line: {stats:?}");
    assert_eq!(stats.vertices, 2_000);
    for p in truce_geo::fixtures::Rng::new(42).points(150, (31.0, 46.0, 39.0, 51.0)) {
        assert_close(&index, &parts, p).unwrap();
    }
}

#[test]
fn side_agrees_with_the_party_holding_the_ground() {
    let index = LineIndex::new(&[line_of_contact_2025()], LineOptions::default()).unwrap();
    // Walking the line north-east to south-west, Russian-held ground is on the left.
    let left = [(37.8028, 48.0159), (39.3078, 48.5740), (35.3658, 46.8489), (32.5, 46.5), (34.1024, 44.9521)];
    let right = [(37.5557, 48.7305), (35.1396, 47.8388), (32.6169, 46.6354), (36.2304, 49.9935), (31.5414, 46.6206)];
    for (lon, lat) in left {
        assert_eq!(index.query(LonLat::new(lon, lat)).side, Side::Left, "{lon},{lat}");
    }
    for (lon, lat) in right {
        assert_eq!(index.query(LonLat::new(lon, lat)).side, Side::Right, "{lon},{lat}");
    }
}
