//! `truce demo` connects its simulated TAK units to its own TAK server over TCP: their tracks, the
//! stand-off geofence alert and the monitor's weapon sighting reach the API.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::Server;

/// Polls `f` every 250 ms until it gives a value or `limit` passes.
fn wait_for<T>(what: &str, limit: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(start.elapsed() < limit, "{what}: not seen within {} s", limit.as_secs());
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn the_demo_units_report_over_tak_and_one_enters_the_standoff_zone() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_in(
        dir.path(),
        &["demo", "--port", "0", "--days", "1", "--data-dir", dir.path().join("data").to_str().unwrap()],
    );

    let tracks = wait_for("the simulated units on /api/v1/tracks", Duration::from_secs(60), || {
        let (status, body) = server.json("GET", "/api/v1/tracks", b"");
        assert_eq!(status, 200, "{body}");
        let tracks = body["tracks"].as_array().cloned().unwrap_or_default();
        let friendly = tracks.iter().filter(|t| t["type"].as_str().is_some_and(|t| t.starts_with("a-f-"))).count();
        (friendly >= 6).then_some(tracks)
    });
    let callsigns: Vec<&str> = tracks.iter().filter_map(|t| t["callsign"].as_str()).collect();
    for want in ["UK-RECCE-1", "UK-RECCE-2", "FR-MECH-1", "MON-ALPHA-1"] {
        assert!(callsigns.contains(&want), "{want} not among {callsigns:?}");
    }
    let recce = tracks.iter().find(|t| t["callsign"] == "UK-RECCE-1").unwrap();
    assert_eq!(recce["group"], "Cyan");
    assert!(recce["source"].as_str().is_some_and(|s| !s.is_empty()), "{recce}");
    assert!(recce["speed"].is_number() && recce["course"].is_number(), "{recce}");

    let enter: Value = wait_for("an enter of force_standoff on /api/v1/geofence", Duration::from_secs(120), || {
        let (status, body) = server.json("GET", "/api/v1/geofence?after=0&limit=10000", b"");
        assert_eq!(status, 200, "{body}");
        body["events"]
            .as_array()
            .and_then(|e| e.iter().find(|g| g["kind"] == "enter" && g["fence_id"] == "force_standoff").cloned())
    });
    assert_eq!(enter["callsign"], "UK-RECCE-2");
    assert!(enter["seq"].as_i64().is_some_and(|s| s > 0), "{enter}");

    let sighting = wait_for("the howitzer on /api/v1/observations", Duration::from_secs(60), || {
        let (status, body) = server.json("GET", "/api/v1/observations/cot-truce-demo-mark-howitzer-1", b"");
        (status == 200).then_some(body)
    });
    assert_eq!(sighting["category"], "weapon_sighting", "{sighting}");
    assert_eq!(sighting["weapon_class"], "artillery_100mm", "{sighting}");
    assert_eq!(sighting["observer"]["means"], "tak_device", "{sighting}");
    let codes: Vec<&str> = sighting["classification"]["violations"]
        .as_array()
        .map(|v| v.iter().filter_map(|v| v["code"].as_str()).collect())
        .unwrap_or_default();
    assert!(codes.contains(&"weapon_forward_of_withdrawal_line"), "{sighting}");
}
