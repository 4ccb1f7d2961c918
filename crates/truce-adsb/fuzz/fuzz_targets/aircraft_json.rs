//! readsb/dump1090 aircraft.json through `--format aircraft-json` (JSON stream, field checks).
#![no_main]

use libfuzzer_sys::fuzz_target;
use truce_adsb::Format;

fuzz_target!(|data: &[u8]| {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let _ = truce_adsb::decode_ndjson(data, Format::AircraftJson, "fuzz", &mut out, &mut err);
});
