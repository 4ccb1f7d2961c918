//! The node: the domain state a running truce holds, shared by every source, service and output.
//!
//! It is the agreement in force, the early-warning sectors, the store (through its traits, whatever
//! the backend), the bus, and what is derived from them (the agreement's geometry for the map, the
//! latest early-warning picture of each audience). Runtime handles (listeners, tasks, the TAK
//! server) belong to whoever runs the node, not to it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use serde_json::Value;
use truce_access::{Access, Policy, Viewer};
use truce_engine::Agreement;
use truce_store::{Store, StoreError};
use truce_watch::{Assessment, Sectors};

use crate::Bus;

/// An early-warning picture kept for an audience: the minute it is of and the data version it read.
struct Held {
    minute: i64,
    version: u64,
    picture: Assessment,
}

/// The domain state of a running node. Cheap to share: hold it in an `Arc`.
pub struct Node {
    /// The agreement in force.
    pub agreement: Arc<Agreement>,
    /// The early-warning and reporting sectors.
    pub sectors: Arc<Sectors>,
    /// The store, read as everything (the node's own tasks). Viewers read through [`Node::view`].
    pub store: Arc<dyn Store>,
    /// The label policy.
    pub policy: Arc<Policy>,
    /// Who a client without an identity (plain TCP and UDP TAK) is: by default no nation and NATO
    /// UNCLASSIFIED, so it sees only what is released to everyone (the policy's public code).
    pub anonymous: Viewer,
    /// Where every event is published.
    pub bus: Arc<dyn Bus>,
    /// The sea and air detections and GNSS-interference cells, read through an access rule.
    pub sea_air: Arc<crate::sources::sea_air::SeaAirView>,
    /// The live side of TAK missions (Data Sync): subscribers' routing and change notifications.
    pub missions: Arc<crate::sources::tak::missions::Missions>,
    /// What each audience's whole days add up to (counts, series), kept while the days are unchanged.
    pub kept: crate::kept::Kept,
    geometry: OnceLock<Arc<Value>>,
    /// The latest early-warning picture of each audience (see [`Node::warning_for`]).
    warnings: Mutex<HashMap<String, Held>>,
    data_version: std::sync::atomic::AtomicU64,
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
    pub fn new(
        store: Arc<dyn Store>,
        policy: Arc<Policy>,
        agreement: Arc<Agreement>,
        sectors: Arc<Sectors>,
        bus: Arc<dyn Bus>,
    ) -> Self {
        Self {
            agreement,
            sectors,
            missions: Arc::new(crate::sources::tak::missions::Missions::new(store.clone(), bus.clone())),
            store,
            policy,
            anonymous: Viewer {
                name: "anonymous".into(),
                nation: None,
                role: truce_access::Role::Monitor,
                clearance: truce_core::Marking::NatoUnclassified,
                categories: Default::default(),
            },
            bus,
            sea_air: Arc::default(),
            kept: crate::kept::Kept::default(),
            geometry: OnceLock::new(),
            warnings: Mutex::new(HashMap::new()),
            data_version: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Sets who the anonymous viewer is (`[tak] anonymous_nation`, `anonymous_clearance`).
    ///
    /// # Errors
    /// When the nation is not one the label policy knows.
    pub fn set_anonymous(
        &mut self,
        nation: Option<String>,
        clearance: truce_core::Marking,
    ) -> Result<(), crate::NodeError> {
        if let Some(n) = &nation
            && !self.policy.nations.contains(n)
        {
            return Err(crate::NodeError::Invalid(format!(
                "tak.anonymous_nation: {n:?} is not a nation of the {} label policy",
                self.policy.id
            )));
        }
        self.anonymous.nation = nation;
        self.anonymous.clearance = clearance;
        Ok(())
    }

    /// The label of what a client without an identity sends (plain TCP and UDP TAK): NATO
    /// UNCLASSIFIED, released to everyone (the policy's public code), so the anonymous viewer sees
    /// its own picture.
    pub fn anonymous_label(&self) -> truce_core::Label {
        truce_core::Label {
            marking: truce_core::Marking::NatoUnclassified,
            releasable_to: vec![self.policy.public.clone()],
            categories: Vec::new(),
        }
    }

    /// The party of a TAK client: the user its certificate was issued for (`truce certs issue
    /// --user`), when that user exists and is enabled — it receives what the user may see and what it
    /// sends is NATO UNCLASSIFIED released to the policy's default release and the user's nation —
    /// else the anonymous viewer, sending public data ([`Node::anonymous_label`]).
    pub fn tak_party(&self, user: Option<&str>) -> truce_tak::Party {
        let found = user.and_then(|name| match self.store.user(name) {
            Ok(Some(u)) if !u.disabled => Some(u),
            Ok(_) => None,
            Err(e) => {
                tracing::error!("TAK client of user {name}: the store failed: {e}");
                None
            }
        });
        let Some(u) = found else {
            return truce_tak::Party {
                access: self.access(&self.anonymous),
                label: self.anonymous_label(),
                user: None,
            };
        };
        truce_tak::Party { access: self.access(&u.viewer()), label: self.device_label(&u), user: Some(u.name.clone()) }
    }

    /// The label of what a device of `user` sends and writes: NATO UNCLASSIFIED, released to the
    /// policy's default release and the user's nation.
    pub fn device_label(&self, user: &truce_store::User) -> truce_core::Label {
        let mut release: Vec<String> = self.policy.default_release.clone();
        if !release.contains(&user.nation) {
            release.push(user.nation.clone());
        }
        release.sort();
        truce_core::Label {
            marking: truce_core::Marking::NatoUnclassified,
            releasable_to: release,
            categories: Vec::new(),
        }
    }

    /// The viewer compiled against the node's policy.
    pub fn access(&self, viewer: &Viewer) -> Access {
        Access::new(&self.policy, viewer)
    }

    /// The store as `access` reads it: every query, count and everything derived from them (incidents,
    /// statistics, warnings, reports) sees only what the viewer may.
    pub fn view(&self, access: &Access) -> Arc<dyn Store> {
        self.store.scoped(access.clone())
    }

    /// The early-warning picture at `at` as `access` may know it: assessed from the viewer's own view
    /// of the store, and kept for its audience ([`Access::audience`]) while the minute and the stored
    /// observations stay the same (so a page refresh does not reassess, and a report just stored
    /// counts at once). The watch task hands in what it assesses ([`Node::seed_warning`]).
    ///
    /// # Errors
    /// When the store fails.
    pub fn warning_for(&self, access: &Access, at: time::OffsetDateTime) -> Result<Assessment, StoreError> {
        let minute = at.unix_timestamp().div_euclid(60);
        let version = self.data_version();
        if let Some(held) = self.warnings.lock().unwrap_or_else(PoisonError::into_inner).get(access.audience())
            && held.minute == minute
            && held.version == version
        {
            return Ok(held.picture.clone());
        }
        let view = self.view(access);
        let mut watch = truce_watch::Watch::new(&self.agreement, &self.sectors, truce_watch::Config::default());
        let (picture, _) = crate::watch::assess_kept(
            &self.kept,
            &mut watch,
            &*view,
            &self.policy,
            &self.sectors,
            access.audience(),
            at,
        )?;
        self.seed_warning(access.audience(), version, picture.clone());
        Ok(picture)
    }

    /// Keeps `picture`, assessed for `audience` from the store as it was at [`Node::data_version`]
    /// `version`, for [`Node::warning_for`] (pictures of other minutes are dropped).
    pub fn seed_warning(&self, audience: &str, version: u64, picture: Assessment) {
        let minute = picture.at.unix_timestamp().div_euclid(60);
        let mut held = self.warnings.lock().unwrap_or_else(PoisonError::into_inner);
        held.retain(|_, h| h.minute >= minute);
        held.insert(audience.to_owned(), Held { minute, version, picture });
    }

    /// A number that changes whenever this node stores new observations.
    pub fn data_version(&self) -> u64 {
        self.data_version.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Follows what other nodes of a cluster store: every observation stored or withdrawn there (an
    /// event on the bus from another node) changes [`Node::data_version`] as this node's own writes do,
    /// so the warning pictures [`Node::warning_for`] keeps are assessed again at the next ask instead
    /// of at the next minute. Subscribes before it returns; the task runs until the bus closes. (A
    /// node alone has no such events: the task then only waits.)
    pub fn follow_other_nodes(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let mut events = self.bus.subscribe(Access::all());
        let node = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                let changed = match events.recv().await {
                    crate::Delivery::Event(e) => {
                        e.event.origin.is_some()
                            && matches!(e.event.kind, crate::EventKind::Observation(_) | crate::EventKind::Withdrawn(_))
                    }
                    // What was missed may have been such an event.
                    crate::Delivery::Lagged(_) => true,
                    crate::Delivery::Closed => return,
                };
                match node.upgrade() {
                    Some(n) if changed => n.bump_data_version(),
                    Some(_) => {}
                    None => return,
                }
            }
        })
    }

    /// Notes that new observations were stored (see [`Node::data_version`]).
    pub(crate) fn bump_data_version(&self) {
        self.data_version.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    }

    /// The audiences the watch assesses for, each once ([`Access::audience`]): everything (the
    /// operator's), the anonymous TAK viewer's, and every enabled user's. Two users of one nation,
    /// clearance and categories share one.
    ///
    /// # Errors
    /// When the store fails.
    pub fn audiences(&self) -> Result<Vec<Access>, StoreError> {
        let mut out = vec![Access::all(), self.access(&self.anonymous)];
        for user in self.store.list_users()? {
            if !user.disabled {
                out.push(self.access(&user.viewer()));
            }
        }
        let mut seen = std::collections::HashSet::new();
        out.retain(|a| seen.insert(a.audience().to_owned()));
        Ok(out)
    }

    /// The agreement's lines and zones as GeoJSON (bands traced as polygons for display, on first
    /// use: a server calls it once at start so that no request waits for it).
    pub fn geometry(&self) -> Arc<Value> {
        self.geometry.get_or_init(|| Arc::new(crate::geometry::agreement_geometry(&self.agreement))).clone()
    }
}
