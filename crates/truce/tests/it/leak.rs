//! The leak harness: every surface of `truce serve`, called as every viewer, against an oracle.
//!
//! Randomised viewers (nation × role × clearance × categories) and labelled observations whose text
//! and observer team carry a unique canary string. Every route of the router (a census of the server's
//! sources fails when one is not exercised here) and the WebSocket stream are called as every viewer;
//! the ids an answer returns must be exactly the oracle's visible set, and no canary of a hidden record
//! (nor the observer's canary of a record whose observer fields the viewer may not see) may appear in
//! any byte of any answer, error, count or stream message. The oracle is written here, independently
//! of `truce-access`: it reads only the policy's data (group membership spans).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};
use time::macros::datetime;
use time::{Date, Duration, OffsetDateTime};
use truce_access::Policy;

use crate::util::{PASSWORD, Server, add_user, serve_plain};

/// Records in the first batch (stored before the viewers look) and in the streamed batch.
const RECORDS: usize = 400;
const STREAMED: usize = 60;
/// Viewers besides the admin.
const VIEWERS: usize = 16;

const NATIONS: &[&str] = &["GBR", "FRA", "POL", "FIN", "SWE", "UKR", "USA", "AUS", "JPN", "DEU", "ITA", "TUR", "IRL"];
const CODES: &[&str] =
    &["GBR", "FRA", "POL", "FIN", "SWE", "UKR", "USA", "DEU", "NATO", "EU", "FVEY", "MNFU", "PUBLIC", "JPN"];
const CATEGORIES: &[&str] = &["MONITOR-LOCATIONS", "SOURCES", "SIGINT", "COMMISSION"];
const MARKINGS: &[&str] =
    &["NATO UNCLASSIFIED", "NATO RESTRICTED", "NATO CONFIDENTIAL", "NATO SECRET", "COSMIC TOP SECRET"];
const ROLES: &[&str] =
    &["monitor", "watch_officer", "analyst", "commission", "planner", "national_rep", "auditor", "admin"];

/// The window most records fall in (incidents, series and reports are asked over it).
const SINCE: OffsetDateTime = datetime!(2026-11-05 00:00 UTC);
const UNTIL: OffsetDateTime = datetime!(2026-12-01 00:00 UTC);

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() % 10_000) as f64 / 10_000.0 < p
    }
    fn subset<'a>(&mut self, from: &[&'a str], p: f64) -> Vec<&'a str> {
        from.iter().copied().filter(|_| self.chance(p)).collect()
    }
}

#[derive(Debug, Clone)]
struct Viewer {
    name: String,
    nation: &'static str,
    role: &'static str,
    clearance: usize,
    categories: BTreeSet<&'static str>,
    token: String,
}

#[derive(Debug, Clone)]
struct Record {
    /// The observation as posted.
    body: Value,
    id: String,
    time: OffsetDateTime,
    marking: usize,
    releasable_to: Vec<&'static str>,
    categories: Vec<&'static str>,
}

impl Record {
    fn canary(&self) -> String {
        format!("CANARY{}TEXT", self.id)
    }
    fn observer_canary(&self) -> String {
        format!("CANARY{}TEAM", self.id)
    }
    fn make_body(&mut self, rng: &mut Rng) {
        let lat = 46.5 + rng.below(20_000) as f64 / 10_000.0;
        let lon = 35.0 + rng.below(40_000) as f64 / 10_000.0;
        let category = ["explosion_impact", "muzzle_flash", "bursts_and_shots", "weapon_sighting"][rng.below(3)];
        self.body = json!({
            "id": self.id,
            "time": self.time.format(&time::format_description::well_known::Rfc3339).unwrap(),
            "category": category,
            "lat": lat, "lon": lon,
            "observer": {"means": "patrol", "team": self.observer_canary()},
            "text": self.canary(),
            "marking": MARKINGS[self.marking],
            "releasable_to": self.releasable_to,
            "categories": self.categories,
        });
    }
}

