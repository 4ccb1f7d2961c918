//! The one audit log of the nodes that share a PostgreSQL store (`truce_audit::table` on
//! `PgStore::audit_table`), on a real server: several processes' appenders give out every index once
//! and agree on every root, the rows verify, and a changed or foreign row is named.

use std::path::Path;
use std::sync::Arc;

use truce_audit::{AuditError, AuditLog, Entry, Kind, SigningKey, VerifyError, merkle, verify_table};
use truce_store::{PgStore, Scope};

use crate::postgres::schema;

fn log(url: &str, dir: &Path) -> AuditLog {
    // A store of its own per log: a node of its own, with its own connections.
    let store = PgStore::open(url).unwrap();
    AuditLog::open_table(dir, store.audit_table().unwrap()).unwrap()
}

fn admin(url: &str, schema: &str) -> postgres::Client {
    let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
    c.batch_execute(&format!("SET search_path TO {schema}")).unwrap();
    c
}

#[test]
fn two_nodes_write_one_log_whose_rows_verify_and_a_changed_row_is_named() {
    let (schema, url) = schema();
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (Arc::new(log(&url, &tmp.path().join("a"))), Arc::new(log(&url, &tmp.path().join("b"))));

    // Two threads on each node, each appending 40 entries one or two at a time.
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let log = if t % 2 == 0 { a.clone() } else { b.clone() };
            std::thread::spawn(move || {
                let mut receipts = Vec::new();
                for i in 0..20 {
                    let one =
                        Entry::new(Kind::Write, format!("node{}-{t}", t % 2), "POST /x").target(format!("{t}-{i}"));
                    let two = one.clone().target(format!("{t}-{i}b"));
                    receipts.extend(log.append_batch(&[one, two]).unwrap());
                }
                receipts
            })
        })
        .collect();
    let mut receipts: Vec<_> = threads.into_iter().flat_map(|t| t.join().unwrap()).collect();
    receipts.sort_by_key(|r| r.index);
    let indexes: Vec<u64> = receipts.iter().map(|r| r.index).collect();
    assert_eq!(indexes, (0..160).collect::<Vec<_>>(), "every index given out once");

    // Both nodes see the whole log alike, and each receipt's root is the log's root at its size.
    assert_eq!((a.size(), b.size()), (160, 160));
    assert_eq!(a.root().unwrap(), b.root().unwrap());
    for r in &receipts {
        assert_eq!(b.root_at(r.index + 1).unwrap(), r.root, "entry {}", r.index);
    }
    assert_eq!(a.entries(0, 1000).unwrap(), b.entries(0, 1000).unwrap());
    let batch_pairs = a.entries(0, 160).unwrap();
    for pair in batch_pairs.chunks(2) {
        // A batch's two entries are consecutive.
        assert_eq!(format!("{}b", pair[0].target), pair[1].target, "{pair:?}");
    }
    // An entry one node wrote is proved to the other's root.
    let proof = b.inclusion(7, 160).unwrap();
    let leaf = merkle::from_hex(proof.leaf_hash.as_bytes()).unwrap();
    let path: Vec<_> = proof.path.iter().map(|h| merkle::from_hex(h.as_bytes()).unwrap()).collect();
    merkle::verify_inclusion(7, 160, &leaf, &path, &a.root().unwrap()).unwrap();

    // The rows verify, with either node's checkpoint; not with a key no node listed.
    let store = PgStore::open(&url).unwrap();
    let table = store.audit_table().unwrap();
    let report = verify_table(&*table, Some(&a.checkpoint().unwrap())).unwrap();
    assert_eq!((report.entries, report.root), (160, a.root().unwrap()));
    verify_table(&*table, Some(&b.checkpoint().unwrap())).unwrap();
    std::fs::create_dir(tmp.path().join("stranger")).unwrap();
    let stranger = SigningKey::load_or_create(&tmp.path().join("stranger")).unwrap();
    let foreign = stranger.sign(160, a.root().unwrap());
    assert!(matches!(verify_table(&*table, Some(&foreign)), Err(VerifyError::Key(_))));

    // Rows cannot be changed or removed…
    let mut db = admin(&crate::postgres::server(), &schema.name);
    let refused = db.execute("UPDATE audit_log SET line = line WHERE idx = 3", &[]).unwrap_err();
    assert!(format!("{refused:?}").contains("append-only"), "{refused:?}");
    assert!(db.execute("DELETE FROM audit_log WHERE idx = 159", &[]).is_err());
    // …and whoever disables the guard is named by the check, and no node opens the log.
    let changed = a.entries(0, 160).unwrap().iter().position(|r| r.target == "2-5").unwrap();
    db.batch_execute(
        "ALTER TABLE audit_log DISABLE TRIGGER USER;
         UPDATE audit_log SET line = replace(line, '\"target\":\"2-5\"', '\"target\":\"2-6\"') WHERE line LIKE '%\"target\":\"2-5\"%'",
    )
    .unwrap();
    match verify_table(&*table, None) {
        Err(VerifyError::BadEntry { index, .. }) => assert_eq!(index as usize, changed),
        other => panic!("a changed row passed: {other:?}"),
    }
    let store = PgStore::open(&url).unwrap();
    match AuditLog::open_table(&tmp.path().join("c"), store.audit_table().unwrap()) {
        Err(AuditError::Corrupt { line, .. }) => assert_eq!(line as usize, changed + 1),
        other => panic!("a node opened a changed log: {other:?}"),
    }
}

#[test]
fn an_append_that_meets_a_foreign_row_changes_nothing_and_the_next_one_follows_the_log() {
    let (schema, url) = schema();
    let tmp = tempfile::tempdir().unwrap();
    let a = log(&url, &tmp.path().join("a"));
    a.append(&Entry::new(Kind::System, "truce", "start")).unwrap();
    let mut db = admin(&crate::postgres::server(), &schema.name);
    db.execute("INSERT INTO audit_log (idx, line) VALUES (1, 'not an entry')", &[]).unwrap();

    let refused = a.append(&Entry::new(Kind::Write, "alice", "POST /x")).unwrap_err();
    assert!(refused.to_string().contains("entry 1"), "{refused}");
    assert_eq!(db.query_one("SELECT count(*) FROM audit_log", &[]).unwrap().get::<_, i64>(0), 2);
    assert_eq!(a.size(), 1, "nothing of the refused append is in the tree");

    db.batch_execute("ALTER TABLE audit_log DISABLE TRIGGER USER; DELETE FROM audit_log WHERE idx = 1").unwrap();
    let r = a.append(&Entry::new(Kind::Write, "alice", "POST /x")).unwrap();
    assert_eq!(r.index, 1);
    let store = PgStore::open(&url).unwrap();
    let report = verify_table(&*store.audit_table().unwrap(), None).unwrap();
    assert_eq!((report.entries, report.root), (2, r.root));
}
