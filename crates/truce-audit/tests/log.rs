//! The audit log end to end, on real files: tampering of every kind is named at its entry, a torn tail
//! is dropped, concurrent appends all land, and a process killed with SIGKILL loses no acknowledged
//! entry.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;

use truce_audit::merkle::{self, verify_consistency, verify_inclusion};
use truce_audit::{AuditError, AuditLog, Checkpoint, Entry, Kind, Outcome, VerifyError, records, verify};

fn entry(i: u64) -> Entry {
    Entry::new(Kind::Write, format!("user{}", i % 7), "POST /api/v1/observations")
        .nation("POL")
        .target(format!("obs-{i}"))
        .detail(format!("entry number {i}"))
}

fn log_with(dir: &Path, n: u64) -> AuditLog {
    let log = AuditLog::open(dir).unwrap();
    for i in 0..n {
        assert_eq!(log.append(&entry(i)).unwrap().index, i);
    }
    log
}

fn lines(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("audit.log")).unwrap().lines().map(str::to_owned).collect()
}

fn write_lines(dir: &Path, lines: &[String]) {
    std::fs::write(dir.join("audit.log"), lines.join("\n") + "\n").unwrap();
}

fn bad_entry(dir: &Path, cp: Option<&Checkpoint>) -> (u64, u64, String) {
    match verify(dir, cp) {
        Err(VerifyError::BadEntry { index, line, reason }) => (index, line, reason),
        other => panic!("expected a bad entry, got {other:?}"),
    }
}

#[test]
fn an_intact_log_verifies_with_its_checkpoint() {
    let tmp = tempfile::tempdir().unwrap();
    let log = log_with(tmp.path(), 25);
    let cp = log.checkpoint().unwrap();
    let report = verify(tmp.path(), Some(&cp)).unwrap();
    assert_eq!(report.entries, 25);
    assert_eq!(report.root, log.root().unwrap());
    assert_eq!(report.checkpoint, Some(25));
    assert!(!report.torn_tail);
    // A checkpoint survives its text.
    let again = Checkpoint::parse(&cp.to_text()).unwrap();
    verify(tmp.path(), Some(&again)).unwrap();
}

#[test]
fn an_edited_byte_is_named_at_its_entry() {
    for k in [0usize, 6, 19] {
        let tmp = tempfile::tempdir().unwrap();
        drop(log_with(tmp.path(), 20));
        let mut ls = lines(tmp.path());
        ls[k] = ls[k].replace(&format!("entry number {k}\""), &format!("entry number {k}!\""));
        write_lines(tmp.path(), &ls);
        let (index, line, reason) = bad_entry(tmp.path(), None);
        assert_eq!((index, line), (k as u64, k as u64 + 1), "{reason}");
        assert!(reason.contains("is not the recomputed root"), "{reason}");
        // The writer refuses to start on it too (the last root no longer matches).
        assert!(matches!(AuditLog::open(tmp.path()), Err(AuditError::Corrupt { .. })));
    }
}

#[test]
fn an_edited_root_or_field_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    drop(log_with(tmp.path(), 10));
    let mut ls = lines(tmp.path());
    // Another valid kind with the root left alone.
    ls[4] = ls[4].replace("\"kind\":\"write\"", "\"kind\":\"login\"");
    write_lines(tmp.path(), &ls);
    assert_eq!(bad_entry(tmp.path(), None).0, 4);
    // A field no entry may have.
    let mut ls = lines(tmp.path());
    ls[2] = ls[2].replace("\"nation\":\"POL\"", "\"nation\":\"Poland\"");
    write_lines(tmp.path(), &ls);
    let (index, _, reason) = bad_entry(tmp.path(), None);
    assert_eq!(index, 2);
    assert!(reason.contains("field `nation`"), "{reason}");
}

