//! Arguments several commands share: where the store is and which agreement applies, the TAK
//! listeners, and the arguments of `truce serve` and `truce demo` (which `truce config check` also
//! reads from the environment). Flags of `serve` and `demo` have no clap
//! defaults: what is not given falls back to the configuration file, then to the built-in defaults
//! (`truce_node::config`), so a flag can be told apart from a default.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;
use truce_node::sources::Listen;
use truce_node::sources::tak::TakConfig;
use truce_store::Store;

/// The data directory used when none is given.
pub const DEFAULT_DATA_DIR: &str = "./truce-data";

/// Where the store is and which agreement applies.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// The data directory [default: ./truce-data]; `serve`, `ingest` and the imports make it when it is
    /// missing, the commands that read one need it to exist.
    #[arg(long, env = "TRUCE_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// The agreement file; by default the one this data directory was last used with, else the
    /// illustrative agreement shipped with truce.
    #[arg(long, env = "TRUCE_AGREEMENT")]
    pub agreement: Option<PathBuf>,
    /// The early-warning and reporting sectors (default: the shipped sectors when they fit the
    /// agreement, else the agreement's first line cut every 50 km).
    #[arg(long, env = "TRUCE_SECTORS")]
    pub sectors: Option<PathBuf>,
    /// Where the records are.
    #[command(flatten)]
    pub store: StoreUrl,
}

/// Where the records are, for every command that opens a store.
#[derive(Debug, Clone, Args)]
pub struct StoreUrl {
    /// Keep the records in this PostgreSQL/PostGIS database (postgres://user:password@host:port/db)
    /// instead of the data directory's embedded store; the data directory still holds the node's own
    /// files (certificates, policy, uploads, audit log).
    #[arg(long = "store", value_name = "URL", env = "TRUCE_STORE")]
    pub url: Option<String>,
}

impl StoreUrl {
    /// The URL given, if any.
    pub fn get(&self) -> Option<&str> {
        self.url.as_deref()
    }
}

impl StoreArgs {
    /// The data directory given, or `./truce-data`.
    pub fn data_dir(&self) -> PathBuf {
        self.data_dir.clone().unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR))
    }

    /// Opens the store for a command that brings data in, making the data directory (and saying so)
    /// when it does not exist.
    pub fn open_or_create(&self) -> anyhow::Result<(Arc<dyn Store>, truce_engine::Agreement)> {
        open_or_create(&self.data_dir(), self.store.get(), self.agreement.as_deref())
    }

    /// Opens the store of a command that reads one, with the agreement (the store must exist).
    pub fn open(&self) -> anyhow::Result<(Arc<dyn Store>, truce_engine::Agreement)> {
        Ok(truce_node::data_dir::open(&self.data_dir(), self.store.get(), self.agreement.as_deref())?)
    }

    /// Opens the store alone: the commands that need no agreement (users, coalition). `create` for the
    /// commands that bring data in (the data directory is made when missing, and the command says so).
    pub fn records(&self, create: bool) -> anyhow::Result<Arc<dyn Store>> {
        let dir = self.data_dir();
        records(&dir, self.store.get(), create)
    }
}

/// [`StoreArgs::records`] for a data directory and store URL given apart.
pub fn records(dir: &Path, url: Option<&str>, create: bool) -> anyhow::Result<Arc<dyn Store>> {
    if create {
        if truce_node::data_dir::create(dir)? {
            said_made(dir);
        }
    } else {
        truce_node::data_dir::require(dir, url)?;
    }
    Ok(truce_node::data_dir::open_store(dir, url)?)
}

/// [`truce_node::data_dir::open_or_create`], saying on standard error when the directory was made.
pub fn open_or_create(
    dir: &Path,
    url: Option<&str>,
    agreement: Option<&Path>,
) -> anyhow::Result<(Arc<dyn Store>, truce_engine::Agreement)> {
    let (store, agreement, made) = truce_node::data_dir::open_or_create(dir, url, agreement)?;
    if made {
        said_made(dir);
    }
    Ok((store, agreement))
}

/// Says that the data directory `dir` was made (on standard error, so output stays clean).
pub fn said_made(dir: &Path) {
    eprintln!("truce: made the data directory {}", dir.display());
}

