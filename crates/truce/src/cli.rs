//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use time::OffsetDateTime;

use crate::args::{DemoArgs, ServeArgs, StoreArgs};

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
    /// Decode AIS or ADS-B recordings to NDJSON (one object per message; bad lines on stderr).
    Decode {
        /// Which protocol.
        #[command(subcommand)]
        command: crate::cmd_decode::DecodeCommand,
    },
    /// Configuration files of `truce serve` and `truce demo`: check one, print the effective settings.
    Config {
        /// What to do.
        #[command(subcommand)]
        command: crate::cmd_config::ConfigCommand,
    },
    /// Certificates for TAK devices: a CA, server and client certificates, ATAK data packages.
    Certs {
        /// What to do.
        #[command(subcommand)]
        command: crate::cmd_certs::CertsCommand,
    },
    /// Users of a data directory: add, list, disable, enable, change a password, issue an API token.
    Users {
        /// What to do.
        #[command(subcommand)]
        command: crate::cmd_users::UsersCommand,
    },
    /// The audit log: verify it (and a saved checkpoint), sign a checkpoint, list entries.
    Audit {
        /// What to do.
        #[command(subcommand)]
        command: crate::cmd_audit::AuditCommand,
    },
    /// Move a data directory's embedded store into a PostgreSQL/PostGIS database (counts and checksums
    /// compared before it commits).
    #[cfg(feature = "postgres")]
    Migrate(crate::cmd_migrate::MigrateArgs),
}

/// `truce ingest`.
#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Files to ingest (.csv, .ndjson/.jsonl, .geojson/.json).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// A record whose id is stored with other content amends it (a new version; the earlier ones stay
    /// in its history) instead of being refused as a conflict.
    #[arg(long)]
    pub amend: bool,
    /// The order of day and month in numeric dates (14/08/2020: dmy; 8/14/2020: mdy). Needed only when
    /// no date of a file has a part above 12; otherwise the file's dates tell it.
    #[arg(long, value_name = "dmy|mdy")]
    pub date_order: Option<truce_formats::ingest::DateOrder>,
    /// The encoding of CSV files: utf-8, windows-1252 or latin1 (the same). Default: UTF-8 when the file
    /// is valid UTF-8, else Windows-1252, said on stderr.
    #[arg(long, value_name = "utf-8|windows-1252|latin1")]
    pub encoding: Option<truce_formats::ingest::Encoding>,
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
    /// Where the records are.
    #[command(flatten)]
    pub store: crate::args::StoreUrl,
    /// Only observations at or after this time (RFC 3339, YYYY-MM-DD or a DTG DDHHMMZMONYY).
    #[arg(long, value_parser = truce_formats::when::instant)]
    pub since: Option<OffsetDateTime>,
    /// Only observations before this time (RFC 3339, YYYY-MM-DD or a DTG DDHHMMZMONYY).
    #[arg(long, value_parser = truce_formats::when::instant)]
    pub until: Option<OffsetDateTime>,
    /// Only observations the store received at or after this time, whatever their own time.
    #[arg(long, value_parser = truce_formats::when::instant)]
    pub received_since: Option<OffsetDateTime>,
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
    /// Only inside this polygon or on its edge: LON,LAT;LON,LAT;LON,LAT[;...] (3 to 1,000 vertices).
    #[arg(long, allow_hyphen_values = true)]
    pub polygon: Option<String>,
    /// Only observed by any of these means, comma-separated (patrol, fixed_camera, uav, sensor,
    /// tak_device, ship, aircraft, import).
    #[arg(long)]
    pub means: Option<String>,
    /// Only attributed to any of these parties, comma-separated (the agreement's ids, `none`).
    #[arg(long)]
    pub party: Option<String>,
    /// Only classified at any of these levels, comma-separated (ranks 0 to 4 or exact names).
    #[arg(long)]
    pub marking: Option<String>,
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
