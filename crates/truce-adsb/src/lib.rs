//! ADS-B / Mode S decoding for truce: a library with no network I/O (only `std::io` traits).
//!
//! Four input formats are understood: the Beast binary stream ([`beast`]), raw AVR frames
//! ([`raw`]), SBS-1 BaseStation text ([`sbs`]) and readsb/dump1090 `aircraft.json`
//! ([`aircraft_json`]). Mode S frames from the first two go through [`modes::Decoder`], which
//! checks the CRC, decodes DF0/4/5/11/16/17/18/20/21 and keeps per-aircraft state for CPR
//! positions and the Address/Parity rule. [`mod@country`] maps an ICAO address to its state of
//! registry. [`decode_ndjson`] ties them together for the command line: one JSON object per
//! message out, one `NAME:LINE: reason` per bad input to the error stream, and a [`Summary`].
//!
//! Design: the hot path (framing, CRC, decoding) allocates nothing; messages are `Copy`
//! structs of optional fields. Text parsers take `&str` lines and name the exact problem.

pub mod aircraft_json;
pub mod beast;
pub mod country;
pub mod cpr;
pub mod crc;
pub mod modes;
mod ndjson;
pub mod raw;
pub mod sbs;

pub use beast::{BeastError, BeastFrame, BeastFramer, BeastKind};
pub use country::{Country, country};
pub use modes::{Callsign, Config, Decoder, Error, Message, Position, Squawk, Time};
pub use ndjson::{Format, Summary, decode_ndjson, decode_ndjson_with};
