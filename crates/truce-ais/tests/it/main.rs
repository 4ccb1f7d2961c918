//! Integration tests of truce-ais: one binary (`tests/it/`).

mod differential;
mod mid;
mod ndjson;
mod props;
mod stream;
mod types;

use truce_ais::{Decoder, Error, Message, SourceKey};

/// Decodes lines in order with one decoder; the last result.
pub fn decode_lines(lines: &[&str]) -> Result<Option<Message>, Error> {
    let mut dec = Decoder::default();
    let mut last = Ok(None);
    for l in lines {
        last = dec.push_line(SourceKey(0), l.as_bytes(), None);
    }
    last
}

/// The message of a complete line or group of lines.
pub fn msg(lines: &[&str]) -> Message {
    match decode_lines(lines) {
        Ok(Some(m)) => m,
        other => panic!("{lines:?} gave {other:?}"),
    }
}

/// The error of the last line.
pub fn err(lines: &[&str]) -> String {
    match decode_lines(lines) {
        Err(e) => e.to_string(),
        other => panic!("{lines:?} gave {other:?}, not an error"),
    }
}

/// Adds a correct `*hh` to a sentence body (`!` ... without checksum).
pub fn with_sum(s: &str) -> String {
    let sum = s.bytes().skip(1).fold(0, |a, b| a ^ b);
    format!("{s}*{sum:02X}")
}

/// A tag block with a correct checksum in front of a sentence.
pub fn tagged(tag: &str, sentence: &str) -> String {
    let sum = tag.bytes().fold(0, |a, b| a ^ b);
    format!("\\{tag}*{sum:02X}\\{sentence}")
}
