//! The command line never surprises (issue 13): a closed pipe ends a command quietly, read commands do
//! not make data directories, times print and parse one way, unknown filter values list the valid ones.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

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
