//! Creating users and changing their passwords, with the password rules applied: what the CLI (and
//! later an admin API) calls, so that no path stores a password that breaks the rules or an
//! unhashed one.

use time::OffsetDateTime;
use truce_store::{User, UserStore};

use crate::password;
use crate::sessions::Error;

/// Adds `user` with `password`, after checking the password against the rules and hashing it.
///
/// # Errors
/// [`Error::Password`] when the password breaks a rule; [`Error::User`] when the store refuses the
/// user (it exists, or its name, nation or a category is invalid); [`Error::Hash`] or
/// [`Error::Store`] when those fail.
pub fn add_user(store: &dyn UserStore, user: &User, password: &str) -> Result<(), Error> {
    truce_store::check_user(user)?;
    password::check(password)?;
    let phc = password::hash(password)?;
    store.add_user(user, &phc)?;
    Ok(())
}

/// Replaces `name`'s password (checked against the rules, then hashed); the user's logins end, its
/// API tokens stay.
///
/// # Errors
/// [`Error::Password`] when the password breaks a rule; [`Error::User`] when there is no such user;
/// [`Error::Hash`] or [`Error::Store`] when those fail.
pub fn set_password(store: &dyn UserStore, name: &str, password: &str, now: OffsetDateTime) -> Result<(), Error> {
    password::check(password)?;
    let phc = password::hash(password)?;
    store.set_password(name, &phc, now)?;
    Ok(())
}
