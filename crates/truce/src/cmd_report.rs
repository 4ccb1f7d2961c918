//! `truce report daily|spot|status`: the reports of `truce-report`, from a data directory, to a file or
//! standard output.
//!
//! Every parameter is checked before the store is opened, so a bad `--date` (parsed by clap with
//! [`truce_formats::when::date`], like every date flag), `--cutoff`, `--tz`,
//! `--format` or `--edition` fails at once with a message naming the flag (exit code 2) and touches
//! nothing. The store is then opened as `ingest` and `serve` open it (reclassified if the agreement
//! changed), so the report always counts against the agreement it names.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use time::Date;
use truce_report::{Clock, Edition, Format};

use crate::args::StoreArgs;
use truce_node::data_dir;

/// The reports.
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// The daily report: the 24 hours ending at the cutoff on a date, in the OSCE SMM's structure.
    Daily(DailyArgs),
    /// The spot report on one serious incident.
    Spot(SpotArgs),
    /// The status report over several days (usually two weeks).
    Status(StatusArgs),
}

/// Options every report takes.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Output format: html (one self-contained file), md or json (the report's data model).
    #[arg(long, default_value = "html")]
    pub format: String,
    /// public (only NATO UNCLASSIFIED observations; says how many were withheld) or restricted
    /// (everything; the banner carries the highest marking).
    #[arg(long, default_value = "public")]
    pub edition: String,
    /// Write to this file instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Store, agreement and sectors.
    #[command(flatten)]
    pub store: StoreArgs,
}

