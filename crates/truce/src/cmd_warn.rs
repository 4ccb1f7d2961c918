//! `truce warn`: the early-warning picture now (`status`) and a replay of the demo scenario that
//! measures each detector (`backtest`).
//!
//! The backtest generates the scenario's days, classifies every observation, and then steps through
//! them an hour at a time: at each hour it correlates what had been reported by then into incidents and
//! asks [`truce_watch::Watch`] for the picture, exactly as the server does live. For every detector it
//! records when it first fired in the escalating sector after the onset (the detection delay), how
//! often it fired there before (precursors), and how many separate times it fired in the quiet sectors
//! (false alarms); for the fused level, the delay to *high* and the highest level of each quiet sector.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;
use time::{Duration, OffsetDateTime};
use truce_core::StoredObservation;
use truce_engine::Agreement;
use truce_watch::{Detector, Level, Sectors};

use crate::args::StoreArgs;
use truce_formats::when::{instant, show};
use truce_node::data_dir;
use truce_node::sources::demo::scenario;

/// `truce warn ...`.
#[derive(Debug, Subcommand)]
pub enum WarnCommand {
    /// Replay the demo scenario hour by hour and print each detector's detection delay and false alarms.
    Backtest(BacktestArgs),
    /// The warning level of every sector now (or at --at), with the reasons.
    Status(StatusArgs),
}

/// Output formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    /// A table for people.
    Text,
    /// JSON.
    Json,
}

/// `truce warn backtest`.
#[derive(Debug, Args)]
pub struct BacktestArgs {
    /// Seed of the scenario.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Days replayed.
    #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(i64).range(2..=60))]
    pub days: i64,
    /// When the scenario starts (RFC 3339, YYYY-MM-DD or a DTG DDHHMMZMONYY).
    #[arg(long, value_parser = instant, default_value = "2026-11-17T00:00:00Z")]
    pub start: OffsetDateTime,
    /// The agreement (default: the illustrative agreement shipped with truce).
    #[arg(long)]
    pub agreement: Option<PathBuf>,
    /// The sectors (default: the shipped sectors when they fit the agreement).
    #[arg(long)]
    pub sectors: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// `truce warn status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Store, agreement and sectors.
    #[command(flatten)]
    pub store: StoreArgs,
    /// Assess at this time (RFC 3339, YYYY-MM-DD or a DTG DDHHMMZMONYY; default now).
    #[arg(long, value_parser = instant)]
    pub at: Option<OffsetDateTime>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

pub fn run(cmd: &WarnCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        WarnCommand::Backtest(args) => backtest_command(args),
        WarnCommand::Status(args) => status(args),
    }
}

/// One detector's record over a backtest.
#[derive(Debug, Clone, Serialize)]
pub struct DetectorResult {
    /// The detector.
    pub detector: Detector,
    /// Hours from the onset to its first firing in the escalating sector.
    pub delay_hours: Option<i64>,
    /// Separate firings in the escalating sector before the onset.
    pub before_onset: u32,
    /// Separate firings in the quiet sectors.
    pub false_alarms: u32,
    /// Hours from the start to its first firing outside every sector (the rear: storage sites).
    pub rear_first_hour: Option<i64>,
}

/// A sector's levels over a backtest.
#[derive(Debug, Clone, Serialize)]
pub struct SectorResult {
    /// Sector name.
    pub sector: String,
    /// Whether the scenario escalates here.
    pub escalating: bool,
    /// Highest level before the onset.
    pub max_before_onset: Level,
    /// Highest level from the onset on.
    pub max_after_onset: Level,
    /// Hours from the onset to the first hour at *high* or above.
    pub high_delay_hours: Option<i64>,
}

/// What a backtest measured.
#[derive(Debug, Clone, Serialize)]
pub struct Backtest {
    /// The escalating sector.
    pub escalating: String,
    /// When the escalation begins.
    #[serde(with = "time::serde::rfc3339")]
    pub onset: OffsetDateTime,
    /// Hours assessed.
    pub hours: i64,
    /// Observations replayed.
    pub observations: usize,
    /// Per detector.
    pub detectors: Vec<DetectorResult>,
    /// Per sector.
    pub sectors: Vec<SectorResult>,
}

