//! The coalition in the store: import files, load everything back.
//!
//! # Design
//!
//! Import reads what the store holds, loads the files on top of it (so references may point at what
//! an earlier import brought), and only when there is no problem at all writes the files' entities,
//! history entries and progress points in one transaction (`truce-store`'s `import_coalition`). The
//! bodies are this crate's serde shapes; where a row came from (file, line, import) lives beside the
//! body, not in it, so importing the same file again changes nothing, and history entries are only ever
//! added or reworded, never removed.
//!
//! Every row goes to the store with its label (also in its body, when not the default). [`load`]
//! reads through whatever store handle it is given: a viewer's handle returns only what the viewer may
//! see, and [`Coalition::drop_unresolved`] then removes the references to what it may not, so that
//! everything computed from the result (summary, gaps, history, plans and their check, regeneration)
//! is computed from the viewer's part alone.

use std::path::PathBuf;

use time::OffsetDateTime;
use truce_access::Policy;
use truce_core::Label;
use truce_store::{CoalitionBatch, CoalitionImportReport, CoalitionItem, CoalitionStore, PledgeEvent, ProgressPoint};

use crate::file::{Loaded, Problems};
use crate::model::{Coalition, HistoryEntry, Progress, Recorded};

/// Why an import or a load failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CoalitionError {
    /// The files have problems; nothing was stored.
    #[error("{} problem{} found; nothing was imported", .0.0.len(), if .0.0.len() == 1 { "" } else { "s" })]
    Invalid(Problems),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] truce_store::StoreError),
    /// A stored body does not decode (the database was changed outside truce).
    #[error("stored coalition {kind} {id:?}: {reason}")]
    Corrupt {
        /// Kind of row.
        kind: String,
        /// Its id.
        id: String,
        /// Why.
        reason: String,
    },
}

/// What an import did.
#[derive(Debug, Clone)]
pub struct Imported {
    /// What changed in the store.
    pub report: CoalitionImportReport,
    /// The files as loaded.
    pub loaded: Loaded,
}

fn body<T: serde::Serialize>(t: &T) -> String {
    serde_json::to_string(t).unwrap_or_default()
}

/// The rows for the store of what `loaded` defines.
pub fn batch(loaded: &Loaded) -> CoalitionBatch {
    let new = &loaded.new;
    let origin = |kind: &str, id: &str| -> (String, i64) {
        loaded
            .origins
            .get(&(kind.to_owned(), id.to_owned()))
            .map_or((String::new(), 0), |(f, l)| (f.clone(), *l as i64))
    };
    let mut items = Vec::new();
    let mut item = |kind: &str, id: &str, b: String, label: &Label| {
        let (file, line) = origin(kind, id);
        items.push(CoalitionItem {
            kind: kind.to_owned(),
            id: id.to_owned(),
            body: b,
            file,
            line,
            label: label.clone(),
        });
    };
    for x in &new.nations {
        item("nation", &x.id, body(x), &x.label);
    }
    for x in &new.measures {
        item("measure", &x.id, body(x), &x.label);
    }
    for x in &new.pledges {
        item("pledge", &x.id, body(x), &x.label);
    }
    for x in &new.requirements {
        item("requirement", &x.id, body(x), &x.label);
    }
    if let Some(t) = &new.theatre {
        item("theatre", "theatre", body(t), &t.label);
    }
    for x in &new.places {
        item("place", &x.id, body(x), &x.label);
    }
    for x in &new.units {
        item("unit", &x.id, body(x), &x.label);
    }
    for x in &new.plans {
        item("plan", &x.id, body(x), &x.label);
    }
    for x in &new.targets {
        item("target", &x.id, body(x), &x.label);
    }
    for x in &new.milestones {
        item("milestone", &x.id, body(x), &x.label);
    }
    let history = new
        .history
        .iter()
        .map(|h| PledgeEvent {
            pledge: h.pledge.clone(),
            date: h.date.to_string(),
            status: h.status.id().to_owned(),
            source: h.source.clone(),
            body: body(h),
            file: h.recorded.file.clone(),
            line: h.recorded.line as i64,
            label: h.label.clone(),
        })
        .collect();
    let progress = new
        .progress
        .iter()
        .map(|p| ProgressPoint {
            target: p.target.clone(),
            date: p.date.to_string(),
            body: body(p),
            file: p.recorded.file.clone(),
            line: p.recorded.line as i64,
            label: p.label.clone(),
        })
        .collect();
    CoalitionBatch { files: loaded.files.clone(), items, history, progress }
}

