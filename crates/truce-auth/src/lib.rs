//! truce-auth: who is asking.
//!
//! - [`password`]: the rules for new passwords, Argon2id hashes as PHC strings, and the dummy hash
//!   that makes a login for an unknown user cost what a wrong password costs.
//! - [`token`]: opaque random tokens with a recognisable prefix, of which the store keeps only the
//!   SHA-256.
//! - [`Sessions`]: the service a server holds: [`Sessions::login`] (one answer for every kind of
//!   failure, throttled per user name and per client address), [`Sessions::authenticate`] for each
//!   request (absolute and idle timeouts, disabled users refused at once), [`Sessions::logout`], and
//!   API tokens for machine feeds bound to a user ([`Sessions::issue_api_token`]).
//! - [`accounts`]: adding users and changing passwords with the rules applied.
//!
//! Users, password hashes and sessions are stored by a [`truce_store::UserStore`]; this crate holds
//! no state but the throttle's counters. Authorisation (what a user may do or see) is
//! `truce-access`'s: this crate only says who the user is.

pub mod accounts;
pub mod password;
mod sessions;
mod throttle;
pub mod token;

pub use sessions::{Error, Login, LoginError, Sessions, Settings};
