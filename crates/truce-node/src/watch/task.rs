//! The watch task: every interval, the early-warning picture now, once per audience. A level is a
//! fact about what one class of viewer may see (`truce_access::Access::audience`: nation,
//! clearance, categories): a Polish representative's Pokrovsk may be elevated on what Poland may see
//! while the operator's is high on everything. So the task assesses each audience's own view of the
//! store ([`Node::audiences`]: everything, the anonymous TAK viewer, every enabled user's class) and
//! keeps each one's levels. When an audience's level of a sector or the line changes, it stores an
//! alert for that audience, labelled with the aggregate of what that view read (always visible to
//! the audience: each part was), durably, and only then publishes it on the bus for that audience
//! alone, so a client never sees an alert the store does not have, nor another audience's.
//!
//! The assessment runs over weeks of incidents, kept per audience and day by the node
//! ([`crate::kept`]): a round correlates again only the days whose observations changed. It runs on
//! the blocking pool. The
//! detector engine (with its cached CUSUM boundaries) and the last known levels are kept between runs
//! per audience; an audience's levels start from its stored alerts, so a restart does not alert again
//! on what was already said. The cost grows with the number of audiences, not of users.
//!
//! After each round the node gives back what the store's connections cached for the requests since
//! the previous round and for this one (`truce_store::Scope::release_memory`), so that what a server
//! holds at rest is what it keeps on purpose (the kept days' memos), not the pages its last requests
//! read.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use time::OffsetDateTime;
use truce_watch::{Assessment, Level, Watch};

use crate::{Event, Node, NodeError};

/// What the watch keeps between two assessments, per audience.
#[derive(Default)]
pub struct WatchState {
    audiences: HashMap<String, Kept>,
}

struct Kept {
    engine: Watch,
    levels: HashMap<String, Level>,
}

/// Assesses the picture at `at` for every audience: stores each audience's level changes as alerts,
/// hands its picture to the node ([`Node::seed_warning`]) and then publishes its alerts (so a client
/// that hears an alert reads a warning at least as new). Blocking. Returns the picture of everything.
///
/// # Errors
/// When the store fails; what was stored before the failure is published.
pub fn assess(node: &Node, state: &mut WatchState, at: OffsetDateTime) -> Result<Assessment, NodeError> {
    let mut assessed = HashSet::new();
    let mut everything = None;
    let version = node.data_version();
    for access in node.audiences()? {
        let key = access.audience().to_owned();
        let view = node.view(&access);
        let kept = match state.audiences.entry(key.clone()) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => e.insert(Kept {
                engine: Watch::new(&node.agreement, &node.sectors, truce_watch::Config::default()),
                levels: super::stored_levels(&*view)?,
            }),
        };
        let (picture, label) =
            super::assess_kept(&node.kept, &mut kept.engine, &*view, &node.policy, &node.sectors, &key, at)?;
        let alerts = super::record_changes(&*node.store, &picture, &label, &key, &mut kept.levels)?;
        node.seed_warning(&key, version, picture.clone());
        for a in alerts {
            metrics::counter!("truce_alerts_total", "level" => a.level.id()).increment(1);
            node.bus.publish(Event::alert(Arc::new(a), label.clone(), &key));
        }
        if access.is_all() {
            everything = Some(picture);
        }
        assessed.insert(key);
    }
    state.audiences.retain(|k, _| assessed.contains(k));
    everything.ok_or_else(|| NodeError::Invalid("the watch assessed no picture of everything".into()))
}

/// Every `interval`, the picture now (see the module documentation), while this node leads the
/// watch task (`Bus::leads`; always, alone). Runs until aborted.
pub async fn run(node: Arc<Node>, interval: std::time::Duration) {
    let mut state = WatchState::default();
    let mut ticker = tokio::time::interval(interval);
    let mut led = true;
    loop {
        ticker.tick().await;
        // In a cluster one node raises the alerts (`Bus::leads`). A node that leads again starts from
        // the stored levels: the others may have raised alerts meanwhile.
        let leads = node.bus.leads("watch");
        if !leads {
            metrics::counter!("truce_watch_rounds_total", "led" => "no").increment(1);
            if led {
                tracing::info!("watch: another node leads the watch task; this one raises no alerts");
            }
            led = false;
            continue;
        }
        if !led {
            state = WatchState::default();
            led = true;
        }
        let n = node.clone();
        let done = tokio::task::spawn_blocking(move || {
            let started = std::time::Instant::now();
            let r = assess(&n, &mut state, OffsetDateTime::now_utc());
            metrics::gauge!("truce_watch_round_seconds").set(started.elapsed().as_secs_f64());
            // The node's housekeeping: what the store's connections cached for the requests since the
            // last round, and for this one, is given back (`Scope::release_memory`).
            n.store.release_memory();
            (state, r)
        })
        .await;
        metrics::counter!("truce_watch_rounds_total", "led" => "yes").increment(1);
        // The next round an interval after this one ended: a round longer than the interval (the first,
        // which reads the whole look-back) is not followed at once by the rounds it overran.
        ticker.reset();
        state = match done {
            Ok((s, r)) => {
                if let Err(e) = r {
                    tracing::error!("watch: the assessment failed: {e}");
                }
                s
            }
            Err(e) => {
                tracing::error!("watch: the assessment task failed ({e}); starting again from the stored levels");
                WatchState::default()
            }
        };
    }
}