/// Imports coalition files into the store: every problem (a label code `policy` does not know among
/// them), or one transaction. `store` should read everything (the operator's): references resolve
/// against what it returns.
///
/// # Errors
/// [`CoalitionError::Invalid`] with every problem (nothing stored), or the store failed.
pub fn import(store: &dyn CoalitionStore, paths: &[PathBuf], policy: &Policy) -> Result<Imported, CoalitionError> {
    let base = load(store)?;
    let loaded = crate::file::load(paths, &base, policy).map_err(CoalitionError::Invalid)?;
    let report = store.import_coalition(&batch(&loaded), OffsetDateTime::now_utc())?;
    Ok(Imported { report, loaded })
}

fn decode<T: serde::de::DeserializeOwned>(kind: &str, id: &str, body: &str) -> Result<T, CoalitionError> {
    serde_json::from_str(body).map_err(|e| CoalitionError::Corrupt {
        kind: kind.to_owned(),
        id: id.to_owned(),
        reason: e.to_string(),
    })
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// Everything the store holds about the coalition that its handle's viewer may see, without the
/// references to what it may not ([`Coalition::drop_unresolved`]).
///
/// # Errors
/// The store failed or holds a body that does not decode.
pub fn load(store: &dyn CoalitionStore) -> Result<Coalition, CoalitionError> {
    let mut c = Coalition::default();
    for s in store.coalition_items()? {
        let it = &s.row;
        let (k, id, b) = (it.kind.as_str(), it.id.as_str(), it.body.as_str());
        match k {
            "nation" => c.nations.push(decode(k, id, b)?),
            "measure" => c.measures.push(decode(k, id, b)?),
            "pledge" => c.pledges.push(decode(k, id, b)?),
            "requirement" => c.requirements.push(decode(k, id, b)?),
            "theatre" => c.theatre = Some(decode(k, id, b)?),
            "place" => c.places.push(decode(k, id, b)?),
            "unit" => c.units.push(decode(k, id, b)?),
            "plan" => {
                let mut plan: crate::model::Plan = decode(k, id, b)?;
                plan.file.clone_from(&it.file);
                c.plans.push(plan);
            }
            "target" => c.targets.push(decode(k, id, b)?),
            "milestone" => c.milestones.push(decode(k, id, b)?),
            other => {
                return Err(CoalitionError::Corrupt {
                    kind: other.to_owned(),
                    id: id.to_owned(),
                    reason: "unknown kind".to_owned(),
                });
            }
        }
    }
    // Entities come back ordered by id; keep file order where it matters to people (requirements as
    // written are in id order too, which the files' ids are chosen for).
    for s in store.pledge_history()? {
        let mut h: HistoryEntry = decode("history", &s.row.pledge, &s.row.body)?;
        h.recorded =
            Recorded { file: s.row.file, line: s.row.line as usize, import: s.import, at: rfc3339(s.imported_at) };
        c.history.push(h);
    }
    for s in store.regeneration_progress()? {
        let mut p: Progress = decode("progress", &s.row.target, &s.row.body)?;
        p.recorded =
            Recorded { file: s.row.file, line: s.row.line as usize, import: s.import, at: rfc3339(s.imported_at) };
        c.progress.push(p);
    }
    c.drop_unresolved();
    c.normalise();
    Ok(c)
}
