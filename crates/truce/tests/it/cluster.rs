//! Several `truce serve` nodes on one PostgreSQL and one three-server NATS JetStream cluster (real
//! processes: `scripts/nats`, the test PostgreSQL of `scripts/pg`): what one node receives reaches
//! every node's viewers as their labels allow, TAK devices on different nodes see each other, one node
//! leads the watch task, and killing a node or a NATS server loses and duplicates nothing.
//!
//! TAK devices on different nodes see each other as if they were on one node: every message (chat,
//! directed messages, tasks, markers, every position) reaches the devices of the other nodes that
//! its label and addressing allow, once, and a mission change reaches the mission's subscribed
//! devices once, wherever they are connected. The fault test runs with fifteen devices reporting
//! twice a second across three nodes, and requires every position of a surviving node's device to
//! reach every device of the other surviving node once (but for those on their way through the NATS
//! server that dies), never more than 2 s after the one before.

use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::util::{PASSWORD, Server, add_user, on_store};

/// A NATS JetStream cluster of `scripts/nats`, stopped when dropped.
pub(crate) struct Nats {
    dir: PathBuf,
    pub(crate) urls: String,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/nats")
}

fn run_script(args: &[&str]) -> String {
    let out = Command::new(script()).args(args).output().expect("run scripts/nats");
    assert!(out.status.success(), "scripts/nats {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("UTF-8").trim().to_owned()
}

impl Nats {
    pub(crate) fn start(dir: &Path, servers: usize) -> Self {
        let urls = run_script(&["start", dir.to_str().unwrap(), &servers.to_string()]);
        Nats { dir: dir.to_path_buf(), urls }
    }

    fn kill(&self, i: usize) {
        run_script(&["kill", self.dir.to_str().unwrap(), &i.to_string()]);
    }

    /// The server leading the stream `stream`.
    fn leader(&self, stream: &str) -> usize {
        run_script(&["leader", self.dir.to_str().unwrap(), stream]).parse().unwrap()
    }

    fn restart(&self, i: usize) {
        run_script(&["restart", self.dir.to_str().unwrap(), &i.to_string()]);
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        let _ = Command::new(script()).args(["stop", self.dir.to_str().unwrap()]).output();
    }
}

/// A node of the cluster on the data directory `dir`, the store `store`, the servers `nats`, with
/// the admin's session (the admin is made in the shared store by the first node).
fn node(dir: &Path, store: &str, nats: &Nats) -> Server {
    on_store(store, || crate::util::serve(dir, &["--nats", &nats.urls, "--nats-replicas", "3"]))
}

/// The certificates of a cluster's TAK servers and devices: one CA and one server certificate that
/// every node serves (`--certs-dir`), and a certificate per device callsign.
struct Pki {
    dir: PathBuf,
}

impl Pki {
    /// A CA and server certificate in `dir`, and a certificate for each (callsign, user), the users
    /// being in the shared store.
    fn new(dir: &Path, store: &str, devices: &[(&str, &str)]) -> Self {
        let d = dir.to_str().unwrap();
        on_store(store, || {
            let run = crate::util::truce(&["certs", "init", "--dir", d], b"");
            assert_eq!(run.code, 0, "{}", run.stderr);
            for (callsign, user) in devices {
                let run =
                    crate::util::truce(&["certs", "issue", "--dir", d, "--callsign", callsign, "--user", user], b"");
                assert_eq!(run.code, 0, "{}", run.stderr);
            }
        });
        Pki { dir: dir.to_path_buf() }
    }

    /// A TLS connection to `addr` with the certificate of `callsign`.
    fn connect(
        &self,
        addr: &str,
        callsign: &str,
    ) -> rustls::StreamOwned<rustls::ClientConnection, std::net::TcpStream> {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let mut roots = rustls::RootCertStore::empty();
        roots.add(CertificateDer::from_pem_file(self.dir.join("ca.pem")).unwrap()).unwrap();
        let clients = self.dir.join("clients");
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_client_auth_cert(
                vec![CertificateDer::from_pem_file(clients.join(format!("{callsign}.pem"))).unwrap()],
                PrivateKeyDer::from_pem_file(clients.join(format!("{callsign}.key"))).unwrap(),
            )
            .unwrap();
        let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
        let conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
        rustls::StreamOwned::new(conn, std::net::TcpStream::connect(addr).unwrap())
    }

    /// One request to the Marti API at `addr` as the device `callsign`: (status, body).
    fn api(&self, addr: &str, callsign: &str, method: &str, path: &str) -> (u16, String) {
        let mut tls = self.connect(addr, callsign);
        let head =
            format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        tls.write_all(head.as_bytes()).unwrap();
        let mut out = Vec::new();
        match tls.read_to_end(&mut out) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !out.is_empty() => {}
            Err(e) => panic!("{method} {path}: {e}"),
        }
        let text = String::from_utf8_lossy(&out).into_owned();
        let status = text.get(9..12).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("not HTTP: {text}"));
        (status, text.split_once("\r\n\r\n").map_or(String::new(), |(_, b)| b.to_owned()))
    }
}

