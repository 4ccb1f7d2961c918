//! Track history, the live picture and geofence events.

use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use truce_core::{GeofenceKind, GeofenceRow, TrackRow};

use crate::Store;

const T0: OffsetDateTime = datetime!(2026-11-22 08:00 UTC);

/// A report of `uid` `second`s after 2026-11-22 08:00 UTC, stale `stale_minutes` later.
pub fn point(uid: &str, type_: &str, second: i64, stale_minutes: i64) -> TrackRow {
    let time = T0 + Duration::seconds(second);
    TrackRow {
        uid: uid.into(),
        type_: type_.into(),
        how: "m-g".into(),
        callsign: Some(format!("CS-{uid}")),
        group: Some("Cyan".into()),
        source: "monitor.a".into(),
        peer: "tcp:127.0.0.1:5555".into(),
        time,
        start: time,
        stale: time + Duration::minutes(stale_minutes),
        received_at: time + Duration::milliseconds(250),
        lat: 48.0 + second as f64 * 1e-4,
        lon: 37.0,
        hae: 120.5,
        ce: 4.9,
        course: Some(90.0),
        speed: Some(11.5),
        classification: Some("{\"lines\":{},\"zones\":[]}".into()),
        xml: format!("<event uid=\"{uid}\"/>"),
        label: truce_core::Label::default(),
    }
}

/// A geofence event of `uid` on the force stand-off, `second`s after 2026-11-22 08:00 UTC.
pub fn fence(uid: &str, second: i64, kind: GeofenceKind) -> GeofenceRow {
    let time = T0 + Duration::seconds(second);
    GeofenceRow {
        id: format!("gf-{uid}-{}-force_standoff-{kind}", (time.unix_timestamp_nanos() / 1_000_000)),
        uid: uid.into(),
        callsign: format!("CS-{uid}"),
        track_type: "a-f-G-U-C".into(),
        kind,
        fence_id: "force_standoff".into(),
        fence_name: "Reassurance force minimum stand-off".into(),
        fence_kind: "force_standoff".into(),
        from_side: None,
        to_side: None,
        time,
        lat: 48.1,
        lon: 37.2,
        prev_lat: Some(48.0),
        prev_lon: Some(37.0),
        label: truce_core::Label::default(),
    }
}

/// 10 tracks, 100 reports each, one a second, interleaved as a server receives them, in two calls.
fn ten_tracks(store: &dyn Store) {
    let mut points = Vec::new();
    for s in 0..100 {
        for t in 0..10 {
            points.push(point(&format!("T{t}"), "a-f-G-U-C", s, 2));
        }
    }
    store.insert_tracks(&points[..500], &[]).expect("an insert");
    store.insert_tracks(&points[500..], &[]).expect("an insert");
}

/// A uid's history comes back newest first, at most `limit` rows; pings are in it too.
pub fn the_history_is_newest_first_and_limited(store: &dyn Store) {
    ten_tracks(store);
    store.insert_tracks(&[point("ping-1", "t-x-c-t", 99, 2)], &[]).expect("an insert");
    let history = store.track_history("T7", 5).expect("a history");
    assert_eq!(
        history.iter().map(|r| r.time).collect::<Vec<_>>(),
        (95..100).rev().map(|s| T0 + Duration::seconds(s)).collect::<Vec<_>>()
    );
    assert_eq!(store.track_history("T7", 1000).expect("a history").len(), 100);
    assert_eq!(store.track_history("ping-1", 10).expect("a history").len(), 1, "pings are in the history");
    assert!(store.track_history("nobody", 10).expect("a history").is_empty());
}

