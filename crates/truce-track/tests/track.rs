#![allow(clippy::unwrap_used)]
//! The tracker against the shipped illustrative agreement: track points, weapon sightings and
//! geofence events as a watch officer would check them.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use truce_core::{Category, Confidence, LocationPrecision, Means};
use truce_cot::event::{Contact, Group, Remarks};
use truce_cot::{Detail, Event, Point};
use truce_engine::Agreement;
use truce_geo::LonLat;
use truce_track::{GeofenceKind, GeofenceRow, Processed, Source, Tracker, geofence_cot};

/// After the withdrawal phase: the base rules (artillery 25 km from the line) apply.
const T0: OffsetDateTime = datetime!(2026-11-25 06:00 UTC);

fn agreement() -> Arc<Agreement> {
    static A: OnceLock<Arc<Agreement>> = OnceLock::new();
    A.get_or_init(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/agreements/illustrative.toml");
        Arc::new(Agreement::load(&path).unwrap())
    })
    .clone()
}

fn source() -> Source {
    Source {
        identity: "MONITOR-7".into(),
        group: Some("Cyan".into()),
        peer: "tcp:127.0.0.1:5555".into(),
        label: Default::default(),
    }
}

fn event(uid: &str, type_: &str, lat: f64, lon: f64, second: i64) -> Event {
    let time = T0 + Duration::seconds(second);
    Event {
        version: "2.0".into(),
        uid: uid.into(),
        type_: type_.into(),
        how: "m-g".into(),
        time,
        start: time,
        stale: time + Duration::minutes(5),
        access: None,
        qos: None,
        opex: None,
        point: Point { lat, lon, hae: 120.0, ce: 5.0, le: 10.0 },
        detail: Detail {
            contact: Some(Contact { callsign: Some(uid.to_uppercase()), ..Contact::default() }),
            group: Some(Group { name: Some("Cyan".into()), role: Some("Team Member".into()) }),
            ..Detail::default()
        },
    }
}

/// Distance from the line of contact, metres, and the side, as the engine gives them.
fn from_line(lat: f64, lon: f64) -> (f64, Option<String>) {
    let a = agreement();
    let r = a.record(&a.classify(&truce_engine::Observation::at(LonLat::new(lon, lat))));
    let loc = &r.lines["loc"];
    (loc.distance_m, loc.side.clone())
}

fn kinds(p: &Processed) -> Vec<(GeofenceKind, &str)> {
    p.geofence.iter().map(|g| (g.kind, g.fence_id.as_str())).collect()
}

// A north-south road across the Zaporizhzhia sector, where the line runs east-west at about 47.49° N
// and Ukrainian-held ground is to the north.
const LON: f64 = 35.6;
const LAT_80_KM: f64 = 48.21;
const LAT_30_KM: f64 = 47.76;

#[test]
fn the_test_positions_are_where_the_tests_say() {
    let (d80, s80) = from_line(LAT_80_KM, LON);
    let (d30, s30) = from_line(LAT_30_KM, LON);
    assert!((75_000.0..85_000.0).contains(&d80), "{d80}");
    assert!((25_000.0..35_000.0).contains(&d30), "{d30}");
    assert_eq!((s80.as_deref(), s30.as_deref()), (Some("ukr"), Some("ukr")));
}

