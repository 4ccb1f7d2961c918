//! The TAK server inside `truce serve`, over a real socket: events survive a SIGKILL as track
//! history, and a restart neither loses a track's state nor re-alerts it.

use std::io::Write;

use serde_json::Value;

use crate::util::Server;

fn serve(dir: &std::path::Path) -> Server {
    crate::util::serve(dir, &["--tak-tcp", "127.0.0.1:0", "--tak-udp", "off"])
}

/// A friendly SA of `uid` at `lat`, 35.6 E, sent now.
fn sa(uid: &str, lat: f64) -> String {
    let now = time::OffsetDateTime::now_utc();
    let t = truce_cot_time(now);
    let stale = truce_cot_time(now + time::Duration::minutes(5));
    format!(
        "<event version=\"2.0\" uid=\"{uid}\" type=\"a-f-G-U-C\" how=\"m-g\" time=\"{t}\" start=\"{t}\" stale=\"{stale}\">\
         <point lat=\"{lat}\" lon=\"35.6\" hae=\"50\" ce=\"5\" le=\"5\"/><detail><contact callsign=\"{uid}\" endpoint=\"*:-1:stcp\"/>\
         <__group name=\"Cyan\" role=\"Team Member\"/></detail></event>"
    )
}

fn truce_cot_time(t: time::OffsetDateTime) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    t.format(&f).unwrap()
}

/// Polls `path` until `ok` holds (bounded).
fn until(s: &Server, path: &str, ok: impl Fn(&Value) -> bool) -> Value {
    let end = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (status, body) = s.json("GET", path, b"");
        if status == 200 && ok(&body) {
            return body;
        }
        assert!(std::time::Instant::now() < end, "{path}: condition not met; last {status} {body}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

fn geofence_kinds(body: &Value, uid: &str) -> Vec<String> {
    body["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["uid"] == uid)
        .map(|e| format!("{} {}", e["kind"].as_str().unwrap(), e["fence_id"].as_str().unwrap()))
        .collect()
}

#[test]
fn tracks_survive_a_kill_and_a_restart_does_not_alert_them_again() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path());
    let mut c = std::net::TcpStream::connect(s.tak_addr("tcp")).unwrap();
    // 30 km from the line: first seen inside the 50 km stand-off.
    c.write_all(sa("alpha-1", 47.76).as_bytes()).unwrap();
    let body = until(&s, "/api/v1/geofence", |b| !geofence_kinds(b, "alpha-1").is_empty());
    assert_eq!(geofence_kinds(&body, "alpha-1"), ["inside force_standoff"]);
    until(&s, "/api/v1/tracks/alpha-1", |b| b["points"].as_array().unwrap().len() == 1);
    drop(c);
    s.kill();

    let s = serve(dir.path());
    let (status, tracks) = s.json("GET", "/api/v1/tracks", b"");
    assert_eq!(status, 200);
    assert_eq!(tracks["tracks"][0]["uid"], "alpha-1", "the live picture survived the kill: {tracks}");
    let mut c = std::net::TcpStream::connect(s.tak_addr("tcp")).unwrap();
    // Still inside, then out to 80 km: only the exit is new.
    c.write_all(sa("alpha-1", 47.77).as_bytes()).unwrap();
    c.write_all(sa("alpha-1", 48.21).as_bytes()).unwrap();
    until(&s, "/api/v1/tracks/alpha-1", |b| b["points"].as_array().unwrap().len() == 3);
    let body = until(&s, "/api/v1/geofence", |b| geofence_kinds(b, "alpha-1").len() >= 2);
    assert_eq!(geofence_kinds(&body, "alpha-1"), ["inside force_standoff", "exit force_standoff"]);
}

#[test]
fn the_track_and_geofence_routes_name_a_bad_parameter() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path());
    for (path, field) in [
        ("/api/v1/geofence?after=abc", "after"),
        ("/api/v1/geofence?after=-1", "after"),
        ("/api/v1/geofence?limit=0", "limit"),
        ("/api/v1/geofence?limit=99999999999999999999", "limit"),
        ("/api/v1/tracks/x?limit=-3", "limit"),
    ] {
        let (status, body) = s.json("GET", path, b"");
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(body["error"]["code"], "invalid_parameter", "{path}: {body}");
        assert_eq!(body["error"]["field"], field, "{path}: {body}");
    }
    let (status, body) = s.json("GET", "/api/v1/tracks/nobody", b"");
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_found")));
    let (_, api) = s.json("GET", "/api/v1/openapi.json", b"");
    for route in ["/api/v1/tracks", "/api/v1/tracks/{uid}", "/api/v1/geofence", "/api/v1/tak/status"] {
        assert!(api["paths"].get(route).is_some(), "{route} is documented in the OpenAPI");
    }
}
