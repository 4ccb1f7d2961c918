//! Reports in the structure of the OSCE SMM's products: the daily report, the spot report on one
//! serious incident, and the two-week status report.
//!
//! # Design
//!
//! A report is first a **model**, a plain serde struct computed from the store, the agreement and the
//! sectors for a period and an edition ([`model`]); then a **document**, format-neutral: its sections
//! in order, its sentences and what every table holds, as plain text (the private `doc` module, the one
//! place that decides what the two formats say); then it is **rendered**, with each format's own layout
//! and escaping, as Markdown ([`md`]) or as one self-contained HTML file with inline CSS and hand-written
//! inline SVG charts and maps ([`html`], [`svg`]); `--format json` is the model itself, so tests compare
//! it with the database. A report is written to an [`std::io::Write`] ([`write_daily`] ...), so the
//! server streams a JSON model to the client as it is serialised and the command line writes it to
//! its file, neither holding the whole text (a busy day's annex is serialised on a second thread
//! meanwhile, the private `json` module).
//!
//! - Ceasefire violations are counted **the OSCE way, on incidents**: one explosion reported by three
//!   monitors is one incident of `count` explosions (see `truce_watch::incident`), and the number of
//!   CFVs in a category is the sum of `count` over its incidents. Beside every such number the model
//!   gives the incidents and the reports (observations) behind them.
//! - Periods are the 24 hours ending at the cutoff in a time zone ([`period`]); comparisons are with the
//!   previous period; cumulative counts add up the periods from the agreement's effective date, each
//!   correlated on its own, exactly as the daily reports of those dates count.
//! - The **public** edition includes only `NATO UNCLASSIFIED` observations, before anything is counted
//!   (so no number leaks what is withheld), and says how many were withheld; the **restricted** edition
//!   includes everything the reader may see. Either carries the label of what went into it (the join of
//!   the observations' labels under the label policy) and states it on its banner.
//! - Every string that comes from an observation is user input: the renderers escape it for HTML and
//!   Markdown (which passes HTML through).

pub mod coast;
mod doc;
pub mod html;
mod json;
pub mod md;
pub mod mgrs;
pub mod model;
pub mod period;
pub mod svg;

use std::io::{self, Write};
use std::str::FromStr;

use serde::Serialize;

pub use model::{Context, DailyReport, SpotReport, StatusReport, Tallies, daily, spot, status};
pub use period::{Clock, DEFAULT_CUTOFF, DEFAULT_TZ, Period, not_after, parse_date, report_date, today_utc};

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// A parameter (command-line flag or API query parameter) is invalid.
    #[error("--{flag}: {value:?} {reason}")]
    Parameter {
        /// The flag or parameter, without dashes.
        flag: &'static str,
        /// The value given.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// No such incident (or none releasable in the edition asked for).
    #[error("{0}")]
    NotFound(String),
    /// The store failed.
    #[error("the store failed: {0}")]
    Store(#[from] truce_store::StoreError),
}

impl ReportError {
    /// The message without the flag (for the API, which names the parameter separately).
    pub fn reason(&self) -> String {
        match self {
            ReportError::Parameter { value, reason, .. } => format!("{value:?} {reason}"),
            other => other.to_string(),
        }
    }
}

/// Which readers a report is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Edition {
    /// Only `NATO UNCLASSIFIED` observations; how many were withheld is said.
    Public,
    /// Everything the reader may see.
    Restricted,
}

impl Edition {
    /// Parses `public` or `restricted`.
    ///
    /// # Errors
    /// [`ReportError::Parameter`] naming `edition`.
    pub fn parse(s: &str) -> Result<Self, ReportError> {
        s.parse()
    }

    /// `public` or `restricted`.
    pub fn id(self) -> &'static str {
        match self {
            Edition::Public => "public",
            Edition::Restricted => "restricted",
        }
    }
}

impl FromStr for Edition {
    type Err = ReportError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "public" => Ok(Edition::Public),
            "restricted" => Ok(Edition::Restricted),
            _ => Err(ReportError::Parameter {
                flag: "edition",
                value: s.to_owned(),
                reason: "is not public or restricted".to_owned(),
            }),
        }
    }
}

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One self-contained HTML file.
    Html,
    /// Markdown.
    Md,
    /// The report's model as JSON.
    Json,
}

impl Format {
    /// The media type to serve it with.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Html => "text/html; charset=utf-8",
            Format::Md => "text/markdown; charset=utf-8",
            Format::Json => "application/json",
        }
    }
}

impl FromStr for Format {
    type Err = ReportError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "html" => Ok(Format::Html),
            "md" | "markdown" => Ok(Format::Md),
            "json" => Ok(Format::Json),
            _ => Err(ReportError::Parameter {
                flag: "format",
                value: s.to_owned(),
                reason: "is not html, md or json".to_owned(),
            }),
        }
    }
}

/// Writes a daily report to `w`.
///
/// # Errors
/// When writing fails.
pub fn write_daily(r: &DailyReport, format: Format, w: &mut impl Write) -> io::Result<()> {
    match format {
        Format::Html => w.write_all(html::daily(r).as_bytes()),
        Format::Md => w.write_all(md::daily(r).as_bytes()),
        Format::Json => json::daily(r, w),
    }
}

/// Writes a spot report to `w`.
///
/// # Errors
/// When writing fails.
pub fn write_spot(r: &SpotReport, format: Format, w: &mut impl Write) -> io::Result<()> {
    match format {
        Format::Html => w.write_all(html::spot(r).as_bytes()),
        Format::Md => w.write_all(md::spot(r).as_bytes()),
        Format::Json => json::json(r, w),
    }
}

/// Writes a status report to `w`.
///
/// # Errors
/// When writing fails.
pub fn write_status(r: &StatusReport, format: Format, w: &mut impl Write) -> io::Result<()> {
    match format {
        Format::Html => w.write_all(html::status(r).as_bytes()),
        Format::Md => w.write_all(md::status(r).as_bytes()),
        Format::Json => json::json(r, w),
    }
}
