//! What a reader derived from whole UTC days of observations, kept while those days are unchanged.
//!
//! # Design
//!
//! Counts, incidents and report tallies are functions of the observations of a few UTC days. The
//! store keeps a change counter per day ([`ObservationStore::day_changes`], maintained by the database's
//! own triggers on every insert, amendment, withdrawal and reclassification). A [`DayMemo`] entry is a
//! value together with the counters of every day it was computed from (its *stamp*); it is served
//! only while those counters are what they were, so a kept value is always the value a fresh
//! computation would give. A day with no observation has no counter, and the first one it receives
//! adds one: a stamp that lacked the day no longer matches.
//!
//! The key says whose view the value is: callers put the reader's audience
//! (`truce_access::Access::audience`) in it, so one reader never gets what was computed for another.
//! The memo holds at most `capacity` entries and forgets the least recently used beyond that, so its
//! memory is bounded by what the callers keep per day, not by the size of the store. A memo of values
//! whose size follows the day's reports (a day's series points or whole incidents) is also given a
//! budget in bytes ([`DayMemo::with_budget`]): a store with ten times the reports a day then keeps a
//! tenth of the days, not ten times the memory.
//!
//! [`ObservationStore::day_changes`]: crate::ObservationStore::day_changes

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};

use serde::Serialize;
use serde::de::DeserializeOwned;
use time::OffsetDateTime;

use crate::{KeptDay, ObservationStore, StoreError};

/// The UTC day of `t`: days since the Unix epoch, rounded down (the store's day numbers).
pub fn day_of(t: OffsetDateTime) -> i64 {
    t.unix_timestamp().div_euclid(86_400)
}

/// The instant day `day` begins.
pub fn day_start(day: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(day * 86_400).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// The counters of the days in `[from, until)` out of `changes` (as [`ObservationStore::day_changes`]
/// returns them: in day order).
///
/// [`ObservationStore::day_changes`]: crate::ObservationStore::day_changes
pub fn stamp(changes: &[(i64, i64)], from: i64, until: i64) -> Vec<(i64, i64)> {
    let lo = changes.partition_point(|c| c.0 < from);
    let hi = changes.partition_point(|c| c.0 < until);
    changes[lo..hi.max(lo)].to_vec()
}

/// The SHA-256 of `text`, in hex: what a value kept in the store
/// ([`crate::ObservationStore::keep_days`]) puts in its stamp for everything it depends on besides its
/// days' observations (the version of truce, the agreement, the sectors, the label policy), so that a
/// value made under other ones is made again.
pub fn digest(text: &str) -> String {
    crate::blobs::hex(ring::digest::digest(&ring::digest::SHA256, text.as_bytes()).as_ref())
}

/// The counters of a stamp as text (`day:changes,…`), for a stamp kept in the store.
pub fn stamp_text(days: &[(i64, i64)]) -> String {
    days.iter().map(|(day, changes)| format!("{day}:{changes}")).collect::<Vec<_>>().join(",")
}

/// What was made of whole days while answering, to be kept in the store under one name once the answer
/// is done ([`Keeping::keep`]), so that the next process reads it back ([`Keeping::kept_or_make`]).
#[derive(Debug)]
pub struct Keeping {
    name: String,
    made: Vec<KeptDay>,
    /// Yesterday (UTC day number) when this keeping began: it and later days are not kept.
    recent: i64,
}

impl Keeping {
    /// Nothing made yet, under `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self { name: name.into(), made: Vec::new(), recent: day_of(OffsetDateTime::now_utc()) - 1 }
    }

    /// The value kept in `store` (for the handle's audience) under this name for `day`, when it was
    /// kept with exactly `stamp` and decodes; otherwise `make`'s, which is added to what this keeping
    /// will keep. A kept value that does not decode (another version wrote it, or it was damaged) is
    /// made again and replaced. Yesterday and today (UTC) are neither read nor kept: they change with
    /// every report that arrives, and keeping them would make readers wait on the store's writer.
    ///
    /// # Errors
    /// When reading the store fails, or `make`'s.
    pub fn kept_or_make<V, E>(
        &mut self,
        store: &dyn ObservationStore,
        day: i64,
        stamp: String,
        make: impl FnOnce() -> Result<V, E>,
    ) -> Result<V, E>
    where
        V: Serialize + DeserializeOwned,
        E: From<StoreError>,
    {
        if day >= self.recent {
            return make();
        }
        if let Some(found) = store.kept_day(&self.name, day)?
            && found.stamp == stamp
            && let Ok(value) = serde_json::from_slice(&found.value)
        {
            return Ok(value);
        }
        let value = make()?;
        if let Ok(bytes) = serde_json::to_vec(&value) {
            self.made.push(KeptDay { day, stamp, value: bytes });
        }
        Ok(value)
    }

    /// Keeps what was made in `store`, in one transaction. A store that refuses (read-only, full) is
    /// said on the log and costs the next reader the work, never the answer.
    pub fn keep(self, store: &dyn ObservationStore) {
        if let Err(e) = store.keep_days(&self.name, &self.made) {
            tracing::warn!("could not keep {} values of {} in the store: {e}", self.made.len(), self.name);
        }
    }
}

