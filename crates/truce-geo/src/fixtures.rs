//! Deterministic geometry for tests and benchmarks.

use crate::LonLat;

/// The 21 vertices of the approximate 2025 line of contact shipped in
/// `data/geo/contact_line_2025_approx.geojson` (feature `loc`; sources of every vertex in that file),
/// north-east to south-west: Russian-held ground is on the left. An approximation for testing only.
pub fn line_of_contact_2025() -> Vec<LonLat> {
    [
        [36.94278, 50.28778],
        [37.583, 49.717],
        [37.64083, 49.38167],
        [37.81111, 48.98528],
        [38.09722, 48.86306],
        [37.83588, 48.58844],
        [37.87333, 48.39167],
        [37.18278, 48.28278],
        [36.835, 47.83833],
        [36.25306, 47.66639],
        [35.82611, 47.44306],
        [35.43972, 47.52278],
        [34.40305, 47.51489],
        [33.39585, 46.79415],
        [32.64983, 46.63334],
        [32.33, 46.51],
        [32.2, 46.528],
        [32.0, 46.566],
        [31.8, 46.571],
        [31.65, 46.593],
        [31.52633, 46.59728],
    ]
    .iter()
    .map(|c| LonLat::new(c[0], c[1]))
    .collect()
}

/// `base` resampled to `n` vertices (evenly along its vertex sequence) with a deterministic zig-zag of
/// up to `amplitude_deg` across it; the two ends stay where they are. Used to grow the 21-vertex line of
/// contact into a 2,000-vertex one with the same overall shape.
pub fn zigzag(base: &[LonLat], n: usize, amplitude_deg: f64) -> Vec<LonLat> {
    if base.len() < 2 || n < 2 {
        return base.to_vec();
    }
    let per = (n - 1) as f64 / (base.len() - 1) as f64;
    (0..n)
        .map(|k| {
            let f = k as f64 / per;
            let i = (f.floor() as usize).min(base.len() - 2);
            let t = f - i as f64;
            let (a, b) = (base[i], base[i + 1]);
            let wig = if k == 0 || k == n - 1 { 0.0 } else { ((k * 7919) % 13) as f64 / 12.0 * 2.0 - 1.0 };
            let w = wig * amplitude_deg;
            LonLat::new(a.lon + (b.lon - a.lon) * t + w, a.lat + (b.lat - a.lat) * t - w * 0.5)
        })
        .collect()
}

/// A deterministic pseudo-random generator (xorshift64*), so fixtures need no dependency.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a non-zero seed.
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    /// A uniform value in `[lo, hi)`.
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11;
        lo + (hi - lo) * (x as f64 / (1u64 << 53) as f64)
    }

    /// Uniform points in a longitude/latitude box.
    pub fn points(&mut self, n: usize, (lon0, lat0, lon1, lat1): (f64, f64, f64, f64)) -> Vec<LonLat> {
        (0..n).map(|_| LonLat::new(self.uniform(lon0, lon1), self.uniform(lat0, lat1))).collect()
    }
}
