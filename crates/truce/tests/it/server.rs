//! `truce serve` over real sockets: the API's answers and errors, the stream, and durability of an
//! acknowledged write across SIGKILL.

use serde_json::{Value, json};

use crate::util::Server;

fn serve(dir: &std::path::Path) -> Server {
    crate::util::serve(dir, &[])
}

fn obs(id: &str, lat: f64, lon: f64, category: &str) -> Value {
    json!({"id": id, "time": "2026-11-25T01:00:00Z", "lat": lat, "lon": lon, "category": category, "observer": {"means": "patrol", "team": "MT-1"}})
}

#[test]
fn post_get_list_and_stats() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path());
    let (status, body) = s.json(
        "POST",
        "/api/v1/observations",
        obs("k1", 46.6354, 32.6169, "explosion_outgoing").to_string().as_bytes(),
    );
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["ids"], json!(["k1"]));
    let (status, body) = s.json(
        "POST",
        "/api/v1/observations",
        json!([obs("k1", 46.6354, 32.6169, "explosion_outgoing"), obs("k2", 48.0159, 37.8028, "muzzle_flash")])
            .to_string()
            .as_bytes(),
    );
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        (body["ids"].clone(), body["duplicates"].clone()),
        (json!(["k2"]), json!(["k1"])),
        "the same id is stored once"
    );

    let (status, one) = s.json("GET", "/api/v1/observations/k1", b"");
    assert_eq!(status, 200);
    assert_eq!(one["classification"]["violations"][0]["code"], "cfv_in_security_zone");
    assert_eq!(one["classification"]["lines"]["loc"]["side"], "ukr");

    let (_, list) = s.json("GET", "/api/v1/observations?category=muzzle_flash", b"");
    assert_eq!(list["observations"].as_array().unwrap().len(), 1);
    let (_, geo) = s.json("GET", "/api/v1/observations?format=geojson&violation=cfv_in_security_zone&limit=10", b"");
    assert_eq!(geo["type"], "FeatureCollection");
    assert_eq!(geo["features"][0]["geometry"]["coordinates"], json!([32.6169, 46.6354]));
    // The brief form: what the map draws by, no more.
    let (_, brief) = s.json("GET", "/api/v1/observations?format=brief&violation=cfv_in_security_zone&limit=10", b"");
    let b = &brief["observations"][0];
    assert_eq!((b["id"].as_str(), b["lat"].as_f64(), b["lon"].as_f64()), (Some("k1"), Some(46.6354), Some(32.6169)));
    assert_eq!(b["violations"], json!(["cfv_in_security_zone"]));
    assert_eq!((b["category"].clone(), b["marking"].clone()), (one["category"].clone(), one["marking"].clone()));
    assert!(b.get("classification").is_none() && b.get("observer").is_none(), "brief: {b}");
    assert_eq!(brief["next"], Value::Null);
    let (_, near) = s.json("GET", "/api/v1/observations?near=46.64,32.62,5", b"");
    assert_eq!(near["observations"].as_array().unwrap().len(), 1);

    let (_, stats) = s.json("GET", "/api/v1/stats", b"");
    assert_eq!(stats["total"], 2);
    assert_eq!(stats["by_violation"]["cfv_in_security_zone"], 1, "Donetsk is outside the security zone");
    assert_eq!(stats["by_day"]["2026-11-25"], 2);

    let (status, health) = s.json("GET", "/healthz", b"");
    assert_eq!((status, health["status"].clone()), (200, json!("ok")));
    assert!(health.get("observations").is_none(), "no count without a session: {health}");
    let (_, metrics) = s.http("GET", "/metrics", b"");
    assert!(metrics.contains("truce_observations_stored_total 2"), "{metrics}");
    let (_, summary) = s.json("GET", "/api/v1/agreement", b"");
    assert_eq!(summary["id"], "illustrative-2026");
    let (_, geometry) = s.json("GET", "/api/v1/agreement/geometry", b"");
    let features = geometry["features"].as_array().unwrap();
    assert!(
        features.iter().any(|f| f["properties"]["id"] == "security_zone" && f["geometry"]["type"] == "MultiPolygon")
    );
    let (_, api) = s.json("GET", "/api/v1/openapi.json", b"");
    for path in ["/api/v1/observations", "/api/v1/observations/{id}", "/api/v1/stats", "/api/v1/stream", "/healthz"] {
        assert!(api["paths"][path].is_object(), "{path} missing from the OpenAPI document");
    }
    let (status, page) = s.http("GET", "/", b"");
    assert_eq!(status, 200);
    assert!(page.contains("<html") || page.contains("<!doctype") || page.contains("<!DOCTYPE"));
}

