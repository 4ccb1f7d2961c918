//! One protobuf TakMessage: decoding and the mapping to an event must not panic, and an event that
//! comes out must map back to protobuf and return unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use truce_cot::tak::{decode_message, encode_message, event_from_message, event_to_message};
use truce_cot::xml::XmlLimits;

fuzz_target!(|data: &[u8]| {
    let Ok(msg) = decode_message(data) else { return };
    let Ok(Some(ev)) = event_from_message(&msg, &XmlLimits::default()) else { return };
    let bytes = encode_message(&event_to_message(&ev).expect("a decoded event converts back"));
    let again = event_from_message(&decode_message(&bytes).expect("decodes"), &XmlLimits::default());
    assert_eq!(again, Ok(Some(ev)));
});
