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
