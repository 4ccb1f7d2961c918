//! MartiStore on PostgreSQL (being ported).

#![allow(unused_variables, unused_imports)]

use super::PgStore;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use truce_access::LabelColumns;
use truce_core::Label;
use crate::observations::{from_ms, to_ms};
use crate::blobs::parse_sha256;
use crate::{
    ChangeKind, ContentRef, FilePut, FileQuery, FileRecord, MartiStore, MissionChange, MissionContent, MissionRecord,
    MissionRole, StoreError, Subscription,
};

impl crate::MartiStore for PgStore {
    fn put_file(&self, f: &FileRecord) -> Result<FilePut, StoreError> {
        unimplemented!("postgres")
    }

    fn file(&self, hash: &str) -> Result<Option<FileRecord>, StoreError> {
        unimplemented!("postgres")
    }

    fn search_files(&self, q: &FileQuery) -> Result<Vec<FileRecord>, StoreError> {
        unimplemented!("postgres")
    }

    fn delete_file(
        &self,
        hash: &str,
        by: &str,
        at: OffsetDateTime,
    ) -> Result<Option<(FileRecord, Vec<MissionChange>)>, StoreError> {
        unimplemented!("postgres")
    }

    fn create_mission(&self, m: &MissionRecord) -> Result<MissionChange, StoreError> {
        unimplemented!("postgres")
    }

    fn mission(&self, name: &str) -> Result<Option<MissionRecord>, StoreError> {
        unimplemented!("postgres")
    }

    fn mission_by_guid(&self, guid: &str) -> Result<Option<MissionRecord>, StoreError> {
        unimplemented!("postgres")
    }

    fn missions(&self) -> Result<Vec<MissionRecord>, StoreError> {
        unimplemented!("postgres")
    }

    fn delete_mission(&self, name: &str, by: &str, at: OffsetDateTime) -> Result<Option<MissionChange>, StoreError> {
        unimplemented!("postgres")
    }

    fn subscribe(&self, s: &Subscription) -> Result<Subscription, StoreError> {
        unimplemented!("postgres")
    }

    fn unsubscribe(&self, mission: &str, client_uid: &str) -> Result<bool, StoreError> {
        unimplemented!("postgres")
    }

    fn set_role(&self, mission: &str, client_uid: &str, role: MissionRole) -> Result<bool, StoreError> {
        unimplemented!("postgres")
    }

    fn subscriptions(&self, mission: &str) -> Result<Vec<Subscription>, StoreError> {
        unimplemented!("postgres")
    }

    fn subscription(&self, mission: &str, client_uid: &str) -> Result<Option<Subscription>, StoreError> {
        unimplemented!("postgres")
    }

    fn all_subscriptions(&self) -> Result<Vec<Subscription>, StoreError> {
        unimplemented!("postgres")
    }

    fn add_contents(
        &self,
        mission: &str,
        items: &[ContentRef],
        creator_uid: &str,
        at: OffsetDateTime,
    ) -> Result<Vec<MissionChange>, StoreError> {
        unimplemented!("postgres")
    }

    fn remove_content(
        &self,
        mission: &str,
        item: &ContentRef,
        creator_uid: &str,
        at: OffsetDateTime,
    ) -> Result<Option<MissionChange>, StoreError> {
        unimplemented!("postgres")
    }

    fn contents(&self, mission: &str) -> Result<Vec<MissionContent>, StoreError> {
        unimplemented!("postgres")
    }

    fn changes(&self, mission: &str, since: Option<OffsetDateTime>) -> Result<Vec<MissionChange>, StoreError> {
        unimplemented!("postgres")
    }

}
