//! An HTTP/1.1 response as a polled feed reads it (`truce_formats::http_response`): never a panic,
//! and a body it accepts is never larger than the cap.
#![no_main]

use libfuzzer_sys::fuzz_target;
use truce_formats::http_response::body;

fuzz_target!(|data: &[u8]| {
    if let Ok(b) = body(data, 4096) {
        assert!(b.len() <= 4096);
    }
});
