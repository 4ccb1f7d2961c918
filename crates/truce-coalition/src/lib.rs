//! The coalition: who pledges what, what the force needs, where it deploys, and Ukraine's
//! regeneration.
//!
//! The reassurance force exists only as far as nations commit to it, and their positions are
//! conditional and change. This crate holds all of it for the HQ's planners:
//!
//! - [`model`]: nations, pledges (domain, capability, quantity, where, conditions) whose status is the
//!   latest entry of a dated, sourced history; requirements per component and phase; units with their
//!   APP-6 / MIL-STD-2525 symbol codes; places; plans of deployments and rotations; the theatre's
//!   geography; regeneration targets and progress.
//! - [`mod@file`]: the TOML files planners write (`docs/coalition.md`), parsed then compiled, every
//!   problem at once as `FILE:LINE: field: reason`.
//! - [`store`]: import into the store in one transaction, history accumulating across imports; load.
//! - [`summary`], [`gaps`], [`history`], [`regeneration`]: what planners read.
//! - [`plan`]: every deployment checked against the agreement (stand-off from the line, no-fly and
//!   maritime zones), the theatre (territory, sea, airspace) and the pledges (caveats, status,
//!   quantities, rotations), each finding naming the unit, the rule and the distance or quantity.
//! - [`text`]: the same as tables for the command line.

pub mod file;
pub mod gaps;
pub mod geo;
pub mod history;
pub mod model;
pub mod plan;
pub mod regeneration;
pub mod store;
pub mod summary;
pub mod text;

pub use file::{Loaded, Problem, Problems};
pub use model::{Coalition, Day, Domain, Location, Status};
pub use plan::{Finding, PlanCheck, Severity};
pub use store::{CoalitionError, import, load};
