//! Early warning over a store: the observations of the last weeks, correlated into incidents and
//! assessed by [`truce_watch::Watch`]. Shared by `truce warn status` and the server's watch task.

use time::{Duration, OffsetDateTime};
use truce_engine::Agreement;
use truce_store::{Query, SqliteStore, Store, StoredObservation};
use truce_watch::{Assessment, Rule, Sectors, Watch};

/// How far back an assessment reads: the longest baseline (28 days), yesterday, today and the
/// surge rule's five weeks.
pub const LOOKBACK_DAYS: i64 = 36;

/// Every stored observation with a time in `[since, until)`, oldest first.
pub fn load(
    store: &SqliteStore,
    since: OffsetDateTime,
    until: OffsetDateTime,
) -> Result<Vec<StoredObservation>, truce_store::StoreError> {
    let mut out = Vec::new();
    let mut q = Query { since: Some(since), until: Some(until), limit: truce_store::MAX_PAGE, ..Query::default() };
    loop {
        let page = store.query(&q)?;
        out.extend(page.items);
        match page.next {
            Some(c) => q.cursor = Some(c),
            None => return Ok(out),
        }
    }
}

/// When the store's data begins (the earliest observation), if it holds any.
pub fn history_start(store: &SqliteStore) -> Result<Option<OffsetDateTime>, truce_store::StoreError> {
    let first = store.query(&Query { limit: 1, ..Query::default() })?;
    Ok(first.items.first().map(|s| s.observation.time))
}

/// The picture at `at` from the store.
pub fn assess_store(
    store: &SqliteStore,
    agreement: &Agreement,
    sectors: &Sectors,
    at: OffsetDateTime,
) -> anyhow::Result<Assessment> {
    let mut watch = Watch::new(agreement, sectors, truce_watch::Config::default());
    let observations = load(store, at - Duration::days(LOOKBACK_DAYS), at)?;
    let incidents = truce_watch::incidents_in_sectors(&observations, sectors, &Rule::default());
    let start = history_start(store)?.unwrap_or(at);
    Ok(watch.assess(&incidents, start, at))
}
