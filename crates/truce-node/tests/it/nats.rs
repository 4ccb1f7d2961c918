//! Two buses of two nodes on a real nats-server (`scripts/nats`): what one publishes the other delivers
//! once, filtered by the label on the receiving side; a message sent again, replayed or forged with a
//! wrong label changes nothing; one of them leads the watch.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use truce_access::{Access, Policy, Viewer};
use truce_core::{Label, Marking};

use crate::bus::fence_labelled as fence;
use truce_node::nats::{NatsBus, NatsConfig};
use truce_node::{Bus, Delivery, Event, EventKind, envelope};

struct Server(PathBuf, String);

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/nats")
}

impl Server {
    fn start(dir: &Path) -> Self {
        let out = Command::new(script()).args(["start", dir.to_str().unwrap(), "1"]).output().unwrap();
        assert!(out.status.success(), "scripts/nats: {}", String::from_utf8_lossy(&out.stderr));
        Server(dir.to_path_buf(), String::from_utf8(out.stdout).unwrap().trim().to_owned())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new(script()).args(["stop", self.0.to_str().unwrap()]).output();
    }
}

async fn bus(server: &Server, node: &str) -> NatsBus {
    NatsBus::connect(NatsConfig { urls: vec![server.1.clone()], node: node.into(), replicas: 1 }).await.unwrap()
}

