//! Incidents, cases, early warning and alerts through the CLI and the API, on a real store.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::util::{Server, agreement, data, truce};

fn sectors() -> String {
    data("warning/sectors.toml").to_str().unwrap().to_owned()
}

/// The demo week (2026-11-17 .. 24) ingested into a fresh store.
fn demo_store() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("week.ndjson");
    let a = agreement();
    let run = truce(
        &[
            "demo",
            "--export",
            file.to_str().unwrap(),
            "--start",
            "2026-11-17T00:00:00Z",
            "--agreement",
            a.to_str().unwrap(),
        ],
        b"",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let store = dir.path().join("store");
    let run = truce(
        &["ingest", file.to_str().unwrap(), "--data-dir", store.to_str().unwrap(), "--agreement", a.to_str().unwrap()],
        b"",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    dir
}

fn store_args(dir: &tempfile::TempDir) -> Vec<String> {
    vec![
        "--data-dir".into(),
        dir.path().join("store").to_str().unwrap().into(),
        "--agreement".into(),
        agreement().to_str().unwrap().into(),
        "--sectors".into(),
        sectors(),
    ]
}

fn run_with(args: &[&str], extra: &[String]) -> crate::util::Run {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(extra.iter().map(String::as_str));
    truce(&all, b"")
}

#[test]
fn incidents_merge_only_reports_of_the_same_simulated_event_and_cases_follow_their_stages() {
    let dir = demo_store();
    let extra = store_args(&dir);
    let day = ["--since", "2026-11-22", "--until", "2026-11-23"];
    let run = run_with(&[&["incidents", "--format", "json"][..], &day[..]].concat(), &extra);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let incidents: Vec<Value> = run.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    // The truth, independently: the simulated event each stored report came from.
    let run = truce(
        &[
            "observations",
            "--data-dir",
            dir.path().join("store").to_str().unwrap(),
            "--since",
            "2026-11-21T23:00:00Z",
            "--until",
            "2026-11-23T01:00:00Z",
            "--format",
            "ndjson",
        ],
        b"",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let event: HashMap<String, Option<String>> = run
        .stdout
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (v["id"].as_str().unwrap().to_owned(), v["source_ref"].as_str().map(str::to_owned))
        })
        .collect();
    let mut seen = std::collections::HashSet::new();
    let (mut merged, mut right) = (0, 0);
    for i in &incidents {
        let t = i["time"].as_str().unwrap();
        assert!(("2026-11-22".."2026-11-23").contains(&t), "{t}");
        let members: Vec<&str> = i["observations"].as_array().unwrap().iter().map(|o| o.as_str().unwrap()).collect();
        assert_eq!(i["id"], format!("inc-{}", members[0]));
        for m in &members {
            assert!(seen.insert(m.to_string()), "{m} in two incidents");
        }
        if members.len() > 1 {
            merged += 1;
            let truth: Vec<&Option<String>> = members.iter().map(|m| &event[*m]).collect();
            if truth.iter().all(|t| t.is_some() && *t == truth[0]) {
                right += 1;
            }
        }
    }
    // The escalation day is the busiest: events close in time and place are occasionally merged.
    assert!(merged > 30, "only {merged} incidents with several reports on the escalation day");
    assert!(right as f64 >= 0.95 * merged as f64, "{right} of {merged} merged incidents are one simulated event");
    // A case on a violation incident.
    let violating = incidents.iter().find(|i| !i["violations"].as_array().unwrap().is_empty()).unwrap();
    let id = violating["id"].as_str().unwrap();
    let run =
        run_with(&["case", "open", "--incident", id, "--title", "Shelling near Pokrovsk", "--by", "analyst.a"], &extra);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let case_id = run.stdout.split_whitespace().next().unwrap().to_owned();
    assert!(case_id.starts_with("case-") && case_id.len() == 15, "a random id: {}", run.stdout);
    assert!(run.stdout.starts_with(&format!("{case_id}  Shelling near Pokrovsk  [evidence]")), "{}", run.stdout);
    let run = run_with(&["case", "open", "--incident", "inc-nonexistent", "--title", "x", "--by", "a"], &extra);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("incidents: no incident \"inc-nonexistent\""), "{}", run.stderr);
    let run = run_with(&["case", "move", &case_id, "--to", "attribution", "--by", "analyst.b"], &extra);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("party:"), "{}", run.stderr);
    let run =
        run_with(&["case", "move", &case_id, "--to", "attribution", "--by", "analyst.b", "--party", "rus"], &extra);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = run_with(&["case", "move", &case_id, "--to", "closed", "--by", "analyst.b"], &extra);
    assert_eq!(run.code, 1, "closing needs a reason");
    let run = run_with(&["case", "note", &case_id, "--by", "analyst.c", "--note", "camera footage requested"], &extra);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = run_with(&["case", "show", &case_id, "--format", "json"], &extra);
    let case: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(case["stage"], "attribution");
    assert_eq!(case["party"], "rus");
    assert_eq!(case["incidents"], json!([id]));
    assert_eq!(case["observations"], violating["observations"]);
    let who: Vec<(&str, &str)> = case["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["by"].as_str().unwrap(), a["action"].as_str().unwrap()))
        .collect();
    assert_eq!(who, [("analyst.a", "open"), ("analyst.b", "move"), ("analyst.c", "note")]);
}