#[test]
fn a_friendly_track_moving_towards_the_line_enters_the_force_standoff_and_leaves_it_again() {
    let mut t = Tracker::new(agreement());
    let first = t.process(&event("alpha-1", "a-f-G-U-C", LAT_80_KM, LON, 0), &source(), T0);
    assert!(first.geofence.is_empty(), "80 km behind the line is outside every zone: {:?}", kinds(&first));
    assert!(first.observation.is_none());

    let closer = t.process(&event("alpha-1", "a-f-G-U-C", LAT_30_KM, LON, 60), &source(), T0);
    assert_eq!(kinds(&closer), [(GeofenceKind::Enter, "force_standoff")]);
    let g = &closer.geofence[0];
    assert_eq!(g.callsign, "ALPHA-1");
    assert_eq!(g.track_type, "a-f-G-U-C");
    assert_eq!(g.fence_name, "Reassurance force minimum stand-off (50 km from the line of contact)");
    assert_eq!(g.fence_kind, "force_standoff");
    assert_eq!((g.lat, g.lon, g.prev_lat, g.prev_lon), (LAT_30_KM, LON, Some(LAT_80_KM), Some(LON)));
    assert_eq!(g.time, T0 + Duration::seconds(60));
    assert_eq!(
        g.id,
        format!("gf-alpha-1-{}-force_standoff-enter", (T0 + Duration::seconds(60)).unix_timestamp() * 1000)
    );

    let same = t.process(&event("alpha-1", "a-f-G-U-C", LAT_30_KM + 0.001, LON, 70), &source(), T0);
    assert!(same.geofence.is_empty(), "still inside: no event");

    let back = t.process(&event("alpha-1", "a-f-G-U-C", LAT_80_KM, LON, 120), &source(), T0);
    assert_eq!(kinds(&back), [(GeofenceKind::Exit, "force_standoff")]);
}

#[test]
fn the_force_standoff_is_fenced_for_friendly_tracks_only() {
    let mut t = Tracker::new(agreement());
    for (uid, type_) in [("hostile", "a-h-G-U-C"), ("neutral", "a-n-G"), ("unknown", "a-u-G")] {
        t.process(&event(uid, type_, LAT_80_KM, LON, 0), &source(), T0);
        let p = t.process(&event(uid, type_, LAT_30_KM, LON, 60), &source(), T0);
        assert!(p.geofence.is_empty(), "{type_}: {:?}", kinds(&p));
    }
    t.process(&event("assumed", "a-a-G", LAT_80_KM, LON, 0), &source(), T0);
    let p = t.process(&event("assumed", "a-a-G", LAT_30_KM, LON, 60), &source(), T0);
    assert_eq!(kinds(&p), [(GeofenceKind::Enter, "force_standoff")]);
}

#[test]
fn a_track_first_seen_inside_a_zone_is_reported_inside() {
    let mut t = Tracker::new(agreement());
    let p = t.process(&event("bravo-2", "a-f-G-U-C", LAT_30_KM, LON, 0), &source(), T0);
    assert_eq!(kinds(&p), [(GeofenceKind::Inside, "force_standoff")]);
    assert_eq!((p.geofence[0].prev_lat, p.geofence[0].prev_lon), (None, None));
    // 10 km from the line: the security zone and its no-fly and no-mine bands as well.
    let lat_10_km = 47.58;
    let (d, _) = from_line(lat_10_km, LON);
    assert!((5_000.0..15_000.0).contains(&d), "{d}");
    let p = t.process(&event("charlie-3", "a-f-G-U-C", lat_10_km, LON, 0), &source(), T0);
    assert_eq!(
        kinds(&p),
        [
            (GeofenceKind::Inside, "security_zone"),
            (GeofenceKind::Inside, "no_fly"),
            (GeofenceKind::Inside, "no_mine"),
            (GeofenceKind::Inside, "force_standoff")
        ]
    );
}

#[test]
fn a_jump_across_a_disengagement_area_is_a_cross() {
    // da_siversk is the box 38.0047..38.0591 E, 48.7764..48.8124 N (data/geo/illustrative_zones.geojson).
    let (south, north) = ((48.74, 38.03), (48.85, 38.03));
    let a = agreement();
    let inside = |lat: f64, lon: f64| {
        a.classify(&truce_engine::Observation::at(LonLat::new(lon, lat)))
            .zones
            .iter()
            .any(|&z| a.zones[z].id == "da_siversk")
    };
    assert!(!inside(south.0, south.1) && !inside(north.0, north.1) && inside(48.79, 38.03));

    let mut t = Tracker::new(agreement());
    t.process(&event("delta-4", "a-f-G-U-C", south.0, south.1, 0), &source(), T0);
    let p = t.process(&event("delta-4", "a-f-G-U-C", north.0, north.1, 600), &source(), T0);
    let crossed: Vec<&GeofenceRow> = p.geofence.iter().filter(|g| g.fence_id == "da_siversk").collect();
    assert_eq!(crossed.len(), 1, "{:?}", kinds(&p));
    assert_eq!(crossed[0].kind, GeofenceKind::Cross);
    assert_eq!(crossed[0].fence_kind, "disengagement_area");
    assert!(!p.geofence.iter().any(|g| g.kind == GeofenceKind::Enter || g.kind == GeofenceKind::Exit));

    // A short hop that stays south of the box crosses nothing.
    let mut t = Tracker::new(agreement());
    t.process(&event("echo-5", "a-f-G-U-C", 48.74, 38.03, 0), &source(), T0);
    let p = t.process(&event("echo-5", "a-f-G-U-C", 48.76, 38.03, 60), &source(), T0);
    assert!(!p.geofence.iter().any(|g| g.fence_id == "da_siversk"), "{:?}", kinds(&p));
}

