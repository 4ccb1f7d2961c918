//! The truce pipeline: agreements compiled from files, and observations classified against them.
//!
//! [`agreement`] turns a TOML agreement file and the GeoJSON it references into a validated
//! [`Agreement`] with its spatial indexes built, reporting every problem at once.
//! [`classify`] answers, for one observation, its distance and side for every reference line, the zones
//! that contain it and the violations it constitutes at the phase in force at its time.

pub mod agreement;
pub mod classify;
pub mod output;
pub mod record;

pub use agreement::{Agreement, AgreementErrors, Problem};
pub use classify::{Classification, LineResult, Observation, SideOf, Violation};
