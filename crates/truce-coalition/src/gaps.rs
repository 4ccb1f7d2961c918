//! Requirements against the pledges that can fill them: what is covered, the shortfall, and what
//! changes if the conditional pledges come in.
//!
//! # Rule
//!
//! A pledge can fill a requirement when its domain is one of the requirement's domains, its measure is
//! the requirement's or converts to it (a measure may equal N of a base measure, e.g. a company ≈ 150
//! personnel: a planning factor), and, when the requirement says where it is needed, the pledge allows
//! one of those places (a pledge that does not say where is not excluded). Declined and withdrawn
//! pledges never count; committed, approved and deployed ones are *firm*; the statuses given to
//! `--assume` (conditional, undecided) are counted in a second column.
//!
//! A pledge's quantity is shared among the requirements of one phase: requirements are filled in their
//! order (component, then id), each taking from the matching pledges in order of strength (status rank,
//! then nation) until it is met. The firm column is filled from firm pledges only; the assumed column is
//! filled afresh from firm and assumed pledges, firm ones first, so "what changes" is exactly the
//! difference. Pledges that match but give no number are listed as *unquantified*: they may fill the
//! gap, by how much is not known.

use std::collections::HashMap;

use serde::Serialize;

use crate::model::{Coalition, Component, Lookup, Pledge, Requirement, Status};

/// One pledge's part in a requirement.
#[derive(Debug, Clone, Serialize)]
pub struct Contribution {
    /// The pledge.
    pub pledge: String,
    /// Its nation.
    pub nation: String,
    /// Its current status.
    pub status: Status,
    /// What it gives to this requirement, in the requirement's measure.
    pub quantity: f64,
    /// Whether it is counted without assumptions.
    pub firm: bool,
    /// How the pledge's own number converts, when it does ("1 company = 150 personnel").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversion: Option<String>,
    /// Its conditions, in words.
    pub conditions: Vec<String>,
}

/// A pledge that matches but gives no number.
#[derive(Debug, Clone, Serialize)]
pub struct Unquantified {
    /// The pledge.
    pub pledge: String,
    /// Its nation.
    pub nation: String,
    /// Its status.
    pub status: Status,
    /// In words.
    pub capability: String,
}

/// One requirement with its cover.
#[derive(Debug, Clone, Serialize)]
pub struct GapRow {
    /// Requirement id.
    pub requirement: String,
    /// Component.
    pub component: Component,
    /// Phase.
    pub phase: String,
    /// In words.
    pub capability: String,
    /// Measure.
    pub measure: String,
    /// Required.
    pub required: f64,
    /// Covered by firm pledges.
    pub firm: f64,
    /// Shortfall on firm pledges (0 when met).
    pub shortfall: f64,
    /// Covered when the assumed statuses come in too.
    pub assumed: f64,
    /// Shortfall then.
    pub assumed_shortfall: f64,
    /// The pledges counted, firm first.
    pub contributions: Vec<Contribution>,
    /// Matching pledges without a number.
    pub unquantified: Vec<Unquantified>,
    /// Invented requirement.
    pub illustrative: bool,
}

/// The gap analysis.
#[derive(Debug, Clone, Serialize)]
pub struct Gaps {
    /// The statuses assumed to come in, besides the firm ones.
    pub assumed: Vec<Status>,
    /// One row per requirement, by phase, component and id.
    pub rows: Vec<GapRow>,
}

/// How many of `to` one `from` is, if the measures convert.
pub fn factor(c: &Coalition, lookup: &Lookup, from: &str, to: &str) -> Option<f64> {
    if from == to {
        return Some(1.0);
    }
    let base = |m: &str| -> (String, f64) {
        lookup.measure(c, m).and_then(|x| x.equals.clone()).unwrap_or_else(|| (m.to_owned(), 1.0))
    };
    let (bf, ff) = base(from);
    let (bt, ft) = base(to);
    (bf == bt && ft > 0.0).then(|| ff / ft)
}

fn matches(c: &Coalition, lookup: &Lookup, r: &Requirement, p: &Pledge) -> Option<Option<f64>> {
    if !r.domains.contains(&p.domain) {
        return None;
    }
    if !r.locations.is_empty() && !p.locations.is_empty() && !p.locations.iter().any(|l| r.locations.contains(l)) {
        return None;
    }
    let measure = p.measure.as_deref()?;
    factor(c, lookup, measure, &r.measure).map(|f| lookup.quantity(c, p).map(|q| q * f))
}