#[test]
fn crossing_the_line_of_contact_names_both_sides() {
    let mut t = Tracker::new(agreement());
    t.process(&event("foxtrot-6", "a-f-G-U-C", 47.52, LON, 0), &source(), T0);
    let p = t.process(&event("foxtrot-6", "a-f-G-U-C", 47.46, LON, 60), &source(), T0);
    let loc: Vec<&GeofenceRow> = p.geofence.iter().filter(|g| g.fence_id == "loc").collect();
    assert_eq!(loc.len(), 1, "{:?}", kinds(&p));
    assert_eq!((loc[0].kind, loc[0].fence_kind.as_str()), (GeofenceKind::Cross, "line"));
    assert_eq!((loc[0].from_side.as_deref(), loc[0].to_side.as_deref()), (Some("ukr"), Some("rus")));
    let cot = geofence_cot(loc[0], T0);
    let text = &cot.detail.remarks.as_ref().unwrap().text;
    assert_eq!(text, "FOXTROT-6 crossed Line of contact (approximate, 2025) from ukr to rus ground");
}

#[test]
fn a_late_report_does_not_move_the_track_back() {
    let mut t = Tracker::new(agreement());
    t.process(&event("golf-7", "a-f-G-U-C", LAT_80_KM, LON, 100), &source(), T0);
    let late = t.process(&event("golf-7", "a-f-G-U-C", LAT_30_KM, LON, 50), &source(), T0);
    assert!(late.geofence.is_empty());
    assert!(late.point.classification.is_some(), "still in the history, classified");
    let next = t.process(&event("golf-7", "a-f-G-U-C", LAT_80_KM, LON, 160), &source(), T0);
    assert!(next.geofence.is_empty(), "compared with the newest position, not the late one");
}

#[test]
fn a_hostile_howitzer_near_the_line_is_a_weapon_sighting_with_the_engines_violation() {
    let a = agreement();
    let (lat, lon) = (47.55, LON);
    let (d, side) = from_line(lat, lon);
    assert!(d < 25_000.0 && side.as_deref() == Some("ukr"), "{d} {side:?}");

    let mut ev = event("marker-1", "a-h-G-E-W-H", lat, lon, 0);
    ev.how = "h-g-i-g-o".into();
    ev.detail.contact = Some(Contact { callsign: Some("H.1".into()), ..Contact::default() });
    ev.detail.group = None;
    ev.detail.remarks = Some(Remarks { text: "  2S19 in a tree line, barrel east \n".into(), ..Remarks::default() });
    let mut t = Tracker::new(a.clone());
    let p = t.process(&ev, &source(), T0 + Duration::seconds(3));
    assert!(p.geofence.is_empty(), "weapon marks are not geofenced");
    let o = &p.observation.expect("a sighting");
    assert_eq!(o.id, "cot-marker-1");
    assert_eq!(o.category, Category::WeaponSighting);
    assert_eq!(o.weapon_class.as_deref(), Some("artillery_100mm"));
    assert_eq!(o.count, Some(1));
    assert_eq!(o.confidence, Some(Confidence::Probable));
    assert_eq!((o.time, o.lat, o.lon, o.location_precision), (T0, lat, lon, LocationPrecision::Exact));
    assert_eq!(o.observer.means, Means::TakDevice);
    assert_eq!(o.observer.callsign.as_deref(), Some("MONITOR-7"));
    assert_eq!(o.observer.team.as_deref(), Some("Cyan"));
    assert_eq!(o.text.as_deref(), Some("2S19 in a tree line, barrel east"));
    assert_eq!(o.source_ref.as_deref(), Some("cot:marker-1 via MONITOR-7"));
    assert_eq!(o.party, None, "the engine attributes it by the side it stands on");

    // What the pipeline classifies is the engine's observation of that position and class, and holds
    // the withdrawal violation.
    let direct = truce_engine::Observation {
        time: Some(T0),
        position: LonLat::new(lon, lat),
        category: Some(Category::WeaponSighting),
        weapon_class: a.class("artillery_100mm"),
        count: Some(1),
        party: None,
    };
    assert_eq!(a.observation(o).unwrap(), direct);
    let classification = a.classify_record(o);
    let v = classification
        .violations
        .iter()
        .find(|v| v.code == "weapon_forward_of_withdrawal_line")
        .expect("a withdrawal violation");
    assert_eq!(
        (v.class.as_deref(), v.party.as_deref(), v.required_m),
        (Some("artillery_100mm"), Some("ukr"), Some(25_000.0))
    );

    // The same marker moved later: the same observation id (a duplicate for the log), a new track point.
    let mut moved = ev.clone();
    moved.time += Duration::minutes(5);
    moved.point.lat += 0.01;
    let p2 = t.process(&moved, &source(), T0 + Duration::minutes(5));
    assert_eq!(p2.observation.unwrap().id, "cot-marker-1");
    assert_eq!(p2.point.lat, lat + 0.01);
}

