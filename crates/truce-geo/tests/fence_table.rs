//! Property tests: a [`FenceTable`] answers exactly as the indexes' exact paths (the quadtree walks),
//! bit for bit, on random points and on the places where a table could go wrong: cell edges and
//! corners, line vertices, zone edges and vertices, and far outside the grid.

#![allow(clippy::unwrap_used)]

use std::sync::OnceLock;

use proptest::prelude::*;
use truce_geo::fixtures::{Rng, line_of_contact_2025, zigzag};
use truce_geo::{FenceTable, LineIndex, LineOptions, LonLat, QueryPoint, SideBeyondEnds, ZoneIndex, ZonePolygon};

struct Fences {
    parts: Vec<Vec<Vec<LonLat>>>,
    lines: Vec<LineIndex>,
    zones: ZoneIndex,
    polygons: Vec<ZonePolygon>,
    table: FenceTable,
}

fn ring(c: &[(f64, f64)]) -> Vec<LonLat> {
    c.iter().map(|&(x, y)| LonLat::new(x, y)).collect()
}

/// The line of contact, the same grown to 2,000 vertices (undetermined beyond its ends), a two-part
/// line, the line of contact with a bulge (as a party's line drawn from it), the line of contact again
/// but undetermined beyond its ends (its end pieces answer differently); zones: a star with a hole, a square with a hole astride the line, a thin triangle.
fn fences() -> &'static Fences {
    static F: OnceLock<Fences> = OnceLock::new();
    F.get_or_init(|| {
        let loc = line_of_contact_2025();
        let mut bulge = loc.clone();
        // Off the line at a vertex where it bends, bending the same way but less: beyond that vertex
        // both lines' pieces before it are nearest, and their sides differ where the bends differ.
        bulge.splice(10..10, [LonLat::new(36.00306, 47.56639)]);
        let parts = vec![
            vec![loc.clone()],
            vec![zigzag(&loc, 2_000, 0.015)],
            vec![ring(&[(33.0, 45.5), (34.0, 46.2), (35.5, 46.0)]), ring(&[(36.0, 50.5), (38.5, 51.0)])],
            vec![bulge],
            vec![loc.clone()],
        ];
        let undetermined = LineOptions { beyond_ends: SideBeyondEnds::Undetermined, ..LineOptions::default() };
        let options =
            [LineOptions::default(), undetermined, LineOptions::default(), LineOptions::default(), undetermined];
        let lines: Vec<LineIndex> = parts.iter().zip(options).map(|(p, o)| LineIndex::new(p, o).unwrap()).collect();
        let mut star = Vec::new();
        for k in 0..24 {
            let a = f64::from(k) * std::f64::consts::TAU / 24.0;
            let r = if k % 2 == 0 { 1.0 } else { 0.45 };
            star.push(LonLat::new(35.0 + r * a.cos(), 48.5 + r * 0.7 * a.sin()));
        }
        star.push(star[0]);
        let polygons = vec![
            ZonePolygon {
                polygons: vec![vec![
                    star,
                    ring(&[(34.9, 48.4), (34.9, 48.6), (35.1, 48.6), (35.1, 48.4), (34.9, 48.4)]),
                ]],
            },
            ZonePolygon {
                polygons: vec![vec![
                    ring(&[(37.0, 48.0), (38.5, 48.0), (38.5, 49.0), (37.0, 49.0), (37.0, 48.0)]),
                    ring(&[(37.5, 48.25), (37.5, 48.75), (38.0, 48.75), (38.0, 48.25), (37.5, 48.25)]),
                ]],
            },
            ZonePolygon { polygons: vec![vec![ring(&[(31.0, 46.0), (33.0, 46.01), (31.0, 46.03), (31.0, 46.0)])]] },
        ];
        let zones = ZoneIndex::new(&polygons).unwrap();
        let table = FenceTable::new(&lines.iter().collect::<Vec<_>>(), &zones);
        Fences { parts, lines, zones, polygons, table }
    })
}

/// Checks one point; true when the table answered it (not on the exact path entirely).
fn same(p: LonLat) -> Result<bool, TestCaseError> {
    let f = fences();
    let Some(cell) = f.table.cell(p) else { return Ok(false) };
    let at = QueryPoint::new(p);
    let mut answers = Vec::new();
    for (k, line) in f.lines.iter().enumerate() {
        let (fast, exact) = (cell.line(k, line, &at, &answers), line.query_at(&at));
        prop_assert_eq!(fast, exact, "{:?}, line {}", p, k);
        answers.push(fast);
    }
    let (mut fast, mut exact) = (Vec::new(), Vec::new());
    cell.zones(&f.zones, p, &mut fast);
    f.zones.covering(p, &mut exact);
    prop_assert_eq!(&fast, &exact, "{:?}: zones", p);
    for (z, _) in f.polygons.iter().enumerate() {
        prop_assert_eq!(fast.contains(&(z as u32)), f.zones.covers(z, p), "{:?}: zone {} against the full test", p, z);
    }
    Ok(true)
}

