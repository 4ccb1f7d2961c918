//! How a nation's position moved: each pledge's history, oldest first, with its sources, and where and
//! when each entry was recorded (file, line, import), so a re-import that adds a later status shows as
//! one more step and nothing earlier disappears.

use serde::Serialize;

use crate::model::{Coalition, HistoryEntry, Nation, Pledge, Status};

/// One step, with the status it moved from.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// The entry.
    #[serde(flatten)]
    pub entry: HistoryEntry,
    /// The status before it (`None` for the first).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<Status>,
    /// The file and line it was read from.
    pub file: String,
    /// Line.
    pub line: usize,
    /// The import that first recorded it.
    pub import: i64,
    /// When that import ran.
    pub imported_at: String,
}

/// One pledge's history.
#[derive(Debug, Clone, Serialize)]
pub struct PledgeHistory {
    /// The pledge.
    pub pledge: Pledge,
    /// Its current status.
    pub status: Status,
    /// Its steps, oldest first.
    pub steps: Vec<Step>,
}

/// A nation's history.
#[derive(Debug, Clone, Serialize)]
pub struct NationHistory {
    /// The nation.
    pub nation: Nation,
    /// Its pledges.
    pub pledges: Vec<PledgeHistory>,
}

/// Finds a nation by ISO alpha-3 code (any case) or by name (any case).
pub fn find_nation<'a>(c: &'a Coalition, key: &str) -> Option<&'a Nation> {
    c.nations.iter().find(|n| n.id.eq_ignore_ascii_case(key)).or_else(|| {
        let k = key.to_lowercase();
        c.nations.iter().find(|n| n.name.to_lowercase() == k)
    })
}

/// The history of `nation`'s pledges, or `None` if no nation has that code or name.
pub fn history(c: &Coalition, nation: &str) -> Option<NationHistory> {
    let n = find_nation(c, nation)?;
    let lookup = c.lookup();
    let mut pledges = Vec::new();
    for p in lookup.pledges_of(c, &n.id) {
        let entries = lookup.history(c, &p.id);
        let Some(last) = entries.last() else { continue };
        let mut from = None;
        let mut steps = Vec::new();
        for h in entries.iter().copied() {
            steps.push(Step {
                entry: h.clone(),
                from,
                file: h.recorded.file.clone(),
                line: h.recorded.line,
                import: h.recorded.import,
                imported_at: h.recorded.at.clone(),
            });
            from = Some(h.status);
        }
        pledges.push(PledgeHistory { pledge: p.clone(), status: last.status, steps });
    }
    Some(NationHistory { nation: n.clone(), pledges })
}