#[test]
fn a_sighting_passes_the_observation_apis_validation_unchanged() {
    let a = agreement();
    let mut t = Tracker::new(a.clone());
    for type_ in ["a-h-G-E-W-H", "a-u-G-E-W", "a-s-G-E-V-A-T", "a-k-G-E-W-X-H"] {
        let mut ev = event(&format!("m-{type_}"), type_, 47.6, LON, 0);
        ev.point.ce = 9_999_999.0;
        let o = t.process(&ev, &source(), T0).observation.unwrap();
        assert_eq!(o.location_precision, LocationPrecision::Estimated);
        let json = serde_json::to_value(&o).unwrap();
        let options = truce_formats::observation::Options { reject_unknown: true, default_means: Means::Patrol };
        let back = truce_formats::observation::from_json(json.as_object().unwrap(), options)
            .unwrap_or_else(|e| panic!("{type_}: {e:?}"));
        assert_eq!(back, o, "{type_}");
        assert!(a.observation(&back).is_ok(), "{type_}: every reference is the agreement's");
    }
}

#[test]
fn only_hostile_looking_weapon_marks_are_sightings_and_unknown_codes_have_no_class() {
    let mut t = Tracker::new(agreement());
    let friendly = t.process(&event("own-gun", "a-f-G-E-W-H", 47.6, LON, 0), &source(), T0);
    assert!(friendly.observation.is_none());
    assert_eq!(kinds(&friendly).len(), 4, "a friendly gun is a track like any other");

    let unknown = t.process(&event("aa-gun", "a-u-G-E-W-A", 47.6, LON, 0), &source(), T0);
    let o = unknown.observation.unwrap();
    assert_eq!((o.weapon_class, o.confidence), (None, Some(Confidence::Possible)));

    let generic = t.process(&event("weapon", "a-j-G-E-W", 47.6, LON, 0), &source(), T0);
    assert_eq!(generic.observation.unwrap().weapon_class, None);

    let unit = t.process(&event("hostile-unit", "a-h-G-U-C-I", 47.6, LON, 0), &source(), T0);
    assert!(unit.observation.is_none(), "a unit is not a weapon");
    assert!(!unit.geofence.is_empty(), "but it is a track");
}

