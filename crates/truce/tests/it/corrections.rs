//! Corrections without loss: the same id with other content is a 409 naming the difference; an
//! observation is amended or withdrawn against the version read, never deleted; every version is
//! kept and served; lists, counts and the daily report read the current version and the report says
//! what was corrected after it was first issued. Through the API and `truce ingest --amend`, with a
//! kill in the middle of amendments.

use serde_json::{Value, json};

use crate::util::{PASSWORD, add_user, serve, truce};

fn obs(id: &str, lat: f64, category: &str, count: u32) -> Value {
    json!({"id": id, "time": "2026-11-25T01:00:00Z", "lat": lat, "lon": 32.6169, "category": category,
        "count": count, "observer": {"means": "patrol", "team": "MT-1"}})
}

fn put(s: &crate::util::Server, id: &str, body: &Value) -> (u16, Value) {
    s.json("PUT", &format!("/api/v1/observations/{id}"), body.to_string().as_bytes())
}

#[test]
fn an_observation_is_amended_then_withdrawn_and_every_version_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path(), &[]);
    let (status, body) =
        s.json("POST", "/api/v1/observations", obs("k1", 46.6354, "explosion_impact", 1).to_string().as_bytes());
    assert_eq!(status, 201, "{body}");
    let mut ws = s.stream();

    // Other content under the same id: a conflict naming the fields, and nothing of the batch stored.
    let batch = json!([obs("k2", 46.7, "muzzle_flash", 1), obs("k1", 46.6354, "explosion_impact", 4)]);
    let (status, body) = s.json("POST", "/api/v1/observations", batch.to_string().as_bytes());
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "conflict");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("\"k1\"") && message.contains("differs in: count"), "{message}");
    assert!(message.contains("PUT /api/v1/observations/{id}"), "says how to correct: {message}");
    assert_eq!(s.json("GET", "/api/v1/observations/k2", b"").0, 404, "nothing of the batch was stored");
    // The same content again is idempotent, as before.
    let (status, body) =
        s.json("POST", "/api/v1/observations", obs("k1", 46.6354, "explosion_impact", 1).to_string().as_bytes());
    assert_eq!((status, body["duplicates"].clone()), (201, json!(["k1"])), "{body}");

    let (_, one) = s.json("GET", "/api/v1/observations/k1", b"");
    assert_eq!((one["version"].clone(), one["amended"].clone()), (json!(1), json!(false)), "{one}");

    // Amend version 1: moved out of the security zone, and a muzzle flash.
    let amended = obs("k1", 46.30, "muzzle_flash", 2);
    let (status, body) = put(
        &s,
        "k1",
        &json!({"version": 1, "reason": "wrong grid: the patrol re-read its map", "observation": amended}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"id": "k1", "version": 2, "change": "amended"}));
    // The stream carries the new version under the same id.
    let msg: Value = serde_json::from_str(ws.read().unwrap().to_text().unwrap()).unwrap();
    assert_eq!(
        (msg["type"].clone(), msg["observation"]["category"].clone()),
        (json!("observation"), json!("muzzle_flash")),
        "{msg}"
    );
    // A second writer who read version 1 is told, and changes nothing.
    let (status, body) =
        put(&s, "k1", &json!({"version": 1, "reason": "x", "observation": obs("k1", 46.9, "muzzle_flash", 9)}));
    assert_eq!(
        (status, body["error"]["code"].clone(), body["error"]["field"].clone()),
        (409, json!("stale_version"), json!("version")),
        "{body}"
    );
    let (_, one) = s.json("GET", "/api/v1/observations/k1", b"");
    assert_eq!(
        (one["version"].clone(), one["amended"].clone(), one["lat"].clone()),
        (json!(2), json!(true), json!(46.30)),
        "{one}"
    );
    let (_, stats) = s.json("GET", "/api/v1/stats", b"");
    assert_eq!(stats["by_category"], json!({"muzzle_flash": 1}), "counts read the current version: {stats}");
    assert!(stats["by_violation"].get("cfv_in_security_zone").is_none(), "{stats}");

    // Withdraw version 2.
    let (status, body) = put(&s, "k1", &json!({"version": 2, "reason": "a duplicate of k0", "withdraw": true}));
    assert_eq!(
        (status, body["version"].clone(), body["change"].clone()),
        (200, json!(3), json!("withdrawn")),
        "{body}"
    );
    let msg: Value = serde_json::from_str(ws.read().unwrap().to_text().unwrap()).unwrap();
    assert_eq!(msg, json!({"type": "withdrawn", "withdrawn": {"id": "k1"}}));
    let (status, gone) = s.json("GET", "/api/v1/observations/k1", b"");
    assert_eq!(status, 410, "{gone}");
    let message = gone["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("by admin") && message.contains("a duplicate of k0") && message.contains("/history"),
        "{message}"
    );
    let (_, stats) = s.json("GET", "/api/v1/stats", b"");
    assert_eq!(stats["total"], 0, "a withdrawn observation is counted nowhere");
    let (_, list) = s.json("GET", "/api/v1/observations", b"");
    assert_eq!(list["observations"], json!([]));
    let (status, body) = put(&s, "k1", &json!({"version": 3, "reason": "undo", "observation": amended}));
    assert_eq!((status, body["error"]["code"].clone()), (409, json!("withdrawn")), "{body}");

    // The history: every version, who, when, why.
    let (status, history) = s.json("GET", "/api/v1/observations/k1/history", b"");
    assert_eq!(status, 200, "{history}");
    let versions = history["versions"].as_array().unwrap();
    let summary: Vec<(u64, &str, &str, &str)> = versions
        .iter()
        .map(|v| {
            (
                v["version"].as_u64().unwrap(),
                v["change"].as_str().unwrap(),
                v["by"].as_str().unwrap(),
                v["reason"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (1, "recorded", "admin", ""),
            (2, "amended", "admin", "wrong grid: the patrol re-read its map"),
            (3, "withdrawn", "admin", "a duplicate of k0")
        ]
    );
    assert_eq!(versions[0]["observation"]["category"], "explosion_impact", "the first version as recorded");
    assert_eq!(versions[1]["observation"]["lat"], 46.30);
    assert!(versions.iter().all(|v| v["at"].as_str().is_some_and(|t| t.ends_with('Z'))), "{history}");

    // The daily report of that day, made now, counts the current version and lists the correction.
    let (status, report) = s.json("GET", "/api/v1/reports/daily?date=2026-11-25&format=json&edition=restricted", b"");
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["summary"]["observations"], 0, "{}", report["summary"]);
    let corrections = report["corrections"].as_array().unwrap();
    assert_eq!(corrections.len(), 1, "{report:#}");
    assert_eq!(
        (corrections[0]["id"].clone(), corrections[0]["change"].clone(), corrections[0]["reason"].clone()),
        (json!("k1"), json!("withdrawn"), json!("a duplicate of k0"))
    );
    let (_, md) = s.http("GET", "/api/v1/reports/daily?date=2026-11-25&format=md&edition=restricted", b"");
    assert!(md.contains("Corrections since this report was first issued") && md.contains("a duplicate of k0"), "{md}");

    // Every change is in the audit log.
    let run = truce(&["audit", "list", "--data-dir", dir.path().to_str().unwrap(), "--limit", "100"], b"");
    let puts = run
        .stdout
        .lines()
        .filter(|l| l.contains("PUT /api/v1/observations/k1") && l.contains("\"outcome\":\"ok\""))
        .count();
    assert_eq!(puts, 2, "{}", run.stdout);
}

