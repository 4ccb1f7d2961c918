//! Users, sessions and API tokens on PostgreSQL (see [`crate::UserStore`] for the design).
//!
//! The same tables and statements as on SQLite, with two differences that concurrent writers
//! require (SQLite has one writer at a time): a new user is inserted with `ON CONFLICT DO NOTHING`,
//! so a name taken by a concurrent insert is still [`UserError::Exists`], and creating a session
//! locks its user's row (`FOR SHARE`) so that a concurrent disable waits for it and then deletes it.
//! The sessions' `user` column is `user_name` (`user` is reserved); token hashes are `bytea`.

use time::OffsetDateTime;
use tokio_postgres::{Client, GenericClient, Row};

use super::PgStore;
use crate::observations::{from_ms, to_ms};
use crate::users::{checked_categories, decode_access, session_kind, token_hash};
use crate::{SessionRow, StoreError, User, UserError, UserStore};

/// The user columns, as [`user_from`] reads them.
const USER_COLUMNS: &str = "name, nation, role, clearance, categories, disabled, created_ms, updated_ms";

/// The session columns, as [`session_from`] reads them.
const SESSION_COLUMNS: &str = "token_hash, user_name, kind, created_ms, last_seen_ms, expires_ms";

/// The columns of [`USER_COLUMNS`] from `row`, starting at column `at`, as a user.
fn user_from(row: &Row, at: usize) -> Result<User, StoreError> {
    let name: String = row.try_get(at)?;
    let nation: String = row.try_get(at + 1)?;
    let (role, clearance, categories) =
        decode_access(&name, row.try_get(at + 2)?, row.try_get(at + 3)?, row.try_get(at + 4)?)?;
    Ok(User {
        nation,
        role,
        clearance,
        categories,
        disabled: row.try_get(at + 5)?,
        created: from_ms(row.try_get(at + 6)?),
        updated: from_ms(row.try_get(at + 7)?),
        name,
    })
}

/// The columns of [`SESSION_COLUMNS`] from `row` as a session.
fn session_from(row: &Row) -> Result<SessionRow, StoreError> {
    let hash: Vec<u8> = row.try_get(0)?;
    let user: String = row.try_get(1)?;
    let kind = session_kind(&user, row.try_get(2)?)?;
    let token_hash = token_hash(&user, hash)?;
    let expires: Option<i64> = row.try_get(5)?;
    Ok(SessionRow {
        token_hash,
        user,
        kind,
        created: from_ms(row.try_get(3)?),
        last_seen: from_ms(row.try_get(4)?),
        expires: expires.map(from_ms),
    })
}

/// The user's `disabled` flag, or `None` when there is no such user; the row stays locked against
/// changes until the transaction ends.
async fn disabled_locked(c: &impl GenericClient, name: &str) -> Result<Option<bool>, tokio_postgres::Error> {
    let row = c.query_opt("SELECT disabled FROM users WHERE name = $1 FOR SHARE", &[&name]).await?;
    row.map(|r| r.try_get(0)).transpose()
}

impl PgStore {
    /// Updates one user (`set` assigns `$2`, `updated_ms` is `$3`), then runs `then` (with the name
    /// as `$1`) in the same transaction; answers how many rows `then` changed, or
    /// [`UserError::NotFound`].
    fn change_user<T>(
        &self,
        name: &str,
        set: &str,
        value: &T,
        at: OffsetDateTime,
        then: Option<&str>,
    ) -> Result<u64, UserError>
    where
        T: tokio_postgres::types::ToSql + Sync,
    {
        self.with(async |c: &mut Client| {
            let tx = c.transaction().await?;
            let sql = format!("UPDATE users SET {set} = $2, updated_ms = $3 WHERE name = $1");
            if tx.execute(&sql, &[&name, value, &to_ms(at)]).await? == 0 {
                return Err(UserError::NotFound(name.to_owned()));
            }
            let ended = match then {
                Some(sql) => tx.execute(sql, &[&name]).await?,
                None => 0,
            };
            tx.commit().await?;
            Ok(ended)
        })
    }

    /// One user by name with its columns and any `extra` ones after them.
    fn user_row(&self, name: &str, extra: &str) -> Result<Option<Row>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS}{extra} FROM users WHERE name = $1");
        self.with(async |c: &mut Client| Ok(c.query_opt(&sql, &[&name]).await?))
    }
}

impl UserStore for PgStore {
    fn add_user(&self, user: &User, password_phc: &str) -> Result<(), UserError> {
        let categories = checked_categories(user)?;
        let added = self.with(async |c: &mut Client| {
            c.execute(
                "INSERT INTO users (name, nation, role, clearance, categories, password, disabled, created_ms, \
                 updated_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (name) DO NOTHING",
                &[
                    &user.name,
                    &user.nation,
                    &user.role.id(),
                    &user.clearance.id(),
                    &categories,
                    &password_phc,
                    &user.disabled,
                    &to_ms(user.created),
                    &to_ms(user.updated),
                ],
            )
            .await
            .map_err(StoreError::from)
        })?;
        if added == 0 {
            return Err(UserError::Exists(user.name.clone()));
        }
        Ok(())
    }

