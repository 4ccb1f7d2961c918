//! A TAK protocol stream: frames decode or fail without panicking, the buffer stays bounded, and
//! a datagram of the same bytes decodes or fails too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use truce_cot::frame::{FrameDecoder, decode_datagram};
use truce_cot::tak::event_from_message;
use truce_cot::xml::XmlLimits;

fuzz_target!(|data: &[u8]| {
    let mut dec = FrameDecoder::new(4096);
    for piece in data.chunks(61) {
        dec.push(piece);
        while let Some(m) = dec.next_message() {
            match m {
                Ok(m) => {
                    let _ = event_from_message(&m, &XmlLimits::default());
                }
                Err(_) if dec.is_failed() => break,
                Err(_) => {}
            }
        }
        assert!(dec.buffered() <= 4096 + 11 + 61);
    }
    let _ = decode_datagram(data, 4096);
});