#[test]
fn a_bad_or_unauthorised_correction_names_its_fault_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    add_user(dir.path(), "pol.monitor", "POL", "monitor", "NATO SECRET", &[]);
    add_user(dir.path(), "gbr.analyst", "GBR", "analyst", "NATO SECRET", &[]);
    let s = serve(dir.path(), &[]);
    let mut gbr_only = obs("g1", 46.6354, "explosion_impact", 1);
    gbr_only["releasable_to"] = json!(["GBR"]);
    gbr_only["marking"] = json!("NATO RESTRICTED");
    let (status, body) = s.json(
        "POST",
        "/api/v1/observations",
        json!([obs("k1", 46.6354, "explosion_impact", 1), gbr_only]).to_string().as_bytes(),
    );
    assert_eq!(status, 201, "{body}");
    let good = |v: u32| json!({"version": v, "reason": "r", "observation": obs("k1", 46.5, "muzzle_flash", 1)});
    let cases: Vec<(Value, u16, &str)> = vec![
        (json!({"version": 1, "observation": obs("k1", 46.5, "muzzle_flash", 1)}), 422, "reason"),
        (json!({"version": 1, "reason": "   ", "withdraw": true}), 422, "reason"),
        (json!({"reason": "r", "withdraw": true}), 422, "version"),
        (json!({"version": 0, "reason": "r", "withdraw": true}), 422, "version"),
        (json!({"version": "1", "reason": "r", "withdraw": true}), 422, "version"),
        (json!({"version": 1, "reason": "r"}), 422, "observation"),
        (
            json!({"version": 1, "reason": "r", "withdraw": true, "observation": obs("k1", 46.5, "muzzle_flash", 1)}),
            422,
            "withdraw",
        ),
        (json!({"version": 1, "reason": "r", "withdraw": true, "why": 1}), 422, "why"),
        (
            json!({"version": 1, "reason": "r", "observation": obs("k9", 46.5, "muzzle_flash", 1)}),
            422,
            "observation.id",
        ),
        (
            json!({"version": 1, "reason": "r", "observation": obs("k1", 123.0, "muzzle_flash", 1)}),
            422,
            "observation.lat",
        ),
        (json!({"version": 1, "reason": "x".repeat(2001), "withdraw": true}), 422, "reason"),
    ];
    for (body, status, field) in cases {
        let (got, answer) = put(&s, "k1", &body);
        assert_eq!((got, answer["error"]["field"].as_str()), (status, Some(field)), "{body} → {answer}");
    }
    assert_eq!(s.http("PUT", "/api/v1/observations/k1", b"{not json").0, 400);
    assert_eq!(s.http("PUT", "/api/v1/observations/k1", b"[1]").0, 400);
    let withdraw = json!({"version": 1, "reason": "r", "withdraw": true}).to_string();
    assert_eq!(s.http("PUT", "/api/v1/observations/nope", withdraw.as_bytes()).0, 404);

    // Wrong user: no session, a role that may not submit, another nation that may not see it.
    let no_session = s.request_as(None, "PUT", "/api/v1/observations/k1", good(1).to_string().as_bytes());
    assert_eq!(no_session.status, 401);
    let analyst = s.login("gbr.analyst", PASSWORD);
    let reply = s.request_as(Some(&analyst), "PUT", "/api/v1/observations/k1", good(1).to_string().as_bytes());
    assert_eq!(reply.status, 403, "{}", String::from_utf8_lossy(&reply.body));
    let pol = s.login("pol.monitor", PASSWORD);
    let reply = s.request_as(Some(&pol), "PUT", "/api/v1/observations/g1", withdraw.as_bytes());
    let missing = s.request_as(Some(&pol), "PUT", "/api/v1/observations/zz", withdraw.as_bytes());
    assert_eq!((reply.status, missing.status), (404, 404), "a hidden record answers like a missing one");
    assert_eq!(
        String::from_utf8_lossy(&reply.body),
        String::from_utf8_lossy(&missing.body).replace("zz", "g1"),
        "the same answer, but for the id"
    );
    let history = s.request_as(Some(&pol), "GET", "/api/v1/observations/g1/history", b"");
    assert_eq!(history.status, 404);
    // A label above the writer's clearance.
    let mut secret = obs("k1", 46.5, "muzzle_flash", 1);
    secret["marking"] = json!("COSMIC TOP SECRET");
    let reply = s.request_as(
        Some(&pol),
        "PUT",
        "/api/v1/observations/k1",
        json!({"version": 1, "reason": "r", "observation": secret}).to_string().as_bytes(),
    );
    assert_eq!(reply.status, 403, "{}", String::from_utf8_lossy(&reply.body));

    // Nothing changed.
    for id in ["k1", "g1"] {
        let (status, one) = s.json("GET", &format!("/api/v1/observations/{id}"), b"");
        assert_eq!(
            (status, one["version"].clone(), one["category"].clone()),
            (200, json!(1), json!("explosion_impact")),
            "{one}"
        );
    }
}

