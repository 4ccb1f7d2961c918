//! truce-access: who may see what.
//!
//! - [`Role`] and [`Action`]: the permission table for writes.
//! - [`Viewer`]: a user as the access rule sees it (nation, role, clearance, categories).
//! - [`Policy`]: the label policy (ordered classifications, dated tetragraphs, restrictive categories,
//!   the default release, the stricter label of the observer's fields), loaded from a TOML file that
//!   ships with truce and may be overridden.
//! - [`Access`]: one viewer under one policy, the single rule every store query and bus subscription
//!   applies: [`Access::permits`] in Rust and the same predicate as SQL.

mod access;
mod policy;
mod role;

pub use access::{Access, LabelColumns, Viewer, redact_observer};
pub use policy::{Group, Joins, MAX_POLICY_BYTES, NOBODY, Policy, PolicyError, SHIPPED, Span};
pub use role::{Action, Role};
