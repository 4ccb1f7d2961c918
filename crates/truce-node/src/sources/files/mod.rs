//! The files feed: observations from CSV (truce, ACLED- or UCDP-style columns), NDJSON or GeoJSON
//! files, through the node's pipeline, as `truce ingest` and `[files]` at start-up load them.
//!
//! Records are read, validated, classified and encoded for the store on the calling thread, and
//! committed in batches of [`BATCH`] by a writer thread, so parsing and the database's work overlap on
//! two cores; batches that queued while the writer committed are committed together (up to 100,000
//! observations a transaction). A bad record is reported with its file, line (or feature) and every column or field at
//! fault, and skipped; when more than [`SHOWN`] records of a file fail the same way, the rest are told
//! in one line at the end of the file ("1,000 rows: column `event_date`: ..., first at line 2"). A
//! record is stored whole or not at all, and each batch commits atomically, then what it stored is
//! published on the bus.
//!
//! A record whose id is already stored with other content is a conflict: reported with its file and
//! line and the fields that differ, and left out of its batch (the rest of the batch is stored). With
//! [`Options::amend`] it amends the stored observation instead: a new version, by `truce ingest FILE`,
//! whose reason names the file and line, the earlier versions kept in the history.

pub mod config;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;
use std::sync::mpsc::sync_channel;
use std::time::Instant;

use time::OffsetDateTime;
use truce_core::StoredObservation;
use truce_formats::ingest::{FileFormat, FileReader, Outcome, ReadOptions, describe, thousands};
use truce_store::{EncodedRow, InsertReport, Revise, StoreError};

pub use config::FilesConfig;

use crate::{Node, NodeError};

/// Observations the reading thread hands the writer at a time.
pub const BATCH: usize = 20_000;

/// Batches that may wait for the writer.
const QUEUED: usize = 4;

/// The most observations one transaction takes: when the reader is ahead, the batches that waited while
/// the writer committed are committed together (each commit rewrites every index page the batch
/// touched, and a random id touches most of the id index; 1,000,000 rows: 2.5 s of commits in batches
/// of 20,000, 1.6 s in batches of 100,000).
const GROUP: usize = 100_000;

/// What an ingest reports as it goes.
#[derive(Debug)]
pub enum Progress<'a> {
    /// Reading this file now.
    File(&'a str),
    /// This many records read so far (every 4,096).
    Read(u64),
    /// A bad record or an unreadable file: where and why (`FILE:LINE: reasons`), or how many more
    /// records of a file failed the same way (`FILE: 1,000 rows: reason, first at line 2`).
    Problem(String),
    /// Something the user should know that refused nothing: the file's encoding was guessed, columns
    /// are not used, a text was cut, rows were skipped as not ceasefire events.
    Notice(String),
}

/// How an ingest reads its files and treats records whose id is already stored with other content.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// What the user told of the files (date order, encoding).
    pub read: ReadOptions,
    /// Amend the stored observation (a new version) instead of refusing the record as a conflict.
    pub amend: bool,
}

/// Records shown one by one per file and kind of failure; the others are counted in one line.
pub const SHOWN: u64 = 3;

/// What an ingest did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    /// Observations stored by this ingest.
    pub inserted: usize,
    /// Observations that were already stored with the same content.
    pub duplicates: usize,
    /// Observations amended ([`Options::amend`]).
    pub amended: usize,
    /// Records whose id is stored with other content, refused (each reported).
    pub conflicts: u64,
    /// Records refused (each reported, or counted in a line for its kind).
    pub bad: u64,
    /// Records that are not observations (an ACLED protest), counted per file and reason.
    pub skipped: u64,
    /// Files that could not be read, or not to the end (each reported).
    pub unreadable: u64,
    /// Records read.
    pub read: u64,
    /// Seconds the whole ingest took.
    pub seconds: f64,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let skipped = if self.skipped > 0 { format!(", {} skipped", self.skipped) } else { String::new() };
        write!(f, "{} new observations stored, {} already stored, ", self.inserted, self.duplicates)?;
        if self.amended > 0 {
            write!(f, "{} amended, ", self.amended)?;
        }
        if self.conflicts > 0 {
            write!(f, "{} in conflict with what is stored, ", self.conflicts)?;
        }
        write!(
            f,
            "{} bad{skipped}, {} unreadable file{} ({} records read in {:.2} s, {:.0} records/s)",
            self.bad,
            self.unreadable,
            if self.unreadable == 1 { "" } else { "s" },
            self.read,
            self.seconds,
            self.read as f64 / self.seconds.max(1e-9)
        )
    }
}

