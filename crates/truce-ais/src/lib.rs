//! AIS over NMEA 0183: `!AIVDM`/`!AIVDO` sentences (any talker), NMEA 4.10 tag blocks, multi-sentence
//! assembly, and the decoding of message types 1–5, 18, 19, 21, 24 and 27; plus the flag state of an
//! MMSI ([`mid`]).
//!
//! Two entry points:
//! - [`Decoder::push_line`] for feeds: one line in, at most one [`Message`] out, no heap allocation
//!   per sentence (a `Message` is `Copy`, its names inline).
//! - [`decode_ndjson`] for `truce decode ais FILE`: a whole stream to NDJSON with per-line errors
//!   and a [`Summary`].
//!
//! The layers, each in its module: [`nmea`] (line → sentence: tag block, checksums, fields),
//! `bits` (payload armouring and bit fields), [`decoder`] (assembly of fragments), [`message`] (bit
//! layouts and units), [`ndjson`] (the command-line output).

mod bits;
pub mod decoder;
pub mod encode;
mod error;
pub mod message;
pub mod mid;
pub mod ndjson;
pub mod nmea;

pub use bits::{MAX_PAYLOAD_CHARS, Text};
pub use decoder::{Config, Decoder, SourceKey};
pub use error::{ByteChar, Error};
pub use message::{
    AidToNavigation, BaseStation, Body, ClassBExtended, ClassBPosition, Dimensions, Eta, Hull, LongRange, Message,
    PositionReport, StaticPartA, StaticPartB, StaticVoyage, nav_status_name, ship_type_name,
};
pub use ndjson::{Summary, decode_ndjson, write_json};
pub use nmea::{Group, MAX_LINE, Station, TagBlock, Timestamp};
