//! The command line never surprises (issue 13): a closed pipe ends a command quietly, read commands do
//! not make data directories, times print and parse one way, unknown filter values list the valid ones.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::util::{data, truce};

#[test]
fn a_reader_that_closes_the_pipe_early_ends_the_command_quietly() {
    // `truce demo --export - | head -1`: the export is far larger than a pipe's buffer, so the writes
    // after the reader has gone fail with a broken pipe.
    let mut child = Command::new(env!("CARGO_BIN_EXE_truce"))
        .args(["demo", "--export", "-"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    assert!(first.starts_with("{\"id\":"), "{first}");
    // The reader is dropped here, closing the pipe.
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "exit {:?}: {stderr}", out.status);
    assert!(stderr.is_empty(), "{stderr}");
}

/// The error line(s) of a run, for the one-clear-error checks.
fn errors(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.contains("error")).collect()
}

#[test]
fn a_read_command_on_a_missing_data_directory_is_an_error_and_makes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("typo");
    let m = missing.to_str().unwrap();
    for args in [
        &["observations", "--data-dir", m][..],
        &["report", "daily", "--date", "2026-12-01", "--data-dir", m],
        &["warn", "status", "--data-dir", m],
        &["incidents", "--data-dir", m],
        &["coalition", "summary", "--data-dir", m],
        &["plan", "check", "draft-2027", "--data-dir", m],
        &["regeneration", "status", "--data-dir", m],
        &["users", "list", "--data-dir", m],
    ] {
        let run = truce(args, b"");
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert_eq!(
            errors(&run.stderr),
            [format!(
                "truce: error: no truce data directory at {m} (it does not exist): `truce ingest`, `truce serve` or \
                 `truce demo --data-dir` make one, or pass --data-dir (or TRUCE_DATA_DIR) to name another"
            )],
            "{args:?}"
        );
        assert!(!missing.exists(), "{args:?} made {m}");
    }
}

#[test]
fn ingest_makes_a_missing_data_directory_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let new = dir.path().join("new");
    let sample = data("samples/observations.csv");
    let run = truce(&["ingest", sample.to_str().unwrap(), "--data-dir", new.to_str().unwrap()], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains(&format!("truce: made the data directory {}", new.display())), "{}", run.stderr);
    // Made once: the next ingest says nothing about it, and a read command now works.
    let run = truce(&["ingest", sample.to_str().unwrap(), "--data-dir", new.to_str().unwrap()], b"");
    assert!(!run.stderr.contains("made the data directory"), "{}", run.stderr);
    assert_eq!(truce(&["observations", "--data-dir", new.to_str().unwrap()], b"").code, 0);
}

#[test]
fn a_data_directory_that_is_a_file_is_one_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("data");
    std::fs::write(&file, "not a directory").unwrap();
    let f = file.to_str().unwrap();
    let sample = data("samples/observations.csv");
    for args in [
        &["observations", "--data-dir", f][..],
        &["ingest", sample.to_str().unwrap(), "--data-dir", f],
        &["coalition", "import", sample.to_str().unwrap(), "--data-dir", f],
        &["users", "list", "--data-dir", f],
        &["demo", "--port", "0", "--data-dir", f],
    ] {
        let run = truce(args, b"");
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert_eq!(
            errors(&run.stderr),
            [format!(
                "truce: error: the data directory {f} is a file, not a directory: pass --data-dir (or \
                 TRUCE_DATA_DIR) with a directory"
            )],
            "{args:?}"
        );
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "not a directory");
    }
}

#[test]
fn a_demo_whose_tak_port_is_taken_removes_the_data_directory_it_made() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().to_string();
    let new = dir.path().join("demo");
    let run = Command::new(env!("CARGO_BIN_EXE_truce"))
        .args(["demo", "--port", "0", "--days", "1", "--tak-tcp", &port, "--data-dir", new.to_str().unwrap()])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&format!("cannot listen on {port}")), "{stderr}");
    assert!(stderr.contains("removed the data directory"), "{stderr}");
    assert!(!new.exists(), "the half-made demo directory is left behind");
}

#[test]
fn a_demo_whose_web_port_is_taken_makes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let new = dir.path().join("demo");
    let run = truce(&["demo", "--port", &port, "--days", "1", "--data-dir", new.to_str().unwrap()], b"");
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains(&format!("cannot listen on 127.0.0.1:{port}")), "{}", run.stderr);
    assert!(!new.exists(), "the demo made its directory although it could not start");
}

#[test]
fn the_demos_tak_ports_can_be_set_and_are_shown() {
    let dir = tempfile::tempdir().unwrap();
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port();
    drop(free);
    let tcp = format!("127.0.0.1:{port}");
    let data_dir = dir.path().join("demo");
    let server = crate::util::Server::start_in(
        dir.path(),
        &[
            "demo",
            "--port",
            "0",
            "--days",
            "1",
            "--tak-tcp",
            &tcp,
            "--tak-udp",
            "off",
            "--data-dir",
            data_dir.to_str().unwrap(),
        ],
    );
    assert_eq!(server.tak_addr("tcp"), tcp, "the port given");
    assert!(server.tak_addr("tls").starts_with("127.0.0.1:"), "a free port on loopback, shown");
}

#[test]
fn an_unknown_zone_violation_or_category_is_an_error_listing_the_valid_ones() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("d");
    let d = d.to_str().unwrap();
    let sample = data("samples/observations.csv");
    assert_eq!(truce(&["ingest", sample.to_str().unwrap(), "--data-dir", d], b"").code, 0);
    for (flag, listed) in
        [("--zone", "(zones: "), ("--violation", "(codes: "), ("--category", "(expected one of: explosion_impact")]
    {
        let run = truce(&["observations", "--data-dir", d, flag, "bogus"], b"");
        assert_eq!(run.code, 2, "{flag}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{flag}: {}", run.stdout);
        assert!(run.stderr.contains(&format!("{flag}: unknown")) && run.stderr.contains(listed), "{}", run.stderr);
    }
    let run = truce(&["observations", "--data-dir", d, "--zone", "bogus"], b"");
    assert!(run.stderr.contains("force_standoff"), "the agreement's zones are listed: {}", run.stderr);
}
