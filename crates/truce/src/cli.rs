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
