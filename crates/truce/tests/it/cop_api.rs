//! The server API of the common operational picture, as a user of the workspace checks it: the new
//! observation filters give the same records in the list, the counts and the export; an export holds
//! exactly the filtered records with their labels; an acknowledgement of an alert survives a restart
//! and reaches only those who may see the alert; the track history replays a window; and every bad
//! parameter is a 400 that names it.

use std::collections::BTreeSet;
use std::io::Write;

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::util::{PASSWORD, Server, add_user, data, serve};

const MEANS: [&str; 4] = ["patrol", "uav", "fixed_camera", "sensor"];
const PARTIES: [Option<&str>; 3] = [None, Some("rus"), Some("ukr")];
const MARKINGS: [&str; 4] = ["NATO UNCLASSIFIED", "NATO RESTRICTED", "NATO CONFIDENTIAL", "NATO SECRET"];
const RELEASES: [&[&str]; 5] = [&["POL"], &["GBR"], &["NATO"], &[], &["PUBLIC"]];

/// 40 observations over three days around the Pokrovsk sector, cycling through means, parties,
/// markings and release sets; every fifth one far to the south-west.
fn batch() -> Vec<Value> {
    (0..40)
        .map(|i| {
            let t = time::macros::datetime!(2026-11-18 06:00 UTC) + time::Duration::minutes(97 * i as i64);
            let (lat, lon) = if i % 5 == 4 { (46.7, 33.1) } else { (48.0 + i as f64 * 0.01, 37.0 + i as f64 * 0.005) };
            let category = ["explosion_impact", "muzzle_flash", "bursts_and_shots"][i % 3];
            let text = if i == 7 { "=cmd|' /C calc'!A0, \"quoted\"".to_owned() } else { format!("report {i}") };
            let mut o = json!({
                "id": format!("cop-{i:02}"),
                "time": t.format(&Rfc3339).unwrap(),
                "category": category,
                "lat": lat, "lon": lon,
                "observer": {"means": MEANS[i % 4], "team": "T1"},
                "text": text,
                "marking": MARKINGS[i % 4],
                "releasable_to": RELEASES[i % 5],
            });
            if let Some(p) = PARTIES[i % 3] {
                o["party"] = json!(p);
            }
            o
        })
        .collect()
}

/// Which records of the batch a filter must select.
type Selects<'a> = Box<dyn Fn(&Value) -> bool + 'a>;

fn ids(list: &Value) -> BTreeSet<String> {
    list["observations"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap().to_owned()).collect()
}

fn get_json(s: &Server, path: &str) -> Value {
    let (status, body) = s.http("GET", path, b"");
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap()
}

