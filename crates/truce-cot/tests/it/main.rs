//! Integration tests of truce-cot: golden CoT captured from real clients, and property tests of the
//! round trips and stream decoders. One binary, a module per area.

mod golden;
mod props;
