//! Integration tests of the `truce` binary: one test binary, a module per area.

#![allow(clippy::unwrap_used)]

mod agreement_check;
mod audit;
mod auth;
mod certs;
mod classify;
mod cluster;
mod coalition;
mod command_line;
mod config;
mod cop_api;
mod corrections;
mod decode;
mod demo_tak;
mod ingest;
mod layout;
mod leak;
#[cfg(feature = "postgres")]
mod postgres;
mod report;
mod server;
mod stream_batch;
mod tak;
mod users;
mod util;
mod watch;
mod web;
