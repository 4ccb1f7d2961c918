//! Times truce-adsb and rs1090 on the same Mode S frames, one core, median of several runs.
//!
//! `truce-bench-adsb FRAMES_FILE [RUNS]` where the file has one `*HEX;` frame per line. Prints
//! tab-separated `decoder<TAB>input<TAB>frames/s` lines for scripts/bench-adsb to tabulate.
//! Every decoder does framing (truce, from a Beast stream, in one variant), the CRC, decoding
//! and stateful CPR position decoding per aircraft.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Instant;

use rs1090::decode::cpr::decode_position;
use rs1090::prelude::*;
use truce_adsb::beast::{self, BeastFramer, BeastKind};
use truce_adsb::{Decoder, raw};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Runs `f` `runs` times over `n` frames, returns the median frames per second.
fn time(runs: usize, n: usize, mut f: impl FnMut() -> usize) -> f64 {
    let mut rates = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        let decoded = black_box(f());
        let secs = start.elapsed().as_secs_f64();
        assert!(decoded > 0);
        rates.push(n as f64 / secs);
    }
    median(rates)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = args.get(1).expect("usage: truce-bench-adsb FRAMES_FILE [RUNS]");
    let runs: usize = args.get(2).and_then(|r| r.parse().ok()).unwrap_or(7);
    let text = std::fs::read_to_string(path).expect("frames file");
    let frames: Vec<Vec<u8>> = text
        .lines()
        .filter_map(|l| raw::parse_line(l).ok())
        .filter(|f| f.data().len() > 2)
        .map(|f| f.data().to_vec())
        .collect();
    let n = frames.len();
    let mut stream = Vec::new();
    for (i, f) in frames.iter().enumerate() {
        let kind = if f.len() == 7 { BeastKind::ModeSShort } else { BeastKind::ModeSLong };
        beast::encode(kind, i as u64 * 12_000, 0x80, f, &mut stream);
    }
    eprintln!("{n} frames, {} Beast bytes, {runs} runs each", stream.len());

    let beast_rate = time(runs, n, || {
        let mut framer = BeastFramer::new();
        let mut decoder = Decoder::default();
        let mut ok = 0;
        framer.push(&stream, |r| {
            if let Ok(f) = r
                && let Ok(m) = decoder.frame(f.data(), f.seconds())
            {
                // The message escapes, so no field's computation can be optimised away.
                black_box(&m);
                ok += 1;
            }
        });
        ok
    });
    println!("truce-adsb\tBeast stream (framing + decode + CPR)\t{beast_rate:.0}");

    let truce_rate = time(runs, n, || {
        let mut decoder = Decoder::default();
        let mut ok = 0;
        for (i, f) in frames.iter().enumerate() {
            if let Ok(m) = decoder.frame(f, i as f64 * 0.001) {
                black_box(&m);
                ok += 1;
            }
        }
        ok
    });
    println!("truce-adsb\tframe bytes (decode + CPR)\t{truce_rate:.0}");

    let rs_rate = time(runs, n, || {
        let mut aircraft = BTreeMap::new();
        let mut reference = None;
        let mut ok = 0;
        for (i, f) in frames.iter().enumerate() {
            let t = i as f64 * 0.001;
            if let Ok((_, mut msg)) = Message::from_bytes((f, 0)) {
                match &mut msg.df {
                    ExtendedSquitterADSB(adsb) => {
                        decode_position(&mut adsb.message, t, &adsb.icao24, &mut aircraft, &mut reference, &None)
                    }
                    ExtendedSquitterTisB { cf, .. } => {
                        decode_position(&mut cf.me, t, &cf.aa, &mut aircraft, &mut reference, &None)
                    }
                    _ => {}
                }
                black_box(&msg);
                ok += 1;
            }
        }
        ok
    });
    println!("rs1090 0.7\tframe bytes (decode + CPR)\t{rs_rate:.0}");
}
