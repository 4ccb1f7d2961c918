//! Cursor on Target for truce: the codec a TAK-compatible server is built on.
//!
//! Every wire form decodes to one model, [`Event`] ([`event`]), and encodes from it:
//!
//! - CoT XML, one document ([`xml::parse_event`], [`xml::to_xml`]) or a TCP stream of them
//!   ([`xml::XmlStreamDecoder`]);
//! - TAK protocol version 1, protobuf `TakMessage`s ([`tak`]), in stream frames
//!   `0xBF <varint length> <message>` ([`frame::FrameDecoder`]) or mesh datagrams
//!   `0xBF 0x01 0xBF <message>` ([`frame::decode_datagram`]), after the XML negotiation
//!   ([`frame::offer_event`], [`frame::parse_request`], [`frame::response_event`]).
//!
//! Nothing here does I/O: decoders take bytes and give back events or a [`CotError`] naming the
//! field and the reason, under explicit limits, so that a server can drop a bad message (or a bad
//! connection) and carry on. Detail elements this crate does not model pass through byte for byte,
//! in XML and inside protobuf's `xmlDetail` alike. `docs/cot.md` describes the formats, limits and
//! mapping.

pub mod event;
pub mod frame;
pub mod tak;
pub mod xml;

pub use event::{CotError, Detail, Event, Point};
