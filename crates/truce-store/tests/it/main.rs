//! The store's backends on real databases: the behaviour suite on each, and what is specific to each.

#![allow(clippy::unwrap_used)]

#[cfg(feature = "postgres")]
mod audit;
#[cfg(feature = "postgres")]
mod differential;
#[cfg(feature = "postgres")]
mod postgres;
mod sqlite;
