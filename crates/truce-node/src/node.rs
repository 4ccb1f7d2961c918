//! The node: the domain state a running truce holds, shared by every source, service and output.
//!
//! It is the agreement in force, the early-warning sectors, the store (through its traits, whatever
//! the backend), the bus, and what is derived once from them (the agreement's geometry for the map,
//! the latest early-warning picture). Runtime handles (listeners, tasks, the TAK server) belong to
//! whoever runs the node, not to it.

use std::sync::{Arc, OnceLock, RwLock};

use serde_json::Value;
use truce_engine::Agreement;
use truce_store::Store;
use truce_watch::{Assessment, Sectors};

use crate::Bus;

/// The domain state of a running node. Cheap to share: hold it in an `Arc`.
pub struct Node {
    /// The agreement in force.
    pub agreement: Arc<Agreement>,
    /// The early-warning and reporting sectors.
    pub sectors: Arc<Sectors>,
    /// The store.
    pub store: Arc<dyn Store>,
    /// Where every event is published.
    pub bus: Arc<dyn Bus>,
    geometry: OnceLock<Arc<Value>>,
    warning: RwLock<Option<Assessment>>,
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node")
            .field("agreement", &self.agreement.id)
            .field("version", &self.agreement.version)
            .finish_non_exhaustive()
    }
}

impl Node {
    /// A node over a store and a bus.
    pub fn new(store: Arc<dyn Store>, agreement: Arc<Agreement>, sectors: Arc<Sectors>, bus: Arc<dyn Bus>) -> Self {
        Self { agreement, sectors, store, bus, geometry: OnceLock::new(), warning: RwLock::new(None) }
    }

    /// The agreement's lines and zones as GeoJSON (bands traced as polygons for display, on first
    /// use: a server calls it once at start so that no request waits for it).
    pub fn geometry(&self) -> Arc<Value> {
        self.geometry.get_or_init(|| Arc::new(crate::geometry::agreement_geometry(&self.agreement))).clone()
    }

    /// The latest early-warning picture, if the watch has made one.
    pub fn warning(&self) -> Option<Assessment> {
        self.warning.read().map(|w| w.clone()).unwrap_or_else(|p| p.into_inner().clone())
    }

    /// Records the latest early-warning picture.
    pub fn set_warning(&self, picture: Option<Assessment>) {
        match self.warning.write() {
            Ok(mut w) => *w = picture,
            Err(p) => *p.into_inner() = picture,
        }
    }
}
