//! Plain-text tables for the command line: the summary, the gaps, a nation's history, a plan check and
//! the regeneration status. Each renders the same model the API serves as JSON, so what a planner reads
//! on a terminal and in the browser cannot differ.

use std::fmt::Write;

use crate::gaps::Gaps;
use crate::history::NationHistory;
use crate::model::{Dated, Day, number};
use crate::plan::{PlanCheck, Severity};
use crate::regeneration::{Projection, RegenerationStatus};
use crate::summary::Summary;

fn dated(d: Day, how: Dated) -> String {
    match how {
        Dated::On => d.human(),
        Dated::By => format!("by {}", d.human()),
    }
}

/// Pads `s` to `w` characters (not bytes).
fn pad(s: &str, w: usize) -> String {
    let n = s.chars().count();
    if n >= w { s.to_owned() } else { format!("{s}{}", " ".repeat(w - n)) }
}

/// The summary: milestones, then nations × domains, then totals.
pub fn summary(s: &Summary) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "Coalition: {} nations with pledges, {} pledges ({} illustrative)",
        s.nations.len(),
        s.pledges,
        s.illustrative_pledges
    );
    if !s.milestones.is_empty() {
        let _ = writeln!(o, "\nMilestones");
        for m in &s.milestones {
            let mark = if m.illustrative { " [illustrative]" } else { "" };
            let _ = writeln!(o, "  {:<15} {}{mark} — {}", dated(m.date, m.dated), m.title, m.source);
        }
    }
    let _ = writeln!(
        o,
        "\nStatus by nation and domain (the strongest pledge in each cell; * with conditions, r relay only, +N more pledges)"
    );
    let w = 15;
    let _ = write!(o, "{}", pad("nation", 22));
    for d in &s.domains {
        let _ = write!(o, "{}", pad(d.id(), w));
    }
    let _ = writeln!(o);
    for n in &s.nations {
        let _ = write!(o, "{}", pad(&format!("{} {}", n.nation, n.name), 22));
        for c in &n.cells {
            let cell = match c.status {
                None => "-".to_owned(),
                Some(st) => {
                    // Marks for the pledges at the cell's (strongest) status.
                    let top: Vec<_> = c.pledges.iter().filter(|p| p.status == st).collect();
                    let cond = if top.iter().any(|p| !p.conditions.is_empty()) { "*" } else { "" };
                    let relay = if top.iter().all(|p| p.relay) { "r" } else { "" };
                    let more = if c.pledges.len() > 1 { format!("+{}", c.pledges.len() - 1) } else { String::new() };
                    format!("{st}{cond}{relay}{more}")
                }
            };
            let _ = write!(o, "{} ", pad(&cell, w - 1));
        }
        let _ = writeln!(o);
    }
    let _ = writeln!(o, "\nTotals by status (nations counted once, at their strongest status)");
    let _ = writeln!(o, "  {}{}{}quantities pledged", pad("status", 14), pad("pledges", 9), pad("nations", 9));
    for t in &s.totals {
        if t.pledges == 0 && t.nations == 0 {
            continue;
        }
        let q: Vec<String> = t.quantities.iter().map(|(m, q)| format!("{} {m}", number(*q))).collect();
        let _ = writeln!(
            o,
            "  {}{}{}{}",
            pad(t.status.id(), 14),
            pad(&t.pledges.to_string(), 9),
            pad(&t.nations.to_string(), 9),
            if q.is_empty() { "-".to_owned() } else { q.join(", ") }
        );
    }
    o
}

/// The gaps: one block per requirement.
pub fn gaps(g: &Gaps) -> String {
    let mut o = String::new();
    let assumed: Vec<&str> = g.assumed.iter().map(|s| s.id()).collect();
    let _ = writeln!(
        o,
        "Requirements against pledges (firm: committed, approved, deployed{})",
        if assumed.is_empty() { String::new() } else { format!("; assumed: {}", assumed.join(", ")) }
    );
    let mut phase = "";
    for r in &g.rows {
        if r.phase != phase {
            phase = &r.phase;
            let _ = writeln!(o, "\nPhase {phase}");
        }
        let mark = if r.illustrative { " [illustrative]" } else { "" };
        let _ = writeln!(
            o,
            "  {} ({}){mark}: {} — required {} {}",
            r.requirement,
            r.component,
            r.capability,
            number(r.required),
            r.measure
        );
        let _ = writeln!(
            o,
            "    firm      {:>10}   shortfall {}",
            number(r.firm),
            if r.shortfall > 0.0 { number(r.shortfall) } else { "none".to_owned() }
        );
        if !g.assumed.is_empty() {
            let change = r.assumed - r.firm;
            let _ = writeln!(
                o,
                "    assumed   {:>10}   shortfall {}   ({}{} if {} come in)",
                number(r.assumed),
                if r.assumed_shortfall > 0.0 { number(r.assumed_shortfall) } else { "none".to_owned() },
                if change >= 0.0 { "+" } else { "" },
                number(change),
                assumed.join(", ")
            );
        }
        for c in &r.contributions {
            let conds =
                if c.conditions.is_empty() { String::new() } else { format!(" on {}", c.conditions.join(", ")) };
            let conv = c.conversion.as_ref().map(|x| format!(" [{x}]")).unwrap_or_default();
            let _ = writeln!(
                o,
                "      {} {} {} {}{}{conds}{conv}",
                if c.firm { "+" } else { "?" },
                c.nation,
                c.pledge,
                number(c.quantity),
                format_args!(" ({})", c.status)
            );
        }
        for u in &r.unquantified {
            let _ = writeln!(o, "      ~ {} {} ({}): {} — no number given", u.nation, u.pledge, u.status, u.capability);
        }
    }
    o
}