/// The ids of the geofence events `sub` delivers within `wait` (stops at the first pause that long).
async fn ids(sub: &mut truce_node::Subscription, wait: Duration) -> Vec<String> {
    let mut out = Vec::new();
    while let Ok(d) = tokio::time::timeout(wait, sub.recv()).await {
        match d {
            Delivery::Event(e) => match &e.event.kind {
                EventKind::Geofence(g) => {
                    assert!(e.event.origin.is_some(), "arrived from the other node");
                    out.push(g.id.clone());
                }
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_event_arrives_once_filtered_on_the_receiving_node_and_one_node_leads() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("nats"));
    let a = bus(&server, "node-a").await;
    let b = bus(&server, "node-b").await;
    let policy = Policy::shipped();
    let public = Viewer {
        name: "anonymous".into(),
        nation: None,
        role: truce_access::Role::Monitor,
        clearance: Marking::NatoUnclassified,
        categories: Default::default(),
    };
    let mut everything = b.subscribe(Access::all());
    let mut anonymous = b.subscribe(Access::new(&policy, &public));
    let mut own = a.subscribe(Access::all());

    let secret = Label { marking: Marking::NatoSecret, releasable_to: vec!["GBR".into()], ..Label::default() };
    let open = Label { releasable_to: vec!["PUBLIC".into()], ..Label::default() };
    a.publish(fence("gf-secret", secret.clone()));
    // The same event again (a retry): the same content is the same message.
    a.publish(fence("gf-secret", secret.clone()));
    a.publish(fence("gf-open", open.clone()));

    // A replay of a stored message with its id, and a forged one whose header is laxer than its record.
    let client = async_nats::connect(server.1.as_str()).await.unwrap();
    let js = async_nats::jetstream::new(client);
    let send = |e: &Event, label: &str, id: &str| {
        let m = envelope::encode(e);
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(envelope::LABEL_HEADER, label);
        headers.insert(envelope::ORIGIN_HEADER, "node-x");
        let msg = async_nats::jetstream::message::PublishMessage::build()
            .payload(m.body.into())
            .headers(headers)
            .message_id(id);
        (m.subject, msg)
    };
    let replay = fence("gf-open", open.clone());
    let (subject, msg) = send(&replay, &envelope::encode(&replay).label, &envelope::encode(&replay).id);
    js.send_publish(subject, msg).await.unwrap().await.unwrap();
    let forged = fence("gf-forged", secret.clone());
    let lax = serde_json::to_string(&open).unwrap();
    let (subject, msg) = send(&forged, &lax, "forged-1");
    js.send_publish(subject, msg).await.unwrap().await.unwrap();
    a.publish(fence("gf-last", open.clone()));

    let wait = Duration::from_secs(3);
    assert_eq!(ids(&mut everything, wait).await, ["gf-secret", "gf-open", "gf-last"]);
    assert_eq!(ids(&mut anonymous, wait).await, ["gf-open", "gf-last"], "the label filters on node b");
    // Node a delivered its own once each, at once, and does not get them back.
    let mut mine = Vec::new();
    while let Ok(Delivery::Event(e)) = tokio::time::timeout(Duration::from_millis(500), own.recv()).await {
        assert!(e.event.origin.is_none());
        mine.push(e.event.type_name());
    }
    assert_eq!(mine.len(), 4, "{mine:?}");

    // One of the two leads the watch, within the lease.
    let end = tokio::time::Instant::now() + Duration::from_secs(15);
    while a.leads("watch") == b.leads("watch") {
        assert!(tokio::time::Instant::now() < end, "exactly one leader within 15 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!a.leads("reports"), "only the watch has a lease");
}

/// A node on a fresh SQLite store in `dir` whose bus is `bus`.
fn node_on(dir: &Path, bus: NatsBus) -> std::sync::Arc<truce_node::Node> {
    let (store, agreement, _) =
        truce_node::data_dir::open_or_create(dir, None, Some(&crate::data("agreements/illustrative.toml"))).unwrap();
    let sectors = truce_node::data_dir::load_sectors(None, &agreement).unwrap();
    std::sync::Arc::new(truce_node::Node::new(
        store,
        std::sync::Arc::new(Policy::shipped()),
        std::sync::Arc::new(agreement),
        std::sync::Arc::new(sectors),
        std::sync::Arc::new(bus),
    ))
}

/// A node's cached early-warning pictures follow what the other nodes store: an observation stored on
/// one node changes the other's data version (which the cache is keyed on) as soon as its event
/// arrives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_observation_stored_on_one_node_renews_the_others_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("nats"));
    let a = node_on(&tmp.path().join("a"), bus(&server, "a").await);
    let b = node_on(&tmp.path().join("b"), bus(&server, "b").await);
    let _follow_a = a.follow_other_nodes();
    let _follow_b = b.follow_other_nodes();
    let (a_before, b_before) = (a.data_version(), b.data_version());

    let o = crate::observation("renews-1", 48.0159, 37.8028, "muzzle_flash", None);
    let stored = a.prepare(o, time::OffsetDateTime::now_utc(), &Access::all()).unwrap();
    let committer = a.clone();
    tokio::task::spawn_blocking(move || committer.commit("test", vec![stored]).unwrap()).await.unwrap();
    assert_eq!(a.data_version(), a_before + 1, "the node's own write");

    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut changes = b.bus.subscribe(Access::all());
    while b.data_version() == b_before {
        assert!(tokio::time::Instant::now() < deadline, "node B's data version never changed");
        // Wait for the next event B's bus delivers (the observation), or a moment.
        let _ = tokio::time::timeout(Duration::from_millis(100), changes.recv()).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relayed_tak_message_reaches_only_the_other_nodes_tak_server_once() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("nats"));
    let a = bus(&server, "node-a").await;
    let b = bus(&server, "node-b").await;
    let mut viewer = b.subscribe(Access::all());
    let mut tak = b.subscribe(Access::all()).with_tak();
    let mut own = a.subscribe(Access::all()).with_tak();
    let message = |nonce: &str| {
        let m = truce_node::TakRelay::Message {
            label: Label::default(),
            cot: "<event uid=\"GeoChat.a.All.1\" type=\"b-t-f\"/>".into(),
            group: None,
            nonce: nonce.into(),
        };
        Event::tak(m, time::OffsetDateTime::now_utc())
    };
    // One message, the same again (a retry: one message), and an identical one the device sent again
    // (another nonce: a second message); then a geofence event for the viewers.
    let first = message("n-1");
    a.relay(first.clone());
    a.relay(first);
    a.relay(message("n-2"));
    a.publish(fence("gf-after", Label::default()));
    let mut nonces = Vec::new();
    loop {
        let Ok(Delivery::Event(e)) = tokio::time::timeout(Duration::from_secs(5), tak.recv()).await else {
            panic!("the geofence event within 5 s; so far {nonces:?}")
        };
        match &e.event.kind {
            EventKind::Tak(r) => match &**r {
                truce_node::TakRelay::Message { nonce, .. } => nonces.push(nonce.clone()),
                other => panic!("{other:?}"),
            },
            EventKind::Geofence(_) => break,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(nonces, ["n-1", "n-2"]);
    // A position travels live (not on the stream): it arrives all the same, once.
    let position = truce_node::TakRelay::Position {
        label: Label::default(),
        cot: "<event uid=\"ANDROID-1\" type=\"a-f-G-U-C\"/>".into(),
        group: None,
        nonce: "p-1".into(),
    };
    a.relay(Event::tak(position.clone(), time::OffsetDateTime::now_utc()));
    match tokio::time::timeout(Duration::from_secs(5), tak.recv()).await {
        Ok(Delivery::Event(e)) => match &e.event.kind {
            EventKind::Tak(r) => assert_eq!(**r, position),
            other => panic!("{other:?}"),
        },
        other => panic!("the position within 5 s: {other:?}"),
    }
    assert_eq!(ids(&mut viewer, Duration::from_secs(1)).await, ["gf-after"], "a viewer never gets a relay");
    // Node a's own TAK server routed its messages when its device sent them: nothing comes back.
    match tokio::time::timeout(Duration::from_millis(500), own.recv()).await {
        Ok(Delivery::Event(e)) => assert_eq!(e.event.type_name(), "geofence", "only its own published event"),
        other => panic!("{other:?}"),
    }
    assert!(tokio::time::timeout(Duration::from_millis(500), own.recv()).await.is_err(), "and nothing else");
}