#[test]
fn bad_requests_get_stable_codes_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path());
    let cases: Vec<(Vec<u8>, u16, &str, Option<&str>)> = vec![
        (b"{\"time\": ".to_vec(), 400, "malformed_json", None),
        (b"\xff\xfe".to_vec(), 400, "malformed_json", None),
        (b"42".to_vec(), 400, "invalid_type", None),
        (b"[1]".to_vec(), 400, "invalid_type", Some("[0]")),
        (json!({"time": "2026-11-25T01:00:00Z", "lat": 91, "lon": 30, "category": "muzzle_flash"}).to_string().into_bytes(), 422, "invalid_observation", Some("lat")),
        (json!({"time": "2026-11-25T01:00:00Z", "lat": 48, "lon": 37, "category": "shelling"}).to_string().into_bytes(), 422, "invalid_observation", Some("category")),
        (json!({"lat": 48, "lon": 37, "category": "muzzle_flash"}).to_string().into_bytes(), 422, "invalid_observation", Some("time")),
        (json!({"time": "2026-11-25T01:00:00Z", "lat": 48, "lon": 37, "category": "weapon_sighting", "weapon_class": "howitzer"}).to_string().into_bytes(), 422, "invalid_observation", Some("weapon_class")),
        (json!([obs("good", 48.0, 37.0, "muzzle_flash"), {"id": "bad", "lat": 48}]).to_string().into_bytes(), 422, "invalid_observation", Some("[1].time")),
        (vec![b' '; 9 * 1024 * 1024], 413, "body_too_large", None),
    ];
    for (body, status, code, field) in cases {
        let (got, err) = s.json("POST", "/api/v1/observations", &body);
        assert_eq!((got, err["error"]["code"].as_str()), (status, Some(code)), "{err}");
        if let Some(f) = field {
            assert_eq!(err["error"]["field"], f, "{err}");
        }
    }
    let many: Vec<Value> = (0..10_001).map(|i| obs(&format!("m{i}"), 48.0, 37.0, "muzzle_flash")).collect();
    let (status, err) = s.json("POST", "/api/v1/observations", json!(many).to_string().as_bytes());
    assert_eq!((status, err["error"]["code"].as_str()), (413, Some("batch_too_large")));
    let (_, stats) = s.json("GET", "/api/v1/stats", b"");
    assert_eq!(stats["total"], 0, "nothing of a rejected request is stored");
    for (path, field) in [
        ("/api/v1/observations?bbox=1,2,3", "bbox"),
        ("/api/v1/observations?limit=0", "limit"),
        ("/api/v1/observations?since=yesterday", "since"),
        ("/api/v1/observations?cursor=zz", "cursor"),
        ("/api/v1/stats?category=nope", "category"),
    ] {
        let (status, err) = s.json("GET", path, b"");
        assert_eq!((status, err["error"]["field"].as_str()), (400, Some(field)), "{path}: {err}");
    }
    let (status, err) = s.json("GET", "/api/v1/observations/nope", b"");
    assert_eq!((status, err["error"]["code"].as_str()), (404, Some("not_found")));
}

#[test]
fn an_acknowledged_observation_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path());
    let mut acked = Vec::new();
    for i in 0..40 {
        let id = format!("durable-{i}");
        let (status, body) = s.json(
            "POST",
            "/api/v1/observations",
            obs(&id, 48.0 + f64::from(i) * 0.01, 37.0, "explosion_impact").to_string().as_bytes(),
        );
        assert_eq!(status, 201, "{body}");
        acked.push(id);
    }
    // Killed right after the last 201: no shutdown, no flush.
    s.kill();
    let s = serve(dir.path());
    for id in &acked {
        let (status, _) = s.json("GET", &format!("/api/v1/observations/{id}"), b"");
        assert_eq!(status, 200, "{id} was acknowledged and lost");
    }
    let (_, stats) = s.json("GET", "/api/v1/stats", b"");
    assert_eq!(stats["total"], 40);
    // Every acknowledged write has its audit entry, and the log is intact after the kill.
    let d = dir.path().to_str().unwrap();
    let run = crate::util::truce(&["audit", "list", "--data-dir", d, "--limit", "10000"], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let writes = run.stdout.lines().filter(|l| l.contains("\"kind\":\"write\"")).count();
    assert_eq!(writes, 40, "one audit entry per acknowledged write");
    let run = crate::util::truce(&["audit", "verify", "--data-dir", d], b"");
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
}

