//! Users, their password hashes, and the sessions and API tokens they hold: the [`UserStore`] contract.
//!
//! # Design
//!
//! A [`User`] is what the rest of truce may see of an account: name, nation, role, clearance and
//! categories. The password is kept beside it as a PHC string (`$argon2id$...`) that only
//! [`UserStore::credentials`] returns, so nothing that lists or shows users can leak it by accident.
//! The store neither hashes nor checks passwords: that is `truce-auth`'s job.
//!
//! Sessions and API tokens are one table of [`SessionRow`]s keyed by the SHA-256 of the token: the
//! token itself is never stored, so a copy of the database does not let anyone log in. A row names
//! its user and carries its absolute expiry; an interactive session also ends after an idle time
//! that the caller measures from `last_seen` (the store keeps no policy). Writes that change who may
//! act are single transactions: disabling a user deletes its sessions and API tokens in the same
//! transaction, changing a password deletes its interactive sessions, and a session is only created
//! for a user that exists and is enabled at the moment of the insert, so a login racing a disable
//! cannot leave a live session behind.

use time::OffsetDateTime;
use truce_access::Role;
use truce_core::Marking;

use crate::StoreError;

/// The longest user name, in characters.
pub const MAX_NAME_LEN: usize = 64;

/// The longest restrictive category name, in characters.
pub const MAX_CATEGORY_LEN: usize = 64;

/// An account, without its password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The login name (see [`check_name`]).
    pub name: String,
    /// The user's nation: ISO 3166-1 alpha-3, upper case (`FRA`).
    pub nation: String,
    /// What the user may do.
    pub role: Role,
    /// The highest classification the user may read.
    pub clearance: Marking,
    /// The restrictive categories the user holds, sorted, without duplicates.
    pub categories: Vec<String>,
    /// A disabled user cannot log in and holds no sessions or tokens.
    pub disabled: bool,
    /// When the account was created (stored to the millisecond).
    pub created: OffsetDateTime,
    /// When the account last changed: role, password, enabled or disabled (to the millisecond).
    pub updated: OffsetDateTime,
}

impl User {
    /// The user as the access rule sees it.
    pub fn viewer(&self) -> truce_access::Viewer {
        truce_access::Viewer {
            name: self.name.clone(),
            nation: Some(self.nation.clone()),
            role: self.role,
            clearance: self.clearance,
            categories: self.categories.iter().cloned().collect(),
        }
    }
}

/// Whether a [`SessionRow`] is an interactive login or a machine feed's API token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionKind {
    /// A login: ends when idle too long, at its absolute expiry, at logout or when the password
    /// changes.
    Session,
    /// An API token for a machine feed: no idle timeout; ends at its expiry (if any) or when revoked.
    Api,
}

impl SessionKind {
    /// The stable identifier (`session`, `api`).
    pub const fn id(self) -> &'static str {
        match self {
            SessionKind::Session => "session",
            SessionKind::Api => "api",
        }
    }
}

/// A session or API token as stored: the hash of the token, never the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// SHA-256 of the token's text.
    pub token_hash: [u8; 32],
    /// The user it acts for.
    pub user: String,
    /// Login or API token.
    pub kind: SessionKind,
    /// When it was issued (to the millisecond).
    pub created: OffsetDateTime,
    /// When it was last used, as recorded (callers record at most every so often).
    pub last_seen: OffsetDateTime,
    /// When it ends whatever its use; `None` only for an API token issued without expiry.
    pub expires: Option<OffsetDateTime>,
}