/// The live picture: the newest report of every atom (`a-*`) uid not yet stale, ordered by uid, every
/// field intact.
pub fn the_live_picture_is_the_latest_unstale_atom_of_each_uid(store: &dyn Store) {
    ten_tracks(store);
    store
        .insert_tracks(&[point("ping-1", "t-x-c-t", 99, 2), point("gone", "a-h-G-E-W-H", -3600, 2)], &[])
        .expect("an insert");
    let now = T0 + Duration::seconds(100);
    let live = store.latest_tracks(now).expect("the live picture");
    assert_eq!(
        live.iter().map(|r| r.uid.as_str()).collect::<Vec<_>>(),
        (0..10).map(|t| format!("T{t}")).collect::<Vec<_>>()
    );
    assert!(live.iter().all(|r| r.time == T0 + Duration::seconds(99)), "the newest report of each uid");
    assert_eq!(live[3], point("T3", "a-f-G-U-C", 99, 2), "every field survives");
    assert!(store.latest_tracks(now + Duration::minutes(3)).expect("the live picture").is_empty(), "all stale");
}

/// A report older than the latest one of its uid is kept in the history only.
pub fn a_late_report_does_not_replace_the_latest_position(store: &dyn Store) {
    store.insert_tracks(&[point("A", "a-f-G-U-C", 60, 10)], &[]).expect("an insert");
    store.insert_tracks(&[point("A", "a-f-G-U-C", 30, 10)], &[]).expect("an insert");
    let live = store.latest_tracks(T0 + Duration::seconds(61)).expect("the live picture");
    assert_eq!(live.len(), 1);
    assert_eq!(live[0].time, T0 + Duration::seconds(60));
    let history = store.track_history("A", 10).expect("a history");
    assert_eq!(
        history.iter().map(|r| r.time).collect::<Vec<_>>(),
        [T0 + Duration::seconds(60), T0 + Duration::seconds(30)]
    );
}

/// A geofence event stored twice is kept once (the first wins); events come back in order with
/// increasing sequence numbers that a client catches up from.
pub fn a_geofence_event_is_stored_once_and_caught_up_by_sequence(store: &dyn Store) {
    let fences: Vec<GeofenceRow> = (0..10).map(|s| fence("T0", s * 10, GeofenceKind::Enter)).collect();
    store.insert_tracks(&[], &fences[..5]).expect("an insert");
    let mut changed = fences[2].clone();
    changed.callsign = "SOMEONE-ELSE".into();
    store.insert_tracks(&[point("T0", "a-f-G-U-C", 0, 1)], &[&[changed], &fences[5..]].concat()).expect("an insert");
    let all = store.geofence_events(0, 100).expect("geofence events");
    assert_eq!(all.iter().map(|(_, g)| g.clone()).collect::<Vec<_>>(), fences, "the first one stored wins");
    let seqs: Vec<i64> = all.iter().map(|(s, _)| *s).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "increasing sequence numbers: {seqs:?}");
    let rest = store.geofence_events(seqs[6], 100).expect("geofence events");
    assert_eq!(rest.iter().map(|(s, _)| *s).collect::<Vec<_>>(), seqs[7..]);
    assert_eq!(store.geofence_events(0, 3).expect("geofence events").len(), 3);
    assert_eq!(store.track_history("T0", 10).expect("a history").len(), 1, "the points of that call are stored");
}

/// A report without course, speed, callsign, group or classification round-trips.
pub fn a_point_without_position_details_round_trips(store: &dyn Store) {
    let mut p = point("ANDROID-1", "t-x-c-t", 0, 1);
    (p.lat, p.lon, p.ce, p.course, p.speed, p.callsign, p.group, p.classification) =
        (0.0, 0.0, 9_999_999.0, None, None, None, None, None);
    store.insert_tracks(std::slice::from_ref(&p), &[]).expect("an insert");
    assert_eq!(store.track_history("ANDROID-1", 1).expect("a history"), [p]);
    assert!(store.latest_tracks(T0).expect("the live picture").is_empty(), "not an atom");
}

