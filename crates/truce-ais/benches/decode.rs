//! Decoding a realistic feed: the four corpora's sentences that decode, each given an NMEA 4.10 tag
//! block (`s:` station, `c:` time, and `g:` on the fragments of multi-sentence messages, type 5
//! included), run through the streaming decoder. Throughput is in sentences per second.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use truce_ais::{Decoder, SourceKey};

/// The corpus lines that decode, re-tagged; one `Vec<u8>` per line.
fn stream() -> Vec<Vec<u8>> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus");
    let mut files: Vec<_> = std::fs::read_dir(dir).expect("corpus").map(|e| e.expect("entry").path()).collect();
    files.sort();
    let mut raw = Vec::new();
    for f in files.iter().filter(|p| p.extension().is_some_and(|e| e == "nmea")) {
        let text = std::fs::read_to_string(f).expect("corpus file");
        raw.extend(text.lines().map(str::to_owned));
    }
    let mut out = Vec::new();
    let mut group = Vec::new();
    let mut gid = 0_u32;
    for (i, line) in raw.iter().enumerate() {
        // The sentence without any tag block it had.
        let s = line.rsplit('\\').next().unwrap_or(line);
        let fields: Vec<&str> = s.split(',').collect();
        if fields.len() < 3 || !s.starts_with('!') {
            continue;
        }
        group.push(s.to_owned());
        if fields[1] != fields[2] {
            continue; // a fragment: wait for the last one
        }
        // Keep only complete, valid messages, so every benchmarked line does real work.
        let mut ok = false;
        let mut d = Decoder::default();
        for g in &group {
            ok = matches!(d.push_line(SourceKey(0), g.as_bytes(), None), Ok(Some(_)));
        }
        if ok {
            gid += 1;
            let n = group.len();
            for (k, g) in group.iter().enumerate() {
                let tb = if n > 1 {
                    format!("g:{}-{n}-{gid},s:rStation{},c:{}", k + 1, i % 7, 1_700_000_000 + i)
                } else {
                    format!("s:rStation{},c:{}", i % 7, 1_700_000_000 + i)
                };
                let sum = tb.bytes().fold(0, |a, b| a ^ b);
                out.push(format!("\\{tb}*{sum:02X}\\{g}").into_bytes());
            }
        }
        group.clear();
    }
    out
}

fn decode(c: &mut Criterion) {
    let lines = stream();
    let mut g = c.benchmark_group("ais");
    g.throughput(Throughput::Elements(lines.len() as u64));
    g.bench_function("tagged_stream", |b| {
        let mut dec = Decoder::default();
        b.iter(|| {
            let mut n = 0_u32;
            for l in &lines {
                n += u32::from(matches!(dec.push_line(SourceKey(1), black_box(l), None), Ok(Some(_))));
            }
            n
        })
    });
    g.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
