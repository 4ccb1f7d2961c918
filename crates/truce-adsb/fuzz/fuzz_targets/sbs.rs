//! SBS-1 BaseStation text through `--format sbs` (line splitting, UTF-8 check, field parsing).
#![no_main]

use libfuzzer_sys::fuzz_target;
use truce_adsb::Format;

fuzz_target!(|data: &[u8]| {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let _ = truce_adsb::decode_ndjson(data, Format::Sbs, "fuzz", &mut out, &mut err);
});