/// Values keyed by `K`, each kept with the day counters it was computed from (see the module
/// documentation).
pub struct DayMemo<K, V> {
    inner: Mutex<Inner<K, V>>,
    capacity: usize,
    /// Most bytes the values may weigh together, and how a value is weighed.
    budget: Option<(usize, Weigh<V>)>,
}

/// How a [`DayMemo`] with a budget weighs a value, in bytes.
type Weigh<V> = fn(&V) -> usize;

struct Inner<K, V> {
    entries: HashMap<K, Entry<V>>,
    /// The weights of the entries together.
    weight: usize,
    clock: u64,
    hits: u64,
    misses: u64,
}

impl<K, V> Inner<K, V> {
    fn reweigh(&mut self, weigh: Weigh<V>) {
        for e in self.entries.values_mut() {
            e.weight = weigh(&e.value);
        }
        self.weight = self.entries.values().map(|e| e.weight).sum();
    }
}

struct Entry<V> {
    stamp: Vec<(i64, i64)>,
    value: Arc<V>,
    weight: usize,
    used: u64,
}

impl<K, V> std::fmt::Debug for DayMemo<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("DayMemo")
            .field("entries", &inner.entries.len())
            .field("capacity", &self.capacity)
            .field("weight", &inner.weight)
            .field("budget", &self.budget.map(|(bytes, _)| bytes))
            .field("hits", &inner.hits)
            .field("misses", &inner.misses)
            .finish()
    }
}

