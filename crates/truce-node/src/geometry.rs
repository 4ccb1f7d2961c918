//! The agreement as GeoJSON for the map: lines, polygon zones as loaded, and band zones drawn as
//! polygons.
//!
//! A band has no polygon of its own: membership is decided exactly, from the distance to its line and
//! the side of it ([`LineIndex::query`], Karney geodesics), as the engine classifies an observation. For
//! display it is traced once at start-up by marching squares over a 0.02° grid:
//!
//! - the engine's membership predicate is evaluated at every grid corner;
//! - on each cell edge whose two corners disagree, the crossing is located by bisection on the same
//!   predicate until the bracket is shorter than [`TOLERANCE_M`], so every vertex lies on the true
//!   boundary (at the band's width from the line, or on the line itself for a one-sided band's inner
//!   edge, or on the extension of an end piece beyond the line's ends);
//! - the crossings of a cell are joined with the inside on the left (exteriors come out
//!   counter-clockwise, holes clockwise); a saddle cell (two opposite corners inside) is resolved by
//!   its centre.
//!
//! Straight stretches of the outline are therefore exact and curved ones (round ends and joins of
//! radius W) deviate from the true boundary only by the sagitta of a chord at most one cell diagonal
//! long (about 70 m for a 15 km band, less for wider ones). Features narrower than a cell (a sliver
//! of band inside a tight bend) may be missed, as any sampling would. A crossing whose removal moves
//! the outline by less than [`SIMPLIFY_M`] is dropped, which thins the straight stretches. The area
//! served is the geodesic area of the outline.

use std::collections::HashMap;

use serde_json::{Value, json};
use truce_engine::Agreement;
use truce_engine::agreement::{Area, ZoneShape};
use truce_geo::{LineIndex, LonLat, Side};

/// The grid step, degrees: about 2 km of latitude, 1.5 km of longitude at 48°N.
const STEP_DEG: f64 = 0.02;
/// A crossing's bracket on a cell edge is bisected until it is shorter than this, metres: the vertex
/// (its middle) is then within half of it of the boundary.
pub const TOLERANCE_M: f64 = 1.0;
/// A crossing is dropped from the outline when the chord that replaces it passes within this of it,
/// metres: a few times the bisection's tolerance, far below the sagitta of a cell's chord on a curve.
pub const SIMPLIFY_M: f64 = 2.0;

/// Polygons, each its exterior ring then its holes (a GeoJSON MultiPolygon's coordinates).
pub type Polygons = Vec<Vec<Vec<LonLat>>>;

fn ring_json(ring: &[LonLat]) -> Value {
    Value::Array(ring.iter().map(|p| json!([round6(p.lon), round6(p.lat)])).collect())
}

fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

/// The FeatureCollection served at `/api/v1/agreement/geometry`.
pub fn agreement_geometry(a: &Agreement) -> Value {
    let mut features = Vec::new();
    for l in &a.lines {
        let coords: Vec<Value> = l.parts.iter().map(|p| ring_json(p)).collect();
        let geometry = if coords.len() == 1 {
            json!({"type": "LineString", "coordinates": coords[0]})
        } else {
            json!({"type": "MultiLineString", "coordinates": coords})
        };
        features.push(json!({
            "type": "Feature", "id": l.id, "geometry": geometry,
            "properties": {"id": l.id, "layer": "line", "name": l.name, "left": a.parties[l.left].id, "right": a.parties[l.right].id,
                           "length_km": (l.length_m / 100.0).round() / 10.0}
        }));
    }
    // Agreements often give several zones the same band (the security zone is also the no-fly and the
    // no-mine zone): each distinct band is traced once.
    let mut traced: HashMap<(usize, u64, Option<Side>), (Polygons, f64)> = HashMap::new();
    for (i, z) in a.zones.iter().enumerate() {
        let (polygons, area_m2) = match &z.shape {
            ZoneShape::Polygons { polygons, .. } => {
                let (Area::Exact(m2) | Area::Estimated { m2, .. }) = a.zone_area(i);
                (polygons.clone(), m2)
            }
            ZoneShape::Band { line, width_m, side } => {
                let l = &a.lines[*line];
                let side = side.map(|p| if p == l.left { Side::Left } else { Side::Right });
                traced
                    .entry((*line, width_m.to_bits(), side))
                    .or_insert_with(|| trace_band(l.index(), &l.parts, *width_m, side))
                    .clone()
            }
        };
        let coords: Vec<Value> =
            polygons.iter().map(|p| Value::Array(p.iter().map(|r| ring_json(r)).collect())).collect();
        let area_km2 = (area_m2 / 1e4).round() / 100.0;
        features.push(json!({
            "type": "Feature", "id": z.id,
            "geometry": {"type": "MultiPolygon", "coordinates": coords},
            "properties": {"id": z.id, "layer": "zone", "kind": z.kind.id(), "name": z.name, "area_km2": area_km2,
                           "derived": matches!(z.shape, ZoneShape::Band { .. })}
        }));
    }
    json!({"type": "FeatureCollection", "features": features})
}