/// Replays `days` of the scenario from `start` and measures every detector.
pub fn backtest(agreement: &Agreement, sectors: &Sectors, seed: u64, start: OffsetDateTime, days: i64) -> Backtest {
    let line = truce_node::sources::demo::demo_line(agreement).unwrap_or_default();
    let escalating = scenario::sectors(&line)[scenario::ESCALATING].name.to_owned();
    let onset = start + Duration::days(scenario::ESCALATION_DAY - 1);
    let stored: Vec<StoredObservation> = scenario::Scenario::new(&line, seed, start)
        .hours(24 * days)
        .into_iter()
        .map(|observation| {
            let classification = agreement.classify_record(&observation);
            StoredObservation { observation, classification, received_at: start }
        })
        .collect();
    let names: Vec<String> = sectors.sectors.iter().map(|s| s.name.clone()).collect();
    let mut firing: HashMap<(usize, Detector), bool> = HashMap::new();
    let mut detectors: Vec<DetectorResult> = Detector::ALL
        .iter()
        .map(|&detector| DetectorResult {
            detector,
            delay_hours: None,
            before_onset: 0,
            false_alarms: 0,
            rear_first_hour: None,
        })
        .collect();
    let mut results: Vec<SectorResult> = names
        .iter()
        .map(|n| SectorResult {
            sector: n.clone(),
            escalating: *n == escalating,
            max_before_onset: Level::Normal,
            max_after_onset: Level::Normal,
            high_delay_hours: None,
        })
        .collect();
    let end = start + Duration::days(days);
    let Ok(()) = truce_node::watch::hourly::<std::convert::Infallible>(
        agreement,
        sectors,
        &stored,
        start,
        end,
        |hour, picture| {
            let at = start + Duration::hours(hour);
            let after = at > onset;
            let delay = (at - onset).whole_hours();
            for d in &mut detectors {
                if d.rear_first_hour.is_none() && picture.reasons.iter().any(|x| x.detector == d.detector) {
                    d.rear_first_hour = Some(hour);
                }
            }
            for (k, s) in picture.sectors.iter().enumerate() {
                let r = &mut results[k];
                if after {
                    r.max_after_onset = r.max_after_onset.max(s.level);
                    if r.escalating && s.level >= Level::High && r.high_delay_hours.is_none() {
                        r.high_delay_hours = Some(delay);
                    }
                } else {
                    r.max_before_onset = r.max_before_onset.max(s.level);
                }
                for d in &mut detectors {
                    let fired = s.reasons.iter().any(|x| x.detector == d.detector);
                    let was = firing.insert((k, d.detector), fired).unwrap_or(false);
                    if !fired || was && !(r.escalating && after && d.delay_hours.is_none()) {
                        continue;
                    }
                    match (r.escalating, after) {
                        (true, true) => {
                            d.delay_hours.get_or_insert(delay);
                        }
                        (true, false) => d.before_onset += 1,
                        (false, _) => d.false_alarms += 1,
                    }
                }
            }
            Ok(())
        },
    );
    Backtest { escalating, onset, hours: 24 * days, observations: stored.len(), detectors, sectors: results }
}