#[test]
fn a_deleted_line_is_named_where_it_was() {
    let tmp = tempfile::tempdir().unwrap();
    drop(log_with(tmp.path(), 12));
    let mut ls = lines(tmp.path());
    ls.remove(5);
    write_lines(tmp.path(), &ls);
    let (index, line, reason) = bad_entry(tmp.path(), None);
    assert_eq!((index, line), (5, 6));
    assert!(reason.contains("index 6 where 5 was expected"), "{reason}");
}

#[test]
fn reordered_lines_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    drop(log_with(tmp.path(), 12));
    let mut ls = lines(tmp.path());
    ls.swap(3, 8);
    write_lines(tmp.path(), &ls);
    assert_eq!(bad_entry(tmp.path(), None).0, 3);
}

#[test]
fn a_rewritten_history_fails_against_an_earlier_checkpoint() {
    let tmp = tempfile::tempdir().unwrap();
    let log = log_with(tmp.path(), 10);
    let before = log.checkpoint().unwrap();
    drop(log);
    // Someone with the key rewrites the whole log with entry 3 changed: every root recomputed.
    let forged = tempfile::tempdir().unwrap();
    std::fs::copy(tmp.path().join("audit.key"), forged.path().join("audit.key")).unwrap();
    let f = AuditLog::open(forged.path()).unwrap();
    for i in 0..12 {
        let e = if i == 3 { entry(i).outcome(Outcome::Denied) } else { entry(i) };
        f.append(&e).unwrap();
    }
    drop(f);
    std::fs::copy(forged.path().join("audit.log"), tmp.path().join("audit.log")).unwrap();
    let report = verify(tmp.path(), None).unwrap();
    assert_eq!(report.entries, 12, "alone, a consistent rewrite passes");
    match verify(tmp.path(), Some(&before)) {
        Err(e @ VerifyError::Inconsistent { size: 10, .. }) => assert!(e.to_string().contains("rewritten"), "{e}"),
        other => panic!("expected an inconsistency, got {other:?}"),
    }
}

#[test]
fn a_log_cut_shorter_than_its_checkpoint_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let log = log_with(tmp.path(), 10);
    let cp = log.checkpoint().unwrap();
    drop(log);
    let ls = lines(tmp.path());
    write_lines(tmp.path(), &ls[..6]);
    verify(tmp.path(), None).unwrap();
    assert!(matches!(verify(tmp.path(), Some(&cp)), Err(VerifyError::Truncated { entries: 6, checkpoint: 10 })));
}

#[test]
fn a_checkpoint_of_another_log_is_refused() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    drop(log_with(a.path(), 3));
    let other = log_with(b.path(), 3).checkpoint().unwrap();
    match verify(a.path(), Some(&other)) {
        Err(VerifyError::Key(reason)) => assert!(reason.contains("this log's key"), "{reason}"),
        r => panic!("expected a key error, got {r:?}"),
    }
}

#[test]
fn a_torn_tail_is_dropped_on_open() {
    let tmp = tempfile::tempdir().unwrap();
    drop(log_with(tmp.path(), 5));
    let path = tmp.path().join("audit.log");
    let intact = std::fs::read(&path).unwrap();
    let mut torn = intact.clone();
    torn.extend_from_slice(b"{\"index\":5,\"time\":\"2026-05-01T");
    std::fs::write(&path, &torn).unwrap();
    let report = verify(tmp.path(), None).unwrap();
    assert_eq!(report.entries, 5);
    assert!(report.torn_tail);
    let log = AuditLog::open(tmp.path()).unwrap();
    assert_eq!(log.size(), 5);
    assert_eq!(std::fs::read(&path).unwrap(), intact, "the torn line is truncated away");
    assert_eq!(log.append(&entry(5)).unwrap().index, 5);
    drop(log);
    let report = verify(tmp.path(), None).unwrap();
    assert_eq!((report.entries, report.torn_tail), (6, false));
}