/// A window of the history holds every uid's atom points inside it, oldest first (then by arrival),
/// paged without a gap or a repeat; the box and the reader's access narrow it; a foreign cursor is
/// refused.
pub fn a_window_of_every_uid_is_oldest_first_and_paged(store: &dyn Store) {
    // A and B interleaved a second apart, a ping (not an atom), and a point of A arriving late.
    let mut points: Vec<TrackRow> =
        (0..20).map(|i| point(if i % 2 == 0 { "A" } else { "B" }, "a-f-G-U-C", i, 10)).collect();
    points.push(point("ping-1", "t-x-c-t", 5, 10));
    store.insert_tracks(&points, &[]).expect("an insert");
    store.insert_tracks(&[point("A", "a-f-G-U-C", 3, 10)], &[]).expect("a late insert");
    let window = crate::TrackWindow {
        since: Some(T0 + Duration::seconds(2)),
        until: Some(T0 + Duration::seconds(12)),
        limit: 3,
        ..Default::default()
    };
    let mut all = Vec::new();
    let mut w = window.clone();
    loop {
        let page = store.track_window(&w).expect("a page");
        assert!(page.items.len() <= 3);
        all.extend(page.items.iter().map(|p| (p.uid.clone(), (p.time - T0).whole_seconds())));
        match page.next {
            Some(c) => w.cursor = Some(c),
            None => break,
        }
    }
    let expect: Vec<(String, i64)> = (2..12)
        .flat_map(|i| {
            let uid = if i % 2 == 0 { "A" } else { "B" };
            let mut v = vec![(uid.to_owned(), i)];
            if i == 3 {
                v.push(("A".to_owned(), 3));
            }
            v
        })
        .collect();
    assert_eq!(all, expect, "oldest first, the late point after the one it ties with, no ping");
    let full = store.track_window(&crate::TrackWindow { limit: 100, ..window.clone() }).expect("a page");
    assert_eq!(full.items.len(), 11);
    assert!(full.next.is_none(), "a page that holds the rest has no next");
    assert_eq!(full.items[0], point("A", "a-f-G-U-C", 2, 10), "every field survives");
    // Points of second i are at latitude 48 + i·1e-4: a box around seconds 4..=6, and one whose edge is
    // exactly a point's position (edges included).
    let boxed = crate::TrackWindow { bbox: Some([36.0, 48.00035, 38.0, 48.00065]), limit: 100, ..window.clone() };
    let got: Vec<i64> =
        store.track_window(&boxed).expect("a page").items.iter().map(|p| (p.time - T0).whole_seconds()).collect();
    assert_eq!(got, [4, 5, 6]);
    let edge = crate::TrackWindow { bbox: Some([37.0, 48.0, 37.0, 48.00025]), limit: 100, ..window.clone() };
    let got: Vec<i64> =
        store.track_window(&edge).expect("a page").items.iter().map(|p| (p.time - T0).whole_seconds()).collect();
    assert_eq!(got, [2], "longitude 37 is on both edges of the box");
    let bad = crate::TrackWindow { cursor: Some("x".into()), ..window.clone() };
    assert!(matches!(store.track_window(&bad), Err(crate::StoreError::BadCursor(_))));
    // A reader who may not see a point does not get it.
    let mut secret = point("S", "a-h-G", 4, 10);
    secret.label.marking = truce_core::Marking::NatoSecret;
    store.insert_tracks(&[secret], &[]).expect("an insert");
    let viewer = truce_access::Viewer {
        name: "r".into(),
        nation: Some("GBR".into()),
        role: truce_access::Role::Analyst,
        clearance: truce_core::Marking::NatoRestricted,
        categories: Default::default(),
    };
    let low = store.scoped(truce_access::Access::new(&truce_access::Policy::shipped(), &viewer));
    let w = crate::TrackWindow { limit: 100, ..window };
    assert!(store.track_window(&w).expect("a page").items.iter().any(|p| p.uid == "S"));
    assert!(!low.track_window(&w).expect("a page").items.iter().any(|p| p.uid == "S"));
}
