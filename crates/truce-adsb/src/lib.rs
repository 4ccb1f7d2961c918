//! ADS-B / Mode S decoding for truce: library only, no network I/O.
pub mod beast;
pub mod country;
pub mod cpr;
pub mod crc;
pub mod modes;
