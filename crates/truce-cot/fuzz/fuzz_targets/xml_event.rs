//! One XML document: parsing must not panic, and whatever parses must serialise and parse back to
//! the same event.
#![no_main]

use libfuzzer_sys::fuzz_target;
use truce_cot::xml::{parse_event, to_xml};

fuzz_target!(|data: &[u8]| {
    if let Ok(ev) = parse_event(data) {
        let xml = to_xml(&ev);
        let again = parse_event(xml.as_bytes()).expect("a serialised event parses");
        assert_eq!(again, ev);
    }
});