fn cell_deg() -> f64 {
    fences().table.stats().cell_deg
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, .. ProptestConfig::default() })]

    #[test]
    fn random_points_around_the_fences(lon in 28.0f64..42.0, lat in 43.0f64..54.0) {
        same(LonLat::new(lon, lat))?;
    }

    #[test]
    fn anywhere_on_earth(lon in -180.0f64..=180.0, lat in -90.0f64..=90.0) {
        same(LonLat::new(lon, lat))?;
    }

    #[test]
    fn on_and_next_to_cell_edges_and_corners(
        i in 1_900i64..2_600, j in 2_850i64..3_300, along in 0.01f64..0.99, ulps in -3i64..=3, corner in any::<bool>(),
        away in 1.5e-9f64..1e-5, below in any::<bool>(),
    ) {
        let d = cell_deg();
        let lat = |x: f64| if corner { x } else { (j as f64 + along) * d };
        // Within a few ulps of an edge the table declines: the exact paths answer.
        let nudge = |x: f64| f64::from_bits((x.to_bits() as i64 + ulps) as u64);
        let on = LonLat::new(nudge(i as f64 * d), lat(nudge(j as f64 * d)));
        prop_assert!(fences().table.cell(on).is_none(), "{:?}", on);
        // Just beyond that, on either side of the edge, it answers, and answers right.
        let off = if below { -away } else { away };
        let near = LonLat::new((i as f64 + off) * d, lat((j as f64 + off) * d));
        prop_assert!(same(near)?, "{:?} not answered", near);
    }

    #[test]
    fn at_and_near_line_vertices(line in 0usize..3, pick in 0.0f64..1.0, dx in -2e-3f64..2e-3, dy in -2e-3f64..2e-3, exact in any::<bool>()) {
        let vertices: Vec<LonLat> = fences().parts[line].iter().flatten().copied().collect();
        let v = vertices[((vertices.len() - 1) as f64 * pick) as usize];
        let p = if exact { v } else { LonLat::new(v.lon + dx, v.lat + dy) };
        same(p)?;
    }

    /// Around the vertices of the lines that share pieces with the line of contact, out to a few
    /// cells: where the bulge leaves and rejoins it, a shared piece's neighbour differs, and with it
    /// the side beyond their vertex.
    #[test]
    fn around_the_vertices_of_lines_that_share_pieces(
        line in 3usize..5, pick in 0.0f64..1.0, dx in -0.15f64..0.15, dy in -0.15f64..0.15,
    ) {
        let vertices: Vec<LonLat> = fences().parts[line].iter().flatten().copied().collect();
        let v = vertices[((vertices.len() - 1) as f64 * pick) as usize];
        same(LonLat::new(v.lon + dx, v.lat + dy))?;
    }

    /// Around the dense line and the zone edges, where cells are subdivided: points on the edges and
    /// corners of sub-cells (a quarter of a cell), within a few ulps of them, or just beyond the
    /// margin where the sub-cell answers.
    #[test]
    fn on_and_next_to_sub_cell_edges(
        near_zone in any::<bool>(), pick in 0.0f64..1.0, dx in -0.1f64..0.1, dy in -0.1f64..0.1,
        snap_lon in any::<bool>(), snap_lat in any::<bool>(), ulps in -3i64..=3, away in prop::option::of(1.5e-9f64..1e-6),
    ) {
        let f = fences();
        let v = if near_zone {
            let ring: Vec<LonLat> = f.polygons.iter().flat_map(|z| z.polygons.iter().flatten().flatten().copied()).collect();
            ring[((ring.len() - 1) as f64 * pick) as usize]
        } else {
            f.parts[1][0][((f.parts[1][0].len() - 1) as f64 * pick) as usize]
        };
        let q = cell_deg() / 4.0;
        let snap = |x: f64, on: bool| {
            if !on {
                return x;
            }
            let edge = (x / q).round() * q;
            match away {
                Some(a) => edge + a * 4.0 * q * if ulps < 0 { -1.0 } else { 1.0 },
                None => f64::from_bits((edge.to_bits() as i64 + ulps) as u64),
            }
        };
        let p = LonLat::new(snap(v.lon + dx, snap_lon), snap(v.lat + dy, snap_lat));
        same(p)?;
        // Within a few ulps of a sub-cell's edge the whole cell's record answers.
        if away.is_none() && (snap_lon || snap_lat) && let Some(cell) = f.table.cell(p) {
            prop_assert_eq!(cell.level(), (1.0 / cell_deg()).log2() as u32, "{:?}", p);
        }
    }

    #[test]
    fn on_and_near_zone_edges_and_vertices(zone in 0usize..3, pick in 0.0f64..1.0, t in 0.0f64..1.0, off in -1e-6f64..1e-6, vertex in any::<bool>()) {
        let rings: Vec<&Vec<LonLat>> = fences().polygons[zone].polygons.iter().flatten().collect();
        let edges: Vec<(LonLat, LonLat)> = rings.iter().flat_map(|r| r.windows(2).map(|w| (w[0], w[1]))).collect();
        let (a, b) = edges[((edges.len() - 1) as f64 * pick) as usize];
        let p = if vertex { a } else { LonLat::new(a.lon + (b.lon - a.lon) * t, a.lat + (b.lat - a.lat) * t + off) };
        same(p)?;
    }
}