    fn set_password(&self, name: &str, password_phc: &str, at: OffsetDateTime) -> Result<(), UserError> {
        let end_logins = "DELETE FROM sessions WHERE user_name = $1 AND kind = 'session'";
        self.change_user(name, "password", &password_phc, at, Some(end_logins))?;
        Ok(())
    }

    fn set_disabled(&self, name: &str, disabled: bool, at: OffsetDateTime) -> Result<u64, UserError> {
        let end_all = disabled.then_some("DELETE FROM sessions WHERE user_name = $1");
        self.change_user(name, "disabled", &disabled, at, end_all)
    }

    fn list_users(&self) -> Result<Vec<User>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY name");
        let rows = self.with(async |c: &mut Client| Ok::<_, StoreError>(c.query(&sql, &[]).await?))?;
        rows.iter().map(|r| user_from(r, 0)).collect()
    }

    fn user(&self, name: &str) -> Result<Option<User>, StoreError> {
        self.user_row(name, "")?.map(|r| user_from(&r, 0)).transpose()
    }

    fn credentials(&self, name: &str) -> Result<Option<(User, String)>, StoreError> {
        let Some(row) = self.user_row(name, ", password")? else { return Ok(None) };
        Ok(Some((user_from(&row, 0)?, row.try_get(8)?)))
    }

    fn create_session(&self, row: &SessionRow) -> Result<(), UserError> {
        self.with(async |c: &mut Client| {
            let tx = c.transaction().await?;
            match disabled_locked(&tx, &row.user).await? {
                None => return Err(UserError::NotFound(row.user.clone())),
                Some(true) => return Err(UserError::Disabled(row.user.clone())),
                Some(false) => {}
            }
            let n = tx
                .execute(
                    &format!(
                        "INSERT INTO sessions ({SESSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6) \
                         ON CONFLICT (token_hash) DO NOTHING"
                    ),
                    &[
                        &&row.token_hash[..],
                        &row.user,
                        &row.kind.id(),
                        &to_ms(row.created),
                        &to_ms(row.last_seen),
                        &row.expires.map(to_ms),
                    ],
                )
                .await?;
            if n == 0 {
                return Err(UserError::Invalid {
                    name: row.user.clone(),
                    reason: "a session with this token hash exists already".into(),
                });
            }
            tx.commit().await?;
            Ok(())
        })
    }

    fn session(&self, token_hash: &[u8; 32]) -> Result<Option<(SessionRow, User)>, StoreError> {
        let sql = "SELECT s.token_hash, s.user_name, s.kind, s.created_ms, s.last_seen_ms, s.expires_ms, \
                   u.name, u.nation, u.role, u.clearance, u.categories, u.disabled, u.created_ms, u.updated_ms \
                   FROM sessions s JOIN users u ON u.name = s.user_name WHERE s.token_hash = $1";
        let row =
            self.with(async |c: &mut Client| Ok::<_, StoreError>(c.query_opt(sql, &[&&token_hash[..]]).await?))?;
        row.map(|r| Ok((session_from(&r)?, user_from(&r, 6)?))).transpose()
    }

    fn sessions_of(&self, name: &str) -> Result<Vec<SessionRow>, StoreError> {
        let sql =
            format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE user_name = $1 ORDER BY created_ms, token_hash");
        let rows = self.with(async |c: &mut Client| Ok::<_, StoreError>(c.query(&sql, &[&name]).await?))?;
        rows.iter().map(session_from).collect()
    }

    fn touch_session(&self, token_hash: &[u8; 32], now: OffsetDateTime) -> Result<bool, StoreError> {
        let sql = "UPDATE sessions SET last_seen_ms = GREATEST(last_seen_ms, $2) WHERE token_hash = $1";
        let n = self.with(async |c: &mut Client| {
            Ok::<_, StoreError>(c.execute(sql, &[&&token_hash[..], &to_ms(now)]).await?)
        })?;
        Ok(n > 0)
    }

    fn delete_session(&self, token_hash: &[u8; 32]) -> Result<bool, StoreError> {
        let sql = "DELETE FROM sessions WHERE token_hash = $1";
        let n = self.with(async |c: &mut Client| Ok::<_, StoreError>(c.execute(sql, &[&&token_hash[..]]).await?))?;
        Ok(n > 0)
    }

    fn delete_expired_sessions(&self, now: OffsetDateTime, idle: std::time::Duration) -> Result<u64, StoreError> {
        let now_ms = to_ms(now);
        let idle_ms = i64::try_from(idle.as_millis()).unwrap_or(i64::MAX);
        let sql = "DELETE FROM sessions WHERE expires_ms <= $1 OR (kind = 'session' AND last_seen_ms <= $2)";
        self.with(async |c: &mut Client| Ok(c.execute(sql, &[&now_ms, &now_ms.saturating_sub(idle_ms)]).await?))
    }
}