#[test]
fn the_backtest_command_reports_the_escalation_within_a_day() {
    let a = agreement();
    let run = truce(
        &["warn", "backtest", "--format", "json", "--agreement", a.to_str().unwrap(), "--sectors", &sectors()],
        b"",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let b: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(b["escalating"], "Pokrovsk");
    for s in b["sectors"].as_array().unwrap() {
        if s["escalating"] == true {
            assert!(s["high_delay_hours"].as_i64().unwrap() <= 24, "{s}");
        } else {
            assert!(["normal", "elevated"].contains(&s["max_after_onset"].as_str().unwrap()), "{s}");
            assert!(["normal", "elevated"].contains(&s["max_before_onset"].as_str().unwrap()), "{s}");
        }
    }
    let text = truce(&["warn", "backtest", "--agreement", a.to_str().unwrap(), "--sectors", &sectors()], b"");
    assert!(text.stdout.contains("cusum") && text.stdout.contains("Pokrovsk *"), "{}", text.stdout);
}

#[test]
fn warn_status_explains_the_level_of_each_sector() {
    let dir = demo_store();
    let run = run_with(&["warn", "status", "--at", "2026-11-22T12:00:00Z", "--format", "json"], &store_args(&dir));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let picture: Value = serde_json::from_str(&run.stdout).unwrap();
    let pokrovsk = picture["sectors"].as_array().unwrap().iter().find(|s| s["name"] == "Pokrovsk").unwrap();
    assert!(["high", "critical"].contains(&pokrovsk["level"].as_str().unwrap()), "{pokrovsk}");
    let cusum = pokrovsk["reasons"].as_array().unwrap().iter().find(|r| r["detector"] == "cusum").unwrap();
    assert!(!cusum["observations"].as_array().unwrap().is_empty());
    assert!(["elevated", "high", "critical"].contains(&picture["level"].as_str().unwrap()));
}

fn serve(dir: &std::path::Path) -> Server {
    crate::util::serve(dir, &["--sectors", &sectors(), "--watch-every", "1"])
}

#[test]
fn the_server_raises_an_alert_on_the_stream_and_serves_incidents_and_cases() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path());
    let mut ws = s.stream();
    let now = time::OffsetDateTime::now_utc() - time::Duration::minutes(1);
    let now = now.format(&time::format_description::well_known::Rfc3339).unwrap();
    // GPS jamming in the Pokrovsk sector: an indicator, so the sector becomes elevated.
    let jam = json!({"id": "jam-1", "time": now, "lat": 48.05, "lon": 37.2, "category": "gps_jamming",
        "observer": {"means": "uav", "team": "UAV-Pokrovsk"}, "text": "UAV lost GPS"});
    let (status, body) = s.json("POST", "/api/v1/observations", jam.to_string().as_bytes());
    assert_eq!(status, 201, "{body}");
    let alert = loop {
        let msg = ws.read().expect("a message");
        let v: Value = serde_json::from_str(msg.to_text().unwrap()).unwrap();
        if v["type"] == "alert" && v["alert"]["scope"] == "pokrovsk" {
            break v["alert"].clone();
        }
    };
    assert_eq!(alert["level"], "elevated");
    assert_eq!(alert["previous"], "normal");
    assert_eq!(alert["reasons"][0]["detector"], "gps_jamming");
    assert_eq!(alert["reasons"][0]["observations"], json!(["jam-1"]));
    let (status, stored) = s.json("GET", "/api/v1/alerts", b"");
    assert_eq!(status, 200);
    assert!(stored["alerts"].as_array().unwrap().iter().any(|a| a["seq"] == alert["seq"] && a["scope"] == "pokrovsk"));
    let (_, warning) = s.json("GET", "/api/v1/warning", b"");
    let pokrovsk = warning["sectors"].as_array().unwrap().iter().find(|x| x["sector"] == "pokrovsk").unwrap();
    assert_eq!(pokrovsk["level"], "elevated");

    let (status, list) = s.json("GET", "/api/v1/incidents", b"");
    assert_eq!(status, 200);
    for path in ["/api/v1/incidents", "/api/v1/incidents?format=brief"] {
        assert_eq!(s.request("GET", path, b"").header("content-type"), Some("application/json"), "{path}");
    }
    assert_eq!(list["incidents"][0]["id"], "inc-jam-1");
    assert_eq!(list["incidents"][0]["sector"], "Pokrovsk");
    // The brief form the map reads: the same incidents, the fields it draws by, the rest left out.
    let (status, brief) = s.json("GET", "/api/v1/incidents?format=brief", b"");
    assert_eq!(status, 200);
    let (whole, short) = (&list["incidents"][0], &brief["incidents"][0]);
    for field in [
        "id",
        "time",
        "category",
        "count",
        "lat",
        "lon",
        "uncertainty_m",
        "located_by",
        "sector",
        "observations",
        "marking",
        "releasable_to",
    ] {
        assert_eq!(short[field], whole[field], "brief {field}: {short}");
    }
    let codes: Vec<Value> = whole["violations"].as_array().unwrap().iter().map(|v| v["code"].clone()).collect();
    assert_eq!(short["violations"], Value::Array(codes));
    assert!(short.get("observers").is_none() && short.get("zones").is_none(), "brief: {short}");
    assert_eq!(brief["incidents"].as_array().unwrap().len(), list["incidents"].as_array().unwrap().len());
    // Only the incidents that violate the agreement: an impact on the line of contact, not the jamming.
    let boom = json!({"id": "boom-1", "time": now, "lat": 48.3, "lon": 37.5, "category": "explosion_impact",
        "observer": {"means": "patrol", "team": "Patrol-7"}, "text": "impact heard"});
    assert_eq!(s.json("POST", "/api/v1/observations", boom.to_string().as_bytes()).0, 201);
    let ids = |path: &str| -> Vec<(String, bool)> {
        let (status, list) = s.json("GET", path, b"");
        assert_eq!(status, 200, "{path}");
        let list = list["incidents"].as_array().unwrap().iter();
        list.map(|i| (i["id"].as_str().unwrap().to_owned(), !i["violations"].as_array().unwrap().is_empty())).collect()
    };
    let all = ids("/api/v1/incidents");
    assert!(all.contains(&("inc-jam-1".into(), false)) && all.contains(&("inc-boom-1".into(), true)), "{all:?}");
    let violating: Vec<_> = all.into_iter().filter(|(_, v)| *v).collect();
    assert_eq!(ids("/api/v1/incidents?violations=true"), violating);
    let (status, one) = s.json("GET", "/api/v1/incidents/inc-jam-1", b"");
    assert_eq!((status, one["observations"].clone()), (200, json!(["jam-1"])));
    let (status, _) = s.json("GET", "/api/v1/incidents/inc-nothing", b"");
    assert_eq!(status, 404);
    for (query, field) in [
        ("/api/v1/alerts?after=x", "after"),
        ("/api/v1/alerts?limit=0", "limit"),
        ("/api/v1/incidents?violations=maybe", "violations"),
        ("/api/v1/incidents?format=csv", "format"),
        ("/api/v1/incidents?since=2026-11-01&until=2026-12-31", "since"),
    ] {
        let (status, e) = s.json("GET", query, b"");
        assert_eq!((status, e["error"]["field"].clone()), (400, json!(field)), "{query}");
    }
    let (status, e) = s.json("GET", "/api/v1/incidents?since=yesterday", b"");
    assert_eq!((status, e["error"]["field"].clone()), (400, json!("since")));

    let (status, series) = s.json("GET", "/api/v1/series?bucket=hour", b"");
    assert_eq!(status, 200, "{series}");
    let jams: u64 = series["sectors"]["pokrovsk"]["gps_jamming"]["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(jams, 1);
    let (status, e) = s.json("GET", "/api/v1/series?bucket=week", b"");
    assert_eq!((status, e["error"]["field"].clone()), (400, json!("bucket")));

    let open = json!({"title": "Jamming of the mission's UAV", "incidents": ["inc-jam-1"], "by": "watch.officer"});
    let (status, case) = s.json("POST", "/api/v1/cases", open.to_string().as_bytes());
    assert_eq!(status, 201, "{case}");
    assert_eq!(case["stage"], "evidence");
    let case_id = case["id"].as_str().unwrap().to_owned();
    let actions = format!("/api/v1/cases/{case_id}/actions");
    let act = |body: Value| s.json("POST", &actions, body.to_string().as_bytes());
    let (status, e) = act(json!({"to": "remedy", "by": "a", "note": "x"}));
    assert_eq!((status, e["error"]["field"].clone()), (422, json!("to")));
    let (status, e) = act(json!({"to": "attribution", "by": "a"}));
    assert_eq!((status, e["error"]["field"].clone()), (422, json!("party")));
    let (status, c) = act(json!({"to": "attribution", "by": "a", "party": "rus", "expected_stage": "evidence"}));
    assert_eq!((status, c["stage"].clone(), c["party"].clone()), (200, json!("attribution"), json!("rus")));
    let (status, e) = act(json!({"to": "remedy", "by": "b", "note": "stop", "expected_stage": "evidence"}));
    assert_eq!((status, e["error"]["code"].clone()), (409, json!("conflict")));
    let (status, e) = act(json!({"to": "remedy", "by": "b", "bogus": 1}));
    assert_eq!((status, e["error"]["code"].clone()), (422, json!("invalid_case")));
    let (status, e) = s.json("POST", &actions, b"{not json");
    assert_eq!((status, e["error"]["code"].clone()), (400, json!("malformed_json")), "{e}");
    let (status, e) = s.json("POST", "/api/v1/cases", b"{\"title\": \"t\", \"incidents\": [");
    assert_eq!((status, e["error"]["code"].clone()), (400, json!("malformed_json")), "truncated: {e}");
    let (status, e) =
        s.json("POST", "/api/v1/cases", json!({"title": 5, "incidents": [], "by": "a"}).to_string().as_bytes());
    assert_eq!((status, e["error"]["field"].clone()), (422, json!("title")), "wrong type: {e}");
    let huge = format!("{{\"title\": \"{}\"}}", "x".repeat(3_000_000));
    let (status, e) = s.json("POST", "/api/v1/cases", huge.as_bytes());
    assert_eq!((status, e["error"]["code"].clone()), (413, json!("body_too_large")), "{e}");
    let (status, _) =
        s.json("POST", "/api/v1/cases/case-0000000000/actions", json!({"by": "a", "note": "x"}).to_string().as_bytes());
    assert_eq!(status, 404);
    let (status, e) = s.json(
        "POST",
        "/api/v1/cases",
        json!({"title": "x", "incidents": ["inc-nothing"], "by": "a"}).to_string().as_bytes(),
    );
    assert_eq!((status, e["error"]["field"].clone()), (422, json!("incidents")));
    let (_, c) = s.json("GET", &format!("/api/v1/cases/{case_id}"), b"");
    assert_eq!(c["actions"].as_array().unwrap().len(), 2, "rejected actions changed nothing: {c}");
    let (_, all) = s.json("GET", "/api/v1/cases", b"");
    assert_eq!(all["cases"].as_array().unwrap().len(), 1);
}

