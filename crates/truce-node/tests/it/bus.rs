//! The in-process bus: order, lag, and one wire form shared by every subscriber.

use std::sync::Arc;

use time::macros::datetime;
use truce_core::{GeofenceKind, GeofenceRow, Label};
use truce_node::{Bus, Delivery, Event, LocalBus};

/// A geofence event `id` of the track T1, with the label `label`.
pub fn fence_labelled(id: &str, label: Label) -> Event {
    Event::geofence(Arc::new(GeofenceRow {
        id: id.into(),
        uid: "T1".into(),
        callsign: "ALPHA".into(),
        track_type: "a-f-G-U-C".into(),
        kind: GeofenceKind::Enter,
        fence_id: "force_standoff".into(),
        fence_name: "Stand-off".into(),
        fence_kind: "force_standoff".into(),
        from_side: None,
        to_side: None,
        time: datetime!(2026-11-25 02:00 UTC),
        lat: 48.0,
        lon: 37.0,
        prev_lat: Some(47.9),
        prev_lon: Some(37.0),
        label,
    }))
}

fn fence(n: i64) -> Event {
    fence_labelled(&format!("gf-{n}"), Label::default())
}

#[tokio::test]
async fn subscribers_get_every_event_in_order_and_a_slow_one_is_told_what_it_missed() {
    let bus = LocalBus::with_capacity(4);
    let mut fast = bus.subscribe(truce_access::Access::all());
    let mut slow = bus.subscribe(truce_access::Access::all());
    for n in 0..3 {
        bus.publish(fence(n));
        match fast.recv().await {
            Delivery::Event(e) => assert_eq!(e.event.type_name(), "geofence"),
            other => panic!("{other:?}"),
        }
    }
    for n in 3..10 {
        bus.publish(fence(n));
    }
    // The slow subscriber read nothing: the buffer kept the last 4 of 10.
    assert!(matches!(slow.recv().await, Delivery::Lagged(6)));
    let mut ids = Vec::new();
    for _ in 0..4 {
        match slow.recv().await {
            Delivery::Event(e) => {
                ids.push(serde_json::from_str::<serde_json::Value>(&e.to_json()).unwrap()["geofence"]["id"].clone())
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(ids, ["gf-6", "gf-7", "gf-8", "gf-9"]);
    drop(bus);
    // The other subscriber also fell behind (it stopped reading at 3): told so, then the rest, then
    // the end of the bus.
    assert!(matches!(fast.recv().await, Delivery::Lagged(3)));
    for _ in 0..4 {
        assert!(matches!(fast.recv().await, Delivery::Event(_)), "what was published before the bus went");
    }
    assert!(matches!(fast.recv().await, Delivery::Closed));
}

#[test]
fn the_wire_form_is_made_once_and_tracks_carry_the_default_label() {
    let e = fence(1);
    assert_eq!(e.label, Label::unclassified());
    let a = e.to_json();
    let b = e.clone().to_json();
    assert!(Arc::ptr_eq(&a, &b), "one serialisation shared by every subscriber");
    let v: serde_json::Value = serde_json::from_str(&a).unwrap();
    assert_eq!(v["type"], "geofence");
    assert_eq!(v["geofence"]["kind"], "enter");
    assert_eq!(v["geofence"]["fence_id"], "force_standoff");
}

#[tokio::test]
async fn what_is_relayed_for_tak_servers_reaches_only_the_tak_servers_subscription() {
    let bus = LocalBus::new();
    let mut viewer = bus.subscribe(truce_access::Access::all());
    let mut tak = bus.subscribe(truce_access::Access::all()).with_tak();
    let relay = truce_node::TakRelay::MissionDeleted { label: Label::default(), mission: "ops".into() };
    bus.publish(Event::tak(relay, datetime!(2026-11-25 02:00 UTC)));
    bus.publish(fence(1));
    for (who, sub, first) in [("the viewer", &mut viewer, "geofence"), ("the TAK server", &mut tak, "tak")] {
        match sub.recv().await {
            Delivery::Event(e) => assert_eq!(e.event.type_name(), first, "{who}"),
            other => panic!("{who}: {other:?}"),
        }
    }
    // A bus of one node has no other node to relay to: the event is dropped, delivered to nobody.
    bus.relay(fence(2));
    bus.publish(fence(3));
    match viewer.recv().await {
        Delivery::Event(e) => assert!(e.event.to_json().contains("gf-3"), "{}", e.event.to_json()),
        other => panic!("{other:?}"),
    }
}
