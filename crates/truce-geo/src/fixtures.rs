//! Deterministic geometry for tests and benchmarks.

use crate::LonLat;

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
