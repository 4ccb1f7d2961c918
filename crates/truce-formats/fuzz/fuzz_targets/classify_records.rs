//! The input of `truce classify` (CSV with a header, or NDJSON), read record by record: reading never
//! panics, lines only grow, and every record read is within range (latitude ±90, longitude ±180).
#![no_main]

use libfuzzer_sys::fuzz_target;
use truce_formats::records::{InputFormat, RecordReader};

fuzz_target!(|data: &[u8]| {
    for format in [InputFormat::Csv, InputFormat::Ndjson] {
        let Ok(mut reader) = RecordReader::new(data, format) else { continue };
        let mut last = 0;
        for _ in 0..10_000 {
            let line = match reader.next_record() {
                Ok(Some(Ok(r))) => {
                    assert!(r.lat.abs() <= 90.0 && r.lon.abs() <= 180.0, "{format:?}: {r:?}");
                    r.line
                }
                Ok(Some(Err(e))) => e.line,
                Ok(None) | Err(_) => break,
            };
            assert!(line >= last, "{format:?}: line {line} after {last}");
            last = line;
        }
    }
});