/// Why a change to a user was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UserError {
    /// A user of that name exists already.
    #[error("user {0:?} exists already")]
    Exists(String),
    /// No user of that name.
    #[error("no user {0:?}")]
    NotFound(String),
    /// The user is disabled (no session or token can be created for it).
    #[error("user {0:?} is disabled")]
    Disabled(String),
    /// The record cannot be stored as it is.
    #[error("user {name:?}: {reason}")]
    Invalid {
        /// The user.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Checks a user name: 1 to [`MAX_NAME_LEN`] characters of `a`–`z`, `0`–`9`, `.`, `_` and `-`,
/// starting with a letter or digit. Lower case only, so that `Alice` and `alice` cannot be two users.
///
/// # Errors
/// The reason, in words.
pub fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("a user name cannot be empty".into());
    }
    if name.chars().count() > MAX_NAME_LEN {
        return Err(format!("a user name has at most {MAX_NAME_LEN} characters"));
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit()) {
        return Err(format!("{name:?}: a user name starts with a letter a-z or a digit"));
    }
    if let Some(c) = name.chars().find(|&c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))) {
        return Err(format!("{name:?}: {c:?} is not allowed in a user name (a-z, 0-9, '.', '_', '-')"));
    }
    Ok(())
}

/// Checks a nation: three letters `A`–`Z` (ISO 3166-1 alpha-3, upper case, e.g. `FRA`).
///
/// # Errors
/// The reason, in words.
pub fn check_nation(nation: &str) -> Result<(), String> {
    if nation.len() == 3 && nation.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(format!("{nation:?} is not a nation: three letters A-Z (ISO 3166-1 alpha-3, e.g. FRA)"))
    }
}

/// Checks a restrictive category name: 1 to [`MAX_CATEGORY_LEN`] characters, none of them white
/// space, a control character or a comma.
///
/// # Errors
/// The reason, in words.
pub fn check_category(category: &str) -> Result<(), String> {
    if category.is_empty() || category.chars().count() > MAX_CATEGORY_LEN {
        return Err(format!("{category:?}: a category has 1 to {MAX_CATEGORY_LEN} characters"));
    }
    if category.chars().any(|c| c.is_whitespace() || c.is_control() || c == ',') {
        return Err(format!("{category:?}: a category has no spaces, control characters or commas"));
    }
    Ok(())
}

/// Checks everything [`UserStore::add_user`] requires of a user.
///
/// # Errors
/// [`UserError::Invalid`] naming the user and the first problem.
pub fn check_user(user: &User) -> Result<(), UserError> {
    let invalid = |reason| UserError::Invalid { name: user.name.clone(), reason };
    check_name(&user.name).map_err(invalid)?;
    check_nation(&user.nation).map_err(invalid)?;
    for c in &user.categories {
        check_category(c).map_err(invalid)?;
    }
    Ok(())
}

/// Persistence for users, sessions and API tokens. See the module documentation.
pub trait UserStore: Send + Sync {
    /// Adds a user with its password hash (a PHC string). Categories are stored sorted and without
    /// duplicates.
    ///
    /// # Errors
    /// [`UserError::Exists`] when the name is taken, [`UserError::Invalid`] when [`check_user`]
    /// refuses it, [`UserError::Store`] when the database fails.
    fn add_user(&self, user: &User, password_phc: &str) -> Result<(), UserError>;

    /// Replaces a user's password hash and ends its interactive sessions (not its API tokens, which
    /// do not depend on the password), in one transaction.
    ///
    /// # Errors
    /// [`UserError::NotFound`], or [`UserError::Store`] when the database fails.
    fn set_password(&self, name: &str, password_phc: &str, at: OffsetDateTime) -> Result<(), UserError>;

    /// Disables or enables a user. Disabling deletes every session and API token of the user in the
    /// same transaction and returns how many; enabling returns 0 (nothing comes back).
    ///
    /// # Errors
    /// [`UserError::NotFound`], or [`UserError::Store`] when the database fails.
    fn set_disabled(&self, name: &str, disabled: bool, at: OffsetDateTime) -> Result<u64, UserError>;

    /// Every user, by name.
    ///
    /// # Errors
    /// When the database fails.
    fn list_users(&self) -> Result<Vec<User>, StoreError>;

    /// One user.
    ///
    /// # Errors
    /// When the database fails.
    fn user(&self, name: &str) -> Result<Option<User>, StoreError>;

