//! Integration tests of the `truce` binary: one test binary, a module per area.

mod agreement_check;
mod classify;
mod util;
