//! The one path by which observations enter a node, whatever their source (the HTTP API, `truce
//! ingest`, a TAK device's weapon mark, the demo's simulator): **validate → classify → store →
//! publish**.
//!
//! Sources parse their own formats into [`Observation`]s (`truce-formats` for JSON, CSV and GeoJSON;
//! `truce-track` for CoT). [`Node::prepare`] validates one against the agreement (its weapon class and
//! party must be the agreement's) and classifies it; [`Node::commit`] stores a batch, all or nothing,
//! and only after the store's commit returned (durable) publishes the observations that were new on
//! the bus. So a client never sees an observation the store does not have, and a duplicate is never
//! published twice. Bulk loads encode rows on their reading thread and commit them with
//! [`Node::commit_encoded`], which publishes the same way. Every commit says who records the batch (a
//! user, or the source: `import <file>`, `tak <callsign>`, `demo`): the first version's author in the
//! observation's history.
//!
//! Corrections take the same path: [`Node::revise`] validates and classifies the amended observation
//! like a new one, has the store replace the version the writer read (or withdraw it), and publishes
//! the new version (an `observation` event with the same id, which replaces the old one on every map)
//! or the withdrawal.

use std::collections::HashSet;
use std::sync::Arc;

use time::OffsetDateTime;
use truce_access::Access;
use truce_core::{Label, Observation, StoredObservation};
use truce_store::{EncodedRow, InsertReport, StoreError};

use crate::{Event, Node};

/// Why the pipeline refused an observation: the field at fault and the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("field `{field}`: {message}")]
pub struct Rejection {
    /// The field at fault (`weapon_class`, `party`, `releasable_to`, `marking`).
    pub field: &'static str,
    /// Why.
    pub message: String,
    /// The writer may not give this label (a 403, not a 422).
    pub forbidden: bool,
}

impl Node {
    /// Validates an observation against the label policy (every release code and category known, the
    /// label within what `writer` may give) and the agreement, and classifies it, as it will be stored.
    ///
    /// # Errors
    /// A [`Rejection`] naming the field whose value the policy or the agreement does not know, or the
    /// label the writer may not give.
    pub fn prepare(
        &self,
        mut observation: Observation,
        received_at: OffsetDateTime,
        writer: &Access,
    ) -> Result<StoredObservation, Rejection> {
        let label = self.policy.check(&Label::of(&observation)).map_err(|e| Rejection {
            field: if e.field == "categories" { "categories" } else { "releasable_to" },
            message: e.reason,
            forbidden: false,
        })?;
        if let Some((field, message)) = writer.may_label(&label) {
            return Err(Rejection { field, message, forbidden: true });
        }
        observation.releasable_to = label.releasable_to;
        observation.categories = label.categories;
        let obs = self.agreement.observation(&observation).map_err(|e| Rejection {
            field: e.field,
            message: e.message,
            forbidden: false,
        })?;
        let classification = self.agreement.record(&self.agreement.classify(&obs));
        Ok(StoredObservation { observation, classification, received_at })
    }

    /// Stores a batch (all or nothing, durable on return) and publishes what was new. Blocking: call
    /// it from a blocking thread, or use [`Node::commit_async`].
    ///
    /// # Errors
    /// When the store refuses the batch or fails; nothing of it is stored or published then.
    pub fn commit(&self, by: &str, batch: Vec<StoredObservation>) -> Result<InsertReport, StoreError> {
        let rows = batch.iter().map(|s| EncodedRow::new(s).map(|r| r.by(by))).collect::<Result<Vec<_>, _>>()?;
        self.commit_encoded(&rows, batch)
    }

    /// [`Node::commit`] for rows already encoded (bulk loads encode on their reading thread, and say
    /// who records them with [`EncodedRow::by`]); `observations` are the same observations, for
    /// publishing. A bulk load that found the bus without
    /// subscribers ([`Bus::has_subscribers`](crate::Bus::has_subscribers)) passes none: nobody would
    /// receive them.
    ///
    /// # Errors
    /// When the store refuses the batch or fails; nothing of it is stored or published then.
    pub fn commit_encoded(
        &self,
        rows: &[EncodedRow],
        observations: Vec<StoredObservation>,
    ) -> Result<InsertReport, StoreError> {
        let started = std::time::Instant::now();
        let report = self.store.insert_encoded(rows)?;
        metrics::histogram!("truce_store_insert_seconds").record(started.elapsed().as_secs_f64());
        metrics::counter!("truce_observations_stored_total").increment(report.inserted.len() as u64);
        metrics::counter!("truce_observations_duplicate_total").increment(report.duplicates.len() as u64);
        if !report.inserted.is_empty() {
            self.bump_data_version();
        }
        if !report.inserted.is_empty() && !observations.is_empty() {
            // An id twice in one batch is stored once: publish its first occurrence, once.
            let mut new: HashSet<&str> = report.inserted.iter().map(String::as_str).collect();
            for s in observations {
                if new.remove(s.observation.id.as_str()) {
                    let event = self.observation_event(s);
                    self.bus.publish(event);
                }
            }
        }
        Ok(report)
    }

    /// The event of a stored observation, with the sector the warning counts it in.
    fn observation_event(&self, s: StoredObservation) -> Event {
        let sector = self.sector_of(s.observation.lat, s.observation.lon);
        Event::observation(Arc::new(s)).in_sector(sector)
    }

    /// The id of the early-warning sector a position is in, if any (the rule the warning counts by).
    pub fn sector_of(&self, lat: f64, lon: f64) -> Option<&str> {
        self.sectors.assign(truce_geo::LonLat::new(lon, lat)).map(|i| self.sectors.sectors[i].id.as_str())
    }

    /// [`Node::commit`] on the blocking pool, for async callers.
    ///
    /// # Errors
    /// As [`Node::commit`]; also when the blocking task could not run.
    pub async fn commit_async(
        self: &Arc<Self>,
        by: &str,
        batch: Vec<StoredObservation>,
    ) -> Result<InsertReport, StoreError> {
        let node = self.clone();
        let by = by.to_owned();
        tokio::task::spawn_blocking(move || node.commit(&by, batch))
            .await
            .map_err(|e| StoreError::Corrupt { id: String::new(), reason: format!("the store task failed: {e}") })?
    }

    /// Amends (`change.amended`, the new content [prepared](Node::prepare) and encoded) or withdraws
    /// one observation through `store` (the writer's view: what it may not see is not found), against
    /// the version the writer read, and publishes the change once the store's commit returned.
    ///
    /// # Errors
    /// As [`ObservationStore::revise`](truce_store::ObservationStore::revise); nothing changes or is
    /// published then.
    pub fn revise(
        &self,
        store: &dyn truce_store::Store,
        change: &truce_store::Revise<'_>,
    ) -> Result<truce_store::Revision, StoreError> {
        let event = match change.amended {
            Some(row) => Some(self.observation_event(row.decode()?)),
            None => None,
        };
        let revision = store.revise(change)?;
        self.bump_data_version();
        metrics::counter!("truce_observations_revised_total", "change" => revision.change.id()).increment(1);
        self.bus.publish(event.unwrap_or_else(|| Event::withdrawn(Arc::new(revision.stored.clone()))));
        Ok(revision)
    }
}
