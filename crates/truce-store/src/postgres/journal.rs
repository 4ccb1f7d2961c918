//! JournalStore on PostgreSQL (being ported).

#![allow(unused_variables, unused_imports)]

use super::PgStore;
use std::collections::BTreeMap;
use time::OffsetDateTime;
use truce_core::{ActionRow, AlertRow, CaseRow};
use crate::observations::{from_ms, to_ms};
use crate::{AckSummary, AlertAck, CaseUpdateError, JournalStore, StoreError};
use truce_access::LabelColumns;

impl crate::JournalStore for PgStore {
    fn record_alert(&self, alert: &AlertRow) -> Result<i64, StoreError> {
        unimplemented!("postgres")
    }

    fn alerts(
        &self,
        since: Option<OffsetDateTime>,
        after: Option<i64>,
        limit: usize,
    ) -> Result<Vec<AlertRow>, StoreError> {
        unimplemented!("postgres")
    }

    fn latest_alerts(&self) -> Result<Vec<AlertRow>, StoreError> {
        unimplemented!("postgres")
    }

    fn alert(&self, seq: i64) -> Result<Option<AlertRow>, StoreError> {
        unimplemented!("postgres")
    }

    fn ack_alert(&self, ack: &AlertAck) -> Result<Option<AlertRow>, StoreError> {
        unimplemented!("postgres")
    }

    fn alert_acks(&self, seqs: &[i64]) -> Result<std::collections::BTreeMap<i64, AckSummary>, StoreError> {
        unimplemented!("postgres")
    }

    fn open_case(&self, case: &CaseRow, first: &ActionRow) -> Result<String, StoreError> {
        unimplemented!("postgres")
    }

    fn update_case(
        &self,
        id: &str,
        expected: &str,
        stage: &str,
        body: &str,
        action: &ActionRow,
    ) -> Result<i64, CaseUpdateError> {
        unimplemented!("postgres")
    }

    fn case(&self, id: &str) -> Result<Option<(CaseRow, Vec<ActionRow>)>, StoreError> {
        unimplemented!("postgres")
    }

    fn cases(&self) -> Result<Vec<CaseRow>, StoreError> {
        unimplemented!("postgres")
    }

}
