//! `truce agreement check FILE`: every error at once, or a summary of what the agreement contains.

use std::fmt::Write as _;
use std::process::ExitCode;

use truce_engine::Agreement;
use truce_engine::agreement::{Area, ZoneShape};

use crate::cli::CheckArgs;

pub fn check(args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let agreement = match Agreement::load(&args.file) {
        Ok(a) => a,
        Err(errors) => {
            for p in &errors.0 {
                eprintln!("error: {p}");
            }
            eprintln!(
                "{}: {} error{} found",
                args.file.display(),
                errors.0.len(),
                if errors.0.len() == 1 { "" } else { "s" }
            );
            return Ok(ExitCode::from(2));
        }
    };
    out!("{}", summary(&agreement));
    Ok(ExitCode::SUCCESS)
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    truce_formats::when::show(t)
}

/// "cfv" for the whole ceasefire-violation group, then the other categories.
fn categories(set: truce_core::CategorySet) -> String {
    let cfv = truce_core::CategorySet::ceasefire_violations();
    let all_cfv = set.union(cfv) == set;
    let mut words: Vec<&str> = Vec::new();
    if all_cfv {
        words.push("cfv (the 8 ceasefire-violation categories)");
    }
    words.extend(set.iter().filter(|c| !(all_cfv && c.is_ceasefire_violation())).map(|c| c.id()));
    words.join(", ")
}

fn km(m: f64) -> String {
    let km = m / 1000.0;
    if km.fract() == 0.0 { format!("{km:.0} km") } else { format!("{km} km") }
}

/// The human summary printed on success.
pub fn summary(a: &Agreement) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{} {} — {}", a.id, a.version, a.title);
    if a.illustrative {
        let _ = writeln!(s, "ILLUSTRATIVE: invented for testing and demonstration, not a real agreement");
    }
    if let Some(t) = a.effective {
        let _ = writeln!(s, "effective: {}", rfc3339(t));
    }
    let _ = writeln!(s, "\nparties ({}):", a.parties.len());
    for p in &a.parties {
        let _ =
            writeln!(s, "  {:<10} {}{}", p.id, p.name, p.iso3.as_ref().map(|c| format!(" ({c})")).unwrap_or_default());
    }
    let _ = writeln!(s, "\nlines ({}):", a.lines.len());
    for l in &a.lines {
        let vertices: usize = l.parts.iter().map(Vec::len).sum();
        let _ = writeln!(
            s,
            "  {:<16} {:>9.1} km  {} part{}, {} vertices; left: {}, right: {}  ({})",
            l.id,
            l.length_m / 1000.0,
            l.parts.len(),
            if l.parts.len() == 1 { "" } else { "s" },
            vertices,
            a.parties[l.left].id,
            a.parties[l.right].id,
            l.name
        );
    }
    let _ = writeln!(s, "\nweapon classes ({}):", a.classes.len());
    for c in &a.classes {
        let rules: Vec<String> = c
            .withdrawal
            .iter()
            .map(|w| format!("{} {} from {}", a.parties[w.party].id, km(w.distance_m), a.lines[w.line].id))
            .collect();
        let _ = writeln!(
            s,
            "  {:<24} {}{}",
            c.id,
            rules.join("; "),
            if c.storage_required { "; storage sites required" } else { "" }
        );
    }
    let _ = writeln!(s, "\nzones ({}):", a.zones.len());
    for (i, z) in a.zones.iter().enumerate() {
        let shape = match &z.shape {
            ZoneShape::Polygons { polygons, .. } => {
                let holes: usize = polygons.iter().map(|p| p.len() - 1).sum();
                format!(
                    "{} polygon{}{}",
                    polygons.len(),
                    if polygons.len() == 1 { "" } else { "s" },
                    if holes > 0 { format!(", {holes} holes") } else { String::new() }
                )
            }
            ZoneShape::Band { line, width_m, side } => format!(
                "band {} {} of {}",
                km(*width_m),
                side.map_or("both sides".to_owned(), |p| format!("{} side", a.parties[p].id)),
                a.lines[*line].id
            ),
        };
        let area = match a.zone_area(i) {
            Area::Exact(m2) => format!("{:.2} km²", m2 / 1e6),
            Area::Estimated { m2, .. } => format!("≈{:.0} km²", m2 / 1e6),
        };
        let by = if z.violated_by.is_empty() {
            "never violated".to_owned()
        } else {
            format!("violated by: {}", categories(z.violated_by))
        };
        let when = z.phases.as_ref().map(|ps| {
            let ids: Vec<&str> = ps.iter().map(|&p| a.phases[p].id.as_str()).collect();
            format!("; only during {}", ids.join(", "))
        });
        let _ = writeln!(
            s,
            "  {:<18} {:<20} {:<34} {:>14}  {}{}",
            z.id,
            z.kind.id(),
            shape,
            area,
            by,
            when.unwrap_or_default()
        );
    }
    let _ = writeln!(s, "\nphases ({}):", a.phases.len());
    for p in &a.phases {
        let overrides: Vec<String> = p
            .withdrawal
            .iter()
            .map(|&(c, party, d)| format!("{}/{} {}", a.classes[c].id, a.parties[party].id, km(d)))
            .collect();
        let _ = writeln!(s, "  {:<12} {} → {}  {}", p.id, rfc3339(p.start), rfc3339(p.end), p.name);
        if !overrides.is_empty() {
            let _ = writeln!(s, "  {:<12} withdrawal: {}", "", overrides.join(", "));
        }
    }
    if a.phases.is_empty() {
        let _ = writeln!(s, "  (none: the base rules apply throughout)");
    }
    s
}