#[test]
fn a_filtered_list_its_counts_and_its_export_hold_the_same_records_with_their_labels() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path(), &[]);
    let all = batch();
    let (status, body) = s.http("POST", "/api/v1/observations", Value::Array(all.clone()).to_string().as_bytes());
    assert_eq!(status, 201, "{body}");
    let by_id = |id: &str| all.iter().find(|o| o["id"] == id).unwrap().clone();
    let policy = truce_access::Policy::shipped();
    // The admin is British: it sees what is releasable to the United Kingdom (not what is for Poland or
    // France only), and `nation=POL` narrows that to what a Polish viewer of its clearance sees too.
    let access = |nation: &str| {
        truce_access::Access::new(
            &policy,
            &truce_access::Viewer {
                name: "x".into(),
                nation: Some(nation.into()),
                role: truce_access::Role::Admin,
                clearance: truce_core::Marking::CosmicTopSecret,
                categories: crate::util::ALL_CATEGORIES.iter().map(|c| (*c).to_owned()).collect(),
            },
        )
    };
    let permits = |a: &truce_access::Access, o: &Value| {
        let label = truce_core::Label {
            marking: o["marking"].as_str().unwrap().parse().unwrap(),
            releasable_to: o["releasable_to"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().into()).collect(),
            categories: Vec::new(),
        };
        a.permits(&label, OffsetDateTime::parse(o["time"].as_str().unwrap(), &Rfc3339).unwrap())
    };
    let (gbr, pol) = (access("GBR"), access("POL"));
    let releasable_to_pol = &move |o: &Value| permits(&pol, o);
    // The sectors the server counts in (the shipped file, which `serve` runs with).
    let sectors = crate::util::shipped_sectors();
    let in_sector = move |id: &str, o: &Value| {
        crate::util::sector_of(&sectors, o["lat"].as_f64().unwrap(), o["lon"].as_f64().unwrap()).as_deref() == Some(id)
    };
    let in_sector = &in_sector;
    // Each filter with the records it must select, computed from the batch itself.
    let square = "36.9,47.9;37.5,47.9;37.5,48.5;36.9,48.5";
    let cases: Vec<(String, Selects<'_>)> = vec![
        (
            "means=uav,sensor".into(),
            Box::new(|o: &Value| ["uav", "sensor"].contains(&o["observer"]["means"].as_str().unwrap())),
        ),
        ("party=none,ukr".into(), Box::new(|o: &Value| o["party"].is_null() || o["party"] == "ukr")),
        ("party=rus".into(), Box::new(|o: &Value| o["party"] == "rus")),
        (
            "marking=0,NATO%20SECRET".into(),
            Box::new(|o: &Value| o["marking"] == MARKINGS[0] || o["marking"] == MARKINGS[3]),
        ),
        ("category=muzzle_flash,bursts_and_shots".into(), Box::new(|o: &Value| o["category"] != "explosion_impact")),
        (
            format!("polygon={square}"),
            Box::new(|o: &Value| {
                let (lat, lon) = (o["lat"].as_f64().unwrap(), o["lon"].as_f64().unwrap());
                (47.9..=48.5).contains(&lat) && (36.9..=37.5).contains(&lon)
            }),
        ),
        ("nation=POL".into(), Box::new(releasable_to_pol)),
        ("sector=pokrovsk".into(), Box::new(move |o: &Value| in_sector("pokrovsk", o))),
        ("sector=kherson&party=rus".into(), Box::new(move |o: &Value| in_sector("kherson", o) && o["party"] == "rus")),
        (
            "nation=POL&means=patrol&party=none,rus".into(),
            Box::new(move |o: &Value| {
                releasable_to_pol(o) && o["observer"]["means"] == "patrol" && o["party"] != "ukr"
            }),
        ),
    ];
    for (filter, selects) in &cases {
        let expect: BTreeSet<String> = all
            .iter()
            .filter(|o| permits(&gbr, o) && selects(o))
            .map(|o| o["id"].as_str().unwrap().to_owned())
            .collect();
        let visible = all.iter().filter(|o| permits(&gbr, o)).count();
        assert!(!expect.is_empty() && expect.len() < visible, "{filter}: a filter that selects something, not all");
        let listed = ids(&get_json(&s, &format!("/api/v1/observations?{filter}")));
        assert_eq!(listed, expect, "list {filter}");
        // Paged by 3: the same records.
        let mut paged = BTreeSet::new();
        let mut path = format!("/api/v1/observations?{filter}&limit=3");
        loop {
            let page = get_json(&s, &path);
            paged.extend(ids(&page));
            match page["next"].as_str() {
                Some(c) => path = format!("/api/v1/observations?{filter}&limit=3&cursor={c}"),
                None => break,
            }
        }
        assert_eq!(paged, expect, "paged {filter}");
        let stats = get_json(&s, &format!("/api/v1/stats?{filter}"));
        assert_eq!(stats["total"], expect.len(), "stats {filter}");
        let geo = get_json(&s, &format!("/api/v1/observations?{filter}&format=geojson"));
        let geo_ids: BTreeSet<String> =
            geo["features"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_owned()).collect();
        assert_eq!(geo_ids, expect, "geojson {filter}");
        let brief = get_json(&s, &format!("/api/v1/observations?{filter}&format=brief"));
        assert_eq!(ids(&brief), expect, "brief {filter}");

        // The export, in every format: exactly these records, each with its label, the file with the
        // highest marking among them.
        let highest = expect
            .iter()
            .map(|id| MARKINGS.iter().position(|m| by_id(id)["marking"] == *m).unwrap())
            .max()
            .map_or("NATO UNCLASSIFIED", |i| MARKINGS[i]);
        let reply = s.request("GET", &format!("/api/v1/export?format=geojson&{filter}"), b"");
        assert_eq!(reply.status, 200, "export {filter}");
        let disposition = reply.header("content-disposition").unwrap();
        assert!(
            disposition.starts_with("attachment; filename=\"truce-export-")
                && disposition.ends_with(".geojson\"")
                && disposition.len() == "attachment; filename=\"truce-export-20261203T101112Z.geojson\"".len(),
            "{disposition}"
        );
        assert_eq!(reply.header("content-type"), Some("application/geo+json"));
        let file: Value = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(file["classification"], highest, "{filter}");
        let mut seen = BTreeSet::new();
        for f in file["features"].as_array().unwrap() {
            let id = f["id"].as_str().unwrap();
            let o = by_id(id);
            let p = &f["properties"];
            assert_eq!(p["marking"], o["marking"], "{id}");
            let release = if o["releasable_to"] == json!([]) { json!(["MNFU"]) } else { o["releasable_to"].clone() };
            assert_eq!(p["releasable_to"], release, "{id}: the release in force");
            assert_eq!(p["categories"], json!([]), "{id}");
            seen.insert(id.to_owned());
        }
        assert_eq!(seen, expect, "export geojson {filter}");

        let reply = s.request("GET", &format!("/api/v1/export?format=csv&{filter}"), b"");
        assert_eq!(reply.status, 200);
        assert!(reply.header("content-disposition").unwrap().ends_with(".csv\""));
        let text = String::from_utf8(reply.body).unwrap();
        let mut lines = text.split("\r\n");
        assert_eq!(lines.next(), Some(format!("# classification: {highest}").as_str()));
        assert_eq!(
            lines.next(),
            Some("id,time,lat,lon,category,violations,means,party,place,marking,releasable_to,text")
        );
        let rows: BTreeSet<String> =
            lines.filter(|l| l.starts_with("cop-")).map(|l| l.split(',').next().unwrap().to_owned()).collect();
        assert_eq!(rows, expect, "export csv {filter}");
        if expect.contains("cop-07") {
            assert!(
                text.contains("\"'=cmd|' /C calc'!A0, \"\"quoted\"\"\""),
                "a formula is guarded and quoted: {text}"
            );
        }

        let reply = s.request("GET", &format!("/api/v1/export?format=kml&{filter}"), b"");
        assert_eq!(reply.status, 200);
        let kml = String::from_utf8(reply.body).unwrap();
        assert!(kml.contains(&format!("<name>{highest}: truce export ({} observations)</name>", expect.len())));
        let placemarks: BTreeSet<String> = kml
            .split("<Data name=\"id\"><value>")
            .skip(1)
            .map(|rest| rest.split('<').next().unwrap().to_owned())
            .collect();
        assert_eq!(placemarks, expect, "export kml {filter}");
        assert_eq!(kml.matches("<Data name=\"marking\">").count(), expect.len());
    }

    // The limit takes the oldest; an empty export is unclassified; the export is audited with its count.
    let file = get_json(&s, "/api/v1/export?limit=2");
    let first: Vec<&str> = file["features"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert_eq!(first, ["cop-01", "cop-02"], "the oldest two the admin may see (cop-00 is for Poland only)");
    let empty = get_json(&s, "/api/v1/export?party=rus&means=import");
    assert_eq!(
        (empty["classification"].as_str(), empty["features"].as_array().unwrap().len()),
        (Some("NATO UNCLASSIFIED"), 0)
    );
    let audit = get_json(&s, "/api/v1/audit?limit=1000");
    let exports: Vec<&Value> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "export" && e["target"] == "2 observation(s)")
        .collect();
    assert_eq!(exports.len(), 1, "{audit}");
    assert!(exports[0]["action"].as_str().unwrap().contains("/api/v1/export?limit=2"), "{}", exports[0]);
    assert!(exports[0]["detail"].as_str().unwrap().starts_with("export as geojson"), "{}", exports[0]);
}