#[test]
fn the_stream_delivers_what_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path());
    let mut ws = s.stream();
    // The subscription exists once the upgrade is done; a POST now must be delivered.
    let (status, _) =
        s.json("POST", "/api/v1/observations", obs("live-1", 47.6, 36.0, "explosion_impact").to_string().as_bytes());
    assert_eq!(status, 201);
    let msg = ws.read().expect("a message");
    let v: Value = serde_json::from_str(msg.to_text().unwrap()).unwrap();
    assert_eq!(v["type"], "observation");
    assert_eq!(v["observation"]["id"], "live-1");
    assert!(v["observation"]["classification"]["zones"].as_array().unwrap().iter().any(|z| z == "security_zone"));
    // With the early-warning sector it counts in (the map's sector filter reads it), and none far away.
    assert_eq!(v["observation"]["sector"], "zaporizhzhia", "{v}");
    let (status, _) = s.json(
        "POST",
        "/api/v1/observations",
        obs("live-kyiv", 50.45, 30.5, "explosion_impact").to_string().as_bytes(),
    );
    assert_eq!(status, 201);
    let v: Value = serde_json::from_str(ws.read().expect("a message").to_text().unwrap()).unwrap();
    assert_eq!((&v["observation"]["id"], v["observation"].get("sector")), (&json!("live-kyiv"), None), "{v}");
}

#[test]
fn random_bodies_never_break_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path());
    let mut state = 0x853c_49e6_748f_ea9bu64;
    let mut next = |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    };
    let fields = [
        "id",
        "time",
        "lat",
        "lon",
        "category",
        "observer",
        "count",
        "weapon_class",
        "releasable_to",
        "casualties",
        "time_end",
        "marking",
    ];
    let values = [
        json!(null),
        json!(true),
        json!(-1),
        json!(1e308),
        json!(91.5),
        json!("2026-11-25T01:00:00Z"),
        json!("explosion_impact"),
        json!("tanks"),
        json!(""),
        json!("\u{0}\u{7f}é"),
        json!([]),
        json!(["GBR", 3]),
        json!({"means": "uav", "bearing_deg": 400}),
        json!({"killed": -2}),
        json!(48.5),
        json!(37.5),
        json!("x".repeat(20_000)),
    ];
    let mut stored = 0;
    for round in 0..150 {
        let mut o = serde_json::Map::new();
        for _ in 0..next(8) {
            o.insert(
                fields[next(fields.len() as u64) as usize].into(),
                values[next(values.len() as u64) as usize].clone(),
            );
        }
        let body = if round % 10 == 9 {
            // Truncated JSON.
            let text = Value::Object(o).to_string();
            text.as_bytes()[..text.len() / 2].to_vec()
        } else {
            Value::Object(o).to_string().into_bytes()
        };
        let (status, reply) = s.json("POST", "/api/v1/observations", &body);
        assert!(
            [201, 400, 413, 422].contains(&status),
            "status {status} for {}: {reply}",
            String::from_utf8_lossy(&body)
        );
        if status == 201 {
            stored += reply["ids"].as_array().unwrap().len();
        } else {
            assert!(reply["error"]["code"].is_string(), "{reply}");
        }
    }
    // Corrections with random members, of an observation that exists: every answer is a clear error
    // or a new version, and only a withdrawal takes one out of the counts.
    let base = json!({"id": "fixed", "time": "2026-11-25T01:00:00Z", "lat": 48.5, "lon": 37.5, "category": "explosion_impact"});
    let (status, reply) = s.json("POST", "/api/v1/observations", base.to_string().as_bytes());
    assert_eq!(status, 201, "{reply}");
    stored += reply["ids"].as_array().unwrap().len();
    let members = ["version", "reason", "observation", "withdraw", "extra"];
    let choices = [
        json!(1),
        json!(2),
        json!(0),
        json!("1"),
        json!(true),
        json!(""),
        json!("why"),
        json!(null),
        base.clone(),
        json!({"lat": 91}),
    ];
    let mut withdrawn = false;
    for round in 0..150 {
        let mut o = serde_json::Map::new();
        for _ in 0..next(6) {
            o.insert(
                members[next(members.len() as u64) as usize].into(),
                choices[next(choices.len() as u64) as usize].clone(),
            );
        }
        let body = if round % 10 == 9 {
            let text = Value::Object(o).to_string();
            text.as_bytes()[..text.len() / 2].to_vec()
        } else {
            Value::Object(o).to_string().into_bytes()
        };
        let (status, reply) = s.json("PUT", "/api/v1/observations/fixed", &body);
        assert!(
            [200, 400, 409, 422].contains(&status),
            "status {status} for {}: {reply}",
            String::from_utf8_lossy(&body)
        );
        if status == 200 {
            withdrawn |= reply["change"] == "withdrawn";
        } else {
            assert!(reply["error"]["code"].is_string(), "{reply}");
        }
    }
    let (status, stats) = s.json("GET", "/api/v1/stats", b"");
    assert_eq!(status, 200, "the server is still up");
    assert_eq!(stats["total"], stored - usize::from(withdrawn), "only accepted observations are stored");
}

