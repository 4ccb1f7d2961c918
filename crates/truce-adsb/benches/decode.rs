//! Mode S decoding from a Beast stream: framing, CRC, decoding and the CPR/AP state, on the
//! 20,000 committed LAX frames (tests/corpus). Throughput is reported in frames per second;
//! the issue asks for at least 500,000 frames/s on one core.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use truce_adsb::beast::{self, BeastFramer, BeastKind};
use truce_adsb::{Decoder, raw};

/// The corpus as a Beast stream with timestamps 1 ms apart.
fn stream() -> (Vec<u8>, u64) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/lax_raw_frames_20k.txt");
    let text = std::fs::read_to_string(path).expect("corpus");
    let mut out = Vec::new();
    let mut n = 0;
    for (i, line) in text.lines().enumerate() {
        let f = raw::parse_line(line).expect("raw frame");
        let kind = if f.data().len() == 7 { BeastKind::ModeSShort } else { BeastKind::ModeSLong };
        beast::encode(kind, i as u64 * 12_000, 0x80, f.data(), &mut out);
        n += 1;
    }
    (out, n)
}

fn decode(c: &mut Criterion) {
    let (bytes, frames) = stream();
    let mut g = c.benchmark_group("adsb");
    g.throughput(Throughput::Elements(frames));
    g.bench_function("beast_decode", |b| {
        b.iter(|| {
            let mut framer = BeastFramer::new();
            let mut decoder = Decoder::default();
            let mut decoded = 0u32;
            framer.push(black_box(&bytes), |r| {
                if let Ok(f) = r
                    && let Ok(m) = decoder.frame(f.data(), f.seconds())
                {
                    black_box(&m);
                    decoded += 1;
                }
            });
            decoded
        })
    });
    g.bench_function("beast_framing_only", |b| {
        b.iter(|| {
            let mut framer = BeastFramer::new();
            let mut n = 0u32;
            framer.push(black_box(&bytes), |r| n += u32::from(r.is_ok()));
            n
        })
    });
    g.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
