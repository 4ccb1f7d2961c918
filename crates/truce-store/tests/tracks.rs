#![allow(clippy::unwrap_used)]
//! Track history, the live picture and geofence events in a real SQLite file, across a reopen.

use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use truce_store::{GeofenceKind, GeofenceRow, SqliteStore, TrackRow};

const T0: OffsetDateTime = datetime!(2026-11-22 08:00 UTC);

fn point(uid: &str, type_: &str, second: i64, stale_minutes: i64) -> TrackRow {
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
    }
}

fn fence(uid: &str, second: i64, kind: GeofenceKind) -> GeofenceRow {
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
    }
}

#[test]
fn a_thousand_points_come_back_as_history_live_picture_and_catch_up_after_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let mut points = Vec::new();
    // 10 tracks, 100 reports each, one a second, interleaved as a server receives them.
    for s in 0..100 {
        for t in 0..10 {
            points.push(point(&format!("T{t}"), "a-f-G-U-C", s, 2));
        }
    }
    // A ping (not an atom) and a track whose last report went stale long ago.
    points.push(point("ping-1", "t-x-c-t", 99, 2));
    points.push(point("gone", "a-h-G-E-W-H", -3600, 2));
    let fences: Vec<GeofenceRow> = (0..10).map(|s| fence("T0", s * 10, GeofenceKind::Enter)).collect();
    {
        let store = SqliteStore::open(dir.path()).unwrap();
        store.insert_tracks(&points[..500], &fences[..5]).unwrap();
        store.insert_tracks(&points[500..], &fences[5..]).unwrap();
    }
    let store = SqliteStore::open(dir.path()).unwrap();

    let now = T0 + Duration::seconds(100);
    let live = store.latest_tracks(now).unwrap();
    assert_eq!(
        live.iter().map(|r| r.uid.as_str()).collect::<Vec<_>>(),
        (0..10).map(|t| format!("T{t}")).collect::<Vec<_>>()
    );
    assert!(live.iter().all(|r| r.time == T0 + Duration::seconds(99)), "the newest report of each uid");
    assert_eq!(live[3], point("T3", "a-f-G-U-C", 99, 2), "every field survives");
    // Three minutes later everything is stale.
    assert!(store.latest_tracks(now + Duration::minutes(3)).unwrap().is_empty());

    let history = store.track_history("T7", 5).unwrap();
    assert_eq!(
        history.iter().map(|r| r.time).collect::<Vec<_>>(),
        (95..100).rev().map(|s| T0 + Duration::seconds(s)).collect::<Vec<_>>()
    );
    assert_eq!(store.track_history("T7", 1000).unwrap().len(), 100);
    assert_eq!(store.track_history("ping-1", 10).unwrap().len(), 1, "pings are in the history");
    assert!(store.track_history("nobody", 10).unwrap().is_empty());

    let all = store.geofence_events(0, 100).unwrap();
    assert_eq!(all.len(), 10);
    assert_eq!(all.iter().map(|(_, g)| g.clone()).collect::<Vec<_>>(), fences);
    let seqs: Vec<i64> = all.iter().map(|(s, _)| *s).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]));
    let rest = store.geofence_events(seqs[6], 100).unwrap();
    assert_eq!(rest.iter().map(|(s, _)| *s).collect::<Vec<_>>(), seqs[7..]);
    assert_eq!(store.geofence_events(0, 3).unwrap().len(), 3);
}

#[test]
fn a_late_report_stays_in_the_history_but_does_not_replace_the_latest_position() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    store.insert_tracks(&[point("A", "a-f-G-U-C", 60, 10)], &[]).unwrap();
    store.insert_tracks(&[point("A", "a-f-G-U-C", 30, 10)], &[]).unwrap();
    let live = store.latest_tracks(T0 + Duration::seconds(61)).unwrap();
    assert_eq!(live.len(), 1);
    assert_eq!(live[0].time, T0 + Duration::seconds(60));
    let history = store.track_history("A", 10).unwrap();
    assert_eq!(
        history.iter().map(|r| r.time).collect::<Vec<_>>(),
        [T0 + Duration::seconds(60), T0 + Duration::seconds(30)]
    );
}

#[test]
fn a_geofence_event_stored_twice_is_kept_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    let g = fence("A", 0, GeofenceKind::Cross);
    store.insert_tracks(&[], std::slice::from_ref(&g)).unwrap();
    let mut changed = g.clone();
    changed.callsign = "SOMEONE-ELSE".into();
    store.insert_tracks(&[point("A", "a-f-G-U-C", 0, 1)], &[changed, fence("A", 1, GeofenceKind::Exit)]).unwrap();
    let all = store.geofence_events(0, 10).unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].1, g, "the first one stored wins");
    assert_eq!(all[1].1.kind, GeofenceKind::Exit);
    assert_eq!(store.track_history("A", 10).unwrap().len(), 1, "the points of that call are stored");
}

#[test]
fn a_point_without_classification_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    let mut p = point("ANDROID-1", "t-x-c-t", 0, 1);
    (p.lat, p.lon, p.ce, p.course, p.speed, p.callsign, p.group, p.classification) =
        (0.0, 0.0, 9_999_999.0, None, None, None, None, None);
    store.insert_tracks(std::slice::from_ref(&p), &[]).unwrap();
    assert_eq!(store.track_history("ANDROID-1", 1).unwrap(), [p]);
    assert!(store.latest_tracks(T0).unwrap().is_empty(), "not an atom");
}