#[test]
fn every_bad_parameter_is_a_400_that_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path(), &[]);
    let cases = [
        ("category=muzzle_flash,nope", "category"),
        ("category=muzzle_flash,", "category"),
        ("violation=cfv_in_security_zone,x", "violation"),
        ("means=patrol,drone", "means"),
        ("means=", "means"),
        ("party=rus,xyz", "party"),
        ("party=RUS", "party"),
        ("marking=5", "marking"),
        ("marking=nato%20secret", "marking"),
        ("nation=XYZ", "nation"),
        ("nation=NATO", "nation"),
        ("polygon=37,48;38,48", "polygon"),
        ("polygon=37,48;38,48;37,48", "polygon"),
        ("polygon=37,48;38,x;38,49", "polygon"),
        ("polygon=37,48;38,48;38,91", "polygon"),
        ("bbox=1,2,3", "bbox"),
        ("zone=nowhere", "zone"),
        ("sector=atlantis", "sector"),
        ("sector=", "sector"),
    ];
    let before = get_json(&s, "/api/v1/stats");
    for (query, field) in cases {
        for route in ["/api/v1/observations", "/api/v1/stats", "/api/v1/export"] {
            let path = format!("{route}?{query}");
            let (status, body) = s.json("GET", &path, b"");
            assert_eq!(status, 400, "{path}: {body}");
            assert_eq!(
                (body["error"]["code"].as_str(), body["error"]["field"].as_str()),
                (Some("invalid_parameter"), Some(field)),
                "{path}"
            );
        }
    }
    let many: Vec<String> = (0..1_001)
        .map(|i| format!("{},{}", 37.0 + (i as f64 * 0.001).cos(), 48.0 + (i as f64 * 0.001).sin()))
        .collect();
    let (status, body) = s.json("GET", &format!("/api/v1/observations?polygon={}", many.join(";")), b"");
    assert_eq!((status, body["error"]["field"].as_str()), (400, Some("polygon")), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("1000"), "{body}");
    for (path, field) in [
        ("/api/v1/export?format=pdf", "format"),
        ("/api/v1/observations?format=csv", "format"),
        ("/api/v1/incidents?format=geojson", "format"),
        ("/api/v1/export?limit=100001", "limit"),
        ("/api/v1/export?limit=0", "limit"),
        ("/api/v1/tracks/history?until=2026-11-20", "since"),
        ("/api/v1/tracks/history?since=2026-11-20", "until"),
        ("/api/v1/tracks/history?since=2026-11-20&until=2026-11-20", "until"),
        ("/api/v1/tracks/history?since=2026-11-20&until=2026-12-22", "until"),
        ("/api/v1/tracks/history?since=yesterday&until=2026-11-22", "since"),
        ("/api/v1/tracks/history?since=2026-11-20&until=2026-11-22&bbox=1,2,3", "bbox"),
        ("/api/v1/tracks/history?since=2026-11-20&until=2026-11-22&limit=10001", "limit"),
        ("/api/v1/tracks/history?since=2026-11-20&until=2026-11-22&cursor=abc", "cursor"),
        ("/api/v1/tracks?nation=Poland", "nation"),
        ("/api/v1/tracks?nation=XYZ", "nation"),
        ("/api/v1/tracks?marking=9", "marking"),
        ("/api/v1/tracks?sector=nowhere", "sector"),
        ("/api/v1/tracks?bbox=1,2", "bbox"),
        ("/api/v1/tracks?polygon=1,2;3,4", "polygon"),
        ("/api/v1/tracks?near=48,37", "near"),
        ("/api/v1/tracks?means=drone", "means"),
        ("/api/v1/export/tracks?format=pdf", "format"),
        ("/api/v1/export/tracks?nation=XYZ", "nation"),
    ] {
        let (status, body) = s.json("GET", path, b"");
        assert_eq!((status, body["error"]["field"].as_str()), (400, Some(field)), "{path}: {body}");
    }
    assert_eq!(get_json(&s, "/api/v1/stats"), before, "nothing changed");

    // The OpenAPI document describes the new routes and parameters.
    let doc = get_json(&s, "/api/v1/openapi.json");
    let params = |path: &str, method: &str| -> BTreeSet<String> {
        doc["paths"][path][method]["parameters"]
            .as_array()
            .unwrap_or_else(|| panic!("{method} {path} in the OpenAPI document"))
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let filters =
        ["polygon", "category", "violation", "means", "party", "marking", "nation", "sector", "bbox", "since"];
    for (path, method) in [("/api/v1/observations", "get"), ("/api/v1/stats", "get"), ("/api/v1/export", "get")] {
        let have = params(path, method);
        assert!(filters.iter().all(|f| have.contains(*f)), "{path}: {have:?}");
    }
    assert!(params("/api/v1/export", "get").contains("format"));
    assert!(
        params("/api/v1/tracks/history", "get")
            .is_superset(&["since", "until", "bbox", "limit", "cursor"].map(String::from).into())
    );
    assert_eq!(params("/api/v1/alerts/{seq}/ack", "post"), BTreeSet::from(["seq".to_owned()]));
    assert_eq!(
        params("/api/v1/tracks", "get"),
        ["bbox", "near", "polygon", "means", "marking", "nation", "sector"].map(String::from).into()
    );
    assert_eq!(
        params("/api/v1/export/tracks", "get"),
        ["format", "bbox", "near", "polygon", "means", "marking", "nation", "sector"].map(String::from).into()
    );
}

