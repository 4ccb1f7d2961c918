//! Land and sea under the report maps: Ukraine and its neighbours, the Black Sea and the Sea of Azov.
//!
//! The outlines are the OpenStreetMap-derived files shipped in `data/geo/` (ODbL-1.0, so a map that
//! draws them shows [`CREDIT`]), compiled into the crate so a report needs no file at run time, and
//! parsed once. A map takes only what its frame shows: each ring is clipped to the frame grown by a
//! small margin (Sutherland–Hodgman; the seams it leaves run along the margin, outside the view), then
//! projected and simplified to the map's scale (Douglas–Peucker to 0.7 pixel), rings smaller than two
//! pixels left out, and written relative to a tenth of a pixel (`crate::svg`). The daily report's
//! front-wide map then carries about 14 KB of coast, not the files' 180 KB.
//!
//! The land file is coarse (10 km) and the seas' files fine (10 m), so land is drawn first and the
//! seas over it: the coast a reader sees is the seas' edge.

use std::sync::OnceLock;

use serde_json::Value;

/// The attribution the maps' data requires, shown under every map.
pub const CREDIT: &str = "© OpenStreetMap contributors";

const LAND: &str = include_str!("../../../data/geo/ukraine_and_neighbours_land_10km.geojson");
const SEAS: [&str; 2] = [
    include_str!("../../../data/geo/black_sea_10m.geojson"),
    include_str!("../../../data/geo/sea_of_azov_10m.geojson"),
];

/// One polygon: its exterior ring then its holes, `[lon, lat]`, and its box (west, south, east, north).
#[derive(Debug)]
pub struct Polygon {
    /// Exterior ring, then holes.
    pub rings: Vec<Vec<[f64; 2]>>,
    /// West, south, east, north, degrees.
    pub bounds: [f64; 4],
}

/// The parsed outlines.
#[derive(Debug)]
pub struct Layers {
    /// Every land polygon (countries).
    pub land: Vec<Polygon>,
    /// The Black Sea and the Sea of Azov (islands are holes).
    pub sea: Vec<Polygon>,
}

/// The outlines, parsed on first use.
pub fn layers() -> &'static Layers {
    static LAYERS: OnceLock<Layers> = OnceLock::new();
    LAYERS.get_or_init(|| Layers { land: polygons(LAND), sea: SEAS.into_iter().flat_map(polygons).collect() })
}

/// The polygons of a GeoJSON FeatureCollection's Polygon and MultiPolygon features. The files are
/// compiled in and their parse is tested, so anything else in them is skipped rather than reported.
fn polygons(text: &str) -> Vec<Polygon> {
    let Ok(doc) = serde_json::from_str::<Value>(text) else { return Vec::new() };
    let ring = |r: &Value| -> Vec<[f64; 2]> {
        r.as_array().into_iter().flatten().filter_map(|p| Some([p.get(0)?.as_f64()?, p.get(1)?.as_f64()?])).collect()
    };
    let polygon = |p: &Value| -> Option<Polygon> {
        let rings: Vec<Vec<[f64; 2]>> = p.as_array()?.iter().map(ring).filter(|r| r.len() >= 4).collect();
        let mut bounds = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
        for [lon, lat] in rings.first()? {
            bounds = [bounds[0].min(*lon), bounds[1].min(*lat), bounds[2].max(*lon), bounds[3].max(*lat)];
        }
        Some(Polygon { rings, bounds })
    };
    let mut out = Vec::new();
    for f in doc["features"].as_array().into_iter().flatten() {
        let g = &f["geometry"];
        match g["type"].as_str() {
            Some("Polygon") => out.extend(polygon(&g["coordinates"])),
            Some("MultiPolygon") => {
                out.extend(g["coordinates"].as_array().into_iter().flatten().filter_map(polygon));
            }
            _ => {}
        }
    }
    out
}