/// A CSV in truce's columns: `id,time,lat,lon,category,count,text` rows.
fn csv(rows: &[(String, f64, u32, String)]) -> String {
    let mut out = String::from("id,time,lat,lon,category,count,text\n");
    for (id, lat, count, text) in rows {
        out.push_str(&format!("{id},2026-11-25T01:00:00Z,{lat},32.6169,explosion_impact,{count},{text}\n"));
    }
    out
}

#[test]
fn truce_ingest_refuses_a_conflict_and_amends_with_amend() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let a = crate::util::agreement();
    let first = dir.path().join("first.csv");
    std::fs::write(&first, csv(&[("k1".into(), 46.6, 1, "one".into()), ("k2".into(), 46.7, 1, "two".into())])).unwrap();
    let run = truce(&["ingest", first.to_str().unwrap(), "--data-dir", d, "--agreement", a.to_str().unwrap()], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let second = dir.path().join("second.csv");
    std::fs::write(&second, csv(&[("k1".into(), 46.6, 3, "one".into()), ("k3".into(), 46.8, 1, "three".into())]))
        .unwrap();
    let run = truce(&["ingest", second.to_str().unwrap(), "--data-dir", d], b"");
    assert_eq!(run.code, 1, "a conflict is a failure: {}", run.stderr);
    let expected = format!(
        "{}:2: observation \"k1\" is already stored with other content (differs in: count); `truce ingest --amend` corrects it",
        second.display()
    );
    assert!(run.stderr.contains(&expected), "{}", run.stderr);
    assert!(run.stderr.contains("1 new observations stored, 0 already stored, 1 in conflict"), "{}", run.stderr);
    let list = |d: &str| {
        let run = truce(&["observations", "--data-dir", d, "--format", "ndjson"], b"");
        assert_eq!(run.code, 0, "{}", run.stderr);
        run.stdout
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .map(|v| (v["id"].as_str().unwrap().to_owned(), v["count"].as_u64().unwrap()))
            .collect::<Vec<_>>()
    };
    assert_eq!(list(d), [("k1".to_owned(), 1), ("k2".to_owned(), 1), ("k3".to_owned(), 1)], "k1 unchanged");

    let run = truce(&["ingest", second.to_str().unwrap(), "--data-dir", d, "--amend"], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("0 new observations stored, 1 already stored, 1 amended"), "{}", run.stderr);
    assert_eq!(list(d), [("k1".to_owned(), 3), ("k2".to_owned(), 1), ("k3".to_owned(), 1)], "k1 amended");
    // Its history says who and why.
    let s = serve(dir.path(), &[]);
    let (_, history) = s.json("GET", "/api/v1/observations/k1/history", b"");
    let versions = history["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 2, "{history}");
    assert_eq!(versions[0]["by"], format!("truce ingest {}", first.display()));
    assert_eq!(versions[1]["by"], format!("truce ingest {}", second.display()));
    assert_eq!(versions[1]["reason"], "amended by `truce ingest` from line or feature 2");
}

#[test]
fn a_process_killed_during_amendments_leaves_each_observation_old_or_new() {
    const N: usize = 3_000;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let a = crate::util::agreement();
    let old = dir.path().join("old.csv");
    let new = dir.path().join("new.csv");
    let ids: Vec<String> = (0..N).map(|i| format!("obs{i:05}")).collect();
    let rows = |count: u32, text: &str| -> Vec<(String, f64, u32, String)> {
        ids.iter().enumerate().map(|(i, id)| (id.clone(), 46.0 + i as f64 * 1e-4, count, text.to_owned())).collect()
    };
    std::fs::write(&old, csv(&rows(1, "as first reported"))).unwrap();
    std::fs::write(&new, csv(&rows(2, "as corrected"))).unwrap();
    let run = truce(&["ingest", old.to_str().unwrap(), "--data-dir", d, "--agreement", a.to_str().unwrap()], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);

    // Amend every one (one durable transaction each) and kill the process once some are done.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_truce"))
        .args(["ingest", new.to_str().unwrap(), "--data-dir", d, "--amend"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let db = dir.path().join("truce.sqlite");
    let amended = || -> i64 {
        let conn = rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
        conn.busy_timeout(std::time::Duration::from_secs(5)).unwrap();
        conn.query_row("SELECT count(*) FROM observations WHERE version = 2", [], |r| r.get(0)).unwrap()
    };
    let started = std::time::Instant::now();
    while amended() < 50 {
        assert!(child.try_wait().unwrap().is_none(), "the ingest ended before it could be killed");
        assert!(started.elapsed().as_secs() < 120, "no amendment within two minutes");
        std::thread::yield_now();
    }
    child.kill().unwrap();
    child.wait().unwrap();

    let conn = rusqlite::Connection::open(&db).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT o.id, o.version, json_extract(o.body, '$.count'), json_extract(o.body, '$.text'),
                    (SELECT count(*) FROM observation_versions v WHERE v.id = o.id),
                    (SELECT v.body = o.body FROM observation_versions v WHERE v.id = o.id AND v.version = o.version)
             FROM observations o",
        )
        .unwrap();
    let rows: Vec<(String, i64, i64, String, i64, Option<bool>)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(rows.len(), N, "nothing lost");
    let (mut old_n, mut new_n) = (0, 0);
    for (id, version, count, text, versions, current_kept) in &rows {
        match version {
            1 => {
                assert_eq!(
                    (*count, text.as_str(), *versions),
                    (1, "as first reported", 0),
                    "{id}: the old version whole"
                );
                old_n += 1;
            }
            2 => {
                assert_eq!(
                    (*count, text.as_str(), *versions, *current_kept),
                    (2, "as corrected", 2, Some(true)),
                    "{id}: the new version whole, with its history"
                );
                new_n += 1;
            }
            other => panic!("{id}: version {other}"),
        }
    }
    assert!(new_n >= 50 && old_n > 0, "killed mid-way: {new_n} amended, {old_n} not");
    // The store opens and finishes the job: the rest are amended, none twice.
    let run = truce(&["ingest", new.to_str().unwrap(), "--data-dir", d, "--amend"], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains(&format!("{new_n} already stored, {old_n} amended")), "{}", run.stderr);
}