#[test]
fn a_class_the_agreement_does_not_have_is_left_out() {
    let a = agreement();
    let text = std::fs::read_to_string(&a.source).unwrap();
    // The same agreement without tanks (their withdrawal rules and the class itself).
    let start = text.find("[[weapon_classes]]\nid = \"tanks\"").unwrap();
    let end = start + text[start..].find("\n\n").unwrap();
    let without: String = format!("{}{}", &text[..start], &text[end..])
        .lines()
        .filter(|l| !l.contains("class = \"tanks\""))
        .map(|l| format!("{l}\n"))
        .collect();
    let b = Arc::new(Agreement::from_toml(&without, &a.source).unwrap());
    assert!(b.class("tanks").is_none());
    let mut t = Tracker::new(b);
    let o = t.process(&event("t-72", "a-h-G-E-V-A-T", 47.6, LON, 0), &source(), T0).observation.unwrap();
    assert_eq!(o.weapon_class, None);
}

#[test]
fn a_ping_without_a_position_is_stored_but_not_classified() {
    let mut t = Tracker::new(agreement());
    let mut ping = event("ANDROID-abc", "t-x-c-t", 0.0, 0.0, 0);
    ping.point.ce = 9_999_999.0;
    ping.detail = Detail::default();
    let p = t.process(&ping, &source(), T0);
    assert_eq!(p.point.uid, "ANDROID-abc");
    assert_eq!(p.point.type_, "t-x-c-t");
    assert_eq!(p.point.classification, None);
    assert!(p.observation.is_none() && p.geofence.is_empty());
    assert_eq!(truce_cot::xml::parse_event(p.point.xml.as_bytes()).unwrap(), ping, "the whole event is kept");
    // A weapon mark without a position is not a sighting either.
    let p = t.process(&event("nowhere", "a-h-G-E-W-H", 0.0, 0.0, 0), &source(), T0);
    assert!(p.observation.is_none() && p.point.classification.is_none());
    assert_eq!(t.tracks(), 0);
}

#[test]
fn a_track_point_carries_the_event_and_its_classification() {
    let mut t = Tracker::new(agreement());
    let mut ev = event("alpha-1", "a-f-G-U-C", LAT_30_KM, LON, 0);
    ev.detail.track = Some(truce_cot::event::Track { course: Some(180.0), speed: Some(12.5) });
    let p = t.process(&ev, &source(), T0 + Duration::seconds(1));
    let r = &p.point;
    assert_eq!((r.callsign.as_deref(), r.group.as_deref()), (Some("ALPHA-1"), Some("Cyan")));
    assert_eq!((r.source.as_str(), r.peer.as_str()), ("MONITOR-7", "tcp:127.0.0.1:5555"));
    assert_eq!((r.course, r.speed, r.hae, r.ce), (Some(180.0), Some(12.5), 120.0, 5.0));
    assert_eq!((r.time, r.stale, r.received_at), (T0, T0 + Duration::minutes(5), T0 + Duration::seconds(1)));
    let c: serde_json::Value = serde_json::from_str(r.classification.as_deref().unwrap()).unwrap();
    assert_eq!(c["zones"], serde_json::json!(["force_standoff"]));
    assert_eq!(c["lines"]["loc"]["side"], "ukr");
    let d = c["lines"]["loc"]["distance_m"].as_f64().unwrap();
    assert!((25_000.0..35_000.0).contains(&d), "{d}");
    assert!(c["lines"]["loc_rus"]["distance_m"].is_number());
    assert_eq!(truce_cot::xml::parse_event(r.xml.as_bytes()).unwrap(), ev);
}

#[test]
fn the_geofence_alert_is_a_valid_atak_event_linked_to_the_track() {
    let mut t = Tracker::new(agreement());
    t.process(&event("alpha-1", "a-f-G-U-C", LAT_80_KM, LON, 0), &source(), T0);
    let p = t.process(&event("alpha-1", "a-f-G-U-C", LAT_30_KM, LON, 60), &source(), T0);
    let now = T0 + Duration::seconds(61);
    let cot = geofence_cot(&p.geofence[0], now);
    cot.validate().unwrap();
    assert_eq!((cot.type_.as_str(), cot.how.as_str()), ("b-a-g", "h-g-i-g-o"));
    assert_eq!(cot.uid, p.geofence[0].id);
    assert_eq!((cot.time, cot.stale), (now, now + Duration::minutes(10)));
    assert_eq!((cot.point.lat, cot.point.lon), (LAT_30_KM, LON));
    assert_eq!(
        cot.detail.remarks.as_ref().unwrap().text,
        "ALPHA-1 entered Reassurance force minimum stand-off (50 km from the line of contact)"
    );
    let link = &cot.detail.links[0];
    assert_eq!(
        (link.uid.as_deref(), link.type_.as_deref(), link.relation.as_deref()),
        (Some("alpha-1"), Some("a-f-G-U-C"), Some("p-p"))
    );
    assert_eq!(cot.detail.contact.as_ref().unwrap().callsign.as_deref(), Some("truce"));
    let xml = truce_cot::xml::to_xml(&cot);
    assert_eq!(truce_cot::xml::parse_event(xml.as_bytes()).unwrap(), cot);
}