/// Loads `paths` into the node's store, reporting problems and progress through `progress`; a
/// record whose id is stored with other content is a conflict (see [`ingest_with`]).
///
/// # Errors
/// The store failed (nothing of the failing batch was stored; earlier batches were).
pub fn ingest(node: &Node, paths: &[PathBuf], progress: &mut dyn FnMut(Progress<'_>)) -> Result<Summary, NodeError> {
    ingest_with(node, paths, &Options::default(), progress)
}

/// Where a row came from: the index of its file in the ingest's list, and its line or feature.
type Origin = (usize, u64);

/// A batch for the writer: the rows, the observations to publish (empty when nobody listens), and
/// where each row came from.
type Batch = (Vec<EncodedRow>, Vec<StoredObservation>, Vec<Origin>);

/// What the writer did: the store's report, the rows amended, and the conflicts it refused (where,
/// and why).
#[derive(Default)]
struct Written {
    report: InsertReport,
    amended: usize,
    conflicts: Vec<(Origin, String)>,
}

/// Commits one batch; rows in conflict are taken out and the rest committed again, then amended
/// when `amend`.
fn write_batch(node: &Node, amend: bool, batch: Batch, out: &mut Written) -> Result<(), NodeError> {
    let (mut rows, mut observations, mut origins) = batch;
    let mut conflicting: Vec<(EncodedRow, Origin, String)> = Vec::new();
    // An id in conflict may be new, with two contents in this batch: its first occurrence gets one
    // more try, and is refused only if it conflicts again (with what was stored before).
    let mut second_try: HashSet<String> = HashSet::new();
    loop {
        match node.commit_encoded(&rows, std::mem::take(&mut observations)) {
            Ok(r) => {
                out.report.inserted.extend(r.inserted);
                out.report.duplicates.extend(r.duplicates);
                break;
            }
            Err(StoreError::Conflict(conflicts)) => {
                let why: HashMap<String, String> =
                    conflicts.into_iter().map(|c| (c.id.clone(), c.to_string())).collect();
                let mut first: HashSet<String> = HashSet::new();
                let mut kept = (Vec::with_capacity(rows.len()), Vec::with_capacity(rows.len()));
                for (row, origin) in rows.into_iter().zip(origins) {
                    match why.get(row.id()) {
                        Some(_) if !second_try.contains(row.id()) && first.insert(row.id().to_owned()) => {
                            kept.0.push(row);
                            kept.1.push(origin);
                        }
                        Some(reason) => conflicting.push((row, origin, reason.clone())),
                        None => {
                            kept.0.push(row);
                            kept.1.push(origin);
                        }
                    }
                }
                second_try.extend(first);
                (rows, origins) = kept;
                // The observations to publish are rebuilt from what remains (conflicts are rare).
                if node.bus.has_subscribers() {
                    observations = rows.iter().filter_map(|r| r.decode().ok()).collect();
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    conflicting.sort_by_key(|(_, origin, _)| *origin);
    for (row, origin, reason) in conflicting {
        if !amend {
            out.conflicts.push((origin, format!("{reason}; `truce ingest --amend` corrects it")));
            continue;
        }
        let current = node.store.history(row.id())?.and_then(|h| h.last().map(|r| r.version));
        let Some(expected) = current else {
            out.conflicts.push((origin, format!("{reason}; it cannot be read to amend it")));
            continue;
        };
        let because = format!("amended by `truce ingest` from line or feature {}", origin.1);
        let change = Revise {
            id: row.id(),
            expected,
            by: row.recorded_by(),
            reason: &because,
            at: OffsetDateTime::now_utc(),
            amended: Some(&row),
        };
        match node.revise(node.store.as_ref(), &change) {
            Ok(_) => out.amended += 1,
            Err(e @ (StoreError::Withdrawn { .. } | StoreError::Stale { .. })) => {
                out.conflicts.push((origin, e.to_string()))
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// The bad records of one file, grouped by what is wrong with them (the reason with its values left
/// out), so that a thousand rows failing alike make one line.
#[derive(Default)]
struct Failures {
    groups: Vec<(String, u64, String)>,
    by_shape: HashMap<String, usize>,
}

impl Failures {
    /// Counts a bad record's reasons; true while one of them is among the first [`SHOWN`] of its kind.
    fn count(&mut self, at: &str, reasons: &[String]) -> bool {
        let mut show = false;
        for r in reasons {
            let i = *self.by_shape.entry(shape(r)).or_insert_with(|| {
                self.groups.push((r.clone(), 0, at.to_owned()));
                self.groups.len() - 1
            });
            self.groups[i].1 += 1;
            show |= self.groups[i].1 <= SHOWN;
        }
        show
    }

    /// One line per kind with records not shown.
    fn summary(&self, name: &str, unit: &str) -> Vec<String> {
        self.groups
            .iter()
            .filter(|(_, n, _)| *n > SHOWN)
            .map(|(reason, n, first)| {
                let (head, hint) = reason
                    .split_once("; try ")
                    .map_or((reason.as_str(), String::new()), |(h, t)| (h, format!("; try {t}")));
                format!(
                    "{name}: {} {unit}: {head}, first at {first}{hint} (the first {SHOWN} are shown above)",
                    thousands(*n)
                )
            })
            .collect()
    }
}

/// A reason without its values: quoted text becomes `"…"` and numbers `#`.
fn shape(reason: &str) -> String {
    let mut out = String::with_capacity(reason.len());
    let mut chars = reason.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                out.push_str("\"…\"");
                let mut escaped = false;
                for q in chars.by_ref() {
                    match (escaped, q) {
                        (false, '\\') => escaped = true,
                        (false, '"') => break,
                        _ => escaped = false,
                    }
                }
            }
            '0'..='9' => {
                if !out.ends_with('#') {
                    out.push('#');
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// [`ingest`], with what the user told of the files (date order, encoding); records in conflict with
/// what is stored are refused or, with [`Options::amend`], amend it.
///
/// # Errors
/// The store failed (nothing of the failing batch was stored; earlier batches were).
pub fn ingest_with(
    node: &Node,
    paths: &[PathBuf],
    options: &Options,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<Summary, NodeError> {
    let started = Instant::now();
    let (mut bad, mut skipped, mut unreadable, mut read) = (0u64, 0u64, 0u64, 0u64);
    let mut names: Vec<(String, bool)> = Vec::with_capacity(paths.len());
    let written = std::thread::scope(|scope| -> Result<Written, NodeError> {
        // The agreement's fence table is built on first use: build it while the first file's first
        // pass (encoding, date order) runs, not after it on the reading thread.
        scope.spawn(|| node.agreement.fences());
        let (tx, rx) = sync_channel::<Batch>(QUEUED);
        let writer = scope.spawn(move || -> Result<Written, NodeError> {
            let mut out = Written::default();
            while let Ok(mut batch) = rx.recv() {
                // Batches that waited while the last one committed join this one's transaction.
                while batch.0.len() < GROUP {
                    let Ok((rows, observations, origins)) = rx.try_recv() else { break };
                    batch.0.extend(rows);
                    batch.1.extend(observations);
                    batch.2.extend(origins);
                }
                write_batch(node, options.amend, batch, &mut out)?;
            }
            Ok(out)
        });
        let mut rows = Vec::with_capacity(BATCH);
        let mut origins = Vec::with_capacity(BATCH);
        let mut observations = Vec::new();
        // Events are built for a batch only when someone listens (checked at each batch's start).
        let mut publishing = node.bus.has_subscribers();
        let received_at = OffsetDateTime::now_utc();
        'files: for path in paths {
            let name = path.display().to_string();
            let by = format!("truce ingest {name}");
            progress(Progress::File(&name));
            let Some(format) = FileFormat::from_path(path) else {
                progress(Progress::Problem(format!(
                    "{name}: cannot tell the format from the extension (.csv, .ndjson, .jsonl, .geojson, .json)"
                )));
                unreadable += 1;
                continue;
            };
            let file = match File::open(path) {
                Ok(f) => f,
                Err(e) => {
                    progress(Progress::Problem(format!("{name}: cannot open: {e}")));
                    unreadable += 1;
                    continue;
                }
            };
            let mut reader =
                match FileReader::with_options(BufReader::with_capacity(1 << 16, file), format, &options.read) {
                    Ok(r) => r,
                    Err(e) => {
                        progress(Progress::Problem(format!("{name}: {e}")));
                        unreadable += 1;
                        continue;
                    }
                };
            let file_index = names.len();
            names.push((name.clone(), format == FileFormat::GeoJson));
            for n in reader.take_notices() {
                progress(Progress::Notice(format!("{name}: {n}")));
            }
            let at = |position: u64| match format {
                FileFormat::GeoJson => format!("{name}: feature {position}"),
                _ => format!("{name}:{position}"),
            };
            let (first_at, unit): (fn(u64) -> String, &str) = match format {
                FileFormat::GeoJson => (|p: u64| format!("feature {p}"), "features"),
                FileFormat::Csv => (|p: u64| format!("line {p}"), "rows"),
                FileFormat::Ndjson => (|p: u64| format!("line {p}"), "records"),
            };
            let mut failures = Failures::default();
            let mut skips: BTreeMap<String, u64> = BTreeMap::new();
            let mut fail = |position: u64, reasons: Vec<String>, progress: &mut dyn FnMut(Progress<'_>)| {
                if failures.count(&first_at(position), &reasons) {
                    progress(Progress::Problem(format!("{}: {}", at(position), reasons.join("; "))));
                }
            };
            loop {
                let record = match reader.next_record() {
                    Ok(Some(r)) => r,
                    Ok(None) => break,
                    Err(e) => {
                        progress(Progress::Problem(format!("{name}: {e}; the rest of this file was not read")));
                        unreadable += 1;
                        break;
                    }
                };
                read += 1;
                if read % 4096 == 0 {
                    progress(Progress::Read(read));
                }
                for w in &record.warnings {
                    progress(Progress::Notice(format!("{}: {w}", at(record.position))));
                }
                let observation = match record.outcome {
                    Outcome::Observation(o) => *o,
                    Outcome::Skipped(why) => {
                        skipped += 1;
                        *skips.entry(why).or_default() += 1;
                        continue;
                    }
                    Outcome::Bad(errors) => {
                        bad += 1;
                        fail(record.position, errors.iter().map(|e| describe(e, format)).collect(), progress);
                        continue;
                    }
                };
                let stored = match node.prepare(observation, received_at, &truce_access::Access::all()) {
                    Ok(s) => s,
                    Err(e) => {
                        bad += 1;
                        fail(record.position, vec![e.to_string()], progress);
                        continue;
                    }
                };
                match EncodedRow::new(&stored) {
                    Ok(row) => {
                        rows.push(row.by(&by));
                        origins.push((file_index, record.position));
                    }
                    Err(e) => {
                        // A record the store cannot keep is one bad record, not the end of the load.
                        bad += 1;
                        fail(record.position, vec![e.to_string()], progress);
                        continue;
                    }
                }
                if publishing {
                    observations.push(stored);
                }
                if rows.len() == BATCH {
                    let full = (
                        std::mem::replace(&mut rows, Vec::with_capacity(BATCH)),
                        std::mem::take(&mut observations),
                        std::mem::replace(&mut origins, Vec::with_capacity(BATCH)),
                    );
                    publishing = node.bus.has_subscribers();
                    if tx.send(full).is_err() {
                        // The writer stopped: its error says why.
                        break 'files;
                    }
                }
            }
            for line in failures.summary(&name, unit) {
                progress(Progress::Problem(line));
            }
            for n in reader.take_notices() {
                progress(Progress::Notice(format!("{name}: {n}")));
            }
            if !skips.is_empty() {
                let n: u64 = skips.values().sum();
                let each: Vec<String> = skips.iter().map(|(why, k)| format!("{why} ({})", thousands(*k))).collect();
                let unit = if n == 1 { unit.trim_end_matches('s') } else { unit };
                progress(Progress::Notice(format!("{name}: {} {unit} skipped: {}", thousands(n), each.join("; "))));
            }
        }
        if !rows.is_empty() {
            let _ = tx.send((rows, observations, origins));
        }
        drop(tx);
        writer.join().map_err(|_| NodeError::Invalid("the writer thread panicked".into()))?
    })?;
    for ((file, position), reason) in &written.conflicts {
        let (name, features) = &names[*file];
        let at = if *features { format!("{name}: feature {position}") } else { format!("{name}:{position}") };
        progress(Progress::Problem(format!("{at}: {reason}")));
    }
    Ok(Summary {
        inserted: written.report.inserted.len(),
        duplicates: written.report.duplicates.len(),
        amended: written.amended,
        conflicts: written.conflicts.len() as u64,
        bad,
        skipped,
        unreadable,
        read,
        seconds: started.elapsed().as_secs_f64(),
    })
}
