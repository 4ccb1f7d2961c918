//! `truce ingest FILE...`: observations from files into the store, through the node's pipeline
//! (`truce_node::sources::files`): every bad record reported with its file, line (or feature) and
//! every field at fault, and skipped; a progress bar on a terminal.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use truce_node::sources::files::{self, Progress};
use truce_node::{LocalBus, Node, data_dir};

use crate::cli::IngestArgs;

pub fn run(args: &IngestArgs) -> anyhow::Result<ExitCode> {
    let (store, agreement) = args.store.open_or_create()?;
    let sectors = data_dir::load_sectors(args.store.sectors.as_deref(), &agreement)?;
    let node = Node::new(
        Arc::new(store),
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
    let summary = files::ingest(&node, &args.files, &mut |p| match p {
        Progress::File(name) => bar.set_message(name.to_owned()),
        Progress::Read(n) => bar.set_position(n),
        Progress::Problem(line) => bar.suspend(|| eprintln!("{line}")),
    })?;
    bar.finish_and_clear();
    eprintln!("truce ingest: {summary}");
    Ok(if summary.bad > 0 || summary.unreadable > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
