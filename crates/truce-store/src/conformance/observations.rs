//! Observations: idempotent, all-or-nothing inserts, filters, paging, stats and reclassification.

use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use truce_core::{
    Category, ClassificationRecord, LocationPrecision, Marking, Means, Observation, Observer, StoredObservation,
    TimePrecision, ViolationRecord,
};

use crate::{Change, EncodedRow, KeptDay, Query, Revise, Store, StoreError};

/// The day the suite's observations start: 2026-11-20 00:00 UTC.
pub const T0: OffsetDateTime = datetime!(2026-11-20 00:00 UTC);

/// An observation `minute`s after 2026-11-20 00:00 UTC at (`lat`, `lon`); in the security zone north of
/// 48°, and a ceasefire violation when it is an explosion.
pub fn observation(id: &str, minute: i64, lat: f64, lon: f64, category: Category) -> StoredObservation {
    let in_zone = lat > 48.0;
    StoredObservation {
        observation: Observation {
            id: id.to_owned(),
            time: T0 + Duration::minutes(minute),
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
            text: Some("é \"quoted\", with a comma".into()),
            source_ref: None,
            marking: Marking::NatoUnclassified,
            releasable_to: vec!["GBR".into()],
            categories: Vec::new(),
        },
        classification: ClassificationRecord {
            lines: Default::default(),
            zones: if in_zone { vec!["security_zone".into()] } else { vec![] },
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

/// The ids of every observation matching `q`, page by page.
fn ids(store: &dyn Store, q: &Query) -> Vec<String> {
    let mut q = Query { limit: if q.limit == 0 { 1_000 } else { q.limit }, ..q.clone() };
    let mut out = Vec::new();
    loop {
        let page = store.query(&q).expect("a query");
        out.extend(page.items.into_iter().map(|s| s.observation.id));
        match page.next {
            Some(c) => q.cursor = Some(c),
            None => return out,
        }
    }
}

/// 250 observations a minute apart along a diagonal: `o000` at (47.0, 36.0), each 0.01° north and
/// 0.005° east of the one before; even ones explosions, odd ones muzzle flashes.
fn diagonal(store: &dyn Store) {
    let batch: Vec<_> = (0..250)
        .map(|i| {
            let cat = if i % 2 == 0 { Category::ExplosionImpact } else { Category::MuzzleFlash };
            observation(&format!("o{i:03}"), i, 47.0 + i as f64 * 0.01, 36.0 + i as f64 * 0.005, cat)
        })
        .collect();
    store.insert(&batch).expect("an insert");
}

/// An id already stored with the same content is a duplicate, left as it was; what is stored comes
/// back equal.
pub fn an_insert_is_idempotent(store: &dyn Store) {
    let a = observation("a", 0, 48.5, 37.5, Category::ExplosionImpact);
    let r = store.insert(&[a.clone(), observation("b", 5, 47.0, 35.0, Category::MuzzleFlash)]).expect("an insert");
    assert_eq!(r.inserted, ["a", "b"]);
    let mut resent = a.clone();
    resent.received_at = datetime!(2026-11-25 10:00 UTC);
    let again =
        store.insert(&[resent, observation("c", 7, 47.0, 35.0, Category::MuzzleFlash)]).expect("a second insert");
    assert_eq!((again.inserted, again.duplicates), (vec!["c".to_owned()], vec!["a".to_owned()]));
    assert_eq!(store.count().expect("a count"), 3);
    assert_eq!(store.get("a").expect("a get"), Some(a), "the first one stored stays, every field intact");
    assert_eq!(store.get("zz").expect("a get"), None);
}

/// The same id with other content is a conflict naming the fields that differ; nothing of its batch
/// is stored and the stored one is unchanged.
pub fn other_content_under_a_stored_id_is_a_conflict(store: &dyn Store) {
    let a = observation("a", 0, 48.5, 37.5, Category::ExplosionImpact);
    store.insert(std::slice::from_ref(&a)).expect("an insert");
    let mut changed = a.clone();
    changed.observation.text = Some("resent with other words".into());
    changed.observation.count = Some(3);
    let err = store
        .insert(&[observation("new", 7, 47.0, 35.0, Category::MuzzleFlash), changed])
        .expect_err("other content under id a");
    match &err {
        StoreError::Conflict(c) => {
            assert_eq!(c.len(), 1, "{err}");
            assert_eq!((c[0].id.as_str(), c[0].fields.clone()), ("a", vec!["count".to_owned(), "text".to_owned()]));
        }
        other => panic!("expected a conflict, got {other}"),
    }
    assert!(err.to_string().contains("differs in: count, text"), "{err}");
    assert_eq!(store.count().expect("a count"), 1, "nothing of the batch is stored");
    assert_eq!(store.get("a").expect("a get"), Some(a));
}

/// The same id twice in one batch is stored once and reported once as a duplicate.
pub fn an_id_twice_in_one_batch_is_stored_once(store: &dyn Store) {
    let a = observation("same", 0, 48.5, 37.5, Category::ExplosionImpact);
    let r = store.insert(&[a.clone(), a]).expect("an insert");
    assert_eq!((r.inserted, r.duplicates), (vec!["same".to_owned()], vec!["same".to_owned()]));
    assert_eq!(store.count().expect("a count"), 1);
}

/// A bulk load into an empty store may leave indexes until after its rows
/// ([`ObservationStore::defer_indexes`]); every insert meanwhile and after is judged as any other: an
/// id twice is stored once, other content under a stored id is a conflict that stores nothing of its
/// batch (and leaves its other ids free to come later), reads by id and area answer. A store that
/// holds observations defers nothing.
pub fn a_load_with_indexes_left_until_after_its_rows_judges_ids_alike(store: &dyn Store) {
    assert!(store.defer_indexes().expect("deferring"), "an empty store defers");
    let a = observation("a", 0, 48.5, 37.5, Category::ExplosionImpact);
    let b = observation("b", 5, 47.0, 35.0, Category::MuzzleFlash);
    let r = store.insert(&[a.clone(), b.clone(), a.clone()]).expect("a first batch");
    assert_eq!((r.inserted, r.duplicates), (vec!["a".to_owned(), "b".to_owned()], vec!["a".to_owned()]));
    let mut changed = b.clone();
    changed.observation.count = Some(9);
    let c = observation("c", 7, 47.5, 36.0, Category::MuzzleFlash);
    let err = store.insert(&[c.clone(), changed.clone()]).expect_err("other content under id b");
    assert!(matches!(&err, StoreError::Conflict(c) if c.len() == 1 && c[0].id == "b"), "{err}");
    assert_eq!(store.count().expect("a count"), 2, "nothing of the refused batch is stored");
    let r = store.insert(&[c.clone(), b.clone()]).expect("the refused batch's new id, and a resend");
    assert_eq!((r.inserted, r.duplicates), (vec!["c".to_owned()], vec!["b".to_owned()]));
    assert_eq!(store.get("a").expect("a get"), Some(a.clone()), "read by id during the load");
    let q = Query { bbox: Some([37.0, 48.0, 38.0, 49.0]), ..Query::default() };
    assert_eq!(store.query(&q).expect("a box").items, std::slice::from_ref(&a), "read by area during the load");
    store.build_indexes().expect("building");
    let r = store.insert(&[a.clone(), observation("d", 9, 47.1, 35.2, Category::MuzzleFlash)]).expect("after");
    assert_eq!((r.inserted, r.duplicates), (vec!["d".to_owned()], vec!["a".to_owned()]));
    assert!(matches!(store.insert(&[changed]), Err(StoreError::Conflict(_))), "a conflict after the load too");
    assert_eq!(store.count().expect("a count"), 4);
    assert_eq!(store.get("c").expect("a get"), Some(c));
    assert!(!store.defer_indexes().expect("deferring"), "a store that holds observations keeps its indexes");
    store.build_indexes().expect("building again: nothing to do");
    assert!(matches!(store.insert(&[a]).map(|r| r.duplicates), Ok(d) if d == ["a"]));
}

fn revise<'a>(id: &'a str, expected: u32, reason: &'a str, amended: Option<&'a EncodedRow>) -> Revise<'a> {
    Revise { id, expected, by: "gbr.watch", reason, at: datetime!(2026-11-26 09:30 UTC), amended }
}

/// An amendment replaces the current version (lists, filters and counts read it), keeps every earlier
/// version with who, when and why, and is refused against a stale version; resending the first
/// version is still a duplicate.
pub fn an_amendment_keeps_every_version(store: &dyn Store) {
    let a = observation("a", 0, 48.5, 37.5, Category::ExplosionImpact);
    store.insert(&[a.clone(), observation("b", 5, 47.0, 35.0, Category::MuzzleFlash)]).expect("an insert");
    let mut moved = observation("a", 30, 47.2, 35.1, Category::MuzzleFlash);
    moved.observation.text = Some("the grid was wrong".into());
    let row = EncodedRow::new(&moved).expect("encodes");
    let v2 = store.revise(&revise("a", 1, "wrong grid in the first report", Some(&row))).expect("an amendment");
    assert_eq!((v2.version, v2.change, v2.by.as_str()), (2, Change::Amended, "gbr.watch"));
    assert_eq!(store.get("a").expect("a get").map(|s| s.observation), Some(moved.observation.clone()));
    let in_zone = Query { zone: Some("security_zone".into()), ..Query::default() };
    assert!(ids(store, &in_zone).is_empty(), "the zone filter reads the amended position");
    assert_eq!(store.stats(&Query::default()).expect("stats").by_category.get("muzzle_flash"), Some(&2));
    let stale = store.revise(&revise("a", 1, "again", Some(&row))).expect_err("a stale version");
    assert!(matches!(stale, StoreError::Stale { expected: 1, current: 2, .. }), "{stale}");
    let history = store.history("a").expect("a history").expect("a is stored");
    let summary: Vec<_> = history.iter().map(|r| (r.version, r.change, r.reason.as_str())).collect();
    assert_eq!(
        summary,
        [(1, Change::Recorded, ""), (2, Change::Amended, "wrong grid in the first report")],
        "every version, oldest first"
    );
    assert_eq!(history[0].stored.observation, a.observation, "the first version as recorded");
    assert_eq!(history[1].at, datetime!(2026-11-26 09:30 UTC));
    let resent = store.insert(std::slice::from_ref(&a)).expect("a resend of the first version");
    assert_eq!(resent.duplicates, ["a"], "a resend after a lost answer is not a conflict");
    assert_eq!(store.get("a").expect("a get").map(|s| s.observation), Some(moved.observation));
    let other_id = EncodedRow::new(&observation("b", 0, 48.5, 37.5, Category::ExplosionImpact)).expect("encodes");
    let err = store.revise(&revise("a", 2, "x", Some(&other_id))).expect_err("another id");
    assert!(matches!(err, StoreError::Invalid { .. }), "{err}");
    let err = store.revise(&revise("a", 2, " ", None)).expect_err("no reason");
    assert!(matches!(err, StoreError::Invalid { .. }), "{err}");
    let err = store.revise(&revise("zz", 1, "x", None)).expect_err("no such id");
    assert!(matches!(err, StoreError::NotFound(_)), "{err}");
}

/// A withdrawn observation leaves every list and count but keeps its history; it cannot be changed
/// again; a report issued before the change learns of it.
pub fn a_withdrawal_leaves_lists_and_keeps_the_history(store: &dyn Store) {
    store
        .insert(&[
            observation("a", 0, 48.5, 37.5, Category::ExplosionImpact),
            observation("b", 5, 48.5, 37.5, Category::ExplosionImpact),
            observation("late", 3 * 24 * 60, 48.5, 37.5, Category::ExplosionImpact),
        ])
        .expect("an insert");
    let w = store.revise(&revise("a", 1, "a duplicate of b", None)).expect("a withdrawal");
    assert_eq!((w.version, w.change), (2, Change::Withdrawn));
    assert_eq!(store.count().expect("a count"), 2);
    assert_eq!(ids(store, &Query::default()), ["b", "late"]);
    assert_eq!(store.stats(&Query::default()).expect("stats").total, 2);
    assert_eq!(store.get("a").expect("a get"), None, "get reads what is current and not withdrawn");
    let history = store.history("a").expect("a history").expect("a is kept");
    assert_eq!(history.iter().map(|r| r.change).collect::<Vec<_>>(), [Change::Recorded, Change::Withdrawn]);
    assert_eq!(history[1].reason, "a duplicate of b");
    let err = store.revise(&revise("a", 2, "back", None)).expect_err("withdrawn");
    assert!(matches!(err, StoreError::Withdrawn { version: 2, .. }), "{err}");
    let row =
        EncodedRow::new(&observation("late", 3 * 24 * 60, 48.6, 37.5, Category::ExplosionImpact)).expect("encodes");
    store.revise(&revise("late", 1, "grid", Some(&row))).expect("an amendment");
    let day = Query { since: Some(T0), until: Some(T0 + Duration::days(1)), ..Query::default() };
    let changed = store.revisions_since(&day, datetime!(2026-11-26 00:00 UTC)).expect("corrections");
    assert_eq!(
        changed.iter().map(|c| (c.id.as_str(), c.version, c.change)).collect::<Vec<_>>(),
        [("a", 2, Change::Withdrawn)],
        "only the day's observations"
    );
    assert!(store.revisions_since(&day, datetime!(2026-11-27 00:00 UTC)).expect("corrections").is_empty());
}

/// A batch holding a row the store cannot keep (a position that is not a number) is refused whole.
pub fn a_batch_with_an_unstorable_row_stores_nothing(store: &dyn Store) {
    let mut bad = observation("bad", 0, 48.5, 37.5, Category::ExplosionImpact);
    bad.observation.lat = f64::NAN;
    let err = store
        .insert(&[observation("good", 0, 48.5, 37.5, Category::ExplosionImpact), bad])
        .expect_err("a batch with a NaN latitude");
    assert!(matches!(&err, StoreError::Invalid { id, .. } if id == "bad"), "{err}");
    assert_eq!(store.count().expect("a count"), 0);
    assert!(store.get("good").expect("a get").is_none());
}

/// `since` is inclusive, `until` exclusive.
pub fn the_time_window_includes_since_and_excludes_until(store: &dyn Store) {
    diagonal(store);
    let q = Query {
        since: Some(T0 + Duration::minutes(100)),
        until: Some(T0 + Duration::minutes(120)),
        ..Query::default()
    };
    let got = ids(store, &q);
    assert_eq!(got.len(), 20);
    assert_eq!((got[0].as_str(), got[19].as_str()), ("o100", "o119"));
}

/// `received_since` selects by arrival, whatever the observation's own time.
pub fn received_since_finds_late_reports_with_old_times(store: &dyn Store) {
    diagonal(store);
    let mut late = observation("late", -600, 48.5, 37.5, Category::MuzzleFlash);
    late.received_at = datetime!(2026-11-25 12:00 UTC);
    store.insert(&[late]).expect("an insert");
    let q = Query { received_since: Some(datetime!(2026-11-25 00:00 UTC)), ..Query::default() };
    assert_eq!(ids(store, &q), ["late"]);
}

/// A box includes the observations on its edges.
pub fn the_bbox_filter_includes_its_edges(store: &dyn Store) {
    diagonal(store);
    // o100..o149 have lat 48.00..48.49; o100 lies exactly on the south edge, o149 on the north edge.
    let q = Query { bbox: Some([36.0, 48.0, 37.0, 48.49]), ..Query::default() };
    let got = ids(store, &q);
    assert_eq!(got.len(), 50);
    assert_eq!((got[0].as_str(), got[49].as_str()), ("o100", "o149"));
}

/// A box finds its observations on every day, whatever time range comes with it: the rows are spread
/// over weeks, either side of midnights and of the Unix epoch (where a day number by integer division
/// changes direction), and each query's answer is the one the inserted rows give, filtered here.
pub fn a_box_finds_its_rows_on_every_day_of_the_range(store: &dyn Store) {
    let minutes_to_epoch = (T0 - OffsetDateTime::UNIX_EPOCH).whole_minutes();
    // Minutes from T0: midnights and their neighbours, days apart, and around 1970-01-01.
    let times = [
        -30 * 1_440,
        -1_441,
        -1,
        0,
        1,
        719,
        1_439,
        1_440,
        3 * 1_440 + 600,
        20 * 1_440 - 1,
        -minutes_to_epoch - 1_500,
        -minutes_to_epoch - 1,
        -minutes_to_epoch,
        -minutes_to_epoch + 60,
    ];
    let mut rows = Vec::new();
    for (k, &m) in times.iter().enumerate() {
        // Inside the box and just outside it, at each time.
        rows.push(observation(&format!("in{k:02}"), m, 48.2 + k as f64 * 0.01, 37.2, Category::MuzzleFlash));
        rows.push(observation(&format!("out{k:02}"), m, 48.2, 38.6 + k as f64 * 0.01, Category::MuzzleFlash));
    }
    store.insert(&rows).expect("an insert");
    let bbox = [37.0, 48.0, 37.5, 48.5];
    let at = |m: i64| T0 + Duration::minutes(m);
    let ranges: [(Option<OffsetDateTime>, Option<OffsetDateTime>); 8] = [
        (None, None),
        (Some(at(0)), None),
        (None, Some(at(0))),
        (Some(at(-1)), Some(at(1_440))),
        (Some(at(1)), Some(at(1_439))),
        (Some(at(720)), Some(at(30 * 1_440))),
        (Some(OffsetDateTime::UNIX_EPOCH), Some(at(-1_441))),
        (Some(at(-minutes_to_epoch - 2_000)), Some(OffsetDateTime::UNIX_EPOCH)),
    ];
    for (since, until) in ranges {
        let mut want: Vec<(OffsetDateTime, String)> = rows
            .iter()
            .filter(|r| {
                let o = &r.observation;
                let inside = o.lon >= bbox[0] && o.lat >= bbox[1] && o.lon <= bbox[2] && o.lat <= bbox[3];
                inside && since.is_none_or(|t| o.time >= t) && until.is_none_or(|t| o.time < t)
            })
            .map(|r| (r.observation.time, r.observation.id.clone()))
            .collect();
        want.sort();
        let want: Vec<String> = want.into_iter().map(|(_, id)| id).collect();
        let q = Query { bbox: Some(bbox), since, until, ..Query::default() };
        assert_eq!(ids(store, &q), want, "since {since:?}, until {until:?}");
        let q = Query { near: Some((48.25, 37.2, 20.0)), since, until, ..Query::default() };
        assert_eq!(ids(store, &q), want, "near, since {since:?}, until {until:?}");
    }
}

/// An area's pages hold the same rows whichever way a store finds them: here the area holds many of
/// the occupied cells but few rows, eleven early and thirty after five thousand rows outside it, so a
/// store that looks along the time index first (SQLite, over a window of 4,096 rows) must go on
/// through its spatial index mid-page. Every page size, with and without a time range, a box and a
/// circle, against the inserted rows filtered here.
pub fn an_area_pages_alike_however_its_rows_are_found(store: &dyn Store) {
    let mut rows = Vec::new();
    // Inside first, so that at a time shared with a row outside the box, the one inside comes first:
    // `in40`, at minute 4,085, is the 4,096th row in time order, the last of that window.
    for k in 0..41_i64 {
        let minute = match k {
            0..10 => 3 + k * 400,
            40 => 4_085,
            _ => 5_000 + k * 7,
        };
        rows.push(observation(&format!("in{k:02}"), minute, 48.25, 37.25, Category::MuzzleFlash));
    }
    for i in 0..5_000 {
        // Outside the box, in three cells a degree away.
        rows.push(observation(&format!("x{i:04}"), i, 49.05, 35.05 + (i % 3) as f64 * 0.1, Category::MuzzleFlash));
    }
    store.insert(&rows).expect("an insert");
    let bbox = [37.0, 48.0, 37.5, 48.5];
    let at = |m: i64| T0 + Duration::minutes(m);
    for (since, until) in [(None, None), (Some(at(400)), None), (Some(at(1)), Some(at(5_200)))] {
        let mut want: Vec<(OffsetDateTime, String)> = rows
            .iter()
            .map(|r| &r.observation)
            .filter(|o| o.id.starts_with("in") && since.is_none_or(|t| o.time >= t) && until.is_none_or(|t| o.time < t))
            .map(|o| (o.time, o.id.clone()))
            .collect();
        want.sort();
        let want: Vec<String> = want.into_iter().map(|(_, id)| id).collect();
        for limit in [1, 3, 12, 1_000] {
            let q = Query { bbox: Some(bbox), since, until, limit, ..Query::default() };
            assert_eq!(ids(store, &q), want, "box, pages of {limit}, since {since:?}, until {until:?}");
            let q = Query { near: Some((48.25, 37.25, 5.0)), since, until, limit, ..Query::default() };
            assert_eq!(ids(store, &q), want, "circle, pages of {limit}, since {since:?}, until {until:?}");
        }
    }
}

/// `near` is the geodesic distance on WGS84, not a box.
pub fn the_near_filter_is_geodesic(store: &dyn Store) {
    diagonal(store);
    // o001 is 1.2 km from o000 (47.0, 36.0); o002 is 2.4 km away.
    assert_eq!(ids(store, &Query { near: Some((47.0, 36.0, 2.0)), ..Query::default() }), ["o000", "o001"]);
    // A point 0.9 km east and 0.9 km north of a corner: inside the box of a 1 km circle, outside the circle.
    let corner = observation(
        "corner",
        0,
        50.0 + 0.9 / 111.2,
        30.0 + 0.9 / (111.3 * 50f64.to_radians().cos()),
        Category::MuzzleFlash,
    );
    store.insert(&[corner]).expect("an insert");
    assert!(ids(store, &Query { near: Some((50.0, 30.0, 1.0)), ..Query::default() }).is_empty());
    assert_eq!(ids(store, &Query { near: Some((50.0, 30.0, 1.5)), ..Query::default() }), ["corner"]);
}

/// Every list filter selects the observations with any of its values, combines with the others by
/// AND, and counts agree with lists for the same filters.
pub fn list_filters_select_any_of_their_values(store: &dyn Store) {
    // Twelve observations cycling through means, parties (none, rus, ukr) and markings 0..3.
    let means = [Means::Patrol, Means::Uav, Means::FixedCamera, Means::Sensor];
    let parties = [None, Some("rus"), Some("ukr")];
    let batch: Vec<_> = (0..12)
        .map(|i| {
            let cat = [Category::ExplosionImpact, Category::MuzzleFlash, Category::WeaponSighting][i % 3];
            let mut o = observation(&format!("m{i:02}"), i as i64, 48.5, 37.0 + i as f64 * 0.01, cat);
            o.observation.observer.means = means[i % 4];
            o.observation.party = parties[i % 3].map(str::to_owned);
            o.observation.marking = Marking::ALL[i % 4];
            o
        })
        .collect();
    store.insert(&batch).expect("an insert");
    let check = |q: Query, expect: &[&str]| {
        assert_eq!(ids(store, &q), expect, "{q:?}");
        assert_eq!(store.stats(&q).expect("stats").total, expect.len() as u64, "stats of {q:?}");
    };
    check(
        Query { category: vec![Category::MuzzleFlash, Category::WeaponSighting], ..Query::default() },
        &["m01", "m02", "m04", "m05", "m07", "m08", "m10", "m11"],
    );
    check(
        Query {
            violation: vec!["cfv_in_security_zone".into(), "no_such_code".into()],
            means: vec![Means::Patrol],
            ..Query::default()
        },
        &["m00"],
    );
    check(
        Query { means: vec![Means::Uav, Means::Sensor], ..Query::default() },
        &["m01", "m03", "m05", "m07", "m09", "m11"],
    );
    check(Query { party: vec![None], ..Query::default() }, &["m00", "m03", "m06", "m09"]);
    check(
        Query { party: vec![None, Some("ukr".into())], ..Query::default() },
        &["m00", "m02", "m03", "m05", "m06", "m08", "m09", "m11"],
    );
    check(Query { party: vec![Some("ru".into())], ..Query::default() }, &[]);
    check(Query { marking: vec![Marking::NatoSecret], ..Query::default() }, &["m03", "m07", "m11"]);
    check(
        Query { marking: vec![Marking::NatoUnclassified, Marking::NatoSecret], party: vec![None], ..Query::default() },
        &["m00", "m03"],
    );
    check(Query { marking: vec![Marking::CosmicTopSecret], ..Query::default() }, &[]);
}

/// A polygon selects what lies inside it or on its edges, in the longitude/latitude plane, and leaves
/// out what is inside its bounding box but outside it (a concave notch).
pub fn the_polygon_filter_includes_its_edges_and_not_its_notch(store: &dyn Store) {
    // A U from (36,47) to (38,49): the notch between the arms is 36.5..37.5 east, above 47.5 north.
    let at = |id: &str, lon: f64, lat: f64| observation(id, 0, lat, lon, Category::MuzzleFlash);
    store
        .insert(&[
            at("inside-arm", 36.2, 48.0),
            at("in-notch", 37.0, 48.5),
            at("on-notch-floor", 37.0, 47.5),
            at("on-vertex", 38.0, 49.0),
            at("on-edge", 38.0, 48.1),
            at("outside", 38.01, 48.0),
            at("far", 30.0, 50.0),
        ])
        .expect("an insert");
    let u = truce_geo::Polygon::new(
        [
            (36.0, 47.0),
            (38.0, 47.0),
            (38.0, 49.0),
            (37.5, 49.0),
            (37.5, 47.5),
            (36.5, 47.5),
            (36.5, 49.0),
            (36.0, 49.0),
        ]
        .iter()
        .map(|&(lon, lat)| truce_geo::LonLat::new(lon, lat))
        .collect(),
    )
    .expect("a polygon");
    let q = Query { polygon: Some(u), ..Query::default() };
    let mut got = ids(store, &q);
    got.sort();
    assert_eq!(got, ["inside-arm", "on-edge", "on-notch-floor", "on-vertex"]);
    assert_eq!(store.stats(&q).expect("stats").total, 4);
    let both = Query { bbox: Some([37.9, 47.0, 38.0, 49.0]), ..q };
    let mut got = ids(store, &both);
    got.sort();
    assert_eq!(got, ["on-edge", "on-vertex"], "with a bbox too: both apply");
}

/// A named area (a sector) selects what it covers, even inside its box, and combines with the rest.
pub fn a_named_area_selects_what_it_covers(store: &dyn Store) {
    /// Within `km` of a point (exact geodesic distance): its box is wider than what it covers.
    #[derive(Debug)]
    struct Disc(truce_geo::LonLat, f64);
    impl truce_geo::Area for Disc {
        fn bbox(&self) -> [f64; 4] {
            let (dlat, dlon) = (self.1 / 110.0, self.1 / (111.3 * self.0.lat.to_radians().cos()) + 0.01);
            [self.0.lon - dlon, self.0.lat - dlat, self.0.lon + dlon, self.0.lat + dlat]
        }
        fn covers(&self, p: truce_geo::LonLat) -> bool {
            truce_geo::geodesic::distance_m(self.0, p) <= self.1 * 1000.0
        }
    }
    let at = |id: &str, lon: f64, lat: f64, c| observation(id, 0, lat, lon, c);
    store
        .insert(&[
            at("centre", 37.0, 48.0, Category::MuzzleFlash),
            at("9-km-north", 37.0, 48.0809, Category::MuzzleFlash),
            at("centre-weapon", 37.0, 48.0, Category::WeaponSighting),
            at("box-corner", 37.13, 48.085, Category::MuzzleFlash),
            at("far", 30.0, 50.0, Category::MuzzleFlash),
        ])
        .expect("an insert");
    let area = std::sync::Arc::new(Disc(truce_geo::LonLat::new(37.0, 48.0), 10.0));
    let q = Query { within: Some(crate::Within { name: "disc".into(), area }), ..Query::default() };
    let mut got = ids(store, &q);
    got.sort();
    assert_eq!(got, ["9-km-north", "centre", "centre-weapon"], "the corner of its box is not in the disc");
    assert_eq!(store.stats(&q).expect("stats").total, 3);
    let weapons = Query { category: vec![Category::WeaponSighting], ..q };
    assert_eq!(ids(store, &weapons), ["centre-weapon"], "with a category too: both apply");
}

/// `releasable` narrows what the store's reader sees to what another access permits, by the access
/// rule itself (groups expanded on the observation's day), and never widens it.
pub fn the_releasable_filter_narrows_to_what_a_nation_may_see(store: &dyn Store) {
    let policy = truce_access::Policy::shipped();
    let viewer = |nation: &str, clearance: Marking| truce_access::Viewer {
        name: nation.to_lowercase(),
        nation: Some(nation.into()),
        role: truce_access::Role::Analyst,
        clearance,
        categories: Default::default(),
    };
    let labelled = |id: &str, when: OffsetDateTime, rel: &[&str], marking: Marking| {
        let mut o = observation(id, 0, 48.5, 37.0, Category::MuzzleFlash);
        o.observation.time = when;
        o.observation.releasable_to = rel.iter().map(|c| (*c).to_owned()).collect();
        o.observation.marking = marking;
        o
    };
    // Finland joined NATO on 2023-04-04 (the shipped policy): a NATO record of 2022 is not Finland's.
    store
        .insert(&[
            labelled("nato-2022", datetime!(2022-06-01 00:00 UTC), &["NATO"], Marking::NatoRestricted),
            labelled("nato-2026", T0, &["NATO"], Marking::NatoRestricted),
            labelled("gbr-only", T0, &["GBR"], Marking::NatoUnclassified),
            labelled("fin-secret", T0, &["FIN"], Marking::NatoSecret),
            labelled("public", T0, &["PUBLIC"], Marking::NatoUnclassified),
        ])
        .expect("an insert");
    let fin = truce_access::Access::new(&policy, &viewer("FIN", Marking::NatoConfidential));
    let q = Query { releasable: Some(fin), ..Query::default() };
    let mut got = ids(store, &q);
    got.sort();
    assert_eq!(got, ["nato-2026", "public"]);
    assert_eq!(store.stats(&q).expect("stats").total, 2);
    // Read as a British viewer, releasable to Finland: what both may see.
    let gbr = store.scoped(truce_access::Access::new(&policy, &viewer("GBR", Marking::NatoSecret)));
    let fin_secret = truce_access::Access::new(&policy, &viewer("FIN", Marking::NatoSecret));
    let mut got = ids(gbr.as_ref(), &Query { releasable: Some(fin_secret), ..Query::default() });
    got.sort();
    assert_eq!(got, ["nato-2026", "public"], "never more than the reader's own");
}

/// Category, violation and zone filters, alone and together.
pub fn category_violation_and_zone_filters_combine(store: &dyn Store) {
    diagonal(store);
    let count = |q: Query| ids(store, &q).len();
    assert_eq!(count(Query { category: vec![Category::MuzzleFlash], ..Query::default() }), 125);
    assert_eq!(count(Query { violation: vec!["cfv_in_security_zone".into()], ..Query::default() }), 125);
    assert_eq!(count(Query { zone: Some("security_zone".into()), ..Query::default() }), 149);
    assert_eq!(count(Query { zone: Some("security".into()), ..Query::default() }), 0, "no match inside an id");
    assert_eq!(
        count(Query { category: vec![Category::MuzzleFlash], zone: Some("security_zone".into()), ..Query::default() }),
        75
    );
}

/// Pages of any size visit every row once, by time and then by insertion for equal times.
pub fn paging_visits_every_row_once_in_time_then_insertion_order(store: &dyn Store) {
    diagonal(store);
    // Three more at o010's time, inserted later: they come after o010, in insertion order.
    for id in ["z1", "a2", "m3"] {
        store.insert(&[observation(id, 10, 47.5, 36.5, Category::MuzzleFlash)]).expect("an insert");
    }
    let all = ids(store, &Query { limit: 10_000, ..Query::default() });
    for limit in [1, 7, 100] {
        assert_eq!(ids(store, &Query { limit, ..Query::default() }), all, "page size {limit}");
    }
    assert_eq!(all.len(), 253);
    assert_eq!(all[10..14], ["o010", "z1", "a2", "m3"]);
    let page = store.query(&Query { limit: 253, ..Query::default() }).expect("a query");
    assert_eq!((page.items.len(), page.next), (253, None), "no cursor after the last row");
}

/// A cursor this store did not hand out is an error, not an empty page.
pub fn a_cursor_not_handed_out_is_refused(store: &dyn Store) {
    diagonal(store);
    let err = store.query(&Query { cursor: Some("nonsense".into()), limit: 10, ..Query::default() });
    assert!(matches!(err, Err(StoreError::BadCursor(_))), "{err:?}");
}

/// Stats count the rows the filters select, by category, violation, zone and day.
pub fn stats_count_what_the_filters_select(store: &dyn Store) {
    diagonal(store);
    let stats = store.stats(&Query::default()).expect("stats");
    assert_eq!(stats.total, 250);
    assert_eq!(stats.by_category["explosion_impact"], 125);
    assert_eq!(stats.by_violation["cfv_in_security_zone"], 125);
    assert_eq!(stats.by_zone["security_zone"], 149);
    assert_eq!(stats.by_day["2026-11-20"], 250);
    let north = store.stats(&Query { bbox: Some([30.0, 49.0, 40.0, 50.0]), ..Query::default() }).expect("stats");
    assert_eq!(north.total, 50);
}

/// A store that has given back its caches' memory (`Scope::release_memory`, after each of a node's
/// watch rounds) answers as before, through this handle and another reader's, and takes writes.
pub fn a_store_answers_alike_after_giving_back_its_memory(store: &dyn Store) {
    diagonal(store);
    let (before, listed) = (store.stats(&Query::default()).expect("stats"), ids(store, &Query::default()));
    assert_eq!(listed.len(), 250);
    let other = store.scoped(store.access().clone());
    store.release_memory();
    assert_eq!(store.stats(&Query::default()).expect("stats"), before, "the counts");
    assert_eq!(ids(store, &Query::default()), listed, "the list");
    assert_eq!(ids(&*other, &Query::default()), listed, "another handle's list");
    other.release_memory();
    store.insert(&[observation("after", 300, 48.0, 37.0, Category::MuzzleFlash)]).expect("an insert");
    store.release_memory();
    assert_eq!(store.stats(&Query::default()).expect("stats").total, before.total + 1, "the write is read back");
}

/// Each UTC day's change counter moves when, and only when, an observation of that day is stored,
/// amended (both days when it moves), withdrawn or reclassified; a duplicate changes nothing, and the
/// counters are the same whoever reads them.
pub fn a_days_change_counter_moves_with_every_write_to_that_day(store: &dyn Store) {
    let day0 = T0.unix_timestamp().div_euclid(86_400);
    let (d0, d1, d2) = (day0, day0 + 1, day0 + 2);
    let changes = || store.day_changes(d0 - 1, d2 + 2).expect("day changes");
    assert!(changes().is_empty(), "an empty store has no day");
    let a = observation("a", 60, 48.5, 37.5, Category::ExplosionImpact);
    let b = observation("b", 24 * 60 + 5, 47.0, 35.0, Category::MuzzleFlash);
    store.insert(&[a.clone(), b]).expect("an insert");
    let first = changes();
    assert_eq!(first.iter().map(|c| c.0).collect::<Vec<_>>(), [d0, d1], "the days that hold one");
    store.insert(std::slice::from_ref(&a)).expect("a duplicate");
    assert_eq!(changes(), first, "a duplicate is no change");
    let other = observation("a", 60, 48.5, 37.5, Category::MuzzleFlash);
    let fresh = observation("d", 90, 48.5, 37.5, Category::ExplosionImpact);
    assert!(store.insert(&[fresh, other]).is_err(), "a conflict refuses the batch");
    assert_eq!(changes(), first, "a refused batch is no change");
    let c = observation("c", 24 * 60 + 6, 47.0, 35.0, Category::MuzzleFlash);
    store.insert(&[c]).expect("an insert");
    let first_and_c = changes();
    let of = |v: &[(i64, i64)], d: i64| v.iter().find(|c| c.0 == d).map(|c| c.1);
    assert!(of(&first_and_c, d1) > of(&first, d1), "a new observation changes its day");
    assert_eq!(of(&first_and_c, d0), of(&first, d0), "and no other");
    let first = first_and_c;
    let moved = observation("a", 2 * 24 * 60 + 30, 47.2, 35.1, Category::MuzzleFlash);
    let row = EncodedRow::new(&moved).expect("encodes");
    store.revise(&revise("a", 1, "wrong date", Some(&row))).expect("an amendment");
    let after = changes();
    assert!(of(&after, d0) > of(&first, d0), "the day it left changed");
    assert!(of(&after, d2).is_some(), "the day it moved to changed");
    assert_eq!(of(&after, d1), of(&first, d1), "the other day did not");
    store.revise(&revise("a", 2, "not seen after all", None)).expect("a withdrawal");
    let withdrawn = changes();
    assert!(of(&withdrawn, d2) > of(&after, d2), "a withdrawal changes its day");
    store.reclassify("v2", &mut |_o| ClassificationRecord::default()).expect("a reclassification");
    let reclassified = changes();
    assert!(of(&reclassified, d1) > of(&withdrawn, d1), "a reclassification changes the days it rewrote");
    assert_eq!(store.day_changes(d1, d1 + 1).expect("day changes").len(), 1, "[from, until)");
    let rus = truce_access::Viewer {
        name: "rus".into(),
        nation: Some("RUS".into()),
        role: truce_access::Role::Analyst,
        clearance: Marking::NatoUnclassified,
        categories: Default::default(),
    };
    let nobody = store.scoped(truce_access::Access::new(&truce_access::Policy::shipped(), &rus));
    assert!(ids(nobody.as_ref(), &Query::default()).is_empty(), "this reader sees no observation");
    assert_eq!(nobody.day_changes(d0 - 1, d2 + 2).expect("day changes"), reclassified, "the same for every reader");
}

/// A kept day is given back to the audience that kept it, whole and with its stamp, replaced by a later
/// keep of the same day, and never to a handle reading as another audience.
pub fn a_kept_day_is_read_back_only_by_its_audience(store: &dyn Store) {
    let day = T0.unix_timestamp().div_euclid(86_400);
    assert_eq!(store.kept_day("summary", day).expect("a read"), None, "nothing kept yet");
    store.keep_days("summary", &[]).expect("keeping nothing");
    let kept = |d: i64, stamp: &str, value: &[u8]| KeptDay { day: d, stamp: stamp.into(), value: value.to_vec() };
    let value: Vec<u8> = (0..=255u8).chain([0, 0xff, b'\'', b'\\']).collect();
    store.keep_days("summary", &[kept(day, "v1;1:3", &value), kept(day + 1, "v1;2:1", b"{}")]).expect("a keep");
    assert_eq!(store.kept_day("summary", day).expect("a read"), Some(kept(day, "v1;1:3", &value)), "bytes whole");
    assert_eq!(store.kept_day("summary", day + 2).expect("a read"), None, "another day");
    assert_eq!(store.kept_day("tally", day).expect("a read"), None, "another name");
    store.keep_days("summary", &[kept(day, "v1;1:4", b"[]")]).expect("a second keep");
    assert_eq!(store.kept_day("summary", day).expect("a read"), Some(kept(day, "v1;1:4", b"[]")), "replaced");
    assert_eq!(store.kept_day("summary", day + 1).expect("a read"), Some(kept(day + 1, "v1;2:1", b"{}")));
    let viewer = |name: &str, nation: &str| truce_access::Viewer {
        name: name.into(),
        nation: Some(nation.into()),
        role: truce_access::Role::Analyst,
        clearance: Marking::NatoUnclassified,
        categories: Default::default(),
    };
    let policy = truce_access::Policy::shipped();
    let fra = store.scoped(truce_access::Access::new(&policy, &viewer("fra", "FRA")));
    assert_eq!(fra.kept_day("summary", day).expect("a read"), None, "what the operator kept is not a viewer's");
    fra.keep_days("summary", &[kept(day, "v1;1:4", b"fra")]).expect("a viewer's keep");
    assert_eq!(fra.kept_day("summary", day).expect("a read").map(|k| k.value), Some(b"fra".to_vec()));
    let fra2 = store.scoped(truce_access::Access::new(&policy, &viewer("another", "FRA")));
    assert_eq!(fra2.kept_day("summary", day).expect("a read").map(|k| k.value), Some(b"fra".to_vec()), "one audience");
    let rus = store.scoped(truce_access::Access::new(&policy, &viewer("rus", "RUS")));
    assert_eq!(rus.kept_day("summary", day).expect("a read"), None, "another nation reads nothing kept for FRA");
    assert_eq!(store.kept_day("summary", day).expect("a read").map(|k| k.value), Some(b"[]".to_vec()), "untouched");
}

/// Reclassification rewrites every stored classification and what the filters search, and records the
/// agreement's fingerprint.
pub fn reclassification_rewrites_every_classification_and_filter(store: &dyn Store) {
    assert_eq!(store.agreement_fingerprint().expect("a fingerprint"), None);
    store.set_agreement_fingerprint("v1").expect("a fingerprint");
    store
        .insert(
            &(0..30)
                .map(|i| observation(&format!("r{i}"), i, 48.5, 37.5, Category::ExplosionImpact))
                .collect::<Vec<_>>(),
        )
        .expect("an insert");
    let n = store
        .reclassify("v2", &mut |_o| ClassificationRecord { zones: vec!["new_zone".into()], ..Default::default() })
        .expect("a reclassification");
    assert_eq!(n, 30);
    assert_eq!(store.agreement_fingerprint().expect("a fingerprint").as_deref(), Some("v2"));
    let stats = store.stats(&Query::default()).expect("stats");
    assert_eq!(stats.by_zone.get("new_zone"), Some(&30));
    assert!(stats.by_violation.is_empty());
    assert!(ids(store, &Query { violation: vec!["cfv_in_security_zone".into()], ..Query::default() }).is_empty());
    assert_eq!(ids(store, &Query { zone: Some("new_zone".into()), ..Query::default() }).len(), 30);
    assert_eq!(store.get("r3").expect("a get").expect("r3").classification.zones, ["new_zone"]);
}
