//! The commands on a real PostgreSQL/PostGIS store (`--store`, `TRUCE_TEST_POSTGRES`; `scripts/test`
//! starts a throw-away server with `scripts/pg`): they answer as on the embedded store, `truce migrate`
//! moves an embedded store whole and refuses a target that holds records, and `truce serve` keeps what
//! it acknowledged across SIGKILL.

use std::path::Path;
use std::process::Command;

use serde_json::json;

use crate::util::{PASSWORD, Run, Server, agreement, truce};

/// A URL of the test server naming a schema no other test uses (the store makes it).
pub(crate) fn store_url() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let url = std::env::var("TRUCE_TEST_POSTGRES").expect(
        "TRUCE_TEST_POSTGRES must name a PostgreSQL database with PostGIS (scripts/test starts one with scripts/pg)",
    );
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}schema=cli{}_{}_{nanos}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A simulated week of the demo as NDJSON (fixed start and seed, so every run has the same records).
fn week(dir: &Path) -> std::path::PathBuf {
    let file = dir.join("week.ndjson");
    let run = truce(&["demo", "--export", file.to_str().unwrap(), "--start", "2026-11-20", "--days", "3"], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    file
}

/// `truce ARGS --data-dir DIR [--store URL]`.
fn on(dir: &Path, url: Option<&str>, args: &[&str]) -> Run {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--data-dir", dir.to_str().unwrap()]);
    if let Some(url) = url {
        all.extend(["--store", url]);
    }
    truce(&all, format!("{PASSWORD}\n").as_bytes())
}

/// What the read commands say of a store: every observation, the warning at a fixed time, a daily
/// report's data and the day's incidents.
fn answers(dir: &Path, url: Option<&str>) -> Vec<String> {
    let reads: [&[&str]; 4] = [
        &["observations", "--format", "ndjson"],
        &["warn", "status", "--at", "2026-11-22T12:00:00Z", "--format", "json"],
        &["report", "daily", "--date", "2026-11-21", "--format", "json", "--edition", "restricted"],
        &["incidents", "--since", "2026-11-21", "--until", "2026-11-22", "--format", "json"],
    ];
    reads
        .iter()
        .map(|args| {
            let run = on(dir, url, args);
            assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
            without_received(&run.stdout)
        })
        .collect()
}

/// `text` without the times the store received each record (two ingests of one file differ there).
fn without_received(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("\"received_at\":\"") {
        let value = at + "\"received_at\":\"".len();
        out.push_str(&rest[..value]);
        rest = &rest[value..];
        rest = &rest[rest.find('"').unwrap_or(rest.len())..];
    }
    out.push_str(rest);
    out
}

/// Fails with the first place where two commands' answers differ.
fn same(embedded: &[String], postgres: &[String]) {
    for (w, g) in embedded.iter().zip(postgres) {
        if w != g {
            let at = w.bytes().zip(g.bytes()).take_while(|(a, b)| a == b).count();
            let from = w[..at].char_indices().rev().nth(150).map_or(0, |(k, _)| k);
            let around = |s: &str| s[from..].chars().take(400).collect::<String>();
            panic!("the answers differ at byte {at}:\nembedded: …{}\npostgres: …{}", around(w), around(g));
        }
    }
}

#[test]
fn the_commands_answer_on_postgres_as_on_the_embedded_store() {
    let tmp = tempfile::tempdir().unwrap();
    let file = week(tmp.path());
    let url = store_url();
    let (embedded, node) = (tmp.path().join("embedded"), tmp.path().join("node"));
    let a = agreement();
    for (dir, url) in [(&embedded, None), (&node, Some(url.as_str()))] {
        let run = on(dir, url, &["ingest", "--agreement", a.to_str().unwrap(), file.to_str().unwrap()]);
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    assert!(!node.join(truce_store::DATABASE_FILE).exists(), "the records went to PostgreSQL, not the data directory");
    let (want, got) = (answers(&embedded, None), answers(&node, Some(&url)));
    assert!(want[0].lines().count() > 100, "a week of observations: {}", want[0].lines().count());
    same(&want, &got);
    // A user added to the PostgreSQL store is there, and only there.
    let add = ["users", "add", "ana", "--nation", "FRA", "--role", "monitor", "--password-stdin"];
    assert_eq!(on(&node, Some(&url), &add).code, 0);
    let listed = on(&node, Some(&url), &["users", "list"]);
    assert!(listed.stdout.contains("ana"), "{}", listed.stdout);
    assert!(!on(&embedded, None, &["users", "list"]).stdout.contains("ana"));
}

#[test]
fn migrate_moves_an_embedded_store_whole_and_refuses_a_store_with_records() {
    let tmp = tempfile::tempdir().unwrap();
    let file = week(tmp.path());
    let dir = tmp.path().join("data");
    let a = agreement();
    assert_eq!(on(&dir, None, &["ingest", "--agreement", a.to_str().unwrap(), file.to_str().unwrap()]).code, 0);
    let add = ["users", "add", "ana", "--nation", "FRA", "--role", "monitor", "--password-stdin"];
    assert_eq!(on(&dir, None, &add).code, 0);
    let url = store_url();
    let moved = truce(&["migrate", "--from", dir.to_str().unwrap(), "--to", &url], b"");
    assert_eq!(moved.code, 0, "{}", moved.stderr);
    assert!(moved.stdout.contains("counts and checksums agree"), "{}", moved.stdout);
    assert!(moved.stderr.contains("observations"), "each table is named: {}", moved.stderr);
    same(&answers(&dir, None), &answers(&dir, Some(&url)));
    assert_eq!(on(&dir, Some(&url), &["users", "list"]).stdout, on(&dir, None, &["users", "list"]).stdout);
    // The audit log moved with it: the same entries, intact, continued by the next change.
    assert!(moved.stderr.contains("audit_log"), "{}", moved.stderr);
    let file_log = on(&dir, None, &["audit", "list"]).stdout;
    assert!(file_log.contains("users add"), "{file_log}");
    assert_eq!(on(&dir, Some(&url), &["audit", "list"]).stdout, file_log);
    let add = ["users", "add", "ben", "--nation", "FRA", "--role", "monitor", "--password-stdin"];
    assert_eq!(on(&dir, Some(&url), &add).code, 0);
    let verify = on(&dir, Some(&url), &["audit", "verify"]);
    let entries = file_log.lines().count() + 1;
    assert_eq!(verify.code, 0, "{}", verify.stderr);
    assert!(verify.stdout.starts_with(&format!("intact: {entries} entries")), "{}", verify.stdout);
    // The store now holds records: a second move is refused and changes nothing.
    let again = truce(&["migrate", "--from", dir.to_str().unwrap(), "--to", &url], b"");
    assert_ne!(again.code, 0, "{}", again.stderr);
    assert!(
        again.stderr.contains("already holds records") && again.stderr.contains("nothing was written"),
        "{}",
        again.stderr
    );
    same(&answers(&dir, None), &answers(&dir, Some(&url)));
    // A URL that is not PostgreSQL's is named as such.
    let bad = truce(&["migrate", "--from", dir.to_str().unwrap(), "--to", "mysql://x"], b"");
    assert!(bad.code != 0 && bad.stderr.contains("not a PostgreSQL URL"), "{}", bad.stderr);
}

#[test]
fn serve_on_postgres_keeps_what_it_acknowledged_across_a_kill() {
    let tmp = tempfile::tempdir().unwrap();
    let url = store_url();
    let dir = tmp.path().join("node");
    let add = ["users", "add", "admin", "--nation", "GBR", "--role", "admin", "--clearance", "COSMIC TOP SECRET"];
    assert_eq!(on(&dir, Some(&url), &[&add[..], &["--password-stdin"]].concat()).code, 0);
    let start = || {
        let s = crate::util::serve_plain(&dir, &["--store", &url]);
        let token = s.login("admin", PASSWORD);
        s.use_token(Some(&token));
        s
    };
    let s = start();
    let obs = json!({"id": "pg-1", "time": "2026-11-25T01:00:00Z", "lat": 48.0159, "lon": 37.8028,
        "category": "muzzle_flash", "observer": {"means": "patrol", "team": "MT-1"}});
    let (status, body) = s.json("POST", "/api/v1/observations", obs.to_string().as_bytes());
    assert_eq!(status, 201, "{body}");
    Server::kill(s);
    let s = start();
    let (status, one) = s.json("GET", "/api/v1/observations/pg-1", b"");
    assert_eq!(status, 200, "{one}");
    assert_eq!(one["category"], "muzzle_flash");
    let (_, list) = s.json("GET", "/api/v1/observations?near=48.0,37.8,5", b"");
    assert_eq!(list["observations"].as_array().unwrap().len(), 1, "{list}");
}

/// A throw-away, durable PostgreSQL server of this test's own (`scripts/pg`), stopped when dropped: a test that
/// restarts its server must not take the other tests' server down with it.
struct OwnServer {
    dir: std::path::PathBuf,
    url: String,
}

impl OwnServer {
    fn start(dir: &Path) -> Self {
        // Durable: with scripts/pg's fast settings (synchronous_commit off) a crash loses the last
        // commits the server acknowledged, which is the server's choice and not what is tested here.
        let out = Command::new(pg_script()).arg("start").arg(dir).arg("--durable").output().expect("scripts/pg");
        assert!(out.status.success(), "scripts/pg start: {}", String::from_utf8_lossy(&out.stderr));
        let url = String::from_utf8(out.stdout).unwrap().trim().to_owned();
        Self { dir: dir.to_owned(), url }
    }

    /// Stops the server as a crash would and starts it again on the same port.
    fn restart(&self) {
        let out = Command::new(pg_script()).arg("restart").arg(&self.dir).output().expect("scripts/pg");
        assert!(out.status.success(), "scripts/pg restart: {}", String::from_utf8_lossy(&out.stderr));
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        let _ = Command::new(pg_script()).arg("stop").arg(&self.dir).output();
    }
}

fn pg_script() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/pg")
}

/// What one batch POST answered.
struct Posted {
    ids: Vec<String>,
    status: u16,
    body: serde_json::Value,
}

#[test]
fn a_database_restart_under_load_refuses_clearly_and_never_half_applies_a_batch() {
    let tmp = tempfile::tempdir().unwrap();
    let pg = OwnServer::start(&tmp.path().join("pg"));
    let dir = tmp.path().join("node");
    let add = ["users", "add", "admin", "--nation", "GBR", "--role", "admin", "--clearance", "COSMIC TOP SECRET"];
    assert_eq!(on(&dir, Some(&pg.url), &[&add[..], &["--password-stdin"]].concat()).code, 0);
    let s = crate::util::serve_plain(&dir, &["--store", &pg.url]);
    let token = s.login("admin", PASSWORD);
    s.use_token(Some(&token));

    // One poster sends batches of five without pause; the test restarts the database once twenty
    // batches were acknowledged, and stops the poster once twenty more were acknowledged after it.
    let acknowledged = std::sync::atomic::AtomicUsize::new(0);
    let done = std::sync::atomic::AtomicBool::new(false);
    let posted = std::thread::scope(|scope| {
        let poster = scope.spawn(|| {
            let mut posted = Vec::new();
            for n in 0.. {
                if done.load(std::sync::atomic::Ordering::SeqCst) {
                    break;
                }
                let ids: Vec<String> = (0..5).map(|k| format!("r{n}-{k}")).collect();
                let batch: Vec<serde_json::Value> = ids
                    .iter()
                    .enumerate()
                    .map(|(k, id)| {
                        json!({"id": id, "time": "2026-11-25T01:00:00Z", "lat": 48.0 + 0.001 * k as f64,
                            "lon": 37.8, "category": "muzzle_flash", "observer": {"means": "patrol", "team": "MT-1"}})
                    })
                    .collect();
                let (status, body) = s.json("POST", "/api/v1/observations", json!(batch).to_string().as_bytes());
                if status == 201 {
                    acknowledged.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
                posted.push(Posted { ids, status, body });
            }
            posted
        });
        let wait_for = |n: usize| {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
            while acknowledged.load(std::sync::atomic::Ordering::SeqCst) < n {
                assert!(std::time::Instant::now() < deadline, "fewer than {n} batches acknowledged in 60 s");
                assert!(!poster.is_finished(), "the poster stopped");
                std::thread::yield_now();
            }
        };
        wait_for(20);
        pg.restart();
        let after = acknowledged.load(std::sync::atomic::Ordering::SeqCst);
        wait_for(after + 20);
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        poster.join().expect("the poster")
    });

    // Every refusal says the store failed and what that means for the batch, or that the batch could
    // not be audited (the audit log is in the same database): then it is not acknowledged either.
    let refused: Vec<&Posted> = posted.iter().filter(|p| p.status != 201).collect();
    assert!(!refused.is_empty(), "no POST met the restart: the test did not test it");
    for p in &refused {
        assert_eq!(p.status, 503, "{}", p.body);
        let message = p.body["error"]["message"].as_str().unwrap();
        match p.body["error"]["code"].as_str() {
            Some("store_unavailable") => {
                assert!(message.contains("the store failed") && message.contains("all of it"), "{message}");
            }
            Some("audit_unavailable") => assert!(message.starts_with("the audit log failed: "), "{message}"),
            _ => panic!("{}", p.body),
        }
    }
    // The node came back by itself, and what it acknowledged is stored; no batch is stored in part.
    let (status, list) = s.json("GET", "/api/v1/observations?limit=10000", b"");
    assert_eq!(status, 200, "{list}");
    let stored: std::collections::HashSet<&str> =
        list["observations"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap()).collect();
    for p in &posted {
        let kept = p.ids.iter().filter(|id| stored.contains(id.as_str())).count();
        if p.status == 201 {
            assert_eq!(kept, 5, "acknowledged batch {:?} lost {} observations", p.ids[0], 5 - kept);
        } else {
            assert!(kept == 0 || kept == 5, "refused batch {:?} stored in part: {kept} of 5", p.ids[0]);
        }
    }
}

#[test]
fn a_store_that_cannot_be_opened_is_named_and_leaves_no_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("node");
    let file = tmp.path().join("one.csv");
    std::fs::write(&file, "id,lat,lon,time,category\nx,48.0,37.8,2026-11-25T01:00:00Z,muzzle_flash\n").unwrap();
    // A port nobody listens on: bind one, note it, let it go.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let cases = [
        ("mysql://truce:secret@127.0.0.1/truce".to_owned(), "not a store URL"),
        (format!("postgres://truce:secret@127.0.0.1:{port}/truce"), "error connecting"),
        (format!("{}?schema=bad;name", store_url().split('?').next().unwrap()), "\"bad;name\" is not a schema name"),
    ];
    for (url, reason) in cases {
        let run = on(&dir, Some(&url), &["ingest", file.to_str().unwrap()]);
        assert_ne!(run.code, 0, "{url}");
        assert!(run.stderr.contains(reason), "{url}: {}", run.stderr);
        assert!(!run.stderr.contains("secret"), "the password shows: {}", run.stderr);
        assert!(!dir.exists(), "{url}: the data directory was left behind");
    }
}

