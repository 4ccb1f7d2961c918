//! What the clients count: receipts (unique, duplicate, echoed) and latency histograms.

/// Latencies below this many µs are counted in 10 µs buckets, above it in 1 ms buckets.
const FINE_LIMIT_US: u64 = 100_000;
const FINE_US: u64 = 10;
const COARSE_US: u64 = 1_000;
/// 1 ms buckets up to 120 s; anything later shares the last bucket (the exact maximum is kept).
const COARSE: usize = 120_000;
const FINE: usize = (FINE_LIMIT_US / FINE_US) as usize;

/// A latency histogram: 10 µs resolution to 100 ms, 1 ms beyond; fixed size, so recording a
/// million receipts a second costs an increment each and no allocation.
#[derive(Debug, Clone)]
pub struct Histogram {
    buckets: Vec<u64>,
    count: u64,
    max_us: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram { buckets: vec![0; FINE + COARSE + 1], count: 0, max_us: 0 }
    }
}

impl Histogram {
    /// Counts one latency.
    pub fn record(&mut self, us: u64) {
        let i = if us < FINE_LIMIT_US {
            (us / FINE_US) as usize
        } else {
            FINE + (((us - FINE_LIMIT_US) / COARSE_US) as usize).min(COARSE)
        };
        self.buckets[i] += 1;
        self.count += 1;
        self.max_us = self.max_us.max(us);
    }

    /// Adds another histogram's counts.
    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.buckets.iter_mut().zip(&other.buckets) {
            *a += b;
        }
        self.count += other.count;
        self.max_us = self.max_us.max(other.max_us);
    }

    /// The `p`th percentile in ms, as cotbench takes it (the value at rank ⌊p/100 · n⌋ of the sorted
    /// latencies), here the lower edge of its bucket (10 µs or 1 ms below it); `None` when nothing
    /// was recorded.
    pub fn percentile_ms(&self, p: f64) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        let rank = ((p / 100.0 * self.count as f64) as u64).min(self.count - 1);
        let mut seen = 0;
        for (i, &n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen > rank {
                let low = if i < FINE { i as u64 * FINE_US } else { FINE_LIMIT_US + (i - FINE) as u64 * COARSE_US };
                return Some(round2(low as f64 / 1000.0));
            }
        }
        None
    }

    /// The largest latency recorded, ms.
    pub fn max_ms(&self) -> Option<f64> {
        (self.count > 0).then(|| round2(self.max_us as f64 / 1000.0))
    }
}

/// Rounds to two decimals, as the JSON reports numbers.
pub fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// Which (sender, seq) one client has received: a bitmap, so that duplicates are told from
/// deliveries and loss is counted per receipt.
#[derive(Debug)]
pub struct Seen {
    bits: Vec<u64>,
    senders: usize,
    seqs: usize,
}

/// What a client received of the run's events.
#[derive(Debug, Default, Clone, Copy)]
pub struct Receipts {
    /// Events of other senders received once.
    pub unique: u64,
    /// Events of other senders received again.
    pub dups: u64,
    /// The client's own events sent back to it.
    pub echo: u64,
    /// Marks naming a sender or sequence number this run never used.
    pub unknown: u64,
}

impl Receipts {
    /// Adds another client's counts.
    pub fn add(&mut self, o: &Receipts) {
        self.unique += o.unique;
        self.dups += o.dups;
        self.echo += o.echo;
        self.unknown += o.unknown;
    }
}

/// What receiving one mark was.
#[derive(Debug, PartialEq, Eq)]
pub enum Receipt {
    /// The first time.
    New,
    /// Again.
    Duplicate,
    /// Outside the run's senders or sequence numbers.
    Unknown,
}

impl Seen {
    /// Room for `senders` senders' sequence numbers 1 to `seqs - 1`; the bitmap is allocated on the
    /// first receipt.
    pub fn new(senders: usize, seqs: usize) -> Self {
        Seen { bits: Vec::new(), senders, seqs }
    }

    /// Marks (sender, seq) received.
    pub fn receive(&mut self, sender: u32, seq: u32) -> Receipt {
        let (sender, seq) = (sender as usize, seq as usize);
        if sender >= self.senders || seq == 0 || seq >= self.seqs {
            return Receipt::Unknown;
        }
        if self.bits.is_empty() {
            self.bits = vec![0; (self.senders * self.seqs).div_ceil(64)];
        }
        let bit = sender * self.seqs + seq;
        let (word, mask) = (bit / 64, 1u64 << (bit % 64));
        if self.bits[word] & mask != 0 {
            return Receipt::Duplicate;
        }
        self.bits[word] |= mask;
        Receipt::New
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_those_of_the_sorted_latencies_within_a_bucket() {
        let mut h = Histogram::default();
        for ms in 1..=100u64 {
            h.record(ms * 1000);
        }
        assert_eq!(h.percentile_ms(50.0), Some(51.0));
        assert_eq!(h.percentile_ms(99.0), Some(100.0));
        assert_eq!(h.max_ms(), Some(100.0));
        let mut other = Histogram::default();
        other.record(5_000_000);
        h.merge(&other);
        assert_eq!(h.count, 101);
        assert_eq!(h.max_ms(), Some(5000.0));
    }

    #[test]
    fn duplicates_and_strangers_are_told_apart() {
        let mut s = Seen::new(3, 10);
        assert_eq!(s.receive(2, 9), Receipt::New);
        assert_eq!(s.receive(2, 9), Receipt::Duplicate);
        assert_eq!(s.receive(1, 9), Receipt::New);
        assert_eq!(s.receive(3, 1), Receipt::Unknown);
        assert_eq!(s.receive(0, 10), Receipt::Unknown);
        assert_eq!(s.receive(0, 0), Receipt::Unknown);
    }
}
