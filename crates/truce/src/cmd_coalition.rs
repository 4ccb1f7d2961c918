//! `truce coalition`, `truce plan` and `truce regeneration`: the coalition's pledges, gaps and
//! history, deployment plans checked against the agreement, and Ukraine's regeneration, over the store
//! (crate `truce-coalition`; formats and rules in docs/coalition.md).
//!
//! Exit codes: 0 success; 1 a plan check found an error; 2 the command could not run (bad files —
//! every problem printed as `FILE:LINE: field: reason` and nothing imported —, an unknown nation or
//! plan, a store failure).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use truce_coalition::model::{Day, Status};
use truce_coalition::store::CoalitionError;
use truce_coalition::{Coalition, gaps, history, plan, regeneration, summary, text};
use truce_store::CoalitionStore;

use crate::args::StoreArgs;
use truce_node::data_dir;

/// `truce coalition ...`.
#[derive(Debug, Subcommand)]
pub enum CoalitionCommand {
    /// Load coalition files (TOML) into the store: every problem at once, or all of it in one transaction.
    Import(ImportArgs),
    /// Nations × domains with each pledge's status, and totals by status.
    Summary(ViewArgs),
    /// Each requirement against the pledges that can fill it, the shortfall, and what changes if the
    /// conditional pledges come in (--assume conditional).
    Gaps(GapsArgs),
    /// How a nation's position moved, with sources.
    History(HistoryArgs),
}

/// `truce plan ...`.
#[derive(Debug, Subcommand)]
pub enum PlanCommand {
    /// Check a plan (an imported plan's id, or a plan file) against the agreement and the pledges;
    /// exit code 1 when any finding is an error.
    Check(PlanCheckArgs),
}

/// `truce regeneration ...`.
#[derive(Debug, Subcommand)]
pub enum RegenerationCommand {
    /// Progress against each target, the trend and the projected date.
    Status(RegenerationArgs),
}

/// Output formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    /// Tables for people.
    Text,
    /// JSON (the API's shapes).
    Json,
}

/// `truce coalition import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Coalition files (TOML, docs/coalition.md).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The data directory.
    #[command(flatten)]
    pub store: StoreArgs,
}

