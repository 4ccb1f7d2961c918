//! An NMEA feed: arbitrary bytes through `decode_ndjson` and through the streaming decoder (lines
//! spread over three sources, a small assembly pool and a clock from the data). Neither may panic;
//! every output line must be JSON-shaped and the decoder's pool must stay within its bound.
#![no_main]

use libfuzzer_sys::fuzz_target;
use truce_ais::{Config, Decoder, SourceKey, Timestamp, decode_ndjson};

fuzz_target!(|data: &[u8]| {
    let (mut out, mut errors) = (Vec::new(), Vec::new());
    let summary = decode_ndjson(data, "fuzz", &mut out, &mut errors).expect("writing to a Vec cannot fail");
    assert!(summary.bad + summary.messages <= summary.lines);
    for line in out.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        assert!(line.starts_with(b"{") && line.ends_with(b"}"));
        assert!(std::str::from_utf8(line).is_ok());
    }
    let cfg = Config { timeout_ms: 2_000, window: 8, max_pending: 3 };
    let mut dec = Decoder::new(cfg);
    for (i, line) in data.split(|&b| b == b'\n').enumerate() {
        let now = Timestamp::from_unix_seconds(i as i64 / 4);
        let _ = dec.push_line(SourceKey(line.len() as u64 % 3), line, Some(now));
        assert!(dec.pending() <= cfg.max_pending);
    }
    dec.flush();
    assert_eq!(dec.pending(), 0);
});
