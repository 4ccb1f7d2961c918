//! The files feed: observations from CSV (truce, ACLED- or UCDP-style columns), NDJSON or GeoJSON
//! files, through the node's pipeline, as `truce ingest` and `[files]` at start-up load them.
//!
//! Records are read, validated, classified and encoded for the store on the calling thread, and
//! committed in batches of [`BATCH`] by a writer thread, so parsing and the database's work overlap on
//! two cores. A bad record is reported with its file, line (or feature) and every field at fault, and
//! skipped; a record is stored whole or not at all, and each batch commits atomically, then what it
//! stored is published on the bus.

pub mod config;

use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;
use std::sync::mpsc::sync_channel;
use std::time::Instant;

use time::OffsetDateTime;
use truce_core::StoredObservation;
use truce_formats::ingest::{FileFormat, FileReader};
use truce_store::{EncodedRow, InsertReport};

pub use config::FilesConfig;

use crate::{Node, NodeError};

/// Observations per transaction.
pub const BATCH: usize = 20_000;

/// What an ingest reports as it goes.
#[derive(Debug)]
pub enum Progress<'a> {
    /// Reading this file now.
    File(&'a str),
    /// This many records read so far (every 4,096).
    Read(u64),
    /// A bad record or an unreadable file: where and why (`FILE:LINE: reasons`).
    Problem(String),
}

/// What an ingest did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    /// Observations stored by this ingest.
    pub inserted: usize,
    /// Observations that were already stored.
    pub duplicates: usize,
    /// Records refused (each reported).
    pub bad: u64,
    /// Files that could not be read, or not to the end (each reported).
    pub unreadable: u64,
    /// Records read.
    pub read: u64,
    /// Seconds the whole ingest took.
    pub seconds: f64,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} new observations stored, {} already stored, {} bad, {} unreadable file{} ({} records read in {:.2} s, {:.0} records/s)",
            self.inserted,
            self.duplicates,
            self.bad,
            self.unreadable,
            if self.unreadable == 1 { "" } else { "s" },
            self.read,
            self.seconds,
            self.read as f64 / self.seconds.max(1e-9)
        )
    }
}

/// Loads `paths` into the node's store, reporting problems and progress through `progress`.
///
/// # Errors
/// The store failed (nothing of the failing batch was stored; earlier batches were).
pub fn ingest(node: &Node, paths: &[PathBuf], progress: &mut dyn FnMut(Progress<'_>)) -> Result<Summary, NodeError> {
    let started = Instant::now();
    let (mut bad, mut unreadable, mut read) = (0u64, 0u64, 0u64);
    let report = std::thread::scope(|scope| -> Result<InsertReport, NodeError> {
        let (tx, rx) = sync_channel::<(Vec<EncodedRow>, Vec<StoredObservation>)>(2);
        let writer = scope.spawn(move || -> Result<InsertReport, NodeError> {
            let mut total = InsertReport::default();
            for (rows, observations) in rx {
                let r = node.commit_encoded(&rows, observations)?;
                total.inserted.extend(r.inserted);
                total.duplicates.extend(r.duplicates);
            }
            Ok(total)
        });
        let mut rows = Vec::with_capacity(BATCH);
        let mut observations = Vec::new();
        // Events are built for a batch only when someone listens (checked at each batch's start).
        let mut publishing = node.bus.has_subscribers();
        let received_at = OffsetDateTime::now_utc();
        'files: for path in paths {
            let name = path.display().to_string();
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
            let mut reader = match FileReader::new(BufReader::with_capacity(1 << 16, file), format) {
                Ok(r) => r,
                Err(e) => {
                    progress(Progress::Problem(format!("{name}: {e}")));
                    unreadable += 1;
                    continue;
                }
            };
            let at = |position: u64| match format {
                FileFormat::GeoJson => format!("{name}: feature {position}"),
                _ => format!("{name}:{position}"),
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
                let observation = match record.result {
                    Ok(o) => o,
                    Err(errors) => {
                        bad += 1;
                        let reasons: Vec<String> = errors.iter().map(ToString::to_string).collect();
                        progress(Progress::Problem(format!("{}: {}", at(record.position), reasons.join("; "))));
                        continue;
                    }
                };
                let stored = match node.prepare(observation, received_at, &truce_access::Access::all()) {
                    Ok(s) => s,
                    Err(e) => {
                        bad += 1;
                        progress(Progress::Problem(format!("{}: {e}", at(record.position))));
                        continue;
                    }
                };
                match EncodedRow::new(&stored) {
                    Ok(row) => rows.push(row),
                    Err(e) => {
                        // A record the store cannot keep is one bad record, not the end of the load.
                        bad += 1;
                        progress(Progress::Problem(format!("{}: {e}", at(record.position))));
                        continue;
                    }
                }
                if publishing {
                    observations.push(stored);
                }
                if rows.len() == BATCH {
                    let full =
                        (std::mem::replace(&mut rows, Vec::with_capacity(BATCH)), std::mem::take(&mut observations));
                    publishing = node.bus.has_subscribers();
                    if tx.send(full).is_err() {
                        // The writer stopped: its error says why.
                        break 'files;
                    }
                }
            }
        }
        if !rows.is_empty() {
            let _ = tx.send((rows, observations));
        }
        drop(tx);
        writer.join().map_err(|_| NodeError::Invalid("the writer thread panicked".into()))?
    })?;
    Ok(Summary {
        inserted: report.inserted.len(),
        duplicates: report.duplicates.len(),
        bad,
        unreadable,
        read,
        seconds: started.elapsed().as_secs_f64(),
    })
}