/// The TAK (Cursor on Target) listeners of `truce serve` and `truce demo`.
#[derive(Debug, Clone, Args)]
pub struct TakArgs {
    /// CoT over TCP, XML and TAK protocol v1 (TAK's port is 8087), or `off` [default: the HTTP
    /// listener's host, port 8087].
    #[arg(long, value_name = "ADDR|off", env = "TRUCE_TAK_TCP")]
    pub tak_tcp: Option<Listen>,
    /// CoT over TLS with client certificates (TAK's port is 8089), or `off` [default: the TCP listener's
    /// host, port 8089, when the certificate directory holds a server certificate, else off].
    #[arg(long, value_name = "ADDR|off", env = "TRUCE_TAK_TLS")]
    pub tak_tls: Option<Listen>,
    /// The Marti REST API for devices (data packages, missions, contacts) over HTTPS with client
    /// certificates (TAK's port is 8443), or `off` [default: the TLS listener's host, port 8443, when
    /// there is a server certificate, else off].
    #[arg(long, value_name = "ADDR|off", env = "TRUCE_TAK_API")]
    pub tak_api: Option<Listen>,
    /// Certificate enrolment with a user name and password over HTTPS (TAK's port is 8446), or `off`
    /// [default: the TLS listener's host, port 8446, when there is a server certificate, else off].
    #[arg(long, value_name = "ADDR|off", env = "TRUCE_TAK_ENROL")]
    pub tak_enrol: Option<Listen>,
    /// The largest file a device may upload, in MiB (1 to 4,096) [default: 400].
    #[arg(long, value_name = "MIB", env = "TRUCE_TAK_MAX_UPLOAD_MIB", value_parser = |s: &str| s.parse::<u64>().map_err(|e| e.to_string()).and_then(truce_node::sources::tak::config::check_max_upload_mib))]
    pub tak_max_upload_mib: Option<u64>,
    /// CoT over UDP: mesh TAK protocol and XML datagrams (TAK's port is 6969), or `off` [default: the
    /// HTTP listener's host, port 6969].
    #[arg(long, value_name = "ADDR|off", env = "TRUCE_TAK_UDP")]
    pub tak_udp: Option<Listen>,
    /// Also join this multicast group on the UDP port (TAK's SA group is 239.2.3.1).
    #[arg(long, value_name = "GROUP", env = "TRUCE_TAK_MULTICAST")]
    pub tak_multicast: Option<Ipv4Addr>,
    /// The certificate directory for TLS [default: DATA_DIR/certs].
    #[arg(long, env = "TRUCE_CERTS_DIR")]
    pub certs_dir: Option<PathBuf>,
    /// Route between all clients whatever their `__group` team (by default a team is a channel).
    #[arg(long, env = "TRUCE_TAK_NO_CHANNELS")]
    pub tak_no_channels: bool,
    /// Messages queued per client before older positions are dropped (1 to 1,000,000) [default: 8192].
    #[arg(long, env = "TRUCE_TAK_QUEUE", value_parser = |s: &str| s.parse::<u64>().map_err(|e| e.to_string()).and_then(truce_node::sources::tak::config::check_queue))]
    pub tak_queue: Option<usize>,
    /// A client's writes are coalesced over this many milliseconds (0 to 1,000) [default: 20].
    #[arg(long, env = "TRUCE_TAK_FLUSH_MS", value_parser = |s: &str| s.parse::<u64>().map_err(|e| e.to_string()).and_then(truce_node::sources::tak::config::check_flush_ms))]
    pub tak_flush_ms: Option<u64>,
}

impl TakArgs {
    /// Sets what was given on the command line (or in the environment) over `config`.
    pub fn apply(&self, config: &mut TakConfig) {
        if let Some(l) = self.tak_tcp {
            config.tcp = l;
        }
        if let Some(l) = self.tak_tls {
            config.tls = Some(l);
        }
        if let Some(l) = self.tak_udp {
            config.udp = l;
        }
        if let Some(l) = self.tak_api {
            config.api = Some(l);
        }
        if let Some(l) = self.tak_enrol {
            config.enrol = Some(l);
        }
        if let Some(n) = self.tak_max_upload_mib {
            config.max_upload_mib = n;
        }
        if let Some(g) = self.tak_multicast {
            config.multicast = Some(g);
        }
        if let Some(d) = &self.certs_dir {
            config.certs_dir = Some(d.clone());
        }
        if self.tak_no_channels {
            config.channels = false;
        }
        if let Some(q) = self.tak_queue {
            config.queue = q;
        }
        if let Some(f) = self.tak_flush_ms {
            config.flush_ms = f;
        }
    }
}

