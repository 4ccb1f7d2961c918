//! CoalitionStore on PostgreSQL (being ported).

#![allow(unused_variables, unused_imports)]

use super::PgStore;
use time::OffsetDateTime;
use truce_access::LabelColumns;
use crate::observations::{from_ms, to_ms};
use crate::{
    CoalitionBatch, CoalitionImportReport, CoalitionImportRow, CoalitionItem, CoalitionStore, PledgeEvent,
    ProgressPoint, StoreError, Stored,
};

impl crate::CoalitionStore for PgStore {
    fn import_coalition(&self, batch: &CoalitionBatch, at: OffsetDateTime)
    -> Result<CoalitionImportReport, StoreError> {
        unimplemented!("postgres")
    }

    fn coalition_items(&self) -> Result<Vec<Stored<CoalitionItem>>, StoreError> {
        unimplemented!("postgres")
    }

    fn pledge_history(&self) -> Result<Vec<Stored<PledgeEvent>>, StoreError> {
        unimplemented!("postgres")
    }

    fn regeneration_progress(&self) -> Result<Vec<Stored<ProgressPoint>>, StoreError> {
        unimplemented!("postgres")
    }

    fn coalition_imports(&self) -> Result<Vec<CoalitionImportRow>, StoreError> {
        unimplemented!("postgres")
    }

}