fn backtest_command(args: &BacktestArgs) -> anyhow::Result<ExitCode> {
    let path = match &args.agreement {
        Some(p) => p.clone(),
        None => truce_node::shipped::in_temp_dir()?.join(truce_node::shipped::AGREEMENT),
    };
    let agreement = data_dir::load_agreement(&path)?;
    let sectors = data_dir::load_sectors(args.sectors.as_deref(), &agreement)?;
    let started = std::time::Instant::now();
    let b = backtest(&agreement, &sectors, args.seed, args.start, args.days);
    if let Format::Json = args.format {
        outln!("{}", serde_json::to_string_pretty(&b)?);
        return Ok(ExitCode::SUCCESS);
    }
    outln!(
        "Backtest: seed {}, {} days from {}, {} observations, {} hourly assessments ({:.1} s)",
        args.seed,
        args.days,
        show(args.start),
        b.observations,
        b.hours,
        started.elapsed().as_secs_f64()
    );
    outln!("Escalation: {} from {}\n", b.escalating, show(b.onset));
    outln!(
        "{:<24} {:>14} {:>13} {:>21} {:>15}",
        "detector",
        "delay (hours)",
        "before onset",
        "false alarms (quiet)",
        "rear (hour)"
    );
    let or_dash = |h: Option<i64>| h.map_or_else(|| "-".to_owned(), |h| h.to_string());
    for d in &b.detectors {
        outln!(
            "{:<24} {:>14} {:>13} {:>21} {:>15}",
            d.detector.id(),
            or_dash(d.delay_hours),
            d.before_onset,
            d.false_alarms,
            or_dash(d.rear_first_hour)
        );
    }
    outln!("\n{:<16} {:>18} {:>18} {:>18}", "sector", "max before onset", "max after onset", "high after (h)");
    for s in &b.sectors {
        let delay = or_dash(s.high_delay_hours);
        let name = if s.escalating { format!("{} *", s.sector) } else { s.sector.clone() };
        outln!("{:<16} {:>18} {:>18} {:>18}", name, s.max_before_onset.id(), s.max_after_onset.id(), delay);
    }
    Ok(ExitCode::SUCCESS)
}

fn status(args: &StatusArgs) -> anyhow::Result<ExitCode> {
    let (store, agreement) = args.store.open()?;
    let sectors = data_dir::load_sectors(args.store.sectors.as_deref(), &agreement)?;
    let at = args.at.unwrap_or_else(OffsetDateTime::now_utc);
    let policy = data_dir::load_policy(&args.store.data_dir())?;
    let picture = truce_node::watch::assess_store(&*store, &agreement, &policy, &sectors, at)?;
    if let Format::Json = args.format {
        outln!("{}", serde_json::to_string_pretty(&picture)?);
        return Ok(ExitCode::SUCCESS);
    }
    outln!("Warning level at {}: {}", show(picture.at), picture.level.id().to_uppercase());
    for r in &picture.reasons {
        outln!("  (rear) {}: {}", r.detector.id(), r.message);
    }
    for s in &picture.sectors {
        outln!("{:<16} {}", s.name, s.level.id());
        for r in &s.reasons {
            outln!("    {}: {}", r.detector.id(), r.message);
        }
    }
    for n in &picture.notes {
        outln!("note: {n}");
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(p: &str) -> PathBuf {
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join(p)
    }

    #[test]
    fn the_demo_escalation_is_detected_within_a_day_and_quiet_sectors_stay_at_most_elevated() {
        let agreement = Agreement::load(&repo("data/agreements/illustrative.toml")).unwrap();
        let sectors = Sectors::load(&repo("data/warning/sectors.toml"), &agreement).unwrap();
        let start = time::macros::datetime!(2026-11-17 00:00 UTC);
        let b = backtest(&agreement, &sectors, 1, start, 7);
        eprintln!("{}", serde_json::to_string_pretty(&b).unwrap());
        let escalating = b.sectors.iter().find(|s| s.escalating).unwrap();
        assert_eq!(escalating.sector, "Pokrovsk");
        let delay = escalating.high_delay_hours.expect("the escalation was not detected");
        assert!(delay <= 24, "detected after {delay} hours");
        for s in b.sectors.iter().filter(|s| !s.escalating) {
            assert!(s.max_before_onset <= Level::Elevated && s.max_after_onset <= Level::Elevated, "{s:?}");
        }
        let cusum = b.detectors.iter().find(|d| d.detector == Detector::Cusum).unwrap();
        assert!(cusum.delay_hours.is_some_and(|h| h <= 24), "{cusum:?}");
        // Three launchers go missing from the Luhansk storage site on day 4 (hours 72-96).
        let missing = b.detectors.iter().find(|d| d.detector == Detector::MissingFromStorage).unwrap();
        assert!(missing.rear_first_hour.is_some_and(|h| (72..=96).contains(&h)), "{missing:?}");
    }
}