#[test]
fn processed_events_go_into_the_store_and_an_edited_marker_is_not_stored_over_the_first() {
    use truce_store::{ObservationStore, SqliteStore, TrackStore};
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    let a = agreement();
    let mut t = Tracker::new(a.clone());
    let marker = event("marker-9", "a-h-G-E-W-X-H", 47.6, LON, 0);
    let mut edited = marker.clone();
    edited.time += Duration::minutes(1);
    edited.point.lon += 0.01;
    let events = [
        event("alpha-1", "a-f-G-U-C", LAT_80_KM, LON, 0),
        marker,
        event("alpha-1", "a-f-G-U-C", LAT_30_KM, LON, 60),
        edited,
    ];
    let mut reports = Vec::new();
    for ev in &events {
        let p = t.process(ev, &source(), ev.time);
        store.insert_tracks(std::slice::from_ref(&p.point), &p.geofence).unwrap();
        if let Some(o) = p.observation {
            let classification = a.classify_record(&o);
            let stored = truce_core::StoredObservation { observation: o, classification, received_at: ev.time };
            reports.push(store.insert(&[stored]));
        }
    }
    assert_eq!(reports[0].as_ref().unwrap().inserted, ["cot-marker-9"]);
    // The edited marker is other content under the same id: the store refuses it, naming what differs
    // (the TAK feed keeps the first report as the observation; see truce-node's tak source).
    match &reports[1] {
        Err(truce_store::StoreError::Conflict(c)) => assert_eq!(c[0].fields, ["lon", "time"]),
        other => panic!("expected a conflict, got {other:?}"),
    }
    let stored = store.get("cot-marker-9").unwrap().unwrap();
    assert_eq!(stored.observation.weapon_class.as_deref(), Some("heavy_mlrs"));
    assert_eq!(stored.observation.lon, LON, "the first report is the observation");
    assert_eq!(store.track_history("marker-9", 10).unwrap().len(), 2, "both reports are in the history");
    let live = store.latest_tracks(T0 + Duration::seconds(90)).unwrap();
    assert_eq!(
        live.iter().map(|r| (r.uid.as_str(), r.lat)).collect::<Vec<_>>(),
        [("alpha-1", LAT_30_KM), ("marker-9", 47.6)]
    );
    let fences = store.geofence_events(0, 10).unwrap();
    assert_eq!(fences.len(), 1);
    assert_eq!((fences[0].1.kind, fences[0].1.fence_id.as_str()), (GeofenceKind::Enter, "force_standoff"));
}

#[test]
fn a_track_that_stops_on_the_line_and_goes_on_to_the_other_side_crosses_once() {
    // A vertex of the line of contact (data/geo/contact_line_2025_approx.geojson).
    let (lat, lon) = (47.44306, 35.82611);
    let (d, side) = from_line(lat, lon);
    assert!(d < 0.01 && side.is_none(), "on the line: {d} {side:?}");
    let mut t = Tracker::new(agreement());
    let crossings = |p: &Processed| -> Vec<(Option<String>, Option<String>)> {
        p.geofence.iter().filter(|g| g.fence_id == "loc").map(|g| (g.from_side.clone(), g.to_side.clone())).collect()
    };
    let a = t.process(&event("hotel-8", "a-f-G-U-C", lat + 0.02, lon, 0), &source(), T0);
    let b = t.process(&event("hotel-8", "a-f-G-U-C", lat, lon, 60), &source(), T0);
    let c = t.process(&event("hotel-8", "a-f-G-U-C", lat - 0.02, lon, 120), &source(), T0);
    assert!(crossings(&a).is_empty() && crossings(&b).is_empty());
    assert_eq!(crossings(&c), [(Some("ukr".to_owned()), Some("rus".to_owned()))]);
}