#[test]
fn received_since_finds_late_reports_with_old_times() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path());
    let (status, _) =
        s.json("POST", "/api/v1/observations", obs("early", 47.6, 36.0, "muzzle_flash").to_string().as_bytes());
    assert_eq!(status, 201);
    // The server's clock decides what "received" means: take the time from its own answer.
    let (_, early) = s.json("GET", "/api/v1/observations/early", b"");
    let mark = early["received_at"].as_str().unwrap().to_owned();
    // A report that arrives later but is about something that happened a week ago.
    let mut late = obs("late", 47.6, 36.0, "muzzle_flash");
    late["time"] = json!("2026-11-18T01:00:00Z");
    // Received after `early`, so at or after the mark (the store compares milliseconds).
    let (status, _) = s.json("POST", "/api/v1/observations", late.to_string().as_bytes());
    assert_eq!(status, 201);
    let (_, by_time) = s.json("GET", &format!("/api/v1/observations?since={}", mark.replace('+', "%2B")), b"");
    assert!(by_time["observations"].as_array().unwrap().iter().all(|o| o["id"] != "late"), "late is timed a week ago");
    let (_, received) =
        s.json("GET", &format!("/api/v1/observations?received_since={}", mark.replace('+', "%2B")), b"");
    let ids: Vec<&str> =
        received["observations"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"late"), "{ids:?}");
}

/// Reads one HTTP/1.1 answer (its head, then as many body bytes as `Content-Length` says) from a
/// connection that stays open: its status.
fn read_answer(c: &mut std::net::TcpStream) -> u16 {
    use std::io::Read;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(
            c.read(&mut byte).expect("the answer's head"),
            1,
            "the head ends: {}",
            String::from_utf8_lossy(&head)
        );
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap().to_ascii_lowercase();
    let length: usize =
        head.lines().find_map(|l| l.strip_prefix("content-length:")).map_or(0, |n| n.trim().parse().expect("a length"));
    let mut body = vec![0u8; length];
    c.read_exact(&mut body).expect("the answer's body");
    head[9..12].parse().expect("a status")
}

/// Reads from `c` until the server closes it: what it sent, and how long it took. A connection the
/// server resets ends the same way as one it closes.
fn until_closed(c: &mut std::net::TcpStream) -> (String, std::time::Duration) {
    use std::io::Read;
    let started = std::time::Instant::now();
    let mut got = Vec::new();
    match c.read_to_end(&mut got) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        Err(e) => panic!("the connection was not closed ({e}) after {:?}", started.elapsed()),
    }
    (String::from_utf8_lossy(&got).into_owned(), started.elapsed())
}

