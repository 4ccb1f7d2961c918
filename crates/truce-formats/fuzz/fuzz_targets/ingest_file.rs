//! An observation file in each format, read as it comes and with each date order and encoding given:
//! reading never panics, every record is a value, a skip or its errors, and positions only grow.
#![no_main]

use libfuzzer_sys::fuzz_target;
use truce_formats::ingest::{DateOrder, Encoding, FileFormat, FileReader, ReadOptions};

fuzz_target!(|data: &[u8]| {
    let given = ReadOptions { date_order: Some(DateOrder::Mdy), encoding: Some(Encoding::Utf8) };
    let other = ReadOptions { date_order: Some(DateOrder::Dmy), encoding: Some(Encoding::Windows1252) };
    for (format, options) in [
        (FileFormat::Csv, ReadOptions::default()),
        (FileFormat::Csv, given),
        (FileFormat::Csv, other),
        (FileFormat::Ndjson, ReadOptions::default()),
        (FileFormat::GeoJson, ReadOptions::default()),
    ] {
        let Ok(mut reader) = FileReader::with_options(std::io::Cursor::new(data), format, &options) else { continue };
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
