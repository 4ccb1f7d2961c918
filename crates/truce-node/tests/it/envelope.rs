//! The form of an event between nodes: every kind decodes to an event that every viewer receives
//! exactly as from the node that made it; every wrong message is refused with its field and reason.

use std::sync::Arc;

use time::macros::datetime;
use truce_core::{GeofenceKind, GeofenceRow, Label, Marking, TrackRow};
use truce_node::envelope::{self, DecodeError};
use truce_node::{Event, EventKind, TakRelay};

use crate::{node, observation};

fn secret_gbr() -> Label {
    Label { marking: Marking::NatoSecret, releasable_to: vec!["GBR".into()], ..Label::default() }
}

fn track() -> TrackRow {
    let t = datetime!(2026-11-25 02:00:00.123456789 UTC);
    TrackRow {
        uid: "alpha-1".into(),
        type_: "a-f-G-U-C".into(),
        how: "m-g".into(),
        callsign: Some("ALPHA".into()),
        group: None,
        source: "alpha".into(),
        peer: "tcp:127.0.0.1:5555".into(),
        time: t,
        start: t,
        stale: t + time::Duration::minutes(5),
        received_at: t,
        lat: 47.7,
        lon: 35.6,
        hae: 9_999_999.0,
        ce: 5.0,
        course: Some(90.5),
        speed: None,
        classification: Some(r#"{"lines":{},"zones":["security_zone"]}"#.into()),
        xml: "<event uid=\"alpha-1\"/>".into(),
        label: secret_gbr(),
    }
}

/// One event of every kind, as nodes make them.
fn every_kind(dir: &std::path::Path) -> Vec<Event> {
    let n = node(dir);
    let at = datetime!(2026-11-25 02:00 UTC);
    let stored = Arc::new(
        n.prepare(observation("a", 46.6354, 32.6169, "explosion_impact", None), at, &truce_access::Access::all())
            .unwrap(),
    );
    let geofence = GeofenceRow {
        id: "gf-1".into(),
        uid: "alpha-1".into(),
        callsign: "ALPHA".into(),
        track_type: "a-f-G-U-C".into(),
        kind: GeofenceKind::Cross,
        fence_id: "line".into(),
        fence_name: "Line".into(),
        fence_kind: "line".into(),
        from_side: Some("UA".into()),
        to_side: Some("RU".into()),
        time: at,
        lat: 47.7,
        lon: 35.6,
        prev_lat: Some(47.6),
        prev_lon: None,
        label: secret_gbr(),
    };
    let alert: truce_node::watch::Alert = serde_json::from_value(serde_json::json!({
        "seq": 7, "at": "2026-11-25T02:00:00Z", "scope": "pokrovsk", "name": "Pokrovsk",
        "level": "elevated", "previous": "normal", "reasons": []
    }))
    .unwrap();
    let case: truce_watch::case::Case = serde_json::from_value(serde_json::json!({
        "id": "case-0123456789", "title": "Shelling", "opened_at": "2026-11-25T02:00:00Z", "stage": "evidence",
        "incidents": ["inc-1"], "observations": ["a"], "actions": []
    }))
    .unwrap();
    let detection = truce_detect::Alert {
        detector: truce_detect::Detector::GoingDark,
        time: at,
        tracks: vec![(truce_detect::Kind::Vessel, 273_456_789)],
        evidence: Vec::new(),
        area: Some(truce_detect::Area::Point(truce_detect::LonLat { lon: 33.1, lat: 46.2 })),
        figures: vec![truce_detect::Figure { name: "gap_h", value: 7.5 }],
        summary: "Dark for 7.5 h".into(),
    };
    let ack = truce_store::AlertAck { seq: 7, by: "watch".into(), at, note: "seen".into() };
    vec![
        Event::observation(stored.clone()).in_sector(Some("zaporizhzhia")),
        Event::withdrawn(stored),
        Event::track(Arc::new(track())).in_sector(Some("odd sector/é")),
        Event::geofence(Arc::new(geofence)),
        Event::alert(Arc::new(alert), secret_gbr(), "GBR|NS|"),
        Event::case(Arc::new(case), secret_gbr()),
        Event::alert_ack(Arc::new(ack), secret_gbr(), at, "GBR|NS|"),
        Event::detection(Arc::new(detection), secret_gbr()).in_sector(Some("kherson")),
        Event::tak(chat(), at),
        Event::tak(position(), at),
        Event::tak(
            TakRelay::Notify {
                label: secret_gbr(),
                cot: "<event uid=\"n-1\"/>".into(),
                uids: vec!["ANDROID-1".into()],
            },
            at,
        ),
        Event::tak(
            TakRelay::Subscribed {
                label: secret_gbr(),
                mission: "ops".into(),
                uid: "ANDROID-1".into(),
                subscribed: true,
            },
            at,
        ),
        Event::tak(TakRelay::MissionDeleted { label: secret_gbr(), mission: "ops".into() }, at),
    ]
}

/// A device's position, as its node relays it (live).
fn position() -> TakRelay {
    TakRelay::Position {
        label: secret_gbr(),
        cot: "<event uid=\"ANDROID-1\" type=\"a-f-G-U-C\"/>".into(),
        group: Some("Cyan".into()),
        nonce: "0c4d5e6f-1a2b-4c3d-8e9f-a0b1c2d3e4f5".into(),
    }
}

/// A chat message a device sent to one callsign, as its node relays it.
fn chat() -> TakRelay {
    TakRelay::Message {
        label: secret_gbr(),
        cot: "<event uid=\"GeoChat.a.b.1\" type=\"b-t-f\"><detail><marti><dest callsign=\"BRAVO\"/></marti></detail></event>"
            .into(),
        group: Some("Cyan".into()),
        nonce: "5f0c1c44-7a4e-4d8b-9a3e-2b1f0e6d7c8a".into(),
    }
}

#[test]
fn every_kind_arrives_as_it_left_with_its_label_audience_and_sector() {
    let dir = tempfile::tempdir().unwrap();
    for e in every_kind(dir.path()) {
        let m = envelope::encode(&e);
        let live = matches!(&e.kind, EventKind::Tak(r) if r.is_live());
        let prefix = if live { "truce.live" } else { "truce.ev" };
        assert!(m.subject.starts_with(&format!("{prefix}.{}.", e.type_name())), "{}", m.subject);
        assert_eq!(m.subject.split('.').count(), 4, "one token per part: {}", m.subject);
        let d = envelope::decode(&m.subject, Some(m.label.as_bytes()), &m.body, "node-b").unwrap();
        assert_eq!(d.type_name(), e.type_name());
        assert_eq!((&d.label, d.at, &d.audience, &d.sector), (&e.label, e.at, &e.audience, &e.sector));
        assert_eq!(d.origin.as_deref(), Some("node-b"));
        assert_eq!(d.to_json(), e.to_json(), "{}: the same wire form", e.type_name());
        assert_eq!(d.to_json_without_observer(), e.to_json_without_observer());
        // The same content is the same id (a retry is a duplicate to JetStream); encoding the decoded
        // event again gives the same message.
        assert_eq!(envelope::encode(&d), m, "{}", e.type_name());
    }
    // Typed payloads stay typed: a track's row, to the nanosecond.
    let e = Event::track(Arc::new(track()));
    let m = envelope::encode(&e);
    match envelope::decode(&m.subject, Some(m.label.as_bytes()), &m.body, "node-b").unwrap().kind {
        EventKind::Track(t) => assert_eq!(*t, track()),
        other => panic!("{other:?}"),
    }
    // Different events, different ids.
    let ids: std::collections::HashSet<String> =
        every_kind(dir.path()).iter().map(|e| envelope::encode(e).id).collect();
    assert_eq!(ids.len(), 13);
    // What is relayed for TAK servers decodes to the same relay, and never reaches a viewer's stream
    // (only a subscription `with_tak`).
    let e = Event::tak(chat(), datetime!(2026-11-25 02:00 UTC));
    let m = envelope::encode(&e);
    match envelope::decode(&m.subject, Some(m.label.as_bytes()), &m.body, "node-b").unwrap().kind {
        EventKind::Tak(r) => assert_eq!(*r, chat()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_relayed_tak_message_is_refused_when_its_label_or_fields_are_not_its_own() {
    let e = Event::tak(chat(), datetime!(2026-11-25 02:00 UTC));
    let m = envelope::encode(&e);
    let body = String::from_utf8(m.body.clone()).unwrap();
    // A laxer header than the relay's own label: refused (the header is what every node filters with).
    let lax = serde_json::to_string(&Label::default()).unwrap();
    let err = refused(&m.subject, Some(&lax), &m.body);
    assert_eq!(err.field, "payload");
    assert!(err.reason.contains("label"), "{err}");
    // A field the relay does not have, a kind it does not know, a missing field.
    let extra = body.replace("\"kind\":\"message\",", "\"kind\":\"message\",\"to_everyone\":true,");
    assert_ne!(extra, body);
    let err = refused(&m.subject, Some(&m.label), extra.as_bytes());
    assert_eq!(err.field, "payload");
    assert!(err.reason.contains("unknown field"), "{err}");
    let unknown = body.replace("\"kind\":\"message\"", "\"kind\":\"broadcast\"");
    let err = refused(&m.subject, Some(&m.label), unknown.as_bytes());
    assert!(err.reason.contains("unknown variant"), "{err}");
    // A position on the stream's subjects, anything else on the live ones: refused.
    let err = refused("truce.live.tak._", Some(&m.label), &m.body);
    assert_eq!(err.field, "subject");
    let p = envelope::encode(&Event::tak(position(), datetime!(2026-11-25 02:00 UTC)));
    assert_eq!(p.subject, "truce.live.tak._");
    assert!(envelope::decode(&p.subject, Some(p.label.as_bytes()), &p.body, "node-b").is_ok());
    let err = refused("truce.ev.tak._", Some(&p.label), &p.body);
    assert_eq!(err.field, "subject");
    assert!(err.reason.contains("truce.live"), "{err}");
    let without = body.replace(",\"nonce\":\"5f0c1c44-7a4e-4d8b-9a3e-2b1f0e6d7c8a\"", "");
    assert_ne!(without, body);
    let err = refused(&m.subject, Some(&m.label), without.as_bytes());
    assert!(err.reason.contains("missing field"), "{err}");
}

fn refused(subject: &str, label: Option<&str>, body: &[u8]) -> DecodeError {
    envelope::decode(subject, label.map(str::as_bytes), body, "node-b").expect_err("refused")
}

#[test]
fn a_wrong_message_is_refused_naming_the_field_and_the_reason() {
    let e = Event::track(Arc::new(track()));
    let m = envelope::encode(&e);
    let body = String::from_utf8(m.body.clone()).unwrap();
    let label = m.label.as_str();

    let err = refused(&m.subject, None, &m.body);
    assert_eq!(err.field, "Truce-Label");
    assert!(err.reason.contains("missing"), "{err}");
    let err = refused(&m.subject, Some("{\"marking\": \"SUPER SECRET\""), &m.body);
    assert_eq!(err.field, "Truce-Label");
    // A laxer label than the record's own is refused: the header is what every node filters with.
    let lax = serde_json::to_string(&Label::default()).unwrap();
    let err = refused(&m.subject, Some(&lax), &m.body);
    assert_eq!(err.field, "payload");
    assert!(err.reason.contains("label"), "{err}");
    // Truncated, not JSON, wrong encoding: the body, with where.
    let err = refused(&m.subject, Some(label), &m.body[..m.body.len() / 2]);
    assert_eq!(err.field, "body");
    assert!(err.reason.contains("line 1 column"), "{err}");
    let err = refused(&m.subject, Some(label), b"\xff\xfe{}");
    assert_eq!(err.field, "body");
    let err = refused(&m.subject, Some(label), &vec![b' '; envelope::MAX_BODY + 1]);
    assert!(err.reason.contains("over the limit"), "{err}");
    // A type that is not the subject's, one that is not an event, a subject that is not ours.
    let err = refused("truce.ev.observation._", Some(label), &m.body);
    assert_eq!(err.field, "type");
    let other = body.replace("\"type\":\"track\"", "\"type\":\"gossip\"");
    let err = refused("truce.ev.gossip._", Some(label), other.as_bytes());
    assert!(err.reason.contains("not an event type"), "{err}");
    let err = refused("truce.ev.track", Some(label), &m.body);
    assert_eq!(err.field, "subject");
    // A payload that is not its type's, a field out of place.
    let bad = body.replace("\"lat\":47.7", "\"lat\":\"north\"");
    let err = refused(&m.subject, Some(label), bad.as_bytes());
    assert_eq!(err.field, "payload");
    assert!(err.reason.contains("invalid type"), "{err}");
    let extra = body.replacen('{', "{\"admin\":true,", 1);
    let err = refused(&m.subject, Some(label), extra.as_bytes());
    assert!(err.reason.contains("unknown field"), "{err}");
    assert!(err.to_string().contains(&m.subject), "the error names the message: {err}");
}

#[test]
fn every_fuzz_seed_is_a_message_that_decodes() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/envelope");
    let mut types = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let mut parts = data.splitn(3, |&b| b == b'\n');
        let (subject, label, body) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
        let e = envelope::decode(std::str::from_utf8(subject).unwrap(), Some(label), body, "fuzz")
            .unwrap_or_else(|err| panic!("{}: {err}", path.display()));
        types.insert(e.type_name());
    }
    let tmp = tempfile::tempdir().unwrap();
    let every: std::collections::BTreeSet<&str> = every_kind(tmp.path()).iter().map(Event::type_name).collect();
    assert_eq!(types, every, "a seed of every type");
}
