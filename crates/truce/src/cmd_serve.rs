//! `truce serve`: the node on a data directory with its feeds (the HTTP API and stream, TAK), the
//! watch task, and the map page.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use truce_node::sources::SourceConfig;
use truce_node::sources::files;
use truce_node::sources::tak::{self, TakConfig};
use truce_node::sources::tracks::Tracks;
use truce_node::{LocalBus, Node, data_dir};

use crate::args::ServeArgs;
use crate::server::{self, AppState};

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

/// Starts the TAK feed (printing where each listener is) and records its handle for the API.
pub async fn start_tak(
    state: &AppState,
    config: &TakConfig,
    data_dir: &Path,
    tracks: &Tracks,
) -> anyhow::Result<Option<tak::Tak>> {
    let tak = tak::start(&state.node, config, data_dir, tracks).await?;
    if let Some(t) = &tak {
        let _ = state.tak.set(t.handle());
        for (what, a) in t.addrs() {
            outln!("truce: TAK CoT over {what} on {a}");
        }
    }
    Ok(tak)
}

/// Starts the TAK API and enrolment listeners (printing where they are).
pub async fn start_marti(
    state: &AppState,
    config: &TakConfig,
    data_dir: &Path,
) -> anyhow::Result<Option<server::marti::Marti>> {
    let marti = server::marti::start(state, config, data_dir).await?;
    if let Some(m) = &marti {
        if let Some(a) = m.api {
            outln!("truce: TAK API (Marti) over HTTPS on {a}");
        }
        if let Some(a) = m.enrol {
            outln!("truce: TAK certificate enrolment over HTTPS on {a}");
        }
    }
    Ok(marti)
}

/// The node's bus: its own ([`LocalBus`]), or, with `[bus] nats`, the cluster's.
async fn bus(config: &truce_node::config::BusConfig) -> anyhow::Result<Arc<dyn truce_node::Bus>> {
    if config.nats.is_empty() {
        return Ok(Arc::new(LocalBus::new()));
    }
    #[cfg(feature = "nats")]
    {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        let node = format!("node-{}-{:x}", std::process::id(), nanos.subsec_nanos());
        let bus = truce_node::nats::NatsBus::connect(truce_node::nats::NatsConfig {
            urls: config.nats.clone(),
            node: node.clone(),
            replicas: config.replicas,
        })
        .await?;
        outln!("truce: node {node} joined the cluster on {}", config.nats.join(","));
        Ok(Arc::new(bus))
    }
    #[cfg(not(feature = "nats"))]
    anyhow::bail!("--nats: this truce was built without the `nats` feature")
}

