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

/// Where the map page's npm packages are: `--web-dir`/node_modules, `./web/node_modules`, or the
/// repository this binary was built from.
pub fn vendor_dir(web_dir: Option<&Path>) -> PathBuf {
    if let Some(d) = web_dir {
        return d.join("node_modules");
    }
    let here = PathBuf::from("web/node_modules");
    if here.is_dir() {
        return here;
    }
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../web/node_modules"))
}

/// The vendor directory, installing the page's packages from the lockfile first if they are missing
/// and npm is at hand (`npm ci`: exact versions, nothing else changes).
pub fn ensure_vendor_dir(web_dir: Option<&Path>) -> PathBuf {
    let vendor = vendor_dir(web_dir);
    if vendor.join("leaflet").is_dir() {
        return vendor;
    }
    let Some(web) = vendor.parent().filter(|w| w.join("package-lock.json").is_file()) else {
        tracing::warn!(
            "the map page's packages are missing in {} and there is no web/package-lock.json to install them from",
            vendor.display()
        );
        return vendor;
    };
    eprintln!("truce: installing the map page's packages: npm ci --prefix {}", web.display());
    match std::process::Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--prefix"])
        .arg(web)
        .stdout(std::process::Stdio::null())
        .status()
    {
        Ok(s) if s.success() => {}
        Ok(s) => tracing::warn!("npm ci failed ({s}); the map page will not load its packages"),
        Err(e) => tracing::warn!("cannot run npm ({e}); run `npm ci --prefix web` for the map page"),
    }
    vendor
}

pub fn run(args: &ServeArgs) -> anyhow::Result<ExitCode> {
    init_logging();
    let (store, agreement) = setup::open(&args.store.data_dir, args.store.agreement.as_deref())?;
    let sectors = setup::load_sectors(args.store.sectors.as_deref(), &agreement)?;
    let vendor = ensure_vendor_dir(args.web_dir.as_deref());
    let state = AppState::new(store, agreement, sectors, vendor);
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
