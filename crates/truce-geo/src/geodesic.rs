//! Exact geodesics on WGS84 (Karney's algorithm, via `geographiclib-rs`).
//!
//! These are the slow, exact answers: the lengths and areas printed in agreement summaries, and the
//! brute-force reference that the property tests hold the fast indexes to.

use geographiclib_rs::{DirectGeodesic, Geodesic, InverseGeodesic, PolygonArea, Winding};

use crate::LonLat;

fn wgs84() -> &'static Geodesic {
    static G: std::sync::OnceLock<Geodesic> = std::sync::OnceLock::new();
    G.get_or_init(Geodesic::wgs84)
}

/// Geodesic distance between two points, metres.
///
/// # Examples
/// ```
/// use truce_geo::{LonLat, geodesic::distance_m};
/// // Kyiv to Kharkiv, about 409 km.
/// let d = distance_m(LonLat::new(30.5234, 50.4501), LonLat::new(36.2304, 49.9935));
/// assert!((d - 409_000.0).abs() < 2_000.0);
/// ```
pub fn distance_m(a: LonLat, b: LonLat) -> f64 {
    let s12: f64 = wgs84().inverse(a.lat, a.lon, b.lat, b.lon);
    s12
}

/// Initial azimuth (degrees clockwise from north) and length (metres) of the geodesic from `a` to `b`.
pub fn azimuth_and_distance(a: LonLat, b: LonLat) -> (f64, f64) {
    let (s12, azi1, _azi2, _a12): (f64, f64, f64, f64) = wgs84().inverse(a.lat, a.lon, b.lat, b.lon);
    (azi1, s12)
}

/// The point `distance_m` metres from `a` along the geodesic with initial azimuth `azimuth_deg`.
pub fn destination(a: LonLat, azimuth_deg: f64, distance_m: f64) -> LonLat {
    let (lat, lon): (f64, f64) = wgs84().direct(a.lat, a.lon, azimuth_deg, distance_m);
    LonLat::new(lon, lat)
}

/// Total geodesic length of a polyline made of several parts, metres.
pub fn polyline_length_m(parts: &[Vec<LonLat>]) -> f64 {
    parts.iter().flat_map(|p| p.windows(2)).map(|w| distance_m(w[0], w[1])).sum()
}

/// Area of a polygon on the ellipsoid (geodesic edges), square metres: the exterior ring's area minus
/// its holes'. Ring orientation does not matter.
pub fn polygon_area_m2(rings: &[Vec<LonLat>]) -> f64 {
    let ring_area = |ring: &Vec<LonLat>| {
        let mut pa = PolygonArea::new(wgs84(), Winding::CounterClockwise);
        // The closing vertex repeats the first one; PolygonArea closes the ring itself.
        let n = if ring.len() > 1 && ring.first() == ring.last() { ring.len() - 1 } else { ring.len() };
        for p in &ring[..n] {
            pa.add_point(p.lat, p.lon);
        }
        pa.compute(true).1.abs()
    };
    let mut it = rings.iter();
    let Some(outer) = it.next() else { return 0.0 };
    ring_area(outer) - it.map(ring_area).sum::<f64>()
}

/// Distance from `p` to the geodesic segment `a`–`b`, metres, by golden-section search along the
/// segment with Karney's direct and inverse problems. Slow (hundreds of microseconds): a reference.
pub fn reference_distance_to_segment_m(p: LonLat, a: LonLat, b: LonLat) -> f64 {
    let (azi, len) = azimuth_and_distance(a, b);
    let at = |s: f64| distance_m(p, destination(a, azi, s));
    let (mut lo, mut hi) = (0.0, len);
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let mut x1 = hi - g * (hi - lo);
    let mut x2 = lo + g * (hi - lo);
    let (mut f1, mut f2) = (at(x1), at(x2));
    while hi - lo > 1e-4 {
        if f1 <= f2 {
            hi = x2;
            x2 = x1;
            f2 = f1;
            x1 = hi - g * (hi - lo);
            f1 = at(x1);
        } else {
            lo = x1;
            x1 = x2;
            f1 = f2;
            x2 = lo + g * (hi - lo);
            f2 = at(x2);
        }
    }
    f1.min(f2).min(distance_m(p, a)).min(distance_m(p, b))
}

/// Distance from `p` to a polyline whose edges are geodesics, metres: the brute-force reference.
pub fn reference_distance_to_line_m(p: LonLat, parts: &[Vec<LonLat>]) -> f64 {
    let mut best = f64::INFINITY;
    for part in parts {
        if part.len() == 1 {
            best = best.min(distance_m(p, part[0]));
        }
        for w in part.windows(2) {
            let (da, db) = (distance_m(p, w[0]), distance_m(p, w[1]));
            let half = distance_m(w[0], w[1]) / 2.0;
            // Every point of the edge is within half its length of one end.
            if da.min(db) - half > best {
                continue;
            }
            best = best.min(reference_distance_to_segment_m(p, w[0], w[1]));
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_reference_finds_the_perpendicular_foot() {
        // A meridian segment; a point 0.1° east of its middle is ~7.5 km away at 48°N.
        let a = LonLat::new(36.0, 47.5);
        let b = LonLat::new(36.0, 48.5);
        let p = LonLat::new(36.1, 48.0);
        let d = reference_distance_to_segment_m(p, a, b);
        let direct = distance_m(p, LonLat::new(36.0, 48.0));
        assert!(d <= direct + 1e-6 && direct - d < 1.0, "{d} vs {direct}");
    }

    #[test]
    fn area_of_a_one_degree_box_near_48n() {
        let ring = vec![
            LonLat::new(35.0, 48.0),
            LonLat::new(36.0, 48.0),
            LonLat::new(36.0, 49.0),
            LonLat::new(35.0, 49.0),
            LonLat::new(35.0, 48.0),
        ];
        let km2 = polygon_area_m2(&[ring]) / 1e6;
        // 111.2 km x 73.6 km ≈ 8,190 km².
        assert!((km2 - 8_190.0).abs() < 60.0, "{km2}");
    }
}