pub fn run(args: &ServeArgs) -> anyhow::Result<ExitCode> {
    init_logging();
    let config = crate::config::serve(args)?;
    let data = config.store.data_dir.clone();
    // The cluster first: a node that cannot reach it stops before making a data directory.
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let bus = runtime.block_on(bus(&config.bus))?;
    let (store, agreement) =
        crate::args::open_or_create(&data, config.store.url.as_deref(), config.store.agreement.as_deref())?;
    let sectors = data_dir::load_sectors(config.store.sectors.as_deref(), &agreement)?;
    let mut node =
        Node::new(store, Arc::new(data_dir::load_policy(&data)?), Arc::new(agreement), Arc::new(sectors), bus);
    node.set_anonymous(config.tak.anonymous_nation.clone(), config.tak.anonymous_clearance)?;
    let node = Arc::new(node);
    let state = AppState::new(
        node.clone(),
        &data,
        web_dir(config.http.web_dir.as_deref())?,
        (std::time::Duration::from_secs(config.http.stall_s), std::time::Duration::from_secs(config.http.idle_s)),
    )?;
    let every = std::time::Duration::from_secs(config.watch.every_s);
    runtime.block_on(async move {
        let (mut listener, mut tak, mut files, mut https, mut ais, mut adsb) = (None, None, None, None, None, None);
        let mut marti = None;
        let tracks = Tracks::start(&node);
        // Every listener is bound (or the command has failed) before the address is announced.
        for source in config.serve_sources() {
            match source {
                SourceConfig::Http(h) => {
                    let l = tokio::net::TcpListener::bind(h.listen.as_str())
                        .await
                        .with_context(|| format!("cannot listen on {}", h.listen))?;
                    let at = l.local_addr()?;
                    let tls = if h.tls {
                        Some(match (&h.tls_cert, &h.tls_key) {
                            (Some(cert), Some(key)) => server::tls::from_pem(cert, key)?,
                            _ => server::tls::from_cert_dir(
                                &config.tak.certs_dir.clone().unwrap_or_else(|| data.join("certs")),
                            )?,
                        })
                    } else {
                        None
                    };
                    if tls.is_none() && !at.ip().is_loopback() && !h.insecure_http {
                        anyhow::bail!(
                            "refusing to serve plain HTTP on {at} (http.listen {:?}): sessions and passwords would \
                             cross the network in clear; serve HTTPS (--tls, after `truce certs init`, or \
                             --tls-cert and --tls-key), or pass --insecure-http (http.insecure_http = true)",
                            h.listen
                        );
                    }
                    https = tls;
                    listener = Some(l);
                }
                SourceConfig::Tak(t) => {
                    tak = start_tak(&state, &t, &data, &tracks).await?;
                    marti = start_marti(&state, &t, &data).await?;
                }
                SourceConfig::Ais(a) => ais = Some(a),
                SourceConfig::Adsb(a) => adsb = Some(a),
                SourceConfig::Files(f) => files = Some(f),
                SourceConfig::Demo(_) => {}
            }
        }
        // The sea and air feeds after TAK, so that their tracks also reach the devices.
        let sea_air = truce_node::sources::sea_air::SeaAir::start(
            &node,
            &tracks,
            tak.as_ref().map(tak::Tak::handle),
            truce_detect::Config::default(),
        )?;
        // The feeds' labels name release codes the node's policy must know.
        for (section, label) in [("ais", ais.as_ref().map(|a| a.label())), ("adsb", adsb.as_ref().map(|a| a.label()))] {
            if let Some(label) = label {
                node.policy.check(&label).with_context(|| format!("[{section}] releasable_to"))?;
            }
        }
        let ais = match ais {
            Some(a) => truce_node::sources::ais::start(&a, &sea_air).await?,
            None => None,
        };
        let adsb = match adsb {
            Some(a) => truce_node::sources::adsb::start(&a, &sea_air).await?,
            None => None,
        };
        if let Some(a) = ais.as_ref().and_then(truce_node::sources::ais::Ais::udp_addr) {
            outln!("truce: AIS over UDP on {a}");
        }
        let listener = listener.context("no HTTP listener")?;
        let addr = listener.local_addr()?;
        let scheme = if https.is_some() { "https" } else { "http" };
        outln!("truce serve: listening on {scheme}://{addr}/");
        use std::io::Write;
        std::io::stdout().flush()?;
        if let Some(f) = files {
            let n = node.clone();
            tokio::task::spawn_blocking(move || {
                let done = files::ingest_with(
                    &n,
                    &f.paths,
                    &files::Options { read: f.read_options(), amend: false },
                    &mut |p| {
                        if let files::Progress::Problem(line) | files::Progress::Notice(line) = p {
                            eprintln!("{line}");
                        }
                    },
                );
                match done {
                    Ok(summary) => eprintln!("truce serve: [files] {summary}"),
                    Err(e) => eprintln!("truce serve: [files] stopped: {e}"),
                }
            });
        }
        // The agreement's cell table, built now on a spare thread rather than by the first request
        // that classifies.
        let warm = node.agreement.clone();
        std::thread::spawn(move || {
            warm.fences();
        });
        // In a cluster, what the other nodes store renews this node's cached warning pictures.
        let follow = node.follow_other_nodes();
        let watch = tokio::spawn(truce_node::watch::task::run(node, every));
        let served = match https {
            Some(tls) => server::tls::serve(listener, tls, state, server::shutdown_signal()).await,
            None => server::serve(listener, state, server::shutdown_signal()).await,
        };
        watch.abort();
        follow.abort();
        drop(ais);
        drop(adsb);
        drop(sea_air);
        drop(marti);
        drop(tak);
        drop(tracks);
        served.context("the server failed")
    })?;
    Ok(ExitCode::SUCCESS)
}