/// A nation's history.
pub fn history(h: &NationHistory) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{} {}", h.nation.id, h.nation.name);
    if h.pledges.is_empty() {
        let _ = writeln!(o, "  no pledges recorded");
    }
    for p in &h.pledges {
        let q = match (p.pledge.quantity, &p.pledge.measure) {
            (Some(q), Some(m)) => format!(", {} {m}", number(q)),
            (None, Some(m)) => format!(", {m} (no number)"),
            _ => String::new(),
        };
        let mark = if p.pledge.illustrative { " [illustrative]" } else { "" };
        let _ = writeln!(
            o,
            "\n  {} — {} ({}{q}): now {}{mark}",
            p.pledge.id, p.pledge.capability, p.pledge.domain, p.status
        );
        for s in &p.steps {
            let e = &s.entry;
            let moved = match s.from {
                Some(f) if f != e.status => format!("{f} -> {}", e.status),
                Some(_) => format!("{} (again)", e.status),
                None => e.status.to_string(),
            };
            let qty = e.quantity.map(|q| format!(", quantity {}", number(q))).unwrap_or_default();
            let relay = if e.relay { " [relay: a lead, not settled fact]" } else { "" };
            let ill = if e.illustrative { " [illustrative]" } else { "" };
            let _ = writeln!(o, "    {:<15} {moved}{qty}{relay}{ill}", dated(e.date, e.dated));
            let _ = writeln!(o, "                    \"{}\"", e.quote);
            let _ = writeln!(o, "                    source: {}", e.source);
            if let Some(n) = &e.note {
                let _ = writeln!(o, "                    note: {n}");
            }
            if s.import > 0 {
                let _ = writeln!(
                    o,
                    "                    recorded: import {} ({}), {}:{}",
                    s.import, s.imported_at, s.file, s.line
                );
            }
        }
    }
    o
}

/// A plan check: findings in order, then a count.
pub fn plan_check(c: &PlanCheck) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "Plan {} — {} ({} deployments{})",
        c.plan,
        c.name,
        c.deployments,
        if c.file.is_empty() { String::new() } else { format!(", {}", c.file) }
    );
    for s in &c.standoff {
        let _ = writeln!(o, "  stand-off: {s}");
    }
    for n in &c.notes {
        let _ = writeln!(o, "  note: {n}");
    }
    for f in &c.findings {
        let sev = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let line = match (f.line, c.file.is_empty()) {
            (0, _) => String::new(),
            (n, true) => format!("line {n}: "),
            (n, false) => format!("{}:{n}: ", c.file),
        };
        let _ = writeln!(o, "{sev}[{}]: {line}{}", f.rule, f.message);
    }
    let _ = writeln!(
        o,
        "{} error{}, {} warning{}",
        c.errors,
        if c.errors == 1 { "" } else { "s" },
        c.warnings,
        if c.warnings == 1 { "" } else { "s" }
    );
    o
}

/// The regeneration status.
pub fn regeneration(r: &RegenerationStatus) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "Regeneration of Ukraine's forces{}",
        r.at.map(|d| format!(" as of {}", d.human())).unwrap_or_default()
    );
    for t in &r.targets {
        let tg = &t.target;
        let mark = if tg.illustrative { " [illustrative]" } else { "" };
        let goal =
            tg.target.map_or("no target published".to_owned(), |g| format!("target {} {}", number(g), tg.metric));
        let by = tg.by.map(|b| format!(" by {}", b.human())).unwrap_or_default();
        let prog = tg.programme.as_ref().map(|p| format!(" [{p}]")).unwrap_or_default();
        let _ = writeln!(o, "\n  {} — {}{prog}{mark}: {goal}{by}", tg.id, tg.name);
        let _ = writeln!(o, "    set {} — {}", dated(tg.date, tg.dated), tg.source);
        match &t.latest {
            Some(l) => {
                let share = t.share.map(|s| format!(" ({:.0}%)", s * 100.0)).unwrap_or_default();
                let approx = if l.approx { "~" } else { "" };
                let ill = if l.illustrative { " [illustrative]" } else { "" };
                let _ = writeln!(
                    o,
                    "    latest {approx}{}{share}, {} — {}{ill}",
                    number(l.value),
                    dated(l.date, l.dated),
                    l.source
                );
            }
            None => {
                let _ = writeln!(o, "    no progress recorded");
            }
        }
        if let Some(tr) = t.trend_per_30_days {
            let _ = writeln!(
                o,
                "    trend {}{} per 30 days over {} measurements",
                if tr >= 0.0 { "+" } else { "" },
                number((tr * 10.0).round() / 10.0),
                t.progress.len()
            );
        }
        let p = match &t.projection {
            Projection::Reached { on } => format!("reached on {}", on.human()),
            Projection::Projected { on, on_schedule } => format!(
                "projected {}{}",
                on.human(),
                match on_schedule {
                    Some(true) => " (on schedule)",
                    Some(false) => " (behind schedule)",
                    None => "",
                }
            ),
            Projection::NotAtThisTrend => "not reached at this trend".to_owned(),
            Projection::TooFewPoints => "no projection: fewer than two measurements".to_owned(),
            Projection::NoTarget => "no projection: no target number".to_owned(),
        };
        let _ = writeln!(o, "    {p}");
    }
    o
}
