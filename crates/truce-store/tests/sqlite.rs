//! The SQLite store on real database files.

#![allow(clippy::unwrap_used)]

use time::macros::datetime;
use truce_core::{
    Category, ClassificationRecord, LocationPrecision, Marking, Means, Observation, Observer, TimePrecision,
    ViolationRecord,
};
use truce_store::{Query, SqliteStore, Store, StoreError, StoredObservation};

fn obs(id: &str, minute: i64, lat: f64, lon: f64, category: Category) -> StoredObservation {
    StoredObservation {
        observation: Observation {
            id: id.to_owned(),
            time: datetime!(2026-11-20 00:00 UTC) + time::Duration::minutes(minute),
            time_end: None,
            time_precision: TimePrecision::Minute,
            lat,
            lon,
            location_precision: LocationPrecision::Exact,
            place: None,
            observer: Observer {
                means: Means::Patrol,
                team: Some("t1".into()),
                callsign: None,
                lat: None,
                lon: None,
                bearing_deg: None,
                range_m: None,
            },
            category,
            weapon_class: None,
            count: Some(1),
            direction: None,
            party: None,
            confidence: None,
            reason: None,
            casualties: None,
            text: Some("é \"quoted\"".into()),
            source_ref: None,
            marking: Marking::NatoUnclassified,
            releasable_to: vec!["GBR".into()],
        },
        classification: ClassificationRecord {
            lines: Default::default(),
            zones: if lat > 48.0 { vec!["security_zone".into()] } else { vec![] },
            violations: if category == Category::ExplosionImpact {
                vec![ViolationRecord {
                    code: "cfv_in_security_zone".into(),
                    zone: Some("security_zone".into()),
                    class: None,
                    party: None,
                    line: None,
                    required_m: None,
                    actual_m: None,
                    category: None,
                    phase: None,
                    count: None,
                }]
            } else {
                vec![]
            },
        },
        received_at: datetime!(2026-11-24 10:00 UTC),
    }
}

#[test]
fn insert_get_and_idempotency() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    let a = obs("a", 0, 48.5, 37.5, Category::ExplosionImpact);
    let r = store.insert(&[a.clone(), obs("b", 5, 47.0, 35.0, Category::MuzzleFlash)]).unwrap();
    assert_eq!(r.inserted, ["a", "b"]);
    let again = store.insert(&[a.clone(), obs("c", 7, 47.0, 35.0, Category::MuzzleFlash)]).unwrap();
    assert_eq!((again.inserted, again.duplicates), (vec!["c".to_owned()], vec!["a".to_owned()]));
    assert_eq!(store.count().unwrap(), 3);
    assert_eq!(store.get("a").unwrap().unwrap(), a);
    assert_eq!(store.get("zz").unwrap(), None);
}

#[test]
fn survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = SqliteStore::open(dir.path()).unwrap();
        store.insert(&[obs("kept", 0, 48.5, 37.5, Category::ExplosionImpact)]).unwrap();
        store.set_agreement_fingerprint("abc").unwrap();
    }
    let store = SqliteStore::open(dir.path()).unwrap();
    assert!(store.get("kept").unwrap().is_some());
    assert_eq!(store.agreement_fingerprint().unwrap().as_deref(), Some("abc"));
}

#[test]
fn a_failed_batch_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    let mut bad = obs("bad", 0, 48.5, 37.5, Category::ExplosionImpact);
    bad.observation.lat = f64::NAN; // SQLite stores NaN as NULL: the NOT NULL constraint fails.
    let err = store.insert(&[obs("good", 0, 48.5, 37.5, Category::ExplosionImpact), bad]).unwrap_err();
    assert!(matches!(err, StoreError::Sqlite(_)), "{err}");
    assert_eq!(store.count().unwrap(), 0);
    assert!(store.get("good").unwrap().is_none());
}

#[test]
fn filters_and_pagination() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    let mut batch = Vec::new();
    for i in 0..250 {
        let cat = if i % 2 == 0 { Category::ExplosionImpact } else { Category::MuzzleFlash };
        batch.push(obs(
            &format!("o{i:03}"),
            i,
            47.0 + f64::from(i as u32) * 0.01,
            36.0 + f64::from(i as u32) * 0.005,
            cat,
        ));
    }
    store.insert(&batch).unwrap();

    let mut q = Query { limit: 100, ..Query::default() };
    let mut seen = Vec::new();
    loop {
        let page = store.query(&q).unwrap();
        seen.extend(page.items.iter().map(|s| s.observation.id.clone()));
        match page.next {
            Some(c) => q.cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(seen.len(), 250);
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "time order");

    let count = |q: Query| store.query(&Query { limit: 10_000, ..q }).unwrap().items.len();
    assert_eq!(count(Query { category: Some(Category::MuzzleFlash), ..Query::default() }), 125);
    assert_eq!(
        count(Query {
            since: Some(datetime!(2026-11-20 01:40 UTC)),
            until: Some(datetime!(2026-11-20 02:00 UTC)),
            ..Query::default()
        }),
        20
    );
    // o100..o149 have lat 48.00..48.49; bbox edges are included.
    assert_eq!(count(Query { bbox: Some([36.0, 48.0, 37.0, 48.49]), ..Query::default() }), 50);
    assert_eq!(count(Query { violation: Some("cfv_in_security_zone".into()), ..Query::default() }), 125);
    assert_eq!(count(Query { zone: Some("security_zone".into()), ..Query::default() }), 149);
    // Within 2 km of o000 (47.0, 36.0): o000 and o001 (1.2 km away).
    assert_eq!(count(Query { near: Some((47.0, 36.0, 2.0)), ..Query::default() }), 2);

    let stats = store.stats(&Query::default()).unwrap();
    assert_eq!(stats.total, 250);
    assert_eq!(stats.by_category["explosion_impact"], 125);
    assert_eq!(stats.by_violation["cfv_in_security_zone"], 125);
    assert_eq!(stats.by_zone["security_zone"], 149);
    assert_eq!(stats.by_day["2026-11-20"], 250);

    assert!(matches!(
        store.query(&Query { cursor: Some("nonsense".into()), ..Query::default() }),
        Err(StoreError::BadCursor(_))
    ));
}

#[test]
fn reclassify_rewrites_every_classification_and_indexes() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    store
        .insert(&(0..30).map(|i| obs(&format!("r{i}"), i, 48.5, 37.5, Category::ExplosionImpact)).collect::<Vec<_>>())
        .unwrap();
    let n = store
        .reclassify("v2", &mut |_o| ClassificationRecord { zones: vec!["new_zone".into()], ..Default::default() })
        .unwrap();
    assert_eq!(n, 30);
    assert_eq!(store.agreement_fingerprint().unwrap().as_deref(), Some("v2"));
    let stats = store.stats(&Query::default()).unwrap();
    assert_eq!(stats.by_zone.get("new_zone"), Some(&30));
    assert!(stats.by_violation.is_empty());
    assert_eq!(store.get("r3").unwrap().unwrap().classification.zones, ["new_zone"]);
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(SqliteStore::open(dir.path()).unwrap());
    let conn = rusqlite::Connection::open(dir.path().join("truce.sqlite")).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    assert!(matches!(SqliteStore::open(dir.path()), Err(StoreError::TooNew { found: 99, .. })));
}