/// A node of a cluster whose TAK servers share the certificates of `pki`: its TAK listeners over TCP
/// and TLS and its Marti API, at (tcp, tls, api).
fn tak_node(dir: &Path, store: &str, nats: &Nats, pki: &Pki) -> (Server, [String; 3]) {
    let certs = pki.dir.to_str().unwrap();
    let s = on_store(store, || {
        crate::util::serve(
            dir,
            &[
                "--nats",
                &nats.urls,
                "--nats-replicas",
                "3",
                "--certs-dir",
                certs,
                "--tak-tcp",
                "127.0.0.1:0",
                "--tak-tls",
                "127.0.0.1:0",
                "--tak-udp",
                "off",
                "--tak-api",
                "127.0.0.1:0",
                "--tak-enrol",
                "127.0.0.1:0",
            ],
        )
    });
    // In the order the server prints them.
    let addrs = [s.tak_addr("tcp"), s.tak_addr("tls"), s.printed("TAK API (Marti) over HTTPS on ")];
    (s, addrs)
}

fn obs(id: &str, marking: &str, rel: &[&str]) -> Value {
    json!({"id": id, "time": "2026-11-25T10:00:00Z", "category": "explosion_impact", "lat": 47.6, "lon": 36.0,
        "marking": marking, "releasable_to": rel})
}

type Ws = tungstenite::WebSocket<tungstenite::stream::MaybeTlsStream<std::net::TcpStream>>;

/// The next observation id the stream delivers (other messages are skipped), within 20 s.
fn next_observation(ws: &mut Ws, after: &str) -> String {
    set_timeout(ws, Duration::from_secs(20));
    loop {
        let msg = ws.read().unwrap_or_else(|e| panic!("no message within 20 s after {after}: {e}"));
        let v: Value = serde_json::from_str(msg.to_text().unwrap()).unwrap();
        if v["type"] == "observation" {
            return v["observation"]["id"].as_str().unwrap().to_owned();
        }
    }
}

fn set_timeout(ws: &mut Ws, t: Duration) {
    if let tungstenite::stream::MaybeTlsStream::Plain(s) = ws.get_mut() {
        s.set_read_timeout(Some(t)).unwrap();
    }
}

/// A CoT event of `uid` and `type_` at `lat`, 35.6 E, sent now, with `detail`.
fn cot(uid: &str, type_: &str, lat: f64, detail: &str) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    let now = time::OffsetDateTime::now_utc();
    let (t, stale) = (now.format(&f).unwrap(), (now + time::Duration::minutes(5)).format(&f).unwrap());
    format!(
        "<event version=\"2.0\" uid=\"{uid}\" type=\"{type_}\" how=\"m-g\" time=\"{t}\" start=\"{t}\" stale=\"{stale}\">\
         <point lat=\"{lat}\" lon=\"35.6\" hae=\"50\" ce=\"5\" le=\"5\"/><detail>{detail}</detail></event>"
    )
}

/// A friendly SA of `uid` (also its callsign) at `lat`, 35.6 E, sent now: the device announces itself
/// (a contact endpoint), so that messages can name it.
fn sa(uid: &str, lat: f64) -> String {
    let detail =
        format!("<contact callsign=\"{uid}\" endpoint=\"*:-1:stcp\"/><__group name=\"Cyan\" role=\"Team Member\"/>");
    cot(uid, "a-f-G-U-C", lat, &detail)
}

/// Bytes both ways: a TCP or TLS connection.
trait Io: Read + Write + Send {}

impl<T: Read + Write + Send> Io for T {}

/// A TAK device, with everything it has heard.
struct Device(Box<dyn Io>, String);

impl Device {
    fn connect(addr: &str) -> Self {
        let c = std::net::TcpStream::connect(addr).unwrap();
        c.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
        Device(Box::new(c), String::new())
    }

    /// A device over TLS with the certificate of `callsign`.
    fn tls(addr: &str, pki: &Pki, callsign: &str) -> Self {
        let tls = pki.connect(addr, callsign);
        tls.sock.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
        Device(Box::new(tls), String::new())
    }

    fn send(&mut self, cot: &str) {
        self.0.write_all(cot.as_bytes()).unwrap();
        self.0.flush().unwrap();
    }

    /// Waits (at most 20 s) until an event of `uid` has arrived.
    fn until_hears(&mut self, uid: &str) {
        self.until(&event_of(uid));
    }

    /// Waits (at most 20 s) until `needle` has arrived.
    fn until(&mut self, needle: &str) {
        let end = Instant::now() + Duration::from_secs(20);
        while !self.1.contains(needle) {
            assert!(Instant::now() < end, "no {needle} within 20 s; heard: {}", self.1);
            self.read_some();
        }
    }

    /// Reads what has arrived (waiting at most the read timeout).
    fn read_some(&mut self) {
        let mut buf = [0u8; 8192];
        match self.0.read(&mut buf) {
            Ok(0) => panic!("the server closed the connection"),
            Ok(n) => self.1.push_str(&String::from_utf8_lossy(&buf[..n])),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
            Err(e) => panic!("{e}"),
        }
    }

    /// Waits (at most 20 s) until `n` events of `uid` have arrived.
    fn until_heard(&mut self, uid: &str, n: usize) {
        let end = Instant::now() + Duration::from_secs(20);
        while self.heard(uid) < n {
            assert!(Instant::now() < end, "{} of {n} events of {uid} within 20 s", self.heard(uid));
            self.read_some();
        }
    }

    /// How many events of `uid` it has heard.
    fn heard(&self, uid: &str) -> usize {
        self.1.matches(&event_of(uid)).count()
    }
}

