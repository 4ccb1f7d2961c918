//! Mode S frames: the input is a sequence of 7- and 14-byte frames (the first byte chooses the
//! lengths) fed to one decoder, so CPR pairing and the AP rule see related frames; the same
//! bytes as text go through the raw (AVR) parser and `--format raw`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use truce_adsb::{Decoder, Format, raw};

fuzz_target!(|data: &[u8]| {
    let Some((&pattern, mut rest)) = data.split_first() else { return };
    let mut decoder = Decoder::default();
    let mut bit = 0;
    let mut now = 0.0;
    while !rest.is_empty() {
        let len = if pattern >> (bit % 8) & 1 == 1 { 14 } else { 7 };
        let (frame, tail) = rest.split_at(len.min(rest.len()));
        let _ = decoder.frame(frame, now);
        now += 0.5;
        rest = tail;
        bit += 1;
    }
    if let Ok(text) = std::str::from_utf8(data) {
        for line in text.lines() {
            let _ = raw::parse_line(line);
        }
    }
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let _ = truce_adsb::decode_ndjson(data, Format::Raw, "fuzz", &mut out, &mut err);
});