/// The part of a ring inside the box (west, south, east, north): Sutherland–Hodgman, one side at a time.
pub fn clip(ring: &[[f64; 2]], [w, s, e, n]: [f64; 4]) -> Vec<[f64; 2]> {
    // Each side: which coordinate, the limit, and whether inside is above it.
    let sides = [(0, w, true), (0, e, false), (1, s, true), (1, n, false)];
    let mut pts: Vec<[f64; 2]> = ring.to_vec();
    if pts.len() > 1 && pts.first() == pts.last() {
        pts.pop();
    }
    for (axis, limit, above) in sides {
        if pts.is_empty() {
            break;
        }
        let inside = |p: &[f64; 2]| if above { p[axis] >= limit } else { p[axis] <= limit };
        let mut out = Vec::with_capacity(pts.len() + 4);
        for k in 0..pts.len() {
            let (a, b) = (pts[(k + pts.len() - 1) % pts.len()], pts[k]);
            let cut = || {
                let t = (limit - a[axis]) / (b[axis] - a[axis]);
                [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])]
            };
            match (inside(&a), inside(&b)) {
                (true, true) => out.push(b),
                (true, false) => out.push(cut()),
                (false, true) => {
                    out.push(cut());
                    out.push(b);
                }
                (false, false) => {}
            }
        }
        pts = out;
    }
    pts
}

/// The points of an open path worth keeping at `tolerance` (Douglas–Peucker), in the path's own units.
pub fn simplify(pts: &[(f64, f64)], tolerance: f64) -> Vec<(f64, f64)> {
    if pts.len() < 3 {
        return pts.to_vec();
    }
    let off = |a: (f64, f64), b: (f64, f64), p: (f64, f64)| {
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let len2 = dx * dx + dy * dy;
        let t = if len2 > 0.0 { (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / len2).clamp(0.0, 1.0) } else { 0.0 };
        (p.0 - a.0 - t * dx).hypot(p.1 - a.1 - t * dy)
    };
    let mut keep = vec![false; pts.len()];
    keep[0] = true;
    keep[pts.len() - 1] = true;
    let mut stack = vec![(0, pts.len() - 1)];
    while let Some((a, b)) = stack.pop() {
        let Some((m, d)) = (a + 1..b).map(|m| (m, off(pts[a], pts[b], pts[m]))).max_by(|x, y| x.1.total_cmp(&y.1))
        else {
            continue;
        };
        if d > tolerance {
            keep[m] = true;
            stack.push((a, m));
            stack.push((m, b));
        }
    }
    pts.iter().zip(keep).filter(|(_, k)| *k).map(|(p, _)| *p).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_outlines_parse_whole() {
        let l = layers();
        // data/README.md: 8 MultiPolygon features of 22 parts; the Black Sea with 43 island holes, Azov.
        assert_eq!(l.land.len(), 22);
        assert_eq!(l.sea.len(), 2);
        assert_eq!(l.sea[0].rings.len(), 44);
        let azov = &l.sea[1].bounds;
        assert!(azov[0] > 34.0 && azov[2] < 39.5 && azov[1] > 45.0 && azov[3] < 47.5, "{azov:?}");
    }

    #[test]
    fn clipping_keeps_the_part_inside_the_box() {
        let square = [[0.0, 0.0], [4.0, 0.0], [4.0, 4.0], [0.0, 4.0], [0.0, 0.0]];
        let c = clip(&square, [1.0, -1.0, 2.0, 2.0]);
        let area: f64 = (0..c.len())
            .map(|k| {
                let (a, b) = (c[k], c[(k + 1) % c.len()]);
                a[0] * b[1] - b[0] * a[1]
            })
            .sum::<f64>()
            / 2.0;
        assert!((area - 2.0).abs() < 1e-12, "{c:?}");
        assert!(clip(&square, [5.0, 5.0, 6.0, 6.0]).is_empty());
    }

    #[test]
    fn simplification_drops_what_is_within_tolerance_only() {
        let pts = [(0.0, 0.0), (1.0, 0.1), (2.0, 0.0), (3.0, 2.0), (4.0, 0.0)];
        assert_eq!(simplify(&pts, 0.5), vec![(0.0, 0.0), (2.0, 0.0), (3.0, 2.0), (4.0, 0.0)]);
    }
}
