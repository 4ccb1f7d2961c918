//! The watch task: every interval, the early-warning picture now. When a sector's or the line's
//! level changes, it stores an alert (durably) and only then publishes it on the bus, so a client
//! never sees an alert the store does not have. The latest picture is kept on the node.
//!
//! The assessment reads weeks of observations and correlates them: it runs on the blocking pool. The
//! detector engine (with its cached CUSUM boundaries) and the last known levels are kept between
//! runs; the levels start from the stored alerts, so a restart does not alert again on what was
//! already said.

use std::collections::HashMap;
use std::sync::Arc;

use time::OffsetDateTime;
use truce_watch::{Assessment, Level, Watch};

use crate::{Event, Node, NodeError};

/// What the watch keeps between two assessments.
#[derive(Default)]
pub struct WatchState {
    engine: Option<Watch>,
    levels: HashMap<String, Level>,
}

impl WatchState {
    /// The state a node starts from: the last level of every scope, from the stored alerts.
    ///
    /// # Errors
    /// When the store fails.
    pub fn resume(node: &Node) -> Result<Self, NodeError> {
        Ok(Self { engine: None, levels: super::stored_levels(&*node.store)? })
    }
}

/// Assesses the picture at `at`, stores the level changes as alerts and publishes them, and keeps the
/// picture on the node. Blocking.
///
/// # Errors
/// When the store fails; nothing is published then.
pub fn assess(node: &Node, state: &mut WatchState, at: OffsetDateTime) -> Result<Assessment, NodeError> {
    let engine =
        state.engine.get_or_insert_with(|| Watch::new(&node.agreement, &node.sectors, truce_watch::Config::default()));
    let (picture, label) = super::assess_labelled(engine, &*node.store, &node.policy, &node.sectors, at)?;
    let alerts = super::record_changes(&*node.store, &picture, &label, &mut state.levels)?;
    for a in alerts {
        metrics::counter!("truce_alerts_total", "level" => a.level.id()).increment(1);
        node.bus.publish(Event::alert(Arc::new(a), label.clone()));
    }
    node.set_warning(Some(picture.clone()));
    Ok(picture)
}

/// Every `interval`, the picture now (see the module documentation). Runs until aborted.
pub async fn run(node: Arc<Node>, interval: std::time::Duration) {
    let mut state = resume(&node).await;
    let mut ticker = tokio::time::interval(interval);
    loop {
        ticker.tick().await;
        let n = node.clone();
        let done = tokio::task::spawn_blocking(move || {
            let r = assess(&n, &mut state, OffsetDateTime::now_utc());
            (state, r)
        })
        .await;
        state = match done {
            Ok((s, r)) => {
                if let Err(e) = r {
                    tracing::error!("watch: the assessment failed: {e}");
                }
                s
            }
            Err(e) => {
                tracing::error!("watch: the assessment task failed ({e}); starting again from the stored levels");
                resume(&node).await
            }
        };
    }
}

/// [`WatchState::resume`] on the blocking pool; a fresh state (and an error in the log) if it fails.
async fn resume(node: &Arc<Node>) -> WatchState {
    let n = node.clone();
    match tokio::task::spawn_blocking(move || WatchState::resume(&n)).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            tracing::error!("watch: cannot read the stored alert levels: {e}");
            WatchState::default()
        }
        Err(e) => {
            tracing::error!("watch: {e}");
            WatchState::default()
        }
    }
}