/// `truce serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The configuration file (TOML, docs/config.md); flags and TRUCE_* variables override it.
    #[arg(long, env = "TRUCE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Store and agreement.
    #[command(flatten)]
    pub store: StoreArgs,
    /// Address to listen on, HOST:PORT [default: 127.0.0.1:8080].
    #[arg(long, env = "TRUCE_LISTEN", value_parser = truce_node::sources::http::config::check_listen)]
    pub listen: Option<String>,
    /// Serve plain HTTP on an address other than loopback (without --tls; see docs/security.md).
    #[arg(long, env = "TRUCE_INSECURE_HTTP")]
    pub insecure_http: bool,
    /// Serve HTTPS, with the server certificate of `truce certs init` (DATA_DIR/certs) unless
    /// --tls-cert and --tls-key give another.
    #[arg(long, env = "TRUCE_TLS")]
    pub tls: bool,
    /// The server's certificate chain for HTTPS, PEM.
    #[arg(long, env = "TRUCE_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The server's private key for HTTPS, PEM.
    #[arg(long, env = "TRUCE_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Seconds a client may read nothing of an answer being sent to it (a page, a streamed report, the
    /// WebSocket stream) before its connection is cut and what the answer held freed (1 to 3,600)
    /// [default: 60].
    #[arg(long, env = "TRUCE_HTTP_STALL", value_parser = clap::value_parser!(u64).range(1..=3_600))]
    pub http_stall: Option<u64>,
    /// Seconds a client may take to send a request's headers, keep a connection open without a
    /// request, or pause within a request's body before the connection is closed (1 to 3,600)
    /// [default: 30].
    #[arg(long, env = "TRUCE_HTTP_IDLE", value_parser = clap::value_parser!(u64).range(1..=3_600))]
    pub http_idle: Option<u64>,
    /// Seconds between early-warning assessments (alerts are raised when a level changes; 1 to
    /// 86,400) [default: 60].
    #[arg(long, env = "TRUCE_WATCH_EVERY", value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub watch_every: Option<u64>,
    /// Serve the pages from this folder (e.g. web) and their npm packages from its node_modules, read at
    /// each request, instead of the copies built into the binary: edit a page and reload, no rebuild.
    #[arg(long, env = "TRUCE_WEB_DIR")]
    pub web_dir: Option<PathBuf>,
    /// Join the nodes on these NATS JetStream servers, comma-separated (nats://HOST:PORT,…): every
    /// event goes to every node's viewers, the watch task runs on one node (docs/deploy.md).
    #[arg(long, env = "TRUCE_NATS", value_delimiter = ',', value_parser = truce_node::config::check_nats_url)]
    pub nats: Vec<String>,
    /// Replicas of the cluster's event stream and leases (1 to 5, at most the JetStream servers)
    /// [default: 1].
    #[arg(long, env = "TRUCE_NATS_REPLICAS", value_parser = clap::value_parser!(u64).range(1..=5))]
    pub nats_replicas: Option<u64>,
    /// The TAK listeners.
    #[command(flatten)]
    pub tak: TakArgs,
}

/// `truce demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The configuration file (TOML, docs/config.md); flags and TRUCE_* variables override it.
    #[arg(long, env = "TRUCE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Port on 127.0.0.1 (0: any free port; the address is printed) [default: 8080].
    #[arg(long, env = "TRUCE_DEMO_PORT")]
    pub port: Option<u16>,
    /// A fresh data directory (default: a new one under the system's temporary directory).
    #[arg(long, env = "TRUCE_DEMO_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// The agreement (default: the illustrative agreement shipped with truce).
    #[arg(long, env = "TRUCE_AGREEMENT")]
    pub agreement: Option<PathBuf>,
    /// The early-warning and reporting sectors (default: the shipped sectors when they fit the
    /// agreement, else the agreement's first line cut every 50 km).
    #[arg(long, env = "TRUCE_SECTORS")]
    pub sectors: Option<PathBuf>,
    /// Seed of the simulation [default: 1].
    #[arg(long, env = "TRUCE_DEMO_SEED")]
    pub seed: Option<u64>,
    /// Days simulated before now (1 to 60) [default: 7].
    #[arg(long, env = "TRUCE_DEMO_DAYS", value_parser = |s: &str| s.parse::<i64>().map_err(|e| e.to_string()).and_then(truce_node::sources::demo::config::check_days))]
    pub days: Option<i64>,
    /// How much faster than real time the live feed runs (above 0, at most 10,000) [default: 1].
    #[arg(long, env = "TRUCE_DEMO_SPEED", value_parser = |s: &str| s.parse::<f64>().map_err(|e| e.to_string()).and_then(truce_node::sources::demo::config::check_speed))]
    pub speed: Option<f64>,
    /// Serve the pages from this folder (e.g. web) and their npm packages from its node_modules, read at
    /// each request, instead of the copies built into the binary: edit a page and reload, no rebuild.
    #[arg(long, env = "TRUCE_WEB_DIR")]
    pub web_dir: Option<PathBuf>,
    /// Write the simulated days as NDJSON observations to this file (`-`: standard output) and stop,
    /// instead of serving; `truce ingest` loads the file.
    #[arg(long)]
    pub export: Option<PathBuf>,
    /// When the simulated days start (RFC 3339, YYYY-MM-DD or a DTG DDHHMMZMONYY; default: `--days` before the current hour).
    #[arg(long, env = "TRUCE_DEMO_START", value_parser = truce_formats::when::instant)]
    pub start: Option<time::OffsetDateTime>,
    /// The TAK listeners (the demo listens on 127.0.0.1 unless told otherwise).
    #[command(flatten)]
    pub tak: TakArgs,
}