/// The gaps of every requirement (or those of one phase), with `assume` counted in the second column.
pub fn gaps(c: &Coalition, assume: &[Status], phase: Option<&str>) -> Gaps {
    let lookup = c.lookup();
    let mut reqs: Vec<&Requirement> = c.requirements.iter().filter(|r| phase.is_none_or(|p| r.phase == p)).collect();
    reqs.sort_by(|a, b| (&a.phase, a.component, &a.id).cmp(&(&b.phase, b.component, &b.id)));
    let status = |p: &Pledge| lookup.status(c, &p.id);
    let counted = |s: Status, with_assumed: bool| s.is_firm() || (with_assumed && assume.contains(&s));
    // Pledges in order of strength, then nation and id.
    let mut pledges: Vec<&Pledge> = c.pledges.iter().collect();
    pledges.sort_by(|a, b| {
        let (sa, sb) = (status(a).map_or(0, |s| s.rank()), status(b).map_or(0, |s| s.rank()));
        sb.cmp(&sa).then(a.nation.cmp(&b.nation)).then(a.id.cmp(&b.id))
    });

    let mut rows = Vec::new();
    // Remaining quantity per (phase, pledge), in each pass.
    let mut left_firm: HashMap<(&str, &str), f64> = HashMap::new();
    let mut left_all: HashMap<(&str, &str), f64> = HashMap::new();
    for r in reqs {
        let mut row = GapRow {
            requirement: r.id.clone(),
            component: r.component,
            phase: r.phase.clone(),
            capability: r.capability.clone(),
            measure: r.measure.clone(),
            required: r.quantity,
            firm: 0.0,
            shortfall: 0.0,
            assumed: 0.0,
            assumed_shortfall: 0.0,
            contributions: Vec::new(),
            unquantified: Vec::new(),
            illustrative: r.illustrative,
        };
        let mut assumed_parts: HashMap<&str, f64> = HashMap::new();
        for with_assumed in [false, true] {
            let left = if with_assumed { &mut left_all } else { &mut left_firm };
            let mut need = r.quantity;
            let mut got = 0.0;
            for p in &pledges {
                let Some(s) = status(p) else { continue };
                if !counted(s, with_assumed) {
                    continue;
                }
                let Some(q) = matches(c, &lookup, r, p) else { continue };
                let Some(q) = q else {
                    if !with_assumed || !s.is_firm() {
                        // Listed once: firm ones in the first pass, assumed ones in the second.
                        row.unquantified.push(Unquantified {
                            pledge: p.id.clone(),
                            nation: p.nation.clone(),
                            status: s,
                            capability: p.capability.clone(),
                        });
                    }
                    continue;
                };
                let avail = left.entry((r.phase.as_str(), p.id.as_str())).or_insert(q);
                let take = avail.min(need).max(0.0);
                if take <= 0.0 {
                    continue;
                }
                *avail -= take;
                need -= take;
                got += take;
                if with_assumed {
                    *assumed_parts.entry(p.id.as_str()).or_default() += take;
                } else {
                    row.contributions.push(contribution(c, &lookup, r, p, s, take, true));
                }
            }
            if with_assumed {
                row.assumed = got;
                row.assumed_shortfall = (r.quantity - got).max(0.0);
            } else {
                row.firm = got;
                row.shortfall = (r.quantity - got).max(0.0);
            }
        }
        // Assumed contributions: what the second pass took from non-firm pledges.
        for p in &pledges {
            if let (Some(&q), Some(s)) = (assumed_parts.get(p.id.as_str()), status(p))
                && !s.is_firm()
            {
                row.contributions.push(contribution(c, &lookup, r, p, s, q, false));
            }
        }
        rows.push(row);
    }
    Gaps { assumed: assume.to_vec(), rows }
}

fn contribution(
    c: &Coalition,
    lookup: &Lookup,
    r: &Requirement,
    p: &Pledge,
    s: Status,
    quantity: f64,
    firm: bool,
) -> Contribution {
    let conversion = p.measure.as_deref().filter(|m| *m != r.measure).and_then(|m| {
        factor(c, lookup, m, &r.measure).map(|f| format!("1 {m} = {} {}", crate::model::number(f), r.measure))
    });
    Contribution {
        pledge: p.id.clone(),
        nation: p.nation.clone(),
        status: s,
        quantity,
        firm,
        conversion,
        conditions: p.conditions.iter().map(|c| c.id().to_owned()).collect(),
    }
}
