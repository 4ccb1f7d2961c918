//! An observation file in each format: reading never panics, every record is a value or its errors,
//! and positions only grow.
#![no_main]

use libfuzzer_sys::fuzz_target;
use truce_formats::ingest::{FileFormat, FileReader};

fuzz_target!(|data: &[u8]| {
    for format in [FileFormat::Csv, FileFormat::Ndjson, FileFormat::GeoJson] {
        let Ok(mut reader) = FileReader::new(data, format) else { continue };
        let mut last = 0;
        for _ in 0..10_000 {
            match reader.next_record() {
                Ok(Some(r)) => {
                    assert!(r.position >= last, "{format:?}: position {} after {last}", r.position);
                    last = r.position;
                }
                Ok(None) | Err(_) => break,
            }
        }
    }
});
