//! Users, sessions and API tokens on SQLite (see [`crate::UserStore`] for the design).
//!
//! Every write is one transaction on the writer connection. The checks that decide whether a row may
//! be written (the user exists, is enabled) run inside that transaction, so they cannot be overtaken
//! by a concurrent disable.

use rusqlite::{OptionalExtension, Row, Transaction, params};
use time::OffsetDateTime;

use super::{SqliteStore, from_ms, to_ms};
use crate::users::{checked_categories, decode_access, session_kind, token_hash};
use crate::{SessionRow, StoreError, User, UserError, UserStore};

const USER_COLUMNS: &str = "name, nation, role, clearance, categories, disabled, created_ms, updated_ms";

/// The columns of [`USER_COLUMNS`] from `row`, starting at column `at`, as a user.
fn user_from(row: &Row<'_>, at: usize) -> Result<Result<User, StoreError>, rusqlite::Error> {
    let name: String = row.get(at)?;
    let nation: String = row.get(at + 1)?;
    let role: String = row.get(at + 2)?;
    let clearance: String = row.get(at + 3)?;
    let categories: String = row.get(at + 4)?;
    let disabled: bool = row.get(at + 5)?;
    let created = from_ms(row.get(at + 6)?);
    let updated = from_ms(row.get(at + 7)?);
    Ok(decode_access(&name, &role, &clearance, &categories).map(|(role, clearance, categories)| User {
        name,
        nation,
        role,
        clearance,
        categories,
        disabled,
        created,
        updated,
    }))
}

/// The columns `token_hash, user, kind, created_ms, last_seen_ms, expires_ms` as a session.
fn session_from(row: &Row<'_>) -> Result<Result<SessionRow, StoreError>, rusqlite::Error> {
    let hash: Vec<u8> = row.get(0)?;
    let user: String = row.get(1)?;
    let kind: String = row.get(2)?;
    let created = from_ms(row.get(3)?);
    let last_seen = from_ms(row.get(4)?);
    let expires: Option<i64> = row.get(5)?;
    Ok((|| {
        let token_hash = token_hash(&user, hash)?;
        let kind = session_kind(&user, &kind)?;
        Ok(SessionRow { token_hash, user, kind, created, last_seen, expires: expires.map(from_ms) })
    })())
}

/// The user's `disabled` flag, or `None` when there is no such user.
fn disabled_in(tx: &Transaction<'_>, name: &str) -> Result<Option<bool>, rusqlite::Error> {
    tx.query_row("SELECT disabled FROM users WHERE name = ?1", [name], |r| r.get(0)).optional()
}

