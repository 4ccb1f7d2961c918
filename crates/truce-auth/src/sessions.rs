//! The session service the server holds: login, authentication of each request, logout, API tokens.
//!
//! # Design
//!
//! [`Sessions`] sits over a [`UserStore`] and keeps nothing of its own but the throttle's counters:
//! every session lives in the store, so a restart keeps users logged in and a disable (from the CLI
//! or another process) takes effect at the next request. Every method takes the current time, so
//! tests (and a server that wants one clock per request) decide what "now" is.
//!
//! - [`Sessions::login`] answers [`LoginError::Invalid`] alike for an unknown user, a wrong password
//!   and a disabled user, after one Argon2 verification in every case (against
//!   [`DUMMY_PHC`](crate::password::DUMMY_PHC) when there is no user), so neither the answer nor its
//!   time tells which names exist. Failures are throttled per name and per address
//!   ([`LoginError::Throttled`], HTTP 429 with `Retry-After`) and logged (`tracing`, target
//!   `truce_auth`, with the name and address, never the password) for the audit log to pick up.
//! - [`Sessions::authenticate`] turns a token into its user, or nothing when the token is unknown,
//!   past its absolute expiry, idle too long (logins only) or its user is disabled. It records the use
//!   at most every [`Settings::touch_every`], so a burst of requests costs one write, not one each;
//!   idle time is measured from that record, so a session may end up to `touch_every` early, never
//!   late.
//! - API tokens ([`Sessions::issue_api_token`]) are rows of the same table bound to a user: no idle
//!   timeout, an optional expiry, ended like a login by [`Sessions::logout`] or by disabling the user.
//!
//! Login costs an Argon2 verification (tens of milliseconds of CPU and 19 MiB): an async server
//! calls it from a blocking thread (`tokio::task::spawn_blocking`).

use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use time::OffsetDateTime;
use truce_store::{SessionKind, SessionRow, StoreError, User, UserError, UserStore};

use crate::password::{self, DUMMY_PHC};
use crate::throttle::{Key, Throttle};
use crate::token::{self, RandomError};

/// The timeouts and throttling limits of [`Sessions`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// A login not used for this long ends (default 30 minutes).
    pub idle_timeout: Duration,
    /// A login ends this long after it began, however busy (default 12 hours).
    pub absolute_timeout: Duration,
    /// A session's last use is written at most this often (default 60 seconds).
    pub touch_every: Duration,
    /// Failed logins per user name, and per client address, allowed within the window (default 5).
    pub max_failures: usize,
    /// The sliding window failures are counted in (default 15 minutes).
    pub failure_window: Duration,
    /// User names and addresses remembered by the throttle at most (default 10,000).
    pub throttle_capacity: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            idle_timeout: Duration::from_secs(30 * 60),
            absolute_timeout: Duration::from_secs(12 * 3600),
            touch_every: Duration::from_secs(60),
            max_failures: 5,
            failure_window: Duration::from_secs(15 * 60),
            throttle_capacity: 10_000,
        }
    }
}

/// A successful login.
#[derive(Clone, PartialEq, Eq)]
pub struct Login {
    /// The session token: give it to the client once (a cookie), never log it.
    pub token: String,
    /// When the session ends at the latest (it ends sooner when idle).
    pub expires_at: OffsetDateTime,
    /// Who logged in.
    pub user: User,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token is a secret: a log line that prints a Login must not leak it.
        f.debug_struct("Login")
            .field("token", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .field("user", &self.user)
            .finish()
    }
}