#[test]
fn the_table_answers_most_cells_with_one_piece_and_fits_in_a_few_mib() {
    let s = fences().table.stats();
    eprintln!("{s:?}");
    assert_eq!(s.single_piece.len(), 5);
    assert!(s.single_piece[0] > 0.4 && s.single_piece[2] > 0.4, "{s:?}");
    // The line with a bulge is the line of contact nearly everywhere; the line of contact again, but
    // undetermined beyond its ends, everywhere but beyond its ends.
    assert!(s.shared[3] > 0.8 && s.shared[4] > 0.5 && s.shared[4] < 0.99, "{s:?}");
    assert_eq!((s.shared[0], s.shared[1], s.shared[2]), (0.0, 0.0, 0.0), "{s:?}");
    assert!(s.zones_answered > 0.99, "{s:?}");
    // Cells where the dense line needs a walk or a long list, or a zone edge passes, are subdivided:
    // the walks that are left are a fraction of a per cent. Sub-cells' records are mostly distinct
    // (the dense line's pieces), which makes the table several MiB.
    assert!(s.subdivided > 0.02 && s.line_exact[1] < 0.005, "{s:?}");
    assert!(s.bytes < 12 << 20, "{s:?}");
    // Most random points near the fences are answered from the table, and answered right.
    let answered =
        Rng::new(11).points(20_000, (29.5, 45.0, 40.5, 51.5)).into_iter().filter(|&p| same(p).unwrap()).count();
    assert!(answered > 19_900, "{answered}");
}

#[test]
fn dense_vertices_and_their_pieces() {
    // Every vertex of the 2,000-vertex line, and points a metre or so off it on both sides.
    let f = fences();
    for w in f.parts[1][0].windows(2) {
        for (t, off) in [(0.0, 0.0), (0.5, 1e-5), (0.5, -1e-5), (0.25, 3e-4)] {
            let p = LonLat::new(w[0].lon + (w[1].lon - w[0].lon) * t + off, w[0].lat + (w[1].lat - w[0].lat) * t - off);
            same(p).unwrap();
        }
    }
}

#[test]
fn beyond_a_bend_two_lines_share() {
    // Around the vertex where the fourth line leaves the line of contact (bending the same way, less):
    // out to 60 km, every degree, where cells beyond the bend answer the fourth line as the first.
    let f = fences();
    let v = f.parts[3][0][9];
    assert_eq!(v, f.parts[0][0][9], "the lines part at this vertex");
    let mut answered = 0;
    for step in 1..=30 {
        let r_km = 2.0 * f64::from(step);
        for k in 0..360 {
            let a = f64::from(k).to_radians();
            let p = LonLat::new(
                v.lon + r_km * a.sin() / (111.32 * v.lat.to_radians().cos()),
                v.lat + r_km * a.cos() / 110.57,
            );
            answered += usize::from(same(p).unwrap());
        }
    }
    assert!(answered > 10_000, "{answered}");
}

#[test]
fn a_shared_piece_before_bends_that_differ() {
    // Two lines share their first edge and then double back, by 160° and by 130°: the table answers
    // the second as the first where their pieces are the same (beyond the shared vertex too, where
    // the side is taken from the sum of two pieces' normals), and nowhere does that change an answer,
    // though the sides of the two lines differ in places.
    let l = |p: &[(f64, f64)]| p.iter().map(|&(x, y)| LonLat::new(x, y)).collect::<Vec<_>>();
    let lines = [
        LineIndex::new(&[l(&[(35.0, 48.0), (36.0, 48.0), (35.06, 48.25)])], LineOptions::default()).unwrap(),
        LineIndex::new(&[l(&[(35.0, 48.0), (36.0, 48.0), (35.4, 48.55)])], LineOptions::default()).unwrap(),
    ];
    let zones = ZoneIndex::new(&[]).unwrap();
    let table = FenceTable::new(&lines.iter().collect::<Vec<_>>(), &zones);
    assert!(table.stats().shared[1] > 0.2, "{:?}", table.stats());
    let (mut sides, mut answered) = (0, 0);
    for i in 0..300 {
        for j in 0..300 {
            let p = LonLat::new(35.9 + f64::from(i) * 0.002, 47.7 + f64::from(j) * 0.002);
            let Some(cell) = table.cell(p) else { continue };
            let at = QueryPoint::new(p);
            let mut answers = Vec::new();
            for (k, line) in lines.iter().enumerate() {
                let (fast, exact) = (cell.line(k, line, &at, &answers), line.query_at(&at));
                assert_eq!(fast, exact, "{p:?}, line {k}");
                answers.push(fast);
            }
            answered += 1;
            sides += usize::from(answers[0].side != answers[1].side);
        }
    }
    assert!(answered > 80_000 && sides > 500, "{answered} answered, {sides} with different sides");
}
