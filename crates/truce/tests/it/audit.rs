//! `truce audit`: verify an intact and a tampered log, against a checkpoint the binary signed, and list.

use std::path::Path;

use truce_audit::{AuditLog, Entry, Kind};

use crate::util::truce;

fn make_log(dir: &Path, n: u64) {
    let log = AuditLog::open(dir).unwrap();
    for i in 0..n {
        log.append(&Entry::new(Kind::Export, "alice", "GET /api/v1/observations").target(format!("export-{i}")))
            .unwrap();
    }
}

fn dir_arg(dir: &Path) -> &str {
    dir.to_str().unwrap()
}

#[test]
fn audit_verify_passes_an_intact_log_and_names_the_tampered_entry() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_log(dir, 12);
    let cp = dir.join("cp.txt");
    let r = truce(&["audit", "checkpoint", "--data-dir", dir_arg(dir), "--out", cp.to_str().unwrap()], b"");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(std::fs::read_to_string(&cp).unwrap().starts_with("truce audit log\n12\n"));

    let r = truce(&["audit", "verify", "--data-dir", dir_arg(dir), "--checkpoint", cp.to_str().unwrap()], b"");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("intact: 12 entries, root "), "{}", r.stdout);
    assert!(r.stdout.contains("consistent with the checkpoint of 12 entries"), "{}", r.stdout);

    let r = truce(&["audit", "list", "--data-dir", dir_arg(dir), "--after", "10"], b"");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let indexes: Vec<u64> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["index"].as_u64().unwrap())
        .collect();
    assert_eq!(indexes, [10, 11]);

    // One byte of entry 7 changed.
    let path = dir.join("audit.log");
    let text = std::fs::read_to_string(&path).unwrap().replace("\"target\":\"export-7\"", "\"target\":\"export-8\"");
    std::fs::write(&path, text).unwrap();
    let r = truce(&["audit", "verify", "--data-dir", dir_arg(dir)], b"");
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("NOT intact: entry 7 (line 8) is bad"), "{}", r.stderr);
}

/// A checkpoint written to a named pipe goes through it; the pipe stays a pipe.
#[test]
fn a_checkpoint_written_to_a_named_pipe_goes_through_it() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, out) = (tmp.path().join("data"), tmp.path().join("out"));
    std::fs::create_dir_all(&out).unwrap();
    make_log(&dir, 3);
    let (r, text) = crate::util::through_a_pipe(&out, |fifo| {
        truce(&["audit", "checkpoint", "--data-dir", dir_arg(&dir), "--out", fifo], b"")
    });
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(String::from_utf8(text).unwrap().starts_with("truce audit log\n3\n"));
}

#[test]
fn audit_verify_refuses_a_log_cut_below_its_checkpoint_and_a_bad_checkpoint_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_log(dir, 6);
    let r = truce(&["audit", "checkpoint", "--data-dir", dir_arg(dir)], b"");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let cp = dir.join("cp.txt");
    std::fs::write(&cp, &r.stdout).unwrap();
    let path = dir.join("audit.log");
    let text = std::fs::read_to_string(&path).unwrap();
    let kept: String = text.lines().take(4).map(|l| format!("{l}\n")).collect();
    std::fs::write(&path, kept).unwrap();
    let r = truce(&["audit", "verify", "--data-dir", dir_arg(dir), "--checkpoint", cp.to_str().unwrap()], b"");
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("the log has 4 entries but the checkpoint covers 6"), "{}", r.stderr);

    std::fs::write(&cp, "truce audit log\nsix\n").unwrap();
    let r = truce(&["audit", "verify", "--data-dir", dir_arg(dir), "--checkpoint", cp.to_str().unwrap()], b"");
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("cp.txt: line 2: size: `six` is not a decimal number"), "{}", r.stderr);
}