impl UserStore for SqliteStore {
    fn add_user(&self, user: &User, password_phc: &str) -> Result<(), UserError> {
        let categories = checked_categories(user)?;
        let mut w = self.writer();
        let tx = w.conn.transaction().map_err(StoreError::from)?;
        if disabled_in(&tx, &user.name).map_err(StoreError::from)?.is_some() {
            return Err(UserError::Exists(user.name.clone()));
        }
        tx.execute(
            "INSERT INTO users (name, nation, role, clearance, categories, password, disabled, created_ms, updated_ms) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                user.name,
                user.nation,
                user.role.id(),
                user.clearance.id(),
                categories,
                password_phc,
                user.disabled,
                to_ms(user.created),
                to_ms(user.updated)
            ],
        )
        .map_err(StoreError::from)?;
        tx.commit().map_err(StoreError::from)?;
        Ok(())
    }

    fn set_password(&self, name: &str, password_phc: &str, at: OffsetDateTime) -> Result<(), UserError> {
        let mut w = self.writer();
        let tx = w.conn.transaction().map_err(StoreError::from)?;
        let n = tx
            .execute(
                "UPDATE users SET password = ?2, updated_ms = ?3 WHERE name = ?1",
                params![name, password_phc, to_ms(at)],
            )
            .map_err(StoreError::from)?;
        if n == 0 {
            return Err(UserError::NotFound(name.to_owned()));
        }
        tx.execute("DELETE FROM sessions WHERE user = ?1 AND kind = 'session'", [name]).map_err(StoreError::from)?;
        tx.commit().map_err(StoreError::from)?;
        Ok(())
    }

    fn set_disabled(&self, name: &str, disabled: bool, at: OffsetDateTime) -> Result<u64, UserError> {
        let mut w = self.writer();
        let tx = w.conn.transaction().map_err(StoreError::from)?;
        let n = tx
            .execute(
                "UPDATE users SET disabled = ?2, updated_ms = ?3 WHERE name = ?1",
                params![name, disabled, to_ms(at)],
            )
            .map_err(StoreError::from)?;
        if n == 0 {
            return Err(UserError::NotFound(name.to_owned()));
        }
        let ended = if disabled {
            tx.execute("DELETE FROM sessions WHERE user = ?1", [name]).map_err(StoreError::from)? as u64
        } else {
            0
        };
        tx.commit().map_err(StoreError::from)?;
        Ok(ended)
    }

    fn list_users(&self) -> Result<Vec<User>, StoreError> {
        let r = self.reader();
        let mut stmt = r.prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY name"))?;
        let rows = stmt.query_map([], |row| user_from(row, 0))?;
        let mut users = Vec::new();
        for row in rows {
            users.push(row??);
        }
        Ok(users)
    }

    fn user(&self, name: &str) -> Result<Option<User>, StoreError> {
        let r = self.reader();
        let mut stmt = r.prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users WHERE name = ?1"))?;
        stmt.query_row([name], |row| user_from(row, 0)).optional()?.transpose()
    }

    fn credentials(&self, name: &str) -> Result<Option<(User, String)>, StoreError> {
        let r = self.reader();
        let mut stmt = r.prepare_cached(&format!("SELECT {USER_COLUMNS}, password FROM users WHERE name = ?1"))?;
        let found = stmt
            .query_row([name], |row| {
                let password: String = row.get(8)?;
                Ok(user_from(row, 0)?.map(|u| (u, password)))
            })
            .optional()?;
        found.transpose()
    }

    fn create_session(&self, row: &SessionRow) -> Result<(), UserError> {
        let mut w = self.writer();
        let tx = w.conn.transaction().map_err(StoreError::from)?;
        match disabled_in(&tx, &row.user).map_err(StoreError::from)? {
            None => return Err(UserError::NotFound(row.user.clone())),
            Some(true) => return Err(UserError::Disabled(row.user.clone())),
            Some(false) => {}
        }
        let n = tx
            .execute(
                "INSERT OR IGNORE INTO sessions (token_hash, user, kind, created_ms, last_seen_ms, expires_ms) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    &row.token_hash[..],
                    row.user,
                    row.kind.id(),
                    to_ms(row.created),
                    to_ms(row.last_seen),
                    row.expires.map(to_ms)
                ],
            )
            .map_err(StoreError::from)?;
        if n == 0 {
            return Err(UserError::Invalid {
                name: row.user.clone(),
                reason: "a session with this token hash exists already".into(),
            });
        }
        tx.commit().map_err(StoreError::from)?;
        Ok(())
    }

    fn session(&self, token_hash: &[u8; 32]) -> Result<Option<(SessionRow, User)>, StoreError> {
        let r = self.reader();
        let mut stmt = r.prepare_cached(
            "SELECT s.token_hash, s.user, s.kind, s.created_ms, s.last_seen_ms, s.expires_ms, \
             u.name, u.nation, u.role, u.clearance, u.categories, u.disabled, u.created_ms, u.updated_ms \
             FROM sessions s JOIN users u ON u.name = s.user WHERE s.token_hash = ?1",
        )?;
        let found = stmt
            .query_row([&token_hash[..]], |row| {
                let session = session_from(row)?;
                let user = user_from(row, 6)?;
                Ok(session.and_then(|s| user.map(|u| (s, u))))
            })
            .optional()?;
        found.transpose()
    }

    fn sessions_of(&self, name: &str) -> Result<Vec<SessionRow>, StoreError> {
        let r = self.reader();
        let mut stmt = r.prepare_cached(
            "SELECT token_hash, user, kind, created_ms, last_seen_ms, expires_ms FROM sessions \
             WHERE user = ?1 ORDER BY created_ms, token_hash",
        )?;
        let rows = stmt.query_map([name], session_from)?;
        let mut sessions = Vec::new();
        for row in rows {
            sessions.push(row??);
        }
        Ok(sessions)
    }

    fn touch_session(&self, token_hash: &[u8; 32], now: OffsetDateTime) -> Result<bool, StoreError> {
        let w = self.writer();
        let n = w.conn.execute(
            "UPDATE sessions SET last_seen_ms = MAX(last_seen_ms, ?2) WHERE token_hash = ?1",
            params![&token_hash[..], to_ms(now)],
        )?;
        Ok(n > 0)
    }

    fn delete_session(&self, token_hash: &[u8; 32]) -> Result<bool, StoreError> {
        let w = self.writer();
        let n = w.conn.execute("DELETE FROM sessions WHERE token_hash = ?1", [&token_hash[..]])?;
        Ok(n > 0)
    }

    fn delete_expired_sessions(&self, now: OffsetDateTime, idle: std::time::Duration) -> Result<u64, StoreError> {
        let now_ms = to_ms(now);
        let idle_ms = i64::try_from(idle.as_millis()).unwrap_or(i64::MAX);
        let w = self.writer();
        let n = w.conn.execute(
            "DELETE FROM sessions WHERE expires_ms <= ?1 OR (kind = 'session' AND last_seen_ms <= ?2)",
            params![now_ms, now_ms.saturating_sub(idle_ms)],
        )?;
        Ok(n as u64)
    }
}