impl<K: Eq + Hash + Clone, V> DayMemo<K, V> {
    /// A memo of at most `capacity` entries (at least one).
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Mutex::new(Inner { entries: HashMap::new(), weight: 0, clock: 0, hits: 0, misses: 0 }),
            capacity: capacity.max(1),
            budget: None,
        }
    }

    /// A memo of at most `capacity` entries whose values, as `weigh` weighs them, weigh at most `bytes`
    /// together; the value just computed is kept even when it alone weighs more. Values may share
    /// parts (an `Arc`) and `weigh` may count a share of them: every value is weighed again when the
    /// budget is passed, before and after forgetting any.
    pub fn with_budget(capacity: usize, bytes: usize, weigh: Weigh<V>) -> Self {
        Self { budget: Some((bytes, weigh)), ..Self::new(capacity) }
    }

    /// How many entries are kept and what they weigh together (0 without a budget).
    pub fn size(&self) -> (usize, usize) {
        let inner = self.lock();
        (inner.entries.len(), inner.weight)
    }

    /// The value kept for `key` when it was computed from exactly the counters `stamp`; otherwise
    /// `compute`'s, which is kept (an error is returned and nothing kept). Two callers that miss at
    /// once both compute; the later one's value stays.
    ///
    /// # Errors
    /// `compute`'s.
    pub fn get_or_try<E>(
        &self,
        key: &K,
        stamp: &[(i64, i64)],
        compute: impl FnOnce() -> Result<V, E>,
    ) -> Result<Arc<V>, E> {
        {
            let mut inner = self.lock();
            inner.clock += 1;
            let now = inner.clock;
            if let Some(e) = inner.entries.get_mut(key).filter(|e| e.stamp == stamp) {
                e.used = now;
                let value = e.value.clone();
                inner.hits += 1;
                return Ok(value);
            }
            inner.misses += 1;
        }
        let value = Arc::new(compute()?);
        let weight = self.budget.map_or(0, |(_, weigh)| weigh(&value));
        let mut inner = self.lock();
        inner.clock += 1;
        let used = inner.clock;
        let entry = Entry { stamp: stamp.to_vec(), value: value.clone(), weight, used };
        if let Some(old) = inner.entries.insert(key.clone(), entry) {
            inner.weight -= old.weight;
        }
        inner.weight += weight;
        if inner.entries.len() > self.capacity {
            // Forget the least recently used quarter at once, so a full memo does not sort on every miss.
            let mut ages: Vec<u64> = inner.entries.values().map(|e| e.used).collect();
            ages.sort_unstable();
            let cut = ages[(self.capacity / 4).min(ages.len() - 1)];
            inner.entries.retain(|_, e| e.used > cut);
            inner.weight = inner.entries.values().map(|e| e.weight).sum();
        }
        if let Some((bytes, weigh)) = self.budget
            && inner.weight > bytes
        {
            // Values that share parts weigh their share, which changes as others are kept and
            // forgotten: weighed again before any is forgotten, and after.
            inner.reweigh(weigh);
            while inner.weight > bytes && inner.entries.len() > 1 {
                // Forget the least recently used down to three quarters of the budget (the entry just
                // kept stays), again so that a full memo does not sort on every miss.
                let mut ages: Vec<(u64, usize)> = inner.entries.values().map(|e| (e.used, e.weight)).collect();
                ages.sort_unstable();
                let mut over = inner.weight.saturating_sub(bytes / 4 * 3);
                let mut cut = 0;
                for (age, w) in ages {
                    if over == 0 || age == used {
                        break;
                    }
                    over = over.saturating_sub(w);
                    cut = age;
                }
                inner.entries.retain(|_, e| e.used > cut);
                inner.reweigh(weigh);
            }
        }
        Ok(value)
    }

    /// The value kept for `key` when it was computed from exactly the counters `stamp`, without
    /// computing one when it was not (nor counting the lookup).
    pub fn peek(&self, key: &K, stamp: &[(i64, i64)]) -> Option<Arc<V>> {
        self.lock().entries.get(key).filter(|e| e.stamp == stamp).map(|e| e.value.clone())
    }

    /// The values kept under the keys `pick` accepts, whatever their stamps (not counted as lookups,
    /// nor as uses).
    pub fn kept_where(&self, mut pick: impl FnMut(&K) -> bool) -> Vec<Arc<V>> {
        self.lock().entries.iter().filter(|(k, _)| pick(k)).map(|(_, e)| e.value.clone()).collect()
    }

    /// How many lookups found a kept value and how many computed one.
    pub fn hits_and_misses(&self) -> (u64, u64) {
        let inner = self.lock();
        (inner.hits, inner.misses)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner<K, V>> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_kept_while_its_days_are_unchanged_and_recomputed_after() {
        let memo: DayMemo<(String, i64), u32> = DayMemo::new(8);
        let key = ("*".to_owned(), 10);
        let mut computed = 0;
        let mut get = |stamp: &[(i64, i64)]| {
            *memo
                .get_or_try(&key, stamp, || {
                    computed += 1;
                    Ok::<_, ()>(computed)
                })
                .expect("computes")
        };
        assert_eq!(get(&[(10, 1)]), 1);
        assert_eq!(get(&[(10, 1)]), 1, "kept");
        assert_eq!(get(&[(10, 2)]), 2, "the day changed");
        assert_eq!(get(&[(9, 1), (10, 2)]), 3, "a day that was empty got an observation");
        assert_eq!(get(&[(9, 1), (10, 2)]), 3);
    }

    #[test]
    fn a_memo_with_a_budget_forgets_the_least_recently_used_beyond_it() {
        let memo: DayMemo<i64, Vec<u8>> = DayMemo::with_budget(100, 1_000, Vec::len);
        let get =
            |day: i64, len: usize| memo.get_or_try(&day, &[(day, 1)], || Ok::<_, ()>(vec![0; len])).expect("made");
        for day in 0..4 {
            get(day, 200);
        }
        assert_eq!(memo.size(), (4, 800));
        get(0, 200); // used again: now the most recent
        get(4, 200);
        assert_eq!(memo.size(), (5, 1_000), "at the budget, not over it");
        get(5, 200);
        // Over the budget: forgotten from the least recently used (1, 2, 3) down to 750 bytes.
        assert_eq!(memo.size(), (3, 600));
        let (hits, misses) = memo.hits_and_misses();
        get(0, 200);
        get(4, 200);
        get(5, 200);
        assert_eq!(memo.hits_and_misses(), (hits + 3, misses), "the three most recent are kept");
        get(6, 5_000);
        assert_eq!(memo.size(), (1, 5_000), "one value over the budget is kept alone");
    }

    #[test]
    fn values_that_share_a_part_are_weighed_by_their_share_before_any_is_forgotten() {
        // Each value holds the same 900 bytes and weighs its share of them.
        let part = Arc::new(vec![0u8; 900]);
        let memo: DayMemo<i64, Arc<Vec<u8>>> = DayMemo::with_budget(100, 1_000, |v| v.len() / Arc::strong_count(v));
        let get = |day: i64| memo.get_or_try(&day, &[(day, 1)], || Ok::<_, ()>(Arc::clone(&part))).expect("made");
        for day in 0..3 {
            get(day);
        }
        // Weighed when kept, with the test's own handle: 900/2 + 900/3 + 900/4.
        assert_eq!(memo.size(), (3, 975));
        // A fourth passes the budget (975 + 900/5): all are weighed again, a fifth each, and none is
        // forgotten: together they hold 900 bytes.
        get(3);
        assert_eq!(memo.size(), (4, 720));
        let (hits, misses) = memo.hits_and_misses();
        for day in 0..4 {
            get(day);
        }
        assert_eq!(memo.hits_and_misses(), (hits + 4, misses), "all four kept");
        // A value of its own over the budget: the others are forgotten down to it alone.
        memo.get_or_try(&4, &[(4, 1)], || Ok::<_, ()>(Arc::new(vec![0; 1_000]))).expect("made");
        assert_eq!(memo.size(), (1, 1_000));
    }

    #[test]
    fn keeping_reads_back_a_matching_stamp_and_never_keeps_the_last_two_days() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = crate::SqliteStore::open(dir.path()).expect("a store");
        let today = day_of(OffsetDateTime::now_utc());
        let mut made = 0;
        let mut run = |day: i64, stamp: &str| {
            let mut keeping = Keeping::new("test");
            let v = keeping
                .kept_or_make(&store, day, stamp.to_owned(), || {
                    made += 1;
                    Ok::<_, StoreError>(made)
                })
                .expect("a value");
            keeping.keep(&store);
            v
        };
        assert_eq!(run(today - 2, "a"), 1, "made");
        assert_eq!(run(today - 2, "a"), 1, "read back");
        assert_eq!(run(today - 2, "b"), 2, "another stamp: made again");
        assert_eq!(run(today - 2, "b"), 2);
        assert_eq!(run(today - 1, "a"), 3, "yesterday is made");
        assert_eq!(run(today - 1, "a"), 4, "and made again: never kept");
        assert_eq!(run(today, "a"), 5);
        assert_eq!(store.kept_day("test", today - 1).expect("a read"), None);
        assert_eq!(store.kept_day("test", today).expect("a read"), None);
        store
            .keep_days("test", &[KeptDay { day: today - 3, stamp: "a".into(), value: b"not a number".to_vec() }])
            .unwrap();
        assert_eq!(run(today - 3, "a"), 6, "a value that does not decode is made again");
        assert_eq!(store.kept_day("test", today - 3).expect("a read").map(|k| k.value), Some(b"6".to_vec()));
    }

    #[test]
    fn an_error_keeps_nothing_and_readers_do_not_share_values() {
        let memo: DayMemo<(String, i64), u32> = DayMemo::new(8);
        assert_eq!(memo.get_or_try(&("a".into(), 1), &[], || Err("down")).err(), Some("down"));
        assert_eq!(*memo.get_or_try(&("a".into(), 1), &[], || Ok::<_, ()>(7)).expect("computes"), 7);
        assert_eq!(*memo.get_or_try(&("b".into(), 1), &[], || Ok::<_, ()>(8)).expect("computes"), 8);
        assert_eq!(memo.hits_and_misses(), (0, 3));
    }

    #[test]
    fn the_memo_stays_within_its_capacity_and_keeps_the_recently_used() {
        let memo: DayMemo<i64, i64> = DayMemo::new(16);
        for k in 0..100 {
            memo.get_or_try(&0, &[], || Ok::<_, ()>(0)).expect("computes");
            memo.get_or_try(&k, &[], || Ok::<_, ()>(k)).expect("computes");
        }
        assert!(memo.lock().entries.len() <= 16);
        let (hits, _) = memo.hits_and_misses();
        assert!(hits >= 98, "the value used on every round stayed: {hits} hits");
    }

    #[test]
    fn a_stamp_is_the_counters_of_its_days() {
        let changes = [(1, 5), (3, 1), (4, 9), (8, 2)];
        assert_eq!(stamp(&changes, 2, 5), [(3, 1), (4, 9)]);
        assert_eq!(stamp(&changes, 5, 8), []);
        assert_eq!(stamp(&changes, 0, 100), changes);
        assert_eq!(stamp(&changes, 9, 2), [], "an empty range");
        assert_eq!(day_of(day_start(-3)), -3);
        assert_eq!(day_of(day_start(20_000) - time::Duration::seconds(1)), 19_999);
    }
}
