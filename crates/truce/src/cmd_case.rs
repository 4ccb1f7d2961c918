//! `truce incidents` (the stored observations correlated into incidents) and `truce case` (compliance
//! cases on them).

use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use time::OffsetDateTime;
use truce_watch::case::{Case, Stage, Step};

use crate::args::StoreArgs;
use truce_formats::when::show;
use truce_node::data_dir;
use truce_node::watch::{self, CaseError};

/// Output formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    /// Lines for people.
    Text,
    /// JSON (one document; NDJSON for lists).
    Json,
}

/// `truce incidents`.
#[derive(Debug, Args)]
pub struct IncidentsArgs {
    /// Store, agreement and sectors.
    #[command(flatten)]
    pub store: StoreArgs,
    /// Incidents whose first report is at or after this (RFC 3339, YYYY-MM-DD or a DTG DDHHMMZMONYY; default 24 h before --until).
    #[arg(long, value_parser = truce_formats::when::instant)]
    pub since: Option<OffsetDateTime>,
    /// ... and before this (RFC 3339, YYYY-MM-DD or a DTG DDHHMMZMONYY; default now).
    #[arg(long, value_parser = truce_formats::when::instant)]
    pub until: Option<OffsetDateTime>,
    /// Only incidents with a violation.
    #[arg(long)]
    pub violations: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// `truce case ...`.
#[derive(Debug, Subcommand)]
pub enum CaseCommand {
    /// Open a case on one or more incidents.
    Open(OpenArgs),
    /// Move a case to its next stage (or close it).
    Move(MoveArgs),
    /// Add a note to a case.
    Note(NoteArgs),
    /// A case with its history.
    Show(ShowArgs),
    /// Every case.
    List(ListArgs),
}

/// `truce case open`.
#[derive(Debug, Args)]
pub struct OpenArgs {
    /// Store, agreement and sectors.
    #[command(flatten)]
    pub store: StoreArgs,
    /// Incident ids (`inc-...`), repeatable.
    #[arg(long = "incident", required = true)]
    pub incidents: Vec<String>,
    /// Title.
    #[arg(long)]
    pub title: String,
    /// Who opens it.
    #[arg(long)]
    pub by: String,
    /// A first note.
    #[arg(long)]
    pub note: Option<String>,
}

/// `truce case move`.
#[derive(Debug, Args)]
pub struct MoveArgs {
    /// The case.
    pub case: String,
    /// Store, agreement and sectors.
    #[command(flatten)]
    pub store: StoreArgs,
    /// The next stage: attribution, remedy or closed.
    #[arg(long)]
    pub to: Stage,
    /// Who.
    #[arg(long)]
    pub by: String,
    /// The responsible party (moving to attribution).
    #[arg(long)]
    pub party: Option<String>,
    /// The remedy demanded (moving to remedy) or the reason (closing).
    #[arg(long)]
    pub note: Option<String>,
}

/// `truce case note`.
#[derive(Debug, Args)]
pub struct NoteArgs {
    /// The case.
    pub case: String,
    /// Store, agreement and sectors.
    #[command(flatten)]
    pub store: StoreArgs,
    /// Who.
    #[arg(long)]
    pub by: String,
    /// The note.
    #[arg(long)]
    pub note: String,
}

/// `truce case show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The case.
    pub case: String,
    /// Store, agreement and sectors.
    #[command(flatten)]
    pub store: StoreArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// `truce case list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Store, agreement and sectors.
    #[command(flatten)]
    pub store: StoreArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

pub fn incidents(args: &IncidentsArgs) -> anyhow::Result<ExitCode> {
    let (store, agreement) = args.store.open()?;
    let sectors = data_dir::load_sectors(args.store.sectors.as_deref(), &agreement)?;
    let now = OffsetDateTime::now_utc();
    let until = args.until.unwrap_or(now);
    let since = args.since.unwrap_or(until - time::Duration::days(1));
    let policy = data_dir::load_policy(&args.store.data_dir())?;
    let mut list = watch::incidents(&*store, &policy, &sectors, since, until)?;
    if args.violations {
        list.retain(truce_watch::Incident::is_violation);
    }
    for i in &list {
        match args.format {
            Format::Json => outln!("{}", serde_json::to_string(i)?),
            Format::Text => outln!(
                "{}  {}  {:<24} x{:<3} {:>9.5} {:>9.5} ±{:.0} m ({:?})  {} report(s)  {}{}",
                i.id,
                show(i.time),
                i.category.id(),
                i.count,
                i.lat,
                i.lon,
                i.uncertainty_m,
                i.located_by,
                i.observations.len(),
                i.sector.as_deref().unwrap_or("-"),
                if i.is_violation() {
                    format!(
                        "  VIOLATION {}",
                        i.violations.iter().map(|v| v.code.as_str()).collect::<Vec<_>>().join(",")
                    )
                } else {
                    String::new()
                }
            ),
        }
    }
    if let Format::Text = args.format {
        eprintln!("{} incidents from {} to {}", list.len(), show(since), show(until));
    }
    Ok(ExitCode::SUCCESS)
}

pub fn case(cmd: &CaseCommand) -> anyhow::Result<ExitCode> {
    let now = OffsetDateTime::now_utc();
    let open_store = |s: &StoreArgs| s.open();
    let result = match cmd {
        CaseCommand::Open(a) => {
            let (store, agreement) = open_store(&a.store)?;
            let sectors = data_dir::load_sectors(a.store.sectors.as_deref(), &agreement)?;
            let policy = data_dir::load_policy(&a.store.data_dir())?;
            let opening =
                watch::Opening { title: &a.title, incidents: &a.incidents, by: &a.by, note: a.note.as_deref() };
            watch::open_case(&*store, &policy, &sectors, &opening, now).map(|(c, _)| c)
        }
        CaseCommand::Move(a) => {
            let (store, _) = open_store(&a.store)?;
            let step = Step { to: Some(a.to), by: a.by.clone(), party: a.party.clone(), note: a.note.clone() };
            watch::step_case(&*store, &a.case, &step, None, now).map(|(c, _)| c)
        }
        CaseCommand::Note(a) => {
            let (store, _) = open_store(&a.store)?;
            let step = Step { to: None, by: a.by.clone(), party: None, note: Some(a.note.clone()) };
            watch::step_case(&*store, &a.case, &step, None, now).map(|(c, _)| c)
        }
        CaseCommand::Show(a) => {
            let (store, _) = open_store(&a.store)?;
            match watch::case(&*store, &a.case)? {
                Some(c) => {
                    print_case(&c, a.format)?;
                    return Ok(ExitCode::SUCCESS);
                }
                None => Err(CaseError::NotFound(a.case.clone())),
            }
        }
        CaseCommand::List(a) => {
            let (store, _) = open_store(&a.store)?;
            for c in watch::cases(&*store)? {
                match a.format {
                    Format::Json => outln!("{}", serde_json::to_string(&c)?),
                    Format::Text => outln!(
                        "{}  {:<11}  {}  {} incident(s)  {}",
                        c.id,
                        c.stage,
                        show(c.opened_at),
                        c.facts.incidents.len(),
                        c.title
                    ),
                }
            }
            return Ok(ExitCode::SUCCESS);
        }
    };
    match result {
        Ok(c) => {
            print_case(&c, Format::Text)?;
            Ok(ExitCode::SUCCESS)
        }
        Err(CaseError::Store(e)) => Err(e.into()),
        Err(e) => {
            eprintln!("truce: {e}");
            Ok(ExitCode::from(1))
        }
    }
}

fn print_case(c: &Case, format: Format) -> anyhow::Result<()> {
    if let Format::Json = format {
        outln!("{}", serde_json::to_string_pretty(c)?);
        return Ok(());
    }
    outln!("{}  {}  [{}]", c.id, c.title, c.stage);
    outln!("  incidents: {}", c.facts.incidents.join(", "));
    outln!("  observations: {}", c.facts.observations.join(", "));
    if let Some(p) = &c.facts.party {
        outln!("  attributed to: {p}");
    }
    if let Some(r) = &c.facts.remedy {
        outln!("  remedy: {r}");
    }
    for a in &c.actions {
        outln!(
            "  {}. {} {} {} -> {}{}{}",
            a.seq,
            show(a.at),
            a.by,
            a.action,
            a.stage,
            a.party.as_deref().map(|p| format!(" (party {p})")).unwrap_or_default(),
            a.note.as_deref().map(|n| format!(": {n}")).unwrap_or_default()
        );
    }
    Ok(())
}
