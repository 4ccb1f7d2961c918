//! Longitude/latitude cells and a cheap distance for pre-filtering.
//!
//! The reception model, the interference layer and the encounter neighbour search all bucket positions
//! into square cells of a fixed size in degrees. Cells are identified by integer column and row
//! (`floor(lon / size)`, `floor(lat / size)`), so a cell is found in constant time and the maps stay
//! sparse: only cells that have seen traffic exist.
//!
//! Exact distances use Karney's geodesic (`truce_geo::geodesic::distance_m`, about a microsecond);
//! [`approx_distance_m`] (equirectangular on a sphere, within about 0.5 % for the short distances it is
//! used for) decides cheaply when the exact one cannot change the answer.

use truce_geo::LonLat;

/// A cell: column and row in a grid of a given size.
pub(crate) type Cell = (i32, i32);

/// The cell holding `p` in a grid of `size_deg` cells. Positions on the east or north edge of the
/// world fall in the last cell, not beyond.
pub(crate) fn cell_of(p: LonLat, size_deg: f64) -> Cell {
    let col = (p.lon / size_deg).floor();
    let row = (p.lat / size_deg).floor();
    let max_col = (180.0 / size_deg).ceil() - 1.0;
    let max_row = (90.0 / size_deg).ceil() - 1.0;
    (col.clamp(-max_col - 1.0, max_col) as i32, row.clamp(-max_row - 1.0, max_row) as i32)
}

/// The bounds of a map cell, degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CellBounds {
    /// Western edge, longitude.
    pub west: f64,
    /// Southern edge, latitude.
    pub south: f64,
    /// Eastern edge, longitude.
    pub east: f64,
    /// Northern edge, latitude.
    pub north: f64,
}

impl CellBounds {
    pub(crate) fn of(cell: Cell, size_deg: f64) -> Self {
        let west = f64::from(cell.0) * size_deg;
        let south = f64::from(cell.1) * size_deg;
        Self { west, south, east: west + size_deg, north: south + size_deg }
    }

    /// The centre of the cell.
    pub fn centre(&self) -> LonLat {
        LonLat::new((self.west + self.east) / 2.0, (self.south + self.north) / 2.0)
    }
}

/// Mean Earth radius, metres (IUGG).
const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Approximate distance, metres: equirectangular projection at the mean latitude, longitude difference
/// wrapped across the antimeridian. Good to about 0.5 % below a few hundred kilometres; used only to
/// skip the exact computation when the answer is clear.
pub(crate) fn approx_distance_m(a: LonLat, b: LonLat) -> f64 {
    let mut dlon = (b.lon - a.lon).abs();
    if dlon > 180.0 {
        dlon = 360.0 - dlon;
    }
    let mean_lat = ((a.lat + b.lat) / 2.0).to_radians();
    let x = dlon.to_radians() * mean_lat.cos();
    let y = (b.lat - a.lat).to_radians();
    EARTH_RADIUS_M * (x * x + y * y).sqrt()
}

/// Exact geodesic distance, metres.
pub(crate) fn distance_m(a: LonLat, b: LonLat) -> f64 {
    truce_geo::geodesic::distance_m(a, b)
}

/// True when `a` and `b` are within `limit_m` of each other, computing the exact distance only when
/// the approximate one is within 1 % of the limit.
pub(crate) fn within_m(a: LonLat, b: LonLat, limit_m: f64) -> bool {
    let approx = approx_distance_m(a, b);
    if approx < limit_m * 0.99 {
        true
    } else if approx > limit_m * 1.01 + 1.0 {
        false
    } else {
        distance_m(a, b) <= limit_m
    }
}

/// Local east/north coordinates in metres around `origin` (equirectangular): for fitting shapes a few
/// kilometres across, where the projection error is far below GNSS noise.
pub(crate) fn local_m(origin: LonLat, p: LonLat) -> (f64, f64) {
    let mut dlon = p.lon - origin.lon;
    if dlon > 180.0 {
        dlon -= 360.0;
    } else if dlon < -180.0 {
        dlon += 360.0;
    }
    let x = dlon.to_radians() * origin.lat.to_radians().cos() * EARTH_RADIUS_M;
    let y = (p.lat - origin.lat).to_radians() * EARTH_RADIUS_M;
    (x, y)
}

/// Inverse of [`local_m`].
pub(crate) fn from_local_m(origin: LonLat, x: f64, y: f64) -> LonLat {
    let cos = origin.lat.to_radians().cos().max(1e-9);
    let lat = (origin.lat + (y / EARTH_RADIUS_M).to_degrees()).clamp(-90.0, 90.0);
    let mut lon = origin.lon + (x / (EARTH_RADIUS_M * cos)).to_degrees();
    if lon > 180.0 {
        lon -= 360.0;
    } else if lon < -180.0 {
        lon += 360.0;
    }
    LonLat::new(lon, lat)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_and_bounds_agree() {
        let p = LonLat::new(33.6, 46.8);
        let c = cell_of(p, 0.5);
        assert_eq!(c, (67, 93));
        let b = CellBounds::of(c, 0.5);
        assert!(b.west <= p.lon && p.lon < b.east && b.south <= p.lat && p.lat < b.north);
        // The edge of the world stays inside the grid.
        assert_eq!(cell_of(LonLat::new(180.0, 90.0), 0.5), (359, 179));
        assert_eq!(cell_of(LonLat::new(-180.0, -90.0), 0.5), (-360, -180));
    }

    #[test]
    fn approximate_distance_is_close_for_short_hops() {
        let a = LonLat::new(30.74, 46.49);
        let b = LonLat::new(30.80, 46.45);
        let exact = distance_m(a, b);
        assert!((approx_distance_m(a, b) - exact).abs() / exact < 0.005);
        assert!(within_m(a, b, exact + 1.0) && !within_m(a, b, exact - 1.0));
        let (x, y) = local_m(a, b);
        let back = from_local_m(a, x, y);
        assert!((back.lon - b.lon).abs() < 1e-9 && (back.lat - b.lat).abs() < 1e-9);
    }
}