/// The independent oracle: clearance, categories, and the nation in the release set expanded on the
/// record's day (groups from the policy's membership data; the public code releases to everyone; no
/// code means the policy's default release).
struct Oracle {
    policy: Policy,
}

impl Oracle {
    fn member(&self, code: &str, nation: &str, day: Date) -> bool {
        if code == nation || code == self.policy.public {
            return true;
        }
        self.policy.groups.get(code).and_then(|g| g.members.get(nation)).is_some_and(|spans| {
            spans.iter().any(|s| s.from.is_none_or(|f| day >= f) && s.until.is_none_or(|u| day < u))
        })
    }

    fn visible(&self, v: &Viewer, r: &Record) -> bool {
        let codes: Vec<&str> = if r.releasable_to.is_empty() {
            self.policy.default_release.iter().map(String::as_str).collect()
        } else {
            r.releasable_to.clone()
        };
        r.marking <= v.clearance
            && r.categories.iter().all(|c| v.categories.contains(c))
            && codes.iter().any(|c| self.member(c, v.nation, r.time.date()))
    }

    /// The observer's fields need NATO RESTRICTED (the shipped policy's observer label).
    fn sees_observer(&self, v: &Viewer, r: &Record) -> bool {
        self.visible(v, r) && v.clearance >= 1
    }
}

/// Counts the checks and collects what failed.
#[derive(Default)]
struct Checks {
    done: u64,
    failures: Vec<String>,
}

impl Checks {
    fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        self.done += 1;
        if !ok && self.failures.len() < 50 {
            self.failures.push(what());
        }
    }

    /// No canary the viewer may not see in `text`: one check per record.
    fn no_leak(&mut self, oracle: &Oracle, v: &Viewer, records: &[Record], surface: &str, text: &str) {
        let seen: BTreeSet<&str> =
            text.match_indices("CANARY").map(|(i, _)| &text[i..(i + 40).min(text.len())]).collect();
        for r in records {
            let hidden_text = !oracle.visible(v, r) && seen.iter().any(|s| s.starts_with(&r.canary()));
            let hidden_team = !oracle.sees_observer(v, r) && seen.iter().any(|s| s.starts_with(&r.observer_canary()));
            self.check(!hidden_text && !hidden_team, || {
                format!("{surface}: {} (as {} {} {}) shows {} ", v.name, v.nation, v.role, MARKINGS[v.clearance], r.id)
            });
        }
    }

    /// The ids an answer lists are exactly the visible ones among `records`: one check per record.
    fn exactly(&mut self, oracle: &Oracle, v: &Viewer, records: &[Record], surface: &str, ids: &BTreeSet<String>) {
        for r in records {
            let shown = ids.contains(&r.id);
            self.check(shown == oracle.visible(v, r), || {
                format!(
                    "{surface}: {} ({} {}) {} {}",
                    v.name,
                    v.nation,
                    MARKINGS[v.clearance],
                    if shown { "sees" } else { "misses" },
                    r.id
                )
            });
        }
    }
}

fn get(s: &Server, v: &Viewer, path: &str) -> (u16, String) {
    let reply = s.request_as(Some(&v.token), "GET", path, b"");
    (reply.status, String::from_utf8_lossy(&reply.body).into_owned())
}

