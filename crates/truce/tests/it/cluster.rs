//! Several `truce serve` nodes on one PostgreSQL and one three-server NATS JetStream cluster (real
//! processes: `scripts/nats`, the test PostgreSQL of `scripts/pg`): what one node receives reaches
//! every node's viewers as their labels allow, TAK devices on different nodes see each other, one node
//! leads the watch task, and killing a node or a NATS server loses and duplicates nothing.

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

/// A friendly SA of `uid` at `lat`, 35.6 E, sent now.
fn sa(uid: &str, lat: f64) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    let now = time::OffsetDateTime::now_utc();
    let (t, stale) = (now.format(&f).unwrap(), (now + time::Duration::minutes(5)).format(&f).unwrap());
    format!(
        "<event version=\"2.0\" uid=\"{uid}\" type=\"a-f-G-U-C\" how=\"m-g\" time=\"{t}\" start=\"{t}\" stale=\"{stale}\">\
         <point lat=\"{lat}\" lon=\"35.6\" hae=\"50\" ce=\"5\" le=\"5\"/><detail><contact callsign=\"{uid}\"/>\
         <__group name=\"Cyan\" role=\"Team Member\"/></detail></event>"
    )
}

/// A TAK device over plain TCP.
struct Device(std::net::TcpStream, String);

impl Device {
    fn connect(addr: &str) -> Self {
        let c = std::net::TcpStream::connect(addr).unwrap();
        c.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
        Device(c, String::new())
    }

    fn send(&mut self, cot: &str) {
        self.0.write_all(cot.as_bytes()).unwrap();
    }

    /// Waits (at most 20 s) until an event of `uid` has arrived.
    fn until_hears(&mut self, uid: &str) {
        let end = Instant::now() + Duration::from_secs(20);
        let needle = format!("uid=\"{uid}\"");
        let mut buf = [0u8; 8192];
        while !self.1.contains(&needle) {
            assert!(Instant::now() < end, "no event of {uid} within 20 s; heard: {}", self.1);
            match self.0.read(&mut buf) {
                Ok(0) => panic!("the server closed the connection"),
                Ok(n) => self.1.push_str(&String::from_utf8_lossy(&buf[..n])),
                Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
                Err(e) => panic!("{e}"),
            }
        }
    }
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

    // One node leads the watch task.
    one_leader(&[&a, &b], Duration::from_secs(20));
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
    // A device on A, and one on B whose position everyone should have.
    let mut on_b = Device::connect(&b.tak_addr("tcp"));
    on_b.send(&sa("bravo-1", 47.2));
    Device::connect(&a.tak_addr("tcp")).until_hears("bravo-1");
    let poster = Poster::start(vec![target(&a), target(&c)]);
    poster.wait_for(20);

    // SIGKILL node A: B keeps receiving what C receives, with no gap over 2 s; A's device reconnects
    // to C and gets the picture.
    let killed_at = Instant::now();
    a.kill();
    *poster.targets.lock().unwrap() = vec![target(&c)];
    poster.wait_for(20);
    let gap = longest_gap(&seen.lock().unwrap(), killed_at);
    assert!(gap <= Duration::from_secs(2), "B's stream went {gap:?} without a delivery after node A died");
    Device::connect(&c.tak_addr("tcp")).until_hears("bravo-1");
    let leader = one_leader(&[&b, &c], Duration::from_secs(20));
    eprintln!("after A died the watch task is led by {}", ["B", "C"][leader]);

    // SIGKILL one NATS server, go on, start it again.
    nats.kill(1);
    poster.wait_for(20);
    nats.restart(1);
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