#[test]
fn who_may_use_the_new_routes() {
    let dir = tempfile::tempdir().unwrap();
    add_user(dir.path(), "mon", "POL", "monitor", "NATO SECRET", &[]);
    add_user(dir.path(), "rep", "POL", "national_rep", "NATO SECRET", &[]);
    let s = serve(dir.path(), &[]);
    for (method, path) in [
        ("GET", "/api/v1/export"),
        ("GET", "/api/v1/export/tracks"),
        ("GET", "/api/v1/tracks?marking=0"),
        ("GET", "/api/v1/tracks/history?since=2026-11-20&until=2026-11-22"),
        ("POST", "/api/v1/alerts/1/ack"),
        ("GET", "/api/v1/observations?nation=POL"),
    ] {
        let reply = s.request_as(None, method, path, br#"{"note":"x"}"#);
        assert_eq!(reply.status, 401, "{method} {path} without a session");
    }
    let mon = s.login("mon", PASSWORD);
    let reply = s.request_as(Some(&mon), "GET", "/api/v1/export", b"");
    assert_eq!(reply.status, 403, "a monitor may not export");
    let body: Value = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(body["error"]["field"], "role");
    let reply = s.request_as(Some(&mon), "GET", "/api/v1/export/tracks?format=kml", b"");
    assert_eq!(reply.status, 403, "nor export the tracks");
    let rep = s.login("rep", PASSWORD);
    let reply = s.request_as(Some(&rep), "POST", "/api/v1/alerts/1/ack", br#"{"note":"seen"}"#);
    assert_eq!(reply.status, 403, "a national representative may not acknowledge");
    assert!(String::from_utf8_lossy(&reply.body).contains("may not acknowledge alert"));
    assert_eq!(s.request_as(Some(&rep), "GET", "/api/v1/export?format=csv", b"").status, 200);
    let reply = s.request_as(Some(&rep), "GET", "/api/v1/export/tracks?format=csv", b"");
    assert_eq!(reply.status, 200);
    assert_eq!(
        String::from_utf8_lossy(&reply.body),
        format!("# classification: NATO UNCLASSIFIED\r\n{}\r\n", truce_node::export::TRACK_CSV_COLUMNS),
        "no track yet: the header alone"
    );
    assert!(reply.header("content-disposition").is_some_and(|d| d.contains("truce-tracks-") && d.ends_with(".csv\"")));
    // Both exports are audited with what and how many.
    let (_, audit) = s.json("GET", "/api/v1/audit?limit=1000", b"");
    let exports: Vec<&Value> =
        audit["entries"].as_array().unwrap().iter().filter(|e| e["kind"] == "export" && e["actor"] == "rep").collect();
    assert!(
        exports
            .iter()
            .any(|e| e["target"] == "0 track(s)" && e["action"].as_str().unwrap().contains("/api/v1/export/tracks")),
        "{exports:?}"
    );
    assert!(exports.iter().any(|e| e["target"].as_str().unwrap().ends_with("observation(s)")), "{exports:?}");
}

/// Reads stream messages until `stop` holds for one; returns those before it.
fn read_until(
    ws: &mut tungstenite::WebSocket<tungstenite::stream::MaybeTlsStream<std::net::TcpStream>>,
    stop: impl Fn(&Value) -> bool,
) -> (Vec<Value>, Value) {
    let mut before = Vec::new();
    loop {
        let msg = ws.read().expect("a message");
        let v: Value = serde_json::from_str(msg.to_text().unwrap()).unwrap();
        if stop(&v) {
            return (before, v);
        }
        before.push(v);
    }
}

fn timeout(ws: &tungstenite::WebSocket<tungstenite::stream::MaybeTlsStream<std::net::TcpStream>>) {
    if let tungstenite::stream::MaybeTlsStream::Plain(tcp) = ws.get_ref() {
        tcp.set_read_timeout(Some(std::time::Duration::from_secs(60))).unwrap();
    }
}

#[test]
fn an_acknowledgement_is_kept_across_a_restart_and_reaches_only_the_alerts_readers() {
    let dir = tempfile::tempdir().unwrap();
    add_user(dir.path(), "pol.watch", "POL", "watch_officer", "NATO SECRET", &[]);
    add_user(dir.path(), "pol.analyst", "POL", "analyst", "NATO SECRET", &[]);
    add_user(dir.path(), "ukr.watch", "UKR", "watch_officer", "NATO SECRET", &[]);
    let sectors = data("warning/sectors.toml");
    let args = ["--sectors", sectors.to_str().unwrap(), "--watch-every", "1"];
    let s = serve(dir.path(), &args);
    let (pol, analyst, ukr) =
        (s.login("pol.watch", PASSWORD), s.login("pol.analyst", PASSWORD), s.login("ukr.watch", PASSWORD));
    let mut pol_ws = s.stream_as(Some(&pol)).unwrap();
    let mut ukr_ws = s.stream_as(Some(&ukr)).unwrap();
    timeout(&pol_ws);
    timeout(&ukr_ws);
    let now = (OffsetDateTime::now_utc() - time::Duration::minutes(1)).format(&Rfc3339).unwrap();
    let jam = json!({"id": "jam-pol", "time": now, "lat": 48.05, "lon": 37.2, "category": "gps_jamming",
        "releasable_to": ["POL"], "observer": {"means": "uav", "team": "UAV"}, "text": "UAV lost GPS"});
    assert_eq!(s.http("POST", "/api/v1/observations", jam.to_string().as_bytes()).0, 201);
    let (_, alert) = read_until(&mut pol_ws, |v| v["type"] == "alert" && v["alert"]["scope"] == "pokrovsk");
    let seq = alert["alert"]["seq"].as_i64().unwrap();

    // Listed without an acknowledgement first.
    let listed = |token: &str| -> Vec<Value> {
        let reply = s.request_as(Some(token), "GET", "/api/v1/alerts", b"");
        assert_eq!(reply.status, 200);
        serde_json::from_slice::<Value>(&reply.body).unwrap()["alerts"].as_array().unwrap().clone()
    };
    let mine = listed(&pol).into_iter().find(|a| a["seq"] == seq).unwrap();
    assert_eq!((mine["ack"].clone(), mine["acks"].clone()), (Value::Null, json!(0)));

    // Bad notes change nothing.
    let path = format!("/api/v1/alerts/{seq}/ack");
    for (body, status) in [
        (json!({}), 422),
        (json!({"note": ""}), 422),
        (json!({"note": "   "}), 422),
        (json!({"note": "x".repeat(501)}), 422),
        (json!({"note": "line\nbreak"}), 422),
        (json!({"note": 5}), 422),
        (json!({"note": "ok", "by": "someone"}), 422),
    ] {
        let reply = s.request_as(Some(&pol), "POST", &path, body.to_string().as_bytes());
        let v: Value = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(
            (reply.status, v["error"]["field"].as_str().map(|f| f == "note" || f == "by")),
            (status, Some(true)),
            "{body}: {v}"
        );
    }
    assert_eq!(s.request_as(Some(&pol), "POST", &path, b"{not json").status, 400);

    // The Ukrainian watch officer's audience never had this alert: like a missing one, byte for byte.
    let hidden = s.request_as(Some(&ukr), "POST", &path, br#"{"note":"probe"}"#);
    let missing = s.request_as(Some(&ukr), "POST", "/api/v1/alerts/999999/ack", br#"{"note":"probe"}"#);
    assert_eq!(hidden.status, 404);
    assert_eq!(
        String::from_utf8_lossy(&hidden.body).replace(&seq.to_string(), "N"),
        String::from_utf8_lossy(&missing.body).replace("999999", "N")
    );
    assert_eq!(s.request_as(Some(&ukr), "POST", "/api/v1/alerts/abc/ack", br#"{"note":"probe"}"#).status, 404);

    // Two acknowledgements: the latest is listed, with the count.
    let reply = s.request_as(Some(&pol), "POST", &path, br#"{"note":"known, under investigation"}"#);
    assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
    let answered: Value = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(
        (answered["seq"].as_i64(), answered["ack"]["by"].as_str(), answered["acks"].as_u64()),
        (Some(seq), Some("pol.watch"), Some(1))
    );
    assert_eq!(answered["ack"]["note"], "known, under investigation");
    let reply = s.request_as(Some(&analyst), "POST", &path, "{\"note\":\"confirmed by the analysts — é\"}".as_bytes());
    assert_eq!(reply.status, 200, "an analyst may acknowledge");
    let after = listed(&pol).into_iter().find(|a| a["seq"] == seq).unwrap();
    assert_eq!((after["ack"]["by"].as_str(), after["acks"].as_u64()), (Some("pol.analyst"), Some(2)));
    assert!(OffsetDateTime::parse(after["ack"]["at"].as_str().unwrap(), &Rfc3339).is_ok());

    // The stream: the Polish watch officer hears both acknowledgements; the Ukrainian one neither
    // (a public marker after them ends the wait).
    let (_, first) = read_until(&mut pol_ws, |v| v["type"] == "alert_ack");
    assert_eq!(first, json!({"type": "alert_ack", "seq": seq, "ack": answered["ack"]}));
    let (_, second) = read_until(&mut pol_ws, |v| v["type"] == "alert_ack");
    assert_eq!(second["ack"]["by"], "pol.analyst");
    let marker = json!({"id": "marker", "time": now, "lat": 46.7, "lon": 33.1, "category": "muzzle_flash", "releasable_to": ["PUBLIC"]});
    assert_eq!(s.http("POST", "/api/v1/observations", marker.to_string().as_bytes()).0, 201);
    let (before, _) = read_until(&mut ukr_ws, |v| v["observation"]["id"] == "marker");
    assert!(before.iter().all(|v| v["type"] != "alert_ack"), "{before:?}");

    // The audit log has the acknowledgements as writes.
    let audit = get_json(&s, "/api/v1/audit?limit=1000");
    let acks = audit["entries"].as_array().unwrap().iter().filter(|e| e["target"] == format!("alert {seq}")).count();
    assert_eq!(acks, 2, "{audit}");

    // After a kill and a restart, the acknowledgements are still there.
    s.kill();
    let s = serve(dir.path(), &args);
    let pol = s.login("pol.watch", PASSWORD);
    let reply = s.request_as(Some(&pol), "GET", "/api/v1/alerts", b"");
    let alerts: Value = serde_json::from_slice(&reply.body).unwrap();
    let kept = alerts["alerts"].as_array().unwrap().iter().find(|a| a["seq"] == seq).unwrap().clone();
    assert_eq!(kept["ack"], after["ack"]);
    assert_eq!(kept["acks"], 2);
}

/// A friendly SA of `uid` at (`lat`, 35.6), `ago` seconds before now.
fn sa(uid: &str, lat: f64, ago: i64) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    let at = OffsetDateTime::now_utc() - time::Duration::seconds(ago);
    let (t, stale) = (at.format(&f).unwrap(), (at + time::Duration::minutes(5)).format(&f).unwrap());
    format!(
        "<event version=\"2.0\" uid=\"{uid}\" type=\"a-f-G-U-C\" how=\"m-g\" time=\"{t}\" start=\"{t}\" stale=\"{stale}\">\
         <point lat=\"{lat}\" lon=\"35.6\" hae=\"50\" ce=\"5\" le=\"5\"/><detail><contact callsign=\"{uid}\"/></detail></event>"
    )
}

#[test]
fn the_track_history_replays_every_uid_in_a_window_oldest_first() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path(), &["--tak-tcp", "127.0.0.1:0", "--tak-udp", "off"]);
    let mut c = std::net::TcpStream::connect(s.tak_addr("tcp")).unwrap();
    for (uid, lat, ago) in [("alpha", 47.70, 50), ("bravo", 47.80, 40), ("alpha", 47.71, 30), ("bravo", 47.81, 20)] {
        c.write_all(sa(uid, lat, ago).as_bytes()).unwrap();
    }
    let now = OffsetDateTime::now_utc();
    let window = format!(
        "since={}&until={}",
        (now - time::Duration::hours(1)).format(&Rfc3339).unwrap().replace('+', "%2B"),
        (now + time::Duration::hours(1)).format(&Rfc3339).unwrap().replace('+', "%2B")
    );
    let end = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let points = loop {
        let v = get_json(&s, &format!("/api/v1/tracks/history?{window}"));
        if v["points"].as_array().unwrap().len() == 4 {
            break v;
        }
        assert!(std::time::Instant::now() < end, "4 points within 20 s: {v}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let order: Vec<(&str, f64)> = points["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["uid"].as_str().unwrap(), p["lat"].as_f64().unwrap()))
        .collect();
    assert_eq!(order, [("alpha", 47.70), ("bravo", 47.80), ("alpha", 47.71), ("bravo", 47.81)]);
    let p = &points["points"][0];
    for key in ["uid", "type", "callsign", "time", "lat", "lon", "hae", "course", "speed", "marking"] {
        assert!(p.get(key).is_some(), "{key} in {p}");
    }
    assert_eq!(p["marking"], "NATO UNCLASSIFIED");
    assert_eq!(points["next"], Value::Null);
    // One at a time, by the cursor: the same four.
    let mut paged = Vec::new();
    let mut path = format!("/api/v1/tracks/history?{window}&limit=1");
    loop {
        let page = get_json(&s, &path);
        paged.extend(page["points"].as_array().unwrap().iter().map(|p| p["lat"].as_f64().unwrap()));
        match page["next"].as_str() {
            Some(c) => path = format!("/api/v1/tracks/history?{window}&limit=1&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(paged, [47.70, 47.80, 47.71, 47.81]);
    let boxed = get_json(&s, &format!("/api/v1/tracks/history?{window}&bbox=35,47.75,36,48"));
    assert_eq!(boxed["points"].as_array().unwrap().len(), 2, "{boxed}");
    let before = get_json(&s, "/api/v1/tracks/history?since=2026-01-01&until=2026-01-31");
    assert_eq!(before["points"], json!([]));
}
