//! A checkpoint file: parsing never panics, and a checkpoint that parses writes back to the same text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use truce_audit::Checkpoint;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(cp) = Checkpoint::parse(text) {
        assert!(cp.signature_valid());
        assert_eq!(cp.to_text(), text);
    }
});
