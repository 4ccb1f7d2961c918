//! `truce serve`: the HTTP API, stream and map page on a data directory.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use crate::cli::ServeArgs;
use crate::server::{self, AppState};
use crate::setup;

/// Logs to stderr, filtered by `RUST_LOG` (default `info`).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

/// The `--web-dir` override, checked: a folder to read the pages (and from its `node_modules`, their
/// packages) from at each request instead of the copies built into the binary.
pub fn web_dir(web_dir: Option<&Path>) -> anyhow::Result<Option<PathBuf>> {
    let Some(dir) = web_dir else { return Ok(None) };
    anyhow::ensure!(dir.is_dir(), "--web-dir {}: not a directory", dir.display());
    if !dir.join("node_modules").is_dir() {
        tracing::warn!("--web-dir {} has no node_modules: run `npm ci` there for the pages' packages", dir.display());
    }
    Ok(Some(dir.to_path_buf()))
}

pub fn run(args: &ServeArgs) -> anyhow::Result<ExitCode> {
    init_logging();
    let (store, agreement) = setup::open(&args.store.data_dir, args.store.agreement.as_deref())?;
    let sectors = setup::load_sectors(args.store.sectors.as_deref(), &agreement)?;
    let web = web_dir(args.web_dir.as_deref())?;
    let state = AppState::new(store, agreement, sectors, web);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        // Every listener is bound (or the command has failed) before the address is announced.
        let tak = server::tak::start(&state, &args.tak, &args.store.data_dir).await?;
        let addr = listener.local_addr()?;
        println!("truce serve: listening on http://{addr}/");
        use std::io::Write;
        std::io::stdout().flush()?;
        let every = std::time::Duration::from_secs(args.watch_every.max(1));
        let watch = tokio::spawn(server::watch::watch_task(state.clone(), every));
        let served = server::serve(listener, state, server::shutdown_signal()).await;
        watch.abort();
        drop(tak);
        served.context("the server failed")
    })?;
    Ok(ExitCode::SUCCESS)
}
