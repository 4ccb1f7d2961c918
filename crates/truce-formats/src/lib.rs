//! Parsers and writers for truce, bytes in and values out.
//!
//! [`records`] reads observation records for batch classification from CSV (with a header) or NDJSON,
//! one record at a time, reporting each bad record with its input line number and the reason, and
//! never panicking whatever the bytes. [`ingest`] reads observation files (CSV with truce, ACLED or
//! UCDP columns, NDJSON, GeoJSON) and [`observation`] one observation's JSON. [`config`] deserializes a
//! TOML configuration into serde structs reporting every problem of the file at once, with its line.
//! [`when`] is the one parser of the times people type (flags, configuration, query parameters), and the
//! one way the command line prints them. [`http_response`] reads the body of an HTTP/1.1 response
//! (the documents the ADS-B feed polls). [`filter`] reads the list and polygon values of query filters.

pub mod config;
pub mod filter;
pub mod http_response;
pub mod ingest;
pub mod observation;
pub mod records;
pub mod when;

pub use records::{FatalError, InputFormat, InputRecord, RecordError, RecordId, RecordReader};
