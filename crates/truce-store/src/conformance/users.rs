//! Users, sessions and API tokens: accounts that are unique and listed by name, passwords that stay
//! out of sight, and sessions that end when their user is disabled, their password changes or their
//! time is up.

use std::time::Duration;

use time::OffsetDateTime;
use time::macros::datetime;
use truce_access::Role;
use truce_core::Marking;

use crate::{SessionKind, SessionRow, Store, User, UserError};

const T0: OffsetDateTime = datetime!(2026-11-20 08:00 UTC);

/// A password hash as the store sees it: any PHC string (the store does not interpret it).
pub const PHC: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";

/// An enabled user of `nation` with `role`, created at a fixed time.
pub fn user(name: &str, nation: &str, role: Role) -> User {
    User {
        name: name.into(),
        nation: nation.into(),
        role,
        clearance: Marking::NatoRestricted,
        categories: vec![],
        disabled: false,
        created: T0,
        updated: T0,
    }
}

/// A session row for `user`: hash `seed` repeated, created at `created`, lasting `hours`.
pub fn session(seed: u8, user: &str, kind: SessionKind, created: OffsetDateTime, hours: Option<i64>) -> SessionRow {
    SessionRow {
        token_hash: [seed; 32],
        user: user.into(),
        kind,
        created,
        last_seen: created,
        expires: hours.map(|h| created + time::Duration::hours(h)),
    }
}

/// A user comes back as it was added, categories sorted and de-duplicated; its password hash only
/// through `credentials`.
pub fn a_user_round_trips_with_its_password_kept_apart(store: &dyn Store) {
    let mut u = user("j.smith", "FRA", Role::Analyst);
    u.clearance = Marking::NatoSecret;
    u.categories = vec!["SIGINT".into(), "HUMINT".into(), "SIGINT".into()];
    store.add_user(&u, PHC).expect("a new user");
    let got = store.user("j.smith").expect("read").expect("the user");
    assert_eq!(got.categories, ["HUMINT", "SIGINT"]);
    assert_eq!(got, User { categories: vec!["HUMINT".into(), "SIGINT".into()], ..u.clone() });
    let (cred_user, phc) = store.credentials("j.smith").expect("read").expect("the credentials");
    assert_eq!((cred_user, phc.as_str()), (got, PHC));
    assert_eq!(store.user("nobody").expect("read"), None);
    assert!(store.credentials("nobody").expect("read").is_none());
}

/// A name already taken is refused, naming the user, and the first account is unchanged.
pub fn a_duplicate_user_is_refused(store: &dyn Store) {
    store.add_user(&user("alpha", "EST", Role::Monitor), PHC).expect("a new user");
    let err = store.add_user(&user("alpha", "LTU", Role::Admin), "$other").expect_err("a duplicate");
    assert!(matches!(&err, UserError::Exists(n) if n == "alpha"), "{err}");
    assert!(err.to_string().contains("alpha"), "{err}");
    let (u, phc) = store.credentials("alpha").expect("read").expect("the user");
    assert_eq!((u.nation.as_str(), u.role, phc.as_str()), ("EST", Role::Monitor, PHC));
}

/// A bad name, nation or category is refused before anything is stored.
pub fn an_invalid_user_is_refused(store: &dyn Store) {
    for (name, nation, category) in [
        ("Upper", "FRA", "C"),
        ("", "FRA", "C"),
        ("a b", "FRA", "C"),
        ("-dash", "FRA", "C"),
        ("ok", "fra", "C"),
        ("ok", "FR", "C"),
        ("ok", "FRAN", "C"),
        ("ok", "FR1", "C"),
        ("ok", "FRA", ""),
        ("ok", "FRA", "a,b"),
    ] {
        let mut u = user(name, nation, Role::Monitor);
        u.categories = vec![category.into()];
        let err = store.add_user(&u, PHC).expect_err("an invalid user");
        assert!(matches!(err, UserError::Invalid { .. }), "{name:?} {nation:?} {category:?}: {err}");
    }
    assert!(store.list_users().expect("list").is_empty());
}

/// Users are listed by name whatever the order they were added in.
pub fn users_are_listed_by_name(store: &dyn Store) {
    for name in ["charlie", "alpha", "bravo-2", "bravo"] {
        store.add_user(&user(name, "POL", Role::WatchOfficer), PHC).expect("a new user");
    }
    let names: Vec<String> = store.list_users().expect("list").into_iter().map(|u| u.name).collect();
    assert_eq!(names, ["alpha", "bravo", "bravo-2", "charlie"]);
}

/// Disabling a user deletes all its sessions and API tokens at once, and no new one can be created;
/// another user's sessions stay; enabling again brings none back.
pub fn disabling_a_user_ends_its_sessions_and_tokens(store: &dyn Store) {
    store.add_user(&user("alpha", "FRA", Role::Analyst), PHC).expect("a user");
    store.add_user(&user("bravo", "FRA", Role::Analyst), PHC).expect("a user");
    store.create_session(&session(1, "alpha", SessionKind::Session, T0, Some(12))).expect("a session");
    store.create_session(&session(2, "alpha", SessionKind::Api, T0, None)).expect("a token");
    store.create_session(&session(3, "bravo", SessionKind::Session, T0, Some(12))).expect("a session");
    assert_eq!(store.sessions_of("alpha").expect("read").len(), 2);

    let later = T0 + time::Duration::minutes(5);
    assert_eq!(store.set_disabled("alpha", true, later).expect("disable"), 2);
    assert!(store.session(&[1; 32]).expect("read").is_none());
    assert!(store.session(&[2; 32]).expect("read").is_none());
    assert!(store.session(&[3; 32]).expect("read").is_some(), "bravo's session stays");
    let u = store.user("alpha").expect("read").expect("the user");
    assert!(u.disabled);
    assert_eq!(u.updated, later);
    let err = store.create_session(&session(4, "alpha", SessionKind::Session, later, Some(1))).expect_err("disabled");
    assert!(matches!(&err, UserError::Disabled(n) if n == "alpha"), "{err}");

    assert_eq!(store.set_disabled("alpha", false, later).expect("enable"), 0);
    assert!(!store.user("alpha").expect("read").expect("the user").disabled);
    assert!(store.sessions_of("alpha").expect("read").is_empty(), "enabling brings no session back");
    store.create_session(&session(4, "alpha", SessionKind::Session, later, Some(1))).expect("enabled again");
}

