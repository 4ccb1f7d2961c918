//! A TCP XML stream: the first byte picks a chunk size, the rest is the stream. The decoder must not
//! panic and its buffer must stay within the limit plus one chunk.
#![no_main]

use libfuzzer_sys::fuzz_target;
use truce_cot::xml::{XmlLimits, XmlStreamDecoder};

fuzz_target!(|data: &[u8]| {
    let Some((&first, stream)) = data.split_first() else { return };
    let chunk = usize::from(first).max(1);
    let limits = XmlLimits { max_bytes: 4096, max_depth: 16 };
    let mut dec = XmlStreamDecoder::new(limits);
    for piece in stream.chunks(chunk) {
        dec.push(piece);
        while dec.next_event().is_some() {}
        assert!(dec.buffered() <= limits.max_bytes + chunk);
    }
});
