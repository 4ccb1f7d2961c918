//! `revoked.tsv`, the revocation register a running server re-reads when another process rewrites it:
//! arbitrary text through `parse_register`. It may refuse anything but must not panic, and every
//! serial it accepts is canonical (upper-case hexadecimal, no separator, no leading zero).
#![no_main]

use libfuzzer_sys::fuzz_target;
use truce_pki::revoke::parse_register;

fuzz_target!(|text: &str| {
    match parse_register(text) {
        Ok(serials) => {
            for s in serials {
                assert!(!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b)));
                assert!(s == "0" || !s.starts_with('0'));
            }
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
});