#[test]
fn an_acknowledged_case_action_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path());
    let now = time::OffsetDateTime::now_utc() - time::Duration::minutes(1);
    let now = now.format(&time::format_description::well_known::Rfc3339).unwrap();
    let obs = json!({"id": "k-1", "time": now, "lat": 48.05, "lon": 37.2, "category": "explosion_impact",
        "observer": {"means": "uav", "team": "UAV-1"}});
    assert_eq!(s.json("POST", "/api/v1/observations", obs.to_string().as_bytes()).0, 201);
    let open = json!({"title": "Impact", "incidents": ["inc-k-1"], "by": "a"});
    let (status, case) = s.json("POST", "/api/v1/cases", open.to_string().as_bytes());
    assert_eq!(status, 201);
    let case = format!("/api/v1/cases/{}", case["id"].as_str().unwrap());
    let step = json!({"to": "attribution", "party": "rus", "by": "b"});
    assert_eq!(s.json("POST", &format!("{case}/actions"), step.to_string().as_bytes()).0, 200);
    s.kill();
    let s = serve(dir.path());
    let (status, c) = s.json("GET", &case, b"");
    assert_eq!(status, 200);
    assert_eq!((c["stage"].as_str(), c["actions"].as_array().unwrap().len()), (Some("attribution"), 2));
}