/// Whether `p` is in the band of `width_m` metres along the line, on `side` of it (both when `None`):
/// the engine's rule (a point on the line is on either side; an undetermined side is on neither).
fn in_band(index: &LineIndex, width_m: f64, side: Option<Side>, p: LonLat) -> bool {
    let d = index.query(p);
    d.distance_m <= width_m && side.is_none_or(|s| d.side == s || d.side == Side::On)
}

/// A cell edge, named by its first (south or west) corner: the edge to the east or to the north of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Edge {
    i: usize,
    j: usize,
    north: bool,
}

/// Polygons (exterior ring then holes) outlining the band (see the module documentation), and their
/// geodesic area in square metres.
///
/// # Units
/// `width_m` in metres; positions in WGS84 degrees; rings closed (the first position repeated last).
pub fn trace_band(index: &LineIndex, parts: &[Vec<LonLat>], width_m: f64, side: Option<Side>) -> (Polygons, f64) {
    let inside = |p: LonLat| in_band(index, width_m, side, p);
    let pts = parts.iter().flatten();
    let (mut lon0, mut lon1, mut lat0, mut lat1) = (180.0f64, -180.0f64, 90.0f64, -90.0f64);
    for p in pts {
        lon0 = lon0.min(p.lon);
        lon1 = lon1.max(p.lon);
        lat0 = lat0.min(p.lat);
        lat1 = lat1.max(p.lat);
    }
    // Two cells of margin beyond the band's reach, so the grid's rim is outside and every ring closes.
    let dlat = width_m / 110_000.0 + 2.0 * STEP_DEG;
    let dlon = width_m / (111_000.0 * lat0.abs().max(lat1.abs()).min(85.0).to_radians().cos()) + 2.0 * STEP_DEG;
    let (lon0, lat0) = (((lon0 - dlon) / STEP_DEG).floor() * STEP_DEG, ((lat0 - dlat) / STEP_DEG).floor() * STEP_DEG);
    let nx = ((lon1 + dlon - lon0) / STEP_DEG).ceil() as usize;
    let ny = ((lat1 + dlat - lat0) / STEP_DEG).ceil() as usize;
    let corner = |i: usize, j: usize| LonLat::new(lon0 + i as f64 * STEP_DEG, lat0 + j as f64 * STEP_DEG);
    let grid: Vec<bool> =
        (0..=ny).flat_map(|j| (0..=nx).map(move |i| (i, j))).map(|(i, j)| inside(corner(i, j))).collect();
    let at = |i: usize, j: usize| grid[j * (nx + 1) + i];

    // The crossing on an edge, by bisection between its corners.
    let crossing = |e: Edge| -> LonLat {
        let a = corner(e.i, e.j);
        let (b, len_m) = if e.north {
            (corner(e.i, e.j + 1), STEP_DEG * 110_574.0)
        } else {
            (corner(e.i + 1, e.j), STEP_DEG * 111_320.0 * a.lat.to_radians().cos())
        };
        let a_inside = at(e.i, e.j);
        let at_t = |t: f64| LonLat::new(a.lon + t * (b.lon - a.lon), a.lat + t * (b.lat - a.lat));
        let (mut lo, mut hi) = (0.0f64, 1.0f64);
        while (hi - lo) * len_m > TOLERANCE_M {
            let mid = 0.5 * (lo + hi);
            if inside(at_t(mid)) == a_inside {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        at_t(0.5 * (lo + hi))
    };

    // Each crossing's successor along the outline, and its position.
    let mut next: HashMap<Edge, Edge> = HashMap::new();
    let mut points: HashMap<Edge, LonLat> = HashMap::new();
    for j in 0..ny {
        for i in 0..nx {
            // Corners and edges counter-clockwise from the south-west corner: edge k runs from corner k
            // to corner k + 1.
            let corners = [at(i, j), at(i + 1, j), at(i + 1, j + 1), at(i, j + 1)];
            if corners.iter().all(|&c| c == corners[0]) {
                continue;
            }
            let edges = [
                Edge { i, j, north: false },
                Edge { i: i + 1, j, north: true },
                Edge { i, j: j + 1, north: false },
                Edge { i, j, north: true },
            ];
            // The crossings in that order, each marked when the walk leaves the band there.
            let mut crossings: Vec<(Edge, bool)> = Vec::with_capacity(4);
            for k in 0..4 {
                if corners[k] != corners[(k + 1) % 4] {
                    crossings.push((edges[k], corners[k]));
                    points.entry(edges[k]).or_insert_with(|| crossing(edges[k]));
                }
            }
            // A segment runs from where the walk leaves the band to where it enters it: back to the
            // start of the same inside run, or (a saddle whose centre is inside) on to the end of the
            // outside run, cutting off the outside corner.
            let forward = crossings.len() == 4
                && inside(LonLat::new(lon0 + (i as f64 + 0.5) * STEP_DEG, lat0 + (j as f64 + 0.5) * STEP_DEG));
            let n = crossings.len();
            for k in 0..n {
                let (from, leaves) = crossings[k];
                if leaves {
                    let to = if forward { crossings[(k + 1) % n].0 } else { crossings[(k + n - 1) % n].0 };
                    next.insert(from, to);
                }
            }
        }
    }

    let mut starts: Vec<Edge> = next.keys().copied().collect();
    starts.sort_unstable();
    let mut rings: Vec<Vec<LonLat>> = Vec::new();
    for start in starts {
        let Some(mut here) = next.remove(&start) else { continue };
        let mut ring = vec![points[&start]];
        while here != start {
            ring.push(points[&here]);
            let Some(n) = next.remove(&here) else { break };
            here = n;
        }
        ring.push(points[&start]);
        rings.push(simplify(&ring));
    }
    let (outers, holes): (Vec<_>, Vec<_>) = rings.into_iter().partition(|r| signed_area_deg2(r) > 0.0);
    let mut polygons: Polygons = outers.into_iter().map(|r| vec![r]).collect();
    for h in holes {
        // The smallest exterior around the hole (an island of band inside a hole is an exterior too).
        let around = polygons
            .iter()
            .enumerate()
            .filter(|(_, p)| contains(&p[0], h[0]))
            .min_by(|(_, p), (_, q)| signed_area_deg2(&p[0]).total_cmp(&signed_area_deg2(&q[0])))
            .map(|(k, _)| k);
        if let Some(k) = around {
            polygons[k].push(h);
        }
    }
    let area_m2 = polygons.iter().map(|p| truce_geo::geodesic::polygon_area_m2(p)).sum();
    (polygons, area_m2)
}

/// A closed ring without the vertices that lie within [`SIMPLIFY_M`] of the chord that replaces them
/// (Douglas–Peucker, split at the first vertex and the one farthest from it): along the straight
/// stretches of a band nearly every crossing goes, on its round ends nearly none. The vertices kept
/// are crossings, still on the boundary.
fn simplify(ring: &[LonLat]) -> Vec<LonLat> {
    let n = ring.len() - 1;
    if n < 4 {
        return ring.to_vec();
    }
    // Local metres around the ring's first vertex: enough for a distance to a chord a few km long.
    let k = ring[0].lat.to_radians().cos();
    let xy = |p: LonLat| ((p.lon - ring[0].lon) * k * 111_320.0, (p.lat - ring[0].lat) * 110_574.0);
    let pts: Vec<(f64, f64)> = ring.iter().map(|&p| xy(p)).collect();
    let off_chord = |a: usize, b: usize, m: usize| {
        let ((ax, ay), (bx, by), (px, py)) = (pts[a], pts[b], pts[m]);
        let (dx, dy) = (bx - ax, by - ay);
        let len2 = dx * dx + dy * dy;
        let t = if len2 > 0.0 { (((px - ax) * dx + (py - ay) * dy) / len2).clamp(0.0, 1.0) } else { 0.0 };
        ((px - ax - t * dx).powi(2) + (py - ay - t * dy).powi(2)).sqrt()
    };
    let far = (1..n).max_by(|&x, &y| off_chord(0, 0, x).total_cmp(&off_chord(0, 0, y))).unwrap_or(n / 2);
    let mut keep = vec![false; n + 1];
    keep[0] = true;
    keep[far] = true;
    keep[n] = true;
    let mut stack = vec![(0, far), (far, n)];
    while let Some((a, b)) = stack.pop() {
        if b <= a + 1 {
            continue;
        }
        let (m, d) = (a + 1..b).map(|m| (m, off_chord(a, b, m))).fold((a, 0.0), |x, y| if y.1 > x.1 { y } else { x });
        if d > SIMPLIFY_M {
            keep[m] = true;
            stack.push((a, m));
            stack.push((m, b));
        }
    }
    ring.iter().zip(keep).filter(|(_, k)| *k).map(|(p, _)| *p).collect()
}

/// Twice the signed area of a closed ring in longitude/latitude: positive counter-clockwise.
fn signed_area_deg2(ring: &[LonLat]) -> f64 {
    ring.windows(2).map(|w| w[0].lon * w[1].lat - w[1].lon * w[0].lat).sum()
}

/// Even-odd containment; the probe is a hole's vertex, which is never on an exterior ring itself.
fn contains(ring: &[LonLat], p: LonLat) -> bool {
    let mut inside = false;
    for w in ring.windows(2) {
        let (a, b) = (w[0], w[1]);
        if (a.lat > p.lat) != (b.lat > p.lat) && p.lon < a.lon + (p.lat - a.lat) / (b.lat - a.lat) * (b.lon - a.lon) {
            inside = !inside;
        }
    }
    inside
}

#[cfg(test)]
mod tests {
    use super::*;
    use truce_geo::LineOptions;
    use truce_geo::geodesic::{destination, reference_distance_to_line_m};

    /// The illustrative agreement that `truce demo` loads.
    fn demo_agreement() -> Agreement {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/agreements/illustrative.toml");
        crate::data_dir::load_agreement(&path).expect("the illustrative agreement")
    }

    /// True when the band's predicate differs somewhere within `r_m` metres of `p` (16 directions): `p`
    /// is within `r_m` of the boundary, whichever part of it (width, line, extension beyond the ends).
    fn near_boundary(index: &LineIndex, width_m: f64, side: Option<Side>, p: LonLat, r_m: f64) -> bool {
        let here = in_band(index, width_m, side, p);
        (0..16).any(|k| in_band(index, width_m, side, destination(p, f64::from(k) * 22.5, r_m)) != here)
    }

    /// Whether segments `ab` and `cd` cross or touch (in longitude/latitude).
    fn segments_meet(a: LonLat, b: LonLat, c: LonLat, d: LonLat) -> bool {
        let orient =
            |p: LonLat, q: LonLat, r: LonLat| (q.lon - p.lon) * (r.lat - p.lat) - (q.lat - p.lat) * (r.lon - p.lon);
        // `r`, collinear with `p`–`q`, lies on that segment.
        let within = |p: LonLat, q: LonLat, r: LonLat| {
            p.lon.min(q.lon) <= r.lon
                && r.lon <= p.lon.max(q.lon)
                && p.lat.min(q.lat) <= r.lat
                && r.lat <= p.lat.max(q.lat)
        };
        let (d1, d2) = (orient(c, d, a), orient(c, d, b));
        let (d3, d4) = (orient(a, b, c), orient(a, b, d));
        if d1 * d2 < 0.0 && d3 * d4 < 0.0 {
            return true;
        }
        (d1 == 0.0 && within(c, d, a))
            || (d2 == 0.0 && within(c, d, b))
            || (d3 == 0.0 && within(a, b, c))
            || (d4 == 0.0 && within(a, b, d))
    }

    /// Every ring closed, at least a triangle, exteriors counter-clockwise and holes clockwise, and no
    /// two edges of the outline meeting except consecutive ones at their shared vertex.
    fn assert_valid(polygons: &Polygons) {
        let mut edges: Vec<(usize, usize, LonLat, LonLat)> = Vec::new();
        let mut ring_id = 0;
        for poly in polygons {
            for (k, ring) in poly.iter().enumerate() {
                assert!(ring.len() >= 4, "ring {ring_id} has {} positions", ring.len());
                assert_eq!(ring.first(), ring.last(), "ring {ring_id} is closed");
                assert_eq!(signed_area_deg2(ring) > 0.0, k == 0, "ring {ring_id}: exterior CCW, holes CW");
                if k > 0 {
                    assert!(contains(&poly[0], ring[0]), "hole {ring_id} inside its exterior");
                }
                edges.extend(ring.windows(2).enumerate().map(|(e, w)| (ring_id, e, w[0], w[1])));
                ring_id += 1;
            }
        }
        // Sorted by west end, so each edge is compared only with those overlapping it in longitude.
        let west = |e: &(usize, usize, LonLat, LonLat)| e.2.lon.min(e.3.lon);
        let east = |e: &(usize, usize, LonLat, LonLat)| e.2.lon.max(e.3.lon);
        edges.sort_by(|x, y| west(x).total_cmp(&west(y)));
        let len = |r: usize| edges.iter().filter(|e| e.0 == r).count();
        let lens: Vec<usize> = (0..ring_id).map(len).collect();
        for (x, e) in edges.iter().enumerate() {
            for f in edges[x + 1..].iter().take_while(|f| west(f) <= east(e)) {
                let adjacent = e.0 == f.0 && {
                    let gap = e.1.abs_diff(f.1);
                    gap == 1 || gap == lens[e.0] - 1
                };
                if !adjacent {
                    assert!(!segments_meet(e.2, e.3, f.2, f.3), "edges {:?} and {:?} meet", (e.0, e.1), (f.0, f.1));
                }
            }
        }
    }

    fn meridian() -> (Vec<Vec<LonLat>>, LineIndex) {
        let parts = vec![vec![LonLat::new(36.0, 47.0), LonLat::new(36.0, 48.0)]];
        let index = LineIndex::new(&parts, LineOptions::default()).unwrap();
        (parts, index)
    }

    #[test]
    fn a_band_along_a_meridian_is_one_stadium_with_every_vertex_at_its_width() {
        let (parts, index) = meridian();
        let (polys, area_m2) = trace_band(&index, &parts, 10_000.0, None);
        assert_eq!(polys.len(), 1);
        assert_eq!(polys[0].len(), 1, "no holes");
        assert_valid(&polys);
        // The meridian arc from 47° to 48° is 111,232 m: 2·W·L plus a disc of radius W for the round ends.
        let expected_m2 = 2.0 * 10_000.0 * 111_232.0 + std::f64::consts::PI * 1e8;
        assert!((area_m2 / expected_m2 - 1.0).abs() < 0.002, "{} km² vs {} km²", area_m2 / 1e6, expected_m2 / 1e6);
        for v in &polys[0][0] {
            let d = reference_distance_to_line_m(*v, &parts);
            assert!((d - 10_000.0).abs() <= 1.0, "{v:?} is {d} m from the line (Karney)");
        }
    }

    #[test]
    fn a_one_sided_band_has_the_line_as_its_inner_edge() {
        let (parts, index) = meridian();
        let (polys, area_m2) = trace_band(&index, &parts, 10_000.0, Some(Side::Right));
        assert_eq!((polys.len(), polys[0].len()), (1, 1));
        assert_valid(&polys);
        // East of the meridian (the right when walking north), and beyond the ends the side of the
        // extended meridian: a rectangle of 10 km by 111 km plus two quarter discs.
        let expected_m2 = 10_000.0 * 111_232.0 + std::f64::consts::PI * 1e8 / 2.0;
        assert!((area_m2 / expected_m2 - 1.0).abs() < 0.003, "{} km² vs {} km²", area_m2 / 1e6, expected_m2 / 1e6);
        let (mut south, mut north) = (90.0f64, -90.0f64);
        for v in &polys[0][0] {
            assert!(v.lon >= 36.0 - 1e-5, "{v:?} is west of the line");
            let d = reference_distance_to_line_m(*v, &parts);
            let on_the_meridian = (v.lon - 36.0).abs() * 111_320.0 * v.lat.to_radians().cos() <= 1.0;
            assert!((d - 10_000.0).abs() <= 1.0 || on_the_meridian, "{v:?}: {d} m from the line, off the meridian");
            if on_the_meridian {
                (south, north) = (south.min(v.lat), north.max(v.lat));
            }
        }
        assert!(south < 47.0 && north > 48.0, "the inner edge runs along the whole line: {south}..{north}");
    }

    #[test]
    fn the_demo_agreements_bands_are_drawn_on_their_boundary_valid_and_with_the_engines_area() {
        let a = demo_agreement();
        let mut checked = 0;
        for (i, z) in a.zones.iter().enumerate() {
            let ZoneShape::Band { line, width_m, side } = z.shape else { continue };
            let l = &a.lines[line];
            let side = side.map(|p| if p == l.left { Side::Left } else { Side::Right });
            let (polys, area_m2) = trace_band(l.index(), &l.parts, width_m, side);
            assert!(!polys.is_empty(), "{}", z.id);
            assert_valid(&polys);
            let vertices: Vec<LonLat> = polys.iter().flatten().flatten().copied().collect();
            for v in &vertices {
                assert!(
                    near_boundary(l.index(), width_m, side, *v, 1.0),
                    "{}: {v:?} is over 1 m from the boundary",
                    z.id
                );
                if side.is_none() {
                    let d = l.index().query(*v).distance_m;
                    assert!((d - width_m).abs() <= 1.0, "{}: {v:?} is {d} m from the line", z.id);
                }
            }
            // Karney's exact distance on a sample (it is slow): the index's answer is within decimetres.
            for v in vertices.iter().step_by(50) {
                let d = reference_distance_to_line_m(*v, &l.parts);
                assert!((d - width_m).abs() <= 2.0, "{}: {v:?} is {d} m from the line (Karney)", z.id);
            }
            // The engine's own estimate (cells of a fine grid whose centre is inside) of distinct bands.
            if checked < 2
                && !a.zones[..i].iter().any(|y| matches!(y.shape, ZoneShape::Band { width_m: w, .. } if w == width_m))
            {
                let Area::Estimated { m2, .. } = a.zone_area(i) else { panic!("a band's area is estimated") };
                assert!(
                    (area_m2 / m2 - 1.0).abs() < 0.005,
                    "{}: outline {} km², engine {} km²",
                    z.id,
                    area_m2 / 1e6,
                    m2 / 1e6
                );
                checked += 1;
            }
        }
        assert_eq!(checked, 2, "the 15 km and the 50 km bands");
    }

    #[test]
    fn the_geometry_keeps_its_shape_a_feature_collection_with_multipolygon_zones() {
        let a = demo_agreement();
        let fc = agreement_geometry(&a);
        assert_eq!(fc["type"], "FeatureCollection");
        let features = fc["features"].as_array().unwrap();
        let zone = features.iter().find(|f| f["id"] == "security_zone").unwrap();
        assert_eq!(zone["geometry"]["type"], "MultiPolygon");
        let mut keys: Vec<&str> = zone["properties"].as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["area_km2", "derived", "id", "kind", "layer", "name"]);
        assert_eq!(zone["properties"]["derived"], true);
        let ring = zone["geometry"]["coordinates"][0][0].as_array().unwrap();
        assert!(ring.len() > 100 && ring[0] == ring[ring.len() - 1], "a closed ring of [lon, lat] pairs");
        assert!(zone["properties"]["area_km2"].as_f64().is_some_and(|km2| (20_000.0..30_000.0).contains(&km2)));
        assert_eq!(features.iter().filter(|f| f["properties"]["layer"] == "line").count(), a.lines.len());
    }

    #[test]
    #[ignore = "a timing: run in release, `cargo test --release -p truce-node --lib geometry -- --ignored --nocapture`"]
    fn the_demo_agreement_is_drawn_well_under_a_second() {
        let a = demo_agreement();
        let t = std::time::Instant::now();
        let fc = agreement_geometry(&a);
        let elapsed = t.elapsed();
        let bytes = fc.to_string().len();
        println!("agreement_geometry on the demo agreement: {elapsed:?}, {bytes} bytes of GeoJSON");
        assert!(elapsed.as_secs_f64() < 1.0, "{elapsed:?}");
    }
}
