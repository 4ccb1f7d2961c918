//! Times truce-ais and the `ais` crate on the same sentences; writes the streams for pyais.
//!
//!     bench-ais CORPUS_DIR OUT_DIR
//!
//! The stream is every sentence of the corpora that truce-ais decodes (multi-sentence type 5
//! included), each with an NMEA 4.10 tag block (`s:`, `c:`, and `g:` on fragments), repeated to about
//! 200,000 lines. The `ais` crate does not accept tag blocks, so it gets the same sentences without
//! them (truce-ais is timed on that plain stream too). 15 rounds, the decoders taking turns in each;
//! the median per decoder is shown.

use std::time::Instant;
use truce_ais::{Decoder, SourceKey};

fn build(dir: &str) -> (Vec<String>, Vec<String>) {
    let mut files: Vec<_> = std::fs::read_dir(dir).expect("corpus dir").map(|e| e.expect("entry").path()).collect();
    files.sort();
    let mut raw = Vec::new();
    for f in files.iter().filter(|p| p.extension().is_some_and(|e| e == "nmea")) {
        raw.extend(std::fs::read_to_string(f).expect("corpus").lines().map(str::to_owned));
    }
    let (mut tagged, mut plain) = (Vec::new(), Vec::new());
    let mut group: Vec<String> = Vec::new();
    let mut gid = 0_u32;
    for (i, line) in raw.iter().enumerate() {
        let s = line.rsplit('\\').next().unwrap_or(line);
        let f: Vec<&str> = s.split(',').collect();
        if f.len() < 3 || !s.starts_with('!') {
            continue;
        }
        group.push(s.to_owned());
        if f[1] != f[2] {
            continue;
        }
        let mut d = Decoder::default();
        let ok = group.iter().fold(false, |_, g| matches!(d.push_line(SourceKey(0), g.as_bytes(), None), Ok(Some(_))));
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
                tagged.push(format!("\\{tb}*{sum:02X}\\{g}"));
                plain.push(g.clone());
            }
        }
        group.clear();
    }
    let reps = 200_000 / tagged.len().max(1) + 1;
    let rep = |v: &[String]| -> Vec<String> { (0..reps).flat_map(|_| v.iter().cloned()).collect() };
    (rep(&tagged), rep(&plain))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

const ROUNDS: usize = 15;

fn time<F: FnMut() -> usize>(lines: usize, mut f: F) -> (f64, usize) {
    let t = Instant::now();
    let decoded = f();
    (lines as f64 / t.elapsed().as_secs_f64(), decoded)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (dir, out) = (args.get(1).expect("CORPUS_DIR"), args.get(2).expect("OUT_DIR"));
    let (tagged, plain) = build(dir);
    std::fs::create_dir_all(out).expect("out dir");
    std::fs::write(format!("{out}/tagged.nmea"), tagged.join("\n") + "\n").expect("write");
    std::fs::write(format!("{out}/plain.nmea"), plain.join("\n") + "\n").expect("write");
    let tb: Vec<&[u8]> = tagged.iter().map(|s| s.as_bytes()).collect();
    let pb: Vec<&[u8]> = plain.iter().map(|s| s.as_bytes()).collect();

    let truce = |lines: &[&[u8]]| {
        let mut d = Decoder::default();
        lines.iter().filter(|l| matches!(d.push_line(SourceKey(0), l, None), Ok(Some(_)))).count()
    };
    let peer = |lines: &[&[u8]]| {
        let mut p = ais::AisParser::new();
        lines
            .iter()
            .filter(|l| matches!(p.parse(l, true), Ok(ais::AisFragments::Complete(s)) if s.message.is_some()))
            .count()
    };
    // The decoders take turns within each round, so that a burst of load from elsewhere on the machine
    // hits them alike; the median over the rounds is reported.
    let only_truce = std::env::var_os("BENCH_AIS_TRUCE_ONLY").is_some();
    let (mut r1, mut r2, mut r3) = (Vec::new(), Vec::new(), Vec::new());
    let (mut n1, mut n2, mut n3) = (0, 0, 0);
    for _ in 0..ROUNDS {
        let (rate, n) = time(tb.len(), || truce(&tb));
        r1.push(rate);
        n1 = n;
        if only_truce {
            continue;
        }
        let (rate, n) = time(pb.len(), || truce(&pb));
        r2.push(rate);
        n2 = n;
        let (rate, n) = time(pb.len(), || peer(&pb));
        r3.push(rate);
        n3 = n;
    }
    let truce_tagged = median(r1);
    // For profiling (perf, valgrind) of truce-ais alone.
    if only_truce {
        println!("truce-ais (tag blocks): {truce_tagged:.0} sentences/s, {n1} messages");
        return;
    }
    let (truce_plain, ais_plain) = (median(r2), median(r3));
    println!("sentences per run: {} ({} messages)", tb.len(), n1);
    println!("{:<34} {:>14} {:>10}", "decoder", "sentences/s", "vs truce");
    println!("{:<34} {:>14.0} {:>10.2}", "truce-ais (tag blocks)", truce_tagged, 1.0);
    println!("{:<34} {:>14.0} {:>10.2}", "truce-ais (no tag blocks)", truce_plain, truce_plain / truce_tagged);
    println!("{:<34} {:>14.0} {:>10.2}", "ais 0.12 crate (no tag blocks)", ais_plain, ais_plain / truce_tagged);
    println!("# messages: truce tagged {n1}, truce plain {n2}, ais crate {n3}");
    println!("TRUCE_TAGGED_RATE={truce_tagged:.0}");
}