/// A client may not hold a connection without using it (`--http-idle`, docs/security.md): half a
/// request's head, a kept-alive connection without a next request and a body that stops coming are
/// each closed once the limit has passed — not before — while other clients are served all along,
/// the half-sent observation is not stored, and the WebSocket stream, quiet for longer than the
/// limit, still delivers.
#[test]
fn connections_that_send_nothing_are_closed_and_streams_are_not() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let s = crate::util::serve(dir.path(), &["--http-idle", "1"]);
    let mut ws = s.stream();
    let open = || {
        let c = std::net::TcpStream::connect(&s.addr).unwrap();
        // A bound on the test, far beyond the limit: a server that never closes fails it.
        c.set_read_timeout(Some(std::time::Duration::from_secs(60))).unwrap();
        c
    };
    let limit = std::time::Duration::from_millis(900);

    let mut half = open();
    half.write_all(b"GET /api/v1/stats HTTP/1.1\r\nHost: truce\r\nAuthorization: Bear").unwrap();
    let (sent, took) = until_closed(&mut half);
    assert!(took >= limit, "closed after {took:?}, before the limit");
    assert!(!sent.starts_with("HTTP/1.1 2"), "half a head was answered: {sent}");

    let mut kept = open();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: truce\r\n\r\n").unwrap();
    assert_eq!(read_answer(&mut kept), 200);
    let (sent, took) = until_closed(&mut kept);
    assert!(took >= limit && sent.is_empty(), "closed after {took:?} with {sent:?}");

    let token = s.token().unwrap();
    let mut slow = open();
    let body = obs("slow-body", 47.6, 36.0, "explosion_impact").to_string();
    write!(
        slow,
        "POST /api/v1/observations HTTP/1.1\r\nHost: truce\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
        body.len(),
        &body[..20]
    )
    .unwrap();
    let (sent, took) = until_closed(&mut slow);
    assert!(took >= limit, "closed after {took:?}, before the limit");
    assert!(sent.is_empty() || sent.starts_with("HTTP/1.1 4"), "a body that stopped was answered: {sent}");
    let (status, _) = s.http("GET", "/api/v1/observations/slow-body", b"");
    assert_eq!(status, 404, "the half-sent observation is not stored");

    // Quiet for longer than the limit all along, the stream still delivers.
    let (status, _) = s.json(
        "POST",
        "/api/v1/observations",
        obs("after-idle", 47.6, 36.0, "explosion_impact").to_string().as_bytes(),
    );
    assert_eq!(status, 201);
    let v: Value = serde_json::from_str(ws.read().expect("a message").to_text().unwrap()).unwrap();
    assert_eq!(v["observation"]["id"], "after-idle", "{v}");
}

/// A client that stops reading an answer (a page of 5,000 observations, about 21 MB, more than the
/// sockets' buffers hold) has its connection cut after `--http-stall` (counted in /metrics) and gets an
/// answer that stops short; a client that reads the same page in bursts, pausing less than the limit,
/// gets all of it.
#[test]
fn a_client_that_stops_reading_an_answer_is_cut_and_one_that_reads_slowly_is_not() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let s = crate::util::serve(dir.path(), &["--http-stall", "2"]);
    post_wordy(&s, "bulk", 10);
    let token = s.token().unwrap();
    let ask = |c: &mut std::net::TcpStream| -> usize {
        write!(
            c,
            "GET /api/v1/observations?limit=10000 HTTP/1.1\r\nHost: truce\r\nAuthorization: Bearer {token}\r\n\r\n"
        )
        .unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            assert_eq!(c.read(&mut byte).unwrap(), 1, "the head ends");
            head.push(byte[0]);
        }
        let head = String::from_utf8(head).unwrap().to_ascii_lowercase();
        assert!(head.starts_with("http/1.1 200"), "{head}");
        let length = head.lines().find_map(|l| l.strip_prefix("content-length: ")).expect("a length");
        length.trim().parse().unwrap()
    };
    let cut = r#"truce_http_responses_cut_total{reason="stalled"} 1"#;

    // Reads the head, then nothing: cut no sooner than the limit.
    let mut stalled = std::net::TcpStream::connect(&s.addr).unwrap();
    stalled.set_read_timeout(Some(std::time::Duration::from_secs(60))).unwrap();
    let length = ask(&mut stalled);
    assert!(length > 20_000_000, "{length} bytes: not more than the buffers hold");
    let asked = std::time::Instant::now();
    s.wait_for_metric(cut, "the stalled client was not cut");
    assert!(asked.elapsed() >= std::time::Duration::from_millis(1_900), "cut after {:?}", asked.elapsed());
    let mut rest = Vec::new();
    let _ = stalled.read_to_end(&mut rest);
    assert!(rest.len() < length, "{} bytes came of {length}", rest.len());

    // Reads 1 MB, pauses a fifth of a second, and so on: served whole, not cut.
    let mut slow = std::net::TcpStream::connect(&s.addr).unwrap();
    slow.set_read_timeout(Some(std::time::Duration::from_secs(60))).unwrap();
    let length = ask(&mut slow);
    let mut body = vec![0u8; length];
    for part in body.chunks_mut(1 << 20) {
        slow.read_exact(part).expect("the next megabyte");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let page: Value = serde_json::from_slice(&body).expect("the whole page");
    assert_eq!(page["observations"].as_array().map(Vec::len), Some(5_000), "{}", &page.to_string()[..200]);
    assert!(s.has_metric(cut), "only the stalled client was cut");
}