    /// One user with its password hash: for checking a password, nothing else.
    ///
    /// # Errors
    /// When the database fails.
    fn credentials(&self, name: &str) -> Result<Option<(User, String)>, StoreError>;

    /// Stores a session or API token, provided its user exists and is enabled at that moment.
    ///
    /// # Errors
    /// [`UserError::NotFound`] or [`UserError::Disabled`] for the row's user, [`UserError::Invalid`]
    /// when the hash is already stored, [`UserError::Store`] when the database fails.
    fn create_session(&self, row: &SessionRow) -> Result<(), UserError>;

    /// A session or API token by the hash of its token, with its user as it is now.
    ///
    /// # Errors
    /// When the database fails.
    fn session(&self, token_hash: &[u8; 32]) -> Result<Option<(SessionRow, User)>, StoreError>;

    /// Every session and API token of a user, oldest first.
    ///
    /// # Errors
    /// When the database fails.
    fn sessions_of(&self, name: &str) -> Result<Vec<SessionRow>, StoreError>;

    /// Records a use of a session: sets `last_seen` to `now` (never backwards). False when there is
    /// no such session.
    ///
    /// # Errors
    /// When the database fails.
    fn touch_session(&self, token_hash: &[u8; 32], now: OffsetDateTime) -> Result<bool, StoreError>;

    /// Ends a session or revokes an API token. False when there was none.
    ///
    /// # Errors
    /// When the database fails.
    fn delete_session(&self, token_hash: &[u8; 32]) -> Result<bool, StoreError>;

    /// Deletes every row whose absolute expiry is at or before `now`, and every interactive session
    /// not seen for `idle` or longer (API tokens have no idle timeout). Returns how many.
    ///
    /// # Errors
    /// When the database fails.
    fn delete_expired_sessions(&self, now: OffsetDateTime, idle: std::time::Duration) -> Result<u64, StoreError>;
}

/// [`StoreError::Corrupt`] naming the user `name`: a value stored for it does not decode.
fn corrupt(name: &str, reason: impl Into<String>) -> StoreError {
    StoreError::Corrupt { id: format!("user {name}"), reason: reason.into() }
}

/// Checks a user to add (see [`check_user`]) and answers its categories as stored: sorted, without
/// duplicates, as JSON.
pub(crate) fn checked_categories(user: &User) -> Result<String, UserError> {
    check_user(user)?;
    let mut categories = user.categories.clone();
    categories.sort();
    categories.dedup();
    serde_json::to_string(&categories)
        .map_err(|e| UserError::Invalid { name: user.name.clone(), reason: format!("categories: {e}") })
}

/// The role, clearance and categories of the user `name`, decoded from their stored `role`,
/// `clearance` and `categories` (JSON).
pub(crate) fn decode_access(
    name: &str,
    role: &str,
    clearance: &str,
    categories: &str,
) -> Result<(Role, Marking, Vec<String>), StoreError> {
    let role = role.parse().map_err(|e: String| corrupt(name, e))?;
    let clearance = clearance.parse().map_err(|e: String| corrupt(name, e))?;
    let categories = serde_json::from_str(categories).map_err(|e| corrupt(name, format!("categories: {e}")))?;
    Ok((role, clearance, categories))
}

/// The kind of a session of the user `name`, decoded from its stored `kind`.
pub(crate) fn session_kind(name: &str, kind: &str) -> Result<SessionKind, StoreError> {
    match kind {
        "session" => Ok(SessionKind::Session),
        "api" => Ok(SessionKind::Api),
        other => Err(corrupt(name, format!("session kind {other:?}"))),
    }
}

/// The token hash of a session of the user `name`, from its stored bytes.
pub(crate) fn token_hash(name: &str, hash: Vec<u8>) -> Result<[u8; 32], StoreError> {
    hash.try_into().map_err(|_| corrupt(name, "a session's token hash is not 32 bytes"))
}
