//! The commands on a real PostgreSQL/PostGIS store (`--store`, `TRUCE_TEST_POSTGRES`; `scripts/test`
//! starts a throw-away server with `scripts/pg`): they answer as on the embedded store, `truce migrate`
//! moves an embedded store whole and refuses a target that holds records, and `truce serve` keeps what
//! it acknowledged across SIGKILL.

use std::path::Path;

use serde_json::json;

use crate::util::{PASSWORD, Run, Server, agreement, truce};

/// A URL of the test server naming a schema no other test uses (the store makes it).
fn store_url() -> String {
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