/// The start of an event of `uid` as the server writes it (not a mention of `uid`, such as a geofence
/// alert's link to the track).
fn event_of(uid: &str) -> String {
    format!("<event version=\"2.0\" uid=\"{uid}\"")
}

/// Whether the node leads the watch task, from its metrics.
fn leads(s: &Server) -> bool {
    let (status, text) = s.http("GET", "/metrics", b"");
    assert_eq!(status, 200, "{text}");
    text.lines().any(|l| l.starts_with("truce_leads{task=\"watch\"}") && l.ends_with(" 1"))
}

/// Waits (at most `within`) until exactly one of `nodes` leads the watch task, and returns which.
fn one_leader(nodes: &[&Server], within: Duration) -> usize {
    let end = Instant::now() + within;
    loop {
        let leading: Vec<usize> = (0..nodes.len()).filter(|&i| leads(nodes[i])).collect();
        if leading.len() == 1 {
            return leading[0];
        }
        assert!(Instant::now() < end, "not exactly one leader of the watch task: {leading:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn what_one_node_receives_reaches_every_nodes_viewers_as_their_labels_allow() {
    let tmp = tempfile::tempdir().unwrap();
    let nats = Nats::start(&tmp.path().join("nats"), 3);
    let store = crate::postgres::store_url();
    let a = node(&tmp.path().join("a"), &store, &nats);
    let b = node(&tmp.path().join("b"), &store, &nats);
    on_store(&store, || add_user(&tmp.path().join("a"), "pol.rep", "POL", "national_rep", "NATO SECRET", &[]));
    let pol = b.login("pol.rep", PASSWORD);

    // An observation posted to A reaches B's stream; for a viewer its label does not allow, nothing.
    let mut admin_b = b.stream();
    let mut pol_b = b.stream_as(Some(&pol)).unwrap();
    let (status, body) =
        a.json("POST", "/api/v1/observations", obs("gbr-only", "NATO SECRET", &["GBR"]).to_string().as_bytes());
    assert_eq!(status, 201, "{body}");
    assert_eq!(next_observation(&mut admin_b, "gbr-only to admin"), "gbr-only");
    let (status, _) = a.json(
        "POST",
        "/api/v1/observations",
        obs("for-poland", "NATO SECRET", &["GBR", "POL"]).to_string().as_bytes(),
    );
    assert_eq!(status, 201);
    assert_eq!(next_observation(&mut admin_b, "for-poland to admin"), "for-poland");
    assert_eq!(
        next_observation(&mut pol_b, "for-poland to POL"),
        "for-poland",
        "the GBR-only observation never reached POL"
    );
    // And B's API answers with it (one store).
    let (status, v) = b.json("GET", "/api/v1/observations/gbr-only", b"");
    assert_eq!((status, &v["id"]), (200, &json!("gbr-only")), "{v}");
    let r = b.request_as(Some(&pol), "GET", "/api/v1/observations/gbr-only", b"");
    assert_eq!(r.status, 404, "POL may not know it exists");

    // TAK: a device on A hears a device on B, and a device joining A later gets it in the picture.
    let (tak_a, tak_b) = (a.tak_addr("tcp"), b.tak_addr("tcp"));
    let mut on_a = Device::connect(&tak_a);
    let mut on_b = Device::connect(&tak_b);
    on_b.send(&sa("bravo-1", 47.2));
    on_a.until_hears("bravo-1");
    on_a.send(&sa("alpha-1", 47.3));
    on_b.until_hears("alpha-1");
    let mut late = Device::connect(&tak_a);
    late.send(&sa("late-1", 47.4));
    late.until_hears("bravo-1");

    // A node that starts now has the whole system's picture from the store: a device joining it gets
    // the devices of A and B, which have not reported since.
    let stored = |uid: &str| {
        let (_, v) = b.json("GET", "/api/v1/tracks", b"");
        v["tracks"].as_array().is_some_and(|t| t.iter().any(|t| t["uid"] == uid))
    };
    wait_until(
        Duration::from_secs(20),
        || "A's and B's devices stored".into(),
        || stored("alpha-1") && stored("bravo-1"),
    );
    let c = node(&tmp.path().join("c"), &store, &nats);
    let mut on_c = Device::connect(&c.tak_addr("tcp"));
    on_c.send(&sa("charlie-1", 47.5));
    on_c.until_hears("alpha-1");
    on_c.until_hears("bravo-1");

    // One node leads the watch task.
    one_leader(&[&a, &b, &c], Duration::from_secs(20));
}

/// A GeoChat message of `uid` saying `text`, to everyone or to the callsign `to`.
fn chat(uid: &str, text: &str, to: Option<&str>) -> String {
    let dest = to.map_or_else(String::new, |c| format!("<marti><dest callsign=\"{c}\"/></marti>"));
    cot(
        uid,
        "b-t-f",
        0.0,
        &format!("<__chat chatroom=\"All Chat Rooms\" senderCallsign=\"ALPHA\"/>{dest}<remarks>{text}</remarks>"),
    )
}

#[test]
fn tak_messages_reach_the_devices_of_other_nodes_as_on_one_node_as_their_labels_allow() {
    let tmp = tempfile::tempdir().unwrap();
    let nats = Nats::start(&tmp.path().join("nats"), 3);
    let store = crate::postgres::store_url();
    // Devices of a British user on both nodes, and of a Russian observer on B: what a British device
    // sends is released to the mission's nations and Britain, not to Russia.
    on_store(&store, || {
        add_user(&tmp.path().join("a"), "gbr.op", "GBR", "monitor", "NATO SECRET", &[]);
        add_user(&tmp.path().join("a"), "rus.obs", "RUS", "monitor", "NATO SECRET", &[]);
    });
    let pki = Pki::new(
        &tmp.path().join("pki"),
        &store,
        &[("ALPHA", "gbr.op"), ("BRAVO", "gbr.op"), ("CHARLIE", "gbr.op"), ("ROMEO", "rus.obs")],
    );
    let (_a, [tcp_a, tls_a, _]) = tak_node(&tmp.path().join("a"), &store, &nats, &pki);
    let (_b, [_, tls_b, _]) = tak_node(&tmp.path().join("b"), &store, &nats, &pki);
    let mut alpha = Device::tls(&tls_a, &pki, "ALPHA");
    let mut bravo = Device::tls(&tls_b, &pki, "BRAVO");
    let mut charlie = Device::tls(&tls_b, &pki, "CHARLIE");
    let mut romeo = Device::tls(&tls_b, &pki, "ROMEO");
    // Each announces itself; once ALPHA hears BRAVO and CHARLIE, B's server knows who they are.
    for (d, uid) in [(&mut bravo, "BRAVO"), (&mut charlie, "charlie-uid"), (&mut romeo, "ROMEO")] {
        d.send(&sa(uid, 47.2));
    }
    alpha.send(&sa("ALPHA", 47.3));
    alpha.until_hears("BRAVO");
    alpha.until_hears("charlie-uid");

    // From ALPHA: a position, a marker, a chat to everyone, a chat to BRAVO, a task to the device
    // of uid charlie-uid, then a last chat to everyone.
    alpha.send(&sa("ALPHA", 47.31));
    alpha.send(&cot("marker-1", "b-m-p-s-m", 47.5, "<contact callsign=\"Bridge\"/>"));
    alpha.send(&chat("GeoChat.ALPHA.All Chat Rooms.1", "to everyone", None));
    alpha.send(&chat("GeoChat.ALPHA.BRAVO.2", "to bravo only", Some("BRAVO")));
    alpha.send(&cot("task-1", "t-s", 47.5, "<marti><dest uid=\"charlie-uid\"/></marti><remarks>hold</remarks>"));
    alpha.send(&chat("GeoChat.ALPHA.All Chat Rooms.3", "last", None));
    bravo.until_hears("GeoChat.ALPHA.All Chat Rooms.3");
    charlie.until_hears("GeoChat.ALPHA.All Chat Rooms.3");
    // What one sender sends arrives in order (positions on their own path, the rest on another): by
    // its last message, every other message has arrived.
    bravo.until("lat=\"47.31\"");
    charlie.until("lat=\"47.31\"");
    for (who, d, directed, task) in [("BRAVO", &bravo, 1, 0), ("CHARLIE", &charlie, 0, 1)] {
        assert_eq!(d.heard("marker-1"), 1, "{who}: the marker once");
        assert_eq!(d.heard("GeoChat.ALPHA.All Chat Rooms.1"), 1, "{who}: the chat to everyone once");
        assert_eq!(d.heard("GeoChat.ALPHA.BRAVO.2"), directed, "{who}: the chat to BRAVO only at BRAVO");
        assert_eq!(d.heard("task-1"), task, "{who}: the task to charlie-uid only at that device");
    }
    assert!(bravo.1.contains("to bravo only"));
    // A fast device: a burst of 100 positions in one write, every one of which reaches the devices on
    // B (not only the latest of the track consumer's batch).
    let burst: String = (0..100)
        .map(|n| {
            cot("fast-1", "a-f-G-U-C", 47.6, "<contact callsign=\"FAST\"/>")
                .replace("hae=\"50\"", &format!("hae=\"{n}\""))
        })
        .collect();
    alpha.send(&burst);
    bravo.until_heard("fast-1", 100);
    // ROMEO may not see what a British device sends: after an anonymous (public) device on A, which
    // ROMEO does see, has spoken, nothing of ALPHA's has reached it.
    // (A chat and a position each, since positions take their own path.)
    let mut public = Device::connect(&tcp_a);
    public.send(&chat("GeoChat.public.All Chat Rooms.1", "public", None));
    public.send(&sa("public-1", 47.4));
    romeo.until_hears("GeoChat.public.All Chat Rooms.1");
    romeo.until_hears("public-1");
    for uid in ["ALPHA", "fast-1", "marker-1", "GeoChat.ALPHA.All Chat Rooms.1", "GeoChat.ALPHA.BRAVO.2", "task-1"] {
        assert_eq!(romeo.heard(uid), 0, "{uid} was withheld from ROMEO (RUS): {}", romeo.1);
    }
    // And the British devices heard the public one too, once.
    bravo.until_hears("GeoChat.public.All Chat Rooms.1");
    assert_eq!(bravo.heard("GeoChat.public.All Chat Rooms.1"), 1);
    bravo.until_hears("public-1");
    assert_eq!(bravo.heard("fast-1"), 100, "every position of the burst, once");
    // Nothing came back to the sender.
    assert_eq!(alpha.heard("GeoChat.ALPHA.All Chat Rooms.1"), 0, "not echoed to ALPHA");
}

#[test]
fn a_mission_change_on_one_node_notifies_a_subscribed_device_on_another_once_and_a_deletion_ends_its_routing() {
    let tmp = tempfile::tempdir().unwrap();
    let nats = Nats::start(&tmp.path().join("nats"), 3);
    let store = crate::postgres::store_url();
    on_store(&store, || add_user(&tmp.path().join("a"), "gbr.op", "GBR", "monitor", "NATO SECRET", &[]));
    let pki = Pki::new(&tmp.path().join("pki"), &store, &[("ALPHA", "gbr.op"), ("CHARLIE", "gbr.op")]);
    let (_a, [_, tls_a, api_a]) = tak_node(&tmp.path().join("a"), &store, &nats, &pki);
    let (_b, [_, tls_b, _]) = tak_node(&tmp.path().join("b"), &store, &nats, &pki);
    let mut alpha = Device::tls(&tls_a, &pki, "ALPHA");
    let mut charlie = Device::tls(&tls_b, &pki, "CHARLIE");
    charlie.send(&sa("charlie-uid", 47.2));
    alpha.send(&sa("alpha-uid", 47.3));
    alpha.until_hears("charlie-uid");
    charlie.until_hears("alpha-uid");

    // ALPHA makes a mission on A and subscribes CHARLIE's device to it there (the subscription is in
    // the shared store; B learns of it from A).
    let (status, body) = pki.api(&api_a, "ALPHA", "PUT", "/Marti/api/missions/ops?creatorUid=alpha-uid");
    assert_eq!(status, 201, "{body}");
    let (status, body) = pki.api(&api_a, "ALPHA", "PUT", "/Marti/api/missions/ops/subscription?uid=charlie-uid");
    assert_eq!(status, 201, "{body}");
    // ALPHA sends a marker to the mission: it reaches the subscribed device on B, and joins the
    // mission's contents on A, a change every subscriber is told of once, CHARLIE by B.
    alpha.send(&cot("marker-ops", "b-m-p-s-m", 47.5, "<marti><dest mission=\"ops\"/></marti>"));
    charlie.until_hears("marker-ops");
    charlie.until("type=\"t-x-m-c\"");
    alpha.until("type=\"t-x-m-c\"");
    // A last message from A, sent after the change was made: anything else from A came before it.
    alpha.send(&chat("GeoChat.alpha-uid.All Chat Rooms.1", "done", None));
    charlie.until_hears("GeoChat.alpha-uid.All Chat Rooms.1");
    assert_eq!(charlie.heard("marker-ops"), 1, "the mission's marker once: {}", charlie.1);
    assert_eq!(charlie.1.matches("type=\"t-x-m-c\"").count(), 1, "one notification: {}", charlie.1);
    assert!(charlie.1.contains("<contentUid>marker-ops</contentUid>"), "{}", charlie.1);
    assert_eq!(alpha.1.matches("type=\"t-x-m-c\"").count(), 1, "one notification on A too: {}", alpha.1);

    // ALPHA deletes the mission on A: CHARLIE is told once, by B, and B forgets the mission's
    // routing, so what is addressed to it afterwards reaches nobody there.
    let (status, body) = pki.api(&api_a, "ALPHA", "DELETE", "/Marti/api/missions/ops");
    assert_eq!(status, 200, "{body}");
    charlie.until("type=\"t-x-m-d\"");
    alpha.send(&cot("marker-late", "b-m-p-s-m", 47.5, "<marti><dest mission=\"ops\"/></marti>"));
    alpha.send(&chat("GeoChat.alpha-uid.All Chat Rooms.2", "after", None));
    charlie.until_hears("GeoChat.alpha-uid.All Chat Rooms.2");
    assert_eq!(charlie.1.matches("type=\"t-x-m-d\"").count(), 1, "one deletion: {}", charlie.1);
    assert_eq!(charlie.heard("marker-late"), 0, "the deleted mission's routing is gone on B: {}", charlie.1);
}

/// Posts observations to the nodes in turn, keeping which were acknowledged.
struct Poster {
    acked: Arc<Mutex<Vec<String>>>,
    targets: Arc<Mutex<Vec<(String, String)>>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Poster {
    /// Posts to `targets` (address, session) in turn without pause.
    fn start(targets: Vec<(String, String)>) -> Self {
        let acked = Arc::new(Mutex::new(Vec::new()));
        let targets = Arc::new(Mutex::new(targets));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (a, t, s) = (acked.clone(), targets.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let mut n = 0u64;
            while !s.load(std::sync::atomic::Ordering::Relaxed) {
                let list = t.lock().unwrap().clone();
                let (addr, token) = &list[n as usize % list.len()];
                let id = format!("load-{n}");
                n += 1;
                let body = obs(&id, "NATO UNCLASSIFIED", &["NATO"]).to_string();
                if crate::util::post_json(addr, token, "/api/v1/observations", &body) == Some(201) {
                    a.lock().unwrap().push(id);
                }
            }
        });
        Poster { acked, targets, stop, thread: Some(thread) }
    }

    fn acked(&self) -> usize {
        self.acked.lock().unwrap().len()
    }

    /// Waits until `more` further posts are acknowledged (at most 60 s).
    fn wait_for(&self, more: usize) {
        let goal = self.acked() + more;
        let end = Instant::now() + Duration::from_secs(60);
        while self.acked() < goal {
            assert!(Instant::now() < end, "only {} of {goal} posts acknowledged", self.acked());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn finish(mut self) -> Vec<String> {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.thread.take().unwrap().join().unwrap();
        self.acked.lock().unwrap().clone()
    }
}

/// Reads a stream on its own thread: each observation id with when it arrived.
fn watch(mut ws: Ws) -> Arc<Mutex<Vec<(String, Instant)>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    set_timeout(&mut ws, Duration::from_millis(200));
    std::thread::spawn(move || {
        loop {
            match ws.read() {
                Ok(msg) => {
                    let Ok(v) = serde_json::from_str::<Value>(msg.to_text().unwrap_or("")) else { continue };
                    if v["type"] == "observation" {
                        s.lock().unwrap().push((v["observation"]["id"].as_str().unwrap().to_owned(), Instant::now()));
                    }
                }
                Err(tungstenite::Error::Io(e))
                    if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
                Err(_) => return,
            }
        }
    });
    seen
}

/// The longest time between two deliveries from `since` on.
fn longest_gap(seen: &[(String, Instant)], since: Instant) -> Duration {
    let times: Vec<Instant> = seen.iter().map(|(_, t)| *t).filter(|t| *t >= since).collect();
    times.windows(2).map(|w| w[1] - w[0]).max().unwrap_or_default()
}

/// Devices per node in the fault test, each reporting every [`REPORT_EVERY`].
const DEVICES_PER_NODE: usize = 5;

/// How often a device of the fault test reports its position (2 Hz).
const REPORT_EVERY: Duration = Duration::from_millis(500);

/// Positions are carried live, not stored: those on their way through the NATS server that dies
/// may be lost (the next one follows within [`REPORT_EVERY`]). The only positions a device may miss
/// are those sent within this of the server's death.
const LOST_WITH_A_SERVER: Duration = Duration::from_secs(2);

/// A position of one device as another heard it: (its uid, its sequence number, when it arrived).
type Heard = (String, u64, Instant);

/// A TAK device on its own thread that reports its position every [`REPORT_EVERY`] (its sequence
/// number as the height, `hae`) until told to stop, and keeps every position of another reporting
/// device it hears. It ends when its node closes the connection.
struct Reporter {
    uid: String,
    /// Positions sent.
    sent: Arc<std::sync::atomic::AtomicU64>,
    /// When each was sent.
    sent_at: Arc<Mutex<Vec<Instant>>>,
    heard: Arc<Mutex<Vec<Heard>>>,
    sending: Arc<std::sync::atomic::AtomicBool>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Reporter {
    fn start(addr: &str, uid: &str, lat: f64) -> Self {
        use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
        let mut c = std::net::TcpStream::connect(addr).unwrap();
        c.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
        let (sent, heard) = (Arc::new(AtomicU64::new(0)), Arc::new(Mutex::new(Vec::new())));
        let (sending, stop) = (Arc::new(AtomicBool::new(true)), Arc::new(AtomicBool::new(false)));
        let sent_at = Arc::new(Mutex::new(Vec::new()));
        let (me, s, h, go, end) = (uid.to_owned(), sent.clone(), heard.clone(), sending.clone(), stop.clone());
        let at = sent_at.clone();
        let thread = std::thread::spawn(move || {
            let mut next = Instant::now();
            let mut text = String::new();
            let mut buf = [0u8; 16384];
            while !end.load(Ordering::Relaxed) {
                if go.load(Ordering::Relaxed) && Instant::now() >= next {
                    let n = s.load(Ordering::Relaxed);
                    let report = sa(&me, lat).replace("hae=\"50\"", &format!("hae=\"{n}\""));
                    at.lock().unwrap().push(Instant::now());
                    if c.write_all(report.as_bytes()).is_err() {
                        return;
                    }
                    s.store(n + 1, Ordering::Relaxed);
                    next += REPORT_EVERY;
                }
                match c.read(&mut buf) {
                    Ok(0) => return,
                    Ok(k) => text.push_str(&String::from_utf8_lossy(&buf[..k])),
                    Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
                    Err(_) => return,
                }
                let now = Instant::now();
                while let Some(end) = text.find("</event>") {
                    let event: String = text.drain(..end + "</event>".len()).collect();
                    let attr = |name: &str| {
                        let start = event.find(&format!(" {name}=\""))? + name.len() + 3;
                        event[start..].split('"').next().map(str::to_owned)
                    };
                    if let (Some(uid), Some(hae)) = (attr("uid"), attr("hae"))
                        && uid.starts_with("dev-")
                    {
                        let n = hae.parse::<f64>().unwrap() as u64;
                        h.lock().unwrap().push((uid, n, now));
                    }
                }
            }
        });
        Reporter { uid: uid.to_owned(), sent, sent_at, heard, sending, stop, thread: Some(thread) }
    }

    /// The sequence numbers heard from `uid`, with when, in arrival order.
    fn heard_from(&self, uid: &str) -> Vec<(u64, Instant)> {
        self.heard.lock().unwrap().iter().filter(|(u, _, _)| u == uid).map(|(_, n, t)| (*n, *t)).collect()
    }

    fn sent(&self) -> u64 {
        self.sent.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl Drop for Reporter {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Waits (at most `within`) until `ok`, saying `what` if it never holds.
fn wait_until(within: Duration, what: impl Fn() -> String, ok: impl Fn() -> bool) {
    let end = Instant::now() + within;
    while !ok() {
        assert!(Instant::now() < end, "within {within:?}: {}", what());
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn killing_a_node_or_a_nats_server_loses_and_duplicates_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let nats = Nats::start(&tmp.path().join("nats"), 3);
    let store = crate::postgres::store_url();
    let dirs: Vec<PathBuf> = ["a", "b", "c"].iter().map(|n| tmp.path().join(n)).collect();
    let a = node(&dirs[0], &store, &nats);
    let b = node(&dirs[1], &store, &nats);
    let c = node(&dirs[2], &store, &nats);
    let target = |s: &Server| (s.addr.clone(), s.token().unwrap());
    let seen = watch(b.stream());
    // Five devices on each node, each reporting twice a second: every device hears every other one,
    // whatever node it is on.
    let tcp = [a.tak_addr("tcp"), b.tak_addr("tcp"), c.tak_addr("tcp")];
    let devices: Vec<(usize, Reporter)> = (0..3)
        .flat_map(|n| (0..DEVICES_PER_NODE).map(move |i| (n, i)))
        .map(|(n, i)| {
            let uid = format!("dev-{}-{i}", ["a", "b", "c"][n]);
            (n, Reporter::start(&tcp[n], &uid, 47.0 + 0.01 * (n * DEVICES_PER_NODE + i) as f64))
        })
        .collect();
    wait_until(
        Duration::from_secs(30),
        || "every device hears every other one".into(),
        || devices.iter().all(|(_, r)| devices.iter().all(|(_, s)| s.uid == r.uid || !r.heard_from(&s.uid).is_empty())),
    );
    let poster = Poster::start(vec![target(&a), target(&c)]);
    poster.wait_for(20);

    // SIGKILL node A: B keeps receiving what C receives, with no gap over 2 s; a device of A
    // reconnects to C and gets the picture.
    let killed_at = Instant::now();
    a.kill();
    *poster.targets.lock().unwrap() = vec![target(&c)];
    poster.wait_for(20);
    let gap = longest_gap(&seen.lock().unwrap(), killed_at);
    assert!(gap <= Duration::from_secs(2), "B's stream went {gap:?} without a delivery after node A died");
    Device::connect(&tcp[2]).until_hears("dev-b-0");
    let leader = one_leader(&[&b, &c], Duration::from_secs(20));
    eprintln!("after A died the watch task is led by {}", ["B", "C"][leader]);

    // SIGKILL the NATS server leading the stream (the others must elect another), go on, start it
    // again.
    let stream_leader = nats.leader("TRUCE_EVENTS");
    let nats_killed_at = Instant::now();
    nats.kill(stream_leader);
    poster.wait_for(20);
    nats.restart(stream_leader);
    // Node A comes back (same data directory, same store) and takes posts again.
    let a = node(&dirs[0], &store, &nats);
    *poster.targets.lock().unwrap() = vec![target(&a), target(&c)];
    poster.wait_for(20);
    let acked = poster.finish();

    // Every acknowledged observation reached B's stream, exactly once, and is in the store.
    let end = Instant::now() + Duration::from_secs(30);
    let counts = loop {
        let mut counts: HashMap<String, usize> = HashMap::new();
        for (id, _) in seen.lock().unwrap().iter() {
            *counts.entry(id.clone()).or_default() += 1;
        }
        if acked.iter().all(|id| counts.contains_key(id)) || Instant::now() > end {
            break counts;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let missing: Vec<&String> = acked.iter().filter(|id| !counts.contains_key(*id)).collect();
    assert!(missing.is_empty(), "{} of {} acknowledged never reached B: {missing:?}", missing.len(), acked.len());
    let twice: Vec<(&String, &usize)> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "delivered more than once: {twice:?}");
    let (status, v) = b.json("GET", "/api/v1/observations?limit=10000", b"");
    assert_eq!(status, 200);
    let stored: HashSet<&str> = v["observations"].as_array().unwrap().iter().filter_map(|o| o["id"].as_str()).collect();
    let lost: Vec<&String> = acked.iter().filter(|id| !stored.contains(id.as_str())).collect();
    assert!(lost.is_empty(), "acknowledged but not stored: {lost:?}");

    // The devices on B and C stop reporting; each hears the last position of each device of the other
    // surviving node.
    for (_, r) in &devices {
        r.sending.store(false, std::sync::atomic::Ordering::Relaxed);
    }
    let surviving: Vec<&(usize, Reporter)> = devices.iter().filter(|(n, _)| *n != 0).collect();
    let pairs =
        || surviving.iter().flat_map(|(n, r)| surviving.iter().filter(move |(m, _)| m != n).map(move |(_, s)| (r, s)));
    wait_until(
        Duration::from_secs(30),
        || {
            let behind: Vec<String> = pairs()
                .filter(|(r, s)| r.heard_from(&s.uid).last().map(|(n, _)| n + 1) != Some(s.sent()))
                .map(|(r, s)| format!("{} of {}", r.uid, s.uid))
                .collect();
            format!("every device heard the last position of every device on the other node; not: {behind:?}")
        },
        || pairs().all(|(r, s)| r.heard_from(&s.uid).iter().any(|(n, _)| n + 1 == s.sent())),
    );
    // A device on B or C heard every position of every device of the other node from its first on,
    // once, but for those sent as the NATS server died; and A's devices' positions until A died, each
    // once. They went on arriving through the death of node A and of the NATS server leading the
    // stream, never 2 s apart.
    let mut longest = (Duration::ZERO, String::new());
    let mut lost = 0;
    for (n, r) in &surviving {
        for (m, s) in devices.iter().filter(|(m, _)| m != n) {
            let heard = r.heard_from(&s.uid);
            let mut numbers: Vec<u64> = heard.iter().map(|(n, _)| *n).collect();
            numbers.sort_unstable();
            let before = numbers.len();
            numbers.dedup();
            assert_eq!(numbers.len(), before, "{} heard a position of {} twice", r.uid, s.uid);
            if *m != 0 {
                let sent_at = s.sent_at.lock().unwrap().clone();
                let missing: Vec<u64> = (numbers[0]..s.sent()).filter(|k| numbers.binary_search(k).is_err()).collect();
                for k in &missing {
                    let t = sent_at[*k as usize];
                    let near = t + LOST_WITH_A_SERVER > nats_killed_at && t < nats_killed_at + LOST_WITH_A_SERVER;
                    assert!(
                        near,
                        "{} never heard position {k} of {}, sent away from the NATS server's death",
                        r.uid, s.uid
                    );
                }
                lost += missing.len();
            }
            for w in heard.windows(2) {
                let gap = w[1].1 - w[0].1;
                if gap > longest.0 {
                    longest = (gap, format!("{} hearing {} (positions {} to {})", r.uid, s.uid, w[0].0, w[1].0));
                }
            }
        }
    }
    eprintln!("the longest a device went without hearing another node's device: {:?}, {}", longest.0, longest.1);
    eprintln!("positions lost with the NATS server: {lost}");
    assert!(longest.0 <= Duration::from_secs(2), "{:?} without a position: {}", longest.0, longest.1);
    drop(c);
}

/// The node's count of watch rounds it ran (`led` = `yes`) or left to the leader (`no`).
fn rounds(s: &Server, led: &str) -> u64 {
    let (status, text) = s.http("GET", "/metrics", b"");
    assert_eq!(status, 200, "{text}");
    let key = format!("truce_watch_rounds_total{{led=\"{led}\"}} ");
    text.lines().find_map(|l| l.strip_prefix(&key)).map_or(0, |n| n.trim().parse().unwrap())
}

#[test]
fn an_alert_is_raised_once_however_many_nodes_watch() {
    let tmp = tempfile::tempdir().unwrap();
    let nats = Nats::start(&tmp.path().join("nats"), 3);
    let store = crate::postgres::store_url();
    let watch = |dir: &str| {
        on_store(&store, || {
            crate::util::serve(
                &tmp.path().join(dir),
                &["--nats", &nats.urls, "--nats-replicas", "3", "--watch-every", "1"],
            )
        })
    };
    let (a, b) = (watch("a"), watch("b"));
    let leader = one_leader(&[&a, &b], Duration::from_secs(20));
    let (lead, follow) = if leader == 0 { (&a, &b) } else { (&b, &a) };
    // A burst of GPS jamming on the line in the last hours raises the level of its sector.
    let now = time::OffsetDateTime::now_utc();
    let burst: Vec<Value> = (0..6i64)
        .map(|i| {
            let t = (now - time::Duration::minutes(30 + 10 * i)).format(&time::format_description::well_known::Rfc3339);
            json!({"id": format!("jam-{i}"), "time": t.unwrap(), "category": "gps_jamming",
                "lat": 48.28 + 0.001 * i as f64, "lon": 37.18, "releasable_to": ["GBR"]})
        })
        .collect();
    let (status, body) = follow.json("POST", "/api/v1/observations", json!(burst).to_string().as_bytes());
    assert_eq!(status, 201, "{body}");
    let alerts = |s: &Server| -> Vec<Value> {
        let (status, v) = s.json("GET", "/api/v1/alerts?limit=10000", b"");
        assert_eq!(status, 200, "{v}");
        v["alerts"].as_array().unwrap().clone()
    };
    let end = Instant::now() + Duration::from_secs(60);
    while alerts(lead).is_empty() {
        assert!(Instant::now() < end, "the burst's alert within 60 s");
        std::thread::sleep(Duration::from_millis(100));
    }
    // Both nodes keep watching for three more rounds each: only the leader assesses, the other
    // leaves its rounds to it, and no change is stored twice.
    let (led, left) = (rounds(lead, "yes"), rounds(follow, "no"));
    let end = Instant::now() + Duration::from_secs(60);
    while rounds(lead, "yes") < led + 3 || rounds(follow, "no") < left + 3 {
        assert!(Instant::now() < end, "three more watch rounds on each node within 60 s");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(rounds(follow, "yes"), 0, "the follower never assessed");
    let listed = alerts(follow);
    assert_eq!(listed, alerts(lead), "both nodes list the same alerts");
    let mut seen = HashSet::new();
    for a in &listed {
        let change = (a["scope"].to_string(), a["previous"].to_string(), a["level"].to_string());
        assert!(seen.insert(change.clone()), "the change {change:?} was raised twice: {listed:?}");
    }
}

#[test]
fn a_cluster_that_cannot_be_reached_is_named_and_leaves_no_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("never");
    // Nothing listens on a port just bound and released.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("nats://127.0.0.1:{port}");
    let run = crate::util::truce(&["serve", "--data-dir", dir.to_str().unwrap(), "--nats", &url], b"");
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains(&format!("NATS: connecting to {url}: no server answered")), "{}", run.stderr);
    assert!(!dir.exists(), "no data directory is made for a node that could not start");
}
