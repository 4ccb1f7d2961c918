//! The coalition at a glance: nations × domains with each pledge's current status, and totals.
//!
//! A cell holds every pledge of that nation in that domain; its status is the strongest of them
//! ([`Status::rank`]: deployed > approved > committed > conditional > undecided > withdrawn > declined),
//! so a nation that declined troops but offered logistics shows both in their own columns. Totals count
//! pledges by status, nations by their strongest status, and the quantities pledged per measure and
//! status (only where a position gave a number).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::{Coalition, Condition, Dated, Day, Domain, Location, Milestone, Status};

/// One pledge in a cell.
#[derive(Debug, Clone, Serialize)]
pub struct PledgeCell {
    /// Pledge id.
    pub id: String,
    /// Current status.
    pub status: Status,
    /// In words.
    pub capability: String,
    /// Current quantity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantity: Option<f64>,
    /// Its measure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub measure: Option<String>,
    /// Where it may be.
    pub locations: Vec<Location>,
    /// What it depends on.
    pub conditions: Vec<Condition>,
    /// Date of the current status.
    pub date: Day,
    /// How exact the date is.
    pub dated: Dated,
    /// Source of the current status.
    pub source: String,
    /// The words quoted.
    pub quote: String,
    /// Reported by a relay only.
    pub relay: bool,
    /// Invented.
    pub illustrative: bool,
}

/// One cell of the table.
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    /// The domain.
    pub domain: Domain,
    /// The strongest status of the pledges in it; `None` when the nation pledged nothing here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// The pledges.
    pub pledges: Vec<PledgeCell>,
}

/// One nation's row.
#[derive(Debug, Clone, Serialize)]
pub struct NationRow {
    /// ISO alpha-3.
    pub nation: String,
    /// Name.
    pub name: String,
    /// The strongest status over all its pledges.
    pub status: Status,
    /// One cell per domain, in [`Domain::ALL`] order.
    pub cells: Vec<Cell>,
    /// The latest date of any of its positions.
    pub latest: Day,
}

/// Totals of one status.
#[derive(Debug, Clone, Serialize)]
pub struct StatusTotal {
    /// The status.
    pub status: Status,
    /// Pledges currently at it.
    pub pledges: usize,
    /// Nations whose strongest status it is.
    pub nations: usize,
    /// Quantities pledged at it, per measure.
    pub quantities: BTreeMap<String, f64>,
}

/// The summary.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// The columns.
    pub domains: Vec<Domain>,
    /// Nations with at least one pledge, by id.
    pub nations: Vec<NationRow>,
    /// Per status, in [`Status::ALL`] order.
    pub totals: Vec<StatusTotal>,
    /// The coalition's milestones, oldest first.
    pub milestones: Vec<Milestone>,
    /// Pledges in all.
    pub pledges: usize,
    /// Of which invented.
    pub illustrative_pledges: usize,
}

/// The summary of a coalition.
pub fn summary(c: &Coalition) -> Summary {
    let lookup = c.lookup();
    let mut rows = Vec::new();
    let mut totals: Vec<StatusTotal> = Status::ALL
        .iter()
        .map(|&status| StatusTotal { status, pledges: 0, nations: 0, quantities: BTreeMap::new() })
        .collect();
    let mut nations: Vec<&crate::model::Nation> = c.nations.iter().collect();
    nations.sort_by(|a, b| a.id.cmp(&b.id));
    for n in nations {
        let mut cells: Vec<Cell> =
            Domain::ALL.iter().map(|&domain| Cell { domain, status: None, pledges: Vec::new() }).collect();
        let mut best: Option<Status> = None;
        let mut latest: Option<Day> = None;
        for p in lookup.pledges_of(c, &n.id) {
            let Some(h) = lookup.current(c, &p.id) else { continue };
            let quantity = lookup.quantity(c, p);
            let t = &mut totals[Status::ALL.iter().position(|&s| s == h.status).unwrap_or(0)];
            t.pledges += 1;
            if let (Some(q), Some(m)) = (quantity, &p.measure) {
                *t.quantities.entry(m.clone()).or_default() += q;
            }
            let cell = &mut cells[Domain::ALL.iter().position(|&d| d == p.domain).unwrap_or(0)];
            if cell.status.is_none_or(|s| h.status.rank() > s.rank()) {
                cell.status = Some(h.status);
            }
            if best.is_none_or(|s| h.status.rank() > s.rank()) {
                best = Some(h.status);
            }
            latest = latest.max(Some(h.date));
            cell.pledges.push(PledgeCell {
                id: p.id.clone(),
                status: h.status,
                capability: p.capability.clone(),
                quantity,
                measure: p.measure.clone(),
                locations: p.locations.clone(),
                conditions: p.conditions.clone(),
                date: h.date,
                dated: h.dated,
                source: h.source.clone(),
                quote: h.quote.clone(),
                relay: h.relay,
                illustrative: p.illustrative || h.illustrative,
            });
        }
        if let (Some(status), Some(latest)) = (best, latest) {
            totals[Status::ALL.iter().position(|&s| s == status).unwrap_or(0)].nations += 1;
            rows.push(NationRow { nation: n.id.clone(), name: n.name.clone(), status, cells, latest });
        }
    }
    Summary {
        domains: Domain::ALL.to_vec(),
        nations: rows,
        totals,
        milestones: c.milestones.clone(),
        pledges: c.pledges.len(),
        illustrative_pledges: c.pledges.iter().filter(|p| p.illustrative).count(),
    }
}
