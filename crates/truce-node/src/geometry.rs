//! The agreement as GeoJSON for the map: lines, polygon zones as loaded, and band zones drawn as
//! polygons.
//!
//! A band has no polygon of its own (membership is decided exactly from the distance to its line), so
//! for display it is traced once at start-up: the distance index marks which cells of a fine grid
//! (0.02°) have their centre inside the band, and the outline of those cells is followed into rings.
//! The result is exact to a grid cell (about 2 km), which is what a map needs.

use std::collections::HashMap;

use serde_json::{Value, json};
use truce_engine::Agreement;
use truce_engine::agreement::{Area, ZoneShape};
use truce_geo::{LineIndex, LonLat, Side};

const STEP_DEG: f64 = 0.02;

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
    for (i, z) in a.zones.iter().enumerate() {
        let (polygons, area_m2) = match &z.shape {
            ZoneShape::Polygons { polygons, .. } => {
                let (Area::Exact(m2) | Area::Estimated { m2, .. }) = a.zone_area(i);
                (polygons.clone(), m2)
            }
            // The band's outline and area come from one pass over one grid.
            ZoneShape::Band { line, width_m, side } => {
                let l = &a.lines[*line];
                let side = side.map(|p| if p == l.left { Side::Left } else { Side::Right });
                trace_band(&l.index, &l.parts, *width_m, side)
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

/// Polygons (exterior ring then holes) outlining the grid cells inside the band, and the area of those
/// cells in square metres (the same grid serves both, so the band is sampled once).
pub fn trace_band(
    index: &LineIndex,
    parts: &[Vec<LonLat>],
    width_m: f64,
    side: Option<Side>,
) -> (Vec<Vec<Vec<LonLat>>>, f64) {
    let pts = parts.iter().flatten();
    let (mut lon0, mut lon1, mut lat0, mut lat1) = (180.0f64, -180.0f64, 90.0f64, -90.0f64);
    for p in pts {
        lon0 = lon0.min(p.lon);
        lon1 = lon1.max(p.lon);
        lat0 = lat0.min(p.lat);
        lat1 = lat1.max(p.lat);
    }
    let dlat = width_m / 110_000.0 + 2.0 * STEP_DEG;
    let dlon = width_m / (111_000.0 * lat0.abs().max(lat1.abs()).min(85.0).to_radians().cos()) + 2.0 * STEP_DEG;
    let (lon0, lat0) = (((lon0 - dlon) / STEP_DEG).floor() * STEP_DEG, ((lat0 - dlat) / STEP_DEG).floor() * STEP_DEG);
    let nx = ((lon1 + dlon - lon0) / STEP_DEG).ceil() as i64;
    let ny = ((lat1 + dlat - lat0) / STEP_DEG).ceil() as i64;
    let inside = |i: i64, j: i64| -> bool {
        if i < 0 || j < 0 || i >= nx || j >= ny {
            return false;
        }
        let p = LonLat::new(lon0 + (i as f64 + 0.5) * STEP_DEG, lat0 + (j as f64 + 0.5) * STEP_DEG);
        let d = index.query(p);
        d.distance_m <= width_m && side.is_none_or(|s| d.side == s || d.side == Side::On)
    };
    let grid: Vec<bool> = (0..ny).flat_map(|j| (0..nx).map(move |i| (i, j))).map(|(i, j)| inside(i, j)).collect();
    let at = |i: i64, j: i64| i >= 0 && j >= 0 && i < nx && j < ny && grid[(j * nx + i) as usize];
    // Cells on the sphere of WGS84's surface area (authalic radius).
    let r = 6_371_007.2f64;
    let area_m2: f64 = (0..ny)
        .map(|j| {
            let (lat_a, lat_b) = (lat0 + j as f64 * STEP_DEG, lat0 + (j + 1) as f64 * STEP_DEG);
            let cell = r * r * STEP_DEG.to_radians() * (lat_b.to_radians().sin() - lat_a.to_radians().sin());
            cell * (0..nx).filter(|&i| at(i, j)).count() as f64
        })
        .sum();

    // Directed boundary edges between grid vertices, with the inside on the left (exteriors come out
    // counter-clockwise, holes clockwise).
    let mut next: HashMap<(i64, i64), Vec<(i64, i64)>> = HashMap::new();
    for j in 0..ny {
        for i in 0..nx {
            if !at(i, j) {
                continue;
            }
            if !at(i, j - 1) {
                next.entry((i, j)).or_default().push((i + 1, j));
            }
            if !at(i + 1, j) {
                next.entry((i + 1, j)).or_default().push((i + 1, j + 1));
            }
            if !at(i, j + 1) {
                next.entry((i + 1, j + 1)).or_default().push((i, j + 1));
            }
            if !at(i - 1, j) {
                next.entry((i, j + 1)).or_default().push((i, j));
            }
        }
    }
    let mut rings: Vec<Vec<(i64, i64)>> = Vec::new();
    let mut starts: Vec<(i64, i64)> = next.keys().copied().collect();
    starts.sort_unstable();
    for start in starts {
        while let Some(first) = next.get_mut(&start).and_then(Vec::pop) {
            let mut ring = vec![start];
            let mut here = first;
            while here != start {
                ring.push(here);
                let Some(n) = next.get_mut(&here).and_then(Vec::pop) else { break };
                here = n;
            }
            ring.push(start);
            rings.push(simplify(ring));
        }
    }
    let to_lonlat = |r: &[(i64, i64)]| -> Vec<LonLat> {
        r.iter().map(|&(i, j)| LonLat::new(lon0 + i as f64 * STEP_DEG, lat0 + j as f64 * STEP_DEG)).collect()
    };
    let signed_area = |r: &[(i64, i64)]| -> i64 { r.windows(2).map(|w| w[0].0 * w[1].1 - w[1].0 * w[0].1).sum() };
    let (outers, holes): (Vec<_>, Vec<_>) = rings.into_iter().partition(|r| signed_area(r) > 0);
    let mut polygons: Vec<Vec<Vec<LonLat>>> = outers.iter().map(|r| vec![to_lonlat(r)]).collect();
    for h in holes {
        let probe = to_lonlat(&h[..1])[0];
        if let Some(k) = polygons.iter().position(|p| contains(&p[0], probe)) {
            polygons[k].push(to_lonlat(&h));
        }
    }
    (polygons, area_m2)
}

/// Drops the vertices in the middle of straight runs.
fn simplify(ring: Vec<(i64, i64)>) -> Vec<(i64, i64)> {
    let n = ring.len();
    if n < 4 {
        return ring;
    }
    let mut out = vec![ring[0]];
    for k in 1..n - 1 {
        let (a, b, c) = (out[out.len() - 1], ring[k], ring[k + 1]);
        if (b.0 - a.0) * (c.1 - b.1) != (b.1 - a.1) * (c.0 - b.0) {
            out.push(b);
        }
    }
    out.push(ring[n - 1]);
    out
}

/// Even-odd containment; the probe is a hole's vertex, which is never on the exterior ring itself.
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

    #[test]
    fn a_band_along_a_meridian_is_one_rectangle_like_ring() {
        let parts = vec![vec![LonLat::new(36.0, 47.0), LonLat::new(36.0, 48.0)]];
        let index = LineIndex::new(&parts, LineOptions::default()).unwrap();
        let (polys, area_m2) = trace_band(&index, &parts, 10_000.0, None);
        // 111 km long, 20 km wide, plus round ends: about 2,540 km², within a grid cell's worth.
        assert!((2_450.0..2_650.0).contains(&(area_m2 / 1e6)), "{}", area_m2 / 1e6);
        assert_eq!(polys.len(), 1);
        assert_eq!(polys[0].len(), 1, "no holes");
        let ring = &polys[0][0];
        assert_eq!(ring.first(), ring.last());
        let (w, e) = ring.iter().fold((180.0f64, -180.0f64), |(w, e), p| (w.min(p.lon), e.max(p.lon)));
        // 10 km at 47.5°N is 0.133° of longitude each side.
        assert!((35.84..35.88).contains(&w) && (36.12..36.16).contains(&e), "{w} {e}");
        let (only_right, _) = trace_band(&index, &parts, 10_000.0, Some(Side::Right));
        let w = only_right[0][0].iter().fold(180.0f64, |w, p| w.min(p.lon));
        assert!(w >= 35.98, "the right (east) side only: {w}");
    }
}
