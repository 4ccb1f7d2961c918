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

    /// The coordinates' bits: equal bits, the same point to every computation.
    pub(crate) fn bits(self) -> [u64; 3] {
        [self.x.to_bits(), self.y.to_bits(), self.z.to_bits()]
    }

    pub(crate) fn norm(self) -> f64 {
        self.dot(self).sqrt()
    }

    /// The point where the ray from the earth's centre through `self` meets the ellipsoid.
    ///
    /// The scale is `1/√s` with `s` the ellipsoid's equation at the point. A chord's foot lies within a
    /// few hundred metres of the surface (`s = 1 − e`, `|e|` below a millionth): there `1/√s` is its
    /// series to `e²` (the next term is below 4 × 10⁻¹⁹), without the division and the square root that
    /// were a tenth of a query's time; elsewhere it is computed as such.
    #[inline]
    pub(crate) fn to_surface(self) -> Self {
        const INV_A2: f64 = 1.0 / (A * A);
        const INV_B2: f64 = 1.0 / (B * B);
        let s = (self.x * self.x + self.y * self.y) * INV_A2 + self.z * self.z * INV_B2;
        let e = 1.0 - s;
        let k = if e.abs() < 1e-6 { 1.0 + e * (0.5 + 0.375 * e) } else { 1.0 / s.sqrt() };
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

/// What [`surface_point_near`] needs of a nearby latitude `φ₀`: `1/w₀` and `1/√w₀`, with
/// `w₀ = 1 − e²·sin²φ₀`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NearW {
    inv_w: f64,
    rsqrt_w: f64,
}

impl NearW {
    /// For the latitude whose sine is `slat`.
    pub(crate) fn at(slat: f64) -> Self {
        let w = 1.0 - E2 * slat * slat;
        Self { inv_w: 1.0 / w, rsqrt_w: 1.0 / w.sqrt() }
    }
}

/// [`surface_point`] for a latitude within a quarter of a degree of the one `near` was made for,
/// without a division or a square root: with `w = w₀·(1 − d)`, `|d|` below 3 × 10⁻⁵ there, `1/√w` is
/// `1/√w₀` times the series of `(1 − d)^(−1/2)` to `d³` (the next term is below 10⁻¹⁸), and `1/w` its
/// square. Within a few units in the last place of [`surface_point`].
#[inline]
pub(crate) fn surface_point_near(slat: f64, clat: f64, slon: f64, clon: f64, near: &NearW) -> (Ecef, f64, f64) {
    const DIAMETER_W: f64 = 2.0 * A * 0.996_647_189_335_252_5; // 2·A·√(1 − e²)
    const INV_DIAMETER_PER_W: f64 = 1.0 / DIAMETER_W;
    let w = 1.0 - E2 * slat * slat;
    let d = 1.0 - w * near.inv_w;
    let rsqrt_w = near.rsqrt_w * (1.0 + d * (0.5 + d * (0.375 + d * 0.3125)));
    let n = A * rsqrt_w;
    let ecef = Ecef { x: n * clat * clon, y: n * clat * slon, z: n * (1.0 - E2) * slat };
    (ecef, DIAMETER_W * (rsqrt_w * rsqrt_w), INV_DIAMETER_PER_W * w)
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

    /// The surface point from a nearby latitude is the one from its own, to within a few units in the
    /// last place, up to a quarter of a degree away, over the whole globe.
    #[test]
    fn the_surface_point_near_a_latitude_is_the_one_at_it() {
        let mut rng = crate::fixtures::Rng::new(5);
        let (mut worst_m, mut worst_d) = (0.0f64, 0.0f64);
        for _ in 0..200_000 {
            let lat0 = rng.uniform(-89.75, 89.75);
            let lat = lat0 + rng.uniform(-0.25, 0.25);
            let (s, c) = lat.to_radians().sin_cos();
            let (sl, cl) = rng.uniform(-180.0, 180.0).to_radians().sin_cos();
            let near = NearW::at(lat0.to_radians().sin());
            let (e, d, inv) = surface_point_near(s, c, sl, cl, &near);
            let (e0, d0, inv0) = surface_point(s, c, sl, cl);
            worst_m = worst_m.max(e.sub(e0).norm());
            worst_d = worst_d.max((d / d0 - 1.0).abs()).max((inv / inv0 - 1.0).abs());
        }
        assert!(worst_m < 6e-9 && worst_d < 2e-15, "{worst_m:e} m, {worst_d:e}");
    }

    /// Near the surface the scale is the series, elsewhere `1/√s`: both put the point on the
    /// ellipsoid, and the series within an ulp of the square root.
    #[test]
    fn a_foot_is_lifted_onto_the_ellipsoid() {
        let mut rng = crate::fixtures::Rng::new(9);
        for _ in 0..100_000 {
            let p = Ecef::from_lonlat(LonLat::new(rng.uniform(-180.0, 180.0), rng.uniform(-90.0, 90.0)));
            for depth in [0.0, 1e-9, 3e-8, 2e-7, 5e-7, 1e-5, 0.1] {
                let q = p.scale(1.0 - depth).to_surface();
                let s = (q.x * q.x + q.y * q.y) / (A * A) + q.z * q.z / (B * B);
                assert!((s - 1.0).abs() < 1.5e-15, "{depth}: {s}");
                let exact = p.scale(1.0 - depth);
                let k = 1.0 / ((exact.x * exact.x + exact.y * exact.y) / (A * A) + exact.z * exact.z / (B * B)).sqrt();
                assert!(q.sub(exact.scale(k)).norm() < 3e-9, "{depth}");
            }
        }
    }

    #[test]
    fn surface_projection_is_idempotent() {
        let p = Ecef::from_lonlat(LonLat::new(35.0, 48.0));
        let q = p.scale(0.999).to_surface();
        assert!(p.sub(q).norm() < 1e-3);
    }
}
