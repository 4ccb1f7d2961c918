//! `truce serve`: the node on a data directory with its feeds (the HTTP API and stream, TAK), the
//! watch task, and the map page.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use truce_node::sources::SourceConfig;
use truce_node::sources::files;
use truce_node::sources::tak::{self, TakConfig};
use truce_node::{LocalBus, Node, data_dir};

use crate::args::ServeArgs;
use crate::server::{self, AppState};

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

/// Starts the TAK feed (printing where each listener is) and records its handle for the API.
pub async fn start_tak(state: &AppState, config: &TakConfig, data_dir: &Path) -> anyhow::Result<Option<tak::Tak>> {
    let tak = tak::start(&state.node, config, data_dir).await?;
    if let Some(t) = &tak {
        let _ = state.tak.set(t.handle());
        for (what, a) in t.addrs() {
            println!("truce: TAK CoT over {what} on {a}");
        }
    }
    Ok(tak)
}

pub fn run(args: &ServeArgs) -> anyhow::Result<ExitCode> {
    init_logging();
    let config = crate::config::serve(args)?;
    let data = config.store.data_dir.clone();
    let (store, agreement) = data_dir::open(&data, config.store.agreement.as_deref())?;
    let sectors = data_dir::load_sectors(config.store.sectors.as_deref(), &agreement)?;
    let node = Arc::new(Node::new(Arc::new(store), Arc::new(agreement), Arc::new(sectors), Arc::new(LocalBus::new())));
    // Trace the agreement's bands for the map now, so that no request waits for it.
    node.geometry();
    let state = AppState::new(node.clone(), ensure_vendor_dir(config.http.web_dir.as_deref()));
    let every = std::time::Duration::from_secs(config.watch.every_s);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let (mut listener, mut tak, mut files) = (None, None, None);
        // Every listener is bound (or the command has failed) before the address is announced.
        for source in config.serve_sources() {
            match source {
                SourceConfig::Http(h) => {
                    let l = tokio::net::TcpListener::bind(h.listen)
                        .await
                        .with_context(|| format!("cannot listen on {}", h.listen))?;
                    listener = Some(l);
                }
                SourceConfig::Tak(t) => tak = start_tak(&state, &t, &data).await?,
                SourceConfig::Files(f) => files = Some(f),
                SourceConfig::Demo(_) => {}
            }
        }
        let listener = listener.context("no HTTP listener")?;
        let addr = listener.local_addr()?;
        println!("truce serve: listening on http://{addr}/");
        use std::io::Write;
        std::io::stdout().flush()?;
        if let Some(f) = files {
            let n = node.clone();
            tokio::task::spawn_blocking(move || {
                let done = files::ingest(&n, &f.paths, &mut |p| {
                    if let files::Progress::Problem(line) = p {
                        eprintln!("{line}");
                    }
                });
                match done {
                    Ok(summary) => eprintln!("truce serve: [files] {summary}"),
                    Err(e) => eprintln!("truce serve: [files] stopped: {e}"),
                }
            });
        }
        let watch = tokio::spawn(truce_node::watch::task::run(node, every));
        let served = server::serve(listener, state, server::shutdown_signal()).await;
        watch.abort();
        drop(tak);
        served.context("the server failed")
    })?;
    Ok(ExitCode::SUCCESS)
}