/// Why a service call other than a login's verdict failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The store refused a change to a user (unknown, disabled, duplicate, invalid).
    #[error(transparent)]
    User(#[from] UserError),
    /// A new password breaks the rules.
    #[error(transparent)]
    Password(#[from] password::PasswordError),
    /// A password could not be hashed.
    #[error(transparent)]
    Hash(#[from] password::HashError),
    /// No random token could be made.
    #[error(transparent)]
    Random(#[from] RandomError),
    /// An argument that cannot be right, e.g. an expiry in the past.
    #[error("{0}")]
    Invalid(String),
}

/// Why a login did not succeed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoginError {
    /// Unknown user, wrong password or disabled user: deliberately the same answer for all three.
    #[error("invalid user name or password")]
    Invalid,
    /// Too many failures for this user name or client address: try again after `retry_after`.
    #[error("too many failed logins; try again in {} s", retry_after.as_secs().max(1))]
    Throttled {
        /// How long until an attempt is admitted again.
        retry_after: Duration,
    },
    /// The store or the random number generator failed: not the user's fault (HTTP 503).
    #[error("the login could not be completed: {0}")]
    Unavailable(#[source] Error),
}

/// Logins, sessions and API tokens over a [`UserStore`]. See the module documentation.
pub struct Sessions {
    store: Arc<dyn UserStore>,
    settings: Settings,
    throttle: Mutex<Throttle>,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions").field("settings", &self.settings).finish_non_exhaustive()
    }
}

impl Sessions {
    /// The service over `store` with `settings`.
    pub fn new(store: Arc<dyn UserStore>, settings: Settings) -> Self {
        let throttle = Throttle::new(settings.max_failures, settings.failure_window, settings.throttle_capacity);
        Self { store, settings, throttle: Mutex::new(throttle) }
    }

    /// The settings in force.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    fn throttle(&self) -> MutexGuard<'_, Throttle> {
        // The throttle's state stays consistent whatever panicked while holding it.
        self.throttle.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Checks `password` for `name` and opens a session for `client_ip` at `now`.
    ///
    /// # Errors
    /// [`LoginError::Invalid`] for an unknown user, a wrong password or a disabled user (the same
    /// answer, after the same work); [`LoginError::Throttled`] after too many failures for the name
    /// or the address, without checking the password; [`LoginError::Unavailable`] when the store or
    /// the random number generator fails.
    pub fn login(
        &self,
        name: &str,
        password: &str,
        client_ip: IpAddr,
        now: OffsetDateTime,
    ) -> Result<Login, LoginError> {
        let keys = [Key::user(name), Key::Ip(client_ip)];
        if let Err(retry_after) = self.throttle().admit(&keys, now) {
            tracing::warn!(target: "truce_auth", user = name, %client_ip, retry_after_s = retry_after.as_secs(),
                "login throttled after repeated failures");
            return Err(LoginError::Throttled { retry_after });
        }
        let verdict = self.check_password(name, password).and_then(|user| match user {
            Some(user) => self.open(&user, now),
            None => Ok(None),
        });
        match verdict {
            Ok(Some(login)) => {
                self.throttle().succeeded(&keys, now);
                tracing::info!(target: "truce_auth", user = name, %client_ip, "login");
                Ok(login)
            }
            Ok(None) => {
                tracing::warn!(target: "truce_auth", user = name, %client_ip, "login failed");
                Err(LoginError::Invalid)
            }
            Err(e) => {
                self.throttle().forgive(&keys, now);
                tracing::error!(target: "truce_auth", user = name, %client_ip, error = %e, "login could not be completed");
                Err(LoginError::Unavailable(e))
            }
        }
    }

    /// The user if `password` is theirs and they are enabled. One Argon2 verification in every case.
    fn check_password(&self, name: &str, password: &str) -> Result<Option<User>, Error> {
        let credentials = self.store.credentials(name)?;
        let phc = credentials.as_ref().map_or(DUMMY_PHC, |(_, phc)| phc.as_str());
        // An over-long password is verified as the empty one (which no account has): same cost,
        // and never more than a password of the allowed size costs.
        let acceptable = password.len() <= password::MAX_BYTES;
        let matches = password::verify(if acceptable { password } else { "" }, phc) && acceptable;
        Ok(credentials.filter(|(user, _)| matches && !user.disabled).map(|(user, _)| user))
    }

    /// A new login session for `user`.
    fn open(&self, user: &User, now: OffsetDateTime) -> Result<Option<Login>, Error> {
        let (token, token_hash) = token::new_token()?;
        let expires_at = now + self.settings.absolute_timeout;
        let row = SessionRow {
            token_hash,
            user: user.name.clone(),
            kind: SessionKind::Session,
            created: now,
            last_seen: now,
            expires: Some(expires_at),
        };
        match self.store.create_session(&row) {
            Ok(()) => Ok(Some(Login { token, expires_at, user: user.clone() })),
            // Disabled or removed between the password check and now: a failed login like any other.
            Err(UserError::Disabled(_) | UserError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The user a session or API token acts for at `now`, or `None` when the token is malformed,
    /// unknown, past its expiry, idle too long (logins only) or its user is disabled. An expired
    /// session found here is deleted.
    ///
    /// # Errors
    /// When the store fails (the request should fail with 503, not 401).
    pub fn authenticate(&self, token: &str, now: OffsetDateTime) -> Result<Option<User>, StoreError> {
        let Some(hash) = token::parse(token) else {
            return Ok(None);
        };
        let Some((row, user)) = self.store.session(&hash)? else {
            return Ok(None);
        };
        if user.disabled {
            return Ok(None);
        }
        let since_use = now - row.last_seen;
        let expired = row.expires.is_some_and(|at| at <= now);
        let idle = row.kind == SessionKind::Session && since_use >= self.settings.idle_timeout;
        if expired || idle {
            self.store.delete_session(&hash)?;
            return Ok(None);
        }
        if since_use >= self.settings.touch_every {
            self.store.touch_session(&hash, now)?;
        }
        Ok(Some(user))
    }

    /// Ends a session or revokes an API token. False when there was none.
    ///
    /// # Errors
    /// When the store fails.
    pub fn logout(&self, token: &str) -> Result<bool, StoreError> {
        match token::parse(token) {
            Some(hash) => self.store.delete_session(&hash),
            None => Ok(false),
        }
    }

    /// Issues an API token for a machine feed acting as `user_name`, valid until `expires` (or until
    /// revoked when `None`), with no idle timeout. The token is returned once; only its hash is kept.
    ///
    /// # Errors
    /// [`Error::User`] when the user is unknown or disabled, [`Error::Invalid`] when `expires` is not
    /// after `now`, [`Error::Store`] or [`Error::Random`] when those fail.
    pub fn issue_api_token(
        &self,
        user_name: &str,
        expires: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> Result<String, Error> {
        if let Some(at) = expires.filter(|&at| at <= now) {
            return Err(Error::Invalid(format!("an API token's expiry ({at}) must be after now ({now})")));
        }
        let (token, token_hash) = token::new_token()?;
        let row = SessionRow {
            token_hash,
            user: user_name.to_owned(),
            kind: SessionKind::Api,
            created: now,
            last_seen: now,
            expires,
        };
        self.store.create_session(&row)?;
        tracing::info!(target: "truce_auth", user = user_name, expires = ?expires, "API token issued");
        Ok(token)
    }

    /// Deletes every expired or idle session from the store (call it now and then, e.g. hourly);
    /// returns how many.
    ///
    /// # Errors
    /// When the store fails.
    pub fn purge(&self, now: OffsetDateTime) -> Result<u64, StoreError> {
        self.store.delete_expired_sessions(now, self.settings.idle_timeout)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::net::IpAddr;
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use time::OffsetDateTime;
    use time::macros::datetime;
    use truce_access::Role;
    use truce_store::{SqliteStore, UserError, UserStore};

    use super::*;
    use crate::accounts;

    const T0: OffsetDateTime = datetime!(2026-11-20 08:00 UTC);
    const PASSWORD: &str = "correct horse battery staple";

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([192, 0, 2, last])
    }

    fn minutes(m: i64) -> time::Duration {
        time::Duration::minutes(m)
    }

    /// A store with the users `alpha` and `bravo` (password [`PASSWORD`]) and the service over it.
    fn service() -> (tempfile::TempDir, Arc<SqliteStore>, Sessions) {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SqliteStore::open(dir.path()).unwrap());
        for name in ["alpha", "bravo"] {
            let user = truce_store::conformance::users::user(name, "FRA", Role::Monitor);
            accounts::add_user(store.as_ref(), &user, PASSWORD).unwrap();
        }
        let sessions = Sessions::new(store.clone(), Settings::default());
        (dir, store, sessions)
    }

    #[test]
    fn a_login_gives_a_token_that_authenticates_its_user() {
        let (_dir, store, sessions) = service();
        let login = sessions.login("alpha", PASSWORD, ip(1), T0).unwrap();
        assert_eq!(login.user.name, "alpha");
        assert_eq!(login.expires_at, T0 + Duration::from_secs(12 * 3600));
        assert!(login.token.starts_with(token::PREFIX));
        assert!(!format!("{login:?}").contains(&login.token), "Debug must not print the token");
        assert_eq!(sessions.authenticate(&login.token, T0 + minutes(1)).unwrap().map(|u| u.name), Some("alpha".into()));
        // The store holds the hash, not the token.
        let rows = store.sessions_of("alpha").unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].token_hash, token::hash_token(&login.token));
        assert_eq!(rows[0].kind, SessionKind::Session);
    }

    #[test]
    fn an_unknown_user_a_wrong_password_and_a_disabled_user_get_the_same_answer() {
        let (_dir, store, sessions) = service();
        store.set_disabled("bravo", true, T0).unwrap();
        let answers: Vec<String> = [("nobody", PASSWORD), ("alpha", "wrong password!"), ("bravo", PASSWORD)]
            .iter()
            .enumerate()
            .map(|(i, (name, pw))| {
                let err = sessions.login(name, pw, ip(i as u8), T0).unwrap_err();
                assert!(matches!(err, LoginError::Invalid), "{name}: {err:?}");
                format!("{err} / {err:?}")
            })
            .collect();
        assert!(answers.windows(2).all(|w| w[0] == w[1]), "{answers:?}");
        // An over-long password is just wrong, too.
        let err = sessions.login("alpha", &"x".repeat(100_000), ip(9), T0).unwrap_err();
        assert!(matches!(err, LoginError::Invalid), "{err:?}");
    }

    #[test]
    fn an_unknown_user_costs_one_verification_like_a_wrong_password() {
        // Throttling off the path: a fresh address and name for every attempt.
        let (_dir, _store, sessions) = service();
        let once = |name: &str, address: u8| {
            let start = Instant::now();
            assert!(sessions.login(name, "wrong password!", ip(address), T0).is_err());
            start.elapsed()
        };
        // Taken in turns, the fastest of five each: load from elsewhere on the machine slows both alike.
        let (mut wrong, mut unknown) = (Duration::MAX, Duration::MAX);
        for i in 0..5 {
            wrong = wrong.min(once("alpha", 10 + i));
            unknown = unknown.min(once("nobody", 20 + i));
        }
        // Both are one Argon2 verification; without the dummy the unknown user would take microseconds.
        assert!(unknown * 3 >= wrong, "unknown {unknown:?} vs wrong password {wrong:?}");
        assert!(unknown >= Duration::from_millis(1), "unknown {unknown:?}");
    }

    #[test]
    fn a_login_ends_after_the_idle_timeout_without_use() {
        let (_dir, _store, sessions) = service();
        let token = sessions.login("alpha", PASSWORD, ip(1), T0).unwrap().token;
        // Used every 29 minutes, it lives on.
        assert!(sessions.authenticate(&token, T0 + minutes(29)).unwrap().is_some());
        assert!(sessions.authenticate(&token, T0 + minutes(58)).unwrap().is_some());
        // Then 30 minutes without use end it, and it stays ended.
        assert!(sessions.authenticate(&token, T0 + minutes(88)).unwrap().is_none());
        assert!(sessions.authenticate(&token, T0 + minutes(89)).unwrap().is_none());
    }

    #[test]
    fn a_login_ends_at_the_absolute_timeout_however_busy() {
        let (_dir, _store, sessions) = service();
        let token = sessions.login("alpha", PASSWORD, ip(1), T0).unwrap().token;
        let mut t = T0;
        while t < T0 + time::Duration::hours(12) - minutes(10) {
            t += minutes(10);
            assert!(sessions.authenticate(&token, t).unwrap().is_some(), "at {t}");
        }
        assert!(sessions.authenticate(&token, T0 + time::Duration::hours(12)).unwrap().is_none());
    }

    #[test]
    fn the_last_use_is_written_at_most_every_touch_interval() {
        let (_dir, store, sessions) = service();
        let token = sessions.login("alpha", PASSWORD, ip(1), T0).unwrap().token;
        let hash = token::hash_token(&token);
        let last_seen = || store.session(&hash).unwrap().unwrap().0.last_seen;
        sessions.authenticate(&token, T0 + Duration::from_secs(30)).unwrap();
        assert_eq!(last_seen(), T0, "30 s: not written");
        sessions.authenticate(&token, T0 + Duration::from_secs(60)).unwrap();
        assert_eq!(last_seen(), T0 + Duration::from_secs(60));
    }

    #[test]
    fn disabling_a_user_ends_its_sessions_and_tokens_at_once() {
        let (_dir, store, sessions) = service();
        let login = sessions.login("alpha", PASSWORD, ip(1), T0).unwrap().token;
        let api = sessions.issue_api_token("alpha", None, T0).unwrap();
        let other = sessions.login("bravo", PASSWORD, ip(1), T0).unwrap().token;
        store.set_disabled("alpha", true, T0 + minutes(1)).unwrap();
        assert!(sessions.authenticate(&login, T0 + minutes(1)).unwrap().is_none());
        assert!(sessions.authenticate(&api, T0 + minutes(1)).unwrap().is_none());
        assert!(sessions.authenticate(&other, T0 + minutes(1)).unwrap().is_some());
        // And the user cannot log in again or be given a token.
        assert!(matches!(sessions.login("alpha", PASSWORD, ip(2), T0 + minutes(2)), Err(LoginError::Invalid)));
        let err = sessions.issue_api_token("alpha", None, T0 + minutes(2)).unwrap_err();
        assert!(matches!(err, Error::User(UserError::Disabled(_))), "{err}");
    }

    #[test]
    fn failures_are_throttled_after_five_then_allowed_when_the_window_moves_on() {
        let (_dir, _store, sessions) = service();
        for i in 0..5 {
            let err = sessions.login("alpha", "wrong password!", ip(1), T0 + minutes(i)).unwrap_err();
            assert!(matches!(err, LoginError::Invalid), "{err:?}");
        }
        // Refused even with the right password, from another address, without checking it.
        let err = sessions.login("alpha", PASSWORD, ip(2), T0 + minutes(5)).unwrap_err();
        let LoginError::Throttled { retry_after } = err else { panic!("throttled, not {err:?}") };
        assert_eq!(retry_after, Duration::from_secs(10 * 60));
        // And another name from the throttled address.
        assert!(matches!(sessions.login("bravo", PASSWORD, ip(1), T0 + minutes(5)), Err(LoginError::Throttled { .. })));
        // Fifteen minutes after the first failure, one attempt is admitted again.
        let login = sessions.login("alpha", PASSWORD, ip(2), T0 + minutes(15)).unwrap();
        assert_eq!(login.user.name, "alpha");
    }

    #[test]
    fn a_success_clears_the_users_failures() {
        let (_dir, _store, sessions) = service();
        for i in 0..4 {
            assert!(sessions.login("alpha", "wrong password!", ip(i), T0).is_err());
        }
        sessions.login("alpha", PASSWORD, ip(9), T0).unwrap();
        for i in 10..14 {
            let err = sessions.login("alpha", "wrong password!", ip(i), T0).unwrap_err();
            assert!(matches!(err, LoginError::Invalid), "{err:?}");
        }
    }

    #[test]
    fn an_api_token_has_no_idle_timeout_but_ends_at_its_expiry() {
        let (_dir, store, sessions) = service();
        let expires = T0 + time::Duration::days(90);
        let token = sessions.issue_api_token("alpha", Some(expires), T0).unwrap();
        assert_eq!(store.sessions_of("alpha").unwrap()[0].kind, SessionKind::Api);
        assert!(sessions.authenticate(&token, T0 + time::Duration::days(10)).unwrap().is_some());
        assert_eq!(sessions.purge(T0 + time::Duration::days(30)).unwrap(), 0, "idle time does not purge it");
        assert!(sessions.authenticate(&token, T0 + time::Duration::days(89)).unwrap().is_some());
        assert!(sessions.authenticate(&token, expires).unwrap().is_none());
        let forever = sessions.issue_api_token("alpha", None, T0).unwrap();
        assert!(sessions.authenticate(&forever, T0 + time::Duration::days(3650)).unwrap().is_some());
    }

    #[test]
    fn an_api_token_needs_a_known_user_and_a_future_expiry() {
        let (_dir, _store, sessions) = service();
        let err = sessions.issue_api_token("nobody", None, T0).unwrap_err();
        assert!(matches!(err, Error::User(UserError::NotFound(_))), "{err}");
        let err = sessions.issue_api_token("alpha", Some(T0), T0).unwrap_err();
        assert!(matches!(err, Error::Invalid(_)), "{err}");
    }

    #[test]
    fn logout_ends_the_session_and_garbage_authenticates_nobody() {
        let (_dir, _store, sessions) = service();
        let token = sessions.login("alpha", PASSWORD, ip(1), T0).unwrap().token;
        assert!(sessions.logout(&token).unwrap());
        assert!(!sessions.logout(&token).unwrap());
        assert!(sessions.authenticate(&token, T0).unwrap().is_none());
        let (unknown, _) = token::new_token().unwrap();
        for garbage in ["", "truce_", "Bearer x", unknown.as_str()] {
            assert!(sessions.authenticate(garbage, T0).unwrap().is_none(), "{garbage:?}");
        }
    }

    #[test]
    fn the_service_is_shared_between_threads_over_the_nodes_store() {
        fn shared<T: Send + Sync>() {}
        shared::<Sessions>();
        // A node holds `Arc<dyn Store>`; the service takes it as it is (trait upcasting).
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn truce_store::Store> = Arc::new(SqliteStore::open(dir.path()).unwrap());
        let sessions = Sessions::new(store, Settings::default());
        assert!(sessions.authenticate("truce_nothing", T0).unwrap().is_none());
    }
}
