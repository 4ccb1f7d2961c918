//! `truce ingest FILE...`: observations from files into the store, each classified against the
//! agreement. Records are read and classified on this thread and committed in batches by a writer
//! thread, so parsing and SQLite work overlap on two cores; rows are encoded (JSON bodies, cells) on the
//! reading thread, leaving the writer only the database's own work. A bad record is reported with its file,
//! line (or feature) and every field at fault, and skipped; a record is stored whole or not at all,
//! and each batch commits atomically.

use std::fs::File;
use std::io::{BufReader, IsTerminal};
use std::process::ExitCode;
use std::sync::mpsc::sync_channel;
use std::time::Instant;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use time::OffsetDateTime;
use truce_core::StoredObservation;
use truce_formats::ingest::{FileFormat, FileReader};
use truce_store::{EncodedRow, InsertReport, ObservationStore};

use crate::cli::IngestArgs;
use crate::setup;

/// Observations per transaction.
const BATCH: usize = 20_000;

pub fn run(args: &IngestArgs) -> anyhow::Result<ExitCode> {
    let (store, agreement) = setup::open(&args.store.data_dir, args.store.agreement.as_deref())?;
    let started = Instant::now();
    let bar = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {pos} observations read ({per_sec}) {msg}")
                .map_err(|e| anyhow::anyhow!("progress template: {e}"))?,
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let (mut bad, mut unreadable, mut read) = (0u64, 0u64, 0u64);
    let report = std::thread::scope(|scope| -> anyhow::Result<InsertReport> {
        let (tx, rx) = sync_channel::<Vec<EncodedRow>>(2);
        let store = &store;
        let writer = scope.spawn(move || -> anyhow::Result<InsertReport> {
            let mut total = InsertReport::default();
            for batch in rx {
                let r = store
                    .insert_encoded(&batch)
                    .context("cannot store a batch of observations (nothing of it was stored)")?;
                total.inserted.extend(r.inserted);
                total.duplicates.extend(r.duplicates);
            }
            Ok(total)
        });
        let mut batch = Vec::with_capacity(BATCH);
        let received_at = OffsetDateTime::now_utc();
        for path in &args.files {
            let name = path.display().to_string();
            bar.set_message(name.clone());
            let Some(format) = FileFormat::from_path(path) else {
                bar.suspend(|| {
                    eprintln!(
                        "{name}: cannot tell the format from the extension (.csv, .ndjson, .jsonl, .geojson, .json)"
                    )
                });
                unreadable += 1;
                continue;
            };
            let file = match File::open(path) {
                Ok(f) => f,
                Err(e) => {
                    bar.suspend(|| eprintln!("{name}: cannot open: {e}"));
                    unreadable += 1;
                    continue;
                }
            };
            let mut reader = match FileReader::new(BufReader::with_capacity(1 << 16, file), format) {
                Ok(r) => r,
                Err(e) => {
                    bar.suspend(|| eprintln!("{name}: {e}"));
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
                        bar.suspend(|| eprintln!("{name}: {e}; the rest of this file was not read"));
                        unreadable += 1;
                        break;
                    }
                };
                read += 1;
                if read % 4096 == 0 {
                    bar.set_position(read);
                }
                let observation = match record.result {
                    Ok(o) => o,
                    Err(errors) => {
                        bad += 1;
                        let reasons: Vec<String> = errors.iter().map(ToString::to_string).collect();
                        bar.suspend(|| eprintln!("{}: {}", at(record.position), reasons.join("; ")));
                        continue;
                    }
                };
                let obs = match agreement.observation(&observation) {
                    Ok(obs) => obs,
                    Err(e) => {
                        bad += 1;
                        bar.suspend(|| eprintln!("{}: field `{}`: {}", at(record.position), e.field, e.message));
                        continue;
                    }
                };
                let classification = agreement.record(&agreement.classify(&obs));
                batch.push(EncodedRow::new(&StoredObservation { observation, classification, received_at })?);
                if batch.len() == BATCH && tx.send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH))).is_err() {
                    break;
                }
            }
        }
        if !batch.is_empty() {
            let _ = tx.send(batch);
        }
        drop(tx);
        writer.join().map_err(|_| anyhow::anyhow!("the writer thread panicked"))?
    })?;
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "truce ingest: {} new observations stored, {} already stored, {bad} bad, {unreadable} unreadable file{} ({read} records read in {secs:.2} s, {:.0} records/s)",
        report.inserted.len(),
        report.duplicates.len(),
        if unreadable == 1 { "" } else { "s" },
        read as f64 / secs.max(1e-9)
    );
    Ok(if bad > 0 || unreadable > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
