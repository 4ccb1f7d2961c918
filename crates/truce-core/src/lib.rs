//! The truce domain, without I/O: what monitors observe, what an agreement forbids, and the violations
//! that follow.
//!
//! The vocabulary follows the OSCE Special Monitoring Mission to Ukraine (see `docs/classification.md`):
//! ceasefire violations are explosions (impact, airburst, outgoing, undetermined), projectiles in
//! flight, muzzle flashes, illumination flares, and bursts and shots; beside them monitors record weapon
//! sightings, restrictions of freedom of movement, civilian casualties, engineering works and GPS
//! jamming. Every identifier here is a stable string used in files, the API and reports.
//!
//! The records a store keeps and a node publishes are here too, as plain values, so that the crates that
//! make them (`truce-track`, `truce-watch`) and the store that keeps them need not know each other:
//! [`StoredObservation`], [`TrackRow`], [`GeofenceRow`], [`AlertRow`], [`CaseRow`], [`ActionRow`], and
//! the security [`Label`] every record and event carries.

mod category;
pub mod halves;
mod journal;
mod label;
mod observation;
mod record;
mod stored;
mod track;
mod violation;
mod zone_kind;

pub use category::{Category, CategorySet, UnknownCategory};
pub use journal::{ActionRow, AlertRow, CaseRow};
pub use label::Label;
pub use observation::{
    Casualties, Confidence, LocationPrecision, Marking, Means, Observation, Observer, TimePrecision,
};
pub use record::{ClassificationRecord, LineRecord, ViolationRecord};
pub use stored::StoredObservation;
pub use track::{GeofenceKind, GeofenceRow, TrackRow};
pub use violation::ViolationCode;
pub use zone_kind::ZoneKind;