/// A new password hash replaces the old one and ends the user's logins, but not its API tokens.
pub fn a_password_change_ends_logins_but_keeps_api_tokens(store: &dyn Store) {
    store.add_user(&user("alpha", "FRA", Role::Monitor), PHC).expect("a user");
    store.create_session(&session(1, "alpha", SessionKind::Session, T0, Some(12))).expect("a session");
    store.create_session(&session(2, "alpha", SessionKind::Api, T0, Some(24 * 90))).expect("a token");
    let later = T0 + time::Duration::hours(1);
    store.set_password("alpha", "$argon2id$new", later).expect("a password change");
    let (u, phc) = store.credentials("alpha").expect("read").expect("the user");
    assert_eq!((phc.as_str(), u.updated), ("$argon2id$new", later));
    assert!(store.session(&[1; 32]).expect("read").is_none(), "the login ended");
    assert!(store.session(&[2; 32]).expect("read").is_some(), "the API token stays");
}

/// Changing an unknown user is refused, naming it.
pub fn an_unknown_user_cannot_be_changed(store: &dyn Store) {
    let err = store.set_password("ghost", PHC, T0).expect_err("unknown");
    assert!(matches!(&err, UserError::NotFound(n) if n == "ghost"), "{err}");
    let err = store.set_disabled("ghost", true, T0).expect_err("unknown");
    assert!(matches!(&err, UserError::NotFound(n) if n == "ghost"), "{err}");
    let err = store.create_session(&session(1, "ghost", SessionKind::Session, T0, Some(1))).expect_err("unknown");
    assert!(matches!(&err, UserError::NotFound(n) if n == "ghost"), "{err}");
}

/// A session is found by its token hash with its user as it is now; touching moves `last_seen`
/// forward only; deleting ends it; the same hash cannot be stored twice.
pub fn a_session_is_found_touched_and_deleted(store: &dyn Store) {
    store.add_user(&user("alpha", "FRA", Role::Monitor), PHC).expect("a user");
    let row = session(7, "alpha", SessionKind::Session, T0, Some(12));
    store.create_session(&row).expect("a session");
    let (got, u) = store.session(&[7; 32]).expect("read").expect("the session");
    assert_eq!((got, u.name.as_str()), (row.clone(), "alpha"));
    let err = store.create_session(&row).expect_err("the same hash twice");
    assert!(matches!(err, UserError::Invalid { .. }), "{err}");

    let later = T0 + time::Duration::minutes(10);
    assert!(store.touch_session(&[7; 32], later).expect("touch"));
    assert!(store.touch_session(&[7; 32], T0).expect("touch"));
    assert_eq!(store.session(&[7; 32]).expect("read").expect("the session").0.last_seen, later, "never backwards");
    assert!(!store.touch_session(&[8; 32], later).expect("touch"), "no such session");

    assert!(store.delete_session(&[7; 32]).expect("delete"));
    assert!(!store.delete_session(&[7; 32]).expect("delete"), "already gone");
    assert!(store.session(&[7; 32]).expect("read").is_none());
}

/// Expired rows go: past their absolute expiry, or logins idle for the idle time; API tokens have
/// no idle timeout, and one without expiry stays.
pub fn sessions_expire_absolutely_and_when_idle(store: &dyn Store) {
    store.add_user(&user("alpha", "FRA", Role::Monitor), PHC).expect("a user");
    let idle = Duration::from_secs(30 * 60);
    // A login seen recently but past its 12 hours.
    store.create_session(&session(1, "alpha", SessionKind::Session, T0, Some(12))).expect("a session");
    store.touch_session(&[1; 32], T0 + time::Duration::hours(12) - time::Duration::minutes(1)).expect("touch");
    // A login within its 12 hours but idle for 30 minutes.
    let t2 = T0 + time::Duration::hours(11);
    store.create_session(&session(2, "alpha", SessionKind::Session, t2, Some(12))).expect("a session");
    // A login that started 29 minutes before the end.
    let t3 = T0 + time::Duration::hours(11) + time::Duration::minutes(31);
    store.create_session(&session(3, "alpha", SessionKind::Session, t3, Some(12))).expect("a session");
    // API tokens idle for hours: one without expiry, one expired, one still valid.
    store.create_session(&session(4, "alpha", SessionKind::Api, T0, None)).expect("a token");
    store.create_session(&session(5, "alpha", SessionKind::Api, T0, Some(1))).expect("a token");
    store.create_session(&session(6, "alpha", SessionKind::Api, T0, Some(24))).expect("a token");

    let now = T0 + time::Duration::hours(12);
    assert_eq!(store.delete_expired_sessions(now - time::Duration::minutes(31), idle).expect("purge"), 1, "only #5");
    assert_eq!(store.delete_expired_sessions(now, idle).expect("purge"), 2, "#1 absolute, #2 idle");
    let left: Vec<u8> = store.sessions_of("alpha").expect("read").iter().map(|s| s.token_hash[0]).collect();
    assert_eq!(left, [4, 6, 3]);
    assert_eq!(store.delete_expired_sessions(now, idle).expect("purge"), 0);
}