/// `truce report daily`.
#[derive(Debug, Args)]
pub struct DailyArgs {
    /// The report's date (YYYY-MM-DD): the period ends at the cutoff on this date.
    #[arg(long, value_parser = truce_formats::when::date)]
    pub date: Date,
    /// The cutoff, local time HH:MM.
    #[arg(long, default_value = truce_report::DEFAULT_CUTOFF)]
    pub cutoff: String,
    /// The time zone of the cutoff and of local times (IANA name).
    #[arg(long, default_value = truce_report::DEFAULT_TZ)]
    pub tz: String,
    /// Format, edition, output, store.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `truce report spot`.
#[derive(Debug, Args)]
pub struct SpotArgs {
    /// The incident (`inc-<observation id>`, as in the daily report), or one of its observations' ids.
    pub incident: String,
    /// The cutoff of the reporting period the incident is correlated in, local time HH:MM.
    #[arg(long, default_value = truce_report::DEFAULT_CUTOFF)]
    pub cutoff: String,
    /// The time zone of local times (IANA name).
    #[arg(long, default_value = truce_report::DEFAULT_TZ)]
    pub tz: String,
    /// Format, edition, output, store.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `truce report status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The first report date (YYYY-MM-DD).
    #[arg(long, value_parser = truce_formats::when::date)]
    pub from: Date,
    /// The last report date (YYYY-MM-DD), inclusive.
    #[arg(long, value_parser = truce_formats::when::date)]
    pub to: Date,
    /// The cutoff, local time HH:MM.
    #[arg(long, default_value = truce_report::DEFAULT_CUTOFF)]
    pub cutoff: String,
    /// The time zone (IANA name).
    #[arg(long, default_value = truce_report::DEFAULT_TZ)]
    pub tz: String,
    /// Format, edition, output, store.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Runs a report command.
pub fn run(cmd: &ReportCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        ReportCommand::Daily(a) => {
            // Like the API: a period that has not begun is refused, not reported as empty.
            let today = truce_report::today_utc();
            let date = truce_report::not_after("date", truce_report::report_date("date", a.date)?, today)?;
            let clock = Clock::new(&a.cutoff, &a.tz)?;
            let (format, edition) = output_options(&a.output)?;
            let r = with_context(&a.output.store, |ctx| Ok(truce_report::daily(ctx, &clock, date, edition)?))?;
            let written = write_out(a.output.out.as_ref(), |w| truce_report::write_daily(&r, format, w));
            // The process ends here: a busy day's report is tens of thousands of small allocations that
            // the operating system takes back at once, so they are not freed one by one.
            std::mem::forget(r);
            written
        }
        ReportCommand::Spot(a) => {
            let clock = Clock::new(&a.cutoff, &a.tz)?;
            let (format, edition) = output_options(&a.output)?;
            let r = with_context(&a.output.store, |ctx| Ok(truce_report::spot(ctx, &clock, &a.incident, edition)?))?;
            write_out(a.output.out.as_ref(), |w| truce_report::write_spot(&r, format, w))
        }
        ReportCommand::Status(a) => {
            let today = truce_report::today_utc();
            let from = truce_report::not_after("from", truce_report::report_date("from", a.from)?, today)?;
            let to = truce_report::not_after("to", truce_report::report_date("to", a.to)?, today)?;
            let clock = Clock::new(&a.cutoff, &a.tz)?;
            let (format, edition) = output_options(&a.output)?;
            let r = with_context(&a.output.store, |ctx| Ok(truce_report::status(ctx, &clock, from, to, edition)?))?;
            write_out(a.output.out.as_ref(), |w| truce_report::write_status(&r, format, w))
        }
    }
}

fn output_options(o: &OutputArgs) -> anyhow::Result<(Format, Edition)> {
    Ok((o.format.parse::<Format>()?, o.edition.parse::<Edition>()?))
}

/// Opens the store, the agreement and the sectors, and runs `f` on them.
fn with_context<T>(
    store: &StoreArgs,
    f: impl FnOnce(&truce_report::Context<'_>) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let (db, agreement) = store.open()?;
    let sectors = data_dir::load_sectors(store.sectors.as_deref(), &agreement)?;
    let policy = data_dir::load_policy(&store.data_dir())?;
    // One report per process: the tallies of past periods are kept in the store for the next one.
    let tallies = truce_report::Tallies::new(1_024);
    let kept = Some((&tallies, db.access().audience()));
    f(&truce_report::Context { store: &*db, agreement: &agreement, sectors: &sectors, policy: &policy, kept })
}

/// Writes the report with `write` to the file `out` or to standard output, through one buffer: the
/// text is never held whole. A file is written as `.NAME.partial` beside it and renamed to its name
/// once whole, so a run that is killed or fails leaves the previous report (or none) under that
/// name, never a truncated one; a failed run removes its partial file, a killed one leaves it (the
/// next run overwrites it). A name that is already something other than a file (`/dev/null`, a
/// named pipe, `/dev/stdout`) is written to as it is: renaming over it would replace it.
fn write_out(
    out: Option<&PathBuf>,
    write: impl FnOnce(&mut BufWriter<Box<dyn Write>>) -> std::io::Result<()>,
) -> anyhow::Result<ExitCode> {
    // Standard output, or a name that is already something else than a file, is written as it is.
    let (sink, what): (Box<dyn Write>, String) = match out {
        None => (Box::new(std::io::stdout().lock()), "standard output".to_owned()),
        Some(path) => {
            match crate::outfile::special(path).with_context(|| format!("cannot write {}", path.display()))? {
                Some(file) => (Box::new(file), path.display().to_string()),
                None => return write_replacing(path, write),
            }
        }
    };
    let mut w = BufWriter::with_capacity(1 << 16, sink);
    write(&mut w).and_then(|()| w.flush()).with_context(|| format!("cannot write {what}"))?;
    Ok(ExitCode::SUCCESS)
}

/// [`write_out`] into the file `path`: written beside it as `.NAME.partial`, renamed once whole.
fn write_replacing(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<Box<dyn Write>>) -> std::io::Result<()>,
) -> anyhow::Result<ExitCode> {
    let name = path.file_name().with_context(|| format!("cannot write {}: not a file name", path.display()))?;
    let partial = path.with_file_name(format!(".{}.partial", name.to_string_lossy()));
    let file = File::create(&partial).with_context(|| format!("cannot write {}", partial.display()))?;
    let mut w = BufWriter::with_capacity(1 << 16, Box::new(file) as Box<dyn Write>);
    let written = write(&mut w).and_then(|()| w.flush());
    drop(w);
    let done = written.and_then(|()| std::fs::rename(&partial, path));
    if done.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    done.with_context(|| format!("cannot write {}", path.display()))?;
    Ok(ExitCode::SUCCESS)
}
