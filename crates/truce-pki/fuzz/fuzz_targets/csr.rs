//! A device's certificate signing request as the Marti enrolment endpoint receives it: arbitrary
//! bytes through `parse_csr` (PEM or bare base64, then DER, key checks and the signature). It may
//! refuse anything but must not panic, and what it accepts is one request, within the size limit,
//! with a key it can carry.
#![no_main]

use libfuzzer_sys::fuzz_target;
use truce_pki::enrol::{KeyAlgorithm, MAX_CSR_BYTES, MIN_RSA_BITS};
use truce_pki::parse_csr;

fuzz_target!(|data: &[u8]| {
    match parse_csr(data) {
        Ok(csr) => {
            assert!(data.len() <= MAX_CSR_BYTES);
            assert!(!csr.der.is_empty() && csr.der.len() <= data.len());
            if let KeyAlgorithm::Rsa { bits } = csr.key_algorithm {
                assert!(bits >= MIN_RSA_BITS);
            }
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
});