/// The WebSocket stream's writes have the same limit: a client that opened the stream and reads
/// nothing while observations keep coming (3,000 with 4,000 characters of text, about 13 MB of events,
/// more than the sockets' buffers hold) is cut after `--http-stall`; a client that reads the stream all
/// along is not, and gets what comes after.
#[test]
fn a_stream_client_that_reads_nothing_is_cut_and_one_that_reads_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let s = crate::util::serve(dir.path(), &["--http-stall", "2"]);
    let silent = s.stream();
    let mut reading = s.stream();
    let (seen, arrived) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        while let Ok(m) = reading.read() {
            if let Ok(text) = m.to_text()
                && seen.send(text.to_owned()).is_err()
            {
                return;
            }
        }
    });
    post_wordy(&s, "ws", 6);
    let cut = r#"truce_http_responses_cut_total{reason="stalled"} 1"#;
    s.wait_for_metric(cut, "the silent stream client was not cut");
    let (status, _) =
        s.json("POST", "/api/v1/observations", obs("after-cut", 47.6, 36.0, "explosion_impact").to_string().as_bytes());
    assert_eq!(status, 201);
    loop {
        let m = arrived.recv_timeout(std::time::Duration::from_secs(60)).expect("the reading client's stream goes on");
        if m.contains("\"after-cut\"") {
            break;
        }
    }
    assert!(s.has_metric(cut), "only the silent client was cut");
    drop(silent);
}

/// Posts `batches` bodies of 500 observations (`PREFIX-B-K`), each with 4,000 characters of text
/// (about 2.1 MB a body): answers and events larger than the sockets' buffers hold.
fn post_wordy(s: &Server, prefix: &str, batches: usize) {
    let text = "shelling heard from the north-east, ".repeat(112);
    for b in 0..batches {
        let batch: Vec<Value> = (0..500)
            .map(|k| {
                let mut o = obs(&format!("{prefix}-{b}-{k}"), 47.0 + f64::from(k) * 0.002, 36.0, "explosion_impact");
                o["text"] = json!(text);
                o
            })
            .collect();
        let (status, body) = s.json("POST", "/api/v1/observations", Value::Array(batch).to_string().as_bytes());
        assert_eq!(status, 201, "{body}");
    }
}

/// `truce serve` stops on SIGTERM whatever its connections hold: a request in hand is finished (its
/// body, sent after the signal, is stored and answered 201), a kept-alive connection without a request
/// is closed at once, and one that sent half a head keeps the server running at most `--http-idle`
/// (before that limit it kept it running for ever).
#[test]
fn sigterm_stops_the_server_whatever_its_connections_hold() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let mut s = crate::util::serve(dir.path(), &["--http-idle", "2"]);
    let mut half = std::net::TcpStream::connect(&s.addr).unwrap();
    half.write_all(b"GET /healthz HTTP/1.1\r\nHost: truce\r\n").unwrap();
    let token = s.token().unwrap();
    let body = obs("in-hand", 47.6, 36.0, "explosion_impact").to_string();
    let mut in_hand = std::net::TcpStream::connect(&s.addr).unwrap();
    write!(
        in_hand,
        "POST /api/v1/observations HTTP/1.1\r\nHost: truce\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
        body.len(),
        &body[..20]
    )
    .unwrap();
    // Accepted in order: once the later connection is answered, the server holds the two before it.
    let mut kept = std::net::TcpStream::connect(&s.addr).unwrap();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: truce\r\n\r\n").unwrap();
    assert_eq!(read_answer(&mut kept), 200);
    kept.set_read_timeout(Some(std::time::Duration::from_secs(60))).unwrap();

    let started = std::time::Instant::now();
    s.terminate();
    // The server has begun to stop once it closes the idle connection.
    let (sent, _) = until_closed(&mut kept);
    assert!(sent.is_empty(), "{sent}");
    in_hand.write_all(&body.as_bytes()[20..]).unwrap();
    assert_eq!(read_answer(&mut in_hand), 201, "the request in hand is finished");
    let status = s.wait_exit(started, std::time::Duration::from_secs(30));
    assert!(status.success(), "{status}");
}