/// Each nation's alerts are assessed from what it may see: a Polish representative is alerted on the
/// jamming released to Poland, a Ukrainian one on the jamming released to Ukraine, neither on the
/// other's, a French one (and a British admin) on nothing.
#[test]
fn each_nation_is_alerted_on_what_it_may_see_and_only_that() {
    let dir = tempfile::tempdir().unwrap();
    for (name, nation) in [("pol.rep", "POL"), ("ukr.rep", "UKR"), ("fra.rep", "FRA")] {
        crate::util::add_user(dir.path(), name, nation, "national_rep", "NATO SECRET", &[]);
    }
    let s = serve(dir.path());
    let token = |name: &str| s.login(name, crate::util::PASSWORD);
    let (pol, ukr, fra) = (token("pol.rep"), token("ukr.rep"), token("fra.rep"));
    let mut pol_stream = s.stream_as(Some(&pol)).unwrap();
    let mut ukr_stream = s.stream_as(Some(&ukr)).unwrap();
    // An alert that never comes fails the test rather than hanging it.
    for ws in [&pol_stream, &ukr_stream] {
        if let tungstenite::stream::MaybeTlsStream::Plain(tcp) = ws.get_ref() {
            tcp.set_read_timeout(Some(std::time::Duration::from_secs(60))).unwrap();
        }
    }
    let now = time::OffsetDateTime::now_utc() - time::Duration::minutes(1);
    let now = now.format(&time::format_description::well_known::Rfc3339).unwrap();
    let jam = |id: &str, lat: f64, lon: f64, rel: &str| {
        json!({"id": id, "time": now, "lat": lat, "lon": lon, "category": "gps_jamming", "releasable_to": [rel],
            "observer": {"means": "uav", "team": "UAV"}, "text": "UAV lost GPS"})
    };
    let batch = [jam("jam-pol", 48.05, 37.2, "POL"), jam("jam-ukr", 47.6, 36.0, "UKR")];
    for o in &batch {
        let (status, body) = s.json("POST", "/api/v1/observations", o.to_string().as_bytes());
        assert_eq!(status, 201, "{body}");
    }
    // The first sector alert each one's stream brings.
    let first_sector_alert = |ws: &mut tungstenite::WebSocket<_>| loop {
        let msg: tungstenite::Message = ws.read().expect("a message");
        let v: Value = serde_json::from_str(msg.to_text().unwrap()).unwrap();
        if v["type"] == "alert" && v["alert"]["scope"] != "line" {
            break v["alert"].clone();
        }
    };
    let pol_alert = first_sector_alert(&mut pol_stream);
    assert_eq!((pol_alert["scope"].as_str(), pol_alert["level"].as_str()), (Some("pokrovsk"), Some("elevated")));
    assert_eq!(pol_alert["reasons"][0]["observations"], json!(["jam-pol"]));
    let ukr_alert = first_sector_alert(&mut ukr_stream);
    assert_ne!(ukr_alert["scope"], "pokrovsk", "{ukr_alert}");
    assert_eq!(ukr_alert["reasons"][0]["observations"], json!(["jam-ukr"]));
    let ukr_scope = ukr_alert["scope"].as_str().unwrap().to_owned();

    // Stored alerts, as each reads them: its own only, and the line alert cites its own report.
    let stored = |token: &str| {
        let reply = s.request_as(Some(token), "GET", "/api/v1/alerts", b"");
        assert_eq!(reply.status, 200);
        let v: Value = serde_json::from_slice(&reply.body).unwrap();
        v["alerts"].as_array().unwrap().clone()
    };
    let scopes = |alerts: &[Value]| {
        let mut s: Vec<String> = alerts.iter().map(|a| a["scope"].as_str().unwrap().to_owned()).collect();
        s.sort();
        s
    };
    let pol_stored = stored(&pol);
    assert_eq!(scopes(&pol_stored), ["line", "pokrovsk"]);
    assert!(!String::from_utf8_lossy(&serde_json::to_vec(&pol_stored).unwrap()).contains("jam-ukr"));
    let ukr_stored = stored(&ukr);
    assert_eq!(scopes(&ukr_stored), ["line".to_owned(), ukr_scope.clone()]);
    assert!(!serde_json::to_string(&ukr_stored).unwrap().contains("jam-pol"));
    assert_eq!(stored(&fra), Vec::<Value>::new(), "France may see neither report");

    // Each one's warning agrees with its alerts.
    let level = |token: &str, sector: &str| {
        let reply = s.request_as(Some(token), "GET", "/api/v1/warning", b"");
        let v: Value = serde_json::from_slice(&reply.body).unwrap();
        v["sectors"].as_array().unwrap().iter().find(|x| x["sector"] == sector).unwrap()["level"].clone()
    };
    assert_eq!((level(&pol, "pokrovsk"), level(&pol, &ukr_scope)), (json!("elevated"), json!("normal")));
    assert_eq!((level(&ukr, "pokrovsk"), level(&ukr, &ukr_scope)), (json!("normal"), json!("elevated")));
    assert_eq!((level(&fra, "pokrovsk"), level(&fra, &ukr_scope)), (json!("normal"), json!("normal")));

    // The British admin may see neither report either: its role manages, its nation decides.
    let (_, gbr) = s.json("GET", "/api/v1/alerts", b"");
    assert_eq!(gbr["alerts"], json!([]));
}
