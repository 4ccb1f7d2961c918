//! `truce ingest FILE...`: observations from files into the store, through the node's pipeline
//! (`truce_node::sources::files`): every bad record reported with its file, line (or feature) and
//! every column or field at fault, and skipped (many alike in one line); notices (encoding guessed,
//! columns not used, text cut, rows skipped) on stderr too; a record whose id is stored with other
//! content refused as a conflict naming the fields, or with `--amend` amending it; a progress bar on a
//! terminal.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use truce_formats::ingest::ReadOptions;
use truce_node::sources::files::{self, Progress};
use truce_node::{LocalBus, Node, data_dir};

use crate::cli::IngestArgs;

pub fn run(args: &IngestArgs) -> anyhow::Result<ExitCode> {
    let (store, agreement) = args.store.open_or_create()?;
    let sectors = data_dir::load_sectors(args.store.sectors.as_deref(), &agreement)?;
    let node = Node::new(
        store,
        Arc::new(data_dir::load_policy(&args.store.data_dir())?),
        Arc::new(agreement),
        Arc::new(sectors),
        Arc::new(LocalBus::new()),
    );
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
    let read = ReadOptions { date_order: args.date_order, encoding: args.encoding };
    let options = files::Options { read, amend: args.amend };
    // A load into an empty store builds the indexes that allow it once, after the rows.
    let deferred = node.store.defer_indexes()?;
    let loaded = files::ingest_with(&node, &args.files, &options, &mut |p| match p {
        Progress::File(name) => bar.set_message(name.to_owned()),
        Progress::Read(n) => bar.set_position(n),
        Progress::Problem(line) => bar.suspend(|| eprintln!("{line}")),
        Progress::Notice(line) => bar.suspend(|| eprintln!("{line}")),
    });
    bar.finish_and_clear();
    let mut built = String::new();
    if deferred {
        let started = std::time::Instant::now();
        node.store.build_indexes()?;
        built = format!("; indexes built after the rows in {:.1} s", started.elapsed().as_secs_f64());
    }
    let summary = loaded?;
    eprintln!("truce ingest: {summary}{built}");
    Ok(if summary.bad > 0 || summary.unreadable > 0 || summary.conflicts > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
