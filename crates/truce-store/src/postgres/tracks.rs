//! TrackStore on PostgreSQL (being ported).

#![allow(unused_variables, unused_imports)]

use super::PgStore;
use time::OffsetDateTime;
use truce_access::LabelColumns;
use truce_core::{GeofenceRow, TrackRow};
use crate::observations::{from_ms, to_ms};
use crate::{StoreError, TrackPage, TrackStore, TrackWindow};

impl crate::TrackStore for PgStore {
    fn insert_tracks(&self, points: &[TrackRow], geofence: &[GeofenceRow]) -> Result<(), StoreError> {
        unimplemented!("postgres")
    }

    fn latest_tracks(&self, now: OffsetDateTime) -> Result<Vec<TrackRow>, StoreError> {
        unimplemented!("postgres")
    }

    fn track_history(&self, uid: &str, limit: usize) -> Result<Vec<TrackRow>, StoreError> {
        unimplemented!("postgres")
    }

    fn track_window(&self, w: &TrackWindow) -> Result<TrackPage, StoreError> {
        unimplemented!("postgres")
    }

    fn geofence_events(&self, after_seq: i64, limit: usize) -> Result<Vec<(i64, GeofenceRow)>, StoreError> {
        unimplemented!("postgres")
    }

}
