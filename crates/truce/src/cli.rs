//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// truce: ceasefire monitoring for a multinational reassurance force.
#[derive(Debug, Parser)]
#[command(name = "truce", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Work with ceasefire agreement files.
    Agreement {
        /// What to do with the agreement.
        #[command(subcommand)]
        command: AgreementCommand,
    },
    /// Classify observations (CSV or NDJSON) against an agreement; writes NDJSON.
    Classify(ClassifyArgs),
    /// Store observations from CSV (truce, ACLED or UCDP columns), NDJSON or GeoJSON files.
    Ingest(IngestArgs),
    /// List stored observations, filtered, as GeoJSON, CSV or NDJSON.
    Observations(ObservationsArgs),
    /// Serve the HTTP API, the WebSocket stream and the map page.
    Serve(ServeArgs),
    /// Start everything on 127.0.0.1 with a simulated week of observations and a live feed.
    Demo(DemoArgs),
    /// Daily, spot and status reports.
    Report {
        /// Which report.
        #[command(subcommand)]
        command: crate::cmd_report::ReportCommand,
    },
    /// The stored observations correlated into incidents (one per event seen by several monitors).
    Incidents(crate::cmd_case::IncidentsArgs),
    /// Compliance cases on incidents: evidence -> attribution -> remedy.
    Case {
        /// What to do.
        #[command(subcommand)]
        command: crate::cmd_case::CaseCommand,
    },
    /// Early warning: the level of every sector now, and a backtest on the demo scenario.
    Warn {
        /// What to do.
        #[command(subcommand)]
        command: crate::cmd_warn::WarnCommand,
    },
    /// The coalition: import pledges, requirements, units and plans; summary, gaps and history.
    Coalition {
        /// What to do.
        #[command(subcommand)]
        command: crate::cmd_coalition::CoalitionCommand,
    },
    /// Deployment plans checked against the agreement and the pledges' caveats.
    Plan {
        /// What to do.
        #[command(subcommand)]
        command: crate::cmd_coalition::PlanCommand,
    },
    /// Regeneration of Ukraine's forces: progress against each target.
    Regeneration {
        /// What to do.
        #[command(subcommand)]
        command: crate::cmd_coalition::RegenerationCommand,
    },
    /// Certificates for TAK devices: a CA, server and client certificates, ATAK data packages.
    Certs {
        /// What to do.
        #[command(subcommand)]
        command: crate::cmd_certs::CertsCommand,
    },
}

/// `truce serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Store and agreement.
    #[command(flatten)]
    pub store: StoreArgs,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Seconds between early-warning assessments (alerts are raised when a level changes).
    #[arg(long, default_value_t = 60)]
    pub watch_every: u64,
    /// Serve the pages from this folder (e.g. web) and their npm packages from its node_modules, read at each
    /// request, instead of the copies built into the binary: edit a page and reload, no rebuild.
    #[arg(long)]
    pub web_dir: Option<PathBuf>,
    /// The TAK listeners.
    #[command(flatten)]
    pub tak: TakArgs,
}

/// The TAK (Cursor on Target) listeners of `truce serve` and `truce demo`.
#[derive(Debug, Clone, Args)]
pub struct TakArgs {
    /// CoT over TCP, XML and TAK protocol v1 (TAK's port is 8087), or `off`.
    #[arg(long, value_name = "ADDR|off", default_value = "0.0.0.0:8087")]
    pub tak_tcp: String,
    /// CoT over TLS with client certificates (TAK's port is 8089), or `off` [default: 0.0.0.0:8089 when
    /// the certificate directory holds a server certificate, else off].
    #[arg(long, value_name = "ADDR|off")]
    pub tak_tls: Option<String>,
    /// CoT over UDP: mesh TAK protocol and XML datagrams (TAK's port is 6969), or `off`.
    #[arg(long, value_name = "ADDR|off", default_value = "0.0.0.0:6969")]
    pub tak_udp: String,
    /// Also join this multicast group on the UDP port (TAK's SA group is 239.2.3.1).
    #[arg(long, value_name = "GROUP")]
    pub tak_multicast: Option<std::net::Ipv4Addr>,
    /// The certificate directory for TLS [default: DATA_DIR/certs].
    #[arg(long)]
    pub certs_dir: Option<PathBuf>,
    /// Route between all clients whatever their `__group` team (by default a team is a channel).
    #[arg(long)]
    pub tak_no_channels: bool,
    /// Messages queued per client before older positions are dropped.
    #[arg(long, default_value_t = 8192, value_parser = clap::value_parser!(usize))]
    pub tak_queue: usize,
    /// A client's writes are coalesced over this many milliseconds (fewer, larger writes under load).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(0..=1000))]
    pub tak_flush_ms: u64,
}

