//! Integration tests of truce-ais: one binary (`tests/it/`).

mod differential;
