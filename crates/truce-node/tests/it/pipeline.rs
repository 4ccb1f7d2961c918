//! validate -> classify -> store -> publish.

use std::sync::Arc;

use time::macros::datetime;
use truce_node::{Delivery, Event, EventKind};
use truce_store::StoreError;

use crate::{node, observation};

/// Everything the subscription holds now.
fn drain(sub: &mut truce_node::Subscription) -> Vec<Arc<Event>> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let mut out = Vec::new();
    rt.block_on(async {
        while let Ok(d) = tokio::time::timeout(std::time::Duration::from_millis(20), sub.recv()).await {
            match d {
                Delivery::Event(e) => out.push(e.event),
                other => panic!("{other:?}"),
            }
        }
    });
    out
}

#[test]
fn prepare_validates_against_the_agreement_and_classifies() {
    let dir = tempfile::tempdir().unwrap();
    let n = node(dir.path());
    let at = datetime!(2026-11-25 02:00 UTC);
    let s = n
        .prepare(observation("a", 46.6354, 32.6169, "explosion_impact", None), at, &truce_access::Access::all())
        .unwrap();
    assert_eq!(s.received_at, at);
    assert_eq!(s.classification, n.agreement.classify_record(&s.observation));
    assert!(s.classification.violations.iter().any(|v| v.code == "cfv_in_security_zone"), "{:?}", s.classification);
    let err = n
        .prepare(observation("b", 48.0, 37.8, "weapon_sighting", Some("trebuchet")), at, &truce_access::Access::all())
        .unwrap_err();
    assert_eq!(err.field, "weapon_class");
    assert!(err.message.contains("trebuchet"), "{err}");
}

#[test]
fn commit_stores_then_publishes_each_new_observation_once_with_its_label() {
    let dir = tempfile::tempdir().unwrap();
    let n = node(dir.path());
    let mut sub = n.bus.subscribe(truce_access::Access::all());
    let at = datetime!(2026-11-25 02:00 UTC);
    let a =
        n.prepare(observation("a", 48.73, 37.55, "explosion_impact", None), at, &truce_access::Access::all()).unwrap();
    let b = n.prepare(observation("b", 48.01, 37.80, "muzzle_flash", None), at, &truce_access::Access::all()).unwrap();
    let r = n.commit("test", vec![a.clone(), b.clone(), a.clone()]).unwrap();
    assert_eq!((r.inserted, r.duplicates), (vec!["a".to_owned(), "b".to_owned()], vec!["a".to_owned()]));
    let again = n.commit("test", vec![a.clone()]).unwrap();
    assert_eq!(again.duplicates, ["a"]);
    let events = drain(&mut sub);
    let ids: Vec<&str> = events
        .iter()
        .map(|e| match &e.kind {
            EventKind::Observation(o) => o.observation.id.as_str(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(ids, ["a", "b"], "each new observation once, in order; duplicates never");
    assert_eq!(events[0].label.marking, truce_core::Marking::NatoRestricted);
    assert_eq!(events[0].label.releasable_to, ["FRA", "GBR"], "checked against the policy and sorted");
    let wire: serde_json::Value = serde_json::from_str(&events[0].to_json()).unwrap();
    assert_eq!(wire["type"], "observation");
    assert_eq!(wire["observation"]["id"], "a");
    // The API's form, with the early-warning sector it counts in.
    let mut api = truce_node::wire::observation(&a);
    api["sector"] = serde_json::json!("siversk-lyman");
    assert_eq!(wire["observation"], api, "the API's form and the sector");
    assert_eq!(n.store.get("b").unwrap(), Some(b), "what was published is what was stored");
}

#[test]
fn a_batch_the_store_refuses_is_neither_stored_nor_published() {
    let dir = tempfile::tempdir().unwrap();
    let n = node(dir.path());
    let mut sub = n.bus.subscribe(truce_access::Access::all());
    let at = datetime!(2026-11-25 02:00 UTC);
    let good = n
        .prepare(observation("good", 48.73, 37.55, "explosion_impact", None), at, &truce_access::Access::all())
        .unwrap();
    let mut bad = n
        .prepare(observation("bad", 48.73, 37.55, "explosion_impact", None), at, &truce_access::Access::all())
        .unwrap();
    bad.observation.lon = f64::INFINITY;
    assert!(matches!(n.commit("test", vec![good, bad]), Err(StoreError::Invalid { .. })));
    assert_eq!(n.store.count().unwrap(), 0);
    assert!(drain(&mut sub).is_empty(), "nothing published");
}