/// Two nodes on one database write one audit log: each node's API lists what the other logged and
/// what an operator's command logged while both ran, every entry proved to one root; `truce audit
/// verify --store` checks the rows, and a checkpoint signed with one node's key checks against them.
#[test]
fn two_nodes_on_one_database_write_one_audit_log() {
    let tmp = tempfile::tempdir().unwrap();
    let url = store_url();
    let (a_dir, b_dir) = (tmp.path().join("a"), tmp.path().join("b"));
    let add = ["users", "add", "admin", "--nation", "GBR", "--role", "admin", "--clearance", "COSMIC TOP SECRET"];
    assert_eq!(on(&a_dir, Some(&url), &[&add[..], &["--password-stdin"]].concat()).code, 0);
    let (a, b) =
        (crate::util::serve_plain(&a_dir, &["--store", &url]), crate::util::serve_plain(&b_dir, &["--store", &url]));
    for s in [&a, &b] {
        let token = s.login("admin", PASSWORD);
        s.use_token(Some(&token));
    }
    let obs = json!({"id": "audited-on-b", "time": "2026-11-25T01:00:00Z", "lat": 48.0159, "lon": 37.8028,
        "category": "muzzle_flash", "observer": {"means": "patrol", "team": "MT-1"}});
    let (status, body) = b.json("POST", "/api/v1/observations", obs.to_string().as_bytes());
    assert_eq!(status, 201, "{body}");
    let bob = ["users", "add", "bob", "--nation", "POL", "--role", "monitor", "--clearance", "NATO UNCLASSIFIED"];
    let run = on(&b_dir, Some(&url), &[&bob[..], &["--password-stdin"]].concat());
    assert_eq!(run.code, 0, "{}", run.stderr);

    let (status, log) = a.json("GET", "/api/v1/audit?limit=1000", b"");
    assert_eq!(status, 200, "{log}");
    let entries = log["entries"].as_array().unwrap();
    let said = |e: &serde_json::Value| format!("{} {} {}", e["kind"], e["action"], e["target"]);
    let all: Vec<String> = entries.iter().map(said).collect();
    for want in [
        r#""user_change" "users add" "admin""#,
        r#""write" "POST /api/v1/observations""#,
        r#""user_change" "users add" "bob""#,
    ] {
        assert!(all.iter().any(|e| e.starts_with(want)), "{want} not in node A's log: {all:#?}");
    }
    assert_eq!(all.iter().filter(|e| e.starts_with(r#""login""#)).count(), 2, "{all:#?}");
    // Node B lists the same entries, proved to the same root.
    let (_, on_b) = b.json("GET", "/api/v1/audit?limit=1000", b"");
    let b_all: Vec<String> = on_b["entries"].as_array().unwrap().iter().map(said).collect();
    assert_eq!(b_all[..all.len()], all[..], "node B's log begins as node A's");
    let indexes: Vec<u64> = entries.iter().map(|e| e["index"].as_u64().unwrap()).collect();
    assert_eq!(indexes, (0..entries.len() as u64).collect::<Vec<_>>());
    assert!(!a_dir.join("audit.log").exists() && !b_dir.join("audit.log").exists(), "the log is in the database");

    let verify = truce(&["audit", "verify", "--store", &url], b"");
    assert_eq!(verify.code, 0, "{}", verify.stderr);
    assert!(verify.stdout.starts_with("intact: "), "{}", verify.stdout);
    let cp = tmp.path().join("cp");
    let sign = on(&a_dir, Some(&url), &["audit", "checkpoint", "--out", cp.to_str().unwrap()]);
    assert_eq!(sign.code, 0, "{}", sign.stderr);
    let checked = truce(&["audit", "verify", "--store", &url, "--checkpoint", cp.to_str().unwrap()], b"");
    assert_eq!(checked.code, 0, "{}", checked.stderr);
    assert!(checked.stdout.contains("consistent with the checkpoint"), "{}", checked.stdout);
    let listed = truce(&["audit", "list", "--store", &url, "--after", "1", "--limit", "2"], b"");
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    let lines: Vec<serde_json::Value> = listed.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.iter().map(|l| l["index"].as_u64().unwrap()).collect::<Vec<_>>(), [1, 2]);
}