fn ids_in(list: &Value, key: &str) -> BTreeSet<String> {
    list[key]
        .as_array()
        .map(|a| a.iter().filter_map(|o| o["id"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

/// Every route the server's sources declare (`.route("PATH"`), for the census.
fn declared_routes() -> BTreeSet<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/server");
    let mut out = BTreeSet::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for (i, _) in text.match_indices(".route(\"") {
            let rest = &text[i + 8..];
            out.insert(rest[..rest.find('"').unwrap()].to_owned());
        }
    }
    out
}

fn viewers(rng: &mut Rng) -> Vec<Viewer> {
    let mut out = Vec::new();
    for i in 0..VIEWERS {
        out.push(Viewer {
            name: format!("viewer-{i:02}"),
            nation: NATIONS[rng.below(NATIONS.len())],
            role: ROLES[rng.below(ROLES.len() - 1)],
            clearance: rng.below(MARKINGS.len()),
            categories: rng.subset(CATEGORIES, 0.5).into_iter().collect(),
            token: String::new(),
        });
    }
    // Fixed corners: a Finnish and a Swedish viewer (dated NATO membership), a viewer of a nation
    // outside every group but its own, and one who sees everything but holds no category.
    out[0].nation = "FIN";
    out[1].nation = "SWE";
    out[2].nation = "JPN";
    out[3].clearance = 4;
    out[3].categories.clear();
    out
}

fn records(rng: &mut Rng, n: usize, prefix: &str) -> Vec<Record> {
    (0..n)
        .map(|i| {
            // Most in the recent window; one in five between 2019 and 2026, across Finland's and
            // Sweden's accession days and the United Kingdom's exit from the EU.
            let time = if rng.chance(0.8) {
                SINCE + Duration::minutes(rng.below(25 * 24 * 60) as i64)
            } else {
                datetime!(2019-06-01 00:00 UTC) + Duration::days(rng.below(2_700) as i64)
            };
            let releasable_to = if rng.chance(0.15) { Vec::new() } else { rng.subset(CODES, 0.2) };
            let mut r = Record {
                body: Value::Null,
                id: format!("{prefix}{i:04}"),
                time,
                marking: rng.below(MARKINGS.len()),
                releasable_to,
                categories: if rng.chance(0.3) { rng.subset(CATEGORIES, 0.4) } else { Vec::new() },
            };
            r.make_body(rng);
            r
        })
        .collect()
}

#[test]
#[allow(clippy::too_many_lines)]
fn no_surface_shows_a_viewer_what_it_may_not_see() {
    let oracle = Oracle { policy: Policy::shipped() };
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let dir = tempfile::tempdir().unwrap();
    add_user(dir.path(), "admin", "GBR", "admin", "COSMIC TOP SECRET", CATEGORIES);
    let mut viewers = viewers(&mut rng);
    for v in &viewers {
        let cats: Vec<&str> = v.categories.iter().copied().collect();
        add_user(dir.path(), &v.name, v.nation, v.role, MARKINGS[v.clearance], &cats);
    }
    let s = serve_plain(dir.path(), &[]);
    let admin = s.login("admin", PASSWORD);
    for v in &mut viewers {
        v.token = s.login(&v.name, PASSWORD);
    }

    // The labelled records, stored by the admin (who may give any label), and a burst of GPS jamming
    // on the line in the last hours, released to Sweden only: it raises the early-warning level for
    // those who may see it, and must not for anyone else.
    let mut stored = records(&mut rng, RECORDS, "leak");
    let now = OffsetDateTime::now_utc();
    for i in 0..6i32 {
        let mut r = Record {
            body: Value::Null,
            id: format!("surge{i:04}"),
            time: now - Duration::minutes(i64::from(30 + 10 * i)),
            marking: 0,
            releasable_to: vec!["SWE"],
            categories: Vec::new(),
        };
        r.make_body(&mut rng);
        r.body["category"] = json!("gps_jamming");
        r.body["lat"] = json!(48.28 + f64::from(i) * 0.001);
        r.body["lon"] = json!(37.18);
        stored.push(r);
    }
    let body = Value::Array(stored.iter().map(|r| r.body.clone()).collect()).to_string();
    let reply = s.request_as(Some(&admin), "POST", "/api/v1/observations", body.as_bytes());
    assert_eq!(reply.status, 201, "{}", String::from_utf8_lossy(&reply.body));

    // A case on each of the first incidents, whatever their labels (the case carries their join).
    let admin_view = Viewer {
        name: "admin".into(),
        nation: "GBR",
        role: "admin",
        clearance: 4,
        categories: CATEGORIES.iter().copied().collect(),
        token: admin.clone(),
    };
    let window = format!("since={}&until={}", SINCE.date(), UNTIL.date());
    let (_, incidents) = get(&s, &admin_view, &format!("/api/v1/incidents?{window}"));
    let incidents: Value = serde_json::from_str(&incidents).unwrap();
    let mut cases: Vec<(String, Vec<String>)> = Vec::new();
    for inc in incidents["incidents"].as_array().unwrap().iter().take(40) {
        let body = json!({"title": format!("case on {}", inc["id"].as_str().unwrap()), "incidents": [inc["id"]]});
        let reply = s.request_as(Some(&admin), "POST", "/api/v1/cases", body.to_string().as_bytes());
        assert_eq!(reply.status, 201, "{}", String::from_utf8_lossy(&reply.body));
        let case: Value = serde_json::from_slice(&reply.body).unwrap();
        let parts = inc["observations"].as_array().unwrap().iter().map(|o| o.as_str().unwrap().to_owned()).collect();
        cases.push((case["id"].as_str().unwrap().to_owned(), parts));
    }
    let by_id: BTreeMap<&str, &Record> = stored.iter().map(|r| (r.id.as_str(), r)).collect();
    let recent: Vec<Record> = stored.iter().filter(|r| r.time >= SINCE && r.time < UNTIL).cloned().collect();

    // Viewers subscribe to the stream before the second batch.
    let mut streams: Vec<_> = viewers.iter().map(|v| s.stream_as(Some(&v.token)).expect("websocket")).collect();
    let streamed = records(&mut rng, STREAMED, "live");
    let body = Value::Array(streamed.iter().map(|r| r.body.clone()).collect()).to_string();
    assert_eq!(s.request_as(Some(&admin), "POST", "/api/v1/observations", body.as_bytes()).status, 201);
    // A last, public record marks the end of the batch on every stream (the bus keeps order).
    let end = json!({"id": "end-of-batch", "time": "2026-11-30T12:00:00Z", "category": "muzzle_flash", "lat": 47.9,
        "lon": 37.5, "releasable_to": ["PUBLIC"]});
    assert_eq!(s.request_as(Some(&admin), "POST", "/api/v1/observations", end.to_string().as_bytes()).status, 201);

    let mut checks = Checks::default();
    let mut exercised: BTreeSet<&str> = BTreeSet::new();
    let all: Vec<Record> = stored.iter().chain(&streamed).cloned().collect();
    let missing_body = |id: &str| {
        format!(r#"{{"error":{{"code":"not_found","message":"no observation with id \"{id}\"","field":"id"}}}}"#)
    };
    for (v, ws) in viewers.iter().zip(&mut streams) {
        // The stream: exactly the visible records of the second batch, then the marker.
        let mut got = BTreeSet::new();
        loop {
            let msg = ws.read().expect("a stream message");
            let text = msg.to_text().unwrap_or("").to_owned();
            checks.no_leak(&oracle, v, &streamed, "stream", &text);
            let m: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            let id = m["observation"]["id"].as_str().unwrap_or("").to_owned();
            if id == "end-of-batch" {
                break;
            }
            got.insert(id);
        }
        checks.exactly(&oracle, v, &streamed, "stream", &got);
        exercised.insert("/api/v1/stream");

        // Lists and exports.
        let (status, list) = get(&s, v, "/api/v1/observations?limit=10000");
        assert_eq!(status, 200);
        checks.no_leak(&oracle, v, &all, "list", &list);
        checks.exactly(&oracle, v, &all, "list", &ids_in(&serde_json::from_str(&list).unwrap(), "observations"));
        let (_, geo) = get(&s, v, "/api/v1/observations?limit=10000&format=geojson");
        checks.no_leak(&oracle, v, &all, "geojson", &geo);
        let geo: Value = serde_json::from_str(&geo).unwrap();
        let geo_ids: BTreeSet<String> = geo["features"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f["properties"]["id"].as_str().or(f["id"].as_str()).map(str::to_owned))
            .collect();
        checks.exactly(&oracle, v, &all, "geojson", &geo_ids);
        exercised.insert("/api/v1/observations");

        // One by one: a hidden record answers exactly like a missing one.
        for r in &stored {
            let (status, body) = get(&s, v, &format!("/api/v1/observations/{}", r.id));
            let ok = if oracle.visible(v, r) {
                status == 200
                    && body.contains(&r.canary())
                    && body.contains(&r.observer_canary()) == oracle.sees_observer(v, r)
            } else {
                status == 404 && body == missing_body(&r.id)
            };
            checks.check(ok, || format!("get: {} {} → {status} {body}", v.name, r.id));
        }
        exercised.insert("/api/v1/observations/{id}");

        // Counts.
        let (_, stats) = get(&s, v, "/api/v1/stats");
        let stats: Value = serde_json::from_str(&stats).unwrap();
        // Every viewer sees the public end-of-batch marker too.
        let visible = all.iter().filter(|r| oracle.visible(v, r)).count() as u64 + 1;
        checks
            .check(stats["total"].as_u64() == Some(visible), || format!("stats: {} total {}", v.name, stats["total"]));
        checks.no_leak(&oracle, v, &all, "stats", &stats.to_string());
        exercised.insert("/api/v1/stats");

        // Incidents: made of visible observations only, and every visible one in exactly one.
        let (_, inc) = get(&s, v, &format!("/api/v1/incidents?{window}"));
        checks.no_leak(&oracle, v, &all, "incidents", &inc);
        let inc: Value = serde_json::from_str(&inc).unwrap();
        let members: BTreeSet<String> = inc["incidents"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|i| i["observations"].as_array().unwrap().iter().map(|o| o.as_str().unwrap().to_owned()))
            .collect();
        let in_window: Vec<Record> = recent.clone();
        checks.exactly(&oracle, v, &in_window, "incidents", &members);
        exercised.insert("/api/v1/incidents");
        for r in &stored {
            let (status, body) = get(&s, v, &format!("/api/v1/incidents/inc-{}", r.id));
            checks.no_leak(&oracle, v, std::slice::from_ref(r), "incident", &body);
            checks.check(oracle.visible(v, r) || status == 404, || {
                format!("incident: {} inc-{} → {status}", v.name, r.id)
            });
        }
        exercised.insert("/api/v1/incidents/{id}");

        // Derived: series, warning, alerts, reports.
        for (path, route) in [
            (format!("/api/v1/series?{window}"), "/api/v1/series"),
            ("/api/v1/warning".to_owned(), "/api/v1/warning"),
            ("/api/v1/alerts".to_owned(), "/api/v1/alerts"),
            (
                "/api/v1/reports/daily?date=2026-11-20&format=json&edition=restricted".to_owned(),
                "/api/v1/reports/daily",
            ),
            ("/api/v1/reports/daily?date=2026-11-21&format=html&edition=public".to_owned(), "/api/v1/reports/daily"),
            (
                "/api/v1/reports/status?from=2026-11-10&to=2026-11-24&format=json&edition=restricted".to_owned(),
                "/api/v1/reports/status",
            ),
        ] {
            let (status, body) = get(&s, v, &path);
            checks.check(status == 200, || format!("{path}: {} → {status} {body}", v.name));
            checks.no_leak(&oracle, v, &all, route, &body);
            if path.contains("edition=public") {
                // The public edition never locates the monitors, whoever reads it.
                let team =
                    body.match_indices("CANARY").any(|(i, _)| body[i..(i + 24).min(body.len())].contains("TEAM"));
                checks.check(!team, || format!("{path}: {} sees an observer's team", v.name));
            }
            exercised.insert(route);
        }
        for r in stored.iter().take(60) {
            let (status, body) =
                get(&s, v, &format!("/api/v1/reports/spot/inc-{}?format=json&edition=restricted", r.id));
            checks.no_leak(&oracle, v, std::slice::from_ref(r), "spot", &body);
            checks.check(oracle.visible(v, r) || status == 404, || format!("spot: {} {} → {status}", v.name, r.id));
        }
        exercised.insert("/api/v1/reports/spot/{incident}");

        // Cases: visible exactly when every observation behind them is.
        let (_, list) = get(&s, v, "/api/v1/cases");
        checks.no_leak(&oracle, v, &all, "cases", &list);
        let listed = ids_in(&serde_json::from_str(&list).unwrap(), "cases");
        for (id, parts) in &cases {
            let expect = parts.iter().all(|p| by_id.get(p.as_str()).is_some_and(|r| oracle.visible(v, r)));
            checks.check(listed.contains(id) == expect, || format!("cases: {} {id} expected {expect}", v.name));
            let (status, body) = get(&s, v, &format!("/api/v1/cases/{id}"));
            checks.check((status == 200) == expect, || format!("case: {} {id} → {status}", v.name));
            checks.no_leak(&oracle, v, &all, "case", &body);
        }
        exercised.extend(["/api/v1/cases", "/api/v1/cases/{id}"]);

        // Writes a viewer may not make are refused before anything is read.
        let probe = &cases[0].0;
        let reply = s.request_as(Some(&v.token), "POST", &format!("/api/v1/cases/{probe}/actions"), br#"{"note":"x"}"#);
        let body = String::from_utf8_lossy(&reply.body).into_owned();
        checks.no_leak(&oracle, v, &all, "case action", &body);
        exercised.insert("/api/v1/cases/{id}/actions");

        // Everything else: no canary in any byte.
        for (path, route) in [
            ("/api/v1/tracks", "/api/v1/tracks"),
            ("/api/v1/tracks/leak0001", "/api/v1/tracks/{uid}"),
            ("/api/v1/geofence", "/api/v1/geofence"),
            ("/api/v1/tak/status", "/api/v1/tak/status"),
            ("/api/v1/coalition/summary", "/api/v1/coalition/summary"),
            ("/api/v1/coalition/gaps", "/api/v1/coalition/gaps"),
            ("/api/v1/coalition/nations/GBR/history", "/api/v1/coalition/nations/{nation}/history"),
            ("/api/v1/plans", "/api/v1/plans"),
            ("/api/v1/plans/leak0001", "/api/v1/plans/{id}"),
            ("/api/v1/plans/leak0001/check", "/api/v1/plans/{id}/check"),
            ("/api/v1/regeneration", "/api/v1/regeneration"),
            ("/api/v1/agreement", "/api/v1/agreement"),
            ("/api/v1/agreement/geometry", "/api/v1/agreement/geometry"),
            ("/api/v1/vocabulary", "/api/v1/vocabulary"),
            ("/api/v1/basemap", "/api/v1/basemap"),
            ("/api/v1/openapi.json", "/api/v1/openapi.json"),
            ("/api/v1/me", "/api/v1/me"),
            ("/api/v1/audit", "/api/v1/audit"),
            ("/metrics", "/metrics"),
            ("/healthz", "/healthz"),
        ] {
            let (_, body) = get(&s, v, path);
            checks.no_leak(&oracle, v, &all, path, &body);
            exercised.insert(route);
        }
    }

    // No session, a forged token, and a session after logout: the same 401, nothing else.
    let v = &viewers[0];
    for token in [None, Some("truce_forged0000000000000000000000000000000000000000"), Some(v.token.as_str())] {
        if token == Some(v.token.as_str()) {
            let reply = s.request_as(token, "POST", "/api/v1/logout", b"");
            assert_eq!(reply.status, 204, "logout");
        }
        for path in ["/api/v1/observations", "/api/v1/stats", "/api/v1/cases", "/api/v1/warning"] {
            let reply = s.request_as(token, "GET", path, b"");
            let body = String::from_utf8_lossy(&reply.body).into_owned();
            checks.check(reply.status == 401, || format!("{path} with {token:?} → {}", reply.status));
            checks.no_leak(&oracle, v, &[], path, &body);
            assert!(!body.contains("CANARY"), "{path} without a valid session: {body}");
        }
        checks.check(s.stream_as(token).is_err(), || format!("stream with {token:?} opened"));
    }
    exercised.extend(["/api/v1/login", "/api/v1/logout"]);

    // The burst shows in the warning of the Swedish viewer, and only there.
    let level = |v: &Viewer| {
        let w: Value = serde_json::from_str(&get(&s, v, "/api/v1/warning").1).unwrap();
        w["level"].as_str().unwrap_or("").to_owned()
    };
    assert_ne!(level(&viewers[1]), "normal", "the burst released to Sweden raises the Swedish viewer's level");
    assert_eq!(level(&viewers[2]), "normal", "the Japanese viewer does not see the burst");

    // Derived answers (counts, incidents, series, the warning, a report) must be exactly what a
    // twin server holding only the viewer's visible records answers the same viewer: then nothing
    // hidden contributed to them.
    for v in viewers.iter().skip(1).take(4) {
        let twin_dir = tempfile::tempdir().unwrap();
        add_user(twin_dir.path(), "admin", "GBR", "admin", "COSMIC TOP SECRET", CATEGORIES);
        let cats: Vec<&str> = v.categories.iter().copied().collect();
        add_user(twin_dir.path(), &v.name, v.nation, v.role, MARKINGS[v.clearance], &cats);
        let twin = serve_plain(twin_dir.path(), &[]);
        let twin_admin = twin.login("admin", PASSWORD);
        let twin_viewer = Viewer { token: twin.login(&v.name, PASSWORD), ..v.clone() };
        let mut visible: Vec<Value> = all.iter().filter(|r| oracle.visible(v, r)).map(|r| r.body.clone()).collect();
        visible.push(end.clone());
        let r = twin.request_as(
            Some(&twin_admin),
            "POST",
            "/api/v1/observations",
            Value::Array(visible).to_string().as_bytes(),
        );
        assert_eq!(r.status, 201);
        for path in [
            "/api/v1/stats".to_owned(),
            format!("/api/v1/incidents?{window}"),
            format!("/api/v1/series?{window}&bucket=day"),
            "/api/v1/warning".to_owned(),
            "/api/v1/reports/daily?date=2026-11-20&format=json&edition=restricted".to_owned(),
            "/api/v1/reports/status?from=2026-11-10&to=2026-11-24&format=json&edition=public".to_owned(),
        ] {
            let strip = |text: String| {
                let mut v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                if let Some(o) = v.as_object_mut() {
                    o.remove("at");
                }
                v
            };
            let here = strip(get(&s, v, &path).1);
            let there = strip(get(&twin, &twin_viewer, &path).1);
            checks.check(here == there, || {
                format!("{path}: {} differs from a store of only what it may see:\n{here}\n{there}", v.name)
            });
        }
    }

    // The census: every route the server declares was called above.
    let missing: Vec<String> = declared_routes()
        .into_iter()
        .filter(|r| !exercised.contains(r.as_str()) && !r.starts_with("/vendor") && r != "/")
        .collect();
    assert!(missing.is_empty(), "routes the leak harness does not exercise: {missing:?}");
    assert!(
        checks.failures.is_empty(),
        "{} of {} checks failed:\n{}",
        checks.failures.len(),
        checks.done,
        checks.failures.join("\n")
    );
    assert!(checks.done >= 100_000, "only {} checks", checks.done);
    eprintln!("leak harness: {} (viewer, record, surface) checks passed", checks.done);
}
