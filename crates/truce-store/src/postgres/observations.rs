//! ObservationStore on PostgreSQL (being ported).

#![allow(unused_variables, unused_imports)]

use super::PgStore;
use time::OffsetDateTime;
use truce_access::Access;
use truce_core::{ClassificationRecord, Observation, StoredObservation};
use crate::{
    Change, Conflict, Correction, EncodedRow, InsertReport, MAX_PAGE, ObservationStore, Page, Query, Revise, Revision,
    Stats, StoreError,
};

impl crate::ObservationStore for PgStore {
    fn insert_encoded(&self, rows: &[EncodedRow]) -> Result<InsertReport, StoreError> {
        unimplemented!("postgres")
    }

    fn get(&self, id: &str) -> Result<Option<StoredObservation>, StoreError> {
        unimplemented!("postgres")
    }

    fn query(&self, q: &Query) -> Result<Page, StoreError> {
        unimplemented!("postgres")
    }

    fn stats(&self, q: &Query) -> Result<Stats, StoreError> {
        unimplemented!("postgres")
    }

    fn revise(&self, change: &Revise<'_>) -> Result<Revision, StoreError> {
        unimplemented!("postgres")
    }

    fn history(&self, id: &str) -> Result<Option<Vec<Revision>>, StoreError> {
        unimplemented!("postgres")
    }

    fn revisions_since(&self, q: &Query, after: OffsetDateTime) -> Result<Vec<Correction>, StoreError> {
        unimplemented!("postgres")
    }

    fn count(&self) -> Result<u64, StoreError> {
        unimplemented!("postgres")
    }

    fn agreement_fingerprint(&self) -> Result<Option<String>, StoreError> {
        unimplemented!("postgres")
    }

    fn set_agreement_fingerprint(&self, fingerprint: &str) -> Result<(), StoreError> {
        unimplemented!("postgres")
    }

    fn reclassify(
        &self,
        fingerprint: &str,
        classify: &mut dyn FnMut(&Observation) -> ClassificationRecord,
    ) -> Result<u64, StoreError> {
        unimplemented!("postgres")
    }

}
