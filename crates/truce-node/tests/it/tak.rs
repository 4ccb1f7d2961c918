//! The TAK feed on a real socket: a client's reports become track history and bus events, its weapon
//! mark an observation through the pipeline, and the geofence alert goes back to the devices through
//! the bus.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use truce_node::sources::Listen;
use truce_node::sources::tak::{self, TakConfig};
use truce_node::{Delivery, EventKind};

use crate::node;

fn cot_time(t: time::OffsetDateTime) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    t.format(&f).unwrap()
}

/// An event of `uid` with CoT type `type_` at `lat`, 35.6 E, sent now.
fn event(uid: &str, type_: &str, lat: f64) -> String {
    let now = time::OffsetDateTime::now_utc();
    let (t, stale) = (cot_time(now), cot_time(now + time::Duration::minutes(5)));
    format!(
        "<event version=\"2.0\" uid=\"{uid}\" type=\"{type_}\" how=\"m-g\" time=\"{t}\" start=\"{t}\" stale=\"{stale}\">\
         <point lat=\"{lat}\" lon=\"35.6\" hae=\"50\" ce=\"5\" le=\"5\"/><detail><contact callsign=\"{uid}\"/>\
         <__group name=\"Cyan\" role=\"Team Member\"/></detail></event>"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_become_history_events_and_an_observation_and_the_alert_goes_back_to_the_devices() {
    let dir = tempfile::tempdir().unwrap();
    let n = node(&dir.path().join("store"));
    let mut events = n.bus.subscribe(truce_access::Access::all());
    let config = TakConfig {
        tcp: Listen::At("127.0.0.1:0".parse().unwrap()),
        udp: Listen::Off,
        tls: Some(Listen::Off),
        ..TakConfig::default()
    };
    let tracks = truce_node::sources::tracks::Tracks::start(&n);
    let running = tak::start(&n, &config, dir.path(), &tracks).await.unwrap().expect("a listener");
    let addr = running.tcp_addr().expect("tcp");
    let mut client = tokio::net::TcpStream::connect(addr).await.unwrap();
    // 80 km from the line, then 30 km: inside the 50 km stand-off. Then a hostile howitzer marked.
    client.write_all(event("alpha-1", "a-f-G-U-C", 48.21).as_bytes()).await.unwrap();
    client.write_all(event("alpha-1", "a-f-G-U-C", 47.76).as_bytes()).await.unwrap();
    client.write_all(event("mark-1", "a-h-G-E-W-H", 47.6).as_bytes()).await.unwrap();

    let (mut track, mut enter, mut sighting) = (false, false, false);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !(track && enter && sighting) {
        let d = tokio::time::timeout_at(deadline, events.recv()).await.expect("the bus events within 20 s");
        let Delivery::Event(e) = d else { panic!("{d:?}") };
        match &e.event.kind {
            EventKind::Track(t) if t.uid == "alpha-1" => track = true,
            EventKind::Geofence(g) if g.uid == "alpha-1" && g.fence_id == "force_standoff" => {
                assert_eq!(g.kind, truce_core::GeofenceKind::Enter);
                enter = true;
            }
            EventKind::Observation(o) => {
                assert_eq!(o.observation.id, "cot-mark-1");
                assert_eq!(o.observation.weapon_class.as_deref(), Some("artillery_100mm"));
                assert!(o.classification.violations.iter().any(|v| v.code == "weapon_forward_of_withdrawal_line"));
                sighting = true;
            }
            _ => {}
        }
    }
    // Stored before it was published.
    assert_eq!(n.store.track_history("alpha-1", 10).unwrap().len(), 2);
    assert!(n.store.get("cot-mark-1").unwrap().is_some());
    assert_eq!(n.store.geofence_events(0, 10).unwrap().len(), 1);
    // The alert reaches the device as a CoT event naming the zone.
    let mut got = Vec::new();
    let mut buf = [0u8; 8192];
    while !String::from_utf8_lossy(&got).contains("force_standoff") {
        let read =
            tokio::time::timeout_at(deadline, client.read(&mut buf)).await.expect("the alert within 20 s").unwrap();
        assert!(read > 0, "the server closed the connection");
        got.extend_from_slice(&buf[..read]);
    }
    // The marker moved (ATAK sends it again), with a new mark after it: the new one is stored, the
    // moved one goes into the track history and leaves the observation as first reported.
    client.write_all(event("mark-1", "a-h-G-E-W-H", 47.55).as_bytes()).await.unwrap();
    client.write_all(event("mark-2", "a-h-G-E-W-H", 47.5).as_bytes()).await.unwrap();
    loop {
        let d = tokio::time::timeout_at(deadline, events.recv()).await.expect("the second mark within 20 s");
        let Delivery::Event(e) = d else { panic!("{d:?}") };
        match &e.event.kind {
            EventKind::Observation(o) if o.observation.id == "cot-mark-2" => break,
            EventKind::Observation(o) => panic!("only the new mark is a new observation: {}", o.observation.id),
            _ => {}
        }
    }
    assert_eq!(n.store.get("cot-mark-1").unwrap().unwrap().observation.lat, 47.6);
    assert_eq!(n.store.track_history("mark-1", 10).unwrap().len(), 2);
    drop(running);
}
