//! Entries from other processes while a server holds the log: `audit.inbox`.
//!
//! The log has one writer ([`AuditLog`] holds an exclusive lock for its lifetime), but the operator's
//! commands (`truce users add`, `disable`, …) change things while `truce serve` runs, and every such
//! change must be audited. [`submit`] appends the entry to the log itself when it is free; when a
//! server holds it, to `audit.inbox` instead: one JSON object per line, written under an exclusive
//! lock of the inbox and fsynced before `submit` returns. The server moves the inbox into the log
//! ([`drain`], at start and every few seconds): under the same lock it reads every line, appends them
//! durably (in order, stamped with the time they enter the log; the line's own `submitted` time is
//! kept in the detail), and only then empties the inbox. A crash between the two leaves the lines in
//! the inbox and they are appended again on the next drain: an entry may be logged twice, never lost.
//!
//! Until an entry is drained it is protected by the file system only, not by the tree: the drain runs
//! every few seconds.

use std::fs::OpenOptions;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::{AuditError, AuditLog, Entry, Kind, Outcome};

/// The inbox file in the data directory.
pub const INBOX_FILE: &str = "audit.inbox";

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    submitted: String,
    actor: String,
    nation: String,
    kind: Kind,
    action: String,
    target: String,
    outcome: Outcome,
    detail: String,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> AuditError + '_ {
    move |source| AuditError::Io { path: path.to_owned(), source }
}

/// Records `entry` durably: in the log when no other process holds it, else in the inbox (see the
/// module documentation).
///
/// # Errors
/// When neither can be written.
pub fn submit(dir: &Path, entry: &Entry) -> Result<(), AuditError> {
    entry.check().map_err(AuditError::Invalid)?;
    match AuditLog::open(dir) {
        Ok(log) => {
            drain(dir, &log)?;
            log.append(entry).map(|_| ())
        }
        Err(AuditError::Locked { .. }) => {
            let path = dir.join(INBOX_FILE);
            let mut file = OpenOptions::new().create(true).append(true).open(&path).map_err(io(&path))?;
            file.lock().map_err(io(&path))?;
            let line = Line {
                submitted: OffsetDateTime::now_utc().format(&Rfc3339).unwrap_or_default(),
                actor: entry.actor.clone(),
                nation: entry.nation.clone(),
                kind: entry.kind,
                action: entry.action.clone(),
                target: entry.target.clone(),
                outcome: entry.outcome,
                detail: entry.detail.clone(),
            };
            let mut text = serde_json::to_string(&line).unwrap_or_default();
            text.push('\n');
            file.write_all(text.as_bytes()).map_err(io(&path))?;
            file.sync_all().map_err(io(&path))
        }
        Err(e) => Err(e),
    }
}

/// Moves every entry of the inbox into `log` (see the module documentation); returns how many. A line
/// that cannot be read (the inbox was changed by hand) is logged as a `system` entry saying so, with
/// the line, so nothing disappears silently.
///
/// # Errors
/// When the inbox or the log cannot be read or written; the inbox is then left as it was.
pub fn drain(dir: &Path, log: &AuditLog) -> Result<usize, AuditError> {
    let path = dir.join(INBOX_FILE);
    if !path.exists() {
        return Ok(0);
    }
    let mut file = OpenOptions::new().read(true).write(true).open(&path).map_err(io(&path))?;
    file.lock().map_err(io(&path))?;
    let mut text = String::new();
    file.read_to_string(&mut text).map_err(io(&path))?;
    let entries: Vec<Entry> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| match serde_json::from_str::<Line>(l) {
            Ok(x) => {
                let submitted = format!("submitted {}", x.submitted);
                let detail = if x.detail.is_empty() { submitted } else { format!("{}; {submitted}", x.detail) };
                let e = Entry::new(x.kind, x.actor, x.action).nation(x.nation).target(x.target).outcome(x.outcome);
                let e = e.detail(detail);
                if e.check().is_ok() { e } else { unreadable(l) }
            }
            Err(_) => unreadable(l),
        })
        .collect();
    if !entries.is_empty() {
        log.append_batch(&entries)?;
    }
    file.set_len(0).map_err(io(&path))?;
    file.seek(SeekFrom::Start(0)).map_err(io(&path))?;
    file.sync_all().map_err(io(&path))?;
    Ok(entries.len())
}

fn unreadable(line: &str) -> Entry {
    let shown: String = line.chars().filter(|c| !c.is_control()).take(1000).collect();
    Entry::new(Kind::System, "-", "audit inbox")
        .outcome(Outcome::Failed)
        .detail(format!("an unreadable inbox line: {shown}"))
}
