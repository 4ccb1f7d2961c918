//! UserStore on PostgreSQL (being ported).

#![allow(unused_variables, unused_imports)]

use super::PgStore;
use time::OffsetDateTime;
use crate::observations::{from_ms, to_ms};
use crate::users::check_user;
use crate::{SessionKind, SessionRow, StoreError, User, UserError, UserStore};

impl crate::UserStore for PgStore {
    fn add_user(&self, user: &User, password_phc: &str) -> Result<(), UserError> {
        unimplemented!("postgres")
    }

    fn set_password(&self, name: &str, password_phc: &str, at: OffsetDateTime) -> Result<(), UserError> {
        unimplemented!("postgres")
    }

    fn set_disabled(&self, name: &str, disabled: bool, at: OffsetDateTime) -> Result<u64, UserError> {
        unimplemented!("postgres")
    }

    fn list_users(&self) -> Result<Vec<User>, StoreError> {
        unimplemented!("postgres")
    }

    fn user(&self, name: &str) -> Result<Option<User>, StoreError> {
        unimplemented!("postgres")
    }

    fn credentials(&self, name: &str) -> Result<Option<(User, String)>, StoreError> {
        unimplemented!("postgres")
    }

    fn create_session(&self, row: &SessionRow) -> Result<(), UserError> {
        unimplemented!("postgres")
    }

    fn session(&self, token_hash: &[u8; 32]) -> Result<Option<(SessionRow, User)>, StoreError> {
        unimplemented!("postgres")
    }

    fn sessions_of(&self, name: &str) -> Result<Vec<SessionRow>, StoreError> {
        unimplemented!("postgres")
    }

    fn touch_session(&self, token_hash: &[u8; 32], now: OffsetDateTime) -> Result<bool, StoreError> {
        unimplemented!("postgres")
    }

    fn delete_session(&self, token_hash: &[u8; 32]) -> Result<bool, StoreError> {
        unimplemented!("postgres")
    }

    fn delete_expired_sessions(&self, now: OffsetDateTime, idle: std::time::Duration) -> Result<u64, StoreError> {
        unimplemented!("postgres")
    }

}