#[test]
fn a_tracker_resumed_from_the_store_does_not_report_known_tracks_as_first_seen() {
    let mut before = Tracker::new(agreement());
    let first = before.process(&event("alpha-1", "a-f-G-U-C", LAT_30_KM, LON, 0), &source(), T0);
    assert_eq!(kinds(&first), [(GeofenceKind::Inside, "force_standoff")]);

    // A restart: a new tracker that has only the store's latest row of the track.
    let mut after = Tracker::new(agreement());
    after.resume(std::slice::from_ref(&first.point));
    assert_eq!(after.tracks(), 1);
    let next = after.process(&event("alpha-1", "a-f-G-U-C", LAT_30_KM + 0.001, LON, 60), &source(), T0);
    assert!(next.geofence.is_empty(), "still inside, not first seen: {:?}", kinds(&next));
    let out = after.process(&event("alpha-1", "a-f-G-U-C", LAT_80_KM, LON, 120), &source(), T0);
    assert_eq!(kinds(&out), [(GeofenceKind::Exit, "force_standoff")]);

    // A fresh tracker without the row would have said `inside` again.
    let mut forgetful = Tracker::new(agreement());
    let again = forgetful.process(&event("alpha-1", "a-f-G-U-C", LAT_30_KM + 0.001, LON, 60), &source(), T0);
    assert_eq!(kinds(&again), [(GeofenceKind::Inside, "force_standoff")]);
}

/// A vessel report from the AIS feed at (lat, lon), `second` after T0.
fn vessel(ship_type: u8, lat: f64, lon: f64, second: i64) -> Event {
    let c = truce_track::contact::Contact {
        id: 273_456_789,
        kind: Some(truce_track::contact::Kind::Vessel),
        time: Some(T0 + Duration::seconds(second)),
        lat,
        lon,
        ship_type: Some(ship_type),
        name: Some("VITYAZ".into()),
        ..Default::default()
    };
    c.to_event(T0)
}

#[test]
fn a_military_vessel_entering_the_maritime_exclusion_zone_is_observed_once_and_a_merchant_is_not() {
    let ais =
        Source { identity: "ais".into(), group: None, peer: "tcp:127.0.0.1:10110".into(), label: Default::default() };
    let mut t = Tracker::new(agreement());
    // East of the zone (31.9 E), then inside (31.0 E), then further inside.
    let outside = t.process(&vessel(35, 45.5, 31.9, 0), &ais, T0);
    assert!(outside.observation.is_none() && outside.geofence.is_empty());
    let entry = t.process(&vessel(35, 45.5, 31.0, 600), &ais, T0);
    assert!(entry.geofence.iter().any(|g| g.fence_id == "mez_northwest" && g.kind == GeofenceKind::Enter));
    let o = entry.observation.expect("an observation of the entry");
    assert_eq!(
        (o.category, o.observer.means, o.confidence),
        (Category::Vessel, Means::Sensor, Some(Confidence::Probable))
    );
    assert_eq!(o.id, format!("ais-273456789-mez_northwest-{}", (T0 + Duration::seconds(600)).unix_timestamp()));
    assert_eq!(o.direction, None, "no course reported");
    let inside = t.process(&vessel(35, 45.5, 30.9, 1200), &ais, T0);
    assert!(inside.observation.is_none(), "one observation per entry, not per report");

    // A tanker on the same path enters the zone too, but only military vessels are barred there.
    let mut t = Tracker::new(agreement());
    t.process(&vessel(80, 45.5, 31.9, 0), &ais, T0);
    let entry = t.process(&vessel(80, 45.5, 31.0, 600), &ais, T0);
    assert!(entry.geofence.iter().any(|g| g.fence_id == "mez_northwest"));
    assert!(entry.observation.is_none());
}
