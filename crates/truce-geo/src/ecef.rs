//! Earth-centred, earth-fixed coordinates on the WGS84 ellipsoid.
//!
//! The fast distance path works on 3-D chords between surface points: a chord is exact to compute
//! (no trigonometry beyond the one conversion per point) and converts back to a distance along the
//! ellipsoid with a closed formula that is accurate to well under 0.01% up to 1,000 km.

use crate::LonLat;

/// WGS84 semi-major axis, metres.
pub(crate) const A: f64 = 6_378_137.0;
/// WGS84 flattening.
pub(crate) const F: f64 = 1.0 / 298.257_223_563;
/// First eccentricity squared.
pub(crate) const E2: f64 = F * (2.0 - F);
/// Semi-minor axis, metres.
pub(crate) const B: f64 = A * (1.0 - F);

/// A point in earth-centred, earth-fixed Cartesian coordinates, metres.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Ecef {
    /// Towards (0°N, 0°E).
    pub x: f64,
    /// Towards (0°N, 90°E).
    pub y: f64,
    /// Towards the north pole.
    pub z: f64,
}

impl Ecef {
    /// The ECEF position of a point on the ellipsoid's surface (height 0).
    pub fn from_lonlat(p: LonLat) -> Self {
        let (slat, clat) = p.lat.to_radians().sin_cos();
        let (slon, clon) = p.lon.to_radians().sin_cos();
        Self::from_sin_cos(slat, clat, slon, clon)
    }

    /// The ECEF position of the surface point whose latitude and longitude have these sines and
    /// cosines.
    #[inline]
    pub(crate) fn from_sin_cos(slat: f64, clat: f64, slon: f64, clon: f64) -> Self {
        let n = A / (1.0 - E2 * slat * slat).sqrt();
        Self { x: n * clat * clon, y: n * clat * slon, z: n * (1.0 - E2) * slat }
    }

    pub(crate) fn sub(self, o: Self) -> Self {
        Self { x: self.x - o.x, y: self.y - o.y, z: self.z - o.z }
    }

    pub(crate) fn add(self, o: Self) -> Self {
        Self { x: self.x + o.x, y: self.y + o.y, z: self.z + o.z }
    }

    pub(crate) fn scale(self, k: f64) -> Self {
        Self { x: self.x * k, y: self.y * k, z: self.z * k }
    }

    pub(crate) fn dot(self, o: Self) -> f64 {
        self.x * o.x + self.y * o.y + self.z * o.z
    }

    pub(crate) fn cross(self, o: Self) -> Self {
        Self { x: self.y * o.z - self.z * o.y, y: self.z * o.x - self.x * o.z, z: self.x * o.y - self.y * o.x }
    }

    pub(crate) fn norm(self) -> f64 {
        self.dot(self).sqrt()
    }

    /// The point where the ray from the earth's centre through `self` meets the ellipsoid.
    pub(crate) fn to_surface(self) -> Self {
        let k = 1.0 / ((self.x * self.x + self.y * self.y) / (A * A) + self.z * self.z / (B * B)).sqrt();
        self.scale(k)
    }
}

/// A surface point's ECEF position and the diameter of the sphere that best fits the ellipsoid around
/// it in every direction (twice the Gaussian mean radius of curvature, `A·√(1 − e²) / w` with
/// `w = 1 − e²·sin²φ`), and the diameter's inverse: from the sines and cosines of its latitude and
/// longitude, with one division and one square root (`N = A / √w = A·√(1/w)`).
#[inline]
pub(crate) fn surface_point(slat: f64, clat: f64, slon: f64, clon: f64) -> (Ecef, f64, f64) {
    const DIAMETER_W: f64 = 2.0 * A * 0.996_647_189_335_252_5; // 2·A·√(1 − e²)
    const INV_DIAMETER_PER_W: f64 = 1.0 / DIAMETER_W;
    let w = 1.0 - E2 * slat * slat;
    let inv_w = 1.0 / w;
    let n = A * inv_w.sqrt();
    let ecef = Ecef { x: n * clat * clon, y: n * clat * slon, z: n * (1.0 - E2) * slat };
    (ecef, DIAMETER_W * inv_w, INV_DIAMETER_PER_W * w)
}

/// Converts a chord between two surface points into the distance along the surface, metres, given the
/// diameter of the sphere it is measured on and its inverse.
///
/// Exact on that sphere; on the ellipsoid the chord-to-arc correction is small (about 1 km at
/// 1,000 km) so the choice of sphere changes the result by a few metres at most there.
#[inline]
pub(crate) fn chord_to_arc_m(chord_m: f64, diameter_m: f64, inv_diameter: f64) -> f64 {
    let h = (chord_m * inv_diameter).min(1.0);
    diameter_m * h.asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equator_and_pole() {
        let e = Ecef::from_lonlat(LonLat::new(0.0, 0.0));
        assert!((e.x - A).abs() < 1e-6 && e.y.abs() < 1e-6 && e.z.abs() < 1e-6);
        let n = Ecef::from_lonlat(LonLat::new(0.0, 90.0));
        assert!((n.z - B).abs() < 1e-6, "{n:?}");
        assert!((n.to_surface().z - B).abs() < 1e-6);
    }

    #[test]
    fn the_surface_point_is_the_one_from_the_library_and_its_sphere_the_gaussian_one() {
        assert!(((1.0 - E2).sqrt() - 0.996_647_189_335_252_5).abs() < 1e-16);
        for lat in [-89.9, -45.0, 0.0, 30.0, 48.5, 60.0, 89.9f64] {
            let p = LonLat::new(33.3, lat);
            let (s, c) = lat.to_radians().sin_cos();
            let (sl, cl) = 33.3f64.to_radians().sin_cos();
            let (e, d, inv) = surface_point(s, c, sl, cl);
            assert!(e.sub(Ecef::from_lonlat(p)).norm() < 1e-8, "{lat}");
            let gaussian = A * (1.0 - E2).sqrt() / (1.0 - E2 * s * s);
            assert!((d - 2.0 * gaussian).abs() < 1e-8 && (d * inv - 1.0).abs() < 1e-15, "{lat}");
        }
    }

    #[test]
    fn surface_projection_is_idempotent() {
        let p = Ecef::from_lonlat(LonLat::new(35.0, 48.0));
        let q = p.scale(0.999).to_surface();
        assert!(p.sub(q).norm() < 1e-3);
    }
}