/// A view of the coalition.
#[derive(Debug, Args)]
pub struct ViewArgs {
    /// The data directory.
    #[command(flatten)]
    pub store: StoreArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// `truce coalition gaps`.
#[derive(Debug, Args)]
pub struct GapsArgs {
    /// Also count pledges of this status (conditional, undecided); may be repeated.
    #[arg(long, value_parser = parse_status)]
    pub assume: Vec<Status>,
    /// Only this planning phase.
    #[arg(long)]
    pub phase: Option<String>,
    /// The data directory.
    #[command(flatten)]
    pub store: StoreArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// `truce coalition history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The nation: ISO 3166 alpha-3 code (e.g. DEU) or name.
    pub nation: String,
    /// The data directory.
    #[command(flatten)]
    pub store: StoreArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// `truce plan check`.
#[derive(Debug, Args)]
pub struct PlanCheckArgs {
    /// An imported plan's id, or a plan file (TOML; checked on top of what the store holds, not imported).
    pub plan: String,
    /// Store and agreement.
    #[command(flatten)]
    pub store: StoreArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// `truce regeneration status`.
#[derive(Debug, Args)]
pub struct RegenerationArgs {
    /// The status as of this date (YYYY-MM-DD): later measurements are ignored.
    #[arg(long, value_parser = parse_day)]
    pub at: Option<Day>,
    /// The data directory.
    #[command(flatten)]
    pub store: StoreArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

fn parse_status(s: &str) -> Result<Status, String> {
    match Status::parse(s)? {
        st @ (Status::Conditional | Status::Undecided) => Ok(st),
        st => Err(format!("{st} pledges are {}", if st.is_firm() { "always counted" } else { "never counted" })),
    }
}

/// A day, as every date flag takes it ([`truce_formats::when::date`]).
fn parse_day(s: &str) -> Result<Day, String> {
    truce_formats::when::date(s).map(Day)
}

fn load(store: &dyn CoalitionStore) -> anyhow::Result<Coalition> {
    truce_coalition::load(store).context("cannot read the coalition from the store")
}

fn print_json(v: &impl serde::Serialize) -> anyhow::Result<()> {
    outln!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

/// Runs `truce coalition ...`.
pub fn coalition(cmd: &CoalitionCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        CoalitionCommand::Import(a) => {
            // An import brings data in: it may make the data directory.
            let store = a.store.records(true)?;
            let policy = data_dir::load_policy(&a.store.data_dir())?;
            import(&*store, &a.files, &policy)
        }
        CoalitionCommand::Summary(a) => {
            let c = load(&*a.store.records(false)?)?;
            let s = summary::summary(&c);
            match a.format {
                Format::Text => out!("{}", text::summary(&s)),
                Format::Json => print_json(&s)?,
            }
            Ok(ExitCode::SUCCESS)
        }
        CoalitionCommand::Gaps(a) => {
            let c = load(&*a.store.records(false)?)?;
            if let Some(p) = &a.phase
                && !c.requirements.iter().any(|r| &r.phase == p)
            {
                let mut phases: Vec<&str> = c.requirements.iter().map(|r| r.phase.as_str()).collect();
                phases.sort_unstable();
                phases.dedup();
                anyhow::bail!("no requirement in phase {p:?} (phases: {})", phases.join(", "));
            }
            let g = gaps::gaps(&c, &a.assume, a.phase.as_deref());
            match a.format {
                Format::Text => out!("{}", text::gaps(&g)),
                Format::Json => print_json(&g)?,
            }
            Ok(ExitCode::SUCCESS)
        }
        CoalitionCommand::History(a) => {
            let c = load(&*a.store.records(false)?)?;
            let Some(h) = history::history(&c, &a.nation) else {
                let known: Vec<&str> = c.nations.iter().map(|n| n.id.as_str()).collect();
                anyhow::bail!("no nation {:?} (known: {})", a.nation, known.join(", "));
            };
            match a.format {
                Format::Text => out!("{}", text::history(&h)),
                Format::Json => print_json(&h)?,
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Imports files, printing every problem (a label code `policy` does not know among them) or what
/// changed.
fn import(store: &dyn CoalitionStore, files: &[PathBuf], policy: &truce_access::Policy) -> anyhow::Result<ExitCode> {
    match truce_coalition::import(store, files, policy) {
        Ok(done) => {
            let r = &done.report;
            if r.is_empty() {
                outln!("truce: nothing changed: the store already holds everything in these files");
            } else {
                outln!(
                    "truce: import {}: {} added and {} changed entities, {} history entries added ({} reworded), {} progress points added ({} changed)",
                    r.import.unwrap_or_default(),
                    r.items_added,
                    r.items_changed,
                    r.history_added,
                    r.history_changed,
                    r.progress_added,
                    r.progress_changed
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(CoalitionError::Invalid(problems)) => {
            for p in &problems.0 {
                eprintln!("error: {p}");
            }
            eprintln!(
                "truce: {} problem{} found; nothing was imported",
                problems.0.len(),
                if problems.0.len() == 1 { "" } else { "s" }
            );
            Ok(ExitCode::from(2))
        }
        Err(e) => Err(e.into()),
    }
}

/// Runs `truce plan ...`.
pub fn plan(cmd: &PlanCommand) -> anyhow::Result<ExitCode> {
    let PlanCommand::Check(a) = cmd;
    let (store, agreement) = a.store.open()?;
    let path = Path::new(&a.plan);
    let mut base = load(&*store)?;
    if base.nations.is_empty() && base.measures.is_empty() && base.units.is_empty() && base.plans.is_empty() {
        base = shipped_coalition(&a.store.data_dir(), path)?;
    }
    let (coalition, plans): (Coalition, Vec<String>) = if path.is_file() {
        let policy = data_dir::load_policy(&a.store.data_dir())?;
        match truce_coalition::file::load(&[path.to_path_buf()], &base, &policy) {
            Ok(l) => {
                let ids: Vec<String> = l.new.plans.iter().map(|p| p.id.clone()).collect();
                if ids.is_empty() {
                    anyhow::bail!("{} defines no [[plans]]", path.display());
                }
                (l.merged, ids)
            }
            Err(problems) => {
                for p in &problems.0 {
                    eprintln!("error: {p}");
                }
                eprintln!("truce: {} problem{} found", problems.0.len(), if problems.0.len() == 1 { "" } else { "s" });
                return Ok(ExitCode::from(2));
            }
        }
    } else {
        if !base.plans.iter().any(|p| p.id == a.plan) {
            let known: Vec<&str> = base.plans.iter().map(|p| p.id.as_str()).collect();
            anyhow::bail!(
                "no plan {:?} in the store and no such file (imported plans: {})",
                a.plan,
                if known.is_empty() { "none".to_owned() } else { known.join(", ") }
            );
        }
        (base, vec![a.plan.clone()])
    };
    let checker = plan::Checker::new(&agreement, &coalition).map_err(|e| anyhow::anyhow!(e))?;
    let mut errors = 0;
    let mut checks = Vec::new();
    for id in &plans {
        let Some(p) = coalition.plans.iter().find(|p| &p.id == id) else { continue };
        let check = checker.check(p);
        errors += check.errors;
        checks.push(check);
    }
    match a.format {
        Format::Text => {
            for c in &checks {
                out!("{}", text::plan_check(c));
            }
        }
        Format::Json if checks.len() == 1 => print_json(&checks[0])?,
        Format::Json => print_json(&checks)?,
    }
    Ok(if errors > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// The shipped coalition (positions, the illustrative force and plans, regeneration), for checking a
/// plan on a data directory where none is imported, saying so on standard error; a shipped file with
/// the same content as `plan` is left out, so checking `data/coalition/force.toml` does not define
/// its entities twice.
fn shipped_coalition(dir: &Path, plan: &Path) -> anyhow::Result<Coalition> {
    let root = truce_node::shipped::in_data_dir(dir)?;
    let plan_text = std::fs::read(plan).ok();
    let files: Vec<PathBuf> = truce_node::shipped::COALITION
        .iter()
        .map(|p| root.join(p))
        .filter(|p| plan_text.is_none() || std::fs::read(p).ok() != plan_text)
        .collect();
    let names: Vec<String> = truce_node::shipped::COALITION.iter().map(|p| format!("data/{p}")).collect();
    eprintln!(
        "truce: no coalition is imported in {}: checking against the coalition shipped with truce ({}); \
         import yours with `truce coalition import FILE... --data-dir {}`",
        dir.display(),
        names.join(", "),
        dir.display()
    );
    let policy = data_dir::load_policy(dir)?;
    truce_coalition::file::load(&files, &Coalition::default(), &policy)
        .map(|l| l.merged)
        .map_err(|p| anyhow::anyhow!("the shipped coalition does not load: {p}"))
}

/// Runs `truce regeneration ...`.
pub fn regeneration(cmd: &RegenerationCommand) -> anyhow::Result<ExitCode> {
    let RegenerationCommand::Status(a) = cmd;
    let c = load(&*a.store.records(false)?)?;
    let r = regeneration::status(&c, a.at);
    match a.format {
        Format::Text => out!("{}", text::regeneration(&r)),
        Format::Json => print_json(&r)?,
    }
    Ok(ExitCode::SUCCESS)
}