/// `truce demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Port on 127.0.0.1 (0: any free port; the address is printed).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// A fresh data directory (default: a new one under the system's temporary directory).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// The agreement (default: data/agreements/illustrative.toml).
    #[arg(long)]
    pub agreement: Option<PathBuf>,
    /// Seed of the simulation.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Days simulated before now.
    #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(i64).range(1..=60))]
    pub days: i64,
    /// How much faster than real time the live feed runs.
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// Serve the pages from this folder (e.g. web) and their npm packages from its node_modules, read at each
    /// request, instead of the copies built into the binary: edit a page and reload, no rebuild.
    #[arg(long)]
    pub web_dir: Option<PathBuf>,
    /// Write the simulated days as NDJSON observations to this file (`-`: standard output) and stop,
    /// instead of serving; `truce ingest` loads the file.
    #[arg(long)]
    pub export: Option<PathBuf>,
    /// When the simulated days start (RFC 3339; default: `--days` before the current hour).
    #[arg(long, value_parser = parse_rfc3339)]
    pub start: Option<time::OffsetDateTime>,
    /// The TAK listeners (the demo listens on 127.0.0.1 unless told otherwise).
    #[command(flatten)]
    pub tak: TakArgs,
}

/// Parses an RFC 3339 time.
pub fn parse_rfc3339(s: &str) -> Result<time::OffsetDateTime, String> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map_err(|e| format!("{s:?} is not an RFC 3339 time (e.g. 2026-11-17T00:00:00Z): {e}"))
}

/// Where the store is and which agreement applies.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// The data directory (created if missing).
    #[arg(long, default_value = "./truce-data", env = "TRUCE_DATA_DIR")]
    pub data_dir: PathBuf,
    /// The agreement file; by default the one this data directory was last used with, else
    /// `data/agreements/illustrative.toml`.
    #[arg(long, env = "TRUCE_AGREEMENT")]
    pub agreement: Option<PathBuf>,
    /// The early-warning and reporting sectors (default: data/warning/sectors.toml, else the
    /// agreement's first line cut every 50 km).
    #[arg(long, env = "TRUCE_SECTORS")]
    pub sectors: Option<PathBuf>,
}

/// `truce ingest`.
#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Files to ingest (.csv, .ndjson/.jsonl, .geojson/.json).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Store and agreement.
    #[command(flatten)]
    pub store: StoreArgs,
}

/// Output formats for `observations`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ListFormat {
    /// A GeoJSON FeatureCollection.
    Geojson,
    /// CSV with a header.
    Csv,
    /// One JSON observation per line.
    Ndjson,
}

/// `truce observations`.
#[derive(Debug, Args)]
pub struct ObservationsArgs {
    /// The data directory.
    #[arg(long, default_value = "./truce-data", env = "TRUCE_DATA_DIR")]
    pub data_dir: PathBuf,
    /// Only observations at or after this time (RFC 3339, or a date YYYY-MM-DD).
    #[arg(long)]
    pub since: Option<String>,
    /// Only observations before this time (RFC 3339, or a date YYYY-MM-DD).
    #[arg(long)]
    pub until: Option<String>,
    /// Only observations the store received at or after this time, whatever their own time.
    #[arg(long)]
    pub received_since: Option<String>,
    /// Only inside this box: W,S,E,N in degrees.
    #[arg(long, allow_hyphen_values = true)]
    pub bbox: Option<String>,
    /// Only within KM of a point: LAT,LON,KM.
    #[arg(long, allow_hyphen_values = true)]
    pub near: Option<String>,
    /// Only this category.
    #[arg(long)]
    pub category: Option<String>,
    /// Only observations with a violation of this code.
    #[arg(long)]
    pub violation: Option<String>,
    /// Only observations inside this zone.
    #[arg(long)]
    pub zone: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "ndjson")]
    pub format: ListFormat,
}

/// Agreement commands.
#[derive(Debug, Subcommand)]
pub enum AgreementCommand {
    /// Validate an agreement file, report every error (exit code 2), or print its summary.
    Check(CheckArgs),
}

/// `truce agreement check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The agreement file (TOML).
    pub file: PathBuf,
}

/// Input formats for `classify`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    /// CSV with a header row.
    Csv,
    /// One JSON object per line.
    Ndjson,
}

/// `truce classify`.
#[derive(Debug, Args)]
pub struct ClassifyArgs {
    /// The agreement file (TOML).
    #[arg(long)]
    pub agreement: PathBuf,
    /// Input file, or `-` for standard input.
    #[arg(long, default_value = "-")]
    pub input: PathBuf,
    /// Output file, or `-` for standard output.
    #[arg(long, default_value = "-")]
    pub output: PathBuf,
    /// Input format; by default from the file extension (.csv, .ndjson/.jsonl/.json), or for standard
    /// input from its first byte (`{` is NDJSON).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Stop at the first bad record.
    #[arg(long)]
    pub strict: bool,
}