#[test]
fn eight_threads_append_distinct_indexes() {
    let tmp = tempfile::tempdir().unwrap();
    let log = Arc::new(AuditLog::open(tmp.path()).unwrap());
    let handles: Vec<_> = (0..8u64)
        .map(|t| {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                (0..150).map(|i| (t * 1000 + i, log.append(&entry(t * 1000 + i)).unwrap())).collect::<Vec<_>>()
            })
        })
        .collect();
    let receipts: Vec<_> = handles.into_iter().flat_map(|h| h.join().unwrap()).collect();
    let indexes: BTreeSet<u64> = receipts.iter().map(|(_, r)| r.index).collect();
    assert_eq!(indexes, (0..1200).collect::<BTreeSet<_>>());
    let stored = log.entries(0, 2000).unwrap();
    assert_eq!(stored.len(), 1200);
    for (id, r) in &receipts {
        assert_eq!(log.root_at(r.index + 1).unwrap(), r.root, "the receipt's root is the root at its size");
        assert_eq!(stored[r.index as usize].target, format!("obs-{id}"));
    }
    assert_eq!(verify(tmp.path(), None).unwrap().entries, 1200);
}

#[test]
fn proofs_from_the_log_verify() {
    let tmp = tempfile::tempdir().unwrap();
    let log = log_with(tmp.path(), 37);
    for size in [1u64, 2, 5, 16, 37] {
        let root = log.root_at(size).unwrap();
        for index in 0..size {
            let proof = log.inclusion_proof(index, size).unwrap();
            verify_inclusion(index, size, &log.leaf_hash(index).unwrap(), &proof, &root).unwrap();
        }
        for old in 0..=size {
            let proof = log.consistency_proof(old, size).unwrap();
            verify_consistency(old, size, &log.root_at(old).unwrap(), &root, &proof).unwrap();
        }
    }
    let p = log.inclusion(3, 20).unwrap();
    assert_eq!(p.path.len(), 5);
    assert_eq!(p.root, merkle::to_hex(&log.root_at(20).unwrap()));
    assert!(log.inclusion_proof(37, 37).is_err());
    assert!(log.inclusion_proof(0, 38).is_err());
    assert!(log.consistency(3, 38).is_err());
}

#[test]
fn a_second_writer_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let log = log_with(tmp.path(), 1);
    assert!(matches!(AuditLog::open(tmp.path()), Err(AuditError::Locked { .. })));
    drop(log);
    assert_eq!(AuditLog::open(tmp.path()).unwrap().size(), 1);
}

#[test]
fn entries_page_and_records_read_without_the_lock() {
    let tmp = tempfile::tempdir().unwrap();
    let log = log_with(tmp.path(), 10);
    let page = log.entries(4, 3).unwrap();
    assert_eq!(page.iter().map(|r| r.index).collect::<Vec<_>>(), [4, 5, 6]);
    assert_eq!(page[0].entry(), entry(4));
    assert_eq!(log.entries(8, 10).unwrap().len(), 2);
    assert!(log.entries(10, 10).unwrap().is_empty());
    let read: Vec<u64> = records(tmp.path(), 7).unwrap().map(|r| r.unwrap().index).collect();
    assert_eq!(read, [7, 8, 9]);
    assert_eq!(page[2].root, merkle::to_hex(&log.root_at(7).unwrap()));
}

#[test]
fn a_reopened_log_goes_on_where_it_stopped() {
    let tmp = tempfile::tempdir().unwrap();
    let log = log_with(tmp.path(), 9);
    let (root, key) = (log.root().unwrap(), log.public_key());
    drop(log);
    let log = AuditLog::open(tmp.path()).unwrap();
    assert_eq!((log.size(), log.root().unwrap(), log.public_key()), (9, root, key));
    assert_eq!(log.append(&entry(9)).unwrap().index, 9);
    assert!(matches!(log.append(&Entry::new(Kind::Login, "", "x")), Err(AuditError::Invalid(_))));
    assert_eq!(log.size(), 10);
}

