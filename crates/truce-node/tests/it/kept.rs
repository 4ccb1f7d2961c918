//! Counts and series summed from kept days (`truce_node::kept`) are exactly what reading the store
//! whole gives, for each viewer, after every kind of write.

use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use truce_access::{Access, Role, Viewer};
use truce_core::{Marking, StoredObservation};
use truce_store::{EncodedRow, Query, Revise, Store};
use truce_watch::series::{Bucket, series};

use crate::{node, observation};

const START: OffsetDateTime = datetime!(2026-11-20 00:00 UTC);

/// Observations over six days, some every hour around midnight (so incidents straddle days), half
/// of them NATO SECRET, in and out of the security zone.
fn batch(node: &truce_node::Node, from: usize, n: usize) -> Vec<StoredObservation> {
    (from..from + n)
        .map(|k| {
            let cats = ["explosion_impact", "bursts_and_shots", "weapon_sighting", "explosion_undetermined"];
            let cat = cats[k % cats.len()];
            let mut o = observation(
                &format!("k{k:04}"),
                47.0 + (k % 13) as f64 * 0.12,
                35.5 + (k % 7) as f64 * 0.15,
                cat,
                (cat == "weapon_sighting").then_some("tanks"),
            );
            o.time = START + Duration::minutes((k as i64 * 97) % (6 * 24 * 60));
            o.observer.team = Some(format!("MT-{}", k % 3));
            if k % 2 == 0 {
                o.marking = Marking::NatoSecret;
            }
            node.prepare(o, START, &Access::all()).unwrap()
        })
        .collect()
}

fn viewer(nation: &str, clearance: Marking) -> Access {
    Access::new(
        &truce_access::Policy::shipped(),
        &Viewer {
            name: nation.to_lowercase(),
            nation: Some(nation.into()),
            role: Role::Analyst,
            clearance,
            categories: Default::default(),
        },
    )
}

/// For each viewer: the kept stats and series equal the store's own, over whole and partial days.
fn check(node: &truce_node::Node, what: &str) {
    for access in [Access::all(), viewer("GBR", Marking::NatoRestricted), viewer("RUS", Marking::NatoUnclassified)] {
        let store = node.view(&access);
        let audience = access.audience();
        for (since, until) in [
            (None, None),
            (Some(START + Duration::days(1)), Some(START + Duration::days(3))),
            (Some(START + Duration::hours(30)), Some(START + Duration::hours(75))),
        ] {
            let q = Query { since, until, ..Query::default() };
            assert_eq!(
                node.kept.stats(&*store, audience, &q).unwrap(),
                store.stats(&q).unwrap(),
                "{what}: stats of {audience} over {since:?}..{until:?}"
            );
        }
        for (since, bucket, buckets) in [
            (START, Bucket::Day, 7),
            (START + Duration::hours(20), Bucket::Hour, 40),
            (START + Duration::days(2), Bucket::Day, 1),
        ] {
            let until = since + bucket.length() * buckets as u32;
            let incidents = truce_node::watch::incidents(&*store, &node.policy, &node.sectors, since, until).unwrap();
            assert_eq!(
                node.kept
                    .series(&*store, &node.policy, &node.sectors, audience, since, until, bucket, buckets)
                    .unwrap(),
                series(&incidents, &node.sectors, since, bucket, buckets),
                "{what}: series of {audience} from {since}"
            );
        }
    }
}

#[test]
fn kept_counts_and_series_equal_a_fresh_reading_after_every_write() {
    let dir = tempfile::tempdir().unwrap();
    let node = node(dir.path());
    check(&node, "an empty store");
    node.commit("test", batch(&node, 0, 300)).unwrap();
    check(&node, "stored");
    let (hits_before, _) = node.kept.hits_and_misses();
    check(&node, "again");
    assert!(node.kept.hits_and_misses().0 > hits_before, "the second reading used kept days");
    // A late report into a past day, an amendment that moves one to another day, a withdrawal.
    node.commit("test", batch(&node, 300, 40)).unwrap();
    check(&node, "late reports");
    let store: &dyn Store = &*node.store;
    let mut moved = store.get("k0007").unwrap().unwrap();
    moved.observation.time = START + Duration::days(4) + Duration::minutes(5);
    let row = EncodedRow::new(&moved).unwrap();
    let at = datetime!(2026-11-28 10:00 UTC);
    node.revise(store, &Revise { id: "k0007", expected: 1, by: "t", reason: "date", at, amended: Some(&row) }).unwrap();
    check(&node, "an amendment that moved a day");
    node.revise(store, &Revise { id: "k0010", expected: 1, by: "t", reason: "gone", at, amended: None }).unwrap();
    check(&node, "a withdrawal");
}
