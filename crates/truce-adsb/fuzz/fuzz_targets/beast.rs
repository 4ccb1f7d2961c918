//! Beast stream: incremental framing (split at a point chosen by the first byte) and decoding
//! of every frame found, through the same path as `truce decode adsb --format beast`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use truce_adsb::{BeastFramer, Decoder, Format};

fuzz_target!(|data: &[u8]| {
    let Some((&split, rest)) = data.split_first() else { return };
    let cut = usize::from(split).min(rest.len());
    let mut framer = BeastFramer::new();
    let mut decoder = Decoder::default();
    let mut sink = |r: Result<truce_adsb::BeastFrame, truce_adsb::BeastError>| {
        if let Ok(f) = r {
            let _ = decoder.frame(f.data(), f.seconds());
        }
    };
    framer.push(&rest[..cut], &mut sink);
    framer.push(&rest[cut..], &mut sink);
    framer.finish(&mut sink);
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let _ = truce_adsb::decode_ndjson(rest, Format::Beast, "fuzz", &mut out, &mut err);
});