/// The child of [`a_killed_writer_loses_no_acknowledged_entry`]: appends from four threads until killed,
/// printing `ack N` once entry N is acknowledged.
#[test]
#[ignore = "run by a_killed_writer_loses_no_acknowledged_entry in a child process"]
fn killed_writer_child() {
    let Some(dir) = std::env::var_os("TRUCE_AUDIT_KILL_DIR") else { return };
    let log = Arc::new(AuditLog::open(Path::new(&dir)).unwrap());
    let threads: Vec<_> = (0..4u64)
        .map(|t| {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                for i in 0.. {
                    // Long details make a write caught half-way (a torn tail) likely.
                    let e = entry(t * 1_000_000 + i).detail("x".repeat(3000));
                    let r = log.append(&e).unwrap();
                    println!("ack {}", r.index);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

#[test]
fn a_killed_writer_loses_no_acknowledged_entry() {
    let tmp = tempfile::tempdir().unwrap();
    for round in 0..3 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["killed_writer_child", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
            .env("TRUCE_AUDIT_KILL_DIR", tmp.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut acked = BTreeSet::new();
        let mut line = String::new();
        let mut killed = false;
        loop {
            line.clear();
            if out.read_line(&mut line).unwrap() == 0 {
                break;
            }
            // Only whole lines: a line cut by the kill was not printed in full.
            if let Some(n) = line.strip_prefix("ack ").and_then(|l| l.strip_suffix('\n')) {
                acked.insert(n.parse::<u64>().unwrap());
            }
            if !killed && acked.len() >= 300 {
                child.kill().unwrap(); // SIGKILL
                killed = true;
            }
        }
        assert!(killed, "the child stopped by itself");
        child.wait().unwrap();
        let log = AuditLog::open(tmp.path()).unwrap();
        let size = log.size();
        let max = *acked.last().unwrap();
        assert!(max < size, "round {round}: entry {max} was acknowledged but the log has {size}");
        let present: BTreeSet<u64> = log.entries(0, usize::MAX).unwrap().iter().map(|r| r.index).collect();
        assert!(acked.is_subset(&present));
        drop(log);
        assert_eq!(verify(tmp.path(), None).unwrap().entries, size);
    }
}

#[test]
fn entries_from_another_process_wait_in_the_inbox_and_are_drained_in_order() {
    use truce_audit::inbox::{INBOX_FILE, drain, submit};
    let dir = tempfile::tempdir().unwrap();
    let change = |who: &str| Entry::new(Kind::UserChange, "root (operator)", "users add").target(who);
    // Nobody holds the log: the entry goes straight in.
    submit(dir.path(), &change("first")).unwrap();
    let log = AuditLog::open(dir.path()).unwrap();
    assert_eq!(log.size(), 1);
    // A server holds it: entries wait in the inbox, durable, until drained.
    submit(dir.path(), &change("second")).unwrap();
    submit(dir.path(), &change("third")).unwrap();
    std::fs::OpenOptions::new()
        .append(true)
        .open(dir.path().join(INBOX_FILE))
        .unwrap()
        .write_all(b"{garbage\n")
        .unwrap();
    assert_eq!(log.size(), 1);
    assert_eq!(drain(dir.path(), &log).unwrap(), 3);
    assert_eq!(drain(dir.path(), &log).unwrap(), 0, "drained once");
    let targets: Vec<String> = log.entries(0, 10).unwrap().into_iter().map(|r| r.target).collect();
    assert_eq!(targets, ["first", "second", "third", ""]);
    let last = log.entries(3, 1).unwrap().remove(0);
    assert_eq!(last.kind, Kind::System, "an unreadable line is logged, not dropped");
    assert!(last.detail.contains("{garbage"), "{}", last.detail);
    drop(log);
    verify(dir.path(), None).unwrap();
}
